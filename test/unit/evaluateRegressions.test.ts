/**
 * Evaluator regressions found by the kernel-oracle differential test (test/oracle/evaluatorDifferential.test.ts):
 * each case is one where the kernel (iptables-nft and iptables-legacy alike) gave a different verdict
 * from the evaluator, reduced by hand. The seed that found it is named in each test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';
import { evaluatePacket, type Evaluation } from '../../server/src/netfilter/evaluate/walk';
import { parsePacketSpec } from '../../server/src/netfilter/evaluate/packet';

function run(text: string, packet: string, path: 'local-out' | 'input' | 'forward' = 'local-out'): Evaluation {
  const ruleset = parseIptablesSave(text);
  assert.deepEqual(ruleset.problems.filter((p) => p.severity === 'error').map((p) => p.message), []);
  return evaluatePacket([{ doc: 'r', ruleset }], path, parsePacketSpec(packet));
}
const table = (name: string, chains: string[], ...rules: string[]) => [`*${name}`, ...chains.map((c) => `:${c}`), ...rules, 'COMMIT'].join('\n') + '\n';
const raw = (...rules: string[]) => table('raw', ['PREROUTING ACCEPT [0:0]', 'OUTPUT ACCEPT [0:0]'], ...rules);
const filter = (output: 'ACCEPT' | 'DROP', ...rules: string[]) => table('filter', ['INPUT ACCEPT [0:0]', 'FORWARD ACCEPT [0:0]', `OUTPUT ${output} [0:0]`, 'CRIU - [0:0]', 'SUB - [0:0]'], ...rules);
const culprits = (e: Evaluation) => e.culprits.map((c) => `${c.table}/${c.chain}/${c.rule}`);

const SYN = 'family=ipv4 proto=tcp src=127.0.0.1 sport=50600 dst=127.0.0.1 dport=443 flags=SYN mark=0x8000 oif=lo ct=new';

test('raw runs before conntrack: its conntrack/state matches see INVALID, whatever the state later tables see (seeds 1592590397, 1592590586, 1592590600)', () => {
  // seed 1592590397: `-m state --state INVALID -j RETURN` matched in raw OUTPUT, so the DROP after it was never reached.
  assert.equal(run(raw('-A OUTPUT -m state --state INVALID -j RETURN', '-A OUTPUT -j DROP'), SYN).verdict, 'accept');
  // seed 1592590586: with policy DROP, only a rule for INVALID saves the NEW packet.
  assert.equal(run(table('raw', ['PREROUTING ACCEPT [0:0]', 'OUTPUT DROP [0:0]'], '-A OUTPUT -m conntrack --ctstate RELATED,INVALID -j ACCEPT'), SYN).verdict, 'accept');
  // A rule for NEW never matches in raw…
  assert.equal(run(raw('-A OUTPUT -m conntrack --ctstate NEW -j DROP'), SYN).verdict, 'accept');
  // …but does from mangle on.
  const mangle = table('mangle', ['PREROUTING ACCEPT [0:0]', 'INPUT ACCEPT [0:0]', 'FORWARD ACCEPT [0:0]', 'OUTPUT ACCEPT [0:0]', 'POSTROUTING ACCEPT [0:0]'], '-A OUTPUT -m conntrack --ctstate NEW -j DROP');
  assert.deepEqual(culprits(run(raw('-A OUTPUT -m conntrack --ctstate NEW -j DROP') + mangle, SYN)), ['mangle/OUTPUT/1']);
  // After CT --notrack the raw table sees UNTRACKED.
  assert.equal(run(raw('-A OUTPUT -j CT --notrack', '-A OUTPUT -m conntrack --ctstate UNTRACKED -j DROP'), SYN).verdict, 'drop');
  // Also when the state is unknown: in raw OUTPUT it is INVALID regardless.
  assert.equal(run(raw('-A OUTPUT -m conntrack ! --ctstate INVALID -j DROP'), SYN.replace(' ct=new', '')).verdict, 'accept');
});

test('raw PREROUTING: INVALID for a packet from the wire; a packet looped back through lo keeps its entry', () => {
  const rules = raw('-A PREROUTING -m conntrack --ctstate ESTABLISHED -j DROP');
  const packet = 'family=ipv4 proto=tcp src=10.0.0.1 sport=5432 dst=10.0.0.2 dport=80 flags=ACK ct=established';
  assert.equal(run(rules, `${packet} iif=eth0`, 'input').verdict, 'accept');
  assert.equal(run(rules, `${packet} iif=eth0`, 'forward').verdict, 'accept');
  assert.equal(run(rules, `${packet} iif=lo`, 'input').verdict, 'drop');
  assert.equal(run(rules, packet, 'input').verdict, 'unknown', 'iif unknown: from the wire or looped back');
});

test('a chain entered by -g from a built-in chain ends with the built-in chain\'s policy (seed 1592590384)', () => {
  // seed 1592590384: filter OUTPUT policy DROP, `-A OUTPUT -g CRIU`, nothing in CRIU decides.
  const gone = run(filter('DROP', '-A OUTPUT -g CRIU', '-A CRIU -p udp -j ACCEPT', '-A CRIU -j MARK --or-mark 0xc114'), SYN);
  assert.equal(gone.verdict, 'drop');
  assert.deepEqual(culprits(gone), ['filter/OUTPUT/0']);
  assert.match(gone.trace[gone.trace.length - 1].action, /end of CRIU \(entered by goto\): OUTPUT policy DROP/);
  // RETURN from the chain gone to: the same underflow.
  assert.equal(run(filter('DROP', '-A OUTPUT -g CRIU', '-A CRIU -j RETURN', '-A CRIU -j ACCEPT'), SYN).verdict, 'drop');
  // Through a jump and then a goto: back to the rule after the jump, then the policy.
  assert.equal(run(filter('DROP', '-A OUTPUT -j SUB', '-A OUTPUT -j ACCEPT', '-A SUB -g CRIU', '-A CRIU -j RETURN'), SYN).verdict, 'accept');
  assert.equal(run(filter('ACCEPT', '-A OUTPUT -g CRIU', '-A CRIU -p udp -j DROP'), SYN).verdict, 'accept');
});

test('marks above 0x7fffffff are shown unsigned in the trace (seed 1592590600 printed "mark is now 0x-5fb41ef7")', () => {
  const e = run(filter('ACCEPT', '-A OUTPUT -j MARK --xor-mark 0xffff'), SYN.replace('mark=0x8000', 'mark=0xa04be109'));
  assert.ok(e.trace.some((t) => t.action === 'MARK: mark is now 0xa04b1ef6'), e.trace.map((t) => t.action).join(' | '));
});

test('--ctstate DNAT matches a connection whose destination DNAT rewrote (seed 1002428)', () => {
  const nat = (...rules: string[]) => table('nat', ['PREROUTING ACCEPT [0:0]', 'INPUT ACCEPT [0:0]', 'OUTPUT ACCEPT [0:0]', 'POSTROUTING ACCEPT [0:0]'], ...rules);
  const mangle = (...rules: string[]) => table('mangle', ['PREROUTING ACCEPT [0:0]', 'INPUT ACCEPT [0:0]', 'FORWARD ACCEPT [0:0]', 'OUTPUT ACCEPT [0:0]', 'POSTROUTING ACCEPT [0:0]'], ...rules);
  const udp = 'family=ipv4 proto=udp src=10.96.0.42 sport=22428 dst=10.1.0.2 dport=7594 mark=0xc114 oif=lo';
  // seed 1002428: nat OUTPUT DNATs 10.1.0.2 → 10.1.0.1; mangle POSTROUTING `! --ctstate DNAT -j DROP` must not drop.
  const dropUnlessDnat = mangle('-A POSTROUTING -m mark --mark 0x8000/0x8000 -m conntrack ! --ctstate DNAT -j DROP');
  assert.equal(run(nat('-A OUTPUT -o lo -j DNAT --to-destination 10.1.0.1') + dropUnlessDnat, `${udp} ct=new`).verdict, 'accept');
  assert.equal(run(nat() + dropUnlessDnat, `${udp} ct=new`).verdict, 'drop', 'without DNAT the rule drops');
  // The kernel marks the entry only when the tuple changes: DNAT to the same address (and port) is not DNAT.
  const dropDnat = filter('ACCEPT', '-A OUTPUT -m conntrack --ctstate DNAT -j DROP');
  assert.equal(run(nat('-A OUTPUT -p udp -j DNAT --to-destination 10.1.0.2') + dropDnat, `${udp} ct=new`).verdict, 'accept');
  assert.equal(run(nat('-A OUTPUT -p udp -j DNAT --to-destination 10.1.0.2:7594') + dropDnat, `${udp} ct=new`).verdict, 'accept');
  assert.equal(run(nat('-A OUTPUT -p udp -j DNAT --to-destination 10.1.0.2:7595') + dropDnat, `${udp} ct=new`).verdict, 'drop');
  // kubelet ≥ 1.27's KUBE-FIREWALL rule spares DNATed connections to 127.0.0.0/8.
  const kube = filter('ACCEPT', '-A OUTPUT ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP');
  assert.equal(run(nat('-A OUTPUT -d 10.1.0.2/32 -j DNAT --to-destination 127.0.0.1') + kube, `${udp} ct=new`).verdict, 'accept');
  // INVALID packets have no entry, so never DNAT; an existing entry's NAT status is unknown.
  assert.equal(run(dropDnat, `${udp} ct=invalid`).verdict, 'accept');
  assert.equal(run(dropDnat, `${udp} ct=established`).verdict, 'unknown');
});
