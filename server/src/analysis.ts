import type { Finding } from './core/finding';
import type { LanguageId } from './core/language';
import { criuLogFindings } from './criu/findings';
import { parseCriuLog } from './criu/logModel';

/** A document as both front ends hand it to the analysis: an id (uri or path), its language and text. */
export interface SourceDocument {
  doc: string;
  language: LanguageId;
  text: string;
}

/**
 * The single entry point from text to findings, shared by the language server and the CLI.
 * Rulesets have no findings of their own yet: their parser arrives with the iptables issue.
 */
export function analyseDocuments(documents: readonly SourceDocument[]): Finding[] {
  const findings: Finding[] = [];
  for (const document of documents) {
    if (document.language === 'criu-log') {
      findings.push(...criuLogFindings(document.doc, parseCriuLog(document.text)));
    }
  }
  return findings;
}
