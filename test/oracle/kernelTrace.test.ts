// Real kernel captures, parsed by our kernel-trace parser: in a throw-away network namespace, a raw
// packet marked 0xc114 (send-raw.py, as libsoccr sends CRIU's FIN) is dropped by a KUBE-FIREWALL-like
// rule, and the kernel's own trace of it is captured three ways: `xtables-monitor --trace` (a -j TRACE
// rule in raw), `nft monitor trace` (meta nftrace set 1), and the skb:kfree_skb event via a tracefs
// instance. Each test skips with the reason where the machine or the kernel refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyseModels, buildModel } from '../../server/src/analysis';
import { kernelEvidence, type Evidence } from '../../server/src/ktrace/evidence';
import { parseKernelTrace } from '../../server/src/ktrace/model';
import { kernelTraceFindings } from '../../server/src/ktrace/findings';
import { iptablesRestore, oracleAvailable, withNetns } from './netns';
import { repoRoot } from '../support/paths';

const sendRaw = join(repoRoot, 'test', 'oracle', 'send-raw.py');
const PACKET = 'tcp 10.1.0.1 20001 127.0.0.1 80 FIN,ACK 0xc114';

const RULESET = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A OUTPUT -m mark --mark 0xc114 -j TRACE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FIREWALL - [0:0]
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP
COMMIT
`;

const tool = (name: string) => spawnSync(name, ['--version'], { encoding: 'utf8' }).error === undefined;

/** Sends the packet; `pid` is the sender's (`ip netns exec` execs the command in place). */
function sendWithPid(ns: string): { answer: string; pid: number } {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'python3', sendRaw, ...PACKET.split(' ')], { encoding: 'utf8' });
  return { answer: r.stdout.trim() || r.stderr.trim(), pid: r.pid };
}

function send(ns: string): string {
  return sendWithPid(ns).answer;
}

/**
 * Runs a monitor in the namespace, sends the packet once the monitor is listening, and returns what
 * the monitor printed. The monitor is stopped (SIGTERM, its own pid) when the capture is over.
 */
async function capture(ns: string, cmd: string[], done: (out: string) => boolean): Promise<{ out: string; sent: string }> {
  const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    // The monitors print nothing when ready: give them a moment to subscribe.
    await new Promise((r) => setTimeout(r, 500));
    const sent = send(ns);
    for (let k = 0; k < 40 && !done(out); k++) await new Promise((r) => setTimeout(r, 50));
    return { out, sent };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
  }
}

const of = <K extends Evidence['kind']>(e: Evidence[], kind: K) => e.filter((x): x is Extract<Evidence, { kind: K }> => x.kind === kind);

function skipReason(extra: string[] = []): string | false {
  const o = oracleAvailable();
  if (!o.ok) return o.reason;
  if (!tool('python3')) return 'python3 not found (send-raw.py needs it)';
  for (const t of extra) if (!tool(t)) return `\`${t}\` not found`;
  return false;
}

test('xtables-monitor --trace: the TRACE line of the DROP names filter:KUBE-FIREWALL, the rule text and MARK=0xc114; it links to that exact rule', { skip: skipReason(['xtables-monitor']) }, async (t) => {
  await withNetns(async (ns) => {
    const loaded = iptablesRestore(ns, RULESET);
    if (loaded.code !== 0) return t.skip(`iptables-restore refused the ruleset: ${loaded.stderr.trim()}`);
    const { out, sent } = await capture(ns, ['xtables-monitor', '--trace'], (o) => /:DROP/.test(o));
    assert.equal(sent, 'EPERM', 'the kernel drops the marked packet on the local-out path');
    if (!/TRACE:/.test(out)) return t.skip(`xtables-monitor printed no TRACE line (kernel without nf_tables trace support?): ${out.trim().slice(0, 200)}`);
    const trace = parseKernelTrace(out);
    const ev = kernelEvidence(trace);
    const drops = of(ev, 'rule-drop');
    assert.equal(drops.length, 1, out);
    assert.deepEqual([drops[0].table, drops[0].chain, drops[0].mark], ['filter', 'KUBE-FIREWALL', 0xc114]);
    assert.match(drops[0].rule, /-A KUBE-FIREWALL -m mark --mark 0x8000\/0x8000 -j DROP$/);
    assert.ok(!kernelTraceFindings('t', trace, ev).some((f) => f.code === 'ktrace.unrecognised-line'), `every line parsed:\n${out}`);
    // The same ruleset, as the node's dump, gets the exact rule.
    const a = analyseModels([
      { doc: 'rules', model: buildModel({ doc: 'rules', language: 'iptables-save', text: RULESET }) },
      { doc: 'trace', model: buildModel({ doc: 'trace', language: 'kernel-trace', text: out }) },
    ]);
    const linked = a.findings.find((f) => f.code === 'link.kernel-trace-drop');
    assert.equal(linked?.range.start.line, RULESET.split('\n').indexOf('-A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP'));
  });
});

test('nft monitor trace: `meta nftrace set 1`, the rule with (verdict drop) and the mark', { skip: skipReason(['nft']) }, async (t) => {
  await withNetns(async (ns) => {
    const ruleset = `table inet trace_t {
  chain out {
    type filter hook output priority -301;
    meta mark 0xc114 meta nftrace set 1
  }
}
table inet fw {
  chain output {
    type filter hook output priority 0; policy accept;
    meta mark & 0x8000 == 0x8000 counter drop comment "kube-firewall-like"
  }
}
`;
    const loaded = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: ruleset, encoding: 'utf8' });
    if (loaded.status !== 0) return t.skip(`nft refused the ruleset: ${loaded.stderr.trim()}`);
    const { out, sent } = await capture(ns, ['nft', 'monitor', 'trace'], (o) => /verdict drop/.test(o));
    assert.equal(sent, 'EPERM');
    if (!/^trace id /m.test(out)) return t.skip(`nft monitor trace printed nothing (kernel without nftrace?): ${out.trim().slice(0, 200)}`);
    const drops = of(kernelEvidence(parseKernelTrace(out)), 'rule-drop');
    assert.equal(drops.length, 1, out);
    assert.deepEqual([drops[0].tool, drops[0].family, drops[0].table, drops[0].chain, drops[0].mark], ['nft', 'inet', 'fw', 'output', 0xc114]);
    assert.match(drops[0].rule, /meta mark & 0x00008000 == 0x00008000 .*drop/);
  });
});

/** tracefs, mounted by this test when it is not (and unmounted again). */
function withTracefs<T>(fn: (root: string) => T): T | string {
  const root = '/sys/kernel/tracing';
  let mounted = false;
  if (!existsSync(join(root, 'instances'))) {
    const m = spawnSync('mount', ['-t', 'tracefs', 'nodev', root], { encoding: 'utf8' });
    if (m.status !== 0) return `tracefs not mounted and cannot be: ${m.stderr.trim()}`;
    mounted = true;
  }
  try {
    return fn(root);
  } finally {
    if (mounted) spawnSync('umount', [root]);
  }
}

test('skb:kfree_skb via a tracefs instance: reason NETFILTER_DROP for the marked packet', { skip: skipReason() }, (t) => {
  const result = withNetns((ns) => {
    const loaded = iptablesRestore(ns, RULESET);
    if (loaded.code !== 0) return `iptables-restore refused the ruleset: ${loaded.stderr.trim()}`;
    return withTracefs((root) => {
      const instance = join(root, 'instances', `criu-lens-${process.pid}`);
      try {
        mkdirSync(instance);
      } catch (e) {
        return `cannot create a tracefs instance: ${(e as Error).message}`;
      }
      try {
        const enable = join(instance, 'events', 'skb', 'kfree_skb', 'enable');
        if (!existsSync(enable)) return 'this kernel has no skb:kfree_skb event';
        // The stack of each event, where the kernel allows it: it names the hook.
        let stacks = true;
        try {
          writeFileSync(join(instance, 'options', 'stacktrace'), '1');
        } catch {
          stacks = false;
        }
        writeFileSync(enable, '1');
        const sent = sendWithPid(ns);
        writeFileSync(enable, '0');
        const text = readFileSync(join(instance, 'trace'), 'utf8');
        return { sent: sent.answer, pid: sent.pid, text, stacks };
      } finally {
        rmdirSync(instance);
      }
    });
  });
  if (typeof result === 'string') return t.skip(result);
  assert.equal(result.sent, 'EPERM');
  const trace = parseKernelTrace(result.text);
  // Other tasks (other tests' senders too) free packets all the time: keep our sender's events.
  const ours = trace.lines.map((l, i) => ({ l, i })).filter(({ l }) => l.kind === 'event' && l.name === 'kfree_skb' && l.pid === result.pid);
  assert.ok(ours.length >= 1, `no kfree_skb event of the sender:\n${result.text.slice(-2000)}`);
  const drops = of(kernelEvidence(trace), 'netfilter-drop').filter((d) => ours.some((o) => o.i === d.line));
  assert.equal(drops.length, 1, result.text.slice(-2000));
  assert.equal(drops[0].source, 'kfree_skb');
  assert.ok(drops[0].location, 'the function that freed it');
  if (result.stacks) {
    assert.equal(drops[0].hook, 'LOCAL_OUT (OUTPUT)', result.text.slice(-2000));
    assert.ok(drops[0].path.includes('nf_hook_slow'), drops[0].path.join(' → '));
    // iptables-restore here is iptables-nft: the drop happened in an nftables chain of family ip.
    if (drops[0].path.includes('nft_do_chain_ipv4')) assert.equal(drops[0].nftFamily, 'ip');
  }
  assert.ok(!kernelTraceFindings('t', trace).some((f) => f.code === 'ktrace.unrecognised-line'), 'the tracefs header and events all parse');
});
