/**
 * To find a line's prefixes the grammar reads only its start: the prefixes and a few characters
 * of the message. It tells how far it read, and never tells one digit from another
 * (criuLogLine.peggy), so every line that begins with those characters, digits aside, has the
 * same prefixes. A `-v4` log repeats a few thousand line starts (only pids, timestamps and
 * addresses change): the grammar runs once per distinct start, and every other line costs a walk
 * over its first few dozen characters in a tree of the starts seen so far. Exact, not a guess.
 */
import { parseLineShape, prefixLookahead, type LineShape } from './logLine';

interface Node {
  /** The character that leads here, digits read as `0`. */
  code: number;
  /** The first child: most nodes have no other. */
  next: Node | undefined;
  more: Map<number, Node> | undefined;
  /** The id of the shape of every line that begins with the characters that lead here, else -1. */
  shape: number;
  /** The id of the shape of a line that is exactly those characters (the grammar read its end), else -1. */
  whole: number;
}

/**
 * Nodes kept per log: plenty for real logs (a million-line one needs a few thousand). A new start
 * costs a second, failing parse to learn how far the grammar read (about 10 µs): logs whose lines
 * all begin differently stop learning here, and then cost one parse per line.
 */
const MAX_NODES = 1 << 17;

const node = (code: number): Node => ({ code, next: undefined, more: undefined, shape: -1, whole: -1 });
const blind = (c: number) => (c >= 48 && c <= 57 ? 48 : c);

/**
 * Shapes of lines, learned from the line starts seen so far. What it learns depends only on the
 * characters of lines, so one instance serves every version of a document. Lines are read in
 * place: from one text holding the whole log, or one string per line when streamed from disk.
 * Each learned shape has a small-number id, so a log can keep a number per line instead of a
 * reference (logModel.ts LineTable).
 */
export class LineShapes {
  private readonly root = node(-1);
  private nodes = 0;
  private readonly shapes: LineShape[] = [];

  /** `maxNodes`: below MAX_NODES only to test what happens once the tree is full. */
  constructor(private readonly maxNodes = MAX_NODES) {}

  /** The shape of the line `text.slice(start, end)`. */
  shapeOf(text: string, start: number, end: number): LineShape {
    const id = this.idOf(text, start, end);
    return id >= 0 ? this.shapes[id] : parseLineShape(text.slice(start, end));
  }

  /**
   * The id of the shape of the line `text.slice(start, end)` (see shape()), learning its start if
   * it is new; -1 when the start is new and the tree is full: the caller parses that line itself.
   */
  idOf(text: string, start: number, end: number): number {
    let n = this.root;
    for (let i = start; ; i++) {
      if (n.shape >= 0) return n.shape;
      if (i === end) return n.whole >= 0 ? n.whole : this.learn(text, start, end);
      const c = blind(text.charCodeAt(i));
      const child = n.next?.code === c ? n.next : n.more?.get(c);
      if (!child) return this.learn(text, start, end);
      n = child;
    }
  }

  /** The shape with this id (from idOf). */
  shape(id: number): LineShape {
    return this.shapes[id];
  }

  /** Parses a line whose start is new, and remembers the start; -1 when the tree is full. */
  private learn(text: string, start: number, end: number): number {
    if (this.nodes >= this.maxNodes) return -1;
    const line = text.slice(start, end);
    const id = this.shapes.push(parseLineShape(line)) - 1;
    const read = prefixLookahead(line);
    let n = this.root;
    for (let i = start; i < start + read.length; i++) n = this.child(n, blind(text.charCodeAt(i)));
    if (read.toEnd) n.whole = id;
    else n.shape = id;
    return id;
  }

  private child(n: Node, code: number): Node {
    let child = n.next?.code === code ? n.next : n.more?.get(code);
    if (!child) {
      child = node(code);
      this.nodes++;
      if (!n.next) n.next = child;
      else (n.more ??= new Map()).set(code, child);
    }
    return child;
  }
}
