/**
 * Checks on the whole ruleset, after every line has been read: jumps and where they lead,
 * what the kernel allows where, loops, dead chains, rules that can never match, and the
 * rules a packet marked by CRIU would die on.
 */
import type { Range } from '../../core/text';
import type { ArgValue } from '../../knowledge/xtables/types';
import { SOCCR_MARK, markMatches, hex } from '../../knowledge/marks';
import type { Chain, ChainReference, IptablesRuleset, OptionUse, Problem, Rule, Table } from './model';

export function checkRuleset(ruleset: IptablesRuleset): void {
  const problem = (range: Range, code: string, message: string, severity: Problem['severity']) =>
    ruleset.problems.push({ range, severity, code, message });

  for (const table of ruleset.tables) {
    const references = collectReferences(table, problem);
    for (const r of references) ruleset.references.push(r);
    const edges = outgoing(references);
    checkTargets(table, callersOf(table, edges), problem);
    checkLoops(table, edges, problem);
    checkUnreferenced(table, references, problem);
    for (const chain of table.chains.values()) checkShadowing(chain, problem);
    checkCriuMark(table, edges, problem);
  }
}

/** The jumps out of each chain: the graph every walk below follows, built once per table. */
type Edges = Map<string, ChainReference[]>;

function outgoing(references: readonly ChainReference[]): Edges {
  const edges: Edges = new Map();
  for (const ref of references) {
    const list = edges.get(ref.rule.chain);
    if (list) list.push(ref);
    else edges.set(ref.rule.chain, [ref]);
  }
  return edges;
}

type Report = (range: Range, code: string, message: string, severity: Problem['severity']) => void;

function collectReferences(table: Table, problem: Report): ChainReference[] {
  const references: ChainReference[] = [];
  for (const chain of table.chains.values()) {
    for (const rule of chain.rules) {
      const target = rule.target;
      if (!target || target.kind !== 'chain') continue;
      const callee = table.chains.get(target.name);
      if (!callee) {
        problem(target.nameRange, 'iptables.undefined-chain', `Couldn't load target \`${target.name}': no such chain in table ${table.name}, and no such target extension`, 'error');
        continue;
      }
      if (callee.builtin) {
        problem(target.nameRange, 'iptables.jump-to-builtin', `Cannot jump to built-in chain ${target.name}`, 'error');
        continue;
      }
      if (callee.declaration && callee.declaration.line > rule.line) {
        problem(target.nameRange, 'iptables.declared-after-use', `Chain ${target.name} is declared after this rule (line ${callee.declaration.line + 1}): iptables-legacy-restore rejects the jump, iptables-nft-restore accepts it`, 'warning');
      }
      references.push({ table: table.name, chain: target.name, rule, range: target.nameRange });
    }
  }
  return references;
}

/** For each chain, the built-in chains from which it can be reached (a built-in reaches itself). */
function callersOf(table: Table, edges: Edges): Map<string, Set<string>> {
  const reach = new Map<string, Set<string>>();
  for (const chain of table.chains.values()) {
    if (!chain.builtin) continue;
    const seen = new Set<string>([chain.name]);
    const queue = [chain.name];
    while (queue.length) {
      const from = queue.pop()!;
      for (const ref of edges.get(from) ?? []) {
        if (!seen.has(ref.chain)) {
          seen.add(ref.chain);
          queue.push(ref.chain);
        }
      }
    }
    for (const name of seen) {
      if (!reach.has(name)) reach.set(name, new Set());
      reach.get(name)!.add(chain.name);
    }
  }
  return reach;
}

/** Targets and matches the kernel only takes in some tables or hooks (DNAT, MASQUERADE, owner, rpfilter...). */
function checkTargets(table: Table, callers: Map<string, Set<string>>, problem: Report): void {
  for (const chain of table.chains.values()) {
    const from = chain.builtin ? new Set([chain.name]) : callers.get(chain.name) ?? new Set<string>();
    for (const rule of chain.rules) {
      const target = rule.target;
      if (target && table.name === 'nat' && (target.name === 'DROP' || target.name === 'REJECT')) {
        problem(target.nameRange, 'iptables.target-not-allowed', `The "nat" table is not intended for filtering, the use of ${target.name} is therefore inhibited.`, 'error');
        continue;
      }
      const restricted: { what: string; spec: { tables?: readonly string[]; chains?: readonly string[] }; range: Range }[] = [
        ...rule.matches.filter((m) => m.spec).map((m) => ({ what: `Match ${m.module}`, spec: m.spec!, range: m.nameRange ?? m.range })),
        ...(target?.spec ? [{ what: target.name, spec: target.spec, range: target.nameRange }] : []),
      ];
      for (const { what, spec, range } of restricted) {
        if (spec.tables && !spec.tables.includes(table.name)) {
          problem(range, 'iptables.target-not-allowed', `${what} is only valid in the ${spec.tables.join(', ')} table${spec.tables.length > 1 ? 's' : ''}, not in ${table.name}`, 'error');
          continue;
        }
        if (!spec.chains) continue;
        const bad = [...from].filter((c) => !spec.chains!.includes(c));
        if (bad.length) {
          const via = chain.builtin ? '' : ` (chain ${chain.name} is reached from ${bad.join(', ')})`;
          problem(range, 'iptables.target-not-allowed', `${what} is only valid in ${spec.chains.join(', ')}${via}: the kernel rejects it in ${bad.join(', ')}`, 'error');
        }
      }
    }
  }
}

/** The kernel refuses a ruleset whose jumps form a loop (ELOOP: "Too many levels of symbolic links"). */
function checkLoops(table: Table, edges: Edges, problem: Report): void {
  const state = new Map<string, 'active' | 'done'>();
  const reported = new Set<ChainReference>();
  const visit = (name: string, path: ChainReference[]) => {
    state.set(name, 'active');
    for (const ref of edges.get(name) ?? []) {
      const s = state.get(ref.chain);
      if (s === 'active') {
        const start = path.findIndex((p) => p.rule.chain === ref.chain);
        const cycle = [...path.slice(start < 0 ? path.length : start), ref];
        if (!reported.has(ref)) {
          reported.add(ref);
          problem(ref.range, 'iptables.jump-loop', `Jump loop: ${cycle.map((c) => c.rule.chain).join(' → ')} → ${ref.chain}; the kernel rejects the table (Too many levels of symbolic links)`, 'error');
        }
      } else if (s === undefined) {
        visit(ref.chain, [...path, ref]);
      }
    }
    state.set(name, 'done');
  };
  for (const chain of table.chains.values()) if (!state.has(chain.name)) visit(chain.name, []);
}

function checkUnreferenced(table: Table, references: readonly ChainReference[], problem: Report): void {
  const used = new Set(references.map((r) => r.chain));
  for (const chain of table.chains.values()) {
    if (chain.builtin || used.has(chain.name) || !chain.declaration) continue;
    // Empty chains nobody calls are common on purpose (kube-proxy's canaries): a hint, not a warning.
    if (chain.rules.length === 0) {
      problem(chain.declaration.nameRange, 'iptables.unused-chain', `Chain ${chain.name} is empty and never jumped to`, 'hint');
    } else {
      problem(chain.declaration.nameRange, 'iptables.unused-chain', `Chain ${chain.name} is never jumped to: its ${chain.rules.length} rule${chain.rules.length === 1 ? '' : 's'} never see a packet`, 'warning');
    }
  }
}

/** Matches whose verdict depends on more than the packet: two identical ones may still disagree. */
const statefulModules = new Set(['statistic', 'limit', 'hashlimit', 'recent', 'connlimit', 'quota', 'nth', 'time', 'connbytes', 'cluster']);

/** Does the rule end the chain for every packet it matches? */
function endsChain(rule: Rule): boolean {
  const t = rule.target;
  if (!t) return false;
  if (t.goto) return true;
  if (t.kind === 'verdict') return true;
  return t.kind === 'extension' && t.spec?.flow !== 'continue';
}

/**
 * How many earlier chain-ending rules each rule is compared with. Keeps the check linear on
 * 100k-rule dumps; a rule shadowed only by one further back is missed, never wrongly flagged.
 */
const SHADOW_WINDOW = 256;

interface RuleKeys {
  rule: Rule;
  matches: Set<string>;
}

function checkShadowing(chain: Chain, problem: Report): void {
  const enders: RuleKeys[] = [];
  for (const rule of chain.rules) {
    const keys: RuleKeys = { rule, matches: new Set(rule.matches.filter((m) => m.module !== 'comment').map(matchKey)) };
    let shadow: Rule | undefined;
    for (let k = enders.length - 1; k >= Math.max(0, enders.length - SHADOW_WINDOW) && !shadow; k--) {
      if (covers(enders[k], keys)) shadow = enders[k].rule;
    }
    if (shadow) {
      problem(rule.range, 'iptables.unreachable-rule', `Rule ${rule.index} of ${chain.name} can never match: rule ${shadow.index} (line ${shadow.line + 1}) matches every packet it matches and ends the chain with ${shadow.target!.goto ? 'goto ' : ''}${shadow.target!.name}`, 'warning');
    }
    if (endsChain(rule) && !rule.matches.some((m) => statefulModules.has(m.module) || m.spec?.opaque)) enders.push(keys);
  }
}

/** True when every packet `later` matches is also matched by `earlier` (sound, not complete). */
function covers(earlier: RuleKeys, later: RuleKeys): boolean {
  for (const key of earlier.matches) if (!later.matches.has(key)) return false;
  for (const cond of earlier.rule.basic) {
    if (!later.rule.basic.some((l) => implies(l, cond))) {
      if (cond.name === 'protocol' && !cond.negated && /^(all|0)$/i.test(cond.args[0]?.text ?? '')) continue;
      return false;
    }
  }
  return true;
}

function matchKey(m: Rule['matches'][number]): string {
  return `${m.module}(${m.options.map((o) => `${o.negated ? '!' : ''}${o.name}=${o.args.map((a) => a.text).join(' ')}`).join(',')})`;
}

/** Does condition `a` (of the later rule) imply condition `b` (of the earlier one)? */
function implies(a: OptionUse, b: OptionUse): boolean {
  if (a.name !== b.name || a.negated !== b.negated) return false;
  const same = a.args.map((x) => x.text).join(' ') === b.args.map((x) => x.text).join(' ');
  if (same || b.negated) return same;
  const [va, vb] = [a.values[0], b.values[0]];
  if (!va || !vb) return false;
  if (va.type === 'net' && vb.type === 'net') return netWithin(va, vb);
  if (va.type === 'iface' && vb.type === 'iface') return vb.wildcard ? va.name.startsWith(vb.name) : !va.wildcard && va.name === vb.name;
  if (a.name === 'protocol') return a.args[0].text.toLowerCase() === b.args[0].text.toLowerCase();
  return false;
}

function netWithin(inner: Extract<ArgValue, { type: 'net' }>, outer: Extract<ArgValue, { type: 'net' }>): boolean {
  if (inner.family !== outer.family) return false;
  // inner ⊆ outer when outer's mask bits are all set in inner's mask and the addresses agree on them.
  return (inner.mask & outer.mask) === outer.mask && (inner.address & outer.mask) === (outer.address & outer.mask);
}

/**
 * DROP/REJECT rules that a packet marked 0xC114 (libsoccr's forged FIN) meets on the local-out
 * path because of a mark match: the first step toward linking the restore log to the rule.
 * CRIU's own `! --mark 0xc114` lock rules never qualify: 0xC114 fails them by construction.
 */
function checkCriuMark(table: Table, edges: Edges, problem: Report): void {
  {
    const entry = ['OUTPUT', 'POSTROUTING'].filter((c) => table.chains.has(c));
    const reached = reachableFrom(entry, edges);
    for (const [name, via] of reached) {
      const chain = table.chains.get(name)!;
      for (const rule of chain.rules) {
        if (!rule.target || !['DROP', 'REJECT'].includes(rule.target.name)) continue;
        const hit = rule.matches.flatMap((m) => (m.module === 'mark' ? m.options : [])).find((o) => o.name === 'mark' && o.values[0]?.type === 'mark');
        if (!hit) continue;
        const value = hit.values[0] as Extract<ArgValue, { type: 'mark' }>;
        if (markMatches(SOCCR_MARK, value, hit.negated) !== true) continue;
        const bits = SOCCR_MARK & value.mask;
        const why = hit.negated
          ? `${hex(SOCCR_MARK)} & ${hex(value.mask)} = ${hex(bits)} ≠ ${hex(value.value)}, and the match is negated`
          : `${hex(SOCCR_MARK)} & ${hex(value.mask)} = ${hex(bits)}`;
        problem(rule.range, 'iptables.drops-criu-mark', `Drops CRIU's ${hex(SOCCR_MARK)}-marked packets (the FIN a TCP restore re-sends): ${why}; reached from ${table.name} ${via}`, 'information');
      }
    }
  }
}

/** Chains reachable from the entry chains, each with a short description of the first path found. */
function reachableFrom(entry: readonly string[], edges: Edges): Map<string, string> {
  const paths = new Map<string, string>();
  const queue: string[] = [];
  for (const e of entry) {
    paths.set(e, e);
    queue.push(e);
  }
  for (let head = 0; head < queue.length; head++) {
    const from = queue[head];
    for (const ref of edges.get(from) ?? []) {
      if (paths.has(ref.chain)) continue;
      paths.set(ref.chain, `${paths.get(from)} rule ${ref.rule.index} -${ref.rule.target!.goto ? 'g' : 'j'} ${ref.chain}`);
      queue.push(ref.chain);
    }
  }
  return paths;
}
