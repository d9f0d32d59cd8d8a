/**
 * Packet marks that matter when CRIU restores TCP connections (DESIGN.md §3): libsoccr's own
 * mark, and the marks other software puts on packets, with what a match on them means.
 */

/** libsoccr's SOCCR_MARK: set (SO_MARK) on the raw socket that forges the FIN/ACK on restore. */
export const SOCCR_MARK = 0xc114;

export interface KnownMark {
  value: number;
  /** Who sets it and why. */
  owner: string;
  meaning: string;
}

/** Marks that a `--mark V/M` rule is commonly written against; hovers list which of them match. */
export const knownMarks: readonly KnownMark[] = [
  { value: SOCCR_MARK, owner: "CRIU (libsoccr)", meaning: "the FIN/ACK (or ACK) a TCP restore re-sends from a raw socket for half-closed connections; a drop makes sendto() fail with EPERM" },
  { value: 0x8000, owner: 'kubelet / Cilium', meaning: 'KUBE-MARK-DROP: packets to drop (KUBE-FIREWALL drops 0x8000/0x8000 up to Kubernetes 1.26)' },
  { value: 0x4000, owner: 'kube-proxy / flannel', meaning: 'KUBE-MARK-MASQ: packets to masquerade in POSTROUTING (NAT, not a drop)' },
  { value: 0x40000, owner: 'Weave Net NPC', meaning: 'packets accepted by network policy; `! --mark 0x40000/0x40000 -j DROP` drops the rest' },
];

export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** `-m mark [!] --mark value/mask`: matches when (mark & mask) == value, inverted by `!`. */
export function markMatches(mark: number, match: { value: number; mask: number }, negated: boolean): boolean {
  const hit = ((mark & match.mask) >>> 0) === (match.value >>> 0);
  return negated ? !hit : hit;
}
