/**
 * One line of a kernel evidence file, typed: the grammar (grammar/kernelTraceLine.peggy) gives
 * each line's shape with columns; this names the shapes for the model and the hovers.
 */
import { parse } from '../grammar/generated/kernelTraceLine';

export interface Span {
  start: number;
  end: number;
}

export interface Duration {
  /** `+` > 10 µs, `!` > 100 µs, `#` > 1 ms, `*` > 10 ms, `@` > 100 ms, `$` > 1 s. */
  marker: string | null;
  value: number;
  unit: 'us' | 'ms' | 's';
  span: Span;
}

/** The call part of a function_graph line; columns relative to `bodyStart`. */
export type GraphBody =
  | { kind: 'entry'; name: string; module: string | null; nameEnd: number }
  | { kind: 'leaf'; name: string; module: string | null; nameEnd: number; retval: string | null }
  | { kind: 'exit'; name: string | null; module: string | null; retval: string | null }
  | { kind: 'comment'; text: string; textStart: number }
  | { kind: 'other' };

export type TraceLine =
  | { kind: 'blank' }
  | { kind: 'text' }
  | { kind: 'header'; tracer: string | null; tracerSpan: Span | null }
  | { kind: 'separator' }
  | { kind: 'cpu-switch'; cpu: number; from: string; to: string }
  | { kind: 'graph'; cpu: number; abstime: string | null; proc: string | null; duration: Duration | null; depthColumns: number; body: GraphBody; bodyStart: number }
  | { kind: 'event'; task: string; pid: number; cpu: number; timestamp: number; name: string; nameSpan: Span; args: string; argsStart: number }
  | { kind: 'stack'; name: string; module: string | null; nameSpan: Span }
  | { kind: 'xt-packet'; family: number; id: string; restStart: number }
  | { kind: 'xt-trace'; family: number; id: string; where: string; whereSpan: Span; rule: string; ruleStart: number }
  | { kind: 'nft-trace'; id: string; family: string; table: string; chain: string; rest: string; restStart: number }
  | { kind: 'dmesg'; timestamp: number | null; message: string; messageStart: number }
  | { kind: 'sysctl'; key: string; keySpan: Span; value: string; valueSpan: Span };

/** Parses one line (without its terminator); never fails: unknown lines are `text`. */
export function parseTraceLine(text: string): TraceLine {
  return (parse(text, { startRule: 'Document' }) as TraceLine[])[0];
}

/**
 * Every line of a document, split as core/text's splitLines() splits them (LF, CRLF or CR; a final
 * terminator opens no extra line), in one grammar call: peggy sets up its parser state per call,
 * which costs more than parsing one line.
 */
export function parseTraceDocument(text: string, lineCount: number): TraceLine[] {
  const lines = parse(text, { startRule: 'Document' }) as TraceLine[];
  lines.length = Math.min(lines.length, lineCount);
  return lines;
}

/** `key=value` fields of an event's arguments (`skbaddr=… protocol=2048 location=…`), with columns. */
export function eventFields(args: string, argsStart: number): Map<string, { value: string; span: Span }> {
  const out = new Map<string, { value: string; span: Span }>();
  for (const m of args.matchAll(/(?:^|\s)([A-Za-z_][\w.]*)=(\S+)/g)) {
    const start = argsStart + m.index! + m[0].length - m[2].length;
    out.set(m[1], { value: m[2], span: { start, end: start + m[2].length } });
  }
  // `reason: NETFILTER_DROP` (the kfree_skb event prints this one with a colon).
  const r = /\breason: (\w+)/.exec(args);
  if (r) {
    const start = argsStart + r.index + r[0].length - r[1].length;
    out.set('reason', { value: r[1], span: { start, end: start + r[1].length } });
  }
  return out;
}

export interface ProbeSite {
  /** `mark_mt` of `(mark_mt+0x0/0x60 [xt_mark])`; for a kretprobe the caller it returns into. */
  symbol: string;
  symbolSpan: Span;
  module: string | null;
  /** A kretprobe's probed function (`(caller+0x1a5/0x6a0 <- mark_mt)`). */
  returnOf: string | null;
  returnSpan: Span | null;
}

/** The probe site of a kprobe/kretprobe event: `(sym+0x0/0x60 [mod])`, `(caller+off/size [mod] <- func)`. */
export function probeSite(args: string, argsStart: number): ProbeSite | undefined {
  const m = /^\s*\(([\w.$]+)(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?: \[(\w+)\])?(?: <- ([\w.$]+))?\)/i.exec(args);
  if (!m) return undefined;
  const symStart = argsStart + m[0].indexOf('(') + 1;
  const retStart = m[3] ? argsStart + m[0].lastIndexOf(m[3]) : -1;
  return {
    symbol: m[1],
    symbolSpan: { start: symStart, end: symStart + m[1].length },
    module: m[2] ?? null,
    returnOf: m[3] ?? null,
    returnSpan: m[3] ? { start: retStart, end: retStart + m[3].length } : null,
  };
}

/** A return value as printed (`0x1`, `1`, `-22`, `fffffffffffffff f`) as a signed number, if it is one. */
export function retvalNumber(text: string): number | undefined {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) return Number(t);
  const hex = /^(?:0x)?([0-9a-f]+)$/i.exec(t);
  if (!hex) return undefined;
  const big = BigInt('0x' + hex[1]);
  // 64-bit two's complement (`fffffffffffffffe` is -2), and 32-bit ints printed as 0xffffffff.
  if (hex[1].length === 16 && big >= 1n << 63n) return Number(big - (1n << 64n));
  if (hex[1].length === 8 && big >= 1n << 31n) return Number(big - (1n << 32n));
  return Number(big);
}
