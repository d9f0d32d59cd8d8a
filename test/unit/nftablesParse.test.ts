import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNftables } from '../../server/src/netfilter/nftables/build';
import { exprText } from '../../server/src/netfilter/nftables/explain';
import type { Chain, Expr, NftRuleset, Statement } from '../../server/src/netfilter/nftables/model';

/** Ranges on one line are compact objects (core/text.ts lineRange): compare their JSON form. */
const plain = (r: unknown) => JSON.parse(JSON.stringify(r)) as unknown;
const errors = (r: NftRuleset) => r.problems.filter((p) => p.severity === 'error');
const codes = (r: NftRuleset) => r.problems.map((p) => p.code).sort();
const chain = (r: NftRuleset, table: string, name: string): Chain => {
  const t = r.tables.find((x) => `${x.family} ${x.name}` === table);
  assert.ok(t, `table ${table}`);
  const c = t.chains.get(name);
  assert.ok(c, `chain ${name}`);
  return c;
};
/** The statements of a single rule in `table ip t { chain c { <rule> } }`. */
function rule(text: string, extra = ''): Statement[] {
  const r = parseNftables(`table ip t {\n${extra}\n\tchain c {\n\t\t${text}\n\t}\n}\n`);
  assert.deepEqual(errors(r), [], text);
  return chain(r, 'ip t', 'c').rules[0].statements;
}
const match = (st: Statement) => {
  assert.equal(st.kind, 'match');
  return st as Extract<Statement, { kind: 'match' }>;
};

test('tables of every family, base chains with type, hook, priority and policy', () => {
  const r = parseNftables(`table ip filter {
	chain OUTPUT {
		type filter hook output priority filter; policy accept;
	}
	chain PRE {
		type nat hook prerouting priority dstnat + 10; policy accept;
	}
	chain POST {
		type nat hook postrouting priority srcnat - 5;
	}
	chain RAW {
		type filter hook prerouting priority raw; policy drop;
	}
	chain M {
		type route hook output priority mangle;
	}
	chain S {
		type filter hook input priority security;
	}
	chain N {
		type filter hook forward priority -42;
	}
}
table bridge b {
	chain f { type filter hook forward priority filter; }
	chain o { type filter hook output priority out; }
}
table netdev d {
	chain ingress { type filter hook ingress device "lo" priority filter; }
}
table arp a { chain i { type filter hook input priority filter; }; }
table ip6 six { }
table inet both { }
`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.tables.map((t) => `${t.family} ${t.name}`), ['ip filter', 'bridge b', 'netdev d', 'arp a', 'ip6 six', 'inet both']);
  const prio = (t: string, c: string) => chain(r, t, c).base?.priority?.value;
  assert.equal(prio('ip filter', 'OUTPUT'), 0);
  assert.equal(prio('ip filter', 'PRE'), -90);
  assert.equal(prio('ip filter', 'POST'), 95);
  assert.equal(prio('ip filter', 'RAW'), -300);
  assert.equal(prio('ip filter', 'M'), -150);
  assert.equal(prio('ip filter', 'S'), 50);
  assert.equal(prio('ip filter', 'N'), -42);
  // The bridge family has its own numbers for the same names.
  assert.equal(prio('bridge b', 'f'), -200);
  assert.equal(prio('bridge b', 'o'), 100);
  const out = chain(r, 'ip filter', 'OUTPUT');
  assert.equal(out.base?.type.text, 'filter');
  assert.equal(out.base?.hook.text, 'output');
  assert.equal(out.policy?.text, 'accept');
  assert.equal(chain(r, 'ip filter', 'RAW').policy?.text, 'drop');
  assert.deepEqual(chain(r, 'netdev d', 'ingress').base?.devices.map((d) => d.text), ['lo']);
  // Exact ranges: the priority expression of PRE is `dstnat + 10` on line 6.
  assert.deepEqual(plain(chain(r, 'ip filter', 'PRE').base?.priority?.range), { start: { line: 5, character: 36 }, end: { line: 5, character: 47 } });
});

test('base chain specs nft rejects: hook for the family, hook for the type, priority name, policy', () => {
  const r = parseNftables(`table arp a {
	chain x { type filter hook forward priority filter; }
}
table ip t {
	chain n { type nat hook forward priority 0; }
	chain d { type filter hook input priority dstnat; }
	chain b { type filter hook input priority bogus + 1; }
	chain p { type filter hook input priority 0; policy maybe; }
	chain r { type route hook input priority 0; }
	chain q { type weird hook input priority 0; }
}
table bridge br {
	chain n { type nat hook prerouting priority dstnat; }
}
`);
  assert.deepEqual(codes(r), [
    'nftables.invalid-chain-type', 'nftables.invalid-chain-type', 'nftables.invalid-hook', 'nftables.invalid-hook', 'nftables.invalid-hook',
    'nftables.invalid-policy', 'nftables.invalid-priority', 'nftables.invalid-priority',
  ]);
  const at = (code: string) => r.problems.filter((p) => p.code === code).map((p) => `${p.range.start.line + 1}:${p.range.start.character}-${p.range.end.character}`);
  assert.deepEqual(at('nftables.invalid-hook'), ['2:28-35', '5:25-32', '9:27-32']);
  assert.deepEqual(at('nftables.invalid-priority'), ['6:43-49', '7:43-48']);
  assert.deepEqual(at('nftables.invalid-policy'), ['8:53-58']);
});

test('match expressions: payload, meta, ct, interfaces, relational operators, ranges, prefixes', () => {
  const sts = rule('ip saddr 10.0.0.0/8 ip daddr != 192.168.1.1 tcp dport 1024-65535 th dport 53 ct state established,related iif "lo" oifname "eth*" ip ttl > 2 accept');
  const m = sts.filter((s) => s.kind === 'match').map((s) => match(s));
  assert.deepEqual(m.map((s) => exprText(s.left)), ['ip saddr', 'ip daddr', 'tcp dport', 'th dport', 'ct state', 'iif', 'oifname', 'ip ttl']);
  assert.deepEqual(m.map((s) => s.op), ['implicit', '!=', 'implicit', 'implicit', 'implicit', 'implicit', 'implicit', '>']);
  assert.equal(m[0].right.kind, 'prefix');
  assert.equal(m[2].right.kind, 'range');
  assert.equal(m[4].right.kind, 'list');
  assert.deepEqual(m.map((s) => (s.left.kind === 'selector' ? s.left.protocol : '')), ['ip', 'ip', 'tcp', 'th', 'ct', 'meta', 'meta', 'ip']);
  assert.equal(sts.at(-1)?.kind, 'verdict');
  // One transport header per rule: udp, icmp and icmpv6 in rules of their own.
  for (const [text, sel] of [['udp sport 53', 'udp.sport'], ['icmp type echo-request', 'icmp.type'], ['icmpv6 type nd-neighbor-solicit', 'icmpv6.type'], ['meta l4proto tcp', 'meta.l4proto']] as const) {
    const left = match(rule(text)[0]).left;
    assert.equal(left.kind === 'selector' && `${left.protocol}.${left.field}`, sel);
  }
});

test('meta mark with masks and operators, as iptables-nft prints --mark 0x8000/0x8000', () => {
  const [m, counter, verdict] = rule('meta mark & 0x00008000 == 0x00008000 counter packets 0 bytes 0 drop');
  const mm = match(m);
  assert.equal(mm.op, '==');
  assert.equal(mm.left.kind, 'binop');
  const left = mm.left as Extract<Expr, { kind: 'binop' }>;
  assert.equal(left.op, '&');
  assert.equal(left.right.kind === 'value' && left.right.number, 0x8000);
  assert.equal(mm.right.kind === 'value' && mm.right.number, 0x8000);
  assert.equal(counter.kind === 'counter' && counter.packets, 0n);
  assert.equal(verdict.kind === 'verdict' && verdict.verdict, 'drop');
  for (const [text, op] of [['meta mark | 0x1 != 0x3', '|'], ['mark ^ 0xff 0x1', '^'], ['meta mark and 0xff00 == 0x100', '&']] as const) {
    const s = match(rule(`${text} accept`)[0]);
    assert.equal(s.left.kind === 'binop' && s.left.op, op, text);
  }
  const bare = match(rule('mark != 0x0000c114 drop')[0]);
  assert.equal(bare.left.kind === 'selector' && `${bare.left.protocol}.${bare.left.field}`, 'meta.mark');
  assert.equal(bare.op, '!=');
});

test('sets, named sets, concatenations, maps and verdict maps', () => {
  const extra = `	set conns4 { type ipv4_addr . inet_service . ipv4_addr . inet_service; }
	map m { type ipv4_addr : verdict; }
	chain a { }`;
  const anon = match(rule('tcp dport { 22, 80, 443 } accept', extra)[0]);
  assert.equal(anon.right.kind === 'set' && anon.right.elements.length, 3);
  const concat = match(rule('ip saddr . tcp sport . ip daddr . tcp dport @conns4 drop', extra)[0]);
  assert.equal(concat.left.kind === 'concat' && concat.left.parts.length, 4);
  assert.equal(concat.right.kind === 'setRef' && concat.right.name, 'conns4');
  const [vmap] = rule('ip saddr vmap { 10.0.0.1 : accept, 10.0.0.2 : jump a }', extra);
  assert.equal(vmap.kind, 'vmap');
  assert.equal(vmap.kind === 'vmap' && vmap.map.kind === 'set' && vmap.map.elements.length, 2);
  const [named] = rule('ip daddr vmap @m', extra);
  assert.equal(named.kind === 'vmap' && named.map.kind, 'setRef');
  const [nat] = rule('dnat to ip daddr map { 10.0.0.1 : 10.0.0.2 }', extra);
  assert.equal(nat.kind === 'nat' && nat.to?.kind, 'map');
});

test('statements: counter, comment, log, limit, mark set, ct mark set, nftrace, notrack, nat, queue, reject, continue, return, xt', () => {
  const kinds = (text: string) => rule(text).map((s) => (s.kind === 'verdict' ? s.verdict : s.kind));
  assert.deepEqual(kinds('counter log prefix "x: " level warn limit rate 10/second burst 5 packets accept comment "hello world"'), ['counter', 'log', 'limit', 'accept', 'comment']);
  const sets = rule('meta mark set 0xc114 ct mark set meta mark meta nftrace set 1 mark set mark or 0x8000');
  assert.deepEqual(sets.map((s) => s.kind === 'set' && `${s.target.text}=${exprText(s.value)}`), ['meta mark=0xc114', 'ct mark=meta mark', 'meta nftrace=1', 'mark=mark | 0x8000']);
  assert.deepEqual(kinds('notrack'), ['notrack']);
  assert.deepEqual(kinds('ip saddr 10.0.0.0/8 snat to 1.2.3.4'), ['match', 'nat']);
  assert.deepEqual(kinds('masquerade fully-random'), ['nat']);
  assert.deepEqual(kinds('redirect to :8080'), ['nat']);
  assert.deepEqual(kinds('tcp dport 22 queue flags bypass to 0-3'), ['match', 'queue']);
  assert.deepEqual(kinds('reject with icmp type host-prohibited'), ['reject']);
  assert.deepEqual(kinds('reject with tcp reset'), ['reject']);
  assert.deepEqual(kinds('continue'), ['continue']);
  assert.deepEqual(kinds('return'), ['return']);
  assert.deepEqual(kinds('quota over 10 mbytes drop'), ['quota', 'drop']);
  assert.deepEqual(kinds('counter xt match "conntrack" xt target "CHECKSUM"'), ['counter', 'xt', 'xt']);
  // A line of only `comment "…"` is the chain's comment; after a statement it is the rule's.
  const comment = rule('counter comment "a b"')[1];
  assert.equal(comment.kind === 'comment' && comment.text, 'a b');
});

test('sets and maps with elements across lines, flags, timeouts, typeof; flowtables and objects', () => {
  const r = parseNftables(`table inet t {
	set s {
		type ipv4_addr . inet_service
		flags interval,timeout
		timeout 30s
		elements = { 10.0.0.1 . 22,
			     10.0.0.0/24 . 80-90 }
	}
	map v {
		typeof ip saddr : verdict
		elements = { 1.1.1.1 : drop, 2.2.2.2 : jump c }
	}
	flowtable ft {
		hook ingress priority filter
		devices = { lo }
	}
	counter cnt { packets 1 bytes 2; }
	quota q { over 1200 bytes; }
	ct helper h { type "sip" protocol tcp; l3proto ip; }
	limit l { rate 400/hour; }
	chain c { ip saddr @s counter name "cnt" accept; flow add @ft; }
}
`);
  assert.deepEqual(errors(r), []);
  const t = r.tables[0];
  const s = t.sets.get('s')!;
  assert.equal(s.keyType, 'ipv4_addr . inet_service');
  assert.deepEqual(s.flags, ['interval', 'timeout']);
  assert.equal(s.timeout, '30s');
  assert.equal(s.elements.length, 2);
  assert.equal(s.elements[1].key.kind, 'concat');
  assert.deepEqual(plain(s.elements[1].range), { start: { line: 6, character: 8 }, end: { line: 6, character: 27 } });
  const v = t.sets.get('v')!;
  assert.equal(v.kind, 'map');
  assert.ok(v.typeof);
  assert.equal(v.valueType, 'verdict');
  assert.deepEqual(v.elements.map((e) => e.value && exprText(e.value)), ['drop', 'jump c']);
  // The verdict map's jump counts as a use of chain c (no unused-chain warning).
  assert.deepEqual(codes(r), []);
  assert.deepEqual(t.flowtables.get('ft')?.devices.map((d) => d.text), ['lo']);
  assert.deepEqual(t.objects.map((o) => `${o.type} ${o.name}`), ['counter cnt', 'quota q', 'ct helper h', 'limit l']);
});

test('nft -f scripts: define, include, flush ruleset, add table/chain/rule/set/element, comments', () => {
  const r = parseNftables(`#!/usr/sbin/nft -f
# a comment
flush ruleset
define lan = 192.168.0.0/16
define ports = { 22, 80 }
include "/etc/nftables.d/*.nft"
add table inet CRIU-1
add chain inet CRIU-1 output { type filter hook output priority 0; }
add rule inet CRIU-1 output meta mark 0xC114 accept
add set inet CRIU-1 conns4 { type ipv4_addr . inet_service . ipv4_addr . inet_service; }
add rule inet CRIU-1 output ip saddr . tcp sport . ip daddr . tcp dport @conns4 drop
add element inet CRIU-1 conns4 { 10.0.0.1 . 1 . 10.0.0.2 . 2 }
table ip filter {
	chain input {
		type filter hook input priority 0; # comment after a statement
		ip saddr $lan tcp dport $ports accept
	}
}
`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual([...r.defines.keys()], ['lan', 'ports']);
  assert.deepEqual(r.includes.map((i) => i.path), ['/etc/nftables.d/*.nft']);
  assert.equal(r.commands.length, 7);
  const out = chain(r, 'inet CRIU-1', 'output');
  assert.equal(out.base?.priority?.value, 0);
  assert.equal(out.rules.length, 2);
  assert.equal(out.rules[0].command?.text, 'add');
  assert.equal(r.tables[0].sets.get('conns4')?.elements.length, 1);
  assert.ok(r.comments.some((c) => c.text === ' comment after a statement'));
  assert.equal(chain(r, 'ip filter', 'input').rules.length, 1);
  assert.deepEqual(r.references.filter((x) => x.kind === 'variable').map((x) => x.name), ['lan', 'ports']);
});

test('iptables-nft output: the managed-table warning, xt statements, legacy tables', () => {
  const r = parseNftables(`# Warning: table ip filter is managed by iptables-nft, do not touch!
table ip filter {
	chain OUTPUT {
		type filter hook output priority filter; policy accept;
		counter packets 0 bytes 0 jump KUBE-FIREWALL
	}
	chain KUBE-FIREWALL {
		 meta mark & 0x00008000 == 0x00008000 counter packets 0 bytes 0 drop
		xt match "set" counter packets 0 bytes 0 accept
	}
}
# Warning: iptables-legacy tables present, use iptables-legacy to see them
`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(plain(r.tables[0].managedByIptablesNft), { start: { line: 0, character: 0 }, end: { line: 0, character: 68 } });
  assert.deepEqual(codes(r), ['nftables.drops-criu-mark', 'nftables.legacy-tables', 'nftables.xt-compat']);
  const drop = r.problems.find((p) => p.code === 'nftables.drops-criu-mark')!;
  assert.match(drop.message, /0xc114 & 0x8000 = 0x8000; reached from ip filter OUTPUT rule 1 jump KUBE-FIREWALL/);
  assert.deepEqual(plain(drop.range), { start: { line: 7, character: 3 }, end: { line: 7, character: 70 } });
});

test('CRIU\'s own lock table is never blamed; a mark test 0xc114 fails is not reported', () => {
  const r = parseNftables(`table inet CRIU-x {
	chain output {
		type filter hook output priority filter; policy accept;
		meta mark 0x0000c114 accept
		meta mark != 0x0000c114 drop
	}
}
table ip filter {
	chain OUTPUT {
		type filter hook output priority filter; policy accept;
		meta mark & 0x00004000 == 0x00004000 drop
		meta mark != 0x0000c114 drop
		meta mark & 0x0000ff00 == 0x0000c100 drop
	}
}
`);
  assert.deepEqual(r.problems.map((p) => `${p.code}@${p.range.start.line + 1}`), ['nftables.drops-criu-mark@11', 'nftables.drops-criu-mark@13']);
});

test('references: undefined chain, set and variable; jumps to base chains; loops; unused chains', () => {
  // x ⇄ y is a loop no base chain reaches: the kernel loads it (checked against nft -f), so only a ⇄ b is reported.
  const r = parseNftables(`table ip t {
	chain in { type filter hook input priority 0; jump nowhere; ip saddr @nope accept; jump in2; tcp dport $undef accept; jump a; }
	chain in2 { type filter hook forward priority 0; }
	chain a { jump b; }
	chain b { goto a; }
	chain lonely { accept; }
	chain x { jump y; }
	chain y { jump x; }
	chain empty { }
	chain via { jump { jump bound; }; }
	chain bound { }
}
`);
  const got = r.problems.map((p) => `${p.code}:${p.severity}:${p.range.start.line + 1}:${p.range.start.character}`).sort();
  assert.deepEqual(got, [
    'nftables.jump-loop:error:5:16',
    'nftables.jump-to-base-chain:error:2:89',
    'nftables.undefined-chain:error:2:52',
    'nftables.undefined-set:error:2:70',
    'nftables.undefined-variable:error:2:104',
    'nftables.unused-chain:hint:9:7',
    'nftables.unused-chain:warning:10:7',
    'nftables.unused-chain:warning:6:7',
  ]);
});

test('syntax errors nft reports, with exact ranges; the rest of the file still parses', () => {
  const cases: [string, string, string][] = [
    ['table ip t {\n\tchain c {\n\t\ttcp dport 22 acept\n\t}\n}\n', 'nftables.unknown-statement', '3:15-20'],
    ['table ip t {\n\tchain c {\n\t\tip saddr\n\t}\n}\n', 'nftables.syntax', '3:2-10'],
    ['table ip t {\n\tchain c {\n\t\tcomment "open\n\t}\n}\n', 'nftables.syntax', '3:10-15'],
    ['table ip t {\n\tchain c {\n\t}\n', 'nftables.syntax', '1:11-12'],
    ['table ip t { }\n}\n', 'nftables.syntax', '2:0-1'],
    ['table foo t { }\n', 'nftables.unknown-family', '1:6-9'],
    ['chain c { }\n', 'nftables.syntax', '1:0-5'],
    ['table ip t {\n\tbogus x { }\n}\n', 'nftables.syntax', '2:1-6'],
    ['table ip t {\n\tchain c {\n\t\ttcp dport 22 jump\n\t}\n}\n', 'nftables.syntax', '3:15-19'],
    ['table ip t {\n\tset s { flags interval; }\n}\n', 'nftables.syntax', '2:1-6'],
    ['table ip t {\n\tchain c { accept }\n}\n', 'nftables.missing-separator', '2:18-19'],
    ['table ip t { chain c { accept; } }\n', 'nftables.missing-separator', '1:33-34'],
    ['table ip t {\n\tchain c {\n\t\ttcp dport { 22; 80 } accept\n\t}\n}\n', 'nftables.syntax', '3:16-17'],
    ['table ip t {\n\tchain c {\n\t\tpolicy drop\n\t}\n}\n', 'nftables.policy-without-hook', '3:9-13'],
    ['table ip t {\n\tchain c {\n\t\ttcp sport 1 ip sport 2\n\t}\n}\n', 'nftables.unknown-field', '3:17-22'],
    ['table ip t {\n\tchain c {\n\t\tip saddr 1.2.3.4 ip6 saddr ::1\n\t}\n}\n', 'nftables.wrong-family', '3:19-28'],
    ['table arp t {\n\tchain c {\n\t\tarp operation request th dport 1\n\t}\n}\n', 'nftables.wrong-family', '3:24-32'],
    ['table inet t {\n\tchain c {\n\t\tmeta l4proto udp tcp dport 53\n\t}\n}\n', 'nftables.conflicting-protocols', '3:19-28'],
    ['table ip t {\n\tchain c {\n\t\tip saddr { 10.0.0.1, 10.0.0.300 } accept\n\t}\n}\n', 'nftables.invalid-value', '3:23-33'],
    ['table ip t {\n\tchain c {\n\t\tct state established,relatd accept\n\t}\n}\n', 'nftables.invalid-value', '3:23-29'],
    ['table ip t {\n\tchain c {\n\t\ttcp dport 1-70000 accept\n\t}\n}\n', 'nftables.invalid-value', '3:12-19'],
    ['table ip t {\n\tchain c {\n\t\tip saddr . tcp dport { 10.0.0.1 . 99999 } accept\n\t}\n}\n', 'nftables.invalid-value', '3:36-41'],
    ['table ip t {\n\tchain c {\n\t\tcounter drop log prefix "x"\n\t}\n}\n', 'nftables.after-terminal', '3:15-29'],
    ['table ip t {\n\tchain c {\n\t\tcounter comment "x" accept\n\t}\n}\n', 'nftables.syntax', '3:22-28'],
    ['table ip t {\n\tchain c {\n\t\tiifname meta l4proto tcp accept\n\t}\n}\n', 'nftables.syntax', '3:2-9'],
    ['table inet t {\n\tchain c {\n\t\tmeta l4proto udp reject with tcp reset\n\t}\n}\n', 'nftables.conflicting-protocols', '3:19-40'],
    ['table inet t {\n\tchain c {\n\t\tip saddr . tcp dport { 1.2.3.4 . 22 } ip6 daddr ::1\n\t}\n}\n', 'nftables.conflicting-protocols', '3:40-49'],
  ];
  for (const [text, code, where] of cases) {
    const r = parseNftables(text);
    const e = errors(r);
    assert.ok(e.length >= 1, `${JSON.stringify(text)}: no error`);
    const at = `${e[0].range.start.line + 1}:${e[0].range.start.character}-${e[0].range.end.character}`;
    assert.equal(`${e[0].code} ${at}`, `${code} ${where}`, `${JSON.stringify(text)}: ${e[0].message}`);
  }
  // After a broken rule the next chain still parses.
  const r = parseNftables('table ip t {\n\tchain c {\n\t\tfoo bar\n\t}\n\tchain d { type filter hook input priority 0; accept; }\n}\n');
  assert.equal(chain(r, 'ip t', 'd').rules.length, 1);
});

test('anonymous chains (jump { … }) and rules of them are read', () => {
  const c = parseNftables(`table inet x {
	chain y {
		type filter hook input priority filter; policy accept;
		meta l4proto { tcp, udp } th dport 53 jump {
			ip saddr { 127.0.0.0/8, 172.23.0.0/16 } counter packets 0 bytes 0 accept
			ip6 saddr ::1 counter packets 0 bytes 0 accept
		}
	}
}
`);
  assert.deepEqual(errors(c), []);
  const v = chain(c, 'inet x', 'y').rules[0].statements.at(-1)!;
  assert.equal(v.kind === 'verdict' && v.binding?.length, 2);
});

test('hovers: ct states, priorities, marks, verdicts and the table of an iptables-nft warning', async () => {
  const { nodeAt } = await import('../../server/src/netfilter/nftables/query');
  const { explain } = await import('../../server/src/netfilter/nftables/explain');
  const text = `# Warning: table ip filter is managed by iptables-nft, do not touch!
table ip filter {
	chain OUTPUT {
		type filter hook output priority filter + 10; policy accept;
		ct state invalid,new counter drop
		meta mark 0x0000c114 accept
	}
}
`;
  const r = parseNftables(text);
  const lines = text.split('\n');
  const hover = (line: number, needle: string) => {
    const node = nodeAt(r, { line, character: lines[line].indexOf(needle) + 1 });
    assert.ok(node, `${needle} on line ${line + 1}`);
    return explain(r, node);
  };
  assert.match(hover(4, 'invalid'), /`invalid`: a packet conntrack cannot place/);
  assert.match(hover(4, 'invalid'), /`new`: the first packet/);
  assert.match(hover(3, 'filter + 10'), /= \*\*10\*\*/);
  assert.match(hover(3, 'filter + 10'), /plus 10/);
  assert.match(hover(5, '0x0000c114'), /CRIU's forged FIN \(mark 0xc114\) \*\*matches\*\*/);
  assert.match(hover(5, 'accept'), /for this base chain only/);
  assert.match(hover(4, 'drop'), /EPERM/);
  assert.match(hover(0, 'Warning'), /iptables-nft-save/);
  assert.match(hover(1, 'filter'), /Made by \*\*iptables-nft\*\*/);
});
