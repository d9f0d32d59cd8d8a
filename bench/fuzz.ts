/**
 * The long fuzz run (`npm run bench -- --only fuzz [--fuzz-seconds N] [--seed S]`): the hostile
 * inputs at full size (10 MB lines, 100,000 repeated options), then seeded random inputs for N
 * seconds, every tenth through the CLI too. The engine and its bounds are in test/fuzz/engine.ts;
 * CI runs a short version (test/fuzz/fuzz.test.ts).
 *
 * Each failing input is written to a folder that is kept (its path is printed), with a minimised
 * copy for crashes: the start of a regression test in test/fuzz/regressions.test.ts.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzz, loadCorpus, minimise, TARGETS, TIME_CONST_MS, TIME_MS_PER_KB, type FuzzReport } from '../test/fuzz/engine';

export interface FuzzOutcome {
  report: FuzzReport;
  lines: string[];
}

export async function fuzzBench(options: { seed: number; seconds: number; corpusDir: string; examples: string; dist: string }): Promise<FuzzOutcome> {
  const corpus = loadCorpus(options.corpusDir, options.examples);
  let last = 0;
  const report = await fuzz({
    seed: options.seed,
    minRandomInputs: 0,
    randomInputs: Number.MAX_SAFE_INTEGER,
    seconds: options.seconds,
    hostileScale: 1,
    corpus,
    workerScript: __filename,
    cli: join(options.dist, 'cli.js'),
    cliEvery: 10,
    memoryEvery: 10,
    onProgress: (done, failures) => {
      if (Date.now() - last > 10_000) {
        last = Date.now();
        process.stderr.write(`fuzz: ${done} inputs, ${failures} failure(s)\n`);
      }
    },
  });
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
  const lines = [
    `fuzz (seed ${options.seed}): ${report.inputs.toLocaleString('en')} inputs (${mb(report.bytes)}; ${Object.entries(report.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}), ${report.cliRuns} through the CLI (3 runs each): ${report.failures.length} failure(s)`,
    `fuzz: hang bound ${TIME_CONST_MS / 1000} s + ${TIME_MS_PER_KB} ms/KB per target; the slowest input used ${(report.worstBoundFraction * 100).toFixed(1)}% of its bound (${report.worst?.kind}, ${report.worst ? mb(report.worst.bytes) : ''} in ${((report.worst?.ms ?? 0) / 1000).toFixed(1)} s for ${TARGETS.length} targets)`,
    `fuzz: the most any input's results retained: ${mb(report.maxRetainedBytes)}; heap growth over the run after GC: ${mb(report.heapGrowthBytes)}`,
    `fuzz: slowest: ${report.slowest.map((s) => `${s.kind} ${mb(s.bytes)} ${(s.ms / 1000).toFixed(1)} s + CLI ${(s.cliMs / 1000).toFixed(1)} s`).join('; ')}`,
  ];
  if (report.failures.length) {
    const dir = mkdtempSync(join(tmpdir(), 'criu-lens-fuzz-failures-'));
    report.failures.forEach((f, n) => {
      const base = join(dir, `${n}-seed${f.seed}-index${f.index}-${f.target}-${f.problem}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${base}.input`, f.text);
      writeFileSync(`${base}.txt`, `${f.kind}: ${f.target} ${f.problem}\n${f.detail}\n`);
      const target = (TARGETS as readonly string[]).includes(f.target) ? (f.target as (typeof TARGETS)[number]) : undefined;
      if (f.problem === 'crash' && target) writeFileSync(`${base}.minimised`, minimise(f.text, target, corpus));
      lines.push(`fuzz FAILURE ${n}: index ${f.index} (${f.kind}): ${f.target} ${f.problem}: ${f.detail.split('\n')[0].slice(0, 300)}`);
    });
    lines.push(`fuzz: failing inputs (and minimised crashes) kept in ${dir}`);
  }
  return { report, lines };
}
