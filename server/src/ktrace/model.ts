/**
 * A kernel evidence file read as a whole: every line typed (lines.ts), the function_graph call
 * trees rebuilt per CPU (the tracer interleaves CPUs, nesting is per CPU), and the packets of
 * `xtables-monitor --trace` and `nft monitor trace` grouped by their trace id.
 */
import { range, splitLines, type Range } from '../core/text';
import { eventFields, parseTraceDocument, probeSite, retvalNumber, type Duration, type TraceLine } from './lines';

export interface Call {
  name: string;
  module: string | null;
  cpu: number;
  /** Line of the entry (`name() {`) or of the leaf (`name();`). */
  line: number;
  /** Line of the closing `}`; the entry line for a leaf; the CPU's last line when never closed. */
  endLine: number;
  closed: boolean;
  nameRange: Range;
  retval?: string;
  duration?: Duration;
  parent?: Call;
  children: Call[];
  /** Event comment lines of the graph, printed while this call was running. */
  comments: { line: number; text: string; range: Range }[];
}

export interface PacketTrace {
  tool: 'xtables-monitor' | 'nft';
  id: string;
  lines: number[];
}

export interface KernelTrace {
  lines: TraceLine[];
  /** Source text of each line, kept for hovers and ranges. */
  texts: string[];
  tracer?: string;
  /** Top-level function_graph calls, in line order. */
  calls: Call[];
  /** Every call by its line (entry/leaf line). */
  callAt: Map<number, Call>;
  /** Calls by closing line. */
  closerAt: Map<number, Call>;
  packets: PacketTrace[];
}

export function parseKernelTrace(text: string): KernelTrace {
  const texts = splitLines(text);
  const lines = parseTraceDocument(text, texts.length);
  const calls: Call[] = [];
  const callAt = new Map<number, Call>();
  const closerAt = new Map<number, Call>();
  const stacks = new Map<number, Call[]>();
  const lastLineOfCpu = new Map<number, number>();
  let tracer: string | undefined;
  const packets = new Map<string, PacketTrace>();

  lines.forEach((l, i) => {
    if (l.kind === 'header' && l.tracer && !tracer) tracer = l.tracer;
    if (l.kind === 'xt-packet' || l.kind === 'xt-trace' || l.kind === 'nft-trace') {
      const tool = l.kind === 'nft-trace' ? 'nft' : 'xtables-monitor';
      const key = `${tool}:${l.id}`;
      let p = packets.get(key);
      if (!p) packets.set(key, (p = { tool, id: l.id, lines: [] }));
      p.lines.push(i);
    }
    if (l.kind !== 'graph') return;
    lastLineOfCpu.set(l.cpu, i);
    let stack = stacks.get(l.cpu);
    if (!stack) stacks.set(l.cpu, (stack = []));
    const top = stack[stack.length - 1];
    const b = l.body;
    if (b.kind === 'entry' || b.kind === 'leaf') {
      const call: Call = {
        name: b.name,
        module: b.module,
        cpu: l.cpu,
        line: i,
        endLine: i,
        closed: b.kind === 'leaf',
        nameRange: range(i, l.bodyStart, l.bodyStart + b.nameEnd),
        children: [],
        comments: [],
        ...(top ? { parent: top } : {}),
        ...(b.kind === 'leaf' && b.retval ? { retval: b.retval } : {}),
        ...(b.kind === 'leaf' && l.duration ? { duration: l.duration } : {}),
      };
      (top ? top.children : calls).push(call);
      callAt.set(i, call);
      if (b.kind === 'entry') stack.push(call);
    } else if (b.kind === 'exit') {
      // A `}` with nothing open: the trace started inside that call; nothing to close.
      const call = stack.pop();
      if (!call) return;
      call.endLine = i;
      call.closed = true;
      if (b.retval) call.retval = b.retval;
      if (l.duration) call.duration = l.duration;
      closerAt.set(i, call);
    } else if (b.kind === 'comment' && top) {
      top.comments.push({ line: i, text: b.text, range: range(i, l.bodyStart + b.textStart, l.bodyStart + b.textStart + b.text.length) });
    }
  });
  for (const [cpu, stack] of stacks) for (const c of stack) c.endLine = lastLineOfCpu.get(cpu) ?? c.line;
  return { lines, texts, ...(tracer ? { tracer } : {}), calls, callAt, closerAt, packets: [...packets.values()] };
}

/** Every call of the trees, depth first. */
export function* allCalls(calls: readonly Call[]): Generator<Call> {
  for (const c of calls) {
    yield c;
    yield* allCalls(c.children);
  }
}

/** Fields of a trace event line, and its probe site when it is a kprobe/kretprobe event. */
export function eventDetails(t: KernelTrace, line: number) {
  const l = t.lines[line];
  if (l.kind !== 'event') return undefined;
  return { event: l, fields: eventFields(l.args, l.argsStart), probe: probeSite(l.args, l.argsStart) };
}

/** The return value of a kretprobe event (`retval=0x1`, `ret=1`, or the single `arg1=` of `r:… $retval`). */
export function probeReturn(fields: ReturnType<typeof eventFields>): { text: string; value: number | undefined } | undefined {
  const f = fields.get('retval') ?? fields.get('ret') ?? fields.get('arg1');
  return f ? { text: f.value, value: retvalNumber(f.value) } : undefined;
}
