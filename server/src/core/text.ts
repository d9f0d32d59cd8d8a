/** Positions and ranges as LSP counts them (0-based line, UTF-16 column), without depending on LSP. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export function range(line: number, startCharacter: number, endCharacter: number, endLine = line): Range {
  return { start: { line, character: startCharacter }, end: { line: endLine, character: endCharacter } };
}

/**
 * Splits a document into lines without their terminators (LF, CRLF or a lone CR), keeping
 * the offset of each line so ranges stay exact. A final terminator does not open an extra line.
 */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Where each line of a document starts and ends (without its terminator), split as splitLines()
 * splits them: for documents too big to hold as an array of lines, and scans that stop early.
 */
export function* lineOffsets(text: string): Generator<[start: number, end: number]> {
  const terminator = /\r\n|\n|\r/g;
  let start = 0;
  for (let m = terminator.exec(text); m; m = terminator.exec(text)) {
    yield [start, m.index];
    start = terminator.lastIndex;
  }
  if (start < text.length || start === 0) yield [start, text.length];
}

/**
 * A range within one line, stored as three numbers: big models hold hundreds of thousands of
 * ranges, and this keeps them one object each instead of three. Reads and JSON look like a Range.
 */
class LineRange implements Range {
  constructor(
    private readonly line: number,
    readonly from: number,
    readonly to: number,
  ) {}
  get start(): Position {
    return { line: this.line, character: this.from };
  }
  get end(): Position {
    return { line: this.line, character: this.to };
  }
  toJSON(): Range {
    return { start: this.start, end: this.end };
  }
}

export function lineRange(line: number, startCharacter: number, endCharacter: number): Range {
  return new LineRange(line, startCharacter, endCharacter);
}

/** The start and end columns of a one-line range, without making its positions. */
export function startColumn(range: Range): number {
  return range instanceof LineRange ? range.from : range.start.character;
}

export function endColumn(range: Range): number {
  return range instanceof LineRange ? range.to : range.end.character;
}
