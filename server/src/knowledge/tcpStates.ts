/**
 * The kernel's TCP states (include/net/tcp_states.h numbering) and what libsoccr does with each
 * on restore. The restore facts come from soccr/soccr.c (libsoccr_restore):
 *
 *   RCVQ_FIRST_FIN  = CLOSE_WAIT | LAST_ACK | CLOSE  → send_fin(FIN|ACK)
 *   RCVQ_SECOND_FIN = CLOSING                        → send_fin(FIN|ACK) (after our own FIN is queued)
 *   SNDQ_FIN_ACKED  = FIN_WAIT2 | CLOSE              → send_fin(ACK), acknowledging our FIN
 *   SNDQ_FIRST_FIN  = FIN_WAIT1 | FIN_WAIT2 | CLOSING, SNDQ_SECOND_FIN = LAST_ACK | CLOSE
 *                                                    → shutdown(SHUT_WR) on the repaired socket (no packet)
 *
 * send_fin() forges the peer's packet with libnet on a raw socket carrying SO_MARK 0xC114
 * (SOCCR_MARK): source = peer address:port, destination = the restored socket's address:port.
 * CLOSE is in both FIN|ACK and ACK sets, so it sends two packets: FIN|ACK first, then ACK.
 */
export type TcpStateName =
  | 'TCP_ESTABLISHED'
  | 'TCP_SYN_SENT'
  | 'TCP_SYN_RECV'
  | 'TCP_FIN_WAIT1'
  | 'TCP_FIN_WAIT2'
  | 'TCP_TIME_WAIT'
  | 'TCP_CLOSE'
  | 'TCP_CLOSE_WAIT'
  | 'TCP_LAST_ACK'
  | 'TCP_LISTEN'
  | 'TCP_CLOSING'
  | 'TCP_NEW_SYN_RECV'
  | 'TCP_BOUND_INACTIVE';

export type RestorePacket = 'FIN|ACK' | 'ACK';

export interface TcpStateInfo {
  name: TcpStateName;
  number: number;
  /** How `ss` prints it (`ESTAB`, `CLOSE-WAIT`, `UNCONN` for CLOSE). */
  ssName: string;
  meaning: string;
  /**
   * What libsoccr sends on restore from a raw socket marked 0xC114 for a socket in this image
   * state: 'FIN|ACK', 'ACK', or null. For TCP_CLOSE this is the first of two packets (see `restorePackets`).
   */
  restorePacket: RestorePacket | null;
  /** Every forged packet, in the order libsoccr sends them (empty when none). */
  restorePackets: readonly RestorePacket[];
  restoreNote: string;
}

export const tcpStates: readonly TcpStateInfo[] = [
  {
    name: 'TCP_ESTABLISHED',
    number: 1,
    ssName: 'ESTAB',
    meaning: 'The connection is open in both directions.',
    restorePacket: null,
    restorePackets: [],
    restoreNote:
      'Repaired with TCP_REPAIR (sequence numbers, queues, options, window); no packet is forged, so no netfilter rule can fail the restore itself. Needs --tcp-established on dump and restore.',
  },
  {
    name: 'TCP_SYN_SENT',
    number: 2,
    ssName: 'SYN-SENT',
    meaning: 'connect() sent a SYN and waits for the SYN|ACK.',
    restorePacket: null,
    restorePackets: [],
    restoreNote:
      'libsoccr turns repair off around connect(), so the kernel itself sends a real SYN (not marked 0xC114) and retransmits it; nothing is forged and TCP_REPAIR_OPTIONS is skipped for this state.',
  },
  {
    name: 'TCP_SYN_RECV',
    number: 3,
    ssName: 'SYN-RECV',
    meaning: 'A SYN was received and answered; the handshake is not finished (a request socket of a listener).',
    restorePacket: null,
    restorePackets: [],
    restoreNote: 'Not dumped: such connections have no file descriptor yet, and libsoccr rejects the state ("Unknown state").',
  },
  {
    name: 'TCP_FIN_WAIT1',
    number: 4,
    ssName: 'FIN-WAIT-1',
    meaning: 'We closed our side (sent FIN); the peer has not acknowledged it yet.',
    restorePacket: null,
    restorePackets: [],
    restoreNote: 'Our FIN is re-queued with shutdown(SHUT_WR) on the repaired socket; nothing is forged.',
  },
  {
    name: 'TCP_FIN_WAIT2',
    number: 5,
    ssName: 'FIN-WAIT-2',
    meaning: 'We closed our side and the peer acknowledged it; the peer may still send data.',
    restorePacket: 'ACK',
    restorePackets: ['ACK'],
    restoreNote:
      "Our FIN is put back as already sent (shutdown with the send queue in repair), then libsoccr forges the peer's ACK of it from the 0xC114-marked raw socket. Without a conntrack entry a bare ACK is NEW to conntrack (mid-stream pickup), so nat OUTPUT sees it too.",
  },
  {
    name: 'TCP_TIME_WAIT',
    number: 6,
    ssName: 'TIME-WAIT',
    meaning: 'Both sides closed; the kernel keeps the connection briefly to absorb late packets.',
    restorePacket: null,
    restorePackets: [],
    restoreNote: 'Not dumped: TIME_WAIT connections belong to no file descriptor, and libsoccr rejects the state.',
  },
  {
    name: 'TCP_CLOSE',
    number: 7,
    ssName: 'UNCONN',
    meaning: 'No connection: a fresh or bound socket, or a connection that was fully closed or reset.',
    restorePacket: 'FIN|ACK',
    restorePackets: ['FIN|ACK', 'ACK'],
    restoreNote:
      "A CLOSE socket with a peer in the image is rebuilt as a fully closed connection: libsoccr forges the peer's FIN|ACK (0xC114 mark), queues our own FIN with shutdown(), then forges the peer's ACK of it, so two marked packets are sent and either can fail with EPERM. --tcp-close does not skip this: restore_one_tcp() only skips states other than LISTEN and CLOSE. A CLOSE socket without a peer is just re-created (and bound if it was).",
  },
  {
    name: 'TCP_CLOSE_WAIT',
    number: 8,
    ssName: 'CLOSE-WAIT',
    meaning: 'The peer closed its side (we received its FIN); we have not closed ours.',
    restorePacket: 'FIN|ACK',
    restorePackets: ['FIN|ACK'],
    restoreNote:
      "The peer's FIN has to be put back into the receive queue, so libsoccr forges it: a FIN|ACK from the peer's address:port to ours, sent from a raw socket marked 0xC114. Without a conntrack entry it is INVALID to conntrack, so nat is skipped; a drop on the local-out path makes sendto() fail with EPERM.",
  },
  {
    name: 'TCP_LAST_ACK',
    number: 9,
    ssName: 'LAST-ACK',
    meaning: "The peer closed first, then we closed; we wait for the ACK of our FIN.",
    restorePacket: 'FIN|ACK',
    restorePackets: ['FIN|ACK'],
    restoreNote: "libsoccr forges the peer's FIN|ACK (0xC114 mark), then queues our own FIN with shutdown(); it stays unacknowledged.",
  },
  {
    name: 'TCP_LISTEN',
    number: 10,
    ssName: 'LISTEN',
    meaning: 'A listening socket waiting for connections.',
    restorePacket: null,
    restorePackets: [],
    restoreNote: 'Not repaired: CRIU restores listeners with plain bind() and listen() (libsoccr refuses them), so a port held by another listener fails with EADDRINUSE.',
  },
  {
    name: 'TCP_CLOSING',
    number: 11,
    ssName: 'CLOSING',
    meaning: 'Both sides sent FIN at the same time; neither FIN is acknowledged yet.',
    restorePacket: 'FIN|ACK',
    restorePackets: ['FIN|ACK'],
    restoreNote: "Our FIN is queued first with shutdown(), then libsoccr forges the peer's FIN|ACK (0xC114 mark).",
  },
  {
    name: 'TCP_NEW_SYN_RECV',
    number: 12,
    // inet_diag and /proc/net/tcp report request sockets as SYN_RECV, so ss never prints this one.
    ssName: 'SYN-RECV',
    meaning: 'A lightweight request socket for a half-open connection on a listener (kernel-internal; reported as SYN_RECV).',
    restorePacket: null,
    restorePackets: [],
    restoreNote: 'Never dumped: it is not a full socket and has no file descriptor.',
  },
  {
    name: 'TCP_BOUND_INACTIVE',
    number: 13,
    ssName: 'BOUND-INACTIVE',
    meaning:
      'A query-only pseudo-state (Linux 6.8+, `ss -B`) selecting bound sockets that neither listen nor connect; the kernel reports such sockets as CLOSE.',
    restorePacket: null,
    restorePackets: [],
    restoreNote: 'Such a socket is a CLOSE socket without a peer: re-created and bound again on restore; nothing is forged.',
  },
];

const aliases: Record<string, string> = {
  ESTAB: 'ESTABLISHED',
  UNCONN: 'CLOSE',
  CLOSED: 'CLOSE',
  FIN_WAIT_1: 'FIN_WAIT1',
  FIN_WAIT_2: 'FIN_WAIT2',
  SYN_RECEIVED: 'SYN_RECV',
};

/** `TCP_CLOSE_WAIT`, `CLOSE_WAIT`, `CLOSE-WAIT` (ss), `close-wait`, `ESTAB`, `UNCONN`, `FIN-WAIT-1` … */
export function tcpStateByName(name: string): TcpStateInfo | undefined {
  let key = name.trim().toUpperCase().replace(/-/g, '_');
  if (key.startsWith('TCP_')) key = key.slice(4);
  key = aliases[key] ?? key;
  return tcpStates.find((s) => s.name === `TCP_${key}`);
}

/** Old CRIU logs print the number (`state 8` = CLOSE_WAIT). */
export function tcpStateByNumber(n: number): TcpStateInfo | undefined {
  return tcpStates.find((s) => s.number === n);
}
