/**
 * Whole-ruleset checks: names that rules use (chains, sets, variables), jumps to base chains,
 * jump loops, regular chains nothing reaches, iptables-nft's untranslatable extensions, and the
 * drops that CRIU's 0xC114-marked FIN would meet on the way out.
 */
import type { Range } from '../../core/text';
import { hex, markMatches, SOCCR_MARK } from '../../knowledge/marks';
import { conflictingProtocols, symbolicValues } from '../../knowledge/nftables';
import type { Chain, Expr, NftRuleset, Problem, Rule, Statement, Table } from './model';

export function checkRuleset(ruleset: NftRuleset, declared: ReadonlySet<Table>): void {
  const problem = (range: Range, code: string, message: string, severity: Problem['severity'] = 'error') =>
    ruleset.problems.push({ range, severity, code, message });
  const withIncludes = ruleset.includes.length > 0;
  for (const ref of ruleset.references) {
    if (ref.kind === 'variable') {
      // nft reads top to bottom: a define after the use does not count.
      const d = ruleset.defines.get(ref.name);
      const before = d && (d.range.start.line < ref.range.start.line || (d.range.start.line === ref.range.start.line && d.range.start.character < ref.range.start.character));
      if (!before && !withIncludes) problem(ref.range, 'nftables.undefined-variable', d ? `\`$${ref.name}\` is used before its \`define\` (line ${d.range.start.line + 1}): nft reads the file top to bottom.` : `\`$${ref.name}\` is not defined: add \`define ${ref.name} = …\` before its use.`);
      continue;
    }
    const table = ref.table;
    if (!table || !declared.has(table)) continue;
    if (ref.kind === 'chain') {
      const target = table.chains.get(ref.name);
      if (!target) {
        if (!withIncludes) problem(ref.range, 'nftables.undefined-chain', `Chain \`${ref.name}\` does not exist in table ${table.family} ${table.name}.`);
      } else if (target.base) {
        problem(ref.range, 'nftables.jump-to-base-chain', `\`${ref.name}\` is a base chain (hook ${target.base.hook.text}): rules can only jump to regular chains.`);
      }
    } else if (!table.sets.has(ref.name) && !table.flowtables.has(ref.name) && !withIncludes) {
      problem(ref.range, 'nftables.undefined-set', `Set or map \`@${ref.name}\` does not exist in table ${table.family} ${table.name}.`);
    }
  }
  const graph = jumpGraph(ruleset);
  // Chains named by the verdicts of named maps' elements (no rule of their own).
  const byMaps = new Set(ruleset.references.filter((r) => r.kind === 'chain' && !r.rule).map((r) => r.table && `${r.table.family} ${r.table.name}\0${r.name}`));
  for (const table of ruleset.tables) {
    if (!declared.has(table)) continue;
    for (const chain of table.chains.values()) {
      if (!chain.base && chain.declarations.length && !graph.callers.get(chain)?.length && !byMaps.has(`${table.family} ${table.name}\0${chain.name}`)) {
        // Empty chains nobody calls are common on purpose (kube-proxy's canaries): a hint, not a warning.
        if (chain.rules.length === 0) problem(chain.nameRange, 'nftables.unused-chain', `Chain \`${chain.name}\` is empty and nothing jumps to it.`, 'hint');
        else problem(chain.nameRange, 'nftables.unused-chain', `Nothing jumps to chain \`${chain.name}\`: it is not a base chain, so its ${chain.rules.length === 1 ? 'rule never sees' : `${chain.rules.length} rules never see`} a packet.`, 'warning');
      }
    }
  }
  const reported = new Set<string>();
  for (const cycle of loops(graph)) {
    const names = cycle.map((e) => e.from.name);
    // Each rule that closes the same loop is another back edge: one report per set of chains.
    const key = [...names].sort().join('\0');
    if (reported.has(key)) continue;
    reported.add(key);
    const last = cycle[cycle.length - 1];
    problem(last.range, 'nftables.jump-loop', `Jump loop: ${[...names, names[0]].join(' → ')}. The kernel rejects the ruleset ("Too many links", ELOOP).`);
  }
  for (const table of ruleset.tables) {
    for (const chain of table.chains.values()) {
      for (const rule of allRules(chain.rules)) {
        for (const st of rule.statements) {
          if (st.kind === 'xt') {
            problem(st.range, 'nftables.xt-compat', `iptables-nft could not translate this ${st.what} (\`${st.name}\`) into nft expressions: nft cannot show what it does, and \`nft -f\` cannot load it. See it with \`iptables-nft-save\`.`, 'warning');
          }
        }
      }
    }
  }
  for (const table of ruleset.tables) {
    const conflicts = conflictingProtocols[table.family];
    if (!conflicts) continue;
    for (const chain of table.chains.values()) {
      for (const rule of allRules(chain.rules)) {
        for (const sel of ruleSelectors(rule)) {
          if (conflicts.has(sel.protocol)) problem(sel.range, 'nftables.wrong-family', `A ${table.family} table never sees ${sel.protocol} headers: nft rejects \`${sel.text}\` here ("conflicting protocols specified"). Use an inet${table.family === 'arp' ? ', bridge or netdev' : ''} table for both.`);
        }
      }
    }
  }
  for (const table of ruleset.tables) {
    for (const chain of table.chains.values()) {
      for (const rule of allRules(chain.rules)) {
        conflictingHeaders(rule, table.family, problem);
        for (const st of rule.statements) if (st.kind === 'match') checkValues(st.left, st.right, problem);
      }
    }
  }
  if (ruleset.legacyTablesPresent) {
    problem(ruleset.legacyTablesPresent, 'nftables.legacy-tables', 'iptables-legacy tables are present too: their rules are not in this dump but still see every packet. Capture `iptables-legacy-save` as well.', 'warning');
  }
  criuDrops(ruleset, graph, problem);
}

/** What kind of constant a selector compares with, for the values nft would refuse. */
function valueKind(sel: Extract<Expr, { kind: 'selector' }>): 'ipv4' | 'ipv6' | 'port' | 'u32' | string | undefined {
  const f = sel.field.split(' ').pop()!;
  if ((sel.protocol === 'ip' && (f === 'saddr' || f === 'daddr')) || (sel.protocol === 'ct' && /\bip (saddr|daddr)$/.test(sel.field))) return 'ipv4';
  if ((sel.protocol === 'ip6' && (f === 'saddr' || f === 'daddr')) || (sel.protocol === 'ct' && /\bip6 (saddr|daddr)$/.test(sel.field))) return 'ipv6';
  if (['tcp', 'udp', 'udplite', 'sctp', 'dccp', 'th'].includes(sel.protocol) && (f === 'sport' || f === 'dport')) return 'port';
  if ((sel.protocol === 'meta' || sel.protocol === 'ct') && f === 'mark') return 'u32';
  const key = `${sel.protocol}.${sel.field}`;
  return symbolicValues[key] ? key : undefined;
}

/** Why nft would refuse this constant for that kind, or undefined. */
function badValue(kind: string, text: string): string | undefined {
  if (kind === 'ipv4') {
    if (/^[0-9a-f]*:[0-9a-f:.]*(\/\d+)?$/i.test(text)) return `\`${text}\` is an IPv6 address where IPv4 is expected`;
    const m = /^(\d[\d.]*)(?:\/(\d+))?$/.exec(text);
    if (!m) return undefined; // a host name: nft resolves it
    const octets = m[1].split('.');
    if (octets.length !== 4 || octets.some((o) => o === '' || Number(o) > 255)) return `\`${m[1]}\` is not an IPv4 address`;
    if (m[2] !== undefined && Number(m[2]) > 32) return `prefix length ${m[2]} is longer than 32 bits`;
    return undefined;
  }
  if (kind === 'ipv6') {
    if (/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(text)) return `\`${text}\` is an IPv4 address where IPv6 is expected`;
    const m = /^([0-9a-f:.]*:[0-9a-f:.]*)(?:\/(\d+))?$/i.exec(text);
    if (m?.[2] !== undefined && Number(m[2]) > 128) return `prefix length ${m[2]} is longer than 128 bits`;
    return undefined;
  }
  if (kind === 'port') {
    if (/^\d+$/.test(text)) return Number(text) > 65535 ? `port ${text} is above 65535` : undefined;
    return /^\d/.test(text) ? `\`${text}\` is not a port or a port range` : undefined;
  }
  if (kind === 'u32') {
    const n = /^0x[0-9a-f]+$/i.test(text) ? BigInt(text) : /^\d+$/.test(text) ? BigInt(text) : undefined;
    return n !== undefined && n > 0xffffffffn ? `${text} does not fit in 32 bits` : undefined;
  }
  const known = symbolicValues[kind];
  if (known && /^[a-z][a-z-]*$/.test(text) && !known.has(text)) return `\`${text}\` is not one of ${[...known].join(', ')}`;
  return undefined;
}

/** The constants on the right of `left`, checked against what the selector takes. */
function checkValues(left: Expr, right: Expr, problem: (r: Range, code: string, msg: string) => void): void {
  const base = left.kind === 'binop' ? left.left : left;
  const kind = base.kind === 'selector' ? valueKind(base) : undefined;
  const visit = (e: Expr, k: string | undefined) => {
    switch (e.kind) {
      case 'value': {
        const why = k && !e.quoted ? badValue(k, e.text) : undefined;
        if (why) problem(e.range, 'nftables.invalid-value', `nft cannot use this value: ${why}.`);
        return;
      }
      case 'prefix': {
        const why = k && e.base.kind === 'value' ? badValue(k, `${e.base.text}/${e.length}`) : undefined;
        if (why) problem(e.range, 'nftables.invalid-value', `nft cannot use this value: ${why}.`);
        return;
      }
      case 'range': visit(e.from, k); visit(e.to, k); return;
      case 'list': e.items.forEach((i) => visit(i, k)); return;
      case 'binop': visit(e.left, k); visit(e.right, k); return;
      case 'set': for (const el of e.elements) { if (base.kind === 'concat' && el.key.kind === 'concat') checkValues(base, el.key, problem); else visit(el.key, k); } return;
      case 'concat':
        if (base.kind === 'concat' && base.parts.length === e.parts.length) base.parts.forEach((p, i) => checkValues(p, e.parts[i], problem));
        return;
      default: return;
    }
  };
  visit(right, kind);
}

const L3 = new Set(['ip', 'ip6']);
const L4 = new Set(['tcp', 'udp', 'udplite', 'sctp', 'dccp', 'icmp', 'icmpv6', 'igmp', 'ah', 'esp', 'comp', 'gre']);

/**
 * One packet has one network and one transport header: a rule that matches `ip` and `ip6`, or
 * `tcp` and `udp` (also after `meta l4proto tcp`), is rejected by nft ("conflicting protocols
 * specified"). `th` fits any transport header.
 */
function conflictingHeaders(rule: Rule, family: string, problem: (r: Range, code: string, msg: string) => void): void {
  // An ip or ip6 table fixes the network header (a foreign one is nftables.wrong-family).
  const fixed = family === 'ip' || family === 'ip6';
  let l3: string | undefined = fixed ? family : undefined;
  let l4: string | undefined;
  /** Every transport protocol the rule names (`reject with tcp reset` wants only tcp). */
  const l4seen = new Set<string>();
  for (const st of rule.statements) {
    // `reject with icmp …` answers with an IPv4 ICMP error, `with icmpv6 …` with an IPv6 one.
    if (st.kind === 'verdict' && st.verdict === 'reject') {
      const how = st.args[1]?.text;
      const needs = how === 'icmp' ? 'ip' : how === 'icmpv6' ? 'ip6' : undefined;
      const other = [...l4seen].find((p) => p !== 'tcp');
      if (how === 'tcp' && other) problem(st.range, 'nftables.conflicting-protocols', `This rule matches ${other} packets: \`reject with tcp reset\` only answers TCP ("you cannot use tcp reset with this protocol").`);
      if (needs && l3 && l3 !== needs && !fixed) problem(st.range, 'nftables.conflicting-protocols', `This rule matches ${l3} packets, so \`reject with ${how}\` cannot answer them: nft rejects the rule ("conflicting protocols specified"). Use \`reject with icmpx …\`.`);
    }
    if (st.kind !== 'match' && st.kind !== 'vmap') continue;
    const selectors: Extract<Expr, { kind: 'selector' }>[] = [];
    const walk = (e: Expr) => {
      if (e.kind === 'selector') selectors.push(e);
      else if (e.kind === 'concat') e.parts.forEach(walk);
      else if (e.kind === 'binop') walk(e.left);
    };
    walk(st.kind === 'match' ? st.left : st.key);
    for (const found of selectors) {
      // `ct original ip saddr` is an IPv4 match as much as `ip saddr`.
      const ctFamily = found.protocol === 'ct' ? /^(?:original|reply) (ip6?) /.exec(found.field)?.[1] : undefined;
      const sel = ctFamily ? { ...found, protocol: ctFamily } : found;
      const layer = L3.has(sel.protocol) ? 3 : L4.has(sel.protocol) ? 4 : 0;
      if (!layer) continue;
      if (layer === 4) l4seen.add(sel.protocol);
      // icmp and icmpv6 imply their network header when none is fixed yet (nft adds the dependency).
      if (!l3 && (sel.protocol === 'icmp' || sel.protocol === 'icmpv6')) l3 = sel.protocol === 'icmp' ? 'ip' : 'ip6';
      if (layer === 3 && fixed) continue;
      const seen = layer === 3 ? l3 : l4;
      if (seen && seen !== sel.protocol) {
        problem(sel.range, 'nftables.conflicting-protocols', `This rule already matches ${seen}, so \`${sel.text}\` can never apply: nft rejects the rule ("conflicting protocols specified: ${seen} vs. ${sel.protocol}").`);
      } else if (layer === 4) l4 = sel.protocol;
      else if (!ctFamily) l3 = sel.protocol; // `ct original ip …` is checked against the context but does not set it
    }
    // `meta l4proto tcp`, `ip protocol tcp`, `ip6 nexthdr tcp` fix the transport header too.
    if (st.kind === 'match' && st.op !== '!=' && st.left.kind === 'selector' && st.right.kind === 'value' && L4.has(st.right.text)) {
      const f = `${st.left.protocol}.${st.left.field}`;
      if (f === 'meta.l4proto' || f === 'ip.protocol' || f === 'ip6.nexthdr') {
        l4seen.add(st.right.text);
        if (!l4) l4 = st.right.text;
      }
    }
    // `meta nfproto ipv6` sets the network header for what follows, whatever came before.
    if (st.kind === 'match' && st.op !== '!=' && st.left.kind === 'selector' && `${st.left.protocol}.${st.left.field}` === 'meta.nfproto' && st.right.kind === 'value' && !fixed) {
      l3 = st.right.text === 'ipv4' ? 'ip' : st.right.text === 'ipv6' ? 'ip6' : l3;
    }
  }
}

/** The selectors a rule matches on (left of matches, keys of verdict maps), concatenations and masks opened. */
function ruleSelectors(rule: Rule): Extract<Expr, { kind: 'selector' }>[] {
  const out: Extract<Expr, { kind: 'selector' }>[] = [];
  const walk = (e: Expr) => {
    if (e.kind === 'selector') out.push(e);
    else if (e.kind === 'concat') e.parts.forEach(walk);
    else if (e.kind === 'binop') walk(e.left);
  };
  for (const st of rule.statements) {
    if (st.kind === 'match') walk(st.left);
    else if (st.kind === 'vmap') walk(st.key);
  }
  return out;
}

function* allRules(rules: readonly Rule[]): Generator<Rule> {
  for (const r of rules) {
    yield r;
    for (const st of r.statements) if (st.kind === 'verdict' && st.binding) yield* allRules(st.binding);
  }
}

export interface JumpEdge {
  from: Chain;
  to: Chain;
  rule: Rule;
  range: Range;
  goto: boolean;
}

export interface JumpGraph {
  /** Jumps and gotos out of each chain (rules of anonymous chains count as their parent's). */
  edges: Map<Chain, JumpEdge[]>;
  callers: Map<Chain, JumpEdge[]>;
}

/** The chain a rule is in; a rule of `jump { … }` belongs to the chain that holds the binding. */
function ownerOf(table: Table, rule: Rule): Chain | undefined {
  return table.chains.get(rule.chain.replace(/ \(binding\)/g, ''));
}

export function jumpGraph(ruleset: NftRuleset): JumpGraph {
  const edges = new Map<Chain, JumpEdge[]>();
  const callers = new Map<Chain, JumpEdge[]>();
  for (const ref of ruleset.references) {
    if (ref.kind !== 'chain' || !ref.table || !ref.rule) continue;
    const from = ownerOf(ref.table, ref.rule);
    const to = ref.table.chains.get(ref.name);
    if (!from || !to) continue;
    const edge = { from, to, rule: ref.rule, range: ref.range, goto: !!ref.goto };
    (edges.get(from) ?? edges.set(from, []).get(from)!).push(edge);
    (callers.get(to) ?? callers.set(to, []).get(to)!).push(edge);
  }
  return { edges, callers };
}

/** The jump cycles reachable from a base chain, each as its edges. */
function loops(graph: JumpGraph): JumpEdge[][] {
  const state = new Map<Chain, 1 | 2>();
  const stack: JumpEdge[] = [];
  const found: JumpEdge[][] = [];
  const visit = (c: Chain) => {
    state.set(c, 1);
    for (const e of graph.edges.get(c) ?? []) {
      const s = state.get(e.to);
      if (s === 1) {
        const at = stack.findIndex((x) => x.from === e.to);
        found.push([...stack.slice(at < 0 ? stack.length : at), e]);
      } else if (s === undefined) {
        stack.push(e);
        visit(e.to);
        stack.pop();
      }
    }
    state.set(c, 2);
  };
  // The kernel checks loops from the base chains (ELOOP); a loop nothing reaches loads fine.
  for (const c of graph.edges.keys()) if (c.base && !state.has(c)) visit(c);
  return found;
}

/** `meta mark 0x8000`, `meta mark & 0x8000 == 0x8000`, `mark != 0xc114`: the test on the packet mark, if the match is one. */
export function markTest(st: Statement): { value: number; mask: number; negated: boolean } | undefined {
  if (st.kind !== 'match' || (st.op !== '==' && st.op !== '!=' && st.op !== 'implicit')) return undefined;
  let left: Expr = st.left;
  let mask = 0xffffffff;
  if (left.kind === 'binop' && left.op === '&' && left.right.kind === 'value' && left.right.number !== undefined) {
    mask = left.right.number >>> 0;
    left = left.left;
  }
  if (left.kind !== 'selector' || left.protocol !== 'meta' || left.field !== 'mark') return undefined;
  if (st.right.kind !== 'value' || st.right.number === undefined) return undefined;
  return { value: st.right.number >>> 0, mask, negated: st.op === '!=' };
}

const isCriuTable = (t: Table) => /^CRIU-/.test(t.name);

/**
 * Rules that drop (or reject) a packet marked 0xC114 and are reached from an output or
 * postrouting base chain: the FIN a TCP restore re-sends meets them. CRIU's own tables are
 * never blamed.
 */
function criuDrops(ruleset: NftRuleset, graph: JumpGraph, problem: (r: Range, code: string, msg: string, sev?: Problem['severity']) => void): void {
  for (const table of ruleset.tables) {
    if (isCriuTable(table) || table.family === 'ip6' || table.family === 'arp' || table.family === 'netdev' || table.family === 'bridge') continue;
    const via = new Map<Chain, JumpEdge | null>();
    const queue: Chain[] = [];
    for (const c of table.chains.values()) {
      if (c.base && (c.base.hook.text === 'output' || c.base.hook.text === 'postrouting')) { via.set(c, null); queue.push(c); }
    }
    while (queue.length) {
      const c = queue.shift()!;
      for (const e of graph.edges.get(c) ?? []) if (!via.has(e.to)) { via.set(e.to, e); queue.push(e.to); }
    }
    for (const [chain, _] of via) {
      for (const rule of chain.rules) {
        const drops = rule.statements.some((s) => s.kind === 'verdict' && (s.verdict === 'drop' || s.verdict === 'reject'));
        if (!drops) continue;
        const tests = rule.statements.map(markTest).filter((t) => t !== undefined);
        if (!tests.length || !tests.every((t) => markMatches(SOCCR_MARK, t, t.negated))) continue;
        const t = tests[0];
        const bits = (SOCCR_MARK & t.mask) >>> 0;
        const why = t.negated ? `${hex(SOCCR_MARK)} & ${hex(t.mask)} = ${hex(bits)} ≠ ${hex(t.value)}, and the match is negated` : `${hex(SOCCR_MARK)} & ${hex(t.mask)} = ${hex(bits)}`;
        problem(rule.range, 'nftables.drops-criu-mark', `Drops CRIU's ${hex(SOCCR_MARK)}-marked packets (the FIN a TCP restore re-sends): ${why}; reached from ${table.family} ${table.name} ${pathTo(via, chain)}`, 'information');
      }
    }
  }
}

function pathTo(via: Map<Chain, JumpEdge | null>, chain: Chain): string {
  const steps: string[] = [];
  let c = chain;
  for (let e = via.get(c); e; e = via.get(c)) {
    steps.unshift(` rule ${e.rule.index} ${e.goto ? 'goto' : 'jump'} ${e.to.name}`);
    c = e.from;
  }
  return c.name + steps.join('');
}
