/**
 * `criu-lens`: the analysis of the editor, on the command line (DESIGN.md §7).
 * Exit codes: 0 no error finding, 1 at least one error finding, 2 usage or I/O error.
 */
import { readFileSync, statSync } from 'node:fs';
import { analyseModels, buildModel, rulesetInputOf, type DocumentModel } from './analysis';
import { FileChangedError, readHead } from './core/lineFile';
import { analyseCriuLogFile } from './criu/logFile';
import { parseIptablesSaveFile } from './netfilter/iptables/dumpFile';
import { formatReplay, replay as replayInKernel, replayPacketOf } from './replay/replay';
import { compareFindings } from './core/finding';
import { detectLanguage, isLanguageId, languageIds, type LanguageId } from './core/language';
import { formatText, formatTrace, summary, toReport, toSarif } from './cli/output';
import { traceReport } from './netfilter/evaluate/report';
import { htmlReport } from './cli/html';
import { packetPathDiagram } from './diagram/packetPath';
import { renderDiagramSvg } from './diagram/svg';
import { parsePacketSpec, PacketSpecError, type Packet, type Path } from './netfilter/evaluate/packet';
import { evaluateRulesets, type AnyRulesetInput } from './netfilter/evaluate/nftWalk';
import { version } from '../../package.json';

const usage = `Usage: criu-lens check [--format text|json|sarif|html] [--language ID] FILE...
       criu-lens trace --ruleset FILE [--ruleset FILE...] --path local-out|input|forward
                       --packet "family=ipv4 proto=tcp src=A sport=P dst=B dport=Q flags=FIN,ACK mark=0xc114 oif=lo ct=invalid"
                       [--format text|json|svg]
       criu-lens replay --ruleset FILE (--log restore.log [--log dump.log] | --packet "…") [--format text|json]
       criu-lens --help | --version

Analyses CRIU logs and netfilter rulesets together and prints findings.
  --format text|json  text (default): path:line:col: severity: message [code]
                      json: one object, 0-based LSP-style ranges
                      sarif: SARIF 2.1.0, for code-scanning tools
                      html: a self-contained page, with the packet path of each failed FIN
  --language ID       treat every FILE as ID (${languageIds.join(', ')})
                      instead of detecting each file's language from its content
trace walks one packet through the rulesets' tables in kernel order (iptables-save dumps and
nftables rulesets, nft base chains by priority) and prints the verdict
(drop, accept, or unknown when it depends on fields you left out), the rule(s) responsible and
every step; --format svg draws the packet's path as a standalone SVG image.
Packet fields: family proto src sport dst dport flags mark ctmark iif oif ct.

replay ("confirm with the kernel", root only) loads the ruleset (iptables-save dump or nftables
ruleset) into a throw-away network namespace, sends the packet CRIU sent (from the logs: its FIN,
mark 0xc114) or --packet, captures the kernel's trace (xtables-monitor --trace, or nft monitor
trace) and prints it beside the evaluator's verdict. The namespace is
deleted afterwards; the host's own ruleset is never touched.

Exit status: check: 0 no errors found, 1 errors found; trace, replay: 0; all: 2 usage or I/O
error (replay: also when it cannot run here, with the reason; nothing is changed then).`;

class UsageError extends Error {}
/** A file that cannot be used: reported on stderr, exit 2. */
class InputError extends Error {}

function readInput(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/**
 * Walks `--flag value` and `--flag=value` arguments. `on` answers false for a flag it does not
 * know; `positional`, when given, takes the other arguments (and everything after `--`).
 */
function readArgs(args: string[], on: (flag: string, value: () => string) => boolean, positional?: (arg: string) => void): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (positional && arg === '--') {
      args.slice(i + 1).forEach(positional);
      return;
    }
    if (positional && (!arg.startsWith('-') || arg === '-')) {
      positional(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      const v = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (!on(flag, value)) throw new UsageError(`unknown option '${arg}'`);
  }
}

/** `--packet` of trace and replay. */
function packetOption(spec: string): Packet {
  try {
    return parsePacketSpec(spec);
  } catch (e) {
    if (e instanceof PacketSpecError) throw new UsageError(`--packet: ${e.message}`);
    throw e;
  }
}

/**
 * A ruleset file for trace or replay: an iptables-save dump or an nftables ruleset, read through
 * the same models as check. Errors the loading tool would reject are a warning: what could be
 * read is still evaluated.
 */
function readRuleset(file: string, command: string): { input: AnyRulesetInput; text: string } {
  const text = readInput(file);
  const language = detectLanguage(file, text);
  const model = language === 'iptables-save' || language === 'nftables' ? buildModel({ doc: file, language, text }) : undefined;
  const input = model && rulesetInputOf(file, model);
  if (!model || !input) throw new InputError(`${file} is ${language ? `a ${language} file` : 'not a ruleset we can read'}; ${command} reads iptables-save dumps and nftables rulesets`);
  const errors = (model.language === 'nftables' ? model.nft.problems : model.language === 'iptables-save' ? model.ruleset.problems : []).filter((p) => p.severity === 'error').length;
  if (errors) process.stderr.write(`criu-lens: warning: ${file} has ${errors} error(s) that ${language === 'nftables' ? 'nft -f' : 'iptables-restore'} would reject; evaluating what could be read\n`);
  return { input, text };
}

interface CheckOptions {
  format: 'text' | 'json' | 'sarif' | 'html';
  language?: LanguageId;
  files: string[];
}

function parseCheckArgs(args: string[]): CheckOptions {
  const options: CheckOptions = { format: 'text', files: [] };
  readArgs(
    args,
    (flag, value) => {
      if (flag === '--format') {
        const v = value();
        if (v !== 'text' && v !== 'json' && v !== 'sarif' && v !== 'html') throw new UsageError(`unknown format '${v}' (text, json, sarif or html)`);
        options.format = v;
      } else if (flag === '--language') {
        const v = value();
        if (!isLanguageId(v)) throw new UsageError(`unknown language '${v}' (${languageIds.join(', ')})`);
        options.language = v;
      } else return false;
      return true;
    },
    (file) => options.files.push(file),
  );
  if (options.files.length === 0) throw new UsageError('no FILE given');
  return options;
}

/** Whether `path` is a plain file (a dump read from one is read again by offset); false when it cannot be told. */
function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const ioError = (path: string, e: unknown) => new InputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);

/**
 * CRIU logs are streamed from disk, never read whole: `-v4` logs reach hundreds of MB, and the
 * reader keeps only the lines the findings point at (the editor's large-log command does the same).
 * iptables-save dumps are parsed from disk too, by the editor's parser: their model keeps no text,
 * its rules read their lines again from the file (dumpFile.ts).
 */
async function readModel(path: string, forced: LanguageId | undefined): Promise<{ language: LanguageId; model: DocumentModel }> {
  let language = forced;
  if (!language) {
    let head: string;
    try {
      head = readHead(path);
    } catch (e) {
      throw ioError(path, e);
    }
    language = detectLanguage(path, head);
    if (!language) throw new InputError(`cannot tell what ${path} is (not a CRIU log or a ruleset?); name it with --language`);
  }
  // A pipe (`<(iptables-save)`, /dev/stdin) cannot be read again at an offset: its dump is read whole.
  if (language === 'iptables-save' && isRegularFile(path)) {
    try {
      return { language, model: { language, ruleset: parseIptablesSaveFile(path) } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code) throw ioError(path, e);
      throw e;
    }
  }
  if (language !== 'criu-log') return { language, model: buildModel({ doc: path, language, text: readInput(path) }) };
  let analysis;
  try {
    analysis = (await analyseCriuLogFile(path)).analysis;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw ioError(path, e);
    throw e;
  }
  return { language, model: { language, criu: analysis } };
}

async function check(options: CheckOptions): Promise<number> {
  const documents: { doc: string; language: LanguageId; model: DocumentModel }[] = [];
  try {
    for (const path of options.files) documents.push({ doc: path, ...(await readModel(path, options.language)) });
  } catch (e) {
    if (e instanceof InputError) throw e;
    return internalError(options.files, e);
  }
  let findings;
  let links;
  try {
    const analysis = analyseModels(documents);
    findings = analysis.findings.sort(compareFindings);
    links = analysis.links;
  } catch (e) {
    return internalError(options.files, e);
  }
  const files = documents.map((d) => ({ path: d.doc, language: d.language }));
  if (options.format === 'json') {
    process.stdout.write(JSON.stringify(toReport(files, findings)) + '\n');
  } else if (options.format === 'sarif') {
    process.stdout.write(JSON.stringify(toSarif(findings, version)) + '\n');
  } else if (options.format === 'html') {
    process.stdout.write(htmlReport(files, findings, links, version));
  } else {
    process.stdout.write(formatText(findings));
    process.stderr.write(summary(files.length, findings) + '\n');
  }
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

/** A bug of ours, never the user's input: say so plainly rather than with a bare stack trace. */
function internalError(files: readonly string[], e: unknown): number {
  if (e instanceof FileChangedError) {
    process.stderr.write(`criu-lens: ${e.message}\n`);
    return 2;
  }
  process.stderr.write(`criu-lens: internal error while analysing ${files.join(', ')}: ${e instanceof Error ? e.stack ?? e.message : String(e)}\nPlease report it with the input file.\n`);
  return 2;
}

function trace(args: string[]): number {
  const rulesets: string[] = [];
  let path: Path | undefined;
  let packetSpec: string | undefined;
  let format = 'text' as 'text' | 'json' | 'svg';
  readArgs(args, (flag, value) => {
    if (flag === '--ruleset') rulesets.push(value());
    else if (flag === '--path') {
      const v = value();
      if (v !== 'local-out' && v !== 'input' && v !== 'forward') throw new UsageError(`unknown path '${v}' (local-out, input, forward)`);
      path = v;
    } else if (flag === '--packet') packetSpec = value();
    else if (flag === '--format') {
      const v = value();
      if (v !== 'text' && v !== 'json' && v !== 'svg') throw new UsageError(`unknown format '${v}' (text, json or svg)`);
      format = v;
    } else return false;
    return true;
  });
  if (!rulesets.length) throw new UsageError('trace needs --ruleset FILE');
  if (!path) throw new UsageError('trace needs --path local-out|input|forward');
  const packet = packetOption(packetSpec ?? '');
  const all = rulesets.map((file) => readRuleset(file, 'trace').input);
  const result = evaluateRulesets(all, path, packet);
  if (format === 'svg') process.stdout.write(renderDiagramSvg(packetPathDiagram({ inputs: all, path, packet, evaluation: result })));
  else process.stdout.write(format === 'json' ? JSON.stringify(traceReport(result)) + '\n' : formatTrace(result));
  return 0;
}

async function replay(args: string[]): Promise<number> {
  let rulesetFile: string | undefined;
  const logs: string[] = [];
  let packetSpec: string | undefined;
  let format = 'text' as 'text' | 'json';
  readArgs(args, (flag, value) => {
    if (flag === '--ruleset') {
      if (rulesetFile) throw new UsageError('replay takes one --ruleset');
      rulesetFile = value();
    } else if (flag === '--log') logs.push(value());
    else if (flag === '--packet') packetSpec = value();
    else if (flag === '--format') {
      const v = value();
      if (v !== 'text' && v !== 'json') throw new UsageError(`unknown format '${v}' (text or json)`);
      format = v;
    } else return false;
    return true;
  });
  if (!rulesetFile) throw new UsageError('replay needs --ruleset FILE');
  if (!logs.length && !packetSpec) throw new UsageError('replay needs --log FILE (the restore log, and its dump log for the peer) or --packet');
  const { input: ruleset, text } = readRuleset(rulesetFile, 'replay');
  let packet;
  if (packetSpec) {
    packet = replayPacketOf(packetOption(packetSpec));
  } else {
    const models = logs.map((doc) => ({ doc, model: buildModel({ doc, language: 'criu-log', text: readInput(doc) }) }));
    const failure = analyseModels(models).links[0]?.failure;
    if (!failure) throw new InputError(`no failed FIN send (\`Unable to send a fin packet\`) in ${logs.join(', ')}: nothing to replay`);
    packet = replayPacketOf(failure.packet);
    if (typeof packet !== 'string') process.stderr.write(`criu-lens: replaying the FIN of ${failure.doc}:${failure.line + 1}\n`);
  }
  if (typeof packet === 'string') throw new InputError(`cannot replay: ${packet}`);
  const result = await replayInKernel(ruleset, text, packet);
  if (!result.ok) throw new InputError(result.reason);
  const o = result.outcome;
  if (format === 'json') {
    process.stdout.write(JSON.stringify({
      packet: o.packet,
      kernel: { sent: o.sent, drops: o.kernelDrops.map((d) => ({ ...(d.evidence.family ? { family: d.evidence.family } : {}), table: d.evidence.table, chain: d.evidence.chain, rule: d.evidence.rule, rules: d.rules })), trace: o.capture.trimEnd().split('\n') },
      evaluator: traceReport(o.evaluation),
      agree: o.agree,
      commands: o.commands,
    }) + '\n');
  } else process.stdout.write(formatReplay(o));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage + '\n');
    return 0;
  }
  if (command === '--version') {
    process.stdout.write(version + '\n');
    return 0;
  }
  try {
    if (command === 'check') return await check(parseCheckArgs(rest));
    if (command === 'trace') return trace(rest);
    if (command === 'replay') return await replay(rest);
    throw new UsageError(command === undefined ? 'no command given' : `unknown command '${command}'`);
  } catch (e) {
    if (e instanceof InputError || e instanceof FileChangedError) {
      process.stderr.write(`criu-lens: ${e.message}\n`);
      return 2;
    }
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`criu-lens: ${e.message}\n${usage}\n`);
    return 2;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
