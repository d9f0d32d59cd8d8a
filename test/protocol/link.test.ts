import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerUnderTest, settleDiagnostics, type LinkedDiagnostic } from '../support/lspClient';
import { exampleDoc } from '../support/paths';

type Diag = LinkedDiagnostic;
type Lens = { range: { start: { line: number } }; command: { title: string; command: string; arguments: [string, { start: { line: number } }] } };

test('the headline over LSP: restore.log + iptables.rules → related rule, lenses both ways, definition', async (t) => {
  const restore = exampleDoc('restore.log');
  const rules = exampleDoc('iptables.rules');
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize();
  await server.open(restore.uri, 'criu-log', restore.text);
  const before = (await server.nextDiagnostics(restore.uri)).diagnostics as Diag[];
  assert.ok(before.some((d) => d.code === 'link.no-ruleset'), 'without a ruleset, the log says what to capture');

  await server.open(rules.uri, 'iptables-save', rules.text);
  const logDiags = await settleDiagnostics(server, restore.uri, (d) => d.some((x) => x.code === 'criu.soccr-fin-eperm' && (x.relatedInformation ?? []).some((r) => r.location.uri === rules.uri)));
  const eperm = logDiags.find((d) => d.code === 'criu.soccr-fin-eperm')!;
  const related = eperm.relatedInformation!.filter((r) => r.location.uri === rules.uri);
  assert.match(related[0].message, /^Dropped by filter\/KUBE-FIREWALL rule 1/);
  assert.match(rules.lines[related[0].location.range.start.line], /^-A KUBE-FIREWALL .*--mark 0x8000\/0x8000 -j DROP/);
  assert.ok(related.some((r) => /jump KUBE-FIREWALL/.test(r.message) && /^-A OUTPUT -j KUBE-FIREWALL/.test(rules.lines[r.location.range.start.line])), 'the jump that led there');
  assert.ok(related.some((r) => /CRIU's own lock rule/.test(r.message) && /! --mark 0xc114/.test(rules.lines[r.location.range.start.line])), 'CRIU\'s lock rule is named, not blamed');
  assert.ok(!logDiags.some((d) => d.code === 'link.no-ruleset'));

  const ruleDiags = await settleDiagnostics(server, rules.uri, (d) => d.some((x) => x.code === 'link.drops-criu-fin'));
  const onRule = ruleDiags.filter((d) => d.code === 'link.drops-criu-fin');
  assert.equal(onRule.length, 1, 'only the KUBE-FIREWALL rule is blamed');
  assert.match(onRule[0].message, /^Drops CRIU's FIN: mark 0xc114 & 0x8000 = 0x8000 \(restore\.log:331\)/);

  const lenses = (await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: restore.uri } })) as Lens[];
  assert.equal(lenses.length, 1);
  assert.equal(lenses[0].command.title, 'Dropped by filter/KUBE-FIREWALL rule 1 (iptables.rules:76)');
  assert.equal(lenses[0].command.command, 'criuLens.reveal');
  assert.equal(lenses[0].command.arguments[0], rules.uri);
  assert.equal(lenses[0].command.arguments[1].start.line, 75);
  const reverse = (await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: rules.uri } })) as Lens[];
  assert.deepEqual(reverse.map((l) => [l.range.start.line, l.command.title]), [[75, "Drops CRIU's FIN (restore.log:331)"]]);

  const epermLine = restore.lines.findIndex((l) => /Unable to send a fin packet/.test(l));
  const def = (await server.connection.sendRequest('textDocument/definition', { textDocument: { uri: restore.uri }, position: { line: epermLine, character: 40 } })) as { uri: string; range: { start: { line: number } } }[];
  assert.deepEqual(def.map((d) => [d.uri, d.range.start.line]), [[rules.uri, 75]]);

  // The rule's hover shows the packet's whole path and the fixes.
  const ruleHover = (await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: rules.uri }, position: { line: 75, character: 10 } })) as { contents: { value: string } };
  assert.match(ruleHover.contents.value, /Drops CRIU's FIN\*\* of the restore that failed at restore\.log:331: FIN\|ACK the peer \(unknown: open the dump log of this checkpoint\) → 192\.168\.10\.21:43512, mark 0xc114/);
  assert.match(ruleHover.contents.value, /filter\/OUTPUT rule 1: no match/);
  assert.match(ruleHover.contents.value, /kubelet/);

  // Quick fixes: the exemption as an edit of the saved file, and the live command to copy.
  const actions = (await server.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri: rules.uri },
    range: { start: { line: 75, character: 0 }, end: { line: 75, character: 0 } },
    context: { diagnostics: onRule },
  })) as { title: string; edit?: { changes: Record<string, { range: { start: { line: number } }; newText: string }[]> }; command?: { command: string; arguments: string[] } }[];
  assert.equal(actions.length, 2);
  const edit = actions[0].edit!.changes[rules.uri][0];
  assert.equal(edit.range.start.line, 75);
  assert.equal(edit.newText, '-A KUBE-FIREWALL -m mark --mark 0xc114 -j RETURN\n');
  assert.deepEqual(actions[1].command, { title: 'Copy to clipboard', command: 'criuLens.copyToClipboard', arguments: ['iptables -t filter -I KUBE-FIREWALL 1 -m mark --mark 0xc114 -j RETURN'] });
  // Applied, the exemption makes the FIN pass: the evaluator agrees.
  const fixed = rules.lines.slice();
  fixed.splice(75, 0, edit.newText.trimEnd());
  const traced = (await server.connection.sendRequest('criuLens/trace', { rulesets: [rules.uri], path: 'local-out', packet: 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid' })) as { verdict: string };
  assert.equal(traced.verdict, 'drop', 'before the fix');
  await server.connection.sendNotification('textDocument/didChange', { textDocument: { uri: rules.uri, version: 2 }, contentChanges: [{ text: fixed.join('\n') }] });
  const after = (await server.connection.sendRequest('criuLens/trace', { rulesets: [rules.uri], path: 'local-out', packet: 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid' })) as { verdict: string };
  assert.equal(after.verdict, 'accept', 'after the fix');

  assert.equal(await server.shutdown(), 0);
});
