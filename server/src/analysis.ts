import type { Finding } from './core/finding';
import type { LanguageId } from './core/language';
import { analyseCriuLog, type CriuLogAnalysis } from './criu/analyse';
import { criuLogFindings } from './criu/findings';
import { LineShapes } from './criu/lineShapes';
import { analyseCriuText } from './criu/logModel';
import { pairingFindings, pairLogs } from './criu/pairing';
import { finFailures, linkFindings, linkFinFailures, type FinLink } from './link/finLink';
import { kernelEvidence, type Evidence } from './ktrace/evidence';
import { kernelTraceFindings } from './ktrace/findings';
import { parseKernelTrace, type KernelTrace } from './ktrace/model';
import { linkKernelEvidence, type KernelLinks } from './link/kernelEvidence';
import { iptablesFindings } from './netfilter/iptables/findings';
import type { DumpLine } from './netfilter/iptables/lineGrammar';
import type { IptablesRuleset } from './netfilter/iptables/model';
import { parseIptablesSave } from './netfilter/iptables/ruleset';
import { parseNftables } from './netfilter/nftables/build';
import { nftablesFindings } from './netfilter/nftables/findings';
import type { NftRuleset } from './netfilter/nftables/model';
import type { AnyRulesetInput } from './netfilter/evaluate/nftWalk';
import type { RulesetInput } from './netfilter/evaluate/walk';

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
  | { language: 'nftables'; nft: NftRuleset }
  | { language: 'kernel-trace'; trace: KernelTrace; evidence: Evidence[] };

/** Per-document memory kept between edits by a long-lived caller (the server). */
export interface ParseCache {
  iptablesLines?: Map<string, DumpLine>;
  /** The CRIU line starts learned from earlier versions (bounded: lineShapes.ts MAX_NODES). */
  criuShapes?: LineShapes;
}

export function buildModel(document: SourceDocument, cache?: ParseCache): DocumentModel {
  switch (document.language) {
    case 'criu-log':
      return { language: 'criu-log', criu: cache ? analyseCriuText(document.text, (cache.criuShapes ??= new LineShapes())) : analyseCriuLog(document.text) };
    case 'iptables-save':
      return { language: 'iptables-save', ruleset: parseIptablesSave(document.text, { cache: cache?.iptablesLines }) };
    case 'nftables':
      return { language: 'nftables', nft: parseNftables(document.text) };
    case 'kernel-trace': {
      const trace = parseKernelTrace(document.text);
      return { language: 'kernel-trace', trace, evidence: kernelEvidence(trace) };
    }
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
    case 'kernel-trace':
      return kernelTraceFindings(doc, model.trace, model.evidence);
  }
}

/** The log diagnostics that receive the dropping rule as related information. */
const FIN_FAILURE_CODES = new Set(['criu.soccr-fin-eperm', 'criu.soccr-fin-failed']);

/** Kernel-trace diagnostics that receive the EPERM line and candidate rules as related information. */
const KERNEL_LINKED_CODES = new Set(['ktrace.netfilter-drop', 'ktrace.rule-drop', 'ktrace.rule-trace', 'ktrace.mark-match', 'ktrace.conntrack-full']);

export interface WorkspaceAnalysis {
  findings: Finding[];
  /** Restore failures on the FIN path, with each ruleset's verdict on the packet. */
  links: FinLink[];
  /** Kernel evidence files linked to the EPERM lines and rules. */
  kernel: KernelLinks;
}

/**
 * Findings of documents read together: each document's own, then what links them — dump ↔
 * restore pairing (which completes the sockets), and the EPERM line ↔ the rule that drops the
 * FIN. The root-cause diagnostic of the EPERM line gets the dropping rule and the jumps that led
 * there as related information.
 */
export function analyseModels(models: readonly { doc: string; model: DocumentModel }[]): WorkspaceAnalysis {
  const criu = models.flatMap(({ doc, model }) => (model.language === 'criu-log' ? [{ doc, analysis: model.criu }] : []));
  const inputs = models.flatMap(({ doc, model }) => rulesetInputOf(doc, model) ?? []);
  const rulesets = inputs.filter((i): i is RulesetInput => 'ruleset' in i);
  const pairing = pairLogs(criu).flatMap(({ restore, dump }) => pairingFindings(restore, dump));
  // iptables dumps before nft rulesets: the order a FIN link lists its verdicts in.
  const links = linkFinFailures(finFailures(criu), [...rulesets, ...inputs.filter((i) => 'nft' in i)]);
  const linked = linkFindings(links);
  const own = models.flatMap(({ doc, model }) => modelFindings(doc, model));
  const linkedRules = new Set(linked.findings.filter((f) => f.code === 'link.drops-criu-fin').map((f) => `${f.doc}#${f.range.start.line}`));
  const findings = own.filter((f) => !((f.code === 'iptables.drops-criu-mark' || f.code === 'nftables.drops-criu-mark') && linkedRules.has(`${f.doc}#${f.range.start.line}`)));
  const kernelDocs = models.flatMap(({ doc, model }) => (model.language === 'kernel-trace' ? [{ doc, trace: model.trace, evidence: model.evidence }] : []));
  const kernel = linkKernelEvidence(kernelDocs, rulesets, links);
  for (const f of findings) {
    const key = `${f.doc}#${f.range.start.line}`;
    const extra = linked.related.get(key);
    if (extra && FIN_FAILURE_CODES.has(f.code)) f.related = [...extra, ...f.related];
    const fromKernel = kernel.related.get(key);
    if (fromKernel && (FIN_FAILURE_CODES.has(f.code) || KERNEL_LINKED_CODES.has(f.code))) f.related = [...f.related, ...fromKernel];
  }
  return { findings: [...findings, ...pairing, ...linked.findings, ...kernel.findings], links, kernel };
}

/** A model's ruleset as the evaluator and the links take it; undefined for logs and traces. */
export function rulesetInputOf(doc: string, model: DocumentModel): AnyRulesetInput | undefined {
  if (model.language === 'iptables-save') return { doc, ruleset: model.ruleset };
  if (model.language === 'nftables') return { doc, nft: model.nft };
  return undefined;
}

/** The single entry point from text to findings, shared by the language server and the CLI. */
export function analyseDocuments(documents: readonly SourceDocument[]): Finding[] {
  return analyseModels(documents.map((d) => ({ doc: d.doc, model: buildModel(d) }))).findings;
}
