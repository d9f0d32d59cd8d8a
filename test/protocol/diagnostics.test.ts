import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ServerUnderTest } from '../support/lspClient';
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

  // Every CRIU Error/Warn line of the example is diagnosed, nothing else.
  const expected = lines.map((l, i) => (/(Error \(|Warn {2}\()[^)]*:\d+\): /.test(l) ? i : -1)).filter((i) => i >= 0);
  assert.deepEqual(published.diagnostics.map((d) => d.range.start.line).sort((a, b) => a - b), expected);

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
