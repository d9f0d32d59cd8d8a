/**
 * Definition, references, symbols and folding for nftables files: tables hold chains, sets and
 * objects; chains hold rules; jumps name chains, `@name` names sets, `$name` names defines.
 */
import { FoldingRangeKind, SymbolKind, type DocumentSymbol, type FoldingRange, type Location, type Position } from 'vscode-languageserver';
import type { Range } from '../core/text';
import type { NftRuleset } from '../netfilter/nftables/model';
import { nodeAt, referencesTo, ruleSummary, variableReferences } from '../netfilter/nftables/query';

export function nftDefinition(uri: string, ruleset: NftRuleset, position: Position): Location | null {
  const node = nodeAt(ruleset, position);
  if (!node) return null;
  if (node.kind === 'chain') return { uri, range: node.chain.nameRange };
  if (node.kind === 'set') return { uri, range: node.set.nameRange };
  if (node.kind === 'variable' && node.define) return { uri, range: node.define.nameRange };
  return null;
}

export function nftReferences(uri: string, ruleset: NftRuleset, position: Position, includeDeclaration: boolean): Location[] {
  const node = nodeAt(ruleset, position);
  const out: Range[] = [];
  if (node?.kind === 'chain') {
    if (includeDeclaration) out.push(...node.chain.declarations);
    out.push(...referencesTo(ruleset, 'chain', node.table, node.chain.name).map((r) => r.range));
  } else if (node?.kind === 'set') {
    if (includeDeclaration) out.push(node.set.nameRange);
    out.push(...referencesTo(ruleset, 'set', node.table, node.set.name).map((r) => r.range));
  } else if (node?.kind === 'variable') {
    if (includeDeclaration && node.define) out.push(node.define.nameRange);
    out.push(...variableReferences(ruleset, node.name).map((r) => r.range));
  }
  return out.map((range) => ({ uri, range }));
}

export function nftSymbols(ruleset: NftRuleset): DocumentSymbol[] {
  const defines = [...ruleset.defines.values()].map((d): DocumentSymbol => ({ name: `$${d.name}`, detail: d.value.length > 60 ? d.value.slice(0, 59) + '…' : d.value, kind: SymbolKind.Constant, range: cover(d.range, d.nameRange), selectionRange: d.nameRange }));
  return [...defines, ...tableSymbols(ruleset)];
}

function tableSymbols(ruleset: NftRuleset): DocumentSymbol[] {
  return ruleset.tables.map((table) => {
    const chains = [...table.chains.values()].map((chain): DocumentSymbol => ({
      name: chain.name,
      detail: chain.base ? `${chain.base.type.text} hook ${chain.base.hook.text} priority ${chain.base.priority?.text ?? '?'}; policy ${chain.policy?.text ?? 'accept'}` : `${chain.rules.length} rules`,
      kind: chain.base ? SymbolKind.Event : SymbolKind.Function,
      range: cover(chain.range, chain.nameRange),
      selectionRange: chain.nameRange,
      children: chain.rules.map((rule) => ({ name: `${rule.index}: ${ruleSummary(rule)}`, kind: SymbolKind.Field, range: rule.range, selectionRange: rule.range })),
    }));
    const sets = [...table.sets.values()].map((set): DocumentSymbol => ({
      name: `@${set.name}`,
      detail: `${set.kind} ${set.keyType ?? ''}${set.valueType ? ` : ${set.valueType}` : ''}`,
      kind: set.kind === 'map' ? SymbolKind.Object : SymbolKind.Array,
      range: cover(set.range, set.nameRange),
      selectionRange: set.nameRange,
    }));
    const flowtables = [...table.flowtables.values()].map((f): DocumentSymbol => ({ name: f.name, detail: 'flowtable', kind: SymbolKind.Struct, range: cover(f.range, f.nameRange), selectionRange: f.nameRange }));
    const objects = table.objects.map((o): DocumentSymbol => ({ name: o.name, detail: o.type, kind: SymbolKind.Variable, range: cover(o.range, o.nameRange), selectionRange: o.nameRange }));
    return {
      name: `table ${table.family} ${table.name}`,
      kind: SymbolKind.Namespace,
      range: cover(table.range, table.nameRange),
      selectionRange: table.nameRange,
      children: [...chains, ...sets, ...flowtables, ...objects],
    };
  });
}

/** A symbol's range must contain its selection range, whatever shape the declaration took. */
function cover(range: Range, inner: Range): Range {
  const before = (a: Range['start'], b: Range['start']) => a.line < b.line || (a.line === b.line && a.character < b.character);
  return { start: before(inner.start, range.start) ? inner.start : range.start, end: before(range.end, inner.end) ? inner.end : range.end };
}

export function nftFolding(ruleset: NftRuleset): FoldingRange[] {
  const out: FoldingRange[] = [];
  const fold = (r: Range) => { if (r.end.line > r.start.line) out.push({ startLine: r.start.line, endLine: r.end.line, kind: FoldingRangeKind.Region }); };
  for (const table of ruleset.tables) {
    fold(table.range);
    for (const c of table.chains.values()) fold(c.range);
    for (const s of table.sets.values()) fold(s.range);
    for (const f of table.flowtables.values()) fold(f.range);
    for (const o of table.objects) fold(o.range);
    // Rules that span lines: anonymous chains (`jump { … }`) and sets written over several lines.
    for (const c of table.chains.values()) for (const r of c.rules) fold(r.range);
  }
  return out;
}
