/**
 * The user story of DESIGN.md §1, clicked through in a real VS Code: code-server 4.100.3 with the
 * packaged .vsix, driven in Debian's Chromium. Each step asserts what is on screen and leaves a
 * screenshot in artefacts/e2e/. Skips (with the reason) only when Chromium or code-server cannot be had.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { examplesDir, repoRoot } from '../support/paths';
import { colourOf, launchChromium, plain, Workbench } from './support/browser';
import { groupAlive } from './support/processes';
import { artefactsDir, startSession, type Session } from './support/session';
import { ensureChromium } from './support/system';

const t0 = Date.now();
const log = (m: string) => console.log(`[e2e +${((Date.now() - t0) / 1000).toFixed(1)} s] ${m}`);

const EPERM = 'Unable to send a fin packet';
const DROP_RULE = '-m mark --mark 0x8000/0x8000 -j DROP';
/** 1-based lines of the scenario, as the editor shows them: the EPERM line and the KUBE-FIREWALL DROP rule. */
const lineOf = (file: string, has: (l: string) => boolean) => readFileSync(join(examplesDir, file), 'utf8').split('\n').findIndex(has) + 1;
const EPERM_LINE = lineOf('restore.log', (l) => l.includes(EPERM));
const RULE_LINE = lineOf('iptables.rules', (l) => l.startsWith('-A KUBE-FIREWALL') && l.includes(DROP_RULE));
/** The text of a (1-based) line of an example file. */
const lineOfFile = (file: string, line: number) => readFileSync(join(examplesDir, file), 'utf8').split('\n')[line - 1];
const EXEMPTION = '-A KUBE-FIREWALL -m mark --mark 0xc114 -j RETURN';
/** Cropped pictures of the best moments, for docs/images/ (copied by hand when the UI changes). */
const readmeShot = (name: string) => join(artefactsDir, 'readme', `${name}.png`);

function examplesStatus(): string {
  const r = spawnSync('git', ['status', '--porcelain', '--', examplesDir], { cwd: repoRoot, encoding: 'utf8' });
  return r.status === 0 ? r.stdout : `git status failed: ${r.stderr}`;
}

/** Polls `probe` until `ok` holds (an editor fills in asynchronously), else fails with the last value. */
async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s; last seen: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('VS Code (code-server + Chromium): from the EPERM line to the KUBE-FIREWALL rule, as a user sees it', { timeout: 20 * 60_000 }, async (t) => {
  const chromium = ensureChromium(log);
  if (!chromium.ok) return t.skip(chromium.reason);
  rmSync(artefactsDir, { recursive: true, force: true });
  const examplesBefore = examplesStatus();

  const started = await startSession(examplesDir, log);
  if (!started.ok) return t.skip(started.reason);
  const session: Session = started.session;
  const codeServerPid = session.server.pid;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let browserPid: number | undefined;
  try {
    browser = await launchChromium();
    browserPid = browser.pid;
    const page = await browser.browser.newPage({ viewport: { width: 1600, height: 900 } });
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    const wb = new Workbench(page, artefactsDir, log);
    await page.goto(session.server.workspaceUrl);
    await wb.step('workbench', '.monaco-workbench', () => wb.waitForWorkbench());
    log('workbench ready');

    await t.test('restore.log: the status bar says CRIU log; timestamp, pid, Error and errno text differ in colour', () =>
      wb.step('restore-log-coloured', '.editor-instance', async () => {
        await wb.openFromExplorer('restore.log');
        assert.equal(await until('language mode', () => wb.language(), (l) => l === 'CRIU log'), 'CRIU log');
        await wb.gotoLine(EPERM_LINE);
        const tokens = await until('tokens on the EPERM line', () => wb.lineTokens(EPERM), (ts) => !!ts && ts.length > 5);
        assert.ok(tokens);
        const colours = {
          timestamp: colourOf(tokens, /^\d\d\.\d{6}$/),
          pid: colourOf(tokens, /^46208$/),
          error: colourOf(tokens, /^Error$/),
          errno: colourOf(tokens, /^Operation not permitted$/),
        };
        for (const [part, colour] of Object.entries(colours)) assert.ok(colour, `${part} is a token of its own: ${JSON.stringify(tokens)}`);
        assert.equal(new Set(Object.values(colours)).size, 4, `four different colours: ${JSON.stringify(colours)}`);
      }));

    await t.test('the EPERM line is squiggled; the Problems panel lists the root cause with its related information', () =>
      wb.step('problems-root-cause', '.markers-panel', async () => {
        // Diagnostics arrive once the extension and its server are up.
        await until('an error squiggle on the EPERM line', () => wb.squigglesOn(EPERM), (s) => s.error >= 1, 60_000);
        await wb.command('View: Focus Problems (Errors, Warnings, Infos)');
        await page.waitForSelector('.markers-panel .monaco-list-row', { timeout: 20_000 });
        const rows = await until(
          'the root cause and its related rows',
          () => wb.visibleText('.markers-panel .monaco-list-row').then((s) => s.split('\n----\n')),
          (rs) => rs.some((r) => r.includes('Dropped by filter/KUBE-FIREWALL rule 1')),
        );
        const rootIndex = rows.findIndex((r) => r.includes('Root cause of the failed restore') && r.includes('criu.soccr-fin-eperm'));
        assert.ok(rootIndex >= 0, `root cause row: ${rows.join('\n')}`);
        assert.ok(rows.some((r) => r.includes('Root cause') && new RegExp(`Ln ${EPERM_LINE}\\b`).test(r)), 'the root cause is on the EPERM line');
        const related = rows.slice(rootIndex + 1, rootIndex + 12).join('\n');
        assert.match(related, /iptables\.rules[\s\S]*Dropped by filter\/KUBE-FIREWALL rule 1/);
        assert.match(related, /follows from this: Restoring FAILED\./);
        await wb.gotoLine(EPERM_LINE); // back in view above the panel, with its lens
        await until('the lens above the EPERM line', () => wb.codeLenses(), (ls) => ls.some((l) => l.startsWith('Dropped by')));
        // From the EPERM line's squiggle (its lens just above) down to the panel.
        await wb.shotAround(readmeShot('problems'), ['.editor-instance .squiggly-error', '.part.panel'], 36);
      }));

    await t.test('hovering the EPERM line explains it', () =>
      wb.step('eperm-hover', '.monaco-hover', async () => {
        await wb.command('View: Hide Panel');
        await wb.gotoLine(EPERM_LINE);
        // Two parts arrive separately (the diagnostic's and the server's hover): wait for the server's.
        const text = await wb.hover(EPERM, 'fin', /What to check next/);
        assert.match(text, /Root cause of the failed restore/);
        assert.match(text, /raw socket marked 0xC114/);
        assert.match(text, /KUBE-FIREWALL/);
        assert.match(text, /What to check next/);
        await wb.shotAround(readmeShot('eperm-hover'), ['.monaco-hover:not(.hidden)', '.editor-instance .view-overlays .current-line']);
      }));

    await t.test('the code lens on the EPERM line names the KUBE-FIREWALL rule and opens it', () =>
      wb.step('lens-opens-rule', '.editor-instance', async () => {
        await wb.moveMouseAway();
        const lenses = await until('the EPERM code lens', () => wb.codeLenses(), (ls) => ls.some((l) => l.includes('KUBE-FIREWALL')));
        assert.ok(lenses.includes(`Dropped by filter/KUBE-FIREWALL rule 1 (iptables.rules:${RULE_LINE})`), JSON.stringify(lenses));
        await page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Dropped by filter/KUBE-FIREWALL rule 1' }).click();
        await wb.waitForActiveTab('iptables.rules');
        await wb.waitForCursorLine(RULE_LINE);
        assert.ok((await wb.visibleLines()).some((l) => l.startsWith('-A KUBE-FIREWALL') && l.includes(DROP_RULE)));
      }));

    await t.test('Go to Definition on the EPERM line opens the same rule', () =>
      wb.step('definition-opens-rule', '.editor-instance', async () => {
        await wb.command('View: Close Editor'); // iptables.rules: the definition must open it again
        await wb.waitForActiveTab('restore.log');
        await wb.gotoLine(EPERM_LINE);
        await wb.clickWord(EPERM, 'fin');
        await page.keyboard.press('F12');
        await wb.waitForActiveTab('iptables.rules');
        await wb.waitForCursorLine(RULE_LINE);
        assert.match(await wb.cursor(), new RegExp(`^Ln ${RULE_LINE}, Col 1\\b`));
      }));

    await t.test('the rule shows the reverse lens and its diagnostic', () =>
      wb.step('rule-lens-diagnostic', '.editor-instance', async () => {
        const lenses = await until('the reverse lens', () => wb.codeLenses(), (ls) => ls.some((l) => l.includes("CRIU's FIN")));
        assert.ok(lenses.includes(`Drops CRIU's FIN (restore.log:${EPERM_LINE})`), JSON.stringify(lenses));
        const squiggles = await until('a squiggle on the rule', () => wb.squigglesOn(DROP_RULE), (s) => s.warning + s.error + s.info >= 1);
        assert.ok(squiggles.warning >= 1, `a warning on the rule: ${JSON.stringify(squiggles)}`);
        const text = await wb.hover(DROP_RULE, 'KUBE-FIREWALL', /Drops CRIU's FIN/);
        assert.match(text, /0xc114 & 0x8000 = 0x8000/i);
        assert.match(text, /link\.drops-criu-fin/);
      }));

    await t.test('"Show packet path" on the EPERM line opens the Packet path view; its rules open in the ruleset', () => {
      // The view's page: the webview's outer iframe holds the page in its own frame.
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      const viewText = () => view.locator('body').innerText({ timeout: 2_000 }).then((s) => `text of the Packet path view:\n${plain(s).slice(0, 3000)}`);
      return wb.step('packet-path-view', '.tabs-container, .editor-instance', async () => {
        await wb.moveMouseAway();
        await page.locator('.tabs-container .tab', { hasText: 'restore.log' }).click(); // still open from the first steps
        await wb.waitForActiveTab('restore.log');
        await wb.gotoLine(EPERM_LINE);
        const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Show packet path' });
        await lens.waitFor({ timeout: 20_000 });
        await lens.click();
        const tab = page.locator('.tabs-container .tab', { hasText: 'Packet path' });
        await tab.waitFor({ timeout: 20_000 });
        const onPage = (sel: string) => view.locator(sel).first().innerText({ timeout: 20_000 }).then(plain);
        assert.equal(await onPage('h1'), `Packet path: CRIU's FIN (restore.log:${EPERM_LINE}) · iptables.rules`);
        assert.match(await onPage('#verdict'), /^DROP: the sender gets EPERM/);
        const culprit = view.locator('.pp .step.culprit');
        await culprit.waitFor({ state: 'visible', timeout: 10_000 });
        assert.equal(await culprit.count(), 1, 'one culprit');
        assert.equal(await culprit.getAttribute('data-line'), String(RULE_LINE - 1), 'the culprit is the DROP rule (0-based line)');
        assert.ok((await culprit.getAttribute('aria-label'))?.startsWith(`CULPRIT: rule 1: match, DROP — ${DROP_RULE}`), `culprit's label: ${await culprit.getAttribute('aria-label')}`);
        // The page puts the keyboard on the culprit when it opens.
        await until('the culprit focused', () => culprit.evaluate((el) => el === el.ownerDocument.activeElement), (f) => f, 10_000);
        // For the README: the view alone, from its tab down to the diagram's bottom edge.
        const boxes = await Promise.all([tab.boundingBox(), page.locator('iframe.webview.ready').boundingBox(), view.locator('main.diagram').boundingBox()]);
        const [tabBox, frameBox, diagramBox] = boxes;
        assert.ok(tabBox && frameBox && diagramBox, `the view is on screen: ${JSON.stringify(boxes)}`);
        const left = Math.min(tabBox.x, frameBox.x);
        await page.screenshot({ path: readmeShot('packet-path-view'), clip: { x: left, y: tabBox.y, width: frameBox.x + frameBox.width - left, height: diagramBox.y + diagramBox.height + 12 - tabBox.y } });
        // A click opens the rule in the ruleset, in the first column.
        await culprit.click();
        await wb.waitForActiveTab('iptables.rules');
        await wb.waitForCursorLine(RULE_LINE);
        // The whole rule is selected (the cursor was on this line already, without a selection).
        const selected = (line: number) => new RegExp(`^Ln ${line}, Col \\d+ \\(${lineOfFile('iptables.rules', line).length} selected\\)`);
        assert.match(await until('the rule selected', () => wb.cursor(), (c) => selected(RULE_LINE).test(c), 10_000), selected(RULE_LINE));
        // The keyboard: from the culprit, ArrowUp is the rule met before it (the jump from OUTPUT), Enter opens it.
        await tab.click();
        await culprit.focus();
        await page.keyboard.press('ArrowUp');
        const previous = view.locator('.pp .step[data-line]:focus');
        assert.equal(await previous.getAttribute('data-line', { timeout: 10_000 }), String(RULE_LINE - 2), 'the previous rule is focused');
        await page.keyboard.press('Enter');
        await wb.waitForCursorLine(RULE_LINE - 1);
        assert.match(await until('the jump selected', () => wb.cursor(), (c) => selected(RULE_LINE - 1).test(c), 10_000), selected(RULE_LINE - 1));
        assert.equal(lineOfFile('iptables.rules', RULE_LINE - 1), '-A OUTPUT -j KUBE-FIREWALL');
        assert.ok((await wb.visibleLines()).includes('-A OUTPUT -j KUBE-FIREWALL'));
        await page.screenshot({ path: join(artefactsDir, 'packet-path-revealed.png') }); // the rule and the view side by side
        // Close the view: the quick fix below works on iptables.rules alone.
        await tab.locator('.codicon-close').click();
        await until('the view closed', () => tab.count(), (n) => n === 0, 10_000);
        await wb.waitForActiveTab('iptables.rules');
      }, viewText);
    });

    await t.test('the quick fix inserts the exemption before the rule (reverted, never saved)', () =>
      wb.step('quick-fix', '.editor-instance, .action-widget', async () => {
        await wb.moveMouseAway();
        await wb.clickWord(DROP_RULE, 'KUBE-FIREWALL');
        await page.keyboard.press('Control+.');
        const fix = page.locator('.action-widget .monaco-list-row', { hasText: "Let CRIU's FIN pass" });
        await fix.waitFor({ timeout: 15_000 });
        assert.match(await wb.visibleText('.action-widget'), /Copy the live command: iptables -t filter -I KUBE-FIREWALL 1 -m mark --mark 0xc114 -j RETURN/);
        // The menu blocks pointer events around it: choose with the keyboard, as a user would.
        await until('the fix focused in the menu', async () => {
          const focused = (await page.locator('.action-widget .monaco-list-row.focused').getAttribute('aria-label')) ?? '';
          if (!focused.startsWith("Let CRIU's FIN pass")) await page.keyboard.press('ArrowDown');
          return focused;
        }, (f) => f.startsWith("Let CRIU's FIN pass"), 10_000);
        await wb.shotAround(readmeShot('quick-fix'), ['.editor-instance .contentWidgets .codelens-decoration', '.action-widget'], 60);
        await page.keyboard.press('Enter');
        const lines = await until('the inserted line', () => wb.visibleLines(), (ls) => ls.includes(EXEMPTION));
        const at = lines.indexOf(EXEMPTION);
        assert.equal(lines.filter((l) => l === EXEMPTION).length, 1, 'inserted once');
        assert.ok(lines[at + 1].includes(DROP_RULE), `right before the DROP rule: ${lines.slice(at - 1, at + 2).join(' / ')}`);
        assert.ok(await page.locator('.tabs-container .tab.active.dirty').count(), 'the editor holds an unsaved change');
        await page.screenshot({ path: join(artefactsDir, 'quick-fix-applied.png') });
        await wb.command('File: Revert File');
        await until('the revert', () => wb.visibleLines(), (ls) => !ls.includes(EXEMPTION));
        assert.equal(await page.locator('.tabs-container .tab.active.dirty').count(), 0, 'nothing left unsaved');
        assert.equal(examplesStatus(), examplesBefore, 'examples/ on disk is untouched');
      }));

    await t.test('iptables.rules opened directly: coloured, and the outline lists tables, chains and rules', () =>
      wb.step('ruleset-outline', '.editor-instance, .outline-pane, .pane-body', async () => {
        await wb.command('View: Close All Editors');
        await wb.openFromExplorer('iptables.rules');
        assert.equal(await until('language mode', () => wb.language(), (l) => l === 'iptables-save'), 'iptables-save');
        await wb.gotoLine(RULE_LINE);
        const tokens = await until('tokens on the rule', () => wb.lineTokens(DROP_RULE), (ts) => !!ts && ts.length > 5);
        assert.ok(tokens);
        const colours = {
          command: colourOf(tokens, /^-A$/),
          chain: colourOf(tokens, /^KUBE-FIREWALL$/),
          module: colourOf(tokens, /^comment$/),
          comment: colourOf(tokens, /^"kubernetes firewall/),
          verdict: colourOf(tokens, /^DROP$/),
        };
        for (const [part, colour] of Object.entries(colours)) assert.ok(colour, `${part} is a token of its own: ${JSON.stringify(tokens)}`);
        assert.ok(new Set(Object.values(colours)).size >= 4, `at least four colours: ${JSON.stringify(colours)}`);
        await wb.command('Explorer: Focus on Outline View');
        // Give the outline the side bar's height: fold the file tree's section away.
        await page.locator('.pane:has(.explorer-folders-view) > .pane-header').click();
        const outlineRows = () => wb.visibleText('.outline-pane .monaco-list-row').then((s) => s.split('\n----\n'));
        const top = await until('the outline', outlineRows, (rs) => rs.some((r) => /^\d+: /.test(r)));
        assert.equal(top[0], '*mangle', `tables: ${top.join(' | ')}`);
        assert.ok(top.some((r) => r.startsWith('*nat')), `tables: ${top.join(' | ')}`);
        assert.ok(top.some((r) => /^PREROUTING\s*policy ACCEPT/.test(r)), `chains: ${top.join(' | ')}`);
        // The same symbols, seen from the rule: the breadcrumbs show table › chain › rule.
        await wb.gotoLine(RULE_LINE);
        await wb.moveMouseAway();
        const crumbs = await until('breadcrumbs of the rule', () => wb.visibleText('.breadcrumbs-control .monaco-breadcrumb-item'), (s) => /1: .*DROP/.test(s));
        assert.match(crumbs.replace(/\n----\n/g, ' › '), /\*filter › KUBE-FIREWALL › 1: -m mark --mark 0x8000\/0x8000 -j DROP/);
      }));

    assert.deepEqual(consoleErrors.filter((e) => /criu|lens|languageclient/i.test(e)), [], 'no console errors from the extension');
  } finally {
    await browser?.stop();
    await session.close();
    log(`stopped; artefacts in ${artefactsDir}: ${readdirSync(artefactsDir).join(', ')}`);
  }
  assert.equal(groupAlive(codeServerPid), false, 'code-server and its children are gone');
  if (browserPid !== undefined) assert.equal(groupAlive(browserPid), false, 'Chromium and its children are gone');
  assert.equal(examplesStatus(), examplesBefore, 'examples/ unchanged on disk');
});
