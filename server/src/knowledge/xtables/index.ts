/**
 * Lookups over the xtables vocabulary: match modules, targets, their options, the built-in
 * chains of each table, and iptables' own rule options (-s, -d, -p, -i, -o, -f).
 */
import * as a from './args';
import { matchModules } from './matches';
import { targets } from './targets';
import type { Family, ModuleSpec, OptionSpec, Table, TargetSpec } from './types';

export { matchModules } from './matches';
export { targets } from './targets';
export type * from './types';

/** The built-in chains of each table, in hook order. */
export const builtinChains: Record<Table, readonly string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** The verdicts iptables writes as `-j NAME` without an extension (its "standard" target). */
export const standardVerdicts: readonly string[] = ['ACCEPT', 'DROP', 'QUEUE', 'RETURN'];

/** Modules, targets and options by every name they answer to: the parser looks them up per argument. */
function indexByName<T extends { name: string; aliases?: readonly string[] }>(items: readonly T[]): Map<string, T[]> {
  const index = new Map<string, T[]>();
  for (const item of items) {
    for (const n of [item.name, ...(item.aliases ?? [])]) {
      const list = index.get(n);
      if (!list) index.set(n, [item]);
      else if (!list.includes(item)) list.push(item);
    }
  }
  return index;
}

const modulesByName = indexByName(matchModules);
const targetsByName = indexByName(targets);
const optionIndexes = new WeakMap<ModuleSpec | TargetSpec, Map<string, OptionSpec>>();

/**
 * The match module `-m name` loads (names are case-sensitive, as iptables' library lookup is).
 * The module of the ruleset's family is preferred; when only the other family has one (`-m icmp`
 * in an IPv6 dump) that one is returned, so the caller can say the module is for the other family
 * rather than unknown.
 */
export function findMatchModule(name: string, family: Family): ModuleSpec | undefined {
  const found = modulesByName.get(name);
  if (!found) return undefined;
  if (found.length === 1) return found[0];
  return found.find((m) => m.family === family) ?? found.find((m) => m.family === undefined) ?? found[0];
}

/** The target `-j NAME` names, if it is an extension or a standard verdict (case-sensitive). */
export function findTarget(name: string): TargetSpec | undefined {
  return targetsByName.get(name)?.[0];
}

/** An option of a module or target by its name or one of its aliases (no prefix matching). */
export function findOption(spec: ModuleSpec | TargetSpec, name: string): OptionSpec | undefined {
  let index = optionIndexes.get(spec);
  if (!index) {
    index = new Map();
    for (const [n, [option]] of indexByName(spec.options)) index.set(n, option);
    optionIndexes.set(spec, index);
  }
  return index.get(name);
}

/** iptables' own rule options, each with its argument parser. */
export const basicOptionSpecs = {
  source: {
    name: 'source',
    aliases: ['src'],
    args: [a.addresses],
    invertible: true,
    doc: 'Matches when the source address is within the network (`address[/prefix]` or `address/mask`; a host is /32 or /128). A comma list adds one rule per address.',
  },
  destination: {
    name: 'destination',
    aliases: ['dst'],
    args: [a.addresses],
    invertible: true,
    doc: 'Matches when the destination address is within the network (`address[/prefix]` or `address/mask`; a host is /32 or /128). A comma list adds one rule per address.',
  },
  protocol: {
    name: 'protocol',
    args: [a.protocol],
    invertible: true,
    doc: 'Matches the layer-4 protocol: a name (tcp, udp, icmp, icmpv6, esp, sctp...) or a number; `all` (or 0) matches every protocol. With tcp, udp, sctp, dccp, icmp or icmpv6 the protocol\'s own options (--dport...) become available.',
  },
  'in-interface': {
    name: 'in-interface',
    args: [a.iface],
    invertible: true,
    doc: 'Matches the interface the packet arrived on (PREROUTING, INPUT, FORWARD); a trailing `+` matches every interface whose name begins with the rest.',
  },
  'out-interface': {
    name: 'out-interface',
    args: [a.iface],
    invertible: true,
    doc: 'Matches the interface the packet will leave on (FORWARD, OUTPUT, POSTROUTING); a trailing `+` matches every interface whose name begins with the rest.',
  },
  fragment: {
    name: 'fragment',
    args: [],
    invertible: true,
    doc: 'Matches second and later fragments of a fragmented IPv4 packet (they carry no ports or ICMP type); with `!`, unfragmented packets and first fragments. IPv4 only.',
  },
} as const satisfies Record<string, OptionSpec>;

/** A protocol name or number as iptables reads it (case as written), or undefined. */
export { protocolNumber, protocolName } from './args';
