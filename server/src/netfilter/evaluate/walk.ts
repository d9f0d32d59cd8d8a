/**
 * What netfilter does to one packet: the hook's tables in kernel order, each chain's rules in
 * order, jumps and gotos into user chains, RETURN, policies, and the targets that change what
 * later rules see (MARK, CONNMARK, DNAT, CT --notrack). ACCEPT ends only the current table on
 * the hook; DROP/REJECT end everything. Matching is three-valued: where a rule may or may not
 * match, both possibilities are followed, and the verdict is `unknown` when they disagree.
 * Long chains are walked through their index (chainIndex.ts): rules it rules out are passed over
 * and show in the trace as one `skipped` step per run, so a 100k-rule kube-proxy dump costs a
 * packet tens of rule matches instead of ten thousand.
 */
import type { Range } from '../../core/text';
import type { Chain, IptablesBackend, IptablesRuleset, OptionUse, Rule, Table, TableName } from '../iptables/model';
import { candidates, lowerBound, MIN_INDEXED_RULES, sameKey, skipReason, type CandidateView } from './chainIndex';
import { ruleMatches, type MatchContext } from './matchers';
import type { Bits, CtState, Packet, Path } from './packet';
import type { Tri } from './tri';

export interface RulesetInput {
  /** Document id (uri or path), echoed in traces. */
  doc: string;
  ruleset: IptablesRuleset;
  /** Which iptables loaded the rules, when the caller knows better than the dump's header. */
  backend?: IptablesBackend;
}

export interface TraceStep {
  doc: string;
  range: Range;
  /** An iptables table name, or for nftables rules `<family> <table>` (e.g. `ip filter`). */
  table: TableName | (string & {});
  chain: string;
  /** 1-based rule index, or 0 for the chain's policy. */
  rule: number;
  match: Tri;
  action: string;
  /**
   * When the step stands for a run of rules the chain index ruled out without matching each:
   * how many (rules `rule` … `rule + skipped - 1`, all `no`); `range` spans them.
   */
  skipped?: number;
  /** On MARK/CONNMARK steps: the packet's mark and conntrack mark after the target ran (for diagrams). */
  marks?: { mark: Bits; ctmark: Bits };
}

export interface Culprit {
  doc: string;
  range: Range;
  /** As in TraceStep. */
  table: TableName | (string & {});
  chain: string;
  rule: number;
}

export type Verdict = 'drop' | 'accept' | 'unknown';

export interface Evaluation {
  verdict: Verdict;
  culprits: Culprit[];
  /** When the verdict is unknown: what it depends on, e.g. `-m conntrack --ctstate NEW`. */
  conditions: string[];
  trace: TraceStep[];
  /** How many possibilities were followed (1 when every match was decided). */
  branches: number;
}

/** Hooks and their tables, in kernel priority order (DESIGN.md §3, issue 5). */
export const hookPlans: Record<Path, [string, TableName[]][]> = {
  'local-out': [['OUTPUT', ['raw', 'mangle', 'nat', 'filter', 'security']], ['POSTROUTING', ['mangle', 'nat']]],
  input: [['PREROUTING', ['raw', 'mangle', 'nat']], ['INPUT', ['mangle', 'filter', 'security', 'nat']]],
  forward: [['PREROUTING', ['raw', 'mangle', 'nat']], ['FORWARD', ['mangle', 'filter', 'security']], ['POSTROUTING', ['mangle', 'nat']]],
};

/** Beyond this many open possibilities the rest are reported as unknown rather than followed. */
export const MAX_BRANCHES = 512;
/** Jump depth the kernel allows is far below this; loops are rejected when the dump is read. */
const MAX_STEPS = 100_000;

export interface Branch {
  packet: Packet;
  trace: TraceStep[];
  conditions: string[];
}

export type TableEnd = { kind: 'accept' | 'drop' | 'unknown'; branch: Branch; culprit?: Culprit; reason?: string };

/** The walk's shared state: possibilities opened so far, and whether chain indexes are used. */
export interface Budget {
  branches: number;
  /** Chains with at least this many rules use their index; undefined: no index. */
  indexFrom?: number;
}

export interface EvaluateOptions {
  /**
   * Use the chain indexes (chainIndex.ts) to pass over rules that cannot match (default: for
   * chains of MIN_INDEXED_RULES rules or more). `false`: every rule is matched one by one, the
   * reference the index is tested against; `{ minRules }`: index chains from that length on.
   */
  index?: boolean | { minRules: number };
}

/** One table's built-in chain on a hook, as the packet meets it (absent when the table or chain is not in the input). */
export interface PathStage {
  hook: string;
  table: TableName;
  doc?: string;
  input?: RulesetInput;
  chain?: Chain;
  tableModel?: Table;
}

/**
 * The tables a packet meets on `path`, hook by hook in kernel order, one stage per input holding
 * the table (inputs of another family are left out), and one without `chain` for a table no input
 * has on that hook. The walk runs the stages with a chain; diagrams draw all of them.
 */
export function pathStages(inputs: readonly RulesetInput[], path: Path, packet: Packet): PathStage[] {
  const usable = inputs.filter(({ ruleset }) => packet.family === undefined || ruleset.family === packet.family);
  const stages: PathStage[] = [];
  for (const [hook, order] of hookPlans[path]) {
    for (const name of order) {
      const found: PathStage[] = [];
      for (const input of usable) {
        for (const table of input.ruleset.tables.filter((t) => t.name === name)) {
          const chain = table.chains.get(hook);
          if (chain) found.push({ hook, table: name, doc: input.doc, input, chain, tableModel: table });
        }
      }
      stages.push(...(found.length ? found : [{ hook, table: name }]));
    }
  }
  return stages;
}

export function evaluatePacket(inputs: readonly RulesetInput[], path: Path, packet: Packet, options: EvaluateOptions = {}): Evaluation {
  let open: Branch[] = [{ packet: withDefaults(packet), trace: [], conditions: [] }];
  const ends: TableEnd[] = [];
  const budget: Budget = { branches: 1, indexFrom: options.index === false ? undefined : typeof options.index === 'object' ? options.index.minRules : MIN_INDEXED_RULES };

  for (const { doc, input, chain, tableModel: table } of pathStages(inputs, path, packet)) {
    if (!chain || !input || !table || doc === undefined) continue;
    const context = { backend: input.backend ?? input.ruleset.backend };
    const next: Branch[] = [];
    for (const branch of open) {
      for (const end of runNatAware(doc, table, chain, branch, budget, path, context)) {
        if (end.kind === 'accept') next.push(end.branch);
        else ends.push(end);
      }
    }
    open = next;
  }
  for (const branch of open) ends.push({ kind: 'accept', branch });
  return summarise(ends, budget.branches);
}

/** Runs one xtables table's built-in chain (a stage of pathStages) for a branch; used by the nftables walk, which orders these stages among nft base chains. */
export function runXtablesStage(stage: PathStage, branch: Branch, budget: Budget, path: Path): TableEnd[] {
  const { doc, input, chain, tableModel: table } = stage;
  if (!chain || !input || !table || doc === undefined) return [{ kind: 'accept', branch }];
  return runNatAware(doc, table, chain, branch, budget, path, { backend: input.backend ?? input.ruleset.backend });
}

/** A new conntrack entry starts with mark 0 and no NAT. */
export function withDefaults(packet: Packet): Packet {
  if (packet.ct !== 'NEW') return { ...packet };
  return { ...packet, nat: packet.nat ?? { dnat: false, snat: false }, ...(packet.ctmark.known === 0 ? { ctmark: { value: 0, known: 0xffffffff } } : {}) };
}

/** nat chains see only the first packet of a connection; with the state unknown, both cases are followed. */
function runNatAware(doc: string, table: Table, chain: Chain, branch: Branch, budget: Budget, path: Path, context: MatchContext): TableEnd[] {
  if (table.name !== 'nat') return runTable(doc, table, chain, branch, budget, path, context);
  const skip = (b: Branch, why: string): TableEnd => ({ kind: 'accept', branch: { ...b, trace: [...b.trace, step(doc, table, chain, 0, 'no', why)] } });
  const ct = branch.packet.ct;
  if (ct === 'NEW') return runTable(doc, table, chain, branch, budget, path, context);
  if (ct !== undefined) return [skip(branch, `nat skipped: ${ct} is not a new connection`)];
  budget.branches++;
  return [
    ...runTable(doc, table, chain, { ...branch, packet: { ...branch.packet, ct: 'NEW' as CtState, nat: branch.packet.nat ?? { dnat: false, snat: false } }, conditions: [...branch.conditions, 'the connection is new (ct NEW)'] }, budget, path, context),
    skip({ ...branch, conditions: [...branch.conditions, 'the connection is not new'] }, 'nat skipped: not a new connection'),
  ];
}

function step(doc: string, table: Table, chain: Chain, rule: number, match: Tri, action: string, range?: Range): TraceStep {
  return { doc, range: range ?? chain.declaration?.range ?? table.range, table: table.name, chain: chain.name, rule, match, action };
}

interface Frame {
  chain: Chain;
  /** Position of the next rule to look at. */
  next: number;
  /** The rules the chain index leaves for this packet, and where in that list `next` is. */
  view?: CandidateView;
  at: number;
}

const frame = (chain: Chain): Frame => ({ chain, next: 0, at: 0 });

/**
 * Moves `f.next` to the next rule the packet can match, and returns how many rules it passed
 * (0 when the chain has no index or the next rule is a candidate). The view is remade when a
 * field the index reads has changed since it was made.
 */
function skipToCandidate(f: Frame, packet: Packet, minRules: number): number {
  const length = f.chain.rules.length;
  if (f.next >= length) return 0;
  if (!f.view || !sameKey(f.view, packet)) {
    f.view = candidates(f.chain, packet, minRules);
    f.at = f.view.positions ? lowerBound(f.view.positions, f.next) : 0;
  }
  const positions = f.view.positions;
  if (!positions) return 0;
  while (f.at < positions.length && positions[f.at] < f.next) f.at++;
  const to = f.at < positions.length ? positions[f.at] : length;
  const passed = to - f.next;
  f.next = to;
  return passed;
}

/**
 * The packet as rules of the raw table see it. raw hooks run before conntrack (priority -300 vs
 * -200), so no conntrack entry is attached yet: conntrack/state matches see INVALID, or UNTRACKED
 * once CT --notrack has run. A packet looped back through lo keeps the entry it got on its way
 * out, so on the input path with iif lo the state stays, and with iif unknown it is unknown.
 * (Found by the kernel-oracle differential test: `raw OUTPUT -m state --state INVALID` matches
 * a SYN whose state is NEW from mangle OUTPUT on.)
 */
export function beforeConntrack(packet: Packet, path: Path): Packet {
  if (packet.ct === 'UNTRACKED' || packet.ct === 'INVALID') return packet;
  if (path !== 'input' || (packet.iif !== undefined && packet.iif !== 'lo')) return { ...packet, ct: 'INVALID' };
  return packet.iif === 'lo' ? packet : { ...packet, ct: undefined };
}

/** Runs one table's chain for a branch; returns how each possibility leaves the table. */
function runTable(doc: string, table: Table, entry: Chain, start: Branch, budget: Budget, path: Path, context: MatchContext): TableEnd[] {
  const ends: TableEnd[] = [];
  const work: { branch: Branch; stack: Frame[] }[] = [{ branch: start, stack: [frame(entry)] }];
  let steps = 0;
  while (work.length) {
    const { branch, stack } = work.pop()!;
    let done = false;
    while (!done) {
      if (++steps > MAX_STEPS) {
        ends.push({ kind: 'unknown', branch, reason: 'evaluation too long' });
        break;
      }
      const top = stack[stack.length - 1];
      const from = top.next;
      const passed = budget.indexFrom !== undefined ? skipToCandidate(top, branch.packet, budget.indexFrom) : 0;
      if (passed > 0) branch.trace.push(...skippedSteps(doc, table, top.chain, from, passed, branch.packet));
      if (top.next >= top.chain.rules.length) {
        if (top.chain.builtin || stack.length === 1) {
          // The policy is the built-in chain's, also when a chain it went to with -g ends or
          // RETURNs (the kernel's underflow; found by the kernel-oracle differential test).
          const policy = entry.policy ?? 'ACCEPT';
          branch.trace.push(step(doc, table, entry, 0, 'yes', top.chain === entry ? `policy ${policy}` : `end of ${top.chain.name} (entered by goto): ${entry.name} policy ${policy}`));
          ends.push(policy === 'DROP' ? { kind: 'drop', branch, culprit: { doc, range: entry.declaration?.range ?? table.range, table: table.name, chain: entry.name, rule: 0 } } : { kind: 'accept', branch });
          done = true;
        } else {
          stack.pop();
          branch.trace.push(step(doc, table, top.chain, 0, 'yes', `end of ${top.chain.name}: return`));
        }
        continue;
      }
      const rule = top.chain.rules[top.next++];
      const { result, unknown } = ruleMatches(table.name === 'raw' ? beforeConntrack(branch.packet, path) : branch.packet, rule, context);
      if (result === 'no') {
        branch.trace.push(ruleStep(doc, table, rule, 'no', 'no match: next rule'));
        continue;
      }
      if (result === 'unknown') {
        if (budget.branches >= MAX_BRANCHES) {
          branch.trace.push(ruleStep(doc, table, rule, 'unknown', 'too many possibilities: not followed'));
          ends.push({ kind: 'unknown', branch, reason: 'too many possibilities' });
          done = true;
          continue;
        }
        budget.branches++;
        // The branch where the rule does not match continues from the next rule.
        const notTaken: Branch = { packet: { ...branch.packet }, trace: [...branch.trace, ruleStep(doc, table, rule, 'unknown', `assumed not to match (${unknown.join(', ')})`)], conditions: [...branch.conditions, `not (${unknown.join(' and ')})`] };
        work.push({ branch: notTaken, stack: stack.map((f) => ({ ...f })) });
        branch.conditions = [...branch.conditions, unknown.join(' and ')];
      }
      const outcome = applyTarget(doc, table, rule, branch, stack, result, path);
      if (outcome) {
        ends.push(outcome);
        done = true;
      }
    }
  }
  return ends;
}

/**
 * The trace of rules the chain index ruled out: one rule gets the step it would have had; a run
 * gets one step for all of them (`skipped`), ranging from the first rule to the last.
 */
function skippedSteps(doc: string, table: Table, chain: Chain, from: number, count: number, packet: Packet): TraceStep[] {
  const first = chain.rules[from];
  if (count === 1) return [ruleStep(doc, table, first, 'no', 'no match: next rule')];
  const last = chain.rules[from + count - 1];
  const why = skipReason(chain, from, from + count - 1, packet, packet.family);
  return [
    {
      doc,
      range: { start: first.range.start, end: last.range.end },
      table: table.name,
      chain: chain.name,
      rule: first.index,
      match: 'no',
      action: `no match: rules ${first.index}–${last.index} skipped (${count} rules${why ? `: ${why}` : ''})`,
      skipped: count,
    },
  ];
}

function ruleStep(doc: string, table: Table, rule: Rule, match: Tri, action: string): TraceStep {
  return { doc, range: rule.range, table: table.name, chain: rule.chain, rule: rule.index, match, action };
}

function culpritOf(doc: string, table: Table, rule: Rule): Culprit {
  return { doc, range: rule.range, table: table.name, chain: rule.chain, rule: rule.index };
}

/** Applies a matching rule's target; returns how the table ends, or undefined to go on. */
function applyTarget(doc: string, table: Table, rule: Rule, branch: Branch, stack: Frame[], match: Tri, path: Path): TableEnd | undefined {
  const target = rule.target;
  const record = (action: string, marks?: TraceStep['marks']) => branch.trace.push({ ...ruleStep(doc, table, rule, match, action), ...(marks ? { marks } : {}) });
  const marks = () => ({ mark: branch.packet.mark, ctmark: branch.packet.ctmark });
  if (!target) {
    record('no target: counters only');
    return undefined;
  }
  if (target.kind === 'chain') {
    const callee = table.chains.get(target.name);
    if (!callee) {
      record(`${target.goto ? 'goto' : 'jump'} ${target.name}: no such chain`);
      return { kind: 'unknown', branch, reason: `undefined chain ${target.name}` };
    }
    record(`${target.goto ? 'goto' : 'jump'} ${target.name}`);
    if (target.goto) stack[stack.length - 1] = frame(callee);
    else stack.push(frame(callee));
    return undefined;
  }
  switch (target.name) {
    case 'ACCEPT':
      record(`ACCEPT: ends the ${table.name} table on this hook`);
      return { kind: 'accept', branch };
    case 'DROP':
    case 'REJECT':
      record(target.name);
      return { kind: 'drop', branch, culprit: culpritOf(doc, table, rule) };
    case 'RETURN':
      if (stack.length === 1) {
        record('RETURN from a built-in chain: its policy applies');
        stack[0].next = Number.MAX_SAFE_INTEGER;
      } else {
        record('RETURN');
        stack.pop();
      }
      return undefined;
    case 'QUEUE':
    case 'NFQUEUE':
      record(`${target.name}: a userspace program decides`);
      return { kind: 'unknown', branch, reason: `${target.name} hands the verdict to userspace` };
    case 'MARK':
      branch.packet = { ...branch.packet, mark: applyMarkTarget(branch.packet.mark, target.options) };
      record(`MARK: mark is now ${describeBits(branch.packet.mark)}`, marks());
      return undefined;
    case 'CONNMARK': {
      // In raw no conntrack entry is attached yet, so CONNMARK finds none and does nothing
      // (checked in a namespace on both backends: raw `--restore-mark` leaves the mark as it is).
      const state = table.name === 'raw' ? beforeConntrack(branch.packet, path).ct : branch.packet.ct;
      if (state === 'INVALID' || state === 'UNTRACKED') {
        record(`CONNMARK: no conntrack entry${table.name === 'raw' ? ' yet (raw runs before conntrack)' : ''}: nothing changes`);
        return undefined;
      }
      const changed = applyConnmark({ ...branch.packet, ct: state }, target.options);
      branch.packet = { ...changed, ct: branch.packet.ct };
      record(`CONNMARK: mark ${describeBits(branch.packet.mark)}, ctmark ${describeBits(branch.packet.ctmark)}`, marks());
      return undefined;
    }
    case 'CT':
    case 'NOTRACK':
      if (target.name === 'NOTRACK' || target.options.some((o) => o.name === 'notrack')) {
        branch.packet = { ...branch.packet, ct: 'UNTRACKED' };
        record('not tracked: the packet is UNTRACKED from here on');
      } else record(`${target.name}: continue`);
      return undefined;
    case 'DNAT': {
      const to = target.options.find((o) => o.name === 'to-destination');
      const { address, port, portsGiven } = natDestination(to);
      // Without a port in the target the destination port is kept; a port range makes it unknown.
      // The entry is marked DNAT (--ctstate DNAT) only when the destination actually changes.
      const before = branch.packet;
      let changed: boolean | undefined;
      if (address === undefined || before.dst === undefined) changed = undefined;
      else if (address !== before.dst) changed = true;
      else if (!portsGiven) changed = false;
      else changed = port === undefined || before.dport === undefined ? undefined : port !== before.dport;
      const dnat = before.nat?.dnat === true || changed === true ? true : before.nat?.dnat === false && changed === false ? false : undefined;
      branch.packet = { ...before, dst: address, ...(portsGiven ? { dport: port } : {}), nat: { ...before.nat, dnat } };
      record(`DNAT ${to?.args[0]?.text ?? ''}: destination is now ${address === undefined ? 'unknown' : to!.args[0].text}`);
      return { kind: 'accept', branch };
    }
    case 'SNAT':
    case 'MASQUERADE':
    case 'REDIRECT':
    case 'NETMAP':
      if (target.name === 'REDIRECT' || target.name === 'NETMAP') branch.packet = { ...branch.packet, dst: undefined, nat: { ...branch.packet.nat, dnat: branch.packet.nat?.dnat || undefined } };
      else branch.packet = { ...branch.packet, nat: { ...branch.packet.nat, snat: branch.packet.nat?.snat || undefined } };
      record(`${target.name}: ends the nat table`);
      return { kind: 'accept', branch };
  }
  if (target.spec?.flow === 'continue') {
    record(`${target.name}: continue`);
    return undefined;
  }
  record(`${target.name}: not modelled`);
  return { kind: 'unknown', branch, reason: `${target.name} is not modelled` };
}

/**
 * Where DNAT sends the packet: `--to-destination a[-b][:p[-q]]` parses to an address range and
 * a port range; only a single address (and port) is a known rewrite, anything else is unknown.
 */
function natDestination(o: OptionUse | undefined): { address?: bigint; port?: number; portsGiven: boolean } {
  const v = o?.values[0];
  const items = v?.type === 'list' ? v.items : v ? [v] : [];
  const range = items.find((i) => i.type === 'iprange');
  const ports = items.find((i) => i.type === 'range');
  return {
    portsGiven: ports !== undefined,
    ...(range?.type === 'iprange' && range.from === range.to ? { address: range.from } : {}),
    ...(ports?.type === 'range' && ports.from === ports.to ? { port: ports.from } : {}),
  };
}

function numberArg(o: OptionUse): { value: number; mask: number } | undefined {
  const v = o.values[0];
  if (v?.type === 'mark') return { value: v.value, mask: v.mask };
  if (v?.type === 'number') return { value: v.value, mask: 0xffffffff };
  return undefined;
}

/** MARK's operations on partially known bits (xt_MARK: mark = (mark & ~mask) ^ value, and friends). */
export function applyMarkTarget(bits: Bits, options: readonly OptionUse[]): Bits {
  let { value, known } = bits;
  for (const o of options) {
    const arg = numberArg(o);
    if (!arg) return { value: 0, known: 0 };
    const { value: v, mask: m } = arg;
    switch (o.name) {
      case 'set-xmark':
        value = ((value & ~m) ^ v) >>> 0;
        known = ((known & ~m) | m) >>> 0;
        break;
      case 'set-mark':
        value = ((value & ~m) | v) >>> 0;
        known = ((known & ~m) | m | v) >>> 0;
        break;
      case 'and-mark':
        value = (value & v) >>> 0;
        known = (known | ~v) >>> 0;
        break;
      case 'or-mark':
        value = (value | v) >>> 0;
        known = (known | v) >>> 0;
        break;
      case 'xor-mark':
        value = (value ^ v) >>> 0;
        break;
    }
  }
  return { value: (value & known) >>> 0, known };
}

/** CONNMARK: nothing happens without a conntrack entry (INVALID, UNTRACKED packets). */
function applyConnmark(packet: Packet, options: readonly OptionUse[]): Packet {
  if (packet.ct === 'INVALID' || packet.ct === 'UNTRACKED') return packet;
  const mask = (name: string) => {
    const o = options.find((x) => x.name === name);
    return o ? numberArg(o)?.value ?? 0xffffffff : 0xffffffff;
  };
  const names = new Set(options.map((o) => o.name));
  const unknown = packet.ct === undefined;
  if (names.has('restore-mark')) {
    const nf = mask('nfmask') & (names.has('mask') ? mask('mask') : 0xffffffff);
    const ctm = mask('ctmask') & (names.has('mask') ? mask('mask') : 0xffffffff);
    const value = ((packet.mark.value & ~nf) ^ (packet.ctmark.value & ctm)) >>> 0;
    const known = unknown ? (packet.mark.known & ~nf) >>> 0 : ((packet.mark.known & ~nf) | (packet.ctmark.known & ctm & nf) | (~ctm & nf & packet.mark.known)) >>> 0;
    return { ...packet, mark: { value: (value & known) >>> 0, known } };
  }
  if (names.has('save-mark')) {
    const nf = mask('nfmask');
    const ctm = mask('ctmask');
    const value = ((packet.ctmark.value & ~ctm) ^ (packet.mark.value & nf)) >>> 0;
    const known = ((packet.ctmark.known & ~ctm) | (packet.mark.known & nf & ctm)) >>> 0;
    return { ...packet, ctmark: { value: (value & known) >>> 0, known } };
  }
  return { ...packet, ctmark: applyMarkTarget(packet.ctmark, options) };
}

export function describeBits(bits: Bits): string {
  if (bits.known === 0xffffffff) return `0x${bits.value.toString(16)}`;
  if (bits.known === 0) return 'unknown';
  return `0x${bits.value.toString(16)} (known bits 0x${bits.known.toString(16)})`;
}

export function summarise(ends: TableEnd[], branches: number): Evaluation {
  const drops = ends.filter((e) => e.kind === 'drop');
  const accepts = ends.filter((e) => e.kind === 'accept');
  const unknowns = ends.filter((e) => e.kind === 'unknown');
  const verdict: Verdict = drops.length === ends.length ? 'drop' : accepts.length === ends.length ? 'accept' : 'unknown';
  const seen = new Set<string>();
  const culprits: Culprit[] = [];
  for (const d of drops) {
    const key = `${d.culprit!.doc}:${d.culprit!.table}:${d.culprit!.chain}:${d.culprit!.rule}`;
    if (!seen.has(key)) {
      seen.add(key);
      culprits.push(d.culprit!);
    }
  }
  const shown = drops[0] ?? unknowns[0] ?? accepts[0];
  const conditions = verdict === 'unknown' ? [...new Set(drops.flatMap((d) => d.branch.conditions).concat(unknowns.map((u) => u.reason ?? 'unknown')))] : [];
  return { verdict, culprits, conditions, trace: shown?.branch.trace ?? [], branches };
}
