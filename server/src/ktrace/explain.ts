/**
 * Hover text for kernel evidence files, as Markdown: kernel functions (function_graph calls,
 * probe sites, event names), drop reasons, duration markers, traced verdicts, conntrack lines.
 */
import { range, type Position, type Range } from '../core/text';
import { dropReason, kernelFunction, type KernelFunction } from '../knowledge/kernelFunctions';
import { kernelEvidence, type Evidence } from './evidence';
import { evidenceMessage } from './findings';
import { eventDetails, type KernelTrace } from './model';

export interface TraceHover {
  markdown: string;
  range: Range;
}

const MARKERS: Record<string, string> = {
  '+': 'more than 10 µs',
  '!': 'more than 100 µs',
  '#': 'more than 1 ms',
  '*': 'more than 10 ms',
  '@': 'more than 100 ms',
  $: 'more than 1 s',
};

function functionText(f: KernelFunction, module: string | null): string {
  return [`**\`${f.name}\`**${module ? ` (module \`${module}\`)` : ''}: ${f.summary}`, f.onPath ? `On CRIU's send-FIN path: ${f.onPath}` : ''].filter(Boolean).join('\n\n');
}

const SYSCTL: Record<string, string> = {
  nf_conntrack_count: 'connection entries in the conntrack table now',
  nf_conntrack_max: 'the size limit of the conntrack table; at `nf_conntrack_count` ≥ this, packets that need a new entry are dropped ("nf_conntrack: table full, dropping packet")',
  nf_conntrack_buckets: 'hash buckets of the conntrack table',
  nf_conntrack_tcp_loose: 'when 1 (the default), conntrack picks up TCP connections mid-stream; CRIU\'s forged FIN|ACK is still INVALID without an entry',
};

export function explainTraceAt(t: KernelTrace, pos: Position, evidence: readonly Evidence[] = kernelEvidence(t)): TraceHover | undefined {
  const l = t.lines[pos.line];
  if (!l) return undefined;
  const c = pos.character;
  const on = (s: { start: number; end: number }) => c >= s.start && c <= s.end;
  const evidenceHere = evidence.filter((e) => e.line === pos.line);
  const withEvidence = (md: string) => (evidenceHere.length ? `${md}\n\n---\n\n${evidenceHere.map(evidenceMessage).join('\n\n')}` : md);

  if (l.kind === 'graph') {
    if (l.duration && on(l.duration.span)) {
      const marker = l.duration.marker ? ` The \`${l.duration.marker}\` marks a call that took ${MARKERS[l.duration.marker] ?? 'long'}.` : '';
      return { range: range(pos.line, l.duration.span.start, l.duration.span.end), markdown: `**Duration** of the call (function_graph, CPU ${l.cpu}): ${l.duration.value} ${l.duration.unit}.${marker}` };
    }
    const call = t.callAt.get(pos.line) ?? t.closerAt.get(pos.line);
    if (call && c >= l.bodyStart) {
      const f = kernelFunction(call.name);
      const closer = t.closerAt.get(pos.line) === call;
      const head = f ? functionText(f, call.module) : `**\`${call.name}\`**${call.module ? ` (module \`${call.module}\`)` : ''}: a kernel function (not one this extension knows on the netfilter path).`;
      const span = `Lines ${call.line + 1}–${call.endLine + 1}, CPU ${call.cpu}${call.closed ? '' : ' (not closed in this capture)'}${call.retval !== undefined ? `, returned ${call.retval}` : ''}${closer ? '' : ''}.`;
      return { range: closer ? range(pos.line, l.bodyStart, t.texts[pos.line].length) : call.nameRange, markdown: withEvidence(`${head}\n\n${span}`) };
    }
    if (l.body.kind === 'comment') {
      const m = /reason: (\w+)/.exec(l.body.text);
      const r = m ? dropReason(m[1]) : undefined;
      return { range: range(pos.line, l.bodyStart, t.texts[pos.line].length), markdown: withEvidence(`**Trace event** printed inside the call graph (function_graph shows events as comments)${r ? `: drop reason **${r.name}**, ${r.summary}.` : '.'}`) };
    }
    return undefined;
  }
  if (l.kind === 'event') {
    const d = eventDetails(t, pos.line)!;
    if (on(l.nameSpan)) {
      const f = kernelFunction(l.name);
      return { range: range(pos.line, l.nameSpan.start, l.nameSpan.end), markdown: withEvidence(f ? `**Event \`${l.name}\`**\n\n${functionText(f, null)}` : `**Event \`${l.name}\`** of task \`${l.task}\` (pid ${l.pid}) on CPU ${l.cpu} at ${l.timestamp} s.`) };
    }
    const reason = d.fields.get('reason');
    if (reason && on(reason.span)) {
      const r = dropReason(reason.value);
      return { range: range(pos.line, reason.span.start, reason.span.end), markdown: withEvidence(`**Drop reason ${reason.value}**: ${r?.summary ?? 'a drop reason of this kernel'}.`) };
    }
    for (const [s, name, module] of [[d.probe?.symbolSpan, d.probe?.symbol, d.probe?.module ?? null], [d.probe?.returnSpan, d.probe?.returnOf, null]] as const) {
      if (!s || !name || !on(s)) continue;
      const f = kernelFunction(name);
      const role = d.probe?.returnOf ? (name === d.probe.returnOf ? 'the probed function (kretprobe: the event fires when it returns)' : 'the caller it returned into') : 'the probed function (kprobe: the event fires on entry)';
      return { range: range(pos.line, s.start, s.end), markdown: withEvidence(`${f ? functionText(f, module) : `**\`${name}\`**`}\n\nHere: ${role}.`) };
    }
    const location = d.fields.get('location');
    if (location && on(location.span)) {
      const f = kernelFunction(location.value.replace(/\+0x.*$/, ''));
      return { range: range(pos.line, location.span.start, location.span.end), markdown: `**Where the packet was freed**: \`${location.value}\` (function+offset/size).${f ? `\n\n${functionText(f, null)}` : ''}` };
    }
    return evidenceHere.length ? { range: range(pos.line, l.argsStart, t.texts[pos.line].length), markdown: evidenceHere.map(evidenceMessage).join('\n\n') } : undefined;
  }
  if (l.kind === 'xt-trace') {
    const [table, chain, kind, a, b] = l.where.split(':');
    const what = kind === 'rule' ? `rule with handle ${a} (the nftables handle of the iptables-nft rule, not its position), verdict **${b}**` : kind === 'policy' ? `the chain's policy, **${a}**` : kind === 'return' ? 'return from the chain' : kind;
    return { range: range(pos.line, l.whereSpan.start, t.texts[pos.line].length), markdown: withEvidence(`**xtables-monitor TRACE** of packet ${l.id}: table \`${table}\`, chain \`${chain}\`, ${what}. Printed for packets that a \`-j TRACE\` rule (raw table) marked for tracing.`) };
  }
  if (l.kind === 'stack' && on(l.nameSpan)) {
    const f = kernelFunction(l.name.replace(/\+0x.*$/, ''));
    return { range: range(pos.line, l.nameSpan.start, l.nameSpan.end), markdown: `${f ? functionText(f, l.module) : `**\`${l.name}\`**`}\n\nA frame of the stack trace above (innermost first).` };
  }
  if (l.kind === 'xt-packet') return { range: range(pos.line, 0, t.texts[pos.line].length), markdown: `**xtables-monitor PACKET** ${l.id}: the traced packet as it entered the next table (family ${l.family === 2 ? 'IPv4' : l.family === 10 ? 'IPv6' : l.family}). \`MARK=\` is its skb mark.` };
  if (l.kind === 'nft-trace') return { range: range(pos.line, 0, t.texts[pos.line].length), markdown: withEvidence(`**nft monitor trace** of packet ${l.id} in \`table ${l.family} ${l.table}\`, chain \`${l.chain}\`. Printed for packets with \`meta nftrace set 1\`.`) };
  if (l.kind === 'dmesg') return evidenceHere.length ? { range: range(pos.line, l.messageStart, t.texts[pos.line].length), markdown: evidenceHere.map(evidenceMessage).join('\n\n') } : undefined;
  if (l.kind === 'sysctl') {
    const name = l.key.replace(/^.*[./]/, '');
    const text = SYSCTL[name];
    if (!text) return undefined;
    return { range: range(pos.line, l.keySpan.start, l.valueSpan.end), markdown: withEvidence(`**\`${name}\`** = ${l.value}: ${text}.`) };
  }
  if (l.kind === 'header' && l.tracer && l.tracerSpan) return { range: range(pos.line, l.tracerSpan.start, l.tracerSpan.end), markdown: `**Tracer \`${l.tracer}\`**${l.tracer === 'function_graph' ? ': every kernel function call with its callees nested and its duration.' : l.tracer === 'nop' ? ': no function tracer; only enabled events (such as `skb:kfree_skb`) are printed.' : '.'}` };
  return undefined;
}
