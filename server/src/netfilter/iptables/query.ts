/**
 * What is at a position of a dump, and where a chain is declared and used: the plain-data
 * answers behind hover, definition, references and symbols.
 */
import type { Position, Range } from '../../core/text';
import type { Chain, ChainReference, Counters, IptablesRuleset, MatchUse, OptionUse, Rule, Table, TargetUse } from './model';
import { ruleOptions } from './rule';
import { DumpChain } from './chain';

export type DumpNode =
  | { kind: 'table'; table: Table; range: Range }
  | { kind: 'chain'; table: Table; chain: Chain; range: Range; rule?: Rule }
  | { kind: 'target'; table: Table; rule: Rule; target: TargetUse; range: Range }
  | { kind: 'module'; table: Table; rule: Rule; match: MatchUse; range: Range }
  | { kind: 'option'; table: Table; rule: Rule; option: OptionUse; owner: MatchUse | TargetUse | undefined; range: Range; argIndex?: number }
  | { kind: 'counters'; counters: Counters; range: Range; chain?: Chain; rule?: Rule };

export function contains(range: Range, pos: Position): boolean {
  const afterStart = pos.line > range.start.line || (pos.line === range.start.line && pos.character >= range.start.character);
  const beforeEnd = pos.line < range.end.line || (pos.line === range.end.line && pos.character <= range.end.character);
  return afterStart && beforeEnd;
}

/**
 * Per parsed ruleset (a new version is a new object), built on first use: hover, definition and
 * references ask per request, and a scan of every rule or chain costs ~100 ms on 100k rules. Kept
 * as columns, not maps of objects: on a 700k-rule dump maps by line and by `table\0chain` key held
 * ~150 MB, more than half the model itself.
 */
interface LineIndex {
  /** What each line holds: the rule it adds, or the chain it declares (a line holds one command). */
  at: (Rule | Chain | undefined)[];
  /** Chains that are jumped to, numbered; the jumps to chain k are jumps[start[k]] .. jumps[start[k + 1] - 1]. */
  callees: Map<Chain, number>;
  start: Int32Array;
  jumps: Rule[];
}
const indexes = new WeakMap<IptablesRuleset, LineIndex>();

function lineIndex(ruleset: IptablesRuleset): LineIndex {
  let index = indexes.get(ruleset);
  if (index) return index;
  const at: LineIndex['at'] = new Array<Rule | Chain | undefined>(ruleset.lineCount).fill(undefined);
  for (const table of ruleset.tables) {
    for (const chain of table.chains.values()) {
      for (const rule of chain.rules) at[rule.line] = rule;
      // A dump's chain tells its declaration's line without making the declaration.
      const line = chain instanceof DumpChain ? chain.declarationLine : chain.declaration?.line;
      if (line !== undefined) at[line] = chain;
    }
  }
  // Jumps grouped by the chain they reach, in the order of ruleset.references (a counting sort).
  const callees = new Map<Chain, number>();
  const targets: number[] = [];
  const rules: Rule[] = [];
  const add = (rule: Rule, chain: Chain | undefined) => {
    if (!chain) return;
    let k = callees.get(chain);
    if (k === undefined) callees.set(chain, (k = callees.size));
    targets.push(k);
    rules.push(rule);
  };
  if (ruleset.eachJump) ruleset.eachJump(add);
  else for (const ref of ruleset.references) add(ref.rule, tableAt(ruleset, ref.rule.line)?.chains.get(ref.chain));
  const start = new Int32Array(callees.size + 1);
  for (const k of targets) start[k + 1]++;
  for (let k = 0; k < callees.size; k++) start[k + 1] += start[k];
  const next = start.slice(0, callees.size);
  const jumps = new Array<Rule>(rules.length);
  for (let j = 0; j < rules.length; j++) jumps[next[targets[j]]++] = rules[j];
  index = { at, callees, start, jumps };
  indexes.set(ruleset, index);
  return index;
}

/** The table a line belongs to: the last one opened at or before it (tables are in line order). */
function tableAt(ruleset: IptablesRuleset, line: number): Table | undefined {
  const tables = ruleset.tables;
  let lo = 0;
  let hi = tables.length - 1;
  let found: Table | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (tables[mid].line <= line) {
      found = tables[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

const isChain = (x: Rule | Chain): x is Chain => 'builtin' in x;

/** The rule on `line` and its table, if the line adds a rule still in the ruleset (rules deleted by -D/-F are gone). */
export function ruleAt(ruleset: IptablesRuleset, line: number): { table: Table; rule: Rule } | undefined {
  const x = lineIndex(ruleset).at[line];
  if (!x || isChain(x)) return undefined;
  const table = tableAt(ruleset, line);
  return table && { table, rule: x };
}

export function nodeAt(ruleset: IptablesRuleset, pos: Position): DumpNode | undefined {
  for (const table of ruleset.tables) if (contains(table.range, pos)) return { kind: 'table', table, range: table.range };
  const x = lineIndex(ruleset).at[pos.line];
  const table = x && tableAt(ruleset, pos.line);
  if (!x || !table) return undefined;
  if (isChain(x)) {
    const chain = x;
    const decl = chain.declaration!;
    if (contains(decl.nameRange, pos)) return { kind: 'chain', table, chain, range: decl.nameRange };
    const counters = chain.counters;
    if (counters && contains(counters.range, pos)) return { kind: 'counters', counters, range: counters.range, chain };
    return undefined;
  }
  const rule = x;
  if (contains(rule.chainRange, pos)) {
    const chain = table.chains.get(rule.chain);
    if (chain) return { kind: 'chain', table, chain, range: rule.chainRange, rule };
  }
  if (rule.counters && contains(rule.counters.range, pos)) return { kind: 'counters', counters: rule.counters, range: rule.counters.range, rule };
  const target = rule.target;
  if (target && contains(target.nameRange, pos)) {
    const chain = target.kind === 'chain' ? table.chains.get(target.name) : undefined;
    if (chain) return { kind: 'chain', table, chain, range: target.nameRange, rule };
    return { kind: 'target', table, rule, target, range: target.nameRange };
  }
  const optionHit = (option: OptionUse, owner: MatchUse | TargetUse | undefined): DumpNode | undefined => {
    if (!contains(option.range, pos)) return undefined;
    const argIndex = option.args.findIndex((a) => contains(a.range, pos));
    return { kind: 'option', table, rule, option, owner, range: option.range, ...(argIndex >= 0 ? { argIndex } : {}) };
  };
  for (const option of rule.basic) {
    const found = optionHit(option, undefined);
    if (found) return found;
  }
  for (const match of rule.matches) {
    if (match.nameRange && contains(match.nameRange, pos)) return { kind: 'module', table, rule, match, range: match.nameRange };
    for (const option of match.options) {
      const found = optionHit(option, match);
      if (found) return found;
    }
  }
  if (target) {
    for (const option of target.options) {
      const found = optionHit(option, target);
      if (found) return found;
    }
    if (contains(target.range, pos)) return { kind: 'target', table, rule, target, range: target.nameRange };
  }
  return undefined;
}

/** The jumps to `chain` of `table`, as their span in the index's list (empty when none). */
function jumpSpan(ruleset: IptablesRuleset, table: Table, chain: string): { index: LineIndex; from: number; to: number } {
  const index = lineIndex(ruleset);
  const target = table.chains.get(chain);
  const k = target && index.callees.get(target);
  return k === undefined ? { index, from: 0, to: 0 } : { index, from: index.start[k], to: index.start[k + 1] };
}

/** How many jumps and gotos reach a chain. */
export function referenceCount(ruleset: IptablesRuleset, table: Table, chain: string): number {
  const { from, to } = jumpSpan(ruleset, table, chain);
  return to - from;
}

/**
 * Jumps and gotos to a chain, in rule order, at most `limit` of them (made for each call: kube's
 * KUBE-MARK-MASQ is the target of a third of a big dump's rules, and a hover lists twenty).
 */
export function referencesTo(ruleset: IptablesRuleset, table: Table, chain: string, limit = Infinity): ChainReference[] {
  const { index, from, to } = jumpSpan(ruleset, table, chain);
  const out: ChainReference[] = [];
  for (let j = from; j < to && out.length < limit; j++) out.push(new JumpTo(table.name, chain, index.jumps[j]));
  return out;
}

/** A `-j/-g CHAIN` reference; its range (the target's name) is made when asked for. */
class JumpTo implements ChainReference {
  constructor(
    readonly table: Table['name'],
    readonly chain: string,
    readonly rule: Rule,
  ) {}

  get range(): Range {
    return this.rule.target!.nameRange;
  }
}

/**
 * The rule as iptables-save would print it after `-A CHAIN` (for symbols and traces). The outline
 * asks for every rule: the options read for it are not kept on the rule.
 */
export function ruleSummary(rule: Rule, max = 80): string {
  const { basic, matches, target } = ruleOptions(rule);
  const parts: string[] = [];
  const opt = (o: OptionUse) => `${o.negated ? '! ' : ''}${o.written}${o.args.length ? ' ' + o.args.map((a) => (/[\s"]/.test(a.text) ? JSON.stringify(a.text) : a.text)).join(' ') : ''}`;
  for (const o of basic) parts.push(opt(o));
  for (const m of matches) {
    if (m.module === 'comment') continue;
    if (m.nameRange) parts.push(`-m ${m.module}`);
    for (const o of m.options) parts.push(opt(o));
  }
  if (target) parts.push(`${target.goto ? '-g' : '-j'} ${target.name}`, ...target.options.map(opt));
  const text = parts.join(' ') || '(matches everything, no target)';
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}
