/**
 * The kernel functions a packet meets on CRIU's send-FIN path (raw socket → local-out hooks →
 * drop), and the skb drop reasons the `skb:kfree_skb` event prints: explanations as data, for
 * hovers and for the findings that read kernel traces. Facts from the kernel sources
 * (net/netfilter/core.c, net/ipv4/netfilter/ip_tables.c, net/netfilter/nf_tables_core.c,
 * include/net/dropreason-core.h); names only, no line numbers: they move between versions.
 */

export type FunctionRole = 'send' | 'hook' | 'iptables' | 'nftables' | 'match' | 'conntrack' | 'drop';

export interface KernelFunction {
  name: string;
  role: FunctionRole;
  /** What it does, in a sentence or two. */
  summary: string;
  /** Why it matters for CRIU's forged FIN. */
  onPath?: string;
  /** The netfilter table an iptables hook function belongs to. */
  table?: string;
  /** The nftables family of a `nft_do_chain_*` base-chain entry point. */
  nftFamily?: string;
}

const fns: KernelFunction[] = [
  { name: 'raw_sendmsg', role: 'send', summary: 'sendmsg()/sendto() on a raw IPv4 socket (AF_INET, SOCK_RAW).', onPath: "libsoccr's libnet socket sends CRIU's forged FIN|ACK this way; an error returned below (EPERM from a netfilter drop) is what `sendto` — and so CRIU — reports." },
  { name: 'raw_send_hdrinc', role: 'send', summary: 'Sends a raw packet whose IP header the caller built (IP_HDRINCL, implied by IPPROTO_RAW).', onPath: 'libnet builds the IP header itself, so the FIN goes through here and straight into the local-out hook (NF_INET_LOCAL_OUT).' },
  { name: 'ip_local_out', role: 'send', summary: 'Sends a locally generated IPv4 packet: runs the LOCAL_OUT hook (`__ip_local_out`), then `dst_output`.' },
  { name: '__ip_local_out', role: 'send', summary: 'Runs the NF_INET_LOCAL_OUT netfilter hook for a locally generated IPv4 packet (raw, mangle, nat, filter, security OUTPUT; nftables `hook output` chains).', onPath: 'A drop here is synchronous: the sender gets -EPERM back.' },
  { name: 'ip_output', role: 'send', summary: 'IPv4 output after routing: runs the POST_ROUTING hook (mangle and nat POSTROUTING; nftables `hook postrouting`).' },
  { name: 'ip_finish_output', role: 'send', summary: 'IPv4 output after the POST_ROUTING hook: fragmentation and the neighbour layer.' },
  { name: 'dst_output', role: 'send', summary: 'Hands a routed packet to its route\'s output function (`ip_output` for IPv4).' },
  { name: 'nf_hook_slow', role: 'hook', summary: "Netfilter's hook loop: calls each registered hook function of one hook (iptables tables, nftables base chains, conntrack) in priority order until one returns a verdict other than ACCEPT.", onPath: 'On NF_DROP it frees the packet with `kfree_skb_reason(skb, SKB_DROP_REASON_NETFILTER_DROP)` and returns the error of the verdict, -EPERM by default: the EPERM that `sendto` passes up to CRIU.' },
  { name: 'nf_hook_slow_list', role: 'hook', summary: 'nf_hook_slow for a list of packets (receive path batching).' },
  { name: 'nf_hook', role: 'hook', summary: 'Inline entry of a netfilter hook: calls `nf_hook_slow` when any hook function is registered.' },
  { name: 'ipt_do_table', role: 'iptables', summary: 'Walks one iptables (x_tables) table for a packet: each rule\'s matches, then its target; follows jumps into user chains and returns the verdict.', onPath: 'Used by iptables-legacy tables. A DROP rule makes it return NF_DROP, and nf_hook_slow drops the packet.' },
  { name: 'iptable_filter_hook', role: 'iptables', table: 'filter', summary: 'The hook function of the iptables-legacy `filter` table: calls `ipt_do_table` on it (INPUT, FORWARD, OUTPUT).', onPath: "kubelet's `KUBE-FIREWALL` chain is jumped to from filter OUTPUT: a drop seen under this function happened in the filter table." },
  { name: 'iptable_mangle_hook', role: 'iptables', table: 'mangle', summary: 'The hook function of the iptables-legacy `mangle` table (all five hooks); on LOCAL_OUT it re-routes the packet when the mark or addresses changed.' },
  { name: 'ipt_mangle_out', role: 'iptables', table: 'mangle', summary: 'mangle OUTPUT: runs the table and re-routes when a target changed the mark, TOS or addresses.' },
  { name: 'iptable_nat_do_chain', role: 'iptables', table: 'nat', summary: 'Runs the iptables-legacy `nat` table (only for a connection\'s first packet).' },
  { name: 'iptable_raw_hook', role: 'iptables', table: 'raw', summary: 'The hook function of the iptables-legacy `raw` table (PREROUTING, OUTPUT), before conntrack: where `-j TRACE` and `-j CT --notrack` live.' },
  { name: 'iptable_security_hook', role: 'iptables', table: 'security', summary: 'The hook function of the iptables-legacy `security` table (SELinux secmarks), after filter.' },
  { name: 'nft_do_chain', role: 'nftables', summary: 'Evaluates one nftables chain for a packet: each rule\'s expressions in turn, jumps and gotos, and returns the verdict.', onPath: 'iptables-nft rules run here too (`table ip filter`); a `drop` verdict makes nf_hook_slow drop the packet. The `skb:kfree_skb` event may print `location=nft_do_chain+…` for such a drop.' },
  { name: 'nft_do_chain_ipv4', role: 'nftables', nftFamily: 'ip', summary: 'Entry of an nftables base chain of family `ip` (and of the iptables-nft tables): sets up the packet info and calls `nft_do_chain`.' },
  { name: 'nft_do_chain_ipv6', role: 'nftables', nftFamily: 'ip6', summary: 'Entry of an nftables base chain of family `ip6`.' },
  { name: 'nft_do_chain_inet', role: 'nftables', nftFamily: 'inet', summary: 'Entry of an nftables base chain of family `inet` (IPv4 and IPv6 together), e.g. `table inet CRIU-…` or a firewalld/kube-proxy nft table.' },
  { name: 'nft_do_chain_bridge', role: 'nftables', nftFamily: 'bridge', summary: 'Entry of an nftables base chain of family `bridge`.' },
  { name: 'nft_do_chain_netdev', role: 'nftables', nftFamily: 'netdev', summary: 'Entry of an nftables base chain of family `netdev` (ingress/egress of a device).' },
  { name: 'nft_do_chain_arp', role: 'nftables', nftFamily: 'arp', summary: 'Entry of an nftables base chain of family `arp`.' },
  { name: 'nft_meta_get_eval', role: 'nftables', summary: 'nftables `meta` expression: loads a packet property (mark, iif, oif, …) into a register.' },
  { name: 'nft_cmp_eval', role: 'nftables', summary: 'nftables comparison expression (`== 0x00008000`).' },
  { name: 'nft_bitwise_eval', role: 'nftables', summary: 'nftables bitwise expression (`meta mark & 0x00008000`).' },
  { name: 'nft_immediate_eval', role: 'nftables', summary: 'nftables immediate expression: sets a verdict (accept, drop, jump) or a value.' },
  { name: 'mark_mt', role: 'match', summary: 'The `-m mark` match of x_tables: true when `(skb->mark & mask) == value` (inverted with `!`).', onPath: "With a kretprobe returning 0x1, the packet's mark matched — for CRIU's 0xc114 and kubelet's `--mark 0x8000/0x8000`, `0xc114 & 0x8000 = 0x8000` matches." },
  { name: 'mark_tg', role: 'match', summary: 'The `-j MARK` target: sets or changes the packet mark.' },
  { name: 'connmark_mt', role: 'match', summary: 'The `-m connmark` match: compares the connection\'s mark.' },
  { name: 'conntrack_mt_v3', role: 'match', summary: 'The `-m conntrack` match (`--ctstate`, …).' },
  { name: 'state_mt', role: 'match', summary: 'The `-m state` match (`--state`).' },
  { name: 'comment_mt', role: 'match', summary: 'The `-m comment` match: always true; carries the comment.' },
  { name: 'nf_conntrack_in', role: 'conntrack', summary: 'Connection tracking on the way in/out: finds or creates the packet\'s connection entry and sets its state (NEW, ESTABLISHED, INVALID…).', onPath: "CRIU's forged FIN|ACK with no matching entry is INVALID (nat is skipped); when the table is full a NEW entry cannot be made and the packet is dropped (dmesg `nf_conntrack: table full, dropping packet`)." },
  { name: 'ipv4_conntrack_local', role: 'conntrack', summary: 'Conntrack\'s hook function on LOCAL_OUT (IPv4): calls `nf_conntrack_in`.' },
  { name: 'ipv4_conntrack_in', role: 'conntrack', summary: 'Conntrack\'s hook function on PRE_ROUTING (IPv4).' },
  { name: 'ipv4_confirm', role: 'conntrack', summary: 'Conntrack\'s last hook function (POST_ROUTING / LOCAL_IN): confirms a new entry into the table.' },
  { name: 'nf_confirm', role: 'conntrack', summary: 'Confirms the packet\'s connection entry (inserts a new one into the hash table).' },
  { name: '__nf_conntrack_confirm', role: 'conntrack', summary: 'Inserts an unconfirmed connection entry into the table; fails (and drops) on a clash.' },
  { name: 'init_conntrack', role: 'conntrack', summary: 'Allocates a new connection entry; fails when the table holds nf_conntrack_max entries and none can be evicted ("table full, dropping packet").' },
  { name: '__nf_conntrack_alloc', role: 'conntrack', summary: 'Allocates a connection entry, checking nf_conntrack_count against nf_conntrack_max.' },
  { name: 'nf_ct_invert_tuple', role: 'conntrack', summary: 'Builds the reply-direction tuple of a connection (addresses and ports swapped).' },
  { name: 'nf_ct_get_tuple', role: 'conntrack', summary: 'Reads the packet\'s connection tuple (addresses, protocol, ports).' },
  { name: 'resolve_normal_ct', role: 'conntrack', summary: 'Looks the packet\'s tuple up in the conntrack table, creating an entry when none exists.' },
  { name: 'nf_conntrack_tcp_packet', role: 'conntrack', summary: 'TCP state tracking of conntrack: window and flag checks; marks out-of-window or odd packets INVALID.' },
  { name: 'kfree_skb', role: 'drop', summary: 'Frees a packet that was dropped (as opposed to `consume_skb` for one delivered). Also the `skb:kfree_skb` trace event, which prints where and why.' },
  { name: 'kfree_skb_reason', role: 'drop', summary: 'Frees a dropped packet with a drop reason (kernel ≥ 5.17); the reason appears in the `skb:kfree_skb` event.', onPath: 'nf_hook_slow calls it with NETFILTER_DROP when a hook function returned NF_DROP.' },
  { name: 'sk_skb_reason_drop', role: 'drop', summary: 'Frees a dropped packet with a drop reason and its socket (kernel ≥ 6.10; `kfree_skb_reason` calls it).' },
  { name: 'kfree_skb_list_reason', role: 'drop', summary: 'Frees a list of dropped packets with a drop reason.' },
  { name: 'consume_skb', role: 'drop', summary: 'Frees a packet that was used normally (not a drop).' },
];

const byName = new Map(fns.map((f) => [f.name, f]));

/** A kernel function by name (`mark_mt`, also `mark_mt [xt_mark]` or `mark_mt.isra.0`). */
export function kernelFunction(name: string): KernelFunction | undefined {
  const bare = name.replace(/\s*\[.*$/, '').replace(/\.(isra|constprop|part|cold)\.\d+.*$/, '');
  return byName.get(bare);
}

export const kernelFunctions: readonly KernelFunction[] = fns;

/** `iptable_filter_hook` → `filter`; `nft_do_chain_inet` → nftables base chain of `inet`. */
export function hookFunctionTable(name: string): string | undefined {
  return kernelFunction(name)?.table;
}

export interface DropReason {
  name: string;
  summary: string;
}

/**
 * Drop reasons printed by `skb:kfree_skb` (`reason: NETFILTER_DROP`). The numbers differ between
 * kernels (the list grows in the middle), so the name is the key; the kernel's own tracefs
 * `events/skb/kfree_skb/format` lists the numbers of the running kernel.
 */
const reasons: DropReason[] = [
  { name: 'NOT_SPECIFIED', summary: 'dropped without a specific reason (plain `kfree_skb`)' },
  { name: 'NO_SOCKET', summary: 'no socket wanted the packet (e.g. a TCP segment to a closed port)' },
  { name: 'SOCKET_CLOSE', summary: 'the socket was closed with the packet still queued' },
  { name: 'SOCKET_FILTER', summary: 'a socket filter (BPF `SO_ATTACH_FILTER`) rejected it' },
  { name: 'SOCKET_RCVBUFF', summary: 'the socket\'s receive buffer was full' },
  { name: 'PKT_TOO_SMALL', summary: 'the packet was shorter than its headers say' },
  { name: 'TCP_CSUM', summary: 'bad TCP checksum' },
  { name: 'UDP_CSUM', summary: 'bad UDP checksum' },
  { name: 'NETFILTER_DROP', summary: 'a netfilter hook returned NF_DROP: an iptables/nftables rule or policy dropped it (or conntrack could not track it); on the local-out path the sender gets EPERM' },
  { name: 'OTHERHOST', summary: 'the packet was for another host (not forwarded here)' },
  { name: 'IP_CSUM', summary: 'bad IP header checksum' },
  { name: 'IP_INHDR', summary: 'invalid IP header' },
  { name: 'IP_RPFILTER', summary: 'reverse-path filter (rp_filter) rejected the source address' },
  { name: 'XFRM_POLICY', summary: 'an IPsec (xfrm) policy rejected it' },
  { name: 'IP_NOPROTO', summary: 'no handler for the IP protocol' },
  { name: 'PROTO_MEM', summary: 'the protocol\'s memory limit was reached' },
  { name: 'TCP_FLAGS', summary: 'TCP flags not acceptable in the socket\'s state' },
  { name: 'TCP_RESET', summary: 'a valid RST reset the connection' },
  { name: 'TCP_CLOSE', summary: 'the TCP socket was closed' },
  { name: 'TCP_INVALID_SEQUENCE', summary: 'TCP sequence number outside the window' },
  { name: 'TCP_OLD_DATA', summary: 'TCP data already received' },
  { name: 'IP_OUTNOROUTES', summary: 'no route for the outgoing packet' },
  { name: 'BPF_CGROUP_EGRESS', summary: 'a cgroup BPF egress program dropped it (also surfaces as EPERM to the sender)' },
  { name: 'SECURITY_HOOK', summary: 'an LSM security hook (SELinux, …) dropped it' },
  { name: 'TC_EGRESS', summary: 'a traffic-control egress filter dropped it' },
  { name: 'TC_INGRESS', summary: 'a traffic-control ingress filter dropped it' },
  { name: 'QDISC_DROP', summary: 'the queueing discipline dropped it' },
  { name: 'NEIGH_FAILED', summary: 'neighbour (ARP/ND) resolution failed' },
  { name: 'NEIGH_QUEUEFULL', summary: 'the neighbour queue was full' },
  { name: 'NOMEM', summary: 'out of memory' },
  { name: 'PKT_TOO_BIG', summary: 'larger than the MTU and not fragmentable' },
  { name: 'XDP', summary: 'an XDP program dropped it' },
];

const reasonByName = new Map(reasons.map((r) => [r.name, r]));

export function dropReason(name: string): DropReason | undefined {
  return reasonByName.get(name.replace(/^SKB_DROP_REASON_/, ''));
}
