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
