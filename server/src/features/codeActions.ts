/**
 * Quick fixes on a rule that drops CRIU's FIN: insert the 0xc114 exemption before it in the saved
 * file, or copy the equivalent live command. Nothing changes without the user choosing it.
 */
import { CodeActionKind, type CodeAction, type CodeActionParams, type Diagnostic } from 'vscode-languageserver';
import { exemptionForInput } from '../link/exemption';
import type { FinLink } from '../link/finLink';

export const COPY_COMMAND = 'criuLens.copyToClipboard';
/** Replays CRIU's packet in a throw-away namespace (server request `criuLens/replay`); the client asks first. */
export const CONFIRM_COMMAND = 'criuLens.confirmWithKernel';

export function codeActions(params: CodeActionParams, links: readonly FinLink[]): CodeAction[] {
  const uri = params.textDocument.uri;
  const actions: CodeAction[] = [];
  const seen = new Set<number>();
  for (const link of links) {
    for (const { ruleset, evaluation } of link.verdicts) {
      for (const culprit of evaluation.culprits) {
        if (culprit.doc !== uri || seen.has(culprit.range.start.line)) continue;
        if (culprit.range.start.line > params.range.end.line || culprit.range.end.line < params.range.start.line) continue;
        const fix = exemptionForInput(ruleset, culprit);
        if (!fix) continue;
        seen.add(culprit.range.start.line);
        const diagnostics: Diagnostic[] = params.context.diagnostics.filter((d) => d.code === 'link.drops-criu-fin' && d.range.start.line === culprit.range.start.line);
        actions.push({
          title: `Let CRIU's FIN pass: insert \`${fix.line}\` before this rule`,
          kind: CodeActionKind.QuickFix,
          isPreferred: true,
          diagnostics,
          edit: { changes: { [uri]: [{ range: { start: { line: fix.beforeLine, character: 0 }, end: { line: fix.beforeLine, character: 0 } }, newText: `${fix.indent ?? ''}${fix.line}\n` }] } },
        });
        actions.push({
          title: `Copy the live command: ${fix.liveCommand}`,
          kind: CodeActionKind.QuickFix,
          diagnostics,
          command: { title: 'Copy to clipboard', command: COPY_COMMAND, arguments: [fix.liveCommand] },
        });
        if (fix.handleCommand) {
          actions.push({
            title: `Copy the live command by the rule's handle (from \`nft -a list ruleset\`): ${fix.handleCommand}`,
            kind: CodeActionKind.QuickFix,
            diagnostics,
            command: { title: 'Copy to clipboard', command: COPY_COMMAND, arguments: [fix.handleCommand] },
          });
        }
      }
    }
  }
  // On the EPERM line: confirm the evaluator's answer with the kernel itself.
  for (const link of links) {
    const line = link.failure.line;
    if (link.failure.doc !== uri || !link.failure.packet || !link.verdicts.length || line < params.range.start.line || line > params.range.end.line) continue;
    actions.push({
      title: "Confirm with the kernel: replay CRIU's packet against the ruleset in a throw-away network namespace (root)",
      kind: CodeActionKind.QuickFix,
      command: { title: 'Confirm with the kernel', command: CONFIRM_COMMAND, arguments: [uri, line] },
    });
  }
  return actions;
}
