/**
 * Kernel-oracle differential test of the nftables evaluator (nftWalk.ts): for each seed, a random
 * nft ruleset (1–3 tables of family ip/inet, base chains on output/postrouting at distinct
 * priorities around the xtables ones, policies accept/drop, regular chains reached by jump/goto,
 * return/continue/accept/drop, meta mark matches with masks and `!=`, meta mark set, ct state,
 * tcp dport values/anonymous sets/named sets, ip saddr/daddr prefixes, concatenations, verdict
 * maps), loaded with `nft -f` into a throw-away network namespace, often together with an
 * iptables-nft dump (`table ip filter` OUTPUT with mark rules, at priority 0), and a packet shaped
 * like CRIU's FIN sent from a raw socket with SO_MARK (send-raw.py). The evaluator's local-out
 * verdict must equal the kernel's (sent = accept, EPERM = drop); `unknown` is a failure.
 *
 * Environment: LENS_NFT_ORACLE_PAIRS=N (default 150), LENS_NFT_ORACLE_SEED=S (first seed).
 * Needs root, `ip netns`, nft, iptables and python3; otherwise skipped with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { parseNftables } from '../../server/src/netfilter/nftables/build';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';
import { evaluateRulesets, type AnyRulesetInput } from '../../server/src/netfilter/evaluate/nftWalk';
import type { Evaluation } from '../../server/src/netfilter/evaluate/walk';
import { parsePacketSpec } from '../../server/src/netfilter/evaluate/packet';
import { iptablesRestore, nftAvailable, nftLoad, withNetns } from './netns';
import { findPython, Sender, SENDER } from './sender';
import { Rng } from '../support/rng';

const PAIRS = Number(process.env.LENS_NFT_ORACLE_PAIRS ?? 150);
const FIRST_SEED = Number(process.env.LENS_NFT_ORACLE_SEED ?? 0x0f7e0000);


const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const MARKS = [0xc114, 0x8000, 0x4000, 0xc000, 0x0100, 0x1, 0];
const MASKS = [0x8000, 0x4000, 0xc000, 0xffff, 0xff00, 0x1, 0xffffffff];
const DPORTS = [80, 443, 5432, 8080];
/** Distinct from the xtables priorities, so the order between an nft chain and iptables-nft's filter is fixed. */
const PRIORITIES = [-250, -160, -120, -10, 10, 30, 80, 150];

interface Case {
  seed: number;
  packet: { sport: number; dport: number; flags: 'FIN,ACK' | 'SYN'; mark: number; src: string; dst: string };
  nft: string;
  iptables?: string;
}

function genMatch(r: Rng, c: Case): string {
  switch (r.int(0, 13)) {
    case 10:
      return r.pick(['oifname "lo"', 'oifname != "eth*"', 'iifname "lo"', 'oif lo', 'meta oifname "l*"']);
    case 11:
      return r.pick(['tcp flags fin', 'tcp flags syn', 'tcp flags syn / syn,ack', 'tcp flags fin,ack / fin,ack', 'tcp flags == fin|ack', 'tcp flags & (syn|fin) == fin']);
    case 12:
      return r.pick(['ct mark 0x0', 'ct mark & 0x8000 == 0x8000', 'ct mark != 0x00000001', 'ct state untracked', 'ct status dnat']);
    case 13:
      return `th dport ${r.chance(0.5) ? c.packet.dport : r.pick(DPORTS)}`;
    case 0: {
      const mask = r.pick(MASKS);
      const value = r.chance(0.6) ? (c.packet.mark & mask) >>> 0 : (r.pick(MARKS) & mask) >>> 0;
      return `meta mark & ${hex(mask)} ${r.chance(0.3) ? '!=' : '=='} ${hex(value)}`;
    }
    case 1:
      return `meta mark ${r.chance(0.3) ? '!= ' : ''}${hex(r.chance(0.5) ? c.packet.mark : r.pick(MARKS))}`;
    case 2:
      return `ct state ${r.pick(['invalid', 'new', 'established,related', 'new,invalid'])}`;
    case 3:
      return `tcp dport ${r.chance(0.3) ? '!= ' : ''}${r.chance(0.5) ? c.packet.dport : r.pick(DPORTS)}`;
    case 4:
      return `tcp dport { ${[r.pick(DPORTS), r.pick(DPORTS)].join(', ')} }`;
    case 5:
      return `ip daddr ${r.pick(['127.0.0.0/8', '127.0.0.1', '127.0.0.2/32', '10.0.0.0/8'])}`;
    case 6:
      return `ip saddr ${r.chance(0.3) ? '!= ' : ''}${r.pick(['127.0.0.0/24', '127.0.0.2', '10.1.0.0/16'])}`;
    case 7:
      return `tcp dport @ports`;
    case 8:
      return `ip saddr . tcp dport { ${c.packet.src} . ${r.chance(0.5) ? c.packet.dport : r.pick(DPORTS)}, 10.9.9.9 . 80 }`;
    default:
      return 'meta l4proto tcp';
  }
}

function genRule(r: Rng, c: Case, targets: string[]): string {
  const parts: string[] = [];
  const n = r.int(0, 2);
  for (let k = 0; k < n; k++) parts.push(genMatch(r, c));
  // nft refuses udp beside a tcp match ("conflicting protocols"): only alone.
  const udp = n === 0 && r.chance(0.1);
  if (udp) parts.push('meta l4proto udp');
  if (r.chance(0.15)) parts.push(r.chance(0.5) ? `meta mark set ${hex(r.pick(MARKS))}` : `meta mark set mark or ${hex(r.pick([0x8000, 0x4000, 0xc114]))}`);
  else if (r.chance(0.05)) parts.push(r.pick(['ct mark set meta mark', 'meta mark set ct mark', `ct mark set ${hex(r.pick(MARKS))}`]));
  parts.push('counter');
  const v = r.int(0, 11);
  if (v <= 2) parts.push('accept');
  else if (v <= 5) parts.push('drop');
  else if (v === 6) parts.push('return');
  else if (v === 7) parts.push('continue');
  else if (v <= 9 && targets.length) parts.push(`${r.chance(0.7) ? 'jump' : 'goto'} ${r.pick(targets)}`);
  else if (v === 10 && !udp) parts.push(`tcp dport vmap { ${c.packet.dport} : ${r.pick(['accept', 'drop'])}, ${r.pick(DPORTS.filter((p) => p !== c.packet.dport))} : drop }`);
  return parts.join(' ');
}

export function generateCase(seed: number): Case {
  const r = new Rng(seed);
  const c: Case = {
    seed,
    packet: { sport: 20000 + (seed % 40000), dport: r.pick(DPORTS), flags: r.chance(0.7) ? 'FIN,ACK' : 'SYN', mark: r.chance(0.5) ? 0xc114 : r.pick(MARKS), src: '127.0.0.2', dst: '127.0.0.1' },
    nft: '',
  };
  const priorities = [...PRIORITIES].sort(() => r.next() - 0.5);
  const lines = ['flush ruleset'];
  const tables = r.int(1, 3);
  for (let t = 0; t < tables; t++) {
    const family = r.pick(['ip', 'inet']);
    lines.push(`table ${family} t${t} {`);
    lines.push(`\tset ports {\n\t\ttype inet_service\n\t\telements = { ${r.pick(DPORTS)}, ${r.pick(DPORTS)} }\n\t}`);
    // Regular chains: u1 may jump to u2 (never back), so there are no loops.
    const user = ['u1', 'u2'];
    for (const [k, name] of user.entries()) {
      const rules = Array.from({ length: r.int(0, 3) }, () => genRule(r, c, user.slice(k + 1)));
      lines.push(`\tchain ${name} {`, ...rules.map((x) => `\t\t${x}`), '\t}');
    }
    const bases = r.int(1, 2);
    for (let b = 0; b < bases; b++) {
      const hook = b === 1 && r.chance(0.5) ? 'postrouting' : 'output';
      const rules = Array.from({ length: r.int(1, 4) }, () => genRule(r, c, user));
      lines.push(`\tchain b${b} {`, `\t\ttype filter hook ${hook} priority ${priorities.pop()}; policy ${r.chance(0.2) ? 'drop' : 'accept'};`, ...rules.map((x) => `\t\t${x}`), '\t}');
    }
    lines.push('}');
  }
  c.nft = lines.join('\n') + '\n';
  if (r.chance(0.5)) {
    const mask = r.pick(MASKS);
    const rules = [`-A OUTPUT -m mark --mark ${hex(r.chance(0.6) ? (c.packet.mark & mask) >>> 0 : (r.pick(MARKS) & mask) >>> 0)}/${hex(mask)} -j ${r.pick(['DROP', 'ACCEPT', 'KUBE-FIREWALL'])}`];
    if (r.chance(0.5)) rules.unshift(`-A OUTPUT -p tcp --dport ${r.pick(DPORTS)} -j ${r.pick(['ACCEPT', 'DROP'])}`);
    c.iptables = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':KUBE-FIREWALL - [0:0]', ...rules, '-A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP', 'COMMIT', ''].join('\n');
  }
  return c;
}

const packetSpec = (c: Case) => `family=ipv4 proto=tcp src=${c.packet.src} sport=${c.packet.sport} dst=${c.packet.dst} dport=${c.packet.dport} flags=${c.packet.flags} mark=${hex(c.packet.mark)} oif=lo ct=${c.packet.flags === 'SYN' ? 'new' : 'invalid'}`;
const request = (c: Case) => `tcp ${c.packet.src} ${c.packet.sport} ${c.packet.dst} ${c.packet.dport} ${c.packet.flags} ${hex(c.packet.mark)}`;

function evaluate(c: Case): Evaluation {
  const inputs: AnyRulesetInput[] = [{ doc: `seed-${c.seed}.nft`, nft: parseNftables(c.nft) }];
  if (c.iptables) inputs.push({ doc: `seed-${c.seed}.rules`, ruleset: parseIptablesSave(c.iptables), backend: 'nft' });
  return evaluateRulesets(inputs, 'local-out', parsePacketSpec(packetSpec(c)));
}

/** What a case exercised, from the evaluator's trace (the kernel agreed on it). */
function covered(e: Evaluation, c: Case): Record<string, boolean> {
  const acts = e.trace.filter((t) => t.match !== 'no').map((t) => t.action);
  const model = parseNftables(c.nft);
  const texts = e.trace.filter((t) => t.match === 'yes' && t.rule > 0).map((t) => model.tables.find((x) => `${x.family} ${x.name}` === t.table)?.chains.get(t.chain)?.rules[t.rule - 1]?.text ?? '');
  return {
    'accept then drop in another base chain': e.verdict === 'drop' && acts.some((a) => a.startsWith('accept: ends')),
    goto: acts.some((a) => a.startsWith('goto ')),
    return: acts.some((a) => a.startsWith('return')),
    'mark set': acts.some((a) => a.startsWith('meta mark set')),
    'named set': texts.some((x) => x.includes('@ports')),
    vmap: texts.some((x) => x.includes('vmap')),
    'iptables-nft culprit': e.verdict === 'drop' && e.culprits.some((c) => c.table === 'filter'),
  };
}

function describe(c: Case, what: string, e?: Evaluation): string {
  return [
    `seed ${c.seed}: ${what}`,
    `    packet: ${packetSpec(c)}`,
    `    replay: LENS_NFT_ORACLE_SEED=${c.seed} LENS_NFT_ORACLE_PAIRS=1 node --test out/test/oracle/nftDifferential.test.js`,
    ...(e ? [`    evaluator: ${e.verdict}; culprits ${e.culprits.map((x) => `${x.table}/${x.chain}/${x.rule}`).join(', ') || 'none'}${e.conditions.length ? `; conditions ${e.conditions.join(' | ')}` : ''}`, ...e.trace.map((t) => `      ${t.table}/${t.chain} ${t.rule}: ${t.match} → ${t.action}`)] : []),
    '    nft:',
    ...c.nft.trimEnd().split('\n').map((l) => `      ${l}`),
    ...(c.iptables ? ['    iptables-nft:', ...c.iptables.trimEnd().split('\n').map((l) => `      ${l}`)] : []),
  ].join('\n');
}

test(`nft evaluator agrees with the kernel on ${PAIRS} random nft rulesets mixed with iptables-nft tables (local-out, raw socket with SO_MARK)`, async (t) => {
  const nft = nftAvailable();
  if (!nft.ok) return t.skip(nft.reason);
  const python = findPython();
  if (typeof python !== 'string') return t.skip(`kernel oracle unavailable: ${python.reason}`);
  if (!existsSync(SENDER)) return t.skip(`kernel oracle unavailable: ${SENDER} not found`);
  const failures: string[] = [];
  const kernel = { drop: 0, accept: 0 };
  let mixed = 0;
  const coverage: Record<string, number> = {};
  const started = performance.now();
  await withNetns(async (ns) => {
    const sender = new Sender(ns, python);
    try {
      for (let k = 0; k < PAIRS; k++) {
        const c = generateCase(FIRST_SEED + k);
        const loaded = nftLoad(ns, c.nft);
        if (loaded.code !== 0) {
          failures.push(describe(c, `generator bug: nft -f rejected the ruleset: ${loaded.stderr.trim()}`));
          continue;
        }
        if (c.iptables) {
          mixed++;
          const r = iptablesRestore(ns, c.iptables);
          if (r.code !== 0) {
            failures.push(describe(c, `generator bug: iptables-restore rejected the dump: ${r.stderr.trim()}`));
            continue;
          }
        }
        const answer = await sender.send(request(c));
        const verdict = answer === 'sent' ? 'accept' : answer === 'EPERM' ? 'drop' : undefined;
        const e = evaluate(c);
        if (!verdict) {
          failures.push(describe(c, `the kernel answered "${answer}"`, e));
          continue;
        }
        kernel[verdict]++;
        for (const [what, seen] of Object.entries(covered(e, c))) if (seen) coverage[what] = (coverage[what] ?? 0) + 1;
        const problems = parseNftables(c.nft).problems.filter((p) => p.severity === 'error');
        if (problems.length) failures.push(describe(c, `the parser reports errors on a ruleset nft loaded: ${problems.map((p) => p.message).join('; ')}`));
        if (e.verdict !== verdict) failures.push(describe(c, `kernel ${verdict}, evaluator ${e.verdict}`, e));
      }
    } finally {
      await sender.close();
    }
  });
  t.diagnostic(`${PAIRS} cases in ${((performance.now() - started) / 1000).toFixed(1)} s (seeds ${FIRST_SEED}…${FIRST_SEED + PAIRS - 1}); ${mixed} with iptables-nft tables; kernel dropped ${kernel.drop}, sent ${kernel.accept}`);
  t.diagnostic(`covered: ${JSON.stringify(coverage)}`);
  if (PAIRS >= 100) for (const what of ['accept then drop in another base chain', 'goto', 'return', 'mark set', 'named set', 'vmap', 'iptables-nft culprit']) assert.ok((coverage[what] ?? 0) > 0, `no case covers ${what}`);
  assert.ok(PAIRS < 50 || (kernel.drop > PAIRS / 10 && kernel.accept > PAIRS / 10), `the generator is lopsided: ${kernel.drop} drops, ${kernel.accept} sent`);
  assert.equal(failures.length, 0, `${failures.length} of ${PAIRS} cases fail:\n${failures.map((f) => f.split('\n')[0]).join('\n')}\n\nThe first in full:\n\n${failures.slice(0, 3).join('\n\n')}`);
});
