import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { generateRestoreLog } from '../../bench/generate/criuLog';
import { ServerUnderTest, type PublishedDiagnostics } from '../support/lspClient';
import { examplesDir } from '../support/paths';

interface SummaryLink { line: number; start: number; end: number; doc: string; range: { start: { line: number; character: number } } }
interface LargeLogResult { uri: string; lineCount: number; bytes: number; findings: number; summary: { text: string; links: SummaryLink[] } }
type Diag = PublishedDiagnostics['diagnostics'][number] & { relatedInformation?: { location: { uri: string; range: { start: { line: number } } }; message: string }[] };

const withProgress = { window: { workDoneProgress: true } };
const file = (name: string) => {
  const path = join(examplesDir, name);
  return { path, uri: pathToFileURL(path).href, text: readFileSync(path, 'utf8') };
};

/** A generated `-v4` restore log of `lines` lines in a temporary folder (removed after the test). */
function bigLog(t: { after: (fn: () => void) => void }, lines: number): { path: string; uri: string } {
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-large-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'restore.log');
  writeFileSync(path, generateRestoreLog(lines, examplesDir));
  return { path, uri: pathToFileURL(path).href };
}

function startServer(t: { after: (fn: () => void) => void }): ServerUnderTest {
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  return server;
}

test('analyseLargeLog: progress from begin to end, findings published for the file, a summary whose links open the log and the rule', async (t) => {
  const restore = file('restore.log');
  const rules = file('iptables.rules');
  const server = startServer(t);
  await server.initialize([], withProgress);
  await server.open(rules.uri, 'iptables-save', rules.text);
  await server.nextDiagnostics(rules.uri);

  const result = (await server.connection.sendRequest('criuLens/analyseLargeLog', { uri: restore.uri })) as LargeLogResult;
  const lines = restore.text.split('\n');
  assert.equal(result.lineCount, lines.length - 1);
  assert.equal(result.bytes, Buffer.byteLength(restore.text));

  // Progress: the server created a token, began (cancellable), and ended it.
  assert.equal(server.progressTokens.length, 1);
  const mine = server.progress.filter((p) => p.token === server.progressTokens[0]);
  assert.equal(mine[0].value.kind, 'begin');
  assert.equal(mine[0].value.cancellable, true);
  assert.equal(mine[mine.length - 1].value.kind, 'end');

  // Diagnostics for the file, which is not open: the root cause with the dropping rule as related information.
  let diags: Diag[] = [];
  for (let k = 0; k < 5 && !diags.some((d) => d.code === 'criu.soccr-fin-eperm'); k++) diags = (await server.nextDiagnostics(restore.uri)).diagnostics as Diag[];
  const eperm = diags.find((d) => d.code === 'criu.soccr-fin-eperm');
  assert.ok(eperm, 'the EPERM root cause is published for the file');
  assert.equal(diags.length, result.findings);
  assert.ok(eperm.relatedInformation!.some((r) => r.location.uri === rules.uri && /KUBE-FIREWALL/.test(r.message)));

  // The summary: outcome, root cause, the rule, the socket; every link lands where its label says.
  const text = result.summary.text.split('\n');
  assert.match(result.summary.text, /## Outcome\nThe restore failed \(line \d+: Restoring FAILED\.\)/);
  assert.match(result.summary.text, /## Root cause\nline \d+: Unable to send a fin packet/);
  assert.match(result.summary.text, /## Sockets on the FIN path\n- line \d+: TCP_CLOSE_WAIT/);
  for (const link of result.summary.links) {
    const label = text[link.line].slice(link.start, link.end);
    if (link.doc !== restore.uri) continue;
    const m = /^line ([\d,]+)$/.exec(label) ?? /^ *(\d+)$/.exec(label);
    assert.ok(m, `link label ${JSON.stringify(label)}`);
    assert.equal(link.range.start.line, Number(m[1].replace(/,/g, '')) - 1, label);
  }
  const rootLink = result.summary.links.find((l) => text[l.line].startsWith('line ') && text[l.line - 1] === '## Root cause')!;
  assert.match(lines[rootLink.range.start.line], /Unable to send a fin packet/);
  const ruleLinks = result.summary.links.filter((l) => l.doc === rules.uri && /^- iptables\.rules: drops it, filter\/KUBE-FIREWALL rule 1/.test(text[l.line]));
  assert.equal(ruleLinks.length, 1, 'the dropping rule is linked from the ruleset verdict');
  assert.match(rules.text.split('\n')[ruleLinks[0].range.start.line], /^-A KUBE-FIREWALL .*0x8000\/0x8000 -j DROP/);
  const jump = result.summary.links.find((l) => l.doc === rules.uri && /jump KUBE-FIREWALL/.test(text[l.line]));
  assert.match(rules.text.split('\n')[jump!.range.start.line], /^-A OUTPUT .*-j KUBE-FIREWALL/, 'the jump that led there is linked too');
  await server.shutdown();
});

/** Starts the analysis of `uri` and cancels it (by `how`) as soon as it has begun. */
async function cancelled(server: ServerUnderTest, uri: string, how: 'request' | 'progress'): Promise<{ error: unknown; afterCancelMs: number }> {
  const source = new CancellationTokenSource();
  let cancelledAt = 0;
  server.onProgress((p) => {
    if (p.value.kind !== 'begin' || cancelledAt) return;
    cancelledAt = performance.now();
    if (how === 'request') source.cancel();
    else void server.connection.sendNotification('window/workDoneProgress/cancel', { token: p.token });
  });
  const error = await server.connection.sendRequest('criuLens/analyseLargeLog', { uri }, source.token).then(() => undefined, (e: unknown) => e);
  return { error, afterCancelMs: performance.now() - cancelledAt };
}

test('analyseLargeLog stops promptly when cancelled, by the request or by its progress, and publishes nothing', async (t) => {
  const log = bigLog(t, 250_000);
  const lineCount = readFileSync(log.path, 'utf8').split('\n').length - 1;
  const server = startServer(t);
  await server.initialize([], withProgress);
  for (const how of ['request', 'progress'] as const) {
    const { error, afterCancelMs } = await cancelled(server, log.uri, how);
    assert.ok(error instanceof ResponseError, `${how}: the request fails`);
    assert.equal(error.code, -32800, `${how}: RequestCancelled`);
    assert.ok(afterCancelMs < 2000, `${how}: stopped ${afterCancelMs.toFixed(0)} ms after the cancellation`);
    const ends = server.progress.filter((p) => p.token === server.progressTokens[server.progressTokens.length - 1] && p.value.kind === 'end');
    assert.equal(ends.length, 1, `${how}: the progress ends`);
  }
  server.onProgress(() => undefined);
  // The server is still usable, and the file is read whole when not cancelled.
  const result = (await server.connection.sendRequest('criuLens/analyseLargeLog', { uri: log.uri })) as LargeLogResult;
  assert.equal(result.lineCount, lineCount);
  const diags = (await server.nextDiagnostics(log.uri)).diagnostics;
  assert.ok(diags.some((d) => d.code === 'criu.soccr-fin-eperm' && d.range.start.line > 0.9 * lineCount), 'the root cause near the end of the file');
  assert.equal(server.takeAll(log.uri).length, 0, 'the cancelled runs published nothing');
  await server.shutdown();
});

test('analyseLargeLog refuses what it cannot read, with a message', async (t) => {
  const server = startServer(t);
  await server.initialize();
  const rules = file('iptables.rules');
  const missing = pathToFileURL(join(examplesDir, 'no-such.log')).href;
  for (const [uri, message] of [[rules.uri, /does not look like a CRIU log \(it reads as iptables-save\)/], [missing, /cannot read .*no-such\.log: ENOENT/], ['untitled:x', /file: uri/]] as const) {
    await assert.rejects(server.connection.sendRequest('criuLens/analyseLargeLog', { uri }), (e: ResponseError<unknown>) => e.code === -32602 && message.test(e.message));
  }
  await server.shutdown();
});

test('edits are debounced, and a validation overtaken by a newer edit publishes nothing', async (t) => {
  const log = bigLog(t, 200_000);
  const text = readFileSync(log.path, 'utf8');
  const server = startServer(t);
  await server.initialize();
  await server.open(log.uri, 'criu-log', text, 1);
  assert.equal((await server.nextDiagnostics(log.uri, 30000)).version, 1, 'diagnostics on open, without waiting');

  // Five keystrokes 20 ms apart: one analysis, of the last version.
  const at = (n: number) => ({ start: { line: 0, character: n }, end: { line: 0, character: n } });
  for (let v = 2; v <= 6; v++) {
    await server.change(log.uri, v, at(0), 'x');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal((await server.nextDiagnostics(log.uri, 30000)).version, 6);

  // An edit while the previous one is being analysed (a 200k-line parse takes far longer than the 50 ms between the debounce and the next edit).
  await server.change(log.uri, 7, at(0), 'y');
  await new Promise((r) => setTimeout(r, 200));
  await server.change(log.uri, 8, at(0), 'z');
  assert.equal((await server.nextDiagnostics(log.uri, 30000)).version, 8, 'version 7 was superseded before it was published');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(server.takeAll(log.uri).map((p) => p.version), [], 'nothing else was published');
  await server.shutdown();
});
