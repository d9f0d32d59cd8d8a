/**
 * Hover text for any part of a CRIU log line, as Markdown: the prefixes, errno texts, TCP
 * states, ids/inodes/pids (with where else they appear), and what a known message means.
 */
import type { Position } from '../core/text';
import { criuSourceUrl, lookupMessage } from '../knowledge/criuMessages';
import { errnoInCriuContext, findErrnoInMessage } from '../knowledge/errno';
import { tcpStateByName } from '../knowledge/tcpStates';
import type { CriuLogAnalysis } from './analyse';
import { levelMessage } from './logLine';

export interface CriuHover {
  markdown: string;
  start: number;
  end: number;
}

/** Tokens worth a hover inside the message: TCP states, hex ids/inodes, pids in `pid` phrases. */
const tokenPattern = /\b(TCP_[A-Z0-9_]+)\b|\b(?:(id|ino|fd)[= ]\s*)(0x[0-9a-f]+|[0-9a-f]+)\b/gi;

export function explainAt(a: CriuLogAnalysis, pos: Position): CriuHover | undefined {
  const line = a.log.whole ? a.log.lineAt(pos.line) : undefined;
  if (!line) return undefined;
  const c = pos.character;
  const within = (s: { start: number; end: number }) => c >= s.start && c <= s.end;

  if (line.timestamp && within(line.timestamp.span)) {
    return { ...line.timestamp.span, markdown: `**Timestamp** ${line.timestamp.seconds.toFixed(6)} s after CRIU started.${line.timestamp.seconds >= 100 ? ' (Past 100 s CRIU\'s `)` overwrites the last digit.)' : ''}` };
  }
  if (line.pid && within(line.pid.span)) return { ...line.pid.span, markdown: taskText(a, line.pid.value) };
  for (const pie of line.pie) if (within(pie.span)) return { ...pie.span, markdown: `**Restorer/parasite code** (\`pie\`) of task ${pie.tid}: it runs inside the task, without CRIU's usual log setup.\n\n${taskText(a, pie.tid)}` };

  const level = line.level;
  if (level && within(level.span)) {
    const version = a.log.header.version;
    const url = criuSourceUrl(level.file, level.line, version);
    const text = levelMessage(line);
    const known = lookupMessage(text, level.kind);
    const parts = [`**CRIU ${level.kind === 'error' ? 'error' : 'warning'}** printed at [\`${level.file}:${level.line}\`](${url})${version ? ` (CRIU ${version})` : ''}.`];
    if (known) parts.push(messageText(known, a, pos.line));
    else {
      const errno = findErrnoInMessage(text);
      parts.push(errno ? `The call failed with **${errno.info.name}** (${errno.info.number}, "${errno.info.text}"): ${errno.info.meaning}` : 'No specific explanation is known for this message; the source location above shows what CRIU was doing.');
    }
    return { ...level.span, markdown: parts.join('\n\n') };
  }

  const sub = line.subsystem;
  if (sub && within(sub.span)) {
    return { ...sub.span, markdown: sub.name === 'Debug' ? '**`Debug:`** a message of libsoccr, the library CRIU uses to checkpoint and restore TCP connections (repair mode, sequence numbers, the forged FIN).' : `**Subsystem \`${sub.name}\`**: the log prefix of CRIU's \`${sub.name}\` code (its source files set \`LOG_PREFIX "${sub.name}: "\`).\n\n${partsText(a, pos.line)}` };
  }
  const msg = line.message;
  if (!within(msg.span)) return undefined;
  const rel = c - msg.span.start;
  // errno text at the end of a pr_perror message, or in libnet's/compel's parentheses.
  const errno = findErrnoInMessage(msg.text);
  if (errno && rel >= errno.start && rel <= errno.end) {
    const ctx = errnoInCriuContext[errno.info.name];
    return {
      start: msg.span.start + errno.start,
      end: msg.span.start + errno.end,
      markdown: `**${errno.info.name}** (errno ${errno.info.number}): "${errno.info.text}". ${errno.info.meaning}${ctx ? `\n\nIn CRIU: ${ctx}` : ''}`,
    };
  }
  for (const m of msg.text.matchAll(tokenPattern)) {
    const start = m.index!;
    const end = start + m[0].length;
    if (rel < start || rel > end) continue;
    if (m[1]) {
      const state = tcpStateByName(m[1]);
      if (!state) continue;
      const packet = state.restorePacket ? `On restore, libsoccr re-sends a **${state.restorePacket}** from a raw socket marked 0xC114 for a socket in this state. ${state.restoreNote}` : state.restoreNote;
      return { start: msg.span.start + start, end: msg.span.start + end, markdown: `**${state.name}** (${state.number}): ${state.meaning}\n\n${packet}` };
    }
    const value = m[3];
    const occurrences = occurrencesOf(a, m[2].toLowerCase() as TokenKey, value);
    return { start: msg.span.start + start, end: msg.span.start + end, markdown: `**${m[2]} ${value}** appears on ${occurrences.length} line${occurrences.length === 1 ? '' : 's'}: ${occurrences.slice(0, 12).map((l) => l + 1).join(', ')}${occurrences.length > 12 ? ', …' : ''}.` };
  }
  const known = line.level ? lookupMessage(levelMessage(line), line.level.kind) : undefined;
  if (known && line.level) return { ...msg.span, markdown: messageText(known, a, pos.line) };
  // Any other line: what it is made of.
  return msg.text.trim() ? { ...msg.span, markdown: partsText(a, pos.line) } : undefined;
}

/** A line's parts, for hovers on lines with nothing more specific to say. */
function partsText(a: CriuLogAnalysis, index: number): string {
  const line = a.log.line(index);
  const parts: string[] = [];
  if (line.timestamp) parts.push(`time ${line.timestamp.seconds.toFixed(6)} s`);
  if (line.pid) parts.push(`task ${line.pid.value}`);
  for (const p of line.pie) parts.push(`restorer code of task ${p.tid}`);
  if (line.level) parts.push(`${line.level.kind} at ${line.level.file}:${line.level.line}`);
  if (line.subsystem) parts.push(`subsystem \`${line.subsystem.name}\``);
  if (!parts.length) parts.push('no prefix: printed before the log was set up, by a child tool (iptables, nft), or by an old CRIU');
  return `**Line ${index + 1}**: ${parts.join(' · ')}.`;
}

function messageText(known: NonNullable<ReturnType<typeof lookupMessage>>, a: CriuLogAnalysis, line: number): string {
  const parts = [`**${known.role === 'noise' ? 'Harmless' : known.role === 'consequence' ? 'A consequence' : 'A cause'}:** ${known.summary}.`];
  if (known.explanation) {
    parts.push(`**What happened.** ${known.explanation.what}`, `**Why.** ${known.explanation.why}`);
    if (known.explanation.check.length) parts.push(`**What to check next:**\n${known.explanation.check.map((c) => `- ${c}`).join('\n')}`);
  }
  const root = a.run.rootCause;
  if (root && root.line !== line && a.run.consequences.some((c) => c.line === line)) parts.push(`Follows from the root cause on line ${root.line + 1}: \`${root.text}\`.`);
  if (root?.line === line && a.run.consequences.length) parts.push(`Leads to: ${a.run.consequences.map((c) => `line ${c.line + 1} (\`${c.text}\`)`).join(', ')}.`);
  return parts.join('\n\n');
}

function taskText(a: CriuLogAnalysis, pid: number): string {
  const task = a.run.tasks.get(pid);
  if (!task) return `**Task ${pid}**.`;
  const parts = [`**Task ${pid}**${task.comm ? ` (\`${task.comm}\`)` : ''}: ${task.lineCount} lines in this log.`];
  if (task.parent !== undefined) parts.push(`Parent: ${task.parent}.`);
  if (task.children.length) parts.push(`Children: ${task.children.join(', ')}.`);
  const errors = a.run.errors.filter((e) => e.task === pid && e.kind === 'error' && e.role !== 'noise');
  if (errors.length) parts.push(`Errors: ${errors.map((e) => `line ${e.line + 1}`).join(', ')}.`);
  return parts.join(' ');
}

export type TokenKey = 'id' | 'ino' | 'fd' | 'pid';

/** The token under the cursor that names an id, inode, fd or task, if any. */
export function tokenAt(a: CriuLogAnalysis, pos: Position): { key: TokenKey; value: string; start: number; end: number } | undefined {
  const line = a.log.whole ? a.log.lineAt(pos.line) : undefined;
  if (!line) return undefined;
  if (line.pid && pos.character >= line.pid.span.start && pos.character <= line.pid.span.end) return { key: 'pid', value: String(line.pid.value), ...line.pid.span };
  const rel = pos.character - line.message.span.start;
  for (const m of line.message.text.matchAll(tokenPattern)) {
    if (!m[2] || rel < m.index! || rel > m.index! + m[0].length) continue;
    const start = line.message.span.start + m.index! + m[0].length - m[3].length;
    return { key: m[2].toLowerCase() as TokenKey, value: m[3], start, end: start + m[3].length };
  }
  return undefined;
}

/**
 * How ids, inodes, fds and pids print: `id 6`/`id=0x6`, `ino 0x3f85f`, `fd 3`/`fdinfo 3`/`dup 3`,
 * pids as `pid: N`/`task N`/`N exited` (and in the pid column, read from the line's shape).
 * Group 1 (or 2) is the value, without `0x`.
 */
const occurrencePatterns: Record<TokenKey, RegExp> = {
  id: /\bid[= ](?:0x)?([0-9a-f]+)\b/gi,
  ino: /\bino\s+(?:0x)?([0-9a-f]+)\b/gi,
  fd: /\b(?:fd[= ]?|fd for |fdinfo |dup )([0-9a-f]+)\b/gi,
  pid: /(?:\bpid:? |\btask:? |^)([0-9a-f]+)\b|\b([0-9a-f]+) (?:exited|killed|was)/g,
};

/**
 * Lines by `key value`, built once per analysis (one per document version), on the first ask. A
 * long list (a pid's lines: most of a big log) is kept as an Int32Array: 4 bytes a line instead of
 * an array's 8 and the slack it grew with.
 */
const occurrenceIndexes = new WeakMap<CriuLogAnalysis, Map<string, readonly number[] | Int32Array>>();

/** Lists at least this long are packed into an Int32Array (shorter ones cost less as arrays). */
const PACKED_LIST = 16;

/**
 * Every line's ids, inodes, fds and pids. Each pattern is tried at every position of the message
 * (not only after the previous match), so a value is indexed exactly when a search for that one
 * value would have found it. Scanning a million lines per hover took ~100 ms; this is paid once.
 */
function occurrenceIndex(a: CriuLogAnalysis): Map<string, readonly number[] | Int32Array> {
  let index = occurrenceIndexes.get(a);
  if (index) return index;
  const built = new Map<string, number[]>();
  const add = (key: TokenKey, value: string, line: number) => {
    const k = `${key} ${key === 'pid' ? value : value.toLowerCase()}`;
    const lines = built.get(k);
    if (!lines) built.set(k, [line]);
    else if (lines[lines.length - 1] !== line) lines.push(line);
  };
  const keys = Object.keys(occurrencePatterns) as TokenKey[];
  const { log } = a;
  // A streamed log has no lines to index but those it kept: it is never hovered.
  for (let i = 0; log.whole && i < log.lineCount; i++) {
    const l = log.line(i);
    const column = l.pid?.value;
    if (column !== undefined) add('pid', String(column), i);
    for (const p of l.pie) add('pid', String(p.tid), i);
    const text = l.messageText;
    for (const key of keys) {
      const re = occurrencePatterns[key];
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        add(key, m[1] ?? m[2], i);
        re.lastIndex = m.index + 1;
      }
    }
  }
  const packed = new Map<string, readonly number[] | Int32Array>();
  for (const [k, lines] of built) packed.set(k, lines.length >= PACKED_LIST ? Int32Array.from(lines) : lines.slice());
  occurrenceIndexes.set(a, packed);
  return packed;
}

/** Lines where an id, inode, fd or pid appears (see occurrencePatterns), in order. */
export function occurrencesOf(a: CriuLogAnalysis, key: TokenKey, value: string): number[] {
  const bare = value.replace(/^0x/i, '').replace(/[^0-9a-f]/gi, '');
  const normal = key === 'pid' ? String(Number(value)) : bare.toLowerCase();
  const lines = Array.from(occurrenceIndex(a).get(`${key} ${normal}`) ?? []);
  if (key !== 'pid' || normal === bare) return lines;
  // A pid written with leading zeros in a message matches its text; the column holds the number.
  const spelled = occurrenceIndex(a).get(`pid ${bare}`) ?? [];
  return [...new Set([...lines, ...spelled])].sort((x, y) => x - y);
}
