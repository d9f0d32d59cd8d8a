// `criu-lens replay` ("Confirm with the kernel"), end to end: as root it loads the example ruleset into
// a throw-away network namespace, sends CRIU's FIN from the example logs, captures the kernel's trace
// (xtables-monitor for the iptables-save dump, nft monitor trace for the nftables ruleset) and puts it
// beside the evaluator's verdict; the namespace is gone afterwards and the host's own ruleset unchanged. Without root it says so and changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { replayUnavailable } from '../../server/src/replay/replay';
import { distDir, repoRoot } from '../support/paths';

const cli = (args: string[], asUser?: string) => {
  const cmd = asUser ? ['runuser', '-u', asUser, '--', process.execPath] : [process.execPath];
  const r = spawnSync(cmd[0], [...cmd.slice(1), join(distDir, 'cli.js'), ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const ARGS = ['replay', '--ruleset', 'examples/iptables.rules', '--log', 'examples/restore.log', '--log', 'examples/dump.log'];

const netnsList = () => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
/** Replay's own namespaces (other tests make namespaces of their own at the same time). */
const replayNamespaces = () => netnsList().split('\n').filter((l) => l.startsWith('criu-lens-replay-')).join('\n');
const hostRules = () => {
  const r = spawnSync('iptables-save', [], { encoding: 'utf8' });
  // Counters move with host traffic; the rules are what must not change.
  return (r.stdout ?? '').split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/g, '')).join('\n');
};

test('replay as root: the kernel drops CRIU\'s FIN at filter/KUBE-FIREWALL rule 1, like the evaluator; nothing is left behind', { skip: replayUnavailable() ?? false }, () => {
  const before = hostRules();
  const r = cli([...ARGS, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /replaying the FIN of examples\/restore\.log:331/);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.packet, { src: '10.96.0.42', sport: 5432, dst: '192.168.10.21', dport: 43512, flags: ['FIN', 'ACK'], mark: 0xc114 });
  assert.equal(out.kernel.sent, 'EPERM');
  assert.equal(out.kernel.drops.length, 1);
  assert.deepEqual(out.kernel.drops[0].rules.map((x: { line: number; table: string; chain: string; index: number }) => [x.table, x.chain, x.index, x.line]), [['filter', 'KUBE-FIREWALL', 1, 75]]);
  assert.ok(out.kernel.trace.some((l: string) => /MARK=0xc114/.test(l)));
  assert.equal(out.evaluator.verdict, 'drop');
  assert.equal(out.agree, true);
  const ns = /ip netns add (\S+)/.exec(out.commands.join('\n'))![1];
  assert.ok(out.commands.every((c: string) => c.startsWith(`ip netns exec ${ns} `) || c === `ip netns add ${ns}` || c === `ip netns del ${ns}`), 'every command ran inside the namespace');
  assert.ok(!netnsList().includes(ns), 'the namespace is deleted');
  assert.equal(hostRules(), before, "the host's ruleset is unchanged");

  const text = cli(ARGS);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Replayed in a throw-away network namespace \(now deleted\): FIN\|ACK 10\.96\.0\.42:5432 → 192\.168\.10\.21:43512, mark 0xc114\n/);
  assert.match(text.stdout, /\nKernel: {4}sendto → EPERM\n {11}DROP in filter:KUBE-FIREWALL: .* = filter\/KUBE-FIREWALL rule 1 \(iptables\.rules:76\)\nEvaluator: drop — filter\/KUBE-FIREWALL rule 1 \(iptables\.rules:76\)\nAgree: {5}yes\n/);
});

const hostNft = () => {
  const r = spawnSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `nft list ruleset failed: ${r.error?.message ?? r.stderr}`;
  return r.stdout.replace(/counter packets \d+ bytes \d+/g, 'counter');
};
const NFT_ARGS = ['replay', '--ruleset', 'examples/nftables.rules', '--log', 'examples/restore.log', '--log', 'examples/dump.log'];

test('replay of an nftables ruleset as root: nft monitor trace shows the drop in ip filter KUBE-FIREWALL rule 1, like the evaluator; nothing is left behind', { skip: replayUnavailable('nftables') ?? false }, () => {
  const before = hostNft();
  const r = cli([...NFT_ARGS, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.packet, { src: '10.96.0.42', sport: 5432, dst: '192.168.10.21', dport: 43512, flags: ['FIN', 'ACK'], mark: 0xc114 });
  assert.equal(out.kernel.sent, 'EPERM');
  assert.equal(out.kernel.drops.length, 1, out.kernel.trace.join('\n'));
  assert.deepEqual([out.kernel.drops[0].family, out.kernel.drops[0].table, out.kernel.drops[0].chain], ['ip', 'filter', 'KUBE-FIREWALL']);
  assert.match(out.kernel.drops[0].rule, /^meta mark & 0x00008000 == 0x00008000 counter packets \d+ bytes \d+ drop$/);
  assert.deepEqual(out.kernel.drops[0].rules.map((x: { line: number; table: string; chain: string; index: number }) => [x.table, x.chain, x.index, x.line]), [['ip filter', 'KUBE-FIREWALL', 1, 131]]);
  assert.ok(out.kernel.trace.some((l: string) => /^trace id \S+ inet criu_lens_trace out rule meta mark 0x0000c114 meta nftrace set 1/.test(l)), out.kernel.trace.join('\n'));
  assert.equal(out.evaluator.verdict, 'drop');
  assert.equal(out.agree, true);
  const ns = /ip netns add (\S+)/.exec(out.commands.join('\n'))![1];
  assert.ok(out.commands.includes(`ip netns exec ${ns} nft monitor trace`));
  assert.ok(out.commands.every((c: string) => c.startsWith(`ip netns exec ${ns} `) || c === `ip netns add ${ns}` || c === `ip netns del ${ns}`), 'every command ran inside the namespace');
  assert.ok(!netnsList().includes(ns), 'the namespace is deleted');
  assert.equal(hostNft(), before, "the host's nft ruleset is unchanged");

  const text = cli(NFT_ARGS);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /\nKernel: {4}sendto → EPERM\n {11}DROP in ip filter\/KUBE-FIREWALL: meta mark .* drop = ip filter\/KUBE-FIREWALL rule 1 \(nftables\.rules:132\)\nEvaluator: drop — ip filter\/KUBE-FIREWALL rule 1 \(nftables\.rules:132\)\nAgree: {5}yes\n/);
  assert.match(text.stdout, /\nKernel trace \(nft monitor trace\):\n/);
});

test('replay without root: a clear message, exit 2, nothing changed (iptables-save and nftables)', { skip: process.getuid?.() !== 0 ? 'needs root to switch to an unprivileged user' : spawnSync('runuser', ['--version']).error ? 'runuser not found' : false }, () => {
  for (const args of [ARGS, NFT_ARGS]) {
    const before = replayNamespaces();
    const r = cli(args, 'nobody');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /cannot confirm with the kernel: needs root .*Nothing was changed\./);
    assert.equal(r.stdout, '');
    assert.equal(replayNamespaces(), before);
  }
});

test('replay needs a fully known packet: without the dump log the peer is unknown, and it says so', () => {
  const r = cli(['replay', '--ruleset', 'examples/iptables.rules', '--log', 'examples/restore.log']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot replay: the packet is not fully known: the source \(the peer: open or give the dump log/);
});
