/**
 * The fuzz engine shared by the short seeded run in CI (test/fuzz/fuzz.test.ts) and the long one
 * (`npm run bench -- --only fuzz`, bench/fuzz.ts).
 *
 * Inputs: lines of the real corpus (read at run time, never copied) mutated, random bytes, binary
 * files, 10 MB single lines, options repeated 100,000 times, unbalanced quotes, huge counters and
 * numbers, deep jump chains. Input `i` of seed `s` is always the same bytes, so any failure is
 * reproduced from `(s, i)` alone.
 *
 * Each input goes through both parsers with their findings, the cross-document analysis (the
 * input as the log beside a real dump, and as the dump beside a real restore log: pairing, the FIN
 * link and the evaluator run on it) and, for some, the CLI. It must finish:
 * - without an exception (a crash);
 * - within a time bound proportional to its size (a hang detector, not a performance test: the
 *   bound is generous so a loaded CI machine does not flake). The analyses run in a worker thread
 *   the main thread terminates when the bound passes, so a hang is reported, not suffered;
 * - with bounded memory: the worker has a hard heap limit, and for some inputs the heap the results
 *   retain and the heap left after dropping them (a leak) are measured after a full GC.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { gzipSync } from 'node:zlib';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { analyseDocuments } from '../../server/src/analysis';
import { analyseCriuLog } from '../../server/src/criu/analyse';
import { criuLogFindings } from '../../server/src/criu/findings';
import { detectLanguage } from '../../server/src/core/language';
import { iptablesFindings } from '../../server/src/netfilter/iptables/findings';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';
import { mulberry32 } from '../../bench/support';

/** Hang bound per input and target: a constant for start-up and GC pauses, plus so much per KB. */
export const TIME_CONST_MS = 10_000;
export const TIME_MS_PER_KB = 5; // ~100× what the parsers need on big inputs (bench: ~0.05 ms/KB)
/**
 * What the results of one input may keep alive: linear in its size, generously. Per line too, as
 * every line becomes a node and maybe a diagnostic: 100,000 lines of `*filter` keep ~2 KB each.
 */
export const RETAINED_PER_BYTE = 64;
export const RETAINED_PER_LINE = 4096;
export const RETAINED_CONST = 32 << 20;
export const LEAK_BOUND = 48 << 20;
/** The worker's hard heap limit: past it the worker dies and the input is reported. */
export const WORKER_HEAP_MB = 3072;

export const TARGETS = ['criu-log', 'iptables-save', 'link'] as const;
export type Target = (typeof TARGETS)[number] | 'cli';

export interface FuzzInput {
  kind: string;
  text: string;
}

export interface FuzzFailure {
  seed: number;
  index: number;
  kind: string;
  target: Target | 'worker';
  problem: 'crash' | 'hang' | 'memory';
  detail: string;
  /** The input itself, so the caller can save or minimise it. */
  text: string;
}

export interface FuzzReport {
  inputs: number;
  bytes: number;
  byKind: Record<string, number>;
  cliRuns: number;
  /** The slowest input relative to its bound, to show how far from the hang bound the run stayed. */
  worstBoundFraction: number;
  worst?: { kind: string; index: number; ms: number; bytes: number };
  /** The inputs that took longest (analyses in the worker, and the CLI's three runs). */
  slowest: { kind: string; index: number; bytes: number; ms: number; cliMs: number }[];
  maxRetainedBytes: number;
  heapGrowthBytes: number;
  failures: FuzzFailure[];
}

export function timeBoundMs(bytes: number): number {
  return TIME_CONST_MS + (TIME_MS_PER_KB * bytes) / 1024;
}

// ---- inputs --------------------------------------------------------------------------------------

/** Lines of real files, by language, read at run time from the corpus and the examples. */
export interface Corpus {
  criu: string[][];
  iptables: string[][];
  /** Partners for the cross-document analysis: a failed restore log and a dump that drops its FIN. */
  partnerLog: string;
  partnerDump: string;
}

export function loadCorpus(corpusDir: string, examplesDir: string): Corpus {
  const criu: string[][] = [];
  const iptables: string[][] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const p = join(dir, entry);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.size < 4 << 20) {
        const text = readFileSync(p, 'utf8');
        const language = detectLanguage(p, text);
        if (language === 'criu-log') criu.push(text.split('\n'));
        else if (language === 'iptables-save') iptables.push(text.split('\n'));
      }
    }
  };
  if (existsSync(corpusDir)) walk(corpusDir);
  walk(examplesDir);
  return {
    criu,
    iptables,
    partnerLog: readFileSync(join(examplesDir, 'restore.log'), 'utf8'),
    partnerDump: readFileSync(join(examplesDir, 'iptables.rules'), 'utf8'),
  };
}

const HUGE = ['99999999999999999999999', '18446744073709551616', '4294967296', '-1', '0x', '0xffffffffffffffffffff', '1e309', 'NaN', '00000000000000000000000000001', '-0', '2147483648'];
const TOKENS = [
  '"', "'", '\\', '\\"', '!', '! !', '--', '-', '-m', '-j', '-g', '-A', '-N', '-p', '--mark', '/', ':', '[', ']', '(', ')', '*', '#', 'COMMIT', ' ', '\t', '\r', '\0', '\u00e9', '\ud800', '\u2028', '\ufeff', '🙂',
  '-m mark --mark 0x8000/0x8000', '-j DROP', '-j KUBE-FIREWALL', '-m mark ! --mark 0xc114', '--mark 0xc114', ':KUBE-FIREWALL - [0:0]', '*filter', '*nat',
  'Error (soccr/soccr.c:682): ', 'Warn  (criu/x.c:1): ', 'pie: 1: ', '(00.000001) ', '(99999999999999999999.9) ', '   123: ', 'inet: \tRestore: ', 'TCP_CLOSE_WAIT', 'fd=', 'id=0x', 'ino 0x',
  'Unable to send a fin packet: libnet_write_raw_ipv4(): -1 bytes written (Operation not permitted)', 'Restoring FAILED.', 'Locked ', 'Running iptables [', 'Version: ', ...HUGE,
];
const MAX_RANDOM_CHARS = 2 << 20;
const CHARS = 'abcXYZ019 \t!"\'\\/:[]()-*#\0\r\u00ff\u0100\ud800\udfff\u2028';

/** Small edits, as a careless hand, a truncated copy or a hostile file would make them. */
function mutateLine(line: string, rand: () => number): string {
  const int = (n: number) => Math.floor(rand() * n);
  const pos = () => int(line.length + 1);
  switch (int(9)) {
    case 0: { // one character changed
      const i = pos();
      return line.slice(0, i) + CHARS[int(CHARS.length)] + line.slice(i + 1);
    }
    case 1: { // a range deleted
      const i = pos();
      return line.slice(0, i) + line.slice(i + 1 + int(20));
    }
    case 2: { // a range duplicated, sometimes many times
      const i = pos();
      const piece = line.slice(i, i + 1 + int(30));
      return line.slice(0, i) + piece.repeat(1 + (rand() < 0.2 ? int(2000) : int(4))) + line.slice(i);
    }
    case 3: { // a token inserted
      const i = pos();
      return `${line.slice(0, i)}${TOKENS[int(TOKENS.length)]}${line.slice(i)}`;
    }
    case 4: // a number made huge or odd
      return line.replace(/\d+/g, (m) => (rand() < 0.3 ? HUGE[int(HUGE.length)] : m));
    case 5: // truncated
      return line.slice(0, pos());
    case 6: // a quote or bracket removed (unbalanced)
      return line.replace(/["'\[\]()]/, '');
    case 7: // whitespace changed
      return line.replace(/ /g, () => [' ', '  ', '\t', ''][int(4)]);
    default: // a token repeated
      return `${line} ${TOKENS[int(TOKENS.length)].repeat(1 + int(500))}`;
  }
}

function mutated(files: string[][], rand: () => number): string {
  const int = (n: number) => Math.floor(rand() * n);
  const file = files[int(files.length)];
  const whole = rand() < 0.5 || file.length < 50;
  const start = whole ? 0 : int(file.length);
  const lines = file.slice(start, whole ? file.length : start + 1 + int(300));
  const edits = 1 + int(rand() < 0.8 ? 5 : 50);
  for (let e = 0; e < edits && lines.length; e++) {
    const i = int(lines.length);
    const r = rand();
    if (r < 0.8) lines[i] = mutateLine(lines[i], rand);
    else if (r < 0.88) lines.splice(i, 1);
    else if (r < 0.95) lines.splice(i, 0, lines[int(lines.length)]);
    else {
      // Many copies, no more than MAX_RANDOM_CHARS of them: copies of an already repeated line compound.
      const copies = Math.min(1 + int(5000), Math.floor(MAX_RANDOM_CHARS / (lines[i].length + 1)));
      lines.splice(i, 0, ...Array<string>(copies).fill(lines[i]));
    }
  }
  const text = lines.join(rand() < 0.1 ? '\r\n' : '\n');
  // Repetitions compound (a line repeated, then copied): keep random inputs small; size is the hostile inputs' job.
  return text.length > MAX_RANDOM_CHARS ? text.slice(0, text.lastIndexOf('\n', MAX_RANDOM_CHARS) + 1 || MAX_RANDOM_CHARS) : text;
}

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** A filter table holding `body`, so that the rule parser, not the table parser, meets it. */
const inFilter = (body: string) => `*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-FIREWALL - [0:0]\n${body}\nCOMMIT\n`;

/**
 * Fixed hostile inputs, run first in every fuzz run: each names what it stresses. `scale` 1 is the
 * full size the issue asks for (10 MB lines, 100,000 repetitions).
 */
export function hostileInputs(scale = 1): FuzzInput[] {
  const n = (k: number) => Math.max(1, Math.round(k * scale));
  const mb10 = n(10 << 20);
  return [
    { kind: 'huge-line/plain', text: 'A'.repeat(mb10) },
    { kind: 'huge-line/criu-message', text: `(00.000001) Error (criu/sk-inet.c:1): ${'x'.repeat(mb10)}\n` },
    { kind: 'huge-line/iptables-comment', text: inFilter(`-A INPUT -m comment --comment "${'c'.repeat(mb10)}" -j ACCEPT`) },
    { kind: 'huge-line/iptables-no-newline', text: `*filter\n-A INPUT ${'-s 1.2.3.4 '.repeat(n(10 << 20) / 11)}` },
    { kind: 'repeated/mark-option', text: inFilter(`-A OUTPUT ${'-m mark --mark 1 '.repeat(n(100_000))}-j DROP`) },
    { kind: 'repeated/negation', text: inFilter(`-A OUTPUT ${'! '.repeat(n(100_000))}-s 10.0.0.1 -j DROP`) },
    { kind: 'repeated/comment-module', text: inFilter(`-A OUTPUT ${'-m comment --comment "x" '.repeat(n(100_000))}-j DROP`) },
    { kind: 'repeated/mark-on-firewall', text: inFilter(`-A OUTPUT -j KUBE-FIREWALL\n-A KUBE-FIREWALL ${'-m mark --mark 0x8000/0x8000 '.repeat(n(100_000))}-j DROP`) },
    { kind: 'repeated/criu-pid-column', text: `(00.000001) ${'  1234: '.repeat(n(100_000))}Error (soccr/soccr.c:682): x\n` },
    { kind: 'repeated/pie-prefix', text: `(00.000001) ${'pie: 1: '.repeat(n(100_000))}x\n` },
    { kind: 'quotes/unbalanced-double', text: inFilter('-A INPUT -m comment --comment "no end -j DROP\n-A INPUT -m comment --comment " -j ACCEPT') },
    { kind: 'quotes/unbalanced-single', text: inFilter("-A INPUT -m comment --comment 'no end -j DROP") },
    { kind: 'quotes/escaped-at-end', text: inFilter('-A INPUT -m comment --comment "a\\" -j DROP\n-A INPUT -m comment --comment \\') },
    { kind: 'quotes/many-unbalanced', text: inFilter(Array.from({ length: n(20_000) }, (_, i) => `-A INPUT -m comment --comment "${'"'.repeat(i % 7)} -j DROP`).join('\n')) },
    { kind: 'quotes/criu-log', text: `(00.000001) Running iptables [iptables -w -t filter -I INPUT -m comment --comment "x ${'"'.repeat(1000)}\n(00.000002) Error (a.c:1): "unterminated\n` },
    { kind: 'counters/huge-policy', text: '*filter\n:INPUT ACCEPT [99999999999999999999999:1]\n:OUTPUT DROP [1:99999999999999999999999999999999]\nCOMMIT\n' },
    { kind: 'counters/huge-rule', text: inFilter('[99999999999999999999999:99999999999999999999999] -A INPUT -j DROP\n-c 99999999999999999999 1 -A INPUT -j ACCEPT\n[-1:-1] -A INPUT -j DROP\n[0x10:1e9] -A INPUT') },
    { kind: 'counters/huge-criu-numbers', text: '(99999999999999999999999.999999) 99999999999999999999: Error (soccr/soccr.c:99999999999999999999): Unable to send a fin packet: libnet_write_raw_ipv4(): -1 bytes written (Operation not permitted)\n(1.0) 1: inet: \tRestore: family AF_INET    type SOCK_STREAM  proto IPPROTO_TCP  port 99999999999999999999 state TCP_CLOSE_WAIT src_addr 999.1.1.1\n(1.1) Error (criu/files.c:1): Unable to open fd=99999999999999999999 id=0xffffffffffffffffffffffff\nRestoring FAILED.\n' },
    { kind: 'numbers/huge-marks', text: inFilter('-A OUTPUT -m mark --mark 0xffffffffffffffffffffffff/0x8000 -j DROP\n-A OUTPUT -m mark --mark 99999999999999999999999 -j DROP\n-A OUTPUT -j MARK --set-xmark 0x1ffffffff/0x0') },
    { kind: 'chains/deep-jumps', text: deepChains(n(20_000)) },
    { kind: 'chains/self-loop', text: inFilter('-A OUTPUT -j KUBE-FIREWALL\n-A KUBE-FIREWALL -j KUBE-FIREWALL\n-A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP') },
    { kind: 'lines/many-empty', text: '\n'.repeat(n(1_000_000)) },
    { kind: 'lines/many-cr', text: '\r'.repeat(n(1_000_000)) },
    { kind: 'lines/many-tables', text: '*filter\n'.repeat(n(100_000)) },
    { kind: 'binary/nul', text: '\0'.repeat(n(1 << 20)) },
    { kind: 'binary/lone-surrogates', text: '\ud800\udfff\udc00'.repeat(n(100_000)) },
  ];
}

/** A chain of `depth` user chains, each jumping to the next, reached from OUTPUT; the last drops. */
function deepChains(depth: number): string {
  const names = Array.from({ length: depth }, (_, i) => `C${i}`);
  return `*filter\n:OUTPUT ACCEPT [0:0]\n${names.map((c) => `:${c} - [0:0]`).join('\n')}\n-A OUTPUT -j C0\n${names.map((c, i) => (i + 1 < depth ? `-A ${c} -j ${names[i + 1]}` : `-A ${c} -m mark --mark 0x8000/0x8000 -j DROP`)).join('\n')}\nCOMMIT\n`;
}

/** Input `index` of `seed`: a random mix of the kinds above, at most 2 MB (mostly a few KB). */
export function randomInput(seed: number, index: number, corpus: Corpus, binary: Buffer): FuzzInput {
  const rand = mulberry32((seed * 0x9e3779b1) ^ (index * 0x85ebca6b));
  const int = (n: number) => Math.floor(rand() * n);
  const r = rand();
  if (r < 0.35 && corpus.criu.length) return { kind: 'mutated/criu-log', text: mutated(corpus.criu, rand) };
  if (r < 0.7 && corpus.iptables.length) return { kind: 'mutated/iptables-save', text: mutated(corpus.iptables, rand) };
  if (r < 0.78) {
    // Lines of both languages interleaved: what a concatenation or a wrong language id gives.
    const a = mutated(corpus.criu, rand).split('\n');
    const b = mutated(corpus.iptables, rand).split('\n');
    const out: string[] = [];
    while (a.length || b.length) out.push(...(rand() < 0.5 ? a : b).splice(0, 1 + int(20)));
    return { kind: 'mutated/spliced', text: out.join('\n') };
  }
  if (r < 0.88) {
    const bytes = randomBytes(rand, int(rand() < 0.8 ? 4096 : 262144));
    return { kind: 'random-bytes', text: bytes.toString(rand() < 0.5 ? 'utf8' : 'latin1') };
  }
  if (r < 0.94) {
    const start = int(Math.max(1, binary.length - 65536));
    return { kind: 'binary/executable', text: binary.subarray(start, start + int(65536)).toString(rand() < 0.5 ? 'utf8' : 'latin1') };
  }
  const files = rand() < 0.5 ? corpus.criu : corpus.iptables;
  return { kind: 'binary/gzip', text: gzipSync(files[int(files.length)].join('\n')).toString('latin1') };
}

// ---- the worker: where the analyses run ---------------------------------------------------------

interface Job {
  id: number;
  text: string;
  measureMemory: boolean;
}
type JobResult =
  | { id: number; ok: true; retained?: number; heapAfter?: number }
  | { id: number; ok: false; target: Target; error: string };

const WORKER_FLAG = 'criuLensFuzzWorker';

/** True in the fuzz worker: entry files that start it must then run nothing else of their own. */
export function isFuzzWorker(): boolean {
  return !isMainThread && (workerData as Record<string, unknown> | null)?.[WORKER_FLAG] === true;
}

function runTarget(target: (typeof TARGETS)[number], text: string, partners: { log: string; dump: string }): unknown {
  switch (target) {
    case 'criu-log':
      return criuLogFindings('fuzz.log', analyseCriuLog(text));
    case 'iptables-save': {
      const ruleset = parseIptablesSave(text);
      return [ruleset, iptablesFindings('fuzz.rules', ruleset)];
    }
    case 'link':
      return [
        analyseDocuments([{ doc: 'fuzz.log', language: 'criu-log', text }, { doc: 'node.rules', language: 'iptables-save', text: partners.dump }]),
        analyseDocuments([{ doc: 'restore.log', language: 'criu-log', text: partners.log }, { doc: 'fuzz.rules', language: 'iptables-save', text }]),
      ];
  }
}

/** The worker's loop: one job at a time, every target, the first exception reported. */
export function runFuzzWorker(): void {
  const { partnerLog, partnerDump } = workerData as { partnerLog: string; partnerDump: string };
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  parentPort!.on('message', (job: Job) => {
    const kept: unknown[] = [];
    let before = 0;
    if (job.measureMemory) {
      gc();
      before = process.memoryUsage().heapUsed;
    }
    for (const target of TARGETS) {
      try {
        kept.push(runTarget(target, job.text, { log: partnerLog, dump: partnerDump }));
      } catch (e) {
        parentPort!.postMessage({ id: job.id, ok: false, target, error: e instanceof Error ? e.stack ?? e.message : String(e) } satisfies JobResult);
        return;
      }
    }
    if (!job.measureMemory) {
      parentPort!.postMessage({ id: job.id, ok: true } satisfies JobResult);
      return;
    }
    gc();
    const retained = process.memoryUsage().heapUsed - before;
    kept.length = 0;
    gc();
    parentPort!.postMessage({ id: job.id, ok: true, retained, heapAfter: process.memoryUsage().heapUsed } satisfies JobResult);
  });
}

// ---- the main side --------------------------------------------------------------------------------

export interface FuzzOptions {
  seed: number;
  /**
   * Random inputs after the hostile ones: at least minRandomInputs, then until `seconds` have passed,
   * at most randomInputs.
   */
  minRandomInputs: number;
  randomInputs: number;
  seconds: number;
  /** Size of the hostile inputs (1 = the full 10 MB lines and 100,000 repetitions). */
  hostileScale: number;
  corpus: Corpus;
  /** The bundle that calls runFuzzWorker() when isFuzzWorker() (the caller's own __filename). */
  workerScript: string;
  /** dist/cli.js, to run `criu-lens check` on some inputs; omitted: no CLI runs. */
  cli?: string;
  /** Every how many inputs (hostile ones included) one goes through the CLI too. */
  cliEvery: number;
  /** Inputs from this index on are measured for memory every this many (hostile ones always). */
  memoryEvery: number;
  onProgress?: (done: number, failures: number) => void;
}

class FuzzWorker {
  private worker: Worker;
  private pending?: { id: number; resolve: (r: JobResult | { id: number; died: string }) => void };
  private nextId = 0;

  constructor(private readonly script: string, private readonly corpus: Corpus) {
    this.worker = this.start();
  }

  private start(): Worker {
    const w = new Worker(this.script, {
      workerData: { [WORKER_FLAG]: true, partnerLog: this.corpus.partnerLog, partnerDump: this.corpus.partnerDump },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      stdout: false,
      stderr: false,
    });
    w.on('message', (r: JobResult) => {
      if (this.pending?.id === r.id) this.pending.resolve(r);
    });
    w.on('error', (e) => this.pending?.resolve({ id: this.pending.id, died: e.stack ?? String(e) }));
    w.on('exit', (code) => this.pending?.resolve({ id: this.pending.id, died: `worker exited with code ${code}` }));
    return w;
  }

  /** Runs one job; on a hang the worker is terminated and replaced. */
  async run(text: string, measureMemory: boolean, boundMs: number): Promise<{ result: JobResult | { died: string } | { hang: true }; ms: number }> {
    const id = this.nextId++;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const result = await new Promise<JobResult | { id: number; died: string } | { hang: true }>((resolve) => {
      this.pending = { id, resolve };
      timer = setTimeout(() => resolve({ hang: true }), boundMs);
      this.worker.postMessage({ id, text, measureMemory } satisfies Job);
    });
    clearTimeout(timer);
    this.pending = undefined;
    const ms = performance.now() - started;
    if ('hang' in result || 'died' in result) {
      this.worker.removeAllListeners();
      await this.worker.terminate();
      this.worker = this.start();
    }
    return { result, ms };
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners();
    await this.worker.terminate();
  }
}

/** `criu-lens check` on the file, auto-detected and with each language forced: a crash or hang? */
function cliProblem(cli: string, path: string, bytes: number): { problem: 'crash' | 'hang' | 'memory'; detail: string } | undefined {
  for (const forced of [[], ['--language', 'criu-log'], ['--language', 'iptables-save']]) {
    const args = ['--max-old-space-size=' + WORKER_HEAP_MB, cli, 'check', '--format', 'json', ...forced, path];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: Math.ceil(timeBoundMs(bytes) * 2), maxBuffer: 1 << 30 });
    const what = `criu-lens check ${forced.join(' ')}`.trim();
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return { problem: 'hang', detail: `${what}: no answer within ${Math.round(timeBoundMs(bytes) * 2)} ms` };
    if (r.signal) return { problem: 'crash', detail: `${what}: killed by ${r.signal}: ${r.stderr.slice(-2000)}` };
    if (/heap out of memory|Allocation failed/.test(r.stderr)) return { problem: 'memory', detail: `${what}: ${r.stderr.slice(-2000)}` };
    if (r.status === 0 || r.status === 1) {
      try {
        JSON.parse(r.stdout);
      } catch {
        return { problem: 'crash', detail: `${what}: exit ${r.status} but stdout is not one JSON object: ${r.stdout.slice(0, 200)}` };
      }
      continue;
    }
    // Exit 2 is the documented answer to a file it cannot read as any language; never an internal error.
    if (r.status === 2 && /^criu-lens: /.test(r.stderr) && !/internal error|\n\s+at /.test(r.stderr)) continue;
    return { problem: 'crash', detail: `${what}: exit ${r.status}: ${r.stderr.slice(-2000)}` };
  }
  return undefined;
}

export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const report: FuzzReport = { inputs: 0, bytes: 0, byKind: {}, cliRuns: 0, worstBoundFraction: 0, slowest: [], maxRetainedBytes: 0, heapGrowthBytes: 0, failures: [] };
  const binary = readFileSync(process.execPath).subarray(0, 8 << 20);
  const worker = new FuzzWorker(options.workerScript, options.corpus);
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-fuzz-'));
  let deadline = Infinity;
  let heapBaseline: number | undefined;
  try {
    const hostile = hostileInputs(options.hostileScale);
    for (let index = 0; ; index++) {
      const isHostile = index < hostile.length;
      if (index === hostile.length) deadline = performance.now() + options.seconds * 1000;
      const random = index - hostile.length;
      if (!isHostile && (random >= options.randomInputs || (random >= options.minRandomInputs && performance.now() > deadline))) break;
      const input = isHostile ? hostile[index] : randomInput(options.seed, index, options.corpus, binary);
      const bytes = Buffer.byteLength(input.text);
      const fail = (target: FuzzFailure['target'], problem: FuzzFailure['problem'], detail: string) =>
        report.failures.push({ seed: options.seed, index, kind: input.kind, target, problem, detail, text: input.text });
      const measureMemory = isHostile || index % options.memoryEvery === 0;
      const bound = timeBoundMs(bytes) * TARGETS.length;
      const { result, ms } = await worker.run(input.text, measureMemory, bound);
      report.inputs++;
      report.bytes += bytes;
      report.byKind[input.kind.split('/')[0]] = (report.byKind[input.kind.split('/')[0]] ?? 0) + 1;
      if (ms / bound > report.worstBoundFraction) {
        report.worstBoundFraction = ms / bound;
        report.worst = { kind: input.kind, index, ms, bytes };
      }
      if ('hang' in result) fail('worker', 'hang', `no answer within ${Math.round(bound)} ms (${bytes} bytes)`);
      else if ('died' in result) fail('worker', /out of memory|ERR_WORKER_OUT_OF_MEMORY/i.test(result.died) ? 'memory' : 'crash', result.died);
      else if (!result.ok) fail(result.target, 'crash', result.error);
      else if (result.retained !== undefined && result.heapAfter !== undefined) {
        report.maxRetainedBytes = Math.max(report.maxRetainedBytes, result.retained);
        const lines = input.text.split('\n').length;
        if (result.retained > RETAINED_PER_BYTE * bytes + RETAINED_PER_LINE * lines + RETAINED_CONST) {
          fail('worker', 'memory', `results retain ${(result.retained / 2 ** 20).toFixed(1)} MB for ${bytes} bytes in ${lines} lines of input`);
        }
        heapBaseline ??= result.heapAfter;
        report.heapGrowthBytes = Math.max(report.heapGrowthBytes, result.heapAfter - heapBaseline);
        if (result.heapAfter - heapBaseline > LEAK_BOUND) fail('worker', 'memory', `heap grew by ${((result.heapAfter - heapBaseline) / 2 ** 20).toFixed(1)} MB since the first input: a leak`);
      }
      let cliMs = 0;
      if (options.cli && index % options.cliEvery === 0) {
        const path = join(dir, `input-${index}`);
        writeFileSync(path, input.text);
        const cliStart = performance.now();
        const p = cliProblem(options.cli, path, bytes);
        cliMs = performance.now() - cliStart;
        report.cliRuns++;
        if (p) fail('cli', p.problem, p.detail);
        rmSync(path, { force: true });
      }
      report.slowest.push({ kind: input.kind, index, bytes, ms, cliMs });
      report.slowest.sort((a, b) => b.ms + b.cliMs - (a.ms + a.cliMs)).splice(8);
      options.onProgress?.(report.inputs, report.failures.length);
    }
  } finally {
    await worker.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

/**
 * A smaller input that still fails the same way (same target, same first line of the error),
 * by removing chunks of lines, then of characters. In-process: for crashes only.
 */
export function minimise(text: string, target: (typeof TARGETS)[number], corpus: Corpus, budgetMs = 60_000): string {
  const partners = { log: corpus.partnerLog, dump: corpus.partnerDump };
  const signature = (t: string): string | undefined => {
    try {
      runTarget(target, t, partners);
      return undefined;
    } catch (e) {
      return e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);
    }
  };
  const wanted = signature(text);
  if (wanted === undefined) return text;
  const until = performance.now() + budgetMs;
  const shrink = (parts: string[], joiner: string): string[] => {
    for (let chunk = Math.max(1, parts.length >> 1); chunk >= 1 && performance.now() < until; chunk >>= 1) {
      for (let i = 0; i < parts.length && performance.now() < until; ) {
        const candidate = [...parts.slice(0, i), ...parts.slice(i + chunk)];
        if (candidate.length && signature(candidate.join(joiner)) === wanted) parts = candidate;
        else i += chunk;
      }
    }
    return parts;
  };
  const lines = shrink(text.split('\n'), '\n').join('\n');
  return shrink([...lines], '').join('');
}
