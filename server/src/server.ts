/**
 * Connection wiring only: documents in, findings out through features/.
 * Transport comes from the command line (`--stdio`, `--node-ipc`, `--socket=N`), so the
 * VS Code client can use IPC while other editors speak stdio.
 */
import { createConnection, StreamMessageReader, StreamMessageWriter, ErrorCodes, LSPErrorCodes, ProposedFeatures, ResponseError, TextDocuments, TextDocumentSyncKind, CodeActionKind, FileChangeType, CodeLensRefreshRequest, type CancellationToken, type InitializeResult } from 'vscode-languageserver/node';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { readHead, readLineRange, type LineIndex } from './core/lineFile';
import { detectLanguage } from './core/language';
import { analyseCriuLogFile } from './criu/logFile';
import { summarise, type Summary } from './summary';
import { Debouncer, Generations, turn } from './validation';
import { traceReport } from './netfilter/evaluate/report';
import { parsePacketSpec, PacketSpecError, type Path } from './netfilter/evaluate/packet';
import { evaluateRulesets, type AnyRulesetInput } from './netfilter/evaluate/nftWalk';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyseModels, buildModel, rulesetInputOf, type DocumentModel, type WorkspaceAnalysis } from './analysis';
import type { LanguageId } from './core/language';
import { defaultIndexOptions, indexFolders, matchesIndex, readIndexedFile, type IndexOptions } from './link/workspaceIndex';
import type { FinLink } from './link/finLink';
import type { KernelLinks } from './link/kernelEvidence';
import { isLanguageId } from './core/language';
import { DocumentModels } from './documentModels';
import { BIG_DOCUMENT, collectGarbage } from './memory';
import { jsonDecoder, WholeMessages } from './wholeMessages';
import { format } from 'node:util';
import type { IptablesRuleset } from './netfilter/iptables/model';
import { diagnosticsByDocument } from './features/diagnostics';
import { codeActions } from './features/codeActions';
import { codeLenses, finDefinition } from './features/codeLens';
import { hover } from './features/hover';
import { packetPath, PACKET_PATH_REQUEST, type PacketPathParams } from './features/packetPath';
import { definition, documentSymbols, foldingRanges, references } from './features/navigation';
import { workspaceSymbols } from './features/workspaceSymbols';
import { formatReplay, replay, replayPacketOf } from './replay/replay';
import { readFileSync } from 'node:fs';
import type { NftRuleset } from './netfilter/nftables/model';
import { version } from '../../package.json';

/**
 * `--stdio`: the client's bytes go through WholeMessages and jsonDecoder, so a big document's
 * didOpen is not held two or three times over while it arrives. Given a reader, vscode-languageserver
 * no longer reads the command line, so what it does for `--stdio` is done here: the process ends
 * when the client's stream does (0 after a shutdown request, as there), and console output goes to
 * the client's log, as stdout carries the protocol.
 */
function stdioConnection() {
  const input = process.stdin.pipe(new WholeMessages());
  const c = createConnection(ProposedFeatures.all, new StreamMessageReader(input, { contentTypeDecoder: jsonDecoder }), new StreamMessageWriter(process.stdout));
  let shutdown = false;
  c.onShutdown(() => {
    shutdown = true;
  });
  for (const event of ['end', 'close']) input.on(event, () => process.exit(shutdown ? 0 : 1));
  const to = (send: (message: string) => void) => (...args: unknown[]) => send(format(...args));
  console.log = console.info = console.debug = to((m) => c.console.log(m));
  console.warn = to((m) => c.console.warn(m));
  console.error = to((m) => c.console.error(m));
  return c;
}

const connection = process.argv.includes('--stdio') ? stdioConnection() : createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

/** Typing in a big log should not re-analyse it on every keystroke. */
const CHANGE_DEBOUNCE_MS = 150;

const initializeResult: InitializeResult = {
  capabilities: {
    textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
    hoverProvider: true,
    codeLensProvider: { resolveProvider: false },
    codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
    definitionProvider: true,
    referencesProvider: true,
    documentSymbolProvider: true,
    foldingRangeProvider: true,
    workspaceSymbolProvider: true,
  },
  serverInfo: { name: 'criu-netfilter-lens', version },
};

let canRefreshLenses = false;
/** The client has the "Packet path" view (initializationOptions.packetPathView): lenses and hovers link to it. */
let packetPathView = false;

/** Workspace folders, as paths: searched for logs and rulesets the user has not opened. */
let roots: string[] = [];
let canReadConfiguration = false;
let indexOptions: IndexOptions = defaultIndexOptions;
/** Files of the workspace index by uri; an open document takes precedence over its entry here. */
const indexed = new Map<string, { model: DocumentModel; version: number }>();

connection.onInitialize((params) => {
  canRefreshLenses = params.capabilities.workspace?.codeLens?.refreshSupport === true;
  packetPathView = (params.initializationOptions as { packetPathView?: unknown } | undefined)?.packetPathView === true;
  canReadConfiguration = params.capabilities.workspace?.configuration === true;
  const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
  roots = folders.filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u));
  return initializeResult;
});

connection.onInitialized(async () => {
  if (canReadConfiguration) {
    const config = (await connection.workspace.getConfiguration('criuLens.workspace')) as Partial<IndexOptions> | null;
    indexOptions = { ...defaultIndexOptions, ...Object.fromEntries(Object.entries(config ?? {}).filter(([, v]) => v !== undefined && v !== null)) };
  }
  reindex();
});

/** Reads the workspace folders' logs and rulesets (bounded by the index options). */
function reindex(): void {
  const { files, skipped } = indexFolders(roots, indexOptions);
  indexed.clear();
  for (const f of files) addIndexed(pathToFileURL(f.path).href, f.language, f.text, f.mtimeMs);
  for (const s of skipped) connection.console.info(`criu-lens: not indexed ${s.path}: ${s.reason}`);
  if (files.length) void validateAll();
}

function addIndexed(uri: string, language: LanguageId, text: string, version: number): void {
  indexed.set(uri, { model: buildModel({ doc: uri, language, text }), version });
}

// The client reports file changes in the workspace; indexed files follow them.
connection.onDidChangeWatchedFiles((p) => {
  let changed = false;
  for (const change of p.changes) {
    if (!change.uri.startsWith('file:')) continue;
    if (largeLogs.delete(change.uri)) {
      // Its findings were read from the old content: withdraw them until the command runs again.
      void connection.sendDiagnostics({ uri: change.uri, diagnostics: [] });
      changed = true;
    }
    const path = fileURLToPath(change.uri);
    if (change.type === FileChangeType.Deleted) {
      changed = indexed.delete(change.uri) || changed;
      continue;
    }
    if (!roots.some((r) => matchesIndex(r, path, indexOptions))) continue;
    const read = readIndexedFile(path, indexOptions);
    if (read && !('skipped' in read)) {
      addIndexed(change.uri, read.language, read.text, read.mtimeMs);
      changed = true;
    } else changed = indexed.delete(change.uri) || changed;
  }
  if (changed) void validateAll();
});

const models = new DocumentModels();

/** The model of an open document in one of our languages, parsed once per version. */
function modelOf(uri: string): DocumentModel | undefined {
  const document = documents.get(uri);
  if (!document || !isLanguageId(document.languageId)) return undefined;
  return models.get(uri, document.languageId, document.version, () => document.getText());
}

/** The EPERM ↔ rule links of the last analysis, for lenses and definitions. */
let links: FinLink[] = [];
/** Kernel evidence of the last analysis, for the EPERM hover. */
let kernelLinks: KernelLinks | undefined;

/**
 * CRIU logs analysed from disk by `criuLens/analyseLargeLog` (too big for the editor to sync):
 * their findings take part in the links and are published like an open document's.
 */
const largeLogs = new Map<string, { model: DocumentModel; path: string; index: LineIndex; bytes: number; seconds: number }>();

/**
 * Every document of ours analysed together: open documents (parsed once per version), then
 * large logs read from disk, then the workspace index. Findings that link documents (a restore
 * log and its dump log, a log and a ruleset) change when either changes.
 */
function analyseWorkspace(): { open: { doc: string; version: number }[]; large: string[]; analysis: WorkspaceAnalysis } {
  const open = documents.all().flatMap((d) => {
    const model = modelOf(d.uri);
    return model ? [{ doc: d.uri, model, version: d.version }] : [];
  });
  const openUris = new Set(open.map((o) => o.doc));
  const large = [...largeLogs].filter(([uri]) => !openUris.has(uri)).map(([doc, e]) => ({ doc, model: e.model }));
  const largeUris = new Set(large.map((l) => l.doc));
  const background = [...indexed].filter(([uri]) => !openUris.has(uri) && !largeUris.has(uri)).map(([doc, e]) => ({ doc, model: e.model }));
  const analysis = analyseModels([...open, ...large, ...background]);
  return { open: open.map(({ doc, version }) => ({ doc, version })), large: large.map((l) => l.doc), analysis };
}

/**
 * Parses an open document's current version. A big one is parsed after a full collection: on
 * open, of the garbage its JSON-RPC message left (memory.ts); after an edit, of the previous
 * version's model and text, just let go (measured on the 1M-line log: 4 edits peaked at 461 MB
 * without it, 374 MB with it). Its first parse is followed by one too, of what the parse left, so
 * that it is not still there while the next big document arrives; after an edit nothing arrives,
 * and a full collection with big models open costs a few hundred ms.
 */
function parse(uri: string, length: number): void {
  const big = length >= BIG_DOCUMENT;
  const first = !models.parsed(uri);
  if (big) collectGarbage();
  modelOf(uri);
  if (big && first) collectGarbage();
}

/** Every validation and every edit bumps it: an older validation still parsing sees it and stops. */
const generations = new Generations();

/**
 * Publishes the diagnostics of every open document of ours and every large log. Documents whose
 * model for the current version is not parsed yet are parsed one at a time, with turns of the
 * event loop around each, so an edit arriving meanwhile supersedes this validation instead of
 * waiting for it, and stale diagnostics are never published.
 */
async function validateAll(): Promise<void> {
  const stale = new Set<string>();
  const parses = documents.all().flatMap((d) => {
    const language = d.languageId;
    if (!isLanguageId(language) || models.has(d.uri, language, d.version)) return [];
    stale.add(d.uri);
    return [() => parse(d.uri, d.getText().length)];
  });
  // Links into a document about to be parsed again hold its old model, and so its old text: they
  // go now (this validation makes new ones), so that two versions of a big document are not held.
  if (stale.size) links = links.filter((l) => !stale.has(l.failure.doc) && !l.verdicts.some((v) => stale.has(v.ruleset.doc)));
  await generations.run(parses, () => {
    const { open, large, analysis } = analyseWorkspace();
    links = analysis.links;
    kernelLinks = analysis.kernel;
    // Lenses on one document depend on the others (the log's lens names the rule): ask for a refresh.
    if (canRefreshLenses) void connection.sendRequest(CodeLensRefreshRequest.type);
    // Diagnostics go to open documents and large logs; indexed files still take part in the links.
    const versions = new Map(open.map((o) => [o.doc, o.version]));
    for (const [uri, diagnostics] of diagnosticsByDocument([...versions.keys(), ...large], analysis.findings)) {
      const version = versions.get(uri);
      void connection.sendDiagnostics({ uri, ...(version !== undefined ? { version } : {}), diagnostics });
    }
  });
}

/** The first analysis (on open) is immediate; later ones wait for a pause in typing. */
const debouncer = new Debouncer(CHANGE_DEBOUNCE_MS, () => void validateAll());

// TextDocuments fires onDidChangeContent for didOpen too, so this one handler covers both.
documents.onDidChangeContent((e) => {
  // Any validation in flight now reads an old version: it stops, the one scheduled here replaces it.
  generations.bump();
  debouncer.changed(e.document.uri);
});
documents.onDidClose((e) => {
  debouncer.forget(e.document.uri);
  models.delete(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  // Links to the closed document (dump ↔ restore) disappear from the others.
  void validateAll();
});

/**
 * Runs `fn` on the document's model unless the request was cancelled. When the current version
 * is not parsed yet, queued messages go first: the client's cancellation of a request made stale
 * by typing arrives before the parse, not after it.
 */
async function withModel<T>(uri: string, token: CancellationToken, empty: T, fn: (model: DocumentModel) => T): Promise<T> {
  if (token.isCancellationRequested) return empty;
  const document = documents.get(uri);
  if (!document || !isLanguageId(document.languageId)) return empty;
  if (!models.has(uri, document.languageId, document.version)) {
    await turn();
    if (token.isCancellationRequested) return empty;
  }
  const model = modelOf(uri);
  return model ? fn(model) : empty;
}

connection.onHover((p, token) => withModel(p.textDocument.uri, token, null, (m) => hover(m, p.position, p.textDocument.uri, links, kernelLinks, { packetPath: packetPathView })));
connection.onDefinition((p, token) => {
  if (token.isCancellationRequested) return null;
  const fin = finDefinition(p.textDocument.uri, p.position.line, links);
  return fin.length ? fin : withModel(p.textDocument.uri, token, null, (m) => definition(p.textDocument.uri, m, p.position));
});
connection.onCodeLens((p, token) => (token.isCancellationRequested ? [] : codeLenses(p.textDocument.uri, links, { packetPath: packetPathView })));
connection.onCodeAction((p, token) => (token.isCancellationRequested ? [] : codeActions(p, links)));
connection.onReferences((p, token) => withModel(p.textDocument.uri, token, [], (m) => references(p.textDocument.uri, m, p.position, p.context.includeDeclaration)));
connection.onDocumentSymbol((p, token) => withModel(p.textDocument.uri, token, [], (m) => documentSymbols(m)));
connection.onFoldingRanges((p, token) => withModel(p.textDocument.uri, token, [], (m) => foldingRanges(m)));
connection.onWorkspaceSymbol((p) => {
  const rulesets: [string, IptablesRuleset][] = [];
  const nft: [string, NftRuleset][] = [];
  for (const document of documents.all()) {
    const model = modelOf(document.uri);
    if (model?.language === 'iptables-save') rulesets.push([document.uri, model.ruleset]);
    if (model?.language === 'nftables') nft.push([document.uri, model.nft]);
  }
  return workspaceSymbols(p.query, { iptables: rulesets, nft });
});

/** The open iptables-save and nftables documents among `uris`. */
function anyRulesetInputs(uris: readonly string[]): AnyRulesetInput[] {
  return uris.flatMap((uri) => {
    const model = typeof uri === 'string' ? modelOf(uri) : undefined;
    return (model && rulesetInputOf(uri, model)) ?? [];
  });
}

/**
 * `criuLens/trace`: one packet through open rulesets (the CLI's `trace`, for the editor):
 * params { rulesets: uri[], path: 'local-out'|'input'|'forward', packet: "family=ipv4 proto=tcp …" }.
 */
connection.onRequest('criuLens/trace', (p: { rulesets: string[]; path: Path; packet: string }) => {
  const inputs = anyRulesetInputs(p.rulesets);
  if (!inputs.length) throw new ResponseError(ErrorCodes.InvalidParams, 'none of the rulesets is an open iptables-save or nftables document');
  if (!['local-out', 'input', 'forward'].includes(p.path)) throw new ResponseError(ErrorCodes.InvalidParams, `unknown path ${p.path}`);
  try {
    return traceReport(evaluateRulesets(inputs, p.path, parsePacketSpec(p.packet)));
  } catch (e) {
    if (e instanceof PacketSpecError) throw new ResponseError(ErrorCodes.InvalidParams, `packet: ${e.message}`);
    throw e;
  }
});

/**
 * `criuLens/packetPath` { log, line, ruleset } | { rulesets, path, packet }: the packet-path
 * diagram (model and SVG) of a linked failed FIN, or of a packet through open rulesets.
 */
connection.onRequest(PACKET_PATH_REQUEST, (p: PacketPathParams, token: CancellationToken) => {
  if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
  return packetPath(p, links, anyRulesetInputs);
});

/** What `criuLens/analyseLargeLog` answers. */
export interface LargeLogResult {
  uri: string;
  lineCount: number;
  bytes: number;
  seconds: number;
  /** Findings published for the file. */
  findings: number;
  summary: Summary;
}

/** Lines of context shown before the root cause in the summary (read again from disk). */
const CONTEXT_LINES = 6;
/** Progress is reported at most this often: a 389 MB log has hundreds of chunks. */
const PROGRESS_INTERVAL_MS = 200;
/** Analyses in flight, by uri: running the command again on the same file replaces the first. */
const largeInFlight = new Map<string, AbortController>();

/**
 * `criuLens/analyseLargeLog` { uri }: reads a CRIU log from disk as a stream (VS Code does not
 * sync files over 50 MB to extensions), with `$/progress` on a server-created token (cancellable,
 * like the request itself), publishes its findings, and returns a summary whose line references
 * are links into the file.
 */
connection.onRequest('criuLens/analyseLargeLog', async (p: { uri: string }, token: CancellationToken): Promise<LargeLogResult> => {
  if (typeof p?.uri !== 'string' || !p.uri.startsWith('file:')) throw new ResponseError(ErrorCodes.InvalidParams, 'uri must be a file: uri');
  const path = fileURLToPath(p.uri);
  let bytes: number;
  let language;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new ResponseError(ErrorCodes.InvalidParams, `${path} is not a file`);
    bytes = stat.size;
    language = detectLanguage(path, readHead(path));
  } catch (e) {
    if (e instanceof ResponseError) throw e;
    throw new ResponseError(ErrorCodes.InvalidParams, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (language !== 'criu-log') throw new ResponseError(ErrorCodes.InvalidParams, `${basename(path)} does not look like a CRIU log${language ? ` (it reads as ${language})` : ''}`);

  largeInFlight.get(p.uri)?.abort(new Error('superseded'));
  const controller = new AbortController();
  largeInFlight.set(p.uri, controller);
  const progress = await connection.window.createWorkDoneProgress();
  const cancel = () => controller.abort(new Error('cancelled'));
  const subscriptions = [token.onCancellationRequested(cancel), progress.token.onCancellationRequested(cancel)];
  const mb = (n: number) => (n / 1e6).toFixed(1);
  progress.begin(`Analysing ${basename(path)}`, 0, `0 of ${mb(bytes)} MB`, true);
  let reported = 0;
  const started = performance.now();
  try {
    const file = await analyseCriuLogFile(path, {
      signal: controller.signal,
      onProgress: (read, total) => {
        const now = performance.now();
        if (now - reported < PROGRESS_INTERVAL_MS) return;
        reported = now;
        progress.report(total ? (100 * read) / total : 100, `${mb(read)} of ${mb(total)} MB`);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const model: DocumentModel = { language: 'criu-log', criu: file.analysis };
    largeLogs.set(p.uri, { model, path, index: file.index, bytes, seconds });
    const { analysis } = analyseWorkspace();
    void validateAll();
    const root = file.analysis.run.rootCause;
    const first = root ? Math.max(0, root.line - CONTEXT_LINES + 1) : 0;
    const context = root ? { first, lines: await readLineRange(path, file.index, first, root.line - first + 1) } : undefined;
    const summary = summarise({ doc: p.uri, name: path, analysis: file.analysis, findings: analysis.findings, links: analysis.links, bytes, seconds, ...(context ? { context } : {}) });
    return { uri: p.uri, lineCount: file.analysis.log.lineCount, bytes, seconds, findings: analysis.findings.filter((f) => f.doc === p.uri).length, summary };
  } catch (e) {
    if (controller.signal.aborted) throw new ResponseError(LSPErrorCodes.RequestCancelled, `analysis of ${basename(path)} ${(controller.signal.reason as Error).message}`);
    if ((e as NodeJS.ErrnoException).code) throw new ResponseError(ErrorCodes.InvalidParams, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code}`);
    throw e;
  } finally {
    for (const s of subscriptions) s.dispose();
    if (largeInFlight.get(p.uri) === controller) largeInFlight.delete(p.uri);
    progress.done();
  }
});

/**
 * `criuLens/replay` ("Confirm with the kernel"): params { uri, line } of an EPERM line. Replays its
 * packet against each known ruleset in a throw-away network namespace; answers { ok, text } or
 * { ok: false, reason } (not root, tools missing, packet not fully known). Never touches the host's ruleset.
 */
connection.onRequest('criuLens/replay', async (p: { uri: string; line: number }) => {
  const link = links.find((l) => l.failure.doc === p.uri && l.failure.line === p.line);
  if (!link) return { ok: false, reason: 'no failed FIN send is known on that line' };
  const packet = replayPacketOf(link.failure.packet);
  if (typeof packet === 'string') return { ok: false, reason: `cannot replay: ${packet}` };
  if (!link.verdicts.length) return { ok: false, reason: 'no ruleset of this node is open or in the workspace' };
  const texts: string[] = [];
  for (const { ruleset } of link.verdicts) {
    const open = documents.get(ruleset.doc);
    let text: string;
    try {
      text = open ? open.getText() : readFileSync(fileURLToPath(ruleset.doc), 'utf8');
    } catch (e) {
      return { ok: false, reason: `cannot read ${ruleset.doc}: ${(e as Error).message}` };
    }
    const result = await replay(ruleset, text, packet);
    if (!result.ok) return { ok: false, reason: result.reason };
    texts.push(`# ${decodeURIComponent(ruleset.doc.replace(/^.*\//, ''))}\n\n${formatReplay(result.outcome)}`);
  }
  return { ok: true, text: texts.join('\n') };
});

documents.listen(connection);
connection.listen();
