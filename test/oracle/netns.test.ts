/**
 * The kernel-oracle helpers work: rulesets go into a throw-away namespace, the kernel's tools accept
 * or reject them as they would on a node, and the namespace is gone afterwards. Skipped with the
 * reason where the oracle is unavailable (not root, no iproute2/iptables, no netns).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { iptablesRestore, iptablesSave, netnsExists, oracleAvailable, withNetns } from './netns';

const backends = [
  { label: 'nft', legacy: false },
  { label: 'legacy', legacy: true },
] as const;

const kubeFirewallRule = '-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP';
const validDump = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FIREWALL - [0:0]
-A OUTPUT -j KUBE-FIREWALL
${kubeFirewallRule}
COMMIT
`;

test('a valid dump is committed and iptables-save in the namespace shows its rules', (t) => {
  const oracle = oracleAvailable();
  if (!oracle.ok) return t.skip(oracle.reason);
  for (const { label, legacy } of backends) {
    withNetns((ns) => {
      const before = iptablesSave(ns, { legacy });
      assert.equal(before.code, 0, `${label}: ${before.stderr}`);
      assert.ok(!before.stdout.includes('KUBE-FIREWALL'), `${label}: a new namespace starts empty`);

      const r = iptablesRestore(ns, validDump, { legacy });
      assert.deepEqual(r, { code: 0, stderr: '' }, label);
      const saved = iptablesSave(ns, { legacy, table: 'filter' });
      assert.equal(saved.code, 0, `${label}: ${saved.stderr}`);
      const lines = saved.stdout.split('\n');
      assert.ok(lines.includes(':KUBE-FIREWALL - [0:0]'), `${label}:\n${saved.stdout}`);
      assert.ok(lines.includes('-A OUTPUT -j KUBE-FIREWALL'), `${label}:\n${saved.stdout}`);
      assert.ok(lines.includes(kubeFirewallRule), `${label}:\n${saved.stdout}`);
    });
  }
});

test('--test checks a dump without committing it', (t) => {
  const oracle = oracleAvailable();
  if (!oracle.ok) return t.skip(oracle.reason);
  for (const { label, legacy } of backends) {
    withNetns((ns) => {
      assert.deepEqual(iptablesRestore(ns, validDump, { legacy, test: true }), { code: 0, stderr: '' }, label);
      const saved = iptablesSave(ns, { legacy });
      assert.ok(!saved.stdout.includes('KUBE-FIREWALL'), `${label}: --test committed:\n${saved.stdout}`);
    });
  }
});

test('ip6tables: an IPv6 dump is committed with ipv6: true', (t) => {
  const oracle = oracleAvailable();
  if (!oracle.ok) return t.skip(oracle.reason);
  const rule = '-A INPUT -s 2001:db8::1/128 -p tcp -m mark ! --mark 0xc114 -m tcp --sport 5432 --dport 43512 -j DROP';
  withNetns((ns) => {
    const r = iptablesRestore(ns, `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`, { ipv6: true });
    assert.deepEqual(r, { code: 0, stderr: '' });
    const saved = iptablesSave(ns, { ipv6: true });
    assert.ok(saved.stdout.split('\n').includes(rule), saved.stdout);
  });
});

test('an unknown option is rejected with a non-zero code and a message naming it', (t) => {
  const oracle = oracleAvailable();
  if (!oracle.ok) return t.skip(oracle.reason);
  const bad = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --bogus-option 1 -j ACCEPT\nCOMMIT\n';
  for (const { label, legacy } of backends) {
    withNetns((ns) => {
      for (const testOnly of [true, false]) {
        const r = iptablesRestore(ns, bad, { legacy, test: testOnly });
        assert.notEqual(r.code, 0, `${label} test=${testOnly}`);
        assert.match(r.stderr, /unknown option "--bogus-option"/, `${label} test=${testOnly}`);
        assert.match(r.stderr, /Error occurred at line: 3/, `${label} test=${testOnly}`);
      }
    });
  }
});

test('a jump to an undefined chain is rejected on real commit, and nothing is committed', (t) => {
  const oracle = oracleAvailable();
  if (!oracle.ok) return t.skip(oracle.reason);
  // Note: iptables-nft 1.8.9 accepts this dump with --test (exit 0); only the commit fails.
  const bad = '*filter\n:INPUT ACCEPT [0:0]\n:KUBE-FIREWALL - [0:0]\n-A INPUT -j KUBE-FIREWALL\n-A INPUT -j KUBE-NOWHERE\nCOMMIT\n';
  for (const { label, legacy } of backends) {
    withNetns((ns) => {
      const r = iptablesRestore(ns, bad, { legacy });
      assert.notEqual(r.code, 0, label);
      assert.match(r.stderr, /KUBE-NOWHERE/, label);
      const saved = iptablesSave(ns, { legacy });
      assert.ok(!saved.stdout.includes('KUBE-FIREWALL'), `${label}: a failed restore must commit nothing:\n${saved.stdout}`);
    });
  }
});

test('the namespace is gone afterwards: after success, after a throw, after a rejected promise', async (t) => {
  const oracle = oracleAvailable();
  if (!oracle.ok) return t.skip(oracle.reason);
  const names: string[] = [];
  const value = withNetns((ns) => {
    names.push(ns);
    assert.ok(netnsExists(ns), 'exists while fn runs');
    assert.ok(existsSync(`/run/netns/${ns}`));
    return 42;
  });
  assert.equal(value, 42);
  assert.throws(() => withNetns((ns) => {
    names.push(ns);
    throw new Error('boom');
  }), /boom/);
  await assert.rejects(withNetns(async (ns) => {
    names.push(ns);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(netnsExists(ns), 'exists until the promise settles');
    throw new Error('async boom');
  }), /async boom/);
  assert.equal(new Set(names).size, 3, 'every call gets its own name');
  for (const ns of names) {
    assert.ok(!netnsExists(ns), `${ns} still listed by ip netns list`);
    assert.ok(!existsSync(`/run/netns/${ns}`), `/run/netns/${ns} still exists`);
  }
});
