import type { Severity } from '../../core/finding';
import type { Range } from '../../core/text';
import type { ArgValue, Family, ModuleSpec, OptionSpec, Table as TableName, TargetSpec } from '../../knowledge/xtables/types';

export type { TableName };

/** A problem found while reading the dump: what iptables-restore would reject, or worth a look. */
export interface Problem {
  range: Range;
  severity: Severity;
  /** Stable, e.g. `iptables.unknown-option`. */
  code: string;
  message: string;
}

/** An argument as written, with the text iptables sees after unquoting. */
export interface Arg {
  text: string;
  range: Range;
  quoted: boolean;
}

/** One option with its arguments: `! --mark 0x8000/0x8000`, `-s 10.0.0.0/8`. */
export interface OptionUse {
  /** Canonical long name, without dashes (`source`, `mark`, `dport`). */
  name: string;
  /** As written (`-s`, `--dport`, `--destination-port`). */
  written: string;
  negated: boolean;
  args: Arg[];
  /** Typed argument values (absent where an argument was invalid). */
  values: ArgValue[];
  /** From the `!` (or the option) to the last argument. */
  range: Range;
  spec?: OptionSpec;
}

/** `-m NAME` and its options; implicit for protocol matches loaded by `-p tcp --dport`. */
export interface MatchUse {
  module: string;
  /** The `-m NAME` words; undefined for a match loaded implicitly by `-p`. */
  nameRange?: Range;
  range: Range;
  options: OptionUse[];
  spec?: ModuleSpec;
}

export interface TargetUse {
  name: string;
  /** `-g` (goto) instead of `-j` (jump). */
  goto: boolean;
  nameRange: Range;
  range: Range;
  options: OptionUse[];
  spec?: TargetSpec;
  /** A standard verdict (ACCEPT, DROP, QUEUE, RETURN), an extension, or a user chain. */
  kind: 'verdict' | 'extension' | 'chain';
}

export interface Counters {
  packets: bigint;
  bytes: bigint;
  range: Range;
}

/**
 * A rule of the ruleset. Rules made by the parser (rule.ts) keep little: they read `basic`,
 * `matches` and the target's `options` and `range` from their line the first time one is asked
 * for, and keep them (a pass over every rule that needs them once should use ruleOptions()
 * instead); `range`, `chainRange` and `target` are made at each read, so compare their contents,
 * not the objects.
 */
export interface Rule {
  table: TableName;
  chain: string;
  /** 1-based position in its chain once every command of the dump has been applied. */
  index: number;
  /** 0-based document line. */
  line: number;
  range: Range;
  command: 'A' | 'I' | 'R';
  /** The chain operand of the command (`-A CHAIN`). */
  chainRange: Range;
  counters?: Counters;
  /** The built-in matches: `-s`, `-d`, `-p`, `-i`, `-o`, `-f`. */
  basic: OptionUse[];
  matches: MatchUse[];
  target?: TargetUse;
  /** Protocol given with `-p`, lowercased (`tcp`, `6` stays `6`). */
  protocol?: { name: string; negated: boolean };
}

export interface Chain {
  table: TableName;
  name: string;
  builtin: boolean;
  /** ACCEPT or DROP for built-in chains. */
  policy?: string;
  counters?: Counters;
  /** Where it is declared (`:NAME ...` or `-N NAME`); undefined for built-ins never declared. */
  declaration?: { line: number; range: Range; nameRange: Range };
  rules: Rule[];
}

export interface Table {
  name: TableName;
  /** The `*name` line. */
  line: number;
  range: Range;
  /** The COMMIT line, if any. */
  commitLine?: number;
  /** Last line that belongs to the table (COMMIT or the line before the next table). */
  endLine: number;
  chains: Map<string, Chain>;
}

/** Where a chain name is used as a jump/goto target. */
export interface ChainReference {
  table: TableName;
  chain: string;
  rule: Rule;
  range: Range;
}

export interface IptablesRuleset {
  family: Family;
  tables: Table[];
  /** Every `-j/-g CHAIN` to a user chain (made when first asked for). */
  references: ChainReference[];
  problems: Problem[];
  lineCount: number;
}
