import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import type { DocumentModel } from '../analysis';
import { explainAt } from '../criu/explain';
import { explain } from '../netfilter/iptables/explain';
import { nodeAt } from '../netfilter/iptables/query';
import { explain as explainNft } from '../netfilter/nftables/explain';
import { nodeAt as nftNodeAt } from '../netfilter/nftables/query';
import { dropHover, exemptionForInput } from '../link/exemption';
import type { FinLink } from '../link/finLink';
import { evidenceHover, type KernelLinks } from '../link/kernelEvidence';
import { explainTraceAt } from '../ktrace/explain';
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
      if (culprit) return dropHover(link, evaluation, exemptionForInput(ruleset, culprit)) + (packetPath ? `\n\n${packetPathLink(target(ruleset.doc))}` : '');
    }
  }
  return undefined;
}

/** On the EPERM line of a failed FIN: which kernel evidence is present, and how to capture the rest. */
function kernelHover(uri: string, position: Position, links: readonly FinLink[], kernel: KernelLinks | undefined): string | undefined {
  if (!kernel || !links.some((l) => l.failure.doc === uri && l.failure.line === position.line)) return undefined;
  return evidenceHover(kernel.present);
}

export function hover(model: DocumentModel, position: Position, uri = '', links: readonly FinLink[] = [], kernel?: KernelLinks, options: { packetPath?: boolean } = {}): Hover | null {
  const extra = linkHover(uri, position, links, options.packetPath === true);
  const base = withKernel(hoverOf(model, position), kernelHover(uri, position, links, kernel));
  if (!extra) return base;
  const value = base && typeof base.contents === 'object' && 'value' in base.contents ? `${extra}\n\n---\n\n${base.contents.value}` : extra;
  return { contents: { kind: MarkupKind.Markdown, value }, ...(base?.range ? { range: base.range } : {}) };
}

/** Appends the kernel-evidence section to a hover (kept after what the line itself says). */
function withKernel(base: Hover | null, section: string | undefined): Hover | null {
  if (!section) return base;
  const value = base && typeof base.contents === 'object' && 'value' in base.contents ? `${base.contents.value}\n\n---\n\n${section}` : section;
  return { contents: { kind: MarkupKind.Markdown, value }, ...(base?.range ? { range: base.range } : {}) };
}

function hoverOf(model: DocumentModel, position: Position): Hover | null {
  if (model.language === 'kernel-trace') {
    const h = explainTraceAt(model.trace, position, model.evidence);
    return h ? { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: h.range } : null;
  }
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
