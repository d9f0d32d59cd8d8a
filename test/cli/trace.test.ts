import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { distDir, repoRoot } from '../support/paths';

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(distDir, 'cli.js'), ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const FIN = 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid';

test('trace --format json: the documented shape, the culprit and every step', () => {
  const r = cli('trace', '--ruleset', 'examples/iptables.rules', '--path', 'local-out', '--packet', FIN, '--format', 'json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.verdict, 'drop');
  assert.deepEqual(report.culprits.map((c: { table: string; chain: string; rule: number; path: string }) => [c.path, c.table, c.chain, c.rule]), [['examples/iptables.rules', 'filter', 'KUBE-FIREWALL', 1]]);
  assert.equal(report.culprits[0].range.start.line, 75, '0-based line of the KUBE-FIREWALL rule');
  for (const step of report.trace) assert.deepEqual(Object.keys(step).sort(), ['action', 'chain', 'match', 'path', 'range', 'rule', 'table']);
  assert.equal(report.trace.at(-1).match, 'yes');
});

test('trace text: verdict, culprit with location, steps', () => {
  const r = cli('trace', '--ruleset=examples/iptables.rules', '--path=local-out', `--packet=${FIN}`);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^verdict: drop\ndropped by: filter\/KUBE-FIREWALL rule 1 \(examples\/iptables\.rules:76:1\)\ntrace:\n/);
  assert.match(r.stdout, /filter\/OUTPUT rule 1 {2}no match/);
});

test('trace: omitted fields make the verdict unknown, with what it depends on', () => {
  const r = cli('trace', '--ruleset', 'examples/iptables.rules', '--path', 'local-out', '--packet', 'family=ipv4 proto=tcp flags=FIN,ACK oif=lo ct=invalid');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^verdict: unknown\n/);
  assert.match(r.stdout, /may be dropped by: filter\/KUBE-FIREWALL rule 1/);
  assert.match(r.stdout, /depends on: .*--mark 0x8000\/0x8000/);
});

test('trace: usage errors exit 2 with a message', () => {
  for (const args of [['trace'], ['trace', '--ruleset', 'examples/iptables.rules'], ['trace', '--ruleset', 'examples/iptables.rules', '--path', 'sideways'], ['trace', '--ruleset', 'examples/iptables.rules', '--path', 'input', '--packet', 'mark=xyz'], ['trace', '--ruleset', 'examples/restore.log', '--path', 'input']]) {
    const r = cli(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^criu-lens: /);
  }
});

test('trace --ruleset x.nft: nftables base chains and the KUBE-FIREWALL culprit in nft syntax', () => {
  const r = cli('trace', '--ruleset', 'examples/nftables.rules', '--path', 'local-out', '--packet', FIN, '--format', 'json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.verdict, 'drop');
  assert.deepEqual(report.culprits.map((c: { table: string; chain: string; rule: number; path: string }) => [c.path, c.table, c.chain, c.rule]), [['examples/nftables.rules', 'ip filter', 'KUBE-FIREWALL', 1]]);
  assert.equal(report.culprits[0].range.start.line, 131, '0-based line of the KUBE-FIREWALL rule');
  const text = cli('trace', '--ruleset', 'examples/nftables.rules', '--path', 'local-out', '--packet', FIN);
  assert.match(text.stdout, /^verdict: drop\ndropped by: ip filter\/KUBE-FIREWALL rule 1 \(examples\/nftables\.rules:132:/);
  // Mixed with an iptables-legacy dump: the legacy filter table also drops it.
  const mixed = cli('trace', '--ruleset', 'examples/nftables.rules', '--ruleset', 'examples/iptables.rules', '--path', 'local-out', '--packet', FIN, '--format', 'json');
  assert.equal(mixed.code, 0, mixed.stderr);
  assert.equal(JSON.parse(mixed.stdout).verdict, 'drop');
});
