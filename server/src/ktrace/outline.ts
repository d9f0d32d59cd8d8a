/**
 * Outline and folds of a kernel evidence file: call trees (function_graph), traced packets
 * (xtables-monitor, nft monitor trace), and the events and kernel messages worth finding.
 */
import { range, type Range } from '../core/text';
import { kernelFunction } from '../knowledge/kernelFunctions';
import type { Evidence } from './evidence';
import type { Call, KernelTrace } from './model';

export interface TraceOutlineItem {
  name: string;
  detail?: string;
  kind: 'call' | 'packet' | 'step' | 'event' | 'evidence';
  range: Range;
  selectionRange: Range;
  children: TraceOutlineItem[];
}

/** Outlines stay usable on big captures: this many items at most. */
const MAX_ITEMS = 5000;

function lineRange(t: KernelTrace, from: number, to = from): Range {
  return range(from, 0, t.texts[to].length, to);
}

export function traceOutline(t: KernelTrace, evidence: readonly Evidence[]): TraceOutlineItem[] {
  let budget = MAX_ITEMS;
  const callItem = (c: Call): TraceOutlineItem => {
    budget--;
    // Keep the calls that open a subtree or that the knowledge base knows: leaves are noise here.
    const children = c.children.filter((k) => budget > 0 && (k.children.length > 0 || kernelFunction(k.name))).map(callItem);
    return {
      name: `${c.name}${c.module ? ` [${c.module}]` : ''}`,
      detail: [`CPU ${c.cpu}`, c.duration ? `${c.duration.value} ${c.duration.unit}` : '', c.retval !== undefined ? `= ${c.retval}` : ''].filter(Boolean).join(' · '),
      kind: 'call',
      range: lineRange(t, c.line, c.endLine),
      selectionRange: c.nameRange,
      children,
    };
  };
  const items: TraceOutlineItem[] = [];
  for (const c of t.calls) if (budget > 0) items.push(callItem(c));
  for (const p of t.packets) {
    if (budget-- <= 0) break;
    const first = p.lines[0];
    const last = p.lines[p.lines.length - 1];
    const drops = evidence.filter((e) => e.kind === 'rule-drop' && e.id === p.id);
    const steps = p.lines.flatMap((i): TraceOutlineItem[] => {
      const l = t.lines[i];
      if (l.kind === 'xt-trace') return [{ name: l.where, kind: 'step', range: lineRange(t, i), selectionRange: range(i, l.whereSpan.start, l.whereSpan.end), children: [] }];
      if (l.kind === 'nft-trace') return [{ name: `${l.family} ${l.table} ${l.chain}:${l.rest.replace(/^ (\w+).*?(\(verdict \w+\))?\s*$/, (_m, w: string, v?: string) => ` ${w}${v ? ` ${v}` : ''}`)}`, kind: 'step', range: lineRange(t, i), selectionRange: lineRange(t, i), children: [] }];
      return [];
    });
    items.push({
      name: `${p.tool === 'nft' ? 'nft trace' : 'xtables-monitor trace'} ${p.id}`,
      detail: drops.length ? `dropped in ${drops.map((d) => (d.kind === 'rule-drop' ? `${d.table}:${d.chain}` : '')).join(', ')}` : `${p.lines.length} lines`,
      kind: 'packet',
      range: range(first, 0, t.texts[last].length, last),
      selectionRange: lineRange(t, first),
      children: steps,
    });
  }
  for (const e of evidence) {
    if (budget-- <= 0) break;
    if (e.kind === 'rule-drop' || e.kind === 'nft-base-chain' || (e.kind === 'mark-match' && !e.matched)) continue;
    if (t.lines[e.line].kind === 'graph') continue; // already in its call tree
    items.push({ name: e.kind, detail: t.texts[e.line].trim().slice(0, 80), kind: 'evidence', range: lineRange(t, e.line), selectionRange: e.range, children: [] });
  }
  return items.sort((a, b) => a.range.start.line - b.range.start.line);
}

export interface TraceFold {
  start: number;
  end: number;
  comment?: boolean;
}

export function traceFolds(t: KernelTrace): TraceFold[] {
  const out: TraceFold[] = [];
  const walk = (calls: readonly Call[]) => {
    for (const c of calls) {
      if (c.endLine > c.line) out.push({ start: c.line, end: c.endLine });
      walk(c.children);
    }
  };
  walk(t.calls);
  for (const p of t.packets) if (p.lines.length > 1) out.push({ start: p.lines[0], end: p.lines[p.lines.length - 1] });
  // Header blocks: runs of `#` lines.
  let start = -1;
  t.lines.forEach((l, i) => {
    const header = l.kind === 'header';
    if (header && start < 0) start = i;
    if (!header && start >= 0) {
      if (i - 1 > start) out.push({ start, end: i - 1, comment: true });
      start = -1;
    }
  });
  if (start >= 0 && t.lines.length - 1 > start) out.push({ start, end: t.lines.length - 1, comment: true });
  return out.sort((a, b) => a.start - b.start);
}
