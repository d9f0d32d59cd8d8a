/**
 * What is at a position of an nftables file, and where chains, sets and variables are declared
 * and used: the plain-data answers behind hover, definition, references and symbols.
 */
import type { Position, Range } from '../../core/text';
import type { Chain, Define, Expr, NamedSet, NftRuleset, Reference, Rule, Statement, Table } from './model';

export type NftNode =
  | { kind: 'table'; table: Table; range: Range }
  | { kind: 'chain'; table: Table; chain: Chain; range: Range; ref?: Reference }
  | { kind: 'set'; table: Table; set: NamedSet; range: Range; ref?: Reference }
  | { kind: 'variable'; name: string; define?: Define; range: Range }
  | { kind: 'base'; part: 'type' | 'hook' | 'priority' | 'policy'; table: Table; chain: Chain; range: Range }
  | { kind: 'statement'; table: Table; chain: Chain; rule: Rule; statement: Statement; range: Range }
  | { kind: 'expr'; table: Table; chain: Chain; rule: Rule; statement: Statement; expr: Expr; side: 'left' | 'right'; range: Range }
  | { kind: 'unresolved'; ref: Reference; range: Range }
  | { kind: 'warning'; table: Table; range: Range };

export function contains(range: Range, pos: Position): boolean {
  const afterStart = pos.line > range.start.line || (pos.line === range.start.line && pos.character >= range.start.character);
  const beforeEnd = pos.line < range.end.line || (pos.line === range.end.line && pos.character <= range.end.character);
  return afterStart && beforeEnd;
}

export function* rulesOf(chain: Chain): Generator<Rule> {
  const walk = function* (rules: readonly Rule[]): Generator<Rule> {
    for (const r of rules) {
      yield r;
      for (const s of r.statements) if (s.kind === 'verdict' && s.binding) yield* walk(s.binding);
    }
  };
  yield* walk(chain.rules);
}

export function nodeAt(ruleset: NftRuleset, pos: Position): NftNode | undefined {
  for (const ref of ruleset.references) {
    if (!contains(ref.range, pos)) continue;
    if (ref.kind === 'variable') return { kind: 'variable', name: ref.name, define: ruleset.defines.get(ref.name), range: ref.range };
    const table = ref.table;
    if (ref.kind === 'chain' && table?.chains.has(ref.name)) return { kind: 'chain', table, chain: table.chains.get(ref.name)!, range: ref.range, ref };
    if (ref.kind === 'set' && table?.sets.has(ref.name)) return { kind: 'set', table, set: table.sets.get(ref.name)!, range: ref.range, ref };
    return { kind: 'unresolved', ref, range: ref.range };
  }
  for (const d of ruleset.defines.values()) if (contains(d.nameRange, pos)) return { kind: 'variable', name: d.name, define: d, range: d.nameRange };
  for (const table of ruleset.tables) {
    if (table.managedByIptablesNft && contains(table.managedByIptablesNft, pos)) return { kind: 'warning', table, range: table.managedByIptablesNft };
    if (!contains(table.range, pos) && !contains(table.headerRange, pos)) continue;
    if (contains(table.headerRange, pos)) return { kind: 'table', table, range: table.headerRange };
    for (const set of table.sets.values()) if (contains(set.nameRange, pos)) return { kind: 'set', table, set, range: set.nameRange };
    for (const chain of table.chains.values()) {
      for (const d of chain.declarations) if (contains(d, pos)) return { kind: 'chain', table, chain, range: d };
      const base = chain.base;
      if (base) {
        if (contains(base.type.range, pos)) return { kind: 'base', part: 'type', table, chain, range: base.type.range };
        if (contains(base.hook.range, pos)) return { kind: 'base', part: 'hook', table, chain, range: base.hook.range };
        if (base.priority && contains(base.priority.range, pos)) return { kind: 'base', part: 'priority', table, chain, range: base.priority.range };
      }
      if (chain.policy && contains(chain.policy.range, pos)) return { kind: 'base', part: 'policy', table, chain, range: chain.policy.range };
      for (const rule of rulesOf(chain)) {
        if (!contains(rule.range, pos)) continue;
        for (const st of rule.statements) {
          if (!contains(st.range, pos)) continue;
          if (st.kind === 'verdict' && st.binding && !contains(st.keyword.range, pos)) continue;
          if (st.kind === 'match') {
            const left = innermost(st.left, pos);
            if (left) return { kind: 'expr', table, chain, rule, statement: st, expr: left, side: 'left', range: left.range };
            const right = innermost(st.right, pos);
            if (right) return { kind: 'expr', table, chain, rule, statement: st, expr: right, side: 'right', range: right.range };
            return { kind: 'statement', table, chain, rule, statement: st, range: st.opRange ?? st.range };
          }
          if (st.kind === 'set') {
            const target = innermost(st.target, pos);
            if (target) return { kind: 'expr', table, chain, rule, statement: st, expr: target, side: 'left', range: target.range };
          }
          if (st.kind === 'vmap') {
            const key = innermost(st.key, pos);
            if (key) return { kind: 'expr', table, chain, rule, statement: st, expr: key, side: 'left', range: key.range };
          }
          return { kind: 'statement', table, chain, rule, statement: st, range: st.keyword.range };
        }
      }
    }
    return { kind: 'table', table, range: table.headerRange };
  }
  return undefined;
}

/** The smallest selector or value under the position (a selector as a whole: `ip saddr`). */
function innermost(e: Expr, pos: Position): Expr | undefined {
  if (!contains(e.range, pos)) return undefined;
  switch (e.kind) {
    case 'binop': return innermost(e.left, pos) ?? innermost(e.right, pos) ?? e;
    case 'concat': for (const p of e.parts) { const hit = innermost(p, pos); if (hit) return hit; } return e;
    case 'list': for (const p of e.items) { const hit = innermost(p, pos); if (hit) return hit; } return e;
    case 'map': return innermost(e.key, pos) ?? innermost(e.map, pos) ?? e;
    case 'set': for (const el of e.elements) { const hit = innermost(el.key, pos) ?? (el.value && innermost(el.value, pos)); if (hit) return hit; } return e;
    default: return e;
  }
}

/** Jumps, gotos and `@name` uses of a chain or set of a table. */
export function referencesTo(ruleset: NftRuleset, kind: 'chain' | 'set', table: Table, name: string): Reference[] {
  return ruleset.references.filter((r) => r.kind === kind && r.table === table && r.name === name);
}

export function variableReferences(ruleset: NftRuleset, name: string): Reference[] {
  return ruleset.references.filter((r) => r.kind === 'variable' && r.name === name);
}

/** A rule's text on one line, shortened for symbols and traces. */
export function ruleSummary(rule: Rule, max = 80): string {
  const text = rule.text.replace(/\s+/g, ' ').trim() || '(empty rule)';
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}
