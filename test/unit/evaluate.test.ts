import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';
import { evaluatePacket, type Evaluation } from '../../server/src/netfilter/evaluate/walk';
import { parsePacketSpec, stateWithoutEntry } from '../../server/src/netfilter/evaluate/packet';
import { criuFinPacket } from '../../server/src/netfilter/evaluate/criuFin';
import { examplesDir } from '../support/paths';

const FIN = 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo';

function run(text: string, packet: string, path: 'local-out' | 'input' | 'forward' = 'local-out'): Evaluation {
  const ruleset = parseIptablesSave(text);
  assert.deepEqual(ruleset.problems.filter((p) => p.severity === 'error').map((p) => p.message), []);
  return evaluatePacket([{ doc: 'r', ruleset }], path, parsePacketSpec(packet));
}
const table = (name: string, chains: string[], ...rules: string[]) => [`*${name}`, ...chains.map((c) => `:${c}`), ...rules, 'COMMIT'].join('\n') + '\n';
const filter = (...rules: string[]) => table('filter', ['INPUT ACCEPT [0:0]', 'FORWARD ACCEPT [0:0]', 'OUTPUT ACCEPT [0:0]', 'KUBE-FIREWALL - [0:0]', 'CRIU - [0:0]', 'SUB - [0:0]', 'SUB2 - [0:0]'], ...rules);
const culprits = (e: Evaluation) => e.culprits.map((c) => `${c.table}/${c.chain}/${c.rule}`);

test('the seed scenario: OUTPUT -j KUBE-FIREWALL drops the 0xC114-marked FIN, CRIU\'s lock rule does not save it', () => {
  const ruleset = parseIptablesSave(readFileSync(join(examplesDir, 'iptables.rules'), 'utf8'));
  const e = evaluatePacket([{ doc: 'iptables.rules', ruleset }], 'local-out', parsePacketSpec(`${FIN} ct=invalid`));
  assert.equal(e.verdict, 'drop');
  assert.deepEqual(culprits(e), ['filter/KUBE-FIREWALL/1']);
  const steps = e.trace.map((t) => `${t.table}/${t.chain}/${t.rule}:${t.match}`);
  assert.ok(steps.includes('filter/OUTPUT/1:no'), 'CRIU\'s own lock rule does not match the marked packet');
  assert.ok(steps.includes('filter/OUTPUT/3:yes'));
  assert.equal(steps[steps.length - 1], 'filter/KUBE-FIREWALL/1:yes');
  assert.equal(e.trace[e.trace.length - 1].range.start.line, 75);
});

test("CRIU's lock rules and CRIU chain do not drop the marked packet; the same packet unmarked is dropped", () => {
  const rules = filter(
    '-A OUTPUT -s 10.96.0.42/32 -d 192.168.10.21/32 -p tcp -m mark ! --mark 0xc114 -m tcp --sport 5432 --dport 43512 -j DROP',
    '-A OUTPUT -j CRIU',
    '-A CRIU -m mark --mark 0xc114 -j ACCEPT',
    '-A CRIU -j DROP',
  );
  assert.equal(run(rules, `${FIN} ct=invalid`).verdict, 'accept');
  const unmarked = run(rules, FIN.replace('mark=0xc114', 'mark=0') + ' ct=invalid');
  assert.equal(unmarked.verdict, 'drop');
  assert.deepEqual(culprits(unmarked), ['filter/OUTPUT/1']);
});

test('ACCEPT in an earlier table does not save the packet from a later DROP', () => {
  const text = table('mangle', ['PREROUTING ACCEPT [0:0]', 'INPUT ACCEPT [0:0]', 'FORWARD ACCEPT [0:0]', 'OUTPUT ACCEPT [0:0]', 'POSTROUTING ACCEPT [0:0]'], '-A OUTPUT -j ACCEPT') +
    filter('-A OUTPUT -m mark --mark 0x8000/0x8000 -j DROP');
  const e = run(text, `${FIN} ct=invalid`);
  assert.equal(e.verdict, 'drop');
  assert.deepEqual(culprits(e), ['filter/OUTPUT/1']);
  assert.ok(e.trace.some((t) => t.table === 'mangle' && /ACCEPT: ends the mangle table/.test(t.action)));
});

test('a mark rewritten by MARK before the check decides the verdict', () => {
  const text = table('mangle', ['PREROUTING ACCEPT [0:0]', 'INPUT ACCEPT [0:0]', 'FORWARD ACCEPT [0:0]', 'OUTPUT ACCEPT [0:0]', 'POSTROUTING ACCEPT [0:0]'], '-A OUTPUT -j MARK --set-xmark 0x0/0x8000') +
    filter('-A OUTPUT -m mark --mark 0x8000/0x8000 -j DROP');
  assert.equal(run(text, `${FIN} ct=invalid`).verdict, 'accept', 'the 0x8000 bit was cleared in mangle');
  const or = filter('-A OUTPUT -j MARK --or-mark 0x8000', '-A OUTPUT -m mark --mark 0x8000/0x8000 -j DROP');
  assert.equal(run(or, 'proto=tcp mark=0x1 ct=new').verdict, 'drop');
  assert.equal(run(or, 'proto=tcp ct=new').verdict, 'drop', 'an unknown mark with the bit set by MARK is known where it matters');
});

test('goto vs jump: RETURN from a chain entered by goto returns to the last jump', () => {
  // OUTPUT -j SUB; SUB -g SUB2; SUB2 RETURNs: back to OUTPUT's next rule, skipping the rest of SUB.
  const text = filter('-A OUTPUT -j SUB', '-A OUTPUT -j DROP', '-A SUB -g SUB2', '-A SUB -j ACCEPT', '-A SUB2 -j RETURN');
  const e = run(text, 'proto=tcp ct=new');
  assert.equal(e.verdict, 'drop');
  assert.deepEqual(culprits(e), ['filter/OUTPUT/2']);
  const jumped = filter('-A OUTPUT -j SUB', '-A OUTPUT -j DROP', '-A SUB -j SUB2', '-A SUB -j ACCEPT', '-A SUB2 -j RETURN');
  assert.equal(run(jumped, 'proto=tcp ct=new').verdict, 'accept', 'after a jump, RETURN comes back into SUB, which accepts');
});

test('REJECT drops; policies decide at the end of a built-in chain', () => {
  assert.deepEqual(culprits(run(filter('-A OUTPUT -p tcp -j REJECT --reject-with tcp-reset'), 'proto=tcp ct=new')), ['filter/OUTPUT/1']);
  const policy = run(table('filter', ['INPUT ACCEPT [0:0]', 'FORWARD ACCEPT [0:0]', 'OUTPUT DROP [0:0]']), 'proto=tcp ct=new');
  assert.equal(policy.verdict, 'drop');
  assert.deepEqual(culprits(policy), ['filter/OUTPUT/0']);
});

test('unknown fields give unknown with the right culprits and conditions', () => {
  const e = run(filter('-A OUTPUT -j KUBE-FIREWALL', '-A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP', '-A OUTPUT -p udp -j DROP'), 'proto=tcp ct=new');
  assert.equal(e.verdict, 'unknown');
  assert.deepEqual(culprits(e), ['filter/KUBE-FIREWALL/1']);
  assert.ok(e.conditions.some((c) => /--mark 0x8000\/0x8000/.test(c)), e.conditions.join(' | '));
  const known = run(filter('-A OUTPUT -m mark --mark 0x8000/0x8000 -j DROP'), 'proto=tcp ct=new mark=0x4000');
  assert.equal(known.verdict, 'accept');
});

test('nat sees only new connections; with the state unknown both are followed', () => {
  const text = table('nat', ['PREROUTING ACCEPT [0:0]', 'INPUT ACCEPT [0:0]', 'OUTPUT ACCEPT [0:0]', 'POSTROUTING ACCEPT [0:0]'], '-A OUTPUT -p tcp -j DNAT --to-destination 10.0.0.9:80') +
    filter('-A OUTPUT -d 10.0.0.9/32 -j DROP');
  assert.equal(run(text, 'proto=tcp dst=10.0.0.1 ct=new').verdict, 'drop', 'DNAT rewrote the destination for filter');
  assert.equal(run(text, 'proto=tcp dst=10.0.0.1 ct=invalid').verdict, 'accept', 'an INVALID packet skips nat');
  const unknown = run(text, 'proto=tcp dst=10.0.0.1');
  assert.equal(unknown.verdict, 'unknown');
  assert.ok(unknown.conditions.some((c) => /new/.test(c)));
});

test('conntrack state without an entry (nf_conntrack_tcp_loose=1), and the CRIU FIN packet', () => {
  const s = (flags: string) => stateWithoutEntry(parsePacketSpec(`proto=tcp flags=${flags}`));
  assert.equal(s('FIN,ACK'), 'INVALID');
  assert.equal(s('RST'), 'INVALID');
  assert.equal(s('SYN,ACK'), 'INVALID');
  assert.equal(s('SYN'), 'NEW');
  assert.equal(s('ACK'), 'NEW');
  const fin = criuFinPacket({ local: { address: '192.168.10.21', port: 43512 }, peer: { address: '10.96.0.42', port: 5432 }, packet: 'FIN|ACK' });
  assert.equal(fin.srcText, '10.96.0.42');
  assert.equal(fin.dport, 43512);
  assert.deepEqual(fin.flags, ['FIN', 'ACK']);
  assert.deepEqual(fin.mark, { value: 0xc114, known: 0xffffffff });
  assert.equal(fin.ct, undefined, 'the state stays unknown: the original entry may still exist');
  assert.deepEqual(criuFinPacket({ local: { address: '::1', port: 1 }, peer: { address: '::1', port: 2 }, packet: 'ACK' }).flags, ['ACK']);
});

test('packet descriptions: errors are clear', () => {
  assert.throws(() => parsePacketSpec('mark=zz'), /mark: "zz" is not a number/);
  assert.throws(() => parsePacketSpec('src=300.1.1.1'), /src: "300\.1\.1\.1" is not an ipv4 address/);
  assert.throws(() => parsePacketSpec('colour=blue'), /unknown field "colour"/);
  assert.throws(() => parsePacketSpec('flags=FIN,BOGUS'), /unknown TCP flag "BOGUS"/);
  assert.throws(() => parsePacketSpec('ct=maybe'), /ct: one of/);
});

test("a bare protocol match (`-p tcp -m tcp`, kube-proxy's DNAT rules) tests only the protocol: endpoints are followed one each, not 2^k", () => {
  assert.equal(run(filter('-A OUTPUT -p tcp -m tcp -j DROP'), `${FIN} ct=invalid`).verdict, 'drop');
  assert.equal(run(filter('-A OUTPUT -p udp -m udp -j DROP'), `${FIN} ct=invalid`).verdict, 'accept');
  assert.equal(run(filter('-A OUTPUT -p tcp -m tcp -j DROP'), 'family=ipv4 dst=10.1.0.1').verdict, 'unknown');
  // A service with four endpoints, as kube-proxy writes it: one possibility per endpoint.
  const endpoints = ['10.244.1.2', '10.244.1.3', '10.244.1.4', '10.244.1.5'];
  const nat = table(
    'nat',
    ['PREROUTING ACCEPT [0:0]', 'INPUT ACCEPT [0:0]', 'OUTPUT ACCEPT [0:0]', 'POSTROUTING ACCEPT [0:0]', 'SVC - [0:0]', ...endpoints.map((_, k) => `SEP${k} - [0:0]`)],
    '-A OUTPUT -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j SVC',
    ...endpoints.map((_, k) => `-A SVC${k < endpoints.length - 1 ? ` -m statistic --mode random --probability 0.${k + 2}` : ''} -j SEP${k}`),
    ...endpoints.flatMap((ip, k) => [`-A SEP${k} -s ${ip}/32 -j MARK --or-mark 0x4000`, `-A SEP${k} -p tcp -m tcp -j DNAT --to-destination ${ip}:8080`]),
  );
  const e = run(nat + filter('-A OUTPUT -d 10.244.1.4/32 -j REJECT'), 'family=ipv4 proto=tcp src=10.244.9.9 sport=40000 dst=10.96.0.10 dport=80 flags=SYN mark=0 oif=lo ct=new');
  assert.equal(e.branches, endpoints.length);
  assert.equal(e.verdict, 'unknown', 'one endpoint is rejected');
  assert.deepEqual(culprits(e), ['filter/OUTPUT/1']);
});
