/**
 * What is at a position of a dump, and where a chain is declared and used: the plain-data
 * answers behind hover, definition, references and symbols.
 */
import type { Position, Range } from '../../core/text';
import type { Chain, ChainReference, Counters, IptablesRuleset, MatchUse, OptionUse, Rule, Table, TargetUse } from './model';
import { ruleOptions } from './rule';

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
 * references ask per request, and a scan of every rule or chain costs ~100 ms on 100k rules.
 */
interface LineIndex {
  rules: Map<number, { table: Table; rule: Rule }>;
  declarations: Map<number, { table: Table; chain: Chain }[]>;
  references: Map<string, ChainReference[]>;
}
const indexes = new WeakMap<IptablesRuleset, LineIndex>();

function lineIndex(ruleset: IptablesRuleset): LineIndex {
  let index = indexes.get(ruleset);
  if (index) return index;
  index = { rules: new Map(), declarations: new Map(), references: new Map() };
  for (const table of ruleset.tables) {
    for (const chain of table.chains.values()) {
      for (const rule of chain.rules) index.rules.set(rule.line, { table, rule });
      const line = chain.declaration?.line;
      if (line === undefined) continue;
      const here = index.declarations.get(line);
      if (here) here.push({ table, chain });
      else index.declarations.set(line, [{ table, chain }]);
    }
  }
  for (const r of ruleset.references) {
    const key = `${r.table}\0${r.chain}`;
    const refs = index.references.get(key);
    if (refs) refs.push(r);
    else index.references.set(key, [r]);
  }
  indexes.set(ruleset, index);
  return index;
}

/** Every rule still in the ruleset, by line (rules deleted by -D/-F are gone). */
export function rulesByLine(ruleset: IptablesRuleset): Map<number, { table: Table; rule: Rule }> {
  return lineIndex(ruleset).rules;
}

export function nodeAt(ruleset: IptablesRuleset, pos: Position, byLine = rulesByLine(ruleset)): DumpNode | undefined {
  for (const table of ruleset.tables) if (contains(table.range, pos)) return { kind: 'table', table, range: table.range };
  for (const { table, chain } of lineIndex(ruleset).declarations.get(pos.line) ?? []) {
    const decl = chain.declaration!;
    if (contains(decl.nameRange, pos)) return { kind: 'chain', table, chain, range: decl.nameRange };
    if (chain.counters && contains(chain.counters.range, pos)) return { kind: 'counters', counters: chain.counters, range: chain.counters.range, chain };
  }
  const hit = byLine.get(pos.line);
  if (!hit) return undefined;
  const { table, rule } = hit;
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

/** Jumps and gotos to a chain (shared: do not modify). */
export function referencesTo(ruleset: IptablesRuleset, table: Table, chain: string): ChainReference[] {
  return lineIndex(ruleset).references.get(`${table.name}\0${chain}`) ?? [];
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
