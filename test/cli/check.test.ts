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

test('check on the bundled examples: compiler-style text, exit 1 for the failed restore', () => {
  const r = cli('check', 'examples/restore.log', 'examples/dump.log', 'examples/iptables.rules');
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const eperm = lines.find((l) => l.includes('[criu.soccr-fin-eperm]'));
  assert.ok(eperm, r.stdout);
  const [, line, col] = /^examples\/restore\.log:(\d+):(\d+): error: Root cause of the failed restore: Unable to send a fin packet/.exec(eperm) ?? [];
  assert.ok(line, eperm);
  const source = readFileSync(join(examplesDir, 'restore.log'), 'utf8').split('\n')[Number(line) - 1];
  assert.equal(source.slice(Number(col) - 1).slice(0, 6), 'Error ', '1-based column points at the level prefix');
  for (const l of lines) assert.match(l, /^(examples\/\S+:\d+:\d+: (error|warning|information|hint): .* \[[\w.-]+\]|\s{4}\S+:\d+:\d+: .*)$/);
  assert.match(r.stderr, /\d+ errors?, \d+ warnings?, \d+ notes in 3 files/);
});

test('check --format json follows the documented shape with 0-based positions', () => {
  const r = cli('check', '--format', 'json', 'examples/restore.log', 'examples/iptables.rules');
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.files, [
    { path: 'examples/restore.log', language: 'criu-log' },
    { path: 'examples/iptables.rules', language: 'iptables-save' },
  ]);
  const eperm = report.findings.find((f: { code: string }) => f.code === 'criu.soccr-fin-eperm');
  assert.deepEqual(Object.keys(eperm).sort(), ['code', 'message', 'path', 'range', 'related', 'severity']);
  const text = readFileSync(join(examplesDir, 'restore.log'), 'utf8').split('\n');
  assert.match(text[eperm.range.start.line].slice(eperm.range.start.character), /^Error \(soccr\/soccr\.c:\d+\): Unable to send a fin packet/);
  assert.equal(eperm.severity, 'error');
});

test('exit 0 without error findings, whatever the file name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-'));
  const file = join(dir, 'notes.txt');
  writeFileSync(file, '(00.000001) Version: 4.2 (gitid v4.2)\n(00.1) Restore finished successfully. Tasks resumed.\n');
  const r = cli('check', '--format=json', file);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { files: [{ path: file, language: 'criu-log' }], findings: [] });
});

test('--language overrides detection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-'));
  const file = join(dir, 'x');
  writeFileSync(file, 'Error (criu/x.c:1): y\n');
  assert.equal(cli('check', file).code, 2, 'undetectable without --language');
  const r = cli('check', '--language', 'criu-log', file);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /x:1:1: error: Root cause of the failed run: y \(criu\/x\.c:1\) \[criu\.error\]/);
});

test('usage and I/O errors exit 2 with a message on stderr', () => {
  for (const args of [[], ['check'], ['frobnicate'], ['check', '--format', 'xml', 'a'], ['check', '--language', 'cobol', 'a'], ['check', '--bogus', 'a']]) {
    const r = cli(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^criu-lens: /, args.join(' '));
    assert.equal(r.stdout, '');
  }
  const missing = cli('check', 'examples/no-such-file.log');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read examples\/no-such-file\.log: ENOENT/);
  assert.equal(cli('--help').code, 0);
  assert.match(cli('--version').stdout, /^\d+\.\d+\.\d+\n$/);
});

test('check --format sarif: SARIF 2.1.0 with the linked rule as a related location', () => {
  const r = cli('check', '--format', 'sarif', 'examples/restore.log', 'examples/dump.log', 'examples/iptables.rules');
  assert.equal(r.code, 1, r.stderr);
  const sarif = JSON.parse(r.stdout);
  assert.equal(sarif.version, '2.1.0');
  const run = sarif.runs[0];
  assert.equal(run.tool.driver.name, 'criu-lens');
  const eperm = run.results.find((x: { ruleId: string }) => x.ruleId === 'criu.soccr-fin-eperm');
  assert.equal(eperm.level, 'error');
  assert.equal(eperm.locations[0].physicalLocation.artifactLocation.uri, 'examples/restore.log');
  assert.equal(eperm.locations[0].physicalLocation.region.startLine, 331);
  const rule = eperm.relatedLocations.find((l: { message: { text: string } }) => /Dropped by filter\/KUBE-FIREWALL rule 1/.test(l.message.text));
  assert.deepEqual([rule.physicalLocation.artifactLocation.uri, rule.physicalLocation.region.startLine], ['examples/iptables.rules', 76]);
  assert.ok(run.tool.driver.rules.some((x: { id: string }) => x.id === 'link.drops-criu-fin'));
});

test('check links the EPERM line to the rule in text and json too', () => {
  const text = cli('check', 'examples/restore.log', 'examples/dump.log', 'examples/iptables.rules');
  assert.match(text.stdout, /examples\/iptables\.rules:76:1: warning: Drops CRIU's FIN: mark 0xc114 & 0x8000 = 0x8000 \(restore\.log:331\) \[link\.drops-criu-fin\]/);
  assert.match(text.stdout, /\n {4}examples\/iptables\.rules:76:1: Dropped by filter\/KUBE-FIREWALL rule 1\n/);
  const json = JSON.parse(cli('check', '--format', 'json', 'examples/restore.log', 'examples/iptables.rules').stdout);
  const eperm = json.findings.find((f: { code: string }) => f.code === 'criu.soccr-fin-eperm');
  assert.ok(eperm.related.some((r: { path: string; range: { start: { line: number } } }) => r.path === 'examples/iptables.rules' && r.range.start.line === 75), 'found even without the dump log: the mark alone decides');
});

test('check reads kernel-trace files with the logs and rules: the TRACE drop is linked to the exact rule', () => {
  const r = spawnSync(process.execPath, [join(distDir, 'cli.js'), 'check', '--format', 'json', 'examples/restore.log', 'examples/dump.log', 'examples/iptables.rules', 'test/fixtures/kernel-trace/function-graph-fin-drop.trace'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout) as { files: { path: string; language: string }[]; findings: { path: string; code: string; related: { path: string; range: { start: { line: number } } }[] }[] };
  assert.equal(report.files.find((f) => f.path.endsWith('.trace'))?.language, 'kernel-trace');
  const drop = report.findings.find((f) => f.code === 'ktrace.netfilter-drop')!;
  assert.ok(drop.related.some((x) => x.path === 'examples/iptables.rules' && x.range.start.line === 75));
  assert.ok(drop.related.some((x) => x.path === 'examples/restore.log'));
});

test('a dump or a log from a pipe (/dev/stdin) reads as the same file from disk', () => {
  for (const [language, file] of [['iptables-save', 'iptables.rules'], ['criu-log', 'restore.log']]) {
    const path = join(examplesDir, file);
    const fromDisk = cli('check', '--format', 'json', '--language', language, path);
    // A shell pipe, as users write it (Node's own `input` would hand the child a socket, not a pipe).
    const piped = spawnSync('bash', ['-c', 'cat "$1" | "$2" "$3" check --format json --language "$4" /dev/stdin', 'bash', path, process.execPath, join(distDir, 'cli.js'), language], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(piped.status, fromDisk.code, `${file}: ${piped.stderr}`);
    const findings = (out: string) => JSON.parse(out).findings.map((f: { code: string; range: unknown; message: string }) => [f.code, f.range, f.message]);
    assert.ok(findings(fromDisk.stdout).length > 0);
    assert.deepEqual(findings(piped.stdout), findings(fromDisk.stdout), file);
  }
});
