import type { Finding } from './core/finding';
import type { LanguageId } from './core/language';
import { analyseCriuLog, type CriuLogAnalysis } from './criu/analyse';
import { criuLogFindings } from './criu/findings';
import { pairingFindings, pairLogs } from './criu/pairing';
import { iptablesFindings } from './netfilter/iptables/findings';
import type { DumpLine } from './netfilter/iptables/lineGrammar';
import type { IptablesRuleset } from './netfilter/iptables/model';
import { parseIptablesSave } from './netfilter/iptables/ruleset';

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
  | { language: 'nftables' };

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
      // The nftables parser arrives with the nftables issue; until then such files have no findings.
      return { language: 'nftables' };
  }
}

export function modelFindings(doc: string, model: DocumentModel): Finding[] {
  switch (model.language) {
    case 'criu-log':
      return criuLogFindings(doc, model.criu);
    case 'iptables-save':
      return iptablesFindings(doc, model.ruleset);
    case 'nftables':
      return [];
  }
}

/** Findings that need several documents together (dump ↔ restore pairing for now). */
export function crossFindings(models: readonly { doc: string; model: DocumentModel }[]): Finding[] {
  const criu = models.flatMap(({ doc, model }) => (model.language === 'criu-log' ? [{ doc, analysis: model.criu }] : []));
  return pairLogs(criu).flatMap(({ restore, dump }) => pairingFindings(restore, dump));
}

/** The single entry point from text to findings, shared by the language server and the CLI. */
export function analyseDocuments(documents: readonly SourceDocument[]): Finding[] {
  const models = documents.map((d) => ({ doc: d.doc, model: buildModel(d) }));
  // Cross-file findings first: pairing completes sockets (peers) that per-document findings describe.
  const cross = crossFindings(models);
  return [...models.flatMap(({ doc, model }) => modelFindings(doc, model)), ...cross];
}
