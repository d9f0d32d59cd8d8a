import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/paths';

test('the extension packages into a .vsix with the bundles, grammars and manifest, and nothing else', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-vsix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'ext.vsix');
  // The same flags as `npm run package` (which builds first; the test run has just built).
  const script = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts.package as string;
  const flags = script.split('vsce package ')[1].replace(/--out \S+/, '').trim().split(/\s+/);
  const r = spawnSync(process.execPath, [join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', ...flags, '--out', out], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const zip = readFileSync(out);
  assert.equal(zip.subarray(0, 2).toString('latin1'), 'PK', 'a zip file');
  // File names sit uncompressed in the zip's central directory.
  const names = zip.toString('latin1');
  for (const name of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/server.js', 'extension/dist/cli.js', 'extension/syntaxes/criu-log.tmLanguage.json', 'extension/syntaxes/iptables-save.tmLanguage.json', 'extension.vsixmanifest']) {
    assert.ok(names.includes(name), `${name} in the .vsix`);
  }
  for (const unwanted of ['extension/node_modules/', 'extension/test/', 'extension/server/src/', '.map']) assert.ok(!names.includes(unwanted), `${unwanted} kept out`);
});
