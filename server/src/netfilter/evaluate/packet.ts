/**
 * A packet as the evaluator sees it. Every field may be unknown (undefined); the mark and the
 * connection mark are known bit by bit, because MARK/CONNMARK may set some bits and not others.
 */
import type { Family } from '../../knowledge/xtables/types';
import { parseAddress } from '../../knowledge/xtables/args';

export type Path = 'local-out' | 'input' | 'forward';
export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';
export const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG'] as const;
export type TcpFlag = (typeof TCP_FLAGS)[number];

/** A 32-bit value whose bits are known where `known` has a 1. */
export interface Bits {
  value: number;
  known: number;
}

export const unknownBits: Bits = { value: 0, known: 0 };
export const knownBits = (value: number): Bits => ({ value: value >>> 0, known: 0xffffffff });

export interface Packet {
  family?: Family;
  /** Protocol name as iptables writes it: tcp, udp, icmp, ... */
  proto?: string;
  src?: bigint;
  dst?: bigint;
  sport?: number;
  dport?: number;
  /** TCP flags set in the packet (all others clear), when known. */
  flags?: TcpFlag[];
  mark: Bits;
  ctmark: Bits;
  iif?: string;
  oif?: string;
  ct?: CtState;
  /**
   * Whether the conntrack entry's destination / source was rewritten by NAT (IPS_DST_NAT /
   * IPS_SRC_NAT: the virtual `--ctstate DNAT` / `SNAT`); undefined: unknown. A new connection
   * starts with neither.
   */
  nat?: { dnat?: boolean; snat?: boolean };
  /** Text of the original addresses, for messages. */
  srcText?: string;
  dstText?: string;
}

export class PacketSpecError extends Error {}

const ctStates: Record<string, CtState> = { new: 'NEW', established: 'ESTABLISHED', related: 'RELATED', invalid: 'INVALID', untracked: 'UNTRACKED' };

/**
 * `family=ipv4 proto=tcp src=A sport=P dst=B dport=Q flags=FIN,ACK mark=0xc114 oif=lo ct=invalid`
 * (DESIGN.md §7); omitted fields are unknown.
 */
export function parsePacketSpec(spec: string): Packet {
  const packet: Packet = { mark: unknownBits, ctmark: unknownBits };
  for (const word of spec.trim().split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new PacketSpecError(`expected key=value, got "${word}"`);
    const key = word.slice(0, eq);
    const value = word.slice(eq + 1);
    const number = (max: number) => {
      const n = /^(0x[0-9a-f]+|\d+)$/i.test(value) ? Number(value) : NaN;
      if (!(n >= 0 && n <= max)) throw new PacketSpecError(`${key}: "${value}" is not a number from 0 to ${max}`);
      return n;
    };
    switch (key) {
      case 'family':
        if (value !== 'ipv4' && value !== 'ipv6') throw new PacketSpecError(`family: ipv4 or ipv6, not "${value}"`);
        packet.family = value;
        break;
      case 'proto':
        packet.proto = value.toLowerCase();
        break;
      case 'src':
      case 'dst': {
        const family = packet.family ?? (value.includes(':') ? 'ipv6' : 'ipv4');
        const address = parseAddress(value, family);
        if (address === undefined) throw new PacketSpecError(`${key}: "${value}" is not an ${family} address`);
        packet.family ??= family;
        packet[key] = address;
        packet[key === 'src' ? 'srcText' : 'dstText'] = value;
        break;
      }
      case 'sport':
      case 'dport':
        packet[key] = number(65535);
        break;
      case 'flags': {
        const flags = value.toUpperCase().split(',').filter(Boolean);
        for (const f of flags) if (!(TCP_FLAGS as readonly string[]).includes(f)) throw new PacketSpecError(`flags: unknown TCP flag "${f}"`);
        packet.flags = flags as TcpFlag[];
        break;
      }
      case 'mark':
        packet.mark = knownBits(number(0xffffffff));
        break;
      case 'ctmark':
        packet.ctmark = knownBits(number(0xffffffff));
        break;
      case 'iif':
      case 'oif':
        packet[key] = value;
        break;
      case 'ct': {
        const state = ctStates[value.toLowerCase()];
        if (!state) throw new PacketSpecError(`ct: one of ${Object.keys(ctStates).join(', ')}, not "${value}"`);
        packet.ct = state;
        break;
      }
      default:
        throw new PacketSpecError(`unknown field "${key}" (family, proto, src, sport, dst, dport, flags, mark, ctmark, iif, oif, ct)`);
    }
  }
  return packet;
}

/**
 * The conntrack state of a packet for which no conntrack entry exists, with the kernel default
 * nf_conntrack_tcp_loose=1: SYN and a bare ACK (mid-stream pickup) start a NEW connection;
 * FIN|ACK, RST and SYN|ACK are INVALID (DESIGN.md §3).
 */
export function stateWithoutEntry(packet: Packet): CtState | undefined {
  if (packet.proto !== 'tcp' || !packet.flags) return undefined;
  const has = (f: TcpFlag) => packet.flags!.includes(f);
  if (has('RST')) return 'INVALID';
  if (has('SYN')) return has('ACK') ? 'INVALID' : 'NEW';
  if (has('FIN')) return 'INVALID';
  if (has('ACK')) return 'NEW';
  return undefined;
}
