/**
 * The meaning of one command line of a dump, decided the way iptables' do_command() decides it:
 * getopt_long over the base options plus the options of every match and target loaded so far
 * (first loaded wins a clash, unique prefixes are accepted), `!` before an option negates it,
 * `-p tcp --dport 22` loads the protocol's match implicitly.
 */
import { lineRange, type Range } from '../../core/text';
import { basicOptions, exactBase, prefixBase, shortBase, type Base } from './basicOptions';
import { findMatchModule, findTarget, findOption, standardVerdicts } from '../../knowledge/xtables';
import type { ArgValue, Family, ModuleSpec, OptionSpec, TargetSpec } from '../../knowledge/xtables/types';
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
  written: Arg;
  /** The chain operand, when the command has one. */
  chain?: Arg;
  /** `-I chain N`, `-D chain N`, `-R chain N`, `-Z chain N`. */
  rulenum?: number;
  /** `-P chain POLICY` policy, `-E old NEW` new name. */
  operand?: Arg;
  spec: RuleSpec;
}

/** Commands that take a rule specification. */
const ruleCommands: ReadonlySet<CommandLetter> = new Set(['A', 'C', 'D', 'I', 'R']);

/** Protocols whose match iptables loads by itself when an unknown option follows `-p`. */
const implicitProtocolMatch: Record<string, string> = {
  tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp', sctp: 'sctp', '132': 'sctp',
  dccp: 'dccp', '33': 'dccp', icmp: 'icmp', '1': 'icmp', icmpv6: 'icmp6', 'ipv6-icmp': 'icmp6', '58': 'icmp6',
};

interface Loaded {
  kind: 'match' | 'target';
  spec: ModuleSpec | TargetSpec;
  use: MatchUse | TargetUse;
}

export interface InterpretContext {
  family: Family;
  line: number;
  problems: Problem[];
}

function spanRange(line: number, from: Range, to: Range): Range {
  const end = to.end.line === line ? to.end : from.end;
  return lineRange(line, from.start.character, end.character);
}

/** Interprets the arguments of one command line. Returns undefined when the line is unusable. */
export function interpretCommand(args: readonly Arg[], ctx: InterpretContext): Command | undefined {
  const problem = (range: Range, code: string, message: string, severity: Problem['severity'] = 'error') =>
    ctx.problems.push({ range, severity, code, message });

  let command: Command | undefined;
  const spec: RuleSpec = { basic: [], matches: [], protocol: undefined };
  const loaded: Loaded[] = [];
  let negation: Arg | undefined;
  let failed = false;
  let i = 0;

  const take = (): Arg | undefined => args[i++];
  /** An optional positional operand (rule number, chain name) that does not look like an option. */
  const peekOperand = (): Arg | undefined => {
    const next = args[i];
    return next && !next.text.startsWith('-') && next.text !== '!' ? next : undefined;
  };

  const fail = (range: Range, code: string, message: string) => {
    problem(range, code, message);
    failed = true;
  };

  const readArgs = (written: Arg, inline: string | undefined, count: number, optional: number, invertible: boolean, negatedBefore: boolean): Arg[] | undefined => {
    const out: Arg[] = [];
    for (let k = 0; k < count; k++) {
      if (k === 0 && inline !== undefined) {
        const offset = written.text.length - inline.length;
        out.push({ text: inline, quoted: written.quoted, range: lineRange(ctx.line, written.range.start.character + offset, written.range.end.character) });
        continue;
      }
      let next = args[i];
      // The old intrapositioned negation `--option ! value`: iptables still takes it, with a warning.
      if (k === 0 && next?.text === '!' && invertible && !next.quoted) {
        if (negatedBefore) fail(next.range, 'iptables.multiple-negation', "Multiple `!' flags not allowed");
        // Old dumps (iptables 1.3/1.4) print it; iptables 1.8 refuses it, so it is read but flagged.
        problem(next.range, 'iptables.intrapositioned-negation', `Old negation \`${written.text} ! value\`: read as \`! ${written.text} value\`, but iptables-restore 1.8 rejects this spelling; write \`! ${written.text} value\``, 'warning');
        negation = next;
        i++;
        next = args[i];
      }
      if (next === undefined || (k >= count - optional && next.text.startsWith('-') && !/^-\d/.test(next.text))) {
        if (k >= count - optional) break;
        fail(written.range, 'iptables.missing-argument', `option "${written.text}" requires an argument`);
        return undefined;
      }
      out.push(next);
      i++;
    }
    return out;
  };

  const parseValues = (option: OptionSpec, written: Arg, argv: Arg[]): ArgValue[] => {
    const values: ArgValue[] = [];
    argv.forEach((arg, k) => {
      const parser = option.args[k];
      if (!parser) return;
      const result = parser(arg.text, ctx.family);
      if (result.ok) {
        values.push(result.value);
        if (result.warning) problem(arg.range, 'iptables.altered-argument', `${written.text}: ${result.warning}`, 'warning');
      } else fail(arg.range, 'iptables.bad-argument', `${written.text}: ${result.message}`);
    });
    return values;
  };

  const useOption = (option: OptionSpec, written: Arg, inline: string | undefined): OptionUse | undefined => {
    let neg = negation;
    negation = undefined;
    const argv = readArgs(written, inline, option.args.length, option.optionalArgs ?? 0, option.invertible, Boolean(neg));
    if (!argv) return undefined;
    const intrapositioned = negation as Arg | undefined;
    if (intrapositioned) {
      neg = intrapositioned;
      negation = undefined;
    }
    if (neg && !option.invertible) {
      fail(neg.range, 'iptables.not-invertible', `"${written.text}" cannot be negated with "!"`);
    }
    const first = neg && !intrapositioned ? neg : written;
    const last = argv.length ? argv[argv.length - 1] : written;
    return {
      name: option.name,
      written: written.text,
      negated: Boolean(neg),
      args: argv,
      values: parseValues(option, written, argv),
      range: spanRange(ctx.line, first.range, last.range),
      spec: option,
    };
  };

  const loadMatch = (module: ModuleSpec, nameRange: Range | undefined, from: Range): MatchUse => {
    const use: MatchUse = { module: module.name, nameRange, range: from, options: [], spec: module };
    loaded.push({ kind: 'match', spec: module, use });
    spec.matches.push(use);
    return use;
  };

  type Resolved = { kind: 'base'; base: Base } | { kind: 'ext'; loaded: Loaded; option: OptionSpec };
  /**
   * `--name` as getopt_long resolves it over iptables' table, which holds the base options and
   * those of every extension loaded so far: an exact name wins, else a unique prefix.
   */
  const resolve = (name: string): Resolved | 'ambiguous' | undefined => {
    const base = exactBase(name);
    if (base) return { kind: 'base', base };
    for (const l of loaded) {
      const option = findOption(l.spec, name);
      if (option) return { kind: 'ext', loaded: l, option };
    }
    const candidates: Resolved[] = prefixBase(name).map((b) => ({ kind: 'base', base: b }));
    for (const l of loaded) {
      for (const option of l.spec.options) {
        if ([option.name, ...(option.aliases ?? [])].some((n) => n.startsWith(name))) candidates.push({ kind: 'ext', loaded: l, option });
      }
    }
    const distinct = new Set(candidates.map((c) => (c.kind === 'ext' ? c.option : c.base.kind === 'command' ? c.base.command : c.base.option)));
    if (distinct.size > 1) return 'ambiguous';
    return candidates[0];
  };

  // iptables stops at the first error of a line; so do we, so one mistake gives one diagnostic.
  while (i < args.length && !failed) {
    const arg = take()!;
    const text = arg.text;

    if (text === '!' && !arg.quoted) {
      if (negation) fail(arg.range, 'iptables.multiple-negation', "Multiple `!' flags not allowed");
      negation = arg;
      continue;
    }

    let name: string | undefined;
    let inline: string | undefined;
    let long = false;
    if (text.startsWith('--') && text.length > 2) {
      long = true;
      const eq = text.indexOf('=');
      name = eq >= 0 ? text.slice(2, eq) : text.slice(2);
      inline = eq >= 0 ? text.slice(eq + 1) : undefined;
    } else if (text.startsWith('-') && text.length > 1 && !arg.quoted) {
      name = text[1];
      inline = text.length > 2 ? text.slice(2) : undefined;
    }
    if (name === undefined) {
      fail(arg.range, 'iptables.bad-argument', `Bad argument \`${text}'`);
      continue;
    }

    let resolved = long ? resolve(name) : ((b) => (b ? { kind: 'base' as const, base: b } : undefined))(shortBase(name));
    if (long && !resolved && spec.protocol && !spec.protocol.negated) {
      // An option no loaded extension knows: iptables loads the protocol's match and tries again.
      const implicit = implicitProtocolMatch[spec.protocol.name];
      const module = implicit ? findMatchModule(implicit, ctx.family) : undefined;
      if (module && !loaded.some((l) => l.spec === module)) {
        loadMatch(module, undefined, arg.range);
        resolved = resolve(name);
      }
    }
    if (resolved === 'ambiguous') {
      fail(arg.range, 'iptables.ambiguous-option', `option '${text}' is ambiguous`);
      continue;
    }
    if (resolved?.kind === 'ext') {
      const use = useOption(resolved.option, arg, inline);
      if (!use) return undefined;
      resolved.loaded.use.options.push(use);
      resolved.loaded.use.range = spanRange(ctx.line, resolved.loaded.use.range, use.range);
      continue;
    }
    const base = resolved?.base;
    const cmd = base?.kind === 'command' ? base.command : undefined;
    if (cmd) {
      if (command) {
        fail(arg.range, 'iptables.multiple-commands', `Cannot use -${cmd.short} with -${command.letter}`);
        continue;
      }
      let chain: Arg | undefined;
      if (inline !== undefined) chain = { ...arg, text: inline };
      else if (cmd.chain === 'required') chain = take();
      else if (cmd.chain === 'optional' && (chain = peekOperand())) i++;
      if (!chain && cmd.chain === 'required') {
        fail(arg.range, 'iptables.missing-argument', `option "${text}" requires an argument`);
        return undefined;
      }
      command = { letter: cmd.short, written: arg, chain, spec };
      if (chain && cmd.rulenum !== 'none') {
        let num: Arg | undefined;
        if (cmd.rulenum === 'required') num = take();
        else if ((num = peekOperand())) i++;
        if (num) {
          if (/^\d+$/.test(num.text) && Number(num.text) >= 1) command.rulenum = Number(num.text);
          else fail(num.range, 'iptables.bad-rule-number', `Invalid rule number \`${num.text}'`);
        } else if (cmd.rulenum === 'required') {
          fail(arg.range, 'iptables.missing-argument', `-${cmd.short} requires a rule number`);
        }
      }
      if (cmd.operand) {
        const operand = take();
        if (!operand) fail(arg.range, 'iptables.missing-argument', `-${cmd.short} requires ${cmd.operand}`);
        else command.operand = operand;
      }
      continue;
    }

    // Built-in rule options (-s, -d, -p, -i, -o, -f, -j, -g, -m, -c, -4, -6).
    const basic = base?.kind === 'basic' ? base.option : undefined;
    if (basic) {
      if (basic.long === 'match') {
        const neg = negation;
        negation = undefined;
        if (neg) fail(neg.range, 'iptables.not-invertible', 'unexpected ! flag before --match');
        const moduleArg = inline !== undefined ? { ...arg, text: inline } : take();
        if (!moduleArg) {
          fail(arg.range, 'iptables.missing-argument', `option "${text}" requires an argument`);
          return undefined;
        }
        const module = findMatchModule(moduleArg.text, ctx.family);
        const from = spanRange(ctx.line, arg.range, moduleArg.range);
        if (!module) {
          // Kept with an information diagnostic: our tables are incomplete, iptables may know it.
          problem(moduleArg.range, 'iptables.unknown-module', `Unknown match module "${moduleArg.text}": kept as written, its options are not checked and it is treated as "may match".`, 'information');
          const opaque: ModuleSpec = { name: moduleArg.text, doc: '', options: [], opaque: true };
          loadMatch(opaque, moduleArg.range, from);
          skipUnknownModuleOptions();
          continue;
        }
        if (module.family && module.family !== ctx.family) {
          fail(moduleArg.range, 'iptables.wrong-family', `Match "${moduleArg.text}" is for ${module.family === 'ipv4' ? 'iptables (IPv4)' : 'ip6tables (IPv6)'}; this dump is ${ctx.family === 'ipv4' ? 'IPv4' : 'IPv6'}.`);
        }
        loadMatch(module, moduleArg.range, from);
        continue;
      }
      if (basic.long === 'jump' || basic.long === 'goto') {
        const neg = negation;
        negation = undefined;
        if (neg) fail(neg.range, 'iptables.not-invertible', `cannot have ! before -${basic.short}`);
        const targetArg = inline !== undefined ? { ...arg, text: inline } : take();
        if (!targetArg) {
          fail(arg.range, 'iptables.missing-argument', `option "${text}" requires an argument`);
          return undefined;
        }
        if (spec.target) {
          fail(arg.range, 'iptables.multiple-targets', 'multiple -j/-g flags not allowed');
          continue;
        }
        const targetSpec = findTarget(targetArg.text);
        const kind: TargetUse['kind'] = standardVerdicts.includes(targetArg.text) ? 'verdict' : targetSpec ? 'extension' : 'chain';
        if (basic.long === 'goto' && kind !== 'chain') {
          fail(targetArg.range, 'iptables.goto-not-chain', `goto '${targetArg.text}' is not a chain`);
        }
        const use: TargetUse = { name: targetArg.text, goto: basic.long === 'goto', nameRange: targetArg.range, range: spanRange(ctx.line, arg.range, targetArg.range), options: [], spec: targetSpec, kind };
        spec.target = use;
        if (targetSpec) loaded.push({ kind: 'target', spec: targetSpec, use });
        continue;
      }
      if (basic.long === 'set-counters') {
        const pk = take();
        const by = take();
        if (!pk || !by || !/^\d+$/.test(pk.text) || !/^\d+$/.test(by.text)) {
          fail(arg.range, 'iptables.bad-counters', '-c requires packet and byte counter');
        } else spec.counters = { packets: BigInt(pk.text), bytes: BigInt(by.text), range: spanRange(ctx.line, arg.range, by.range) };
        continue;
      }
      if (basic.long === 'ipv4' || basic.long === 'ipv6') {
        if ((basic.long === 'ipv4') !== (ctx.family === 'ipv4')) {
          problem(arg.range, 'iptables.other-family-line', `This line is only for ${basic.long === 'ipv4' ? 'iptables' : 'ip6tables'}: ${ctx.family === 'ipv4' ? 'iptables' : 'ip6tables'}-restore skips it.`, 'information');
          return undefined;
        }
        continue;
      }
      if (basic.option) {
        if (spec.basic.some((b) => b.name === basic.long)) {
          fail(arg.range, 'iptables.duplicate-option', `multiple -${basic.short} flags not allowed`);
        }
        if (basic.long === 'fragment' && ctx.family === 'ipv6') {
          fail(arg.range, 'iptables.wrong-family', '-f is IPv4 only; ip6tables uses -m frag');
        }
        const use = useOption(basic.option, arg, inline);
        if (!use) return undefined;
        spec.basic.push(use);
        if (basic.long === 'protocol' && use.args[0]) spec.protocol = { name: use.args[0].text.toLowerCase(), negated: use.negated };
        continue;
      }
    }

    fail(arg.range, 'iptables.unknown-option', unknownOptionMessage(text, loaded));
  }

  if (negation && !failed) fail(negation.range, 'iptables.dangling-negation', "`!' must be followed by an option");

  /** After an unknown module, its options cannot be told from typos: take `--x [value]` pairs as its own. */
  function skipUnknownModuleOptions(): void {
    while (i < args.length && args[i].text.startsWith('--') && !basicOptions.some((b) => args[i].text === `--${b.long}`)) {
      i++;
      while (i < args.length && !args[i].text.startsWith('-') && args[i].text !== '!') i++;
    }
  }

  if (failed) return undefined;
  if (!command) {
    if (args.length) fail(args[0].range, 'iptables.no-command', 'no command specified');
    return undefined;
  }
  const usesRuleSpec = spec.basic.length > 0 || spec.matches.length > 0 || spec.target !== undefined;
  if (usesRuleSpec && !ruleCommands.has(command.letter)) {
    fail(command.written.range, 'iptables.illegal-option', `Illegal option with -${command.letter}: it takes no rule specification`);
  }
  if (command.letter === 'D' && command.rulenum !== undefined && usesRuleSpec) {
    fail(command.written.range, 'iptables.illegal-option', '-D takes either a rule number or a rule specification, not both');
  }
  if (!failed) validateRequirements(spec, ctx, fail);
  return failed ? undefined : command;
}

function checkRequiredOptions(
  what: string,
  spec: { requiresOneOf?: readonly string[]; requiresAll?: readonly string[] },
  given: readonly OptionUse[],
  range: Range,
  fail: (range: Range, code: string, message: string) => void,
): void {
  const names = new Set(given.map((o) => o.name));
  if (spec.requiresOneOf && !spec.requiresOneOf.some((n) => names.has(n))) {
    fail(range, 'iptables.missing-option', `${what} needs ${spec.requiresOneOf.map((n) => `--${n}`).join(' or ')}`);
  }
  const missing = (spec.requiresAll ?? []).filter((n) => !names.has(n));
  if (missing.length) fail(range, 'iptables.missing-option', `${what} needs ${missing.map((n) => `--${n}`).join(' and ')}`);
}

function unknownOptionMessage(text: string, loaded: readonly Loaded[]): string {
  const names = loaded.map((l) => (l.kind === 'match' ? `-m ${l.spec.name}` : `-j ${l.spec.name}`));
  return names.length
    ? `unknown option "${text}" (not an option of ${names.join(', ')})`
    : `unknown option "${text}"`;
}

/** What each module and target needs that the option loop cannot see: a protocol, a required option. */
function validateRequirements(spec: RuleSpec, ctx: InterpretContext, fail: (range: Range, code: string, message: string) => void): void {
  const proto = spec.protocol;
  const protocolIs = (names: readonly string[]) => proto !== undefined && names.some((p) => p === proto.name || implicitProtocolMatch[proto.name] === implicitProtocolMatch[p]);
  const needProtocol = (what: string, names: readonly string[], range: Range) => {
    if (!protocolIs(names)) {
      fail(range, 'iptables.needs-protocol', `${what} needs -p ${names.join(' or -p ')} before it`);
    } else if (proto!.negated) {
      // The kernel's x_tables check refuses an inverted protocol; iptables-nft translates the match itself and does not.
      ctx.problems.push({ range, severity: 'warning', code: 'iptables.needs-protocol', message: `${what} after \`! -p ${proto!.name}\`: iptables-legacy-restore rejects this (the kernel wants -p ${names[0]} without !); iptables-nft-restore accepts it` });
    }
  };
  for (const match of spec.matches) {
    const module = match.spec;
    if (!module || module.opaque && module.doc === '') continue;
    const range = match.nameRange ?? match.range;
    if (module.requiresProtocol) needProtocol(`-m ${module.name}`, module.requiresProtocol, range);
    for (const option of match.options) if (option.spec?.requiresProtocol) needProtocol(option.written, option.spec.requiresProtocol, option.range);
    checkRequiredOptions(`-m ${module.name}`, module, match.options, range, fail);
  }
  const target = spec.target;
  if (target?.spec) {
    checkRequiredOptions(`-j ${target.name}`, target.spec, target.options, target.nameRange, fail);
    if (target.spec.requiresProtocol) needProtocol(`-j ${target.name}`, target.spec.requiresProtocol, target.nameRange);
  }
  if (target?.spec?.family && target.spec.family !== ctx.family) {
    fail(target.nameRange, 'iptables.wrong-family', `Target ${target.name} is ${target.spec.family === 'ipv4' ? 'IPv4' : 'IPv6'} only`);
  }
}
