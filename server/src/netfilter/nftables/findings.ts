import type { Finding } from '../../core/finding';
import type { NftRuleset } from './model';

/** The ruleset's problems as findings of document `doc`. */
export function nftablesFindings(doc: string, ruleset: NftRuleset): Finding[] {
  return ruleset.problems.map((p) => ({ doc, range: p.range, severity: p.severity, code: p.code, message: p.message, related: [], ...(p.code === 'nftables.unused-chain' && p.severity === 'hint' ? { harmless: true } : {}) }));
}
