/**
 * Model parts that keep columns and make their ranges when asked. A kube-proxy dump declares
 * 35k chains; as plain objects each declaration and its counters were five objects, which the
 * garbage collector copies and traces for as long as the model lives.
 */
import { lineRange, type Range } from '../../core/text';
import type { Span } from './lineGrammar';
import type { Counters } from './model';

/** Where a chain is declared: `:NAME POLICY [p:b]` or `-N NAME`. */
export class Declaration {
  readonly #start: number;
  readonly #end: number;
  readonly #nameStart: number;
  readonly #nameEnd: number;

  constructor(
    readonly line: number,
    span: Span,
    name: Span,
  ) {
    this.#start = span.start;
    this.#end = span.end;
    this.#nameStart = name.start;
    this.#nameEnd = name.end;
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
