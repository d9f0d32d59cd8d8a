/**
 * Random differential test against nft: rules made of random matches (valid and broken), statements
 * and verdicts, in an inet table that declares what they use. `nft -c -f` (in a throw-away network
 * namespace) and our parser must agree on every one: accepted, or rejected. The seed is printed, so
 * any disagreement can be replayed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNftables } from '../../server/src/netfilter/nftables/build';
import { nftAvailable, nftLoad, withNetns } from './netns';
import { mulberry32 } from '../support/rng';

const matches = [
  'ip saddr 10.0.0.1', 'ip daddr != 10.0.0.0/8', 'ip6 saddr ::1', 'tcp dport 22', 'udp sport 53', 'tcp dport { 80, 443 }', 'meta mark 0x1',
  'meta mark & 0xff == 0x1', 'ct state new', 'ct state established,related', 'iifname "eth0"', 'oif lo', 'meta l4proto tcp', 'th dport 53',
  'icmp type echo-request', 'ip protocol udp', 'tcp flags syn / syn,ack', 'ip saddr @s', 'ip saddr . tcp dport @c', 'meta nfproto ipv6',
  'ct mark 0x2', 'meta skuid 0', 'ip ttl < 5', 'fib daddr type local', 'ct status dnat', 'ip saddr $v', 'meta pkttype host',
  'ip length 100-200', 'tcp dport != 22', 'ip saddr { 10.0.0.0/8, 192.168.0.1 }', 'icmpv6 type echo-request', 'ct original ip saddr 10.0.0.1',
  // broken
  'ip saddr', 'tcp dprt 22', 'ip saddr 300.0.0.1', 'ct state bogus', 'tcp dport 99999', 'meta mark 0x1ffffffff', 'ip saddr @nope',
  'ip saddr $undef', 'meta bogus 1', 'ip6 saddr 10.0.0.1', 'tcp sport 1-2-3', 'ct', 'iifname', 'ct ip saddr 10.0.0.1',
];
const statements = [
  'counter', 'log prefix "x "', 'limit rate 5/second', 'meta mark set 0x1', 'ct mark set meta mark', 'meta nftrace set 1', 'notrack',
  'comment "c"', 'counter packets 1 bytes 2', 'quota over 10 mbytes', 'log level warn', 'mark set 0x2', 'ct zone set 1',
  'limit rate over 10/minute burst 5 packets',
];
const verdicts = [
  'accept', 'drop', 'reject', 'return', 'continue', 'jump a', 'goto a', 'jump nope', 'reject with tcp reset', 'drop accept', 'jump',
  'reject with icmp type host-prohibited', 'reject with icmpv6 type admin-prohibited', 'reject with icmpx type admin-prohibited',
  'ip saddr vmap { 10.0.0.1 : accept, 10.0.0.2 : jump a }', 'tcp dport vmap @vm',
];

const script = (rule: string) => `define v = 10.0.0.1
table inet t {
\tset s {
\t\ttype ipv4_addr
\t}
\tset c {
\t\ttype ipv4_addr . inet_service
\t}
\tmap vm {
\t\ttype inet_service : verdict
\t}
\tchain a {
\t}
\tchain c {
\t\ttype filter hook input priority 0;
\t\t${rule}
\t}
}
`;


test('random rules: nft -c -f and our parser agree on each', { skip: ((a) => !a.ok && a.reason)(nftAvailable()) }, () => {
  const seed = Number(process.env.NFT_DIFF_SEED ?? 20261127);
  const count = Number(process.env.NFT_DIFF_COUNT ?? 150);
  const rand = mulberry32(seed);
  const pick = <T>(list: readonly T[], n: number) => [...list].sort(() => rand() - 0.5).slice(0, n);
  let rejected = 0;
  const disagreements = withNetns((ns) => {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const parts = [...pick(matches, Math.floor(rand() * 4)), ...pick(statements, Math.floor(rand() * 3))].sort(() => rand() - 0.5);
      if (rand() < 0.8) parts.push(verdicts[Math.floor(rand() * verdicts.length)]);
      const rule = parts.join(' ') || 'counter';
      const kernel = nftLoad(ns, script(rule), { check: true });
      const ours = parseNftables(script(rule)).problems.filter((p) => p.severity === 'error');
      if (kernel.code !== 0) rejected++;
      if ((kernel.code === 0) !== (ours.length === 0)) {
        out.push(`${rule}\n  nft: ${kernel.code === 0 ? 'accepts' : kernel.stderr.split('\n')[0]}\n  ours: ${ours.map((e) => e.message).join('; ') || 'no error'}`);
      }
    }
    return out;
  });
  assert.deepEqual(disagreements, [], `seed ${seed}:\n${disagreements.join('\n')}`);
  // Both outcomes must be well represented for the agreement to mean something.
  assert.ok(rejected > count / 5 && rejected < (count * 4) / 5, `seed ${seed}: nft rejected ${rejected} of ${count}`);
});
