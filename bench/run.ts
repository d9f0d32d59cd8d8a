/**
 * `npm run bench`: each figure beside a baseline from the same run (see harness.ts).
 * Inputs come from examples/ and, where present, the shared corpus beside the clone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criuLogFindings } from '../server/src/criu/findings';
import { analyseCriuLog } from '../server/src/criu/analyse';
import { printRows, time, type Row } from './harness';
import { iptablesSaveParseBench } from './iptables';
import { nftablesParseBench } from './nftables';
import { evaluateBench } from './evaluate';
import { generateRestoreLog } from './generate/criuLog';

const root = join(__dirname, '..', '..');
const corpus = join(root, '..', 'shared', 'corpus', 'criu-real');

/** All real CRIU logs (or the examples when the corpus is absent) joined into one file. */
function criuLogInput(): { path: string; text: string; cleanup: () => void } {
  const parts: string[] = [];
  if (existsSync(corpus)) {
    for (const dir of readdirSync(corpus).sort()) {
      for (const name of ['dump.log', 'restore.log']) {
        const p = join(corpus, dir, name);
        if (existsSync(p)) parts.push(readFileSync(p, 'utf8'));
      }
    }
  }
  parts.push(readFileSync(join(root, 'examples', 'restore.log'), 'utf8'), readFileSync(join(root, 'examples', 'dump.log'), 'utf8'));
  const text = parts.join('');
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-bench-'));
  const path = join(dir, 'joined.log');
  writeFileSync(path, text);
  return { path, text, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const rows: Row[] = [];

{
  const { path, text, cleanup } = criuLogInput();
  const lineCount = text.split('\n').length;
  rows.push({
    name: `CRIU log: parse + findings (${lineCount.toLocaleString('en')} lines)`,
    figure: time(() => criuLogFindings(path, analyseCriuLog(readFileSync(path, 'utf8')))),
    baselineName: '`grep -n Error` on the same file (process spawn included)',
    baseline: time(() => spawnSync('grep', ['-n', 'Error', path], { encoding: 'utf8' })),
    units: { count: lineCount, name: 'lines' },
  });
  cleanup();
}

{
  // Issue target: full analysis of a 1,000,000-line -v4 restore log within 25× `grep -n Error`.
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-bench-'));
  const path = join(dir, 'restore-1M.log');
  writeFileSync(path, generateRestoreLog(1_000_000, join(root, 'examples')));
  rows.push({
    name: 'CRIU log: full analysis (1,000,000 lines)',
    figure: time(() => criuLogFindings(path, analyseCriuLog(readFileSync(path, 'utf8'))), 1000, 3),
    baselineName: '`grep -n Error` on the same file',
    baseline: time(() => spawnSync('grep', ['-n', 'Error', path], { encoding: 'utf8', maxBuffer: 1 << 28 }), 1000, 3),
    units: { count: 1_000_000, name: 'lines' },
  });
  rmSync(dir, { recursive: true, force: true });
}

const skipped: { name: string; reason: string }[] = [];
const notes: string[] = [];
{
  const outcome = iptablesSaveParseBench();
  if ('row' in outcome) {
    rows.push(outcome.row);
    notes.push(...outcome.notes.map((n) => `${outcome.row.name}: ${n}`));
  } else skipped.push(outcome.skipped);
}

{
  const outcome = nftablesParseBench();
  if ('row' in outcome) {
    rows.push(outcome.row);
    notes.push(...outcome.notes.map((n) => `${outcome.row.name}: ${n}`));
  } else skipped.push(outcome.skipped);
}

{
  // Issue target: one packet through the 100,000-rule dump in under 5 ms after indexing; throughput for 10,000 packets.
  const outcome = evaluateBench();
  rows.push(...outcome.rows);
  notes.push(...outcome.notes);
  skipped.push(...outcome.skipped);
}

printRows(rows);
for (const s of skipped) console.log(`${s.name.padEnd(44)} skipped: ${s.reason}`);
for (const n of notes) console.log(`note: ${n}`);
