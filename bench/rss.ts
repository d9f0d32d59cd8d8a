/**
 * Peak memory against file size. Issue target: peak RSS ≤ 4× the file size.
 *
 * `criu-lens check --format json FILE` runs as a user runs it, and reports its own peak resident
 * set (getrusage's ru_maxrss, through a preloaded module that writes it at exit), so nothing but the
 * CLI's own process is measured. Node's own footprint (the same measure of `node -e 0`) is a note:
 * it is a large part of the figure on small files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ratioAtMost, type Row } from './harness';
import { sizeMb } from './inputs';

export interface RssOutcome {
  rows: Row[];
  notes: string[];
}

/** Peak RSS in bytes of `node ARGS`, and its exit status. */
function peakRssOf(args: string[], dir: string): { bytes: number; status: number | null; stderr: string } {
  const preload = join(dir, 'peak-rss.js');
  const out = join(dir, 'peak-rss.txt');
  writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));\n`);
  writeFileSync(out, '');
  const r = spawnSync(process.execPath, ['--require', preload, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const kb = Number(readFileSync(out, 'utf8'));
  if (!kb) throw new Error(`peak RSS not reported by node ${args.join(' ')}: exit ${r.status}, ${r.stderr.slice(-500)}`);
  return { bytes: kb * 1024, status: r.status, stderr: r.stderr };
}

export function rssBench(dist: string, files: { path: string; what: string }[]): RssOutcome {
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-bench-'));
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    const bare = peakRssOf(['-e', '0'], dir);
    notes.push(`rss: Node alone (node -e 0) peaks at ${(bare.bytes / 1e6).toFixed(0)} MB, included in every CLI figure`);
    for (const { path, what } of files) {
      const r = peakRssOf([join(dist, 'cli.js'), 'check', '--format', 'json', path], dir);
      if (r.status !== 0 && r.status !== 1) notes.push(`rss: criu-lens check ${basename(path)} exited ${r.status}: ${r.stderr.slice(-300)}`);
      rows.push({
        name: `criu-lens check peak RSS (${what})`,
        figure: { value: r.bytes / 1e6, unit: 'MB' },
        baselineName: `the file's size (${basename(path)})`,
        baseline: { value: sizeMb(path), unit: 'MB' },
        target: ratioAtMost(4),
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, notes };
}
