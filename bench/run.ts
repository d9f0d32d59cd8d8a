/**
 * `npm run bench`: each figure beside a baseline from the same run (see harness.ts), then the same
 * table as markdown for docs/performance.md. Inputs come from examples/, the generators and, where
 * present, the shared corpus beside the clone.
 *
 *   npm run bench                                   every section (~10 minutes on 2 vCPUs)
 *   npm run bench -- --only protocol,rss            some sections
 *   npm run bench -- --only fuzz --fuzz-seconds 600 the long fuzz run (--seed S to vary it)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criuLogFindings } from '../server/src/criu/findings';
import { analyseCriuLog } from '../server/src/criu/analyse';
import { isFuzzWorker, runFuzzWorker } from '../test/fuzz/engine';
import { machineDescription, markdownTable, printRows, ratioAtMost, time, type Row } from './harness';
import { iptablesSaveParseBench } from './iptables';
import { nftablesParseBench } from './nftables';
import { evaluateBench } from './evaluate';
import { fuzzBench } from './fuzz';
import { BenchInputs, DUMP_RULES, LOG_LINES, sizeMb } from './inputs';
import { protocolBench } from './protocol';
import { rssBench } from './rss';

const root = join(__dirname, '..', '..');
const examples = join(root, 'examples');
const dist = join(root, 'dist');
const corpusRoot = join(root, '..', 'shared', 'corpus');
const corpus = join(corpusRoot, 'criu-real');

const SECTIONS = ['log', 'iptables', 'nftables', 'evaluate', 'protocol', 'rss', 'fuzz'] as const;
type Section = (typeof SECTIONS)[number];

interface Args {
  only: Set<Section>;
  fuzzSeconds: number;
  seed: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { only: new Set(SECTIONS), fuzzSeconds: 60, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--only') {
      const names = value().split(',').filter(Boolean);
      const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
      if (unknown.length || !names.length) usage(`unknown section(s) ${unknown.join(', ') || '(none given)'}`);
      args.only = new Set(names as Section[]);
    } else if (flag === '--fuzz-seconds') args.fuzzSeconds = Number(value());
    else if (flag === '--seed') args.seed = Number(value());
    else usage(`unknown option ${argv[i]}`);
  }
  if (!(args.fuzzSeconds >= 0) || !Number.isSafeInteger(args.seed)) usage('--fuzz-seconds and --seed take numbers');
  return args;
}

function usage(problem: string): never {
  console.error(`bench: ${problem}\nusage: npm run bench -- [--only ${SECTIONS.join(',')}] [--fuzz-seconds N] [--seed S]`);
  process.exit(2);
}

/** All real CRIU logs (or the examples when the corpus is absent) joined into one file. */
function criuLogInput(): { path: string; text: string; cleanup: () => void } {
  const parts: string[] = [];
  if (existsSync(corpus)) {
    for (const dir of readdirSync(corpus).sort()) {
      for (const name of ['dump.log', 'restore.log']) {
        const p = join(corpus, dir, name);
        if (existsSync(p)) parts.push(readFileSync(p, 'utf8'));
      }
    }
  }
  parts.push(readFileSync(join(examples, 'restore.log'), 'utf8'), readFileSync(join(examples, 'dump.log'), 'utf8'));
  const text = parts.join('');
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-bench-'));
  const path = join(dir, 'joined.log');
  writeFileSync(path, text);
  return { path, text, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function main(args: Args): Promise<void> {
  const started = Date.now();
  const machineAtStart = machineDescription();
  const rows: Row[] = [];
  const skipped: { name: string; reason: string }[] = [];
  const notes: string[] = [];
  const fuzzLines: string[] = [];
  let failed = false;
  const inputs = new BenchInputs(examples);
  const section = (s: Section) => {
    const on = args.only.has(s);
    if (on) process.stderr.write(`bench: ${s} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    return on;
  };
  try {
    if (section('log')) {
      const { path, text, cleanup } = criuLogInput();
      const lineCount = text.split('\n').length;
      rows.push({
        name: `CRIU log: parse + findings (${lineCount.toLocaleString('en')} lines)`,
        figure: time(() => criuLogFindings(path, analyseCriuLog(readFileSync(path, 'utf8')))),
        baselineName: '`grep -n Error` on the same file (process spawn included)',
        baseline: time(() => spawnSync('grep', ['-n', 'Error', path], { encoding: 'utf8' })),
        units: { count: lineCount, name: 'lines' },
        target: ratioAtMost(25),
      });
      cleanup();

      // Issue target: full analysis of a 1,000,000-line -v4 restore log within 25× `grep -n Error`.
      const big = inputs.log();
      rows.push({
        name: `CRIU log: full analysis (${LOG_LINES.toLocaleString('en')} lines, ${sizeMb(big).toFixed(0)} MB)`,
        figure: time(() => criuLogFindings(big, analyseCriuLog(readFileSync(big, 'utf8'))), 1000, 3),
        baselineName: '`grep -n Error` on the same file',
        baseline: time(() => spawnSync('grep', ['-n', 'Error', big], { encoding: 'utf8', maxBuffer: 1 << 28 }), 1000, 3),
        units: { count: LOG_LINES, name: 'lines' },
        target: ratioAtMost(25),
      });
    }

    if (section('iptables')) {
      // Issue target: parse and index the 100k and the 700k dump within 1.0× iptables-legacy-restore --test.
      for (const rules of DUMP_RULES) {
        const outcome = iptablesSaveParseBench(rules, inputs.dump(rules));
        if ('row' in outcome) {
          rows.push(outcome.row);
          notes.push(...outcome.notes.map((n) => `${outcome.row.name}: ${n}`));
        } else skipped.push(outcome.skipped);
      }
    }

    if (section('nftables')) {
      // nft -c -f on the same generated ruleset is the baseline for the nftables parser.
      const outcome = nftablesParseBench();
      if ('row' in outcome) {
        rows.push(outcome.row);
        notes.push(...outcome.notes.map((n) => `${outcome.row.name}: ${n}`));
      } else skipped.push(outcome.skipped);
    }

    if (section('evaluate')) {
      // Issue target: one packet through the 100,000-rule dump in under 5 ms after indexing; throughput for 10,000 packets.
      const outcome = evaluateBench();
      rows.push(...outcome.rows);
      notes.push(...outcome.notes);
      skipped.push(...outcome.skipped);
    }

    if (section('protocol')) {
      const outcome = await protocolBench(dist, examples, { log: inputs.log(), dumps: DUMP_RULES.map((r) => inputs.dump(r)) });
      rows.push(...outcome.rows);
      notes.push(...outcome.notes);
    }

    if (section('rss')) {
      const files = [
        { path: inputs.log(), what: `${LOG_LINES / 1e6}M-line log` },
        ...DUMP_RULES.map((r) => ({ path: inputs.dump(r), what: `${r / 1000}k-rule dump` })),
      ];
      const outcome = rssBench(dist, files);
      rows.push(...outcome.rows);
      notes.push(...outcome.notes);
      skipped.push(...outcome.skipped);
    }

    if (section('fuzz')) {
      const outcome = await fuzzBench({ seed: args.seed, seconds: args.fuzzSeconds, corpusDir: corpusRoot, examples, dist });
      fuzzLines.push(...outcome.lines);
      failed = outcome.report.failures.length > 0;
    }
  } finally {
    inputs.close();
  }

  console.log();
  printRows(rows);
  for (const s of skipped) console.log(`${s.name.padEnd(52)} skipped: ${s.reason}`);
  for (const n of notes) console.log(`note: ${n}`);
  for (const l of fuzzLines) console.log(l);
  console.log(`\n---- markdown, for docs/performance.md ----\n`);
  console.log(`Machine: ${machineAtStart} at the start; ${machineDescription().replace(/.*; /, '')} at the end. Sections: ${[...args.only].join(', ')}; ${((Date.now() - started) / 60000).toFixed(1)} min.\n`);
  if (rows.length) console.log(markdownTable(rows));
  for (const s of skipped) console.log(`\n- ${s.name}: skipped: ${s.reason}`);
  if (fuzzLines.length) console.log(`\n${fuzzLines.map((l) => `- ${l}`).join('\n')}`);
  if (failed) process.exitCode = 1;
}

if (isFuzzWorker()) runFuzzWorker();
else
  main(parseArgs(process.argv.slice(2))).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
