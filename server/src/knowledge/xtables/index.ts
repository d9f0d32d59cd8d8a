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

const byName = <T extends { name: string; aliases?: readonly string[] }>(items: readonly T[], name: string): T[] =>
  items.filter((m) => m.name === name || (m.aliases?.includes(name) ?? false));

/**
 * The match module `-m name` loads (names are case-sensitive, as iptables' library lookup is).
 * The module of the ruleset's family is preferred; when only the other family has one (`-m icmp`
 * in an IPv6 dump) that one is returned, so the caller can say the module is for the other family
 * rather than unknown.
 */
export function findMatchModule(name: string, family: Family): ModuleSpec | undefined {
  const found = byName(matchModules, name);
  return found.find((m) => m.family === family) ?? found.find((m) => m.family === undefined) ?? found[0];
}

/** The target `-j NAME` names, if it is an extension or a standard verdict (case-sensitive). */
export function findTarget(name: string): TargetSpec | undefined {
  return targets.find((t) => t.name === name);
}

/** An option of a module or target by its name or one of its aliases (no prefix matching). */
export function findOption(spec: ModuleSpec | TargetSpec, name: string): OptionSpec | undefined {
  return spec.options.find((o) => o.name === name || (o.aliases?.includes(name) ?? false));
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
