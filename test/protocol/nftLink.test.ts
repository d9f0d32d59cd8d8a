import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerUnderTest, settleDiagnostics } from '../support/lspClient';
import { exampleDoc } from '../support/paths';

type Lens = { range: { start: { line: number } }; command: { title: string; command: string; arguments: [string, { start: { line: number } }] } };

test('restore.log + nftables.rules over LSP: the EPERM line is linked to ip filter KUBE-FIREWALL, quick fix in nft syntax', async (t) => {
  const restore = exampleDoc('restore.log');
  const rules = exampleDoc('nftables.rules');
  const culpritLine = rules.lines.findIndex((l) => /meta mark & 0x00008000 == 0x00008000 .*drop/.test(l));
  assert.ok(culpritLine > 0);
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize();
  await server.open(restore.uri, 'criu-log', restore.text);
  await server.nextDiagnostics(restore.uri);
  await server.open(rules.uri, 'nftables', rules.text);
  const logDiags = await settleDiagnostics(server, restore.uri, (d) => d.some((x) => x.code === 'criu.soccr-fin-eperm' && (x.relatedInformation ?? []).some((r) => r.location.uri === rules.uri)));
  const eperm = logDiags.find((d) => d.code === 'criu.soccr-fin-eperm')!;
  const related = eperm.relatedInformation!.filter((r) => r.location.uri === rules.uri);
  assert.match(related[0].message, /^Dropped by ip filter\/KUBE-FIREWALL rule 1/);
  assert.equal(related[0].location.range.start.line, culpritLine);
  assert.ok(related.some((r) => /jump KUBE-FIREWALL/.test(r.message)), 'the jump that led there');

  const ruleDiags = await settleDiagnostics(server, rules.uri, (d) => d.some((x) => x.code === 'link.drops-criu-fin'));
  const onRule = ruleDiags.filter((d) => d.code === 'link.drops-criu-fin');
  assert.equal(onRule.length, 1);
  assert.equal(onRule[0].range.start.line, culpritLine);
  assert.match(onRule[0].message, /^Drops CRIU's FIN: meta mark 0xc114 & 0x8000 = 0x8000 \(restore\.log:331\)/);
  assert.ok(!ruleDiags.some((d) => d.code === 'nftables.drops-criu-mark' && d.range.start.line === culpritLine), 'the link replaces the file\'s own finding on that rule');

  const lenses = (await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: restore.uri } })) as Lens[];
  assert.deepEqual(lenses.map((l) => l.command.title), [`Dropped by ip filter/KUBE-FIREWALL rule 1 (nftables.rules:${culpritLine + 1})`]);
  const epermLine = restore.lines.findIndex((l) => /Unable to send a fin packet/.test(l));
  const def = (await server.connection.sendRequest('textDocument/definition', { textDocument: { uri: restore.uri }, position: { line: epermLine, character: 40 } })) as { uri: string; range: { start: { line: number } } }[];
  assert.deepEqual(def.map((d) => [d.uri, d.range.start.line]), [[rules.uri, culpritLine]]);

  const pp = (await server.connection.sendRequest('criuLens/packetPath', { log: restore.uri, line: epermLine, ruleset: rules.uri })) as { diagram: { verdict: string; hooks: { stages: { kind: string; name: string; state: string }[] }[] }; svg: string };
  assert.equal(pp.diagram.verdict, 'drop');
  assert.ok(pp.diagram.hooks[0].stages.some((x) => x.kind === 'nft-base-chain' && x.name === 'ip filter' && x.state === 'drop'));
  assert.match(pp.svg, /data-kind="nft-base-chain"/);

  const hover = (await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: rules.uri }, position: { line: culpritLine, character: 8 } })) as { contents: { value: string } };
  assert.match(hover.contents.value, /nft insert rule ip filter KUBE-FIREWALL meta mark 0x0000c114 return/);
  assert.match(hover.contents.value, /nft insert rule ip filter KUBE-FIREWALL position <handle> meta mark 0x0000c114 return/);

  const actions = (await server.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri: rules.uri },
    range: { start: { line: culpritLine, character: 0 }, end: { line: culpritLine, character: 0 } },
    context: { diagnostics: onRule },
  })) as { title: string; edit?: { changes: Record<string, { range: { start: { line: number; character: number } }; newText: string }[]> }; command?: { command: string; arguments: string[] } }[];
  assert.equal(actions.length, 3);
  const edit = actions[0].edit!.changes[rules.uri][0];
  assert.deepEqual(edit.range.start, { line: culpritLine, character: 0 });
  assert.equal(edit.newText, '\t\tmeta mark 0x0000c114 return\n');
  assert.deepEqual(actions[1].command?.arguments, ['nft insert rule ip filter KUBE-FIREWALL meta mark 0x0000c114 return']);
  assert.deepEqual(actions[2].command?.arguments, ['nft insert rule ip filter KUBE-FIREWALL position <handle> meta mark 0x0000c114 return']);

  // With the fix applied the FIN passes: the link goes away.
  const fixed = rules.lines.slice(0, culpritLine).concat('\t\tmeta mark 0x0000c114 return', rules.lines.slice(culpritLine)).join('\n');
  const FIN = 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid';
  await server.connection.sendNotification('textDocument/didChange', { textDocument: { uri: rules.uri, version: 2 }, contentChanges: [{ text: fixed }] });
  const traced = (await server.connection.sendRequest('criuLens/trace', { rulesets: [rules.uri], path: 'local-out', packet: FIN })) as { verdict: string };
  assert.equal(traced.verdict, 'accept', 'after the fix');
  assert.equal(await server.shutdown(), 0);
});

test('an nft dump that says iptables-legacy tables are present: the EPERM line asks for iptables-legacy-save', async (t) => {
  const restore = exampleDoc('restore.log');
  const rules = exampleDoc('nftables.rules');
  const text = '# Warning: iptables-legacy tables present, use iptables-legacy to see them\n' + rules.text;
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize();
  await server.open(restore.uri, 'criu-log', restore.text);
  await server.nextDiagnostics(restore.uri);
  await server.open(rules.uri, 'nftables', text);
  const logDiags = await settleDiagnostics(server, restore.uri, (d) => d.some((x) => x.code === 'link.capture-legacy'));
  const hint = logDiags.find((d) => d.code === 'link.capture-legacy')!;
  assert.match(hint.message, /`iptables-legacy-save > iptables-legacy\.rules`/);
  assert.equal(hint.relatedInformation![0].location.range.start.line, 0);
  assert.equal(await server.shutdown(), 0);
});
