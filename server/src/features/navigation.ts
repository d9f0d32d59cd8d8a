/**
 * Definition, references, symbols and folding for rulesets: chains are the functions of a dump.
 */
import { FoldingRangeKind, SymbolKind, type DocumentSymbol, type FoldingRange, type Location, type Position } from 'vscode-languageserver';
import type { DocumentModel } from '../analysis';
import type { CriuLogAnalysis } from '../criu/analyse';
import { tokenAt } from '../criu/explain';
import { causeOf, outline, taskFolds, usesAt, type OutlineItem } from '../criu/navigation';
import { nodeAt, referencesTo, ruleSummary } from '../netfilter/iptables/query';
import { nftDefinition, nftFolding, nftReferences, nftSymbols } from './nftNavigation';
import { traceFolds, traceOutline, type TraceOutlineItem } from '../ktrace/outline';

const traceKinds: Record<TraceOutlineItem['kind'], SymbolKind> = {
  call: SymbolKind.Function,
  packet: SymbolKind.Event,
  step: SymbolKind.Field,
  event: SymbolKind.Event,
  evidence: SymbolKind.Key,
};

function traceSymbol(item: TraceOutlineItem): DocumentSymbol {
  return {
    name: item.name || '(empty)',
    ...(item.detail ? { detail: item.detail } : {}),
    kind: traceKinds[item.kind],
    range: item.range,
    selectionRange: item.selectionRange,
    children: item.children.map(traceSymbol),
  };
}

/** The whole text of a log line after its prefixes. */
function criuLineRange(a: CriuLogAnalysis, line: number) {
  const l = a.log.line(line);
  const start = l.level?.span.start ?? l.message.span.start;
  return { start: { line, character: start }, end: { line, character: l.message.span.end } };
}

/** "To the end of the line" in LSP terms: positions are uintegers, and clients reject larger values. */
const MAX_CHARACTER = 2147483647;

export function definition(uri: string, model: DocumentModel, position: Position): Location | null {
  if (model.language === 'criu-log') {
    const cause = causeOf(model.criu, position);
    return cause === undefined ? null : { uri, range: criuLineRange(model.criu, cause) };
  }
  if (model.language === 'nftables') return nftDefinition(uri, model.nft, position);
  if (model.language !== 'iptables-save') return null;
  const node = nodeAt(model.ruleset, position);
  if (node?.kind !== 'chain') return null;
  const decl = node.chain.declaration;
  return decl ? { uri, range: decl.nameRange } : null;
}

export function references(uri: string, model: DocumentModel, position: Position, includeDeclaration: boolean): Location[] {
  if (model.language === 'criu-log') {
    const token = tokenAt(model.criu, position);
    if (!token) return [];
    const bare = token.value.replace(/^0x/i, '');
    return usesAt(model.criu, position).map(({ line }) => {
      const l = model.criu.log.line(line);
      const m = new RegExp(`\\b(0x)?${bare}\\b`, 'i').exec(l.message.text);
      if (l.pid?.value === Number(token.value) && token.key === 'pid') return { uri, range: { start: { line, character: l.pid.span.start }, end: { line, character: l.pid.span.end - 2 } } };
      const start = m ? l.message.span.start + m.index : l.message.span.start;
      return { uri, range: { start: { line, character: start }, end: { line, character: m ? start + m[0].length : l.message.span.end } } };
    });
  }
  if (model.language === 'nftables') return nftReferences(uri, model.nft, position, includeDeclaration);
  if (model.language !== 'iptables-save') return [];
  const node = nodeAt(model.ruleset, position);
  if (node?.kind !== 'chain') return [];
  const out: Location[] = [];
  if (includeDeclaration && node.chain.declaration) out.push({ uri, range: node.chain.declaration.nameRange });
  for (const ref of referencesTo(model.ruleset, node.table, node.chain.name)) out.push({ uri, range: ref.range });
  return out;
}

const outlineKinds: Record<OutlineItem['kind'], SymbolKind> = {
  outcome: SymbolKind.Event,
  cause: SymbolKind.Key,
  task: SymbolKind.Module,
  error: SymbolKind.Key,
  socket: SymbolKind.Interface,
  section: SymbolKind.Namespace,
};

function outlineSymbol(a: CriuLogAnalysis, item: OutlineItem): DocumentSymbol {
  const range = { start: { line: item.line, character: 0 }, end: { line: item.endLine, character: a.log.line(item.endLine).message.span.end } };
  return {
    name: item.name || '(empty)',
    ...(item.detail ? { detail: item.detail } : {}),
    kind: outlineKinds[item.kind],
    range,
    selectionRange: criuLineRange(a, item.line),
    children: item.children.map((c) => outlineSymbol(a, c)),
  };
}

export function documentSymbols(model: DocumentModel): DocumentSymbol[] {
  if (model.language === 'kernel-trace') return traceOutline(model.trace, model.evidence).map(traceSymbol);
  if (model.language === 'criu-log') return outline(model.criu).map((item) => outlineSymbol(model.criu, item));
  if (model.language === 'nftables') return nftSymbols(model.nft);
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
        range: { start: { line: start, character: 0 }, end: { line: end, character: MAX_CHARACTER } },
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
      range: { start: table.range.start, end: { line: endLine, character: MAX_CHARACTER } },
      selectionRange: table.range,
      children: chains,
    };
  });
}

export function foldingRanges(model: DocumentModel): FoldingRange[] {
  if (model.language === 'kernel-trace') return traceFolds(model.trace).map((f) => ({ startLine: f.start, endLine: f.end, ...(f.comment ? { kind: FoldingRangeKind.Comment } : {}) }));
  if (model.language === 'criu-log') return taskFolds(model.criu).map((f) => ({ startLine: f.start, endLine: f.end, kind: FoldingRangeKind.Region }));
  if (model.language === 'nftables') return nftFolding(model.nft);
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
