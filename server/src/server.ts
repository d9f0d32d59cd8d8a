/**
 * Connection wiring only: documents in, findings out through features/.
 * Transport comes from the command line (`--stdio`, `--node-ipc`, `--socket=N`), so the
 * VS Code client can use IPC while other editors speak stdio.
 */
import { createConnection, ErrorCodes, ProposedFeatures, ResponseError, TextDocuments, TextDocumentSyncKind, CodeActionKind, FileChangeType, CodeLensRefreshRequest, type InitializeResult } from 'vscode-languageserver/node';
import { traceReport } from './netfilter/evaluate/report';
import { parsePacketSpec, PacketSpecError, type Path } from './netfilter/evaluate/packet';
import { evaluatePacket, type RulesetInput } from './netfilter/evaluate/walk';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyseModels, buildModel, type DocumentModel } from './analysis';
import type { LanguageId } from './core/language';
import { defaultIndexOptions, indexFolders, matchesIndex, readIndexedFile, type IndexOptions } from './link/workspaceIndex';
import type { FinLink } from './link/finLink';
import { isLanguageId } from './core/language';
import { DocumentModels } from './documentModels';
import type { IptablesRuleset } from './netfilter/iptables/model';
import { diagnosticsByDocument } from './features/diagnostics';
import { codeActions } from './features/codeActions';
import { codeLenses, finDefinition } from './features/codeLens';
import { hover } from './features/hover';
import { definition, documentSymbols, foldingRanges, references, workspaceSymbols } from './features/navigation';
import { nftWorkspaceSymbols } from './features/nftNavigation';
import type { NftRuleset } from './netfilter/nftables/model';
import { version } from '../../package.json';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

/** Typing in a big log should not re-analyse it on every keystroke. */
const CHANGE_DEBOUNCE_MS = 150;
const pending = new Map<string, NodeJS.Timeout>();

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

/** Workspace folders, as paths: searched for logs and rulesets the user has not opened. */
let roots: string[] = [];
let canReadConfiguration = false;
let indexOptions: IndexOptions = defaultIndexOptions;
/** Files of the workspace index by uri; an open document takes precedence over its entry here. */
const indexed = new Map<string, { model: DocumentModel; version: number }>();

connection.onInitialize((params) => {
  canRefreshLenses = params.capabilities.workspace?.codeLens?.refreshSupport === true;
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
  if (files.length) validateAll();
}

function addIndexed(uri: string, language: LanguageId, text: string, version: number): void {
  indexed.set(uri, { model: buildModel({ doc: uri, language, text }), version });
}

// The client reports file changes in the workspace; indexed files follow them.
connection.onDidChangeWatchedFiles((p) => {
  let changed = false;
  for (const change of p.changes) {
    if (!change.uri.startsWith('file:')) continue;
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
  if (changed) validateAll();
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

/**
 * Publishes the diagnostics of every open document of ours. Findings that link documents
 * (a restore log and its dump log) change when either changes, so all are refreshed together;
 * models are cached per version, so unchanged documents are not re-parsed.
 */
function validateAll(): void {
  const open = documents.all().flatMap((d) => {
    const model = modelOf(d.uri);
    return model ? [{ doc: d.uri, model, version: d.version }] : [];
  });
  const openUris = new Set(open.map((o) => o.doc));
  const background = [...indexed].filter(([uri]) => !openUris.has(uri)).map(([doc, e]) => ({ doc, model: e.model }));
  const analysis = analyseModels([...open, ...background]);
  links = analysis.links;
  // Lenses on one document depend on the others (the log's lens names the rule): ask for a refresh.
  if (canRefreshLenses) void connection.sendRequest(CodeLensRefreshRequest.type);
  // Diagnostics go to open documents only; indexed files still take part in the links.
  for (const [uri, diagnostics] of diagnosticsByDocument(open.map((o) => o.doc), analysis.findings)) {
    void connection.sendDiagnostics({ uri, version: open.find((o) => o.doc === uri)!.version, diagnostics });
  }
}


function validate(uri: string): void {
  pending.delete(uri);
  validateAll();
}

/** Documents analysed at least once: the first analysis (on open) is not debounced. */
const seen = new Set<string>();

// TextDocuments fires onDidChangeContent for didOpen too, so this one handler covers both.
documents.onDidChangeContent((e) => {
  const uri = e.document.uri;
  clearTimeout(pending.get(uri));
  if (!seen.has(uri)) {
    seen.add(uri);
    validate(uri);
    return;
  }
  pending.set(uri, setTimeout(() => validate(uri), CHANGE_DEBOUNCE_MS));
});
documents.onDidClose((e) => {
  clearTimeout(pending.get(e.document.uri));
  pending.delete(e.document.uri);
  seen.delete(e.document.uri);
  models.delete(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  // Links to the closed document (dump ↔ restore) disappear from the others.
  validateAll();
});

const withModel = <T>(uri: string, empty: T, fn: (model: DocumentModel) => T): T => {
  const model = modelOf(uri);
  return model ? fn(model) : empty;
};

connection.onHover((p) => withModel(p.textDocument.uri, null, (m) => hover(m, p.position, p.textDocument.uri, links)));
connection.onDefinition((p) => {
  const fin = finDefinition(p.textDocument.uri, p.position.line, links);
  return fin.length ? fin : withModel(p.textDocument.uri, null, (m) => definition(p.textDocument.uri, m, p.position));
});
connection.onCodeLens((p) => codeLenses(p.textDocument.uri, links));
connection.onCodeAction((p) => codeActions(p, links));
connection.onReferences((p) => withModel(p.textDocument.uri, [], (m) => references(p.textDocument.uri, m, p.position, p.context.includeDeclaration)));
connection.onDocumentSymbol((p) => withModel(p.textDocument.uri, [], (m) => documentSymbols(m)));
connection.onFoldingRanges((p) => withModel(p.textDocument.uri, [], (m) => foldingRanges(m)));
connection.onWorkspaceSymbol((p) => {
  const rulesets: [string, IptablesRuleset][] = [];
  const nft: [string, NftRuleset][] = [];
  for (const document of documents.all()) {
    const model = modelOf(document.uri);
    if (model?.language === 'iptables-save') rulesets.push([document.uri, model.ruleset]);
    if (model?.language === 'nftables') nft.push([document.uri, model.nft]);
  }
  return [...workspaceSymbols(p.query, rulesets), ...nftWorkspaceSymbols(p.query, nft)];
});

/**
 * `criuLens/trace`: one packet through open rulesets (the CLI's `trace`, for the editor):
 * params { rulesets: uri[], path: 'local-out'|'input'|'forward', packet: "family=ipv4 proto=tcp …" }.
 */
connection.onRequest('criuLens/trace', (p: { rulesets: string[]; path: Path; packet: string }) => {
  const inputs: RulesetInput[] = [];
  for (const uri of p.rulesets) {
    const model = modelOf(uri);
    if (model?.language === 'iptables-save') inputs.push({ doc: uri, ruleset: model.ruleset });
  }
  if (!inputs.length) throw new ResponseError(ErrorCodes.InvalidParams, 'none of the rulesets is an open iptables-save document');
  if (!['local-out', 'input', 'forward'].includes(p.path)) throw new ResponseError(ErrorCodes.InvalidParams, `unknown path ${p.path}`);
  try {
    return traceReport(evaluatePacket(inputs, p.path, parsePacketSpec(p.packet)));
  } catch (e) {
    if (e instanceof PacketSpecError) throw new ResponseError(ErrorCodes.InvalidParams, `packet: ${e.message}`);
    throw e;
  }
});

documents.listen(connection);
connection.listen();
