/**
 * Targets (`-j NAME`) as data. `tables` and `chains` are where the kernel accepts each target, as
 * iptables-restore 1.8.9 showed in a network namespace (every target tried in every built-in
 * chain of every table); where that differs from iptables-extensions(8), the observed behaviour
 * wins and the doc says so. User chains inherit the restriction of the chains that jump to them.
 */
import * as a from './args';
import type { ArgParser, OptionSpec, TargetSpec } from './types';

/** Target options are never invertible. */
function opt(name: string, args: readonly ArgParser[], doc: string, aliases?: readonly string[]): OptionSpec {
  return aliases ? { name, args, invertible: false, doc, aliases } : { name, args, invertible: false, doc };
}

function flag(name: string, doc: string): OptionSpec {
  return opt(name, [], doc);
}

const ALL_NAT_CHAINS = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'];

export const targets: readonly TargetSpec[] = [
  {
    name: 'ACCEPT',
    flow: 'terminal',
    doc: 'Lets the packet through this chain and its table on this hook: evaluation of the table stops here, but the other tables (and later hooks) still see the packet and can drop it.',
    options: [],
  },
  {
    name: 'DROP',
    flow: 'terminal',
    // iptables refuses DROP in nat ("The nat table is not intended for filtering").
    tables: ['raw', 'mangle', 'filter', 'security'],
    doc: 'Discards the packet: nothing after this rule sees it. For a locally generated packet the sending call fails with EPERM. Not allowed in the nat table.',
    options: [],
  },
  {
    name: 'RETURN',
    flow: 'return',
    doc: 'Stops this chain: in a user chain, evaluation goes on after the rule that jumped here; at the end of a built-in chain, the chain\'s policy decides.',
    options: [],
  },
  {
    name: 'QUEUE',
    flow: 'terminal',
    doc: 'Hands the packet to a userspace program through netfilter queue 0 (NFQUEUE --queue-num 0); with no program listening the packet is dropped.',
    options: [],
  },
  {
    name: 'REJECT',
    flow: 'terminal',
    tables: ['filter'],
    chains: ['INPUT', 'FORWARD', 'OUTPUT'],
    doc: 'Drops the packet and sends an error back (ICMP port unreachable by default, or what --reject-with says). Valid only in the filter table, in INPUT, FORWARD, OUTPUT and user chains called from them.',
    options: [
      opt('reject-with', [a.rejectWith], 'The reply: IPv4 icmp-net-unreachable, icmp-host-unreachable, icmp-port-unreachable (default), icmp-proto-unreachable, icmp-net-prohibited, icmp-host-prohibited, icmp-admin-prohibited; IPv6 icmp6-no-route, icmp6-adm-prohibited, icmp6-addr-unreachable, icmp6-port-unreachable (default), icmp6-policy-fail, icmp6-reject-route; or tcp-reset (a TCP RST; the rule must match only TCP).'),
    ],
  },
  {
    name: 'LOG',
    flow: 'continue',
    doc: 'Writes the packet\'s headers to the kernel log (dmesg) and goes on with the next rule.',
    options: [
      opt('log-level', [a.logLevel], 'The syslog level: 0-7 or emerg, alert, crit, error, warning (default), notice, info, debug.'),
      opt('log-prefix', [a.logPrefix], 'Text put before the log line (up to 29 characters; iptables cuts longer text).'),
      flag('log-tcp-sequence', 'Also logs TCP sequence numbers.'),
      flag('log-tcp-options', 'Also logs TCP header options.'),
      flag('log-ip-options', 'Also logs IP/IPv6 header options.'),
      flag('log-uid', 'Also logs the uid of the process that sent the packet.'),
      flag('log-macdecode', 'Decodes MAC addresses and the protocol.'),
    ],
  },
  {
    name: 'NFLOG',
    flow: 'continue',
    doc: 'Passes the packet to the nfnetlink_log backend (userspace loggers such as ulogd listen on a group) and goes on with the next rule.',
    options: [
      opt('nflog-group', [a.uint16], 'The netlink group (0-65535, default 0).'),
      opt('nflog-prefix', [a.nflogPrefix], 'A prefix string included in the log message.'),
      opt('nflog-range', [a.uint32], 'Bytes to copy to userspace (has never worked; use --nflog-size).'),
      opt('nflog-size', [a.uint32], 'Bytes of the packet to copy to userspace.'),
      opt('nflog-threshold', [a.uint16], 'Packets to queue in the kernel before sending them to userspace (default 1).'),
    ],
  },
  {
    name: 'NFQUEUE',
    flow: 'terminal',
    doc: 'Hands the packet to a userspace program through a netfilter queue; the program decides its fate. With no program listening the packet is dropped, unless --queue-bypass.',
    options: [
      opt('queue-num', [a.uint16], 'The queue number (0-65535, default 0).'),
      opt('queue-balance', [a.queueRange], 'Spreads packets over the queues first:last (a connection always goes to the same queue).'),
      flag('queue-bypass', 'When no program listens on the queue, accepts the packet (moves on to the next table) instead of dropping it.'),
      flag('queue-cpu-fanout', 'With --queue-balance: picks the queue by CPU number.'),
    ],
  },
  {
    name: 'MARK',
    flow: 'continue',
    doc: 'Changes the packet mark (nfmark) that later rules, routing (fwmark) and tc see; goes on with the next rule. Accepted in every table.',
    requiresOneOf: ['set-mark', 'set-xmark', 'and-mark', 'or-mark', 'xor-mark'],
    options: [
      opt('set-xmark', [a.markMask], 'mark = (mark & ~mask) ^ value; the mask defaults to 0xffffffff (then the mark becomes value).'),
      opt('set-mark', [a.markMask], 'mark = (mark & ~mask) | value; the mask defaults to 0xffffffff (then the mark becomes value).'),
      opt('and-mark', [a.markValue], 'mark = mark & bits.'),
      opt('or-mark', [a.markValue], 'mark = mark | bits.'),
      opt('xor-mark', [a.markValue], 'mark = mark ^ bits.'),
    ],
  },
  {
    name: 'CONNMARK',
    flow: 'continue',
    doc: 'Sets the connection mark (ctmark), or copies marks between packet and connection; goes on with the next rule. Accepted in every table (iptables-nft 1.8.9 takes --restore-mark outside mangle too).',
    requiresOneOf: ['set-mark', 'set-xmark', 'save-mark', 'restore-mark', 'and-mark', 'or-mark', 'xor-mark'],
    options: [
      opt('set-xmark', [a.markMask], 'ctmark = (ctmark & ~mask) ^ value; the mask defaults to 0xffffffff.'),
      opt('set-mark', [a.markMask], 'ctmark = (ctmark & ~mask) | value; the mask defaults to 0xffffffff.'),
      flag('save-mark', 'Copies the packet mark to the connection: ctmark = (ctmark & ~ctmask) ^ (nfmark & nfmask); both masks default to 0xffffffff.'),
      flag('restore-mark', 'Copies the connection mark to the packet: nfmark = (nfmark & ~nfmask) ^ (ctmark & ctmask); both masks default to 0xffffffff.'),
      opt('and-mark', [a.markValue], 'ctmark = ctmark & bits.'),
      opt('or-mark', [a.markValue], 'ctmark = ctmark | bits.'),
      opt('xor-mark', [a.markValue], 'ctmark = ctmark ^ bits.'),
      opt('nfmask', [a.markValue], 'With --save-mark/--restore-mark: the packet-mark mask of the formulas above.'),
      opt('ctmask', [a.markValue], 'With --save-mark/--restore-mark: the connection-mark mask of the formulas above.'),
      opt('mask', [a.markValue], 'With --save-mark/--restore-mark: sets both nfmask and ctmask (only these bits are copied).'),
    ],
  },
  {
    name: 'MASQUERADE',
    flow: 'terminal',
    tables: ['nat'],
    chains: ['POSTROUTING'],
    doc: 'Source NAT to the address of the outgoing interface, for the whole connection; the nat table stops here. Connections are forgotten when the interface goes down. Only in nat POSTROUTING.',
    options: [
      opt('to-ports', [a.natPortRange], 'Source ports to use, `port[-port]` (the rule must match tcp, udp, dccp or sctp).'),
      flag('random', 'Randomizes the source port mapping (since Linux 5.0 the same as --random-fully).'),
      flag('random-fully', 'Fully randomizes the source port mapping.'),
    ],
  },
  {
    name: 'SNAT',
    flow: 'terminal',
    tables: ['nat'],
    chains: ['POSTROUTING', 'INPUT'],
    requiresAll: ['to-source'],
    doc: 'Rewrites the source address (and port) of the connection; the nat table stops here. Only in nat POSTROUTING and INPUT (and user chains called from them).',
    options: [
      opt('to-source', [a.natRange(false)], 'The new source: `[addr[-addr]][:port[-port]]` (ports only when the rule matches tcp, udp, dccp or sctp).'),
      flag('random', 'Randomizes the source port mapping.'),
      flag('random-fully', 'Fully randomizes the source port mapping.'),
      flag('persistent', 'Gives a client the same source address for each connection.'),
    ],
  },
  {
    name: 'DNAT',
    flow: 'terminal',
    tables: ['nat'],
    chains: ['PREROUTING', 'OUTPUT'],
    requiresAll: ['to-destination'],
    doc: 'Rewrites the destination address (and port) of the connection; the nat table stops here. Only in nat PREROUTING and OUTPUT (and user chains called from them).',
    options: [
      opt('to-destination', [a.natRange(true)], 'The new destination: `[addr[-addr]][:port[-port[/baseport]]]` (ports only when the rule matches tcp, udp, dccp or sctp).'),
      flag('random', 'Randomizes the port mapping.'),
      flag('persistent', 'Gives a client the same destination address for each connection.'),
    ],
  },
  {
    name: 'REDIRECT',
    flow: 'terminal',
    tables: ['nat'],
    chains: ['PREROUTING', 'OUTPUT'],
    doc: 'Destination NAT to this host (the primary address of the incoming interface; 127.0.0.1 or ::1 for local packets); the nat table stops here. Only in nat PREROUTING and OUTPUT.',
    options: [
      opt('to-ports', [a.natPortRange], 'Destination port or range `port[-port]` (the rule must match tcp, udp, dccp or sctp); without it the port is kept.'),
      flag('random', 'Randomizes the port mapping.'),
    ],
  },
  {
    name: 'NETMAP',
    flow: 'terminal',
    tables: ['nat'],
    chains: ALL_NAT_CHAINS,
    requiresAll: ['to'],
    doc: 'Maps a whole network onto another one, 1:1: the network bits come from --to, the host bits stay. Rewrites the destination in PREROUTING/OUTPUT and the source in POSTROUTING/INPUT.',
    options: [
      opt('to', [a.netmapTo], 'The network to map to, `address/mask`.'),
    ],
  },
  {
    name: 'CT',
    flow: 'continue',
    tables: ['raw'],
    doc: 'Attaches a conntrack template to the packet before tracking starts: no tracking, a helper, a zone, a timeout policy. Only in the raw table; goes on with the next rule.',
    options: [
      flag('notrack', 'Disables connection tracking for the packet (its state becomes UNTRACKED).'),
      opt('helper', [a.helperName], 'Uses this conntrack helper (ftp, sip...) for the connection.'),
      opt('ctevents', [a.ctEvents], 'Generates only these conntrack events (new, related, destroy, reply, assured, protoinfo, helper, mark, natseqinfo, secmark).'),
      opt('expevents', [a.expEvents], 'Generates only these expectation events (new).'),
      opt('zone', [a.ctZone], 'Puts the connection in this zone (0-65535), or takes the zone from the packet mark (`mark`), in both directions.'),
      opt('zone-orig', [a.ctZone], 'As --zone, for the original direction only.'),
      opt('zone-reply', [a.ctZone], 'As --zone, for the reply direction only.'),
      opt('timeout', [a.text({ max: 31, min: 1, what: 'timeout policy name' })], 'Uses this timeout policy (nfct timeout) for the connection.'),
    ],
  },
  {
    name: 'NOTRACK',
    flow: 'continue',
    tables: ['raw'],
    doc: 'Disables connection tracking for the packet (the same as CT --notrack): its state becomes UNTRACKED. Only in the raw table; goes on with the next rule.',
    options: [],
  },
  {
    name: 'TRACE',
    flow: 'continue',
    // iptables-legacy (xt_TRACE) allows only raw; iptables-nft turns TRACE into `meta nftrace` and
    // accepts it in every table (checked with 1.8.9): no restriction, or nft dumps would be flagged.
    doc: 'Marks the packet for tracing: every rule it then meets is reported (kernel log with iptables-legacy, `xtables-monitor --trace` with iptables-nft). Goes on with the next rule. iptables-legacy accepts it only in the raw table; iptables-nft in any table.',
    options: [],
  },
  {
    name: 'TPROXY',
    flow: 'terminal',
    tables: ['mangle'],
    chains: ['PREROUTING'],
    requiresProtocol: ['tcp', 'udp'],
    requiresAll: ['on-port'],
    doc: 'Delivers the packet to a local (transparent proxy) socket without changing its headers, optionally marking it; a packet with no such socket is dropped. Only in mangle PREROUTING, for -p tcp or udp.',
    options: [
      opt('on-port', [a.port], 'The local port to deliver to (0: the packet\'s own destination port).'),
      opt('on-ip', [a.hostAddress], 'The local address to deliver to (default: the address of the incoming interface).'),
      opt('tproxy-mark', [a.markMask], 'Sets the packet mark: mark = (mark & ~mask) ^ value, for policy routing to the local socket.'),
    ],
  },
  {
    name: 'CLASSIFY',
    flow: 'continue',
    // The kernel restricts the hooks (LOCAL_OUT, FORWARD, POST_ROUTING), not the table.
    chains: ['FORWARD', 'OUTPUT', 'POSTROUTING'],
    requiresAll: ['set-class'],
    doc: 'Sets the packet priority (skb->priority) to a tc class; goes on with the next rule. Accepted in FORWARD, OUTPUT and POSTROUTING of any table.',
    options: [
      opt('set-class', [a.classId], 'The class `major:minor`, both hexadecimal.'),
    ],
  },
  {
    name: 'DSCP',
    flow: 'continue',
    tables: ['mangle'],
    requiresOneOf: ['set-dscp', 'set-dscp-class'],
    doc: 'Rewrites the 6-bit DSCP field of the packet; goes on with the next rule. Only in the mangle table.',
    options: [
      opt('set-dscp', [a.dscpValue], 'The new DSCP value (0-63, decimal or hex).'),
      opt('set-dscp-class', [a.dscpClass], 'The new DSCP, as a DiffServ class (BE, EF, AF11-AF43, CS0-CS7).'),
    ],
  },
  {
    name: 'TCPMSS',
    flow: 'continue',
    requiresProtocol: ['tcp'],
    requiresOneOf: ['set-mss', 'clamp-mss-to-pmtu'],
    doc: 'Rewrites the MSS option of TCP SYN packets (never raising it); goes on with the next rule. Needs -p tcp; --clamp-mss-to-pmtu works only in FORWARD, OUTPUT and POSTROUTING, and iptables-legacy also wants the rule to match SYN packets.',
    options: [
      opt('set-mss', [a.uint16], 'Sets the MSS to this value (if the packet\'s MSS is lower, it is kept).'),
      flag('clamp-mss-to-pmtu', 'Clamps the MSS to the path MTU minus 40 (IPv4) or 60 (IPv6).'),
    ],
  },
  {
    name: 'CHECKSUM',
    flow: 'continue',
    tables: ['mangle'],
    requiresAll: ['checksum-fill'],
    doc: 'Computes and fills in a missing checksum (for old DHCP clients behind checksum offload); goes on with the next rule. Only in the mangle table.',
    options: [
      flag('checksum-fill', 'Fills in the checksum of a packet that lacks one.'),
    ],
  },
  {
    name: 'AUDIT',
    flow: 'continue',
    requiresAll: ['type'],
    doc: 'Creates an audit record for the packet; goes on with the next rule.',
    options: [
      opt('type', [a.choice(['accept', 'drop', 'reject'], { message: 'Bad action type value "%s" (accept, drop or reject)' })], 'The record type: accept, drop or reject (ignored since Linux 4.12).'),
    ],
  },
  {
    name: 'TOS',
    flow: 'continue',
    tables: ['mangle'],
    requiresOneOf: ['set-tos', 'and-tos', 'or-tos', 'xor-tos'],
    doc: 'Rewrites the IPv4 Type of Service field (or the IPv6 traffic class); goes on with the next rule. Only in the mangle table.',
    options: [
      opt('set-tos', [a.tosTarget], 'tos = (tos & ~mask) ^ value; the mask defaults to 0xff. A symbolic name (Minimize-Delay...) implies mask 0x3f, keeping the ECN bits (iptables 1.8.9; the man page says 0xff).'),
      opt('and-tos', [a.uint8], 'tos = tos & bits.'),
      opt('or-tos', [a.uint8], 'tos = tos | bits.'),
      opt('xor-tos', [a.uint8], 'tos = tos ^ bits.'),
    ],
  },
  {
    name: 'TTL',
    flow: 'continue',
    family: 'ipv4',
    tables: ['mangle'],
    requiresOneOf: ['ttl-set', 'ttl-dec', 'ttl-inc'],
    doc: 'Rewrites the IPv4 TTL field; goes on with the next rule. Only in the mangle table.',
    options: [
      opt('ttl-set', [a.ttlValue], 'Sets the TTL to the value.'),
      opt('ttl-dec', [a.uint(0, 255)], 'Decrements the TTL by the value.'),
      opt('ttl-inc', [a.uint(0, 255)], 'Increments the TTL by the value.'),
    ],
  },
  {
    name: 'HL',
    flow: 'continue',
    family: 'ipv6',
    tables: ['mangle'],
    requiresOneOf: ['hl-set', 'hl-dec', 'hl-inc'],
    doc: 'Rewrites the IPv6 hop limit field; goes on with the next rule. Only in the mangle table.',
    options: [
      opt('hl-set', [a.ttlValue], 'Sets the hop limit to the value.'),
      opt('hl-dec', [a.uint(0, 255)], 'Decrements the hop limit by the value.'),
      opt('hl-inc', [a.uint(0, 255)], 'Increments the hop limit by the value.'),
    ],
  },
  {
    name: 'SECMARK',
    flow: 'continue',
    tables: ['security', 'mangle'],
    requiresAll: ['selctx'],
    doc: 'Sets the security mark of the packet (for SELinux and other LSMs); goes on with the next rule. In the security table (and mangle, for older kernels).',
    options: [
      opt('selctx', [a.text({ max: 255, min: 1, what: 'security context' })], 'The security context, e.g. `system_u:object_r:http_packet_t:s0`.'),
    ],
  },
  {
    name: 'CONNSECMARK',
    flow: 'continue',
    tables: ['security', 'mangle'],
    requiresOneOf: ['save', 'restore'],
    doc: 'Copies security marks between packet and connection (only onto unlabelled ones); goes on with the next rule. In the security and mangle tables.',
    options: [
      flag('save', 'Copies the packet\'s security mark to the connection, if the connection has none.'),
      flag('restore', 'Copies the connection\'s security mark to the packet, if the packet has none.'),
    ],
  },
  {
    name: 'SET',
    flow: 'continue',
    requiresOneOf: ['add-set', 'del-set', 'map-set'],
    doc: 'Adds the packet\'s addresses/ports to an ipset, or deletes them, or maps packet properties from one; goes on with the next rule.',
    options: [
      opt('add-set', [a.setName, a.setFlags], 'Adds the packet\'s entry to the set: the set name, then src/dst flags per dimension.'),
      opt('del-set', [a.setName, a.setFlags], 'Deletes the packet\'s entry from the set: the set name, then src/dst flags per dimension.'),
      opt('map-set', [a.setName, a.setFlags], 'Looks the packet up in a set created with --skbinfo and applies --map-mark/--map-prio/--map-queue.'),
      opt('timeout', [a.uint32], 'With --add-set: the timeout of the new entry, instead of the set\'s default.'),
      flag('exist', 'With --add-set: an existing entry gets its timeout reset.'),
      flag('map-mark', 'With --map-set: sets the packet mark from the set entry.'),
      flag('map-prio', 'With --map-set: sets the tc priority from the set entry (OUTPUT, FORWARD, POSTROUTING).'),
      flag('map-queue', 'With --map-set: sets the hardware queue from the set entry (OUTPUT, FORWARD, POSTROUTING).'),
    ],
  },
  {
    name: 'ECN',
    flow: 'continue',
    family: 'ipv4',
    tables: ['mangle'],
    doc: 'Works around ECN black holes by clearing ECN bits; goes on with the next rule. Only in the mangle table.',
    options: [
      flag('ecn-tcp-remove', 'Removes the ECN bits from the TCP header (needs -p tcp).'),
    ],
  },
  {
    name: 'TEE',
    flow: 'continue',
    requiresAll: ['gateway'],
    doc: 'Sends a copy of the packet to another host on the local network segment (the gateway as next hop); the original goes on with the next rule.',
    options: [
      opt('gateway', [a.hostAddress], 'The host that receives the copy.'),
      opt('oif', [a.iface], 'Sends the copy out of this interface.'),
    ],
  },
  {
    name: 'TCPOPTSTRIP',
    flow: 'continue',
    tables: ['mangle'],
    requiresProtocol: ['tcp'],
    doc: 'Replaces the listed TCP options with NOPs; goes on with the next rule. Only in the mangle table, for -p tcp.',
    options: [
      opt('strip-options', [a.anyString], 'The options to strip: numbers or names (mss, wscale, sack-permitted, sack, timestamp, md5), comma separated.'),
    ],
  },
  {
    name: 'SYNPROXY',
    flow: 'terminal',
    chains: ['INPUT', 'FORWARD'],
    requiresProtocol: ['tcp'],
    doc: 'Answers TCP handshakes itself with SYN cookies and opens the connection to the server only once the client completes it (SYN-flood protection). Consumes the packets it handles. In INPUT and FORWARD, for -p tcp.',
    options: [
      opt('mss', [a.uint16], 'The MSS announced to clients (must match the server).'),
      opt('wscale', [a.uint(0, 14)], 'The window scale announced to clients (must match the server).'),
      flag('sack-perm', 'Passes the client\'s SACK option on to the server.'),
      flag('timestamp', 'Passes the client\'s timestamp option on to the server.'),
      flag('ecn', 'Passes ECN on to the server.'),
    ],
  },
  {
    name: 'HMARK',
    flow: 'continue',
    requiresAll: ['hmark-mod'],
    doc: 'Sets the packet mark from a hash of addresses, ports and protocol: mark = hash % mod + offset; goes on with the next rule.',
    options: [
      opt('hmark-tuple', [a.choiceList(['src', 'dst', 'sport', 'dport', 'spi', 'proto', 'ct'], { message: 'Bad tuple member "%s"' })], 'What is hashed: src, dst, sport, dport, spi, proto, ct (conntrack tuple instead of the packet).'),
      opt('hmark-mod', [a.uint(1, a.UINT32_MAX)], 'The modulus of the hash (the number of marks).'),
      opt('hmark-offset', [a.uint32], 'Added to the hash result.'),
      opt('hmark-src-prefix', [a.prefixLength], 'The source address prefix length hashed.'),
      opt('hmark-dst-prefix', [a.prefixLength], 'The destination address prefix length hashed.'),
      opt('hmark-sport-mask', [a.uint16], 'A 16-bit source port mask.'),
      opt('hmark-dport-mask', [a.uint16], 'A 16-bit destination port mask.'),
      opt('hmark-spi-mask', [a.uint32], 'A 32-bit SPI mask.'),
      opt('hmark-proto-mask', [a.uint8], 'An 8-bit layer-4 protocol mask.'),
      opt('hmark-rnd', [a.uint32], 'A random seed for the hash.'),
    ],
  },
  {
    name: 'IDLETIMER',
    flow: 'continue',
    requiresAll: ['timeout', 'label'],
    doc: 'Restarts a per-label timer on each packet; when it expires the kernel notifies userspace (sysfs). Goes on with the next rule.',
    options: [
      opt('timeout', [a.uint32], 'Seconds of inactivity before the notification.'),
      opt('label', [a.text({ max: 27, min: 1, what: 'timer label' })], 'The timer\'s name (up to 27 characters).'),
      flag('alarm', 'Uses an alarm timer that can wake the system from suspend.'),
    ],
  },
  {
    name: 'RATEEST',
    flow: 'continue',
    requiresAll: ['rateest-name', 'rateest-interval', 'rateest-ewmalog'],
    doc: 'Feeds the packet into a named rate estimator, for the rateest match; goes on with the next rule.',
    options: [
      opt('rateest-name', [a.text({ max: 15, min: 1, what: 'estimator name' })], 'The estimator pool.'),
      opt('rateest-interval', [a.anyString], 'The measurement interval (`250ms`, `1s`, `100us`).'),
      opt('rateest-ewmalog', [a.anyString], 'The averaging time constant.'),
    ],
  },
  {
    name: 'SNPT',
    flow: 'continue',
    family: 'ipv6',
    tables: ['mangle'],
    chains: ['INPUT', 'POSTROUTING'],
    requiresAll: ['src-pfx', 'dst-pfx'],
    doc: 'Stateless IPv6 source prefix translation (RFC 6296): replaces the source prefix. Only in mangle INPUT and POSTROUTING.',
    options: [
      opt('src-pfx', [a.address], 'The prefix to translate, `prefix/length`.'),
      opt('dst-pfx', [a.address], 'The prefix to translate to, `prefix/length`.'),
    ],
  },
  {
    name: 'DNPT',
    flow: 'continue',
    family: 'ipv6',
    tables: ['mangle'],
    chains: ['PREROUTING', 'OUTPUT'],
    requiresAll: ['src-pfx', 'dst-pfx'],
    doc: 'Stateless IPv6 destination prefix translation (RFC 6296): replaces the destination prefix. Only in mangle PREROUTING and OUTPUT.',
    options: [
      opt('src-pfx', [a.address], 'The prefix to translate, `prefix/length`.'),
      opt('dst-pfx', [a.address], 'The prefix to translate to, `prefix/length`.'),
    ],
  },
];
