/**
 * The vocabulary of iptables extensions as data: every match module and target, its options,
 * the kinds of their arguments, and what they mean. The parser validates against it, hovers
 * explain from it, and the evaluator reads the typed values its argument parsers produce.
 */
export type Family = 'ipv4' | 'ipv6';

/** A parsed, typed argument value. Numbers that can exceed 2^53 (addresses) are bigint. */
export type ArgValue =
  | { type: 'number'; value: number }
  /** Inclusive range: ports `1024:65535`, lengths, ttl ranges. A single value has from === to. */
  | { type: 'range'; from: number; to: number }
  /** `value/mask` as in `--mark 0x8000/0x8000`; mask is 0xffffffff when absent. */
  | { type: 'mark'; value: number; mask: number }
  /** An address with a netmask (`10.0.0.0/8`, `10.0.0.0/255.0.0.0`, a host is /32 or /128). */
  | { type: 'net'; family: Family; address: bigint; prefix: number | null; mask: bigint; text: string }
  /** `10.0.0.1-10.0.0.9`. */
  | { type: 'iprange'; family: Family; from: bigint; to: bigint }
  /** Comma lists: multiport ports, ctstate names, ... */
  | { type: 'list'; items: ArgValue[] }
  /** Symbolic names from a closed set (ctstate NEW, pkttype unicast, addrtype LOCAL, TCP flags). */
  | { type: 'name'; value: string }
  /** Free text (comments, log prefixes, set names, helper names). */
  | { type: 'string'; value: string }
  /** Interface names; `eth+` is a prefix wildcard. */
  | { type: 'iface'; name: string; wildcard: boolean }
  /** A byte/bit pattern the tool cannot evaluate (u32, bpf, string algo...). Kept as written. */
  | { type: 'opaque'; text: string };

/**
 * `warning` (optional, additive): iptables accepts the argument but says something or changes it
 * (a comment cut to 255 characters, `/` in an interface name, a reversed iprange).
 */
export type ArgResult = { ok: true; value: ArgValue; warning?: string } | { ok: false; message: string };

/** Parses one argument as iptables' extension would, in the family of the ruleset. */
export type ArgParser = (text: string, family: Family) => ArgResult;

export interface OptionSpec {
  /** Long name without dashes, as iptables-save prints it: `mark`, `ctstate`, `dport`. */
  name: string;
  /** Other accepted spellings, without dashes (`destination-port` for `dport`). */
  aliases?: readonly string[];
  /** Argument parsers in order; empty for a flag such as `--syn` or `--notrack`. */
  args: readonly ArgParser[];
  /** Number of trailing args that may be omitted (e.g. `--log-level` has none; `--set-mark` none). */
  optionalArgs?: number;
  /** `! --option` is accepted. */
  invertible: boolean;
  /** The option needs `-p` with one of these protocols (ecn's `--ecn-tcp-cwr` needs tcp). */
  requiresProtocol?: readonly string[];
  /** What it does, exactly, for hovers: one or two sentences, then the semantics. */
  doc: string;
}

export interface ModuleSpec {
  /** As after `-m`: `mark`, `conntrack`, `tcp`. */
  name: string;
  aliases?: readonly string[];
  /** Only in this family (`icmp` is IPv4, `icmp6` IPv6). */
  family?: Family;
  /** The module needs `-p` with one of these protocols before it (`tcp` needs `-p tcp`). */
  requiresProtocol?: readonly string[];
  /** Sets of option names of which at least one must be given (`mark` needs `--mark`). */
  requiresOneOf?: readonly string[];
  /** Options that must all be given (`hashlimit` needs `--hashlimit-name`). Additive. */
  requiresAll?: readonly string[];
  /** Tables where the kernel accepts the match (undefined: all). Additive. */
  tables?: readonly Table[];
  /** Built-in chains (hooks) where the kernel accepts the match (`owner`: OUTPUT, POSTROUTING). Additive. */
  chains?: readonly string[];
  /** The module's contents cannot be evaluated (u32, bpf, set contents): kept opaque. */
  opaque?: boolean;
  doc: string;
  options: readonly OptionSpec[];
}

export type Table = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';

export interface TargetSpec {
  /** As after `-j`: `DROP`, `MARK`, `DNAT`. */
  name: string;
  /**
   * What the target does to evaluation: `terminal` ends it (ACCEPT ends only its table on this
   * hook, DROP/REJECT end everything), `continue` goes on with the next rule (LOG, MARK),
   * `return` returns from the chain.
   */
  flow: 'terminal' | 'continue' | 'return';
  /** Tables where the kernel allows it (undefined: all). */
  tables?: readonly Table[];
  /** Built-in chains where the kernel allows it (undefined: all chains of those tables). */
  chains?: readonly string[];
  family?: Family;
  /** Option names of which at least one must be given (`DNAT` needs `--to-destination`). */
  requiresOneOf?: readonly string[];
  /** Options that must all be given (`TPROXY` needs `--on-port`). Additive. */
  requiresAll?: readonly string[];
  /** The rule needs `-p` with one of these protocols (`TCPMSS` needs `-p tcp`). Additive. */
  requiresProtocol?: readonly string[];
  doc: string;
  options: readonly OptionSpec[];
}
