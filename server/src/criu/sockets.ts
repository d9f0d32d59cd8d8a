/**
 * Inet sockets as a CRIU log shows them (DESIGN.md §3): dump `Collected:`/`Dumping:`/`Dumped:`
 * lines (state at collection time), restore `Restore:` + `Restoring TCP connection id N ino X`
 * (state in the image), and the network lock's `Locked A:P - B:Q connection` /
 * `Running iptables|nftables [...]` lines, which alone carry the peer's address.
 */
import { tcpStateByName, type RestorePacket } from '../knowledge/tcpStates';
import type { LogLine } from './logLine';
import { anyOf } from './prefilter';

export interface Endpoint {
  address: string;
  port: number;
}

/** One socket line, where it was read. */
export interface SocketSighting {
  line: number;
  kind: 'collected' | 'dumping' | 'dumped' | 'restore' | 'restoring';
}

export interface InetSocket {
  ino?: number;
  id?: number;
  family?: string;
  type?: string;
  proto?: string;
  /** Local port and address. */
  local?: Endpoint;
  /** The peer, from the network lock lines (CRIU prints no peer for a restored socket). */
  peer?: Endpoint;
  /** TCP state when the dump collected the socket. */
  collectedState?: string;
  /** TCP state saved in the image, as the restore log prints it. */
  imageState?: string;
  pid?: number;
  sightings: SocketSighting[];
}

export interface LockCommand {
  line: number;
  tool: 'iptables' | 'ip6tables' | 'nftables';
  command: string;
  /** Column span of the bracketed command. */
  start: number;
  end: number;
}

export interface LockedConnection {
  line: number;
  local: Endpoint;
  peer: Endpoint;
  unlocked: boolean;
}

export interface NetworkLock {
  /** How CRIU locked the network: by its lock rules, or not at all. */
  method: 'iptables' | 'nftables' | 'none-seen';
  commands: LockCommand[];
  connections: LockedConnection[];
}

/** Kernel numbers that CRIU 2.x/3.x printed instead of names. */
const familyNames: Record<string, string> = { '2': 'AF_INET', '10': 'AF_INET6' };
const typeNames: Record<string, string> = { '1': 'SOCK_STREAM', '2': 'SOCK_DGRAM', '3': 'SOCK_RAW' };
const protoNames: Record<string, string> = { '6': 'IPPROTO_TCP', '17': 'IPPROTO_UDP', '0': 'IPPROTO_IP' };
const stateNames: Record<string, string> = {
  '1': 'TCP_ESTABLISHED', '2': 'TCP_SYN_SENT', '3': 'TCP_SYN_RECV', '4': 'TCP_FIN_WAIT1', '5': 'TCP_FIN_WAIT2',
  '6': 'TCP_TIME_WAIT', '7': 'TCP_CLOSE', '8': 'TCP_CLOSE_WAIT', '9': 'TCP_LAST_ACK', '10': 'TCP_LISTEN', '11': 'TCP_CLOSING',
};

/** `key value` pairs of a socket line: `ino  0x3f85f family AF_INET    type SOCK_STREAM ...`. */
function fields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\b(ino|family|type|proto|port|state|src_addr)\s+(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.set(m[1], m[2]);
  return out;
}

function endpoint(text: string): Endpoint | undefined {
  const m = /^\[?([0-9a-fA-F:.]+?)\]?:(\d+)$/.exec(text);
  return m ? { address: m[1], port: Number(m[2]) } : undefined;
}

const sameEndpoint = (a: Endpoint | undefined, b: Endpoint | undefined) => a !== undefined && b !== undefined && a.port === b.port && a.address === b.address;

export interface SocketAnalysis {
  sockets: InetSocket[];
  lock: NetworkLock;
}

const sightingLine = /^\s*(Collected|Dumping|Dumped|Restore):\s/;
const restoringLine = /^Restoring TCP connection id (\d+|0x[0-9a-f]+) ino ([0-9a-f]+)/i;
const runningLine = /^\s*Running (iptables|ip6tables|nftables) \[(.*)\]\s*$/;
const lockedLine = /^(Locked|Unlocked) (\S+) - (\S+) connection/;
/** Most lines are none of the above. */
const anySocketLine = anyOf([sightingLine, restoringLine, runningLine, lockedLine]);

/** Reads a log's lines one at a time, in file order, keeping only its sockets and network lock. */
export class SocketReader {
  private readonly sockets: InetSocket[] = [];
  private readonly lock: NetworkLock = { method: 'none-seen', commands: [], connections: [] };
  private readonly byIno = new Map<number, InetSocket>();
  /** The socket a `Dumped:` or `Restoring TCP connection` line continues, per task. */
  private readonly pendingByTask = new Map<number | undefined, InetSocket>();

  /** Reads line `index`; true when a socket or the lock refers to it. */
  push(line: LogLine, index: number): boolean {
    const text = line.messageText;
    if (!anySocketLine.test(text)) return false;
    const { byIno, pendingByTask, lock } = this;
    const task = line.task;

    const sighting = sightingLine.exec(text);
    if (sighting && (line.subsystem?.name === 'inet' || /family\s+\S+\s+type/.test(text))) {
      const f = fields(text);
      const kind = sighting[1].toLowerCase() as SocketSighting['kind'];
      const family = f.get('family');
      if (!family) return false;
      const state = f.get('state');
      const stateName = state && (stateNames[state] ?? (state.startsWith('TCP_') ? state : undefined));
      const ino = f.has('ino') ? parseInt(f.get('ino')!, 16) : undefined;
      let socket = ino !== undefined ? byIno.get(ino) : kind === 'dumped' ? pendingByTask.get(task) : undefined;
      if (!socket) {
        socket = { sightings: [] };
        if (ino !== undefined) socket.ino = ino;
        this.sockets.push(socket);
        if (ino !== undefined) byIno.set(ino, socket);
      }
      socket.sightings.push({ line: index, kind });
      socket.family = familyNames[family] ?? family;
      if (f.has('type')) socket.type = typeNames[f.get('type')!] ?? f.get('type');
      if (f.has('proto')) socket.proto = protoNames[f.get('proto')!] ?? f.get('proto');
      const port = f.get('port');
      const address = f.get('src_addr');
      if (port && address) socket.local = { address, port: Number(port) };
      if (task !== undefined) socket.pid = task;
      // `Dumped: ... state 0` prints before the state is filled in: it says nothing.
      if (kind === 'collected' && stateName) socket.collectedState = stateName;
      if (kind === 'dumping' && stateName && !socket.collectedState) socket.collectedState = stateName;
      if (kind === 'restore' && stateName) socket.imageState = stateName;
      if (kind === 'dumping' || kind === 'restore') pendingByTask.set(task, socket);
      return true;
    }

    const restoring = restoringLine.exec(text);
    if (restoring) {
      const socket = pendingByTask.get(task);
      if (!socket) return false;
      socket.id = Number(restoring[1]);
      const ino = parseInt(restoring[2], 16);
      socket.ino = ino;
      byIno.set(ino, socket);
      socket.sightings.push({ line: index, kind: 'restoring' });
      return true;
    }

    const running = runningLine.exec(text);
    if (running) {
      const open = line.shape.messageStart + text.indexOf('[') + 1;
      lock.commands.push({ line: index, tool: running[1] as LockCommand['tool'], command: running[2], start: open, end: open + running[2].length });
      lock.method = running[1] === 'nftables' ? 'nftables' : 'iptables';
      // nftables: `add element inet CRIU-… conns4 { A . P . B . Q }` — the 4-tuple of one direction.
      const element = /\{\s*([0-9a-fA-F:.]+) \. (\d+) \. ([0-9a-fA-F:.]+) \. (\d+)\s*\}/.exec(running[2]);
      if (element) lock.connections.push({ line: index, local: { address: element[1], port: Number(element[2]) }, peer: { address: element[3], port: Number(element[4]) }, unlocked: false });
      return true;
    }

    const locked = lockedLine.exec(text);
    if (locked) {
      const a = endpoint(locked[2]);
      const b = endpoint(locked[3]);
      if (!a || !b) return false;
      lock.connections.push({ line: index, local: a, peer: b, unlocked: locked[1] === 'Unlocked' });
      return true;
    }
    return false;
  }

  /** The sockets read, with peers filled in from the lock lines. */
  finish(): SocketAnalysis {
    const { sockets, lock } = this;
    // Peers: CRIU prints each locked connection in both directions; the one whose first endpoint
    // is the socket's local address gives the peer.
    // Maps of the first connection by each end: a big log has thousands of both.
    const key = (e: Endpoint) => `${e.address}\0${e.port}`;
    const byLocal = new Map<string, LockedConnection>();
    const byPeer = new Map<string, LockedConnection>();
    for (const c of lock.connections) {
      if (!byLocal.has(key(c.local))) byLocal.set(key(c.local), c);
      if (!byPeer.has(key(c.peer))) byPeer.set(key(c.peer), c);
    }
    for (const socket of sockets) {
      if (socket.peer || !socket.local) continue;
      const local = key(socket.local);
      const conn = byLocal.get(local) ?? byPeer.get(local);
      if (conn) socket.peer = sameEndpoint(conn.local, socket.local) ? conn.peer : conn.local;
    }
    return { sockets, lock };
  }
}

/** What libsoccr re-sends from its 0xC114-marked raw socket when restoring this image state. */
export function restorePacket(imageState: string | undefined): RestorePacket | undefined {
  return (imageState && tcpStateByName(imageState)?.restorePacket) || undefined;
}

/** Fills peers and collection states from the dump log of the same checkpoint, matched by inode. */
export function pairWithDump(restore: readonly InetSocket[], dump: readonly InetSocket[]): { restored: InetSocket; dumped: InetSocket }[] {
  const byIno = new Map(dump.filter((s) => s.ino !== undefined).map((s) => [s.ino!, s]));
  const pairs: { restored: InetSocket; dumped: InetSocket }[] = [];
  for (const restored of restore) {
    const dumped = restored.ino !== undefined ? byIno.get(restored.ino) : undefined;
    if (dumped) pairs.push({ restored, dumped });
  }
  return pairs;
}
