/**
 * Connection wiring only: documents in, findings out through features/.
 * Transport comes from the command line (`--stdio`, `--node-ipc`, `--socket=N`), so the
 * VS Code client can use IPC while other editors speak stdio.
 */
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyseDocuments } from './analysis';
import { isLanguageId } from './core/language';
import { diagnosticsByDocument } from './features/diagnostics';
import { version } from '../../package.json';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

/** Typing in a big log should not re-analyse it on every keystroke. */
const CHANGE_DEBOUNCE_MS = 150;
const pending = new Map<string, NodeJS.Timeout>();

connection.onInitialize(() => ({
  capabilities: {
    textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
  },
  serverInfo: { name: 'criu-netfilter-lens', version },
}));

function validate(uri: string): void {
  pending.delete(uri);
  const document = documents.get(uri);
  if (!document || !isLanguageId(document.languageId)) return;
  const findings = analyseDocuments([{ doc: uri, language: document.languageId, text: document.getText() }]);
  for (const [doc, diagnostics] of diagnosticsByDocument([uri], findings)) {
    void connection.sendDiagnostics({ uri: doc, version: document.version, diagnostics });
  }
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
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

documents.listen(connection);
connection.listen();
