/**
 * `criuLens/packetPath` over LSP, and the ways the editor opens it: the EPERM line's and the
 * rule's lenses and hovers carry `criuLens.showPacketPath` with the link's target when the client
 * says it has the view (initializationOptions.packetPathView), and only then.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerUnderTest, type PublishedDiagnostics } from '../support/lspClient';
import { exampleDoc } from '../support/paths';
import { allElements, hasClass, parseXml } from '../support/xml';

type Lens = { range: { start: { line: number } }; command: { title: string; command: string; arguments: unknown[] } };
type Step = { id: string; culprit: boolean; state: string; source: { doc: string; range: { start: { line: number } } } };
type Result = { title: string; svg: string; css: string; diagram: { verdict: string; edges: { kind: string }[]; hooks: { stages: { visits: { steps: Step[] }[] }[] }[] } };
const FIN = 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid';
const steps = (r: Result) => r.diagram.hooks.flatMap((h) => h.stages.flatMap((s) => s.visits.flatMap((v) => v.steps)));

async function linked(server: ServerUnderTest, restore: { uri: string }, rules: { uri: string }): Promise<void> {
  for (let k = 0; k < 10; k++) {
    const d = (await server.nextDiagnostics(restore.uri)).diagnostics as (PublishedDiagnostics['diagnostics'][number] & { relatedInformation?: { location: { uri: string } }[] })[];
    if (d.some((x) => x.code === 'criu.soccr-fin-eperm' && (x.relatedInformation ?? []).some((r) => r.location.uri === rules.uri))) return;
  }
  throw new Error('the EPERM line was never linked to the ruleset');
}

test('criuLens/packetPath: from the lenses and hovers of a linked FIN, and for a typed packet', async (t) => {
  const restore = exampleDoc('restore.log');
  const rules = exampleDoc('iptables.rules');
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize([], {}, { packetPathView: true });
  await server.open(restore.uri, 'criu-log', restore.text);
  await server.open(rules.uri, 'iptables-save', rules.text);
  await linked(server, restore, rules);
  const epermLine = restore.lines.findIndex((l) => /Unable to send a fin packet/.test(l));
  const target = { log: restore.uri, line: epermLine, ruleset: rules.uri };

  // Lenses: beside "Dropped by …" on the log line and "Drops CRIU's FIN" on the rule, "Show packet path".
  const logLenses = (await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: restore.uri } })) as Lens[];
  assert.deepEqual(logLenses.map((l) => [l.range.start.line, l.command.command]), [[epermLine, 'criuLens.reveal'], [epermLine, 'criuLens.showPacketPath']]);
  assert.equal(logLenses[1].command.title, 'Show packet path');
  assert.deepEqual(logLenses[1].command.arguments, [target]);
  const ruleLenses = (await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: rules.uri } })) as Lens[];
  assert.deepEqual(ruleLenses.map((l) => [l.range.start.line, l.command.command]), [[75, 'criuLens.reveal'], [75, 'criuLens.showPacketPath']]);
  assert.deepEqual(ruleLenses[1].command.arguments, [target]);

  // Hovers: a command link with the same target, on the rule and on the EPERM line.
  const commandArgs = (markdown: string) => {
    const m = /\(command:criuLens\.showPacketPath\?([^ )]+) "Open the packet-path diagram"\)/.exec(markdown);
    assert.ok(m, markdown.slice(0, 300));
    return JSON.parse(decodeURIComponent(m[1]));
  };
  const ruleHover = (await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: rules.uri }, position: { line: 75, character: 10 } })) as { contents: { value: string } };
  assert.match(ruleHover.contents.value, /Drops CRIU's FIN/);
  assert.deepEqual(commandArgs(ruleHover.contents.value), [target]);
  const logHover = (await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: restore.uri }, position: { line: epermLine, character: 40 } })) as { contents: { value: string } };
  assert.deepEqual(commandArgs(logHover.contents.value), [target]);
  assert.match(logHover.contents.value, /through iptables\.rules/);

  // The request with the lens's argument: the diagram and its interactive SVG.
  const fromLink = (await server.connection.sendRequest('criuLens/packetPath', target)) as Result;
  assert.equal(fromLink.title, `CRIU's FIN (restore.log:${epermLine + 1}) · iptables.rules`);
  assert.equal(fromLink.diagram.verdict, 'drop');
  const culprit = steps(fromLink).filter((s) => s.culprit);
  assert.deepEqual(culprit.map((s) => [s.source.doc, s.source.range.start.line]), [[rules.uri, 75]]);
  const svg = allElements(parseXml(fromLink.svg));
  const drawn = svg.filter((e) => hasClass(e, 'step'));
  assert.equal(drawn.length, steps(fromLink).length);
  assert.ok(drawn.every((e) => e.attrs.tabindex === '0'), 'every rule focusable');
  assert.ok(!svg.some((e) => e.name === 'style'), 'the view brings the stylesheet, under its CSP');
  assert.match(fromLink.css, /\.pp \.step\.culprit/);

  // A packet the user typed, through the open ruleset: the same culprit.
  const typed = (await server.connection.sendRequest('criuLens/packetPath', { rulesets: [rules.uri], path: 'local-out', packet: FIN })) as Result;
  assert.equal(typed.title, 'local-out · iptables.rules');
  assert.deepEqual(steps(typed).filter((s) => s.culprit).map((s) => s.source.range.start.line), [75]);
  assert.deepEqual(typed.diagram.edges.map((e) => e.kind), ['next', 'next', 'jump', 'verdict']);

  // Bad requests are InvalidParams with a message, never a crash.
  const failure = async (params: unknown) => {
    try {
      await server.connection.sendRequest('criuLens/packetPath', params);
    } catch (e) {
      const { code, message } = e as { code: number; message: string };
      return { code, message };
    }
    assert.fail(`no error for ${JSON.stringify(params)}`);
  };
  assert.deepEqual(await failure({ rulesets: [rules.uri], path: 'local-out', packet: 'mark=xyz' }), { code: -32602, message: 'packet: mark: "xyz" is not a number from 0 to 4294967295' });
  assert.match((await failure({ rulesets: [restore.uri], path: 'local-out', packet: FIN })).message, /none of the rulesets is an open iptables-save or nftables document/);
  assert.match((await failure({ rulesets: [rules.uri], path: 'sideways', packet: FIN })).message, /unknown path sideways/);
  assert.match((await failure({ ...target, line: epermLine + 1 })).message, /no failed FIN at restore\.log:\d+ linked to iptables\.rules/);
  assert.equal((await failure(null)).code, -32602);
  assert.equal(await server.shutdown(), 0);
});

test('without the view (another editor), no lens or hover points at a command it lacks', async (t) => {
  const restore = exampleDoc('restore.log');
  const rules = exampleDoc('iptables.rules');
  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize();
  await server.open(restore.uri, 'criu-log', restore.text);
  await server.open(rules.uri, 'iptables-save', rules.text);
  await linked(server, restore, rules);
  const lenses = [
    ...((await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: restore.uri } })) as Lens[]),
    ...((await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: rules.uri } })) as Lens[]),
  ];
  assert.equal(lenses.length, 2);
  assert.ok(lenses.every((l) => l.command.command === 'criuLens.reveal'));
  const ruleHover = (await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: rules.uri }, position: { line: 75, character: 10 } })) as { contents: { value: string } };
  assert.ok(!ruleHover.contents.value.includes('command:'));
  // The request itself still answers: any client may draw the diagram.
  const r = (await server.connection.sendRequest('criuLens/packetPath', { rulesets: [rules.uri], path: 'local-out', packet: FIN })) as Result;
  assert.equal(r.diagram.verdict, 'drop');
  assert.equal(await server.shutdown(), 0);
});
