import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as a from '../../server/src/knowledge/xtables/args';
import {
  basicOptionSpecs,
  builtinChains,
  findMatchModule,
  findOption,
  findTarget,
  matchModules,
  standardVerdicts,
  targets,
} from '../../server/src/knowledge/xtables';
import type { ArgParser, ArgResult, ArgValue, Family, OptionSpec } from '../../server/src/knowledge/xtables/types';
import { corpusAvailable, corpusDir, corpusMissingReason, filesUnder } from '../support/paths';

/** The value of a parse that must succeed. */
function value(p: ArgParser, text: string, family: Family = 'ipv4'): ArgValue {
  const r = p(text, family);
  assert.ok(r.ok, `"${text}" should parse: ${r.ok ? '' : r.message}`);
  return r.value;
}

/** The message of a parse that must fail. */
function failure(p: ArgParser, text: string, family: Family = 'ipv4'): string {
  const r = p(text, family);
  assert.ok(!r.ok, `"${text}" should be rejected, got ${JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  assert.ok(r.message.length > 0);
  return r.message;
}

function warning(r: ArgResult): string | undefined {
  return r.ok ? r.warning : undefined;
}

const n = (v: number): ArgValue => ({ type: 'number', value: v });
const rng = (from: number, to: number): ArgValue => ({ type: 'range', from, to });
const nm = (v: string): ArgValue => ({ type: 'name', value: v });

test('numbers read like strtoul with base 0, and reject what xtables_strtoul rejects', () => {
  assert.deepEqual(value(a.uint32, '42'), n(42));
  assert.deepEqual(value(a.uint32, '0x2a'), n(42));
  assert.deepEqual(value(a.uint32, '052'), n(42), 'a leading 0 is octal');
  assert.deepEqual(value(a.uint32, '+7'), n(7));
  assert.deepEqual(value(a.uint32, '4294967295'), n(0xffffffff));
  failure(a.uint32, '4294967296');
  failure(a.uint32, '-1');
  failure(a.uint32, '08');
  failure(a.uint32, '');
  failure(a.uint32, '12abc');
  assert.match(failure(a.uint(0, 255), '256'), /out of range \(0-255\)/);
  assert.deepEqual(value(a.uintRange(65535), '100:'), rng(100, 65535));
  assert.deepEqual(value(a.uintRange(65535), ':100'), rng(0, 100));
  assert.deepEqual(value(a.uintRange(65535), '0x10:020'), rng(16, 16));
  assert.deepEqual(value(a.uintRange(65535), '5:3'), rng(5, 3), 'iptables does not order length ranges');
  failure(a.uintRange(65535), '1:2:3');
  failure(a.uintRange(65535), '70000');
  failure(a.uintRange(0xffffffff), '10-20');
  assert.deepEqual(value(a.decimal(0, 1), '0.5'), n(0.5));
  failure(a.decimal(0, 1), '1.5');
});

test('marks: value[/mask], hex or decimal, the mask defaults to 0xffffffff', () => {
  assert.deepEqual(value(a.markMask, '0x8000/0x8000'), { type: 'mark', value: 0x8000, mask: 0x8000 });
  assert.deepEqual(value(a.markMask, '0xc114'), { type: 'mark', value: 0xc114, mask: 0xffffffff });
  assert.deepEqual(value(a.markMask, '49428'), { type: 'mark', value: 0xc114, mask: 0xffffffff });
  assert.deepEqual(value(a.markMask, '0x539/0xfff'), { type: 'mark', value: 0x539, mask: 0xfff });
  assert.deepEqual(value(a.markMask, '0x40000/0x40000'), { type: 'mark', value: 0x40000, mask: 0x40000 });
  assert.deepEqual(value(a.markMask, '010'), { type: 'mark', value: 8, mask: 0xffffffff });
  assert.match(failure(a.markMask, '0xzz'), /^Bad mark value "0xzz"/);
  assert.match(failure(a.markMask, '0x1/0xzz'), /^Bad mark value "0x1\/0xzz"/);
  failure(a.markMask, '0x100000000');
  failure(a.markMask, '-1');
  failure(a.markMask, '1/');
  failure(a.markMask, '/0x1');
  failure(a.markMask, '!', 'ipv4');
  assert.deepEqual(value(a.markValue, '0xff'), n(0xff));
  failure(a.markValue, '0x1/0x2');
});

test('addresses: prefix, dotted mask, IPv6, stored masked; names are refused', () => {
  const net = value(a.address, '10.0.0.0/255.0.0.0');
  assert.equal(net.type === 'net' && net.prefix, 8);
  assert.equal(net.type === 'net' && net.address, 0x0a000000n);
  assert.equal(net.type === 'net' && net.mask, 0xff000000n);
  const masked = value(a.address, '10.1.2.3/8');
  assert.equal(masked.type === 'net' && masked.address, 0x0a000000n, 'the address is masked, as iptables stores it');
  assert.equal(masked.type === 'net' && masked.text, '10.1.2.3/8');
  const host = value(a.address, '192.168.1.7');
  assert.ok(host.type === 'net' && host.prefix === 32 && host.mask === 0xffffffffn && host.address === 0xc0a80107n);
  const odd = value(a.address, '10.1.2.3/255.0.255.0');
  assert.ok(odd.type === 'net' && odd.prefix === null && odd.address === 0x0a000200n, 'non-contiguous masks have no prefix');
  const partial = value(a.address, '10.1');
  assert.ok(partial.type === 'net' && partial.address === 0x0a010000n, 'iptables completes 10.1 to 10.1.0.0');
  const based = value(a.address, '0x0a.010.1.1');
  assert.ok(based.type === 'net' && based.address === 0x0a080101n);
  const any = value(a.address, '0.0.0.0/0');
  assert.ok(any.type === 'net' && any.prefix === 0 && any.mask === 0n);
  assert.ok(value(a.address, 'whatever/0').type === 'net', 'a zero mask ignores the address, as iptables does');

  const v6 = value(a.address, 'fe80::/10', 'ipv6');
  assert.ok(v6.type === 'net' && v6.family === 'ipv6' && v6.prefix === 10);
  assert.equal(v6.type === 'net' && v6.address, 0xfe80n << 112n);
  const v6host = value(a.address, '2001:db8::1', 'ipv6');
  assert.ok(v6host.type === 'net' && v6host.prefix === 128 && v6host.address === ((0x20010db8n << 96n) | 1n));
  const v6mask = value(a.address, '2001:db8::1/ffff:ffff::', 'ipv6');
  assert.ok(v6mask.type === 'net' && v6mask.prefix === 32 && v6mask.address === 0x20010db8n << 96n);
  const mapped = value(a.address, '::ffff:1.2.3.4', 'ipv6');
  assert.ok(mapped.type === 'net' && mapped.address === ((0xffffn << 32n) | 0x01020304n));

  assert.match(failure(a.address, '1.2.3.4/33'), /invalid mask "33"/);
  assert.match(failure(a.address, '1.2.3.256'), /host\/network "1\.2\.3\.256" not found/);
  assert.match(failure(a.address, 'example.com'), /host names are not resolved/);
  failure(a.address, '1.2.3.4/');
  failure(a.address, '::1');
  failure(a.address, '1.2.3.4', 'ipv6');
  failure(a.address, '::1/129', 'ipv6');
  failure(a.address, 'fe80::%', 'ipv6');
  failure(a.address, '1:2:3:4:5:6:7:8:9', 'ipv6');
  failure(a.address, '1::2::3', 'ipv6');

  const several = a.addresses('10.0.0.1,10.0.0.2', 'ipv4');
  assert.ok(several.ok && several.value.type === 'list' && several.value.items.length === 2 && warning(several));
  assert.equal(a.formatAddress(0x20010db8n << 96n, 'ipv6'), '2001:db8::');
  assert.equal(a.formatAddress(0x0a000001n, 'ipv4'), '10.0.0.1');
});

test('addresses read by getaddrinfo: conntrack, recent, TPROXY take inet_aton forms', () => {
  const ct = value(a.hostMask, '10.1');
  assert.ok(ct.type === 'net' && ct.address === 0x0a000001n && ct.prefix === 32, '10.1 is 10.0.0.1 here, unlike -s');
  const ct8 = value(a.hostMask, '10.1.2.3/0x18');
  assert.ok(ct8.type === 'net' && ct8.prefix === 24 && ct8.address === 0x0a010200n);
  const odd = a.hostMask('1.2.3.4/255.0.255.0', 'ipv4');
  assert.ok(odd.ok && odd.value.type === 'net' && odd.value.prefix === 32 && odd.warning, 'iptables 1.8.9 turns a non-prefix mask into /32');
  assert.equal(a.parseInetAton('1.2.3'), 0x01020003n);
  assert.equal(a.parseInetAton('24'), 24n);
  assert.equal(a.parseInetAton('0x7f.1'), 0x7f000001n);
  assert.equal(a.parseInetAton('1.2.3.256'), undefined);
  assert.equal(a.parseInetAton('1.2.65536'), undefined);
  const m = value(a.addressMask, '255.255.255.0');
  assert.ok(m.type === 'net' && m.prefix === 24);
  const tp = value(a.hostAddress, '127.0.0.1');
  assert.ok(tp.type === 'net' && tp.address === 0x7f000001n);
  failure(a.hostAddress, 'localhost');
  const zoned = a.address('fe80::1%eth0', 'ipv6');
  assert.ok(zoned.ok && zoned.warning, 'a scope is accepted and dropped, as getaddrinfo does');
  assert.deepEqual(value(a.policyProto, 'esp'), nm('esp'));
  assert.deepEqual(value(a.policyProto, '51'), nm('ah'));
  failure(a.policyProto, 'tcp');
  assert.deepEqual(value(a.classId, '1:2:3'), n(0x10002), 'sscanf ignores what follows the minor');
  assert.deepEqual(value(a.weekdays, 'Monday,Tu,7'), { type: 'list', items: [nm('Mon'), nm('Tue'), nm('Sun')] });
  failure(a.weekdays, 'mon');
  failure(a.weekdays, '0');
  assert.deepEqual(value(a.tcpFlagList, 'SYN,'), { type: 'list', items: [nm('SYN')] }, 'empty items are skipped like strtok does');
  assert.deepEqual(value(a.mac, ':11:22:33:44:55'), { type: 'string', value: '00:11:22:33:44:55' });
});

test('ports: numbers, service names from the embedded table, ranges with open ends', () => {
  for (const [name, port] of [['ssh', 22], ['http', 80], ['https', 443], ['domain', 53], ['smtp', 25], ['ntp', 123], ['http-alt', 8080], ['www', 80]] as const) {
    assert.deepEqual(value(a.port, name), n(port), name);
  }
  assert.deepEqual(value(a.port, '0x50'), n(80));
  assert.equal(failure(a.port, 'foo'), 'invalid port/service "foo" specified');
  failure(a.port, 'HTTP');
  failure(a.port, '65536');
  failure(a.port, '-1');
  failure(a.port, '');
  assert.deepEqual(value(a.portRange, '22'), rng(22, 22));
  assert.deepEqual(value(a.portRange, 'ssh'), rng(22, 22));
  assert.deepEqual(value(a.portRange, '1024:65535'), rng(1024, 65535));
  assert.deepEqual(value(a.portRange, ':1024'), rng(0, 1024));
  assert.deepEqual(value(a.portRange, '1024:'), rng(1024, 65535));
  assert.deepEqual(value(a.portRange, ':'), rng(0, 65535));
  const reversed = a.portRange('60000:29', 'ipv4');
  assert.ok(reversed.ok && reversed.warning && /min > max/.test(reversed.warning), 'old iptables saved such ranges: a warning, not an error');
  assert.match(failure(a.portRange, '1:2:3'), /invalid port\/service "2:3"/);
  failure(a.portRange, '!');

  assert.deepEqual(value(a.ctPortRange, '90:80'), rng(90, 80), 'conntrack does not order its port ranges');
  failure(a.ctPortRange, '80-90');

  assert.deepEqual(value(a.natPortRange, '1024-65535'), rng(1024, 65535));
  assert.deepEqual(value(a.natPortRange, 'http'), rng(80, 80));
  assert.match(failure(a.natPortRange, '80:90'), /use dash/);
});

test('multiport: up to 15 ports, a range counting as two', () => {
  assert.deepEqual(value(a.multiportList, '22,80,443'), { type: 'list', items: [rng(22, 22), rng(80, 80), rng(443, 443)] });
  assert.deepEqual(value(a.multiportList, '53,1024:65535,ssh'), { type: 'list', items: [rng(53, 53), rng(1024, 65535), rng(22, 22)] });
  value(a.multiportList, Array.from({ length: 15 }, (_, i) => i + 1).join(','));
  assert.match(failure(a.multiportList, Array.from({ length: 16 }, (_, i) => i + 1).join(',')), /too many ports/);
  value(a.multiportList, '1:2,3:4,5:6,7:8,9:10,11:12,13:14,15');
  failure(a.multiportList, '1:2,3:4,5:6,7:8,9:10,11:12,13:14,15:16');
  assert.match(failure(a.multiportList, '5:3'), /invalid portrange/);
  failure(a.multiportList, '5:5');
  failure(a.multiportList, '1,,2');
  failure(a.multiportList, ':3');
  assert.match(failure(a.multiportList, '1,foo'), /invalid port\/service "foo"/);
});

test('interfaces: 15 characters at most, + is a prefix wildcard', () => {
  assert.deepEqual(value(a.iface, 'eth0'), { type: 'iface', name: 'eth0', wildcard: false });
  assert.deepEqual(value(a.iface, 'eth+'), { type: 'iface', name: 'eth', wildcard: true });
  assert.deepEqual(value(a.iface, '+'), { type: 'iface', name: '', wildcard: true });
  value(a.iface, 'abcdefghijklmno');
  assert.match(failure(a.iface, 'abcdefghijklmnop'), /IFNAMSIZ/);
  assert.match(failure(a.iface, ''), /Empty interface/);
  assert.ok(warning(a.iface('eth/0', 'ipv4')));
});

test('conntrack states, statuses and directions; the state match has no SNAT/DNAT', () => {
  assert.deepEqual(value(a.ctStateList, 'RELATED,ESTABLISHED'), { type: 'list', items: [nm('RELATED'), nm('ESTABLISHED')] });
  assert.deepEqual(value(a.ctStateList, 'new,Established'), { type: 'list', items: [nm('NEW'), nm('ESTABLISHED')] });
  assert.deepEqual(value(a.ctStateList, 'E,s'), { type: 'list', items: [nm('ESTABLISHED'), nm('SNAT')] }, 'a prefix picks the first state that fits');
  assert.deepEqual(value(a.ctStateList, 'INVALID,UNTRACKED,SNAT,DNAT'), { type: 'list', items: [nm('INVALID'), nm('UNTRACKED'), nm('SNAT'), nm('DNAT')] });
  assert.equal(failure(a.ctStateList, 'FOO'), 'Bad ctstate "FOO"');
  assert.equal(failure(a.ctStateList, 'NEW,'), 'Bad ctstate ""');
  failure(a.ctStateList, '!');
  assert.deepEqual(value(a.stateList, 'NEW,RELATED'), { type: 'list', items: [nm('NEW'), nm('RELATED')] });
  assert.equal(failure(a.stateList, 'SNAT'), 'Bad state "SNAT"');
  assert.deepEqual(value(a.ctStatusList, 'assured,confirmed'), { type: 'list', items: [nm('ASSURED'), nm('CONFIRMED')] });
  for (const s of ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED']) value(a.ctStatusList, s);
  failure(a.ctStatusList, 'FOO');
  assert.deepEqual(value(a.ctDir, 'original'), nm('ORIGINAL'));
  assert.deepEqual(value(a.ctDir, 'REPLY'), nm('REPLY'));
  failure(a.ctDir, 'R');
});

test('TCP flags: ALL and NONE, kernel order, unknown flags refused', () => {
  const flags = (t: string) => {
    const v = value(a.tcpFlagList, t);
    return v.type === 'list' ? v.items.map((i) => (i.type === 'name' ? i.value : '?')) : [];
  };
  assert.deepEqual(flags('SYN,ACK,FIN,RST'), ['FIN', 'SYN', 'RST', 'ACK']);
  assert.deepEqual(flags('ALL'), ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG']);
  assert.deepEqual(flags('NONE'), []);
  assert.deepEqual(flags('syn'), ['SYN']);
  assert.equal(failure(a.tcpFlagList, 'SYN,FOO'), 'Unknown TCP flag "FOO"');
  failure(a.tcpFlagList, 'S');
  assert.deepEqual(value(a.tcpOption, '2'), n(2));
  failure(a.tcpOption, '256');
});

test('ICMP and ICMPv6 types: names, unique prefixes, type/code', () => {
  const t = (v: ArgValue) => (v.type === 'list' ? v.items : []);
  assert.deepEqual(t(value(a.icmpType, 'echo-request')), [n(8), rng(0, 255)]);
  assert.deepEqual(t(value(a.icmpType, 'ping')), [n(8), rng(0, 255)]);
  assert.deepEqual(t(value(a.icmpType, 'port-unreachable')), [n(3), rng(3, 3)]);
  assert.deepEqual(t(value(a.icmpType, '3/4')), [n(3), rng(4, 4)]);
  assert.deepEqual(t(value(a.icmpType, '3')), [n(3), rng(0, 255)]);
  assert.deepEqual(t(value(a.icmpType, 'any')), [n(255), rng(0, 255)]);
  assert.deepEqual(t(value(a.icmpType, 'ECHO-REQ')), [n(8), rng(0, 255)]);
  assert.match(failure(a.icmpType, 'echo'), /Ambiguous ICMP type "echo": "echo-reply" or "echo-request"/);
  assert.match(failure(a.icmpType, 'foo'), /Unknown ICMP type "foo"/);
  failure(a.icmpType, '256');
  assert.match(failure(a.icmpType, '3/256'), /Unknown ICMP code/);
  failure(a.icmpType, '3/');
  failure(a.icmpType, '3/1/2');
  assert.deepEqual(t(value(a.icmpv6Type, 'neighbour-solicitation', 'ipv6')), [n(135), rng(0, 255)]);
  assert.deepEqual(t(value(a.icmpv6Type, 'echo-request', 'ipv6')), [n(128), rng(0, 255)]);
  assert.deepEqual(t(value(a.icmpv6Type, 'no-route', 'ipv6')), [n(1), rng(0, 0)]);
  assert.deepEqual(t(value(a.icmpv6Type, '1/3', 'ipv6')), [n(1), rng(3, 3)]);
  failure(a.icmpv6Type, 'any', 'ipv6');
  assert.match(failure(a.icmpv6Type, 'neighbor', 'ipv6'), /Ambiguous ICMPv6 type/);
});

test('addrtype and pkttype names', () => {
  assert.deepEqual(value(a.addrTypeList, 'LOCAL'), { type: 'list', items: [nm('LOCAL')] });
  assert.deepEqual(value(a.addrTypeList, 'local,unicast'), { type: 'list', items: [nm('LOCAL'), nm('UNICAST')] });
  for (const t of a.ADDR_TYPES) value(a.addrTypeList, t);
  failure(a.addrTypeList, 'FOO');
  failure(a.addrTypeList, 'LOCAL,');
  assert.deepEqual(value(a.pktType, 'unicast'), nm('unicast'));
  assert.deepEqual(value(a.pktType, 'Broadcast'), nm('broadcast'));
  assert.deepEqual(value(a.pktType, 'host'), nm('unicast'));
  value(a.pktType, 'otherhost');
  value(a.pktType, 'multicast');
  assert.match(failure(a.pktType, 'foo'), /Bad packet type 'foo'/);
});

test('rates: N/unit with the abbreviations iptables accepts, normalised as iptables-save prints them', () => {
  assert.deepEqual(value(a.limitRate, '5/min'), nm('5/min'));
  assert.deepEqual(value(a.limitRate, '5/minute'), nm('5/min'));
  assert.deepEqual(value(a.limitRate, '5/m'), nm('5/min'));
  assert.deepEqual(value(a.limitRate, '5/s'), nm('5/sec'));
  assert.deepEqual(value(a.limitRate, '5/second'), nm('5/sec'));
  assert.deepEqual(value(a.limitRate, '5/sec'), nm('5/sec'));
  assert.deepEqual(value(a.limitRate, '3/hour'), nm('3/hour'));
  assert.deepEqual(value(a.limitRate, '3/h'), nm('3/hour'));
  assert.deepEqual(value(a.limitRate, '7/day'), nm('7/day'));
  assert.deepEqual(value(a.limitRate, '5'), nm('5/sec'));
  assert.deepEqual(value(a.limitRate, '5/MIN'), nm('5/min'));
  assert.match(failure(a.limitRate, '5/daily'), /bad rate/);
  failure(a.limitRate, '0/s');
  failure(a.limitRate, '5/');
  failure(a.limitRate, 'abc');
  assert.match(failure(a.limitRate, '20000/s'), /Rate too fast/);
  assert.deepEqual(value(a.hashlimitRate, '10/sec'), nm('10/sec'));
  assert.deepEqual(value(a.hashlimitRate, '512kb/s'), nm('512kb/s'));
  failure(a.hashlimitRate, '0/s');
  failure(a.hashlimitRate, '1000001/s');
  value(a.hashlimitMode, 'srcip,dstport');
  failure(a.hashlimitMode, 'src');
});

test('MAC addresses, lengths, TTL, TOS, DSCP', () => {
  assert.deepEqual(value(a.mac, 'AA:bb:cc:dd:ee:0'), { type: 'string', value: 'aa:bb:cc:dd:ee:00' });
  failure(a.mac, '00:11:22:33:44');
  failure(a.mac, '00:11:22:33:44:555');
  failure(a.mac, '00-11-22-33-44-55');
  assert.deepEqual(value(a.uintRange(65535), '64:1500'), rng(64, 1500));
  assert.deepEqual(value(a.ttlValue, '64'), n(64));
  failure(a.ttlValue, '256');
  assert.deepEqual(value(a.tosMatch, 'Minimize-Delay'), { type: 'mark', value: 0x10, mask: 0x3f });
  assert.deepEqual(value(a.tosMatch, 'minimize-delay'), { type: 'mark', value: 0x10, mask: 0x3f });
  assert.deepEqual(value(a.tosMatch, '0x10/0x3f'), { type: 'mark', value: 0x10, mask: 0x3f });
  assert.deepEqual(value(a.tosMatch, '0x10'), { type: 'mark', value: 0x10, mask: 0xff });
  assert.deepEqual(value(a.tosTarget, 'Minimize-Cost'), { type: 'mark', value: 0x02, mask: 0x3f }, 'iptables-save prints --set-tos 0x02/0x3f');
  assert.match(failure(a.tosMatch, 'foo'), /Symbolic name "foo" is unknown/);
  failure(a.tosMatch, '256');
  failure(a.tosMatch, '0x10/');
  assert.deepEqual(value(a.dscpValue, '0x2e'), n(46));
  failure(a.dscpValue, '64');
  assert.deepEqual(value(a.dscpClass, 'EF'), n(46));
  assert.deepEqual(value(a.dscpClass, 'ef'), n(46));
  assert.deepEqual(value(a.dscpClass, 'BE'), n(0));
  assert.deepEqual(value(a.dscpClass, 'AF11'), n(10));
  assert.deepEqual(value(a.dscpClass, 'AF43'), n(38));
  assert.deepEqual(value(a.dscpClass, 'CS0'), n(0));
  assert.deepEqual(value(a.dscpClass, 'cs7'), n(56));
  failure(a.dscpClass, 'AF44');
  failure(a.dscpClass, 'CS8');
});

test('uid/gid: numbers and ranges; names are refused with a reason', () => {
  assert.deepEqual(value(a.uidRange, '0'), rng(0, 0));
  assert.deepEqual(value(a.uidRange, '1000-2000'), rng(1000, 2000));
  assert.deepEqual(value(a.gidRange, '5'), rng(5, 5));
  assert.match(failure(a.uidRange, 'root'), /user names are not resolved/);
  assert.match(failure(a.gidRange, 'wheel'), /group names are not resolved/);
  failure(a.uidRange, '4294967295');
  assert.ok(warning(a.uidRange('5-3', 'ipv4')), 'a reversed range is refused by the kernel');
});

test('protocols: names (any case for -p), numbers, the IPv6 spellings', () => {
  assert.deepEqual(value(a.protocol, 'tcp'), n(6));
  assert.deepEqual(value(a.protocol, 'TCP'), n(6));
  assert.deepEqual(value(a.protocol, 'Tcp'), n(6));
  assert.deepEqual(value(a.protocol, 'udp'), n(17));
  assert.deepEqual(value(a.protocol, 'udplite'), n(136));
  assert.deepEqual(value(a.protocol, 'icmp'), n(1));
  assert.deepEqual(value(a.protocol, 'icmpv6'), n(58));
  assert.deepEqual(value(a.protocol, 'ipv6-icmp'), n(58));
  assert.deepEqual(value(a.protocol, 'esp'), n(50));
  assert.deepEqual(value(a.protocol, 'ah'), n(51));
  assert.deepEqual(value(a.protocol, 'sctp'), n(132));
  assert.deepEqual(value(a.protocol, 'gre'), n(47));
  assert.deepEqual(value(a.protocol, 'all'), n(0));
  assert.deepEqual(value(a.protocol, 'ALL'), n(0));
  assert.deepEqual(value(a.protocol, '0x11'), n(17));
  assert.deepEqual(value(a.protocol, '6'), n(6));
  assert.equal(failure(a.protocol, 'foo'), 'unknown protocol "foo" specified');
  failure(a.protocol, '256');
  assert.deepEqual(value(a.ctProto, 'TCP'), n(6), '/etc/protocols aliases');
  failure(a.ctProto, 'ALL');
  assert.equal(a.protocolName(17), 'udp');
});

test('free strings: comment 255 and log prefix 29 characters, cut like iptables does', () => {
  const long = 'x'.repeat(300);
  assert.deepEqual(value(a.comment, 'kube-system/kube-dns:dns'), { type: 'string', value: 'kube-system/kube-dns:dns' });
  const c = a.comment('y'.repeat(255), 'ipv4');
  assert.ok(c.ok && !c.warning);
  const cut = a.comment(long, 'ipv4');
  assert.ok(cut.ok && cut.value.type === 'string' && cut.value.value.length === 255 && cut.warning);
  const p = a.logPrefix('z'.repeat(29), 'ipv4');
  assert.ok(p.ok && !p.warning);
  const p2 = a.logPrefix('z'.repeat(30), 'ipv4');
  assert.ok(p2.ok && p2.value.type === 'string' && p2.value.value.length === 29 && p2.warning);
  failure(a.logPrefix, '');
  assert.deepEqual(value(a.opaque, '0>>22&0x3C@12=1'), { type: 'opaque', text: '0>>22&0x3C@12=1' });
  value(a.hexString, '|0d0a|');
  failure(a.hexString, '|0d0|');
  assert.deepEqual(value(a.logLevel, 'warning'), n(4));
  assert.deepEqual(value(a.logLevel, '7'), n(7));
  failure(a.logLevel, '8');
  failure(a.logLevel, 'warn');
});

test('REJECT types per family, with aliases and the prefixes iptables accepts', () => {
  assert.deepEqual(value(a.rejectWith, 'icmp-host-prohibited'), nm('icmp-host-prohibited'));
  assert.deepEqual(value(a.rejectWith, 'icmp-port-unreachable'), nm('icmp-port-unreachable'));
  assert.deepEqual(value(a.rejectWith, 'tcp-reset'), nm('tcp-reset'));
  assert.deepEqual(value(a.rejectWith, 'tcp-rst'), nm('tcp-reset'));
  assert.deepEqual(value(a.rejectWith, 'admin-prohib'), nm('icmp-admin-prohibited'));
  assert.deepEqual(value(a.rejectWith, 'icmp-host-prohib'), nm('icmp-host-prohibited'));
  assert.deepEqual(value(a.rejectWith, 'ICMP-NET-UNREACHABLE'), nm('icmp-net-unreachable'));
  assert.equal(failure(a.rejectWith, 'foo'), 'unknown reject type "foo"');
  failure(a.rejectWith, 'icmp6-no-route');
  assert.deepEqual(value(a.rejectWith, 'icmp6-no-route', 'ipv6'), nm('icmp6-no-route'));
  assert.deepEqual(value(a.rejectWith, 'no-route', 'ipv6'), nm('icmp6-no-route'));
  assert.deepEqual(value(a.rejectWith, 'icmp6-adm-prohibited', 'ipv6'), nm('icmp6-adm-prohibited'));
  assert.deepEqual(value(a.rejectWith, 'tcp-reset', 'ipv6'), nm('tcp-reset'));
  failure(a.rejectWith, 'tcp-rst', 'ipv6');
  failure(a.rejectWith, 'icmp-port-unreachable', 'ipv6');
});

test('ranges, NAT specs and other target arguments', () => {
  assert.deepEqual(value(a.ipRange, '10.0.0.1-10.0.0.9'), { type: 'iprange', family: 'ipv4', from: 0x0a000001n, to: 0x0a000009n });
  assert.deepEqual(value(a.ipRange, '10.0.0.1'), { type: 'iprange', family: 'ipv4', from: 0x0a000001n, to: 0x0a000001n });
  assert.ok(warning(a.ipRange('10.0.0.9-10.0.0.1', 'ipv4')));
  failure(a.ipRange, '10.0.0.1-foo');
  failure(a.ipRange, '10.0.0.1/24');
  value(a.ipRange, '2001:db8::1-2001:db8::9', 'ipv6');

  assert.deepEqual(value(a.natRange(true), '10.246.1.2:53'), { type: 'list', items: [{ type: 'iprange', family: 'ipv4', from: 0x0af60102n, to: 0x0af60102n }, rng(53, 53)] });
  assert.deepEqual(value(a.natRange(true), ':80'), { type: 'list', items: [rng(80, 80)] });
  value(a.natRange(true), '1.2.3.4-1.2.3.9:80-90');
  value(a.natRange(true), '1.2.3.4:80-90/100');
  failure(a.natRange(false), '1.2.3.4:80-90/100');
  value(a.natRange(false), '1.2.3.4');
  value(a.natRange(true), '[2001:db8::1]:80', 'ipv6');
  value(a.natRange(true), '2001:db8::1', 'ipv6');
  failure(a.natRange(true), 'foo');

  assert.deepEqual(value(a.classId, '1:10'), n(0x10010));
  failure(a.classId, '1');
  assert.deepEqual(value(a.queueRange, '0:3'), rng(0, 3));
  failure(a.queueRange, '5:3');
  assert.deepEqual(value(a.ctZone, 'mark'), nm('mark'));
  assert.deepEqual(value(a.ctZone, '1'), n(1));
  value(a.ctEvents, 'new,related');
  failure(a.ctEvents, 'foo');
  value(a.setFlags, 'src,dst');
  failure(a.setFlags, 'src,foo');
  failure(a.setFlags, 'src,src,src,src,src,src,src');
  assert.deepEqual(value(a.timeOfDay, '08:00'), n(8 * 3600));
  failure(a.timeOfDay, '25:00');
  value(a.dateTime, '2038-01-19T03:14:07');
  failure(a.dateTime, '2020-13-01');
  value(a.weekdays, 'Mon,Tu,7');
  failure(a.weekdays, 'Foo');
  value(a.monthdays, '1,15,31');
  failure(a.monthdays, '32');
  assert.deepEqual(value(a.prefixLength, '24'), n(24));
  assert.deepEqual(value(a.prefixLength, '255.255.255.0'), n(24));
  const odd = a.prefixLength('33', 'ipv4');
  assert.ok(odd.ok && odd.value.type === 'opaque' && odd.warning, 'iptables reads 33 as the mask 0.0.0.33');
  failure(a.prefixLength, 'x');
  value(a.prefixLength, '64', 'ipv6');
});

/** Every module and target the extension must know, with the options it must have. */
const expectedModules: Record<string, string[]> = {
  mark: ['mark'],
  connmark: ['mark'],
  conntrack: ['ctstate', 'ctproto', 'ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst', 'ctorigsrcport', 'ctorigdstport', 'ctreplsrcport', 'ctrepldstport', 'ctstatus', 'ctexpire', 'ctdir'],
  state: ['state'],
  comment: ['comment'],
  tcp: ['sport', 'source-port', 'dport', 'destination-port', 'tcp-flags', 'syn', 'tcp-option'],
  udp: ['sport', 'source-port', 'dport', 'destination-port'],
  sctp: ['sport', 'dport'],
  multiport: ['sports', 'source-ports', 'dports', 'destination-ports', 'ports'],
  icmp: ['icmp-type'],
  icmp6: ['icmpv6-type'],
  addrtype: ['src-type', 'dst-type', 'limit-iface-in', 'limit-iface-out'],
  iprange: ['src-range', 'dst-range'],
  limit: ['limit', 'limit-burst'],
  hashlimit: ['hashlimit-upto', 'hashlimit-above', 'hashlimit-burst', 'hashlimit-mode', 'hashlimit-name', 'hashlimit-srcmask', 'hashlimit-dstmask', 'hashlimit-htable-size', 'hashlimit-htable-max', 'hashlimit-htable-expire', 'hashlimit-htable-gcinterval'],
  recent: ['name', 'set', 'rcheck', 'update', 'remove', 'seconds', 'reap', 'hitcount', 'rttl', 'rsource', 'rdest', 'mask'],
  set: ['match-set', 'return-nomatch', 'update-counters'],
  owner: ['uid-owner', 'gid-owner', 'socket-exists', 'suppl-groups'],
  physdev: ['physdev-in', 'physdev-out', 'physdev-is-in', 'physdev-is-out', 'physdev-is-bridged'],
  statistic: ['mode', 'probability', 'every', 'packet'],
  pkttype: ['pkt-type'],
  mac: ['mac-source'],
  length: ['length'],
  socket: ['transparent', 'nowildcard', 'restore-skmark'],
  devgroup: ['src-group', 'dst-group'],
  rpfilter: ['loose', 'validmark', 'accept-local', 'invert'],
  ttl: ['ttl-eq', 'ttl-gt', 'ttl-lt'],
  hl: ['hl-eq', 'hl-gt', 'hl-lt'],
  tos: ['tos'],
  dscp: ['dscp', 'dscp-class'],
  helper: ['helper'],
  policy: ['dir', 'pol', 'strict', 'reqid', 'spi', 'proto', 'mode', 'tunnel-src', 'tunnel-dst', 'next'],
  u32: ['u32'],
  bpf: ['bytecode', 'object-pinned'],
  string: ['algo', 'string', 'hex-string', 'from', 'to'],
  connlimit: ['connlimit-upto', 'connlimit-above', 'connlimit-mask', 'connlimit-saddr', 'connlimit-daddr'],
  esp: ['espspi'],
  ah: ['ahspi'],
  cgroup: ['path', 'cgroup'],
  ipvs: ['ipvs', 'vproto', 'vaddr', 'vport', 'vdir'],
  quota: ['quota'],
  time: ['timestart', 'timestop', 'weekdays', 'monthdays', 'datestart', 'datestop'],
  tcpmss: ['mss'],
  realm: ['realm'],
  cluster: ['cluster-total-nodes', 'cluster-local-node', 'cluster-hash-seed'],
  connbytes: ['connbytes', 'connbytes-dir', 'connbytes-mode'],
  rt: ['rt-type', 'rt-segsleft'],
};

const expectedTargets: Record<string, string[]> = {
  ACCEPT: [], DROP: [], RETURN: [], QUEUE: [],
  REJECT: ['reject-with'],
  LOG: ['log-level', 'log-prefix', 'log-tcp-sequence', 'log-tcp-options', 'log-ip-options', 'log-uid', 'log-macdecode'],
  NFLOG: ['nflog-group', 'nflog-prefix', 'nflog-range', 'nflog-size', 'nflog-threshold'],
  NFQUEUE: ['queue-num', 'queue-balance', 'queue-bypass', 'queue-cpu-fanout'],
  MARK: ['set-mark', 'set-xmark', 'and-mark', 'or-mark', 'xor-mark'],
  CONNMARK: ['set-mark', 'set-xmark', 'save-mark', 'restore-mark', 'and-mark', 'or-mark', 'xor-mark', 'nfmask', 'ctmask', 'mask'],
  MASQUERADE: ['to-ports', 'random', 'random-fully'],
  SNAT: ['to-source', 'random', 'random-fully', 'persistent'],
  DNAT: ['to-destination', 'random', 'persistent'],
  REDIRECT: ['to-ports', 'random'],
  NETMAP: ['to'],
  CT: ['notrack', 'helper', 'ctevents', 'expevents', 'zone', 'zone-orig', 'zone-reply', 'timeout'],
  NOTRACK: [], TRACE: [],
  TPROXY: ['on-port', 'on-ip', 'tproxy-mark'],
  CLASSIFY: ['set-class'],
  DSCP: ['set-dscp', 'set-dscp-class'],
  TCPMSS: ['set-mss', 'clamp-mss-to-pmtu'],
  CHECKSUM: ['checksum-fill'],
  AUDIT: ['type'],
  TOS: ['set-tos', 'and-tos', 'or-tos', 'xor-tos'],
  TTL: ['ttl-set', 'ttl-dec', 'ttl-inc'],
  HL: ['hl-set', 'hl-dec', 'hl-inc'],
  SECMARK: ['selctx'],
  CONNSECMARK: ['save', 'restore'],
  SET: ['add-set', 'del-set'],
};

test('every required module exists with its options', () => {
  for (const [name, options] of Object.entries(expectedModules)) {
    const family: Family = name === 'icmp6' || name === 'hl' ? 'ipv6' : 'ipv4';
    const m = findMatchModule(name, family);
    assert.ok(m, `module ${name}`);
    for (const o of options) assert.ok(findOption(m, o), `--${o} of -m ${name}`);
  }
});

test('every required target exists with its options', () => {
  for (const [name, options] of Object.entries(expectedTargets)) {
    const t = findTarget(name);
    assert.ok(t, `target ${name}`);
    for (const o of options) assert.ok(findOption(t, o), `--${o} of -j ${name}`);
  }
});

test('no spec has an empty doc, and every option has parsers', () => {
  const checkOptions = (owner: string, options: readonly OptionSpec[]) => {
    for (const o of options) {
      assert.ok(o.doc.trim().length > 10, `${owner} --${o.name} has a doc`);
      assert.ok(!/TODO|FIXME|placeholder/i.test(o.doc), `${owner} --${o.name}: no placeholder`);
      assert.ok(o.args.every((p) => typeof p === 'function'), `${owner} --${o.name} parsers`);
      assert.ok((o.optionalArgs ?? 0) <= o.args.length);
    }
  };
  for (const m of matchModules) {
    assert.ok(m.doc.trim().length > 10, `-m ${m.name} has a doc`);
    checkOptions(`-m ${m.name}`, m.options);
  }
  for (const t of targets) {
    assert.ok(t.doc.trim().length > 10, `-j ${t.name} has a doc`);
    checkOptions(`-j ${t.name}`, t.options);
  }
  checkOptions('basic', Object.values(basicOptionSpecs));
});

test('names are unique: modules per family, targets, options within each spec', () => {
  const seen = new Set<string>();
  for (const m of matchModules) {
    for (const name of [m.name, ...(m.aliases ?? [])]) {
      for (const fam of m.family ? [m.family] : ['ipv4', 'ipv6']) {
        const key = `${name}/${fam}`;
        assert.ok(!seen.has(key), `module ${key} defined twice`);
        seen.add(key);
      }
    }
  }
  const tnames = targets.map((t) => t.name);
  assert.equal(new Set(tnames).size, tnames.length, 'target names');
  for (const spec of [...matchModules, ...targets]) {
    const names = spec.options.flatMap((o) => [o.name, ...(o.aliases ?? [])]);
    assert.equal(new Set(names).size, names.length, `options of ${spec.name}`);
    for (const key of ['requiresOneOf', 'requiresAll'] as const) {
      for (const req of spec[key] ?? []) assert.ok(findOption(spec, req), `${spec.name} ${key} names an option it has: ${req}`);
    }
  }
});

test('table and chain restrictions follow the man page and the kernel', () => {
  const where = (name: string) => {
    const t = findTarget(name)!;
    return { tables: t.tables, chains: t.chains };
  };
  assert.deepEqual(where('DNAT'), { tables: ['nat'], chains: ['PREROUTING', 'OUTPUT'] });
  assert.deepEqual(where('SNAT'), { tables: ['nat'], chains: ['POSTROUTING', 'INPUT'] });
  assert.deepEqual(where('MASQUERADE'), { tables: ['nat'], chains: ['POSTROUTING'] });
  assert.deepEqual(where('REDIRECT'), { tables: ['nat'], chains: ['PREROUTING', 'OUTPUT'] });
  assert.deepEqual(where('CT'), { tables: ['raw'], chains: undefined });
  assert.deepEqual(where('NOTRACK'), { tables: ['raw'], chains: undefined });
  assert.deepEqual(where('REJECT'), { tables: ['filter'], chains: ['INPUT', 'FORWARD', 'OUTPUT'] });
  assert.deepEqual(where('TPROXY'), { tables: ['mangle'], chains: ['PREROUTING'] });
  assert.equal(findTarget('MARK')!.tables, undefined, 'MARK is accepted in every table (checked with iptables-restore)');
  assert.ok(!findTarget('DROP')!.tables!.includes('nat'), 'iptables refuses DROP in nat');
  for (const name of ['NETMAP', 'SNAT', 'DNAT', 'MASQUERADE', 'REDIRECT']) assert.deepEqual(findTarget(name)!.tables, ['nat']);
  for (const name of ['DSCP', 'TOS', 'TTL', 'HL', 'CHECKSUM']) assert.deepEqual(findTarget(name)!.tables, ['mangle']);
  for (const spec of [...targets, ...matchModules]) {
    if (!spec.chains) continue;
    const tables = spec.tables ?? (Object.keys(builtinChains) as (keyof typeof builtinChains)[]);
    for (const c of spec.chains) assert.ok(tables.some((t) => builtinChains[t].includes(c)), `${spec.name}: ${c} exists in one of its tables`);
  }
  assert.deepEqual(findMatchModule('owner', 'ipv4')!.chains, ['OUTPUT', 'POSTROUTING']);
  assert.deepEqual(findMatchModule('rpfilter', 'ipv4')!.tables, ['raw', 'mangle']);
});

test('lookups: families, aliases, built-in chains, verdicts', () => {
  assert.equal(findMatchModule('icmp', 'ipv4')!.family, 'ipv4');
  assert.equal(findMatchModule('icmp6', 'ipv6')!.name, 'icmp6');
  assert.equal(findMatchModule('icmpv6', 'ipv6')!.name, 'icmp6');
  assert.equal(findMatchModule('ipv6-icmp', 'ipv6')!.name, 'icmp6');
  assert.equal(findMatchModule('ttl', 'ipv6')!.family, 'ipv4', 'the other family\'s module, so the caller can say so');
  assert.equal(findMatchModule('ah', 'ipv6')!.family, 'ipv6');
  assert.equal(findMatchModule('ah', 'ipv4')!.family, 'ipv4');
  assert.equal(findMatchModule('nosuch', 'ipv4'), undefined);
  assert.equal(findMatchModule('TCP', 'ipv4'), undefined, 'module names are case-sensitive');
  assert.equal(findMatchModule('udplite', 'ipv4'), undefined, 'iptables 1.8.9 has no udplite match');
  assert.equal(findTarget('mark'), undefined);
  assert.equal(findTarget('KUBE-FIREWALL'), undefined);
  assert.equal(findOption(findMatchModule('tcp', 'ipv4')!, 'destination-port')!.name, 'dport');
  assert.equal(findOption(findMatchModule('tcp', 'ipv4')!, 'dpor'), undefined, 'no prefix matching here');
  assert.equal(findOption(findMatchModule('tcp', 'ipv4')!, 'tcp-flags')!.args.length, 2);
  assert.deepEqual(builtinChains.raw, ['PREROUTING', 'OUTPUT']);
  assert.deepEqual(builtinChains.mangle, ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
  assert.deepEqual(builtinChains.nat, ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']);
  assert.deepEqual(builtinChains.filter, ['INPUT', 'FORWARD', 'OUTPUT']);
  assert.deepEqual(builtinChains.security, ['INPUT', 'FORWARD', 'OUTPUT']);
  assert.deepEqual([...standardVerdicts].sort(), ['ACCEPT', 'DROP', 'QUEUE', 'RETURN']);
  assert.equal(findMatchModule('tcp', 'ipv4')!.requiresProtocol![0], 'tcp');
  assert.equal(findMatchModule('mark', 'ipv4')!.doc.length > 0, true);
  assert.match(findOption(findMatchModule('mark', 'ipv4')!, 'mark')!.doc, /\(packet mark & mask\) == value/);
  assert.equal(findOption(findMatchModule('mark', 'ipv4')!, 'mark')!.invertible, true);
  assert.equal(findOption(findMatchModule('limit', 'ipv4')!, 'limit')!.invertible, false);
  assert.equal(findOption(findMatchModule('comment', 'ipv4')!, 'comment')!.invertible, false);
});

test('the mark rules that matter for CRIU parse to the values the evaluator needs', () => {
  const mark = findOption(findMatchModule('mark', 'ipv4')!, 'mark')!;
  const kube = value(mark.args[0], '0x8000/0x8000');
  assert.ok(kube.type === 'mark' && (0xc114 & kube.mask) === kube.value, 'KUBE-FIREWALL drops 0xC114');
  const calico = value(mark.args[0], '0x10000/0xffff0000');
  assert.ok(calico.type === 'mark' && (0xc114 & calico.mask) !== calico.value);
  const setMark = findOption(findTarget('MARK')!, 'set-xmark')!;
  assert.deepEqual(value(setMark.args[0], '0x4000/0x4000'), { type: 'mark', value: 0x4000, mask: 0x4000 });
});

test('every -m module and option in the corpus dumps is known', { skip: !corpusAvailable && corpusMissingReason }, () => {
  const files = filesUnder(corpusDir, /iptables\/.*\.ip6?tables$/);
  assert.ok(files.length > 0);
  for (const f of files) {
    const family: Family = f.endsWith('.ip6tables') ? 'ipv6' : 'ipv4';
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line.startsWith('-A ')) continue;
      for (const m of line.matchAll(/ -m (\S+)/g)) assert.ok(findMatchModule(m[1], family), `${f}: -m ${m[1]}`);
      // `-m NAME --opt`: the first option after a module belongs to it; getopt also takes a
      // unique prefix (`--cts` for `--ctstate` is in the corpus).
      for (const m of line.matchAll(/ -m (\S+) (?:! )?--([a-z0-9-]+)/g)) {
        const spec = findMatchModule(m[1], family)!;
        const known = findOption(spec, m[2]) ?? spec.options.find((o) => [o.name, ...(o.aliases ?? [])].some((x) => x.startsWith(m[2])));
        assert.ok(known, `${f}: -m ${m[1]} --${m[2]}`);
      }
      const j = / -j ([A-Z]+)(?: (--[a-z-]+))?/.exec(line);
      const t = j && findTarget(j[1]);
      if (t && j[2]) assert.ok(findOption(t, j[2].slice(2)), `${f}: -j ${j[1]} ${j[2]}`);
    }
  }
});
