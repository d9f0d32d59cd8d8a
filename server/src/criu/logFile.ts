/**
 * A CRIU log analysed straight from disk, for logs too big for an editor buffer or a string:
 * the same CriuLogReader as for a text, fed one line at a time, keeping only the lines the
 * findings point at, with the file's line index to read any other line again.
 */
import { readLines, type LineIndex, type ReadLinesOptions } from '../core/lineFile';
import { CriuLogReader, type CriuLogAnalysis } from './logModel';

export interface CriuLogFile {
  analysis: CriuLogAnalysis;
  index: LineIndex;
}

export async function analyseCriuLogFile(path: string, options: ReadLinesOptions = {}): Promise<CriuLogFile> {
  const reader = new CriuLogReader();
  const index = await readLines(path, (text) => reader.push(text, 0, text.length), options);
  return { analysis: reader.finish(), index };
}
