import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineSplitter, readLineRange, readLines } from '../../server/src/core/lineFile';
import { splitLines } from '../../server/src/core/text';

const samples = ['', 'a', 'a\n', '\n', '\n\n', 'a\r\nb', 'a\rb\r', 'a\r\n\r\nb\n', 'a\r', '\r\n', 'é\n😀\r\nx', 'one\ntwo\r\nthree\rfour'];

/** Splits `text` fed in chunks of `size` bytes; returns each line with its byte offset. */
function split(text: string, size: number): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  const splitter = new LineSplitter((t, offset) => out.push({ text: t, offset }));
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) splitter.write(bytes.subarray(i, i + size));
  splitter.end();
  return out;
}

test('lines from bytes in any chunking are splitLines() lines, with the byte offset of each', () => {
  for (const text of samples) {
    const bytes = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, 5, 1 << 16]) {
      const lines = split(text, size);
      assert.deepEqual(lines.map((l) => l.text), splitLines(text), `${JSON.stringify(text)} in chunks of ${size}`);
      for (const l of lines) assert.equal(bytes.subarray(l.offset, l.offset + Buffer.byteLength(l.text)).toString('utf8'), l.text, `offset of ${JSON.stringify(l.text)} in ${JSON.stringify(text)}`);
    }
  }
});

function tempFile(name: string, content: string | Buffer): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-lines-'));
  const path = join(dir, name);
  writeFileSync(path, content);
  return { path, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('readLines: CRLF, a last line without a terminator, and a sampled index that finds any line again', async () => {
  const lines = Array.from({ length: 1000 }, (_, i) => `line ${i} ${'x'.repeat(i % 37)}`);
  const { path, done } = tempFile('crlf.log', lines.join('\r\n'));
  try {
    const read: string[] = [];
    const index = await readLines(path, (t, i) => {
      assert.equal(i, read.length);
      read.push(t);
    }, { sampleEvery: 64, chunkBytes: 777 });
    assert.deepEqual(read, lines);
    assert.equal(index.lineCount, 1000);
    assert.equal(index.byteLength, Buffer.byteLength(lines.join('\r\n')));
    assert.ok(index.memoryBytes <= 1024 * 8, 'the index samples lines, it does not list them');
    for (const [from, count] of [[0, 3], [63, 2], [64, 1], [500, 10], [998, 5]] as const) {
      assert.deepEqual(await readLineRange(path, index, from, count), lines.slice(from, from + count), `lines ${from}+${count}`);
    }
  } finally {
    done();
  }
});

test('readLines: a 10 MB single line arrives whole, in time', async () => {
  const line = 'y'.repeat(10 * 1024 * 1024);
  const { path, done } = tempFile('long.log', `first\n${line}\nlast`);
  try {
    const started = Date.now();
    const read: string[] = [];
    await readLines(path, (t) => read.push(t));
    assert.deepEqual(read.map((t) => t.length), [5, line.length, 4]);
    assert.equal(read[1], line);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  } finally {
    done();
  }
});

test('readLines stops at the next chunk once aborted, with the abort reason', async () => {
  const { path, done } = tempFile('big.log', 'z'.repeat(100) + '\n'.repeat(1) + 'abc\n'.repeat(1 << 20));
  try {
    const controller = new AbortController();
    let chunks = 0;
    let lines = 0;
    await assert.rejects(
      readLines(path, () => lines++, {
        chunkBytes: 1 << 16,
        signal: controller.signal,
        onProgress: () => {
          if (++chunks === 3) controller.abort(new Error('stop here'));
        },
      }),
      /stop here/,
    );
    assert.equal(chunks, 3, 'no chunk is read after the abort');
    assert.ok(lines < (1 << 20) / 4, `read ${lines} lines of ${1 << 20}`);
  } finally {
    done();
  }
});
