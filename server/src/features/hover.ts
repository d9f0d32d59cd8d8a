import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import type { DocumentModel } from '../analysis';
import { explainAt } from '../criu/explain';
import { explain } from '../netfilter/iptables/explain';
import { nodeAt } from '../netfilter/iptables/query';
import { dropHover, exemptionFor } from '../link/exemption';
import type { FinLink } from '../link/finLink';
import { packetPathLink } from './packetPath';

/**
 * A rule that drops the FIN of a failed restore: its hover tells the packet's whole path and the
 * fixes. With the client's "Packet path" view, it and the EPERM line's hover link to the diagram.
 */
function linkHover(uri: string, position: Position, links: readonly FinLink[], packetPath: boolean): string | undefined {
  for (const link of links) {
    const target = (ruleset: string) => ({ log: link.failure.doc, line: link.failure.line, ruleset });
    if (packetPath && link.failure.doc === uri && link.failure.line === position.line && link.failure.packet && link.verdicts.length) {
      return link.verdicts.map((v) => `${packetPathLink(target(v.ruleset.doc))} through ${decodeURIComponent(v.ruleset.doc.replace(/^.*[\\/]/, ''))}`).join(' · ');
    }
    for (const { ruleset, evaluation } of link.verdicts) {
      const culprit = evaluation.culprits.find((c) => c.doc === uri && c.range.start.line === position.line);
      if (culprit) return dropHover(link, evaluation, exemptionFor(ruleset.ruleset, culprit)) + (packetPath ? `\n\n${packetPathLink(target(ruleset.doc))}` : '');
    }
  }
  return undefined;
}

export function hover(model: DocumentModel, position: Position, uri = '', links: readonly FinLink[] = [], options: { packetPath?: boolean } = {}): Hover | null {
  const extra = linkHover(uri, position, links, options.packetPath === true);
  const base = hoverOf(model, position);
  if (!extra) return base;
  const value = base && typeof base.contents === 'object' && 'value' in base.contents ? `${extra}\n\n---\n\n${base.contents.value}` : extra;
  return { contents: { kind: MarkupKind.Markdown, value }, ...(base?.range ? { range: base.range } : {}) };
}

function hoverOf(model: DocumentModel, position: Position): Hover | null {
  if (model.language === 'criu-log') {
    const h = explainAt(model.criu, position);
    if (!h) return null;
    return { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: { start: { line: position.line, character: h.start }, end: { line: position.line, character: h.end } } };
  }
  if (model.language !== 'iptables-save') return null;
  const node = nodeAt(model.ruleset, position);
  if (!node) return null;
  return { contents: { kind: MarkupKind.Markdown, value: explain(model.ruleset, node) }, range: node.range };
}
