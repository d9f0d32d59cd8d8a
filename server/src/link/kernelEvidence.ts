/**
 * Kernel evidence ↔ the rest: a drop seen in a kernel trace is linked to the EPERM line of the
 * restore log and to the candidate rules of the known rulesets (the exact rule an xtables-monitor
 * TRACE names; the mark-matching rules on the local-out path for a mark_mt hit; the evaluator's
 * culprits for a bare netfilter drop); a full conntrack table is linked to the EPERM line as the
 * other cause. The EPERM hover lists what evidence is present and what is missing, with the
 * commands that capture it.
 */
import type { Finding, RelatedLocation } from '../core/finding';
import { range as lineRangeOf } from '../core/text';
import type { Evidence } from '../ktrace/evidence';
import type { KernelTrace } from '../ktrace/model';
import type { RulesetInput } from '../netfilter/evaluate/walk';
import type { IptablesRuleset, OptionUse, Rule, Table } from '../netfilter/iptables/model';
import { isCriuLockRule, type FinLink } from './finLink';

export interface KernelDoc {
  doc: string;
  trace: KernelTrace;
  evidence: Evidence[];
}

export interface KernelLinks {
  /** Extra related locations for findings, by `doc#line` (trace evidence and EPERM lines). */
  related: Map<string, RelatedLocation[]>;
  findings: Finding[];
  /** The evidence seen in every kernel document, for the EPERM hover. */
  present: { doc: string; evidence: Evidence }[];
}

function basename(doc: string): string {
  return doc.replace(/^.*[\\/]/, '');
}

const opt = (o: OptionUse) => `${o.negated ? '! ' : ''}${o.written}${o.args.length ? ' ' + o.args.map((a) => (/[\s"]/.test(a.text) ? JSON.stringify(a.text) : a.text)).join(' ') : ''}`;

/** A rule as iptables-save (and xtables-monitor) print it, after `-A CHAIN`: comments included. */
export function ruleSpec(rule: Rule): string {
  const parts: string[] = [];
  for (const o of rule.basic) parts.push(opt(o));
  for (const m of rule.matches) {
    if (m.nameRange) parts.push(`-m ${m.module}`);
    for (const o of m.options) parts.push(opt(o));
  }
  if (rule.target) parts.push(`${rule.target.goto ? '-g' : '-j'} ${rule.target.name}`, ...rule.target.options.map(opt));
  return parts.join(' ');
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The rules an xtables-monitor TRACE names: the same table, chain and text; else that chain's DROP rules. */
export function tracedRules(ruleset: IptablesRuleset, e: Extract<Evidence, { kind: 'rule-drop' }>): { rules: Rule[]; exact: boolean } {
  const chain = ruleset.tables.find((t) => t.name === e.table)?.chains.get(e.chain);
  if (!chain) return { rules: [], exact: false };
  if (e.policy) return { rules: [], exact: false };
  // `-4 -t filter -A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP`.
  const text = squash(e.rule.replace(/^-[46]\s+/, '').replace(/^-t\s+\S+\s+/, '').replace(/^-A\s+\S+\s*/, ''));
  const exact = chain.rules.filter((r) => squash(ruleSpec(r)) === text);
  if (exact.length) return { rules: exact, exact: true };
  return { rules: chain.rules.filter((r) => r.target?.name === 'DROP'), exact: false };
}

/** Chains reached from OUTPUT and POSTROUTING of a table (jumps and gotos followed). */
function localOutChains(table: Table): Set<string> {
  const seen = new Set<string>();
  const queue = ['OUTPUT', 'POSTROUTING'].filter((c) => table.chains.has(c));
  while (queue.length) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const r of table.chains.get(name)?.rules ?? []) if (r.target?.kind === 'chain' && table.chains.has(r.target.name)) queue.push(r.target.name);
  }
  return seen;
}

function markRulesOnLocalOut(ruleset: IptablesRuleset): Rule[] {
  const out: Rule[] = [];
  for (const table of ruleset.tables) {
    for (const name of localOutChains(table)) {
      // CRIU's lock rules (`! --mark 0xc114`) aside: mark_mt returns 0 on them for CRIU's packet.
      for (const r of table.chains.get(name)?.rules ?? []) if (r.matches.some((m) => m.module === 'mark') && !isCriuLockRule(r)) out.push(r);
    }
  }
  return out;
}

const ruleName = (r: Rule) => `${r.table}/${r.chain} rule ${r.index}`;

export function linkKernelEvidence(kernel: readonly KernelDoc[], rulesets: readonly RulesetInput[], finLinks: readonly FinLink[]): KernelLinks {
  const related = new Map<string, RelatedLocation[]>();
  const findings: Finding[] = [];
  const add = (key: string, r: RelatedLocation) => {
    const list = related.get(key) ?? [];
    if (!list.some((x) => x.doc === r.doc && x.range.start.line === r.range.start.line && x.message === r.message)) list.push(r);
    related.set(key, list);
  };
  const failures = finLinks.map((l) => {
    const line = l.failure.analysis.log.line(l.failure.line);
    return { link: l, range: lineRangeOf(l.failure.line, line.level?.span.start ?? 0, line.message.span.end) };
  });
  const present: KernelLinks['present'] = [];
  for (const { doc, evidence } of kernel) {
    for (const e of evidence) {
      present.push({ doc, evidence: e });
      const key = `${doc}#${e.line}`;
      const where = `${basename(doc)}:${e.line + 1}`;
      if (e.kind === 'rule-trace') {
        // Legacy TRACE names the rule by its position: the exact rule, and a drop when its target is DROP.
        for (const { doc: rdoc, ruleset } of rulesets) {
          const rule = e.what === 'rule' ? ruleset.tables.find((t) => t.name === e.table)?.chains.get(e.chain)?.rules[e.number - 1] : undefined;
          if (!rule) continue;
          add(key, { doc: rdoc, range: rule.range, message: `the rule this TRACE line names: ${ruleName(rule)}` });
          if (rule.target?.name !== 'DROP') continue;
          findings.push({ doc: rdoc, range: rule.range, severity: 'information', code: 'link.kernel-trace-drop', message: `The kernel traced a packet${e.mark !== undefined ? ` marked 0x${e.mark.toString(16)}` : ''} reaching this DROP rule (${where})`, related: [{ doc, range: e.range, message: 'the TRACE line' }] });
          for (const f of failures) {
            add(key, { doc: f.link.failure.doc, range: f.range, message: 'the restore whose FIN this drop explains (EPERM)' });
            add(`${f.link.failure.doc}#${f.link.failure.line}`, { doc, range: e.range, message: `The kernel trace shows the drop (${where})` });
          }
        }
        continue;
      }
      const isDrop = e.kind === 'netfilter-drop' || (e.kind === 'rule-drop') || (e.kind === 'mark-match' && e.matched);
      if (e.kind === 'conntrack-full') {
        for (const f of failures) {
          add(key, { doc: f.link.failure.doc, range: f.range, message: 'the restore that failed with EPERM: a full conntrack table is the other cause of it' });
          add(`${f.link.failure.doc}#${f.link.failure.line}`, { doc, range: e.range, message: `Other cause: the conntrack table was full (${where})` });
        }
        continue;
      }
      if (!isDrop) continue;
      if (e.kind !== 'mark-match') {
        for (const f of failures) {
          add(key, { doc: f.link.failure.doc, range: f.range, message: 'the restore whose FIN this drop explains (EPERM)' });
          add(`${f.link.failure.doc}#${f.link.failure.line}`, { doc, range: e.range, message: `The kernel trace shows the drop (${where})` });
        }
      }
      // Candidate rules.
      for (const { doc: rdoc, ruleset } of rulesets) {
        let candidates: { rule: Rule; message: string }[] = [];
        if (e.kind === 'rule-drop' && e.tool === 'xtables-monitor') {
          const { rules, exact } = tracedRules(ruleset, e);
          candidates = rules.map((rule) => ({ rule, message: exact ? `the rule the kernel's TRACE names: ${ruleName(rule)}` : `a DROP rule of the traced chain ${e.table}/${e.chain} (the traced text matches none exactly): ${ruleName(rule)}` }));
        } else if (e.kind === 'rule-drop' && (e.family === 'ip' || e.family === 'ip6' || e.family === 'inet')) {
          // iptables-nft tables appear to nft as `table ip filter`: the same chain names.
          const chain = ruleset.tables.find((t) => t.name === e.table)?.chains.get(e.chain);
          candidates = (chain?.rules ?? []).filter((r) => r.target?.name === 'DROP').map((rule) => ({ rule, message: `a DROP rule of ${e.table}/${e.chain}, the chain nft traced: ${ruleName(rule)}` }));
        } else if (e.kind === 'mark-match') {
          candidates = markRulesOnLocalOut(ruleset).map((rule) => ({ rule, message: `a mark match on the local-out path: ${ruleName(rule)}` }));
        } else if (e.kind === 'netfilter-drop') {
          const before = candidates.length;
          for (const l of finLinks) {
            for (const v of l.verdicts) {
              if (v.ruleset.doc !== rdoc || v.evaluation.verdict === 'accept') continue;
              for (const c of v.evaluation.culprits) {
                if (e.table && c.table !== e.table) continue;
                const rule = ruleset.tables.find((t) => t.name === c.table)?.chains.get(c.chain)?.rules[c.rule - 1];
                if (rule) candidates.push({ rule, message: `the rule the evaluator finds dropping CRIU's FIN: ${ruleName(rule)}` });
              }
            }
          }
          // No failed restore to evaluate: the DROP rules on the local-out path (of the traced table, when
          // named), CRIU's own lock rules aside: they drop only packets without its mark.
          if (candidates.length === before && (!e.hook || e.hook.startsWith('LOCAL_OUT'))) {
            for (const table of ruleset.tables) {
              if (e.table && table.name !== e.table) continue;
              for (const name of localOutChains(table)) {
                for (const rule of table.chains.get(name)?.rules ?? []) if (rule.target?.name === 'DROP' && !isCriuLockRule(rule)) candidates.push({ rule, message: `a DROP rule on the local-out path: ${ruleName(rule)}` });
              }
            }
          }
        }
        for (const { rule, message } of candidates) {
          add(key, { doc: rdoc, range: rule.range, message });
          if (e.kind === 'rule-drop' && e.tool === 'xtables-monitor' && message.startsWith("the rule the kernel's TRACE")) {
            findings.push({ doc: rdoc, range: rule.range, severity: 'information', code: 'link.kernel-trace-drop', message: `The kernel traced this rule dropping a packet${e.mark !== undefined ? ` marked 0x${e.mark.toString(16)}` : ''} (${where})`, related: [{ doc, range: e.range, message: 'the TRACE line' }] });
          }
        }
      }
    }
  }
  return { related, findings, present };
}

interface Capture {
  kinds: Evidence['kind'][];
  what: string;
  commands: string;
}

/** What each kind of evidence shows, and how to capture it (run as root on the node, then restore again). */
const CAPTURES: Capture[] = [
  {
    kinds: ['rule-drop', 'rule-trace'],
    what: 'the rule that dropped the packet, from the kernel (iptables-nft: xtables-monitor; iptables-legacy writes TRACE to the kernel log instead: dmesg)',
    commands: "iptables -t raw -I OUTPUT -m mark --mark 0xc114 -j TRACE\nxtables-monitor --trace > xtables-trace.txt   # restore again, then Ctrl-C\niptables -t raw -D OUTPUT -m mark --mark 0xc114 -j TRACE",
  },
  {
    kinds: ['rule-drop'],
    what: 'the nftables rule that dropped the packet (nft monitor trace)',
    commands: "nft add table inet criu_trace\nnft add chain inet criu_trace out '{ type filter hook output priority -301; }'\nnft add rule inet criu_trace out meta mark 0xc114 meta nftrace set 1\nnft monitor trace > nft-trace.txt   # restore again, then Ctrl-C\nnft delete table inet criu_trace",
  },
  {
    kinds: ['netfilter-drop', 'skb-drop'],
    what: 'the drop and its reason (skb:kfree_skb event, NETFILTER_DROP)',
    commands: 'cd /sys/kernel/tracing && mkdir instances/criu   # mount -t tracefs nodev /sys/kernel/tracing first if it is empty\necho 1 > instances/criu/options/stacktrace   # the frames name the hook\necho 1 > instances/criu/events/skb/kfree_skb/enable\ncat instances/criu/trace_pipe > kfree_skb.trace   # restore again, then Ctrl-C\nrmdir instances/criu',
  },
  {
    kinds: ['mark-match'],
    what: 'whether a mark match fired (kretprobe on mark_mt)',
    commands: "cd /sys/kernel/tracing\necho 'r:criu_mark mark_mt retval=$retval' >> kprobe_events\necho 1 > events/kprobes/criu_mark/enable\ncat trace_pipe > mark_mt.trace   # restore again, then Ctrl-C\necho 0 > events/kprobes/criu_mark/enable; echo '-:criu_mark' >> kprobe_events",
  },
  {
    kinds: ['conntrack-full'],
    what: 'whether the conntrack table was full (the other cause of EPERM)',
    commands: "dmesg | grep 'nf_conntrack: .*table full' > conntrack.dmesg\nsysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max >> conntrack.dmesg",
  },
];

/** Markdown for the EPERM hover: the kernel evidence present (file:line) and missing (with commands). */
export function evidenceHover(present: readonly { doc: string; evidence: Evidence }[]): string {
  const kinds = new Set(present.map((p) => p.evidence.kind));
  const lines: string[] = ['**Kernel evidence**'];
  const shown = present.filter((p) => p.evidence.kind !== 'nft-base-chain' && !(p.evidence.kind === 'mark-match' && !p.evidence.matched)).slice(0, 8);
  if (shown.length) {
    lines.push('Present:');
    for (const p of shown) lines.push(`- ${p.evidence.kind} — ${basename(p.doc)}:${p.evidence.line + 1}`);
  } else lines.push('None open or in the workspace (no kernel-trace file).');
  const missing = CAPTURES.filter((c) => !c.kinds.some((k) => kinds.has(k)));
  if (missing.length) {
    lines.push('Missing — capture as root on the node, then restore again:');
    for (const c of missing) lines.push(`- ${c.what}:\n\n\`\`\`sh\n${c.commands}\n\`\`\``);
  }
  lines.push("Or replay CRIU's packet against the ruleset in a throw-away network namespace: the **Confirm with the kernel** action on this line (`criu-lens replay`).");
  return lines.join('\n\n');
}
