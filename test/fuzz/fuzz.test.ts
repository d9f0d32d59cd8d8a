/**
 * The short seeded fuzz run of CI (the long one, with the hostile inputs at full size — 10 MB
 * lines, 100,000 repeated options: `npm run bench -- --only fuzz`). Here the hostile inputs run at
 * a twentieth of that size, then seeded random inputs for a few seconds, every eighth through the CLI. Any crash, hang or unbounded memory fails the test with the seed and index that
 * reproduce it (engine.ts).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { corpusAvailable, corpusDir, corpusMissingReason, distDir, examplesDir } from '../support/paths';
import { fuzz, hostileInputs, isFuzzWorker, loadCorpus, runFuzzWorker, type FuzzFailure } from './engine';

const describeFailure = (f: FuzzFailure) => `seed ${f.seed} index ${f.index} (${f.kind}, ${f.text.length} chars): ${f.target} ${f.problem}: ${f.detail.slice(0, 600)}`;

if (isFuzzWorker()) runFuzzWorker();
else {
  test('corpus for the mutations', { skip: corpusAvailable ? false : corpusMissingReason }, () => {
    const corpus = loadCorpus(corpusDir, examplesDir);
    assert.ok(corpus.criu.length >= 30, `criu logs found: ${corpus.criu.length}`);
    assert.ok(corpus.iptables.length >= 20, `iptables dumps found: ${corpus.iptables.length}`);
  });

  test('fuzz: hostile inputs and seeded random ones finish without crash, hang or unbounded memory', { timeout: 600_000 }, async () => {
    const seed = Number(process.env.CRIU_LENS_FUZZ_SEED ?? 20261127);
    const report = await fuzz({
      seed,
      minRandomInputs: 40,
      randomInputs: 100_000,
      seconds: Number(process.env.CRIU_LENS_FUZZ_SECONDS ?? 4),
      hostileScale: 0.05,
      corpus: loadCorpus(corpusDir, examplesDir),
      workerScript: __filename,
      cli: join(distDir, 'cli.js'),
      cliEvery: 8,
      memoryEvery: 25,
    });
    if (process.env.CRIU_LENS_FUZZ_VERBOSE) console.error(JSON.stringify({ ...report, failures: report.failures.length }, null, 1));
    assert.deepEqual(report.failures.map(describeFailure), []);
    // The run did what it says: every hostile input and a fair number of random ones, CLI included.
    assert.ok(report.inputs >= hostileInputs(0.001).length + 40, `inputs run: ${report.inputs}`);
    assert.ok(report.cliRuns >= 6, `CLI runs: ${report.cliRuns}`);
    assert.ok(report.bytes > 2 << 20, `bytes fed: ${report.bytes}`);
  });
}
