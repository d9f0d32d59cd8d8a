import { DiagnosticSeverity, DiagnosticTag, type Diagnostic } from 'vscode-languageserver';
import type { Finding, Severity } from '../core/finding';

const severities: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export const DIAGNOSTIC_SOURCE = 'criu-lens';

export function toDiagnostic(finding: Finding): Diagnostic {
  return {
    range: finding.range,
    severity: severities[finding.severity],
    code: finding.code,
    source: DIAGNOSTIC_SOURCE,
    message: finding.message,
    ...(finding.harmless ? { tags: [DiagnosticTag.Unnecessary] } : {}),
    ...(finding.related.length
      ? {
          relatedInformation: finding.related.map((r) => ({
            location: { uri: r.doc, range: r.range },
            message: r.message,
          })),
        }
      : {}),
  };
}

/** Diagnostics for each document, every analysed document included (an empty list clears old ones). */
export function diagnosticsByDocument(docs: readonly string[], findings: readonly Finding[]): Map<string, Diagnostic[]> {
  const byDoc = new Map<string, Diagnostic[]>(docs.map((d) => [d, []]));
  for (const f of findings) byDoc.get(f.doc)?.push(toDiagnostic(f));
  return byDoc;
}
