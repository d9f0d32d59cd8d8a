/**
 * Peak memory against file size. Issue target: peak RSS ≤ 4× the file size.
 *
 * `criu-lens check --format json FILE` runs as a user runs it, and reports its own peak resident
 * set: VmHWM from /proc/self/status, written at exit by a preloaded module. Not getrusage's
 * ru_maxrss: on Linux a child's ru_maxrss starts at its parent's RSS (it survives fork and exec),
 * so it counted this bench process too. VmHWM is Linux only; without /proc the rows are skipped.
 * Node's own footprint (the same measure of `node -e 0`) is part of every figure and a large part
 * on small files, so each figure also says how much is left without it: what grows with the input.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ratioAtMost, type Row } from './harness';
import { sizeMb } from './inputs';

export interface RssOutcome {
  rows: Row[];
  notes: string[];
  skipped: { name: string; reason: string }[];
}

/** Peak resident set (VmHWM) in bytes of `node ARGS`, and its exit status. */
function peakRssOf(args: string[], dir: string): { bytes: number; status: number | null; stderr: string } {
  const preload = join(dir, 'peak-rss.js');
  const out = join(dir, 'peak-rss.txt');
  writeFileSync(preload, `process.on('exit', () => { const m = /^VmHWM:\\s+(\\d+) kB/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8')); require('fs').writeFileSync(${JSON.stringify(out)}, m ? m[1] : ''); });\n`);
  writeFileSync(out, '');
  const r = spawnSync(process.execPath, ['--require', preload, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const kb = Number(readFileSync(out, 'utf8'));
  if (!kb) throw new Error(`peak RSS (VmHWM) not reported by node ${args.join(' ')}: exit ${r.status}, ${r.stderr.slice(-500)}`);
  return { bytes: kb * 1024, status: r.status, stderr: r.stderr };
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

export function rssBench(dist: string, files: { path: string; what: string }[]): RssOutcome {
  const rows: Row[] = [];
  const notes: string[] = [];
  const skipped: RssOutcome['skipped'] = [];
  const names = files.map(({ what }) => `criu-lens check peak RSS (${what})`);
  if (!existsSync('/proc/self/status')) {
    skipped.push(...names.map((name) => ({ name, reason: 'no /proc/self/status: peak RSS is read from its VmHWM (Linux only)' })));
    return { rows, notes, skipped };
  }
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-bench-'));
  try {
    const bare = peakRssOf(['-e', '0'], dir);
    notes.push(`rss: peak RSS is each process's own VmHWM (/proc/self/status at exit, Linux); Node alone (node -e 0) peaks at ${mb(bare.bytes)} MB, included in every figure; "net" is the figure without it`);
    files.forEach(({ path }, i) => {
      const r = peakRssOf([join(dist, 'cli.js'), 'check', '--format', 'json', path], dir);
      if (r.status !== 0 && r.status !== 1) notes.push(`rss: criu-lens check ${basename(path)} exited ${r.status}: ${r.stderr.slice(-300)}`);
      rows.push({
        name: names[i],
        figure: { value: r.bytes / 1e6, unit: 'MB', text: `${mb(r.bytes)} MB (net ${mb(r.bytes - bare.bytes)})` },
        baselineName: `the file's size (${basename(path)})`,
        baseline: { value: sizeMb(path), unit: 'MB' },
        target: ratioAtMost(4),
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, notes, skipped };
}
