import type { ParseOptions } from '../../grammar/generated/iptablesLine';
import { source } from '../../grammar/generated/iptablesLine.source';

type Parse = (input: string, options?: ParseOptions) => unknown;

/**
 * A parser of its own, made from the generated module's text. peggy's parse() makes its rule
 * functions anew at each call, as closures over that call's state; V8 optimises the first closure
 * of a function for its exact context and every later one generically, which runs the grammar
 * 20-25% slower (measured on a 16 MB dump: 200 ms on the first parse, 255-310 ms on each after).
 * A new instance is new functions, whose first call gets the fast code again; V8 caches compiled
 * functions by their source text, so each instance's text differs by a comment. Starting cold costs
 * more than it saves below ~7 MB.
 */
let instances = 0;
function instance(): Parse {
  const module = { exports: {} as { parse?: Parse } };
  new Function('module', 'exports', `${source}\n// instance ${++instances}`)(module, module.exports);
  return module.exports.parse!;
}

/** The parser of single lines and of documents under FRESH_PARSER_FROM characters. */
const parse = instance();
/** Documents from this many characters get a parser instance of their own (measured crossover ~7 MB). */
export const FRESH_PARSER_FROM = 8_000_000;

/** Columns within one line. */
export interface Span {
  start: number;
  end: number;
}

export interface LineWord {
  text: string;
  span: Span;
}

export interface LineCounters {
  packets?: string;
  bytes?: string;
  /** Set when the brackets do not hold `packets:bytes`. */
  invalid?: string;
  span: Span;
}

/** One argument: the text iptables sees after unquoting, and its columns as written. */
export interface LineArg extends Span {
  text: string;
  quoted: boolean;
  unterminated: boolean;
}

/** One dump line as the grammar sees it; columns only, so the same text always parses the same. */
export type DumpLine =
  | { kind: 'comment'; text: string; span: Span }
  | { kind: 'table'; name: string; nameSpan: Span; rest: string; span: Span }
  | { kind: 'chain'; name: LineWord; policy: LineWord | null; counters: LineCounters | null; rest: string; span: Span }
  | { kind: 'commit'; span: Span }
  | { kind: 'command'; counters: LineCounters | null; args: LineArg[]; span: Span };

/**
 * Parses one line (without its terminator). Results depend only on the text, so callers may
 * cache them by text: an edit then re-parses only the lines it changed. The grammar accepts
 * every line.
 */
export function parseDumpLine(text: string, cache?: Map<string, DumpLine>): DumpLine {
  const hit = cache?.get(text);
  if (hit) return hit;
  const line = parse(text, { startRule: 'Line' }) as DumpLine;
  cache?.set(text, line);
  return line;
}

/**
 * Parses a whole document in one grammar call and hands over each line, in order, as soon as it
 * is read, with its offsets in the document: the same nodes parseDumpLine() gives, without a
 * call per line. Lines are split as core/text.ts splitLines() splits them.
 */
export function parseDumpLines(document: string, onLine: (node: DumpLine, start: number, end: number) => void): void {
  (document.length >= FRESH_PARSER_FROM ? instance() : parse)(document, { startRule: 'Lines', onLine });
}
