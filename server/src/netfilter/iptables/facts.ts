/**
 * What the whole-ruleset checks need of each rule's options, taken while the rule is read:
 * rules do not keep their options (see rule.ts), and reading them all again would double the
 * parse. Kept only until the checks have run.
 */
import type { Range } from '../../core/text';
import type { ArgValue } from '../../knowledge/xtables/types';
import type { Chain, Rule } from './model';
import type { RuleOptions } from './rule';
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
  /** The keys of rules that may shadow later ones. */
  private readonly shadows = new Map<Rule, ShadowKeys>();
  /** The chains such rules were added to. */
  private readonly shadowing = new Set<Chain>();
  private readonly keys = new ShadowKeyPool();

  /** Takes the facts of `rule`, added to `chain`. */
  add(rule: Rule, options: RuleOptions, chain: Chain): void {
    for (const m of options.matches) {
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
    if (shadowsLaterRules(options)) {
      this.shadows.set(rule, this.keys.keysOf(options));
      this.shadowing.add(chain);
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

  shadowOf(rule: Rule): ShadowKeys | undefined {
    return this.shadows.get(rule);
  }
}
