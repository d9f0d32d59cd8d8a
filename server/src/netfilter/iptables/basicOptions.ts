/**
 * iptables' own getopt table: the commands and the built-in rule options, before any extension.
 * Names and arities follow iptables 1.8's `original_opts` and do_command().
 */
import type { OptionSpec } from '../../knowledge/xtables/types';
import { basicOptionSpecs } from '../../knowledge/xtables';
import type { CommandLetter } from './interpret';

export interface CommandOption {
  short: CommandLetter;
  long: string;
  /** Does the command name a chain? */
  chain: 'required' | 'optional' | 'none';
  /** A rule number after the chain (`-I chain 3`). */
  rulenum: 'required' | 'optional' | 'none';
  /** A further operand: `-P chain POLICY`, `-E old NEW`. */
  operand?: string;
  doc: string;
}

export const commandOptions: readonly CommandOption[] = [
  { short: 'A', long: 'append', chain: 'required', rulenum: 'none', doc: 'Append the rule to the end of the chain.' },
  { short: 'C', long: 'check', chain: 'required', rulenum: 'none', doc: 'Check whether a matching rule exists in the chain.' },
  { short: 'D', long: 'delete', chain: 'required', rulenum: 'optional', doc: 'Delete the rule with this number (1 = first) or the first rule matching this specification.' },
  { short: 'I', long: 'insert', chain: 'required', rulenum: 'optional', doc: 'Insert the rule at this position of the chain (default 1: at the head).' },
  { short: 'R', long: 'replace', chain: 'required', rulenum: 'required', doc: 'Replace the rule with this number.' },
  { short: 'L', long: 'list', chain: 'optional', rulenum: 'optional', doc: 'List the rules (not meaningful in a dump).' },
  { short: 'S', long: 'list-rules', chain: 'optional', rulenum: 'optional', doc: 'Print the rules (not meaningful in a dump).' },
  { short: 'F', long: 'flush', chain: 'optional', rulenum: 'none', doc: 'Delete every rule of the chain (or of every chain of the table).' },
  { short: 'Z', long: 'zero', chain: 'optional', rulenum: 'optional', doc: 'Zero the packet and byte counters.' },
  { short: 'N', long: 'new-chain', chain: 'required', rulenum: 'none', doc: 'Create a user-defined chain.' },
  { short: 'X', long: 'delete-chain', chain: 'optional', rulenum: 'none', doc: 'Delete an empty, unreferenced user-defined chain (or all of them).' },
  { short: 'P', long: 'policy', chain: 'required', rulenum: 'none', operand: 'a policy (ACCEPT or DROP)', doc: 'Set the policy of a built-in chain: the verdict for packets that reach its end.' },
  { short: 'E', long: 'rename-chain', chain: 'required', rulenum: 'none', operand: 'a new chain name', doc: 'Rename a user-defined chain.' },
];

export interface BasicOption {
  short: string;
  long: string;
  aliases?: readonly string[];
  /** The option's argument spec; undefined where the interpreter handles it itself (-m, -j, -g, -c, -4, -6). */
  option?: OptionSpec;
  doc: string;
}

export const basicOptions: readonly BasicOption[] = [
  { short: 's', long: 'source', aliases: ['src'], option: basicOptionSpecs.source, doc: basicOptionSpecs.source.doc },
  { short: 'd', long: 'destination', aliases: ['dst'], option: basicOptionSpecs.destination, doc: basicOptionSpecs.destination.doc },
  { short: 'p', long: 'protocol', option: basicOptionSpecs.protocol, doc: basicOptionSpecs.protocol.doc },
  { short: 'i', long: 'in-interface', option: basicOptionSpecs['in-interface'], doc: basicOptionSpecs['in-interface'].doc },
  { short: 'o', long: 'out-interface', option: basicOptionSpecs['out-interface'], doc: basicOptionSpecs['out-interface'].doc },
  { short: 'f', long: 'fragment', option: basicOptionSpecs.fragment, doc: basicOptionSpecs.fragment.doc },
  { short: 'm', long: 'match', doc: 'Load a match extension; the options after it are that extension\'s.' },
  { short: 'j', long: 'jump', doc: 'The target: a verdict (ACCEPT, DROP, RETURN, QUEUE), an extension (LOG, MARK, DNAT...), or a user chain to jump to (and return from).' },
  { short: 'g', long: 'goto', doc: 'Continue in a user chain without returning: a RETURN there goes back to the chain that jumped here with -j.' },
  { short: 'c', long: 'set-counters', doc: 'Initial packet and byte counters of the rule.' },
  { short: '4', long: 'ipv4', doc: 'The line applies to iptables only; ip6tables-restore skips it.' },
  { short: '6', long: 'ipv6', doc: 'The line applies to ip6tables only; iptables-restore skips it.' },
];

export type Base = { kind: 'command'; command: CommandOption } | { kind: 'basic'; option: BasicOption };

const longNames: [string, Base][] = [
  ...commandOptions.map((c): [string, Base] => [c.long, { kind: 'command', command: c }]),
  ...basicOptions.flatMap((b) => [b.long, ...(b.aliases ?? [])].map((n): [string, Base] => [n, { kind: 'basic', option: b }])),
];
const shortNames: [string, Base][] = [
  ...commandOptions.map((c): [string, Base] => [c.short, { kind: 'command', command: c }]),
  ...basicOptions.map((b): [string, Base] => [b.short, { kind: 'basic', option: b }]),
];

/** Looked up for every option of every line: maps (the first entry of a name wins), Base objects made once. */
function firstByName(entries: readonly [string, Base][]): Map<string, Base> {
  const map = new Map<string, Base>();
  for (const [n, b] of entries) if (!map.has(n)) map.set(n, b);
  return map;
}
const byLongName = firstByName(longNames);
const byShortName = firstByName(shortNames);

const byDashedName = new Map([...byLongName].map(([n, b]) => [`--${n}`, b]));

export function exactBase(name: string): Base | undefined {
  return byLongName.get(name);
}

/** exactBase() of `--name` as written. */
export function exactDashedBase(written: string): Base | undefined {
  return byDashedName.get(written);
}

/** Base options that `--name` abbreviates, one entry per option. */
export function prefixBase(name: string): Base[] {
  const seen = new Set<unknown>();
  const out: Base[] = [];
  for (const [n, b] of longNames) {
    const key = b.kind === 'command' ? b.command : b.option;
    if (n.startsWith(name) && !seen.has(key)) {
      seen.add(key);
      out.push(b);
    }
  }
  return out;
}

export function shortBase(letter: string): Base | undefined {
  return byShortName.get(letter);
}
