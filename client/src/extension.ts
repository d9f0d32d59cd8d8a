/**
 * The VS Code side: starts the language server (bundled as dist/server.js beside this file)
 * for CRIU logs and rulesets. All analysis lives in the server; this file only wires it up.
 */
import * as path from 'node:path';
import { commands, DocumentLink, env, EventEmitter, languages, Range, Selection, TabInputText, TextEditorRevealType, Uri, ViewColumn, window, workspace, type ExtensionContext, type TextDocument, type TextDocumentContentProvider } from 'vscode';
import { detectLanguage } from '../../server/src/core/language';
import { captureRules } from './capture';
import { registerPacketPath, SHOW_PACKET_PATH } from './packetPath';
import { SYNC_LIMIT_BYTES, tooLargeCriuLog } from './largeFile';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

/** Language ids the server understands (package.json contributes the ones with a grammar). */
export const LANGUAGES = ['criu-log', 'iptables-save', 'nftables', 'kernel-trace'] as const;

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
    // This client has the "Packet path" view: the server's lenses and hovers may open it.
    initializationOptions: { packetPathView: true },
    markdown: { isTrusted: { enabledCommands: [SHOW_PACKET_PATH] } },
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
    commands.registerCommand('criuLens.confirmWithKernel', confirmWithKernel),
    // Quick fixes offer the live iptables command; the user runs it where and when they choose.
    commands.registerCommand('criuLens.copyToClipboard', async (text: string) => {
      await env.clipboard.writeText(text);
      void window.showInformationMessage(`Copied: ${text}`);
    }),
    commands.registerCommand('criuLens.analyseLargeLog', analyseLargeLog),
    workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, summaries),
    languages.registerDocumentLinkProvider({ scheme: SUMMARY_SCHEME }, { provideDocumentLinks: summaryLinks }),
    window.tabGroups.onDidChangeTabs((e) => offerLargeLogs(e.opened)),
  );
  registerPacketPath(context, () => client, reveal);
  await client.start();
  offerLargeLogs(window.tabGroups.all.flatMap((g) => g.tabs));
}

/** Virtual documents holding the summaries of large logs: `criu-summary:/<name> summary.md?<log uri>`. */
const SUMMARY_SCHEME = 'criu-summary';

interface SummaryLink { line: number; start: number; end: number; doc: string; range: { start: { line: number; character: number }; end: { line: number; character: number } } }
interface LargeLogResult { uri: string; lineCount: number; bytes: number; seconds: number; findings: number; summary: { text: string; links: SummaryLink[] } }

class Summaries implements TextDocumentContentProvider {
  readonly byUri = new Map<string, LargeLogResult>();
  private readonly changed = new EventEmitter<Uri>();
  readonly onDidChange = this.changed.event;

  set(uri: Uri, result: LargeLogResult): void {
    this.byUri.set(uri.toString(), result);
    this.changed.fire(uri);
  }

  provideTextDocumentContent(uri: Uri): string {
    return this.byUri.get(uri.toString())?.summary.text ?? 'This summary is gone (the window was reloaded): run "Analyse large CRIU log…" again.';
  }
}
const summaries = new Summaries();

/** Every line reference of a summary opens its file there, the big log included. */
function summaryLinks(document: { uri: Uri }): DocumentLink[] {
  const result = summaries.byUri.get(document.uri.toString());
  return (result?.summary.links ?? []).map((l) => {
    const target = Uri.parse(`command:criuLens.reveal?${encodeURIComponent(JSON.stringify([l.doc, l.range]))}`);
    const link = new DocumentLink(new Range(l.line, l.start, l.line, l.end), target);
    link.tooltip = `Open ${Uri.parse(l.doc).path.replace(/^.*\//, '')} at line ${l.range.start.line + 1}`;
    return link;
  });
}

/** The file of the active tab, when it is a file on disk (too-large files have a tab but no TextDocument). */
function activeFileUri(): Uri | undefined {
  const input = window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof TabInputText ? input.uri : window.activeTextEditor?.document.uri;
  return uri?.scheme === 'file' ? uri : undefined;
}

/**
 * "Analyse large CRIU log…": the server reads the file from disk (progress and Cancel in a
 * notification, from the server's $/progress), publishes its findings, and the summary opens
 * beside it.
 */
async function analyseLargeLog(target?: Uri): Promise<void> {
  let uri = target instanceof Uri ? target : activeFileUri();
  if (!uri || !/\.log(\.\d+)?$/i.test(uri.path)) {
    const picked = await window.showOpenDialog({ canSelectMany: false, openLabel: 'Analyse', title: 'Analyse large CRIU log', filters: { 'CRIU logs': ['log'], 'All files': ['*'] }, ...(uri ? { defaultUri: uri } : {}) });
    if (!picked?.length) return;
    uri = picked[0];
  }
  if (!client) return;
  let result: LargeLogResult;
  try {
    result = await client.sendRequest<LargeLogResult>('criuLens/analyseLargeLog', { uri: uri.toString() });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (!/cancelled|superseded/.test(message)) void window.showErrorMessage(`Analyse large CRIU log: ${message}`);
    return;
  }
  const name = uri.path.replace(/^.*\//, '');
  const summaryUri = Uri.from({ scheme: SUMMARY_SCHEME, path: `/${name} summary.md`, query: uri.toString() });
  summaries.set(summaryUri, result);
  const document = await workspace.openTextDocument(summaryUri);
  await languages.setTextDocumentLanguage(document, 'markdown');
  await window.showTextDocument(document, { preview: false, viewColumn: ViewColumn.Beside });
}

/** Files already offered this session: the offer comes once per file. */
const offered = new Set<string>();

/** Offers the command for opened CRIU logs that VS Code is too big to hand to the server. */
function offerLargeLogs(tabs: readonly { input: unknown }[]): void {
  const config = workspace.getConfiguration('criuLens.largeLog');
  if (!config.get<boolean>('offerAnalysis', true)) return;
  const limit = config.get<number>('thresholdBytes', SYNC_LIMIT_BYTES);
  for (const tab of tabs) {
    if (!(tab.input instanceof TabInputText) || tab.input.uri.scheme !== 'file') continue;
    const uri = tab.input.uri;
    if (offered.has(uri.toString())) continue;
    const size = tooLargeCriuLog(uri.fsPath, limit);
    if (size === undefined) continue;
    offered.add(uri.toString());
    const name = uri.path.replace(/^.*\//, '');
    void window
      .showInformationMessage(`${name} is ${Math.round(size / 1e6)} MB: too big for VS Code to hand to extensions, so it has no diagnostics. CRIU & Netfilter Lens can read it from disk.`, 'Analyse large CRIU log…', 'Not now')
      .then((choice) => {
        if (choice === 'Analyse large CRIU log…') void commands.executeCommand('criuLens.analyseLargeLog', uri);
      });
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

/** Opens `uri` and selects `range` (LSP shape, as the server's lenses pass it), in `column` when given. */
async function reveal(uri: string, range: { start: { line: number; character: number }; end: { line: number; character: number } }, column?: ViewColumn): Promise<void> {
  const r = new Range(range.start.line, range.start.character, range.end.line, range.end.character);
  let document;
  try {
    document = await workspace.openTextDocument(Uri.parse(uri));
  } catch {
    // Files over 50 MB cannot be opened as an extension's TextDocument; the editor itself opens them.
    await commands.executeCommand('vscode.open', Uri.parse(uri), { preview: false, selection: r, viewColumn: column ?? ViewColumn.One });
    return;
  }
  const editor = await window.showTextDocument(document, { preview: false, ...(column !== undefined ? { viewColumn: column } : {}) });
  editor.selection = new Selection(r.start, r.end);
  editor.revealRange(r, TextEditorRevealType.InCenter);
}

/**
 * Asks, then has the server replay CRIU's packet against the ruleset in a throw-away network
 * namespace (root only) and shows the kernel's trace beside the evaluator's.
 */
async function confirmWithKernel(uri?: string, line?: number): Promise<void> {
  const editor = window.activeTextEditor;
  const target = uri ?? editor?.document.uri.toString();
  const at = line ?? editor?.selection.active.line;
  if (!client || !target || at === undefined) return;
  const go = await window.showWarningMessage(
    "Replay CRIU's packet against the ruleset in a throw-away network namespace? It needs root; the host's own ruleset is not touched and the namespace is deleted afterwards.",
    { modal: true },
    'Replay',
  );
  if (go !== 'Replay') return;
  const result = (await client.sendRequest('criuLens/replay', { uri: target, line: at })) as { ok: true; text: string } | { ok: false; reason: string };
  if (!result.ok) {
    void window.showErrorMessage(`Confirm with the kernel: ${result.reason}`);
    return;
  }
  await window.showTextDocument(await workspace.openTextDocument({ content: result.text, language: 'plaintext' }), { preview: false });
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
