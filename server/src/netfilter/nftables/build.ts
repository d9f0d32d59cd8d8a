/**
 * From the grammar's statements to the typed model: tables (blocks or `add table`), chains with
 * their base-chain spec, rules, sets and maps, flowtables, objects, `define`/`include`, and the
 * commands of `nft -f` scripts (`add rule ip filter INPUT …`, `flush ruleset`). Problems nft
 * would reject are reported with the range of the words at fault; then checks.ts looks at the
 * whole ruleset (references, loops, reachability).
 */
import type { Range } from '../../core/text';
import { chainTypes, familyHooks, families, priorityValue } from '../../knowledge/nftables';
import { checkRuleset } from './checks';
import type { BaseChain, Chain, Define, NftFamily, NftRuleset, Priority, Problem, Reference, Rule, Table, Word } from './model';
import { RuleReader, type RuleContext } from './rule';
import { Positions, scan, type Stmt, type Token } from './syntax';

const topCommands = new Set(['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush', 'list', 'reset', 'rename', 'monitor', 'describe', 'export', 'import', 'get']);
const objectTypes = new Set(['counter', 'quota', 'limit', 'synproxy', 'secmark', 'tunnel']);
const ctObjectTypes = new Set(['helper', 'timeout', 'expectation']);

export function parseNftables(text: string): NftRuleset {
  return new Builder(text).build();
}

class Builder {
  private readonly pos: Positions;
  private readonly ruleset: NftRuleset;
  private readonly tables = new Map<string, Table>();
  /** Tables whose contents this file declares (a block or `add table`); references elsewhere may be to the kernel's. */
  private readonly declared = new Set<Table>();
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
    this.pos = new Positions(text);
    this.ruleset = { tables: [], defines: new Map(), includes: [], commands: [], comments: [], references: [], problems: [], lineCount: this.pos.lineCount };
  }

  build(): NftRuleset {
    let scanned: ReturnType<typeof scan>;
    try {
      scanned = scan(this.text);
    } catch (e) {
      // The grammar accepts every input (fuzz-tested); should it ever fail, report rather than throw.
      const at = (e as { location?: { start: { offset: number } } }).location?.start.offset ?? 0;
      this.problem(at, Math.min(at + 1, this.text.length), 'nftables.syntax', `The file could not be read: ${e instanceof Error ? e.message : String(e)}`);
      return this.ruleset;
    }
    const { stmts, comments } = scanned;
    for (const c of comments) {
      const range = this.pos.range(c.s, c.e);
      this.ruleset.comments.push({ text: c.text, range });
      if (/^\s*Warning: iptables-legacy tables present/.test(c.text)) this.ruleset.legacyTablesPresent = range;
    }
    for (const stmt of stmts) this.top(stmt);
    // `# Warning: table ip filter is managed by iptables-nft, do not touch!` precedes its table.
    for (const c of this.ruleset.comments) {
      const m = /^\s*Warning: table (\S+) (\S+) is managed by iptables-nft/.exec(c.text);
      const t = m && this.tables.get(`${m[1]} ${m[2]}`);
      if (t) t.managedByIptablesNft = c.range;
    }
    checkRuleset(this.ruleset, this.declared);
    return this.ruleset;
  }

  private range(s: number, e: number): Range {
    return this.pos.range(s, e);
  }
  private word(t: Token): Word {
    return { text: t.text, range: this.range(t.s, t.e) };
  }
  private problem(s: number, e: number, code: string, message: string, severity: Problem['severity'] = 'error'): void {
    this.ruleset.problems.push({ range: this.range(s, e), severity, code, message });
  }

  /** Reports what the grammar could only keep: stray braces, unterminated strings and blocks, bad characters. */
  private lexical(tokens: Token[]): void {
    for (const t of tokens) {
      if (t.k === 'stray') this.problem(t.s, t.e, 'nftables.syntax', `Unmatched \`${t.text}\`.`);
      else if (t.k === 'bad') this.problem(t.s, t.e, 'nftables.syntax', `nft does not accept the character \`${t.text}\` here.`);
      else if (t.k === 'string' && !t.closed) this.problem(t.s, t.e, 'nftables.syntax', 'Unterminated string: the closing `"` is missing on this line.');
      else if (t.k === 'brace' && !t.closed) this.problem(t.s, t.s + 1, 'nftables.syntax', 'This `{` is never closed.');
      else if (t.k === 'paren' && !t.closed) this.problem(t.s, t.s + 1, 'nftables.syntax', 'This `(` is never closed.');
      if (t.k === 'brace') for (const s of t.body ?? []) this.lexical(s.tokens);
      if (t.k === 'paren') this.lexical(t.tokens ?? []);
    }
  }

  private top(stmt: Stmt): void {
    this.lexical(stmt.tokens);
    const [first] = stmt.tokens;
    if (first.k !== 'word') {
      if (first.k !== 'stray' && first.k !== 'bad') this.problem(first.s, first.e, 'nftables.syntax', 'Expected `table`, `define`, `include` or a command such as `add rule`.');
      return;
    }
    switch (first.text) {
      case 'table': return this.tableStmt(stmt.tokens.slice(1), first, stmt, true);
      case 'define': case 'redefine': return this.define(stmt);
      case 'undefine': return;
      case 'include': {
        const path = stmt.tokens[1];
        if (path?.k !== 'string') return this.problem(first.s, stmt.e, 'nftables.syntax', '`include` needs a quoted file name.');
        this.ruleset.includes.push({ path: path.text, range: this.range(stmt.s, stmt.e) });
        return;
      }
    }
    if (topCommands.has(first.text)) return this.command(stmt);
    if (['chain', 'set', 'map', 'rule', 'flowtable', 'element'].includes(first.text)) {
      return this.problem(first.s, first.e, 'nftables.syntax', `\`${first.text}\` outside a table: write it inside \`table FAMILY NAME { … }\`, or as \`add ${first.text} FAMILY TABLE …\`.`);
    }
    this.problem(first.s, stmt.e, 'nftables.syntax', `\`${first.text}\` is not an nft command: expected \`table\`, \`define\`, \`include\`, \`add\`, \`flush\`….`);
  }

  private define(stmt: Stmt): void {
    const [kw, name, eq, ...value] = stmt.tokens;
    if (name?.k !== 'word' || eq?.text !== '=' || !value.length) {
      return this.problem(kw.s, stmt.e, 'nftables.syntax', '`define` needs `NAME = value`.');
    }
    const last = value[value.length - 1];
    const d: Define = {
      name: name.text,
      nameRange: this.range(name.s, name.e),
      range: this.range(stmt.s, stmt.e),
      value: this.text.slice(value[0].s, last.e),
      valueRange: this.range(value[0].s, last.e),
    };
    this.ruleset.defines.set(d.name, d);
    const ctx = this.ruleContext(undefined);
    new RuleReader(value, ctx).expression('mixed');
  }

  /** `[family] name` at the front of `tokens`; the family defaults to ip as in nft. */
  private familyAndName(tokens: Token[], at: Token): { family: NftFamily; name: Token; rest: Token[] } | undefined {
    const [a, b] = tokens;
    if (a?.k === 'word' && (families as readonly string[]).includes(a.text) && b && (b.k === 'word' || b.k === 'string')) {
      return { family: a.text as NftFamily, name: b, rest: tokens.slice(2) };
    }
    if (a && (a.k === 'word' || a.k === 'string')) return { family: 'ip', name: a, rest: tokens.slice(1) };
    this.problem(at.s, at.e, 'nftables.syntax', `\`${at.text}\` needs a table name (and a family: ${families.join(', ')}).`);
    return undefined;
  }

  private tableOf(family: NftFamily, name: Token, declare: boolean): Table {
    const key = `${family} ${name.text}`;
    let t = this.tables.get(key);
    if (!t) {
      const r = this.range(name.s, name.e);
      t = { family, name: name.text, nameRange: r, range: r, headerRange: r, chains: new Map(), sets: new Map(), flowtables: new Map(), objects: [], flags: [] };
      this.tables.set(key, t);
      this.ruleset.tables.push(t);
    }
    if (declare) this.declared.add(t);
    return t;
  }

  /** `table [family] name { … }` (or the same after `add`/`create`). */
  private tableStmt(tokens: Token[], kw: Token, stmt: Stmt, needsBody: boolean): void {
    const [maybeFamily, maybeName] = tokens;
    if (maybeFamily?.k === 'word' && maybeName?.k === 'word' && !(families as readonly string[]).includes(maybeFamily.text) && tokens[2]?.k === 'brace') {
      this.problem(maybeFamily.s, maybeFamily.e, 'nftables.unknown-family', `Unknown family \`${maybeFamily.text}\`: nft knows ${families.join(', ')}.`);
      return;
    }
    const fn = this.familyAndName(tokens, kw);
    if (!fn) return;
    const table = this.tableOf(fn.family, fn.name, true);
    const body = fn.rest[0];
    if (body?.k === 'brace') {
      if (table.headerRange === table.nameRange) {
        table.headerRange = this.range(kw.s, fn.name.e);
        table.range = this.range(stmt.s, body.e);
      }
      for (const s of this.block(body)) this.tableItem(table, s);
      this.extra(fn.rest.slice(1));
    } else {
      if (needsBody) this.problem(kw.s, fn.name.e, 'nftables.syntax', `\`table ${fn.family} ${fn.name.text}\` needs a body \`{ … }\` (or write \`add table\`).`);
      if (table.headerRange === table.nameRange) {
        table.headerRange = this.range(stmt.s, fn.name.e);
        table.range = this.range(stmt.s, stmt.e);
      }
      this.extra(fn.rest);
    }
  }

  /** A table, chain, set or object body: nft's parser needs a newline or `;` after its last statement. */
  private block(brace: Token): Stmt[] {
    if (brace.closed && !brace.separated) this.problem(brace.e - 1, brace.e, 'nftables.missing-separator', 'nft needs a newline or `;` before this `}`: the statement before it is not ended.');
    return brace.body ?? [];
  }

  private extra(tokens: Token[]): void {
    if (tokens.length) this.problem(tokens[0].s, tokens[tokens.length - 1].e, 'nftables.syntax', 'Unexpected words after the block.');
  }

  private tableItem(table: Table, stmt: Stmt): void {
    const [kw, ...rest] = stmt.tokens;
    if (kw.k !== 'word') {
      if (kw.k !== 'stray' && kw.k !== 'bad') this.problem(kw.s, kw.e, 'nftables.syntax', 'Expected `chain`, `set`, `map`, `flowtable`, an object or `flags` in a table.');
      return;
    }
    switch (kw.text) {
      case 'chain': this.chainStmt(table, rest, kw, stmt); return;
      case 'set': case 'map': return this.setStmt(table, kw.text, rest, kw, stmt);
      case 'flowtable': return this.flowtableStmt(table, rest, kw, stmt);
      case 'flags': table.flags.push(...rest.filter((t) => t.k === 'word').map((t) => t.text)); return;
      case 'comment': table.comment = rest[0]?.text; return;
      case 'ct':
        if (rest[0]?.k === 'word' && ctObjectTypes.has(rest[0].text)) return this.objectStmt(table, `ct ${rest[0].text}`, rest.slice(1), kw, stmt);
        break;
      default:
        if (objectTypes.has(kw.text)) return this.objectStmt(table, kw.text, rest, kw, stmt);
    }
    this.problem(kw.s, kw.e, 'nftables.syntax', `\`${kw.text}\` cannot appear in a table: expected chain, set, map, flowtable, counter, quota, limit, ct helper, ct timeout, ct expectation, synproxy, secmark, flags or comment.`);
  }

  private nameOf(tokens: Token[], kw: Token): Token | undefined {
    const n = tokens[0];
    if (n && (n.k === 'word' || n.k === 'string')) return n;
    this.problem(kw.s, kw.e, 'nftables.syntax', `\`${kw.text}\` needs a name.`);
    return undefined;
  }

  private chainStmt(table: Table, tokens: Token[], kw: Token, stmt: Stmt, blockOptional = false): Chain | undefined {
    const name = this.nameOf(tokens, kw);
    if (!name) return undefined;
    let chain = table.chains.get(name.text);
    const body = tokens[1];
    const range = this.range(stmt.s, body?.k === 'brace' ? body.e : name.e);
    if (!chain) {
      chain = { table, name: name.text, nameRange: this.range(name.s, name.e), range, rules: [], declarations: [] };
      table.chains.set(name.text, chain);
    }
    chain.declarations.push(this.range(name.s, name.e));
    if (body?.k === 'brace') {
      for (const s of this.block(body)) this.chainItem(chain, s);
      if (chain.policy && !chain.base) {
        this.ruleset.problems.push({ range: chain.policy.range, severity: 'error', code: 'nftables.policy-without-hook', message: `Only base chains (with \`type … hook …\`) have a policy; \`${chain.name}\` is a regular chain.` });
      }
      this.extra(tokens.slice(2));
    } else if (!blockOptional) {
      this.problem(kw.s, name.e, 'nftables.syntax', `\`chain ${name.text}\` needs a body \`{ … }\`.`);
    } else this.extra(tokens.slice(1));
    return chain;
  }

  private chainItem(chain: Chain, stmt: Stmt): void {
    const [kw, ...rest] = stmt.tokens;
    if (kw.k === 'word') {
      switch (kw.text) {
        case 'type': return this.baseChain(chain, stmt);
        case 'policy': {
          const p = rest[0];
          if (!p || p.k !== 'word') return this.problem(kw.s, kw.e, 'nftables.syntax', '`policy` needs `accept` or `drop`.');
          chain.policy = this.word(p);
          if (p.text.startsWith('$')) this.variableRef(p.text.slice(1), this.range(p.s, p.e));
          else if (p.text !== 'accept' && p.text !== 'drop') this.problem(p.s, p.e, 'nftables.invalid-policy', `A chain policy is \`accept\` or \`drop\`, not \`${p.text}\`.`);
          return;
        }
        case 'comment':
          if (rest[0]?.k === 'string' && rest.length === 1) { chain.comment = rest[0].text; return; }
          break;
        case 'devices':
        case 'flags':
          return;
      }
    }
    this.rule(chain, stmt.tokens, stmt);
  }

  private rule(chain: Chain, tokens: Token[], stmt: Stmt, command?: Word): Rule {
    const r: Rule = { chain: chain.name, index: chain.rules.length + 1, range: this.range(tokens[0].s, stmt.e), statements: [], text: this.text.slice(tokens[0].s, stmt.e), ...(command ? { command } : {}) };
    chain.rules.push(r);
    const ctx = this.ruleContext(chain, r);
    r.statements = new RuleReader(tokens, ctx).statements();
    return r;
  }

  private ruleContext(chain: Chain | undefined, rule?: Rule): RuleContext {
    const self = this;
    return {
      pos: this.pos,
      source: this.text,
      error: (s, e, code, message) => this.problem(s, e, code, message),
      chainRef: (word, goto) => this.ruleset.references.push({ kind: 'chain', table: chain?.table, name: word.text, range: word.range, rule, goto }),
      setRef: (name, range) => this.ruleset.references.push({ kind: 'set', table: chain?.table, name, range, rule }),
      variableRef: (name, range) => this.variableRef(name, range, rule),
      binding(body: Stmt[]): Rule[] {
        if (!chain) return [];
        const anon: Chain = { table: chain.table, name: `${chain.name} (binding)`, nameRange: chain.nameRange, range: chain.range, rules: [], declarations: [] };
        for (const s of body) self.rule(anon, s.tokens, s);
        return anon.rules;
      },
    };
  }

  private variableRef(name: string, range: Range, rule?: Rule): void {
    this.ruleset.references.push({ kind: 'variable', name, range, rule });
  }

  /** `type filter hook input [device "eth0"] priority filter + 10` (one statement up to `;`). */
  private baseChain(chain: Chain, stmt: Stmt): void {
    const t = stmt.tokens;
    const family = chain.table.family;
    const [, type, hookKw, hook] = t;
    if (type?.k !== 'word' || hookKw?.text !== 'hook' || hook?.k !== 'word') {
      this.problem(stmt.s, stmt.e, 'nftables.syntax', 'A base chain is declared as `type TYPE hook HOOK priority PRIORITY;`.');
      return;
    }
    const base: BaseChain = { type: { ...this.word(type), value: type.text }, hook: { ...this.word(hook), value: hook.text }, devices: [], range: this.range(stmt.s, stmt.e) };
    chain.base = base;
    let k = 4;
    while (k < t.length && t[k].text !== 'priority') {
      const w = t[k];
      if (w.text === 'device' && t[k + 1]) { base.devices.push(this.word(t[k + 1])); k += 2; continue; }
      if (w.text === 'devices' && t[k + 1]?.text === '=' && t[k + 2]?.k === 'brace') {
        for (const s of t[k + 2].body ?? []) for (const d of s.tokens) if (d.k !== 'comma') base.devices.push(this.word(d));
        k += 3;
        continue;
      }
      this.problem(w.s, w.e, 'nftables.syntax', `Unexpected \`${w.text}\` in the base chain spec: expected \`priority\`.`);
      k++;
    }
    // Base chain spec checks (nft(8), "CHAINS"): the type, then the hook for the family and the type.
    const spec = chainTypes[type.text];
    const hooks = familyHooks[family];
    if (!spec) {
      this.problem(type.s, type.e, 'nftables.invalid-chain-type', `Unknown chain type \`${type.text}\`: nft knows filter, nat and route.`);
    } else if (!spec.families.includes(family)) {
      this.problem(type.s, type.e, 'nftables.invalid-chain-type', `Chain type \`${type.text}\` is not available in the ${family} family (only ${spec.families.join(', ')}).`);
    }
    if (!hook.text.startsWith('$')) {
      if (!hooks.includes(hook.text)) {
        this.problem(hook.s, hook.e, 'nftables.invalid-hook', `The ${family} family has no hook \`${hook.text}\`: its hooks are ${hooks.join(', ')}.`);
      } else if (spec?.hooks && spec.families.includes(family) && !spec.hooks.includes(hook.text)) {
        this.problem(hook.s, hook.e, 'nftables.invalid-hook', `A ${type.text} chain cannot use hook \`${hook.text}\`: ${type.text} chains hook ${spec.hooks.join(', ')}.`);
      } else if ((hook.text === 'ingress' || hook.text === 'egress') && (family === 'netdev' || family === 'inet') && !base.devices.length) {
        this.problem(hook.s, hook.e, 'nftables.missing-device', `An ${family} ${hook.text} chain needs \`device NAME\` (or \`devices = { … }\`).`);
      }
    }
    if (t[k]?.text !== 'priority') {
      this.problem(hook.s, hook.e, 'nftables.missing-priority', 'The base chain has no `priority`: nft requires one (`priority filter`, `priority 0`…).');
      return;
    }
    const prio = t.slice(k + 1);
    if (!prio.length) return this.problem(t[k].s, t[k].e, 'nftables.syntax', '`priority` needs a value: a number, a name such as `filter`, or `filter + 10`.');
    base.priority = this.priority(prio, family, hook.text);
  }

  /** `-300`, `filter`, `filter + 10`, `raw - 10`, `$prio`. */
  private priority(tokens: Token[], family: string, hook: string): Priority {
    const first = tokens[0], last = tokens[tokens.length - 1];
    const p: Priority = { text: this.text.slice(first.s, last.e), range: this.range(first.s, last.e) };
    const num = (t: Token | undefined) => (t && /^-?\d+$/.test(t.text) ? Number(t.text) : undefined);
    if (tokens.length === 1 && num(first) !== undefined) {
      p.value = num(first);
      return p;
    }
    if (first.text.startsWith('$')) { this.variableRef(first.text.slice(1), this.range(first.s, first.e)); return p; }
    let offset = 0;
    if (tokens.length === 3 && (tokens[1].text === '+' || tokens[1].text === '-') && num(tokens[2]) !== undefined) {
      offset = tokens[1].text === '+' ? num(tokens[2])! : -num(tokens[2])!;
    } else if (tokens.length !== 1 || first.k !== 'word') {
      this.problem(first.s, last.e, 'nftables.invalid-priority', 'A priority is a number, a standard name (`filter`), or a name plus or minus a number (`filter + 10`).');
      return p;
    }
    const r = priorityValue(first.text, family, hook);
    if ('error' in r) {
      this.problem(first.s, first.e, 'nftables.invalid-priority', r.error);
      return p;
    }
    p.name = r.name;
    p.offset = offset;
    p.value = r.value + offset;
    return p;
  }

  private setStmt(table: Table, kind: 'set' | 'map', tokens: Token[], kw: Token, stmt: Stmt): void {
    const name = this.nameOf(tokens, kw);
    if (!name) return;
    const body = tokens[1];
    const set = { table, kind, name: name.text, nameRange: this.range(name.s, name.e), range: this.range(stmt.s, body?.e ?? name.e), typeof: false, flags: [] as string[], elements: [] as import('./model').SetElement[] } as import('./model').NamedSet;
    const prev = table.sets.get(name.text);
    table.sets.set(name.text, set);
    if (body?.k !== 'brace') {
      this.problem(kw.s, name.e, 'nftables.syntax', `\`${kind} ${name.text}\` needs a body \`{ type …; }\`.`);
      return;
    }
    const reader = new RuleReader([], this.ruleContext(undefined));
    for (const s of this.block(body)) {
      const [k, ...rest] = s.tokens;
      if (k.k !== 'word') continue;
      const joined = () => this.text.slice(rest[0]?.s ?? k.e, rest[rest.length - 1]?.e ?? k.e);
      switch (k.text) {
        case 'type': case 'typeof': {
          set.typeof = k.text === 'typeof';
          const all = joined();
          const colon = all.lastIndexOf(' : ');
          set.keyType = colon >= 0 ? all.slice(0, colon) : all;
          if (colon >= 0) set.valueType = all.slice(colon + 3);
          if (kind === 'map' && colon < 0) this.problem(k.s, s.e, 'nftables.syntax', 'A map\'s type needs `KEY : VALUE`.');
          break;
        }
        case 'flags': set.flags = rest.filter((t) => t.k === 'word').map((t) => t.text); break;
        case 'timeout': set.timeout = joined(); break;
        case 'comment': set.comment = rest[0]?.text; break;
        case 'elements': {
          const b = rest[1];
          if (rest[0]?.text !== '=' || b?.k !== 'brace') { this.problem(k.s, s.e, 'nftables.syntax', '`elements` needs `= { … }`.'); break; }
          set.elements = reader.elements(b.body ?? [], b);
          const ctx = this.ruleContext(undefined);
          const chainRefs = new RuleReader([], { ...ctx, chainRef: (w, goto) => this.ruleset.references.push({ kind: 'chain', table, name: w.text, range: w.range, goto }) });
          chainRefs.verdictElements(set.elements);
          break;
        }
        case 'size': case 'policy': case 'gc-interval': case 'auto-merge': case 'counter': case 'counters': case 'stateful': break;
        default:
          this.problem(k.s, k.e, 'nftables.syntax', `\`${k.text}\` is not a property of a ${kind}: expected type, typeof, flags, timeout, size, elements, policy, comment.`);
      }
    }
    if (set.keyType === undefined) this.problem(kw.s, name.e, 'nftables.syntax', `${kind} \`${name.text}\` has no \`type\` or \`typeof\`: nft requires one.`);
    // Declaring a set again is a no-op when nothing changes; another type makes nft fail (EEXIST).
    if (prev?.keyType !== undefined && set.keyType !== undefined && (prev.keyType !== set.keyType || prev.valueType !== set.valueType || prev.kind !== set.kind)) {
      this.problem(name.s, name.e, 'nftables.duplicate', `${kind} \`${name.text}\` is already declared in table ${table.family} ${table.name} as \`${prev.keyType}${prev.valueType ? ` : ${prev.valueType}` : ''}\`: nft fails with "File exists".`);
    }
    if (prev) set.elements = [...prev.elements, ...set.elements];
  }

  private flowtableStmt(table: Table, tokens: Token[], kw: Token, stmt: Stmt): void {
    const name = this.nameOf(tokens, kw);
    if (!name) return;
    const body = tokens[1];
    const ft = { table, name: name.text, nameRange: this.range(name.s, name.e), range: this.range(stmt.s, body?.e ?? name.e), devices: [] as Word[] } as import('./model').Flowtable;
    table.flowtables.set(name.text, ft);
    for (const s of body?.k === 'brace' ? this.block(body) : []) {
      const [k, ...rest] = s.tokens;
      if (k.text === 'hook' && rest[0]) {
        ft.hook = this.word(rest[0]);
        const p = rest.findIndex((t) => t.text === 'priority');
        if (p >= 0 && rest[p + 1]) ft.priority = this.priority(rest.slice(p + 1), table.family, 'ingress');
        if (rest[0].text !== 'ingress') this.problem(rest[0].s, rest[0].e, 'nftables.invalid-hook', 'A flowtable hooks `ingress`.');
      } else if (k.text === 'devices' && rest[1]?.k === 'brace') {
        for (const d of rest[1].body ?? []) for (const w of d.tokens) if (w.k !== 'comma') ft.devices.push(this.word(w));
      }
    }
  }

  private objectStmt(table: Table, type: string, tokens: Token[], kw: Token, stmt: Stmt): void {
    const name = this.nameOf(tokens, kw);
    if (!name) return;
    const body = tokens[1];
    const stmts = body?.k === 'brace' ? this.block(body) : [];
    const properties = stmts.map((s) => this.text.slice(s.s, s.e));
    const comment = stmts.find((s) => s.tokens[0].text === 'comment')?.tokens[1]?.text;
    table.objects.push({ table, type, name: name.text, nameRange: this.range(name.s, name.e), range: this.range(stmt.s, body?.e ?? name.e), properties, ...(comment !== undefined ? { comment } : {}) });
  }

  /** The commands of a script: `add table|chain|rule|set|map|element …`, `flush ruleset`, `delete …`. */
  private command(stmt: Stmt): void {
    const [verb, what, ...rest] = stmt.tokens;
    this.ruleset.commands.push({ text: this.text.slice(stmt.s, stmt.e), range: this.range(stmt.s, stmt.e) });
    const adds = verb.text === 'add' || verb.text === 'create' || verb.text === 'insert' || verb.text === 'replace';
    if (!adds || what?.k !== 'word') return;
    const withTable = (): { table: Table; rest: Token[] } | undefined => {
      const fn = this.familyAndName(rest, what);
      if (!fn) return undefined;
      const known = this.tables.get(`${fn.family} ${fn.name.text}`);
      if (!known) this.problem(fn.name.s, fn.name.e, 'nftables.undeclared-table', `Table ${fn.family} ${fn.name.text} is not declared in this file: \`nft -f\` fails unless it already exists in the kernel.`, 'warning');
      return { table: known ?? this.tableOf(fn.family, fn.name, false), rest: fn.rest };
    };
    switch (what.text) {
      case 'table': return this.tableStmt(rest, what, stmt, false);
      case 'chain': {
        const t = withTable();
        if (t) this.chainStmt(t.table, t.rest, what, { ...stmt, s: t.rest[0]?.s ?? stmt.s }, true);
        return;
      }
      case 'set': case 'map': {
        const t = withTable();
        if (t) this.setStmt(t.table, what.text, t.rest, what, stmt);
        return;
      }
      case 'flowtable': {
        const t = withTable();
        if (t) this.flowtableStmt(t.table, t.rest, what, stmt);
        return;
      }
      case 'element': {
        const t = withTable();
        const name = t?.rest[0];
        if (t && name) {
          this.ruleset.references.push({ kind: 'set', table: t.table, name: name.text, range: this.range(name.s, name.e) });
          const body = t.rest[1];
          const set = t.table.sets.get(name.text);
          if (body?.k === 'brace' && set) set.elements.push(...new RuleReader([], this.ruleContext(undefined)).elements(body.body ?? [], body));
        }
        return;
      }
      case 'rule': {
        const t = withTable();
        if (!t) return;
        const [chainName, ...r] = t.rest;
        if (!chainName || (chainName.k !== 'word' && chainName.k !== 'string')) return this.problem(what.s, what.e, 'nftables.syntax', '`rule` needs a chain name.');
        let k = 0;
        while (r[k] && ['position', 'index', 'handle'].includes(r[k].text) && r[k + 1]) k += 2;
        const body = r.slice(k);
        if (!body.length) return this.problem(what.s, chainName.e, 'nftables.syntax', 'The rule has no statements.');
        let chain = t.table.chains.get(chainName.text);
        if (!chain) {
          if (this.declared.has(t.table)) this.problem(chainName.s, chainName.e, 'nftables.undefined-chain', `Chain \`${chainName.text}\` does not exist in table ${t.table.family} ${t.table.name}.`);
          chain = { table: t.table, name: chainName.text, nameRange: this.range(chainName.s, chainName.e), range: this.range(chainName.s, chainName.e), rules: [], declarations: [] };
          t.table.chains.set(chain.name, chain);
        }
        this.rule(chain, body, stmt, this.word(verb));
        return;
      }
      default:
        if (objectTypes.has(what.text)) {
          const t = withTable();
          if (t) this.objectStmt(t.table, what.text, t.rest, what, stmt);
        }
    }
  }
}

export type { Reference };
