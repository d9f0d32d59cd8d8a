/**
 * The headline link (DESIGN.md §1): a restore that failed sending the forged FIN (EPERM), the
 * packet it sent, and the rule in each known ruleset that dropped it. The packet is built from
 * the logs (the socket's local end from the restore log, the peer from the dump log's lock lines
 * once paired), marked 0xC114, and walked down the local-out path.
 */
import type { Finding, RelatedLocation } from '../core/finding';
import { range as lineRangeOf } from '../core/text';
import type { CriuLogAnalysis } from '../criu/analyse';
import type { InetSocket } from '../criu/sockets';
import { restorePacket } from '../criu/sockets';
import { hex, SOCCR_MARK } from '../knowledge/marks';
import { criuFinPacket } from '../netfilter/evaluate/criuFin';
import type { Packet } from '../netfilter/evaluate/packet';
import type { Culprit, Evaluation, TraceStep } from '../netfilter/evaluate/walk';
import { evaluateRulesets, isNftInput, type AnyRulesetInput } from '../netfilter/evaluate/nftWalk';
import type { IptablesRuleset, Rule } from '../netfilter/iptables/model';
import type { NftRuleset, Rule as NftRule } from '../netfilter/nftables/model';
import { markTest } from '../netfilter/nftables/checks';

/** Message ids of the FIN send failing (the EPERM one and the generic one). */
const FIN_FAILURES = new Set(['soccr-fin-eperm', 'soccr-fin-failed']);

export interface FinFailure {
  doc: string;
  analysis: CriuLogAnalysis;
  /** The `Unable to send a fin packet` line. */
  line: number;
  socket?: InetSocket;
  packet?: Packet;
}

export interface FinVerdict {
  ruleset: AnyRulesetInput;
  evaluation: Evaluation;
}

export interface FinLink {
  failure: FinFailure;
  verdicts: FinVerdict[];
}

/** The restore's socket whose FIN failed: the last FIN-path socket restored by the same task before the error. */
function socketOf(analysis: CriuLogAnalysis, line: number): InetSocket | undefined {
  const task = analysis.run.errors.find((e) => e.line === line)?.task;
  let best: InetSocket | undefined;
  let bestLine = -1;
  for (const s of analysis.sockets.sockets) {
    if (!restorePacket(s.imageState) || (task !== undefined && s.pid !== undefined && s.pid !== task)) continue;
    const seen = s.sightings.filter((x) => x.line < line).map((x) => x.line);
    const last = seen.length ? Math.max(...seen) : -1;
    if (last > bestLine) {
      bestLine = last;
      best = s;
    }
  }
  return best;
}

export function finFailures(logs: readonly { doc: string; analysis: CriuLogAnalysis }[]): FinFailure[] {
  const out: FinFailure[] = [];
  for (const { doc, analysis } of logs) {
    for (const e of analysis.run.errors) {
      if (!e.known || !FIN_FAILURES.has(e.known.id)) continue;
      const socket = socketOf(analysis, e.line);
      const flags = restorePacket(socket?.imageState);
      const packet = socket?.local && flags
        ? criuFinPacket({ local: socket.local, peer: socket.peer ?? { address: socket.local.address.includes(':') ? '::' : '0.0.0.0', port: 0 }, packet: flags })
        : undefined;
      if (packet && !socket?.peer) {
        // Without the dump log the peer is unknown: leave its address and port unknown.
        delete packet.src;
        delete packet.srcText;
        delete packet.sport;
      }
      out.push({ doc, analysis, line: e.line, ...(socket ? { socket } : {}), ...(packet ? { packet } : {}) });
    }
  }
  return out;
}

export function linkFinFailures(failures: readonly FinFailure[], rulesets: readonly AnyRulesetInput[]): FinLink[] {
  return failures.map((failure) => ({
    failure,
    verdicts: failure.packet ? rulesets.map((ruleset) => ({ ruleset, evaluation: evaluateRulesets([ruleset], 'local-out', failure.packet!) })) : [],
  }));
}

/**
 * The jumps on the call stack when the culprit dropped the packet: replayed from the culprit's
 * table's part of the trace (jump pushes, goto replaces, RETURN and a chain's end pop).
 */
function jumpPath(e: Evaluation, culprit: Culprit): TraceStep[] {
  const end = e.trace.length - 1;
  let start = end;
  while (start > 0 && e.trace[start - 1].table === culprit.table && e.trace[start - 1].doc === culprit.doc) start--;
  const stack: TraceStep[] = [];
  for (const t of e.trace.slice(start, end + 1)) {
    if (t.match === 'no') continue;
    if (t.action.startsWith('jump ')) stack.push(t);
    else if (t.action.startsWith('goto ')) {
      stack.pop();
      stack.push(t);
    } else if (t.action === 'RETURN' || t.action === 'return' || t.action.startsWith('end of ')) stack.pop();
  }
  return stack;
}

/** `filter/KUBE-FIREWALL rule 1`. */
export function culpritName(c: Culprit): string {
  return `${c.table}/${c.chain} ${c.rule ? `rule ${c.rule}` : 'policy'}`;
}

function basename(doc: string): string {
  return doc.replace(/^.*[\\/]/, '');
}

function ruleAt(ruleset: IptablesRuleset, c: Culprit): Rule | undefined {
  const table = ruleset.tables.find((t) => t.name === c.table);
  return c.rule ? table?.chains.get(c.chain)?.rules[c.rule - 1] : undefined;
}

/** Why the mark matched: `0xc114 & 0x8000 = 0x8000`. */
function markReason(rule: Rule | undefined): string | undefined {
  for (const m of rule?.matches ?? []) {
    if (m.module !== 'mark') continue;
    for (const o of m.options) {
      const v = o.values[0];
      if (o.name === 'mark' && v?.type === 'mark') {
        const bits = (SOCCR_MARK & v.mask) >>> 0;
        return o.negated ? `mark ${hex(SOCCR_MARK)} & ${hex(v.mask)} = ${hex(bits)} ≠ ${hex(v.value)} (negated match)` : `mark ${hex(SOCCR_MARK)} & ${hex(v.mask)} = ${hex(bits)}`;
      }
    }
  }
  return undefined;
}

/** The nft rule a culprit names (`table` is `<family> <name>`). */
export function nftRuleAt(ruleset: NftRuleset, c: Culprit): NftRule | undefined {
  const table = ruleset.tables.find((t) => `${t.family} ${t.name}` === c.table);
  return c.rule ? table?.chains.get(c.chain)?.rules[c.rule - 1] : undefined;
}

/** Why an nft rule's mark test matched: `mark 0xc114 & 0x8000 = 0x8000`. */
function nftMarkReason(rule: NftRule | undefined): string | undefined {
  for (const st of rule?.statements ?? []) {
    const t = markTest(st);
    if (!t) continue;
    const bits = (SOCCR_MARK & t.mask) >>> 0;
    return t.negated ? `meta mark ${hex(SOCCR_MARK)} & ${hex(t.mask)} = ${hex(bits)} ≠ ${hex(t.value)} (negated match)` : `meta mark ${hex(SOCCR_MARK)} & ${hex(t.mask)} = ${hex(bits)}`;
  }
  return undefined;
}

/** The first table's range of a ruleset, to point at a file that accepts the packet. */
export function firstTableRange(input: AnyRulesetInput) {
  return (isNftInput(input) ? input.nft.tables[0]?.range : input.ruleset.tables[0]?.range) ?? lineRangeOf(0, 0, 0);
}

/**
 * CRIU's own nft table (`table inet CRIU-…`) accepting the marked FIN: accept ends only that
 * base chain, so it cannot stop a drop in another table's base chain on the same hook.
 */
function criuAcceptsPassed(e: Evaluation): RelatedLocation[] {
  return e.trace
    .filter((t) => /^(inet|ip|ip6) CRIU-/.test(t.table) && t.match === 'yes' && t.action.startsWith('accept'))
    .map((t) => ({ doc: t.doc, range: t.range, message: `CRIU's table ${t.table} accepts the 0xc114-marked FIN, but accept ends only its own base chain: the packet still meets the other tables' base chains on the hook, and a drop there wins` }));
}

/** CRIU's own lock rule (`-m mark ! --mark 0xc114 … -j DROP`): it drops only packets WITHOUT the mark. */
export function isCriuLockRule(rule: Rule | undefined): boolean {
  return Boolean(rule?.matches.some((m) => m.module === 'mark' && m.options.some((o) => {
    const v = o.values[0];
    return o.name === 'mark' && o.negated && v?.type === 'mark' && v.value === SOCCR_MARK && v.mask === 0xffffffff;
  })));
}

/** The lock rules the packet passed on its way: never to blame, and why they do not protect it. */
function lockRulesPassed(ruleset: IptablesRuleset, e: Evaluation): RelatedLocation[] {
  // A run of rules the chain index skipped is one step: its rules are looked at one by one only
  // in the built-in chains, where CRIU inserts its lock rules (a long user chain is not read again).
  const rules = e.trace.flatMap((t) => {
    if (t.rule === 0) return [];
    const at = (rule: number) => ({ doc: t.doc, table: t.table, chain: t.chain, rule });
    if (!t.skipped) return [{ ...at(t.rule), range: t.range }];
    if (!['INPUT', 'OUTPUT', 'FORWARD'].includes(t.chain)) return [];
    return Array.from({ length: t.skipped }, (_, k) => ruleAt(ruleset, { ...at(t.rule + k), range: t.range })).flatMap((r) => (r ? [{ ...at(r.index), range: r.range }] : []));
  });
  return rules
    .filter((c) => isCriuLockRule(ruleAt(ruleset, c)))
    .map((c) => ({ doc: c.doc, range: c.range, message: `CRIU's own lock rule: it drops only packets without mark 0xc114, so the FIN passes it; it cannot stop a drop later on the path` }));
}

/**
 * Findings of the link: related information for the EPERM diagnostic (added by the caller to
 * the root-cause finding), a diagnostic on each dropping rule, and what to check when nothing
 * drops the packet.
 */
export function linkFindings(links: readonly FinLink[]): { related: Map<string, RelatedLocation[]>; findings: Finding[] } {
  const related = new Map<string, RelatedLocation[]>();
  const findings: Finding[] = [];
  for (const { failure, verdicts } of links) {
    const key = `${failure.doc}#${failure.line}`;
    const rel: RelatedLocation[] = [];
    const logLine = failure.analysis.log.line(failure.line);
    const logRange = lineRangeOf(failure.line, logLine.level?.span.start ?? 0, logLine.message.span.end);
    const where = `${basename(failure.doc)}:${failure.line + 1}`;
    if (!failure.packet) {
      findings.push({ doc: failure.doc, range: logRange, severity: 'information', code: 'link.fin-socket-unknown', message: "The socket whose FIN failed is not in the log (no `Restore:` line with a half-closed state before this line): the packet cannot be rebuilt", related: [] });
      continue;
    }
    if (verdicts.length === 0) {
      findings.push({ doc: failure.doc, range: logRange, severity: 'information', code: 'link.no-ruleset', message: 'No ruleset of this node is known: capture it (`iptables-save`, `iptables-legacy-save`, `ip6tables-save`, `nft list ruleset`) into the workspace to find the rule that drops CRIU\'s FIN', related: [] });
      continue;
    }
    for (const { ruleset, evaluation } of verdicts) {
      if (evaluation.verdict === 'accept') continue;
      for (const c of evaluation.culprits) {
        const path = jumpPath(evaluation, c);
        const verb = evaluation.verdict === 'drop' ? 'Dropped by' : 'May be dropped by';
        rel.push({ doc: c.doc, range: c.range, message: `${verb} ${culpritName(c)}${evaluation.verdict === 'unknown' ? ` if ${evaluation.conditions.join(' and ')}` : ''}` });
        for (const j of path) rel.push({ doc: j.doc, range: j.range, message: `${j.table}/${j.chain} rule ${j.rule}: ${j.action}` });
        rel.push(...(isNftInput(ruleset) ? criuAcceptsPassed(evaluation) : lockRulesPassed(ruleset.ruleset, evaluation)));
        const reason = (isNftInput(ruleset) ? nftMarkReason(nftRuleAt(ruleset.nft, c)) : markReason(ruleAt(ruleset.ruleset, c))) ?? (c.rule ? 'the rule matches the packet' : 'the chain\'s policy');
        findings.push({
          doc: c.doc,
          range: c.range,
          severity: evaluation.verdict === 'drop' ? 'warning' : 'information',
          code: 'link.drops-criu-fin',
          message: `${evaluation.verdict === 'drop' ? 'Drops' : 'May drop'} CRIU's FIN: ${reason} (${where})${evaluation.verdict === 'unknown' ? ` — if ${evaluation.conditions.join(' and ')}` : ''}`,
          related: [{ doc: failure.doc, range: logRange, message: 'the restore that failed with EPERM' }, ...path.map((j) => ({ doc: j.doc, range: j.range, message: `reached through ${j.table}/${j.chain} rule ${j.rule}: ${j.action}` }))],
        });
      }
    }
    // iptables-nft's dump says legacy tables exist: their rules see the FIN too but are not in it.
    const legacyHint = verdicts.find((v) => isNftInput(v.ruleset) && v.ruleset.nft.legacyTablesPresent);
    if (legacyHint && isNftInput(legacyHint.ruleset) && !verdicts.some((v) => !isNftInput(v.ruleset) && (v.ruleset.backend ?? v.ruleset.ruleset.backend) === 'legacy')) {
      findings.push({
        doc: failure.doc,
        range: logRange,
        severity: 'information',
        code: 'link.capture-legacy',
        message: `${basename(legacyHint.ruleset.doc)} says iptables-legacy tables are present: their rules also see CRIU's FIN but are not in the dump. On the node, run \`iptables-legacy-save > iptables-legacy.rules\` (and \`ip6tables-legacy-save > ip6tables-legacy.rules\` for IPv6) and add the file to the workspace`,
        related: [{ doc: legacyHint.ruleset.doc, range: legacyHint.ruleset.nft.legacyTablesPresent!, message: 'the warning iptables-nft printed' }],
      });
    }
    if (!rel.length) {
      findings.push({
        doc: failure.doc,
        range: logRange,
        severity: 'information',
        code: 'link.fin-not-dropped',
        message: `None of the ${verdicts.length} known ruleset(s) drops this FIN on the local-out path. Other causes: a full conntrack table (dmesg "nf_conntrack: table full, dropping packet"; nf_conntrack_count vs nf_conntrack_max), or iptables-legacy rules that iptables-nft-save does not show (run iptables-legacy-save)`,
        related: verdicts.map((v) => ({ doc: v.ruleset.doc, range: firstTableRange(v.ruleset), message: `accepts the packet` })),
      });
    }
    related.set(key, rel);
  }
  return { related, findings };
}
