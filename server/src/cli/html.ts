/**
 * `criu-lens check --format html`: one self-contained page (no scripts, no remote resources) with
 * the findings and, for each failed FIN linked to a ruleset, its packet-path diagram, for CI
 * artefacts and incident documents.
 */
import type { Finding } from '../core/finding';
import type { FinLink } from '../link/finLink';
import { finLinkDiagram } from '../diagram/packetPath';
import { diagramCss, escapeXml, renderDiagramSvg } from '../diagram/svg';

const pageCss = `
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1f2328; background: #ffffff; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; font-size: 13px; }
td.loc, code { font-family: ui-monospace, Consolas, monospace; }
.error { color: #cf222e; font-weight: bold; } .warning { color: #9a6700; font-weight: bold; }
.diagram { overflow-x: auto; border: 1px solid #d0d7de; margin-bottom: 2rem; }
ul.related { margin: 0.25rem 0 0 1rem; padding: 0; }
`;

const at = (doc: string, r: Finding['range']) => `${doc}:${r.start.line + 1}:${r.start.character + 1}`;

export function htmlReport(files: readonly { path: string; language: string }[], findings: readonly Finding[], links: readonly FinLink[], version: string): string {
  const rows = findings.map(
    (f) =>
      `<tr><td class="loc">${escapeXml(at(f.doc, f.range))}</td><td class="${f.severity}">${f.severity}</td><td>${escapeXml(f.message)}${
        f.related.length ? `<ul class="related">${f.related.map((r) => `<li><code>${escapeXml(at(r.doc, r.range))}</code> ${escapeXml(r.message)}</li>`).join('')}</ul>` : ''
      }</td><td><code>${escapeXml(f.code)}</code></td></tr>`,
  );
  const diagrams: string[] = [];
  let n = 0;
  for (const link of links) {
    if (!link.failure.packet) continue;
    for (const verdict of link.verdicts) {
      const d = finLinkDiagram(link.failure.packet, { ruleset: verdict.ruleset, evaluation: verdict.evaluation });
      n++;
      diagrams.push(
        `<h3>${escapeXml(`${link.failure.doc}:${link.failure.line + 1}`)} against ${escapeXml(verdict.ruleset.doc)}: ${escapeXml(d.verdict)}</h3>`,
        `<div class="diagram">${renderDiagramSvg(d, { idPrefix: `pp${n}`, omitStyle: true })}</div>`,
      );
    }
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>criu-lens report</title><style>${pageCss}${diagramCss}</style></head><body>`,
    `<h1>criu-lens ${escapeXml(version)} report</h1>`,
    `<p>Files: ${files.map((f) => `<code>${escapeXml(f.path)}</code> (${escapeXml(f.language)})`).join(', ')}</p>`,
    `<h2>Findings (${findings.length})</h2>`,
    findings.length ? `<table><thead><tr><th>Where</th><th>Severity</th><th>Message</th><th>Code</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>` : '<p>No findings.</p>',
    `<h2>Packet paths of failed FINs (${n})</h2>`,
    n ? diagrams.join('\n') : '<p>No restore that failed sending its FIN was linked to a ruleset.</p>',
    '</body></html>',
    '',
  ].join('\n');
}
