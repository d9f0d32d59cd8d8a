/**
 * The repair for a rule that drops CRIU's FIN: let packets marked 0xc114 pass before it. In a
 * user chain, RETURN hands them back to the caller (the rest of the chain is skipped, nothing
 * else changes); in a built-in chain RETURN would apply the policy, so ACCEPT is used there.
 */
import { hex, SOCCR_MARK } from '../knowledge/marks';
import type { Culprit, Evaluation } from '../netfilter/evaluate/walk';
import type { FinLink } from './finLink';
import type { IptablesRuleset } from '../netfilter/iptables/model';

export interface Exemption {
  /** The line to insert before the dropping rule, in iptables-save syntax. */
  line: string;
  /** 0-based line before which it goes. */
  beforeLine: number;
  /** The same change on a live system. */
  liveCommand: string;
  verdict: 'RETURN' | 'ACCEPT';
}

export function exemptionFor(ruleset: IptablesRuleset, culprit: Culprit): Exemption | undefined {
  const table = ruleset.tables.find((t) => t.name === culprit.table);
  const chain = table?.chains.get(culprit.chain);
  const rule = culprit.rule ? chain?.rules[culprit.rule - 1] : undefined;
  if (!chain || !rule) return undefined;
  const verdict = chain.builtin ? 'ACCEPT' : 'RETURN';
  const tool = ruleset.family === 'ipv6' ? 'ip6tables' : 'iptables';
  const match = `-m mark --mark ${hex(SOCCR_MARK)} -j ${verdict}`;
  return {
    line: `-A ${chain.name} ${match}`,
    beforeLine: rule.line,
    liveCommand: `${tool} -t ${table!.name} -I ${chain.name} ${culprit.rule} ${match}`,
    verdict,
  };
}

/** What the lasting fix is, for hovers and messages (DESIGN.md §3). */
export const lastingFix =
  'Lasting fix: kubelet up to Kubernetes 1.26 installs `KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP`; from 1.27 (IPTablesOwnershipCleanup) it no longer creates it, but a rule left by an older kubelet survives in-place upgrades until the node reboots or the rule is deleted. Delete the stale rule, or keep the 0xc114 exemption, before migrating TCP connections with CRIU.';

/** Markdown for the hover of a rule that drops the FIN: the packet, its whole path, and the fixes. */
export function dropHover(link: FinLink, evaluation: Evaluation, fix: Exemption | undefined): string {
  const p = link.failure.packet!;
  const end = (address: string | undefined, port: number | undefined) => (address === undefined ? 'the peer (unknown: open the dump log of this checkpoint)' : `${address}:${port ?? '?'}`);
  const where = `${link.failure.doc.replace(/^.*[\\/]/, '')}:${link.failure.line + 1}`;
  const steps = evaluation.trace.map((t, k) => `${k + 1}. ${t.table}/${t.chain} ${t.skipped ? `rules ${t.rule}–${t.rule + t.skipped - 1}` : t.rule ? `rule ${t.rule}` : 'end'}: ${t.match === 'yes' ? 'matches' : t.match === 'no' ? 'no match' : 'may match'} — ${t.action}`);
  return [
    `**${evaluation.verdict === 'drop' ? 'Drops' : 'May drop'} CRIU's FIN** of the restore that failed at ${where}: ${(p.flags ?? []).join('|')} ${end(p.srcText, p.sport)} → ${end(p.dstText, p.dport)}, mark ${hex(SOCCR_MARK)}, on the local-out path.`,
    `**The packet's path:**\n${steps.join('\n')}`,
    ...(fix ? [`**Quick fix:** insert \`${fix.line}\` before this rule, or on the live node: \`${fix.liveCommand}\`.`] : []),
    lastingFix,
  ].join('\n\n');
}
