import type { Finding, Severity } from '../core/finding';
import { range } from '../core/text';
import { lookupMessage } from '../knowledge/criuMessages';
import type { LogLine } from './logLine';
import type { CriuLog } from './logModel';

/** The message as CRIU formatted it after `Error (file:line): `, subsystem prefix included. */
export function levelMessage(line: LogLine): string {
  const text = line.subsystem ? `${line.subsystem.name}: ${line.message.text}` : line.message.text;
  return text.trimEnd();
}

/** One finding per CRIU `Error (...)` / `Warn  (...)` line, with known noise and consequences told apart. */
export function criuLogFindings(doc: string, log: CriuLog): Finding[] {
  const findings: Finding[] = [];
  log.lines.forEach((line, index) => {
    if (!line.level) return;
    const text = levelMessage(line);
    const known = lookupMessage(text);
    const isError = line.level.kind === 'error';
    let severity: Severity = isError ? 'error' : 'warning';
    if (known?.role === 'noise') severity = isError ? 'information' : 'hint';
    const where = `${line.level.file}:${line.level.line}`;
    const end = line.message.span.start + line.message.text.trimEnd().length;
    findings.push({
      doc,
      range: range(index, line.level.span.start, end),
      severity,
      code: `criu.${known?.id ?? (isError ? 'error' : 'warning')}`,
      message: known ? `${text} (${where}) — ${known.summary}` : `${text} (${where})`,
      related: [],
      ...(known?.role === 'noise' ? { harmless: true } : {}),
    });
  });
  return findings;
}
