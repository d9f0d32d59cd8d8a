/**
 * Definition, references, symbols and folding for rulesets: chains are the functions of a dump.
 */
import { FoldingRangeKind, SymbolKind, type DocumentSymbol, type FoldingRange, type Location, type Position, type SymbolInformation } from 'vscode-languageserver';
import type { DocumentModel } from '../analysis';
import type { IptablesRuleset } from '../netfilter/iptables/model';
import { nodeAt, referencesTo, ruleSummary } from '../netfilter/iptables/query';

export function definition(uri: string, model: DocumentModel, position: Position): Location | null {
  if (model.language !== 'iptables-save') return null;
  const node = nodeAt(model.ruleset, position);
  if (node?.kind !== 'chain') return null;
  const decl = node.chain.declaration;
  return decl ? { uri, range: decl.nameRange } : null;
}

export function references(uri: string, model: DocumentModel, position: Position, includeDeclaration: boolean): Location[] {
  if (model.language !== 'iptables-save') return [];
  const node = nodeAt(model.ruleset, position);
  if (node?.kind !== 'chain') return [];
  const out: Location[] = [];
  if (includeDeclaration && node.chain.declaration) out.push({ uri, range: node.chain.declaration.nameRange });
  for (const ref of referencesTo(model.ruleset, node.table, node.chain.name)) out.push({ uri, range: ref.range });
  return out;
}

export function documentSymbols(model: DocumentModel): DocumentSymbol[] {
  if (model.language !== 'iptables-save') return [];
  return model.ruleset.tables.map((table) => {
    const endLine = table.endLine;
    const chains = [...table.chains.values()].map((chain): DocumentSymbol => {
      const decl = chain.declaration;
      const lines = [decl?.line, ...chain.rules.map((r) => r.line)].filter((l): l is number => l !== undefined);
      const start = Math.min(...(lines.length ? lines : [table.line]));
      const end = Math.max(...(lines.length ? lines : [table.line]));
      const selection = decl?.nameRange ?? chain.rules[0]?.chainRange ?? table.range;
      return {
        name: chain.name,
        detail: chain.builtin ? `policy ${chain.policy ?? 'ACCEPT'}, ${chain.rules.length} rules` : `${chain.rules.length} rules`,
        kind: chain.builtin ? SymbolKind.Event : SymbolKind.Function,
        range: { start: { line: start, character: 0 }, end: { line: end, character: Number.MAX_SAFE_INTEGER } },
        selectionRange: selection,
        children: chain.rules.map((rule) => ({
          name: `${rule.index}: ${ruleSummary(rule)}`,
          kind: SymbolKind.Field,
          range: rule.range,
          selectionRange: rule.range,
        })),
      };
    });
    return {
      name: `*${table.name}`,
      kind: SymbolKind.Namespace,
      range: { start: table.range.start, end: { line: endLine, character: Number.MAX_SAFE_INTEGER } },
      selectionRange: table.range,
      children: chains,
    };
  });
}

export function foldingRanges(model: DocumentModel): FoldingRange[] {
  if (model.language !== 'iptables-save') return [];
  const out: FoldingRange[] = [];
  for (const table of model.ruleset.tables) {
    if (table.endLine > table.line) out.push({ startLine: table.line, endLine: table.endLine, kind: FoldingRangeKind.Region });
    // iptables-save prints each chain's rules together: fold every run of two or more lines.
    for (const chain of table.chains.values()) {
      const lines = chain.rules.map((r) => r.line).sort((a, b) => a - b);
      let start = 0;
      for (let k = 1; k <= lines.length; k++) {
        if (k === lines.length || lines[k] !== lines[k - 1] + 1) {
          if (k - 1 > start) out.push({ startLine: lines[start], endLine: lines[k - 1] });
          start = k;
        }
      }
    }
  }
  return out;
}

/** Chains of every open ruleset whose name contains the query (case-insensitive). */
export function workspaceSymbols(query: string, models: Iterable<[string, IptablesRuleset]>, limit = 500): SymbolInformation[] {
  const q = query.toLowerCase();
  const out: SymbolInformation[] = [];
  for (const [uri, ruleset] of models) {
    for (const table of ruleset.tables) {
      for (const chain of table.chains.values()) {
        if (!chain.name.toLowerCase().includes(q)) continue;
        const range = chain.declaration?.nameRange ?? table.range;
        out.push({ name: chain.name, kind: chain.builtin ? SymbolKind.Event : SymbolKind.Function, containerName: table.name, location: { uri, range } });
        if (out.length >= limit) return out;
      }
    }
  }
  return out;
}
