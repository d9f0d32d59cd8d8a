/**
 * A tiny benchmark harness: every figure is printed beside a baseline measured in the same
 * run on the same input, as a ratio, so numbers from different machines stay comparable.
 * The table is printed twice: aligned for the terminal, and as markdown for docs/performance.md.
 */
import { cpus, loadavg, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface Timing {
  /** Median wall time of one run, in milliseconds. */
  medianMs: number;
  runs: number;
}

/** A figure that is not the median of timed runs: a latency percentile, a memory size. */
export interface Amount {
  value: number;
  unit: 'ms' | 'MB';
  /** How to show it, when the value alone says too little (e.g. `p50 1.2 / p99 3.4 ms`). */
  text?: string;
}

export type Figure = Timing | Amount;

export const valueOf = (f: Figure): number => ('medianMs' in f ? f.medianMs : f.value);

function show(f: Figure): string {
  if ('medianMs' in f) return `${f.medianMs.toFixed(2)} ms`;
  return f.text ?? `${f.value.toFixed(f.unit === 'MB' ? 1 : 2)} ${f.unit}`;
}

/** The target for a row: on the ratio to the baseline, or on our figure alone. */
export interface Target {
  text: string;
  met: (ours: number, ratio: number) => boolean;
}

export const ratioAtMost = (max: number): Target => ({ text: `≤ ${max}× baseline`, met: (_ours, ratio) => ratio <= max });
export const below = (limit: number, unit: string, what = ''): Target => ({ text: `${what}< ${limit} ${unit}`, met: (ours) => ours < limit });

/** Runs `fn` until `minMs` have passed (at least `minRuns` times) and returns the median. */
export function time(fn: () => void, minMs = 1000, minRuns = 5): Timing {
  fn(); // warm-up: JIT and file cache
  return timeCold(fn, minMs, minRuns);
}

/** As time(), without the warm-up run: for inputs so big that one extra run costs minutes. */
export function timeCold(fn: () => void, minMs = 0, minRuns = 1): Timing {
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

/** The p-th percentile (0–100) of samples, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface Row {
  name: string;
  figure: Figure;
  baselineName: string;
  baseline: Figure;
  /** What one run processes, for a throughput column (e.g. lines). */
  units?: { count: number; name: string };
  target?: Target;
}

const ratioOf = (r: Row) => valueOf(r.figure) / valueOf(r.baseline);
const metOf = (r: Row) => (r.target ? (r.target.met(valueOf(r.figure), ratioOf(r)) ? 'yes' : '**no**') : '—');

export function printRows(rows: readonly Row[]): void {
  console.log(`${'benchmark'.padEnd(52)} ${'ours'.padStart(22)} ${'baseline'.padStart(22)} ${'ratio'.padStart(9)}  ${'target'.padEnd(22)} met  baseline is`);
  for (const r of rows) {
    const rate = r.units && 'medianMs' in r.figure ? `  (${Math.round(r.units.count / (r.figure.medianMs / 1000)).toLocaleString('en')} ${r.units.name}/s)` : '';
    const met = metOf(r).replace(/\*/g, '');
    console.log(`${r.name.padEnd(52)} ${show(r.figure).padStart(22)} ${show(r.baseline).padStart(22)} ${(ratioOf(r).toFixed(2) + '×').padStart(9)}  ${(r.target?.text ?? '—').padEnd(22)} ${met.padEnd(4)} ${r.baselineName}${rate}`);
  }
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The same rows as a markdown table, ready to paste into docs/performance.md. */
export function markdownTable(rows: readonly Row[]): string {
  const lines = ['| benchmark | ours | baseline | ratio | target | met? |', '| --- | ---: | --- | ---: | --- | --- |'];
  for (const r of rows) {
    lines.push(`| ${cell(r.name)} | ${cell(show(r.figure))} | ${cell(show(r.baseline))}: ${cell(r.baselineName)} | ${ratioOf(r).toFixed(2)}× | ${cell(r.target?.text ?? '—')} | ${metOf(r)} |`);
  }
  return lines.join('\n');
}

/** One line on the machine, for the figures' context: they are noisy on a shared one. */
export function machineDescription(): string {
  const cpu = cpus();
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}; load average ${load}`;
}
