/**
 * The "Packet path" webview page (client/src/packetPathHtml.ts): its Content-Security-Policy and
 * markup in Node, then the page itself in headless Chromium under that policy, with a stand-in
 * for VS Code's webview API: the culprit focused on load, arrow keys moving between rules,
 * Enter and clicks posting `reveal` with the rule's id, theme colours taken from --vscode-*
 * variables, and a script without the nonce refused. (Skipped, with the reason, without Chromium.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';
import { parsePacketSpec } from '../../server/src/netfilter/evaluate/packet';
import { diagramSteps, packetPathDiagram } from '../../server/src/diagram/packetPath';
import { diagramCss, renderDiagramSvg } from '../../server/src/diagram/svg';
import { packetPathHtml, standaloneSvg, type PacketPathResult } from '../../client/src/packetPathHtml';
import { examplesDir } from '../support/paths';
import { allElements, hasClass, parseXml } from '../support/xml';

const FIN = 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid';
const ruleset = parseIptablesSave(readFileSync(join(examplesDir, 'iptables.rules'), 'utf8'));
const diagram = packetPathDiagram({ inputs: [{ doc: 'file:///w/iptables.rules', ruleset }], path: 'local-out', packet: parsePacketSpec(FIN) });
/** What the server answers (features/packetPath.ts renders the same way). */
const result: PacketPathResult = { title: 'local-out · iptables.rules', diagram, svg: renderDiagramSvg(diagram, { interactive: true, omitStyle: true }), css: diagramCss };
const NONCE = 'n0nce+/AbC123==';
const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';

test('the page: strict CSP, nonce on its one style and one script, no remote resources, no inline handlers', () => {
  const html = packetPathHtml({ result, nonce: NONCE, cspSource: CSP_SOURCE });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1];
  assert.equal(csp, `default-src 'none'; style-src ${CSP_SOURCE} 'nonce-${NONCE}'; script-src 'nonce-${NONCE}'; img-src ${CSP_SOURCE} data:;`);
  assert.ok(!/unsafe-(inline|eval)/.test(html));
  assert.deepEqual([...html.matchAll(/<(style|script)([^>]*)>/g)].map((m) => [m[1], m[2]]), [['style', ` nonce="${NONCE}"`], ['script', ` nonce="${NONCE}"`]]);
  assert.ok(!/\son[a-z]+="/i.test(html), 'no inline event handlers');
  assert.ok(!/\sstyle="/.test(html), 'no style attributes');
  assert.ok(!/(src|href)="(https?:)?\/\//.test(html), 'no remote resources');
  assert.match(html, /--pp-culprit: var\(--vscode-editorError-foreground\)/);
  assert.match(html, /body\.vscode-high-contrast/);
  assert.match(html, /<h1>Packet path: local-out · iptables\.rules<\/h1>/);
  assert.match(html, /<p id="verdict" class="verdict-drop">DROP: the sender gets EPERM/);
  // Saved as a file, the SVG has its stylesheet back and is well formed.
  const saved = parseXml(standaloneSvg(result));
  assert.ok(allElements(saved).some((e) => e.name === 'style' && e.text.includes('.pp .step.culprit')));
});

const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';

test('the page in headless Chromium: culprit focused, keyboard and clicks post reveal, theme colours, CSP enforced', { skip: existsSync(chromium) ? false : `chromium not found at ${chromium} (set CHROMIUM)` }, () => {
  const html = packetPathHtml({ result, nonce: NONCE, cspSource: "'self'" });
  // Before the page's script: VS Code's API, stood in for; a theme; a script the CSP must refuse.
  const stub = `<script nonce="${NONCE}">window.posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.posted.push(m) });</script>
<script>window.unsafe = true;</script>`;
  const theme = `<style nonce="${NONCE}">body { --vscode-focusBorder: rgb(0, 0, 200); --vscode-editorError-foreground: rgb(1, 2, 3); --vscode-editor-background: rgb(250, 250, 250); }</style>`;
  // After it: drive the page as a user would, and write down what happened.
  const driver = `<script nonce="${NONCE}">(function () {
    const out = {};
    const steps = Array.from(document.querySelectorAll('.pp .step[data-id]'));
    const focusedId = () => document.activeElement && document.activeElement.getAttribute('data-id');
    out.focusedOnLoad = focusedId();
    const key = (k) => document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
    key('Enter');
    steps[0].focus();
    key('ArrowDown');
    out.afterArrowDown = focusedId();
    key('End');
    out.afterEnd = focusedId();
    key('Home');
    out.afterHome = focusedId();
    key('ArrowUp');
    out.afterArrowUpAtStart = focusedId();
    steps[2].dispatchEvent(new MouseEvent('click', { bubbles: true }));
    document.getElementById('save').click();
    out.posted = window.posted;
    out.unsafe = window.unsafe === true;
    const culpritRect = document.querySelector('.pp .step.culprit > rect.box');
    out.focusedRing = getComputedStyle(document.activeElement.querySelector('rect.ring')).stroke;
    out.culpritRing = getComputedStyle(document.querySelector('.pp .step.culprit > rect.ring')).stroke;
    out.culpritStroke = getComputedStyle(culpritRect).stroke;
    out.background = getComputedStyle(document.querySelector('.pp .bg')).fill;
    out.stepIds = steps.map((s) => s.getAttribute('data-id'));
    document.body.setAttribute('data-result', JSON.stringify(out));
  })();</script>`;
  const page = html.replace(`<script nonce="${NONCE}">`, `${stub}\n<script nonce="${NONCE}">`).replace('</head>', `${theme}</head>`).replace('</body>', `${driver}</body>`);
  const dir = mkdtempSync(join(tmpdir(), 'pp-webview-'));
  try {
    writeFileSync(join(dir, 'page.html'), page);
    const r = spawnSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage', `--user-data-dir=${join(dir, 'profile')}`, '--dump-dom', pathToFileURL(join(dir, 'page.html')).href], { encoding: 'utf8', timeout: 90_000 });
    assert.equal(r.status, 0, r.stderr.slice(-800));
    const raw = /data-result="([^"]*)"/.exec(r.stdout);
    assert.ok(raw, `the driver ran: ${r.stdout.slice(0, 300)}`);
    const out = JSON.parse(raw[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
    const ids = diagramSteps(diagram).map((s) => s.id);
    const culprit = diagramSteps(diagram).find((s) => s.culprit)!;
    assert.deepEqual(out.stepIds, ids, 'rules in drawing order');
    assert.equal(out.focusedOnLoad, culprit.id, 'the culprit has the focus when the view opens');
    assert.equal(out.afterArrowDown, ids[1]);
    assert.equal(out.afterEnd, ids.at(-1));
    assert.equal(out.afterHome, ids[0]);
    assert.equal(out.afterArrowUpAtStart, ids[0], 'no wrap past the first rule');
    assert.deepEqual(out.posted, [{ type: 'reveal', id: culprit.id }, { type: 'reveal', id: ids[2] }, { type: 'save' }]);
    assert.equal(out.unsafe, false, 'a script without the nonce does not run');
    assert.equal(out.culpritStroke, 'rgb(1, 2, 3)', "the culprit takes the theme's error colour, focused or not");
    assert.equal(out.focusedRing, 'rgb(0, 0, 200)', "the focused rule (the last one clicked) has a ring in the theme's focus colour");
    assert.equal(out.culpritRing, 'none', 'rules without the focus have none');
    assert.equal(out.background, 'rgb(250, 250, 250)', "the background is the editor's");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every step in the page is a focusable button named in words', () => {
  const svg = allElements(parseXml(result.svg));
  const steps = svg.filter((e) => hasClass(e, 'step'));
  assert.equal(steps.length, diagramSteps(diagram).length);
  for (const s of steps) assert.ok(s.attrs.tabindex === '0' && s.attrs.role === 'button' && /^(CULPRIT: )?(rule \d+|rules \d+–\d+|policy|end of chain|note)/.test(s.attrs['aria-label']), s.attrs['aria-label']);
});
