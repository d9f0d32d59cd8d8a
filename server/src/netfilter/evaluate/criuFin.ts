/**
 * The packet libsoccr forges when it restores a half-closed TCP socket (DESIGN.md §3): from a
 * raw socket with SO_MARK 0xC114, source = the peer, destination = the local end, FIN|ACK (or a
 * bare ACK for FIN_WAIT2), on the local-out path, out of the loopback or the route's interface.
 */
import { SOCCR_MARK } from '../../knowledge/marks';
import { parseAddress } from '../../knowledge/xtables/args';
import type { Endpoint } from '../../criu/sockets';
import { knownBits, unknownBits, type CtState, type Packet } from './packet';

export interface FinPacketInput {
  local: Endpoint;
  peer: Endpoint;
  packet: 'FIN|ACK' | 'ACK';
  /**
   * The conntrack state when known. Left unknown by default: the original connection's entry
   * may still exist (then ESTABLISHED); without one, FIN|ACK is INVALID and a bare ACK NEW.
   */
  ct?: CtState;
}

export function criuFinPacket(input: FinPacketInput): Packet {
  const family = input.local.address.includes(':') ? 'ipv6' : 'ipv4';
  const src = parseAddress(input.peer.address, family);
  const dst = parseAddress(input.local.address, family);
  return {
    family,
    proto: 'tcp',
    ...(src !== undefined ? { src, srcText: input.peer.address } : {}),
    ...(dst !== undefined ? { dst, dstText: input.local.address } : {}),
    sport: input.peer.port,
    dport: input.local.port,
    flags: input.packet === 'ACK' ? ['ACK'] : ['FIN', 'ACK'],
    // The destination is an address of this host: the route goes out of the loopback.
    oif: 'lo',
    mark: knownBits(SOCCR_MARK),
    ctmark: unknownBits,
    ...(input.ct ? { ct: input.ct } : {}),
  };
}
