/**
 * An iptables-save dump read the way iptables-restore reads it: line by line, tables opened by
 * `*name` and closed by COMMIT, chains declared by `:NAME POLICY [p:b]`, and every command
 * (-A, -I, -D, -R, -N, -X, -F, -Z, -P, -E) applied in order, so rule numbers are the kernel's.
 */
import { lineOffsets, lineRange, type Range } from '../../core/text';
import { builtinChains, standardVerdicts, findTarget } from '../../knowledge/xtables';
import type { Family } from '../../knowledge/xtables/types';
import { interpretCommand, type ArgToken, type Command } from './interpret';
import { parseDumpLine, parseDumpLines, type DumpLine, type LineCounters, type Span } from './lineGrammar';
import type { Chain, ChainReference, Counters, IptablesRuleset, OptionUse, Problem, Rule, Table, TableName } from './model';
import type { JumpGraph } from './jumpGraph';
import { CountersAt, Declaration } from './spans';
import { DumpRule, ruleOptions, type RuleOptions, type RuleSource } from './rule';
import { checkRuleset } from './checks';
import { RuleFacts } from './facts';

export interface ParseOptions {
  /** Overrides the family read from the header or the addresses. */
  family?: Family;
  /**
   * Parsed lines by text, kept by the caller between edits. While it is empty the document is
   * read in one grammar call, which fills it; after that only lines it lacks are parsed.
   */
  cache?: Map<string, DumpLine>;
}

const tableNames: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter', 'security'];
/** The kernel's limit: XT_EXTENSION_MAXNAMELEN (29) including the terminating NUL. */
const MAX_CHAIN_NAME = 28;
const POLICIES = ['ACCEPT', 'DROP'];

export function parseIptablesSave(text: string, options: ParseOptions = {}): IptablesRuleset {
  const reader = new DumpReader({ text, family: options.family ?? detectFamily(text) });
  const cache = options.cache;
  let line = 0;
  if (cache?.size) {
    for (const [start, end] of lineOffsets(text)) reader.read(parseDumpLine(text.slice(start, end), cache), start, end, line++);
  } else {
    parseDumpLines(text, (node, start, end) => {
      cache?.set(text.slice(start, end), node);
      reader.read(node, start, end, line++);
    });
  }
  return reader.finish();
}

/** The ruleset of a dump; its chain references are made from the jump graphs when first asked for. */
class DumpRuleset implements IptablesRuleset {
  #references: ChainReference[] | undefined;
  readonly #graphs: readonly JumpGraph[];

  constructor(
    readonly family: Family,
    readonly tables: Table[],
    readonly problems: Problem[],
    readonly lineCount: number,
    graphs: readonly JumpGraph[],
  ) {
    this.#graphs = graphs;
  }

  get references(): ChainReference[] {
    return (this.#references ??= this.#graphs.flatMap((g) => g.rules.map((_, j) => g.reference(j))));
  }
}

/** Applies the lines of a dump in order; nothing of a line's parse outlives it but the model. */
class DumpReader {
  private readonly problems: Problem[] = [];
  private readonly tables: Table[] = [];
  private readonly facts = new RuleFacts();
  private table: Table | undefined;
  /** Inside `*unknown` ... COMMIT: iptables-restore has already failed; its lines are not checked again. */
  private skipping = false;
  private lineCount = 0;
  private readonly protocols = new Map<string, { name: string; negated: boolean }>();
  private readonly negatedProtocols = new Map<string, { name: string; negated: boolean }>();
  /** The chain the last command named in the current table (renames keep it right; deletions forget it). */
  private lastChain: Chain | undefined;

  constructor(private readonly source: RuleSource) {}

  /** Applies one line: its node, its offsets in the source, its number. */
  read(node: DumpLine, start: number, end: number, line: number): void {
    this.lineCount = line + 1;
    if (this.skipping && node.kind !== 'table') {
      if (node.kind === 'commit') this.skipping = false;
      return;
    }
    const table = this.table;
    switch (node.kind) {
      case 'comment':
        return;
      case 'table': {
        this.skipping = false;
        if (table && table.commitLine === undefined) {
          this.problem(rangeOf(line, node.span), 'iptables.missing-commit', `COMMIT expected before this line: table ${table.name} (line ${table.line + 1}) was never committed, so iptables-restore applies none of it`);
        }
        const nameRange = rangeOf(line, node.nameSpan);
        if (!(tableNames as readonly string[]).includes(node.name)) {
          this.problem(node.name ? nameRange : rangeOf(line, node.span), 'iptables.unknown-table', node.name ? `Can't initialize iptables table \`${node.name}': Table does not exist (the tables are ${tableNames.join(', ')})` : 'A table name is missing after `*`');
          this.table = undefined;
          this.skipping = true;
          return;
        }
        if (node.rest.trim()) this.problem(rangeOf(line, { start: node.nameSpan.end, end: node.span.end }), 'iptables.trailing-text', `iptables-restore ignores everything after the table name`, 'warning');
        this.table = newTable(node.name as TableName, line, rangeOf(line, node.span));
        this.lastChain = undefined;
        this.tables.push(this.table);
        return;
      }
      case 'chain': {
        if (!table || table.commitLine !== undefined) {
          this.problem(rangeOf(line, node.span), 'iptables.outside-table', 'Chain declaration outside a table: a `*filter` (or other table) line must come first');
          return;
        }
        this.declareChain(table, node, line);
        return;
      }
      case 'commit': {
        if (!table || table.commitLine !== undefined) {
          this.problem(rangeOf(line, node.span), 'iptables.outside-table', 'COMMIT without an open table');
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
          this.problem(rangeOf(line, node.span), 'iptables.not-a-dump-line', `Not a line of an iptables-save dump (a shell prompt or prose?): iptables-restore would reject it.`);
          return;
        }
        if (!table || table.commitLine !== undefined) {
          this.problem(rangeOf(line, node.span), 'iptables.outside-table', 'Rule outside a table: a `*filter` (or other table) line must come first, and COMMIT ends a table');
          return;
        }
        table.endLine = line;
        this.runCommand(table, node, start, end, line);
        return;
      }
    }
  }

  finish(): IptablesRuleset {
    const table = this.table;
    if (table && table.commitLine === undefined) {
      this.problem(table.range, 'iptables.missing-commit', `Table ${table.name} has no COMMIT: iptables-restore applies none of it`);
      table.endLine = this.lineCount - 1;
    }
    for (const t of this.tables) for (const chain of t.chains.values()) chain.rules.forEach((r, k) => (r.index = k + 1));
    const graphs = checkRuleset(this.tables, this.facts, this.problems);
    this.problems.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
    return new DumpRuleset(this.source.family, this.tables, this.problems, this.lineCount, graphs);
  }

  /** Rules share their protocol object: a dump names a few protocols a hundred thousand times. */
  private protocol(p: { name: string; negated: boolean }): { name: string; negated: boolean } {
    const protocols = p.negated ? this.negatedProtocols : this.protocols;
    const known = protocols.get(p.name);
    if (known) return known;
    protocols.set(p.name, p);
    return p;
  }

  private problem(range: Range, code: string, message: string, severity: Problem['severity'] = 'error'): void {
    this.problems.push({ range, severity, code, message });
  }

  private declareChain(table: Table, node: Extract<DumpLine, { kind: 'chain' }>, line: number): void {
    const nameRange = () => rangeOf(line, node.name.span);
    const name = node.name.text;
    const builtin = builtinChains[table.name].includes(name);
    const existing = table.chains.get(name);
    if (!this.validChainName(name, nameRange)) return;
    if (!node.policy) {
      this.problem(rangeOf(line, node.span), 'iptables.missing-policy', `Unable to parse policy of chain ${name}: the declaration is \`:${name} POLICY [packets:bytes]\`, with \`-\` as the policy of a user chain`);
      return;
    }
    const policy = node.policy.text;
    const policyRange = () => rangeOf(line, node.policy!.span);
    if (builtin) {
      if (existing?.declaration) this.problem(nameRange(), 'iptables.duplicate-chain', `Chain ${name} is declared twice in table ${table.name} (first on line ${existing.declaration.line + 1})`);
      if (policy !== '-' && !POLICIES.includes(policy)) this.problem(policyRange(), 'iptables.bad-policy', `Bad policy name \`${policy}': a built-in chain's policy is ACCEPT or DROP`);
    } else {
      // iptables-nft-restore takes both of these silently; iptables-legacy-restore fails on them.
      if (existing) {
        this.problem(nameRange(), 'iptables.duplicate-chain', `Chain ${name} is declared twice in table ${table.name} (first on line ${(existing.declaration?.line ?? 0) + 1}): iptables-legacy-restore rejects this (File exists), iptables-nft-restore ignores it`, 'warning');
        return;
      }
      if (policy !== '-') {
        const what = builtinChainElsewhere(name)
          ? `${name} is not a built-in chain of table ${table.name} (it has ${builtinChains[table.name].join(', ')})`
          : `${name} is a user-defined chain`;
        this.problem(policyRange(), 'iptables.policy-on-user-chain', `${what}: it has no policy, write \`-\`. iptables-legacy-restore rejects this (Bad built-in chain name); iptables-nft-restore creates the chain and ignores the policy`, 'warning');
      }
    }
    const counters = this.readCounters(node.counters, line);
    const chain: Chain = existing ?? { table: table.name, name, builtin, rules: [] };
    if (builtin && POLICIES.includes(policy)) chain.policy = policy;
    if (counters) chain.counters = counters;
    chain.declaration = new Declaration(line, node.span, node.name.span);
    table.chains.set(name, chain);
    if (node.rest.trim()) this.problem(rangeOf(line, { start: node.span.end - node.rest.length, end: node.span.end }), 'iptables.trailing-text', 'iptables-restore ignores everything after the counters', 'warning');
  }

  /** `range` is made only for a diagnostic. */
  private validChainName(name: string, range: () => Range): boolean {
    if (name.length > MAX_CHAIN_NAME) {
      this.problem(range(), 'iptables.chain-name-too-long', `chain name \`${name}' too long (must be under ${MAX_CHAIN_NAME + 1} chars)`);
      return false;
    }
    if (name.startsWith('-') || name.startsWith('!')) {
      this.problem(range(), 'iptables.bad-chain-name', `Invalid chain name \`${name}'`);
      return false;
    }
    if (standardVerdicts.includes(name) || findTarget(name)) {
      this.problem(range(), 'iptables.bad-chain-name', `chain name \`${name}' is the name of a target`);
      return false;
    }
    return true;
  }

  private readCounters(counters: LineCounters | null, line: number): Counters | undefined {
    if (!counters) return undefined;
    if (counters.invalid !== undefined || counters.packets === undefined || counters.bytes === undefined) {
      this.problem(rangeOf(line, counters.span), 'iptables.bad-counters', `invalid counters \`[${counters.invalid ?? ''}]': expected [packets:bytes]`);
      return undefined;
    }
    return new CountersAt(count(counters.packets), count(counters.bytes), line, counters.span);
  }

  private runCommand(table: Table, node: Extract<DumpLine, { kind: 'command' }>, lineStart: number, lineEnd: number, line: number): void {
    for (const a of node.args) {
      const text = a.text;
      if (a.unterminated) {
        this.problem(rangeOf(line, a), 'iptables.unterminated-quote', 'Unterminated quote: iptables takes the rest of the line as this one argument; the closing `"` is probably missing', 'warning');
      }
      if (!text.startsWith('-')) continue;
      if (!a.quoted && text.length > 1 && text[1] !== '-' && text.includes('t')) {
        this.problem(rangeOf(line, a), 'iptables.table-option', `The -t option cannot be used in iptables-restore: the table comes from the \`*${table.name}\` line`);
        return;
      }
      if (text.startsWith('--t') && isTableOption(text)) {
        this.problem(rangeOf(line, a), 'iptables.table-option', `The --table option cannot be used in iptables-restore: the table comes from the \`*${table.name}\` line`);
        return;
      }
    }
    const counters = this.readCounters(node.counters, line);
    const command = interpretCommand(node.args, { family: this.source.family, line, problems: this.problems });
    if (!command) return;
    this.applyCommand(table, command, counters ?? command.spec.counters, { line, lineStart, lineEnd, span: node.span });
  }

  private chainOf(table: Table, arg: ArgToken): Chain | undefined {
    // Dumps list each chain's rules together: most lines name the chain of the line before.
    if (this.lastChain?.name === arg.text) return this.lastChain;
    const chain = table.chains.get(arg.text);
    this.lastChain = chain;
    if (!chain) this.problem(arg.range, 'iptables.undefined-chain', `Chain ${arg.text} does not exist in table ${table.name}: declare it first with \`:${arg.text} - [0:0]\``);
    return chain;
  }

  private applyCommand(table: Table, command: Command, counters: Counters | undefined, where: { line: number; lineStart: number; lineEnd: number; span: Span }): void {
    const { letter, chain: chainArg } = command;
    const { line } = where;
    const makeRule = (chain: Chain, op: Rule['command']): Rule => {
      const name = chain.name;
      const { spec } = command;
      const protocol = spec.protocol && this.protocol(spec.protocol);
      const place = { table: table.name, chain: name, line, lineStart: where.lineStart, lineEnd: where.lineEnd, span: where.span, chainSpan: chainArg!, command: op, counters, protocol };
      const rule = new DumpRule(place, spec, this.source);
      this.facts.add(rule, spec, chain);
      return rule;
    };
    switch (letter) {
      case 'A':
      case 'I':
      case 'R': {
        const chain = chainArg && this.chainOf(table, chainArg);
        if (!chain) return;
        if (letter === 'A') chain.rules.push(makeRule(chain, letter));
        else if (letter === 'I') {
          const at = (command.rulenum ?? 1) - 1;
          if (at > chain.rules.length) this.problem(command.written.range, 'iptables.bad-rule-number', `Index of insertion too big: chain ${chain.name} has ${chain.rules.length} rules at this point`);
          else chain.rules.splice(at, 0, makeRule(chain, letter));
        } else {
          const at = (command.rulenum ?? 0) - 1;
          if (at < 0 || at >= chain.rules.length) this.problem(command.written.range, 'iptables.bad-rule-number', `Index of replacement too big: chain ${chain.name} has ${chain.rules.length} rules at this point`);
          else chain.rules[at] = makeRule(chain, letter);
        }
        return;
      }
      case 'D': {
        const chain = chainArg && this.chainOf(table, chainArg);
        if (!chain) return;
        if (command.rulenum !== undefined) {
          if (command.rulenum > chain.rules.length) this.problem(command.written.range, 'iptables.bad-rule-number', `Index of deletion too big: chain ${chain.name} has ${chain.rules.length} rules at this point`);
          else chain.rules.splice(command.rulenum - 1, 1);
        } else {
          const key = ruleKey(command.spec);
          const at = chain.rules.findIndex((r) => ruleKey(ruleOptions(r)) === key);
          if (at < 0) this.problem(rangeOf(line, where.span), 'iptables.no-such-rule', `Bad rule (does a matching rule exist in chain ${chain.name}?)`);
          else chain.rules.splice(at, 1);
        }
        return;
      }
      case 'N': {
        if (!chainArg || !this.validChainName(chainArg.text, () => chainArg.range)) return;
        if (table.chains.has(chainArg.text)) {
          this.problem(chainArg.range, 'iptables.duplicate-chain', `Chain ${chainArg.text} already exists in table ${table.name}`);
          return;
        }
        table.chains.set(chainArg.text, { table: table.name, name: chainArg.text, builtin: false, rules: [], declaration: new Declaration(line, where.span, chainArg) });
        return;
      }
      case 'X': {
        const targets = chainArg ? [this.chainOf(table, chainArg)].filter((c): c is Chain => c !== undefined) : [...table.chains.values()].filter((c) => !c.builtin);
        for (const chain of targets) {
          if (chain.builtin) {
            this.problem(chainArg!.range, 'iptables.builtin-chain', `Chain ${chain.name} is built in: it cannot be deleted`);
            continue;
          }
          table.chains.delete(chain.name);
        }
        this.lastChain = undefined;
        return;
      }
      case 'F': {
        const targets = chainArg ? [this.chainOf(table, chainArg)] : [...table.chains.values()];
        for (const chain of targets) if (chain) chain.rules = [];
        return;
      }
      case 'P': {
        const chain = chainArg && this.chainOf(table, chainArg);
        if (!chain || !command.operand) return;
        if (!chain.builtin) this.problem(chainArg!.range, 'iptables.policy-on-user-chain', `${chain.name} is a user-defined chain: only built-in chains have a policy`);
        else if (!POLICIES.includes(command.operand.text)) this.problem(command.operand.range, 'iptables.bad-policy', `Bad policy name \`${command.operand.text}': ACCEPT or DROP`);
        else chain.policy = command.operand.text;
        return;
      }
      case 'E': {
        const chain = chainArg && this.chainOf(table, chainArg);
        if (!chain || !command.operand) return;
        if (chain.builtin) {
          this.problem(chainArg!.range, 'iptables.builtin-chain', `Chain ${chain.name} is built in: it cannot be renamed`);
          return;
        }
        const operand = command.operand;
        if (!this.validChainName(operand.text, () => operand.range)) return;
        table.chains.delete(chain.name);
        chain.name = operand.text;
        for (const r of chain.rules) r.chain = chain.name;
        table.chains.set(chain.name, chain);
        return;
      }
      case 'Z':
      case 'C':
        if (chainArg) this.chainOf(table, chainArg);
        return;
      case 'L':
      case 'S':
        this.problem(command.written.range, 'iptables.list-in-restore', `-${letter} lists rules; it has no place in a dump`, 'warning');
        return;
    }
  }
}

function rangeOf(line: number, span: Span): Range {
  return lineRange(line, span.start, span.end);
}

/** `--t`, `--ta`, ... `--table`, with or without `=value`: getopt's abbreviations of --table. */
function isTableOption(text: string): boolean {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text.slice(2) : text.slice(2, eq);
  return 'table'.startsWith(name);
}

/** Most counters in a dump are zero: they share one bigint. */
function count(digits: string): bigint {
  return digits === '0' ? 0n : BigInt(digits);
}

function newTable(name: TableName, line: number, range: Range): Table {
  const chains = new Map<string, Chain>();
  for (const chain of builtinChains[name]) chains.set(chain, { table: name, name: chain, builtin: true, policy: 'ACCEPT', rules: [] });
  return { name, line, range, endLine: line, chains };
}

function builtinChainElsewhere(name: string): boolean {
  return tableNames.some((t) => builtinChains[t].includes(name));
}

/** A rule's identity for `-D chain rule-spec`: its options as written, in order. */
function ruleKey(rule: RuleOptions): string {
  const opt = (o: OptionUse) => `${o.negated ? '!' : ''}${o.name}=${o.args.map((a) => a.text).join(' ')}`;
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
function detectFamily(text: string): Family {
  let n = 0;
  for (const [start, end] of lineOffsets(text)) {
    if (n++ === 20) break;
    const line = text.slice(start, end);
    if (/^#.*ip6tables(-legacy|-nft)?-save/.test(line)) return 'ipv6';
    if (/^#.*iptables(-legacy|-nft)?-save/.test(line)) return 'ipv4';
  }
  const address = /(?:^|[ \t])(?:-[sd]|--(?:source|destination|src|dst))[ \t]+(?:![ \t]+)?([^ \t]+)/;
  for (const [start, end] of lineOffsets(text)) {
    const m = address.exec(text.slice(start, end));
    if (!m) continue;
    if (m[1].includes(':')) return 'ipv6';
    if (/^\d+\.\d+\.\d+\.\d+/.test(m[1])) return 'ipv4';
  }
  return 'ipv4';
}
