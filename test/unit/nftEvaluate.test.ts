import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNftables } from '../../server/src/netfilter/nftables/build';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';
import { evaluateRulesets, mixedStages, type AnyRulesetInput } from '../../server/src/netfilter/evaluate/nftWalk';
import type { Evaluation } from '../../server/src/netfilter/evaluate/walk';
import { parsePacketSpec } from '../../server/src/netfilter/evaluate/packet';
import { examplesDir } from '../support/paths';
import { diagramSteps, packetPathDiagram } from '../../server/src/diagram/packetPath';
import { renderDiagramSvg } from '../../server/src/diagram/svg';

const FIN = 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo';

function nft(text: string, doc = 'r.nft'): AnyRulesetInput {
  const ruleset = parseNftables(text);
  assert.deepEqual(ruleset.problems.filter((p) => p.severity === 'error').map((p) => p.message), []);
  return { doc, nft: ruleset };
}
function run(text: string, packet: string, path: 'local-out' | 'input' | 'forward' = 'local-out'): Evaluation {
  return evaluateRulesets([nft(text)], path, parsePacketSpec(packet));
}
const culprits = (e: Evaluation) => e.culprits.map((c) => `${c.table}/${c.chain}/${c.rule}`);
const out = (rules: string, policy = 'accept', prio = 'filter', family = 'ip', table = 't') => `table ${family} ${table} {\n chain o {\n  type filter hook output priority ${prio}; policy ${policy};\n${rules}\n }\n}\n`;

test('examples/nftables.rules: CRIU\'s inet table accepting the 0xC114 FIN does not protect it from ip filter KUBE-FIREWALL', () => {
  const input = nft(readFileSync(join(examplesDir, 'nftables.rules'), 'utf8'), 'nftables.rules');
  const e = evaluateRulesets([input], 'local-out', parsePacketSpec(`${FIN} ct=invalid`));
  assert.equal(e.verdict, 'drop');
  assert.deepEqual(culprits(e), ['ip filter/KUBE-FIREWALL/1']);
  const steps = e.trace.map((t) => `${t.table}/${t.chain}/${t.rule}:${t.match}`);
  assert.ok(steps.includes('ip filter/OUTPUT/1:no'), steps.join('\n'));
  // Both base chains are at priority filter: whichever the kernel registered first, the drop wins.
  const text = readFileSync(join(examplesDir, 'nftables.rules'), 'utf8');
  const at = text.indexOf('table inet CRIU-');
  const criuFirst = evaluateRulesets([nft(text.slice(at) + text.slice(0, at))], 'local-out', parsePacketSpec(`${FIN} ct=invalid`));
  assert.equal(criuFirst.verdict, 'drop');
  assert.deepEqual(culprits(criuFirst), ['ip filter/KUBE-FIREWALL/1']);
  const steps2 = criuFirst.trace.map((t) => `${t.table}/${t.chain}/${t.rule}:${t.match}`);
  assert.ok(steps2.includes('inet CRIU-5f3c9a2e-81d4-4b6e-9c/output/1:yes'), steps2.join('\n'));
  assert.ok(steps2.indexOf('inet CRIU-5f3c9a2e-81d4-4b6e-9c/output/1:yes') < steps2.indexOf('ip filter/KUBE-FIREWALL/1:yes'));
  const culprit = e.trace[e.trace.length - 1];
  assert.equal(readFileSync(join(examplesDir, 'nftables.rules'), 'utf8').split('\n')[culprit.range.start.line].trim().startsWith('meta mark & 0x00008000 == 0x00008000'), true);
  // An unmarked packet of the connection is dropped by CRIU's set instead.
  const plain = evaluateRulesets([input], 'local-out', parsePacketSpec(`${FIN.replace('mark=0xc114', 'mark=0')} ct=invalid`));
  assert.equal(plain.verdict, 'drop');
  assert.ok(culprits(plain).some((c) => c.startsWith('inet CRIU-') || c === 'ip filter/OUTPUT/1'), culprits(plain).join());
});

test('accept ends only its own base chain; a drop in a later base chain wins; priorities order the chains', () => {
  const text = out('meta mark 0xc114 accept', 'accept', '10', 'ip', 'a') + out('meta mark & 0x8000 == 0x8000 drop', 'accept', '-10', 'ip', 'b');
  const e = run(text, 'family=ipv4 mark=0xc114');
  assert.equal(e.verdict, 'drop');
  assert.deepEqual(e.trace.map((t) => t.table), ['ip b'], 'priority -10 runs before 10, and the drop ends everything');
  assert.equal(run(text, 'family=ipv4 mark=0x4000').verdict, 'accept');
  const stages = mixedStages([nft(text)], 'local-out', parsePacketSpec('family=ipv4'));
  assert.deepEqual(stages.map((s) => s.priority), [-10, 10]);
});

test('mark masks are three-valued: unknown bits give unknown, meta mark set changes later rules', () => {
  assert.equal(run(out('meta mark & 0x8000 == 0x8000 drop'), 'family=ipv4').verdict, 'unknown');
  assert.equal(run(out('meta mark & 0x8000 == 0x8000 drop'), 'family=ipv4 mark=0x7fff').verdict, 'accept');
  assert.equal(run(out('meta mark & 0x8000 != 0 drop'), 'family=ipv4 mark=0x8001').verdict, 'drop');
  assert.equal(run(out('meta mark set mark or 0x8000\n  meta mark & 0x8000 == 0x8000 drop'), 'family=ipv4').verdict, 'drop', 'the set bit is known');
  assert.equal(run(out('meta mark set 0x1\n  mark 0x1 drop'), 'family=ipv4 mark=0x5').verdict, 'drop');
  const e = run(out('meta mark 0x1 drop'), 'family=ipv4');
  assert.equal(e.verdict, 'unknown');
  assert.ok(e.conditions.some((c) => c.includes('meta mark 0x1')), e.conditions.join());
});

test('jump, goto, return and policies', () => {
  const t = `table ip t {\n chain o {\n  type filter hook output priority 0; policy drop;\n  jump a\n  goto b\n }\n chain a {\n  tcp dport 22 accept\n  return\n }\n chain b {\n  tcp dport 80 drop\n }\n}\n`;
  assert.equal(run(t, 'family=ipv4 proto=tcp dport=22').verdict, 'accept');
  const p = run(t, 'family=ipv4 proto=tcp dport=443');
  assert.equal(p.verdict, 'drop');
  assert.deepEqual(culprits(p), ['ip t/o/0'], 'the end of a goto chain is the base chain\'s policy');
  assert.deepEqual(culprits(run(t, 'family=ipv4 proto=tcp dport=80')), ['ip t/b/1']);
});

test('sets, concatenations, vmaps, prefixes, ct state, flags, interfaces', () => {
  const f = 'family=ipv4 proto=tcp src=10.0.0.1 sport=1000 dst=10.1.2.3 dport=22 flags=FIN,ACK ct=established oif=eth0';
  assert.equal(run(out('tcp dport { 22, 80 } drop'), f).verdict, 'drop');
  assert.equal(run(out('tcp dport != { 22, 80 } drop'), f).verdict, 'accept');
  assert.equal(run(out('ip daddr 10.1.0.0/16 drop'), f).verdict, 'drop');
  assert.equal(run(out('ip daddr 10.2.0.0/16 drop'), f).verdict, 'accept');
  assert.equal(run(out('ip saddr . tcp dport { 10.0.0.1 . 22 } drop'), f).verdict, 'drop');
  assert.equal(run(out('ct state established,related accept\n  drop'), f).verdict, 'accept');
  assert.equal(run(out('ct state new drop'), f).verdict, 'accept');
  assert.equal(run(out('tcp flags fin drop'), f).verdict, 'drop');
  assert.equal(run(out('tcp flags & (syn|ack) == syn drop'), f).verdict, 'accept');
  assert.equal(run(out('oifname "eth*" drop'), f).verdict, 'drop');
  assert.equal(run(out('iifname "lo" drop'), f).verdict, 'accept', 'no input device on local-out');
  assert.equal(run(out('tcp dport vmap { 22 : drop, 80 : accept }'), f).verdict, 'drop');
  assert.equal(run(out('udp dport 22 drop'), f).verdict, 'accept', 'udp dport needs l4proto udp');
  assert.equal(run(out('meta l4proto tcp drop'), f).verdict, 'drop');
  assert.equal(run(out('ct status dnat drop'), f.replace('ct=established', 'ct=new')).verdict, 'accept', 'a new connection is not NATed yet');
  assert.equal(run(out('ct status dnat drop'), f).verdict, 'unknown');
  assert.equal(run(out('ct status dnat drop'), f.replace('ct=established', 'ct=invalid')).verdict, 'accept', 'no entry: ct expressions do not match');
  const named = `table ip t {\n set s {\n  type ipv4_addr\n  elements = { 10.1.2.3 }\n }\n set e {\n  type ipv4_addr\n }\n chain o {\n  type filter hook output priority 0;\n  ip daddr @s drop\n }\n chain p {\n  type filter hook output priority 1;\n  ip daddr @e drop\n }\n}\n`;
  assert.deepEqual(culprits(run(named, f)), ['ip t/o/1']);
  const e = run(named, f.replace('10.1.2.3', '10.1.2.4'));
  assert.equal(e.verdict, 'unknown');
  assert.ok(e.conditions.some((c) => c.includes('@e')), e.conditions.join());
});

test('xt matches and statements that are not modelled are unknown with the reason', () => {
  const e = run(out('xt match "foo" drop'), 'family=ipv4');
  assert.equal(e.verdict, 'unknown');
  assert.ok(e.conditions.some((c) => c.includes('xt match')), e.conditions.join());
  assert.equal(run(out('limit rate 10/second drop'), 'family=ipv4').verdict, 'unknown');
});

test('ip and ip6 tables: with the family unknown, both are followed', () => {
  const text = out('drop', 'accept', '0', 'ip6', 'six');
  assert.equal(run(text, 'family=ipv4').verdict, 'accept');
  assert.equal(run(text, 'family=ipv6').verdict, 'drop');
  assert.equal(run(text, '').verdict, 'unknown');
});

test('iptables-legacy tables sit at their fixed priorities among nft base chains', () => {
  const legacy = parseIptablesSave('*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -m mark --mark 0x8000/0x8000 -j DROP\nCOMMIT\n');
  const n = nft(out('meta mark 0xc114 accept', 'accept', '-10', 'inet', 'CRIU'));
  const e = evaluateRulesets([n, { doc: 'legacy', ruleset: legacy }], 'local-out', parsePacketSpec('family=ipv4 mark=0xc114'));
  assert.equal(e.verdict, 'drop');
  assert.deepEqual(culprits(e), ['filter/OUTPUT/1']);
  assert.deepEqual(e.trace.map((t) => t.table), ['inet CRIU', 'filter', 'filter'].slice(0, e.trace.length));
  const stages = mixedStages([n, { doc: 'legacy', ruleset: legacy }], 'local-out', parsePacketSpec('family=ipv4'));
  assert.deepEqual(stages.map((s) => `${s.kind}:${s.priority}`), ['nft:-10', 'xtables:0']);
});

test('packet-path diagram of an nft ruleset: nft base chains by priority, the KUBE-FIREWALL culprit, CRIU\'s chain not reached', () => {
  const input = nft(readFileSync(join(examplesDir, 'nftables.rules'), 'utf8'), 'nftables.rules');
  const d = packetPathDiagram({ inputs: [input], path: 'local-out', packet: parsePacketSpec(`${FIN} ct=invalid`) });
  assert.equal(d.verdict, 'drop');
  const stages = d.hooks.flatMap((h) => h.stages.map((s) => `${h.name}:${s.kind}:${s.name}/${s.chain}@${s.priority}:${s.state}`));
  assert.deepEqual(stages, [
    'OUTPUT:nft-base-chain:ip mangle/OUTPUT@-150:passed',
    'OUTPUT:nft-base-chain:ip nat/OUTPUT@-100:skipped',
    'OUTPUT:nft-base-chain:ip filter/OUTPUT@0:drop',
    'OUTPUT:nft-base-chain:inet CRIU-5f3c9a2e-81d4-4b6e-9c/output@0:not-reached',
    'POSTROUTING:nft-base-chain:ip mangle/POSTROUTING@-150:not-reached',
    'POSTROUTING:nft-base-chain:ip nat/POSTROUTING@100:not-reached',
  ]);
  const culprit = diagramSteps(d).filter((s) => s.culprit);
  assert.equal(culprit.length, 1);
  assert.match(culprit[0].text ?? '', /^meta mark & 0x00008000 == 0x00008000/);
  const filter = d.hooks[0].stages[2];
  assert.deepEqual(filter.visits.map((v) => [v.chain, v.enteredBy]), [['OUTPUT', 'hook'], ['KUBE-FIREWALL', 'jump']]);
  const svg = renderDiagramSvg(d);
  assert.match(svg, /data-kind="nft-base-chain"/);
});

test('found by the kernel oracle: ct mark read without an entry stops the rule; postrouting chains before -200 see the entry; flag lists with masks', () => {
  // `meta mark set ct mark … drop` on an INVALID packet: no entry, the rule breaks before its drop.
  assert.equal(run(out('meta mark set ct mark counter drop'), 'family=ipv4 proto=tcp flags=FIN,ACK ct=invalid').verdict, 'accept');
  assert.equal(run(out('meta mark set ct mark counter drop'), 'family=ipv4 proto=tcp flags=SYN ct=new').verdict, 'drop');
  // Conntrack attaches the entry on output (-200): a postrouting chain at -250 still has it.
  const post = `table ip t {\n chain p {\n  type filter hook postrouting priority -250;\n  ct state new drop\n }\n}\n`;
  assert.equal(run(post, 'family=ipv4 proto=tcp flags=SYN ct=new').verdict, 'drop');
  assert.equal(run(out('ct state new drop', 'accept', '-250'), 'family=ipv4 proto=tcp flags=SYN ct=new').verdict, 'accept', 'on output before conntrack the packet has no entry: invalid');
  const fin = 'family=ipv4 proto=tcp flags=FIN,ACK';
  assert.equal(run(out('tcp flags fin,ack / fin,ack drop'), fin).verdict, 'drop');
  assert.equal(run(out('tcp flags syn / syn,ack drop'), fin).verdict, 'accept');
  assert.equal(run(out('tcp flags == fin|ack drop'), fin).verdict, 'drop');
  assert.equal(run(out('tcp flags == fin drop'), fin).verdict, 'accept');
  assert.equal(run(out('tcp flags & (syn|fin) == fin drop'), fin).verdict, 'drop');
  assert.equal(run(out('tcp flags & (syn|fin) == syn drop'), fin).verdict, 'accept');
});
