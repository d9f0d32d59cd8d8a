/**
 * An evaluation index for long chains: which rules of a chain a packet can possibly match,
 * decided from the fields most rules of big rulesets key on. kube-proxy's KUBE-SERVICES holds one
 * `-d <cluster IP>/32 -p tcp … --dport P` rule per service (~10k in a 100k-rule dump), so walking
 * it rule by rule dominates an evaluation; with the index a concrete packet visits only the rules
 * whose destination covers its own, plus the rules the index cannot rule out.
 *
 * Each rule gets at most one key, the first of these its options have (not negated, one value):
 * `-d NET` (destination), then `--dport P` of tcp/udp/sctp/dccp (destination port), then
 * `-p PROTO` (protocol). A rule without one goes to the catch-all list. A rule is skipped only
 * when the packet's field for its key is known and differs: then matchers.ts's ruleMatches says
 * `no` for it too (the key is one of the conditions it ANDs), so skipping changes no result.
 * When the field is unknown, all rules keyed on it stay candidates. Candidates are merged by
 * position, so the rules left are walked in their order.
 *
 * Built on first use per chain and kept (a WeakMap on the chain object: the model stays as the
 * parser made it). Building reads each rule's options without keeping them on the rule, so an
 * index costs a few numbers per rule, not the parsed options.
 */
import type { Family } from '../../knowledge/xtables/types';
import { formatAddress, protocolNumber } from '../../knowledge/xtables/args';
import type { Chain, OptionUse, Rule } from '../iptables/model';
import { ruleOptions } from '../iptables/rule';
import type { Packet } from './packet';

/** Chains shorter than this are walked rule by rule: an index would not pay for itself. */
export const MIN_INDEXED_RULES = 32;

/** Why the index let a rule out; KIND_NONE: never skipped. */
const KIND_NONE = 0;
const KIND_DST = 1;
const KIND_DPORT = 2;
const KIND_PROTO = 3;

type Positions = readonly number[];

export interface ChainIndex {
  /** The rules array and length it was built from: a changed chain gets a new index. */
  readonly rules: readonly Rule[];
  readonly length: number;
  /**
   * Per key kind (KIND_DST, KIND_DPORT, KIND_PROTO): how many rules before each position have
   * it, so what a run of skipped rules was keyed on is known without walking the run.
   */
  readonly before: Record<number, Int32Array>;
  readonly catchAll: Positions;
  /** Destination networks: mask → masked address → positions. */
  readonly dst: Map<bigint, Map<bigint, number[]>>;
  readonly dstAll: Positions;
  readonly dport: Map<number, number[]>;
  readonly dportAll: Positions;
  readonly proto: Map<number, number[]>;
  readonly protoAll: Positions;
}

const indexes = new WeakMap<Chain, ChainIndex>();

/**
 * The chain's index, built on first use; undefined for chains shorter than `minRules` (the
 * kernel-oracle test indexes every chain, to prove the index on many small rulesets).
 */
export function chainIndex(chain: Chain, minRules = MIN_INDEXED_RULES): ChainIndex | undefined {
  if (chain.rules.length < minRules || chain.rules.length === 0) return undefined;
  const cached = indexes.get(chain);
  if (cached && cached.rules === chain.rules && cached.length === chain.rules.length) return cached;
  const built = buildIndex(chain.rules);
  indexes.set(chain, built);
  return built;
}

/** Builds the index of every chain long enough to have one; returns how many rules they hold. */
export function indexChains(chains: Iterable<Chain>, minRules = MIN_INDEXED_RULES): { chains: number; rules: number } {
  let n = 0;
  let rules = 0;
  for (const chain of chains) {
    const index = chainIndex(chain, minRules);
    if (index) {
      n++;
      rules += index.length;
    }
  }
  return { chains: n, rules };
}

function single(o: OptionUse | undefined): OptionUse | undefined {
  return o && !o.negated && o.values.length === 1 ? o : undefined;
}

const PORT_MODULES = new Set(['tcp', 'udp', 'sctp', 'dccp']);

function buildIndex(rules: readonly Rule[]): ChainIndex {
  const kinds = new Uint8Array(rules.length);
  const catchAll: number[] = [];
  const dst = new Map<bigint, Map<bigint, number[]>>();
  const dstAll: number[] = [];
  const dport = new Map<number, number[]>();
  const dportAll: number[] = [];
  const proto = new Map<number, number[]>();
  const protoAll: number[] = [];
  const push = <K>(map: Map<K, number[]>, key: K, pos: number) => {
    const list = map.get(key);
    if (list) list.push(pos);
    else map.set(key, [pos]);
  };
  rules.forEach((rule, pos) => {
    const { basic, matches } = ruleOptions(rule);
    const d = single(basic.find((o) => o.name === 'destination'))?.values[0];
    if (d?.type === 'net') {
      let byMask = dst.get(d.mask);
      if (!byMask) dst.set(d.mask, (byMask = new Map()));
      push(byMask, d.address & d.mask, pos);
      dstAll.push(pos);
      kinds[pos] = KIND_DST;
      return;
    }
    for (const m of matches) {
      if (!PORT_MODULES.has(m.module)) continue;
      const v = single(m.options.find((o) => o.name === 'dport'))?.values[0];
      const port = v?.type === 'number' ? v.value : v?.type === 'range' && v.from === v.to ? v.from : undefined;
      if (port !== undefined) {
        push(dport, port, pos);
        dportAll.push(pos);
        kinds[pos] = KIND_DPORT;
        return;
      }
    }
    const p = single(basic.find((o) => o.name === 'protocol'))?.values[0];
    // `-p all` (0) matches every packet: no key.
    if (p?.type === 'number' && p.value !== 0) {
      push(proto, p.value, pos);
      protoAll.push(pos);
      kinds[pos] = KIND_PROTO;
      return;
    }
    kinds[pos] = KIND_NONE;
    catchAll.push(pos);
  });
  const before: Record<number, Int32Array> = {};
  for (const kind of [KIND_DST, KIND_DPORT, KIND_PROTO]) {
    const counts = new Int32Array(rules.length + 1);
    for (let p = 0; p < rules.length; p++) counts[p + 1] = counts[p] + (kinds[p] === kind ? 1 : 0);
    before[kind] = counts;
  }
  return { rules, length: rules.length, before, catchAll, dst, dstAll, dport, dportAll, proto, protoAll };
}

/** What a view was made for: the packet fields the index reads. */
export interface ViewKey {
  dst: bigint | undefined;
  dport: number | undefined;
  proto: string | undefined;
}

/** The rules of a chain a packet can match, by position; `positions` undefined: every rule. */
export interface CandidateView extends ViewKey {
  positions?: Positions;
}

export function sameKey(view: ViewKey, packet: Packet): boolean {
  return view.dst === packet.dst && view.dport === packet.dport && view.proto === packet.proto;
}

/** The candidates of the chain for this packet (a fresh merge each time: nothing per packet is cached). */
export function candidates(chain: Chain, packet: Packet, minRules = MIN_INDEXED_RULES): CandidateView {
  const key: ViewKey = { dst: packet.dst, dport: packet.dport, proto: packet.proto };
  const index = chainIndex(chain, minRules);
  if (!index) return key;
  const protoNumber = packet.proto === undefined ? undefined : protocolNumber(packet.proto);
  // Nothing known that the index reads: every rule stays.
  if (packet.dst === undefined && packet.dport === undefined && protoNumber === undefined) return key;
  const lists: Positions[] = [index.catchAll];
  if (packet.dst === undefined) lists.push(index.dstAll);
  else for (const [mask, byNet] of index.dst) {
    const hit = byNet.get(packet.dst & mask);
    if (hit) lists.push(hit);
  }
  if (packet.dport === undefined) lists.push(index.dportAll);
  else {
    const hit = index.dport.get(packet.dport);
    if (hit) lists.push(hit);
  }
  if (protoNumber === undefined) lists.push(index.protoAll);
  else {
    const hit = index.proto.get(protoNumber);
    if (hit) lists.push(hit);
  }
  return { ...key, positions: mergeAll(lists.filter((l) => l.length > 0)) };
}

/** Merges sorted, disjoint position lists into one sorted list. */
function mergeAll(lists: Positions[]): Positions {
  let work = lists;
  if (work.length === 0) return [];
  while (work.length > 1) {
    const next: Positions[] = [];
    for (let k = 0; k < work.length; k += 2) next.push(k + 1 < work.length ? merge(work[k], work[k + 1]) : work[k]);
    work = next;
  }
  return work[0];
}

function merge(a: Positions, b: Positions): number[] {
  const out = new Array<number>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i] < b[j] ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}

/** First index in sorted `positions` whose value is ≥ `from`. */
export function lowerBound(positions: Positions, from: number): number {
  let lo = 0;
  let hi = positions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (positions[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Why rules from..to (positions, inclusive) were skipped, e.g. `destination 10.96.0.1 is not
 * theirs (-d)`: the fields their keys test, with the packet's value.
 */
export function skipReason(chain: Chain, from: number, to: number, packet: Packet, family: Family | undefined): string {
  const index = indexes.get(chain);
  const has = (kind: number) => (index ? index.before[kind][to + 1] - index.before[kind][from] > 0 : false);
  const parts: string[] = [];
  if (has(KIND_DST) && packet.dst !== undefined) {
    const fam = family ?? (packet.dst > 0xffffffffn ? 'ipv6' : 'ipv4');
    parts.push(`destination ${formatAddress(packet.dst, fam)} is outside their -d`);
  }
  if (has(KIND_DPORT) && packet.dport !== undefined) parts.push(`destination port ${packet.dport} is not their --dport`);
  if (has(KIND_PROTO) && packet.proto !== undefined) parts.push(`protocol ${packet.proto} is not their -p`);
  return parts.join('; ');
}
