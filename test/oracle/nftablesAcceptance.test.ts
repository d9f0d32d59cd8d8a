/**
 * Kernel oracle for nftables: we must accept and reject exactly what `nft -f` does. Each script is
 * loaded for real into its own throw-away network namespace (`nft -c` alone skips the kernel's
 * commit-time checks: it accepts a jump loop that a real load rejects with ELOOP), and nft's exit
 * status is compared with whether our parser reports an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNftables } from '../../server/src/netfilter/nftables/build';
import { corpusDir, examplesDir, filesUnder } from '../support/paths';
import { nftAvailable, nftLoad, runInNetns, withNetns } from './netns';

const table = (body: string) => `table ip t {\n${body}\n}\n`;
const input = (rules: string) => table(`\tchain c {\n\t\ttype filter hook input priority filter; policy accept;\n${rules.split('\n').map((r) => `\t\t${r}`).join('\n')}\n\t}\n\tchain a {\n\t\tcounter\n\t}`);

/** [name, script]: the names say what we expect, the kernel decides. */
const cases: [string, string][] = [
  ['valid: iptables-nft KUBE-FIREWALL', table('\tchain OUTPUT {\n\t\ttype filter hook output priority filter; policy accept;\n\t\tcounter packets 0 bytes 0 jump KUBE-FIREWALL\n\t}\n\tchain KUBE-FIREWALL {\n\t\tmeta mark & 0x00008000 == 0x00008000 counter packets 0 bytes 0 drop\n\t}')],
  ['valid: CRIU lock commands', 'add table inet CRIU-1\nadd chain inet CRIU-1 output { type filter hook output priority 0; }\nadd rule inet CRIU-1 output meta mark 0xC114 accept\nadd set inet CRIU-1 conns4 { type ipv4_addr . inet_service . ipv4_addr . inet_service; }\nadd rule inet CRIU-1 output ip saddr . tcp sport . ip daddr . tcp dport @conns4 drop\nadd element inet CRIU-1 conns4 { 10.0.0.1 . 1 . 10.0.0.2 . 2 }\n'],
  ['valid: matches and statements', input('ip saddr 10.0.0.0/8 ip daddr != 192.168.1.1 tcp dport 1024-65535 accept\nct state established,related counter accept\niifname "lo*" oifname != "eth0" jump a\nmeta mark set 0xc114 ct mark set meta mark meta nftrace set 1\ntcp flags syn / syn,ack log prefix "syn: " level warn limit rate 10/second\nip protocol icmp icmp type echo-request reject with icmp type host-prohibited\nmeta l4proto { tcp, udp } th dport 53 goto a\nudp dport vmap { 53 : accept, 67 : jump a }\nmeta mark and 0xff00 == 0x100 drop')],
  ['valid: define, priorities by name and expression', 'define lan = 192.168.0.0/16\ndefine ports = { 22, 80 }\ntable inet t {\n\tchain c {\n\t\ttype filter hook input priority filter + 10; policy drop;\n\t\tip saddr $lan tcp dport $ports accept\n\t}\n\tchain d {\n\t\ttype nat hook prerouting priority dstnat - 5;\n\t}\n\tchain e {\n\t\ttype route hook output priority mangle;\n\t}\n\tchain f {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tmasquerade\n\t}\n}\n'],
  ['valid: sets and maps across lines', table('\tset s {\n\t\ttype ipv4_addr . inet_service\n\t\tflags interval\n\t\telements = { 10.0.0.1 . 22,\n\t\t\t     10.0.0.0/24 . 80-90 }\n\t}\n\tmap m {\n\t\ttype ipv4_addr : verdict\n\t\telements = { 1.1.1.1 : drop, 2.2.2.2 : jump a }\n\t}\n\tchain c {\n\t\ttype filter hook input priority 0;\n\t\tip saddr . tcp dport @s accept\n\t\tip saddr vmap @m\n\t}\n\tchain a {\n\t}')],
  ['valid: bridge and netdev priorities', 'table bridge b {\n\tchain o {\n\t\ttype filter hook output priority out;\n\t}\n}\ntable netdev d {\n\tchain i {\n\t\ttype filter hook ingress device "lo" priority filter;\n\t}\n}\n'],
  ['valid: objects', table('\tcounter cnt {\n\t\tpackets 0 bytes 0\n\t}\n\tquota q {\n\t\tover 1200 bytes\n\t}\n\tchain c {\n\t\ttype filter hook input priority 0;\n\t\tcounter name "cnt" quota name "q" accept\n\t}')],
  ['valid: unreachable jump loop', table('\tchain x {\n\t\tjump y\n\t}\n\tchain y {\n\t\tjump x\n\t}')],
  ['broken: undefined chain', input('jump nowhere')],
  ['broken: undefined set', input('ip saddr @nope accept')],
  ['broken: undefined variable', input('ip saddr $nope accept')],
  ['broken: variable used before its define', `${input('ip saddr $late accept')}define late = 10.0.0.1\n`],
  ['broken: jump loop from a base chain', table('\tchain c {\n\t\ttype filter hook input priority 0;\n\t\tjump x\n\t}\n\tchain x {\n\t\tjump y\n\t}\n\tchain y {\n\t\tjump x\n\t}')],
  ['broken: jump to a base chain', table('\tchain c {\n\t\ttype filter hook input priority 0;\n\t\tjump d\n\t}\n\tchain d {\n\t\ttype filter hook output priority 0;\n\t}')],
  ['broken: arp has no forward hook', 'table arp a {\n\tchain x {\n\t\ttype filter hook forward priority filter;\n\t}\n}\n'],
  ['broken: nat on forward', table('\tchain n {\n\t\ttype nat hook forward priority 0;\n\t}')],
  ['broken: route on input', table('\tchain r {\n\t\ttype route hook input priority 0;\n\t}')],
  ['broken: dstnat priority on input', table('\tchain d {\n\t\ttype filter hook input priority dstnat;\n\t}')],
  ['broken: raw priority in bridge', 'table bridge b {\n\tchain o {\n\t\ttype filter hook output priority raw;\n\t}\n}\n'],
  ['broken: policy maybe', table('\tchain d {\n\t\ttype filter hook input priority 0; policy maybe;\n\t}')],
  ['broken: policy on a regular chain', table('\tchain d {\n\t\tpolicy drop\n\t}')],
  ['broken: no priority', table('\tchain d {\n\t\ttype filter hook input;\n\t}')],
  ['broken: unknown family', 'table foo t {\n}\n'],
  ['broken: unclosed block', 'table ip t {\n\tchain c {\n\t}\n'],
  ['broken: misspelt verdict', input('tcp dport 22 acept')],
  ['broken: match without value', input('ip saddr accept')],
  ['broken: no separator before }', table('\tchain c { accept }')],
  ['broken: ; inside a set', input('tcp dport { 22; 80 } accept')],
  ['broken: statement outside a table', 'chain c {\n}\n'],
  ['broken: unknown field', input('ip sport 22 accept')],
  ['broken: unknown meta key', input('meta bogus 1 accept')],
  ['broken: ip6 in an ip table', input('ip6 saddr ::1 accept')],
  ['broken: tcp in an arp table', 'table arp a {\n\tchain c {\n\t\ttcp dport 1\n\t}\n}\n'],
  ['valid: ip and ip6 in inet and bridge tables', 'table inet i {\n\tchain c {\n\t\tip saddr 1.2.3.4 icmpv6 type echo-request ct original ip saddr 1.2.3.4\n\t\tip6 daddr ::1 tcp dport 1 th sport 2\n\t}\n}\ntable bridge b {\n\tchain c {\n\t\tip saddr 1.2.3.4 ether saddr 00:11:22:33:44:55\n\t\tvlan id 1\n\t\tip6 saddr ::1\n\t\tarp operation request\n\t}\n}\n'],
  ['broken: ip and ip6 in one rule', 'table inet i {\n\tchain c {\n\t\tip saddr 1.2.3.4 counter ip6 daddr ::1\n\t}\n}\n'],
  ['broken: tcp after meta l4proto udp', 'table inet i {\n\tchain c {\n\t\tmeta l4proto udp tcp dport 53\n\t}\n}\n'],
  ['broken: tcp and icmp in one rule', input('tcp dport 1 icmp type echo-request')],
  ['broken: inet ingress without device', 'table inet t {\n\tchain i {\n\t\ttype filter hook ingress priority 0;\n\t}\n}\n'],
  ['valid: inet ingress and netdev egress with devices', 'table inet t {\n\tchain i {\n\t\ttype filter hook ingress device "lo" priority 0;\n\t}\n}\ntable netdev d {\n\tchain e {\n\t\ttype filter hook egress devices = { lo } priority 0;\n\t}\n}\n'],
  ['broken: netdev ingress without device', 'table netdev d {\n\tchain i {\n\t\ttype filter hook ingress priority 0;\n\t}\n}\n'],
  ['broken: set declared again with another type', table('\tset s {\n\t\ttype ipv4_addr\n\t}\n\tset s {\n\t\ttype ipv6_addr\n\t}')],
  ['valid: set declared again, same type', table('\tset s {\n\t\ttype ipv4_addr\n\t}\n\tset s {\n\t\ttype ipv4_addr\n\t}')],
];

/** Real rulesets printed by nft on this kind of machine: they must load again. */
const printed = [join(examplesDir, 'nftables.rules'), ...filesUnder(join(corpusDir, 'criu-real'), /nft-ruleset\.txt$/).slice(0, 6)];

test('nft -f and our parser agree on what loads', { skip: ((a) => !a.ok && a.reason)(nftAvailable()) }, () => {
  const disagreements: string[] = [];
  const all: [string, string][] = [...cases, ...printed.map((p): [string, string] => [`printed: ${p.slice(p.indexOf('examples') >= 0 ? p.indexOf('examples') : p.indexOf('criu-real'))}`, readFileSync(p, 'utf8')])];
  let rejected = 0;
  for (const [name, script] of all) {
    const kernel = withNetns((ns) => nftLoad(ns, script));
    const ours = parseNftables(script).problems.filter((p) => p.severity === 'error');
    if (kernel.code !== 0) rejected++;
    if ((kernel.code === 0) !== (ours.length === 0)) {
      disagreements.push(`${name}: nft ${kernel.code === 0 ? 'loads it' : `rejects it (${kernel.stderr.split('\n')[0]})`}, we report ${ours.length ? ours.map((e) => `${e.code} at ${e.range.start.line + 1}:${e.range.start.character + 1}`).join(', ') : 'no error'}`);
    }
    assert.equal(name.startsWith('broken'), kernel.code !== 0, `${name}: the case is named for what nft does (${kernel.stderr.split('\n')[0]})`);
  }
  assert.deepEqual(disagreements, [], disagreements.join('\n'));
  assert.ok(rejected >= 15, `broken cases rejected by nft: ${rejected}`);
});

/** iptables rules, some of which iptables-nft cannot translate into native nft expressions. */
const iptablesRules = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FIREWALL - [0:0]
-A INPUT -m u32 --u32 "6&0xFF=1" -j ACCEPT
-A INPUT -m hashlimit --hashlimit-upto 10/sec --hashlimit-mode srcip --hashlimit-name lens -j ACCEPT
-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT
-A INPUT -m statistic --mode random --probability 0.5 -j ACCEPT
-A INPUT -m connmark --mark 0x1/0xff -j ACCEPT
-A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT
-A OUTPUT -m owner --uid-owner 0 -j ACCEPT
-A OUTPUT -p tcp -j TCPMSS --clamp-mss-to-pmtu
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -j CT --zone 1
-A OUTPUT -j CT --notrack
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -j REDIRECT --to-ports 3128
-A POSTROUTING -j SNAT --to-source 1.2.3.4-1.2.3.6
COMMIT
`;

test('what nft list ruleset prints for iptables-nft rules parses, xt forms and all', { skip: ((a) => !a.ok && a.reason)(nftAvailable()) }, (t) => {
  const listed = withNetns((ns) => {
    if (runInNetns(ns, ['iptables-nft-restore', '--version']).code !== 0) return { skip: 'iptables-nft-restore not installed' };
    const restore = runInNetns(ns, ['iptables-nft-restore'], iptablesRules);
    assert.equal(restore.code, 0, restore.stderr);
    return { text: runInNetns(ns, ['nft', 'list', 'ruleset']).stdout };
  });
  if ('skip' in listed) return t.skip(listed.skip);
  const r = parseNftables(listed.text);
  assert.deepEqual(r.problems.filter((p) => p.severity === 'error'), [], listed.text);
  const xt = r.problems.filter((p) => p.code === 'nftables.xt-compat').map((p) => p.message.match(/\(`(\w+)`\)/)?.[1]);
  assert.ok(xt.includes('u32') && xt.includes('CT'), `xt forms reported: ${xt.join(', ')}\n${listed.text}`);
  assert.equal(r.problems.filter((p) => p.code === 'nftables.drops-criu-mark').length, 1, listed.text);
  assert.deepEqual(r.tables.map((x) => `${x.family} ${x.name}`).sort(), ['ip filter', 'ip nat', 'ip raw']);
  const rules = r.tables.find((x) => x.name === 'filter')!.chains.get('INPUT')!.rules;
  assert.equal(rules.length, 6);
});

/**
 * Rules as people write them in /etc/nftables.conf (service names, vmaps on ct state, meters,
 * dynamic sets, fib, time ranges, tproxy…): each one, in a table that declares what it uses, must
 * be accepted or rejected by us exactly as `nft -c -f` does. `queue` is left out: whether it loads
 * depends on the kernel's nfnetlink_queue, not on the syntax.
 */
const everyday = [
  'iif lo accept',
  'ct state vmap { established : accept, related : accept, invalid : drop }',
  'iifname $WAN tcp dport { ssh, http, https } ct state new limit rate 10/minute accept',
  'ip protocol icmp icmp type { echo-request, destination-unreachable } accept',
  'meta l4proto ipv6-icmp accept',
  'tcp flags & (fin|syn|rst|ack) == syn ct state new update @blacklist { ip saddr limit rate over 10/second } drop',
  'udp dport 53 counter accept comment "dns"',
  'log prefix "[nftables] Inbound Denied: " counter drop',
  'ip6 nexthdr icmpv6 icmpv6 type { nd-neighbor-solicit, nd-router-advert } accept',
  'meta nfproto ipv4 accept',
  'fib saddr . iif oif missing drop',
  'fib daddr type local accept',
  'ct helper set "ftp-standard"',
  'meta skuid "root" accept',
  'limit rate over 100/second burst 50 packets drop',
  'ip dscp set cs1',
  'ct zone set 1',
  'reject with icmpx type admin-prohibited',
  'reject with icmpx admin-prohibited',
  'ip ttl set 64',
  'quota over 25 mbytes drop',
  'counter name "cnt"',
  'meta mark set ct mark',
  'ct mark set mark',
  'ip saddr & 255.255.255.0 == 10.0.0.0 accept',
  'ether saddr 00:11:22:33:44:55 accept',
  'meta day "Saturday" drop',
  'meta hour "17:00"-"19:00" drop',
  'ip length 100-200 accept',
  'iifname vmap { "eth0" : jump a }',
  'meta cgroup 1048577 accept',
  'ct count over 10 drop',
  'ct original ip daddr 10.0.0.1 accept',
  'numgen random mod 100 < 50 accept',
  'jhash ip saddr mod 2 vmap { 0 : accept, 1 : drop }',
  'log level debug flags all',
  'log group 2 snaplen 128',
  'meta l4proto tcp tproxy ip to 127.0.0.1:8080',
  'tcp dport 22 ct state new meter ssh-meter { ip saddr limit rate 3/minute } accept',
  'ip saddr @blacklist drop',
  'ip saddr != { 10.0.0.0/8, 192.168.0.0/16 } drop',
  'tcp dport != 22 drop',
  'meta mark 0x1 meta mark set 0x2 accept',
  'ct state established,related accept',
  'icmpv6 type { echo-request, nd-neighbor-solicit } accept',
  'ip6 saddr fe80::/10 accept',
  'tcp sport 1024-65535 tcp dport { 80, 443 } accept',
  'meta iifname "eth0" accept',
  'meta oif lo accept',
  'ip daddr 224.0.0.0/4 drop',
  'meta pkttype { broadcast, multicast } drop',
  'ct status dnat accept',
  'ip saddr 10.0.0.1 counter packets 5 bytes 300 accept comment "x"',
  'jump a',
  'goto a',
  'return',
  'continue',
  'ip saddr vmap @vm',
  'add @blacklist { ip saddr timeout 10s }',
  'meta protocol ip accept',
  'ct direction original accept',
  'ct expiration 5s accept',
  'ct label 1 accept',
  'meta priority 1:2 accept',
  'meta random 5 accept',
  'ip id 5 accept',
  'ip hdrlength 5 accept',
  'tcp window 100 accept',
  'tcp urgptr 0 accept',
  'tcp doff 5 accept',
  'tcp sequence 1 accept',
  'udp checksum 0 accept',
  'meta secpath exists accept',
  'meta l4proto { tcp, udp } th dport 53 accept',
  'ip saddr . ip daddr . tcp dport { 10.0.0.1 . 10.0.0.2 . 22 } accept',
  'tcp flags syn / fin,syn,rst,ack accept',
  'tcp flags != syn accept',
  'tcp flags { syn, syn | ack } accept',
  'ip saddr 10.0.0.1 ip daddr 10.0.0.2 dnat to 10.0.0.3',
  'meta hour "17:00" - "19:00" drop',
  'tcp dport 10 - 20 accept',
  // Mistakes nft refuses.
  'ip saddr 10.0.0.256 accept',
  'ip saddr 10.0.0.0/33 accept',
  'ip saddr { 10.0.0.1, 10.0.0.300 } accept',
  'ip saddr 1.2.3 accept',
  'ip6 saddr ::1/129 accept',
  'tcp dport 70000 accept',
  'ct state establishd accept',
  'ct status bogus accept',
  'meta pkttype bogus drop',
  'meta mark 0x100000000 drop',
  'tcp dport 22 accept drop',
  'jump a counter',
  'counter accept comment "x"',
  'continue counter',
];

const everydayScript = (rule: string) => {
  const prerouting = /tproxy|dnat/.test(rule);
  return `define WAN = eth0
table inet t {
\tset blacklist {
\t\ttype ipv4_addr
\t\tflags dynamic, timeout
\t\ttimeout 1h
\t}
\tmap vm {
\t\ttype ipv4_addr : verdict
\t}
\tcounter cnt {
\t}
\tct helper ftp-standard {
\t\ttype "ftp" protocol tcp
\t}
\tchain a {
\t}
\tchain c {
\t\ttype filter hook input priority 0;
\t\t${prerouting ? 'counter' : rule}
\t}
\tchain n {
\t\ttype ${/dnat/.test(rule) ? 'nat hook prerouting priority dstnat' : 'filter hook prerouting priority mangle'};
\t\t${prerouting ? rule : 'counter'}
\t}
}
`;
};

test('everyday rules and mistakes: nft -c -f and our parser agree rule by rule', { skip: ((a) => !a.ok && a.reason)(nftAvailable()) }, () => {
  const disagreements = withNetns((ns) => {
    const out: string[] = [];
    for (const rule of everyday) {
      const script = everydayScript(rule);
      const kernel = nftLoad(ns, script, { check: true });
      const ours = parseNftables(script).problems.filter((p) => p.severity === 'error');
      if ((kernel.code === 0) !== (ours.length === 0)) out.push(`${rule}: nft ${kernel.code === 0 ? 'accepts' : `rejects (${kernel.stderr.split('\n')[0]})`}, we report ${ours.map((e) => `${e.code}: ${e.message}`).join('; ') || 'nothing'}`);
    }
    return out;
  });
  assert.deepEqual(disagreements, [], disagreements.join('\n'));
  assert.ok(everyday.length >= 90, `${everyday.length} rules`);
});
