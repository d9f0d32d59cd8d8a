// Token tests for syntaxes/kernel-trace.tmLanguage.json, on lines of the fixtures (real captures and
// hand-written ones from the documented formats).
import { test } from 'node:test';
import { expectLine } from './tokenize';

const KT = 'source.kernel-trace';
const line = (text: string, expected: readonly (readonly [string, string, number?])[]) => expectLine(KT, text, expected);

test('function_graph: CPU, duration marker, function, module, return value, event comment', async () => {
  await line(' 1) + 10.982 us   |            } /* ipt_do_table [ip_tables] = 0x0 */', [
    ['1', 'constant.numeric.cpu.kernel-trace'],
    ['+', 'keyword.operator.duration-marker.kernel-trace'],
    ['10.982', 'constant.numeric.duration.kernel-trace'],
    ['}', 'punctuation.section.block.kernel-trace'],
  ]);
  await line(' 1)   0.231 us    |              mark_mt [xt_mark](); /* = 0x1 */', [
    ['mark_mt', 'entity.name.function.kernel-trace'],
    ['[xt_mark]', 'entity.name.namespace.module.kernel-trace'],
    ['0x1', 'constant.numeric.retval.kernel-trace'],
  ]);
  await line(' 1)               |            /* kfree_skb: skbaddr=00000000a1b2c3d4 reason: NETFILTER_DROP */', [['kfree_skb', 'comment.block.event.kernel-trace']]);
  await line('# tracer: function_graph', [['function_graph', 'entity.name.type.tracer.kernel-trace']]);
});

test('trace events and kretprobes: task, pid, CPU, timestamp, event, probe site, retval, drop reason', async () => {
  await line('            criu-46208   [001] ..s1.  8812.402118: criu_mark: (ipt_do_table+0x2f1/0x6e0 [ip_tables] <- mark_mt) retval=0x1', [
    ['criu', 'entity.name.task.kernel-trace'],
    ['46208', 'constant.numeric.pid.kernel-trace'],
    ['8812.402118', 'constant.numeric.timestamp.kernel-trace'],
    ['criu_mark', 'entity.name.function.event.kernel-trace'],
    ['mark_mt', 'entity.name.function.kernel-trace'],
    ['0x1', 'constant.numeric.retval.kernel-trace'],
  ]);
  await line('         python3-27082   [000] .....  9128.622064: kfree_skb: skbaddr=00000000dfc025a1 protocol=2048 location=nft_do_chain+0x3e8/0x610 reason: NETFILTER_DROP', [
    ['NETFILTER_DROP', 'constant.language.drop-reason.kernel-trace'],
  ]);
});

test('xtables-monitor and nft monitor trace: table, chain, handle, verdict', async () => {
  await line(' TRACE: 2 59e2a019 filter:KUBE-FIREWALL:rule:0x6:DROP  -4 -t filter -A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP', [
    ['filter', 'entity.name.section.table.kernel-trace'],
    ['KUBE-FIREWALL', 'entity.name.function.chain.kernel-trace'],
    ['0x6', 'constant.numeric.handle.kernel-trace'],
    ['DROP', 'keyword.control.verdict.kernel-trace'],
  ]);
  await line('PACKET: 2 59e2a019 OUT=lo SRC=10.1.0.1 DST=127.0.0.1 MARK=0xc114 ', [['0xc114', 'constant.numeric.hex.mark.kernel-trace']]);
  await line('trace id 3f2580e5 inet fw output rule meta mark & 0x00008000 == 0x00008000 counter drop (verdict drop)', [
    ['fw', 'entity.name.section.table.kernel-trace'],
    ['output', 'entity.name.function.chain.kernel-trace'],
    ['drop', 'keyword.control.verdict.kernel-trace'],
  ]);
});

test('dmesg and sysctl: the conntrack-full message stands out', async () => {
  await line('[ 7001.118204] nf_conntrack: nf_conntrack: table full, dropping packet', [['table full', 'invalid.illegal.conntrack-full.kernel-trace']]);
  await line('net.netfilter.nf_conntrack_count = 262144', [['net.netfilter.nf_conntrack_count', 'variable.other.sysctl.kernel-trace'], ['262144', 'constant.numeric.value.kernel-trace']]);
});

test('iptables-legacy TRACE in dmesg: table, chain, rule number, mark', async () => {
  await line('[ 8812.402141] TRACE: filter:KUBE-FIREWALL:rule:1 IN= OUT=lo SRC=10.96.0.42 DST=192.168.10.21 LEN=40 MARK=0xc114 ', [
    ['8812.402141', 'constant.numeric.timestamp.kernel-trace'],
    ['filter', 'entity.name.section.table.kernel-trace'],
    ['KUBE-FIREWALL', 'entity.name.function.chain.kernel-trace'],
    ['1', 'constant.numeric.rule-number.kernel-trace', 4],
    ['0xc114', 'constant.numeric.hex.mark.kernel-trace'],
  ]);
});
