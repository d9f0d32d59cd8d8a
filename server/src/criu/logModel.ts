import { splitLines } from '../core/text';
import { LineShapes } from './lineShapes';
import { LogLine } from './logLine';

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
  lines: LogLine[];
  header: LogHeader;
}

/** How far into the log header facts are looked for: CRIU prints them first. */
const HEADER_WINDOW = 200;

export function parseCriuLog(text: string): CriuLog {
  // splitLines defines the lines; each is then read in place in `text`, one string for the log.
  const shapes = new LineShapes(text);
  const lines: LogLine[] = [];
  let start = 0;
  for (const { length } of splitLines(text)) {
    const end = start + length;
    lines.push(new LogLine(text, start, end, shapes.shapeOf(start, end)));
    start = end + (text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? 2 : 1); // `\r\n`
  }
  return { lines, header: readHeader(lines) };
}

function readHeader(lines: LogLine[]): LogHeader {
  const header: LogHeader = {};
  for (let i = 0; i < Math.min(lines.length, HEADER_WINDOW); i++) {
    const text = lines[i].messageText;
    const version = /^Version: (\S+) \(gitid ([^)\s]+)\)/.exec(text) ?? /^Version: (\S+)/.exec(text);
    if (version && header.version === undefined) {
      header.version = version[1];
      if (version[2]) header.gitid = version[2];
      header.versionLine = i;
    }
    const running = /^Running on \S+ Linux (\S+)/.exec(text);
    if (running && header.kernel === undefined) header.kernel = running[1];
  }
  return header;
}
