import type { CriuLog } from '../../server/src/criu/logModel';
import type { LogLine } from '../../server/src/criu/logLine';

/** Every line of a log read from text, as LogLines (the log keeps offsets, not one object a line). */
export function linesOf(log: CriuLog): LogLine[] {
  if (!log.whole) throw new Error('a streamed log keeps only some lines');
  return Array.from({ length: log.lineCount }, (_, i) => log.line(i));
}
