import type { Finding, RelatedLocation, Severity } from '../core/finding';
import { range } from '../core/text';
import type { CriuLogAnalysis } from './analyse';
import type { CriuLog } from './logModel';
import type { ErrorLine } from './run';
import { restorePacket } from './sockets';

function lineRange(log: CriuLog, index: number) {
  const line = log.line(index);
  const start = line.level?.span.start ?? line.message.span.start;
  return range(index, start, line.message.span.start + line.message.text.trimEnd().length);
}

const verdictLines: Record<string, string> = {
  dump: '"Dumping finished successfully" or "Dumping FAILED."',
  'pre-dump': '"Pre-dumping finished successfully" or "Pre-dumping FAILED."',
  restore: '"Restore finished successfully" or "Restoring FAILED."',
  check: '"Looks good."',
  unknown: '"… finished successfully" or "… FAILED."',
};

const actionNoun: Record<string, string> = { dump: 'dump', 'pre-dump': 'pre-dump', restore: 'restore', check: 'check', unknown: 'run' };

/**
 * Findings of one CRIU log: the root cause first (an error), what follows from it (linked to
 * it), known noise downgraded with the reason, and the sockets whose restore re-sends a FIN.
 */
export function criuLogFindings(doc: string, { log, run, sockets: { sockets } }: CriuLogAnalysis): Finding[] {
  const findings: Finding[] = [];
  const at = (index: number) => lineRange(log, index);
  const where = (e: ErrorLine) => {
    const level = log.line(e.line).level!;
    return `${level.file}:${level.line}`;
  };
  const related = (lines: readonly ErrorLine[], message: (e: ErrorLine) => string): RelatedLocation[] =>
    lines.map((e) => ({ doc, range: at(e.line), message: message(e) }));
  const noun = actionNoun[run.action];
  const root = run.rootCause;
  const consequenceLines = new Set(run.consequences.map((c) => c.line));

  for (const e of run.errors) {
    const known = e.known;
    let severity: Severity;
    let message: string;
    let rel: RelatedLocation[] = [];
    const detail = known ? ` — ${known.summary}` : '';
    if (e.role === 'noise') {
      severity = e.kind === 'error' ? 'information' : 'hint';
      message = `${e.text} (${where(e)})${detail}`;
    } else if (e === root) {
      severity = 'error';
      message = `Root cause of the failed ${noun}: ${e.text} (${where(e)})${detail}`;
      rel = related(run.consequences, (c) => `follows from this: ${c.text}`);
    } else if (root && consequenceLines.has(e.line)) {
      severity = 'information';
      message = `${e.text} (${where(e)}) — follows from the root cause on line ${root.line + 1}: ${root.text}`;
      rel = [{ doc, range: at(root.line), message: `root cause: ${root.text}` }];
    } else if (run.outcome === 'success') {
      // Runs that succeed can log errors (an unlock after the lock rules were flushed...).
      severity = 'warning';
      message = `${e.text} (${where(e)})${detail} — logged, but the ${noun} succeeded`;
    } else if (e.kind === 'warn') {
      severity = 'warning';
      message = `${e.text} (${where(e)})${detail}`;
    } else {
      severity = root ? 'warning' : 'error';
      message = root ? `${e.text} (${where(e)})${detail} — the ${noun} failed because of line ${root.line + 1}` : `${e.text} (${where(e)})${detail}`;
      if (root) rel = [{ doc, range: at(root.line), message: `root cause: ${root.text}` }];
    }
    findings.push({
      doc,
      range: at(e.line),
      severity,
      code: `criu.${known?.id ?? (e.kind === 'error' ? 'error' : 'warning')}`,
      message,
      related: rel,
      ...(e.role === 'noise' ? { harmless: true } : {}),
    });
  }

  if (run.outcome === 'aborted' && run.outcomeLine === undefined && log.lineCount) {
    const last = log.lineCount - 1;
    findings.push({
      doc,
      range: range(last, 0, log.line(last).message.span.end),
      severity: 'warning',
      code: 'criu.log-ends-early',
      message: `The log ends without a verdict (${verdictLines[run.action]}): CRIU stopped here (it crashed, was killed, or the log is cut short)`,
      related: root ? [{ doc, range: at(root.line), message: `last causal error: ${root.text}` }] : [],
    });
  }

  for (const socket of sockets) {
    const packet = restorePacket(socket.imageState);
    const restoreLine = socket.sightings.find((s) => s.kind === 'restore')?.line;
    if (!packet || restoreLine === undefined) continue;
    const local = socket.local ? `${socket.local.address}:${socket.local.port}` : 'the local end';
    const peer = socket.peer ? `${socket.peer.address}:${socket.peer.port}` : 'the peer (see the dump log\'s Locked lines)';
    findings.push({
      doc,
      range: range(restoreLine, log.line(restoreLine).message.span.start, log.line(restoreLine).message.span.end),
      severity: 'information',
      code: 'criu.fin-path',
      message: `${socket.imageState} in the image: the restore re-sends the peer's ${packet} from a raw socket marked 0xC114, from ${peer} to ${local}; a netfilter drop of it on the local-out path fails the restore with EPERM`,
      related: [],
    });
  }
  return findings;
}
