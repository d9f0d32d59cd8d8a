import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import type { DocumentModel } from '../analysis';
import { explainAt } from '../criu/explain';
import { explain } from '../netfilter/iptables/explain';
import { nodeAt } from '../netfilter/iptables/query';

export function hover(model: DocumentModel, position: Position): Hover | null {
  if (model.language === 'criu-log') {
    const h = explainAt(model.criu, position);
    if (!h) return null;
    return { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: { start: { line: position.line, character: h.start }, end: { line: position.line, character: h.end } } };
  }
  if (model.language !== 'iptables-save') return null;
  const node = nodeAt(model.ruleset, position);
  if (!node) return null;
  return { contents: { kind: MarkupKind.Markdown, value: explain(model.ruleset, node) }, range: node.range };
}
