/**
 * The chain index (server/src/netfilter/evaluate/chainIndex.ts) must change nothing but speed:
 * on seeded random rulesets with long chains, and on a kube-proxy dump, every packet (fields
 * known, unknown, or partly known) gets the same verdict, culprits, conditions and branches with
 * and without the index, and the indexed trace, with each summarised run of skipped rules written
 * out rule by rule, is the rule-by-rule trace exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';
import type { IptablesRuleset } from '../../server/src/netfilter/iptables/model';
import { evaluatePacket, type Evaluation, type TraceStep } from '../../server/src/netfilter/evaluate/walk';
import { parsePacketSpec, type Path } from '../../server/src/netfilter/evaluate/packet';
import { candidates, chainIndex, MIN_INDEXED_RULES } from '../../server/src/netfilter/evaluate/chainIndex';
import { traceReport } from '../../server/src/netfilter/evaluate/report';
import { generateKubeDump } from '../../bench/generate/kubeDump';
import { Rng } from '../support/rng';


const ADDRESSES = ['10.96.0.1', '10.96.0.2', '10.96.1.7', '10.244.3.4', '192.168.10.21', '127.0.0.1'];
const PORTS = [80, 443, 5432, 8080, 43512, 30001];

function ruleText(r: Rng, chain: string, callees: string[], nat: boolean): string {
  const parts = [`-A ${chain}`];
  const neg = () => (r.chance(0.15) ? '! ' : '');
  if (r.chance(0.55)) parts.push(`${neg()}-d ${r.pick(ADDRESSES)}/${r.pick([32, 32, 32, 24, 16, 8])}`);
  if (r.chance(0.2)) parts.push(`${neg()}-s ${r.pick(ADDRESSES)}/${r.pick([32, 24, 8])}`);
  const proto = r.pick([undefined, 'tcp', 'tcp', 'udp', 'icmp', '!tcp']);
  if (proto) parts.push(proto.startsWith('!') ? `! -p ${proto.slice(1)}` : `-p ${proto}`);
  if (proto === 'tcp' || proto === 'udp') {
    const port = r.pick(PORTS);
    const dport = r.pick([`--dport ${port}`, `--dport ${port}`, `! --dport ${port}`, `--dport ${port - 10}:${port + 10}`, '']);
    const sport = r.chance(0.15) ? `--sport ${r.int(1, 2000)}:${r.int(2001, 65535)}` : '';
    if (dport || sport) parts.push(`-m ${proto} ${[sport, dport].filter(Boolean).join(' ')}`);
  }
  if (r.chance(0.25)) parts.push(`-m mark ${neg()}--mark ${r.pick(['0x8000/0x8000', '0xc114', '0x4000/0x4000'])}`);
  if (r.chance(0.1)) parts.push(`-m conntrack --ctstate ${r.pick(['NEW', 'INVALID', 'ESTABLISHED,RELATED'])}`);
  if (r.chance(0.05)) parts.push('-m statistic --mode random --probability 0.5');
  const targets = ['', '-j MARK --or-mark 0x8000', '-j MARK --set-xmark 0x0/0x8000', '-j RETURN', '-j ACCEPT'];
  if (!nat) targets.push('-j DROP', '-j DROP');
  if (nat) targets.push(`-j DNAT --to-destination ${r.pick(ADDRESSES)}:${r.pick(PORTS)}`);
  if (callees.length) targets.push(`-j ${r.pick(callees)}`, `-g ${r.pick(callees)}`);
  const target = r.pick(targets);
  if (target) parts.push(target);
  return parts.join(' ');
}

/** A ruleset with long chains in filter and nat OUTPUT (up to ~150 rules each). */
function randomRuleset(seed: number): string {
  const r = new Rng(seed);
  const out: string[] = [];
  for (const [table, nat] of [['nat', true], ['filter', false]] as const) {
    const builtins = table === 'nat' ? ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'] : ['INPUT', 'FORWARD', 'OUTPUT'];
    out.push(`*${table}`, ...builtins.map((c) => `:${c} ${!nat && c === 'OUTPUT' && r.chance(0.2) ? 'DROP' : 'ACCEPT'} [0:0]`), ':LONG - [0:0]', ':SHORT - [0:0]', ':TAIL - [0:0]');
    for (let k = r.int(0, 40); k > 0; k--) out.push(ruleText(r, 'OUTPUT', ['LONG', 'SHORT'], nat));
    out.push(`-A OUTPUT -j LONG`);
    for (let k = r.int(MIN_INDEXED_RULES, 150); k > 0; k--) out.push(ruleText(r, 'LONG', ['SHORT', 'TAIL'], nat));
    for (let k = r.int(0, 5); k > 0; k--) out.push(ruleText(r, 'SHORT', ['TAIL'], nat));
    for (let k = r.int(MIN_INDEXED_RULES, 60); k > 0; k--) out.push(ruleText(r, 'TAIL', [], nat));
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

function randomPacket(r: Rng): string {
  const fields = [
    'family=ipv4',
    r.chance(0.8) ? `proto=${r.pick(['tcp', 'tcp', 'udp', 'icmp'])}` : '',
    r.chance(0.8) ? `src=${r.pick(ADDRESSES)}` : '',
    r.chance(0.8) ? `dst=${r.pick(ADDRESSES)}` : '',
    r.chance(0.8) ? `sport=${r.int(1, 65535)}` : '',
    r.chance(0.8) ? `dport=${r.chance(0.7) ? r.pick(PORTS) : r.int(1, 65535)}` : '',
    r.chance(0.7) ? `mark=${r.pick(['0xc114', '0', '0x8000'])}` : '',
    r.chance(0.5) ? `ct=${r.pick(['new', 'invalid', 'established'])}` : '',
    'oif=lo',
  ];
  return fields.filter(Boolean).join(' ');
}

/** The indexed trace with each summarised run written out as the rule-by-rule walk writes it. */
function expand(ruleset: IptablesRuleset, trace: readonly TraceStep[]): TraceStep[] {
  return trace.flatMap((t) => {
    if (!t.skipped) return [t];
    const chain = ruleset.tables.find((x) => x.name === t.table)!.chains.get(t.chain)!;
    return chain.rules.slice(t.rule - 1, t.rule - 1 + t.skipped).map((rule) => ({ doc: t.doc, range: rule.range, table: t.table, chain: t.chain, rule: rule.index, match: 'no' as const, action: 'no match: next rule' }));
  });
}

function compare(ruleset: IptablesRuleset, packet: string, path: Path, what: string, minRules?: number): Evaluation {
  const inputs = [{ doc: 'r', ruleset }];
  const p = parsePacketSpec(packet);
  const linear = evaluatePacket(inputs, path, p, { index: false });
  const indexed = evaluatePacket(inputs, path, p, minRules === undefined ? {} : { index: { minRules } });
  const at = `${what}, packet "${packet}", path ${path}`;
  assert.equal(indexed.verdict, linear.verdict, at);
  assert.deepEqual(indexed.culprits, linear.culprits, at);
  assert.deepEqual(indexed.conditions, linear.conditions, at);
  assert.equal(indexed.branches, linear.branches, at);
  assert.deepEqual(expand(ruleset, indexed.trace), linear.trace, at);
  return indexed;
}

test('the index changes no verdict, culprit, condition or trace on 40 random rulesets with long chains', () => {
  let summarised = 0;
  let steps = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const text = randomRuleset(seed);
    const ruleset = parseIptablesSave(text);
    assert.deepEqual(ruleset.problems.filter((p) => p.severity === 'error').map((p) => p.message), [], `seed ${seed}`);
    const r = new Rng(seed * 7919);
    for (let k = 0; k < 25; k++) {
      const e = compare(ruleset, randomPacket(r), r.pick(['local-out', 'local-out', 'input', 'forward'] as const), `seed ${seed}`);
      summarised += e.trace.filter((t) => t.skipped).length;
      steps += e.trace.length;
      // Indexing every chain, however short, must not change anything either.
      compare(ruleset, randomPacket(r), 'local-out', `seed ${seed}, every chain indexed`, 1);
    }
  }
  // The index was used: runs were skipped and summarised.
  assert.ok(summarised > 100, `only ${summarised} summarised runs in ${steps} steps`);
});

test('the index on a kube-proxy dump: KUBE-SERVICES is skipped, not walked, and nothing else changes', () => {
  const text = generateKubeDump(6000, 3);
  const ruleset = parseIptablesSave(text);
  const lock = /^-A OUTPUT -s (\S+)\/32 -d (\S+)\/32 -p tcp -m mark ! --mark 0xc114 -m tcp --sport (\d+) --dport (\d+) -j DROP$/m.exec(text)!;
  const services = [...text.matchAll(/^-A KUBE-SERVICES -d (\S+)\/32 -p (tcp|udp) .*--dport (\d+) -j KUBE-SVC-/gm)];
  const fin = `family=ipv4 proto=tcp src=${lock[2]} sport=${lock[4]} dst=${lock[1]} dport=${lock[3]} flags=FIN,ACK mark=0xc114 oif=lo`;
  const e = compare(ruleset, fin, 'local-out', 'CRIU FIN, ct unknown');
  assert.equal(e.verdict, 'drop');
  assert.deepEqual(e.culprits.map((c) => `${c.table}/${c.chain}/${c.rule}`), ['filter/KUBE-FIREWALL/1']);
  const nat = ruleset.tables.find((t) => t.name === 'nat')!.chains.get('KUBE-SERVICES')!;
  const skip = e.trace.find((t) => t.table === 'nat' && t.chain === 'KUBE-SERVICES' && t.skipped);
  assert.ok(skip, 'the nat KUBE-SERVICES rules are summarised');
  assert.equal(skip.rule, 1);
  assert.equal(skip.skipped, nat.rules.length - 1, 'every service rule is skipped; the last (addrtype) rule is walked');
  assert.match(skip.action, new RegExp(`^no match: rules 1–${nat.rules.length - 1} skipped \\(${nat.rules.length - 1} rules: destination ${lock[1].replace(/\./g, '\\.')} is outside their -d\\)$`));
  assert.deepEqual(skip.range.start, nat.rules[0].range.start);
  assert.deepEqual(skip.range.end, nat.rules[nat.rules.length - 2].range.end);
  assert.ok(e.trace.length < 40, `${e.trace.length} steps`);
  // The JSON report carries the count, additively.
  const json = traceReport(e).trace.find((t) => 'skipped' in t);
  assert.equal(json && (json as { skipped: number }).skipped, nat.rules.length - 1);
  assert.equal(traceReport(e).trace.filter((t) => 'skipped' in t).length, e.trace.filter((t) => t.skipped).length);

  compare(ruleset, `${fin} ct=invalid`, 'local-out', 'CRIU FIN, ct INVALID');
  const r = new Rng(11);
  for (let k = 0; k < 40; k++) {
    const s = services[r.int(0, services.length - 1)];
    compare(ruleset, `family=ipv4 proto=${s[2]} src=10.244.${r.int(0, 255)}.${r.int(2, 254)} sport=${20000 + k} dst=${s[1]} dport=${s[3]}${s[2] === 'tcp' ? ' flags=SYN' : ''} mark=0 oif=lo ct=new`, 'local-out', 'new service connection');
    compare(ruleset, randomPacket(r).replace(/dst=\S+/, `dst=${s[1]}`), r.pick(['local-out', 'input', 'forward'] as const), 'varied');
  }
});

test('candidates: a known destination keeps only rules whose -d covers it, plus the rules without a key, in order', () => {
  const rules = Array.from({ length: 40 }, (_, k) => `-A OUTPUT -d 10.0.${k}.1/32 -j ACCEPT`);
  rules.splice(10, 0, '-A OUTPUT -d 10.0.0.0/16 -j RETURN', '-A OUTPUT ! -d 10.0.5.1/32 -j RETURN', '-A OUTPUT -p udp -j RETURN', '-A OUTPUT -p tcp --dport 80 -j RETURN');
  const ruleset = parseIptablesSave(['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...rules, 'COMMIT', ''].join('\n'));
  const chain = ruleset.tables[0].chains.get('OUTPUT')!;
  assert.ok(chainIndex(chain));
  const positions = (spec: string) => candidates(chain, parsePacketSpec(spec)).positions;
  // 10.0.7.1/32 is rule position 7+1 (after the four inserted at 10: 7 stays 7); the /16, the negated -d.
  assert.deepEqual(positions('dst=10.0.7.1 proto=tcp dport=443'), [7, 10, 11]);
  assert.deepEqual(positions('dst=10.0.7.1 proto=udp'), [7, 10, 11, 12, 13], 'the port rule stays: the destination port is unknown');
  // Destination port unknown: the --dport rule stays.
  assert.deepEqual(positions('dst=10.0.7.1 proto=tcp'), [7, 10, 11, 13]);
  // Nothing known that the index reads: every rule (no list).
  assert.equal(positions('mark=0xc114'), undefined);
  // The destination unknown: every -d rule stays, the udp rule goes for tcp.
  assert.equal(positions('proto=tcp dport=80')!.length, 43);
});
