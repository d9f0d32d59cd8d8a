/**
 * nftables benchmark: our parse (grammar, model, checks) of a generated kube-proxy-nftables-style
 * ruleset against `nft -c -f` on the same file, run inside a throw-away network namespace. Without
 * root, `ip netns` or `nft`, the row is skipped with the reason: never a made-up baseline.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNftables } from '../server/src/netfilter/nftables/build';
import { time } from './harness';
import type { BenchOutcome } from './iptables';
import { NetnsUnavailable, withBenchNetns } from './support';

const SERVICES = 2_000;

/**
 * An `inet` table as kube-proxy's nftables mode writes one: a service map dispatching to one chain
 * per service, each with a few rules that mark, count and jump to endpoint chains doing dnat.
 */
export function generateNftRuleset(services: number): { text: string; rules: number } {
  const out: string[] = ['table ip kube-proxy {', '\tmap service-ips {', '\t\ttype ipv4_addr . inet_proto . inet_service : verdict', '\t\telements = {'];
  const elements: string[] = [];
  for (let s = 0; s < services; s++) elements.push(`\t\t\t10.96.${s >> 8}.${s & 255} . tcp . ${1000 + (s % 60000)} : goto service-${s}`);
  out.push(elements.join(',\n'), '\t\t}', '\t}', '');
  out.push('\tchain nat-output {', '\t\ttype nat hook output priority -100; policy accept;', '\t\tip daddr . meta l4proto . th dport vmap @service-ips', '\t}', '');
  out.push('\tchain filter-output {', '\t\ttype filter hook output priority filter; policy accept;', '\t\tmeta mark & 0x00008000 == 0x00008000 counter packets 0 bytes 0 drop', '\t\tct state new jump mark-for-masquerade', '\t}', '');
  out.push('\tchain mark-for-masquerade {', '\t\tmeta mark set mark or 0x4000', '\t}', '');
  let rules = 5;
  for (let s = 0; s < services; s++) {
    out.push(`\tchain service-${s} {`, `\t\tip saddr != 10.244.0.0/16 ip daddr 10.96.${s >> 8}.${s & 255} tcp dport ${1000 + (s % 60000)} jump mark-for-masquerade`, `\t\tnumgen random mod 2 vmap { 0 : goto endpoint-${s}-a, 1 : goto endpoint-${s}-b }`, '\t}');
    for (const e of ['a', 'b']) out.push(`\tchain endpoint-${s}-${e} {`, `\t\tip saddr 10.244.${s >> 8}.${s & 255} jump mark-for-masquerade`, `\t\tmeta l4proto tcp counter packets 0 bytes 0 dnat to 10.244.${s >> 8}.${s & 255}:8080`, '\t}');
    rules += 6;
  }
  out.push('}', '');
  return { text: out.join('\n'), rules };
}

function unavailable(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (ip netns add)';
  const nft = spawnSync('nft', ['--version'], { encoding: 'utf8' });
  if (nft.error || nft.status !== 0) return '`nft` not found (Debian: apt-get install nftables)';
  return undefined;
}

function nftCheck(ns: string, path: string): { code: number; stderr: string } {
  const fd = openSync(path, 'r');
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-c', '-f', '-'], { stdio: [fd, 'ignore', 'pipe'], encoding: 'utf8' });
    return { code: r.status ?? -1, stderr: `${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
  } finally {
    closeSync(fd);
  }
}

export function nftablesParseBench(): BenchOutcome {
  const { text, rules } = generateNftRuleset(SERVICES);
  const name = `nftables: parse + checks (${rules.toLocaleString('en')} rules)`;
  const why = unavailable();
  if (why) return { skipped: { name, reason: `baseline nft -c -f: ${why}` } };
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-bench-'));
  try {
    const path = join(dir, 'kube-proxy.nft');
    writeFileSync(path, text);
    const notes: string[] = [];
    const errors = parseNftables(text).problems.filter((p) => p.severity === 'error');
    if (errors.length) notes.push(`parser reported ${errors.length} error(s), first: line ${errors[0].range.start.line + 1}: ${errors[0].message}`);
    const figure = time(() => parseNftables(readFileSync(path, 'utf8')));
    let baseline: ReturnType<typeof time> | string;
    try {
      baseline = withBenchNetns('criu-lens-bench', (ns) => {
        const check = nftCheck(ns, path);
        if (check.code !== 0) return `nft -c rejected the generated ruleset (exit ${check.code}): ${check.stderr.split('\n')[0]}`;
        return time(() => {
          const r = nftCheck(ns, path);
          if (r.code !== 0) throw new Error(`nft -c failed: ${r.stderr}`);
        });
      });
    } catch (e) {
      if (!(e instanceof NetnsUnavailable)) throw e;
      baseline = e.message;
    }
    if (typeof baseline === 'string') return { skipped: { name, reason: baseline } };
    return {
      row: { name, figure, baselineName: `\`nft -c -f file\` in a netns (${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB; process spawn included)`, baseline, units: { count: rules, name: 'rules' } },
      notes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
