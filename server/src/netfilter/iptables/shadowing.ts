/**
 * Rules that can never match: an earlier rule of the chain matches every packet they match and
 * ends the chain. Sound, not complete: only equal matches and nested addresses and interfaces
 * are compared.
 */
import type { ArgValue } from '../../knowledge/xtables/types';
import type { Chain, MatchUse, OptionUse, Rule, TargetUse } from './model';
import type { RuleOptions } from './rule';
import { argsText, firstValue } from './interpret';

/** What the comparison reads of a rule. */
export interface ShadowKeys {
  /** Each match but comments, with its options as written. */
  matches: readonly string[];
  /** The built-in conditions (-s, -d, -p, -i, -o, -f). */
  conditions: readonly Condition[];
}

interface Condition {
  name: string;
  negated: boolean;
  /** The arguments as written, space separated. */
  text: string;
  value: ArgValue | undefined;
}

/** Matches whose verdict depends on more than the packet: two identical ones may still disagree. */
const statefulModules = new Set(['statistic', 'limit', 'hashlimit', 'recent', 'connlimit', 'quota', 'nth', 'time', 'connbytes', 'cluster']);

/**
 * How many earlier chain-ending rules each rule is compared with. Keeps the check linear on
 * 100k-rule dumps; a rule shadowed only by one further back is missed, never wrongly flagged.
 */
const SHADOW_WINDOW = 256;

const none: readonly never[] = [];

/** Does a rule with this target end the chain for every packet it matches? */
function endsChain(t: TargetUse | undefined): boolean {
  if (!t) return false;
  if (t.goto) return true;
  if (t.kind === 'verdict') return true;
  return t.kind === 'extension' && t.spec?.flow !== 'continue';
}

/** Can a match disagree with itself on the same packet, or is it one this tool cannot read? */
const unsure = (m: MatchUse) => statefulModules.has(m.module) || m.spec?.opaque === true;

/** May later rules of the chain be shadowed by a rule with these options? */
export function shadowsLaterRules(options: RuleOptions): boolean {
  return endsChain(options.target) && !options.matches.some(unsure);
}

/** The keys of a rule. */
export function shadowKeys(options: RuleOptions): ShadowKeys {
  const matches: string[] = [];
  const given = options.matches;
  for (let k = 0; k < given.length; k++) if (given[k].module !== 'comment') matches.push(matchKey(given[k]));
  return {
    matches: matches.length ? matches : none,
    conditions: options.basic.length ? options.basic.map(condition) : none,
  };
}

/**
 * Equal keys shared: the keys of chain-ending rules are kept until the checks run, and a dump
 * repeats the same few (every kube-proxy endpoint chain ends with `-p tcp -m tcp -j DNAT`).
 */
export class ShadowKeyPool {
  private readonly pool = new Map<string, ShadowKeys>();

  keysOf(options: RuleOptions): ShadowKeys {
    const keys = shadowKeys(options);
    // Neither part holds a line break, and no key is empty.
    const signature = `${keys.matches.join('\n')}\n\n${keys.conditions.map((c) => `${c.negated ? '!' : ''}${c.name}=${c.text}`).join('\n')}`;
    const known = this.pool.get(signature);
    if (known) return known;
    this.pool.set(signature, keys);
    return keys;
  }
}

/**
 * Reports each rule of the chain that an earlier chain-ending rule shadows. `endsChain` tells the
 * chain-ending rules, `keysOf` gives their keys; `read` makes the keys of another rule. Keys are
 * asked for only when a rule has to be compared: a chain-ending rule that is last in its chain
 * never is.
 */
export function checkShadowing(
  chain: Chain,
  endsChain: (rule: Rule) => boolean,
  keysOf: (rule: Rule) => ShadowKeys,
  read: (rule: Rule) => ShadowKeys,
  report: (rule: Rule, message: string) => void,
): void {
  const enders: { rule: Rule; keys: ShadowKeys | undefined }[] = [];
  for (const rule of chain.rules) {
    const ender = endsChain(rule);
    if (enders.length) {
      const keys = ender ? keysOf(rule) : read(rule);
      let shadow: Rule | undefined;
      for (let k = enders.length - 1; k >= Math.max(0, enders.length - SHADOW_WINDOW) && !shadow; k--) {
        const earlier = enders[k];
        if (covers((earlier.keys ??= keysOf(earlier.rule)), keys)) shadow = earlier.rule;
      }
      if (shadow) {
        report(rule, `Rule ${rule.index} of ${chain.name} can never match: rule ${shadow.index} (line ${shadow.line + 1}) matches every packet it matches and ends the chain with ${shadow.target!.goto ? 'goto ' : ''}${shadow.target!.name}`);
      }
    }
    if (ender) enders.push({ rule, keys: undefined });
  }
}

/** True when every packet `later` matches is also matched by `earlier` (sound, not complete). */
function covers(earlier: ShadowKeys, later: ShadowKeys): boolean {
  for (const key of earlier.matches) if (!later.matches.includes(key)) return false;
  for (const cond of earlier.conditions) {
    if (!later.conditions.some((l) => implies(l, cond))) {
      if (cond.name === 'protocol' && !cond.negated && /^(all|0)$/i.test(cond.text)) continue;
      return false;
    }
  }
  return true;
}

function matchKey(m: MatchUse): string {
  return `${m.module}(${m.options.map((o) => `${o.negated ? '!' : ''}${o.name}=${argsText(o)}`).join(',')})`;
}

function condition(o: OptionUse): Condition {
  return { name: o.name, negated: o.negated, text: argsText(o), value: firstValue(o) };
}

/** Does condition `a` (of the later rule) imply condition `b` (of the earlier one)? */
function implies(a: Condition, b: Condition): boolean {
  if (a.name !== b.name || a.negated !== b.negated) return false;
  const same = a.text === b.text;
  if (same || b.negated) return same;
  const [va, vb] = [a.value, b.value];
  if (!va || !vb) return false;
  if (va.type === 'net' && vb.type === 'net') return netWithin(va, vb);
  if (va.type === 'iface' && vb.type === 'iface') return vb.wildcard ? va.name.startsWith(vb.name) : !va.wildcard && va.name === vb.name;
  if (a.name === 'protocol') return a.text.toLowerCase() === b.text.toLowerCase();
  return false;
}

function netWithin(inner: Extract<ArgValue, { type: 'net' }>, outer: Extract<ArgValue, { type: 'net' }>): boolean {
  if (inner.family !== outer.family) return false;
  // inner ⊆ outer when outer's mask bits are all set in inner's mask and the addresses agree on them.
  return (inner.mask & outer.mask) === outer.mask && (inner.address & outer.mask) === (outer.address & outer.mask);
}
