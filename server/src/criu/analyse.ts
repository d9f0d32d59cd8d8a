import { parseCriuLog, type CriuLog } from './logModel';
import { analyseRun, type RunAnalysis } from './run';
import { analyseSockets, type SocketAnalysis } from './sockets';

/** Everything known about one CRIU log. */
export interface CriuLogAnalysis {
  log: CriuLog;
  run: RunAnalysis;
  sockets: SocketAnalysis;
}

export function analyseCriuLog(text: string): CriuLogAnalysis {
  const log = parseCriuLog(text);
  return { log, run: analyseRun(log.lines), sockets: analyseSockets(log.lines) };
}
