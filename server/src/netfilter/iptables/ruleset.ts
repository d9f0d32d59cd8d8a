/**
 * An iptables-save dump read the way iptables-restore reads it: line by line, tables opened by
 * `*name` and closed by COMMIT, chains declared by `:NAME POLICY [p:b]`, and every command
 * (-A, -I, -D, -R, -N, -X, -F, -Z, -P, -E) applied in order, so rule numbers are the kernel's.
 */
import { lineRange, splitLines, type Range } from '../../core/text';
import { builtinChains, standardVerdicts, findTarget } from '../../knowledge/xtables';
import type { Family } from '../../knowledge/xtables/types';
import { interpretCommand, type Command } from './interpret';
import { parseDumpLine, type DumpLine, type LineArg, type LineCounters, type Span } from './lineGrammar';
import type { Arg, Chain, Counters, IptablesRuleset, Problem, Rule, Table, TableName } from './model';
import { checkRuleset } from './checks';

export interface ParseOptions {
  /** Overrides the family read from the header or the addresses. */
  family?: Family;
  /** Parsed lines by text, kept by the caller between edits. */
  cache?: Map<string, DumpLine>;
}

const tableNames: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter', 'security'];
/** The kernel's limit: XT_EXTENSION_MAXNAMELEN (29) including the terminating NUL. */
const MAX_CHAIN_NAME = 28;
const POLICIES = ['ACCEPT', 'DROP'];

export function parseIptablesSave(text: string, options: ParseOptions = {}): IptablesRuleset {
  const lines = splitLines(text);
  const family = options.family ?? detectFamily(lines);
  const problems: Problem[] = [];
  const tables: Table[] = [];
  let table: Table | undefined;
  /** Inside `*unknown` ... COMMIT: iptables-restore has already failed; its lines are not checked again. */
  let skipping = false;

  const problem = (range: Range, code: string, message: string, severity: Problem['severity'] = 'error') =>
    problems.push({ range, severity, code, message });
  const rangeOf = (line: number, span: Span): Range => lineRange(line, span.start, span.end);

  // Each line is parsed and applied in turn: nothing of the line's parse outlives it but the model.
  lines.forEach((lineText, line) => {
    const node = parseDumpLine(lineText, options.cache);
    if (skipping && node.kind !== 'table') {
      if (node.kind === 'commit') skipping = false;
      return;
    }
    switch (node.kind) {
      case 'comment':
        return;
      case 'table': {
        skipping = false;
        if (table && table.commitLine === undefined) {
          problem(rangeOf(line, node.span), 'iptables.missing-commit', `COMMIT expected before this line: table ${table.name} (line ${table.line + 1}) was never committed, so iptables-restore applies none of it`);
        }
        const nameRange = rangeOf(line, node.nameSpan);
        if (!(tableNames as readonly string[]).includes(node.name)) {
          problem(node.name ? nameRange : rangeOf(line, node.span), 'iptables.unknown-table', node.name ? `Can't initialize iptables table \`${node.name}': Table does not exist (the tables are ${tableNames.join(', ')})` : 'A table name is missing after `*`');
          table = undefined;
          skipping = true;
          return;
        }
        if (node.rest.trim()) problem(rangeOf(line, { start: node.nameSpan.end, end: node.span.end }), 'iptables.trailing-text', `iptables-restore ignores everything after the table name`, 'warning');
        table = newTable(node.name as TableName, line, rangeOf(line, node.span));
        tables.push(table);
        return;
      }
      case 'chain': {
        if (!table || table.commitLine !== undefined) {
          problem(rangeOf(line, node.span), 'iptables.outside-table', 'Chain declaration outside a table: a `*filter` (or other table) line must come first');
          return;
        }
        declareChain(table, node, line);
        return;
      }
      case 'commit': {
        if (!table || table.commitLine !== undefined) {
          problem(rangeOf(line, node.span), 'iptables.outside-table', 'COMMIT without an open table');
          return;
        }
        table.commitLine = line;
        table.endLine = line;
        return;
      }
      case 'command': {
        if (node.args.length === 0 && !node.counters) return; // a blank line
        const first = node.args[0];
        if (!node.counters && first && !first.text.startsWith('-') && first.text !== '!') {
          problem(rangeOf(line, node.span), 'iptables.not-a-dump-line', `Not a line of an iptables-save dump (a shell prompt or prose?): iptables-restore would reject it.`);
          return;
        }
        if (!table || table.commitLine !== undefined) {
          problem(rangeOf(line, node.span), 'iptables.outside-table', 'Rule outside a table: a `*filter` (or other table) line must come first, and COMMIT ends a table');
          return;
        }
        table.endLine = line;
        runCommand(table, node.args, node.counters, line, rangeOf(line, node.span));
        return;
      }
    }
  });

  if (table && table.commitLine === undefined) {
    problem(table.range, 'iptables.missing-commit', `Table ${table.name} has no COMMIT: iptables-restore applies none of it`);
    table.endLine = lines.length - 1;
  }

  function newTable(name: TableName, line: number, range: Range): Table {
    const chains = new Map<string, Chain>();
    for (const chain of builtinChains[name]) chains.set(chain, { table: name, name: chain, builtin: true, policy: 'ACCEPT', rules: [] });
    return { name, line, range, endLine: line, chains };
  }

  function declareChain(table: Table, node: Extract<DumpLine, { kind: 'chain' }>, line: number): void {
    const nameRange = rangeOf(line, node.name.span);
    const name = node.name.text;
    const builtin = builtinChains[table.name].includes(name);
    const existing = table.chains.get(name);
    if (!validChainName(name, nameRange)) return;
    if (!node.policy) {
      problem(rangeOf(line, node.span), 'iptables.missing-policy', `Unable to parse policy of chain ${name}: the declaration is \`:${name} POLICY [packets:bytes]\`, with \`-\` as the policy of a user chain`);
      return;
    }
    const policy = node.policy.text;
    const policyRange = rangeOf(line, node.policy.span);
    if (builtin) {
      if (existing?.declaration) problem(nameRange, 'iptables.duplicate-chain', `Chain ${name} is declared twice in table ${table.name} (first on line ${existing.declaration.line + 1})`);
      if (policy !== '-' && !POLICIES.includes(policy)) problem(policyRange, 'iptables.bad-policy', `Bad policy name \`${policy}': a built-in chain's policy is ACCEPT or DROP`);
    } else {
      // iptables-nft-restore takes both of these silently; iptables-legacy-restore fails on them.
      if (existing) {
        problem(nameRange, 'iptables.duplicate-chain', `Chain ${name} is declared twice in table ${table.name} (first on line ${(existing.declaration?.line ?? 0) + 1}): iptables-legacy-restore rejects this (File exists), iptables-nft-restore ignores it`, 'warning');
        return;
      }
      if (policy !== '-') {
        const what = builtinChainElsewhere(name)
          ? `${name} is not a built-in chain of table ${table.name} (it has ${builtinChains[table.name].join(', ')})`
          : `${name} is a user-defined chain`;
        problem(policyRange, 'iptables.policy-on-user-chain', `${what}: it has no policy, write \`-\`. iptables-legacy-restore rejects this (Bad built-in chain name); iptables-nft-restore creates the chain and ignores the policy`, 'warning');
      }
    }
    const counters = readCounters(node.counters, line);
    const chain: Chain = existing ?? { table: table.name, name, builtin, rules: [] };
    if (builtin && POLICIES.includes(policy)) chain.policy = policy;
    if (counters) chain.counters = counters;
    chain.declaration = { line, range: rangeOf(line, node.span), nameRange };
    table.chains.set(name, chain);
    if (node.rest.trim()) problem(rangeOf(line, { start: node.span.end - node.rest.length, end: node.span.end }), 'iptables.trailing-text', 'iptables-restore ignores everything after the counters', 'warning');
  }

  function builtinChainElsewhere(name: string): boolean {
    return tableNames.some((t) => builtinChains[t].includes(name));
  }

  function validChainName(name: string, range: Range): boolean {
    if (name.length > MAX_CHAIN_NAME) {
      problem(range, 'iptables.chain-name-too-long', `chain name \`${name}' too long (must be under ${MAX_CHAIN_NAME + 1} chars)`);
      return false;
    }
    if (name.startsWith('-') || name.startsWith('!')) {
      problem(range, 'iptables.bad-chain-name', `Invalid chain name \`${name}'`);
      return false;
    }
    if (standardVerdicts.includes(name) || findTarget(name)) {
      problem(range, 'iptables.bad-chain-name', `chain name \`${name}' is the name of a target`);
      return false;
    }
    return true;
  }

  function readCounters(counters: LineCounters | null, line: number): Counters | undefined {
    if (!counters) return undefined;
    if (counters.invalid !== undefined || counters.packets === undefined || counters.bytes === undefined) {
      problem(rangeOf(line, counters.span), 'iptables.bad-counters', `invalid counters \`[${counters.invalid ?? ''}]': expected [packets:bytes]`);
      return undefined;
    }
    return { packets: BigInt(counters.packets), bytes: BigInt(counters.bytes), range: rangeOf(line, counters.span) };
  }

  function runCommand(table: Table, lineArgs: LineArg[], lineCounters: LineCounters | null, line: number, range: Range): void {
    const args: Arg[] = [];
    for (const a of lineArgs) {
      if (a.unterminated) {
        problem(rangeOf(line, a.span), 'iptables.unterminated-quote', 'Unterminated quote: iptables takes the rest of the line as this one argument; the closing `"` is probably missing', 'warning');
      }
      if (!a.quoted && a.text.startsWith('-') && a.text.length > 1 && !a.text.startsWith('--') && a.text.includes('t')) {
        problem(rangeOf(line, a.span), 'iptables.table-option', `The -t option cannot be used in iptables-restore: the table comes from the \`*${table.name}\` line`);
        return;
      }
      if (a.text.startsWith('--t') && 'table'.startsWith(a.text.slice(2).split('=')[0])) {
        problem(rangeOf(line, a.span), 'iptables.table-option', `The --table option cannot be used in iptables-restore: the table comes from the \`*${table.name}\` line`);
        return;
      }
      args.push({ text: a.text, quoted: a.quoted, range: rangeOf(line, a.span) });
    }
    const counters = readCounters(lineCounters, line);
    const command = interpretCommand(args, { family, line, problems });
    if (!command) return;
    applyCommand(table, command, counters ?? command.spec.counters, line, range);
  }

  function chainOf(table: Table, arg: Arg): Chain | undefined {
    const chain = table.chains.get(arg.text);
    if (!chain) problem(arg.range, 'iptables.undefined-chain', `Chain ${arg.text} does not exist in table ${table.name}: declare it first with \`:${arg.text} - [0:0]\``);
    return chain;
  }

  function applyCommand(table: Table, command: Command, counters: Counters | undefined, line: number, range: Range): void {
    const { letter, chain: chainArg } = command;
    const makeRule = (name: string, op: Rule['command']): Rule => ({
      table: table.name,
      chain: name,
      index: 0,
      line,
      range,
      command: op,
      chainRange: chainArg!.range,
      ...(counters ? { counters } : {}),
      basic: command.spec.basic,
      matches: command.spec.matches,
      ...(command.spec.target ? { target: command.spec.target } : {}),
      ...(command.spec.protocol ? { protocol: command.spec.protocol } : {}),
    });
    switch (letter) {
      case 'A':
      case 'I':
      case 'R': {
        const chain = chainArg && chainOf(table, chainArg);
        if (!chain) return;
        const rule = makeRule(chain.name, letter);
        if (letter === 'A') chain.rules.push(rule);
        else if (letter === 'I') {
          const at = (command.rulenum ?? 1) - 1;
          if (at > chain.rules.length) problem(command.written.range, 'iptables.bad-rule-number', `Index of insertion too big: chain ${chain.name} has ${chain.rules.length} rules at this point`);
          else chain.rules.splice(at, 0, rule);
        } else {
          const at = (command.rulenum ?? 0) - 1;
          if (at < 0 || at >= chain.rules.length) problem(command.written.range, 'iptables.bad-rule-number', `Index of replacement too big: chain ${chain.name} has ${chain.rules.length} rules at this point`);
          else chain.rules[at] = rule;
        }
        return;
      }
      case 'D': {
        const chain = chainArg && chainOf(table, chainArg);
        if (!chain) return;
        if (command.rulenum !== undefined) {
          if (command.rulenum > chain.rules.length) problem(command.written.range, 'iptables.bad-rule-number', `Index of deletion too big: chain ${chain.name} has ${chain.rules.length} rules at this point`);
          else chain.rules.splice(command.rulenum - 1, 1);
        } else {
          const key = ruleKey(makeRule(chain.name, 'A'));
          const at = chain.rules.findIndex((r) => ruleKey(r) === key);
          if (at < 0) problem(range, 'iptables.no-such-rule', `Bad rule (does a matching rule exist in chain ${chain.name}?)`);
          else chain.rules.splice(at, 1);
        }
        return;
      }
      case 'N': {
        if (!chainArg || !validChainName(chainArg.text, chainArg.range)) return;
        if (table.chains.has(chainArg.text)) {
          problem(chainArg.range, 'iptables.duplicate-chain', `Chain ${chainArg.text} already exists in table ${table.name}`);
          return;
        }
        table.chains.set(chainArg.text, { table: table.name, name: chainArg.text, builtin: false, rules: [], declaration: { line, range, nameRange: chainArg.range } });
        return;
      }
      case 'X': {
        const targets = chainArg ? [chainOf(table, chainArg)].filter((c): c is Chain => c !== undefined) : [...table.chains.values()].filter((c) => !c.builtin);
        for (const chain of targets) {
          if (chain.builtin) {
            problem(chainArg!.range, 'iptables.builtin-chain', `Chain ${chain.name} is built in: it cannot be deleted`);
            continue;
          }
          table.chains.delete(chain.name);
        }
        return;
      }
      case 'F': {
        const targets = chainArg ? [chainOf(table, chainArg)] : [...table.chains.values()];
        for (const chain of targets) if (chain) chain.rules = [];
        return;
      }
      case 'P': {
        const chain = chainArg && chainOf(table, chainArg);
        if (!chain || !command.operand) return;
        if (!chain.builtin) problem(chainArg!.range, 'iptables.policy-on-user-chain', `${chain.name} is a user-defined chain: only built-in chains have a policy`);
        else if (!POLICIES.includes(command.operand.text)) problem(command.operand.range, 'iptables.bad-policy', `Bad policy name \`${command.operand.text}': ACCEPT or DROP`);
        else chain.policy = command.operand.text;
        return;
      }
      case 'E': {
        const chain = chainArg && chainOf(table, chainArg);
        if (!chain || !command.operand) return;
        if (chain.builtin) {
          problem(chainArg!.range, 'iptables.builtin-chain', `Chain ${chain.name} is built in: it cannot be renamed`);
          return;
        }
        if (!validChainName(command.operand.text, command.operand.range)) return;
        table.chains.delete(chain.name);
        chain.name = command.operand.text;
        for (const r of chain.rules) r.chain = chain.name;
        table.chains.set(chain.name, chain);
        return;
      }
      case 'Z':
      case 'C':
        if (chainArg) chainOf(table, chainArg);
        return;
      case 'L':
      case 'S':
        problem(command.written.range, 'iptables.list-in-restore', `-${letter} lists rules; it has no place in a dump`, 'warning');
        return;
    }
  }

  const ruleset: IptablesRuleset = { family, tables, references: [], problems, lineCount: lines.length };
  for (const t of tables) for (const chain of t.chains.values()) chain.rules.forEach((r, k) => (r.index = k + 1));
  checkRuleset(ruleset);
  problems.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return ruleset;
}

/** A rule's identity for `-D chain rule-spec`: its options as written, in order. */
function ruleKey(rule: Rule): string {
  const opt = (o: { negated: boolean; name: string; args: Arg[] }) => `${o.negated ? '!' : ''}${o.name}=${o.args.map((a) => a.text).join(' ')}`;
  return [
    ...rule.basic.map(opt),
    ...rule.matches.map((m) => `m:${m.module}(${m.options.map(opt).join(',')})`),
    rule.target ? `j:${rule.target.name}(${rule.target.options.map(opt).join(',')})` : '',
  ].join(' ');
}

/**
 * The header names the tool (`# Generated by ip6tables-save`); without one, the addresses tell:
 * an IPv6 address in -s/-d makes it an ip6tables dump.
 */
function detectFamily(lines: readonly string[]): Family {
  for (let i = 0; i < Math.min(lines.length, 20); i++) {
    if (/^#.*ip6tables(-legacy|-nft)?-save/.test(lines[i])) return 'ipv6';
    if (/^#.*iptables(-legacy|-nft)?-save/.test(lines[i])) return 'ipv4';
  }
  const address = /(?:^|[ \t])(?:-[sd]|--(?:source|destination|src|dst))[ \t]+(?:![ \t]+)?([^ \t]+)/;
  for (const line of lines) {
    const m = address.exec(line);
    if (!m) continue;
    if (m[1].includes(':')) return 'ipv6';
    if (/^\d+\.\d+\.\d+\.\d+/.test(m[1])) return 'ipv4';
  }
  return 'ipv4';
}
