/**
 * The packet-path SVG (server/src/diagram/svg.ts), read back with a strict XML reader: well
 * formed, accessible (<title>, <desc>, every rule's words), the culprit present once and
 * highlighted (class, hatch pattern, octagon), edges drawn in the packet's order between nodes
 * that exist, and rules focusable when interactive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';
import { parsePacketSpec } from '../../server/src/netfilter/evaluate/packet';
import { diagramSteps, packetPathDiagram } from '../../server/src/diagram/packetPath';
import { renderDiagramSvg } from '../../server/src/diagram/svg';
import { examplesDir } from '../support/paths';
import { allElements, hasClass, parseXml, textOf } from '../support/xml';

const example = parseIptablesSave(readFileSync(join(examplesDir, 'iptables.rules'), 'utf8'));
const FIN = 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid';
const diagram = (spec: string, ruleset = example) => packetPathDiagram({ inputs: [{ doc: 'examples/iptables.rules', ruleset }], path: 'local-out', packet: parsePacketSpec(spec) });

test('the XML reader rejects what is not well formed', () => {
  for (const bad of ['<a><b></a></b>', '<a x=1/>', '<a>&nbsp;</a>', '<a>x & y</a>', '<a/><b/>', '<a', '<a x="1" x="2"/>', '<a>']) assert.throws(() => parseXml(bad), bad);
  assert.equal(parseXml('<a x="&lt;1&gt;"><b>t&amp;u</b></a>').children[0].text, 't&u');
});

test("SVG of CRIU's FIN: well formed, titled, the culprit highlighted once, edges in order", () => {
  const d = diagram(FIN);
  const svg = renderDiagramSvg(d);
  const root = parseXml(svg);
  assert.equal(root.name, 'svg');
  assert.equal(root.attrs.xmlns, 'http://www.w3.org/2000/svg');
  assert.equal(root.attrs.role, 'img');
  const elements = allElements(root);
  const byId = new Map(elements.filter((e) => e.attrs.id).map((e) => [e.attrs.id, e]));
  assert.deepEqual(root.attrs['aria-labelledby'].split(' ').map((id) => byId.get(id)?.name), ['title', 'desc']);
  assert.match(textOf(byId.get('pp-title')!), /^Packet path \(local-out\): DROP — dropped by -m mark --mark 0x8000\/0x8000 -j DROP \(line 76\)$/);
  assert.match(textOf(byId.get('pp-desc')!), /KUBE-FIREWALL \(entered by jump\): CULPRIT: rule 1: match, DROP/);

  const steps = elements.filter((e) => e.name === 'g' && hasClass(e, 'step'));
  assert.equal(steps.length, diagramSteps(d).length);
  const culprits = steps.filter((e) => hasClass(e, 'culprit'));
  assert.equal(culprits.length, 1);
  const culprit = culprits[0];
  assert.equal(culprit.attrs['data-line'], '75');
  assert.ok(hasClass(culprit, 'matched'));
  assert.ok(culprit.children.some((c) => c.name === 'rect' && c.attrs.fill === 'url(#pp-hatch)'), 'hatched');
  assert.ok(byId.get('pp-hatch')?.name === 'pattern', 'the hatch pattern is defined');
  assert.ok(culprit.children.some((c) => c.name === 'polygon' && hasClass(c, 'culprit') && c.attrs.points.split(' ').length === 8), 'octagon glyph');
  assert.match(textOf(culprit), /CULPRIT/);
  assert.match(textOf(culprit.children.find((c) => c.name === 'title')!), /^CULPRIT: rule 1: match, DROP — -m mark --mark 0x8000\/0x8000 -j DROP \/\* kubernetes firewall for dropping marked packets \*\/$/);
  // Not matched rules look different without colour: dashed, and a slashed circle.
  const lock = steps.find((e) => e.attrs['data-line'] === '72')!;
  assert.ok(hasClass(lock, 'not-matched'));
  assert.ok(lock.children.some((c) => c.name === 'g' && hasClass(c, 'not-matched') && c.children.some((x) => x.name === 'line')));

  const edges = elements.filter((e) => e.name === 'g' && hasClass(e, 'edge'));
  assert.deepEqual(edges.map((e) => Number(e.attrs['data-order'])), d.edges.map((_, k) => k));
  assert.deepEqual(edges.map((e) => [e.attrs['data-from'], e.attrs['data-to'], e.attrs['data-kind']]), d.edges.map((e) => [e.from, e.to, e.kind]));
  const ids = new Set(elements.map((e) => e.attrs['data-id']).filter(Boolean));
  for (const e of edges) assert.ok(ids.has(e.attrs['data-from']) && ids.has(e.attrs['data-to']), `${e.attrs['data-from']} → ${e.attrs['data-to']}`);
  assert.deepEqual(edges.map((e) => textOf(e.children.find((c) => c.name === 'title')!)), d.edges.map((e) => e.label), 'each edge says what it is');
  assert.equal(edges.at(-1)!.attrs['data-from'], culprit.attrs['data-id'], 'the verdict edge leaves the culprit');
  const verdict = elements.find((e) => e.attrs['data-id'] === 'verdict')!;
  assert.ok(hasClass(verdict, 'drop'));
  assert.match(textOf(verdict), /DROP.*EPERM/s);
  // Every stage of the path is drawn, in kernel order.
  assert.deepEqual(elements.filter((e) => hasClass(e, 'stage')).map((e) => `${e.attrs['data-stage']}:${e.attrs['data-priority']}`), ['raw:-300', 'mangle:-150', 'nat:-100', 'filter:0', 'security:50', 'mangle:-150', 'nat:100']);
});

test('interactive SVG: every rule focusable, named, with its place in the file; ids prefixed; nonce on the style', () => {
  const svg = renderDiagramSvg(diagram(FIN), { interactive: true, idPrefix: 'x7', nonce: 'abc123' });
  const elements = allElements(parseXml(svg));
  const steps = elements.filter((e) => hasClass(e, 'step'));
  for (const s of steps) {
    assert.equal(s.attrs.tabindex, '0');
    assert.equal(s.attrs.role, 'button');
    assert.match(s.attrs['aria-label'], /Press Enter to reveal it in the ruleset\.$/);
    assert.match(s.attrs['data-range'], /^\d+:\d+:\d+:\d+$/);
    assert.equal(s.attrs['data-doc'], 'examples/iptables.rules');
  }
  assert.equal(elements.find((e) => e.name === 'style')!.attrs.nonce, 'abc123');
  assert.ok(elements.some((e) => e.attrs.id === 'x7-hatch'));
  assert.ok(!elements.some((e) => e.attrs.id === 'pp-hatch'));
  assert.ok(!/style="/.test(svg), 'no inline style attributes (a strict CSP blocks them)');
});

test('text from the ruleset is escaped; unknown and accept outcomes are drawn', () => {
  const ruleset = parseIptablesSave(['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -m comment --comment "<b>&\'quoted\'" -m mark --mark 0x8000/0x8000 -j DROP', 'COMMIT', ''].join('\n'));
  const unknown = parseXml(renderDiagramSvg(diagram('family=ipv4 proto=tcp', ruleset)));
  const step = allElements(unknown).find((e) => hasClass(e, 'culprit'))!;
  assert.ok(hasClass(step, 'unknown'));
  assert.match(textOf(step.children.find((c) => c.name === 'title')!), /<b>&'quoted'/);
  assert.ok(step.children.some((c) => c.name === 'polygon'));
  assert.ok(hasClass(allElements(unknown).find((e) => e.attrs['data-id'] === 'verdict')!, 'unknown'));
  const accept = allElements(parseXml(renderDiagramSvg(diagram('family=ipv4 proto=tcp mark=0', ruleset))));
  assert.equal(accept.filter((e) => hasClass(e, 'culprit') && hasClass(e, 'step')).length, 0);
  assert.ok(hasClass(accept.find((e) => e.attrs['data-id'] === 'verdict')!, 'accept'));
});
