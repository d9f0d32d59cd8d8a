/**
 * Code lenses of the EPERM ↔ rule link: on the log line, one per ruleset verdict; on the rule,
 * the reverse. Their command (`criuLens.reveal`, registered by the client) opens the other end.
 */
import type { CodeLens, Location } from 'vscode-languageserver';
import { range as lineRange } from '../core/text';
import { culpritName, firstTableRange, type FinLink } from '../link/finLink';
import { showPacketPathCommand } from './packetPath';

export const REVEAL_COMMAND = 'criuLens.reveal';
export const CAPTURE_COMMAND = 'criuLens.captureRules';

function basename(doc: string): string {
  return decodeURIComponent(doc.replace(/^.*[\\/]/, ''));
}

function logLineRange(link: FinLink) {
  const line = link.failure.analysis.log.line(link.failure.line);
  return lineRange(link.failure.line, line.level?.span.start ?? 0, line.message.span.end);
}

/** `packetPath`: the client has the "Packet path" view (VS Code's does); lenses open it too. */
export function codeLenses(uri: string, links: readonly FinLink[], options: { packetPath?: boolean } = {}): CodeLens[] {
  const lenses: CodeLens[] = [];
  for (const link of links) {
    if (link.failure.doc === uri) {
      const at = logLineRange(link);
      if (link.failure.packet && link.verdicts.length === 0) {
        lenses.push({ range: at, command: { title: 'No ruleset known: capture netfilter rules from this machine', command: CAPTURE_COMMAND, arguments: [] } });
      }
      for (const { ruleset, evaluation } of link.verdicts) {
        if (evaluation.verdict === 'accept') {
          lenses.push({ range: at, command: { title: `Not dropped by ${basename(ruleset.doc)}`, command: REVEAL_COMMAND, arguments: [ruleset.doc, firstTableRange(ruleset)] } });
          continue;
        }
        for (const c of evaluation.culprits) {
          const title = `${evaluation.verdict === 'drop' ? 'Dropped by' : 'May be dropped by'} ${culpritName(c)} (${basename(c.doc)}:${c.range.start.line + 1})`;
          lenses.push({ range: at, command: { title, command: REVEAL_COMMAND, arguments: [c.doc, c.range] } });
        }
        if (options.packetPath) lenses.push({ range: at, command: showPacketPathCommand({ log: link.failure.doc, line: link.failure.line, ruleset: ruleset.doc }) });
      }
    }
    for (const { ruleset, evaluation } of link.verdicts) {
      for (const c of evaluation.culprits) {
        if (c.doc !== uri) continue;
        const title = `${evaluation.verdict === 'drop' ? 'Drops' : 'May drop'} CRIU's FIN (${basename(link.failure.doc)}:${link.failure.line + 1})`;
        lenses.push({ range: c.range, command: { title, command: REVEAL_COMMAND, arguments: [link.failure.doc, logLineRange(link)] } });
        if (options.packetPath) lenses.push({ range: c.range, command: showPacketPathCommand({ log: link.failure.doc, line: link.failure.line, ruleset: ruleset.doc }) });
      }
    }
  }
  return lenses;
}

/** Go to Definition on the EPERM line: the rules that drop (or may drop) the FIN. */
export function finDefinition(uri: string, line: number, links: readonly FinLink[]): Location[] {
  return links
    .filter((l) => l.failure.doc === uri && l.failure.line === line)
    .flatMap((l) => l.verdicts.flatMap((v) => (v.evaluation.verdict === 'accept' ? [] : v.evaluation.culprits.map((c) => ({ uri: c.doc, range: c.range })))));
}
