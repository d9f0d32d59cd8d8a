/**
 * Findings of one kernel evidence file: what its evidence says (evidence.ts), and the lines of
 * no known shape.
 */
import type { Finding } from '../core/finding';
import { range } from '../core/text';
import { hex } from '../knowledge/marks';
import { kernelFunction } from '../knowledge/kernelFunctions';
import { dropReasonText, isCriuMark, kernelEvidence, type Evidence } from './evidence';
import type { KernelTrace } from './model';

/** Where a drop happened, in words: `LOCAL_OUT (OUTPUT), table filter`. */
export function dropPlace(e: Extract<Evidence, { kind: 'netfilter-drop' }>): string {
  const parts: string[] = [];
  if (e.hook) parts.push(`hook ${e.hook}`);
  if (e.table) parts.push(`iptables table ${e.table}`);
  else if (e.nftFamily) parts.push(`an nftables base chain of family ${e.nftFamily}`);
  else if (e.location) {
    const role = kernelFunction(e.location)?.role;
    if (role === 'nftables') parts.push('an nftables (or iptables-nft) rule or policy');
    else if (role === 'iptables') parts.push('an iptables-legacy rule or policy');
  }
  return parts.join(', ');
}

export function evidenceMessage(e: Evidence): string {
  switch (e.kind) {
    case 'netfilter-drop': {
      const place = dropPlace(e);
      const how = e.source === 'kfree_skb' ? `kfree_skb reason NETFILTER_DROP${e.location ? `, freed in ${e.location}` : ''}${e.path.length > 2 ? `; stack ${e.path.join(' → ')}` : ''}` : e.source === 'kretprobe' ? 'nf_hook_slow returned an error' : e.path.join(' → ');
      return `Netfilter dropped the packet (${how})${place ? ` in ${place}` : ''}. On the local-out path nf_hook_slow returns -EPERM to the sender: the EPERM of a raw sendto, such as CRIU's FIN`;
    }
    case 'skb-drop':
      return `Packet dropped, reason ${e.reason}: ${dropReasonText(e.reason)}${e.location ? ` (in ${e.location})` : ''}`;
    case 'mark-match':
      return e.matched
        ? `mark_mt returned ${e.retval}: the mark match succeeded — (packet mark & mask) equals the rule's value, so that \`-m mark\` rule's target runs`
        : `mark_mt returned ${e.retval}: this mark match failed, its rule was skipped`;
    case 'nft-base-chain':
      return `An nftables base chain of family ${e.family} ran (nft_do_chain_${e.family === 'ip' ? 'ipv4' : e.family === 'ip6' ? 'ipv6' : e.family}): nftables rules, or iptables-nft ones, saw this packet`;
    case 'rule-drop': {
      const chain = e.tool === 'nft' ? `table ${e.family} ${e.table} chain ${e.chain}` : `${e.table}:${e.chain}`;
      const who = e.policy ? `the policy of ${chain}` : `${chain} rule${e.handle ? ` (handle ${e.handle})` : ''}: ${e.rule}`;
      const mark = e.mark !== undefined ? ` — packet mark ${hex(e.mark)}${isCriuMark(e.mark) ? ", CRIU's SO_MARK for its forged FIN" : ''}` : '';
      return `Dropped by ${who}${mark}`;
    }
    case 'rule-trace':
      return `iptables-legacy TRACE: the packet${e.mark !== undefined ? ` (mark ${hex(e.mark)}${isCriuMark(e.mark) ? ", CRIU's" : ''})` : ''} reached ${e.what === 'rule' ? `${e.table}/${e.chain} rule ${e.number}` : e.what === 'policy' ? `the policy of ${e.table}/${e.chain}` : `the end of ${e.table}/${e.chain} (return)`}. The last TRACE line of a dropped packet names the rule that dropped it`;
    case 'conntrack-full':
      return e.how === 'dmesg'
        ? 'The conntrack table was full: new connections were dropped, and a locally sent packet that needs a new entry fails with EPERM'
        : `nf_conntrack_count ${e.count} ≥ nf_conntrack_max ${e.max}: the conntrack table is full, so packets needing a new entry are dropped (EPERM for a local sender)`;
  }
}

/** Each kind of evidence is one code, `ktrace.<kind>`, with this severity. */
export const evidenceSeverity: Record<Evidence['kind'], Finding['severity']> = {
  'netfilter-drop': 'warning',
  'skb-drop': 'information',
  'mark-match': 'information',
  'nft-base-chain': 'hint',
  'rule-drop': 'warning',
  'conntrack-full': 'warning',
  'rule-trace': 'hint',
};

export function evidenceFinding(doc: string, e: Evidence): Finding {
  return {
    doc,
    range: e.range,
    severity: e.kind === 'mark-match' && !e.matched ? 'hint' : evidenceSeverity[e.kind],
    code: `ktrace.${e.kind}`,
    message: evidenceMessage(e),
    related: e.kind === 'rule-drop' ? [{ doc, range: e.ruleRange, message: e.policy ? 'the chain policy' : 'the rule as the kernel printed it' }] : [],
  };
}

export function kernelTraceFindings(doc: string, t: KernelTrace, evidence: readonly Evidence[] = kernelEvidence(t)): Finding[] {
  const out = evidence.map((e) => evidenceFinding(doc, e));
  t.lines.forEach((l, i) => {
    const text = t.texts[i];
    if (l.kind === 'text' || (l.kind === 'graph' && l.body.kind === 'other')) {
      const start = text.length - text.trimStart().length;
      out.push({
        doc,
        range: range(i, start, text.trimEnd().length),
        severity: 'hint',
        code: 'ktrace.unrecognised-line',
        message: l.kind === 'graph' ? 'A function_graph line whose call part is none of `name() {`, `name();`, `}`, `/* … */`' : 'Not a line of a known kernel evidence format (ftrace, trace events, xtables-monitor, nft monitor trace, dmesg, sysctl)',
        related: [],
      });
    }
  });
  return out;
}
