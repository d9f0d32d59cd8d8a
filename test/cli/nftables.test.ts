import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distDir, examplesDir, repoRoot } from '../support/paths';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(distDir, 'cli.js'), ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('check reads an nft ruleset named .rules as nftables, and finds the KUBE-FIREWALL drop', () => {
  const r = cli('check', '--format', 'json', 'examples/nftables.rules');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { files: { language: string }[]; findings: { code: string; severity: string; range: { start: { line: number } } }[] };
  assert.deepEqual(out.files.map((f) => f.language), ['nftables']);
  assert.deepEqual(out.findings.filter((f) => f.severity === 'error'), []);
  const drop = out.findings.filter((f) => f.code === 'nftables.drops-criu-mark');
  assert.equal(drop.length, 1);
  const line = readFileSync(join(examplesDir, 'nftables.rules'), 'utf8').split('\n')[drop[0].range.start.line];
  assert.match(line, /meta mark & 0x00008000 == 0x00008000 counter packets 0 bytes 0 drop/);
});

test('check exits 1 on a script nft would reject, with the position of the fault', () => {
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-nft-'));
  const file = join(dir, 'broken.nft');
  writeFileSync(file, 'table ip filter {\n\tchain OUTPUT {\n\t\ttype filter hook output priority filter; policy accept;\n\t\tjump KUBE-FIREWAL\n\t}\n}\n');
  const r = cli('check', file);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /broken\.nft:4:8: error: Chain `KUBE-FIREWAL` does not exist in table ip filter\. \[nftables\.undefined-chain\]/);
});

test('check restore.log + nftables.rules: the EPERM line is linked to the nft rule that drops the FIN', () => {
  const r = cli('check', '--format', 'json', 'examples/restore.log', 'examples/dump.log', 'examples/nftables.rules');
  assert.equal(r.code, 1, 'the restore failed: an error');
  type F = { code: string; path: string; severity: string; message: string; range: { start: { line: number } }; related?: { path: string; message: string; range: { start: { line: number } } }[] };
  const out = JSON.parse(r.stdout) as { findings: F[] };
  const lines = readFileSync(join(examplesDir, 'nftables.rules'), 'utf8').split('\n');
  const link = out.findings.filter((f) => f.code === 'link.drops-criu-fin');
  assert.equal(link.length, 1);
  assert.equal(link[0].severity, 'warning');
  assert.match(lines[link[0].range.start.line], /meta mark & 0x00008000 == 0x00008000 .*drop/);
  assert.match(link[0].message, /^Drops CRIU's FIN: meta mark 0xc114 & 0x8000 = 0x8000 \(restore\.log:331\)/);
  const eperm = out.findings.find((f) => f.code === 'criu.soccr-fin-eperm')!;
  assert.ok(eperm.related?.some((x) => /^Dropped by ip filter\/KUBE-FIREWALL rule 1$/.test(x.message) && x.range.start.line === link[0].range.start.line), JSON.stringify(eperm.related));
});
