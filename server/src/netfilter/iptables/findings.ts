import type { Finding } from '../../core/finding';
import type { IptablesRuleset } from './model';

/** The ruleset's problems as findings of document `doc`. */
export function iptablesFindings(doc: string, ruleset: IptablesRuleset): Finding[] {
  return ruleset.problems.map((p) => ({
    doc,
    range: p.range,
    severity: p.severity,
    code: p.code,
    message: p.message,
    related: [],
    ...(p.code === 'iptables.unused-chain' && p.severity === 'hint' ? { harmless: true } : {}),
  }));
}
