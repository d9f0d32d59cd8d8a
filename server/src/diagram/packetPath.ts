/**
 * The packet-path diagram (issue 11), as data: what the evaluator's trace says about one packet,
 * arranged the way it is drawn left to right: hooks → the stages registered on each hook in
 * priority order (an xtables table today; an nft base chain is one more stage kind) → the chains
 * entered, one column per visit (a jump, a goto, a return each start a new column) → the rules
 * evaluated in each. Only the packet's path is kept: runs of rules that did not match are folded
 * into one node with their count, so a 100k-rule dump draws the same few dozen nodes.
 * Plain data (no vscode/LSP): the CLI, the server and the SVG renderer share it.
 */
import type { Range } from '../core/text';
import { formatAddress } from '../knowledge/xtables/args';
import type { OptionUse, Rule } from '../netfilter/iptables/model';
import { describeBits, pathStages, type Evaluation, type PathStage, type TraceStep, type Verdict } from '../netfilter/evaluate/walk';
import { evaluateRulesets, isNftInput, mixedStages, type AnyRulesetInput, type MixedStage } from '../netfilter/evaluate/nftWalk';
import type { Bits, Packet, Path } from '../netfilter/evaluate/packet';

export type RuleState = 'matched' | 'not-matched' | 'unknown';

/** Where a node is in the ruleset, for "reveal" (LSP-style 0-based range). */
export interface SourceRef {
  doc: string;
  range: Range;
}

/** A rule looked at (kind `rule`), a folded run of rules that did not match, or a chain's end. */
export interface StepNode {
  id: string;
  kind: 'rule' | 'fold' | 'policy' | 'chain-end' | 'note';
  state: RuleState;
  /** 1-based rule index (0 for a policy, a chain's end or a note); a fold's first rule. */
  rule: number;
  /** Folds: the last rule and how many rules (`rule … to`), and how many of them the chain index passed over unread. */
  to?: number;
  count?: number;
  indexed?: number;
  /** The rule as written, without `-A CHAIN` and its comment (rules only). */
  text?: string;
  comment?: string;
  /** What happened, in the evaluator's words. */
  action: string;
  /** The packet's mark after a MARK/CONNMARK step changed it. */
  mark?: string;
  ctmark?: string;
  /** The rule that drops the packet (or may, when the verdict is unknown). */
  culprit: boolean;
  source: SourceRef;
}

/** One visit of a chain: entered from the hook, by a jump or goto, or again after a callee returned. */
export interface ChainVisit {
  id: string;
  chain: string;
  builtin: boolean;
  /** Rules in the chain. */
  ruleCount: number;
  enteredBy: 'hook' | 'jump' | 'goto' | 'return';
  steps: StepNode[];
  /** Rules after the last one evaluated that the packet never reached (the chain was left by a verdict or a goto). */
  notReached: number;
  source: SourceRef;
}

/**
 * Something registered on a hook at a priority: an xtables table's built-in chain, or (once the
 * trace has them) an nft base chain, which would carry its own table and chain name.
 */
export interface StageNode {
  id: string;
  kind: 'xtables-table' | 'nft-base-chain';
  /** `filter`, `mangle`, … (the nft table's name for a base chain). */
  name: string;
  /** The nft base chain's name; for xtables the hook's built-in chain. */
  chain: string;
  /** Kernel priority on the hook (NF_IP_PRI_*), the drawing order. */
  priority: number;
  /**
   * `passed`: the packet went on to the next stage; `drop`, `unknown`: the walk ended here;
   * `skipped`: the stage did not look at the packet (nat for a packet of an existing connection);
   * `absent`: no ruleset has it; `not-reached`: the packet ended before it.
   */
  state: 'passed' | 'drop' | 'unknown' | 'skipped' | 'absent' | 'not-reached';
  doc?: string;
  /** The packet's mark as the stage sees it (when reached). */
  mark?: string;
  visits: ChainVisit[];
}

export interface HookNode {
  id: string;
  name: string;
  stages: StageNode[];
}

export type EdgeKind = 'next' | 'jump' | 'goto' | 'return' | 'verdict';

/** Edges in the order the packet takes them; `from`/`to` are node ids (step, visit, stage or `verdict`). */
export interface DiagramEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label: string;
}

export interface PacketPathDiagram {
  path: Path;
  /** The packet as `criu-lens trace --packet` takes it (unknown fields left out). */
  packet: string;
  mark: string;
  verdict: Verdict;
  /** What the verdict says for this path, e.g. that a local sender gets EPERM. */
  verdictText: string;
  conditions: string[];
  hooks: HookNode[];
  edges: DiagramEdge[];
  culprits: SourceRef[];
  /** Possibilities the evaluator followed; the diagram draws one (the one that ends at a culprit, if any). */
  branches: number;
}

/** NF_IP_PRI_*: where each table sits on its hook (nat: DNAT before filter, SNAT after). */
export function xtablesPriority(table: string, hook: string): number {
  switch (table) {
    case 'raw':
      return -300;
    case 'mangle':
      return -150;
    case 'nat':
      return hook === 'OUTPUT' || hook === 'PREROUTING' ? -100 : 100;
    case 'filter':
      return 0;
    case 'security':
      return 50;
  }
  return 0;
}

/** Runs of rules that did not match are folded when they cover at least this many rules. */
export const FOLD_MIN_RULES = 4;

export interface DiagramInput {
  inputs: readonly AnyRulesetInput[];
  path: Path;
  packet: Packet;
  /** The evaluation of the packet, when the caller has it already. */
  evaluation?: Evaluation;
}

/**
 * One stage as the diagram reads it: an xtables table's built-in chain (PathStage) or an nft base
 * chain, with what the drawing needs of its chains and rules.
 */
interface StageView {
  hook: string;
  kind: StageNode['kind'];
  /** As trace steps name the table (`filter`, `ip filter`). */
  table: string;
  chainName: string;
  priority: number;
  doc?: string;
  present: boolean;
  chainInfo(name: string): { builtin: boolean; ruleCount: number; range: Range } | undefined;
  fallbackRange: Range;
  ruleText(chain: string, index: number): { text: string; comment?: string } | undefined;
  belongs(t: TraceStep, first: boolean): boolean;
}

function xtablesView(stage: PathStage): StageView {
  const table = stage.tableModel;
  return {
    hook: stage.hook,
    kind: 'xtables-table',
    table: stage.table,
    chainName: stage.hook,
    priority: xtablesPriority(stage.table, stage.hook),
    ...(stage.doc !== undefined ? { doc: stage.doc } : {}),
    present: Boolean(stage.chain),
    chainInfo: (name) => {
      const chain = table?.chains.get(name);
      return chain ? { builtin: chain.builtin, ruleCount: chain.rules.length, range: chain.declaration?.range ?? table!.range } : undefined;
    },
    fallbackRange: table?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    ruleText: (chain, index) => {
      const rule = table?.chains.get(chain)?.rules[index - 1];
      return rule ? ruleText(rule) : undefined;
    },
    belongs: (t, first) => belongs(t, stage, first),
  };
}

const HOOK_NAMES: Record<string, string> = { output: 'OUTPUT', postrouting: 'POSTROUTING', prerouting: 'PREROUTING', input: 'INPUT', forward: 'FORWARD' };

function mixedView(stage: MixedStage): StageView {
  if (stage.kind === 'xtables') return { ...xtablesView(stage.stage), priority: stage.priority };
  const { table, chain } = stage;
  const name = `${table.family} ${table.name}`;
  return {
    hook: HOOK_NAMES[stage.hook] ?? stage.hook,
    kind: 'nft-base-chain',
    table: name,
    chainName: chain.name,
    priority: stage.priority,
    doc: stage.doc,
    present: true,
    chainInfo: (n) => {
      const c = table.chains.get(n);
      return c ? { builtin: Boolean(c.base), ruleCount: c.rules.length, range: c.base?.range ?? c.nameRange } : undefined;
    },
    fallbackRange: table.headerRange,
    ruleText: (c, index) => {
      const rule = table.chains.get(c)?.rules[index - 1];
      return rule ? { text: rule.text } : undefined;
    },
    // A base chain's steps start in it; regular chains it jumps to follow until another base chain of this table.
    belongs: (t, first) => t.doc === stage.doc && t.table === name && (first ? t.chain === chain.name : !table.chains.get(t.chain)?.base || t.chain === chain.name),
  };
}

export function packetPathDiagram({ inputs, path, packet, evaluation }: DiagramInput): PacketPathDiagram {
  const e = evaluation ?? evaluateRulesets(inputs, path, packet);
  const stages: StageView[] = inputs.some(isNftInput)
    ? mixedStages(inputs, path, packet).map(mixedView)
    : pathStages(inputs.filter((i) => !isNftInput(i)) as Exclude<AnyRulesetInput, { nft: unknown }>[], path, packet).map(xtablesView);
  const isCulprit = (t: TraceStep) => e.culprits.some((c) => c.doc === t.doc && c.table === t.table && c.chain === t.chain && c.rule === t.rule && t.match !== 'no' && !t.skipped);
  const hooks: HookNode[] = [];
  const edges: DiagramEdge[] = [];
  let ids = 0;
  const id = (p: string) => `${p}${++ids}`;
  let at = 0;
  let mark = packet.mark;
  /** The node the next stage's entry is drawn from. */
  let previous: string | undefined;
  let previousLabel = '';

  for (const stage of stages) {
    let hook = hooks.at(-1);
    if (!hook || hook.name !== stage.hook) hooks.push((hook = { id: id('h'), name: stage.hook, stages: [] }));
    const node: StageNode = { id: id('s'), kind: stage.kind, name: stage.table, chain: stage.chainName, priority: stage.priority, state: 'absent', ...(stage.doc !== undefined ? { doc: stage.doc } : {}), visits: [] };
    hook.stages.push(node);
    if (!stage.present) continue;
    const steps: TraceStep[] = [];
    while (at < e.trace.length && stage.belongs(e.trace[at], steps.length === 0)) steps.push(e.trace[at++]);
    if (!steps.length) {
      node.state = 'not-reached';
      continue;
    }
    node.mark = describeBits(mark);
    const last = at === e.trace.length;
    const inner: DiagramEdge[] = [];
    const visits = chainVisits(stage, steps, id, isCulprit, inner, (m) => {
      mark = m.mark;
    });
    node.visits = visits;
    if (previous) edges.push({ from: previous, to: visits[0].id, kind: 'next', label: previousLabel });
    edges.push(...inner);
    const final = steps.at(-1)!;
    const finalNode = visits.at(-1)!.steps.at(-1)!;
    if (steps.length === 1 && final.rule === 0 && final.match === 'no') node.state = 'skipped';
    else if (last && isCulprit(final)) node.state = 'drop';
    else if (last && e.verdict !== 'accept') node.state = 'unknown';
    else node.state = 'passed';
    previous = finalNode.id;
    previousLabel = node.state === 'skipped' ? 'not looked at' : `${stage.kind === 'nft-base-chain' ? `${stage.table} ${stage.chainName}` : stage.table} done`;
  }
  const verdictText = verdictWords(e.verdict, path);
  if (previous) edges.push({ from: previous, to: 'verdict', kind: 'verdict', label: e.verdict });
  return {
    path,
    packet: packetText(packet),
    mark: describeBits(packet.mark),
    verdict: e.verdict,
    verdictText,
    conditions: e.conditions,
    hooks,
    edges,
    culprits: e.culprits.map((c) => ({ doc: c.doc, range: c.range })),
    branches: e.branches,
  };
}

/** Whether a trace step is part of `stage` (the steps of one stage start in its hook's built-in chain). */
function belongs(t: TraceStep, stage: PathStage, first: boolean): boolean {
  if (t.doc !== stage.doc || t.table !== stage.table) return false;
  if (first) return t.chain === stage.hook;
  // A later stage of the same table (mangle OUTPUT, then mangle POSTROUTING) starts in another built-in chain.
  const builtin = stage.tableModel?.chains.get(t.chain)?.builtin;
  return !builtin || t.chain === stage.hook;
}

function verdictWords(verdict: Verdict, path: Path): string {
  if (verdict === 'drop') return path === 'local-out' ? 'DROP: the sender gets EPERM (sendto: Operation not permitted)' : 'DROP: the packet is discarded';
  if (verdict === 'accept') return path === 'local-out' ? 'ACCEPT: the packet leaves' : path === 'input' ? 'ACCEPT: delivered to the local socket' : 'ACCEPT: forwarded';
  return 'UNKNOWN: it depends on fields the packet left open';
}

/** Splits one stage's steps into chain visits, with step nodes (folded) and the edges between visits. */
function chainVisits(stage: StageView, steps: readonly TraceStep[], id: (p: string) => string, isCulprit: (t: TraceStep) => boolean, edges: DiagramEdge[], onMarks: (m: { mark: Bits; ctmark: Bits }) => void): ChainVisit[] {
  const visits: { visit: ChainVisit; raw: TraceStep[] }[] = [];
  let current: { visit: ChainVisit; raw: TraceStep[] } | undefined;
  let enteredBy: ChainVisit['enteredBy'] = 'hook';
  for (const t of steps) {
    if (!current || current.visit.chain !== t.chain) {
      const chain = stage.chainInfo(t.chain);
      const visit: ChainVisit = {
        id: id('c'),
        chain: t.chain,
        builtin: chain?.builtin ?? false,
        ruleCount: chain?.ruleCount ?? 0,
        enteredBy,
        steps: [],
        notReached: 0,
        source: { doc: t.doc, range: chain?.range ?? stage.fallbackRange },
      };
      current = { visit, raw: [] };
      visits.push(current);
    }
    current.raw.push(t);
    enteredBy = t.match !== 'no' && t.action.startsWith('jump ') ? 'jump' : t.match !== 'no' && t.action.startsWith('goto ') ? 'goto' : 'return';
  }
  let from: StepNode | undefined;
  for (const [k, { visit, raw }] of visits.entries()) {
    visit.steps = stepNodes(raw, stage, id, isCulprit, onMarks);
    if (from) edges.push({ from: from.id, to: visit.id, kind: visit.enteredBy === 'hook' ? 'next' : visit.enteredBy, label: visit.enteredBy === 'return' ? `back to ${visit.chain}` : `${visit.enteredBy} ${visit.chain}` });
    from = visit.steps.at(-1);
    // The packet left this visit for good (a verdict, or a goto out of it): the rest of the chain was never read.
    const leftFor = visits[k + 1]?.visit.enteredBy;
    const lastRule = raw.filter((t) => t.rule > 0).map((t) => t.rule + (t.skipped ?? 1) - 1);
    const ended = raw.at(-1)!.rule === 0 || raw.at(-1)!.action === 'RETURN' || raw.at(-1)!.action === 'return';
    if (lastRule.length && !ended && leftFor !== 'jump') visit.notReached = Math.max(0, visit.ruleCount - Math.max(...lastRule));
  }
  return visits.map((v) => v.visit);
}

function stepNodes(raw: readonly TraceStep[], stage: StageView, id: (p: string) => string, isCulprit: (t: TraceStep) => boolean, onMarks: (m: { mark: Bits; ctmark: Bits }) => void): StepNode[] {
  const nodes: StepNode[] = [];
  let run: TraceStep[] = [];
  const flush = () => {
    const rules = run.reduce((n, t) => n + (t.skipped ?? 1), 0);
    if (rules >= FOLD_MIN_RULES || run.some((t) => t.skipped)) {
      const first = run[0];
      const lastStep = run.at(-1)!;
      const to = lastStep.rule + (lastStep.skipped ?? 1) - 1;
      const indexed = run.reduce((n, t) => n + (t.skipped ?? 0), 0);
      nodes.push({
        id: id('r'),
        kind: 'fold',
        state: 'not-matched',
        rule: first.rule,
        to,
        count: rules,
        indexed,
        action: `rules ${first.rule}–${to}: no match (${rules} rules${indexed ? `, ${indexed} passed over by the chain index` : ''})`,
        culprit: false,
        source: { doc: first.doc, range: { start: first.range.start, end: lastStep.range.end } },
      });
    } else for (const t of run) nodes.push(stepNode(t, stage, id, false));
    run = [];
  };
  for (const t of raw) {
    if (t.match === 'no' && t.rule > 0) {
      run.push(t);
      continue;
    }
    if (run.length) flush();
    const node = stepNode(t, stage, id, isCulprit(t));
    if (t.marks) {
      onMarks(t.marks);
      node.mark = describeBits(t.marks.mark);
      node.ctmark = describeBits(t.marks.ctmark);
    }
    nodes.push(node);
  }
  if (run.length) flush();
  return nodes;
}

function stepNode(t: TraceStep, stage: StageView, id: (p: string) => string, culprit: boolean): StepNode {
  const state: RuleState = t.match === 'yes' ? 'matched' : t.match === 'no' ? 'not-matched' : 'unknown';
  const base = { id: id('r'), state, rule: t.rule, action: t.action, culprit, source: { doc: t.doc, range: t.range } };
  if (t.rule === 0) {
    const kind: StepNode['kind'] = t.action.startsWith('nat skipped') ? 'note' : t.action.startsWith('end of ') && t.action.endsWith(': return') ? 'chain-end' : 'policy';
    return { ...base, kind };
  }
  return { ...base, kind: 'rule', ...(stage.ruleText(t.chain, t.rule) ?? {}) };
}

/** The rule as iptables-save writes it after `-A CHAIN`, with its comment apart. */
export function ruleText(rule: Rule): { text: string; comment?: string } {
  const option = (o: OptionUse) => [o.negated ? '!' : '', o.written, ...o.args.map((a) => (a.quoted || /\s/.test(a.text) ? JSON.stringify(a.text) : a.text))].filter(Boolean).join(' ');
  const parts: string[] = rule.basic.map(option);
  let comment: string | undefined;
  for (const m of rule.matches) {
    if (m.module === 'comment') {
      comment = m.options.find((o) => o.name === 'comment')?.args[0]?.text;
      continue;
    }
    if (m.nameRange) parts.push(`-m ${m.module}`);
    parts.push(...m.options.map(option));
  }
  const target = rule.target;
  if (target) parts.push(`${target.goto ? '-g' : '-j'} ${target.name}`, ...target.options.map(option));
  return { text: parts.join(' '), ...(comment !== undefined ? { comment } : {}) };
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** The packet in `--packet` syntax: the fields it knows. */
export function packetText(p: Packet): string {
  const fields: string[] = [];
  if (p.family) fields.push(`family=${p.family}`);
  if (p.proto) fields.push(`proto=${p.proto}`);
  const address = (a: bigint) => formatAddress(a, p.family ?? 'ipv4');
  if (p.src !== undefined) fields.push(`src=${p.srcText ?? address(p.src)}`);
  if (p.sport !== undefined) fields.push(`sport=${p.sport}`);
  if (p.dst !== undefined) fields.push(`dst=${p.dstText ?? address(p.dst)}`);
  if (p.dport !== undefined) fields.push(`dport=${p.dport}`);
  if (p.flags) fields.push(`flags=${p.flags.join(',')}`);
  if (p.mark.known === 0xffffffff) fields.push(`mark=${hex(p.mark.value)}`);
  if (p.ctmark.known === 0xffffffff) fields.push(`ctmark=${hex(p.ctmark.value)}`);
  if (p.iif) fields.push(`iif=${p.iif}`);
  if (p.oif) fields.push(`oif=${p.oif}`);
  if (p.ct) fields.push(`ct=${p.ct.toLowerCase()}`);
  return fields.join(' ');
}

/** Every node of the diagram that points at a rule (for tests and keyboard order): steps in drawing order. */
export function diagramSteps(d: PacketPathDiagram): StepNode[] {
  return d.hooks.flatMap((h) => h.stages.flatMap((s) => s.visits.flatMap((v) => v.steps)));
}

/** The diagram of CRIU's FIN against one ruleset of an EPERM → rule link (the evaluation is the link's own). */
export function finLinkDiagram(packet: Packet, verdict: { ruleset: AnyRulesetInput; evaluation: Evaluation }): PacketPathDiagram {
  return packetPathDiagram({ inputs: [verdict.ruleset], path: 'local-out', packet, evaluation: verdict.evaluation });
}
