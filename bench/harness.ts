/**
 * A tiny benchmark harness: every figure is printed beside a baseline measured in the same
 * run on the same input, as a ratio, so numbers from different machines stay comparable.
 */
import { performance } from 'node:perf_hooks';

export interface Timing {
  /** Median wall time of one run, in milliseconds. */
  medianMs: number;
  runs: number;
}

/** Runs `fn` until `minMs` have passed (at least `minRuns` times) and returns the median. */
export function time(fn: () => void, minMs = 1000, minRuns = 5): Timing {
  fn(); // warm-up: JIT and file cache
  const samples: number[] = [];
  const until = performance.now() + minMs;
  while (samples.length < minRuns || performance.now() < until) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { medianMs: samples[Math.floor(samples.length / 2)], runs: samples.length };
}

export interface Row {
  name: string;
  figure: Timing;
  baselineName: string;
  baseline: Timing;
  /** What one run processes, for a throughput column (e.g. lines). */
  units?: { count: number; name: string };
}

export function printRows(rows: readonly Row[]): void {
  const ms = (t: Timing) => `${t.medianMs.toFixed(2)} ms`;
  console.log(`${'benchmark'.padEnd(44)} ${'ours'.padStart(12)} ${'baseline'.padStart(12)} ${'ratio'.padStart(8)}  baseline is`);
  for (const r of rows) {
    const ratio = r.figure.medianMs / r.baseline.medianMs;
    const rate = r.units ? `  (${Math.round(r.units.count / (r.figure.medianMs / 1000)).toLocaleString('en')} ${r.units.name}/s)` : '';
    console.log(`${r.name.padEnd(44)} ${ms(r.figure).padStart(12)} ${ms(r.baseline).padStart(12)} ${(ratio.toFixed(2) + '×').padStart(8)}  ${r.baselineName}${rate}`);
  }
}
