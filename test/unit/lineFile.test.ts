import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileChangedError, fileLines, LineReader, LineSplitter, readLineBlocks, readLineRange, readLines } from '../../server/src/core/lineFile';
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

test('readLineBlocks: blocks of whole lines in any block size are the file\'s lines, with the byte offsets of each', () => {
  const withInvalid = Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xe9, 0x41, 0xe2, 0x82]), Buffer.from('\r\nlast')]);
  for (const content of [...samples.map((t) => Buffer.from(t, 'utf8')), withInvalid]) {
    const text = content.toString('utf8');
    const f = tempFile('blocks.txt', content);
    try {
      for (const size of [1, 2, 3, 5, 1 << 16]) {
        const lines: string[] = [];
        const offsets: number[] = [];
        const blockStarts: number[] = [];
        readLineBlocks(
          f.path,
          (block, byteOffset, bytes) => {
            blockStarts.push(byteOffset);
            const whole = splitLines(block);
            if (bytes) assert.equal(bytes.starts.length, whole.length);
            let at = 0;
            whole.forEach((line, k) => {
              lines.push(line);
              offsets.push(bytes ? bytes.starts[k] : byteOffset + at);
              if (bytes) assert.equal(content.subarray(bytes.starts[k], bytes.ends[k]).toString('utf8'), line);
              at += line.length + (block.startsWith('\r\n', at + line.length) ? 2 : 1);
            });
          },
          size,
        );
        for (const b of blockStarts) assert.ok(!(content[b - 1] === 13 && content[b] === 10), `a block starts at ${b}, inside a CRLF`);
        assert.deepEqual(lines, splitLines(text), `${JSON.stringify(text)} in blocks of ${size}`);
        const reader = new LineReader(f.path, size);
        assert.deepEqual(offsets.map((o) => reader.lineAt(o).text), lines, 'LineReader reads each line again at its offset');
        assert.deepEqual([...fileLines(f.path)], splitLines(text), 'fileLines');
      }
    } finally {
      f.done();
    }
  }
});

test('LineReader: lines read out of order, longer than its block, and the offset of the next line', () => {
  const lines = ['short', 'x'.repeat(70000), 'é'.repeat(10), '', 'end'];
  const text = lines.join('\r\n');
  const f = tempFile('long.txt', text);
  try {
    const reader = new LineReader(f.path);
    const starts = [0];
    for (const l of lines.slice(0, -1)) starts.push(starts[starts.length - 1] + Buffer.byteLength(l) + 2);
    for (const k of [4, 1, 0, 3, 2, 1]) assert.deepEqual(reader.lineAt(starts[k]), { text: lines[k], next: k + 1 < lines.length ? starts[k + 1] : -1 });
  } finally {
    f.done();
  }
});

test('LineReader: a file changed after the reader was made is reported, not read at stale offsets; its block still reads', () => {
  const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}`);
  const f = tempFile('changing.txt', lines.join('\n') + '\n');
  try {
    const reader = new LineReader(f.path, 1024);
    assert.equal(reader.lineAt(0).text, 'line 0');
    writeFileSync(f.path, 'a different file\n'.repeat(3000));
    // Lines in the block already read are the first file's, as the offsets are.
    assert.equal(reader.lineAt(7).text, 'line 1');
    const far = lines.slice(0, 1500).join('\n').length + 1;
    assert.throws(() => reader.lineAt(far), (e: unknown) => e instanceof FileChangedError && e.path === f.path && /changed on disk/.test(e.message));
    rmSync(f.path);
    assert.throws(() => reader.lineAt(far), (e: unknown) => e instanceof FileChangedError && e.path === f.path, 'a file deleted since is changed too');
  } finally {
    f.done();
  }
});
