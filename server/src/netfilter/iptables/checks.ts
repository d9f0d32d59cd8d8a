/**
 * Checks on the whole ruleset, after every line has been read: jumps and where they lead,
 * what the kernel allows where, loops, dead chains, rules that can never match, and the
 * rules a packet marked by CRIU would die on.
 */
import type { Range } from '../../core/text';
import { SOCCR_MARK, markMatches, hex } from '../../knowledge/marks';
import type { Restriction, RuleFacts } from './facts';
import { ENTRY, JumpGraph, UNREACHED } from './jumpGraph';
import type { Chain, Problem, Rule, Table } from './model';
import { DumpRule, ruleOptions } from './rule';
import { checkShadowing, shadowKeys } from './shadowing';

type Report = (range: Range, code: string, message: string, severity: Problem['severity']) => void;

/** Checks every table; returns the jump graph of each, in table order. */
export function checkRuleset(tables: readonly Table[], facts: RuleFacts, problems: Problem[]): JumpGraph[] {
  const problem: Report = (range, code, message, severity) => problems.push({ range, severity, code, message });
  const endsChain = (rule: Rule) => facts.endsChain(rule);
  const keptKeys = (rule: Rule) => facts.shadowOf(rule);
  const readKeys = (rule: Rule) => shadowKeys(ruleOptions(rule));
  const unreachable = (rule: Rule, message: string) => problem(rule.range, 'iptables.unreachable-rule', message, 'warning');

  return tables.map((table) => {
    const graph = new JumpGraph(table, (rule, callee) => isJump(table, rule, callee, problem));
    checkTargets(table, graph, facts, problem);
    checkLoops(graph, problem);
    checkUnreferenced(graph, problem);
    for (const chain of graph.chains) if (facts.mayShadow(chain)) checkShadowing(chain, endsChain, keptKeys, readKeys, unreachable);
    checkCriuMark(table, graph, facts, problem);
    return graph;
  });
}

/** Is `-j/-g CHAIN` a jump the kernel takes? The others are reported. */
function isJump(table: Table, rule: Rule, callee: Chain | undefined, problem: Report): boolean {
  if (callee && !callee.builtin && !(callee.declaration && callee.declaration.line > rule.line)) return true;
  const target = rule.target!;
  if (!callee) {
    problem(target.nameRange, 'iptables.undefined-chain', `Couldn't load target \`${target.name}': no such chain in table ${table.name}, and no such target extension`, 'error');
    return false;
  }
  if (callee.builtin) {
    problem(target.nameRange, 'iptables.jump-to-builtin', `Cannot jump to built-in chain ${target.name}`, 'error');
    return false;
  }
  if (callee.declaration && callee.declaration.line > rule.line) {
    problem(target.nameRange, 'iptables.declared-after-use', `Chain ${target.name} is declared after this rule (line ${callee.declaration.line + 1}): iptables-legacy-restore rejects the jump, iptables-nft-restore accepts it`, 'warning');
  }
  return true;
}

/** Targets and matches the kernel only takes in some tables or hooks (DNAT, MASQUERADE, owner, rpfilter...). */
function checkTargets(table: Table, graph: JumpGraph, facts: RuleFacts, problem: Report): void {
  // The built-in chains (at most five) as bits: bit k is the k-th built-in chain in table order.
  const builtins = graph.chains.filter((c) => c.builtin).map((c) => c.name);
  const bitsOf = (names: readonly string[]) => builtins.reduce((bits, b, k) => (names.includes(b) ? bits | (1 << k) : bits), 0);
  const allowed = new Map<readonly string[], number>();
  let reachedFrom: Uint8Array | undefined;
  /** The built-in chains chain c is reached from; the graph is walked once some rule needs it. */
  const callers = (c: number): number => {
    if (!reachedFrom) {
      reachedFrom = new Uint8Array(graph.chains.length);
      for (const [k, b] of graph.numbersOf(builtins).entries()) {
        const via = graph.reach([b]);
        for (let x = 0; x < via.length; x++) if (via[x] !== UNREACHED) reachedFrom[x] |= 1 << k;
      }
    }
    return reachedFrom[c];
  };
  /** `what` (with `spec`'s restrictions) is used in chain c; `range` is made for a diagnostic only. */
  const restrict = (c: number, what: string, spec: Restriction['spec'], range: () => Range) => {
    if (spec.tables && !spec.tables.includes(table.name)) {
      problem(range(), 'iptables.target-not-allowed', `${what} is only valid in the ${spec.tables.join(', ')} table${spec.tables.length > 1 ? 's' : ''}, not in ${table.name}`, 'error');
      return;
    }
    if (!spec.chains) return;
    let ok = allowed.get(spec.chains);
    if (ok === undefined) allowed.set(spec.chains, (ok = bitsOf(spec.chains)));
    const chain = graph.chains[c];
    const badBits = (chain.builtin ? bitsOf([chain.name]) : callers(c)) & ~ok;
    if (badBits) {
      const bad = builtins.filter((_, k) => badBits & (1 << k));
      const via = chain.builtin ? '' : ` (chain ${chain.name} is reached from ${bad.join(', ')})`;
      problem(range(), 'iptables.target-not-allowed', `${what} is only valid in ${spec.chains.join(', ')}${via}: the kernel rejects it in ${bad.join(', ')}`, 'error');
    }
  };
  graph.chains.forEach((chain, c) => {
    for (const rule of chain.rules) {
      // Rules read from a dump give their target's name and spec without making a target view.
      const dump = rule instanceof DumpRule ? rule : undefined;
      const name = dump ? dump.targetName : rule.target?.name;
      const spec = dump ? dump.targetSpec : rule.target?.spec;
      if (table.name === 'nat' && (name === 'DROP' || name === 'REJECT')) {
        problem(rule.target!.nameRange, 'iptables.target-not-allowed', `The "nat" table is not intended for filtering, the use of ${name} is therefore inhibited.`, 'error');
        continue;
      }
      for (const { what, spec, range } of facts.restrictionsOf(rule)) restrict(c, what, spec, () => range);
      if (spec) restrict(c, name!, spec, () => rule.target!.nameRange);
    }
  });
}

/** The kernel refuses a ruleset whose jumps form a loop (ELOOP: "Too many levels of symbolic links"). */
function checkLoops(graph: JumpGraph, problem: Report): void {
  const ACTIVE = 1;
  const DONE = 2;
  const state = new Uint8Array(graph.chains.length);
  const reported = new Set<number>();
  /** The jumps from the chain where the walk started to the one being visited. */
  const path: number[] = [];
  const name = (c: number) => graph.chains[c].name;
  // Depth-first with an explicit stack: a chain of user chains can be tens of thousands deep,
  // deeper than the call stack.
  const visit = (root: number) => {
    const chains = [root];
    const next = [graph.start[root]];
    state[root] = ACTIVE;
    while (chains.length) {
      const top = chains.length - 1;
      const c = chains[top];
      const j = next[top]++;
      if (j >= graph.start[c + 1]) {
        state[c] = DONE;
        chains.pop();
        next.pop();
        path.pop();
        continue;
      }
      const to = graph.callee[j];
      if (state[to] === ACTIVE) {
        const start = path.findIndex((p) => graph.caller[p] === to);
        const cycle = [...path.slice(start < 0 ? path.length : start), j];
        if (!reported.has(j)) {
          reported.add(j);
          problem(graph.rules[j].target!.nameRange, 'iptables.jump-loop', `Jump loop: ${cycle.map((p) => name(graph.caller[p])).join(' → ')} → ${name(to)}; the kernel rejects the table (Too many levels of symbolic links)`, 'error');
        }
      } else if (state[to] !== DONE) {
        path.push(j);
        state[to] = ACTIVE;
        chains.push(to);
        next.push(graph.start[to]);
      }
    }
  };
  for (let c = 0; c < graph.chains.length; c++) if (!state[c]) visit(c);
}

function checkUnreferenced(graph: JumpGraph, problem: Report): void {
  const used = new Uint8Array(graph.chains.length);
  const callee = graph.callee;
  for (let j = 0; j < callee.length; j++) used[callee[j]] = 1;
  graph.chains.forEach((chain, c) => {
    if (chain.builtin || used[c] || !chain.declaration) return;
    // Empty chains nobody calls are common on purpose (kube-proxy's canaries): a hint, not a warning.
    if (chain.rules.length === 0) {
      problem(chain.declaration.nameRange, 'iptables.unused-chain', `Chain ${chain.name} is empty and never jumped to`, 'hint');
    } else {
      problem(chain.declaration.nameRange, 'iptables.unused-chain', `Chain ${chain.name} is never jumped to: its ${chain.rules.length} rule${chain.rules.length === 1 ? '' : 's'} never see a packet`, 'warning');
    }
  });
}

/**
 * DROP/REJECT rules that a packet marked 0xC114 (libsoccr's forged FIN) meets on the local-out
 * path because of a mark match: the first step toward linking the restore log to the rule.
 * CRIU's own `! --mark 0xc114` lock rules never qualify: 0xC114 fails them by construction.
 */
function checkCriuMark(table: Table, graph: JumpGraph, facts: RuleFacts, problem: Report): void {
  const via = graph.reach(graph.numbersOf(['OUTPUT', 'POSTROUTING']));
  graph.chains.forEach((chain, c) => {
    if (via[c] === UNREACHED) return;
    for (const rule of chain.rules) {
      const hit = facts.markOf(rule);
      if (!hit || markMatches(SOCCR_MARK, hit.value, hit.negated) !== true) continue;
      const { value, negated } = hit;
      const bits = SOCCR_MARK & value.mask;
      const why = negated
        ? `${hex(SOCCR_MARK)} & ${hex(value.mask)} = ${hex(bits)} ≠ ${hex(value.value)}, and the match is negated`
        : `${hex(SOCCR_MARK)} & ${hex(value.mask)} = ${hex(bits)}`;
      problem(rule.range, 'iptables.drops-criu-mark', `Drops CRIU's ${hex(SOCCR_MARK)}-marked packets (the FIN a TCP restore re-sends): ${why}; reached from ${table.name} ${pathTo(graph, via, c)}`, 'information');
    }
  });
}

/** `OUTPUT rule 2 -j KUBE-FIREWALL`: the path breadth-first search found to chain c. */
function pathTo(graph: JumpGraph, via: Int32Array, c: number): string {
  const steps: string[] = [];
  for (let j = via[c]; j !== ENTRY; j = via[c]) {
    const rule = graph.rules[j];
    steps.unshift(` rule ${rule.index} -${rule.target!.goto ? 'g' : 'j'} ${graph.chains[c].name}`);
    c = graph.caller[j];
  }
  return graph.chains[c].name + steps.join('');
}
