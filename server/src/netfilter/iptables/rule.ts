/**
 * Rules as a ruleset keeps them. A kube-proxy dump holds 100k rules, each read into ~40 objects
 * (options, arguments, typed values, ranges) that only hovers, the outline and the evaluator look
 * at: kept for every rule, they made the model ten times the size of the file and the parse
 * mostly garbage collection. So a rule is one object holding what the whole-ruleset passes use
 * (chain, line, target, protocol, counters) and where its line is; its options are read again
 * from the line, with the same grammar and interpreter, the first time they are asked for.
 */
import { endColumn, lineRange, startColumn, type Range } from '../../core/text';
import type { Family, TargetSpec } from '../../knowledge/xtables/types';
import { interpretCommand, type RuleSpec } from './interpret';
import { parseDumpLine, type Span } from './lineGrammar';
import type { Counters, MatchUse, OptionUse, Rule, TableName, TargetUse } from './model';

/** A rule's options as the interpreter reads them. */
export type RuleOptions = Pick<RuleSpec, 'basic' | 'matches' | 'target'>;

/** The document the rules were read from, shared by its rules. */
export interface RuleSource {
  text: string;
  family: Family;
}

/** Where a rule is: its chain, its line, the columns of the command and of its chain operand. */
export interface RulePlace {
  table: TableName;
  chain: string;
  line: number;
  /** Offsets of the line in the source text. */
  lineStart: number;
  lineEnd: number;
  span: Span;
  chainSpan: Span;
  command: Rule['command'];
  counters: Counters | undefined;
  protocol: Rule['protocol'];
}

export class DumpRule implements Rule {
  readonly table: TableName;
  chain: string;
  index = 0;
  readonly line: number;
  readonly command: Rule['command'];
  readonly counters: Counters | undefined;
  readonly protocol: { name: string; negated: boolean } | undefined;
  // Numbers rather than objects where possible, and private fields, which stay out of JSON and
  // deep comparisons.
  readonly #start: number;
  readonly #end: number;
  readonly #chainStart: number;
  readonly #chainEnd: number;
  readonly #source: RuleSource;
  readonly #lineStart: number;
  readonly #lineEnd: number;
  /** The target, when there is one: its name, spec, kind, `-g` and the columns of its name. */
  #targetName: string | undefined;
  readonly #targetSpec: TargetSpec | undefined;
  readonly #targetKind: TargetUse['kind'];
  readonly #goto: boolean;
  readonly #nameStart: number;
  readonly #nameEnd: number;
  #options: RuleOptions | undefined;

  /** `spec` is the interpreter's reading of the rule's line; only the target's summary is kept. */
  constructor(place: RulePlace, spec: RuleSpec, source: RuleSource) {
    this.table = place.table;
    this.chain = place.chain;
    this.line = place.line;
    this.command = place.command;
    this.counters = place.counters;
    this.protocol = place.protocol;
    this.#start = place.span.start;
    this.#end = place.span.end;
    this.#chainStart = place.chainSpan.start;
    this.#chainEnd = place.chainSpan.end;
    this.#source = source;
    this.#lineStart = place.lineStart;
    this.#lineEnd = place.lineEnd;
    const t = spec.target;
    // Extensions share their name string with the tables; a jump shares its chain's name once the
    // jump graph has found the chain (shareTargetName).
    this.#targetName = t && (t.spec?.name ?? t.name);
    this.#targetSpec = t?.spec;
    this.#targetKind = t?.kind ?? 'verdict';
    this.#goto = t?.goto ?? false;
    this.#nameStart = t ? startColumn(t.nameRange) : 0;
    this.#nameEnd = t ? endColumn(t.nameRange) : 0;
  }

  get range(): Range {
    return lineRange(this.line, this.#start, this.#end);
  }

  get chainRange(): Range {
    return lineRange(this.line, this.#chainStart, this.#chainEnd);
  }

  /** The chain `-j/-g` names, if the target is a chain: for passes over every rule, without a view. */
  get jumpTarget(): string | undefined {
    return this.#targetKind === 'chain' ? this.#targetName : undefined;
  }

  /** The target's name and spec, for passes over every rule, without a view. */
  get targetName(): string | undefined {
    return this.#targetName;
  }

  get targetSpec(): TargetSpec | undefined {
    return this.#targetSpec;
  }

  /** Keeps `name`, an equal string held elsewhere (the chain's own name), instead of the rule's copy. */
  shareTargetName(name: string): void {
    if (name === this.#targetName) this.#targetName = name;
  }

  /** A view of the target, made at each call: its options are the rule's to read. */
  get target(): TargetUse | undefined {
    const name = this.#targetName;
    return name === undefined ? undefined : new RuleTarget(this, name, this.#goto, this.#targetSpec, this.#targetKind, this.#nameStart, this.#nameEnd);
  }

  get basic(): OptionUse[] {
    return this.options().basic;
  }

  get matches(): MatchUse[] {
    return this.options().matches;
  }

  /** The options, read from the line once and kept. */
  options(): RuleOptions {
    return (this.#options ??= this.readOptions());
  }

  /** The options without keeping them: for passes over every rule (the outline, a check). */
  readOptions(): RuleOptions {
    if (this.#options) return this.#options;
    const node = parseDumpLine(this.#source.text.slice(this.#lineStart, this.#lineEnd));
    const command = node.kind === 'command' ? interpretCommand(node.args, { family: this.#source.family, line: this.line, problems: [] }) : undefined;
    // The line was read this way when the rule was made: the same text reads the same again.
    if (!command) throw new Error(`line ${this.line + 1} no longer reads as a rule`);
    return command.spec;
  }
}

class RuleTarget implements TargetUse {
  readonly #rule: DumpRule;
  readonly #nameStart: number;
  readonly #nameEnd: number;

  constructor(
    rule: DumpRule,
    readonly name: string,
    readonly goto: boolean,
    readonly spec: TargetSpec | undefined,
    readonly kind: TargetUse['kind'],
    nameStart: number,
    nameEnd: number,
  ) {
    this.#rule = rule;
    this.#nameStart = nameStart;
    this.#nameEnd = nameEnd;
  }

  get nameRange(): Range {
    return lineRange(this.#rule.line, this.#nameStart, this.#nameEnd);
  }

  get range(): Range {
    return this.#read().range;
  }

  get options(): OptionUse[] {
    return this.#read().options;
  }

  #read(): TargetUse {
    return this.#rule.options().target!;
  }
}

/** A rule's options for a one-off look: not kept on the rule when it has to read them. */
export function ruleOptions(rule: Rule): RuleOptions {
  return rule instanceof DumpRule ? rule.readOptions() : rule;
}
