/**
 * Model parts that keep columns and make their ranges when asked. A kube-proxy dump declares
 * 35k chains and holds 100k rules (700k dumps hold 250k chains); kept as objects, every range,
 * declaration and `[0:0]` was an object the garbage collector copies and traces for as long as
 * the model lives. So chains and rules keep columns packed in small integers (chain.ts, rule.ts)
 * and make these objects when they are asked for.
 */
import { lineRange, type Range } from '../../core/text';
import type { Span } from './lineGrammar';
import type { Counters } from './model';

const COLUMN_BITS = 15;
const COLUMN_LIMIT = 1 << COLUMN_BITS;
const COLUMN_MASK = COLUMN_LIMIT - 1;

/**
 * Two columns in one number that V8 keeps unboxed (a small integer, under 2^30), or -1 when
 * either is 32768 or more: the caller then keeps them some other way (lines that long are rare).
 */
export function packColumns(start: number, end: number): number {
  return start < COLUMN_LIMIT && end < COLUMN_LIMIT ? start | (end << COLUMN_BITS) : -1;
}

export function packedStart(packed: number): number {
  return packed & COLUMN_MASK;
}

export function packedEnd(packed: number): number {
  return packed >>> COLUMN_BITS;
}

/** Where a chain is declared: `:NAME POLICY [p:b]` or `-N NAME`. */
export class Declaration {
  readonly #start: number;
  readonly #end: number;
  readonly #nameStart: number;
  readonly #nameEnd: number;

  constructor(readonly line: number, start: number, end: number, nameStart: number, nameEnd: number) {
    this.#start = start;
    this.#end = end;
    this.#nameStart = nameStart;
    this.#nameEnd = nameEnd;
  }

  get range(): Range {
    return lineRange(this.line, this.#start, this.#end);
  }

  get nameRange(): Range {
    return lineRange(this.line, this.#nameStart, this.#nameEnd);
  }
}

/** `[packets:bytes]` of a chain or a rule. */
export class CountersAt implements Counters {
  readonly #line: number;
  readonly #start: number;
  readonly #end: number;

  constructor(
    readonly packets: bigint,
    readonly bytes: bigint,
    line: number,
    span: Span,
  ) {
    this.#line = line;
    this.#start = span.start;
    this.#end = span.end;
  }

  get range(): Range {
    return lineRange(this.#line, this.#start, this.#end);
  }
}
