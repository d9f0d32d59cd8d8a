/// <reference lib="dom" />
/**
 * Debian's Chromium driven by playwright-core (no browser download), and a small vocabulary for the
 * VS Code workbench (selectors for VS Code 1.100, see ../shared/notes/code-server-e2e.md). Every step
 * saves a screenshot; a failing step saves one too and puts its path and the DOM text of the part of
 * the screen it was looking at into the error, so a red CI log explains itself.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { registerGroup, stopGroup } from './processes';
import { CHROMIUM } from './system';

export interface RunningBrowser {
  browser: Browser;
  /** Chromium's pid, the leader of its process group. */
  pid: number | undefined;
  stop(): Promise<void>;
}

export async function launchChromium(): Promise<RunningBrowser> {
  // launchServer (not launch) because it tells the browser's pid: playwright starts Chromium as a process
  // group leader, and registering that group means even a crash of this test kills every renderer.
  const server = await chromium.launchServer({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const pid = server.process().pid;
  if (pid !== undefined) registerGroup(pid);
  try {
    const browser = await chromium.connect(server.wsEndpoint());
    return {
      browser,
      pid,
      stop: async () => {
        await browser.close().catch(() => undefined);
        await server.close().catch(() => undefined);
        if (pid !== undefined) await stopGroup(pid, 2000);
      },
    };
  } catch (e) {
    await server.kill();
    if (pid !== undefined) await stopGroup(pid, 2000);
    throw e;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Monaco renders spaces as U+00A0. */
export const plain = (s: string) => s.replace(/\u00a0/g, ' ');

export interface Token {
  text: string;
  color: string;
}

/** One VS Code window in a page, with the steps of a story. */
export class Workbench {
  private stepNo = 0;
  readonly started = Date.now();

  constructor(
    readonly page: Page,
    private readonly shotsDir: string,
    private readonly log: (m: string) => void,
  ) {
    mkdirSync(shotsDir, { recursive: true });
  }

  /**
   * Runs one step of the story. On success: a screenshot `NN-name.png`. On failure: `NN-name-FAILED.png`
   * and an error carrying the screenshot's path and the visible text of `focus` (CSS selector).
   */
  async step<T>(name: string, focus: string, body: () => Promise<T>, moreDom?: () => Promise<string>): Promise<T> {
    const n = String(++this.stepNo).padStart(2, '0');
    const t0 = Date.now();
    try {
      // Whatever an earlier (failed) step left open (menus, widgets, the palette) goes away first.
      for (let i = 0; i < 2; i++) await this.page.keyboard.press('Escape');
      const result = await body();
      await this.page.screenshot({ path: join(this.shotsDir, `${n}-${name}.png`) });
      this.log(`step ${n} ${name}: ok in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return result;
    } catch (e) {
      const shot = join(this.shotsDir, `${n}-${name}-FAILED.png`);
      await this.page.screenshot({ path: shot }).catch(() => undefined);
      let dom = await this.visibleText(focus).catch((err: unknown) => `(could not read the DOM: ${String(err)})`);
      // Text the workbench's DOM does not hold (a webview's page lives in its own frames).
      if (moreDom) dom += `\n${await moreDom().catch((err: unknown) => `(could not read it: ${String(err)})`)}`;
      const message = e instanceof Error ? e.message : String(e);
      const error = new Error(`e2e step "${name}" failed: ${message}\n  screenshot: ${shot}\n  DOM text of ${focus}:\n${dom}`);
      if (e instanceof Error) error.stack = `${error.message}\n${e.stack ?? ''}`;
      throw error;
    }
  }

  /**
   * A picture for the README: the screen's band that holds the first visible match of each selector,
   * as wide as the editor area (and the panel below it), with `pad` pixels around.
   */
  async shotAround(file: string, selectors: string[], pad = 12): Promise<void> {
    const band = await this.page.evaluate(
      ([sels, p]) => {
        const boxes = sels
          .map((sel) => [...document.querySelectorAll(sel)].map((e) => e.getBoundingClientRect()).find((r) => r.width > 0 && r.height > 0))
          .filter((r): r is DOMRect => !!r);
        const editor = document.querySelector('.part.editor')?.getBoundingClientRect();
        if (!boxes.length || !editor) return null;
        const top = Math.max(0, Math.min(...boxes.map((b) => b.top)) - p);
        const bottom = Math.min(window.innerHeight, Math.max(...boxes.map((b) => b.bottom)) + p);
        return { x: editor.left, y: top, width: editor.width, height: bottom - top };
      },
      [selectors, pad] as const,
    );
    if (!band) throw new Error(`nothing to picture: none of ${selectors.join(', ')} is visible`);
    await this.page.screenshot({ path: file, clip: band });
  }

  async visibleText(selector: string): Promise<string> {
    const texts = await this.page.locator(selector).evaluateAll((els) => els.map((el) => (el as HTMLElement).innerText));
    const text = plain(texts.join('\n----\n')).trim();
    return text ? text.slice(0, 6000) : `(no element matches ${selector})`;
  }

  async waitForWorkbench(): Promise<void> {
    await this.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await this.page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 60_000 });
  }

  /** Runs a command from the palette by its label ("File: Revert File"). */
  async command(label: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${label}`);
    // The row with exactly this label ("View: Close Editor", not "View: Close Editor Group").
    const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const row = this.page.locator('.quick-input-list .monaco-list-row').filter({ has: this.page.locator('.label-name', { hasText: exact }) }).first();
    await row.waitFor({ timeout: 10_000 });
    await row.click();
    await input.waitFor({ state: 'hidden', timeout: 10_000 });
  }

  /** Opens a file by clicking it in the explorer, and waits until its tab is active. */
  async openFromExplorer(name: string): Promise<void> {
    await this.page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first().click();
    await this.waitForActiveTab(name);
  }

  async waitForActiveTab(name: string, timeout = 20_000): Promise<void> {
    await this.page.waitForFunction((n) => document.querySelector('.tabs-container .tab.active')?.textContent?.includes(n), name, { timeout });
    await this.page.waitForSelector('.editor-instance .view-line');
  }

  async activeTab(): Promise<string> {
    return this.page.evaluate(() => document.querySelector('.tabs-container .tab.active')?.getAttribute('aria-label') ?? '');
  }

  async statusItem(id: string): Promise<string> {
    const item = this.page.locator(`.statusbar-item[id="${id}"]`);
    await item.waitFor({ timeout: 20_000 });
    return plain(await item.innerText()).trim();
  }

  /** Language mode shown in the status bar. */
  language(): Promise<string> {
    return this.statusItem('status.editor.mode');
  }

  /** The cursor's "Ln X, Col Y" from the status bar. */
  cursor(): Promise<string> {
    return this.statusItem('status.editor.selection');
  }

  /** Waits until the status bar shows the cursor on (1-based) line `line`. */
  async waitForCursorLine(line: number, timeout = 20_000): Promise<void> {
    await this.page.waitForFunction(
      (l) => new RegExp(`\\bLn ${l},`).test(document.querySelector('.statusbar-item[id="status.editor.selection"]')?.textContent ?? ''),
      line,
      { timeout },
    );
  }

  /** Go to Line (Ctrl+G): the line ends up in view, with the cursor on it. */
  async gotoLine(line: number): Promise<void> {
    // Under load the workbench can take focus back (a late editor or view update) and close the
    // Go to Line box before it is filled: open it again rather than fail on a timing accident.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.page.locator('.tabs-container .tab.active').click(); // focuses the editor
        await this.page.keyboard.press('Control+G');
        const input = this.page.locator('.quick-input-widget input');
        await input.waitFor({ state: 'visible', timeout: 10_000 });
        await input.fill(`:${line}`, { timeout: 5_000 });
        await this.page.keyboard.press('Enter');
        await this.waitForCursorLine(line);
        return;
      } catch (e) {
        if (attempt === 3) throw e;
        await this.page.keyboard.press('Escape');
        await sleep(500);
      }
    }
  }

  /** The rendered line containing `text`, as coloured tokens (null when not in view). */
  async lineTokens(text: string): Promise<Token[] | null> {
    return this.page.evaluate((s) => {
      const clean = (x: string | null) => (x ?? '').replace(/\u00a0/g, ' ');
      const line = [...document.querySelectorAll('.editor-instance .view-line')].find((l) => clean(l.textContent).includes(s));
      if (!line) return null;
      return [...line.querySelectorAll('span > span')].map((sp) => ({ text: clean(sp.textContent), color: getComputedStyle(sp).color }));
    }, text);
  }

  /** Every rendered line's text, top to bottom. */
  async visibleLines(): Promise<string[]> {
    return this.page.evaluate(() =>
      [...document.querySelectorAll('.editor-instance .view-line')]
        .map((l) => ({ top: parseFloat((l as HTMLElement).style.top), text: (l.textContent ?? '').replace(/\u00a0/g, ' ') }))
        .sort((a, b) => a.top - b.top)
        .map((l) => l.text),
    );
  }

  /** Screen box of `word` inside the rendered line containing `lineText`. */
  async wordBox(lineText: string, word: string): Promise<{ x: number; y: number; width: number; height: number }> {
    const box = await this.page.evaluate(
      ([s, w]) => {
        const clean = (x: string | null) => (x ?? '').replace(/\u00a0/g, ' ');
        const line = [...document.querySelectorAll('.editor-instance .view-line')].find((l) => clean(l.textContent).includes(s));
        const span = line && [...line.querySelectorAll('span > span')].find((sp) => clean(sp.textContent).includes(w));
        if (!span || !span.firstChild) return null;
        const i = clean(span.textContent).indexOf(w);
        const range = document.createRange();
        range.setStart(span.firstChild, i);
        range.setEnd(span.firstChild, i + w.length);
        const r = range.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height };
      },
      [lineText, word] as const,
    );
    if (!box) throw new Error(`"${word}" not rendered in a line containing "${lineText}"`);
    return box;
  }

  /** Puts the cursor on `word` of that line by clicking it. */
  async clickWord(lineText: string, word: string): Promise<void> {
    const b = await this.wordBox(lineText, word);
    await this.page.mouse.click(b.x + b.width / 2, b.y + b.height / 2);
  }

  /** Hovers `word` (moving twice, as the editor wants) and returns the hover's text. */
  async hover(lineText: string, word: string, expect: RegExp): Promise<string> {
    const b = await this.wordBox(lineText, word);
    await this.page.mouse.move(b.x + 1, b.y + b.height / 2);
    await sleep(150);
    await this.page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await this.page.waitForFunction(
      (src) => [...document.querySelectorAll('.monaco-hover:not(.hidden)')].some((h) => new RegExp(src, 'i').test((h as HTMLElement).innerText)),
      expect.source,
      { timeout: 15_000 },
    );
    return this.visibleText('.monaco-hover:not(.hidden)');
  }

  /** Squiggle counts whose box overlaps the rendered line containing `lineText`. */
  async squigglesOn(lineText: string): Promise<{ error: number; warning: number; info: number }> {
    return this.page.evaluate((s) => {
      const clean = (x: string | null) => (x ?? '').replace(/\u00a0/g, ' ');
      const line = [...document.querySelectorAll('.editor-instance .view-line')].find((l) => clean(l.textContent).includes(s));
      const out = { error: 0, warning: 0, info: 0 };
      if (!line) return out;
      const lr = line.getBoundingClientRect();
      for (const kind of ['error', 'warning', 'info'] as const) {
        for (const sq of document.querySelectorAll(`.editor-instance .squiggly-${kind}`)) {
          const r = sq.getBoundingClientRect();
          if (r.bottom > lr.top + 1 && r.top < lr.bottom - 1) out[kind]++;
        }
      }
      return out;
    }, lineText);
  }

  /** Texts of the code lenses in view, one per lens (a line's lenses share one decoration, split by `|`). */
  async codeLenses(): Promise<string[]> {
    return this.page.evaluate(() => [...document.querySelectorAll('.editor-instance .contentWidgets .codelens-decoration a')].map((d) => (d.textContent ?? '').replace(/\u00a0/g, ' ')));
  }

  async moveMouseAway(): Promise<void> {
    await this.page.mouse.move(2, 2);
    await this.page.keyboard.press('Escape');
    await sleep(200);
  }
}

/** The distinct colours of the tokens whose text matches each pattern (first match each). */
export function colourOf(tokens: Token[], re: RegExp): string | undefined {
  return tokens.find((t) => re.test(t.text))?.color;
}
