/**
 * Reads the tokens of one rule into statements: match expressions (`selector [op] value`),
 * verdicts, and the other statements nft(8) defines. nft's parser decides where a value ends by
 * its keywords; so does this reader: a value on the right of a match is one constant (with
 * `.`, `,`, `|`, `/` continuing it), and the next selector word starts the next statement.
 */
import type { Range } from '../../core/text';
import { bareMeta, protocolDoc, protocolFields, statementWords } from '../../knowledge/nftables';
import type { Expr, RelOp, SetElement, Statement, Verdict, Word } from './model';
import type { Positions, Stmt, Token } from './syntax';

export interface RuleContext {
  pos: Positions;
  /** The document text, to see the separators the grammar dropped. */
  source: string;
  /** Reports a problem nft would reject the rule for. */
  error(s: number, e: number, code: string, message: string): void;
  /** A chain named by `jump`/`goto` (or a verdict map element). */
  chainRef(word: Word, goto: boolean): void;
  setRef(name: string, range: Range): void;
  variableRef(name: string, range: Range): void;
  /** Reads the rules of an anonymous chain (`jump { … }`). */
  binding(body: Stmt[]): import('./model').Rule[];
}

const verdicts = new Set<Verdict>(['accept', 'drop', 'reject', 'queue', 'continue', 'return', 'jump', 'goto']);
const relOps: Record<string, RelOp> = { '==': '==', '!=': '!=', '<': '<', '>': '>', '<=': '<=', '>=': '>=', eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=' };
const binOps: Record<string, '&' | '|' | '^' | '<<' | '>>'> = { '&': '&', '|': '|', '^': '^', '<<': '<<', '>>': '>>', and: '&', or: '|', xor: '^', lshift: '<<', rshift: '>>' };
/** Statements that end the argument list of a statement we keep as words. */
const argStops = new Set([...verdicts, 'counter', 'log', 'comment', 'limit', 'quota', 'notrack']);
const natFlags = new Set(['random', 'persistent', 'fully-random', 'netmap', 'prefix']);
const logKeys = new Set(['prefix', 'level', 'group', 'snaplen', 'queue-threshold']);
/** Fields whose values are protocol names, which are also selector words (`tcp`, `ip`, `arp`). */
const protocolValued = new Set(['l4proto', 'protocol', 'nexthdr', 'nfproto', 'type', 'l3proto', 'iiftype', 'oiftype', 'proto']);

/** Values and ranges written as one word: numbers, addresses, prefixes. */
const addressLike = /^(\d[\d.]*|0x[0-9a-f]+|[0-9a-f]*:[0-9a-f:.]*|\[[0-9a-f:.]+\](:\d+)?)$/i;

export class RuleReader {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly ctx: RuleContext,
  ) {}

  private peek(n = 0): Token | undefined {
    return this.tokens[this.i + n];
  }
  private next(): Token {
    return this.tokens[this.i++];
  }
  private word(t: Token): Word {
    return { text: t.text, range: this.ctx.pos.range(t.s, t.e) };
  }
  private isWord(t: Token | undefined, text?: string): t is Token {
    return !!t && t.k === 'word' && (text === undefined || t.text === text);
  }
  private rangeFrom(s: number): Range {
    const last = this.tokens[Math.max(this.i - 1, 0)];
    return this.ctx.pos.range(s, Math.max(last.e, s));
  }
  private get done(): boolean {
    return this.i >= this.tokens.length;
  }

  /** Every statement of the rule; unreadable tokens are reported and skipped. */
  statements(): Statement[] {
    const out: Statement[] = [];
    let terminal: Statement | undefined;
    let comment: Statement | undefined;
    while (!this.done) {
      const start = this.i;
      const st = this.statement();
      if (st) {
        // nft refuses statements after a verdict or nat statement (a comment is the rule's, not a statement).
        if (comment) {
          const t = this.tokens[start];
          this.ctx.error(t.s, this.tokens[this.i - 1].e, 'nftables.syntax', 'A rule\'s `comment "…"` must come last: nft expects the end of the rule after it.');
        } else if (terminal && st.kind !== 'comment') {
          const t = this.tokens[start];
          this.ctx.error(t.s, this.tokens[this.i - 1].e, 'nftables.after-terminal', `Nothing runs after \`${'keyword' in terminal ? terminal.keyword.text : 'the verdict'}\`: nft rejects a statement after a terminal one ("has no effect").`);
        }
        if ((st.kind === 'verdict' && st.verdict !== 'continue') || st.kind === 'nat') terminal = st;
        if (st.kind === 'comment') comment = st;
        out.push(st);
      }
      if (this.i === start) {
        const t = this.next();
        this.ctx.error(t.s, t.e, 'nftables.syntax', `Unexpected ${describe(t)}: nft expects a match expression or a statement here.`);
      }
    }
    return out;
  }

  private statement(): Statement | undefined {
    const t = this.peek()!;
    if (t.k !== 'word') return undefined;
    const w = t.text;
    if (verdicts.has(w as Verdict)) return this.verdict();
    switch (w) {
      case 'counter': return this.counter();
      case 'comment': {
        const kw = this.word(this.next());
        const text = this.peek();
        if (text?.k === 'string' || this.isWord(text)) {
          this.next();
          return { kind: 'comment', keyword: kw, text: text.text, range: this.rangeFrom(t.s) };
        }
        this.ctx.error(t.s, t.e, 'nftables.syntax', '`comment` needs a quoted string.');
        return { kind: 'comment', keyword: kw, text: '', range: kw.range };
      }
      case 'log': return this.log();
      case 'limit':
      case 'quota':
        return this.limitOrQuota(w);
      case 'notrack':
        this.next();
        return { kind: 'notrack', keyword: this.word(t), range: this.word(t).range };
      case 'snat': case 'dnat': case 'masquerade': case 'redirect':
        return this.nat(w);
      case 'xt': {
        const kw = this.word(this.next());
        const what = this.peek() && this.peek()!.k !== 'brace' ? this.next().text : '';
        const name = this.peek() && (this.peek()!.k === 'string' || this.peek()!.k === 'word') ? this.next().text : '';
        return { kind: 'xt', keyword: kw, what, name, range: this.rangeFrom(t.s) };
      }
      case 'add': case 'update': case 'delete': {
        if (!this.peek(1)?.text.startsWith('@')) break;
        const kw = this.word(this.next());
        const set = this.word(this.next());
        this.ctx.setRef(set.text.slice(1), set.range);
        if (this.peek()?.k === 'brace') this.primary('mixed');
        return { kind: 'setUpdate', keyword: kw, set, range: this.rangeFrom(t.s) };
      }
      case 'tproxy': case 'dup': case 'fwd': case 'flow': case 'meter': case 'last': case 'synproxy': case 'reset': {
        const kw = this.word(this.next());
        const args: Word[] = [];
        while (!this.done && !(this.isWord(this.peek()) && argStops.has(this.peek()!.text))) {
          const a = this.peek()!;
          if (a.k === 'word' && a.text.startsWith('@')) this.ctx.setRef(a.text.slice(1), this.word(a).range);
          if (a.k === 'word' && (a.text === 'name' || a.text === 'to')) {
            args.push(this.word(this.next()));
            if (!this.done) this.expression('mixed');
            continue;
          }
          if (a.k === 'brace') { this.primary('mixed'); continue; }
          args.push(this.word(this.next()));
        }
        return { kind: 'other', keyword: kw, args, range: this.rangeFrom(t.s) };
      }
    }
    return this.exprStatement();
  }

  /**
   * `limit rate [over|until] 10/second [burst 5 packets]`, `limit rate 10 mbytes/second`,
   * `quota [over|until] 25 mbytes [used 1 mbytes]`, or either with `name "obj"`: only these words,
   * so the next statement is not swallowed.
   */
  private limitOrQuota(w: 'limit' | 'quota'): Statement {
    const t = this.next();
    const keyword = this.word(t);
    const args: Word[] = [];
    const take = () => args.push(this.word(this.next()));
    const unit = /^([kmg]?bytes|packets)(\/(second|minute|hour|day|week))?$/;
    const amount = /^\d+(\/(second|minute|hour|day|week))?$/;
    if (this.isWord(this.peek(), 'name') && this.peek(1)) {
      // `quota name "q"`, or a map from the packet to the object: `quota name ip saddr map @m`.
      take();
      this.expression('mixed');
      return { kind: w, keyword, args, range: this.rangeFrom(t.s) };
    }
    if (w === 'limit') {
      if (this.isWord(this.peek(), 'rate')) take();
      else this.ctx.error(t.s, t.e, 'nftables.syntax', '`limit` needs `rate N/unit` (or `name`).');
    }
    if (this.isWord(this.peek(), 'over') || this.isWord(this.peek(), 'until')) take();
    for (const key of ['', 'burst', 'used']) {
      if (key) { if (!this.isWord(this.peek(), key)) continue; take(); }
      if (this.isWord(this.peek()) && amount.test(this.peek()!.text)) take();
      else { this.ctx.error(t.s, this.tokens[Math.max(this.i - 1, 0)].e, 'nftables.syntax', `\`${w}\` needs an amount here, such as \`${w === 'limit' ? '10/second' : '25 mbytes'}\`.`); break; }
      if (this.isWord(this.peek()) && unit.test(this.peek()!.text)) take();
    }
    return { kind: w, keyword, args, range: this.rangeFrom(t.s) };
  }

  private verdict(): Statement {
    const t = this.next();
    const keyword = this.word(t);
    const verdict = t.text as Verdict;
    if (verdict === 'jump' || verdict === 'goto') {
      const target = this.peek();
      if (target?.k === 'brace') {
        this.next();
        return { kind: 'verdict', verdict, keyword, binding: this.ctx.binding(target.body ?? []), args: [], range: this.rangeFrom(t.s) };
      }
      if (!target || (target.k !== 'word' && target.k !== 'string')) {
        this.ctx.error(t.s, t.e, 'nftables.syntax', `\`${verdict}\` needs the name of a chain.`);
        return { kind: 'verdict', verdict, keyword, args: [], range: keyword.range };
      }
      this.next();
      const w = this.word(target);
      if (w.text.startsWith('$')) this.ctx.variableRef(w.text.slice(1), w.range);
      else this.ctx.chainRef(w, verdict === 'goto');
      return { kind: 'verdict', verdict, keyword, target: w, args: [], range: this.rangeFrom(t.s) };
    }
    let args: Word[] = [];
    if (verdict === 'reject' && this.isWord(this.peek(), 'with')) {
      args.push(this.word(this.next()));
      const how = this.peek();
      if (this.isWord(how)) {
        args.push(this.word(this.next()));
        if (how.text === 'tcp') { if (this.isWord(this.peek(), 'reset')) args.push(this.word(this.next())); }
        else {
          if (this.isWord(this.peek(), 'type')) args.push(this.word(this.next()));
          if (this.isWord(this.peek())) args.push(this.word(this.next()));
        }
      }
    } else if (verdict === 'queue') {
      // A terminal statement: its options (`flags bypass,fanout to jhash tcp dport mod 4`) run to the end.
      while (!this.done) { const a = this.next(); if (a.k === 'word' || a.k === 'string') args.push(this.word(a)); }
    }
    return { kind: 'verdict', verdict, keyword, args, range: this.rangeFrom(t.s) };
  }

  private counter(): Statement {
    const t = this.next();
    const keyword = this.word(t);
    if (this.isWord(this.peek(), 'name')) {
      this.next();
      const name = this.expression('mixed');
      return { kind: 'counter', keyword, name, range: this.rangeFrom(t.s) };
    }
    let packets: bigint | undefined, bytes: bigint | undefined;
    while (this.isWord(this.peek(), 'packets') || this.isWord(this.peek(), 'bytes')) {
      const key = this.next().text;
      const v = this.peek();
      if (!this.isWord(v) || !/^\d+$/.test(v.text)) {
        this.ctx.error(t.s, this.tokens[this.i - 1].e, 'nftables.syntax', `\`counter ${key}\` needs a number.`);
        break;
      }
      this.next();
      if (key === 'packets') packets = BigInt(v.text);
      else bytes = BigInt(v.text);
    }
    return { kind: 'counter', keyword, packets, bytes, range: this.rangeFrom(t.s) };
  }

  private log(): Statement {
    const t = this.next();
    const keyword = this.word(t);
    const args: Word[] = [];
    let prefix: string | undefined;
    for (;;) {
      const k = this.peek();
      if (this.isWord(k) && logKeys.has(k.text) && this.peek(1)) {
        args.push(this.word(this.next()));
        const v = this.next();
        if (k.text === 'prefix') prefix = v.text;
        args.push(this.word(v));
      } else if (this.isWord(k, 'flags')) {
        args.push(this.word(this.next()));
        while (this.isWord(this.peek()) && !argStops.has(this.peek()!.text)) {
          args.push(this.word(this.next()));
          if (this.peek()?.k === 'comma') this.next();
          else if (!this.isWord(this.peek(), 'sequence') && !this.isWord(this.peek(), 'options')) break;
        }
      } else break;
    }
    return { kind: 'log', keyword, prefix, args, range: this.rangeFrom(t.s) };
  }

  private nat(nat: 'snat' | 'dnat' | 'masquerade' | 'redirect'): Statement {
    const t = this.next();
    const keyword = this.word(t);
    const args: Word[] = [];
    if (this.isWord(this.peek(), 'ip') || this.isWord(this.peek(), 'ip6')) {
      if (this.isWord(this.peek(1), 'to') || this.isWord(this.peek(1), 'prefix') || this.isWord(this.peek(1), 'addr')) args.push(this.word(this.next()));
    }
    if (this.isWord(this.peek(), 'prefix') || this.isWord(this.peek(), 'addr')) args.push(this.word(this.next()));
    if (this.isWord(this.peek(), 'port') && this.isWord(this.peek(1), 'to')) args.push(this.word(this.next()));
    let to: Expr | undefined;
    const hasTo = this.isWord(this.peek(), 'to');
    if (hasTo) args.push(this.word(this.next()));
    const p = this.peek();
    if (!this.done && (hasTo || (p!.k === 'word' && !natFlags.has(p!.text) && !argStops.has(p!.text) && (nat === 'snat' || nat === 'dnat')))) {
      to = this.expression('mixed');
    }
    while (this.isWord(this.peek()) && natFlags.has(this.peek()!.text)) {
      args.push(this.word(this.next()));
      if (this.peek()?.k === 'comma') this.next();
    }
    if ((nat === 'snat' || nat === 'dnat') && !to) this.ctx.error(t.s, t.e, 'nftables.syntax', `\`${nat}\` needs an address: \`${nat} to ADDR\`.`);
    return { kind: 'nat', keyword, nat, to, args, range: this.rangeFrom(t.s) };
  }

  /** A selector (or raw payload, hash, number generator) compared with, mapped by, or set to a value. */
  private exprStatement(): Statement | undefined {
    const t = this.peek()!;
    if (!statementWords.has(t.text) && !t.text.startsWith('@')) {
      this.ctx.error(t.s, t.e, 'nftables.unknown-statement', `\`${t.text}\` is neither a match expression nor a statement nft knows.`);
      this.next();
      return undefined;
    }
    const left = this.expression('selector');
    const n = this.peek();
    if (this.isWord(n, 'set') && left.kind === 'selector') {
      const keyword = this.word(this.next());
      if (this.done) this.ctx.error(n.s, n.e, 'nftables.syntax', '`set` needs a value.');
      const value = this.done ? { kind: 'other' as const, text: '', range: keyword.range } : this.expression('mixed');
      return { kind: 'set', target: left, value, keyword, range: this.rangeFrom(t.s) };
    }
    if (this.isWord(n, 'vmap')) {
      const keyword = this.word(this.next());
      const map = this.done ? undefined : this.primary('value');
      if (!map) {
        this.ctx.error(n.s, n.e, 'nftables.syntax', '`vmap` needs a map: `@name` or `{ key : verdict, … }`.');
        return undefined;
      }
      if (map.kind === 'set') this.verdictElements(map.elements);
      return { kind: 'vmap', key: left, map, keyword, range: this.rangeFrom(t.s) };
    }
    let op: RelOp = 'implicit';
    let opRange: Range | undefined;
    const o = this.peek();
    if (o && (o.k === 'op' || o.k === 'word') && relOps[o.text]) {
      op = relOps[o.text];
      opRange = this.word(this.next()).range;
    }
    if (this.isWord(this.peek(), 'over') || this.isWord(this.peek(), 'until')) this.next();
    if (this.done || (op === 'implicit' && this.startsStatement(this.peek()!)) || this.selectorWhereValueIs(left, this.peek()!)) {
      if (left.kind === 'selector' && (left.protocol !== 'exthdr' || op !== 'implicit')) {
        this.ctx.error(t.s, this.tokens[this.i - 1].e, 'nftables.syntax', `\`${left.text}\` needs a value to compare with (or \`set\`, \`vmap\`).`);
      }
      return { kind: 'match', left, op, opRange, right: { kind: 'other', text: '', range: left.range }, range: this.rangeFrom(t.s) };
    }
    const right = this.expression('value');
    if (right.kind === 'binop' && right.mask) {
      // `tcp flags syn / syn,ack` is `tcp flags & (syn,ack) == syn`.
      return { kind: 'match', left: { kind: 'binop', op: '&', left, right: right.right, range: { start: left.range.start, end: right.range.end } }, op: op === 'implicit' ? '==' : op, opRange, right: right.left, range: this.rangeFrom(t.s) };
    }
    return { kind: 'match', left, op, opRange, right, range: this.rangeFrom(t.s) };
  }

  /**
   * Does this token start the next statement rather than a value? Only verdicts and statements
   * here: protocol names are values too (`meta l4proto tcp`, `ip protocol udp`).
   */
  private startsStatement(t: Token): boolean {
    return t.k === 'word' && (verdicts.has(t.text as Verdict) || argStops.has(t.text));
  }

  /**
   * `iifname meta l4proto tcp`: a selector word where a value belongs. Protocol names are values of
   * the fields that hold a protocol (`meta l4proto tcp`, `ether type ip`), and only there.
   */
  private selectorWhereValueIs(left: Expr, next: Token): boolean {
    if (next.k !== 'word' || !(protocolDoc[next.text] !== undefined || bareMeta.has(next.text) || next.text === 'meta' || next.text === 'ct')) return false;
    const field = left.kind === 'selector' ? left.field : left.kind === 'binop' && left.left.kind === 'selector' ? left.left.field : undefined;
    return field !== undefined && !protocolValued.has(field.split(' ').pop()!);
  }

  /** Chains named in the verdicts of map elements (`{ 1 : jump a }`). */
  verdictElements(elements: SetElement[]): void {
    for (const el of elements) {
      const v = el.value;
      if (v?.kind !== 'other') continue;
      const m = /^(jump|goto)\s+(\S+)$/.exec(v.text);
      if (m) {
        const nameStart = v.range.end.character - m[2].length;
        this.ctx.chainRef({ text: m[2], range: { start: { line: v.range.end.line, character: nameStart }, end: v.range.end } }, m[1] === 'goto');
      }
    }
  }

  /**
   * An expression: concatenations (`a . b`), then `map` lookups. `mode` says what a bare word
   * is: a selector (left of a match), a constant (right of a match), or either (after `set`,
   * `to`, `name`), decided by whether a field word follows.
   */
  expression(mode: 'selector' | 'value' | 'mixed'): Expr {
    const s = this.peek()!.s;
    const parts = [this.binop(mode)];
    while (this.isWord(this.peek(), '.') && this.peek(1)) {
      this.next();
      parts.push(this.binop(mode));
    }
    let expr: Expr = parts.length === 1 ? parts[0] : { kind: 'concat', parts, range: this.rangeFrom(s) };
    if (mode !== 'value' && this.isWord(this.peek(), 'map') && this.peek(1)) {
      this.next();
      const map = this.primary('value');
      expr = { kind: 'map', key: expr, map, range: this.rangeFrom(s) };
    }
    // `ct state established,related`: a comma list outside braces.
    if (mode === 'value' && this.peek()?.k === 'comma') {
      const items = [expr];
      while (this.peek()?.k === 'comma' && this.peek(1)) {
        this.next();
        items.push(this.binop('value'));
      }
      expr = { kind: 'list', items, range: this.rangeFrom(s) };
    }
    return expr;
  }

  private binop(mode: 'selector' | 'value' | 'mixed'): Expr {
    const s = this.peek()!.s;
    let left = this.primary(mode);
    for (;;) {
      const t = this.peek();
      if (!t || !this.peek(1)) break;
      // `"17:00" - "19:00"`, `10 - 20`: a range written with a lone `-`.
      if (mode !== 'selector' && this.isWord(t, '-')) {
        this.next();
        left = { kind: 'range', from: left, to: this.primary('value'), range: this.rangeFrom(s) };
        continue;
      }
      const op = (t.k === 'op' || t.k === 'word') ? binOps[t.text] : undefined;
      // `tcp flags syn / syn,ack`: value under mask.
      if (!op && !(mode === 'value' && this.isWord(t, '/'))) break;
      this.next();
      let right = this.primary(mode === 'selector' ? 'value' : mode);
      if (!op) {
        // The mask is a flag list: `syn / syn,ack` tests (flags & (syn|ack)) == syn.
        const items = [right];
        while (this.peek()?.k === 'comma' && this.peek(1)) { this.next(); items.push(this.primary('value')); }
        if (items.length > 1) right = { kind: 'list', items, range: this.rangeFrom(s) };
        return { kind: 'binop', op: '&', left, right, mask: true, range: this.rangeFrom(s) };
      }
      left = { kind: 'binop', op, left, right, range: this.rangeFrom(s) };
    }
    return left;
  }

  primary(mode: 'selector' | 'value' | 'mixed'): Expr {
    const t = this.next();
    const range = this.ctx.pos.range(t.s, t.e);
    if (t.k === 'brace') return { kind: 'set', elements: this.elements(t.body ?? [], t), range };
    if (t.k === 'paren') {
      const inner = new RuleReader(t.tokens ?? [], this.ctx);
      if (!t.tokens?.length) return { kind: 'other', text: '()', range };
      const e = inner.expression(mode === 'selector' ? 'value' : mode);
      return { ...e, range };
    }
    if (t.k === 'string') return { kind: 'value', text: t.text, range, quoted: true };
    if (t.k !== 'word') {
      this.ctx.error(t.s, t.e, 'nftables.syntax', `Unexpected ${describe(t)} in an expression.`);
      return { kind: 'other', text: t.text, range };
    }
    const w = t.text;
    if (w.startsWith('@') && !w.includes(',')) {
      this.ctx.setRef(w.slice(1), range);
      return { kind: 'setRef', name: w.slice(1), range };
    }
    if (w.startsWith('$')) {
      this.ctx.variableRef(w.slice(1), range);
      return { kind: 'variable', name: w.slice(1), range };
    }
    if (w.startsWith('@')) return { kind: 'selector', protocol: 'raw', field: w, text: w, range };
    const fieldNext = this.isWord(this.peek()) && /^[a-z]/.test(this.peek()!.text) && !this.startsVerdict(this.peek()!);
    if (mode === 'selector' || (mode === 'mixed' && (protocolDoc[w] !== undefined || w === 'meta' || w === 'ct') && fieldNext) || (mode === 'mixed' && bareMeta.has(w) && !/^\d/.test(w))) {
      const sel = this.selector(t);
      if (sel) return sel;
    }
    return valueOf(w, range);
  }

  private startsVerdict(t: Token): boolean {
    return verdicts.has(t.text as Verdict);
  }

  /** `ip saddr`, `meta mark`, `mark`, `ct original ip saddr`, `tcp option maxseg size`, `numgen inc mod 2`… */
  private selector(first: Token): Expr | undefined {
    const p = first.text;
    const fieldWord = () => (this.isWord(this.peek()) && /^[a-z][a-z0-9-]*$/.test(this.peek()!.text) ? this.next().text : undefined);
    const done = (protocol: string, field: string): Expr => {
      const words = this.tokens.slice(this.tokens.indexOf(first), this.i);
      const known = protocolFields[protocol];
      const last = words[words.length - 1];
      // The field word nft checks: the one after the protocol (for ct, after original/reply/ip/ip6).
      const fieldWord = protocol === 'ct' ? last : words[1];
      if (known && words.length > 1 && fieldWord && fieldWord !== first && !known.has(fieldWord.text)) {
        this.ctx.error(fieldWord.s, fieldWord.e, 'nftables.unknown-field', `\`${first.text}\` has no field \`${fieldWord.text}\`: its fields are ${[...known].join(', ')}.`);
      } else if (known && words.length === 1 && p !== 'mark' && !bareMeta.has(p)) {
        this.ctx.error(first.s, first.e, 'nftables.syntax', `\`${first.text}\` needs a field: ${[...known].join(', ')}.`);
      }
      return { kind: 'selector', protocol, field, text: words.map((x) => x.text).join(' '), range: this.rangeFrom(first.s) };
    };
    switch (p) {
      case 'meta': return done('meta', fieldWord() ?? '');
      case 'ct': {
        const words: string[] = [];
        // `ct original ip saddr`: the family word only after a direction.
        if (this.isWord(this.peek(), 'original') || this.isWord(this.peek(), 'reply')) {
          words.push(this.next().text);
          if (this.isWord(this.peek(), 'ip') || this.isWord(this.peek(), 'ip6')) words.push(this.next().text);
        }
        const f = fieldWord();
        return done('ct', [...words, f ?? ''].join(' ').trim());
      }
      case 'numgen': case 'symhash': case 'jhash': {
        if (p === 'numgen' && this.isWord(this.peek())) this.next();
        if (p === 'jhash' && !this.isWord(this.peek(), 'mod') && !this.done) this.expression('selector');
        while (this.isWord(this.peek()) && ['mod', 'seed', 'offset'].includes(this.peek()!.text) && this.peek(1)) { this.next(); this.next(); }
        return done(p, '');
      }
      case 'fib': {
        const flags = [fieldWord() ?? ''];
        while (this.isWord(this.peek(), '.') && this.peek(1)) { this.next(); flags.push(this.next().text); }
        const result = fieldWord() ?? '';
        return done('fib', `${flags.join(' . ')} ${result}`);
      }
      case 'osf': {
        if (this.isWord(this.peek(), 'ttl') && this.peek(1)) { this.next(); this.next(); }
        return done('osf', fieldWord() ?? '');
      }
      case 'socket': {
        const f = fieldWord() ?? '';
        if (f === 'cgroupv2' && this.isWord(this.peek(), 'level')) { this.next(); this.next(); }
        return done('socket', f);
      }
      case 'ipsec': {
        const dir = fieldWord();
        if (this.isWord(this.peek(), 'spnum')) { this.next(); this.next(); }
        if (this.isWord(this.peek(), 'ip') || this.isWord(this.peek(), 'ip6')) this.next();
        return done('ipsec', `${dir ?? ''} ${fieldWord() ?? ''}`.trim());
      }
    }
    if (protocolDoc[p] !== undefined) {
      const field = fieldWord();
      if (field === undefined) return done(p, '');
      if (field === 'option' || (p === 'sctp' && field === 'chunk')) {
        const name = this.isWord(this.peek()) ? this.next().text : '';
        const sub = this.isWord(this.peek()) && /^[a-z][a-z0-9-]*$/.test(this.peek()!.text) && !['exists', 'missing', 'set'].includes(this.peek()!.text) && !statementWords.has(this.peek()!.text) ? this.next().text : '';
        return done(p, `${field} ${name} ${sub}`.trim());
      }
      if ((p === 'rt' || p === 'rt0' || p === 'rt2' || p === 'srh') && this.isWord(this.peek()) && /^(ip|ip6|addr\[\d+\])$/.test(this.peek()!.text)) this.next();
      return done(p, field);
    }
    if (bareMeta.has(p)) return done('meta', p);
    return undefined;
  }

  /** The elements of `{ … }`: comma-separated, over any number of lines, `key : value` in maps. */
  elements(body: Stmt[], brace?: Token): SetElement[] {
    // Elements are separated by commas and newlines; nft rejects a `;` inside `{ … }`.
    if (brace) {
      const gaps = [brace.s + 1, ...body.flatMap((st) => [st.s, st.e]), brace.e - (brace.closed ? 1 : 0)];
      for (let k = 0; k + 1 < gaps.length; k += 2) {
        const gap = this.ctx.source.slice(gaps[k], gaps[k + 1]).replace(/#[^\r\n]*/g, '');
        const semi = gap.indexOf(';');
        if (semi >= 0) this.ctx.error(gaps[k] + semi, gaps[k] + semi + 1, 'nftables.syntax', 'A `;` cannot separate the elements of `{ … }`: use a comma.');
      }
    }
    const flat = body.flatMap((s) => s.tokens);
    const out: SetElement[] = [];
    let start = 0;
    for (let k = 0; k <= flat.length; k++) {
      if (k < flat.length && flat[k].k !== 'comma') continue;
      const part = flat.slice(start, k);
      start = k + 1;
      if (!part.length) continue;
      out.push(this.element(part));
    }
    return out;
  }

  private element(part: Token[]): SetElement {
    const range = this.ctx.pos.range(part[0].s, part[part.length - 1].e);
    const colon = part.findIndex((t) => t.k === 'word' && t.text === ':');
    const keyTokens = colon >= 0 ? part.slice(0, colon) : part;
    const reader = new RuleReader(keyTokens, this.ctx);
    const key = keyTokens.length ? reader.expression('value') : { kind: 'other' as const, text: '', range };
    const options: Word[] = [];
    for (const t of keyTokens.slice(reader.i)) options.push({ text: t.text, range: this.ctx.pos.range(t.s, t.e) });
    let value: Expr | undefined;
    if (colon >= 0) {
      const valueTokens = part.slice(colon + 1);
      if (!valueTokens.length) {
        this.ctx.error(part[colon].s, part[colon].e, 'nftables.syntax', 'A map element needs a value after `:`.');
      } else if (valueTokens[0].k === 'word' && verdicts.has(valueTokens[0].text as Verdict)) {
        const n = valueTokens[0].text === 'jump' || valueTokens[0].text === 'goto' ? 2 : 1;
        const vt = valueTokens.slice(0, n);
        value = { kind: 'other', text: vt.map((t) => t.text).join(' '), range: this.ctx.pos.range(vt[0].s, vt[vt.length - 1].e) };
        for (const t of valueTokens.slice(n)) options.push({ text: t.text, range: this.ctx.pos.range(t.s, t.e) });
      } else {
        const vr = new RuleReader(valueTokens, this.ctx);
        value = vr.expression('value');
        for (const t of valueTokens.slice(vr.i)) options.push({ text: t.text, range: this.ctx.pos.range(t.s, t.e) });
      }
    }
    return { key, value, range, options };
  }
}

/** A constant as written: numbers get their value, `a-b` is a range and `a/n` a prefix. */
export function valueOf(text: string, range: Range): Expr {
  const slash = text.lastIndexOf('/');
  if (slash > 0 && /^\d+$/.test(text.slice(slash + 1)) && addressLike.test(text.slice(0, slash))) {
    return { kind: 'prefix', base: valueOf(text.slice(0, slash), range), length: Number(text.slice(slash + 1)), range };
  }
  const dash = text.indexOf('-', 1);
  if (dash > 0 && addressLike.test(text.slice(0, dash)) && addressLike.test(text.slice(dash + 1))) {
    return { kind: 'range', from: valueOf(text.slice(0, dash), range), to: valueOf(text.slice(dash + 1), range), range };
  }
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : undefined;
  return n === undefined || !Number.isSafeInteger(n) ? { kind: 'value', text, range } : { kind: 'value', text, range, number: n };
}

function describe(t: Token): string {
  switch (t.k) {
    case 'brace': return '`{`';
    case 'paren': return '`(`';
    case 'string': return `string "${t.text}"`;
    case 'comma': return '`,`';
    default: return `\`${t.text}\``;
  }
}
