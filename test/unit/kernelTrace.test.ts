import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyseModels, buildModel } from '../../server/src/analysis';
import { detectLanguage } from '../../server/src/core/language';
import { kernelEvidence, type Evidence } from '../../server/src/ktrace/evidence';
import { explainTraceAt } from '../../server/src/ktrace/explain';
import { kernelTraceFindings } from '../../server/src/ktrace/findings';
import { parseTraceLine } from '../../server/src/ktrace/lines';
import { allCalls, parseKernelTrace } from '../../server/src/ktrace/model';
import { traceFolds, traceOutline } from '../../server/src/ktrace/outline';
import { evidenceHover } from '../../server/src/link/kernelEvidence';
import { examplesDir, repoRoot } from '../support/paths';

const fixture = (name: string) => readFileSync(join(repoRoot, 'test', 'fixtures', 'kernel-trace', name), 'utf8');
const of = <K extends Evidence['kind']>(e: Evidence[], kind: K) => e.filter((x): x is Extract<Evidence, { kind: K }> => x.kind === kind);

test('function_graph: columns, duration markers, module names, retvals, closers with comments', () => {
  const entry = parseTraceLine(' 1)               |          iptable_filter_hook [iptable_filter]() {');
  assert.equal(entry.kind, 'graph');
  if (entry.kind !== 'graph' || entry.body.kind !== 'entry') throw new Error('entry');
  assert.deepEqual([entry.cpu, entry.body.name, entry.body.module, entry.duration], [1, 'iptable_filter_hook', 'iptable_filter', null]);
  const exit = parseTraceLine(' 1) + 10.982 us   |            } /* ipt_do_table [ip_tables] = 0x0 */');
  if (exit.kind !== 'graph' || exit.body.kind !== 'exit') throw new Error('exit');
  assert.deepEqual([exit.duration?.marker, exit.duration?.value, exit.body.name, exit.body.module, exit.body.retval], ['+', 10.982, 'ipt_do_table', 'ip_tables', '0x0']);
  for (const [marker, line] of [['!', ' 0) ! 123.456 us  |  }'], ['#', ' 0) # 1234.5 us   |  }'], ['@', ' 0) @ 101234.5 us |  }'], ['$', ' 0) $ 1234567 us  |  }'], ['*', ' 0) * 12345.67 us |  }']] as const) {
    const l = parseTraceLine(line);
    assert.equal(l.kind === 'graph' && l.duration?.marker, marker, line);
  }
  const leaf = parseTraceLine(' 1)   0.231 us    |              mark_mt [xt_mark](); /* = 0x1 */');
  assert.ok(leaf.kind === 'graph' && leaf.body.kind === 'leaf' && leaf.body.retval === '0x1' && leaf.body.module === 'xt_mark');
  const proc = parseTraceLine(' 0)  python3-4242  |   0.250 us    |  __ip_select_ident();');
  assert.ok(proc.kind === 'graph' && proc.proc === 'python3-4242' && proc.body.kind === 'leaf');
  const abs = parseTraceLine('  9128.622064 |   1)               |  raw_sendmsg() {');
  assert.ok(abs.kind === 'graph' && abs.abstime === '9128.622064');
  assert.deepEqual(parseTraceLine(' 1)    <idle>-0    =>    criu-46208   '), { kind: 'cpu-switch', cpu: 1, from: '<idle>-0', to: 'criu-46208' });
  assert.equal(parseTraceLine(' ------------------------------------------').kind, 'separator');
  assert.deepEqual(parseTraceLine('# tracer: function_graph'), { kind: 'header', tracer: 'function_graph', tracerSpan: { start: 10, end: 24 } });
});

test('function_graph fixture: the call tree per CPU, and nf_hook_slow → kfree_skb_reason is a netfilter drop in filter on LOCAL_OUT', () => {
  const t = parseKernelTrace(fixture('function-graph-fin-drop.trace'));
  assert.equal(t.tracer, 'function_graph');
  assert.deepEqual(t.calls.map((c) => c.name), ['raw_sendmsg']);
  const root = t.calls[0];
  assert.ok(root.closed);
  assert.equal(root.retval, '-1');
  assert.equal(t.texts[root.endLine].trim().endsWith('/* raw_sendmsg = -1 */'), true);
  const hook = [...allCalls(t.calls)].find((c) => c.name === 'nf_hook_slow')!;
  assert.equal(hook.parent?.name, '__ip_local_out');
  assert.deepEqual(hook.children.map((c) => c.name), ['iptable_raw_hook', 'ipv4_conntrack_local', 'iptable_mangle_hook', 'iptable_filter_hook', 'kfree_skb_reason']);
  assert.equal(hook.children[4].comments.length, 1);

  const ev = kernelEvidence(t);
  const drops = of(ev, 'netfilter-drop');
  assert.equal(drops.length, 1);
  assert.equal(drops[0].hook, 'LOCAL_OUT (OUTPUT)');
  assert.equal(drops[0].table, 'filter');
  assert.deepEqual(drops[0].path, ['__ip_local_out', 'nf_hook_slow', 'iptable_filter_hook', 'ipt_do_table', 'kfree_skb_reason']);
  assert.equal(drops[0].line, hook.line);
  assert.deepEqual(of(ev, 'mark-match').map((m) => [m.matched, m.retval]), [[false, '0x0'], [true, '0x1']]);

  const findings = kernelTraceFindings('t', t, ev);
  const drop = findings.find((f) => f.code === 'ktrace.netfilter-drop')!;
  assert.equal(drop.severity, 'warning');
  assert.match(drop.message, /in hook LOCAL_OUT \(OUTPUT\), iptables table filter/);
  assert.match(findings.find((f) => f.code === 'ktrace.mark-match' && f.severity === 'information')!.message, /mark match succeeded/);
  assert.ok(!findings.some((f) => f.code === 'ktrace.unrecognised-line'), 'every line of the documented format is read');

  // Folds: every call with a body, and the header block.
  const folds = traceFolds(t);
  assert.ok(folds.some((f) => f.start === root.line && f.end === root.endLine));
  assert.ok(folds.some((f) => f.start === hook.line && f.end === hook.endLine));
  assert.ok(folds.some((f) => f.start === 0 && f.comment));
  const outline = traceOutline(t, ev);
  assert.equal(outline[0].name, 'raw_sendmsg');
  assert.equal(outline[0].children.find((c) => c.name === 'raw_send_hdrinc')?.children[0].name, '__ip_local_out');
});

test('a function_graph trace without the drop is no drop; an exit without its entry closes nothing', () => {
  const t = parseKernelTrace([
    ' 0)               |  nf_hook_slow() {',
    ' 0)   0.902 us    |    iptable_filter_hook [iptable_filter](); /* = 0x1 */',
    ' 0)   1.411 us    |  } /* nf_hook_slow = 0x1 */',
    ' 0)   1.411 us    |  }',
  ].join('\n'));
  assert.equal(of(kernelEvidence(t), 'netfilter-drop').length, 0);
  assert.equal(t.calls.length, 1);
  assert.equal(t.calls[0].endLine, 2);
});

test('kprobe/kretprobe and kfree_skb events: mark_mt retval, NETFILTER_DROP with its location, nf_hook_slow returning -EPERM', () => {
  const t = parseKernelTrace(fixture('kprobes-mark-mt.trace'));
  const ev = kernelEvidence(t);
  assert.deepEqual(of(ev, 'mark-match').map((m) => m.matched), [false, true]);
  const drops = of(ev, 'netfilter-drop');
  assert.deepEqual(drops.map((d) => d.source), ['kfree_skb', 'kretprobe']);
  assert.equal(drops[0].location, 'nf_hook_slow');
  assert.equal(drops[1].hook, 'LOCAL_OUT (OUTPUT)');
  const line = t.texts[drops[0].line];
  assert.equal(line.slice(drops[0].range.start.character, drops[0].range.end.character), 'NETFILTER_DROP');
  // Hover on the drop reason and on the kretprobe's function.
  const reason = explainTraceAt(t, { line: drops[0].line, character: drops[0].range.start.character + 2 })!;
  assert.match(reason.markdown, /Drop reason NETFILTER_DROP/);
  const markLine = of(ev, 'mark-match')[1];
  const markHover = explainTraceAt(t, { line: markLine.line, character: markLine.range.start.character + 1 })!;
  assert.match(markHover.markdown, /`mark_mt`/);
  assert.match(markHover.markdown, /kretprobe/);
  assert.match(markHover.markdown, /mark match succeeded/);
});

test('a real kfree_skb event (nop tracer) with another reason is a drop, not a netfilter drop', () => {
  const t = parseKernelTrace('          <idle>-0       [001] ..s1.  9131.002411: kfree_skb: skbaddr=000000009f3c1e2b rx_sk=0000000000000000 protocol=2048 location=tcp_v4_rcv+0x8c/0xe30 reason: NO_SOCKET\n');
  const ev = kernelEvidence(t);
  assert.deepEqual(ev.map((e) => e.kind), ['skb-drop']);
  assert.match(kernelTraceFindings('t', t, ev)[0].message, /NO_SOCKET: no socket wanted the packet/);
});

test('xtables-monitor --trace (real capture): the DROP names table, chain, handle, rule text and the packet mark', () => {
  const t = parseKernelTrace(fixture('xtables-monitor-trace.txt'));
  const ev = kernelEvidence(t);
  const drops = of(ev, 'rule-drop');
  assert.equal(drops.length, 1);
  assert.deepEqual([drops[0].table, drops[0].chain, drops[0].handle, drops[0].mark, drops[0].policy], ['filter', 'KUBE-FIREWALL', '0x6', 0xc114, false]);
  assert.equal(drops[0].rule, '-4 -t filter -A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP');
  const f = kernelTraceFindings('t', t, ev).find((x) => x.code === 'ktrace.rule-drop')!;
  assert.match(f.message, /^Dropped by filter:KUBE-FIREWALL rule \(handle 0x6\): .* — packet mark 0xc114, CRIU's SO_MARK/);
  assert.equal(t.packets.length, 1);
  assert.equal(traceOutline(t, ev).find((o) => o.kind === 'packet')?.detail, 'dropped in filter:KUBE-FIREWALL');
  assert.equal(traceFolds(t).length, 1);
  const hover = explainTraceAt(t, { line: drops[0].line, character: drops[0].range.start.character + 3 })!;
  assert.match(hover.markdown, /handle 0x6 \(the nftables handle/);
});

test('nft monitor trace (real capture): the rule with `(verdict drop)` is named with its table', () => {
  const t = parseKernelTrace(fixture('nft-monitor-trace.txt'));
  const drops = of(kernelEvidence(t), 'rule-drop');
  assert.equal(drops.length, 1);
  assert.deepEqual([drops[0].tool, drops[0].family, drops[0].table, drops[0].chain, drops[0].mark], ['nft', 'inet', 'fw', 'output', 0xc114]);
  assert.match(drops[0].rule, /^meta mark & 0x00008000 == 0x00008000 .* drop comment "kube-firewall-like"$/);
  const policy = parseKernelTrace('trace id 1a2b3c4d ip filter OUTPUT policy drop meta mark 0x0000c114 \n');
  assert.equal(of(kernelEvidence(policy), 'rule-drop')[0].policy, true);
});

test('conntrack: the dmesg line (both spellings) and count ≥ max; count < max is no finding', () => {
  const ev = kernelEvidence(parseKernelTrace(fixture('conntrack-full.dmesg')));
  assert.deepEqual(of(ev, 'conntrack-full').map((e) => e.how), ['dmesg', 'dmesg', 'sysctl']);
  const proc = kernelEvidence(parseKernelTrace('/proc/sys/net/netfilter/nf_conntrack_count:100\n/proc/sys/net/netfilter/nf_conntrack_max:262144\nnf_conntrack: table full, dropping packet\n'));
  assert.deepEqual(proc.map((e) => e.kind), ['conntrack-full']);
  assert.equal(proc[0].line, 2);
  assert.deepEqual(kernelEvidence(parseKernelTrace('net.netfilter.nf_conntrack_count = 5\nnet.netfilter.nf_conntrack_max = 65536\n')), []);
});

test('nft_do_chain_inet identifies an nftables base chain', () => {
  const t = parseKernelTrace(' 0)               |  nft_do_chain_inet [nf_tables]() {\n 0)   1.2 us      |    nft_do_chain [nf_tables](); /* = 0x0 */\n 0)   2.0 us      |  }\n');
  const ev = of(kernelEvidence(t), 'nft-base-chain');
  assert.deepEqual(ev.map((e) => e.family), ['inet']);
  assert.match(explainTraceAt(t, { line: 0, character: 22 })!.markdown, /base chain of family `inet`/);
});

test('lines of no known shape get a hint with their exact range; arbitrary input never throws', () => {
  const t = parseKernelTrace('# tracer: nop\n  hello there  \n 0)   0.2 us  |  ???\n');
  const hints = kernelTraceFindings('t', t).filter((f) => f.code === 'ktrace.unrecognised-line');
  assert.deepEqual(hints.map((h) => [h.range.start.line, h.range.start.character, h.range.end.character, h.severity]), [[1, 2, 13, 'hint'], [2, 1, 20, 'hint']]);
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = ' 0123456789abcdef()[]{}|/*:=-+!#@$<>.;_\t\'"TRACEPACKETtrace id';
  for (let k = 0; k < 2000; k++) {
    const s = Array.from({ length: Math.floor(rnd() * 80) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
    const tt = parseKernelTrace(s);
    kernelTraceFindings('t', tt);
    traceOutline(tt, kernelEvidence(tt));
    explainTraceAt(tt, { line: 0, character: Math.floor(rnd() * 80) });
  }
});

test('language detection: ftrace, event, xtables-monitor, nft trace, dmesg and sysctl captures are kernel-trace', () => {
  assert.equal(detectLanguage('x.txt', fixture('function-graph-fin-drop.trace')), 'kernel-trace');
  assert.equal(detectLanguage('x.txt', fixture('kprobes-mark-mt.trace')), 'kernel-trace');
  assert.equal(detectLanguage('x.txt', fixture('xtables-monitor-trace.txt')), 'kernel-trace');
  assert.equal(detectLanguage('x.txt', fixture('nft-monitor-trace.txt')), 'kernel-trace');
  assert.equal(detectLanguage('x.txt', fixture('conntrack-full.dmesg')), 'kernel-trace');
  assert.equal(detectLanguage('/sys/kernel/tracing/trace_pipe', ''), 'kernel-trace');
  assert.equal(detectLanguage('capture.trace', ''), 'kernel-trace');
  assert.equal(detectLanguage('restore.log', readFileSync(join(examplesDir, 'restore.log'), 'utf8')), 'criu-log');
});

test('links: the TRACE drop → the exact rule and the EPERM line; the EPERM line → the trace and conntrack as the other cause', () => {
  const read = (p: string) => readFileSync(p, 'utf8');
  const restore = join(examplesDir, 'restore.log');
  const dump = join(examplesDir, 'dump.log');
  const rules = join(examplesDir, 'iptables.rules');
  const trace = '/cap/xtables.trace';
  const dmesg = '/cap/conntrack.dmesg';
  const traceText = [
    'PACKET: 2 4566bd1a OUT=lo SRC=10.96.0.42 DST=192.168.10.21 LEN=40 TOS=0x0 TTL=64 ID=19473 DF SPORT=5432 DPORT=43512 ACK FIN MARK=0xc114 ',
    ' TRACE: 2 4566bd1a filter:KUBE-FIREWALL:rule:0x4:DROP  -4 -t filter -A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP',
    '            criu-46208   [001] ..s1.  8812.402118: criu_mark: (ipt_do_table+0x2f1/0x6e0 [ip_tables] <- mark_mt) retval=0x1',
  ].join('\n');
  const models = [
    { doc: restore, model: buildModel({ doc: restore, language: 'criu-log', text: read(restore) }) },
    { doc: dump, model: buildModel({ doc: dump, language: 'criu-log', text: read(dump) }) },
    { doc: rules, model: buildModel({ doc: rules, language: 'iptables-save', text: read(rules) }) },
    { doc: trace, model: buildModel({ doc: trace, language: 'kernel-trace', text: traceText }) },
    { doc: dmesg, model: buildModel({ doc: dmesg, language: 'kernel-trace', text: '[ 7001.118204] nf_conntrack: nf_conntrack: table full, dropping packet\n' }) },
  ];
  const a = analyseModels(models);
  const ruleLines = read(rules).split('\n');
  const drop = a.findings.find((f) => f.doc === trace && f.code === 'ktrace.rule-drop')!;
  const toRules = drop.related.filter((r) => r.doc === rules);
  assert.equal(toRules.length, 1, 'the exact rule, not every DROP of the chain');
  assert.equal(toRules[0].range.start.line, 75);
  assert.match(toRules[0].message, /the rule the kernel's TRACE names: filter\/KUBE-FIREWALL rule 1/);
  assert.ok(drop.related.some((r) => r.doc === restore && /EPERM/.test(r.message)));
  const onRule = a.findings.find((f) => f.code === 'link.kernel-trace-drop')!;
  assert.equal(onRule.doc, rules);
  assert.match(ruleLines[onRule.range.start.line], /^-A KUBE-FIREWALL .*0x8000\/0x8000 -j DROP/);

  const mark = a.findings.find((f) => f.doc === trace && f.code === 'ktrace.mark-match')!;
  const markRules = mark.related.filter((r) => r.doc === rules).map((r) => ruleLines[r.range.start.line]);
  assert.ok(markRules.length >= 2);
  assert.ok(markRules.every((l) => /-m mark/.test(l)), markRules.join('\n'));
  assert.ok(markRules.some((l) => /^-A KUBE-FIREWALL/.test(l)));
  assert.ok(!markRules.some((l) => /! --mark 0xc114/.test(l)), "CRIU's lock rules: mark_mt returns 0 there for its packet");
  assert.ok(!markRules.some((l) => /^-A INPUT/.test(l)), 'INPUT is not on the local-out path');

  const eperm = a.findings.find((f) => f.doc === restore && f.code === 'criu.soccr-fin-eperm')!;
  assert.ok(eperm.related.some((r) => r.doc === trace && /kernel trace shows the drop \(xtables\.trace:2\)/.test(r.message)));
  assert.ok(eperm.related.some((r) => r.doc === dmesg && /Other cause: the conntrack table was full/.test(r.message)));
  const full = a.findings.find((f) => f.doc === dmesg)!;
  assert.ok(full.related.some((r) => r.doc === restore && /other cause/.test(r.message)));

  const hover = evidenceHover(a.kernel.present);
  assert.match(hover, /rule-drop — xtables\.trace:2/);
  assert.match(hover, /conntrack-full — conntrack\.dmesg:1/);
  assert.match(hover, /Missing/);
  assert.match(hover, /events\/skb\/kfree_skb\/enable/, 'the kfree_skb capture is missing and its commands are given');
  assert.doesNotMatch(hover, /xtables-monitor --trace >/, 'present evidence is not asked for');
});

test('an xtables TRACE whose text matches no rule falls back to the DROP rules of that chain', () => {
  const rules = join(examplesDir, 'iptables.rules');
  const trace = '/cap/t.trace';
  const a = analyseModels([
    { doc: rules, model: buildModel({ doc: rules, language: 'iptables-save', text: readFileSync(rules, 'utf8') }) },
    { doc: trace, model: buildModel({ doc: trace, language: 'kernel-trace', text: ' TRACE: 2 1 filter:KUBE-FIREWALL:rule:0x9:DROP  -4 -t filter -A KUBE-FIREWALL -j DROP\n' }) },
  ]);
  const drop = a.findings.find((f) => f.code === 'ktrace.rule-drop')!;
  assert.deepEqual(drop.related.filter((r) => r.doc === rules).map((r) => r.range.start.line), [75, 76]);
  assert.ok(!a.findings.some((f) => f.code === 'link.kernel-trace-drop'));
});

test('the document parse equals the line-by-line parse, with LF, CRLF or CR line ends', () => {
  const text = ['function-graph-fin-drop.trace', 'kprobes-mark-mt.trace', 'xtables-monitor-trace.txt', 'nft-monitor-trace.txt', 'conntrack-full.dmesg'].map(fixture).join('') + 'free text at the end';
  const lines = text.split('\n');
  const byLine = lines.map((l) => parseTraceLine(l));
  for (const eol of ['\n', '\r\n', '\r']) {
    const t = parseKernelTrace(lines.join(eol) + eol);
    assert.equal(t.lines.length, lines.length, JSON.stringify(eol));
    assert.deepEqual(t.lines, byLine, JSON.stringify(eol));
  }
  assert.equal(parseKernelTrace('').lines.length, 1);
});

test('iptables-legacy TRACE in the kernel log: the rule by its position, linked to that rule and, as it drops, to the EPERM line', () => {
  // Written from ip_tables.c trace_packet() and the nf_log IPv4 fields (legacy TRACE logs to dmesg).
  const dmesg = [
    '[ 8812.402113] TRACE: raw:OUTPUT:policy:2 IN= OUT=lo SRC=10.96.0.42 DST=192.168.10.21 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=19473 DF PROTO=TCP SPT=5432 DPT=43512 SEQ=4096 ACK=8192 WINDOW=65535 RES=0x00 ACK FIN URGP=0 MARK=0xc114 ',
    '[ 8812.402130] TRACE: filter:OUTPUT:rule:3 IN= OUT=lo SRC=10.96.0.42 DST=192.168.10.21 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=19473 DF PROTO=TCP SPT=5432 DPT=43512 SEQ=4096 ACK=8192 WINDOW=65535 RES=0x00 ACK FIN URGP=0 MARK=0xc114 ',
    '[ 8812.402141] TRACE: filter:KUBE-FIREWALL:rule:1 IN= OUT=lo SRC=10.96.0.42 DST=192.168.10.21 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=19473 DF PROTO=TCP SPT=5432 DPT=43512 SEQ=4096 ACK=8192 WINDOW=65535 RES=0x00 ACK FIN URGP=0 MARK=0xc114 ',
  ].join('\n');
  const t = parseKernelTrace(dmesg);
  const ev = of(kernelEvidence(t), 'rule-trace');
  assert.deepEqual(ev.map((e) => [e.table, e.chain, e.what, e.number, e.mark]), [['raw', 'OUTPUT', 'policy', 2, 0xc114], ['filter', 'OUTPUT', 'rule', 3, 0xc114], ['filter', 'KUBE-FIREWALL', 'rule', 1, 0xc114]]);
  assert.equal(t.texts[2].slice(ev[2].range.start.character, ev[2].range.end.character), 'filter:KUBE-FIREWALL:rule:1');
  const restore = join(examplesDir, 'restore.log');
  const rules = join(examplesDir, 'iptables.rules');
  const a = analyseModels([
    { doc: restore, model: buildModel({ doc: restore, language: 'criu-log', text: readFileSync(restore, 'utf8') }) },
    { doc: rules, model: buildModel({ doc: rules, language: 'iptables-save', text: readFileSync(rules, 'utf8') }) },
    { doc: '/cap/dmesg', model: buildModel({ doc: '/cap/dmesg', language: 'kernel-trace', text: dmesg }) },
  ]);
  const ruleLines = readFileSync(rules, 'utf8').split('\n');
  const onJump = a.findings.find((f) => f.doc === '/cap/dmesg' && f.range.start.line === 1)!;
  assert.match(ruleLines[onJump.related.find((r) => r.doc === rules)!.range.start.line], /^-A OUTPUT -j KUBE-FIREWALL/);
  const drops = a.findings.filter((f) => f.code === 'link.kernel-trace-drop');
  assert.deepEqual(drops.map((f) => f.range.start.line), [75], 'only the DROP rule is called a drop');
  const eperm = a.findings.find((f) => f.doc === restore && f.code === 'criu.soccr-fin-eperm')!;
  assert.ok(eperm.related.some((r) => r.doc === '/cap/dmesg' && r.range.start.line === 2));
  assert.doesNotMatch(evidenceHover(a.kernel.present), /xtables-monitor --trace >/, 'the legacy TRACE counts as the TRACE capture');
});

test('dmesg captures (legacy TRACE lines, kernel messages) are kernel-trace', () => {
  assert.equal(detectLanguage('log.txt', '[ 8812.402130] TRACE: filter:OUTPUT:rule:3 IN= OUT=lo MARK=0xc114\n[ 8812.402141] eth0: link up\n'), 'kernel-trace');
});

test('a netfilter drop without a failed restore to evaluate points at the DROP rules on the local-out path of the traced table', () => {
  const rules = join(examplesDir, 'iptables.rules');
  const trace = '/cap/fg.trace';
  const a = analyseModels([
    { doc: rules, model: buildModel({ doc: rules, language: 'iptables-save', text: readFileSync(rules, 'utf8') }) },
    { doc: trace, model: buildModel({ doc: trace, language: 'kernel-trace', text: fixture('function-graph-fin-drop.trace') }) },
  ]);
  const ruleLines = readFileSync(rules, 'utf8').split('\n');
  const drop = a.findings.find((f) => f.code === 'ktrace.netfilter-drop')!;
  const candidates = drop.related.filter((r) => r.doc === rules).map((r) => ruleLines[r.range.start.line]);
  assert.ok(candidates.length >= 2, candidates.join('\n'));
  assert.ok(candidates.every((l) => /-j DROP$/.test(l)), candidates.join('\n'));
  assert.ok(candidates.some((l) => /^-A KUBE-FIREWALL .*0x8000\/0x8000 -j DROP$/.test(l)));
  assert.ok(!candidates.some((l) => /^-A (INPUT|FORWARD|KUBE-FORWARD) /.test(l)), 'not the input or forward path');
  assert.ok(!candidates.some((l) => /! --mark 0xc114/.test(l)), "CRIU's own lock rule is never blamed");
});

test('kfree_skb with the stacktrace option: the frames name the hook (nf_hook_slow\'s caller) and the table', () => {
  // Written from the documented trace output with `options/stacktrace` set: an event, then `<stack trace>` and ` => ` frames.
  const t = parseKernelTrace([
    '            criu-46208   [001] ..s1.  8812.402121: kfree_skb: skbaddr=00000000a1b2c3d4 rx_sk=0000000000000000 protocol=2048 location=nf_hook_slow+0x9c/0x100 reason: NETFILTER_DROP',
    '            criu-46208   [001] ..s1.  8812.402123: <stack trace>',
    ' => kfree_skb_reason',
    ' => nf_hook_slow',
    ' => __ip_local_out',
    ' => ip_local_out',
    ' => raw_send_hdrinc',
    ' => raw_sendmsg',
    ' => __sys_sendto',
    ' => do_syscall_64',
  ].join('\n'));
  assert.deepEqual(t.lines.map((l) => l.kind), ['event', 'event', 'stack', 'stack', 'stack', 'stack', 'stack', 'stack', 'stack', 'stack']);
  const drop = of(kernelEvidence(t), 'netfilter-drop')[0];
  assert.equal(drop.hook, 'LOCAL_OUT (OUTPUT)');
  assert.deepEqual(drop.path, ['raw_sendmsg', 'raw_send_hdrinc', 'ip_local_out', '__ip_local_out', 'nf_hook_slow', 'kfree_skb_reason']);
  assert.ok(!kernelTraceFindings('t', t).some((f) => f.code === 'ktrace.unrecognised-line'));
  assert.match(explainTraceAt(t, { line: 3, character: 6 })!.markdown, /`nf_hook_slow`/);
});

test('a real kfree_skb stack (iptables-nft): nf_hook_slow called from raw_sendmsg is LOCAL_OUT, in an nftables chain of family ip', () => {
  const t = parseKernelTrace(fixture('kfree-skb-stacktrace.trace'));
  const drop = of(kernelEvidence(t), 'netfilter-drop')[0];
  assert.deepEqual([drop.hook, drop.nftFamily, drop.location], ['LOCAL_OUT (OUTPUT)', 'ip', 'nft_do_chain']);
  assert.deepEqual(drop.path, ['raw_sendmsg', 'nf_hook_slow', 'nft_do_chain_ipv4', 'nft_do_chain', 'sk_skb_reason_drop']);
  assert.match(kernelTraceFindings('t', t).find((f) => f.code === 'ktrace.netfilter-drop')!.message, /in hook LOCAL_OUT \(OUTPUT\), an nftables base chain of family ip/);
});
