/**
 * Three-valued evaluation of nftables expressions against a packet whose fields may be unknown:
 * the selectors the CRIU case and common firewalls use (meta mark with masks, ct state/mark,
 * ip/ip6 addresses and prefixes, tcp/udp/th ports, tcp flags, interfaces, l4proto/nfproto),
 * anonymous and named sets, concatenations. Anything else is `unknown` with the reason — never
 * a guess in either direction.
 */
import { parseAddress, prefixToMask, protocolNumber, serviceToPort } from '../../knowledge/xtables/args';
import type { Expr, NamedSet, Statement, Table } from '../nftables/model';
import type { Bits, Packet, Path } from './packet';
import { and, not, type Tri } from './tri';

/** A packet field's value: its bits, known where `known` has a 1 (ints), or a name (interfaces). */
export type Val = { type: 'int'; value: bigint; known: bigint; width: number } | { type: 'name'; value: string } | { type: 'unknown'; why: string } | { type: 'absent'; why: string };

export interface NftContext {
  packet: Packet;
  table: Table;
  path: Path;
}

const full = (width: number) => (1n << BigInt(width)) - 1n;
const int = (value: bigint | number, width: number): Val => ({ type: 'int', value: BigInt(value), known: full(width), width });
const unknown = (why: string): Val => ({ type: 'unknown', why });
export const bitsVal = (b: Bits): Val => ({ type: 'int', value: BigInt((b.value & b.known) >>> 0), known: BigInt(b.known >>> 0), width: 32 });
export const valBits = (v: Val): Bits => (v.type === 'int' ? { value: Number(v.value & v.known & 0xffffffffn) >>> 0, known: Number(v.known & 0xffffffffn) >>> 0 } : { value: 0, known: 0 });

/** nf_conntrack's state bits as nft's `ct state` reads them. */
const ctBits: Record<string, number> = { invalid: 1, established: 2, related: 4, new: 8, untracked: 64 };
/** IPS_* bits of include/uapi/linux/netfilter/nf_conntrack_common.h as `ct status` names them. */
const ctStatusBits: Record<string, number> = { expected: 1, 'seen-reply': 2, assured: 4, confirmed: 8, snat: 16, dnat: 32, dying: 512 };
const tcpFlagBits: Record<string, number> = { fin: 1, syn: 2, rst: 4, psh: 8, ack: 0x10, urg: 0x20, ecn: 0x40, cwr: 0x80 };
const l4protos = new Set(['tcp', 'udp', 'udplite', 'sctp', 'dccp']);

type Kind = 'mark' | 'ctmark' | 'ctstate' | 'ctstatus' | 'addr4' | 'addr6' | 'port' | 'tcpflags' | 'proto' | 'nfproto' | 'ethertype' | 'ifname';

/** What a selector reads, and the implicit conditions nft adds before it (`tcp dport` needs l4proto tcp). */
interface Field {
  kind: Kind;
  read: (ctx: NftContext) => Val;
  /** Tri of the dependency nft adds (a mismatch makes the whole match fail, also under `!=`). */
  needs?: (ctx: NftContext) => Tri;
}

function family(ctx: NftContext, want: 'ipv4' | 'ipv6'): Tri {
  if (ctx.table.family === 'ip') return want === 'ipv4' ? 'yes' : 'no';
  if (ctx.table.family === 'ip6') return want === 'ipv6' ? 'yes' : 'no';
  if (ctx.packet.family === undefined) return 'unknown';
  return ctx.packet.family === want ? 'yes' : 'no';
}

function protoIs(ctx: NftContext, names: string[]): Tri {
  if (ctx.packet.proto === undefined) return 'unknown';
  return names.includes(ctx.packet.proto) ? 'yes' : 'no';
}

const address = (which: 'src' | 'dst', width: number) => (ctx: NftContext): Val => {
  const a = ctx.packet[which];
  return a === undefined ? unknown(`the packet's ${which === 'src' ? 'source' : 'destination'} address`) : int(a, width);
};
const port = (which: 'sport' | 'dport') => (ctx: NftContext): Val => {
  const p = ctx.packet[which];
  return p === undefined ? unknown(`the packet's ${which === 'sport' ? 'source' : 'destination'} port`) : int(p, 16);
};

function ifname(ctx: NftContext, dir: 'iif' | 'oif'): Val {
  // On local-out there is no input device, on input no output device: nft reads "" (index 0).
  if (dir === 'iif' && ctx.path === 'local-out') return { type: 'name', value: '' };
  if (dir === 'oif' && ctx.path === 'input') return { type: 'name', value: '' };
  const v = ctx.packet[dir];
  return v === undefined ? unknown(`the ${dir === 'iif' ? 'input' : 'output'} interface`) : { type: 'name', value: v };
}

function selectorField(e: Extract<Expr, { kind: 'selector' }>): Field | undefined {
  const p = e.protocol;
  const f = e.field;
  const meta = p === 'meta' || p === '';
  if ((meta && f === 'mark') || (p === 'mark' && !f)) return { kind: 'mark', read: (c) => bitsVal(c.packet.mark) };
  if (p === 'ct' && f === 'mark') return { kind: 'ctmark', read: ctmarkVal };
  if (p === 'ct' && f === 'state') return { kind: 'ctstate', read: ctStateVal };
  if (p === 'ct' && f === 'status') return { kind: 'ctstatus', read: ctStatusVal };
  if (p === 'ip' && (f === 'saddr' || f === 'daddr')) return { kind: 'addr4', read: address(f === 'saddr' ? 'src' : 'dst', 32), needs: (c) => family(c, 'ipv4') };
  if (p === 'ip6' && (f === 'saddr' || f === 'daddr')) return { kind: 'addr6', read: address(f === 'saddr' ? 'src' : 'dst', 128), needs: (c) => family(c, 'ipv6') };
  if (p === 'ip' && f === 'protocol') return { kind: 'proto', read: protoVal, needs: (c) => family(c, 'ipv4') };
  if (p === 'ip6' && f === 'nexthdr') return { kind: 'proto', read: protoVal, needs: (c) => family(c, 'ipv6') };
  if ((p === 'tcp' || p === 'udp' || p === 'th') && (f === 'sport' || f === 'dport')) {
    const names = p === 'th' ? [...l4protos] : [p];
    return { kind: 'port', read: port(f), needs: (c) => protoIs(c, names) };
  }
  if (p === 'tcp' && f === 'flags') return { kind: 'tcpflags', read: tcpFlagsVal, needs: (c) => protoIs(c, ['tcp']) };
  if (meta && f === 'l4proto') return { kind: 'proto', read: protoVal };
  if (meta && f === 'nfproto') return { kind: 'nfproto', read: (c) => (c.table.family === 'ip' ? int(2, 8) : c.table.family === 'ip6' ? int(10, 8) : c.packet.family ? int(c.packet.family === 'ipv4' ? 2 : 10, 8) : unknown('the packet family')) };
  if (meta && f === 'protocol') return { kind: 'ethertype', read: (c) => (c.table.family === 'ip' ? int(0x800, 16) : c.table.family === 'ip6' ? int(0x86dd, 16) : c.packet.family ? int(c.packet.family === 'ipv4' ? 0x800 : 0x86dd, 16) : unknown('the packet family')) };
  if (meta && (f === 'iifname' || f === 'iif')) return { kind: 'ifname', read: (c) => ifname(c, 'iif') };
  if (meta && (f === 'oifname' || f === 'oif')) return { kind: 'ifname', read: (c) => ifname(c, 'oif') };
  return undefined;
}

function ctmarkVal(ctx: NftContext): Val {
  // Without a conntrack entry nft's ct expression breaks: the rule does not match.
  if (ctx.packet.ct === 'INVALID' || ctx.packet.ct === 'UNTRACKED') return { type: 'absent', why: 'no conntrack entry' };
  return bitsVal(ctx.packet.ctmark);
}

function ctStateVal(ctx: NftContext): Val {
  const s = ctx.packet.ct;
  if (s === undefined) return unknown('the conntrack state');
  return int(ctBits[s.toLowerCase()], 32);
}

/** `ct status`: of its bits only snat/dnat are known (from the packet's NAT), the others are not modelled. */
function ctStatusVal(ctx: NftContext): Val {
  const p = ctx.packet;
  if (p.ct === 'INVALID' || p.ct === 'UNTRACKED') return { type: 'absent', why: 'no conntrack entry' };
  const dnat = p.nat?.dnat;
  const snat = p.nat?.snat;
  return { type: 'int', value: BigInt((dnat ? ctStatusBits.dnat : 0) | (snat ? ctStatusBits.snat : 0)), known: BigInt((dnat !== undefined ? ctStatusBits.dnat : 0) | (snat !== undefined ? ctStatusBits.snat : 0)), width: 32 };
}

function protoVal(ctx: NftContext): Val {
  if (ctx.packet.proto === undefined) return unknown('the protocol');
  const n = protocolNumber(ctx.packet.proto);
  return n === undefined ? unknown(`protocol ${ctx.packet.proto}`) : int(n, 8);
}

function tcpFlagsVal(ctx: NftContext): Val {
  if (!ctx.packet.flags) return unknown('the TCP flags');
  return int(ctx.packet.flags.reduce((n, f) => n | tcpFlagBits[f.toLowerCase()], 0), 8);
}

/** A constant of the kind the left side reads, as a value and (for prefixes) a mask. */
function constant(e: Expr, kind: Kind, ctx: NftContext): { value: bigint; mask?: bigint; name?: string } | { list: bigint } | undefined {
  if (e.kind === 'value') {
    const t = e.text.replace(/^"|"$/g, '');
    switch (kind) {
      case 'addr4':
      case 'addr6': {
        const a = parseAddress(t, kind === 'addr4' ? 'ipv4' : 'ipv6');
        return a === undefined ? undefined : { value: a };
      }
      case 'ctstate':
        return ctBits[t] !== undefined ? { list: BigInt(ctBits[t]) } : e.number !== undefined ? { value: BigInt(e.number) } : undefined;
      case 'ctstatus':
        return ctStatusBits[t] !== undefined ? { list: BigInt(ctStatusBits[t]) } : e.number !== undefined ? { value: BigInt(e.number) } : undefined;
      case 'tcpflags':
        return tcpFlagBits[t] !== undefined ? { list: BigInt(tcpFlagBits[t]) } : e.number !== undefined ? { value: BigInt(e.number) } : undefined;
      case 'port': {
        const n = e.number ?? serviceToPort(t);
        return n === undefined ? undefined : { value: BigInt(n) };
      }
      case 'proto': {
        const n = e.number ?? protocolNumber(t);
        return n === undefined ? undefined : { value: BigInt(n) };
      }
      case 'nfproto':
        return t === 'ipv4' ? { value: 2n } : t === 'ipv6' ? { value: 10n } : e.number !== undefined ? { value: BigInt(e.number) } : undefined;
      case 'ethertype':
        return t === 'ip' ? { value: 0x800n } : t === 'ip6' ? { value: 0x86ddn } : e.number !== undefined ? { value: BigInt(e.number) } : undefined;
      case 'ifname':
        return { value: 0n, name: t };
      default:
        return e.number !== undefined ? { value: BigInt(e.number >>> 0) } : undefined;
    }
  }
  if (e.kind === 'binop' && e.op === '|' && !e.mask) {
    // `fin|ack`: the bits of both.
    const a = constant(e.left, kind, ctx);
    const b = constant(e.right, kind, ctx);
    if (!a || !b) return undefined;
    return { list: ('list' in a ? a.list : a.value) | ('list' in b ? b.list : b.value) };
  }
  if (e.kind === 'list' && (kind === 'ctstate' || kind === 'ctstatus' || kind === 'tcpflags')) {
    let bits = 0n;
    for (const item of e.items) {
      const c = constant(item, kind, ctx);
      if (!c) return undefined;
      bits |= 'list' in c ? c.list : c.value;
    }
    return { list: bits };
  }
  return undefined;
}

/** `value` compared with `v` where `v`'s bits are partly known. */
function equalBits(v: Extract<Val, { type: 'int' }>, value: bigint, mask?: bigint): Tri {
  const relevant = mask ?? full(v.width);
  const knownPart = v.known & relevant;
  if ((v.value & knownPart) !== (value & knownPart)) return 'no';
  return knownPart === relevant ? 'yes' : 'unknown';
}

/** The left side's value: a selector, or a selector with `& | ^` a constant. */
function leftValue(e: Expr, ctx: NftContext): { val: Val; field?: Field; why?: string } {
  if (e.kind === 'selector') {
    const field = selectorField(e);
    if (!field) return { val: unknown(`\`${e.text}\` is not modelled`), why: `\`${e.text}\` is not modelled` };
    return { val: field.read(ctx), field };
  }
  if (e.kind === 'binop' && !e.mask && (e.op === '&' || e.op === '|' || e.op === '^')) {
    const inner = leftValue(e.left, ctx);
    const v = inner.val;
    if (inner.why || !inner.field) return inner;
    // The constant in the field's own terms (`tcp flags & (syn|fin)`), or a plain number.
    const k = constant(e.right, inner.field.kind, ctx);
    const n = k ? ('list' in k ? k.list : 'name' in k && k.name !== undefined ? undefined : k.value) : e.right.kind === 'value' && e.right.number !== undefined ? BigInt(e.right.number >>> 0) : undefined;
    if (n === undefined) return { val: unknown('expression not modelled'), why: `\`${exprText(e)}\` is not modelled` };
    if (v.type !== 'int') return inner;
    const c = n & full(v.width);
    const all = full(v.width);
    switch (e.op) {
      case '&':
        return { ...inner, val: { ...v, value: v.value & c, known: (v.known | (all & ~c)) & all } };
      case '|':
        return { ...inner, val: { ...v, value: v.value | c, known: v.known | c } };
      case '^':
        return { ...inner, val: { ...v, value: (v.value ^ c) & all } };
    }
  }
  return { val: unknown('expression not modelled'), why: `\`${exprText(e)}\` is not modelled` };
}

const exprText = (e: Expr): string => ('text' in e ? e.text : e.kind);

/** One value on the right (an element of a set, or the whole right side) against the left's value. */
function matchOne(v: Val, kind: Kind, right: Expr, ctx: NftContext, implicit: boolean): Tri | string {
  if (v.type === 'absent') return 'no';
  if (right.kind === 'list' && right.items.length > 1) {
    // `fin,ack / fin,ack` reads as [fin, ack / fin,ack]: the mask applies to the whole list.
    const last = right.items[right.items.length - 1];
    if (last.kind === 'binop' && last.mask) {
      const value: Expr = { kind: 'list', items: [...right.items.slice(0, -1), last.left], range: right.range };
      return matchOne(v, kind, { ...last, left: value }, ctx, implicit);
    }
  }
  if (right.kind === 'prefix') {
    if (v.type !== 'int' || (kind !== 'addr4' && kind !== 'addr6')) return v.type === 'unknown' ? 'unknown' : `\`${exprText(right)}\` is not modelled`;
    const base = constant(right.base, kind, ctx);
    if (!base || !('value' in base)) return `\`${exprText(right.base)}\` is not an address`;
    const mask = prefixToMask(right.length, kind === 'addr4' ? 'ipv4' : 'ipv6');
    return equalBits(v, base.value & mask, mask);
  }
  if (right.kind === 'range') {
    const from = constant(right.from, kind, ctx);
    const to = constant(right.to, kind, ctx);
    if (!from || !to || !('value' in from) || !('value' in to)) return `the range \`${exprText(right)}\` is not modelled`;
    if (v.type !== 'int') return 'unknown';
    if (v.known !== full(v.width)) return 'unknown';
    return v.value >= from.value && v.value <= to.value ? 'yes' : 'no';
  }
  if (right.kind === 'binop' && right.mask) {
    // `tcp flags syn / syn,ack`: (flags & mask) == value.
    const value = constant(right.left, kind, ctx);
    const mask = constant(right.right, kind, ctx);
    if (!value || !mask || v.type !== 'int') return v.type === 'unknown' ? 'unknown' : 'the masked value is not modelled';
    const m = 'list' in mask ? mask.list : mask.value;
    const val = 'list' in value ? value.list : value.value;
    return equalBits(v, val & m, m);
  }
  const c = constant(right, kind, ctx);
  if (!c) return `\`${exprText(right)}\` is not a value nft compares with this field`;
  if (v.type === 'unknown') return 'unknown';
  if (v.type === 'name') {
    if (!('name' in c) || c.name === undefined) return 'not an interface name';
    const wildcard = c.name.endsWith('*') && !c.name.endsWith('\\*');
    return (wildcard ? v.value.startsWith(c.name.slice(0, -1)) : v.value === c.name) ? 'yes' : 'no';
  }
  if ('list' in c) {
    // Flag types: an implicit match tests any of the bits; `==` the exact value.
    if (implicit) {
      const known = v.known & c.list;
      if ((v.value & known) !== 0n) return 'yes';
      return known === c.list ? 'no' : 'unknown';
    }
    return equalBits(v, c.list);
  }
  return equalBits(v, c.value);
}

function concatParts(e: Expr): Expr[] {
  return e.kind === 'concat' ? e.parts : [e];
}

/** A set lookup: yes when an element matches, no when none does. */
function inElements(vals: { val: Val; field?: Field }[], elements: { key: Expr }[], ctx: NftContext): Tri | string {
  let result: Tri = 'no';
  for (const el of elements) {
    const parts = concatParts(el.key);
    if (parts.length !== vals.length) return 'a set element does not fit the concatenation';
    let r: Tri = 'yes';
    for (let i = 0; i < parts.length; i++) {
      const one = matchOne(vals[i].val, vals[i].field!.kind, parts[i], ctx, false);
      if (typeof one === 'string' && one !== 'yes' && one !== 'no' && one !== 'unknown') return one;
      r = and(r, one as Tri);
    }
    if (r === 'yes') return 'yes';
    if (r === 'unknown') result = 'unknown';
  }
  return result;
}

export function namedSet(ctx: NftContext, name: string): NamedSet | undefined {
  return ctx.table.sets.get(name);
}

export interface MatchResult {
  result: Tri;
  /** For unknown: what it depends on (or why it is not modelled). */
  why?: string;
}

/** One `match` statement. */
export function evaluateMatch(st: Extract<Statement, { kind: 'match' }>, ctx: NftContext): MatchResult {
  const lefts = concatParts(st.left).map((e) => leftValue(e, ctx));
  for (const l of lefts) if (l.why) return { result: 'unknown', why: l.why };
  let needs: Tri = 'yes';
  for (const l of lefts) if (l.field?.needs) needs = and(needs, l.field.needs(ctx));
  if (needs === 'no') return { result: 'no' };
  const depends = lefts.filter((l) => l.val.type === 'unknown').map((l) => (l.val as { why: string }).why);
  let r: Tri | string;
  const right = st.right;
  if (right.kind === 'set' || right.kind === 'setRef') {
    let elements = right.kind === 'set' ? right.elements : undefined;
    if (right.kind === 'setRef') {
      const set = namedSet(ctx, right.name);
      if (!set) return { result: 'unknown', why: `set @${right.name} is not in this table` };
      if (!set.elements.length) return { result: 'unknown', why: `set @${right.name} lists no elements here (its contents are unknown)` };
      elements = set.elements;
    }
    if (st.op !== '==' && st.op !== '!=' && st.op !== 'implicit') return { result: 'unknown', why: `\`${st.op}\` with a set is not modelled` };
    r = inElements(lefts, elements!, ctx);
  } else if (lefts.length > 1) {
    if (right.kind !== 'concat' || right.parts.length !== lefts.length) return { result: 'unknown', why: 'the concatenation is not modelled' };
    r = inElements(lefts, [{ key: right }], ctx);
  } else if (st.op === '==' || st.op === '!=' || st.op === 'implicit') {
    r = matchOne(lefts[0].val, lefts[0].field!.kind, right, ctx, st.op === 'implicit');
  } else {
    const v = lefts[0].val;
    const c = constant(right, lefts[0].field!.kind, ctx);
    if (!c || !('value' in c)) return { result: 'unknown', why: `\`${exprText(right)}\` is not modelled` };
    if (v.type === 'absent') r = 'no';
    else if (v.type !== 'int' || v.known !== full(v.width)) r = 'unknown';
    else {
      const x = v.value;
      const y = c.value;
      r = (st.op === '<' ? x < y : st.op === '>' ? x > y : st.op === '<=' ? x <= y : x >= y) ? 'yes' : 'no';
    }
  }
  if (r !== 'yes' && r !== 'no' && r !== 'unknown') return { result: 'unknown', why: r };
  // An absent value (a ct expression without an entry) fails the rule under `!=` too.
  if (lefts.some((l) => l.val.type === 'absent')) return { result: 'no' };
  let result = st.op === '!=' ? not(r) : r;
  result = and(needs, result);
  return result === 'unknown' ? { result, why: depends.length ? depends.join(', ') : needs === 'unknown' ? 'the packet family or protocol' : 'a field of the packet' } : { result };
}

/** The value a `set` statement writes (`meta mark set mark or 0x8000`, `ct mark set meta mark`), as 32 bits. */
export function setValue(e: Expr, ctx: NftContext): Bits | 'break' | undefined {
  if (e.kind === 'value' && e.number !== undefined) return { value: e.number >>> 0, known: 0xffffffff };
  const l = leftValue(e, ctx);
  if (l.why || !l.field || (l.field.kind !== 'mark' && l.field.kind !== 'ctmark')) return undefined;
  if (l.val.type === 'absent') return 'break';
  return valBits(l.val);
}

/** A verdict map lookup (`ip daddr vmap { … }`): the element that matches, none, or unknown. */
export function vmapLookup(key: Expr, map: Expr, ctx: NftContext): { element?: { value?: Expr }; result: Tri; why?: string } {
  const lefts = concatParts(key).map((e) => leftValue(e, ctx));
  for (const l of lefts) if (l.why) return { result: 'unknown', why: l.why };
  let elements;
  if (map.kind === 'set') elements = map.elements;
  else if (map.kind === 'setRef') {
    const set = namedSet(ctx, map.name);
    if (!set || !set.elements.length) return { result: 'unknown', why: `map @${map.name} lists no elements here (its contents are unknown)` };
    elements = set.elements;
  } else return { result: 'unknown', why: 'the verdict map is not modelled' };
  let needs: Tri = 'yes';
  for (const l of lefts) if (l.field?.needs) needs = and(needs, l.field.needs(ctx));
  if (needs === 'no') return { result: 'no' };
  for (const el of elements) {
    const r = inElements(lefts, [el], ctx);
    if (typeof r === 'string' && r !== 'yes' && r !== 'no' && r !== 'unknown') return { result: 'unknown', why: r };
    if (r === 'unknown' || needs === 'unknown') return { result: 'unknown', why: lefts.filter((l) => l.val.type === 'unknown').map((l) => (l.val as { why: string }).why).join(', ') || 'the packet family or protocol' };
    if (r === 'yes') return { element: el, result: 'yes' };
  }
  return { result: 'no' };
}
