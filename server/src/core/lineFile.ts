/**
 * Files too big to hold as one string (CRIU `-v4` logs reach 389 MB; V8 strings stop near
 * 512 MB and VS Code does not hand files over 50 MB to extensions), read line by line from disk
 * in bounded memory. Lines split as splitLines() splits a text (LF, CRLF or a lone CR; a final
 * terminator opens no extra line), so a streamed file has the same lines as the same file read
 * whole. Each line is decoded on its own: a string kept from it holds that line, not a chunk.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { turn } from './turn';

const LF = 10;
const CR = 13;

/**
 * Where lines start in the file, sampled every `sampleEvery` lines in a typed array (8 bytes per
 * sample: a 8.5 M-line log costs 66 KB at the default): enough to read any line again from disk
 * by reading at most `sampleEvery` lines.
 */
export class LineIndex {
  private offsets = new Float64Array(1024);
  private samples = 0;
  lineCount = 0;
  byteLength = 0;

  constructor(readonly sampleEvery = 1024) {}

  /** Notes that line `lineCount` starts at byte `offset` (called for every line, in order). */
  add(offset: number): void {
    if (this.lineCount++ % this.sampleEvery !== 0) return;
    if (this.samples === this.offsets.length) {
      const grown = new Float64Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[this.samples++] = offset;
  }

  /** The sampled line at or before `line` and the byte it starts at. */
  sampleAtOrBefore(line: number): { line: number; offset: number } {
    const sample = Math.min(Math.floor(Math.max(0, line) / this.sampleEvery), this.samples - 1);
    return sample < 0 ? { line: 0, offset: 0 } : { line: sample * this.sampleEvery, offset: this.offsets[sample] };
  }

  /** Bytes the index itself holds. */
  get memoryBytes(): number {
    return this.offsets.byteLength;
  }
}

/**
 * Cuts bytes into lines across chunk boundaries. A line cut by a chunk boundary is carried as
 * the chunk's tail until its end arrives: memory stays within one chunk plus the longest line.
 */
export class LineSplitter {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** The previous chunk ended in CR: a LF starting this one belongs to that terminator. */
  private skipLf = false;
  /** Byte offset (in the file) of the start of the line being read. */
  private lineStart: number;
  private offset: number;
  private lines = 0;

  constructor(
    private readonly onLine: (text: string, byteOffset: number) => void,
    startOffset = 0,
  ) {
    this.lineStart = startOffset;
    this.offset = startOffset;
  }

  write(chunk: Buffer): void {
    let pos = 0;
    const length = chunk.length;
    if (this.skipLf && length > 0) {
      this.skipLf = false;
      if (chunk[0] === LF) {
        pos = 1;
        this.lineStart++;
      }
    }
    // Next LF and CR at or after pos, each found once per chunk pass (indexOf is a memchr).
    let lf = chunk.indexOf(LF, pos);
    let cr = chunk.indexOf(CR, pos);
    while (pos < length) {
      if (lf >= 0 && lf < pos) lf = chunk.indexOf(LF, pos);
      if (cr >= 0 && cr < pos) cr = chunk.indexOf(CR, pos);
      const end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (end < 0) {
        this.carry.push(chunk.subarray(pos));
        this.carryBytes += length - pos;
        break;
      }
      this.emit(chunk, pos, end);
      let next = end + 1;
      if (chunk[end] === CR) {
        if (next < length) {
          if (chunk[next] === LF) next++;
        } else this.skipLf = true;
      }
      this.lineStart = this.offset + next;
      pos = next;
    }
    this.offset += length;
  }

  /** The last line, when the file does not end in a terminator (or is empty: one empty line). */
  end(): void {
    if (this.carryBytes > 0 || this.lines === 0) this.emit(Buffer.alloc(0), 0, 0);
  }

  private emit(chunk: Buffer, start: number, end: number): void {
    let text: string;
    if (this.carryBytes) {
      this.carry.push(chunk.subarray(start, end));
      text = Buffer.concat(this.carry).toString('utf8');
      this.carry = [];
      this.carryBytes = 0;
    } else text = chunk.toString('utf8', start, end);
    this.lines++;
    this.onLine(text, this.lineStart);
  }
}

export interface ReadLinesOptions {
  /** Aborts between chunks; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each chunk with the bytes read so far and the file's size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  sampleEvery?: number;
  chunkBytes?: number;
}



/**
 * Reads every line of `path`, in order, without holding the file: `onLine` gets each line's text
 * (no terminator). Returns the file's line index.
 */
export async function readLines(path: string, onLine: (text: string, index: number) => void, options: ReadLinesOptions = {}): Promise<LineIndex> {
  const total = statSync(path).size;
  const index = new LineIndex(options.sampleEvery);
  const splitter = new LineSplitter((text, offset) => {
    const n = index.lineCount;
    index.add(offset);
    onLine(text, n);
  });
  const stream = createReadStream(path, { highWaterMark: options.chunkBytes ?? 1 << 20 });
  let read = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      options.signal?.throwIfAborted();
      splitter.write(chunk);
      read += chunk.length;
      options.onProgress?.(read, total);
      await turn();
    }
    options.signal?.throwIfAborted();
    splitter.end();
  } finally {
    stream.destroy();
  }
  index.byteLength = read;
  return index;
}

/**
 * Lines `from` to `from + count - 1` of a file read before (by its index), read again from disk:
 * at most `sampleEvery` lines are skipped to reach them.
 */
export async function readLineRange(path: string, index: LineIndex, from: number, count: number): Promise<string[]> {
  const sample = index.sampleAtOrBefore(from);
  const out: string[] = [];
  let line = sample.line;
  const splitter = new LineSplitter((text) => {
    if (line >= from && out.length < count) out.push(text);
    line++;
  }, sample.offset);
  const stream = createReadStream(path, { start: sample.offset, highWaterMark: 1 << 16 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      splitter.write(chunk);
      if (out.length >= count) return out;
    }
    splitter.end();
  } finally {
    stream.destroy();
  }
  return out;
}

/**
 * The first `maxBytes` of a file as text, cut after its last complete line when it is longer:
 * enough to tell a file's language (core/language.ts looks at the first 200 lines).
 */
export function readHead(path: string, maxBytes = 256 * 1024): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes);
    const read = readSync(fd, buffer, 0, maxBytes, 0);
    const bytes = buffer.subarray(0, read);
    if (read < maxBytes) return bytes.toString('utf8');
    const cut = Math.max(bytes.lastIndexOf(LF), bytes.lastIndexOf(CR));
    return bytes.subarray(0, cut < 0 ? read : cut + 1).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Where the lines of a block start and end, in bytes of the file (for blocks not one byte per character). */
export interface LineBytes {
  starts: number[];
  ends: number[];
}

/**
 * Reads `path` synchronously in blocks of whole lines, about `blockBytes` each (a longer line makes
 * its block longer), and hands each over decoded, with the file offset of its first byte. Lines
 * are cut as splitLines() cuts them (a block never ends between the CR and the LF of a CRLF), so
 * the blocks' lines are the file's and a line decodes alike alone or in its block. When a block's
 * characters are not one per byte (UTF-8 beyond ASCII), `bytes` gives its lines' byte offsets.
 * Blocks are small by default so that each is done with before the next young-generation
 * collection and dies young: 1 MB blocks, large objects, each outlived its parse in the old
 * generation, which a 111 MB file filled with garbage.
 */
export function readLineBlocks(path: string, onBlock: (text: string, byteOffset: number, bytes: LineBytes | undefined) => void, blockBytes = 1 << 16): void {
  const fd = openSync(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(blockBytes);
    let filled = 0;
    let offset = 0;
    let eof = false;
    for (;;) {
      while (!eof && filled < buffer.length) {
        const n = readSync(fd, buffer, filled, buffer.length - filled, offset + filled);
        if (n === 0) eof = true;
        else filled += n;
      }
      const cut = eof ? filled : afterLastLine(buffer, filled);
      if (cut === 0 && !eof) {
        // One line longer than the buffer: read more of it.
        const grown = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(grown, 0, 0, filled);
        buffer = grown;
        continue;
      }
      // The end of a file that ends with a line terminator opens no line; an empty file is one.
      if (cut === 0 && offset > 0) return;
      const block = buffer.subarray(0, cut);
      const text = block.toString('utf8');
      onBlock(text, offset, text.length === cut ? undefined : lineBytesOf(block, offset));
      if (eof) return;
      buffer.copy(buffer, 0, cut, filled);
      filled -= cut;
      offset += cut;
    }
  } finally {
    closeSync(fd);
  }
}

/** The index after the last line terminator in buffer[0, filled); a CR at the very end may be half a CRLF, so it does not count. 0: none. */
function afterLastLine(buffer: Buffer, filled: number): number {
  for (let i = filled - 1; i >= 0; i--) {
    const c = buffer[i];
    if (c === LF || (c === CR && i < filled - 1)) return i + 1;
  }
  return 0;
}

function lineBytesOf(block: Buffer, offset: number): LineBytes {
  const starts = [offset];
  const ends: number[] = [];
  for (let i = 0; i < block.length; i++) {
    const c = block[i];
    if (c !== LF && c !== CR) continue;
    ends.push(offset + i);
    if (c === CR && block[i + 1] === LF) i++;
    if (i + 1 < block.length) starts.push(offset + i + 1);
  }
  if (ends.length < starts.length) ends.push(offset + block.length);
  return { starts, ends };
}

/**
 * Single lines of a file read again by their byte offset, synchronously: the block read last is
 * kept, so lines read in file order cost one read per block. The file is opened for each read and
 * closed at once, so nothing stays open between reads.
 */
export class LineReader {
  private block = Buffer.alloc(0);
  private blockOffset = 0;
  /** The block reaches the end of the file. */
  private blockAtEnd = false;
  /** The file as it was when the reader was made: offsets taken then mean nothing in another. */
  private readonly identity: string;

  constructor(
    readonly path: string,
    private readonly blockBytes = 1 << 16,
  ) {
    this.identity = identityOf(statSync(path));
  }

  /** The line starting at byte `start`, without its terminator, and the offset of the next line (-1: none). */
  lineAt(start: number): { text: string; next: number } {
    let size = this.blockBytes;
    for (;;) {
      const from = start - this.blockOffset;
      if (from >= 0 && from <= this.block.length && (from < this.block.length || this.blockAtEnd)) {
        const block = this.block;
        let end = from;
        while (end < block.length && block[end] !== LF && block[end] !== CR) end++;
        // Whether a line follows (and a CR at the block's end is not half a CRLF) is known only
        // with a byte after the terminator, or at the end of the file.
        const next = end < block.length ? end + (block[end] === CR && block[end + 1] === LF ? 2 : 1) : end;
        if (next < block.length) return { text: block.toString('utf8', from, end), next: this.blockOffset + next };
        if (this.blockAtEnd) return { text: block.toString('utf8', from, end), next: -1 };
        size = Math.max(size, (block.length - from) * 2);
      }
      this.read(start, size);
    }
  }

  private read(start: number, size: number): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (e) {
      // Gone since it was first read (deleted, renamed away): the same as changed.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new FileChangedError(this.path);
      throw e;
    }
    try {
      if (identityOf(fstatSync(fd)) !== this.identity) throw new FileChangedError(this.path);
      const buffer = Buffer.allocUnsafe(size);
      let n = 0;
      while (n < size) {
        const r = readSync(fd, buffer, n, size - n, start + n);
        if (r === 0) break;
        n += r;
      }
      this.block = buffer.subarray(0, n);
      this.blockOffset = start;
      this.blockAtEnd = n < size;
    } finally {
      closeSync(fd);
    }
  }
}

/** A file read again by offset is no longer the one first read (rewritten, replaced, grown). */
export class FileChangedError extends Error {
  constructor(readonly path: string) {
    super(`${path} changed on disk while it was being analysed: run again`);
  }
}

/** Which file, at which size and modification time. */
function identityOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}

/** The lines of a file from its start, read as they are asked for (a reader of the first few reads little). */
export function* fileLines(path: string): Generator<string> {
  const reader = new LineReader(path);
  for (let start = 0; start >= 0; ) {
    const { text, next } = reader.lineAt(start);
    yield text;
    start = next;
  }
}
