/**
 * Three-valued matching of one rule's conditions against a packet whose fields may be unknown.
 * A condition on an unknown field, or of a module whose semantics we do not model, is "unknown":
 * never a guess in either direction.
 */
import type { ArgValue } from '../../knowledge/xtables/types';
import { protocolNumber } from '../../knowledge/xtables/args';
import type { IptablesBackend, MatchUse, OptionUse, Rule } from '../iptables/model';
import type { Bits, Packet } from './packet';
import { and, fromBool, negate, not, type Tri } from './tri';

/** `(bits & mask) == value` on partially known bits. */
export function bitsMatch(bits: Bits, value: number, mask: number): Tri {
  const relevant = mask >>> 0;
  const knownPart = (bits.known & relevant) >>> 0;
  if (((bits.value & knownPart) >>> 0) !== ((value & knownPart) >>> 0)) return 'no';
  return knownPart === relevant ? 'yes' : 'unknown';
}

function inNet(address: bigint | undefined, v: ArgValue | undefined): Tri {
  if (address === undefined || v?.type !== 'net') return 'unknown';
  return fromBool((address & v.mask) === (v.address & v.mask));
}

function inRange(n: number | undefined, v: ArgValue | undefined): Tri {
  if (n === undefined || !v) return 'unknown';
  if (v.type === 'range') return fromBool(n >= v.from && n <= v.to);
  if (v.type === 'number') return fromBool(n === v.value);
  if (v.type === 'list') {
    let result: Tri = 'no';
    for (const item of v.items) {
      const r = inRange(n, item);
      if (r === 'yes') return 'yes';
      if (r === 'unknown') result = 'unknown';
    }
    return result;
  }
  return 'unknown';
}

function iface(name: string | undefined, v: ArgValue | undefined): Tri {
  if (name === undefined || v?.type !== 'iface') return 'unknown';
  return fromBool(v.wildcard ? name.startsWith(v.name) : name === v.name);
}

function names(v: ArgValue | undefined): string[] {
  if (!v) return [];
  if (v.type === 'list') return v.items.flatMap(names);
  if (v.type === 'name' || v.type === 'string') return [v.value.toUpperCase()];
  return [];
}

function protocolIs(packet: Packet, v: ArgValue | undefined): Tri {
  if (v?.type !== 'number') return 'unknown';
  if (v.value === 0) return 'yes'; // -p all
  if (packet.proto === undefined) return 'unknown';
  const n = protocolNumber(packet.proto);
  return n === undefined ? 'unknown' : fromBool(n === v.value);
}

/**
 * xt_conntrack's state bits: the packet's state, plus DNAT / SNAT when its entry was NATed (only
 * entries have them: INVALID and UNTRACKED packets never match DNAT/SNAT). Found by the
 * kernel-oracle differential test: `! --ctstate DNAT` does not match a NEW packet after DNAT.
 */
function ctStateIs(packet: Packet, listed: string[]): Tri {
  const state = packet.ct;
  if (state === undefined) return 'unknown';
  if (listed.includes(state)) return 'yes';
  if (state === 'INVALID' || state === 'UNTRACKED') return 'no';
  const nat = [listed.includes('DNAT') ? packet.nat?.dnat : false, listed.includes('SNAT') ? packet.nat?.snat : false];
  return nat.includes(true) ? 'yes' : nat.includes(undefined) ? 'unknown' : 'no';
}

function tcpFlags(packet: Packet, mask: string[], comp: string[]): Tri {
  if (!packet.flags || packet.proto !== 'tcp') return 'unknown';
  return fromBool(mask.every((f) => packet.flags!.includes(f as never) === comp.includes(f)));
}

/** One option of a match module (or a built-in option when `module` is undefined). */
function option(packet: Packet, module: string | undefined, o: OptionUse): Tri {
  const v = o.values[0];
  let r: Tri;
  switch (module === undefined ? o.name : `${module}.${o.name}`) {
    case 'source':
      r = inNet(packet.src, v);
      break;
    case 'destination':
      r = inNet(packet.dst, v);
      break;
    case 'protocol':
      r = protocolIs(packet, v);
      break;
    case 'in-interface':
      r = iface(packet.iif, v);
      break;
    case 'out-interface':
      r = iface(packet.oif, v);
      break;
    case 'fragment':
      // Forged and ordinary TCP segments are never later fragments.
      r = packet.proto === 'tcp' ? 'no' : 'unknown';
      break;
    case 'mark.mark':
      r = v?.type === 'mark' ? bitsMatch(packet.mark, v.value, v.mask) : 'unknown';
      break;
    case 'connmark.mark': {
      // xt_connmark: without a conntrack entry (INVALID, UNTRACKED, and every packet in the raw
      // table, which runs before conntrack) the match fails, `!` or not. Checked in a namespace
      // on both backends: raw `-m connmark ! --mark 0x1 -j DROP` lets a SYN through.
      if (packet.ct === 'INVALID' || packet.ct === 'UNTRACKED') return 'no';
      r = negate(v?.type === 'mark' ? bitsMatch(packet.ctmark, v.value, v.mask) : 'unknown', o.negated);
      // With the state unknown, there may be no entry, and then it would not match.
      return packet.ct === undefined && r === 'yes' ? 'unknown' : r;
    }
    case 'conntrack.ctstate':
    case 'state.state':
      r = ctStateIs(packet, names(v));
      break;
    case 'conntrack.ctproto':
      r = protocolIs(packet, v);
      break;
    // A port range and a multiport list test the same field: inRange reads both shapes.
    case 'tcp.sport':
    case 'udp.sport':
    case 'sctp.sport':
    case 'dccp.sport':
    case 'multiport.sports':
      r = inRange(packet.sport, v);
      break;
    case 'tcp.dport':
    case 'udp.dport':
    case 'sctp.dport':
    case 'dccp.dport':
    case 'multiport.dports':
      r = inRange(packet.dport, v);
      break;
    case 'multiport.ports':
      r = orTri(inRange(packet.sport, v), inRange(packet.dport, v));
      break;
    case 'tcp.tcp-flags':
      r = tcpFlags(packet, names(o.values[0]), names(o.values[1]));
      break;
    case 'tcp.syn':
      r = tcpFlags(packet, ['SYN', 'RST', 'ACK', 'FIN'], ['SYN']);
      break;
    case 'comment.comment':
      r = 'yes';
      break;
    case 'iprange.src-range':
      r = packet.src === undefined || v?.type !== 'iprange' ? 'unknown' : fromBool(packet.src >= v.from && packet.src <= v.to);
      break;
    case 'iprange.dst-range':
      r = packet.dst === undefined || v?.type !== 'iprange' ? 'unknown' : fromBool(packet.dst >= v.from && packet.dst <= v.to);
      break;
    default:
      return 'unknown';
  }
  return negate(r, o.negated);
}

function orTri(a: Tri, b: Tri): Tri {
  return a === 'yes' || b === 'yes' ? 'yes' : a === 'no' && b === 'no' ? 'no' : 'unknown';
}

/** What the evaluator knows of the ruleset beyond its rules. */
export interface MatchContext {
  /** Which iptables loaded the rules (they read a few rules differently); undefined: unknown. */
  backend?: IptablesBackend;
}

function singlePort(o: OptionUse | undefined): number | undefined {
  const v = o?.values[0];
  return v?.type === 'number' ? v.value : v?.type === 'range' && v.from === v.to ? v.from : undefined;
}

/**
 * `-m tcp|udp ! --sport P ! --dport Q` (single ports, either order): iptables-legacy matches
 * when sport ≠ P and dport ≠ Q, as documented; iptables-nft (1.8.9, checked against the kernel
 * in a namespace, tcp and udp) loads both ports as one 32-bit word and matches unless sport = P
 * and dport = Q. Undefined when the module has no such pair.
 */
function negatedPortPair(packet: Packet, m: MatchUse, backend: IptablesBackend | undefined): { r: Tri; note?: string } | undefined {
  if (m.module !== 'tcp' && m.module !== 'udp') return undefined;
  const sport = m.options.find((o) => o.name === 'sport');
  const dport = m.options.find((o) => o.name === 'dport');
  const p = singlePort(sport);
  const q = singlePort(dport);
  if (!sport?.negated || !dport?.negated || p === undefined || q === undefined) return undefined;
  const sportIs = packet.sport === undefined ? 'unknown' : fromBool(packet.sport === p);
  const dportIs = packet.dport === undefined ? 'unknown' : fromBool(packet.dport === q);
  const legacy = and(not(sportIs), not(dportIs));
  const nft = not(and(sportIs, dportIs));
  if (backend === 'legacy') return { r: legacy };
  if (backend === 'nft') return { r: nft };
  if (legacy === nft) return { r: legacy };
  return { r: 'unknown', note: `the backend is unknown: iptables-nft matches unless sport ${p} and dport ${q} both hold, iptables-legacy only when neither does` };
}

const PROTOCOL_MODULES = ['tcp', 'udp', 'sctp', 'dccp'];

/**
 * The protocol matches (tcp, udp…) match only packets of their protocol: with `-p tcp` known
 * to hold, that is implied; the module checks the protocol itself too.
 */
function moduleMatch(packet: Packet, m: MatchUse, context: MatchContext): { r: Tri; note?: string } {
  let r: Tri = 'yes';
  if (PROTOCOL_MODULES.includes(m.module) && packet.proto !== undefined && packet.proto !== m.module) return { r: 'no' };
  const pair = negatedPortPair(packet, m, context.backend);
  for (const o of m.options) {
    if (pair && (o.name === 'sport' || o.name === 'dport')) continue;
    r = and(r, option(packet, m.module, o));
    if (r === 'no') return { r };
  }
  if (pair) {
    r = and(r, pair.r);
    if (r === 'no') return { r };
    if (pair.r === 'unknown' && pair.note) return { r, note: pair.note };
  }
  if (m.options.length === 0) {
    // A bare protocol match (`-p tcp -m tcp`, kube-proxy's DNAT rules) tests only the protocol,
    // decided above when it is known; other modules' defaults are not modelled.
    if (PROTOCOL_MODULES.includes(m.module)) return { r: packet.proto === undefined ? 'unknown' : 'yes' };
    if (m.module !== 'comment') return { r: 'unknown' };
  }
  return { r };
}

/** Does the rule match? The conditions are ANDed, as the kernel evaluates them. */
export function ruleMatches(packet: Packet, rule: Rule, context: MatchContext = {}): { result: Tri; unknown: string[] } {
  let result: Tri = 'yes';
  const unknown: string[] = [];
  for (const o of rule.basic) {
    const r = option(packet, undefined, o);
    if (r === 'unknown') unknown.push(`${o.negated ? '! ' : ''}${o.written} ${o.args.map((a) => a.text).join(' ')}`.trim());
    result = and(result, r);
    if (result === 'no') return { result, unknown: [] };
  }
  for (const m of rule.matches) {
    const { r, note } = moduleMatch(packet, m, context);
    if (r === 'unknown') unknown.push(`-m ${m.module}${m.options.length ? ' ' + m.options.map((o) => `${o.negated ? '! ' : ''}${o.written} ${o.args.map((a) => a.text).join(' ')}`.trim()).join(' ') : ''}${note ? ` (${note})` : ''}`);
    result = and(result, r);
    if (result === 'no') return { result, unknown: [] };
  }
  return { result, unknown };
}
