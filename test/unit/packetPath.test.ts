/**
 * The packet-path diagram model (server/src/diagram/packetPath.ts): hooks, stages in kernel
 * order, chain visits, rule states, the culprit, the mark as it changes, edges in the packet's
 * order, and folding (a 100k-rule dump draws only the path).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';
import { parsePacketSpec } from '../../server/src/netfilter/evaluate/packet';
import { evaluatePacket } from '../../server/src/netfilter/evaluate/walk';
import { diagramSteps, FOLD_MIN_RULES, packetPathDiagram, type PacketPathDiagram } from '../../server/src/diagram/packetPath';
import { generateKubeDump } from '../../bench/generate/kubeDump';
import { examplesDir } from '../support/paths';

const DOC = 'examples/iptables.rules';
const example = parseIptablesSave(readFileSync(join(examplesDir, 'iptables.rules'), 'utf8'));
const FIN = 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid';
const diagramOf = (spec: string, text?: string) => packetPathDiagram({ inputs: [{ doc: DOC, ruleset: text ? parseIptablesSave(text) : example }], path: 'local-out', packet: parsePacketSpec(spec) });

/** Every id an edge may name: visits, steps, and the verdict. */
function ids(d: PacketPathDiagram): Set<string> {
  return new Set(['verdict', ...d.hooks.flatMap((h) => h.stages.flatMap((s) => s.visits.flatMap((v) => [v.id, ...v.steps.map((x) => x.id)])))]);
}

test("CRIU's FIN on the example: hooks, stages in kernel order, chains entered, rule states, the culprit", () => {
  const d = diagramOf(FIN);
  assert.equal(d.verdict, 'drop');
  assert.match(d.verdictText, /EPERM/);
  assert.equal(d.packet, FIN);
  assert.equal(d.mark, '0xc114');
  assert.deepEqual(d.hooks.map((h) => h.name), ['OUTPUT', 'POSTROUTING']);
  assert.deepEqual(
    d.hooks.flatMap((h) => h.stages.map((s) => `${h.name}/${s.name}:${s.state}:${s.priority}`)),
    ['OUTPUT/raw:absent:-300', 'OUTPUT/mangle:passed:-150', 'OUTPUT/nat:skipped:-100', 'OUTPUT/filter:drop:0', 'OUTPUT/security:absent:50', 'POSTROUTING/mangle:not-reached:-150', 'POSTROUTING/nat:not-reached:100'],
  );
  const filter = d.hooks[0].stages[3];
  assert.equal(filter.mark, '0xc114');
  assert.deepEqual(filter.visits.map((v) => [v.chain, v.enteredBy, v.ruleCount, v.notReached]), [['OUTPUT', 'hook', 3, 0], ['KUBE-FIREWALL', 'jump', 2, 1]]);
  assert.deepEqual(filter.visits[0].steps.map((s) => [s.rule, s.state]), [[1, 'not-matched'], [2, 'not-matched'], [3, 'matched']]);
  // CRIU's own lock rule is drawn with its text: it does not match the marked FIN.
  assert.match(filter.visits[0].steps[0].text!, /-m mark ! --mark 0xc114 .*-j DROP$/);
  const drop = filter.visits[1].steps[0];
  assert.deepEqual([drop.rule, drop.state, drop.culprit, drop.action, drop.text, drop.comment], [1, 'matched', true, 'DROP', '-m mark --mark 0x8000/0x8000 -j DROP', 'kubernetes firewall for dropping marked packets']);
  assert.equal(drop.source.range.start.line, 75);
  assert.deepEqual(diagramSteps(d).filter((s) => s.culprit).map((s) => s.id), [drop.id], 'one culprit node');
  assert.deepEqual(d.culprits.map((c) => c.range.start.line), [75]);
  // Edges in the packet's order: mangle → nat → filter OUTPUT, the jump, the verdict.
  assert.deepEqual(d.edges.map((e) => `${e.kind}:${e.label}`), ['next:mangle done', 'next:not looked at', 'jump:jump KUBE-FIREWALL', 'verdict:drop']);
  assert.deepEqual(d.edges.slice(2).map((e) => [e.from, e.to]), [[filter.visits[0].steps[2].id, filter.visits[1].id], [drop.id, 'verdict']]);
  const known = ids(d);
  for (const e of d.edges) assert.ok(known.has(e.from) && known.has(e.to), `${e.from} → ${e.to}`);
});

test('MARK steps: the mark as it changes, seen by the stages after it', () => {
  // A new connection to a service from outside the pod network is marked for masquerading.
  const d = diagramOf('family=ipv4 proto=tcp src=192.168.10.21 sport=40000 dst=10.96.0.42 dport=5432 flags=SYN mark=0 oif=eth0 ct=new');
  const steps = diagramSteps(d);
  const marking = steps.filter((s) => s.mark !== undefined);
  assert.ok(marking.length >= 1);
  assert.equal(marking[0].mark, '0x4000');
  assert.match(marking[0].action, /^MARK: mark is now 0x4000/);
  const stage = (hook: string, name: string) => d.hooks.find((h) => h.name === hook)!.stages.find((s) => s.name === name)!;
  assert.equal(stage('OUTPUT', 'nat').mark, '0x0');
  assert.equal(stage('OUTPUT', 'filter').mark, '0x4000', 'filter sees the mark nat set');
  const nat = stage('OUTPUT', 'nat');
  assert.deepEqual(nat.visits.map((v) => `${v.enteredBy} ${v.chain}`).slice(0, 4), ['hook OUTPUT', 'jump KUBE-SERVICES', 'jump KUBE-SVC-Q3WNCZNZ5UBJ4HCL', 'jump KUBE-MARK-MASQ']);
  // After KUBE-MARK-MASQ ends, the caller is drawn again, entered by a return edge.
  assert.equal(nat.visits[4].enteredBy, 'return');
  assert.equal(nat.visits[4].chain, 'KUBE-SVC-Q3WNCZNZ5UBJ4HCL');
  assert.ok(d.edges.some((e) => e.kind === 'return' && e.label === 'back to KUBE-SVC-Q3WNCZNZ5UBJ4HCL'));
  assert.equal(d.verdict, 'accept');
  assert.equal(stage('POSTROUTING', 'nat').state, 'passed', 'an accepted packet reaches POSTROUTING');
});

test('unknown outcome: the rule that may drop is the culprit, its state unknown, the conditions kept', () => {
  // Not the connection CRIU's lock rule names (sport 5433), mark unknown.
  const d = diagramOf('family=ipv4 proto=tcp src=10.96.0.42 sport=5433 dst=192.168.10.21 dport=43512 flags=FIN,ACK oif=lo ct=invalid');
  assert.equal(d.verdict, 'unknown');
  assert.match(d.verdictText, /^UNKNOWN/);
  assert.ok(d.conditions.some((c) => /--mark 0x8000\/0x8000/.test(c)));
  const culprits = diagramSteps(d).filter((s) => s.culprit);
  assert.equal(culprits.length, 1);
  assert.equal(culprits[0].state, 'unknown');
  assert.equal(culprits[0].text, '-m mark --mark 0x8000/0x8000 -j DROP');
  assert.equal(d.hooks[0].stages.find((s) => s.name === 'filter')!.state, 'drop', 'the branch drawn ends at the culprit');
  assert.equal(d.mark, 'unknown');
  assert.equal(d.edges.at(-1)!.label, 'unknown');
});

test('accept outcome: every stage passed, no culprit, the verdict edge last', () => {
  const d = diagramOf('family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0 oif=lo ct=established');
  assert.equal(d.verdict, 'accept');
  assert.equal(d.culprits.length, 0);
  assert.ok(!diagramSteps(d).some((s) => s.culprit));
  assert.deepEqual(d.hooks.flatMap((h) => h.stages.filter((s) => s.state !== 'absent').map((s) => `${h.name}/${s.name}:${s.state}`)), [
    'OUTPUT/mangle:passed',
    'OUTPUT/nat:skipped',
    'OUTPUT/filter:passed',
    'POSTROUTING/mangle:passed',
    'POSTROUTING/nat:skipped',
  ]);
  const filter = d.hooks[0].stages.find((s) => s.name === 'filter')!;
  // KUBE-FIREWALL is entered and left at its end; OUTPUT goes on to its policy.
  assert.deepEqual(filter.visits.map((v) => `${v.enteredBy} ${v.chain}`), ['hook OUTPUT', 'jump KUBE-FIREWALL', 'return OUTPUT']);
  assert.equal(filter.visits[2].steps.at(-1)!.kind, 'policy');
  assert.deepEqual([d.edges.at(-1)!.kind, d.edges.at(-1)!.label], ['verdict', 'accept']);
});

test('folding: a run of rules that do not match is one node with its count; matches stay', () => {
  const rules = Array.from({ length: 10 }, (_, k) => `-A OUTPUT -d 10.0.${k}.1/32 -j ACCEPT`);
  const text = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -d 10.9.9.9/32 -j ACCEPT', '-A OUTPUT -d 10.9.9.8/32 -j ACCEPT', '-A OUTPUT -m mark --mark 0x1 -j MARK --set-mark 0x2', ...rules, '-A OUTPUT -j DROP', '-A OUTPUT -j ACCEPT', 'COMMIT', ''].join('\n');
  const d = diagramOf('family=ipv4 proto=tcp dst=192.0.2.1 mark=0x1', text);
  const visit = d.hooks[0].stages.find((s) => s.name === 'filter')!.visits[0];
  // Two non-matching rules (below FOLD_MIN_RULES) stay, the MARK rule, ten folded, the DROP.
  assert.ok(FOLD_MIN_RULES <= 10 && FOLD_MIN_RULES > 2);
  assert.deepEqual(visit.steps.map((s) => `${s.kind}:${s.rule}${s.to ? `-${s.to}:${s.count}` : ''}:${s.state}`), ['rule:1:not-matched', 'rule:2:not-matched', 'rule:3:matched', 'fold:4-13:10:not-matched', 'rule:14:matched']);
  assert.equal(visit.steps[2].mark, '0x2');
  assert.equal(visit.notReached, 1, 'the ACCEPT after the DROP is never reached');
  assert.equal(visit.steps[3].source.range.start.line, 7);
  assert.equal(visit.steps[3].source.range.end.line, 16);
});

test('a generated 100k-rule kube-proxy dump: only the path is drawn, folded counts add up', () => {
  const text = generateKubeDump(100_000, 5);
  const ruleset = parseIptablesSave(text);
  const lock = /^-A OUTPUT -s (\S+)\/32 -d (\S+)\/32 -p tcp -m mark ! --mark 0xc114 -m tcp --sport (\d+) --dport (\d+) -j DROP$/m.exec(text)!;
  const fin = `family=ipv4 proto=tcp src=${lock[2]} sport=${lock[4]} dst=${lock[1]} dport=${lock[3]} flags=FIN,ACK mark=0xc114 oif=lo`;
  const inputs = [{ doc: 'kube.rules', ruleset }];
  const packet = parsePacketSpec(fin);
  const evaluation = evaluatePacket(inputs, 'local-out', packet);
  const d = packetPathDiagram({ inputs, path: 'local-out', packet, evaluation });
  assert.equal(d.verdict, 'drop');
  const steps = diagramSteps(d);
  assert.ok(steps.length < 40, `${steps.length} nodes drawn`);
  const culprit = steps.filter((s) => s.culprit);
  assert.deepEqual(culprit.map((s) => s.text), ['-m mark --mark 0x8000/0x8000 -j DROP']);
  // Every rule of the trace is in exactly one node: folds count the runs, the rest one each.
  const traced = evaluation.trace.filter((t) => t.rule > 0).reduce((n, t) => n + (t.skipped ?? 1), 0);
  const drawn = steps.filter((s) => s.rule > 0).reduce((n, s) => n + (s.count ?? 1), 0);
  assert.equal(drawn, traced);
  const services = d.hooks[0].stages.find((s) => s.name === 'nat')!.visits.find((v) => v.chain === 'KUBE-SERVICES')!;
  const fold = services.steps.find((s) => s.kind === 'fold')!;
  assert.ok(fold.count! > 1000, `${fold.count} service rules folded`);
  assert.equal(fold.indexed, fold.count, 'passed over by the chain index, not read');
  assert.equal(fold.rule, 1);
  // Per visit, the rules drawn and those not reached never exceed the chain.
  for (const v of d.hooks.flatMap((h) => h.stages.flatMap((s) => s.visits))) {
    const covered = v.steps.filter((s) => s.rule > 0).reduce((n, s) => n + (s.count ?? 1), 0);
    assert.ok(covered + v.notReached <= v.ruleCount, `${v.chain}: ${covered} + ${v.notReached} > ${v.ruleCount}`);
  }
});

test('goto and a DROP policy: the chain gone to, then the policy as the culprit', () => {
  const text = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT DROP [0:0]', ':X - [0:0]', '-A OUTPUT -p tcp -g X', '-A OUTPUT -j ACCEPT', '-A X -p udp -j ACCEPT', 'COMMIT', ''].join('\n');
  const d = diagramOf('family=ipv4 proto=tcp', text);
  assert.equal(d.verdict, 'drop');
  const filter = d.hooks[0].stages.find((s) => s.name === 'filter')!;
  assert.deepEqual(filter.visits.map((v) => `${v.enteredBy} ${v.chain}`), ['hook OUTPUT', 'goto X', 'return OUTPUT']);
  // The goto left OUTPUT for good: its second rule is never reached.
  assert.equal(filter.visits[0].notReached, 1);
  const policy = filter.visits[2].steps[0];
  assert.deepEqual([policy.kind, policy.culprit, policy.action], ['policy', true, 'end of X (entered by goto): OUTPUT policy DROP']);
  assert.equal(policy.source.range.start.line, 3, "the policy's line");
  assert.deepEqual(d.edges.map((e) => e.kind), ['goto', 'return', 'verdict']);
});
