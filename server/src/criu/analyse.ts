import { analyseCriuText, type CriuLogAnalysis } from './logModel';

export type { CriuLogAnalysis } from './logModel';

/** Everything known about one CRIU log held in memory (see CriuLogReader for logs streamed from disk). */
export function analyseCriuLog(text: string): CriuLogAnalysis {
  return analyseCriuText(text);
}
