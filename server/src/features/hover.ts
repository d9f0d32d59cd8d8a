import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import type { DocumentModel } from '../analysis';
import { explainAt } from '../criu/explain';
import { explain } from '../netfilter/iptables/explain';
import { nodeAt } from '../netfilter/iptables/query';
import { explain as explainNft } from '../netfilter/nftables/explain';
import { nodeAt as nftNodeAt } from '../netfilter/nftables/query';
import { dropHover, exemptionFor } from '../link/exemption';
import type { FinLink } from '../link/finLink';

/** A rule that drops the FIN of a failed restore: its hover tells the packet's whole path and the fixes. */
function linkHover(uri: string, position: Position, links: readonly FinLink[]): string | undefined {
  for (const link of links) {
    for (const { ruleset, evaluation } of link.verdicts) {
      const culprit = evaluation.culprits.find((c) => c.doc === uri && c.range.start.line === position.line);
      if (culprit) return dropHover(link, evaluation, exemptionFor(ruleset.ruleset, culprit));
    }
  }
  return undefined;
}

export function hover(model: DocumentModel, position: Position, uri = '', links: readonly FinLink[] = []): Hover | null {
  const extra = linkHover(uri, position, links);
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
  if (model.language === 'nftables') {
    const node = nftNodeAt(model.nft, position);
    if (!node) return null;
    return { contents: { kind: MarkupKind.Markdown, value: explainNft(model.nft, node) }, range: node.range };
  }
  const node = nodeAt(model.ruleset, position);
  if (!node) return null;
  return { contents: { kind: MarkupKind.Markdown, value: explain(model.ruleset, node) }, range: node.range };
}
