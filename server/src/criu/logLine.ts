import { parse } from '../grammar/generated/criuLogLine';

/** Column span within one line, end exclusive. */
export interface Span {
  start: number;
  end: number;
}

export type LevelKind = 'error' | 'warn';

/** One line of a CRIU log, split into its prefixes (DESIGN.md §3). Every line yields one. */
export interface LogLine {
  /** `(SS.uuuuuu) `; after 100 s CRIU's `)` overwrites the last digit, so `seconds` may lack it. */
  timestamp: { text: string; seconds: number; span: Span } | null;
  /** The right-aligned pid column of restored tasks (`  46208: `). */
  pid: { value: number; span: Span } | null;
  /** `pie: <tid>: ` tags of restorer/parasite blob lines. */
  pie: { tid: number; span: Span }[];
  /** `Error (path:LINE): ` or `Warn  (path:LINE): `. */
  level: { kind: LevelKind; file: string; line: number; span: Span; fileSpan: Span; lineSpan: Span } | null;
  /** `inet: `, `tcp: `, `Debug: ` ...; the span covers the name only. */
  subsystem: { name: string; span: Span } | null;
  message: { text: string; span: Span };
}

/** Parses one line (no terminator). The grammar accepts any input, so this never throws. */
export function parseLogLine(text: string): LogLine {
  return parse(text, { startRule: 'Line' }) as LogLine;
}

/** The pid a line belongs to: the pid column, else the pie tag (a restorer thread of that task). */
export function taskOf(line: LogLine): number | undefined {
  return line.pid?.value ?? line.pie[0]?.tid;
}

/** The message as CRIU formatted it after `Error (file:line): `, subsystem prefix included. */
export function levelMessage(line: LogLine): string {
  const text = line.subsystem ? `${line.subsystem.name}: ${line.message.text}` : line.message.text;
  return text.trimEnd();
}
