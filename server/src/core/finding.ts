import type { Range } from './text';

/**
 * A finding is the one currency of the analysis: diagnostics, hovers, lenses and the CLI's
 * output are all views of findings (DESIGN.md §2). `doc` names the document: an LSP uri in
 * the server, a file path in the CLI; the core never interprets it.
 */
export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface RelatedLocation {
  doc: string;
  range: Range;
  message: string;
}

export interface Finding {
  doc: string;
  range: Range;
  severity: Severity;
  /** Stable identifier, e.g. `criu.error`; users filter on it and docs explain it. */
  code: string;
  message: string;
  related: RelatedLocation[];
  /** Noise that is known to be harmless: shown faded where the client supports it. */
  harmless?: boolean;
}

const severityOrder: Record<Severity, number> = { error: 0, warning: 1, information: 2, hint: 3 };

/** Document order, then severity: how both the CLI and tests list findings. */
export function compareFindings(a: Finding, b: Finding): number {
  if (a.doc !== b.doc) return a.doc < b.doc ? -1 : 1;
  return (
    a.range.start.line - b.range.start.line ||
    a.range.start.character - b.range.start.character ||
    severityOrder[a.severity] - severityOrder[b.severity]
  );
}
