import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerUnderTest } from '../support/lspClient';
import { exampleDoc } from '../support/paths';

const restore = exampleDoc('restore.log');
const dump = exampleDoc('dump.log');
const lineOf = (d: { lines: string[] }, re: RegExp) => {
  const i = d.lines.findIndex((l) => re.test(l));
  assert.ok(i >= 0, `no line matches ${re}`);
  return i;
};

type Loc = { uri: string; range: { start: { line: number; character: number }; end: { line: number; character: number } } };
type Sym = { name: string; children?: Sym[] };
type Diag = { code?: string; message: string; relatedInformation?: { location: Loc; message: string }[] };

test('CRIU logs over LSP: hover, definition, references, symbols, folding, and dump ↔ restore pairing', async (t) => {
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize();
  await server.open(restore.uri, 'criu-log', restore.text);
  const alone = (await server.nextDiagnostics(restore.uri)).diagnostics as Diag[];
  assert.equal(alone.filter((d) => d.code === 'criu.state-changed').length, 0, 'no pairing without the dump');

  // Opening the dump log re-publishes the restore log with the pairing.
  await server.open(dump.uri, 'criu-log', dump.text);
  let paired: Diag[] = [];
  for (let k = 0; k < 4 && !paired.some((d) => d.code === 'criu.state-changed'); k++) paired = (await server.nextDiagnostics(restore.uri)).diagnostics as Diag[];
  const change = paired.find((d) => d.code === 'criu.state-changed');
  assert.ok(change, 'the state change is explained once both logs are open');
  assert.match(change.message, /TCP_ESTABLISHED when the dump collected it and TCP_CLOSE_WAIT in the image/);
  assert.ok(change.relatedInformation!.some((r) => r.location.uri === dump.uri && /Collected: .*TCP_ESTABLISHED/.test(dump.lines[r.location.range.start.line])));

  const req = (method: string, uri: string, position: { line: number; character: number }, extra: object = {}) =>
    server.connection.sendRequest(method, { textDocument: { uri }, position, ...extra });

  // Hover on the EPERM line's prefix explains it and links the source at the log's version.
  const eperm = lineOf(restore, /Unable to send a fin packet/);
  const errorCol = restore.lines[eperm].indexOf('Error (') + 2;
  const h1 = (await req('textDocument/hover', restore.uri, { line: eperm, character: errorCol })) as { contents: { value: string } };
  assert.match(h1.contents.value, /github\.com\/checkpoint-restore\/criu\/blob\/v4\.2\/soccr\/soccr\.c#L682/);
  assert.match(h1.contents.value, /0xC114/);
  assert.match(h1.contents.value, /What to check next/);

  // Hover on the errno text.
  const errnoCol = restore.lines[eperm].indexOf('Operation not permitted') + 3;
  const h2 = (await req('textDocument/hover', restore.uri, { line: eperm, character: errnoCol })) as { contents: { value: string } };
  assert.match(h2.contents.value, /\*\*EPERM\*\* \(errno 1\)/);

  // Hover on a TCP state says whether restore sends a packet.
  const restoreLine = lineOf(restore, /Restore: .*TCP_CLOSE_WAIT/);
  const h3 = (await req('textDocument/hover', restore.uri, { line: restoreLine, character: restore.lines[restoreLine].indexOf('TCP_CLOSE_WAIT') + 4 })) as { contents: { value: string } };
  assert.match(h3.contents.value, /TCP_CLOSE_WAIT\*\* \(8\)/);
  assert.match(h3.contents.value, /FIN\|ACK/);

  // Definition from a consequence to the root cause.
  const openFd = lineOf(restore, /Unable to open fd=3/);
  const def = (await req('textDocument/definition', restore.uri, { line: openFd, character: restore.lines[openFd].indexOf('Unable') + 2 })) as Loc;
  assert.equal(def.range.start.line, eperm);

  // References of the socket inode.
  const restoring = lineOf(restore, /Restoring TCP connection id \d+ ino/);
  const inoCol = restore.lines[restoring].search(/ino [0-9a-f]+/) + 5;
  const refs = (await req('textDocument/references', restore.uri, { line: restoring, character: inoCol }, { context: { includeDeclaration: true } })) as Loc[];
  assert.ok(refs.length >= 1);
  assert.ok(refs.some((r) => r.range.start.line === restoring));

  // Outline: outcome, root cause with its consequences, processes, sockets.
  const symbols = (await server.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri: restore.uri } })) as Sym[];
  const names = symbols.map((s) => s.name);
  assert.ok(names.some((n) => /^restore: failure/.test(n)), names.join(' | '));
  const cause = symbols.find((s) => /^Root cause: Unable to send a fin packet/.test(s.name));
  assert.ok(cause);
  assert.equal(cause.children!.length, 3);
  const processes = symbols.find((s) => s.name === 'Processes');
  assert.deepEqual(processes!.children!.map((c) => c.name.split(' ')[0]).sort(), ['46190', '46208']);
  assert.ok(symbols.find((s) => s.name === 'Sockets')!.children!.some((c) => /43512/.test(c.name)));

  const folds = (await server.connection.sendRequest('textDocument/foldingRange', { textDocument: { uri: restore.uri } })) as unknown[];
  assert.ok(folds.length > 0);

  assert.equal(await server.shutdown(), 0);
});
