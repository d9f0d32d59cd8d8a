/**
 * Editor latency through the protocol. Issue target: p99 < 50 ms for hover, code lens and
 * definition on the big files.
 *
 * The real bundled server is started as an editor starts it (`node dist/server.js --stdio`), the
 * 1M-line restore log and the 100k- and 700k-rule dumps are opened as documents (the log links to
 * the KUBE-FIREWALL rule of each dump), and once their diagnostics are out, REQUESTS hover, code
 * lens and definition requests per document go one after the other (as a user's do) at seeded
 * random positions, the EPERM line and the dropping rule among them. Each latency is the client's
 * wall time from request to response. Baseline: the same requests to a second server holding only
 * the small examples (examples/restore.log, examples/iptables.rules): the cost of the protocol
 * round trip and of the features on small files, so the ratio shows what size adds.
 *
 * The big server's peak RSS (VmHWM of the server process, read from /proc after the requests)
 * against the size of the documents it holds is a row too; a note gives it as it was when the
 * documents had been opened and diagnosed, before the requests built the hover indexes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { below, percentile, ratioAtMost, type Amount, type Row } from './harness';
import { mulberry32 } from './support';

const REQUESTS = 200;
const WARM_UP = 20;
const TARGET_P99_MS = 50;
const KINDS = ['hover', 'codeLens', 'definition'] as const;
type Kind = (typeof KINDS)[number];

interface Doc {
  path: string;
  uri: string;
  languageId: 'criu-log' | 'iptables-save';
  lines: string[];
  /** Lines worth asking about: the EPERM line, the dropping rule. */
  hot: number[];
  bytes: number;
}

function loadDoc(path: string, languageId: Doc['languageId']): Doc {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const hot = lines.flatMap((l, i) => (/Unable to send a fin packet|--mark 0x8000\/0x8000 -j DROP|-j KUBE-FIREWALL|! --mark 0xc114/.test(l) ? [i] : []));
  return { path, uri: pathToFileURL(path).href, languageId, lines, hot, bytes: Buffer.byteLength(text) };
}

class Server {
  private readonly child: ChildProcessWithoutNullStreams;
  readonly connection: MessageConnection;
  private readonly stderr: string[] = [];
  private readonly diagnosed = new Map<string, number>();
  private waiter?: () => void;

  constructor(dist: string) {
    this.child = spawn(process.execPath, [join(dist, 'server.js'), '--stdio'], { stdio: 'pipe' });
    this.child.stderr.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.connection = createMessageConnection(new StreamMessageReader(this.child.stdout), new StreamMessageWriter(this.child.stdin));
    this.connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string }) => {
      this.diagnosed.set(p.uri, (this.diagnosed.get(p.uri) ?? 0) + 1);
      this.waiter?.();
    });
    // The server may ask the client things (configuration, lens refresh): answer as an editor would.
    this.connection.onRequest(() => null);
    this.connection.listen();
  }

  get pid(): number {
    return this.child.pid!;
  }

  async open(docs: readonly Doc[], timeoutMs: number): Promise<number> {
    await this.connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, workspaceFolders: null });
    await this.connection.sendNotification('initialized', {});
    const start = performance.now();
    this.diagnosed.clear();
    for (const d of docs) {
      await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: d.uri, languageId: d.languageId, version: 1, text: d.lines.join('\n') } });
    }
    // Every document diagnosed at least once after the last one was opened.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for all documents within ${timeoutMs} ms; stderr: ${this.stderr.join('').slice(-2000)}`)), timeoutMs);
      const check = () => {
        if (docs.every((d) => this.diagnosed.has(d.uri))) {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        }
      };
      this.waiter = check;
      check();
    });
    return performance.now() - start;
  }

  /** Peak resident set (VmHWM) of the server process, in bytes, or undefined off Linux. */
  peakRss(): number | undefined {
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.connection.sendRequest('shutdown');
    await this.connection.sendNotification('exit');
    await exited;
    this.connection.dispose();
  }
}

/** `count` requests of each kind on `doc`, one after the other; latencies in ms. */
async function sample(server: Server, doc: Doc, seed: number, count = REQUESTS): Promise<Record<Kind, number[]>> {
  const rand = mulberry32(seed);
  const position = (i: number) => {
    const line = i < doc.hot.length && i < count / 4 ? doc.hot[i] : Math.floor(rand() * doc.lines.length);
    return { line, character: Math.floor(rand() * (doc.lines[line].length + 1)) };
  };
  const out: Record<Kind, number[]> = { hover: [], codeLens: [], definition: [] };
  const textDocument = { uri: doc.uri };
  for (let i = 0; i < count; i++) {
    for (const kind of KINDS) {
      const start = performance.now();
      if (kind === 'codeLens') await server.connection.sendRequest('textDocument/codeLens', { textDocument });
      else await server.connection.sendRequest(`textDocument/${kind}`, { textDocument, position: position(i) });
      out[kind].push(performance.now() - start);
    }
  }
  return out;
}

const latency = (samples: number[]): Amount => {
  const p50 = percentile(samples, 50);
  const p99 = percentile(samples, 99);
  return { value: p99, unit: 'ms', text: `p50 ${p50.toFixed(1)} / p99 ${p99.toFixed(1)} ms` };
};

export interface ProtocolOutcome {
  rows: Row[];
  notes: string[];
}

export async function protocolBench(dist: string, examples: string, big: { log: string; dumps: string[] }): Promise<ProtocolOutcome> {
  const notes: string[] = [];
  // Baseline: the examples alone.
  const small = [loadDoc(join(examples, 'restore.log'), 'criu-log'), loadDoc(join(examples, 'iptables.rules'), 'iptables-save')];
  const smallServer = new Server(dist);
  const baseline = new Map<string, Record<Kind, number[]>>();
  try {
    await smallServer.open(small, 60_000);
    for (const d of small) await sample(smallServer, d, 1, WARM_UP); // warm-up: JIT
    for (const d of small) baseline.set(d.languageId, await sample(smallServer, d, 2));
  } finally {
    await smallServer.close();
  }

  const docs = [loadDoc(big.log, 'criu-log'), ...big.dumps.map((d) => loadDoc(d, 'iptables-save'))];
  const server = new Server(dist);
  const rows: Row[] = [];
  try {
    const openMs = await server.open(docs, 15 * 60_000);
    notes.push(`protocol: opening ${docs.map((d) => basename(d.path)).join(', ')} until every one had diagnostics took ${(openMs / 1000).toFixed(1)} s`);
    // The peak row is read after the requests too: the first hover on a document builds its indexes.
    const openedRss = server.peakRss();
    for (const d of docs) await sample(server, d, 1, WARM_UP); // warm-up: JIT and the per-version caches
    for (const [n, d] of docs.entries()) {
      process.stderr.write(`bench: protocol: ${REQUESTS} × ${KINDS.join(', ')} on ${basename(d.path)}\n`);
      const got = await sample(server, d, 100 + n);
      const base = baseline.get(d.languageId)!;
      const what = d.languageId === 'criu-log' ? `${(d.lines.length / 1e6).toFixed(0)}M-line log` : `${Math.round(d.lines.filter((l) => l.startsWith('-A ')).length / 1000)}k-rule dump`;
      for (const kind of KINDS) {
        rows.push({
          name: `LSP ${kind} latency (${what})`,
          figure: latency(got[kind]),
          baselineName: `the same ${REQUESTS} requests on examples/${basename(small.find((s) => s.languageId === d.languageId)!.path)}; ratio of p99`,
          baseline: latency(base[kind]),
          target: below(TARGET_P99_MS, 'ms', 'p99 '),
        });
      }
    }
    const rss = server.peakRss();
    const bytes = docs.reduce((n, d) => n + d.bytes, 0);
    if (rss === undefined) notes.push('protocol: peak RSS of the server not measured (no /proc/<pid>/status)');
    else {
      notes.push(`protocol: the server's peak RSS (VmHWM, its own: not inherited from this process) was ${(openedRss! / 1e6).toFixed(0)} MB once every document had diagnostics, ${(rss / 1e6).toFixed(0)} MB after the requests`);
      rows.push({
        name: 'language server peak RSS (those documents open)',
        figure: { value: rss / 1e6, unit: 'MB' },
        baselineName: `the documents' size (${docs.map((d) => basename(d.path)).join(' + ')})`,
        baseline: { value: bytes / 1e6, unit: 'MB' },
        target: ratioAtMost(4),
      });
    }
  } finally {
    await server.close();
  }
  return { rows, notes };
}
