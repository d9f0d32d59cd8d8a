/**
 * Rules as a ruleset keeps them. A kube-proxy dump holds 100k rules (700k in the big ones), each
 * read into ~40 objects (options, arguments, typed values, ranges) that only hovers, the outline
 * and the evaluator look at: kept for every rule, they made the model ten times the size of the
 * file and the parse mostly garbage collection. So a rule is one small object holding what the
 * whole-ruleset passes use and where its line starts; its options are read again from the line,
 * with the same grammar and interpreter, the first time they are asked for. Its table and chain
 * name are its chain's (so `-E` renames reach them), its six columns are packed three to a number,
 * its command, target kind, `-g` and protocol share one number, and what few rules have
 * (counters, kept options, columns too wide to pack) sits in one object made for them: 96 bytes
 * a rule (192 as plain fields), V8 keeping small integers in the object itself.
 */
import { lineRange, type Range } from '../../core/text';
import type { Family, TargetSpec } from '../../knowledge/xtables/types';
import type { DumpChain } from './chain';
import { interpretCommand, type RuleSpec } from './interpret';
import { parseDumpLine, type Span } from './lineGrammar';
import type { Counters, MatchUse, OptionUse, Rule, TableName, TargetUse } from './model';

/** A rule's options as the interpreter reads them. */
export type RuleOptions = Pick<RuleSpec, 'basic' | 'matches' | 'target'>;

type Protocol = { name: string; negated: boolean };

const LF = 10;
const CR = 13;

/**
 * The document the rules were read from, shared by its rules through their chains: where their
 * lines are read again (a text in memory, or a file: dumpFile.ts), its family, and the protocols
 * its rules name (a dump names a few a hundred thousand times; a rule keeps the protocol's number).
 */
export abstract class DumpSource {
  readonly #protocols: Protocol[] = [];
  readonly #numbers = new Map<string, number>();

  constructor(readonly family: Family) {}

  /** The text of the line that starts at offset `start`, without its terminator. */
  abstract lineText(start: number): string;

  /** The number of `protocol`, from 1; equal protocols share a number and one object. */
  protocolNumber(protocol: Protocol): number {
    const key = protocol.negated ? `!${protocol.name}` : protocol.name;
    let n = this.#numbers.get(key);
    if (n === undefined) {
      n = this.#protocols.push(protocol);
      this.#numbers.set(key, n);
    }
    return n;
  }

  protocol(n: number): Protocol {
    return this.#protocols[n - 1];
  }
}

/** A document held as one string (the editor's): offsets are its character offsets. */
export class TextSource extends DumpSource {
  constructor(
    readonly text: string,
    family: Family,
  ) {
    super(family);
  }

  /** Lines end at LF, CRLF or a lone CR, as splitLines() cuts them. */
  lineText(start: number): string {
    const text = this.text;
    let end = start;
    for (; end < text.length; end++) {
      const c = text.charCodeAt(end);
      if (c === LF || c === CR) break;
    }
    return text.slice(start, end);
  }
}

/** Where a rule is: its line, the columns of the command and of its chain operand. */
export interface RulePlace {
  line: number;
  /** Offset of the line in its source (DumpSource.lineText). */
  lineStart: number;
  span: Span;
  chainSpan: Span;
  command: Rule['command'];
  counters: Counters | undefined;
  protocol: Protocol | undefined;
  /** The target's name as its chain holds it, when the target is a chain of the table. */
  targetName?: string;
}

// One number for what every rule has a little of: its command, its target's kind, `-g`, whether
// its columns sit in RuleExtras, and its protocol's number in its source (0: none).
const COMMANDS: readonly Rule['command'][] = ['A', 'I', 'R'];
const KINDS: readonly TargetUse['kind'][] = ['verdict', 'extension', 'chain'];
const KIND_SHIFT = 2;
const GOTO = 1 << 4;
const WIDE = 1 << 5;
const PROTOCOL_SHIFT = 6;
/** Protocol numbers that fit in the bits: a dump names a handful, a hostile one more (RuleExtras). */
const PROTOCOL_LIMIT = 1 << 8;
/** Columns below this are kept three to a number (10 bits each); a line with a longer one keeps them in RuleExtras. */
const SHORT_COLUMN = 1 << 10;

// A function rather than a private getter: a class with private instance methods gives each instance a brand slot.
const kindOf = (bits: number): TargetUse['kind'] => KINDS[(bits >>> KIND_SHIFT) & 3];

/** What few rules have. */
interface RuleExtras {
  counters?: Counters;
  /** The options, once asked for through options(). */
  options?: RuleOptions;
  /** A protocol beyond PROTOCOL_LIMIT. */
  protocol?: Protocol;
  /** The columns when one of them does not pack: command, chain operand, target name. */
  columns?: [start: number, end: number, chainStart: number, chainEnd: number, nameStart: number, nameEnd: number];
}

export class DumpRule implements Rule {
  index = 0;
  readonly line: number;
  // Numbers rather than objects where possible, and private fields, which stay out of JSON and
  // deep comparisons.
  readonly #chain: DumpChain;
  readonly #lineStart: number;
  readonly #bits: number;
  /** The target's spec when it has one (its name is the spec's), else its name; undefined: none. */
  #target: TargetSpec | string | undefined;
  /** The command's start and end and the chain operand's start; then its end and the target name's. */
  readonly #columns: number;
  readonly #moreColumns: number;
  #extras: RuleExtras | undefined;

  /** `spec` is the interpreter's reading of the rule's line; only the target's summary is kept. */
  constructor(chain: DumpChain, place: RulePlace, spec: RuleSpec) {
    this.line = place.line;
    this.#chain = chain;
    this.#lineStart = place.lineStart;
    const t = spec.target;
    // Extensions share their spec (and its name) with the tables; a jump shares its chain's name
    // (from the place, or once the jump graph has found the chain: shareTargetName).
    this.#target = t && (t.spec ?? place.targetName ?? t.name);
    let bits = COMMANDS.indexOf(place.command) | (KINDS.indexOf(t?.kind ?? 'verdict') << KIND_SHIFT) | (t?.goto ? GOTO : 0);
    let extras: RuleExtras | undefined;
    if (place.counters) extras = { counters: place.counters };
    if (place.protocol) {
      const n = chain.source.protocolNumber(place.protocol);
      if (n < PROTOCOL_LIMIT) bits |= n << PROTOCOL_SHIFT;
      else (extras ??= {}).protocol = place.protocol;
    }
    const nameStart = t ? t.nameRange.start.character : 0;
    const nameEnd = t ? t.nameRange.end.character : 0;
    const columns = [place.span.start, place.span.end, place.chainSpan.start, place.chainSpan.end, nameStart, nameEnd] as const;
    if (columns.every((c) => c < SHORT_COLUMN)) {
      this.#columns = columns[0] | (columns[1] << 10) | (columns[2] << 20);
      this.#moreColumns = columns[3] | (columns[4] << 10) | (columns[5] << 20);
    } else {
      this.#columns = this.#moreColumns = 0;
      bits |= WIDE;
      (extras ??= {}).columns = [...columns];
    }
    this.#bits = bits;
    this.#extras = extras;
  }

  get table(): TableName {
    return this.#chain.table;
  }

  get chain(): string {
    return this.#chain.name;
  }

  get command(): Rule['command'] {
    return COMMANDS[this.#bits & 3];
  }

  get counters(): Counters | undefined {
    return this.#extras?.counters;
  }

  get protocol(): Protocol | undefined {
    const n = this.#bits >>> PROTOCOL_SHIFT;
    return n ? this.#chain.source.protocol(n) : this.#extras?.protocol;
  }

  /** Column k (0-5, in RuleExtras['columns'] order) of `rule`. Static: an instance method that is private gives every instance a brand slot. */
  static #column(rule: DumpRule, k: number): number {
    if (rule.#bits & WIDE) return rule.#extras!.columns![k];
    return ((k < 3 ? rule.#columns : rule.#moreColumns) >>> (10 * (k % 3))) & (SHORT_COLUMN - 1);
  }

  get range(): Range {
    return lineRange(this.line, DumpRule.#column(this, 0), DumpRule.#column(this, 1));
  }

  get chainRange(): Range {
    return lineRange(this.line, DumpRule.#column(this, 2), DumpRule.#column(this, 3));
  }

  /** The chain `-j/-g` names, if the target is a chain: for passes over every rule, without a view. */
  get jumpTarget(): string | undefined {
    return kindOf(this.#bits) === 'chain' ? this.targetName : undefined;
  }

  /** The target's name and spec, for passes over every rule, without a view. */
  get targetName(): string | undefined {
    const t = this.#target;
    return typeof t === 'object' ? t.name : t;
  }

  get targetSpec(): TargetSpec | undefined {
    const t = this.#target;
    return typeof t === 'object' ? t : undefined;
  }

  /** Keeps `name`, an equal string held elsewhere (the chain's own name), instead of the rule's copy. */
  shareTargetName(name: string): void {
    if (typeof this.#target === 'string' && name === this.#target) this.#target = name;
  }

  /** A view of the target, made at each call: its options are the rule's to read. */
  get target(): TargetUse | undefined {
    const name = this.targetName;
    if (name === undefined) return undefined;
    return new RuleTarget(this, name, (this.#bits & GOTO) !== 0, this.targetSpec, kindOf(this.#bits), DumpRule.#column(this, 4), DumpRule.#column(this, 5));
  }

  get basic(): OptionUse[] {
    return this.options().basic;
  }

  get matches(): MatchUse[] {
    return this.options().matches;
  }

  /** The options, read from the line once and kept. */
  options(): RuleOptions {
    return this.#extras?.options ?? ((this.#extras ??= {}).options = this.readOptions());
  }

  /** The options without keeping them: for passes over every rule (the outline, a check). */
  readOptions(): RuleOptions {
    const kept = this.#extras?.options;
    if (kept) return kept;
    const source = this.#chain.source;
    const node = parseDumpLine(source.lineText(this.#lineStart));
    const command = node.kind === 'command' ? interpretCommand(node.args, { family: source.family, line: this.line, problems: [] }) : undefined;
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
