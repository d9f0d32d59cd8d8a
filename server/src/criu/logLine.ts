import { parse, SyntaxError } from '../grammar/generated/criuLogLine';

/** Column span within one line, end exclusive. */
export interface Span {
  start: number;
  end: number;
}

export type LevelKind = 'error' | 'warn';

/** A prefix as the grammar finds it: its columns, and those of the value it carries. */
export interface PartShape extends Span {
  valueStart: number;
  valueEnd: number;
}

/** What criuLogLine.peggy returns for a line: the columns of its prefixes, read against its text. */
export interface LineShape {
  timestamp: PartShape | null;
  pid: PartShape | null;
  pie: readonly PartShape[];
  level: { kind: LevelKind; start: number; end: number; fileStart: number; fileEnd: number; lineStart: number; lineEnd: number } | null;
  /** The span and value are the name, without its `: `. */
  subsystem: PartShape | null;
  /** The message runs from here to the end of the line. */
  messageStart: number;
}

/** One options object per start rule for every call: peggy allocates enough per call already. */
const lineRule = { startRule: 'Line' } as const;
const prefixesRule = { startRule: 'Prefixes' } as const;

/** Runs the grammar on one line (no terminator). It accepts any input, so this never throws. */
export function parseLineShape(text: string): LineShape {
  return parse(text, lineRule) as LineShape;
}

/** How far a failed literal can have read past the column it failed at: the longest literal. */
export const LONGEST_LITERAL = 6;

/**
 * How many characters at the start of `text` the grammar reads to find its prefixes, and whether
 * it read the end of the line too. Any line that begins with those characters (and ends there if
 * `toEnd`) has the same prefixes, digits aside (criuLogLine.peggy says why).
 */
export function prefixLookahead(text: string): { length: number; toEnd: boolean } {
  try {
    parse(text, prefixesRule); // the line is all prefixes: the grammar read to its end
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    const length = e.location.start.offset + LONGEST_LITERAL;
    if (length <= text.length) return { length, toEnd: false };
  }
  return { length: text.length, toEnd: true };
}

const span = (s: Span): Span => ({ start: s.start, end: s.end });

/**
 * One line of a CRIU log, split into its prefixes (DESIGN.md §3). Every line yields one. It holds
 * where the line is in the log's text and the grammar's shape, and reads each part from the text
 * when asked. A log read from text does not keep them: it makes one again from its line table
 * when a line is asked for (logModel.ts).
 */
export class LogLine {
  /** The line is `source.slice(offset, end)`: shape columns count from `offset`. */
  constructor(
    private readonly source: string,
    private readonly offset: number,
    private readonly end: number,
    readonly shape: LineShape,
  ) {}

  /** The task the line belongs to: the pid column, else the pie tag (a restorer thread of that task). */
  get task(): number | undefined {
    const owner = this.shape.pid ?? this.shape.pie[0];
    return owner ? this.number(owner) : undefined;
  }

  /** The whole line, without its terminator. */
  get text(): string {
    return this.slice(0);
  }

  /** `(SS.uuuuuu) `; after 100 s CRIU's `)` overwrites the last digit, so `seconds` may lack it. */
  get timestamp(): { text: string; seconds: number; span: Span } | null {
    const t = this.shape.timestamp;
    if (!t) return null;
    const text = this.value(t);
    return { text, seconds: Number(text), span: span(t) };
  }

  /** The right-aligned pid column of restored tasks (`  46208: `). */
  get pid(): { value: number; span: Span } | null {
    const p = this.shape.pid;
    return p && { value: this.number(p), span: span(p) };
  }

  /** `pie: <tid>: ` tags of restorer/parasite blob lines. */
  get pie(): { tid: number; span: Span }[] {
    return this.shape.pie.map((p) => ({ tid: this.number(p), span: span(p) }));
  }

  /** `Error (path:LINE): ` or `Warn  (path:LINE): `. */
  get level(): { kind: LevelKind; file: string; line: number; span: Span; fileSpan: Span; lineSpan: Span } | null {
    const l = this.shape.level;
    if (!l) return null;
    return {
      kind: l.kind,
      file: this.slice(l.fileStart, l.fileEnd),
      line: Number(this.slice(l.lineStart, l.lineEnd)),
      span: span(l),
      fileSpan: { start: l.fileStart, end: l.fileEnd },
      lineSpan: { start: l.lineStart, end: l.lineEnd },
    };
  }

  /** `inet: `, `tcp: `, `Debug: ` ...; the span covers the name only. */
  get subsystem(): { name: string; span: Span } | null {
    const s = this.shape.subsystem;
    return s && { name: this.value(s), span: span(s) };
  }

  get message(): { text: string; span: Span } {
    return { text: this.messageText, span: { start: this.shape.messageStart, end: this.end - this.offset } };
  }

  /** `message.text` without the objects around it, for scans over every line. */
  get messageText(): string {
    return this.slice(this.shape.messageStart);
  }

  /** The text from `start` to `end` (columns of this line; the end of the line by default). */
  slice(start: number, end = this.end - this.offset): string {
    return this.source.slice(this.offset + start, this.offset + end);
  }

  private value(part: PartShape): string {
    return this.slice(part.valueStart, part.valueEnd);
  }

  /** The value's digits as a number, without a string in between (every line has a pid to read). */
  private number(part: PartShape): number {
    if (part.valueEnd - part.valueStart > 15) return Number(this.value(part)); // past exact doubles
    let n = 0;
    for (let i = this.offset + part.valueStart; i < this.offset + part.valueEnd; i++) n = n * 10 + this.source.charCodeAt(i) - 48;
    return n;
  }
}

/** Parses one line (no terminator). The grammar accepts any input, so this never throws. */
export function parseLogLine(text: string): LogLine {
  return new LogLine(text, 0, text.length, parseLineShape(text));
}

/** The pid a line belongs to: the pid column, else the pie tag (a restorer thread of that task). */
export function taskOf(line: LogLine): number | undefined {
  return line.task;
}

/** The message as CRIU formatted it after `Error (file:line): `, subsystem prefix included. */
export function levelMessage(line: LogLine): string {
  // The subsystem's `: ` runs up to the message, so from the name on the text is `name: message`.
  return line.slice(line.shape.subsystem?.start ?? line.shape.messageStart).trimEnd();
}
