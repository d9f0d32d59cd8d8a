/**
 * The typed model of an nftables ruleset (`nft list ruleset` output or an `nft -f` script): what
 * the checks, hovers, navigation and (later) the evaluator read. Plain data with source ranges.
 */
import type { Severity } from '../../core/finding';
import type { Range } from '../../core/text';

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
export type ChainType = 'filter' | 'nat' | 'route';
export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';

export interface Problem {
  range: Range;
  severity: Severity;
  /** Stable, e.g. `nftables.undefined-chain`. */
  code: string;
  message: string;
}

/** A word of the source as nft's scanner reads it. */
export interface Word {
  text: string;
  range: Range;
}

/**
 * An expression of a rule. Selectors are the packet fields and metadata (`ip saddr`, `meta mark`,
 * `ct state`, bare `iifname`); values are constants as written (numbers, addresses, names).
 */
export type Expr =
  | { kind: 'selector'; protocol: string; field: string; text: string; range: Range }
  | { kind: 'value'; text: string; range: Range; /** Integer value when the text is one (decimal or hex). */ number?: number; quoted?: boolean }
  | { kind: 'variable'; name: string; range: Range }
  | { kind: 'setRef'; name: string; range: Range }
  /** `mask`: written `value / mask` on the right of a match (`tcp flags syn / syn,ack`). */
  | { kind: 'binop'; op: '&' | '|' | '^' | '<<' | '>>'; left: Expr; right: Expr; range: Range; mask?: boolean }
  | { kind: 'concat'; parts: Expr[]; range: Range }
  /** `a-b` (a range written as one word, or `a - b`). */
  | { kind: 'range'; from: Expr; to: Expr; range: Range }
  /** `10.0.0.0/8`. */
  | { kind: 'prefix'; base: Expr; length: number; range: Range }
  /** Comma lists outside braces: `ct state established,related`, `tcp flags syn,ack`. */
  | { kind: 'list'; items: Expr[]; range: Range }
  /** `{ … }`: an anonymous set, or with `key : value` elements an anonymous map. */
  | { kind: 'set'; elements: SetElement[]; range: Range }
  /** `key map @m` / `key map { … }` (and the `vmap` of verdict maps, as a statement). */
  | { kind: 'map'; key: Expr; map: Expr; range: Range }
  /** Any other expression nft accepts that we keep as its words (`numgen inc mod 2`, `fib daddr type`…). */
  | { kind: 'other'; text: string; range: Range };

export interface SetElement {
  key: Expr;
  /** For maps: the value after `:` (a verdict for verdict maps). */
  value?: Expr;
  range: Range;
  /** `timeout 30s`, `counter`, `comment "…"` after the key. */
  options: Word[];
}

export type RelOp = '==' | '!=' | '<' | '>' | '<=' | '>=' | 'implicit';

export type Verdict = 'accept' | 'drop' | 'reject' | 'queue' | 'continue' | 'return' | 'jump' | 'goto';

/** One statement of a rule; `range` covers its words, `keyword` is the word that names it. */
export type Statement =
  | { kind: 'match'; left: Expr; op: RelOp; opRange?: Range; right: Expr; range: Range }
  | { kind: 'verdict'; verdict: Verdict; keyword: Word; target?: Word; /** `jump { … }`: an anonymous chain. */ binding?: Rule[]; args: Word[]; range: Range }
  | { kind: 'vmap'; key: Expr; map: Expr; keyword: Word; range: Range }
  | { kind: 'counter'; keyword: Word; packets?: bigint; bytes?: bigint; name?: Expr; range: Range }
  | { kind: 'comment'; keyword: Word; text: string; range: Range }
  | { kind: 'log'; keyword: Word; prefix?: string; args: Word[]; range: Range }
  | { kind: 'limit'; keyword: Word; args: Word[]; range: Range }
  | { kind: 'quota'; keyword: Word; args: Word[]; range: Range }
  | { kind: 'notrack'; keyword: Word; range: Range }
  /** `meta mark set 0x1`, `ct mark set meta mark`, `mark set …`, `meta nftrace set 1`, `ip ttl set 1`. */
  | { kind: 'set'; target: Extract<Expr, { kind: 'selector' }>; value: Expr; keyword: Word; range: Range }
  | { kind: 'nat'; keyword: Word; nat: 'snat' | 'dnat' | 'masquerade' | 'redirect'; to?: Expr; args: Word[]; range: Range }
  /** `add @set { ip saddr }`, `update @set …`, `delete @set …`. */
  | { kind: 'setUpdate'; keyword: Word; set: Word; range: Range }
  /** iptables-nft's untranslatable matches and targets: `xt match "foo"`, `xt target "BAR"`. */
  | { kind: 'xt'; keyword: Word; what: 'match' | 'target' | string; name: string; range: Range }
  /** Any other statement nft knows (`tproxy`, `dup`, `fwd`, `flow add`, `synproxy`, `ct helper set`…). */
  | { kind: 'other'; keyword: Word; args: Word[]; range: Range };

export interface Rule {
  /** The chain's name (`<binding>` for rules of an anonymous chain). */
  chain: string;
  /** 1-based position in its chain. */
  index: number;
  range: Range;
  statements: Statement[];
  /** Every word, in order, for hovers and summaries. */
  text: string;
  /** `nft add rule ip filter INPUT …` at the top level of a script. */
  command?: Word;
}

/** A priority as written (`filter + 10`, `-300`, `dstnat`) and its value for the family and hook. */
export interface Priority {
  text: string;
  range: Range;
  /** Undefined when the name is unknown or not valid here. */
  value?: number;
  /** The standard name it is based on, if any. */
  name?: string;
  offset?: number;
}

export interface BaseChain {
  type: Word & { value: ChainType | string };
  hook: Word & { value: Hook | string };
  priority?: Priority;
  /** `device "eth0"` / `devices = { … }` of netdev/ingress chains. */
  devices: Word[];
  /** The `type … ;` statement. */
  range: Range;
}

export interface Chain {
  table: Table;
  name: string;
  nameRange: Range;
  /** From `chain` to the closing `}` (or the header alone for `add chain … ` without a body). */
  range: Range;
  base?: BaseChain;
  policy?: Word;
  comment?: string;
  rules: Rule[];
  /** Every declaration (a script may declare the same chain more than once). */
  declarations: Range[];
}

export interface NamedSet {
  table: Table;
  kind: 'set' | 'map';
  name: string;
  nameRange: Range;
  range: Range;
  /** `type ipv4_addr . inet_service` (the key) and for maps the value type after `:`. */
  keyType?: string;
  valueType?: string;
  /** `typeof ip saddr` instead of `type`. */
  typeof: boolean;
  flags: string[];
  timeout?: string;
  elements: SetElement[];
  comment?: string;
}

export interface Flowtable {
  table: Table;
  name: string;
  nameRange: Range;
  range: Range;
  hook?: Word;
  priority?: Priority;
  devices: Word[];
}

/** A stateful object: `counter`, `quota`, `limit`, `ct helper`, `ct timeout`, `ct expectation`, `synproxy`, `secmark`. */
export interface NftObject {
  table: Table;
  type: string;
  name: string;
  nameRange: Range;
  range: Range;
  /** Its properties as written (`packets 0 bytes 0`, `type "sip" protocol tcp`). */
  properties: string[];
  comment?: string;
}

export interface Table {
  family: NftFamily;
  name: string;
  nameRange: Range;
  /** From `table` to the closing `}`. */
  range: Range;
  /** The `table … {` words. */
  headerRange: Range;
  chains: Map<string, Chain>;
  sets: Map<string, NamedSet>;
  flowtables: Map<string, Flowtable>;
  objects: NftObject[];
  flags: string[];
  comment?: string;
  /** iptables-nft printed `# Warning: table ip filter is managed by iptables-nft, do not touch!`. */
  managedByIptablesNft?: Range;
}

export interface Define {
  name: string;
  nameRange: Range;
  range: Range;
  value: string;
  /** The value's words, as substituted where `$name` is used. */
  valueRange: Range;
}

export interface Include {
  path: string;
  range: Range;
}

/** Where a chain, set or variable is named by a rule. */
export interface Reference {
  kind: 'chain' | 'set' | 'variable';
  table?: Table;
  name: string;
  range: Range;
  rule?: Rule;
  /** For chains: `goto` rather than `jump`. */
  goto?: boolean;
}

/** A whole file's comment (`# …`), with iptables-nft's warnings recognised. */
export interface Comment {
  text: string;
  range: Range;
}

export interface NftRuleset {
  /** Tables in order of first appearance; a script may reopen one (`table ip filter { … }` twice). */
  tables: Table[];
  defines: Map<string, Define>;
  includes: Include[];
  /** `flush ruleset` and other top-level commands of a script, as written. */
  commands: Word[];
  comments: Comment[];
  references: Reference[];
  problems: Problem[];
  /** `# Warning: iptables-legacy tables present, use iptables-legacy to see them`. */
  legacyTablesPresent?: Range;
  lineCount: number;
}
