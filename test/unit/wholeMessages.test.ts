import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIG_BODY, jsonDecoder, WholeMessages } from '../../server/src/wholeMessages';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mulberry32 } from '../support/rng';
import { distDir } from '../support/paths';

const frame = (body: string, header = `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`) => Buffer.concat([Buffer.from(header, 'ascii'), Buffer.from(body, 'utf8')]);

/** Feeds `bytes` in chunks cut at seeded random places; returns the chunks that come out. */
async function cut(bytes: Buffer, seed: number, maxChunk: number): Promise<Buffer[]> {
  const rand = mulberry32(seed);
  const stream = new WholeMessages();
  const out: Buffer[] = [];
  stream.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((resolve) => stream.on('end', resolve));
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(rand() * maxChunk);
    stream.write(bytes.subarray(at, at + n));
    at += n;
  }
  stream.end();
  await ended;
  return out;
}

test('messages come out byte for byte, each body in one chunk right after its header, however the input is cut', async () => {
  const bodies = ['{"jsonrpc":"2.0","method":"initialized","params":{}}', JSON.stringify({ text: 'é€😀\n'.repeat(5000) }), '', '{"id":1}'];
  const headers = bodies.map((b) => `Content-Length: ${Buffer.byteLength(b)}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n`);
  const input = Buffer.concat(bodies.map((b, i) => frame(b, i === 1 ? headers[i] : undefined)));
  for (const [seed, maxChunk] of [[1, 1], [2, 7], [3, 4096], [4, 1 << 20]]) {
    const out = await cut(input, seed, maxChunk);
    assert.ok(Buffer.concat(out).equals(input), `seed ${seed}: same bytes`);
    const bodyChunks = out.map((c) => c.toString('utf8')).filter((c) => !c.startsWith('Content-Length'));
    assert.deepEqual(bodyChunks, bodies.filter((b) => b), `seed ${seed}: each body whole`);
  }
});

test('a stream that is not Content-Length framed, or ends inside a message, passes through unchanged', async () => {
  for (const input of [
    Buffer.from('Content-Type: x\r\n\r\n{"a":1}Content-Length: 2\r\n\r\n{}'),
    Buffer.from('no header at all '.repeat(1000)),
    Buffer.concat([frame('{"a":1}'), Buffer.from('Content-Length: 100\r\n\r\n{"cut":')]),
    Buffer.from('Content-Length: 10\r\n'),
    Buffer.from('Content-Length: 99999999999999999999\r\n\r\n{}'),
  ]) {
    for (const maxChunk of [3, 64, 100_000]) assert.ok(Buffer.concat(await cut(input, 9, maxChunk)).equals(input), `${input.toString().slice(0, 30)} / ${maxChunk}`);
  }
});

test('the last of two Content-Length headers counts, as the reader counts it', async () => {
  const body = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}';
  const input = Buffer.concat([frame(body, `Content-Length: 100000\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`), frame('{"id":2}')]);
  for (const maxChunk of [5, 100_000]) {
    const out = await cut(input, 3, maxChunk);
    assert.ok(Buffer.concat(out).equals(input), `same bytes / ${maxChunk}`);
    assert.deepEqual(out.map((c) => c.toString('utf8')).filter((c) => !c.startsWith('Content-Length')), [body, '{"id":2}'], `each body whole, the first not held back / ${maxChunk}`);
  }
});

test('jsonDecoder parses as vscode-jsonrpc does, and moves a big body out of the reader\'s Buffer before the parse', async () => {
  const decode = (bytes: Uint8Array) => (jsonDecoder as { decode(b: Uint8Array, o: { charset: 'utf-8' }): Promise<unknown> }).decode(bytes, { charset: 'utf-8' });
  const small = Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'x', params: { text: 'é€😀' } }));
  assert.deepEqual(await decode(small), { jsonrpc: '2.0', method: 'x', params: { text: 'é€😀' } });
  assert.ok(small.byteLength > 0, 'a small (pooled) body is left as it is');
  const text = `(00.1) é line\n`.repeat(Math.ceil(BIG_BODY / 14));
  const big = Buffer.allocUnsafe(Buffer.byteLength(JSON.stringify({ params: { text } })));
  big.write(JSON.stringify({ params: { text } }));
  assert.deepEqual(await decode(big), { params: { text } });
  assert.equal(big.byteLength, 0, 'the big body was moved out (its memory goes before JSON.parse)');
});

test('a Content-Length the machine cannot allocate leaves the server running (the reader waits, as it did before)', async () => {
  // 3 GB is under Node's Buffer limit; a 2.5 GB address-space limit makes its allocation fail, as on a small machine.
  const child = spawn('bash', ['-c', `ulimit -v 2500000 && exec "${process.execPath}" "${join(distDir, 'server.js')}" --stdio`], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdin.write('Content-Length: 3000000000\r\n\r\n{"jsonrpc":"2.0"');
  const outcome = await Promise.race([exited.then((code) => `exited ${code}: ${stderr.slice(-300)}`), new Promise<string>((resolve) => setTimeout(() => resolve('running'), 2000))]);
  child.kill('SIGKILL');
  await exited;
  assert.equal(outcome, 'running');
});
