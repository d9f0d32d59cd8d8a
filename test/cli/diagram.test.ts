/**
 * The packet-path diagram from the CLI: `trace --format svg`, `check --format html`, and the SVG
 * rendered by headless Chromium into a PNG (skipped, with the reason, without Chromium).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { distDir, repoRoot } from '../support/paths';
import { allElements, hasClass, parseXml } from '../support/xml';

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(distDir, 'cli.js'), ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const FIN = 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid';
const traceSvg = (packet = FIN) => cli('trace', '--ruleset', 'examples/iptables.rules', '--path', 'local-out', '--packet', packet, '--format', 'svg');

test('trace --format svg: one standalone SVG with the culprit; text and json unchanged', () => {
  const r = traceSvg();
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  const elements = allElements(parseXml(r.stdout));
  const culprit = elements.filter((e) => hasClass(e, 'step') && hasClass(e, 'culprit'));
  assert.deepEqual(culprit.map((e) => e.attrs['data-line']), ['75']);
  assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(r.stdout), 'no remote resources');
  const json = JSON.parse(cli('trace', '--ruleset', 'examples/iptables.rules', '--path', 'local-out', '--packet', FIN, '--format', 'json').stdout);
  assert.deepEqual(Object.keys(json), ['verdict', 'culprits', 'trace']);
  assert.match(cli('trace', '--ruleset', 'examples/iptables.rules', '--path', 'local-out', '--packet', FIN).stdout, /^verdict: drop\n/);
  const bad = cli('trace', '--ruleset', 'examples/iptables.rules', '--path', 'local-out', '--format', 'png');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown format 'png' \(text, json or svg\)/);
});

test('check --format html: findings and the diagram of each EPERM → rule link, self-contained', () => {
  const r = cli('check', '--format', 'html', 'examples/restore.log', 'examples/dump.log', 'examples/iptables.rules');
  assert.equal(r.code, 1, 'an error finding (the EPERM) keeps exit status 1');
  const html = r.stdout;
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.ok(!/<script|<link|src="http/.test(html), 'no scripts, no remote resources');
  const json = JSON.parse(cli('check', '--format', 'json', 'examples/restore.log', 'examples/dump.log', 'examples/iptables.rules').stdout);
  assert.equal(html.match(/<tr><td class="loc">/g)?.length, json.findings.length, 'one row per finding');
  assert.match(html, /soccr-fin-eperm/);
  const svgs = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => parseXml(m[0]));
  assert.equal(svgs.length, 1, 'one failed FIN against one ruleset');
  const culprit = allElements(svgs[0]).filter((e) => hasClass(e, 'culprit') && hasClass(e, 'step'));
  assert.deepEqual(culprit.map((e) => [e.attrs['data-doc'], e.attrs['data-line']]), [['examples/iptables.rules', '75']]);
  assert.match(html, /<h3>examples\/restore\.log:331 against examples\/iptables\.rules: drop<\/h3>/);
  // Without a link there is no diagram, and the page says so.
  const alone = cli('check', '--format', 'html', 'examples/iptables.rules');
  assert.equal(alone.code, 0);
  assert.match(alone.stdout, /No restore that failed sending its FIN was linked to a ruleset\./);
});

/** Decodes an 8-bit RGB/RGBA PNG (what Chromium writes) into pixels. */
function decodePng(png: Buffer): { width: number; height: number; pixel: (x: number, y: number) => number[] } {
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth');
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      assert.ok(channels, `colour type ${data[9]}`);
      assert.equal(data[12], 0, 'not interlaced');
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      const pa = Math.abs(b - c);
      const pb = Math.abs(a - c);
      const pc = Math.abs(a + b - 2 * c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      out[y * stride + x] = (v + [0, a, b, (a + b) >> 1, paeth][filter]) & 0xff;
    }
  }
  return { width, height, pixel: (x, y) => [...out.subarray(y * stride + x * channels, y * stride + x * channels + 3)] };
}

const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';

test('the SVG rendered by headless Chromium: a PNG of its size, the culprit red on it', { skip: existsSync(chromium) ? false : `chromium not found at ${chromium} (set CHROMIUM)` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-png-'));
  try {
    const svg = traceSvg().stdout;
    writeFileSync(join(dir, 'pp.svg'), svg);
    const r = spawnSync(process.execPath, [join(repoRoot, 'server', 'scripts', 'renderPng.mjs'), join(dir, 'pp.svg'), join(dir, 'pp.png')], { encoding: 'utf8', timeout: 90_000 });
    assert.equal(r.status, 0, r.stderr);
    const png = readFileSync(join(dir, 'pp.png'));
    assert.ok(png.length > 10_000, `${png.length} bytes`);
    const image = decodePng(png);
    const root = parseXml(svg);
    assert.deepEqual([image.width, image.height], [Number(root.attrs.width), Number(root.attrs.height)]);
    // The culprit's border is drawn in #cf222e: find it inside the culprit's box.
    const culprit = allElements(root).find((e) => hasClass(e, 'step') && hasClass(e, 'culprit'))!;
    const box = culprit.children.find((c) => c.name === 'rect')!;
    const [x, y, h] = [Number(box.attrs.x), Number(box.attrs.y), Number(box.attrs.height)];
    const red = (p: number[]) => p[0] > 180 && p[1] < 80 && p[2] < 80;
    const border = [-2, -1, 0, 1, 2].map((d) => image.pixel(x + 40, y + d));
    assert.ok(border.some(red), `culprit border at ${x + 40},${y}: ${border.join(' / ')}`);
    // Inside it, the hatch: some reddish pixels in the blank right part of the box.
    const inside = Array.from({ length: 30 }, (_, k) => image.pixel(x + Number(box.attrs.width) - 40 + k, y + h / 2));
    assert.ok(inside.some((p) => p[0] > p[1] + 25), `hatch inside the culprit: ${inside.join(' / ')}`);
    assert.ok(!red(image.pixel(x + 40, y + h + 20)), 'below it, not red');
    // A non-matching rule's box is not red.
    const other = allElements(root).find((e) => hasClass(e, 'step') && hasClass(e, 'not-matched'))!.children[0];
    assert.ok(!red(image.pixel(Number(other.attrs.x) + 40, Number(other.attrs.y))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
