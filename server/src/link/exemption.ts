/**
 * The repair for a rule that drops CRIU's FIN: let packets marked 0xc114 pass before it. In a
 * user chain, RETURN hands them back to the caller (the rest of the chain is skipped, nothing
 * else changes); in a built-in chain RETURN would apply the policy, so ACCEPT is used there.
 */
import { hex, SOCCR_MARK } from '../knowledge/marks';
import type { Culprit, Evaluation } from '../netfilter/evaluate/walk';
import type { FinLink } from './finLink';
import type { IptablesRuleset } from '../netfilter/iptables/model';
import type { NftRuleset } from '../netfilter/nftables/model';
import { isNftInput, type AnyRulesetInput } from '../netfilter/evaluate/nftWalk';

export interface Exemption {
  /** The line to insert before the dropping rule, in the file's syntax (iptables-save or nft). */
  line: string;
  /** 0-based line before which it goes. */
  beforeLine: number;
  /** The line's indentation in the file (nft rules are indented like their neighbours). */
  indent?: string;
  /** The same change on a live system. */
  liveCommand: string;
  /** For nft: the live command that puts it right before the rule, by the rule's handle. */
  handleCommand?: string;
  verdict: 'RETURN' | 'ACCEPT' | 'return' | 'accept';
}

/** The exemption for a culprit of either kind of ruleset. */
export function exemptionForInput(input: AnyRulesetInput, culprit: Culprit, text?: string): Exemption | undefined {
  return isNftInput(input) ? nftExemptionFor(input.nft, culprit, text) : exemptionFor(input.ruleset, culprit);
}

/**
 * nft: `meta mark 0x0000c114 return` before the dropping rule of a regular chain (back to the
 * caller), `accept` in a base chain (return there would apply the policy). Live, `nft insert
 * rule` without a position puts it at the top of the chain, which exempts the marked packet
 * from the whole chain; `position <handle>` (from `nft -a list chain …`) puts it right before.
 */
export function nftExemptionFor(ruleset: NftRuleset, culprit: Culprit, text?: string): Exemption | undefined {
  const table = ruleset.tables.find((t) => `${t.family} ${t.name}` === culprit.table);
  const chain = table?.chains.get(culprit.chain);
  const rule = culprit.rule ? chain?.rules[culprit.rule - 1] : undefined;
  if (!table || !chain || !rule) return undefined;
  const verdict = chain.base ? 'accept' : 'return';
  const match = `meta mark 0x${SOCCR_MARK.toString(16).padStart(8, '0')} ${verdict}`;
  const lineText = text?.split('\n')[rule.range.start.line] ?? '';
  const indent = /^\s*/.exec(lineText)?.[0] ?? '\t\t';
  const handle = / # handle (\d+)\s*$/.exec(lineText)?.[1];
  const where = `${table.family} ${table.name} ${chain.name}`;
  return {
    line: match,
    beforeLine: rule.range.start.line,
    indent: indent || '\t\t',
    liveCommand: `nft insert rule ${where} ${match}`,
    handleCommand: `nft insert rule ${where} position ${handle ?? '<handle>'} ${match}`,
    verdict,
  };
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
    ...(fix ? [`**Quick fix:** insert \`${fix.line}\` before this rule, or on the live node: \`${fix.liveCommand}\`${fix.handleCommand ? ` (at the top of the chain), or right before this rule by its handle (\`nft -a list chain ${fix.liveCommand.split(' ').slice(3, 6).join(' ')}\` shows it): \`${fix.handleCommand}\`` : ''}.`] : []),
    lastingFix,
  ].join('\n\n');
}
