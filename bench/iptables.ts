/**
 * iptables-save benchmarks. The input is a generated kube-proxy-style dump (bench/generate/kubeDump.ts);
 * the baseline is the real `iptables-legacy-restore --test` on the same file, run inside a throw-away
 * network namespace that this module creates once and always deletes. Where that baseline cannot be
 * measured (not root, no `ip netns`, no iptables-legacy-restore), the row is skipped with the reason:
 * never a made-up baseline.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIptablesSave } from '../server/src/netfilter/iptables/ruleset';
import { generateKubeDump } from './generate/kubeDump';
import { ratioAtMost, time, timeCold, type Row, type Timing } from './harness';
import { NetnsUnavailable, withBenchNetns } from './support';

export type BenchOutcome = { row: Row; notes: string[] } | { skipped: { name: string; reason: string } };

const RULES = 100_000;
const BASELINE = 'iptables-legacy-restore';

/** Why the kernel-side baseline cannot run here, or undefined when it can. */
function baselineUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (ip netns add)';
  const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0) return '`ip` (iproute2) not found';
  const restore = spawnSync(BASELINE, ['-V'], { encoding: 'utf8' });
  if (restore.error || restore.status !== 0) return `\`${BASELINE}\` not found (Debian: apt-get install iptables)`;
  return undefined;
}


/** `iptables-legacy-restore --test < path` inside `ns`; the child reads the file itself. */
function restoreTest(ns: string, path: string): { code: number; stderr: string } {
  const fd = openSync(path, 'r');
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns, BASELINE, '--test'], { stdio: [fd, 'ignore', 'pipe'], encoding: 'utf8' });
    const why = r.error?.message ?? (r.signal ? `killed by ${r.signal}` : '');
    return { code: r.status ?? -1, stderr: `${r.stderr ?? ''}${why}`.trim() };
  } finally {
    closeSync(fd);
  }
}

/** Past this many rules one run of each side is measured: iptables-legacy-restore takes ~1 min on 700k. */
const ONE_RUN_ABOVE = 200_000;

/**
 * "iptables-save: parse + index (N rules)": our parser against iptables-legacy-restore --test.
 * Our figure is measured first, with no namespace yet: a long parse stays interruptible (Ctrl-C) and
 * leaves nothing behind. The namespace exists only while the baseline runs. `dumpPath`, when given,
 * is a file already holding generateKubeDump(rules).
 */
export function iptablesSaveParseBench(ruleCount = RULES, dumpPath?: string): BenchOutcome {
  const RULES = ruleCount; // the rule count of this run, below
  const big = ruleCount > ONE_RUN_ABOVE;
  const name = `iptables-save: parse + index (${RULES.toLocaleString('en')} rules)`;
  const unavailable = baselineUnavailable();
  if (unavailable) return { skipped: { name, reason: `baseline ${BASELINE} --test: ${unavailable}` } };

  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-bench-'));
  try {
    const path = dumpPath ?? join(dir, 'kube-proxy.rules');
    const text = dumpPath ? readFileSync(dumpPath, 'utf8') : generateKubeDump(RULES);
    if (!dumpPath) writeFileSync(path, text);
    const lineCount = text.split('\n').length - 1;
    const sizeMb = Buffer.byteLength(text) / 1e6;

    const notes: string[] = [];
    const ruleset = parseIptablesSave(readFileSync(path, 'utf8'));
    let rules = 0;
    for (const table of ruleset.tables) for (const chain of table.chains.values()) rules += chain.rules.length;
    if (rules !== RULES) notes.push(`parser found ${rules.toLocaleString('en')} rules, the dump holds ${RULES.toLocaleString('en')}`);
    const errors = ruleset.problems.filter((p) => p.severity === 'error');
    if (errors.length) notes.push(`parser reported ${errors.length} error(s) on a dump ${BASELINE} accepts, first: line ${errors[0].range.start.line + 1}: ${errors[0].message}`);
    const figure = big ? timeCold(() => parseIptablesSave(readFileSync(path, 'utf8')), 0, 2) : time(() => parseIptablesSave(readFileSync(path, 'utf8')));

    let baseline: Timing | string;
    try {
      baseline = withBenchNetns('criu-lens-bench', (ns) => {
        if (big) {
          // One run, which is also the check that the dump is accepted.
          let rejected: string | undefined;
          const once = timeCold(() => {
            const r = restoreTest(ns, path);
            if (r.code !== 0) rejected = `${BASELINE} --test rejected the generated dump (exit ${r.code}): ${r.stderr.split('\n')[0]}`;
          });
          return rejected ?? once;
        }
        const check = restoreTest(ns, path);
        if (check.code !== 0) return `${BASELINE} --test rejected the generated dump (exit ${check.code}): ${check.stderr.split('\n')[0]}`;
        return time(() => {
          const r = restoreTest(ns, path);
          if (r.code !== 0) throw new Error(`${BASELINE} --test failed (exit ${r.code}): ${r.stderr}`);
        });
      });
    } catch (e) {
      if (!(e instanceof NetnsUnavailable)) throw e;
      baseline = e.message;
    }
    if (typeof baseline === 'string') return { skipped: { name, reason: baseline } };
    return {
      row: {
        name,
        figure,
        baselineName: `\`${BASELINE} --test < file\` in a netns (${sizeMb.toFixed(1)} MB; process spawn included${big ? '; one run each' : ''})`,
        baseline,
        units: { count: lineCount, name: 'lines' },
        target: ratioAtMost(1.0),
      },
      notes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

