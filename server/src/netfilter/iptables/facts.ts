/**
 * What the whole-ruleset checks need of each rule's options, taken while the rule is read:
 * rules do not keep their options (see rule.ts), and reading them all again would double the
 * parse. Kept only until the checks have run.
 *
 * The shadowing check compares a chain-ending rule with the rules after it; a kube-proxy dump
 * has 26k of them (each endpoint chain ends with DNAT), nearly all last in their chain. So the
 * keys of such a rule are taken only once another rule is added to its chain (its options are
 * held until the next rule comes); the others are only marked, and read again if the checks
 * ever need them (a rule added to the chain later on, by a later `-A` or an `-I`).
 */
import type { Range } from '../../core/text';
import type { ArgValue } from '../../knowledge/xtables/types';
import type { Chain, Rule } from './model';
import { ruleOptions, type RuleOptions } from './rule';
import { shadowsLaterRules, ShadowKeyPool, type ShadowKeys } from './shadowing';

/** A match the kernel takes only in some tables or hooks (owner, rpfilter...). */
export interface Restriction {
  what: string;
  spec: { tables?: readonly string[]; chains?: readonly string[] };
  range: Range;
}

const none: readonly never[] = [];

type MarkMatch = { value: Extract<ArgValue, { type: 'mark' }>; negated: boolean };

/** The facts of the rules of a dump; most rules have none. */
export class RuleFacts {
  private readonly restricted = new Map<Rule, Restriction[]>();
  /** The mark match of DROP/REJECT rules. */
  private readonly marks = new Map<Rule, MarkMatch>();
  /** The rules that may shadow later ones, with their keys once taken. */
  private readonly shadows = new Map<Rule, ShadowKeys | undefined>();
  /** The rule added last, if it may shadow later ones: its keys are taken if its chain gets another. */
  private pending: { rule: Rule; options: RuleOptions; chain: Chain } | undefined;
  /** The chains such rules were added to. */
  private readonly shadowing = new Set<Chain>();
  private readonly keys = new ShadowKeyPool();

  /** Takes the facts of `rule`, added to `chain`. */
  add(rule: Rule, options: RuleOptions, chain: Chain): void {
    const matches = options.matches;
    // Indexed: an empty list is a frozen array (interpret.ts), over which for-of allocates.
    for (let k = 0; k < matches.length; k++) {
      const m = matches[k];
      if (!m.spec?.tables && !m.spec?.chains) continue;
      const list = this.restricted.get(rule) ?? [];
      list.push({ what: `Match ${m.module}`, spec: m.spec, range: m.nameRange ?? m.range });
      this.restricted.set(rule, list);
    }
    const target = options.target?.name;
    if (target === 'DROP' || target === 'REJECT') {
      const hit = options.matches.flatMap((m) => (m.module === 'mark' ? m.options : [])).find((o) => o.name === 'mark' && o.values[0]?.type === 'mark');
      if (hit) this.marks.set(rule, { value: hit.values[0] as MarkMatch['value'], negated: hit.negated });
    }
    const pending = this.pending;
    if (pending) {
      if (pending.chain === chain) this.shadows.set(pending.rule, this.keys.keysOf(pending.options));
      this.pending = undefined;
    }
    if (shadowsLaterRules(options)) {
      this.shadows.set(rule, undefined);
      this.shadowing.add(chain);
      this.pending = { rule, options, chain };
    }
  }

  /** May some rule of the chain shadow a later one? (Most chains have no chain-ending rule.) */
  mayShadow(chain: Chain): boolean {
    return this.shadowing.has(chain);
  }

  // Asked for every rule; most dumps have no restricted match, and most tables no marked drop.
  restrictionsOf(rule: Rule): readonly Restriction[] {
    return this.restricted.size === 0 ? none : this.restricted.get(rule) ?? none;
  }

  markOf(rule: Rule): MarkMatch | undefined {
    return this.marks.size === 0 ? undefined : this.marks.get(rule);
  }

  /** Does the rule end its chain for every packet it matches (so it may shadow later rules)? */
  endsChain(rule: Rule): boolean {
    return this.shadows.has(rule);
  }

  /** The keys of a rule that ends its chain, read again from its line if they were not taken. */
  shadowOf(rule: Rule): ShadowKeys {
    const kept = this.shadows.get(rule);
    if (kept) return kept;
    const keys = this.keys.keysOf(ruleOptions(rule));
    this.shadows.set(rule, keys);
    return keys;
  }
}
