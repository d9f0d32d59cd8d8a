import { lineOffsets } from '../core/text';
import { LineShapes } from './lineShapes';
import { LogLine } from './logLine';
import { RunReader, type RunAnalysis } from './run';
import { SocketReader, type SocketAnalysis } from './sockets';

/** Facts from the first lines CRIU writes. */
export interface LogHeader {
  /** `4.2` from `Version: 4.2 (gitid v4.2-22-g2cf8f13ca)`. */
  version?: string;
  gitid?: string;
  /** Line of `Running on <host> Linux <release> ...`: the kernel release. */
  kernel?: string;
  versionLine?: number;
}

export interface CriuLog {
  header: LogHeader;
  lineCount: number;
  /** Every line, for a log read from text (an editor's document); empty for a log streamed from disk. */
  lines: readonly LogLine[];
  /**
   * A line the analysis refers to: an error, a socket or lock line, the action, the verdict, the
   * version or the last line (any line of a log read from text).
   */
  line(index: number): LogLine;
}

/** How far into the log header facts are looked for: CRIU prints them first. */
const HEADER_WINDOW = 200;

/** Everything known about one CRIU log. */
export interface CriuLogAnalysis {
  log: CriuLog;
  run: RunAnalysis;
  sockets: SocketAnalysis;
}

/**
 * The one path from a log's lines to its analysis: lines go in one at a time, in file order, from
 * a text in memory or a file streamed from disk. Without `keepAllLines` it keeps only the lines
 * the analysis refers to, so memory follows the findings, not the size of the log.
 */
export class CriuLogReader {
  private readonly shapes: LineShapes;
  private readonly run = new RunReader();
  private readonly sockets = new SocketReader();
  private readonly header: LogHeader = {};
  private readonly all: LogLine[] | undefined;
  private readonly kept = new Map<number, LogLine>();
  private last: LogLine | undefined;
  private count = 0;

  /**
   * `shapes` may come from an earlier version of the same document: the line starts it learned
   * are not parsed again, so after an edit the grammar runs only for lines that start anew.
   */
  constructor(options: { keepAllLines: boolean; shapes?: LineShapes }) {
    if (options.keepAllLines) this.all = [];
    this.shapes = options.shapes ?? new LineShapes();
  }

  get lineCount(): number {
    return this.count;
  }

  /** Reads the next line: `source.slice(start, end)`, without its terminator. */
  push(source: string, start: number, end: number): void {
    const index = this.count++;
    const line = new LogLine(source, start, end, this.shapes.shapeOf(source, start, end));
    let keep = index < HEADER_WINDOW && this.readHeader(line, index);
    if (this.run.push(line, index)) keep = true;
    if (this.sockets.push(line, index)) keep = true;
    if (this.all) this.all.push(line);
    else if (keep) this.kept.set(index, line);
    this.last = line;
  }

  finish(): CriuLogAnalysis {
    const lineCount = this.count;
    if (this.last) this.kept.set(lineCount - 1, this.last);
    const lines = this.all ?? [];
    const kept = this.kept;
    const line = this.all
      ? (index: number) => lines[index]
      : (index: number) => {
          const l = kept.get(index);
          // A bug of ours: every line a finding points at is kept while reading.
          if (!l) throw new Error(`line ${index + 1} of a streamed log was not kept`);
          return l;
        };
    return { log: { header: this.header, lineCount, lines, line }, run: this.run.finish(), sockets: this.sockets.finish() };
  }

  private readHeader(line: LogLine, index: number): boolean {
    const header = this.header;
    const text = line.messageText;
    let keep = false;
    const version = /^Version: (\S+) \(gitid ([^)\s]+)\)/.exec(text) ?? /^Version: (\S+)/.exec(text);
    if (version && header.version === undefined) {
      header.version = version[1];
      if (version[2]) header.gitid = version[2];
      header.versionLine = index;
      keep = true;
    }
    const running = /^Running on \S+ Linux (\S+)/.exec(text);
    if (running && header.kernel === undefined) header.kernel = running[1];
    return keep;
  }
}

/** Analyses a log held in memory; it keeps every line (the editor's features read any of them). */
export function analyseCriuText(text: string, shapes?: LineShapes): CriuLogAnalysis {
  const reader = new CriuLogReader({ keepAllLines: true, ...(shapes ? { shapes } : {}) });
  // lineOffsets splits as splitLines does; each line is read in place in `text`.
  for (const [start, end] of lineOffsets(text)) reader.push(text, start, end);
  return reader.finish();
}

export function parseCriuLog(text: string): CriuLog {
  return analyseCriuText(text).log;
}
