/**
 * Kernel oracle: we must accept and reject exactly what iptables-restore does. Each case is a
 * one-table dump loaded with a REAL commit (not --test, which skips the kernel's own checks)
 * into a throw-away network namespace; its exit status is compared with our errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';
import { builtinChains } from '../../server/src/knowledge/xtables';
import type { Table } from '../../server/src/knowledge/xtables/types';
import { iptablesRestore, oracleAvailable, withNetns } from './netns';

interface Case {
  name: string;
  table: Table;
  /** Lines after the chain declarations (rules, more declarations). */
  body: string[];
  /** A valid sample: a rejection by the kernel then means the kernel lacks the extension. */
  sample?: boolean;
}

function dump(c: Case): string {
  const decls = builtinChains[c.table].map((ch) => `:${ch} ACCEPT [0:0]`);
  return ['*' + c.table, ...decls, ':USER - [0:0]', '-A USER -j RETURN', ...c.body, 'COMMIT', ''].join('\n');
}

/** A valid use of each match module, in a table and chain where the kernel takes it. */
const matchSamples: { module: string; table?: Table; chain?: string; rule: string }[] = [
  { module: 'mark', rule: '-m mark --mark 0x8000/0x8000' },
  { module: 'connmark', rule: '-m connmark --mark 0x1/0xff' },
  { module: 'conntrack', rule: '-m conntrack --ctstate RELATED,ESTABLISHED --ctproto tcp --ctorigsrc 10.0.0.0/8 --ctdir ORIGINAL' },
  { module: 'state', rule: '-m state --state NEW,ESTABLISHED' },
  { module: 'comment', rule: '-m comment --comment "kubernetes firewall for dropping marked packets"' },
  { module: 'tcp', rule: '-p tcp -m tcp --sport 1024:65535 --dport 22 --tcp-flags FIN,SYN,RST,ACK SYN' },
  { module: 'udp', rule: '-p udp -m udp --dport 53' },
  { module: 'sctp', rule: '-p sctp -m sctp --dport 80' },
  { module: 'dccp', rule: '-p dccp -m dccp --dport 80' },
  { module: 'multiport', rule: '-p tcp -m multiport --dports 80,443,8000:8080' },
  { module: 'icmp', rule: '-p icmp -m icmp --icmp-type echo-request' },
  { module: 'addrtype', rule: '-m addrtype --dst-type LOCAL' },
  { module: 'iprange', rule: '-m iprange --src-range 10.0.0.1-10.0.0.9' },
  { module: 'limit', rule: '-m limit --limit 5/min --limit-burst 10' },
  { module: 'hashlimit', rule: '-m hashlimit --hashlimit-upto 10/sec --hashlimit-mode srcip --hashlimit-name lens' },
  { module: 'recent', rule: '-m recent --rcheck --seconds 60 --hitcount 4 --name ssh --rsource' },
  { module: 'owner', chain: 'OUTPUT', rule: '-m owner --uid-owner 0' },
  { module: 'statistic', rule: '-m statistic --mode random --probability 0.5' },
  { module: 'pkttype', rule: '-m pkttype --pkt-type unicast' },
  { module: 'mac', rule: '-m mac --mac-source 00:11:22:33:44:55' },
  { module: 'length', rule: '-m length --length 0:1500' },
  { module: 'socket', rule: '-m socket --transparent' },
  { module: 'devgroup', rule: '-m devgroup --src-group 0x1' },
  { module: 'rpfilter', table: 'raw', chain: 'PREROUTING', rule: '-m rpfilter --loose' },
  { module: 'ttl', rule: '-m ttl --ttl-gt 5' },
  { module: 'tos', rule: '-m tos --tos 0x10' },
  { module: 'dscp', rule: '-m dscp --dscp-class EF' },
  { module: 'helper', rule: '-m helper --helper ftp' },
  { module: 'policy', rule: '-m policy --dir in --pol none' },
  { module: 'u32', rule: '-m u32 --u32 "6&0xFF=1"' },
  { module: 'string', rule: '-m string --string "GET " --algo bm' },
  { module: 'connlimit', rule: '-p tcp -m connlimit --connlimit-above 10' },
  { module: 'esp', rule: '-p esp -m esp --espspi 1:100' },
  { module: 'ah', rule: '-p ah -m ah --ahspi 1' },
  { module: 'quota', rule: '-m quota --quota 1000' },
  { module: 'time', rule: '-m time --timestart 09:00 --timestop 17:00 --weekdays Mon,Tue' },
  { module: 'tcpmss', rule: '-p tcp -m tcpmss --mss 1000:1500' },
  { module: 'connbytes', rule: '-m connbytes --connbytes 10000: --connbytes-dir both --connbytes-mode bytes' },
  { module: 'ecn', rule: '-p tcp -m ecn --ecn-tcp-cwr' },
  { module: 'cpu', rule: '-m cpu --cpu 0' },
  { module: 'cluster', rule: '-m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 0xdeadbeef' },
];

/** A valid use of each target, and places where the kernel refuses it. */
const targetSamples: { target: string; table: Table; chain: string; rule: string; wrong?: { table: Table; chain: string }[] }[] = [
  { target: 'ACCEPT', table: 'filter', chain: 'INPUT', rule: '-j ACCEPT' },
  { target: 'DROP', table: 'filter', chain: 'INPUT', rule: '-j DROP', wrong: [{ table: 'nat', chain: 'PREROUTING' }] },
  { target: 'QUEUE', table: 'filter', chain: 'INPUT', rule: '-j QUEUE' },
  { target: 'REJECT', table: 'filter', chain: 'INPUT', rule: '-j REJECT --reject-with icmp-port-unreachable', wrong: [{ table: 'mangle', chain: 'INPUT' }, { table: 'nat', chain: 'OUTPUT' }] },
  { target: 'LOG', table: 'filter', chain: 'INPUT', rule: '-j LOG --log-prefix "lens: " --log-level 4' },
  { target: 'NFLOG', table: 'filter', chain: 'INPUT', rule: '-j NFLOG --nflog-group 1' },
  { target: 'NFQUEUE', table: 'filter', chain: 'INPUT', rule: '-j NFQUEUE --queue-num 1' },
  { target: 'MARK', table: 'mangle', chain: 'OUTPUT', rule: '-j MARK --set-xmark 0x1/0xff' },
  { target: 'CONNMARK', table: 'mangle', chain: 'PREROUTING', rule: '-j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff' },
  { target: 'MASQUERADE', table: 'nat', chain: 'POSTROUTING', rule: '-j MASQUERADE --random-fully', wrong: [{ table: 'nat', chain: 'PREROUTING' }, { table: 'filter', chain: 'OUTPUT' }] },
  { target: 'SNAT', table: 'nat', chain: 'POSTROUTING', rule: '-j SNAT --to-source 192.0.2.1', wrong: [{ table: 'nat', chain: 'PREROUTING' }] },
  { target: 'DNAT', table: 'nat', chain: 'PREROUTING', rule: '-p tcp -j DNAT --to-destination 10.0.0.1:80', wrong: [{ table: 'nat', chain: 'POSTROUTING' }, { table: 'filter', chain: 'INPUT' }] },
  { target: 'REDIRECT', table: 'nat', chain: 'OUTPUT', rule: '-p tcp -j REDIRECT --to-ports 8080', wrong: [{ table: 'nat', chain: 'INPUT' }] },
  { target: 'NETMAP', table: 'nat', chain: 'PREROUTING', rule: '-j NETMAP --to 10.1.0.0/16' },
  { target: 'CT', table: 'raw', chain: 'PREROUTING', rule: '-j CT --notrack', wrong: [{ table: 'filter', chain: 'INPUT' }] },
  { target: 'NOTRACK', table: 'raw', chain: 'OUTPUT', rule: '-j NOTRACK', wrong: [{ table: 'mangle', chain: 'OUTPUT' }] },
  { target: 'TPROXY', table: 'mangle', chain: 'PREROUTING', rule: '-p tcp -j TPROXY --on-port 1234 --tproxy-mark 0x1/0x1', wrong: [{ table: 'mangle', chain: 'OUTPUT' }] },
  { target: 'CLASSIFY', table: 'mangle', chain: 'POSTROUTING', rule: '-j CLASSIFY --set-class 1:1' },
  { target: 'DSCP', table: 'mangle', chain: 'OUTPUT', rule: '-j DSCP --set-dscp 10', wrong: [{ table: 'filter', chain: 'OUTPUT' }] },
  { target: 'TCPMSS', table: 'mangle', chain: 'FORWARD', rule: '-p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu' },
  { target: 'CHECKSUM', table: 'mangle', chain: 'POSTROUTING', rule: '-p udp -j CHECKSUM --checksum-fill' },
  { target: 'AUDIT', table: 'filter', chain: 'INPUT', rule: '-j AUDIT --type accept' },
  { target: 'TOS', table: 'mangle', chain: 'OUTPUT', rule: '-j TOS --set-tos 0x10' },
  { target: 'TTL', table: 'mangle', chain: 'OUTPUT', rule: '-j TTL --ttl-set 64', wrong: [{ table: 'filter', chain: 'OUTPUT' }] },
];

function cases(): Case[] {
  const out: Case[] = [];
  for (const s of matchSamples) {
    const table = s.table ?? 'filter';
    const chain = s.chain ?? 'INPUT';
    const add = (name: string, rule: string, sample = false) => out.push({ name: `${s.module}: ${name}`, table, body: [`-A ${chain} ${rule} -j ACCEPT`], sample });
    add('valid', s.rule, true);
    add('unknown option', `${s.rule} --no-such-option 1`);
    // Each argument in turn replaced by garbage.
    const words = s.rule.match(/"[^"]*"|\S+/g)!;
    words.forEach((w, k) => {
      if (k === 0 || w.startsWith('-') || words[k - 1] === '-m' || words[k - 1] === '-p' || s.module === 'comment' || s.module === 'string') return;
      add(`bad value for ${words[k - 1]}`, [...words.slice(0, k), '@@bad@@', ...words.slice(k + 1)].join(' '));
    });
    // The last option without its value.
    const lastOption = words.map((w, k) => (w.startsWith('--') && k + 1 < words.length && !words[k + 1].startsWith('-') ? k : -1)).filter((k) => k >= 0).pop();
    if (lastOption !== undefined && lastOption + 2 === words.length) add(`missing value for ${words[lastOption]}`, words.slice(0, lastOption + 1).join(' '));
    // Protocol matches without their -p.
    if (s.rule.startsWith('-p ')) add('without -p', words.slice(2).join(' '));
  }
  for (const t of targetSamples) {
    out.push({ name: `${t.target}: valid in ${t.table}/${t.chain}`, table: t.table, body: [`-A ${t.chain} ${t.rule}`], sample: true });
    for (const w of t.wrong ?? []) out.push({ name: `${t.target}: in ${w.table}/${w.chain}`, table: w.table, body: [`-A ${w.chain} ${t.rule}`] });
    out.push({ name: `${t.target}: unknown target option`, table: t.table, body: [`-A ${t.chain} ${t.rule} --no-such-option`] });
    // Reached through a user chain from a hook where it is refused.
    if (t.wrong?.some((w) => w.table === t.table)) {
      const bad = t.wrong.find((w) => w.table === t.table)!;
      out.push({ name: `${t.target}: in a user chain jumped to from ${bad.chain}`, table: t.table, body: [':SUB - [0:0]', `-A ${bad.chain} -j SUB`, `-A SUB ${t.rule}`] });
    }
  }
  const structure: [string, Table, string[]][] = [
    ['jump to an undefined chain', 'filter', ['-A INPUT -j NOWHERE']],
    ['goto a user chain', 'filter', ['-A INPUT -g USER']],
    ['jump loop', 'filter', [':A - [0:0]', ':B - [0:0]', '-A INPUT -j A', '-A A -j B', '-A B -j A']],
    ['policy on a user chain', 'filter', [':MINE ACCEPT [0:0]']],
    ['duplicate user chain', 'filter', [':USER - [0:0]']],
    ['insert beyond the end', 'filter', ['-I INPUT 5 -j ACCEPT']],
    ['insert at 1', 'filter', ['-I INPUT 1 -j ACCEPT']],
    ['delete a missing rule', 'filter', ['-D INPUT -s 10.9.9.9 -j ACCEPT']],
    ['unknown option', 'filter', ['-A INPUT --frobnicate -j ACCEPT']],
    ['negated -s', 'filter', ['-A INPUT ! -s 10.0.0.0/8 -j DROP']],
    ['dotted mask', 'filter', ['-A INPUT -s 10.0.0.0/255.0.0.0 -j DROP']],
    ['bad address', 'filter', ['-A INPUT -s 10.0.0.256 -j DROP']],
    ['bad prefix', 'filter', ['-A INPUT -s 10.0.0.0/33 -j DROP']],
    ['interface wildcard', 'filter', ['-A INPUT -i eth+ -j ACCEPT']],
    ['interface name too long', 'filter', ['-A INPUT -i abcdefghijklmnopq -j ACCEPT']],
    ['protocol by number', 'filter', ['-A INPUT -p 6 -j ACCEPT']],
    ['unknown protocol', 'filter', ['-A INPUT -p nosuchproto -j ACCEPT']],
    ['fragment', 'filter', ['-A INPUT -f -j DROP']],
    ['two targets', 'filter', ['-A INPUT -j ACCEPT -j DROP']],
    ['stray word', 'filter', ['-A INPUT foo -j ACCEPT']],
    ['chain name too long', 'filter', [':ABCDEFGHIJKLMNOPQRSTUVWXYZ0123 - [0:0]']],
    ['-N then use', 'filter', ['-N NEWER', '-A INPUT -j NEWER']],
    ['-P DROP', 'filter', ['-P FORWARD DROP']],
    ['-P on user chain', 'filter', ['-P USER DROP']],
    ['counters before a rule', 'filter', ['[12:3456] -A INPUT -j ACCEPT']],
    ['-c counters', 'filter', ['-A INPUT -c 1 2 -j ACCEPT']],
    ['quoted comment with escapes', 'filter', ['-A INPUT -m comment --comment "say \\"hi\\"" -j ACCEPT']],
    ['unterminated quote', 'filter', ['-A INPUT -m comment --comment "oops -j ACCEPT']],
    ['built-in chain the table lacks', 'nat', [':FORWARD ACCEPT [0:0]']],
    ['tcp match negated protocol', 'filter', ['-A INPUT ! -p tcp -m tcp --dport 22 -j ACCEPT']],
    ['implicit tcp match', 'filter', ['-A INPUT -p tcp --dport 22 -j ACCEPT']],
    ['abbreviated long option', 'filter', ['-A INPUT -p tcp -m tcp --dpor 22 -j ACCEPT']],
    ['ambiguous abbreviation', 'filter', ['-A INPUT -p tcp -m tcp --d 22 -j ACCEPT']],
  ];
  for (const [name, table, body] of structure) out.push({ name, table, body });
  return out;
}

type Verdict = { accepted: boolean; message: string; missing: boolean };

/** Both backends, each in its own namespace (iptables-nft warns when legacy tables are present). */
function runKernel(all: Case[], legacy: boolean): Verdict[] {
  return withNetns((ns) =>
    all.map((c) => {
      const r = iptablesRestore(ns, dump(c), { legacy });
      const message = r.stderr.trim().split('\n')[0] ?? '';
      const missing = Boolean(c.sample) && r.code !== 0 && /Couldn't load|No such file or directory|not supported|^\S+ v[\d.]+ \([\w_]+\): $/.test(message);
      return { accepted: r.code === 0, message, missing };
    }),
  );
}

/**
 * Both backends accept: no error from us. Both reject: an error. They disagree (iptables-nft
 * skips some of the kernel's checks, and is laxer about chain declarations): a warning that says
 * which one refuses, so a dump is flagged before it fails on the other backend.
 */
test('we accept and reject exactly what iptables-restore commits (nft and legacy backends, real commit)', (t) => {
  const oracle = oracleAvailable();
  if (!oracle.ok) return t.skip(oracle.reason);
  const all = cases();
  const nft = runKernel(all, false);
  const legacy = runKernel(all, true);
  const mismatches: string[] = [];
  const missingInKernel: string[] = [];
  let compared = 0;
  let disagreements = 0;
  all.forEach((c, k) => {
    const [n, l] = [nft[k], legacy[k]];
    if (n.missing || l.missing) {
      missingInKernel.push(`${c.name} (${n.missing ? 'nft' : 'legacy'}): ${(n.missing ? n : l).message}`);
      return;
    }
    compared++;
    const problems = parseIptablesSave(dump(c)).problems;
    const errors = problems.filter((p) => p.severity === 'error');
    const warnings = problems.filter((p) => p.severity === 'warning' && /legacy|nft/.test(p.message));
    let ok: boolean;
    if (n.accepted && l.accepted) ok = errors.length === 0;
    else if (!n.accepted && !l.accepted) ok = errors.length > 0;
    else {
      disagreements++;
      ok = errors.length === 0 && warnings.length > 0;
    }
    if (!ok) {
      const kernel = (v: Verdict) => (v.accepted ? 'accepted' : `rejected: ${v.message}`);
      mismatches.push(`${c.name}\n    nft:    ${kernel(n)}\n    legacy: ${kernel(l)}\n    ours:   ${[...errors, ...warnings].map((o) => `${o.severity}: ${o.message}`).join(' | ') || 'accepted'}\n    rule:   ${c.body.join(' ⏎ ')}`);
    }
  });
  if (missingInKernel.length) t.diagnostic(`not compared (extension missing in this kernel): ${missingInKernel.join('; ')}`);
  t.diagnostic(`${compared} cases compared with the kernel, ${disagreements} where the backends disagree`);
  assert.ok(compared >= 150, `only ${compared} cases compared`);
  assert.deepEqual(mismatches, [], `disagreements with iptables-restore:\n${mismatches.join('\n')}`);
});
