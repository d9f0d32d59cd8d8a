#!/usr/bin/env node
/**
 * Renders an SVG file to a PNG of the SVG's own size with headless Chromium (no dependencies;
 * the browser is CHROMIUM or /usr/bin/chromium). The README's picture is made with:
 *   node dist/cli.js trace --ruleset examples/iptables.rules --path local-out --format svg \
 *     --packet "family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid" > /tmp/pp.svg
 *   node server/scripts/renderPng.mjs /tmp/pp.svg docs/images/packet-path.png
 * Exit 0 and the PNG written, 3 when Chromium is missing, 1 when it fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write('usage: renderPng.mjs IN.svg OUT.png\n');
  process.exit(2);
}
const browser = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(browser)) {
  process.stderr.write(`chromium not found at ${browser} (set CHROMIUM)\n`);
  process.exit(3);
}
const head = readFileSync(input, 'utf8').slice(0, 600);
const size = (name) => Number(new RegExp(`<svg[^>]*\\s${name}="(\\d+)"`).exec(head)?.[1] ?? 0);
const [width, height] = [size('width'), size('height')];
if (!width || !height) {
  process.stderr.write(`${input}: no width/height on the <svg> element\n`);
  process.exit(1);
}
// Its own profile: never share one with another Chromium running on the machine.
const profile = mkdtempSync(join(tmpdir(), 'render-png-'));
try {
  rmSync(output, { force: true });
  const r = spawnSync(browser, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--disable-dev-shm-usage', `--user-data-dir=${profile}`, `--window-size=${width},${height}`, `--screenshot=${resolve(output)}`, pathToFileURL(resolve(input)).href], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0 || !existsSync(output) || statSync(output).size === 0) {
    process.stderr.write(`chromium failed (status ${r.status}${r.error ? `, ${r.error.message}` : ''}): ${r.stderr.slice(-800)}\n`);
    process.exit(1);
  }
} finally {
  rmSync(profile, { recursive: true, force: true });
}
