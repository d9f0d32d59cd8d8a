/**
 * What a kernel evidence file shows about a dropped packet: netfilter drops (function_graph,
 * the `skb:kfree_skb` event, a kretprobe on nf_hook_slow), mark matches, the rules that dropped
 * (xtables-monitor / nft monitor trace), and a full conntrack table. Findings (findings.ts) and
 * the cross-file links (link/kernelEvidence.ts) both read this one list.
 */
import { range, type Range } from '../core/text';
import { dropReason, kernelFunction } from '../knowledge/kernelFunctions';
import { SOCCR_MARK } from '../knowledge/marks';
import { allCalls, eventDetails, probeReturn, type Call, type KernelTrace } from './model';
import { retvalNumber } from './lines';

interface Base {
  line: number;
  range: Range;
}

export type Evidence =
  | (Base & { kind: 'netfilter-drop'; source: 'function_graph' | 'kfree_skb' | 'kretprobe'; hook?: string; table?: string; nftFamily?: string; location?: string; path: string[] })
  | (Base & { kind: 'skb-drop'; reason: string; location?: string })
  | (Base & { kind: 'mark-match'; matched: boolean; retval: string })
  | (Base & { kind: 'nft-base-chain'; family: string })
  | (Base & { kind: 'rule-drop'; tool: 'xtables-monitor' | 'nft'; table: string; chain: string; family?: string; rule: string; ruleRange: Range; handle?: string; policy: boolean; mark?: number; id: string })
  | (Base & { kind: 'conntrack-full'; how: 'dmesg' | 'sysctl'; count?: number; max?: number })
  /** iptables-legacy's TRACE in the kernel log: the rule a packet reached, by its position in the chain. */
  | (Base & { kind: 'rule-trace'; table: string; chain: string; what: 'rule' | 'return' | 'policy'; number: number; mark?: number });

/** The hook a caller of nf_hook_slow runs (IPv4; IPv6 names are alike). */
const HOOK_OF_CALLER: Record<string, string> = {
  // raw_send_hdrinc's NF_HOOK(LOCAL_OUT), inlined into its callers on some kernels.
  raw_sendmsg: 'LOCAL_OUT (OUTPUT)',
  raw_send_hdrinc: 'LOCAL_OUT (OUTPUT)',
  __ip_local_out: 'LOCAL_OUT (OUTPUT)',
  ip_local_out: 'LOCAL_OUT (OUTPUT)',
  __ip6_local_out: 'LOCAL_OUT (OUTPUT)',
  ip_output: 'POST_ROUTING',
  ip6_output: 'POST_ROUTING',
  ip_rcv: 'PRE_ROUTING',
  ipv6_rcv: 'PRE_ROUTING',
  ip_local_deliver: 'LOCAL_IN (INPUT)',
  ip6_input: 'LOCAL_IN (INPUT)',
  ip_forward: 'FORWARD',
  ip6_forward: 'FORWARD',
};

const DROP_FUNCTIONS = new Set(['kfree_skb', 'kfree_skb_reason', 'sk_skb_reason_drop', 'kfree_skb_list_reason']);

function isDropComment(text: string): boolean {
  return /^kfree_skb: .*reason: NETFILTER_DROP/.test(text);
}

/** A function_graph nf_hook_slow call that dropped: a drop function or a NETFILTER_DROP event inside it, or it returned an error. */
function graphDrop(t: KernelTrace, hook: Call): Evidence | undefined {
  let dropLine: number | undefined;
  for (const c of allCalls(hook.children)) if (DROP_FUNCTIONS.has(c.name) && dropLine === undefined) dropLine = c.line;
  for (const c of allCalls([hook])) for (const m of c.comments) if (isDropComment(m.text) && (dropLine === undefined || m.line < dropLine)) dropLine = m.line;
  const ret = hook.retval !== undefined ? retvalNumber(hook.retval) : undefined;
  if (dropLine === undefined && !(ret !== undefined && ret < 0)) return undefined;
  const before = dropLine ?? hook.endLine;
  // The table (or nftables base chain) whose hook function ran last before the drop.
  let table: string | undefined;
  let nftFamily: string | undefined;
  const path = [hook.parent?.name, 'nf_hook_slow'].filter((n): n is string => !!n);
  for (const c of allCalls(hook.children)) {
    if (c.line > before) break;
    const k = kernelFunction(c.name);
    if (k?.table) {
      table = k.table;
      nftFamily = undefined;
      path.splice(2, path.length, c.name);
    } else if (k?.nftFamily) {
      nftFamily = k.nftFamily;
      table = undefined;
      path.splice(2, path.length, c.name);
    } else if (k && (k.role === 'iptables' || k.role === 'nftables') && path.length > 2 && path.length < 6 && path[path.length - 1] !== c.name) path.push(c.name);
  }
  if (dropLine !== undefined) {
    const c = t.callAt.get(dropLine);
    path.push(c ? c.name : 'kfree_skb (NETFILTER_DROP)');
  }
  const hookName = hook.parent ? HOOK_OF_CALLER[hook.parent.name] : undefined;
  return {
    kind: 'netfilter-drop',
    source: 'function_graph',
    line: hook.line,
    range: hook.nameRange,
    ...(hookName ? { hook: hookName } : {}),
    ...(table ? { table } : {}),
    ...(nftFamily ? { nftFamily } : {}),
    path,
  };
}

/** The frames of the `<stack trace>` printed right after an event (innermost first), if any. */
function stackAfter(t: KernelTrace, line: number): string[] {
  let i = line + 1;
  const header = t.lines[i];
  if (header?.kind === 'event' && header.name === '<stack trace>') i++;
  const frames: string[] = [];
  for (; i < t.lines.length; i++) {
    const l = t.lines[i];
    if (l.kind !== 'stack') break;
    frames.push(l.name.replace(/\+0x.*$/, ''));
  }
  return frames;
}

/** What a drop's stack trace tells: the hook (from nf_hook_slow's caller), the table, the path. */
function stackPlace(frames: readonly string[]): { hook?: string; table?: string; nftFamily?: string; path: string[] } {
  const out: { hook?: string; table?: string; nftFamily?: string; path: string[] } = { path: [] };
  const at = frames.indexOf('nf_hook_slow');
  if (at >= 0 && frames[at + 1] && HOOK_OF_CALLER[frames[at + 1]]) out.hook = HOOK_OF_CALLER[frames[at + 1]];
  for (const f of frames) {
    const k = kernelFunction(f);
    if (k?.table && !out.table) out.table = k.table;
    if (k?.nftFamily && !out.nftFamily) out.nftFamily = k.nftFamily;
  }
  out.path = frames.filter((f) => kernelFunction(f)).reverse();
  return out;
}

/** `MARK=0xc114` of an xtables-monitor PACKET line. */
function packetMark(text: string): number | undefined {
  const m = /\bMARK=(0x[0-9a-f]+|\d+)/i.exec(text);
  return m ? Number(m[1]) : undefined;
}

export function kernelEvidence(t: KernelTrace): Evidence[] {
  const out: Evidence[] = [];
  for (const c of allCalls(t.calls)) {
    if (c.name === 'nf_hook_slow') {
      const d = graphDrop(t, c);
      if (d) out.push(d);
    }
    if (c.name === 'mark_mt' && c.retval !== undefined) {
      out.push({ kind: 'mark-match', line: c.line, range: c.nameRange, matched: retvalNumber(c.retval) !== 0, retval: c.retval });
    }
    const fam = kernelFunction(c.name)?.nftFamily;
    if (fam) out.push({ kind: 'nft-base-chain', line: c.line, range: c.nameRange, family: fam });
  }
  t.lines.forEach((l, i) => {
    if (l.kind === 'event') {
      const d = eventDetails(t, i)!;
      const reason = d.fields.get('reason');
      if (l.name === 'kfree_skb' && reason) {
        const location = d.fields.get('location')?.value.replace(/\+0x.*$/, '');
        const r = range(i, reason.span.start, reason.span.end);
        if (reason.value === 'NETFILTER_DROP') {
          // With the `stacktrace` option the frames follow: they name the hook and, maybe, the table.
          const place = stackPlace(stackAfter(t, i));
          const path = place.path.length ? place.path : location ? [location, 'kfree_skb (NETFILTER_DROP)'] : ['kfree_skb (NETFILTER_DROP)'];
          out.push({ kind: 'netfilter-drop', source: 'kfree_skb', line: i, range: r, ...(location ? { location } : {}), ...(place.hook ? { hook: place.hook } : {}), ...(place.table ? { table: place.table } : {}), ...(place.nftFamily ? { nftFamily: place.nftFamily } : {}), path });
        }
        else out.push({ kind: 'skb-drop', line: i, range: r, reason: reason.value, ...(location ? { location } : {}) });
      }
      const ret = d.probe?.returnOf ? probeReturn(d.fields) : undefined;
      if (d.probe?.returnOf && ret && d.probe.returnSpan) {
        const r = range(i, d.probe.returnSpan.start, d.probe.returnSpan.end);
        if (d.probe.returnOf === 'mark_mt') out.push({ kind: 'mark-match', line: i, range: r, matched: ret.value !== 0, retval: ret.text });
        if (d.probe.returnOf === 'nf_hook_slow' && ret.value !== undefined && ret.value < 0) {
          out.push({ kind: 'netfilter-drop', source: 'kretprobe', line: i, range: r, path: [d.probe.symbol, 'nf_hook_slow'], ...(HOOK_OF_CALLER[d.probe.symbol] ? { hook: HOOK_OF_CALLER[d.probe.symbol] } : {}) });
        }
      }
      const fam = d.probe ? kernelFunction(d.probe.returnOf ?? d.probe.symbol)?.nftFamily : undefined;
      if (fam && d.probe) {
        const s = d.probe.returnSpan ?? d.probe.symbolSpan;
        out.push({ kind: 'nft-base-chain', line: i, range: range(i, s.start, s.end), family: fam });
      }
    } else if (l.kind === 'dmesg' && /^TRACE: /.test(l.message)) {
      // ip_tables.c trace_packet(): `TRACE: table:chain:rule|return|policy:N ` then the nf_log fields.
      const m = /^TRACE: ([\w-]+):([^:\s]+):(rule|return|policy):(\d+) /.exec(l.message);
      if (m) {
        const mark = packetMark(l.message);
        const start = l.messageStart + 7;
        out.push({ kind: 'rule-trace', line: i, range: range(i, start, start + m[0].length - 8), table: m[1], chain: m[2], what: m[3] as 'rule' | 'return' | 'policy', number: Number(m[4]), ...(mark !== undefined ? { mark } : {}) });
      }
    } else if (l.kind === 'dmesg' && /nf_conntrack: (nf_conntrack: )?table full, dropping packet/.test(l.message)) {
      out.push({ kind: 'conntrack-full', how: 'dmesg', line: i, range: range(i, l.messageStart, l.messageStart + l.message.trimEnd().length) });
    }
  });
  out.push(...conntrackCounts(t));
  for (const p of t.packets) out.push(...packetDrops(t, p.tool, p.id, p.lines));
  return out.sort((a, b) => a.line - b.line);
}

function conntrackCounts(t: KernelTrace): Evidence[] {
  let count: { line: number; value: number; range: Range } | undefined;
  let max: { line: number; value: number; range: Range } | undefined;
  t.lines.forEach((l, i) => {
    if (l.kind !== 'sysctl' || !/^\d+$/.test(l.value)) return;
    const name = l.key.replace(/^.*[./]/, '');
    const entry = { line: i, value: Number(l.value), range: range(i, l.keySpan.start, l.valueSpan.end) };
    if (name === 'nf_conntrack_count') count = entry;
    if (name === 'nf_conntrack_max') max = entry;
  });
  if (!count || !max || count.value < max.value) return [];
  return [{ kind: 'conntrack-full', how: 'sysctl', line: count.line, range: count.range, count: count.value, max: max.value }];
}

/** The DROP verdicts of one traced packet (xtables-monitor `TRACE:` or nft `(verdict drop)` / `policy drop`). */
function packetDrops(t: KernelTrace, tool: 'xtables-monitor' | 'nft', id: string, lines: readonly number[]): Evidence[] {
  const out: Evidence[] = [];
  let mark: number | undefined;
  for (const i of lines) {
    const l = t.lines[i];
    if (l.kind === 'xt-packet') mark = packetMark(t.texts[i]);
    if (l.kind === 'xt-trace') {
      // `table:chain:rule:0x6:DROP`, `table:chain:policy:DROP`, `table:chain:return:`.
      const parts = l.where.split(':');
      const [table, chain, kind] = parts;
      const verdict = kind === 'rule' ? parts[4] : parts[3];
      if (verdict !== 'DROP') continue;
      const ruleStart = l.ruleStart;
      out.push({
        kind: 'rule-drop', tool, id, line: i, range: range(i, l.whereSpan.start, l.whereSpan.end), table, chain,
        family: l.family === 10 ? 'ip6' : l.family === 2 ? 'ip' : String(l.family),
        rule: l.rule, ruleRange: range(i, ruleStart, ruleStart + l.rule.length),
        ...(kind === 'rule' ? { handle: parts[3] } : {}), policy: kind === 'policy', ...(mark !== undefined ? { mark } : {}),
      });
    }
    if (l.kind === 'nft-trace') {
      const meta = /\bmeta mark (0x[0-9a-f]+)/i.exec(l.rest);
      if (/^ packet: /.test(l.rest)) continue;
      if (meta && mark === undefined) mark = Number(meta[1]);
      const rule = /^ rule (.*) \(verdict drop\)\s*$/.exec(l.rest);
      const policy = /^ policy drop\b/.test(l.rest);
      if (!rule && !policy) continue;
      const ruleText = rule ? rule[1] : 'policy drop';
      const start = l.restStart + (rule ? 6 : 1);
      out.push({
        kind: 'rule-drop', tool, id, line: i, range: range(i, l.restStart + 1, l.restStart + l.rest.trimEnd().length), table: l.table, chain: l.chain, family: l.family,
        rule: ruleText, ruleRange: range(i, start, start + ruleText.length), policy, ...(mark !== undefined ? { mark } : {}),
      });
    }
  }
  return out;
}

/** Does this evidence concern CRIU's packet (its mark is 0xc114), as far as the file says? */
export function isCriuMark(mark: number | undefined): boolean {
  return mark === SOCCR_MARK;
}

export function dropReasonText(name: string): string {
  return dropReason(name)?.summary ?? 'a drop reason of this kernel (see include/net/dropreason-core.h of its source)';
}
