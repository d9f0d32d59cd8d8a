/**
 * The packet-path diagram as a standalone SVG string (no dependencies; the CLI writes it, the
 * HTML report embeds it, the editor's webview shows it). Left to right: hooks, their stages in
 * priority order, one column per chain visit, the rules evaluated in each, the verdict last.
 * State is never colour alone: each rule has a shape (filled circle: matched; hollow circle with
 * a slash: no match; diamond: unknown; stacked bars: folded run; octagon: the culprit), a dashed
 * or solid border, and its words. Colours are CSS custom properties with light defaults, so a
 * host page (the webview) can map them to the editor's theme.
 */
import { diagramSteps, type ChainVisit, type DiagramEdge, type PacketPathDiagram, type StageNode, type StepNode } from './packetPath';

export interface SvgOptions {
  /** Prefix for element ids (patterns, markers, title), unique per page when several diagrams share one. */
  idPrefix?: string;
  /** Rules focusable (tabindex) and announced as buttons: for the webview, which reveals them on Enter or click. */
  interactive?: boolean;
  /** Nonce for the embedded <style>, when a Content-Security-Policy requires one. */
  nonce?: string;
  /** Leave the <style> out (the host page styles the classes itself). */
  omitStyle?: boolean;
}

const MARGIN = 16;
const TOP = 78;
const HOOK_H = 24;
const STAGE_H = 42;
const VISIT_TOP = TOP + HOOK_H + STAGE_H + 16;
const VISIT_W = 300;
const VISIT_HEAD = 38;
const ROW = 46;
const ROW_H = 40;
const GAP = 44;
const STAGE_GAP = 40;
const SMALL_W = 112;
const VERDICT_W = 230;
const TEXT_CHARS = 40;

/** Default colours; a page can set the custom properties (the webview maps them to --vscode-*). */
export const diagramCss = `
.pp { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 11px; }
.pp .bg { fill: var(--pp-bg, #ffffff); }
.pp text { fill: var(--pp-fg, #1f2328); }
.pp .muted { fill: var(--pp-muted, #59636e); }
.pp .title { font-size: 15px; font-weight: bold; }
.pp .hook rect { fill: var(--pp-hook, #ddf4ff); stroke: var(--pp-border, #8c959f); }
.pp .stage > rect { fill: var(--pp-stage, #f6f8fa); stroke: var(--pp-border, #8c959f); }
.pp .stage.absent > rect, .pp .stage.not-reached > rect { fill: none; stroke-dasharray: 4 3; }
.pp .visit > rect.head { fill: var(--pp-chain, #eaeef2); stroke: var(--pp-border, #8c959f); }
.pp .step > rect.box { fill: var(--pp-bg, #ffffff); stroke: var(--pp-border, #8c959f); }
.pp .step.not-matched > rect.box { stroke-dasharray: 5 3; }
.pp .step.unknown > rect.box { stroke: var(--pp-unknown, #9a6700); stroke-dasharray: 2 2; stroke-width: 1.5; }
.pp .step.matched > rect.box { stroke: var(--pp-match, #1a7f37); stroke-width: 1.5; }
.pp .step.culprit > rect.box { stroke: var(--pp-culprit, #cf222e); stroke-width: 3.5; stroke-dasharray: none; }
.pp .step > rect.hatch { stroke: none; }
.pp .step > rect.ring { fill: none; stroke: none; }
.pp .glyph.matched { fill: var(--pp-match, #1a7f37); stroke: var(--pp-match, #1a7f37); }
.pp .glyph.not-matched { fill: none; stroke: var(--pp-muted, #59636e); stroke-width: 1.5; }
.pp .glyph.unknown { fill: var(--pp-unknown, #9a6700); stroke: var(--pp-unknown, #9a6700); }
.pp .glyph.fold { fill: var(--pp-muted, #59636e); }
.pp .glyph.culprit { fill: var(--pp-culprit, #cf222e); stroke: var(--pp-culprit, #cf222e); }
.pp .glyph-text { fill: var(--pp-bg, #ffffff); font-weight: bold; }
.pp .legend-hatch { stroke: var(--pp-culprit, #cf222e); }
.pp .hatch-line { stroke: var(--pp-culprit, #cf222e); stroke-width: 1.5; opacity: 0.5; }
.pp .edge path { fill: none; stroke: var(--pp-edge, #57606a); stroke-width: 1.5; }
.pp .edge.return path { stroke-dasharray: 6 3; }
.pp .edge.verdict path { stroke-width: 2.5; }
.pp .edge text { font-size: 10px; paint-order: stroke; stroke: var(--pp-bg, #ffffff); stroke-width: 3px; }
.pp .arrow { fill: var(--pp-edge, #57606a); }
.pp .verdict rect { stroke-width: 3; fill: var(--pp-bg, #ffffff); }
.pp .verdict.drop rect { stroke: var(--pp-culprit, #cf222e); }
.pp .verdict.accept rect { stroke: var(--pp-match, #1a7f37); }
.pp .verdict.unknown rect { stroke: var(--pp-unknown, #9a6700); stroke-dasharray: 6 3; }
.pp .verdict .word { font-size: 16px; font-weight: bold; }
.pp .mark { fill: var(--pp-mark, #8250df); font-weight: bold; }
.pp [tabindex]:focus { outline: none; }
.pp [tabindex]:focus > rect.ring { stroke: var(--pp-focus, #0969da); stroke-width: 2.5; }
`;

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const stateWords: Record<StepNode['state'], string> = { matched: 'match', 'not-matched': 'no match', unknown: 'maybe' };

/** What a step says about itself, in words (also its accessible name). */
export function stepLabel(s: StepNode): string {
  const where = s.kind === 'fold' ? `rules ${s.rule}–${s.to}` : s.rule ? `rule ${s.rule}` : s.kind === 'policy' ? 'policy' : s.kind === 'chain-end' ? 'end of chain' : 'note';
  return `${s.culprit ? 'CULPRIT: ' : ''}${where}: ${s.kind === 'fold' ? s.action : `${stateWords[s.state]}, ${s.action}`}${s.text ? ` — ${s.text}` : ''}${s.comment ? ` /* ${s.comment} */` : ''}`;
}

export function renderDiagramSvg(d: PacketPathDiagram, options: SvgOptions = {}): string {
  const p = options.idPrefix ?? 'pp';
  const out: string[] = [];
  const boxes = new Map<string, Box>();
  let x = MARGIN;
  let bottom = VISIT_TOP;
  const hookParts: string[] = [];
  const stageParts: string[] = [];

  for (const hook of d.hooks) {
    const hookX = x;
    for (const stage of hook.stages) {
      const width = stage.visits.length ? stage.visits.length * VISIT_W + (stage.visits.length - 1) * GAP + 16 : SMALL_W;
      const stageX = x;
      const visitParts: string[] = [];
      let stageBottom = TOP + HOOK_H + STAGE_H;
      stage.visits.forEach((v, k) => {
        const vx = stageX + 8 + k * (VISIT_W + GAP);
        const part = renderVisit(v, vx, boxes, options, p);
        visitParts.push(part.svg);
        stageBottom = Math.max(stageBottom, part.bottom);
      });
      const h = stageBottom - (TOP + HOOK_H) + 10;
      bottom = Math.max(bottom, TOP + HOOK_H + h);
      stageParts.push(renderStage(stage, { x: stageX, y: TOP + HOOK_H + 4, w: width, h }, visitParts));
      x += width + STAGE_GAP;
    }
    const w = x - STAGE_GAP - hookX;
    hookParts.push(`<g class="hook" data-hook="${escapeXml(hook.name)}"><rect x="${hookX}" y="${TOP}" width="${w}" height="${HOOK_H - 4}" rx="3"/><text x="${hookX + 8}" y="${TOP + 14}" font-weight="bold">${escapeXml(hook.name)} hook</text></g>`);
    x += 10;
  }

  // The verdict, beside the step that ended the walk.
  const lastEdge = d.edges.at(-1);
  const from = lastEdge ? boxes.get(lastEdge.from) : undefined;
  const vy = from ? Math.max(VISIT_TOP, from.y + from.h / 2 - 36) : VISIT_TOP;
  const verdictBox: Box = { x: x + 16, y: vy, w: VERDICT_W, h: 72 };
  boxes.set('verdict', verdictBox);
  const width = verdictBox.x + VERDICT_W + MARGIN;
  bottom = Math.max(bottom, verdictBox.y + verdictBox.h);
  const legendY = bottom + 24;
  const height = legendY + 40;

  const culprit = diagramSteps(d).find((s) => s.culprit);
  const title = `Packet path (${d.path}): ${d.verdict.toUpperCase()}${culprit ? ` — ${d.verdict === 'drop' ? 'dropped' : 'may be dropped'} by ${culprit.text ?? culprit.action} (line ${culprit.source.range.start.line + 1})` : ''}`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="pp" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${p}-title ${p}-desc">`,
    `<title id="${p}-title">${escapeXml(title)}</title>`,
    `<desc id="${p}-desc">${escapeXml(describe(d))}</desc>`,
    options.omitStyle ? '' : `<style${options.nonce ? ` nonce="${escapeXml(options.nonce)}"` : ''}>${diagramCss}</style>`,
    `<defs><marker id="${p}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrow" d="M0,0 L10,5 L0,10 z"/></marker>`,
    `<pattern id="${p}-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line class="hatch-line" x1="0" y1="0" x2="0" y2="8"/></pattern></defs>`,
    `<rect class="bg" x="0" y="0" width="${width}" height="${height}"/>`,
    `<text class="title" x="${MARGIN}" y="24">${escapeXml(title)}</text>`,
    `<text x="${MARGIN}" y="44">packet: ${escapeXml(d.packet || '(all fields unknown)')}</text>`,
    `<text x="${MARGIN}" y="62" class="muted">mark at the start: <tspan class="mark">${escapeXml(d.mark)}</tspan>${d.branches > 1 ? ` · ${d.branches} possibilities followed; one drawn` : ''}${d.conditions.length ? ` · depends on: ${escapeXml(clip(d.conditions.join('; '), 140))}` : ''}</text>`,
    ...hookParts,
    ...stageParts,
    renderVerdict(d, verdictBox),
    ...d.edges.map((e, k) => renderEdge(e, k, boxes, p)),
    renderLegend(legendY, p),
    '</svg>',
  );
  return out.filter(Boolean).join('\n') + '\n';
}

function renderStage(stage: StageNode, b: Box, visits: string[]): string {
  const state = { passed: 'passed', drop: 'walk ends here', unknown: 'walk ends here (unknown)', skipped: 'not looked at', absent: 'no such table', 'not-reached': 'not reached' }[stage.state];
  const small = stage.visits.length === 0;
  return [
    `<g class="stage ${stage.state}" data-stage="${escapeXml(stage.name)}" data-kind="${stage.kind}" data-priority="${stage.priority}">`,
    `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${small ? STAGE_H + 4 : b.h}" rx="4"/>`,
    `<text x="${b.x + 8}" y="${b.y + 16}" font-weight="bold">${escapeXml(stage.kind === 'nft-base-chain' ? `${stage.name} ${stage.chain}` : stage.name)}</text>`,
    `<text x="${b.x + 8}" y="${b.y + 32}" class="muted">${small ? escapeXml(state) : `prio ${stage.priority} · ${escapeXml(state)}${stage.mark ? ' · mark ' : ''}`}${!small && stage.mark ? `<tspan class="mark">${escapeXml(stage.mark)}</tspan>` : ''}</text>`,
    ...visits,
    '</g>',
  ].join('\n');
}

function renderVisit(v: ChainVisit, x: number, boxes: Map<string, Box>, options: SvgOptions, p: string): { svg: string; bottom: number } {
  const parts: string[] = [];
  const head: Box = { x, y: VISIT_TOP, w: VISIT_W, h: VISIT_HEAD - 6 };
  boxes.set(v.id, head);
  const entered = v.enteredBy === 'hook' ? 'from the hook' : v.enteredBy === 'return' ? 'again, after a return' : `entered by ${v.enteredBy}`;
  parts.push(
    `<g class="visit" data-id="${v.id}" data-chain="${escapeXml(v.chain)}" data-entered="${v.enteredBy}">`,
    `<rect class="head" x="${x}" y="${head.y}" width="${VISIT_W}" height="${head.h}" rx="3"/>`,
    `<text x="${x + 8}" y="${head.y + 14}" font-weight="bold">${escapeXml(clip(v.chain, 36))}</text>`,
    `<text x="${x + 8}" y="${head.y + 27}" class="muted">${escapeXml(`${v.builtin ? 'built-in' : 'user chain'} · ${v.ruleCount} rule${v.ruleCount === 1 ? '' : 's'} · ${entered}`)}</text>`,
  );
  let y = VISIT_TOP + VISIT_HEAD;
  for (const s of v.steps) {
    parts.push(renderStep(s, { x, y, w: VISIT_W, h: ROW_H }, options, p));
    boxes.set(s.id, { x, y, w: VISIT_W, h: ROW_H });
    y += ROW;
  }
  if (v.notReached) {
    parts.push(`<text x="${x + 8}" y="${y + 12}" class="muted">+ ${v.notReached} later rule${v.notReached === 1 ? '' : 's'} not reached</text>`);
    y += 20;
  }
  parts.push('</g>');
  return { svg: parts.join('\n'), bottom: y };
}

/** The shape that says the state without colour. */
function glyph(s: StepNode, cx: number, cy: number): string {
  if (s.culprit) {
    const r = 9;
    const pts = Array.from({ length: 8 }, (_, k) => {
      const a = Math.PI / 8 + (k * Math.PI) / 4;
      return `${(cx + r * Math.cos(a)).toFixed(1)},${(cy + r * Math.sin(a)).toFixed(1)}`;
    }).join(' ');
    return `<polygon class="glyph culprit" points="${pts}"/><text class="glyph-text" x="${cx - 2.5}" y="${cy + 4}">!</text>`;
  }
  if (s.kind === 'fold') return `<g class="glyph fold"><rect x="${cx - 8}" y="${cy - 7}" width="16" height="3"/><rect x="${cx - 8}" y="${cy - 1.5}" width="16" height="3"/><rect x="${cx - 8}" y="${cy + 4}" width="16" height="3"/></g>`;
  if (s.state === 'matched') return `<circle class="glyph matched" cx="${cx}" cy="${cy}" r="7"/>`;
  if (s.state === 'unknown') return `<polygon class="glyph unknown" points="${cx},${cy - 8} ${cx + 8},${cy} ${cx},${cy + 8} ${cx - 8},${cy}"/><text class="glyph-text" x="${cx - 3}" y="${cy + 4}">?</text>`;
  return `<g class="glyph not-matched"><circle cx="${cx}" cy="${cy}" r="7"/><line x1="${cx - 5}" y1="${cy + 5}" x2="${cx + 5}" y2="${cy - 5}"/></g>`;
}

function renderStep(s: StepNode, b: Box, options: SvgOptions, p: string): string {
  const label = stepLabel(s);
  const classes = ['step', s.kind, s.state, ...(s.culprit ? ['culprit'] : [])].join(' ');
  const where = s.kind === 'fold' ? `${s.rule}–${s.to}` : s.rule ? `#${s.rule}` : '';
  const first = s.kind === 'fold' ? `${s.count} rules: no match` : s.text ? s.text : s.action;
  const second = s.kind === 'fold' ? (s.indexed ? `${s.indexed} passed over by the chain index` : 'each read, none matched') : s.text ? (s.action.startsWith(stateWords[s.state]) ? s.action : `${stateWords[s.state]} → ${s.action}`) : stateWords[s.state];
  const interactive = options.interactive ? ` tabindex="0" role="button" aria-label="${escapeXml(`${label}. Press Enter to reveal it in the ruleset.`)}"` : '';
  return [
    `<g class="${classes}" data-id="${s.id}" data-doc="${escapeXml(s.source.doc)}" data-line="${s.source.range.start.line}" data-range="${s.source.range.start.line}:${s.source.range.start.character}:${s.source.range.end.line}:${s.source.range.end.character}"${interactive}>`,
    `<rect class="box" x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="3"/>`,
    s.culprit ? `<rect class="hatch" x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="3" fill="url(#${p}-hatch)"/>` : '',
    `<title>${escapeXml(label)}</title>`,
    // The focus ring sits outside the box, so focus never hides the rule's own border.
    options.interactive ? `<rect class="ring" x="${b.x - 4}" y="${b.y - 4}" width="${b.w + 8}" height="${b.h + 8}" rx="5"/>` : '',
    glyph(s, b.x + 14, b.y + b.h / 2),
    `<text x="${b.x + 28}" y="${b.y + 16}">${where ? `<tspan font-weight="bold">${escapeXml(where)}</tspan> ` : ''}${escapeXml(clip(first, TEXT_CHARS - where.length))}</text>`,
    `<text x="${b.x + 28}" y="${b.y + 31}" class="muted">${s.culprit ? '<tspan font-weight="bold">CULPRIT · </tspan>' : ''}${escapeXml(clip(second, TEXT_CHARS + 4 - (s.culprit ? 10 : 0) - (s.mark ? 12 : 0)))}${s.mark ? ` <tspan class="mark">mark ${escapeXml(s.mark)}</tspan>` : ''}</text>`,
    '</g>',
  ]
    .filter(Boolean)
    .join('');
}

function renderVerdict(d: PacketPathDiagram, b: Box): string {
  const [word, ...rest] = d.verdictText.split(': ');
  return [
    `<g class="verdict ${d.verdict}" data-id="verdict">`,
    `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="${d.verdict === 'accept' ? 30 : 4}"/>`,
    `<text class="word" x="${b.x + 12}" y="${b.y + 24}">${escapeXml(word)}</text>`,
    ...wrap(rest.join(': '), 34)
      .slice(0, 3)
      .map((line, k) => `<text x="${b.x + 12}" y="${b.y + 42 + k * 13}">${escapeXml(line)}</text>`),
    '</g>',
  ].join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function renderEdge(e: DiagramEdge, order: number, boxes: Map<string, Box>, p: string): string {
  const a = boxes.get(e.from);
  const b = boxes.get(e.to);
  if (!a || !b) return '';
  const x1 = a.x + a.w;
  const y1 = a.y + a.h / 2;
  const x2 = b.x;
  const y2 = b.y + b.h / 2;
  const dx = Math.max(20, (x2 - x1) / 2);
  const d = `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2 - 2},${y2}`;
  const lx = (x1 + x2) / 2;
  const ly = (y1 + y2) / 2 - 4;
  // Only the verdict edge has room for words on the picture; the others say theirs in a <title>
  // (the rule they leave names the jump, the column they reach says how it was entered).
  const words = e.kind === 'verdict' ? `<text x="${lx}" y="${ly}" text-anchor="middle">${escapeXml(clip(e.label, 28))}</text>` : '';
  return `<g class="edge ${e.kind}" data-order="${order}" data-from="${e.from}" data-to="${e.to}" data-kind="${e.kind}"><title>${escapeXml(e.label)}</title><path d="${d}" marker-end="url(#${p}-arrow)"/>${words}</g>`;
}

function renderLegend(y: number, p: string): string {
  const items: [StepNode, string][] = [
    [fake('matched'), 'matched'],
    [fake('not-matched'), 'no match'],
    [fake('unknown'), 'unknown (depends on the packet)'],
    [{ ...fake('not-matched'), kind: 'fold' }, 'folded run of non-matching rules'],
    [{ ...fake('matched'), culprit: true }, 'culprit (drops the packet)'],
  ];
  let x = MARGIN;
  const parts = [`<g class="legend" aria-hidden="true">`];
  for (const [s, text] of items) {
    parts.push(glyph(s, x + 8, y), `<text x="${x + 22}" y="${y + 4}">${escapeXml(text)}</text>`);
    x += 40 + text.length * 6.6;
  }
  parts.push(`<rect x="${x}" y="${y - 8}" width="24" height="16" class="legend-hatch" fill="url(#${p}-hatch)"/><text x="${x + 30}" y="${y + 4}">hatched: the culprit rule</text></g>`);
  return parts.join('');
}

function fake(state: StepNode['state']): StepNode {
  return { id: '', kind: 'rule', state, rule: 1, action: '', culprit: false, source: { doc: '', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } } };
}

/** The whole diagram in words, for <desc> and screen readers. */
export function describe(d: PacketPathDiagram): string {
  const parts = [`Packet ${d.packet || 'with all fields unknown'} on the ${d.path} path, mark ${d.mark}.`];
  for (const h of d.hooks) {
    const stages = h.stages.map((s) => {
      if (!s.visits.length) return `${s.name}: ${s.state === 'absent' ? 'no such table' : 'not reached'}`;
      const visits = s.visits.map((v) => `${v.chain}${v.enteredBy === 'hook' ? '' : ` (${v.enteredBy === 'return' ? 'returned to' : `entered by ${v.enteredBy}`})`}: ${v.steps.map(stepLabel).join('; ')}${v.notReached ? `; ${v.notReached} later rules not reached` : ''}`);
      return `${s.name} (priority ${s.priority}, ${s.state}): ${visits.join(' → ')}`;
    });
    parts.push(`${h.name} hook: ${stages.join('. ')}.`);
  }
  parts.push(`Verdict: ${d.verdictText}.`);
  if (d.conditions.length) parts.push(`It depends on: ${d.conditions.join('; ')}.`);
  return parts.join(' ');
}
