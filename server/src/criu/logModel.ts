import { lineOffsets } from '../core/text';
import { LineShapes } from './lineShapes';
import { LogLine, parseLineShape, type LineShape } from './logLine';
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
  /**
   * Every line can be read with line(): a log read from text (an editor's document). A log
   * streamed from disk keeps only the lines its analysis refers to.
   */
  whole: boolean;
  /**
   * A line the analysis refers to: an error, a socket or lock line, the action, the verdict, the
   * version or the last line (any line of a log read from text). Throws for any other index.
   * Each call makes a small LogLine that reads from the log's text.
   */
  line(index: number): LogLine;
  /** line(index), or undefined where line() would throw (past the end, a line a streamed log did not keep). */
  lineAt(index: number): LogLine | undefined;
}

/** How far into the log header facts are looked for: CRIU prints them first. */
const HEADER_WINDOW = 200;

/**
 * Where each line of a log held as one text is, and the id of its shape: what makes its LogLine
 * again when asked. Three numbers a line in typed arrays (12 bytes) instead of a LogLine object
 * (56) and an array slot (8), which is most of the model of a big log and the bulk of what its
 * parse leaves to the garbage collector.
 */
class LineTable {
  private starts = new Uint32Array(1024);
  private ends = new Uint32Array(1024);
  /** An id of `shapes` (>= 0), or -(k + 1) for own[k]: a shape the full tree could not learn. */
  private ids = new Int32Array(1024);
  private readonly own: LineShape[] = [];
  private count = 0;

  constructor(
    private readonly source: string,
    private readonly shapes: LineShapes,
  ) {}

  add(start: number, end: number, id: number, shape: LineShape): void {
    const i = this.count++;
    if (i === this.starts.length) this.resize(2 * i);
    this.starts[i] = start;
    this.ends[i] = end;
    this.ids[i] = id >= 0 ? id : -this.own.push(shape);
  }

  /** Drops the unused capacity (up to half the arrays) once every line is in. */
  trim(): void {
    this.resize(this.count);
  }

  line(index: number): LogLine | undefined {
    if (!(index >= 0 && index < this.count)) return undefined;
    const id = this.ids[index];
    return new LogLine(this.source, this.starts[index], this.ends[index], id >= 0 ? this.shapes.shape(id) : this.own[-id - 1]);
  }

  private resize(size: number): void {
    const grow = <T extends Uint32Array | Int32Array>(a: T, b: T): T => (b.set(a.subarray(0, Math.min(this.count, size))), b);
    this.starts = grow(this.starts, new Uint32Array(size));
    this.ends = grow(this.ends, new Uint32Array(size));
    this.ids = grow(this.ids, new Int32Array(size));
  }
}

/** Everything known about one CRIU log. */
export interface CriuLogAnalysis {
  log: CriuLog;
  run: RunAnalysis;
  sockets: SocketAnalysis;
}

/**
 * The one path from a log's lines to its analysis: lines go in one at a time, in file order, from
 * a text in memory or a file streamed from disk. Given the `text` every line is read from, it
 * notes where each line is (LineTable) so that any line can be read again; without, it keeps only
 * the lines the analysis refers to, so memory follows the findings, not the size of the log.
 */
export class CriuLogReader {
  private readonly shapes: LineShapes;
  private readonly run = new RunReader();
  private readonly sockets = new SocketReader();
  private readonly header: LogHeader = {};
  private readonly table: LineTable | undefined;
  private readonly kept = new Map<number, LogLine>();
  private last: LogLine | undefined;
  private count = 0;

  /**
   * `text`: the whole log, which every push() then reads from. `shapes` may come from an earlier
   * version of the same document: the line starts it learned are not parsed again, so after an
   * edit the grammar runs only for lines that start anew.
   */
  constructor(options: { text?: string; shapes?: LineShapes } = {}) {
    this.shapes = options.shapes ?? new LineShapes();
    if (options.text !== undefined) this.table = new LineTable(options.text, this.shapes);
  }

  get lineCount(): number {
    return this.count;
  }

  /** Reads the next line: `source.slice(start, end)`, without its terminator. */
  push(source: string, start: number, end: number): void {
    const index = this.count++;
    const id = this.shapes.idOf(source, start, end);
    const shape = id >= 0 ? this.shapes.shape(id) : parseLineShape(source.slice(start, end));
    const line = new LogLine(source, start, end, shape);
    let keep = index < HEADER_WINDOW && this.readHeader(line, index);
    if (this.run.push(line, index)) keep = true;
    if (this.sockets.push(line, index)) keep = true;
    if (this.table) this.table.add(start, end, id, shape);
    else if (keep) this.kept.set(index, line);
    this.last = line;
  }

  finish(): CriuLogAnalysis {
    const lineCount = this.count;
    const table = this.table;
    let lineAt: (index: number) => LogLine | undefined;
    if (table) {
      table.trim();
      lineAt = (index) => table.line(index);
    } else {
      if (this.last) this.kept.set(lineCount - 1, this.last);
      const kept = this.kept;
      lineAt = (index) => kept.get(index);
    }
    const line = (index: number) => {
      const l = lineAt(index);
      // A bug of ours: every line a finding points at exists, and a streamed log keeps it while reading.
      if (!l) throw new Error(table ? `line ${index + 1} is past the end of a ${lineCount}-line log` : `line ${index + 1} of a streamed log was not kept`);
      return l;
    };
    return { log: { header: this.header, lineCount, whole: table !== undefined, line, lineAt }, run: this.run.finish(), sockets: this.sockets.finish() };
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

/** Analyses a log held in memory; any line can be read again (the editor's features read any of them). */
export function analyseCriuText(text: string, shapes?: LineShapes): CriuLogAnalysis {
  const reader = new CriuLogReader({ text, ...(shapes ? { shapes } : {}) });
  // lineOffsets splits as splitLines does; each line is read in place in `text`.
  for (const [start, end] of lineOffsets(text)) reader.push(text, start, end);
  return reader.finish();
}

export function parseCriuLog(text: string): CriuLog {
  return analyseCriuText(text).log;
}
