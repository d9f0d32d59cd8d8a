/**
 * The VS Code side: starts the language server (bundled as dist/server.js beside this file)
 * for CRIU logs and rulesets. All analysis lives in the server; this file only wires it up.
 */
import * as path from 'node:path';
import { commands, env, languages, Range, Selection, TextEditorRevealType, Uri, window, workspace, type ExtensionContext, type TextDocument } from 'vscode';
import { detectLanguage } from '../../server/src/core/language';
import { captureRules } from './capture';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

/** Language ids the server understands (package.json contributes the ones with a grammar). */
export const LANGUAGES = ['criu-log', 'iptables-save', 'nftables'] as const;

let client: LanguageClient | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    // The server indexes logs and rulesets in the workspace that are not open; it follows their changes.
    synchronize: { fileEvents: workspace.createFileSystemWatcher('**/*') },
  };
  // `.rules` files are iptables-save dumps by extension, but `nft list ruleset > x.rules` is common:
  // the content decides, with the detector the server and CLI use.
  const redetect = (d: TextDocument) => {
    if (d.languageId !== 'iptables-save') return;
    const head = d.getText(new Range(0, 0, Math.min(d.lineCount, 200), 0));
    if (detectLanguage(d.uri.fsPath, head) === 'nftables') void languages.setTextDocumentLanguage(d, 'nftables');
  };
  context.subscriptions.push(workspace.onDidOpenTextDocument(redetect));
  workspace.textDocuments.forEach(redetect);
  client = new LanguageClient('criuNetfilterLens', 'CRIU & Netfilter Lens', serverOptions, clientOptions);
  // The server's code lenses link the EPERM line and the rule: this opens the other end.
  context.subscriptions.push(
    commands.registerCommand('criuLens.reveal', reveal),
    commands.registerCommand('criuLens.captureRules', capture),
    // Quick fixes offer the live iptables command; the user runs it where and when they choose.
    commands.registerCommand('criuLens.copyToClipboard', async (text: string) => {
      await env.clipboard.writeText(text);
      void window.showInformationMessage(`Copied: ${text}`);
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

/** Opens `uri` and selects `range` (LSP shape, as the server's lenses pass it). */
async function reveal(uri: string, range: { start: { line: number; character: number }; end: { line: number; character: number } }): Promise<void> {
  const document = await workspace.openTextDocument(Uri.parse(uri));
  const r = new Range(range.start.line, range.start.character, range.end.line, range.end.character);
  const editor = await window.showTextDocument(document, { preview: false });
  editor.selection = new Selection(r.start, r.end);
  editor.revealRange(r, TextEditorRevealType.InCenter);
}

/** Captures this machine's rulesets into the first workspace folder and opens what was written. */
async function capture(): Promise<void> {
  const folder = workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
  if (!folder) {
    void window.showErrorMessage('Capture netfilter rules: open a folder first; the rules are written into it.');
    return;
  }
  const result = await captureRules(folder.uri.fsPath);
  const failures = result.failed.map((f) => `${f.command}: ${f.error}`).join('; ');
  if (!result.written.length) {
    void window.showErrorMessage(`No rules captured. ${failures} (the tools need root: run VS Code or the commands with sudo and save their output into the workspace).`);
    return;
  }
  for (const file of result.written) await window.showTextDocument(await workspace.openTextDocument(file), { preview: false });
  void window.showInformationMessage(`Captured ${result.written.length} ruleset(s) into ${result.folder}${failures ? `. Not captured: ${failures}` : ''}`);
}
