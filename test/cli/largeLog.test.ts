import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRestoreLog } from '../../bench/generate/criuLog';
import { analyseDocuments } from '../../server/src/analysis';
import { compareFindings } from '../../server/src/core/finding';
import { toReport } from '../../server/src/cli/output';
import { distDir, examplesDir } from '../support/paths';

const LINES = 500_000;

test(`check on a generated ${LINES / 1000}k-line -v4 log: streamed from disk, the in-memory findings, peak RSS well under 4× the file`, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-cli-large-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'restore.log');
  const text = generateRestoreLog(LINES, examplesDir);
  writeFileSync(log, text);
  const bytes = statSync(log).size;
  // Reports the process's peak RSS (KB) on exit, for the CLI and for a bare start of it.
  const preload = join(dir, 'rss.js');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeSync(2, '\\nmaxRSS ' + process.resourceUsage().maxRSS + '\\n'));\n`);
  const run = (...args: string[]) => {
    const started = performance.now();
    const r = spawnSync(process.execPath, ['-r', preload, join(distDir, 'cli.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const rss = Number(/maxRSS (\d+)/.exec(r.stderr)?.[1]) * 1024;
    return { ...r, rss, ms: performance.now() - started };
  };

  const r = run('check', '--format', 'json', log);
  assert.equal(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout) as ReturnType<typeof toReport>;
  const expected = JSON.parse(JSON.stringify(toReport([{ path: log, language: 'criu-log' }], analyseDocuments([{ doc: log, language: 'criu-log', text }]).sort(compareFindings))));
  assert.deepEqual(report, expected, 'the findings of the same log read whole');
  const eperm = text.split('\n').findIndex((l) => l.includes('Unable to send a fin packet'));
  assert.ok(report.findings.some((f) => f.code === 'criu.soccr-fin-eperm' && f.range.start.line === eperm && f.severity === 'error'), 'the root cause near the end');

  const bare = run('--version');
  const extra = r.rss - bare.rss;
  t.diagnostic(`${(bytes / 1e6).toFixed(1)} MB log: peak RSS ${(r.rss / 1e6).toFixed(0)} MB (node alone ${(bare.rss / 1e6).toFixed(0)} MB), ${(r.ms / 1000).toFixed(1)} s`);
  assert.ok(r.rss <= 4 * bytes, `peak RSS ${r.rss} over 4× the file (${bytes})`);
  assert.ok(extra <= 2 * bytes, `the analysis took ${extra} bytes over node's own for a ${bytes}-byte file: it should not hold the file`);
});
