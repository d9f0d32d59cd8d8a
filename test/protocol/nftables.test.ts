import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ServerUnderTest } from '../support/lspClient';
import { examplesDir } from '../support/paths';

const path = join(examplesDir, 'nftables.rules');
const uri = pathToFileURL(path).href;
const text = readFileSync(path, 'utf8');
const lines = text.split('\n');

/** Position of `needle` (plus `offset`) on the first line after line `after` that matches `linePattern`. */
function find(linePattern: RegExp, needle: string, offset = 1, after = -1) {
  const line = lines.findIndex((l, i) => i > after && linePattern.test(l));
  assert.ok(line >= 0, `no line matches ${linePattern}`);
  const character = lines[line].indexOf(needle);
  assert.ok(character >= 0, `${needle} not on line ${line + 1}`);
  return { line, character: character + offset };
}
const filterTable = lines.indexOf('table ip filter {');

type Loc = { uri: string; range: { start: { line: number; character: number }; end: { line: number; character: number } } };
type Sym = { name: string; kind: number; detail?: string; children?: Sym[] };

test('nftables over LSP: diagnostics, hover, definition, references, symbols, folding', async (t) => {
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize();
  await server.open(uri, 'nftables', text);
  const diags = await server.nextDiagnostics(uri);
  assert.deepEqual(diags.diagnostics.filter((d) => d.severity === 1), [], 'the example has no errors');
  const criu = diags.diagnostics.filter((d) => d.code === 'nftables.drops-criu-mark');
  assert.equal(criu.length, 1, 'exactly the KUBE-FIREWALL mark rule drops 0xC114; CRIU\'s own table is not blamed');
  assert.match(lines[criu[0].range.start.line], /meta mark & 0x00008000 == 0x00008000 counter packets 0 bytes 0 drop/);
  assert.match(criu[0].message, /reached from ip filter OUTPUT rule 3 jump KUBE-FIREWALL/);

  const req = (method: string, position: { line: number; character: number }, extra: object = {}) =>
    server.connection.sendRequest(method, { textDocument: { uri }, position, ...extra });
  const hover = async (p: { line: number; character: number }) => ((await req('textDocument/hover', p)) as { contents: { value: string } }).contents.value;

  // The mark test, with the 0xC114 arithmetic and the table of known marks.
  const mark = await hover(find(/meta mark & 0x00008000 == 0x00008000/, 'mark', 1));
  assert.match(mark, /\(mark & 0x8000\) == 0x8000/);
  assert.match(mark, /CRIU's forged FIN \(mark 0xc114\) \*\*matches\*\*: 0xc114 & 0x8000 = 0x8000/);
  assert.match(mark, /0x4000.*\| no \|/);
  // CRIU's accept: it ends only its own base chain.
  const accept = await hover(find(/meta mark 0x0000c114 accept/, 'accept'));
  assert.match(accept, /for this base chain only/);
  // A priority name resolves to its number; the hook lists the base chains on it in order.
  const prio = await hover(find(/type filter hook output priority filter/, 'priority filter', 10, filterTable));
  assert.match(prio, /Priority `filter`\*\* = \*\*0\*\*/);
  const hook = await hover(find(/type filter hook output priority filter/, 'output', 1, filterTable));
  assert.match(hook, /`ip filter` `OUTPUT`/);
  assert.match(hook, /`inet CRIU-5f3c9a2e-81d4-4b6e-9c` `output`/);
  const dstnat = await hover(find(/type nat hook output priority -100/, '-100'));
  assert.match(dstnat, /= \*\*-100\*\*/);
  // The table made by iptables-nft, and CRIU's table.
  assert.match(await hover(find(/^# Warning: table ip filter/, 'Warning')), /iptables-nft's table/);
  assert.match(await hover(find(/^table inet CRIU-/, 'CRIU')), /CRIU's network lock/);
  // A chain jumped to from OUTPUT and INPUT.
  const chain = await hover(find(/jump KUBE-FIREWALL/, 'KUBE-FIREWALL', 1, filterTable));
  assert.match(chain, /Chain `KUBE-FIREWALL`\*\* in table `ip filter`: a regular chain/);
  assert.match(chain, /INPUT rule 4 \(line \d+\)/);
  assert.match(chain, /OUTPUT rule 3 \(line \d+\)/);
  // A named set, used through a concatenation.
  const set = await hover(find(/ip saddr \. tcp sport \. ip daddr \. tcp dport @conns4 drop/, '@conns4'));
  assert.match(set, /Set `@conns4`\*\* in table `inet CRIU-5f3c9a2e-81d4-4b6e-9c`/);
  assert.match(set, /Type `ipv4_addr \. inet_service \. ipv4_addr \. inet_service` \(a concatenation/);
  assert.match(set, /2 elements in this file: `192\.168\.10\.21 \. 43512 \. 10\.96\.0\.42 \. 5432`/);
  assert.match(set, /Used by 2 rules/);

  // Definition from a jump to the chain, and from @conns4 to the set.
  const def = (await req('textDocument/definition', find(/jump KUBE-FIREWALL/, 'KUBE-FIREWALL', 1, filterTable))) as Loc;
  assert.equal(def.uri, uri);
  assert.equal(lines[def.range.start.line].slice(def.range.start.character, def.range.end.character), 'KUBE-FIREWALL');
  assert.match(lines[def.range.start.line], /^\tchain KUBE-FIREWALL \{/);
  const setDef = (await req('textDocument/definition', find(/dport @conns4 drop/, '@conns4'))) as Loc;
  assert.match(lines[setDef.range.start.line], /^\tset conns4 \{/);

  // References: the declaration and both jumps.
  const refs = (await req('textDocument/references', find(/^\tchain KUBE-FIREWALL \{/, 'KUBE-FIREWALL'), { context: { includeDeclaration: true } })) as Loc[];
  assert.equal(refs.length, 3);
  assert.deepEqual(refs.map((r) => lines[r.range.start.line].slice(r.range.start.character, r.range.end.character)), ['KUBE-FIREWALL', 'KUBE-FIREWALL', 'KUBE-FIREWALL']);

  // Symbols: tables → chains (base chains with their hook) → rules, and sets.
  const symbols = (await server.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as Sym[];
  assert.deepEqual(symbols.map((s) => s.name), ['table ip mangle', 'table ip nat', 'table ip filter', 'table inet CRIU-5f3c9a2e-81d4-4b6e-9c']);
  const filter = symbols[2];
  assert.match(filter.children!.find((c) => c.name === 'OUTPUT')!.detail!, /filter hook output priority filter; policy accept/);
  const kf = filter.children!.find((c) => c.name === 'KUBE-FIREWALL')!;
  assert.equal(kf.children!.length, 2);
  assert.match(kf.children![0].name, /^1: meta mark & 0x00008000 == 0x00008000 counter/);
  assert.deepEqual(symbols[3].children!.map((c) => c.name), ['output', 'input', '@conns4', '@conns6']);

  const folds = (await server.connection.sendRequest('textDocument/foldingRange', { textDocument: { uri } })) as { startLine: number; endLine: number }[];
  assert.ok(folds.some((f) => f.startLine === filterTable && lines[f.endLine] === '}'), 'the filter table folds to its closing brace');
  assert.ok(folds.some((f) => /^\tset conns4 \{/.test(lines[f.startLine]) && lines[f.endLine] === '\t}'), 'a set folds');

  const ws = (await server.connection.sendRequest('workspace/symbol', { query: 'firewall' })) as { name: string; containerName: string }[];
  assert.deepEqual(ws.map((s) => `${s.containerName}/${s.name}`), ['ip filter/KUBE-FIREWALL']);

  // An edit that breaks a jump: the diagnostic follows, with the range of the name.
  const broken = text.replace('jump KUBE-FIREWALL\n\t}\n\n\tchain FORWARD', 'jump KUBE-FIREWAL\n\t}\n\n\tchain FORWARD');
  assert.notEqual(broken, text);
  server.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: broken }] });
  const after = await server.nextDiagnostics(uri);
  const undefinedChain = after.diagnostics.find((d) => d.code === 'nftables.undefined-chain');
  assert.ok(undefinedChain, 'undefined chain reported');
  const brokenLines = broken.split('\n');
  assert.equal(brokenLines[undefinedChain.range.start.line].slice(undefinedChain.range.start.character, undefinedChain.range.end.character), 'KUBE-FIREWAL');

  assert.equal(await server.shutdown(), 0);
});

test('criuLens/trace on an open nftables ruleset: the FIN is dropped by ip filter KUBE-FIREWALL', async (t) => {
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize();
  await server.open(uri, 'nftables', text);
  const traced = (await server.connection.sendRequest('criuLens/trace', { rulesets: [uri], path: 'local-out', packet: 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid' })) as { verdict: string; culprits: { table: string; chain: string; rule: number; path: string }[] };
  assert.equal(traced.verdict, 'drop');
  assert.deepEqual(traced.culprits.map((c) => [c.path, c.table, c.chain, c.rule]), [[uri, 'ip filter', 'KUBE-FIREWALL', 1]]);
  const accepted = (await server.connection.sendRequest('criuLens/trace', { rulesets: [uri], path: 'local-out', packet: 'family=ipv4 proto=udp src=10.0.0.1 dst=10.0.0.2 mark=0 oif=lo ct=established' })) as { verdict: string };
  assert.equal(accepted.verdict, 'accept');
});
