/**
 * The grammar's output (statements of tokens, with `{ … }` blocks) and the offset → position
 * mapping the builder uses to give every part of the model its exact range.
 */
import { parse } from '../../grammar/generated/nftables';
import { lineRange, type Position, type Range } from '../../core/text';

export interface Token {
  k: 'word' | 'string' | 'op' | 'comma' | 'brace' | 'paren' | 'stray' | 'bad';
  text: string;
  s: number;
  e: number;
  /** Strings, braces and parentheses: whether they were closed. */
  closed?: boolean;
  /** Braces: whether a newline or `;` ends the last statement before `}` (or the block is empty). */
  separated?: boolean;
  /** Braces: the statements inside. */
  body?: Stmt[];
  /** Parentheses: the tokens inside. */
  tokens?: Token[];
}

export interface Stmt {
  tokens: Token[];
  s: number;
  e: number;
}

export interface ScannedComment {
  text: string;
  s: number;
  e: number;
}

export function scan(text: string): { stmts: Stmt[]; comments: ScannedComment[] } {
  // Backtracking may read a comment twice: keep one per offset.
  const comments = new Map<number, ScannedComment>();
  const stmts = parse(text, { startRule: 'Document', onComment: (t: string, s: number, e: number) => comments.set(s, { text: t, s, e }) }) as Stmt[];
  return { stmts, comments: [...comments.values()].sort((a, b) => a.s - b.s) };
}

/** Offsets to LSP positions (UTF-16 columns, as JS strings count). */
export class Positions {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }
  get lineCount(): number {
    return this.starts.length;
  }
  at(offset: number): Position {
    let lo = 0, hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.starts[lo] };
  }
  /** Most ranges lie on one line: those are one small object each (core/text.ts lineRange). */
  range(s: number, e: number): Range {
    const start = this.at(s);
    const lineEnd = start.line + 1 < this.starts.length ? this.starts[start.line + 1] : Infinity;
    if (e < lineEnd) return lineRange(start.line, start.character, e - this.starts[start.line]);
    return { start, end: this.at(e) };
  }
}
