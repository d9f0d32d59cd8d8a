import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { distDir } from './paths';

export interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: {
    range: { start: { line: number; character: number }; end: { line: number; character: number } };
    severity?: number;
    code?: string | number;
    source?: string;
    message: string;
    tags?: number[];
  }[];
}

/** The real bundled server, spawned as an editor would (`node dist/server.js --stdio`), spoken to over JSON-RPC. */
export class ServerUnderTest {
  readonly process: ChildProcessWithoutNullStreams;
  readonly connection: MessageConnection;
  readonly stderr: string[] = [];
  private readonly waiters: { uri: string; resolve: (p: PublishedDiagnostics) => void }[] = [];
  private readonly published: PublishedDiagnostics[] = [];
  /** Every `$/progress` the server sent, in order, and every token it asked to create. */
  readonly progress: { token: string | number; value: { kind: string; title?: string; message?: string; percentage?: number; cancellable?: boolean } }[] = [];
  readonly progressTokens: (string | number)[] = [];
  private progressListener: ((p: ServerUnderTest['progress'][number]) => void) | undefined;

  constructor() {
    this.process = spawn(process.execPath, [join(distDir, 'server.js'), '--stdio'], { stdio: 'pipe' });
    this.process.stderr.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.connection = createMessageConnection(new StreamMessageReader(this.process.stdout), new StreamMessageWriter(this.process.stdin));
    this.connection.onNotification('textDocument/publishDiagnostics', (p: PublishedDiagnostics) => {
      const i = this.waiters.findIndex((w) => w.uri === p.uri);
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(p);
      else this.published.push(p);
    });
    this.connection.onRequest('window/workDoneProgress/create', (p: { token: string | number }) => {
      this.progressTokens.push(p.token);
      return null;
    });
    this.connection.onNotification('$/progress', (p: ServerUnderTest['progress'][number]) => {
      this.progress.push(p);
      this.progressListener?.(p);
    });
    // Servers may ask for lens refreshes and configuration; answer as a plain editor would.
    this.connection.onRequest('workspace/codeLens/refresh', () => null);
    this.connection.listen();
  }

  /** Calls `listener` for each `$/progress` from now on. */
  onProgress(listener: (p: ServerUnderTest['progress'][number]) => void): void {
    this.progressListener = listener;
  }

  /** Every diagnostics notification for `uri` already received and not yet taken. */
  takeAll(uri: string): PublishedDiagnostics[] {
    const taken = this.published.filter((p) => p.uri === uri);
    for (let i = this.published.length - 1; i >= 0; i--) if (this.published[i].uri === uri) this.published.splice(i, 1);
    return taken;
  }

  async initialize(workspaceFolders: string[] = [], capabilities: Record<string, unknown> = {}, initializationOptions?: Record<string, unknown>): Promise<{ capabilities: Record<string, unknown>; serverInfo?: { name: string; version?: string } }> {
    const result = await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities,
      ...(initializationOptions ? { initializationOptions } : {}),
      workspaceFolders: workspaceFolders.length ? workspaceFolders.map((uri) => ({ uri, name: uri })) : null,
    });
    await this.connection.sendNotification('initialized', {});
    return result as { capabilities: Record<string, unknown>; serverInfo?: { name: string } };
  }

  open(uri: string, languageId: string, text: string, version = 1): Promise<void> {
    return this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  /** An incremental edit: `text` replaces the range (positions as LSP counts them). */
  change(uri: string, version: number, range: { start: { line: number; character: number }; end: { line: number; character: number } }, text: string): Promise<void> {
    return this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range, text }] });
  }

  /** The next diagnostics published for `uri` (or one already received and not yet taken). */
  nextDiagnostics(uri: string, timeoutMs = 10000): Promise<PublishedDiagnostics> {
    const i = this.published.findIndex((p) => p.uri === uri);
    if (i >= 0) return Promise.resolve(this.published.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} within ${timeoutMs} ms; stderr: ${this.stderr.join('')}`)), timeoutMs);
      this.waiters.push({ uri, resolve: (p) => { clearTimeout(timer); resolve(p); } });
    });
  }

  async shutdown(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.process.once('exit', (code) => resolve(code)));
    await this.connection.sendRequest('shutdown');
    await this.connection.sendNotification('exit');
    const code = await exited;
    this.connection.dispose();
    return code;
  }
}

/** A published diagnostic with the related information the link tests read. */
export type LinkedDiagnostic = PublishedDiagnostics['diagnostics'][number] & { relatedInformation?: { location: { uri: string; range: { start: { line: number } } }; message: string }[] };

/** Diagnostics for `uri` once `ready` says they are complete (documents re-publish as others open). */
export async function settleDiagnostics(server: ServerUnderTest, uri: string, ready: (d: LinkedDiagnostic[]) => boolean): Promise<LinkedDiagnostic[]> {
  for (let k = 0; k < 10; k++) {
    const d = (await server.nextDiagnostics(uri)).diagnostics as LinkedDiagnostic[];
    if (ready(d)) return d;
  }
  throw new Error(`diagnostics for ${uri} never became ready`);
}
