import type { Finding } from './core/finding';
import type { LanguageId } from './core/language';
import { analyseCriuLog, type CriuLogAnalysis } from './criu/analyse';
import { criuLogFindings } from './criu/findings';
import { pairingFindings, pairLogs } from './criu/pairing';
import { finFailures, linkFindings, linkFinFailures, type FinLink } from './link/finLink';
import { iptablesFindings } from './netfilter/iptables/findings';
import type { DumpLine } from './netfilter/iptables/lineGrammar';
import type { IptablesRuleset } from './netfilter/iptables/model';
import { parseIptablesSave } from './netfilter/iptables/ruleset';
import { parseNftables } from './netfilter/nftables/build';
import { nftablesFindings } from './netfilter/nftables/findings';
import type { NftRuleset } from './netfilter/nftables/model';

/** A document as both front ends hand it to the analysis: an id (uri or path), its language and text. */
export interface SourceDocument {
  doc: string;
  language: LanguageId;
  text: string;
}

/** The parsed form of a document, by language. */
export type DocumentModel =
  | { language: 'criu-log'; criu: CriuLogAnalysis }
  | { language: 'iptables-save'; ruleset: IptablesRuleset }
  | { language: 'nftables'; nft: NftRuleset };

/** Per-document memory kept between edits by a long-lived caller (the server). */
export interface ParseCache {
  iptablesLines?: Map<string, DumpLine>;
}

export function buildModel(document: SourceDocument, cache?: ParseCache): DocumentModel {
  switch (document.language) {
    case 'criu-log':
      return { language: 'criu-log', criu: analyseCriuLog(document.text) };
    case 'iptables-save':
      return { language: 'iptables-save', ruleset: parseIptablesSave(document.text, { cache: cache?.iptablesLines }) };
    case 'nftables':
      return { language: 'nftables', nft: parseNftables(document.text) };
  }
}

export function modelFindings(doc: string, model: DocumentModel): Finding[] {
  switch (model.language) {
    case 'criu-log':
      return criuLogFindings(doc, model.criu);
    case 'iptables-save':
      return iptablesFindings(doc, model.ruleset);
    case 'nftables':
      return nftablesFindings(doc, model.nft);
  }
}

/** The log diagnostics that receive the dropping rule as related information. */
const FIN_FAILURE_CODES = new Set(['criu.soccr-fin-eperm', 'criu.soccr-fin-failed']);

export interface WorkspaceAnalysis {
  findings: Finding[];
  /** Restore failures on the FIN path, with each ruleset's verdict on the packet. */
  links: FinLink[];
}

/**
 * Findings of documents read together: each document's own, then what links them — dump ↔
 * restore pairing (which completes the sockets), and the EPERM line ↔ the rule that drops the
 * FIN. The root-cause diagnostic of the EPERM line gets the dropping rule and the jumps that led
 * there as related information.
 */
export function analyseModels(models: readonly { doc: string; model: DocumentModel }[]): WorkspaceAnalysis {
  const criu = models.flatMap(({ doc, model }) => (model.language === 'criu-log' ? [{ doc, analysis: model.criu }] : []));
  const rulesets = models.flatMap(({ doc, model }) => (model.language === 'iptables-save' ? [{ doc, ruleset: model.ruleset }] : []));
  const pairing = pairLogs(criu).flatMap(({ restore, dump }) => pairingFindings(restore, dump));
  const links = linkFinFailures(finFailures(criu), rulesets);
  const linked = linkFindings(links);
  const own = models.flatMap(({ doc, model }) => modelFindings(doc, model));
  const linkedRules = new Set(linked.findings.filter((f) => f.code === 'link.drops-criu-fin').map((f) => `${f.doc}#${f.range.start.line}`));
  const findings = own.filter((f) => !(f.code === 'iptables.drops-criu-mark' && linkedRules.has(`${f.doc}#${f.range.start.line}`)));
  for (const f of findings) {
    const extra = linked.related.get(`${f.doc}#${f.range.start.line}`);
    if (extra && FIN_FAILURE_CODES.has(f.code)) f.related = [...extra, ...f.related];
  }
  return { findings: [...findings, ...pairing, ...linked.findings], links };
}

/** The single entry point from text to findings, shared by the language server and the CLI. */
export function analyseDocuments(documents: readonly SourceDocument[]): Finding[] {
  return analyseModels(documents.map((d) => ({ doc: d.doc, model: buildModel(d) }))).findings;
}
