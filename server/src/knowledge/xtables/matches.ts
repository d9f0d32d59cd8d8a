/**
 * Match modules (`-m NAME`) as data: their options, argument parsers and meaning. Names, option
 * spellings, `[!]` inversion and the requirements follow iptables-extensions(8) for 1.8.9 and
 * were checked against iptables-restore 1.8.9 (nf_tables backend) in a network namespace; where
 * the kernel refuses a module in some hooks (`owner` outside OUTPUT/POSTROUTING...), `chains`
 * says so, as observed there.
 */
import * as a from './args';
import type { ArgParser, ModuleSpec, OptionSpec } from './types';

interface OptExtra {
  aliases?: readonly string[];
  optionalArgs?: number;
  requiresProtocol?: readonly string[];
}

/** An option: `inv` is whether `! --name` is accepted. */
function opt(name: string, args: readonly ArgParser[], inv: boolean, doc: string, extra: OptExtra = {}): OptionSpec {
  return { name, args, invertible: inv, doc, ...extra };
}

/** A flag option (no argument). */
function flag(name: string, inv: boolean, doc: string, extra: OptExtra = {}): OptionSpec {
  return opt(name, [], inv, doc, extra);
}

const sportDoc = 'Matches when the source port is in the range (a single port, `a:b`, `:b` from 0, `a:` to 65535; names resolve through the services table).';
const dportDoc = 'Matches when the destination port is in the range (a single port, `a:b`, `:b` from 0, `a:` to 65535; names resolve through the services table).';

const portOptions = (): OptionSpec[] => [
  opt('sport', [a.portRange], true, sportDoc, { aliases: ['source-port'] }),
  opt('dport', [a.portRange], true, dportDoc, { aliases: ['destination-port'] }),
];

const ctAddr = (dir: string) => `Matches when the ${dir} address of the packet's conntrack entry is within the network (address[/mask]); a packet without an entry does not match.`;
const ctPort = (dir: string) => `Matches when the ${dir} port (or GRE key) of the packet's conntrack entry is in the range \`a[:b]\`; a packet without an entry does not match.`;

export const matchModules: readonly ModuleSpec[] = [
  {
    name: 'mark',
    doc: 'Matches the packet mark (nfmark, the `SO_MARK` of the sending socket or what a MARK target set).',
    requiresOneOf: ['mark'],
    options: [
      opt('mark', [a.markMask], true, 'Matches when (packet mark & mask) == value; the mask defaults to 0xffffffff, so a bare value needs the whole mark to be equal. With `!`, matches when they differ.'),
    ],
  },
  {
    name: 'connmark',
    doc: 'Matches the mark of the connection the packet belongs to (ctmark, set by CONNMARK); a packet without a conntrack entry has ctmark 0.',
    requiresOneOf: ['mark'],
    options: [
      opt('mark', [a.markMask], true, 'Matches when (connection mark & mask) == value; the mask defaults to 0xffffffff.'),
    ],
  },
  {
    name: 'conntrack',
    doc: 'Matches the connection tracking state and details of the packet\'s connection. Every option given must hold.',
    requiresOneOf: ['ctstate', 'ctproto', 'ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst', 'ctorigsrcport', 'ctorigdstport', 'ctreplsrcport', 'ctrepldstport', 'ctstatus', 'ctexpire', 'ctdir'],
    options: [
      opt('ctstate', [a.ctStateList], true, 'Matches when the packet\'s conntrack state is one of the listed states: INVALID (no known connection), NEW, ESTABLISHED, RELATED, UNTRACKED (exempted by CT --notrack), SNAT and DNAT (virtual: the connection is source/destination NATed).'),
      opt('ctproto', [a.ctProto], true, 'Matches when the layer-4 protocol of the connection is this one (name or number).'),
      opt('ctorigsrc', [a.hostMask], true, ctAddr('original-direction source')),
      opt('ctorigdst', [a.hostMask], true, ctAddr('original-direction destination')),
      opt('ctreplsrc', [a.hostMask], true, ctAddr('reply-direction source')),
      opt('ctrepldst', [a.hostMask], true, ctAddr('reply-direction destination')),
      opt('ctorigsrcport', [a.ctPortRange], true, ctPort('original-direction source')),
      opt('ctorigdstport', [a.ctPortRange], true, ctPort('original-direction destination')),
      opt('ctreplsrcport', [a.ctPortRange], true, ctPort('reply-direction source')),
      opt('ctrepldstport', [a.ctPortRange], true, ctPort('reply-direction destination')),
      opt('ctstatus', [a.ctStatusList], true, 'Matches when the connection has one of the listed status bits: NONE (none of them), EXPECTED (set up by a helper), SEEN_REPLY (traffic seen both ways), ASSURED (not early-expired), CONFIRMED (the first packet left the box).'),
      opt('ctexpire', [a.uintRange(a.UINT32_MAX)], true, 'Matches when the remaining lifetime of the conntrack entry, in seconds, is in the range `a[:b]` (inclusive).'),
      opt('ctdir', [a.ctDir], false, 'Matches only packets flowing in this direction of the connection (ORIGINAL: as the first packet; REPLY: the other way). Without it both directions match.'),
    ],
  },
  {
    name: 'state',
    doc: 'Matches the connection tracking state of the packet (a subset of conntrack\'s --ctstate).',
    requiresOneOf: ['state'],
    options: [
      opt('state', [a.stateList], true, 'Matches when the packet\'s conntrack state is one of INVALID, NEW, ESTABLISHED, RELATED, UNTRACKED as listed.'),
    ],
  },
  {
    name: 'comment',
    doc: 'Attaches a comment to the rule. It always matches and changes nothing.',
    requiresOneOf: ['comment'],
    options: [
      opt('comment', [a.comment], false, 'The comment text (up to 255 characters; iptables cuts longer text). Always matches.'),
    ],
  },
  {
    name: 'tcp',
    doc: 'Matches TCP header fields. Needs `-p tcp`; `-p tcp` with a tcp option loads it implicitly.',
    requiresProtocol: ['tcp'],
    options: [
      ...portOptions(),
      opt('tcp-flags', [a.tcpFlagList, a.tcpFlagList], true, 'Two lists, mask and comp: matches when, of the flags in mask, exactly those in comp are set ((flags & mask) == comp). `--tcp-flags SYN,RST,ACK,FIN SYN` matches a bare SYN.'),
      flag('syn', true, 'Matches packets with SYN set and ACK, RST and FIN clear (a connection request); the same as `--tcp-flags SYN,RST,ACK,FIN SYN`.'),
      opt('tcp-option', [a.tcpOption], true, 'Matches when the TCP header carries an option of this kind (0-255).'),
    ],
  },
  {
    name: 'udp',
    doc: 'Matches UDP ports. Needs `-p udp`; `-p udp` with a port option loads it implicitly.',
    requiresProtocol: ['udp'],
    options: portOptions(),
  },
  {
    name: 'sctp',
    doc: 'Matches SCTP ports and chunk types. Needs `-p sctp`.',
    requiresProtocol: ['sctp'],
    options: [
      ...portOptions(),
      opt('chunk-types', [a.choice(['all', 'any', 'only'], { message: 'Bad chunk type match "%s" (all, any or only)' }), a.anyString], true, 'Two arguments: all|any|only, then a comma list of chunk types with optional flags (`DATA:Be`). all: every listed chunk is present; any: at least one is; only: no other chunk is present.'),
    ],
  },
  {
    name: 'dccp',
    doc: 'Matches DCCP ports, packet types and options. Needs `-p dccp`.',
    requiresProtocol: ['dccp'],
    options: [
      ...portOptions(),
      opt('dccp-types', [a.choiceList(['REQUEST', 'RESPONSE', 'DATA', 'ACK', 'DATAACK', 'CLOSEREQ', 'CLOSE', 'RESET', 'SYNC', 'SYNCACK', 'INVALID'], { caseInsensitive: true, message: 'Unknown DCCP type "%s"' })], true, 'Matches when the DCCP packet type is one of the listed types.'),
      opt('dccp-option', [a.uint8], true, 'Matches when the DCCP header carries this option (0-255).'),
    ],
  },
  {
    name: 'multiport',
    doc: 'Matches a set of ports: up to 15, a range `a:b` counting as two. Needs `-p` tcp, udp, udplite, sctp or dccp.',
    requiresProtocol: ['tcp', 'udp', 'udplite', 'sctp', 'dccp'],
    requiresOneOf: ['sports', 'dports', 'ports'],
    options: [
      opt('sports', [a.multiportList], true, 'Matches when the source port is one of the listed ports or ranges.', { aliases: ['source-ports'] }),
      opt('dports', [a.multiportList], true, 'Matches when the destination port is one of the listed ports or ranges.', { aliases: ['destination-ports'] }),
      opt('ports', [a.multiportList], true, 'Matches when the source port or the destination port is one of the listed ports or ranges.'),
    ],
  },
  {
    name: 'icmp',
    family: 'ipv4',
    doc: 'Matches the ICMP type and code. IPv4 only; needs `-p icmp`.',
    requiresProtocol: ['icmp'],
    requiresAll: ['icmp-type'],
    options: [
      opt('icmp-type', [a.icmpType], true, 'Matches ICMP packets of this type: a name (`echo-request`, `port-unreachable`; a unique prefix is enough), a number, or `type/code`. A type without a code matches every code; `any` matches every ICMP packet.'),
    ],
  },
  {
    name: 'icmp6',
    aliases: ['icmpv6', 'ipv6-icmp'],
    family: 'ipv6',
    doc: 'Matches the ICMPv6 type and code. IPv6 only; needs `-p icmpv6` (or `ipv6-icmp`).',
    requiresProtocol: ['icmpv6', 'ipv6-icmp'],
    requiresAll: ['icmpv6-type'],
    options: [
      opt('icmpv6-type', [a.icmpv6Type], true, 'Matches ICMPv6 packets of this type: a name (`echo-request`, `neighbour-solicitation`; a unique prefix is enough), a number, or `type/code`. A type without a code matches every code.'),
    ],
  },
  {
    name: 'addrtype',
    doc: 'Matches the routing type of the source or destination address (LOCAL, UNICAST, BROADCAST...), as the kernel\'s routing tables classify it.',
    requiresOneOf: ['src-type', 'dst-type'],
    options: [
      opt('src-type', [a.addrTypeList], true, 'Matches when the source address is of one of the listed types (e.g. LOCAL: an address of this host).'),
      opt('dst-type', [a.addrTypeList], true, 'Matches when the destination address is of one of the listed types (e.g. LOCAL: an address of this host).'),
      flag('limit-iface-in', false, 'Classifies the addresses as seen from the incoming interface only. Valid in PREROUTING, INPUT and FORWARD; not with --limit-iface-out.'),
      flag('limit-iface-out', false, 'Classifies the addresses as seen from the outgoing interface only. Valid in POSTROUTING, OUTPUT and FORWARD; not with --limit-iface-in.'),
    ],
  },
  {
    name: 'iprange',
    doc: 'Matches an arbitrary inclusive range of addresses.',
    requiresOneOf: ['src-range', 'dst-range'],
    options: [
      opt('src-range', [a.ipRange], true, 'Matches when the source address is within from-to (inclusive; a single address is a range of one).'),
      opt('dst-range', [a.ipRange], true, 'Matches when the destination address is within from-to (inclusive; a single address is a range of one).'),
    ],
  },
  {
    name: 'limit',
    doc: 'Matches at a limited average rate (token bucket shared by every packet reaching the rule); packets beyond it do not match. It cannot be negated.',
    options: [
      opt('limit', [a.limitRate], false, 'The average rate of matches, `N[/second|/minute|/hour|/day]` (default 3/hour); above it the rule does not match.'),
      opt('limit-burst', [a.uint(0, 10000)], false, 'The bucket size: this many packets match at once before the rate applies; one token comes back per period (default 5).'),
    ],
  },
  {
    name: 'hashlimit',
    doc: 'Rate limiting like limit, but with one token bucket per group of packets (per source address, destination port... as --hashlimit-mode says).',
    requiresOneOf: ['hashlimit-upto', 'hashlimit-above'],
    requiresAll: ['hashlimit-name'],
    options: [
      opt('hashlimit-upto', [a.hashlimitRate], true, 'Matches while the group\'s rate is at most this (`N/sec|min|hour|day`, or bytes `Nkb/s`).', { aliases: ['hashlimit'] }),
      opt('hashlimit-above', [a.hashlimitRate], true, 'Matches when the group\'s rate is above this (`N/sec|min|hour|day`, or bytes `Nkb/s`).'),
      opt('hashlimit-burst', [a.hashlimitBurst], false, 'The bucket size per group (default 5; a byte size for byte rates).'),
      opt('hashlimit-mode', [a.hashlimitMode], false, 'How packets are grouped: a comma list of srcip, srcport, dstip, dstport. Without it every packet shares one bucket.'),
      opt('hashlimit-name', [a.text({ max: 254, min: 1, what: 'hashlimit name' })], false, 'The name of the hash table (/proc/net/ipt_hashlimit/NAME); rules with the same name share buckets.'),
      opt('hashlimit-srcmask', [a.prefixLength], false, 'With mode srcip: groups source addresses by this prefix length.'),
      opt('hashlimit-dstmask', [a.prefixLength], false, 'With mode dstip: groups destination addresses by this prefix length.'),
      opt('hashlimit-htable-size', [a.uint32], false, 'The number of buckets of the hash table.'),
      opt('hashlimit-htable-max', [a.uint32], false, 'The maximum number of entries in the hash table.'),
      opt('hashlimit-htable-expire', [a.uint32], false, 'Milliseconds after which an idle entry expires.'),
      opt('hashlimit-htable-gcinterval', [a.uint32], false, 'Milliseconds between garbage collection runs.'),
      flag('hashlimit-rate-match', false, 'Classifies flows by rate (true/false) instead of rate-limiting them.'),
      opt('hashlimit-rate-interval', [a.uint(1, a.UINT32_MAX)], false, 'With --hashlimit-rate-match: the sampling interval in seconds.'),
    ],
  },
  {
    name: 'recent',
    doc: 'Keeps a named list of recently seen addresses: one rule adds the packet\'s address (--set), others test for it (--rcheck, --update) or remove it (--remove).',
    requiresOneOf: ['set', 'rcheck', 'update', 'remove'],
    options: [
      opt('name', [a.text({ max: 199, min: 1, what: 'list name' })], false, 'The list to use (default DEFAULT).'),
      flag('set', true, 'Adds (or refreshes) the packet\'s address in the list; always matches (never with `!`).'),
      flag('rcheck', true, 'Matches when the packet\'s address is in the list.'),
      flag('update', true, 'Like --rcheck, and on a hit refreshes the address\'s last-seen time.'),
      flag('remove', true, 'Matches when the address is in the list, and removes it.'),
      opt('seconds', [a.uint(1, a.UINT32_MAX)], false, 'With --rcheck/--update: matches only when the address was seen within the last this many seconds.'),
      flag('reap', false, 'With --seconds: purges entries older than --seconds.'),
      opt('hitcount', [a.uint32], false, 'With --rcheck/--update: matches only when the address was seen at least this many times (within --seconds, if given).'),
      flag('rttl', false, 'With --rcheck/--update: matches only when the packet\'s TTL equals that of the packet that --set the entry.'),
      flag('rsource', false, 'Uses the packet\'s source address (the default).'),
      flag('rdest', false, 'Uses the packet\'s destination address.'),
      opt('mask', [a.addressMask], false, 'A netmask applied to the addresses before they are stored and compared.'),
    ],
  },
  {
    name: 'set',
    doc: 'Matches against an ipset (ipset(8)); the set\'s contents live in the kernel, not in the dump, so the tool cannot evaluate it.',
    opaque: true,
    requiresOneOf: ['match-set'],
    options: [
      opt('match-set', [a.setName, a.setFlags], true, 'Two arguments: the set name, and src/dst flags (one per dimension of the set, comma separated) saying which packet fields are looked up. Matches when the packet\'s entry is in the set.', { aliases: ['set'] }),
      flag('return-nomatch', false, 'When the matching element carries the nomatch flag, the match returns true (and false for plain elements).'),
      flag('update-counters', true, 'Only `! --update-counters`: the element\'s packet and byte counters are not updated.'),
      flag('update-subcounters', true, 'Only `! --update-subcounters`: the counters of the member set of a list:set are not updated.'),
      opt('packets-eq', [a.uint64], true, 'Matches only when the element\'s packet counter equals the value.'),
      opt('packets-lt', [a.uint64], false, 'Matches only when the element\'s packet counter is below the value.'),
      opt('packets-gt', [a.uint64], false, 'Matches only when the element\'s packet counter is above the value.'),
      opt('bytes-eq', [a.uint64], true, 'Matches only when the element\'s byte counter equals the value.'),
      opt('bytes-lt', [a.uint64], false, 'Matches only when the element\'s byte counter is below the value.'),
      opt('bytes-gt', [a.uint64], false, 'Matches only when the element\'s byte counter is above the value.'),
    ],
  },
  {
    name: 'owner',
    doc: 'Matches the socket that sent a locally generated packet. Valid only in OUTPUT and POSTROUTING; packets without a socket (forwarded ones) match none of the options.',
    chains: ['OUTPUT', 'POSTROUTING'],
    requiresOneOf: ['uid-owner', 'gid-owner', 'socket-exists'],
    options: [
      opt('uid-owner', [a.uidRange], true, 'Matches when the file of the sending socket is owned by this uid or uid range (a-b).'),
      opt('gid-owner', [a.gidRange], true, 'Matches when the file of the sending socket is owned by this gid or gid range (a-b).'),
      flag('suppl-groups', false, 'With --gid-owner: also checks the supplementary groups of the process.'),
      flag('socket-exists', true, 'Matches when the packet is associated with a socket.'),
    ],
  },
  {
    name: 'physdev',
    doc: 'Matches the bridge ports a bridged packet came in or goes out on (for packets passing a Linux bridge with br_netfilter).',
    requiresOneOf: ['physdev-in', 'physdev-out', 'physdev-is-in', 'physdev-is-out', 'physdev-is-bridged'],
    options: [
      opt('physdev-in', [a.iface], true, 'Matches when the packet entered through this bridge port (`+` suffix: any port beginning with the name); a packet that did not come through a bridge does not match.'),
      opt('physdev-out', [a.iface], true, 'Matches when the packet leaves through this bridge port (bridged packets in FORWARD and POSTROUTING).'),
      flag('physdev-is-in', true, 'Matches when the packet entered through a bridge port.'),
      flag('physdev-is-out', true, 'Matches when the packet will leave through a bridge port.'),
      flag('physdev-is-bridged', true, 'Matches when the packet is being bridged, not routed (FORWARD and POSTROUTING).'),
    ],
  },
  {
    name: 'statistic',
    doc: 'Matches packets by chance or by count.',
    requiresAll: ['mode'],
    options: [
      opt('mode', [a.choice(['random', 'nth'], { message: 'Bad mode "%s" (random or nth)' })], false, 'random: match with --probability; nth: match one packet in --every.'),
      opt('probability', [a.decimal(0, 1)], true, 'With mode random: the chance (0.0-1.0) that a packet matches.'),
      opt('every', [a.uint(1, a.UINT32_MAX)], true, 'With mode nth: matches one packet out of every n.'),
      opt('packet', [a.uint32], false, 'With mode nth: the initial counter value (0 to n-1).'),
    ],
  },
  {
    name: 'pkttype',
    doc: 'Matches the link-layer packet type.',
    requiresOneOf: ['pkt-type'],
    options: [
      opt('pkt-type', [a.pktType], true, 'Matches when the link-layer type is unicast (to this host), broadcast, multicast or otherhost.'),
    ],
  },
  {
    name: 'mac',
    doc: 'Matches the source MAC address of packets from an Ethernet device. Valid in PREROUTING, INPUT and FORWARD.',
    chains: ['PREROUTING', 'INPUT', 'FORWARD'],
    requiresOneOf: ['mac-source'],
    options: [
      opt('mac-source', [a.mac], true, 'Matches when the Ethernet source address is this one (XX:XX:XX:XX:XX:XX).'),
    ],
  },
  {
    name: 'length',
    doc: 'Matches the length of the layer-3 payload (the IPv4 total length, or the IPv6 payload length).',
    requiresOneOf: ['length'],
    options: [
      opt('length', [a.uintRange(a.UINT16_MAX)], true, 'Matches when the length is in the range `a[:b]` (inclusive).'),
    ],
  },
  {
    name: 'socket',
    doc: 'Matches when a local socket is found for the packet (an established socket, or a listening one bound to a non-zero address). Valid in PREROUTING and INPUT.',
    chains: ['PREROUTING', 'INPUT'],
    options: [
      flag('transparent', false, 'Ignores sockets without IP_TRANSPARENT.'),
      flag('nowildcard', false, 'Also considers sockets bound to the any address.'),
      flag('restore-skmark', false, 'Sets the packet mark to the mark of the socket found.'),
    ],
  },
  {
    name: 'devgroup',
    doc: 'Matches the device group of the incoming or outgoing interface.',
    requiresOneOf: ['src-group', 'dst-group'],
    options: [
      opt('src-group', [a.devGroup], true, 'Matches when (group of the incoming device & mask) == value.'),
      opt('dst-group', [a.devGroup], true, 'Matches when (group of the outgoing device & mask) == value.'),
    ],
  },
  {
    name: 'rpfilter',
    doc: 'Reverse path filter: matches when a reply to the packet would leave through the interface it arrived on. Valid only in PREROUTING of raw and mangle; packets from loopback always pass.',
    tables: ['raw', 'mangle'],
    chains: ['PREROUTING'],
    options: [
      flag('loose', false, 'Passes when a route back to the source exists, through any interface.'),
      flag('validmark', false, 'Uses the packet mark in the reverse route lookup.'),
      flag('accept-local', false, 'Passes packets whose source address is one of this host\'s.'),
      flag('invert', false, 'Inverts the result: matches packets that fail the test.'),
    ],
  },
  {
    name: 'ttl',
    family: 'ipv4',
    doc: 'Matches the IPv4 time-to-live field.',
    requiresOneOf: ['ttl-eq', 'ttl-gt', 'ttl-lt'],
    options: [
      opt('ttl-eq', [a.ttlValue], true, 'Matches when the TTL equals the value.'),
      opt('ttl-gt', [a.ttlValue], false, 'Matches when the TTL is greater than the value.'),
      opt('ttl-lt', [a.ttlValue], false, 'Matches when the TTL is less than the value.'),
    ],
  },
  {
    name: 'hl',
    family: 'ipv6',
    doc: 'Matches the IPv6 hop limit field.',
    requiresOneOf: ['hl-eq', 'hl-gt', 'hl-lt'],
    options: [
      opt('hl-eq', [a.ttlValue], true, 'Matches when the hop limit equals the value.'),
      opt('hl-gt', [a.ttlValue], false, 'Matches when the hop limit is greater than the value.'),
      opt('hl-lt', [a.ttlValue], false, 'Matches when the hop limit is less than the value.'),
    ],
  },
  {
    name: 'tos',
    doc: 'Matches the 8-bit IPv4 Type of Service field (or the IPv6 traffic class).',
    requiresOneOf: ['tos'],
    options: [
      opt('tos', [a.tosMatch], true, 'Matches when (TOS & mask) == value; the mask defaults to 0xff. A symbolic name (Minimize-Delay...) implies mask 0x3f, leaving the ECN bits out.'),
    ],
  },
  {
    name: 'dscp',
    doc: 'Matches the 6-bit DSCP field (the upper bits of the TOS/traffic class byte).',
    requiresOneOf: ['dscp', 'dscp-class'],
    options: [
      opt('dscp', [a.dscpValue], true, 'Matches when the DSCP equals the value (0-63).'),
      opt('dscp-class', [a.dscpClass], true, 'Matches when the DSCP equals the value of this DiffServ class (BE, EF, AF11-AF43, CS0-CS7).'),
    ],
  },
  {
    name: 'ecn',
    doc: 'Matches the ECN bits of the IP header and the ECN flags of the TCP header.',
    requiresOneOf: ['ecn-tcp-cwr', 'ecn-tcp-ece', 'ecn-ip-ect'],
    options: [
      flag('ecn-tcp-cwr', true, 'Matches when the TCP CWR flag is set (needs `-p tcp`).', { requiresProtocol: ['tcp'] }),
      flag('ecn-tcp-ece', true, 'Matches when the TCP ECE flag is set (needs `-p tcp`).', { requiresProtocol: ['tcp'] }),
      opt('ecn-ip-ect', [a.uint(0, 3)], true, 'Matches when the IP ECN field equals the value (0-3).'),
    ],
  },
  {
    name: 'helper',
    doc: 'Matches packets of connections set up by a conntrack helper.',
    requiresOneOf: ['helper'],
    options: [
      opt('helper', [a.helperName], true, 'Matches when the connection\'s master used this helper (`ftp`; `ftp-2121` for a helper on another port).'),
    ],
  },
  {
    name: 'policy',
    doc: 'Matches the IPsec policy used to decapsulate (--dir in) or that will encapsulate (--dir out) the packet.',
    requiresAll: ['dir'],
    options: [
      opt('dir', [a.choice(['in', 'out'], { message: 'policy match: bad direction "%s" (in or out)' })], false, 'in: the policy used for decapsulation (PREROUTING, INPUT, FORWARD); out: the policy for encapsulation (POSTROUTING, OUTPUT, FORWARD).'),
      opt('pol', [a.choice(['none', 'ipsec'], { message: 'policy match: bad policy "%s" (none or ipsec)' })], false, 'ipsec: matches packets subject to IPsec processing; none: packets that are not.'),
      flag('strict', false, 'Requires the policy to match the listed elements exactly, in order, instead of any one of them.'),
      opt('reqid', [a.uint32], true, 'Matches the reqid of the policy rule.'),
      opt('spi', [a.uint32], true, 'Matches the SPI of the security association.'),
      opt('proto', [a.policyProto], true, 'Matches the encapsulation protocol (ah, esp, ipcomp).'),
      opt('mode', [a.choice(['tunnel', 'transport'], { message: 'policy match: bad mode "%s" (tunnel or transport)' })], true, 'Matches the encapsulation mode.'),
      opt('tunnel-src', [a.hostMask], true, 'Matches the source end-point of a tunnel-mode SA (with --mode tunnel).'),
      opt('tunnel-dst', [a.hostMask], true, 'Matches the destination end-point of a tunnel-mode SA (with --mode tunnel).'),
      flag('next', false, 'Starts the next element of a --strict policy specification.'),
    ],
  },
  {
    name: 'u32',
    doc: 'Tests up to 4-byte quantities extracted from the packet against sets of values, in a small language (location = value ranges, joined by &&). Not evaluated by this tool.',
    opaque: true,
    requiresOneOf: ['u32'],
    options: [
      opt('u32', [a.u32Program], true, 'The u32 program; matches when every test holds.'),
    ],
  },
  {
    name: 'bpf',
    doc: 'Runs a BPF program on the packet (from the network header on) and matches when it returns non-zero. Not evaluated by this tool.',
    opaque: true,
    requiresOneOf: ['bytecode', 'object-pinned'],
    options: [
      opt('bytecode', [a.opaque], false, 'A classic BPF program in nfbpf_compile\'s decimal format (count, then `code jt jf k` per instruction, comma separated).'),
      opt('object-pinned', [a.anyString], false, 'The path of an eBPF program pinned in the bpf filesystem.'),
    ],
  },
  {
    name: 'string',
    doc: 'Matches a byte pattern anywhere in the packet (from --from to --to), with Boyer-Moore or Knuth-Morris-Pratt search.',
    opaque: true,
    requiresOneOf: ['string', 'hex-string'],
    requiresAll: ['algo'],
    options: [
      opt('algo', [a.choice(['bm', 'kmp'], { message: 'Bad algorithm "%s" (bm or kmp)' })], false, 'The search algorithm: bm (Boyer-Moore) or kmp (Knuth-Morris-Pratt).'),
      opt('from', [a.uint16], false, 'The offset where the search starts (default 0).'),
      opt('to', [a.uint16], false, 'The offset where the search ends (default: the packet size).'),
      opt('string', [a.anyString], true, 'Matches when the packet contains this text.'),
      opt('hex-string', [a.hexString], true, 'Matches when the packet contains these bytes: text with `|0d 0a|` hex blocks.'),
      flag('icase', false, 'Ignores case when searching.'),
    ],
  },
  {
    name: 'connlimit',
    doc: 'Matches on the number of connections the source (or destination) address or network already has.',
    requiresOneOf: ['connlimit-upto', 'connlimit-above'],
    options: [
      opt('connlimit-upto', [a.uint32], true, 'Matches when the number of existing connections is at most this.'),
      opt('connlimit-above', [a.uint32], true, 'Matches when the number of existing connections is above this.'),
      opt('connlimit-mask', [a.prefixLength], false, 'Groups addresses by this prefix length (default: the whole address).'),
      flag('connlimit-saddr', false, 'Counts per source group (the default).'),
      flag('connlimit-daddr', false, 'Counts per destination group.'),
    ],
  },
  {
    name: 'esp',
    doc: 'Matches the SPI of IPsec ESP packets. Needs `-p esp`.',
    requiresProtocol: ['esp'],
    options: [
      opt('espspi', [a.uintRange(a.UINT32_MAX)], true, 'Matches when the ESP SPI is in the range `a[:b]`.'),
    ],
  },
  {
    name: 'ah',
    family: 'ipv4',
    doc: 'Matches the SPI of IPsec AH packets. Needs `-p ah`.',
    requiresProtocol: ['ah'],
    options: [
      opt('ahspi', [a.uintRange(a.UINT32_MAX)], true, 'Matches when the AH SPI is in the range `a[:b]`.'),
    ],
  },
  {
    name: 'ah',
    family: 'ipv6',
    doc: 'Matches the IPsec Authentication Header of IPv6 packets. Needs `-p ah`.',
    requiresProtocol: ['ah'],
    options: [
      opt('ahspi', [a.uintRange(a.UINT32_MAX)], true, 'Matches when the AH SPI is in the range `a[:b]`.'),
      opt('ahlen', [a.uint32], true, 'Matches when the AH header length, in octets, equals the value.'),
      flag('ahres', false, 'Matches when the reserved field is zero.'),
    ],
  },
  {
    name: 'ipcomp',
    doc: 'Matches the CPI of IPComp packets. Needs `-p ipcomp`.',
    requiresProtocol: ['ipcomp'],
    options: [
      opt('ipcompspi', [a.uintRange(a.UINT32_MAX)], true, 'Matches when the IPComp CPI is in the range `a[:b]`.'),
      flag('compres', false, 'Matches when the reserved field is zero.'),
    ],
  },
  {
    name: 'cgroup',
    doc: 'Matches the control group of the socket that sent or receives the packet. Valid in OUTPUT, POSTROUTING and INPUT (in INPUT only for early-demuxed sockets).',
    chains: ['OUTPUT', 'POSTROUTING', 'INPUT'],
    requiresOneOf: ['path', 'cgroup'],
    options: [
      opt('path', [a.anyString], true, 'Matches sockets created by processes in this cgroup2 path (relative to the cgroup2 root) or below it.'),
      opt('cgroup', [a.uint32], true, 'Matches sockets whose net_cls classid equals the value.'),
    ],
  },
  {
    name: 'ipvs',
    doc: 'Matches IPVS (the kernel load balancer) connection properties.',
    requiresOneOf: ['ipvs', 'vproto', 'vaddr', 'vport', 'vdir', 'vmethod', 'vportctl'],
    options: [
      flag('ipvs', true, 'Matches packets that belong to an IPVS connection.'),
      opt('vproto', [a.ctProto], true, 'Matches the virtual service\'s protocol.'),
      opt('vaddr', [a.hostMask], true, 'Matches the virtual IP address (address[/mask]).'),
      opt('vport', [a.port], true, 'Matches the virtual port.'),
      opt('vdir', [a.ctDir], false, 'Matches the flow direction (ORIGINAL or REPLY).'),
      opt('vmethod', [a.choice(['GATE', 'IPIP', 'MASQ'], { caseInsensitive: true, message: 'Bad IPVS method "%s" (GATE, IPIP or MASQ)' })], true, 'Matches the IPVS forwarding method.'),
      opt('vportctl', [a.port], true, 'Matches the virtual port of the controlling connection (21 for FTP).'),
    ],
  },
  {
    name: 'quota',
    doc: 'Matches until a byte quota is used up: every matching packet\'s size is subtracted. With `!`, matches only once the quota is exhausted.',
    requiresOneOf: ['quota'],
    options: [
      opt('quota', [a.uint64], true, 'The quota in bytes.'),
    ],
  },
  {
    name: 'time',
    doc: 'Matches when the packet arrives within the given dates, times of day, weekdays and days of the month (all that are given must hold; UTC unless --kerneltz).',
    options: [
      opt('datestart', [a.dateTime], false, 'Matches from this date and time on (ISO 8601, `YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`).'),
      opt('datestop', [a.dateTime], false, 'Matches up to this date and time (inclusive).'),
      opt('timestart', [a.timeOfDay], false, 'Matches from this time of day (hh:mm[:ss]).'),
      opt('timestop', [a.timeOfDay], false, 'Matches up to this time of day (inclusive).'),
      opt('monthdays', [a.monthdays], true, 'Matches on these days of the month (1-31).'),
      opt('weekdays', [a.weekdays], true, 'Matches on these weekdays (Mon-Sun, Mo-Su, or 1-7).'),
      flag('contiguous', false, 'When --timestop is earlier than --timestart, treats the interval as one period across midnight.'),
      flag('kerneltz', false, 'Uses the kernel\'s time zone instead of UTC.'),
      flag('utc', false, 'Uses UTC (the default; kept for compatibility).'),
      flag('localtz', false, 'Uses the kernel\'s time zone (older spelling of --kerneltz).'),
    ],
  },
  {
    name: 'tcpmss',
    doc: 'Matches the MSS option of TCP SYN and SYN/ACK packets. Needs `-p tcp`.',
    requiresProtocol: ['tcp'],
    requiresOneOf: ['mss'],
    options: [
      opt('mss', [a.uintRange(a.UINT16_MAX)], true, 'Matches when the MSS value is in the range `a[:b]`.'),
    ],
  },
  {
    name: 'realm',
    family: 'ipv4',
    doc: 'Matches the routing realm of the packet\'s route.',
    requiresOneOf: ['realm'],
    options: [
      opt('realm', [a.realm], true, 'Matches when (realm & mask) == value; the mask defaults to 0xffffffff.'),
    ],
  },
  {
    name: 'cluster',
    doc: 'Splits traffic between cluster nodes by a hash of the source address: matches the packets this node handles.',
    requiresOneOf: ['cluster-local-node', 'cluster-local-nodemask'],
    requiresAll: ['cluster-total-nodes', 'cluster-hash-seed'],
    options: [
      opt('cluster-total-nodes', [a.uint(1, 32)], false, 'The number of nodes in the cluster.'),
      opt('cluster-local-node', [a.uint(1, 32)], true, 'Matches packets hashed to this node number.'),
      opt('cluster-local-nodemask', [a.uint32], true, 'Matches packets hashed to any node in this bit mask (instead of --cluster-local-node).'),
      opt('cluster-hash-seed', [a.uint32], false, 'The seed of the Jenkins hash (the same on every node).'),
    ],
  },
  {
    name: 'connbytes',
    doc: 'Matches on how many bytes or packets the connection has transferred so far, or its average packet size. Connections without accounting never match.',
    requiresAll: ['connbytes', 'connbytes-dir', 'connbytes-mode'],
    options: [
      opt('connbytes', [a.uintRange(Number.MAX_SAFE_INTEGER)], true, 'Matches when the amount is in the range `from[:to]` (without `to`: at least `from`).'),
      opt('connbytes-dir', [a.choice(['original', 'reply', 'both'], { message: 'Unknown --connbytes-dir "%s" (original, reply or both)' })], false, 'Which packets count: original, reply or both directions.'),
      opt('connbytes-mode', [a.choice(['packets', 'bytes', 'avgpkt'], { message: 'Unknown --connbytes-mode "%s" (packets, bytes or avgpkt)' })], false, 'What is counted: packets, bytes, or the average packet size.'),
    ],
  },
  {
    name: 'cpu',
    doc: 'Matches the CPU handling the packet.',
    requiresOneOf: ['cpu'],
    options: [
      opt('cpu', [a.uint32], true, 'Matches when the packet is processed on this CPU (numbered from 0).'),
    ],
  },
  {
    name: 'nfacct',
    doc: 'Counts matching packets in a named nfacct accounting object; always matches.',
    requiresOneOf: ['nfacct-name'],
    options: [
      opt('nfacct-name', [a.text({ max: 31, min: 1, what: 'accounting object name' })], false, 'The accounting object (created with `nfacct add`).'),
    ],
  },
  {
    name: 'connlabel',
    doc: 'Matches (or sets) a label bit on the connection; labels are named in /etc/xtables/connlabel.conf.',
    requiresOneOf: ['label'],
    options: [
      opt('label', [a.anyString], true, 'Matches when this label (name or bit number 0-127) is set on the connection.'),
      flag('set', false, 'Sets the label on the connection if it is not set yet.'),
    ],
  },
  // IPv6 extension headers.
  {
    name: 'rt',
    family: 'ipv6',
    doc: 'Matches the IPv6 Routing header.',
    options: [
      opt('rt-type', [a.uint8], true, 'Matches when the routing header type equals the value.'),
      opt('rt-segsleft', [a.uintRange(a.UINT32_MAX)], true, 'Matches when the Segments Left field is in the range `a[:b]`.'),
      opt('rt-len', [a.uint32], true, 'Matches when the header length equals the value.'),
      flag('rt-0-res', false, 'Type 0: also matches the reserved field.'),
      opt('rt-0-addrs', [a.anyString], false, 'Type 0: matches these addresses (comma separated).'),
      flag('rt-0-not-strict', false, 'Type 0: the address list is not strict.'),
    ],
  },
  {
    name: 'frag',
    family: 'ipv6',
    doc: 'Matches the IPv6 Fragment header.',
    options: [
      opt('fragid', [a.uintRange(a.UINT32_MAX)], true, 'Matches when the fragment Identification is in the range `a[:b]`.'),
      opt('fraglen', [a.uint32], true, 'Matches the header length (not supported by kernels since 2.6.10).'),
      flag('fragres', false, 'Matches when the reserved fields are zero.'),
      flag('fragfirst', false, 'Matches the first fragment.'),
      flag('fragmore', false, 'Matches when more fragments follow.'),
      flag('fraglast', false, 'Matches the last fragment.'),
    ],
  },
  {
    name: 'hbh',
    family: 'ipv6',
    doc: 'Matches the IPv6 Hop-by-Hop Options header.',
    options: [
      opt('hbh-len', [a.uint32], true, 'Matches when the header length, in octets, equals the value.'),
      opt('hbh-opts', [a.anyString], false, 'Matches these options: `type[:length]`, comma separated.'),
    ],
  },
  {
    name: 'dst',
    family: 'ipv6',
    doc: 'Matches the IPv6 Destination Options header.',
    options: [
      opt('dst-len', [a.uint32], true, 'Matches when the header length, in octets, equals the value.'),
      opt('dst-opts', [a.anyString], false, 'Matches these options: `type[:length]`, comma separated.'),
    ],
  },
  {
    name: 'ipv6header',
    family: 'ipv6',
    doc: 'Matches the set of IPv6 extension headers the packet carries.',
    requiresOneOf: ['header'],
    options: [
      opt('header', [a.anyString], true, 'Matches when the packet has exactly these headers (comma list of hop, dst, route, frag, auth, esp, none, prot or protocol names/numbers).'),
      flag('soft', false, 'Matches when the packet has any of the listed headers instead of exactly them.'),
    ],
  },
  {
    name: 'mh',
    family: 'ipv6',
    doc: 'Matches the Mobility Header type. Needs `-p mh` (or `ipv6-mh`).',
    requiresProtocol: ['mh', 'ipv6-mh', 'mobility-header'],
    options: [
      opt('mh-type', [a.anyString], true, 'Matches when the Mobility Header type is this one (a name, a number, or a range a:b).'),
    ],
  },
  {
    name: 'eui64',
    family: 'ipv6',
    doc: 'Matches when the lower 64 bits of the IPv6 source address are the EUI-64 derived from the source MAC address. Valid in PREROUTING, INPUT and FORWARD.',
    chains: ['PREROUTING', 'INPUT', 'FORWARD'],
    options: [],
  },
];
