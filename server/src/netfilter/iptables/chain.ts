/**
 * Chains as a ruleset keeps them. A kube-proxy dump declares a chain for every service and
 * endpoint (35k in 100k rules, 250k in 700k); as plain objects each was five (the chain, its
 * out-of-object properties, its declaration, its `[0:0]`, a rules array with room to grow), about
 * 470 bytes. A DumpChain (96 bytes) keeps its fields in the object and its declaration and `[0:0]`
 * as columns packed in numbers, and makes those objects when asked; a finished chain's rules array
 * has no room to grow (the reader joins appended rules in one array).
 */
import type { Span } from './lineGrammar';
import type { Chain, Counters, Rule, TableName } from './model';
import type { DumpSource } from './rule';
import { CountersAt, Declaration, packColumns, packedEnd, packedStart } from './spans';

/** Declarations are short (`:KUBE-SEP-XXXXXXXXXXXXXXXX - [0:0]` is 36 characters): four columns of 7 bits in one number. */
const SHORT_MASK = (1 << 7) - 1;

export class DumpChain implements Chain {
  rules: Rule[] = [];
  policy: string | undefined;
  /** The declaration's line, -1 before one; the Declaration itself when its columns do not pack. */
  #declared: number | Declaration = -1;
  /** The declaration's start, end, name start and name end, 7 bits each. */
  #columns = 0;
  /** A number for `[0:0]` on the declaration's line: the packed columns of the brackets. */
  #counters: Counters | number | undefined;
  readonly #source: DumpSource;

  constructor(
    readonly table: TableName,
    /** Changed by `-E`: its rules report the new name (they ask their chain). */
    public name: string,
    readonly builtin: boolean,
    source: DumpSource,
  ) {
    this.policy = builtin ? 'ACCEPT' : undefined;
    this.#source = source;
  }

  /** The dump the chain was read from: its rules read their lines from it. */
  get source(): DumpSource {
    return this.#source;
  }

  get declaration(): Declaration | undefined {
    const d = this.#declared;
    if (typeof d !== 'number') return d;
    const c = this.#columns;
    return d < 0 ? undefined : new Declaration(d, c & SHORT_MASK, (c >>> 7) & SHORT_MASK, (c >>> 14) & SHORT_MASK, c >>> 21);
  }

  /** The line of the declaration, without making it. */
  get declarationLine(): number | undefined {
    const d = this.#declared;
    return typeof d !== 'number' ? d.line : d < 0 ? undefined : d;
  }

  get counters(): Counters | undefined {
    const c = this.#counters;
    if (typeof c !== 'number') return c;
    return new CountersAt(0n, 0n, this.declarationLine!, { start: packedStart(c), end: packedEnd(c) });
  }

  /** Declared (again) on `line`: `span` is the declaration's, `name` its name's. */
  declare(line: number, span: Span, name: Span): void {
    // Packed counters belong to the declaration's line: they become an object before it moves.
    if (typeof this.#counters === 'number') this.#counters = this.counters;
    if (span.end > SHORT_MASK || name.end > SHORT_MASK) {
      this.#declared = new Declaration(line, span.start, span.end, name.start, name.end);
      return;
    }
    this.#declared = line;
    this.#columns = span.start | (span.end << 7) | (name.start << 14) | (name.end << 21);
  }

  /** `counters` were read from the brackets at `span` of line `line`. */
  setCounters(counters: Counters, line: number, span: Span): void {
    const packed = packColumns(span.start, span.end);
    this.#counters = counters.packets === 0n && counters.bytes === 0n && packed >= 0 && line === this.declarationLine ? packed : counters;
  }
}
