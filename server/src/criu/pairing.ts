/**
 * A restore log and the dump log of the same checkpoint, read together: the dump saw each
 * socket's state when it collected it, the restore shows the state in the image, and only the
 * dump's lock lines name the peer. A socket that was ESTABLISHED when collected but half-closed
 * in the image is the one whose restore re-sends a FIN (DESIGN.md §1).
 */
import type { Finding } from '../core/finding';
import { range } from '../core/text';
import type { CriuLogAnalysis } from './analyse';
import { pairWithDump, restorePacket } from './sockets';

export interface CriuDocument {
  doc: string;
  analysis: CriuLogAnalysis;
}

/** Restore logs paired with the dump logs whose sockets they restore (same inode). */
export function pairLogs(docs: readonly CriuDocument[]): { restore: CriuDocument; dump: CriuDocument }[] {
  const restores = docs.filter((d) => d.analysis.run.action === 'restore');
  const dumps = docs.filter((d) => d.analysis.run.action === 'dump');
  const out: { restore: CriuDocument; dump: CriuDocument }[] = [];
  for (const restore of restores) {
    const dump = dumps.find((d) => pairWithDump(restore.analysis.sockets.sockets, d.analysis.sockets.sockets).length > 0);
    if (dump) out.push({ restore, dump });
  }
  return out;
}

/** Completes the restore's sockets from the dump (peer, collection state) and explains state changes. */
export function pairingFindings(restore: CriuDocument, dump: CriuDocument): Finding[] {
  const findings: Finding[] = [];
  for (const { restored, dumped } of pairWithDump(restore.analysis.sockets.sockets, dump.analysis.sockets.sockets)) {
    restored.peer ??= dumped.peer;
    restored.collectedState ??= dumped.collectedState;
    const restoreLine = restored.sightings.find((s) => s.kind === 'restore')?.line;
    const collectedLine = dumped.sightings.find((s) => s.kind === 'collected' || s.kind === 'dumping')?.line;
    if (restoreLine === undefined || collectedLine === undefined) continue;
    const before = dumped.collectedState;
    const after = restored.imageState;
    if (!before || !after || before === after) continue;
    const packet = restorePacket(after);
    const lineText = restore.analysis.log.line(restoreLine);
    findings.push({
      doc: restore.doc,
      range: range(restoreLine, lineText.message.span.start, lineText.message.span.end),
      severity: 'information',
      code: 'criu.state-changed',
      message: `Socket ino 0x${restored.ino!.toString(16)} was ${before} when the dump collected it and ${after} in the image: ` +
        (packet
          ? `the peer closed the connection while the task was frozen, so the restore re-sends its ${packet} (from a raw socket marked 0xC114)`
          : 'its state changed while the task was frozen'),
      related: [
        { doc: dump.doc, range: range(collectedLine, 0, dump.analysis.log.line(collectedLine).message.span.end), message: `collected as ${before}` },
        ...dump.analysis.sockets.lock.connections
          .filter((c) => restored.local && c.local.port === restored.local.port && c.local.address === restored.local.address)
          .map((c) => ({ doc: dump.doc, range: range(c.line, 0, dump.analysis.log.line(c.line).message.span.end), message: 'the connection as the dump locked it' })),
      ],
    });
  }
  return findings;
}
