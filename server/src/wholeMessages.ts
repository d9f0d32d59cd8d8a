/**
 * The client's LSP byte stream (stdio), cut so that each message reaches vscode-jsonrpc's reader
 * as two chunks: its header, then its whole body in one buffer. The reader keeps every chunk of a
 * message until the last one arrives and then copies them into one buffer: for a 111 MB didOpen
 * that is 111 MB of chunks, old enough by then to wait for a full collection, plus the copy. Here
 * each chunk is copied into a body buffer of the announced Content-Length as it arrives, and the
 * reader takes that buffer as it is (a chunk of exactly the body's length is not copied). The bytes
 * and their order are unchanged; anything that is not `Content-Length`-framed passes through as it
 * came, for the reader to report.
 */
import { constants } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import type { ContentTypeDecoder, ContentTypeDecoderOptions, Message } from 'vscode-jsonrpc';
import { collectGarbage } from './memory';

const HEADER_END = Buffer.from('\r\n\r\n', 'ascii');
/** A header longer than this is not one the reader would accept either: stop cutting, pass it on. */
const MAX_HEADER = 8192;
/** The largest body this stream buffers itself (Node's own Buffer limit). */
const MAX_BODY = constants.MAX_LENGTH;

export class WholeMessages extends Transform {
  /** Header bytes of the next message received so far. */
  private head: Buffer = Buffer.alloc(0);
  private header: Buffer | undefined;
  private body: Buffer | undefined;
  private filled = 0;
  /** Set for good once the stream is not framed as expected. */
  private passThrough = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    while (at < chunk.length && !this.passThrough) {
      if (this.body) {
        const n = Math.min(this.body.length - this.filled, chunk.length - at);
        chunk.copy(this.body, this.filled, at, at + n);
        this.filled += n;
        at += n;
        if (this.filled === this.body.length) this.deliver();
        continue;
      }
      const rest = chunk.subarray(at);
      const seen = this.head.length;
      const bytes = seen ? Buffer.concat([this.head, rest]) : rest;
      const end = bytes.indexOf(HEADER_END);
      if (end < 0) {
        if (bytes.length > MAX_HEADER) this.stop(bytes);
        else this.head = Buffer.from(bytes);
        return done();
      }
      // The last Content-Length counts, as in vscode-jsonrpc's reader (it keeps headers in a Map).
      const lengths = [...bytes.toString('ascii', 0, end).matchAll(/^content-length:[ \t]*(\d+)[ \t]*$/gim)];
      const length = lengths.length ? Number(lengths[lengths.length - 1][1]) : undefined;
      const body = length === undefined ? undefined : allocate(length);
      // No length, or one no Buffer can hold here (a hostile header): not ours to cut, the reader reports it.
      if (!body) {
        this.stop(bytes);
        return done();
      }
      this.header = Buffer.from(bytes.subarray(0, end + HEADER_END.length));
      this.head = Buffer.alloc(0);
      at += end + HEADER_END.length - seen;
      this.body = body;
      this.filled = 0;
      if (this.body.length === 0) this.deliver();
    }
    if (this.passThrough && at < chunk.length) this.push(chunk.subarray(at));
    done();
  }

  override _flush(done: TransformCallback): void {
    // A message cut short by the end of the stream: hand on what came, as the reader would see it.
    const pending = [this.head, ...(this.header ? [this.header] : []), ...(this.body ? [this.body.subarray(0, this.filled)] : [])];
    for (const p of pending) if (p.length) this.push(p);
    done();
  }

  /** The header and the whole body, one after the other; the header waits for the body. */
  private deliver(): void {
    this.push(this.header);
    if (this.body!.length) this.push(this.body);
    this.header = undefined;
    this.body = undefined;
  }

  private stop(bytes: Buffer): void {
    this.passThrough = true;
    this.head = Buffer.alloc(0);
    this.push(bytes);
  }
}

/** A body buffer of `length` bytes, or undefined when Node or the machine cannot give one. */
function allocate(length: number): Buffer | undefined {
  if (length > MAX_BODY) return undefined;
  try {
    return Buffer.allocUnsafe(length);
  } catch {
    return undefined;
  }
}

/** Bodies this large are let go before their JSON is parsed (jsonDecoder). */
export const BIG_BODY = 8_000_000;

/**
 * vscode-jsonrpc's JSON decoding (the body's text in its charset, then JSON.parse), except that a
 * big body's bytes are gone before JSON.parse makes the message: the reader holds the body until
 * the message is made, so its memory is moved out of the reader's Buffer (a transfer, no copy),
 * decoded, and collected. JSON.parse then holds the JSON text and the document's text, not the
 * bytes as well. A body that shares its memory (a pooled small Buffer) is decoded as it is.
 */
export const jsonDecoder: ContentTypeDecoder = {
  name: 'application/json',
  decode(bytes: Uint8Array, options: ContentTypeDecoderOptions): Promise<Message> {
    let own: Uint8Array | undefined = bytes;
    const movable = bytes.byteLength >= BIG_BODY && bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength;
    if (movable) own = new Uint8Array(structuredClone(bytes.buffer, { transfer: [bytes.buffer] }));
    const json = new TextDecoder(options.charset).decode(own);
    own = undefined;
    if (movable) collectGarbage();
    return Promise.resolve(JSON.parse(json) as Message);
  },
};
