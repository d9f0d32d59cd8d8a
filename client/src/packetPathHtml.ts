/**
 * The "Packet path" webview's page, as a pure function (no vscode import: tested in Node and in
 * headless Chromium). Manners: a strict Content-Security-Policy (nothing but this page's own
 * nonce'd style and script; no remote resources), colours from the editor theme's CSS variables
 * (light, dark, high contrast), every rule focusable, arrow keys move between rules, Enter,
 * Space or a click posts `{ type: 'reveal', id }` and the extension opens the rule.
 */
import type { PacketPathDiagram } from '../../server/src/diagram/packetPath';

/** What the server's `criuLens/packetPath` answers. */
export interface PacketPathResult {
  title: string;
  diagram: PacketPathDiagram;
  svg: string;
  css: string;
}

/** Messages the page posts to the extension. */
export type PacketPathMessage = { type: 'reveal'; id: string } | { type: 'save' };

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The diagram's colours mapped to the editor theme; high contrast gets heavier borders. */
export const themeCss = `
body {
  --pp-bg: var(--vscode-editor-background);
  --pp-fg: var(--vscode-editor-foreground);
  --pp-muted: var(--vscode-descriptionForeground);
  --pp-border: var(--vscode-editorWidget-border, var(--vscode-panel-border));
  --pp-stage: var(--vscode-editorWidget-background);
  --pp-chain: var(--vscode-editor-inactiveSelectionBackground);
  --pp-hook: var(--vscode-editor-selectionHighlightBackground, var(--vscode-editorWidget-background));
  --pp-match: var(--vscode-testing-iconPassed, var(--vscode-terminal-ansiGreen));
  --pp-unknown: var(--vscode-editorWarning-foreground);
  --pp-culprit: var(--vscode-editorError-foreground);
  --pp-edge: var(--vscode-editor-foreground);
  --pp-mark: var(--vscode-charts-purple, var(--vscode-textLink-foreground));
  --pp-focus: var(--vscode-focusBorder);
  background: var(--vscode-editor-background);
  color: var(--vscode-editor-foreground);
  font-family: var(--vscode-font-family);
  font-size: var(--vscode-font-size);
  margin: 0;
  padding: 0 12px 12px;
}
header h1 { font-size: 1.2em; margin: 10px 0 4px; }
header p { margin: 2px 0; }
header code { font-family: var(--vscode-editor-font-family); }
.verdict-drop { color: var(--vscode-editorError-foreground); font-weight: bold; }
.verdict-unknown { color: var(--vscode-editorWarning-foreground); font-weight: bold; }
.verdict-accept { color: var(--vscode-testing-iconPassed, var(--vscode-editor-foreground)); font-weight: bold; }
.help { color: var(--vscode-descriptionForeground); }
button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: 1px solid var(--vscode-button-border, transparent); padding: 3px 10px; margin: 6px 6px 6px 0; cursor: pointer; }
button:hover { background: var(--vscode-button-hoverBackground); }
button:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 2px; }
.diagram { overflow: auto; border: 1px solid var(--vscode-editorWidget-border, var(--vscode-panel-border)); }
.pp .step { cursor: pointer; }
.pp .step:hover > rect.ring { stroke: var(--pp-focus); stroke-width: 1; }
/* High contrast: plain backgrounds, so text keeps the theme's contrast; borders carry the structure. */
body.vscode-high-contrast { --pp-chain: var(--vscode-editor-background); --pp-stage: var(--vscode-editor-background); --pp-hook: var(--vscode-editor-background); }
body.vscode-high-contrast .pp .step > rect.box, body.vscode-high-contrast .pp .stage > rect, body.vscode-high-contrast .pp .visit > rect.head, body.vscode-high-contrast .pp .hook rect { stroke: var(--vscode-contrastBorder); stroke-width: 2; }
body.vscode-high-contrast .pp .step.culprit > rect.box { stroke: var(--pp-culprit); stroke-width: 4; }
body.vscode-high-contrast .pp [tabindex]:focus > rect.ring { stroke: var(--vscode-contrastActiveBorder, var(--pp-focus)); }
`;

/**
 * The page's script: keyboard and click handling, nothing else. Runs under the page's CSP
 * (nonce); talks to the extension only through postMessage.
 */
export const pageScript = `(function () {
  const vscode = acquireVsCodeApi();
  const steps = Array.from(document.querySelectorAll('.pp .step[data-id]'));
  const reveal = (el) => vscode.postMessage({ type: 'reveal', id: el.getAttribute('data-id') });
  const move = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };
  steps.forEach((el, i) => {
    el.addEventListener('click', () => { el.focus(); reveal(el); });
    el.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); reveal(el); return; }
      let to;
      if (e.key in move) to = i + move[e.key];
      else if (e.key === 'Home') to = 0;
      else if (e.key === 'End') to = steps.length - 1;
      else return;
      e.preventDefault();
      const next = steps[Math.max(0, Math.min(steps.length - 1, to))];
      next.focus();
      next.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    });
  });
  const culprit = document.querySelector('.pp .step.culprit');
  const toCulprit = document.getElementById('to-culprit');
  if (toCulprit) toCulprit.addEventListener('click', () => { if (culprit) { culprit.scrollIntoView({ block: 'center', inline: 'center' }); culprit.focus(); } });
  const save = document.getElementById('save');
  if (save) save.addEventListener('click', () => vscode.postMessage({ type: 'save' }));
  if (culprit) { culprit.scrollIntoView({ block: 'center', inline: 'center' }); culprit.focus({ preventScroll: true }); }
})();`;

export interface PageInput {
  result: PacketPathResult;
  /** Fresh for each page: the only style and script allowed. */
  nonce: string;
  /** The webview's own origin (`webview.cspSource`). */
  cspSource: string;
}

export function packetPathHtml({ result, nonce, cspSource }: PageInput): string {
  const d = result.diagram;
  const culprits = d.hooks.flatMap((h) => h.stages.flatMap((s) => s.visits.flatMap((v) => v.steps))).filter((s) => s.culprit).length;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src ${cspSource} data:;">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Packet path</title>
<style nonce="${nonce}">${themeCss}${result.css}</style>
</head>
<body>
<header>
<h1>Packet path: ${escape(result.title)}</h1>
<p id="verdict" class="verdict-${d.verdict}">${escape(d.verdictText)}</p>
<p>packet <code>${escape(d.packet || '(all fields unknown)')}</code> on the <code>${escape(d.path)}</code> path${d.conditions.length ? ` · depends on: ${escape(d.conditions.join('; '))}` : ''}</p>
<p class="help">Tab or the arrow keys move between rules; Enter or a click opens the rule in its file.</p>
${culprits ? '<button id="to-culprit" type="button">Go to the culprit</button>' : ''}<button id="save" type="button">Save as SVG…</button>
</header>
<main class="diagram">
${result.svg}
</main>
<script nonce="${nonce}">${pageScript}</script>
</body>
</html>
`;
}

/** The diagram as a standalone SVG file (its stylesheet put back in), for "Save as SVG…". */
export function standaloneSvg(result: PacketPathResult): string {
  return result.svg.replace('</desc>', `</desc>\n<style>${result.css}</style>`);
}
