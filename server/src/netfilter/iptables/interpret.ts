/**
 * The meaning of one command line of a dump, decided the way iptables' do_command() decides it:
 * getopt_long over the base options plus the options of every match and target loaded so far
 * (the latest loaded wins a clash, unique prefixes are accepted), `!` before an option negates it,
 * `-p tcp --dport 22` loads the protocol's match implicitly.
 */
import { lineRange, type Range } from '../../core/text';
import { basicOptions, exactBase, exactDashedBase, prefixBase, shortBase, type Base, type BasicOption, type CommandOption } from './basicOptions';
import { findMatchModule, findTarget, findOption, standardVerdicts } from '../../knowledge/xtables';
import type { ArgValue, Family, ModuleSpec, OptionSpec, TargetSpec } from '../../knowledge/xtables/types';
import type { LineArg } from './lineGrammar';
import type { Arg, MatchUse, OptionUse, Problem, TargetUse } from './model';

export type CommandLetter = 'A' | 'C' | 'D' | 'I' | 'R' | 'F' | 'Z' | 'N' | 'X' | 'P' | 'E' | 'L' | 'S';

export interface RuleSpec {
  basic: OptionUse[];
  matches: MatchUse[];
  target?: TargetUse;
  protocol?: { name: string; negated: boolean };
  counters?: { packets: bigint; bytes: bigint; range: Range };
}

export interface Command {
  letter: CommandLetter;
  written: ArgToken;
  /** The chain operand, when the command has one. */
  chain?: ArgToken;
  /** `-I chain N`, `-D chain N`, `-R chain N`, `-Z chain N`. */
  rulenum?: number;
  /** `-P chain POLICY` policy, `-E old NEW` new name. */
  operand?: ArgToken;
  spec: RuleSpec;
}

/** An argument as the reader sees it: the grammar's LineArg, or an ArgToken. */
type Token = Pick<LineArg, 'text' | 'quoted' | 'start' | 'end'>;

/** An argument on its line: an Arg of the model that keeps columns and makes its range on demand. */
export class ArgToken implements Arg {
  constructor(
    readonly text: string,
    readonly quoted: boolean,
    readonly line: number,
    readonly start: number,
    readonly end: number,
  ) {}

  get range(): Range {
    return lineRange(this.line, this.start, this.end);
  }
}

/**
 * An option as the interpreter read it. Its arguments become ArgTokens, its columns a Range and
 * its values an array, when first asked for: the first read of a dump reads every option of every
 * line, and keeps none of them (see rule.ts), so it should not make objects an option for nothing.
 * Most options take one argument: it is held alone, not in an array.
 */
class OptionAt implements OptionUse {
  /** The argument tokens: one Token, or an array of them (none, or more than one). */
  readonly #tokens: Token | readonly Token[];
  #args: ArgToken[] | undefined;
  /** The values: one value, or an array of them (when there are not exactly one). */
  #values: ArgValue | ArgValue[];
  readonly #line: number;
  readonly #start: number;
  readonly #end: number;

  constructor(
    readonly name: string,
    readonly written: string,
    readonly negated: boolean,
    tokens: Token | readonly Token[],
    values: ArgValue | ArgValue[],
    line: number,
    start: number,
    end: number,
    readonly spec: OptionSpec,
  ) {
    this.#tokens = tokens;
    this.#values = values;
    this.#line = line;
    this.#start = start;
    this.#end = end;
  }

  get args(): ArgToken[] {
    if (this.#args) return this.#args;
    const tokens = this.#tokens;
    const place = (t: Token) => (t instanceof ArgToken ? t : new ArgToken(t.text, t.quoted, this.#line, t.start, t.end));
    return (this.#args = Array.isArray(tokens) ? tokens.map(place) : [place(tokens as Token)]);
  }

  get values(): ArgValue[] {
    const v = this.#values;
    return Array.isArray(v) ? v : (this.#values = [v]);
  }

  get range(): Range {
    return lineRange(this.#line, this.#start, this.#end);
  }

  /** The k-th argument's text, without making the arguments. */
  argText(k: number): string | undefined {
    const tokens = this.#tokens;
    return Array.isArray(tokens) ? tokens[k]?.text : k === 0 ? (tokens as Token).text : undefined;
  }

  /** The first value, without making the array. */
  firstValue(): ArgValue | undefined {
    const v = this.#values;
    return Array.isArray(v) ? v[0] : v;
  }
}

/** An option's first value, without making its values array. */
export function firstValue(o: OptionUse): ArgValue | undefined {
  return o instanceof OptionAt ? o.firstValue() : o.values[0];
}

/** An option's arguments as written, space separated, without making its arguments. */
export function argsText(o: OptionUse): string {
  if (!(o instanceof OptionAt)) return o.args.length === 1 ? o.args[0].text : o.args.map((a) => a.text).join(' ');
  const first = o.argText(0);
  if (first === undefined) return '';
  if (o.argText(1) === undefined) return first;
  let text = first;
  for (let k = 1, t = o.argText(1); t !== undefined; t = o.argText(++k)) text += ` ${t}`;
  return text;
}

/** Commands that take a rule specification. */
const ruleCommands: ReadonlySet<CommandLetter> = new Set(['A', 'C', 'D', 'I', 'R']);

/** Protocols whose match iptables loads by itself when an unknown option follows `-p`. */
const implicitProtocolMatch: Record<string, string> = {
  tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp', sctp: 'sctp', '132': 'sctp',
  dccp: 'dccp', '33': 'dccp', icmp: 'icmp', '1': 'icmp', icmpv6: 'icmp6', 'ipv6-icmp': 'icmp6', '58': 'icmp6',
};

/**
 * A match or target as the line loads it: the columns its use spans so far (its options extend
 * them) and those of its name; ranges are made when asked for (as OptionAt: the first read of a
 * dump keeps none of them).
 */
abstract class LoadedAt {
  options: OptionUse[] = none();
  start: number;
  end: number;
  // Private fields stay out of JSON and of deep comparisons, as the model's plain objects would.
  readonly #line: number;
  readonly #nameStart: number;
  readonly #nameEnd: number;

  constructor(line: number, nameStart: number, nameEnd: number, start: number, end: number) {
    this.#line = line;
    this.#nameStart = nameStart;
    this.#nameEnd = nameEnd;
    this.start = start;
    this.end = end;
  }

  get range(): Range {
    return lineRange(this.#line, this.start, this.end);
  }

  /** The name's range; undefined for a match loaded by `-p` (no `-m NAME` words: nameStart -1). */
  protected makeNameRange(): Range | undefined {
    return this.#nameStart < 0 ? undefined : lineRange(this.#line, this.#nameStart, this.#nameEnd);
  }
}

/** A match the line loads (`-m NAME`, or by `-p` for a protocol option): the model's MatchUse. */
class MatchAt extends LoadedAt implements MatchUse {
  constructor(
    readonly module: string,
    readonly spec: ModuleSpec,
    line: number,
    nameStart: number,
    nameEnd: number,
    start: number,
    end: number,
  ) {
    super(line, nameStart, nameEnd, start, end);
  }

  get nameRange(): Range | undefined {
    return this.makeNameRange();
  }
}

/** `-j/-g NAME` as read: the model's TargetUse. */
class TargetAt extends LoadedAt implements TargetUse {
  #nameRange: Range | undefined;

  constructor(
    readonly name: string,
    readonly goto: boolean,
    readonly kind: TargetUse['kind'],
    readonly spec: TargetSpec | undefined,
    line: number,
    nameStart: number,
    nameEnd: number,
    start: number,
  ) {
    super(line, nameStart, nameEnd, start, nameEnd);
  }

  /** Made once: a rule made from the line reads its columns (rule.ts), checks may report there. */
  get nameRange(): Range {
    return (this.#nameRange ??= this.makeNameRange()!);
  }
}

/** A match or target loaded by the line: its options are looked up by name after it. */
type Loaded = (MatchAt & { spec: ModuleSpec }) | (TargetAt & { spec: TargetSpec });

/** What an option names: one of iptables' own (a shared Base), or an option of a loaded extension. */
type Resolved = Base | { kind: 'ext'; loaded: Loaded; option: OptionSpec };

export interface InterpretContext {
  family: Family;
  line: number;
  problems: Problem[];
}

/** Interprets the arguments of one command line. Returns undefined when the line is unusable. */
export function interpretCommand(args: readonly LineArg[], ctx: InterpretContext): Command | undefined {
  return new CommandReader(args, ctx).read();
}

/** What resolve() returns for an extension's option: one object, taken apart by the caller at once. */
const found: Extract<Resolved, { kind: 'ext' }> = { kind: 'ext', loaded: undefined as unknown as Loaded, option: undefined as unknown as OptionSpec };

/** One pass over a line's arguments, as do_command()'s getopt loop makes it. */
class CommandReader {
  private readonly args: readonly Token[];
  private readonly spec: RuleSpec = { basic: none(), matches: none(), protocol: undefined };
  /**
   * The extensions loaded so far are the matches, in order, and the target if it is an extension:
   * loaded after the first `targetAt` matches (-1: none). No list of them is made per line.
   */
  private targetAt = -1;
  private command: Command | undefined;
  private negation: Token | undefined;
  private failed = false;
  private i = 0;
  /** The column where the option read last ends. */
  private optionEnd = 0;

  constructor(
    args: readonly LineArg[],
    private readonly ctx: InterpretContext,
  ) {
    this.args = args;
  }

  read(): Command | undefined {
    const { args, spec, ctx } = this;
    // iptables stops at the first error of a line; so do we, so one mistake gives one diagnostic.
    while (this.i < args.length && !this.failed) {
      const arg = args[this.i++];
      const text = arg.text;

      if (text === '!' && !arg.quoted) {
        if (this.negation) this.fail(arg, 'iptables.multiple-negation', "Multiple `!' flags not allowed");
        this.negation = arg;
        continue;
      }

      let name: string | undefined;
      let inline: string | undefined;
      let long = false;
      if (text.startsWith('--') && text.length > 2) {
        long = true;
        const eq = text.indexOf('=');
        // `--name` alone (nearly every option) is looked up as written: no name is cut out of it.
        name = eq >= 0 ? text.slice(2, eq) : text;
        inline = eq >= 0 ? text.slice(eq + 1) : undefined;
      } else if (text.startsWith('-') && text.length > 1 && !arg.quoted) {
        name = text[1];
        inline = text.length > 2 ? text.slice(2) : undefined;
      }
      if (name === undefined) {
        this.fail(arg, 'iptables.bad-argument', `Bad argument \`${text}'`);
        continue;
      }

      let resolved: Resolved | 'ambiguous' | undefined = long ? this.resolve(name, inline === undefined) : shortBase(name);
      if (long && !resolved && spec.protocol && !spec.protocol.negated) {
        // An option no loaded extension knows: iptables loads the protocol's match and tries again.
        const implicit = implicitProtocolMatch[spec.protocol.name];
        const module = implicit ? findMatchModule(implicit, ctx.family) : undefined;
        if (module && !spec.matches.some((m) => m.spec === module)) {
          this.loadMatch(module, -1, -1, arg.start, arg.end);
          resolved = this.resolve(name, inline === undefined);
        }
      }
      if (resolved === 'ambiguous') {
        this.fail(arg, 'iptables.ambiguous-option', `option '${text}' is ambiguous`);
        continue;
      }
      if (resolved?.kind === 'ext') {
        const use = this.useOption(resolved.option, arg, inline);
        if (!use) return undefined;
        const owner = resolved.loaded;
        owner.options = append(owner.options, use);
        owner.end = this.optionEnd;
        continue;
      }
      if (resolved?.kind === 'command') {
        if (!this.readCommand(resolved.command, arg, inline)) return undefined;
        continue;
      }
      // Built-in rule options (-s, -d, -p, -i, -o, -f, -j, -g, -m, -c, -4, -6).
      if (resolved?.kind === 'basic') {
        const done = this.readBasic(resolved.option, arg, inline);
        if (done === 'unusable') return undefined;
        if (done) continue;
      }
      this.fail(arg, 'iptables.unknown-option', unknownOptionMessage(text, this.loadOrder()));
    }

    if (this.negation && !this.failed) this.fail(this.negation, 'iptables.dangling-negation', "`!' must be followed by an option");
    if (this.failed) return undefined;
    const command = this.command;
    if (!command) {
      if (args.length) this.fail(args[0], 'iptables.no-command', 'no command specified');
      return undefined;
    }
    const usesRuleSpec = spec.basic.length > 0 || spec.matches.length > 0 || spec.target !== undefined;
    if (usesRuleSpec && !ruleCommands.has(command.letter)) {
      this.fail(command.written, 'iptables.illegal-option', `Illegal option with -${command.letter}: it takes no rule specification`);
    }
    if (command.letter === 'D' && command.rulenum !== undefined && usesRuleSpec) {
      this.fail(command.written, 'iptables.illegal-option', '-D takes either a rule number or a rule specification, not both');
    }
    if (!this.failed) this.validateRequirements();
    if (this.failed) return undefined;
    return command;
  }

  private problem(at: Token | Range, code: string, message: string, severity: Problem['severity'] = 'error'): void {
    this.ctx.problems.push({ range: 'text' in at ? this.rangeOf(at) : at, severity, code, message });
  }

  private fail(at: Token | Range, code: string, message: string): void {
    this.problem(at, code, message);
    this.failed = true;
  }

  private rangeOf(token: Token): Range {
    return lineRange(this.ctx.line, token.start, token.end);
  }

  /** A token as the model keeps it: an argument of an option or a command. */
  private place(token: Token): ArgToken {
    return token instanceof ArgToken ? token : new ArgToken(token.text, token.quoted, this.ctx.line, token.start, token.end);
  }

  /** The same place holding other text: `-jDROP` is `-j` with `DROP` inline. */
  private inline(token: Token, text: string, start = token.start): ArgToken {
    return new ArgToken(text, token.quoted, this.ctx.line, start, token.end);
  }

  private take(): Token | undefined {
    return this.args[this.i++];
  }

  /** An optional positional operand (rule number, chain name) that does not look like an option. */
  private peekOperand(): Token | undefined {
    const next = this.args[this.i];
    return next && !next.text.startsWith('-') && next.text !== '!' ? next : undefined;
  }

  /** `-A chain`, `-I chain 3`, `-P chain POLICY`...; false when the line is unusable. */
  private readCommand(cmd: CommandOption, arg: Token, inline: string | undefined): boolean {
    if (this.command) {
      this.fail(arg, 'iptables.multiple-commands', `Cannot use -${cmd.short} with -${this.command.letter}`);
      return true;
    }
    let chain: Token | undefined;
    if (inline !== undefined) chain = this.inline(arg, inline);
    else if (cmd.chain === 'required') chain = this.take();
    else if (cmd.chain === 'optional' && (chain = this.peekOperand())) this.i++;
    if (!chain && cmd.chain === 'required') {
      this.fail(arg, 'iptables.missing-argument', `option "${arg.text}" requires an argument`);
      return false;
    }
    const command: Command = { letter: cmd.short, written: this.place(arg), chain: chain && this.place(chain), spec: this.spec };
    this.command = command;
    if (chain && cmd.rulenum !== 'none') {
      let num: Token | undefined;
      if (cmd.rulenum === 'required') num = this.take();
      else if ((num = this.peekOperand())) this.i++;
      if (num) {
        if (/^\d+$/.test(num.text) && Number(num.text) >= 1) command.rulenum = Number(num.text);
        else this.fail(num, 'iptables.bad-rule-number', `Invalid rule number \`${num.text}'`);
      } else if (cmd.rulenum === 'required') {
        this.fail(arg, 'iptables.missing-argument', `-${cmd.short} requires a rule number`);
      }
    }
    if (cmd.operand) {
      const operand = this.take();
      if (!operand) this.fail(arg, 'iptables.missing-argument', `-${cmd.short} requires ${cmd.operand}`);
      else command.operand = this.place(operand);
    }
    return true;
  }

  /** -s, -d, -p, -i, -o, -f, -m, -j, -g, -c, -4, -6: true when taken, 'unusable' to give up on the line. */
  private readBasic(basic: BasicOption, arg: Token, inline: string | undefined): boolean | 'unusable' {
    const { spec, ctx } = this;
    switch (basic.long) {
      case 'match': {
        const neg = this.negation;
        this.negation = undefined;
        if (neg) this.fail(neg, 'iptables.not-invertible', 'unexpected ! flag before --match');
        const moduleArg = inline !== undefined ? this.inline(arg, inline) : this.take();
        if (!moduleArg) {
          this.fail(arg, 'iptables.missing-argument', `option "${arg.text}" requires an argument`);
          return 'unusable';
        }
        const module = findMatchModule(moduleArg.text, ctx.family);
        if (!module) {
          // Kept with an information diagnostic: our tables are incomplete, iptables may know it.
          this.problem(moduleArg, 'iptables.unknown-module', `Unknown match module "${moduleArg.text}": kept as written, its options are not checked and it is treated as "may match".`, 'information');
          const opaque: ModuleSpec = { name: moduleArg.text, doc: '', options: [], opaque: true };
          this.loadMatch(opaque, moduleArg.start, moduleArg.end, arg.start, moduleArg.end);
          this.skipUnknownModuleOptions();
          return true;
        }
        if (module.family && module.family !== ctx.family) {
          this.fail(moduleArg, 'iptables.wrong-family', `Match "${moduleArg.text}" is for ${module.family === 'ipv4' ? 'iptables (IPv4)' : 'ip6tables (IPv6)'}; this dump is ${ctx.family === 'ipv4' ? 'IPv4' : 'IPv6'}.`);
        }
        this.loadMatch(module, moduleArg.start, moduleArg.end, arg.start, moduleArg.end);
        return true;
      }
      case 'jump':
      case 'goto': {
        const neg = this.negation;
        this.negation = undefined;
        if (neg) this.fail(neg, 'iptables.not-invertible', `cannot have ! before -${basic.short}`);
        const targetArg = inline !== undefined ? this.inline(arg, inline) : this.take();
        if (!targetArg) {
          this.fail(arg, 'iptables.missing-argument', `option "${arg.text}" requires an argument`);
          return 'unusable';
        }
        if (spec.target) {
          this.fail(arg, 'iptables.multiple-targets', 'multiple -j/-g flags not allowed');
          return true;
        }
        const targetSpec = findTarget(targetArg.text);
        const kind: TargetUse['kind'] = standardVerdicts.includes(targetArg.text) ? 'verdict' : targetSpec ? 'extension' : 'chain';
        if (basic.long === 'goto' && kind !== 'chain') {
          this.fail(targetArg, 'iptables.goto-not-chain', `goto '${targetArg.text}' is not a chain`);
        }
        const use = new TargetAt(targetArg.text, basic.long === 'goto', kind, targetSpec, ctx.line, targetArg.start, targetArg.end, arg.start);
        spec.target = use;
        if (targetSpec) this.targetAt = spec.matches.length;
        return true;
      }
      case 'set-counters': {
        const pk = this.take();
        const by = this.take();
        if (!pk || !by || !/^\d+$/.test(pk.text) || !/^\d+$/.test(by.text)) {
          this.fail(arg, 'iptables.bad-counters', '-c requires packet and byte counter');
        } else spec.counters = { packets: BigInt(pk.text), bytes: BigInt(by.text), range: lineRange(ctx.line, arg.start, by.end) };
        return true;
      }
      case 'ipv4':
      case 'ipv6':
        if ((basic.long === 'ipv4') !== (ctx.family === 'ipv4')) {
          this.problem(arg, 'iptables.other-family-line', `This line is only for ${basic.long === 'ipv4' ? 'iptables' : 'ip6tables'}: ${ctx.family === 'ipv4' ? 'iptables' : 'ip6tables'}-restore skips it.`, 'information');
          return 'unusable';
        }
        return true;
    }
    if (!basic.option) return false;
    if (hasOption(spec.basic, basic.long)) {
      this.fail(arg, 'iptables.duplicate-option', `multiple -${basic.short} flags not allowed`);
    }
    if (basic.long === 'fragment' && ctx.family === 'ipv6') {
      this.fail(arg, 'iptables.wrong-family', '-f is IPv4 only; ip6tables uses -m frag');
    }
    const use = this.useOption(basic.option, arg, inline);
    if (!use) return 'unusable';
    spec.basic = append(spec.basic, use);
    const protocol = basic.long === 'protocol' ? use.argText(0) : undefined;
    if (protocol !== undefined) spec.protocol = { name: protocol.toLowerCase(), negated: use.negated };
    return true;
  }

  /** The arguments of an option: one Token when it takes exactly one, else an array; undefined when the line is unusable. */
  private readArgs(written: Token, inline: string | undefined, count: number, optional: number, invertible: boolean, negatedBefore: boolean): Token | Token[] | undefined {
    if (count === 1 && optional === 0) {
      // Most options: one required argument, held alone.
      if (inline !== undefined) return this.inline(written, inline, written.start + written.text.length - inline.length);
      const next = this.intrapositioned(written, invertible, negatedBefore);
      if (next === undefined) {
        this.fail(written, 'iptables.missing-argument', `option "${written.text}" requires an argument`);
        return undefined;
      }
      this.i++;
      return next;
    }
    // Sized up front: an array grown by push() starts with room for 17, and most options take one.
    const out = new Array<Token>(count);
    let n = 0;
    for (let k = 0; k < count; k++) {
      if (k === 0 && inline !== undefined) {
        out[n++] = this.inline(written, inline, written.start + written.text.length - inline.length);
        continue;
      }
      const next = k === 0 ? this.intrapositioned(written, invertible, negatedBefore) : this.args[this.i];
      if (next === undefined || (k >= count - optional && next.text.startsWith('-') && !/^-\d/.test(next.text))) {
        if (k >= count - optional) break;
        this.fail(written, 'iptables.missing-argument', `option "${written.text}" requires an argument`);
        return undefined;
      }
      out[n++] = next;
      this.i++;
    }
    if (n < count) out.length = n;
    return out;
  }

  /**
   * The first argument of an option, after the old intrapositioned negation `--option ! value`
   * if there is one: iptables still takes it, with a warning.
   */
  private intrapositioned(written: Token, invertible: boolean, negatedBefore: boolean): Token | undefined {
    const next = this.args[this.i];
    if (next?.text !== '!' || !invertible || next.quoted) return next;
    if (negatedBefore) this.fail(next, 'iptables.multiple-negation', "Multiple `!' flags not allowed");
    // Old dumps (iptables 1.3/1.4) print it; iptables 1.8 refuses it, so it is read but flagged.
    this.problem(next, 'iptables.intrapositioned-negation', `Old negation \`${written.text} ! value\`: read as \`! ${written.text} value\`, but iptables-restore 1.8 rejects this spelling; write \`! ${written.text} value\``, 'warning');
    this.negation = next;
    this.i++;
    return this.args[this.i];
  }

  /** The values of the arguments: one value for one argument (undefined if it is invalid), else an array. */
  private parseValues(option: OptionSpec, written: Token, argv: Token | readonly Token[]): ArgValue | ArgValue[] | undefined {
    if (!Array.isArray(argv)) return option.args.length ? this.parseValue(option.args[0], written, argv as Token) : [];
    const values = new Array<ArgValue>(Math.min(argv.length, option.args.length));
    let n = 0;
    for (let k = 0; k < values.length; k++) {
      const value = this.parseValue(option.args[k], written, argv[k]);
      if (value !== undefined) values[n++] = value;
    }
    if (n < values.length) values.length = n;
    return values;
  }

  private parseValue(parser: OptionSpec['args'][number], written: Token, arg: Token): ArgValue | undefined {
    const result = parser(arg.text, this.ctx.family);
    if (!result.ok) {
      this.fail(arg, 'iptables.bad-argument', `${written.text}: ${result.message}`);
      return undefined;
    }
    if (result.warning) this.problem(arg, 'iptables.altered-argument', `${written.text}: ${result.warning}`, 'warning');
    return result.value;
  }

  private useOption(option: OptionSpec, written: Token, inline: string | undefined): OptionAt | undefined {
    let neg = this.negation;
    this.negation = undefined;
    const argv = this.readArgs(written, inline, option.args.length, option.optionalArgs ?? 0, option.invertible, Boolean(neg));
    if (!argv) return undefined;
    const intrapositioned = this.negation as Token | undefined;
    if (intrapositioned) {
      neg = intrapositioned;
      this.negation = undefined;
    }
    if (neg && !option.invertible) {
      this.fail(neg, 'iptables.not-invertible', `"${written.text}" cannot be negated with "!"`);
    }
    const first = neg && !intrapositioned ? neg : written;
    const last = !Array.isArray(argv) ? (argv as Token) : argv.length ? argv[argv.length - 1] : written;
    this.optionEnd = last.end;
    const values = this.parseValues(option, written, argv);
    return new OptionAt(option.name, written.text, Boolean(neg), argv, values ?? [], this.ctx.line, first.start, last.end, option);
  }

  /** One object for every option found: read() takes it apart at once. */
  private found(loaded: Loaded, option: OptionSpec): Resolved {
    found.loaded = loaded;
    found.option = option;
    return found;
  }

  /** The extensions loaded so far, in order (for the rare paths that need them all). */
  private loadOrder(): Loaded[] {
    const list = [...this.spec.matches] as Loaded[];
    if (this.targetAt >= 0) list.splice(this.targetAt, 0, this.spec.target as Loaded);
    return list;
  }

  /** `nameStart` is -1 for a match loaded by `-p`, which has no `-m NAME` words. */
  private loadMatch(module: ModuleSpec, nameStart: number, nameEnd: number, start: number, end: number): void {
    const use = new MatchAt(module.name, module, this.ctx.line, nameStart, nameEnd, start, end);
    this.spec.matches = append<MatchUse>(this.spec.matches, use);
  }

  /**
   * `--name` as getopt_long resolves it over iptables' table, which holds the base options and
   * those of every extension loaded so far: an exact name wins, else a unique prefix. An
   * extension's options go in before those loaded earlier (xtables_merge_options), so of two
   * with the same name the latest loaded's is found: `-m mark --mark A -m connmark --mark B` gives
   * B to connmark (both backends commit it, and save it back the same; found by the kernel oracle).
   */
  private resolve(written: string, dashed: boolean): Resolved | 'ambiguous' | undefined {
    const base = dashed ? exactDashedBase(written) : exactBase(written);
    if (base) return base;
    const matches = this.spec.matches as MatchAt[];
    const target = this.spec.target as TargetAt | undefined;
    // The latest loaded first: the matches from the last, the target in its place among them.
    for (let k = matches.length; k >= 0; k--) {
      const t = k === this.targetAt ? (target as Loaded) : undefined;
      if (t) {
        const option = dashed ? findDashedOption(t.spec, written) : findOption(t.spec, written);
        if (option) return this.found(t, option);
      }
      if (k === 0) break;
      const m = matches[k - 1] as Loaded;
      const option = dashed ? findDashedOption(m.spec, written) : findOption(m.spec, written);
      if (option) return this.found(m, option);
    }
    const name = dashed ? written.slice(2) : written;
    const candidates: Resolved[] = prefixBase(name);
    for (const l of this.loadOrder()) {
      for (const option of l.spec.options) {
        if ([option.name, ...(option.aliases ?? [])].some((n) => n.startsWith(name))) candidates.push({ kind: 'ext', loaded: l, option });
      }
    }
    const distinct = new Set(candidates.map((c) => (c.kind === 'ext' ? c.option : c.kind === 'command' ? c.command : c.option)));
    if (distinct.size > 1) return 'ambiguous';
    return candidates[0];
  }

  /** After an unknown module, its options cannot be told from typos: take `--x [value]` pairs as its own. */
  private skipUnknownModuleOptions(): void {
    const { args } = this;
    while (this.i < args.length && args[this.i].text.startsWith('--') && !basicOptions.some((b) => args[this.i].text === `--${b.long}`)) {
      this.i++;
      while (this.i < args.length && !args[this.i].text.startsWith('-') && args[this.i].text !== '!') this.i++;
    }
  }

  /** What each module and target needs that the option loop cannot see: a protocol, a required option. */
  private validateRequirements(): void {
    const { spec, ctx } = this;
    // Indexed loops over the line's lists here and below: an empty one is the frozen NONE, over
    // which for-of makes an iterator result per step.
    const matches = spec.matches as MatchAt[];
    for (let k = 0; k < matches.length; k++) {
      const l = matches[k];
      const needs = needsOf(l.spec);
      if (!needs.any) continue;
      const match = l;
      const module = match.spec;
      if (needs.requiresProtocol) this.needProtocol('-m ', module.name, needs.requiresProtocol, match, l);
      if (needs.optionsNeedProtocol) {
        for (const option of match.options) if (option.spec?.requiresProtocol) this.needProtocol('', option.written, option.spec.requiresProtocol, option);
      }
      this.checkRequiredOptions('-m ', module.name, needs, match.options, match, l);
    }
    const target = spec.target;
    if (!target?.spec) return;
    const needs = needsOf(target.spec);
    if (!needs.any) return;
    this.checkRequiredOptions('-j ', target.name, needs, target.options, target);
    if (needs.requiresProtocol) this.needProtocol('-j ', target.name, needs.requiresProtocol, target);
    if (needs.family && needs.family !== ctx.family) {
      this.fail(target.nameRange, 'iptables.wrong-family', `Target ${target.name} is ${needs.family === 'ipv4' ? 'IPv4' : 'IPv6'} only`);
    }
  }

  /**
   * Where a requirement of `what` is reported: an option's range, a match's `-m NAME` (or, for a
   * match loaded by `-p`, the columns it spans so far), a target's name.
   */
  private rangeFor(what: OptionUse | MatchUse | TargetUse, loaded?: Loaded): Range {
    if (what instanceof MatchAt || what instanceof TargetAt) return what.nameRange ?? what.range;
    return loaded ? lineRange(this.ctx.line, loaded.start, loaded.end) : what.range;
  }

  /**
   * `what` (written `${prefix}${name}`: the text is made only for a diagnostic, most lines have
   * none) needs `-p` with one of `names`.
   */
  private needProtocol(prefix: string, name: string, names: readonly string[], what: OptionUse | MatchUse | TargetUse, loaded?: Loaded): void {
    const proto = this.spec.protocol;
    if (!proto || !protocolIn(proto.name, names)) {
      this.fail(this.rangeFor(what, loaded), 'iptables.needs-protocol', `${prefix}${name} needs -p ${names.join(' or -p ')} before it`);
    } else if (proto.negated) {
      // The kernel's x_tables check refuses an inverted protocol; iptables-nft translates the match itself and does not.
      this.problem(this.rangeFor(what, loaded), 'iptables.needs-protocol', `${prefix}${name} after \`! -p ${proto.name}\`: iptables-legacy-restore rejects this (the kernel wants -p ${names[0]} without !); iptables-nft-restore accepts it`, 'warning');
    }
  }

  /** Like needProtocol(): the message is made only when an option is missing. */
  private checkRequiredOptions(prefix: string, name: string, spec: { requiresOneOf?: readonly string[]; requiresAll?: readonly string[] }, given: readonly OptionUse[], what: MatchUse | TargetUse, loaded?: Loaded): void {
    if (spec.requiresOneOf && !hasAnyOption(given, spec.requiresOneOf)) {
      this.fail(this.rangeFor(what, loaded), 'iptables.missing-option', `${prefix}${name} needs ${spec.requiresOneOf.map((n) => `--${n}`).join(' or ')}`);
    }
    if (!spec.requiresAll || hasAllOptions(given, spec.requiresAll)) return;
    const missing = spec.requiresAll.filter((n) => !hasOption(given, n));
    if (missing.length) this.fail(this.rangeFor(what, loaded), 'iptables.missing-option', `${prefix}${name} needs ${missing.map((n) => `--${n}`).join(' and ')}`);
  }
}

/**
 * The empty list every list of a line starts as: append() makes a new array for a short list, so
 * this one is never written to (frozen, in case), and a line does not make an array per list it
 * leaves empty (most rules have no -s, no options for a match...).
 */
const NONE: readonly never[] = Object.freeze([]);
const none = <T>(): T[] => NONE as unknown as T[];

/**
 * `list` with `item` after its items. V8 gives an empty array that is pushed to room for 16
 * items, and a line's lists (its matches, each one's options...) mostly hold one to three: up
 * to four, a new array of the exact size is made instead, a fraction of the garbage.
 */
function append<T>(list: T[], item: T): T[] {
  switch (list.length) {
    case 0:
      return [item];
    case 1:
      return [list[0], item];
    case 2:
      return [list[0], list[1], item];
    case 3:
      return [list[0], list[1], list[2], item];
    default:
      list.push(item);
      return list;
  }
}

/**
 * What validateRequirements() checks of a module or target, read once per spec: the specs are
 * object literals of many shapes, and reading their fields for every match of every line (a
 * property access that has seen more shapes than V8 caches) took a third of the interpretation.
 */
interface Needs {
  /** Is there anything to check? Most modules and targets have no requirement. */
  any: boolean;
  requiresProtocol?: readonly string[];
  /** Does an option of it need a protocol (ecn's `--ecn-tcp-cwr`)? */
  optionsNeedProtocol: boolean;
  requiresOneOf?: readonly string[];
  requiresAll?: readonly string[];
  family?: Family;
}

const needsBySpec = new WeakMap<ModuleSpec | TargetSpec, Needs>();

/**
 * The specs asked for last, with their needs: a dump uses a handful of modules and targets, and
 * comparing a few pointers is cheaper than a WeakMap lookup for every match of every line.
 */
const RECENT = 16;
const recentSpecs: (ModuleSpec | TargetSpec)[] = [];
const recentNeeds: Needs[] = [];
let recentNext = 0;

function needsOf(spec: ModuleSpec | TargetSpec): Needs {
  for (let k = 0; k < recentSpecs.length; k++) if (recentSpecs[k] === spec) return recentNeeds[k];
  const needs = needsFor(spec);
  recentSpecs[recentNext] = spec;
  recentNeeds[recentNext] = needs;
  recentNext = (recentNext + 1) % RECENT;
  return needs;
}

function needsFor(spec: ModuleSpec | TargetSpec): Needs {
  let needs = needsBySpec.get(spec);
  if (needs) return needs;
  const module = 'flow' in spec ? undefined : spec;
  // An unknown module (kept opaque, without doc) is not checked.
  const unchecked = module?.opaque === true && module.doc === '';
  const optionsNeedProtocol = !unchecked && module !== undefined && module.options.some((o) => o.requiresProtocol !== undefined);
  needs = unchecked
    ? { any: false, optionsNeedProtocol: false }
    : { any: false, requiresProtocol: spec.requiresProtocol, optionsNeedProtocol, requiresOneOf: spec.requiresOneOf, requiresAll: spec.requiresAll, family: module ? undefined : spec.family };
  needs.any = Boolean(needs.requiresProtocol || needs.optionsNeedProtocol || needs.requiresOneOf || needs.requiresAll || needs.family);
  needsBySpec.set(spec, needs);
  return needs;
}

const dashedOptions = new WeakMap<ModuleSpec | TargetSpec, Map<string, OptionSpec>>();

/** findOption() by `--name` as written (the first option answering to a name, as there). */
function findDashedOption(spec: ModuleSpec | TargetSpec, written: string): OptionSpec | undefined {
  let index = dashedOptions.get(spec);
  if (!index) {
    index = new Map();
    for (const option of spec.options) {
      for (const n of [option.name, ...(option.aliases ?? [])]) if (!index.has(`--${n}`)) index.set(`--${n}`, option);
    }
    dashedOptions.set(spec, index);
  }
  return index.get(written);
}

// Loops, not some()/filter(): these run for every match and target of every line.
function hasOption(given: readonly OptionUse[], name: string): boolean {
  for (let k = 0; k < given.length; k++) if (given[k].name === name) return true;
  return false;
}

function hasAnyOption(given: readonly OptionUse[], names: readonly string[]): boolean {
  for (let k = 0; k < names.length; k++) if (hasOption(given, names[k])) return true;
  return false;
}

function hasAllOptions(given: readonly OptionUse[], names: readonly string[]): boolean {
  for (let k = 0; k < names.length; k++) if (!hasOption(given, names[k])) return false;
  return true;
}

/** Is `-p name` one of `names`, by name or number (`6` is tcp)? */
function protocolIn(name: string, names: readonly string[]): boolean {
  for (const p of names) if (p === name || implicitProtocolMatch[name] === implicitProtocolMatch[p]) return true;
  return false;
}

function unknownOptionMessage(text: string, loaded: readonly Loaded[]): string {
  const names = loaded.map((l) => (l instanceof MatchAt ? `-m ${l.spec.name}` : `-j ${l.spec.name}`));
  return names.length
    ? `unknown option "${text}" (not an option of ${names.join(', ')})`
    : `unknown option "${text}"`;
}
