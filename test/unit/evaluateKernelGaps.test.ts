/**
 * Two places where what iptables says and what the kernel does part, each checked in a network
 * namespace on both backends before it was modelled (the kernel-oracle test generates both now):
 * - connmark/CONNMARK need a conntrack entry: the raw table runs before conntrack, and INVALID or
 *   UNTRACKED packets have none, so `-m connmark [!] --mark` never matches there and CONNMARK
 *   changes nothing;
 * - `! --sport P ! --dport Q`: iptables-legacy matches when neither port is P/Q, iptables-nft
 *   (1.8.9) unless both are; the backend comes from the dump's header or the caller.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectBackend, parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';
import { evaluatePacket, type Evaluation, type RulesetInput } from '../../server/src/netfilter/evaluate/walk';
import { parsePacketSpec } from '../../server/src/netfilter/evaluate/packet';

const table = (name: string, chains: string[], ...rules: string[]) => [`*${name}`, ...chains.map((c) => `:${c} ACCEPT [0:0]`), ...rules, 'COMMIT'].join('\n') + '\n';
const raw = (...rules: string[]) => table('raw', ['PREROUTING', 'OUTPUT'], ...rules);
const mangle = (...rules: string[]) => table('mangle', ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'], ...rules);
const filter = (...rules: string[]) => table('filter', ['INPUT', 'FORWARD', 'OUTPUT'], ...rules);
const culprits = (e: Evaluation) => e.culprits.map((c) => `${c.table}/${c.chain}/${c.rule}`);

function run(text: string, packet: string, input: Partial<RulesetInput> = {}): Evaluation {
  const ruleset = parseIptablesSave(text);
  assert.deepEqual(ruleset.problems.filter((p) => p.severity === 'error').map((p) => p.message), []);
  return evaluatePacket([{ doc: 'r', ruleset, ...input }], 'local-out', parsePacketSpec(packet));
}

const SYN = 'family=ipv4 proto=tcp src=10.1.0.1 sport=20001 dst=127.0.0.1 dport=80 flags=SYN mark=0xc114 oif=lo';
const FIN = 'family=ipv4 proto=tcp src=10.1.0.1 sport=20002 dst=127.0.0.1 dport=80 flags=FIN,ACK mark=0xc114 oif=lo';

test('raw: -m connmark never matches, negated or not (no conntrack entry yet); from mangle on a new entry has ctmark 0', () => {
  assert.equal(run(raw('-A OUTPUT -m connmark --mark 0x0 -j DROP'), `${SYN} ct=new`).verdict, 'accept');
  assert.equal(run(raw('-A OUTPUT -m connmark ! --mark 0x1 -j DROP'), `${SYN} ct=new`).verdict, 'accept');
  assert.equal(run(raw('-A OUTPUT -m connmark ! --mark 0x1 -j DROP'), SYN).verdict, 'accept', 'state unknown: still no entry in raw');
  assert.deepEqual(culprits(run(mangle('-A OUTPUT -m connmark --mark 0x0 -j DROP'), `${SYN} ct=new`)), ['mangle/OUTPUT/1']);
  assert.deepEqual(culprits(run(mangle('-A OUTPUT -m connmark ! --mark 0x1 -j DROP'), `${SYN} ct=new`)), ['mangle/OUTPUT/1']);
});

test('INVALID and UNTRACKED packets have no entry: -m connmark does not match even with !; state unknown: unknown', () => {
  assert.equal(run(mangle('-A OUTPUT -m connmark --mark 0x0 -j DROP'), `${FIN} ct=invalid`).verdict, 'accept');
  assert.equal(run(mangle('-A OUTPUT -m connmark ! --mark 0x1 -j DROP'), `${FIN} ct=invalid`).verdict, 'accept');
  assert.equal(run(raw('-A OUTPUT -j CT --notrack') + mangle('-A OUTPUT -m connmark ! --mark 0x1 -j DROP'), `${SYN} ct=new`).verdict, 'accept');
  const unknown = run(mangle('-A OUTPUT -m connmark ! --mark 0x1 -j DROP'), FIN);
  assert.equal(unknown.verdict, 'unknown');
  assert.deepEqual(culprits(unknown), ['mangle/OUTPUT/1']);
  // A match that would hold on any entry is still unknown: there may be none.
  const known = run(mangle('-A OUTPUT -m connmark --mark 0x0/0x0 -j DROP'), FIN);
  assert.equal(known.verdict, 'unknown');
});

test('raw: CONNMARK finds no entry and changes nothing; in mangle --restore-mark copies the new entry\'s 0', () => {
  const drop = filter('-A OUTPUT -m mark --mark 0xc114 -j DROP');
  const inRaw = run(raw('-A OUTPUT -j CONNMARK --restore-mark') + drop, `${SYN} ct=new`);
  assert.deepEqual(culprits(inRaw), ['filter/OUTPUT/1'], 'the mark is still 0xc114');
  assert.ok(inRaw.trace.some((t) => t.table === 'raw' && /^CONNMARK: no conntrack entry yet/.test(t.action)), inRaw.trace.map((t) => t.action).join('\n'));
  assert.equal(run(mangle('-A OUTPUT -j CONNMARK --restore-mark') + drop, `${SYN} ct=new`).verdict, 'accept', 'mangle: the mark is now 0');
  // A ctmark set in raw is not there for mangle to see.
  assert.equal(run(raw('-A OUTPUT -j CONNMARK --set-xmark 0x8000/0xffffffff') + mangle('-A OUTPUT -m connmark --mark 0x8000 -j DROP'), `${SYN} ct=new`).verdict, 'accept');
  // …while one set in mangle is.
  assert.equal(run(mangle('-A OUTPUT -j CONNMARK --set-xmark 0x8000/0xffffffff', '-A OUTPUT -m connmark --mark 0x8000 -j DROP'), `${SYN} ct=new`).verdict, 'drop');
});

const PAIR = filter('-A OUTPUT -p tcp -m tcp ! --sport 1 ! --dport 2 -j DROP');
const ports = (sport: number, dport: number) => `family=ipv4 proto=tcp src=127.0.0.1 sport=${sport} dst=127.0.0.1 dport=${dport} flags=SYN mark=0 oif=lo ct=new`;

test('! --sport P ! --dport Q: exact for each backend, unknown with the reason when the backend is not known', () => {
  const nftHeader = '# Generated by iptables-nft-save v1.8.9 (nf_tables) on Fri Nov 27 20:46:34 2026\n';
  const legacyHeader = '# Generated by iptables-save v1.8.9 on Fri Nov 27 20:46:34 2026\n';
  // What the kernel did (namespace, both backends): sport=1,dport=3 → nft drops, legacy sends.
  assert.equal(run(nftHeader + PAIR, ports(1, 3)).verdict, 'drop');
  assert.equal(run(legacyHeader + PAIR, ports(1, 3)).verdict, 'accept');
  assert.equal(run(PAIR, ports(1, 3), { backend: 'nft' }).verdict, 'drop', 'the caller may say');
  const unknown = run(PAIR, ports(1, 3));
  assert.equal(unknown.verdict, 'unknown');
  assert.deepEqual(culprits(unknown), ['filter/OUTPUT/1']);
  assert.ok(unknown.conditions.some((c) => /backend is unknown: iptables-nft matches unless sport 1 and dport 2 both hold, iptables-legacy only when neither does/.test(c)), unknown.conditions.join(' | '));
  // Where the readings agree, the backend does not matter.
  assert.equal(run(PAIR, ports(5, 6)).verdict, 'drop');
  assert.equal(run(PAIR, ports(1, 2)).verdict, 'accept');
  assert.equal(run(PAIR, ports(5, 2), { backend: 'legacy' }).verdict, 'accept');
  assert.equal(run(PAIR, ports(5, 2), { backend: 'nft' }).verdict, 'drop');
  // udp, the other order, and a one-port range are read the same way; a wider range is not a pair.
  assert.equal(run(filter('-A OUTPUT -p udp -m udp ! --dport 2 ! --sport 1:1 -j DROP'), ports(1, 3).replace('tcp', 'udp').replace(' flags=SYN', ''), { backend: 'nft' }).verdict, 'drop');
  assert.equal(run(filter('-A OUTPUT -p tcp -m tcp ! --sport 1:4 ! --dport 2 -j DROP'), ports(1, 3)).verdict, 'accept');
});

test('the backend from the header', () => {
  const cases: [string, 'nft' | 'legacy' | undefined][] = [
    ['# Generated by iptables-nft-save v1.8.9 (nf_tables) on Fri Nov 27 20:46:34 2026', 'nft'],
    ['# Generated by iptables-save v1.8.9 (nf_tables) on Fri Nov 27 20:46:34 2026', 'nft'],
    ['# Generated by iptables-legacy-save v1.8.9 on Fri Nov 27 20:46:34 2026', 'legacy'],
    ['# Generated by iptables-save v1.8.9 on Fri Nov 27 20:46:34 2026', 'legacy'],
    ['# Generated by ip6tables-save v1.4.21 on Mon Dec 28 14:46:43 2015', 'legacy'],
    ['# Generated by iptables-save v1.8.7 on Tue Mar 12 09:41:27 2024', undefined],
    ['# Warning: iptables-legacy tables present, use iptables-legacy-save to see them', 'nft'],
    ['*filter', undefined],
  ];
  for (const [header, backend] of cases) {
    assert.equal(detectBackend(`${header}\n*filter\nCOMMIT\n`), backend, header);
    assert.equal(parseIptablesSave(`${header}\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n`).backend, backend, header);
  }
});
