import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ServerUnderTest, settleDiagnostics, type LinkedDiagnostic } from '../support/lspClient';
import { examplesDir, repoRoot } from '../support/paths';
import { replayUnavailable } from '../../server/src/replay/replay';

type Diag = LinkedDiagnostic;

const file = (path: string) => {
  const text = readFileSync(path, 'utf8');
  return { uri: pathToFileURL(path).href, text, lines: text.split('\n') };
};

test('kernel-trace over LSP: diagnostics, hover, symbols, folding; the EPERM line links to the trace and its hover lists the evidence', async (t) => {
  const graph = file(join(repoRoot, 'test', 'fixtures', 'kernel-trace', 'function-graph-fin-drop.trace'));
  const restore = file(join(examplesDir, 'restore.log'));
  const rules = file(join(examplesDir, 'iptables.rules'));
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize();

  await server.open(graph.uri, 'kernel-trace', graph.text);
  const diags = (await server.nextDiagnostics(graph.uri)).diagnostics as Diag[];
  const drop = diags.find((d) => d.code === 'ktrace.netfilter-drop')!;
  assert.ok(drop, JSON.stringify(diags));
  assert.equal(drop.severity, 2, 'warning');
  assert.match(graph.lines[drop.range.start.line], /nf_hook_slow\(\) \{/);
  assert.ok(diags.some((d) => d.code === 'ktrace.mark-match' && d.severity === 3));

  const markLine = graph.lines.findIndex((l) => /mark_mt \[xt_mark\]\(\); \/\* = 0x1/.test(l));
  const hover = (await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: graph.uri }, position: { line: markLine, character: graph.lines[markLine].indexOf('mark_mt') + 2 } })) as { contents: { value: string } };
  assert.match(hover.contents.value, /`mark_mt`\*\* \(module `xt_mark`\)/);
  assert.match(hover.contents.value, /mark match succeeded/);

  const symbols = (await server.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri: graph.uri } })) as { name: string; children?: { name: string }[] }[];
  assert.equal(symbols[0].name, 'raw_sendmsg');
  assert.ok(symbols[0].children?.some((c) => c.name === 'raw_send_hdrinc'));
  const folds = (await server.connection.sendRequest('textDocument/foldingRange', { textDocument: { uri: graph.uri } })) as { startLine: number; endLine: number }[];
  const hookLine = graph.lines.findIndex((l) => /nf_hook_slow\(\) \{/.test(l));
  const hookEnd = graph.lines.findIndex((l) => /\/\* nf_hook_slow = -1 \*\//.test(l));
  assert.ok(folds.some((f) => f.startLine === hookLine && f.endLine === hookEnd), JSON.stringify(folds));

  // With the restore log and the ruleset open: the drop links to the EPERM line and the evaluator's rule.
  await server.open(restore.uri, 'criu-log', restore.text);
  await server.open(rules.uri, 'iptables-save', rules.text);
  const linked = await settleDiagnostics(server, graph.uri, (d) => d.some((x) => x.code === 'ktrace.netfilter-drop' && (x.relatedInformation ?? []).some((r) => r.location.uri === rules.uri)));
  const rel = linked.find((x) => x.code === 'ktrace.netfilter-drop')!.relatedInformation!;
  assert.ok(rel.some((r) => r.location.uri === restore.uri && /EPERM/.test(r.message)));
  const toRule = rel.find((r) => r.location.uri === rules.uri)!;
  assert.equal(toRule.location.range.start.line, 75);
  assert.match(toRule.message, /evaluator finds dropping CRIU's FIN: filter\/KUBE-FIREWALL rule 1/);

  const epermLine = restore.lines.findIndex((l) => /Unable to send a fin packet/.test(l));
  const logDiags = await settleDiagnostics(server, restore.uri, (d) => d.some((x) => x.code === 'criu.soccr-fin-eperm' && (x.relatedInformation ?? []).some((r) => r.location.uri === graph.uri)));
  const toTrace = logDiags.find((x) => x.code === 'criu.soccr-fin-eperm')!.relatedInformation!.find((r) => r.location.uri === graph.uri)!;
  assert.equal(toTrace.location.range.start.line, hookLine);
  const epermHover = (await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: restore.uri }, position: { line: epermLine, character: restore.lines[epermLine].indexOf('Unable') + 3 } })) as { contents: { value: string } };
  assert.match(epermHover.contents.value, /\*\*Kernel evidence\*\*/);
  assert.match(epermHover.contents.value, /netfilter-drop — function-graph-fin-drop\.trace:\d+/);
  assert.match(epermHover.contents.value, /xtables-monitor --trace/, 'the missing TRACE capture, with its commands');
  assert.match(epermHover.contents.value, /nf_conntrack_count/, 'the missing conntrack check');

  assert.equal(await server.shutdown(), 0);
});

test('Confirm with the kernel over LSP: a code action on the EPERM line, and criuLens/replay answers with the kernel beside the evaluator', async (t) => {
  const restore = file(join(examplesDir, 'restore.log'));
  const dump = file(join(examplesDir, 'dump.log'));
  const rules = file(join(examplesDir, 'iptables.rules'));
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize();
  await server.open(restore.uri, 'criu-log', restore.text);
  await server.open(dump.uri, 'criu-log', dump.text);
  await server.open(rules.uri, 'iptables-save', rules.text);
  await settleDiagnostics(server, restore.uri, (d) => d.some((x) => x.code === 'criu.soccr-fin-eperm' && (x.relatedInformation ?? []).some((r) => r.location.uri === rules.uri)));
  const epermLine = restore.lines.findIndex((l) => /Unable to send a fin packet/.test(l));
  const actions = (await server.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri: restore.uri },
    range: { start: { line: epermLine, character: 0 }, end: { line: epermLine, character: 0 } },
    context: { diagnostics: [] },
  })) as { title: string; command?: { command: string; arguments: [string, number] } }[];
  assert.equal(actions.length, 1);
  assert.match(actions[0].title, /^Confirm with the kernel/);
  assert.deepEqual(actions[0].command?.arguments, [restore.uri, epermLine]);
  assert.equal(actions[0].command?.command, 'criuLens.confirmWithKernel');

  const result = (await server.connection.sendRequest('criuLens/replay', { uri: restore.uri, line: epermLine })) as { ok: boolean; text?: string; reason?: string };
  const unavailable = replayUnavailable();
  if (unavailable) {
    assert.equal(result.ok, false);
    assert.match(result.reason!, /cannot confirm with the kernel: .*Nothing was changed\./);
  } else {
    assert.equal(result.ok, true, result.reason);
    assert.match(result.text!, /Kernel: {4}sendto → EPERM\n {11}DROP in filter:KUBE-FIREWALL: .* = filter\/KUBE-FIREWALL rule 1 \(iptables\.rules:76\)/);
    assert.match(result.text!, /Agree: {5}yes/);
  }
  const elsewhere = (await server.connection.sendRequest('criuLens/replay', { uri: restore.uri, line: 0 })) as { ok: boolean; reason?: string };
  assert.deepEqual(elsewhere, { ok: false, reason: 'no failed FIN send is known on that line' });
  assert.equal(await server.shutdown(), 0);
});

test('Confirm with the kernel over LSP with an nftables ruleset: criuLens/replay loads it with nft -f and answers with nft monitor trace beside the evaluator', async (t) => {
  const restore = file(join(examplesDir, 'restore.log'));
  const dump = file(join(examplesDir, 'dump.log'));
  const rules = file(join(examplesDir, 'nftables.rules'));
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize();
  await server.open(restore.uri, 'criu-log', restore.text);
  await server.open(dump.uri, 'criu-log', dump.text);
  await server.open(rules.uri, 'nftables', rules.text);
  await settleDiagnostics(server, restore.uri, (d) => d.some((x) => x.code === 'criu.soccr-fin-eperm' && (x.relatedInformation ?? []).some((r) => r.location.uri === rules.uri)));
  const epermLine = restore.lines.findIndex((l) => /Unable to send a fin packet/.test(l));
  const result = (await server.connection.sendRequest('criuLens/replay', { uri: restore.uri, line: epermLine })) as { ok: boolean; text?: string; reason?: string };
  const unavailable = replayUnavailable('nftables');
  if (unavailable) {
    assert.equal(result.ok, false);
    assert.match(result.reason!, /cannot confirm with the kernel: .*Nothing was changed\./);
  } else {
    assert.equal(result.ok, true, result.reason);
    assert.match(result.text!, /^# nftables\.rules\n/);
    assert.match(result.text!, /Kernel: {4}sendto → EPERM\n {11}DROP in ip filter\/KUBE-FIREWALL: .* = ip filter\/KUBE-FIREWALL rule 1 \(nftables\.rules:132\)\nEvaluator: drop — ip filter\/KUBE-FIREWALL rule 1 \(nftables\.rules:132\)\nAgree: {5}yes/);
    assert.match(result.text!, /Kernel trace \(nft monitor trace\):/);
  }
  assert.equal(await server.shutdown(), 0);
});
