import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ServerUnderTest } from '../support/lspClient';
import { examplesDir } from '../support/paths';

const path = join(examplesDir, 'iptables.rules');
const uri = pathToFileURL(path).href;
const text = readFileSync(path, 'utf8');
const lines = text.split('\n');

/** Position of the `nth` occurrence of `needle` on the first line that matches `linePattern`. */
function find(linePattern: RegExp, needle: string, offset = 1) {
  const line = lines.findIndex((l) => linePattern.test(l));
  assert.ok(line >= 0, `no line matches ${linePattern}`);
  const character = lines[line].indexOf(needle);
  assert.ok(character >= 0, `${needle} not on line ${line + 1}`);
  return { line, character: character + offset };
}

type Loc = { uri: string; range: { start: { line: number; character: number }; end: { line: number; character: number } } };
type Sym = { name: string; kind: number; children?: Sym[] };

test('iptables-save over LSP: diagnostics, hover, definition, references, symbols, folding', async (t) => {
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  const init = await server.initialize();
  for (const cap of ['hoverProvider', 'definitionProvider', 'referencesProvider', 'documentSymbolProvider', 'foldingRangeProvider', 'workspaceSymbolProvider']) {
    assert.ok(init.capabilities[cap], cap);
  }
  await server.open(uri, 'iptables-save', text);
  const diags = await server.nextDiagnostics(uri);
  assert.deepEqual(diags.diagnostics.filter((d) => d.severity === 1), [], 'the example has no errors');
  const criu = diags.diagnostics.filter((d) => d.code === 'iptables.drops-criu-mark');
  assert.equal(criu.length, 1, 'exactly the KUBE-FIREWALL mark rule drops 0xC114');
  assert.match(lines[criu[0].range.start.line], /^-A KUBE-FIREWALL .*--mark 0x8000\/0x8000 -j DROP/);

  const req = (method: string, position: { line: number; character: number }, extra: object = {}) =>
    server.connection.sendRequest(method, { textDocument: { uri }, position, ...extra });

  // Hover on the mark value explains the arithmetic and which known marks match.
  const markHover = (await req('textDocument/hover', find(/^-A KUBE-FIREWALL .*0x8000\/0x8000/, '0x8000/0x8000'))) as { contents: { value: string } };
  assert.match(markHover.contents.value, /\(mark & 0x8000\) == 0x8000/);
  assert.match(markHover.contents.value, /0xc114.*\*\*matches\*\*/);
  assert.match(markHover.contents.value, /0x4000.*\| no \|/);

  // Hover on a chain name says where it is jumped from.
  const chainHover = (await req('textDocument/hover', find(/^-A OUTPUT -j KUBE-FIREWALL/, 'KUBE-FIREWALL'))) as { contents: { value: string } };
  assert.match(chainHover.contents.value, /Chain `KUBE-FIREWALL`.*table `filter`/);
  assert.match(chainHover.contents.value, /OUTPUT rule \d+ \(line \d+\)/);

  // Hover on a target and an address.
  const dropHover = (await req('textDocument/hover', find(/^-A KUBE-FIREWALL .*0x8000\/0x8000/, 'DROP'))) as { contents: { value: string } };
  assert.match(dropHover.contents.value, /Target `DROP`/);
  const addrHover = (await req('textDocument/hover', find(/^-A KUBE-FIREWALL ! -s 127/, '127.0.0.0/8', 3))) as { contents: { value: string } };
  assert.match(addrHover.contents.value, /127\.0\.0\.0` – `127\.255\.255\.255` \(16,777,216 addresses/);

  // Definition from a jump to the declaration.
  const def = (await req('textDocument/definition', find(/^-A OUTPUT -j KUBE-FIREWALL/, 'KUBE-FIREWALL'))) as Loc;
  assert.equal(def.uri, uri);
  assert.equal(lines[def.range.start.line].slice(def.range.start.character, def.range.end.character), 'KUBE-FIREWALL');
  assert.match(lines[def.range.start.line], /^:KUBE-FIREWALL - /);

  // References: the declaration and both jumps (INPUT and OUTPUT).
  const refs = (await req('textDocument/references', find(/^:KUBE-FIREWALL/, 'KUBE-FIREWALL'), { context: { includeDeclaration: true } })) as Loc[];
  assert.deepEqual(refs.map((r) => lines[r.range.start.line].split(' ').slice(0, 2).join(' ')).sort(), ['-A INPUT', '-A OUTPUT', ':KUBE-FIREWALL -']);

  // Symbols: tables → chains → rules.
  const symbols = (await server.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as Sym[];
  assert.deepEqual(symbols.map((s) => s.name), ['*mangle', '*nat', '*filter']);
  // LSP positions are uintegers: a larger column makes VS Code reject the whole outline.
  const columns = JSON.stringify(symbols).match(/"character":\d+/g)!.map((m) => Number(m.split(':')[1]));
  assert.ok(columns.every((c) => c <= 2147483647), `columns within uinteger: ${Math.max(...columns)}`);
  const kf = symbols[2].children!.find((c) => c.name === 'KUBE-FIREWALL')!;
  assert.equal(kf.children!.length, 2);
  assert.match(kf.children![0].name, /^1: -m mark --mark 0x8000\/0x8000 -j DROP/);

  const folds = (await server.connection.sendRequest('textDocument/foldingRange', { textDocument: { uri } })) as { startLine: number; endLine: number }[];
  const filterStart = lines.indexOf('*filter');
  assert.ok(folds.some((f) => f.startLine === filterStart && /^COMMIT/.test(lines[f.endLine])), 'the filter table folds to its COMMIT');

  const ws = (await server.connection.sendRequest('workspace/symbol', { query: 'firewall' })) as { name: string; containerName: string }[];
  assert.deepEqual(ws.map((s) => `${s.containerName}/${s.name}`), ['filter/KUBE-FIREWALL']);

  // The evaluator through the server: the CRIU FIN on the local-out path.
  const traced = (await server.connection.sendRequest('criuLens/trace', {
    rulesets: [uri],
    path: 'local-out',
    packet: 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid',
  })) as { verdict: string; culprits: { chain: string; rule: number; path: string }[] };
  assert.equal(traced.verdict, 'drop');
  assert.deepEqual(traced.culprits.map((c) => [c.path, c.chain, c.rule]), [[uri, 'KUBE-FIREWALL', 1]]);
  await assert.rejects(server.connection.sendRequest('criuLens/trace', { rulesets: [uri], path: 'local-out', packet: 'mark=nope' }), /packet: mark/);

  assert.equal(await server.shutdown(), 0);
});
