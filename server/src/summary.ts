/**
 * A CRIU log's analysis as a short text to read and click through: the outcome, the root cause
 * with the lines before it, what follows from it, the rules that drop CRIU's FIN, and the sockets
 * whose restore sends one. For logs too big for an editor buffer, where diagnostics alone are
 * hard to find. Every reference to a line is returned as a link (the text's own coordinates and
 * the place it opens), so a client can make it clickable without parsing the text.
 */
import type { Finding } from './core/finding';
import type { Range } from './core/text';
import type { CriuLogAnalysis } from './criu/logModel';
import { restorePacket } from './criu/sockets';
import { culpritName, type FinLink } from './link/finLink';

export interface SummaryLink {
  /** Where the link is in the summary's text (0-based line, UTF-16 columns). */
  line: number;
  start: number;
  end: number;
  /** What it opens. */
  doc: string;
  range: Range;
}

export interface Summary {
  text: string;
  links: SummaryLink[];
}

export interface SummaryInput {
  doc: string;
  /** How to name the log in the text (a path). */
  name: string;
  analysis: CriuLogAnalysis;
  /** Findings of the workspace analysis; those of other documents are ignored. */
  findings: readonly Finding[];
  links: readonly FinLink[];
  bytes?: number;
  seconds?: number;
  /** Lines read again from disk before the root cause, and the index of the first. */
  context?: { first: number; lines: readonly string[] };
}

/** How many findings of each kind are listed by name (the rest are counted). */
const LISTED = 50;

const basename = (doc: string) => decodeURIComponent(doc.replace(/^.*[\\/]/, ''));
const thousands = (n: number) => n.toLocaleString('en-US');
const lineName = (line: number) => `line ${thousands(line + 1)}`;

/** Builds text line by line, noting where each link lands. */
class Writer {
  readonly lines: string[] = [];
  readonly links: SummaryLink[] = [];
  private current = '';

  text(s: string): this {
    this.current += s;
    return this;
  }

  link(label: string, doc: string, range: Range): this {
    this.links.push({ line: this.lines.length, start: this.current.length, end: this.current.length + label.length, doc, range });
    this.current += label;
    return this;
  }

  end(): this {
    this.lines.push(this.current);
    this.current = '';
    return this;
  }

  blank(): this {
    if (this.current) this.end();
    if (this.lines.length && this.lines[this.lines.length - 1] !== '') this.lines.push('');
    return this;
  }
}

const wholeLine = (line: number): Range => ({ start: { line, character: 0 }, end: { line, character: 0 } });

export function summarise(input: SummaryInput): Summary {
  const { doc, analysis, links } = input;
  const { run, log } = analysis;
  const own = input.findings.filter((f) => f.doc === doc);
  const w = new Writer();
  const at = (line: number) => w.link(lineName(line), doc, wholeLine(line));

  w.text(`# CRIU log summary: ${basename(doc)}`).end().blank();
  const size = input.bytes !== undefined ? `, ${(input.bytes / 1e6).toFixed(1)} MB` : '';
  const time = input.seconds !== undefined ? `, read from disk in ${input.seconds.toFixed(1)} s` : '';
  w.text(`${input.name}: ${thousands(log.lineCount)} lines${size}${time}.`).end();
  if (log.header.version) w.text(`CRIU ${log.header.version}${log.header.gitid ? ` (${log.header.gitid})` : ''}${log.header.kernel ? `, kernel ${log.header.kernel}` : ''}.`).end();
  if (run.options.length) w.text(`Options seen: ${run.options.join(', ')}.`).end();
  w.blank();

  const outcomes: Record<string, string> = { success: 'succeeded', failure: 'failed', aborted: 'stopped without a verdict (aborted or cut short)', unknown: 'has no verdict line' };
  w.text(`## Outcome`).end();
  w.text(`The ${run.action === 'unknown' ? 'run' : run.action} ${outcomes[run.outcome]}`);
  if (run.outcomeLine !== undefined) w.text(' (').link(lineName(run.outcomeLine), doc, wholeLine(run.outcomeLine)).text(`: ${log.line(run.outcomeLine).messageText.trim()})`);
  w.text('.').end().blank();

  const root = run.rootCause;
  if (root) {
    const finding = own.find((f) => f.range.start.line === root.line && f.severity === 'error');
    w.text('## Root cause').end();
    at(root.line).text(`: ${root.text}`).end();
    if (root.known) w.text(root.known.summary).end();
    if (input.context?.lines.length) {
      w.text('').end();
      input.context.lines.forEach((text, i) => {
        const line = input.context!.first + i;
        w.text('    ').link(String(line + 1).padStart(9), doc, wholeLine(line)).text(` | ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`).end();
      });
    }
    const related = finding?.related ?? [];
    if (related.length) {
      w.text('').end();
      for (const r of related.slice(0, LISTED)) {
        w.text('- ').link(r.doc === doc ? lineName(r.range.start.line) : `${basename(r.doc)}:${r.range.start.line + 1}`, r.doc, r.range).text(`: ${r.message}`).end();
      }
      if (related.length > LISTED) w.text(`- … and ${related.length - LISTED} more`).end();
    }
    w.blank();
  }

  const mine = links.filter((l) => l.failure.doc === doc);
  if (mine.length) {
    w.text("## CRIU's FIN packet and the rulesets").end();
    for (const { failure, verdicts } of mine) {
      at(failure.line).text(': the FIN that failed');
      if (!failure.packet) {
        w.text(' — its socket is not in the log, so the packet cannot be rebuilt.').end();
        continue;
      }
      w.end();
      if (!verdicts.length) w.text('- no ruleset known: capture `iptables-save`, `iptables-legacy-save` or `nft list ruleset` into the workspace').end();
      for (const { ruleset, evaluation } of verdicts) {
        w.text(`- ${basename(ruleset.doc)}: ${evaluation.verdict === 'drop' ? 'drops it' : evaluation.verdict === 'accept' ? 'accepts it' : `may drop it (if ${evaluation.conditions.join(' and ')})`}`);
        for (const c of evaluation.culprits) w.text(', ').link(`${culpritName(c)} (${basename(c.doc)}:${c.range.start.line + 1})`, c.doc, c.range);
        w.end();
      }
    }
    w.blank();
  }

  const finSockets = analysis.sockets.sockets.filter((s) => restorePacket(s.imageState) && s.sightings.some((x) => x.kind === 'restore'));
  if (finSockets.length) {
    w.text('## Sockets on the FIN path').end();
    for (const s of finSockets.slice(0, LISTED)) {
      const line = s.sightings.find((x) => x.kind === 'restore')!.line;
      const local = s.local ? `${s.local.address}:${s.local.port}` : 'local end unknown';
      const peer = s.peer ? `${s.peer.address}:${s.peer.port}` : 'peer unknown (open the dump log)';
      w.text('- ').link(lineName(line), doc, wholeLine(line)).text(`: ${s.imageState}${s.ino !== undefined ? ` ino 0x${s.ino.toString(16)}` : ''}, ${peer} → ${local}, re-sends ${restorePacket(s.imageState)} marked 0xC114`).end();
    }
    if (finSockets.length > LISTED) w.text(`- … and ${finSockets.length - LISTED} more`).end();
    w.blank();
  }

  const counts = (['error', 'warning', 'information', 'hint'] as const).map((s) => [s, own.filter((f) => f.severity === s).length] as const).filter(([, n]) => n);
  w.text('## Findings').end();
  w.text(counts.length ? `${counts.map(([s, n]) => `${thousands(n)} ${s}`).join(', ')} (all in the Problems panel).` : 'None.').end();
  const listed = own.filter((f) => f.severity === 'error' || f.severity === 'warning');
  for (const f of listed.slice(0, LISTED)) w.text('- ').link(lineName(f.range.start.line), doc, f.range).text(` ${f.severity}: ${f.message} [${f.code}]`).end();
  if (listed.length > LISTED) w.text(`- … and ${listed.length - LISTED} more`).end();
  return { text: w.lines.join('\n') + '\n', links: w.links };
}
