/**
 * Where things are in a CRIU log: the outline (outcome, root cause, tasks, errors, sockets),
 * folds over runs of one task's lines, the cause of a consequence, and the uses of an id.
 */
import type { Position } from '../core/text';
import type { CriuLogAnalysis } from './analyse';
import { occurrencesOf, tokenAt } from './explain';

export interface OutlineItem {
  name: string;
  detail?: string;
  kind: 'outcome' | 'cause' | 'task' | 'error' | 'socket' | 'section';
  line: number;
  /** Last line the item covers (a task: its last line). */
  endLine: number;
  children: OutlineItem[];
}

export function outline(a: CriuLogAnalysis): OutlineItem[] {
  const { run } = a;
  const items: OutlineItem[] = [];
  const line = (n: number) => ({ line: n, endLine: n });
  if (run.outcomeLine !== undefined) items.push({ name: `${run.action}: ${run.outcome}`, kind: 'outcome', ...line(run.outcomeLine), children: [] });
  if (run.rootCause) items.push({ name: `Root cause: ${run.rootCause.text}`, kind: 'cause', ...line(run.rootCause.line), children: run.consequences.map((c) => ({ name: c.text, kind: 'error' as const, ...line(c.line), children: [] })) });
  const tasks = [...run.tasks.values()].filter((t) => t.lineCount);
  if (tasks.length) {
    items.push({
      name: 'Processes',
      kind: 'section',
      line: Math.min(...tasks.map((t) => t.firstLine)),
      endLine: Math.max(...tasks.map((t) => t.lastLine)),
      children: tasks.map((t) => ({ name: `${t.pid}${t.comm ? ` (${t.comm})` : ''}`, detail: `${t.lineCount} lines${t.parent !== undefined ? `, parent ${t.parent}` : ''}`, kind: 'task' as const, line: t.firstLine, endLine: t.lastLine, children: [] })),
    });
  }
  const errors = run.errors.filter((e) => e.role !== 'noise');
  if (errors.length) items.push({ name: 'Errors and warnings', kind: 'section', line: errors[0].line, endLine: errors[errors.length - 1].line, children: errors.map((e) => ({ name: e.text, detail: e.kind, kind: 'error' as const, ...line(e.line), children: [] })) });
  const sockets = a.sockets.sockets.filter((s) => s.sightings.length);
  if (sockets.length) {
    items.push({
      name: 'Sockets',
      kind: 'section',
      line: Math.min(...sockets.map((s) => s.sightings[0].line)),
      endLine: Math.max(...sockets.map((s) => s.sightings[s.sightings.length - 1].line)),
      children: sockets.map((s) => ({
        name: `${s.proto === 'IPPROTO_UDP' ? 'udp' : 'tcp'} ${s.local ? `${s.local.address}:${s.local.port}` : '?'}${s.peer ? ` ↔ ${s.peer.address}:${s.peer.port}` : ''}`,
        detail: [s.ino !== undefined ? `ino 0x${s.ino.toString(16)}` : '', s.collectedState ? `collected ${s.collectedState}` : '', s.imageState ? `image ${s.imageState}` : ''].filter(Boolean).join(', '),
        kind: 'socket' as const,
        line: s.sightings[0].line,
        endLine: s.sightings[s.sightings.length - 1].line,
        children: [],
      })),
    });
  }
  return items;
}

/** Runs of at least `min` consecutive lines of one task: a task's work between interleavings. */
export function taskFolds(a: CriuLogAnalysis, min = 4): { start: number; end: number }[] {
  const folds: { start: number; end: number }[] = [];
  const { log } = a;
  // A streamed log keeps only some lines: it has no runs to fold (and is never open in an editor).
  const count = log.whole ? log.lineCount : 0;
  let start = 0;
  let startOwner = count ? log.line(0).task : undefined;
  for (let i = 1; i <= count; i++) {
    const owner = i < count ? log.line(i).task : undefined;
    if (i === count || owner !== startOwner || startOwner === undefined) {
      if (startOwner !== undefined && i - start >= min) folds.push({ start, end: i - 1 });
      start = i;
      startOwner = owner;
    }
  }
  return folds;
}

/** From a consequence to the root cause it follows from. */
export function causeOf(a: CriuLogAnalysis, pos: Position): number | undefined {
  const root = a.run.rootCause;
  if (!root) return undefined;
  const error = a.run.errors.find((e) => e.line === pos.line);
  return error && error !== root && (error.role === 'consequence' || error.role === 'cause') ? root.line : undefined;
}

/** Lines that mention the id, inode, fd or pid under the cursor. */
export function usesAt(a: CriuLogAnalysis, pos: Position): { line: number }[] {
  const token = tokenAt(a, pos);
  return token ? occurrencesOf(a, token.key, token.value).map((line) => ({ line })) : [];
}
