import type { Finding } from '../core/finding';
import type { LanguageId } from '../core/language';
import type { Evaluation } from '../netfilter/evaluate/walk';

/** The JSON shape of `criu-lens check --format json` (DESIGN.md §7; keep it stable). */
export interface CheckReport {
  files: { path: string; language: LanguageId }[];
  findings: {
    path: string;
    range: Finding['range'];
    severity: Finding['severity'];
    code: string;
    message: string;
    related: { path: string; range: Finding['range']; message: string }[];
  }[];
}

export function toReport(files: CheckReport['files'], findings: readonly Finding[]): CheckReport {
  return {
    files,
    findings: findings.map((f) => ({
      path: f.doc,
      range: f.range,
      severity: f.severity,
      code: f.code,
      message: f.message,
      related: f.related.map((r) => ({ path: r.doc, range: r.range, message: r.message })),
    })),
  };
}

/** Compiler style, 1-based: `path:line:col: severity: message [code]`, related locations indented below. */
export function formatText(findings: readonly Finding[]): string {
  const out: string[] = [];
  for (const f of findings) {
    out.push(`${f.doc}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity}: ${f.message} [${f.code}]`);
    for (const r of f.related) out.push(`    ${r.doc}:${r.range.start.line + 1}:${r.range.start.character + 1}: ${r.message}`);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

export function summary(fileCount: number, findings: readonly Finding[]): string {
  const count = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}, ${count('information') + count('hint')} notes in ${plural(fileCount, 'file')}`;
}

export function formatTrace(e: Evaluation): string {
  const at = (doc: string, r: { start: { line: number; character: number } }) => `${doc}:${r.start.line + 1}:${r.start.character + 1}`;
  const rule = (c: { table: string; chain: string; rule: number; skipped?: number }) => `${c.table}/${c.chain} ${c.skipped ? `rules ${c.rule}–${c.rule + c.skipped - 1}` : c.rule ? `rule ${c.rule}` : 'end'}`;
  const out = [`verdict: ${e.verdict}`];
  for (const c of e.culprits) out.push(`${e.verdict === 'drop' ? 'dropped by' : 'may be dropped by'}: ${rule(c)} (${at(c.doc, c.range)})`);
  if (e.conditions.length) out.push(`depends on: ${e.conditions.join('; ')}`);
  out.push('trace:');
  for (const t of e.trace) out.push(`  ${at(t.doc, t.range)}  ${rule(t)}  ${t.match === 'yes' ? 'match' : t.match === 'no' ? 'no match' : 'maybe'}  ${t.action}`);
  return out.join('\n') + '\n';
}

const sarifLevel: Record<Finding['severity'], 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

/**
 * SARIF 2.1.0 for code-scanning tools: one run, one result per finding, related locations
 * kept. SARIF counts lines and columns from 1.
 */
export function toSarif(findings: readonly Finding[], version: string): object {
  const region = (r: Finding['range']) => ({ startLine: r.start.line + 1, startColumn: r.start.character + 1, endLine: r.end.line + 1, endColumn: r.end.character + 1 });
  const location = (path: string, r: Finding['range'], message?: string) => ({
    physicalLocation: { artifactLocation: { uri: path }, region: region(r) },
    ...(message ? { message: { text: message } } : {}),
  });
  const rules = [...new Set(findings.map((f) => f.code))].sort().map((id) => ({ id }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'criu-lens', version, informationUri: 'https://criu.org', rules } },
        results: findings.map((f) => ({
          ruleId: f.code,
          level: sarifLevel[f.severity],
          message: { text: f.message },
          locations: [location(f.doc, f.range)],
          ...(f.related.length ? { relatedLocations: f.related.map((r, id) => ({ id, ...location(r.doc, r.range, r.message) })) } : {}),
        })),
      },
    ],
  };
}
