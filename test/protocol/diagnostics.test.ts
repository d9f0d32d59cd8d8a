import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ServerUnderTest, settleDiagnostics } from '../support/lspClient';
import { analyseDocuments } from '../../server/src/analysis';
import { BIG_DOCUMENT } from '../../server/src/memory';
import { BIG_BODY } from '../../server/src/wholeMessages';
import { examplesDir } from '../support/paths';

test('the bundled server speaks LSP over stdio and publishes CRIU diagnostics', async (t) => {
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });

  const init = await server.initialize();
  assert.equal(init.serverInfo?.name, 'criu-netfilter-lens');
  assert.ok(init.capabilities.textDocumentSync, 'announces document sync');

  const path = join(examplesDir, 'restore.log');
  const uri = pathToFileURL(path).href;
  const text = readFileSync(path, 'utf8');
  await server.open(uri, 'criu-log', text, 7);
  const published = await server.nextDiagnostics(uri);
  assert.equal(published.version, 7);

  const lines = text.split('\n');
  const eperm = published.diagnostics.find((d) => d.code === 'criu.soccr-fin-eperm');
  assert.ok(eperm, `the EPERM line is diagnosed; got ${published.diagnostics.map((d) => d.code).join(', ')}`);
  assert.equal(eperm.severity, 1, 'error');
  assert.equal(eperm.source, 'criu-lens');
  assert.match(lines[eperm.range.start.line], /Unable to send a fin packet/);
  assert.equal(lines[eperm.range.start.line].slice(eperm.range.start.character, eperm.range.start.character + 7), 'Error (');

  const noise = published.diagnostics.find((d) => d.code === 'criu.rlimit-nofile');
  assert.ok(noise, 'the rlimit line is reported');
  assert.equal(noise.severity, 3, 'information, not an error');
  assert.deepEqual(noise.tags, [1], 'tagged Unnecessary (shown faded)');

  // Every CRIU Error/Warn line of the example is diagnosed; the consequences are linked to the root cause.
  const expected = lines.map((l, i) => (/(Error \(|Warn {2}\()[^)]*:\d+\): /.test(l) ? i : -1)).filter((i) => i >= 0);
  const perLine = published.diagnostics.filter((d) => !['criu.fin-path', 'criu.state-changed', 'criu.log-ends-early'].includes(String(d.code)) && !String(d.code).startsWith('link.'));
  assert.deepEqual(perLine.map((d) => d.range.start.line).sort((a, b) => a - b), expected);
  assert.deepEqual(published.diagnostics.filter((d) => d.severity === 1).map((d) => d.code), ['criu.soccr-fin-eperm'], 'one error: the root cause');
  const related = (eperm as unknown as { relatedInformation: { location: { range: { start: { line: number } } }; message: string }[] }).relatedInformation;
  assert.deepEqual(related.map((r) => lines[r.location.range.start.line].match(/Unable to open fd|exited, status|Restoring FAILED/)?.[0]), ['Unable to open fd', 'exited, status', 'Restoring FAILED']);
  const fin = published.diagnostics.find((d) => d.code === 'criu.fin-path');
  assert.ok(fin, 'the CLOSE_WAIT socket is marked as taking the FIN path');
  assert.match(lines[fin.range.start.line], /Restore: .*TCP_CLOSE_WAIT/);

  assert.equal(await server.shutdown(), 0);
});

test('edits re-publish, a fixed log clears its diagnostics, and rulesets get none yet', async (t) => {
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize();

  const uri = 'untitled:restore-1.log';
  await server.open(uri, 'criu-log', '(00.1) Error (criu/files.c:1221): Unable to open fd=3 id=0x6\n');
  assert.equal((await server.nextDiagnostics(uri)).diagnostics.length, 1);

  await server.connection.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [{ range: { start: { line: 0, character: 7 }, end: { line: 0, character: 61 } }, text: 'Restore finished successfully.' }],
  });
  const after = await server.nextDiagnostics(uri);
  assert.equal(after.version, 2);
  assert.deepEqual(after.diagnostics, []);

  const rules = 'untitled:iptables.rules';
  await server.open(rules, 'iptables-save', '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
  assert.deepEqual((await server.nextDiagnostics(rules)).diagnostics, []);

  assert.equal(await server.shutdown(), 0);
});

test('a document over the big-message size arrives whole over stdio and is diagnosed as the core diagnoses it; the stream after it still reads', async (t) => {
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize();
  // The example log repeated past BIG_BODY and BIG_DOCUMENT: the server moves its message body out
  // before JSON.parse and collects around the parse (wholeMessages.ts, memory.ts).
  const example = readFileSync(join(examplesDir, 'restore.log'), 'utf8');
  const text = example.repeat(Math.ceil(BIG_BODY / example.length) + 1);
  assert.ok(text.length >= Math.max(BIG_BODY, BIG_DOCUMENT));
  const uri = 'untitled:big-restore.log';
  await server.open(uri, 'criu-log', text);
  const small = 'untitled:small-restore.log';
  await server.open(small, 'criu-log', example);
  const expected = (t: string, u: string) => analyseDocuments([{ doc: u, language: 'criu-log', text: t }]).filter((f) => f.doc === u).map((f) => [f.code, f.range.start.line]);
  const big = await server.nextDiagnostics(uri, 60_000);
  assert.deepEqual(big.diagnostics.map((d) => [d.code, d.range.start.line]), expected(text, uri));
  const after = await settleDiagnostics(server, small, (d) => d.length > 0);
  assert.deepEqual(after.map((d) => [d.code, d.range.start.line]), expected(example, small));
  assert.equal(await server.shutdown(), 0);
});
