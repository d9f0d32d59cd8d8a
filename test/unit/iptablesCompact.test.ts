/**
 * The compact model (rule.ts, chain.ts, spans.ts): rules ask their chain for its table and name,
 * chains and rules keep columns packed and make ranges, declarations and counters when asked.
 * These check that what they make is what the dump says, including the cases that leave the
 * packed form: long lines, a built-in chain declared twice, many protocols.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Range } from '../../server/src/core/text';
import type { Chain, IptablesRuleset } from '../../server/src/netfilter/iptables/model';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';

const at = (r: Range | undefined) => r && [r.start.line, r.start.character, r.end.line, r.end.character];
const chainOf = (rs: IptablesRuleset, name: string, table = 'filter'): Chain => rs.tables.find((t) => t.name === table)!.chains.get(name)!;

test('a renamed chain (-E) is found by its new name and its rules, old and new, report it', () => {
  const rs = parseIptablesSave(['*filter', ':OUTPUT ACCEPT [0:0]', '-N OLD', '-A OLD -j ACCEPT', '-E OLD NEW', '-A NEW -j DROP', '-A OUTPUT -j NEW', 'COMMIT', ''].join('\n'));
  const filter = rs.tables[0];
  assert.equal(filter.chains.get('OLD'), undefined);
  const chain = filter.chains.get('NEW')!;
  assert.equal(chain.name, 'NEW');
  assert.deepEqual(chain.rules.map((r) => [r.table, r.chain, r.index, r.line]), [['filter', 'NEW', 1, 3], ['filter', 'NEW', 2, 5]]);
  assert.deepEqual(at(chain.declaration?.nameRange), [2, 3, 2, 6], 'declared by -N OLD, on its line');
  assert.deepEqual(rs.references.map((r) => [r.chain, r.rule.chain, r.rule.line]), [['NEW', 'OUTPUT', 6]]);
  assert.deepEqual(rs.problems.map((p) => [p.code, p.range.start.line, p.message]), [['iptables.unreachable-rule', 5, 'Rule 2 of NEW can never match: rule 1 (line 4) matches every packet it matches and ends the chain with ACCEPT']]);
});

test("a chain's declaration and counters give the ranges of their line; zero and other counters alike", () => {
  const lines = ['*filter', ':INPUT DROP [12:3456]', ':KUBE-SVC-ABC - [0:0]', '-A INPUT -j KUBE-SVC-ABC', '-A KUBE-SVC-ABC -j ACCEPT', 'COMMIT'];
  const rs = parseIptablesSave(lines.join('\n'));
  const input = chainOf(rs, 'INPUT');
  assert.equal(input.declaration?.line, 1);
  assert.deepEqual(at(input.declaration?.range), [1, 0, 1, lines[1].length]);
  assert.deepEqual(at(input.declaration?.nameRange), [1, 1, 1, 6]);
  assert.deepEqual([input.counters?.packets, input.counters?.bytes, at(input.counters?.range)], [12n, 3456n, [1, 12, 1, 21]]);
  const svc = chainOf(rs, 'KUBE-SVC-ABC');
  assert.deepEqual([svc.policy, svc.builtin], [undefined, false]);
  assert.deepEqual(at(svc.declaration?.nameRange), [2, 1, 2, 13]);
  assert.deepEqual([svc.counters?.packets, svc.counters?.bytes, at(svc.counters?.range)], [0n, 0n, [2, 16, 2, 21]]);
  assert.equal(chainOf(rs, 'OUTPUT').declaration, undefined, 'a built-in chain never declared');
  assert.equal(chainOf(rs, 'OUTPUT').counters, undefined);
  assert.equal(chainOf(rs, 'OUTPUT').policy, 'ACCEPT');
});

test('a built-in chain declared again without counters keeps the counters of its first line', () => {
  const rs = parseIptablesSave(['*filter', ':INPUT ACCEPT [0:0]', ':INPUT DROP', 'COMMIT'].join('\n'));
  const input = chainOf(rs, 'INPUT');
  assert.deepEqual(rs.problems.map((p) => p.code), ['iptables.duplicate-chain']);
  assert.equal(input.declaration?.line, 2);
  assert.equal(input.policy, 'DROP');
  assert.deepEqual([input.counters?.packets, at(input.counters?.range)], [0n, [1, 14, 1, 19]]);
});

test('long lines (past what a rule or a declaration packs) have their exact ranges', () => {
  for (const size of [100, 1000, 2000, 40000]) {
    const comment = 'x'.repeat(size);
    const rule = `-A KUBE-LONG -m comment --comment "${comment}" -j DROP`;
    const decl = `:KUBE-LONG${' '.repeat(size)}- [0:0]`;
    const rs = parseIptablesSave(['*filter', decl, rule, 'COMMIT'].join('\n'));
    const chain = chainOf(rs, 'KUBE-LONG');
    const r = chain.rules[0];
    assert.deepEqual(at(r.range), [2, 0, 2, rule.length], `${size}`);
    assert.deepEqual(at(r.chainRange), [2, 3, 2, 12]);
    assert.deepEqual(at(r.target?.nameRange), [2, rule.length - 4, 2, rule.length]);
    assert.equal(r.matches[0].options[0].args[0].text, comment);
    assert.deepEqual(at(chain.declaration?.range), [1, 0, 1, decl.length]);
    assert.deepEqual(at(chain.declaration?.nameRange), [1, 1, 1, 10]);
    assert.deepEqual(at(chain.counters?.range), [1, decl.length - 5, 1, decl.length]);
  }
});

test('rules keep their command, target, goto, counters and protocol; protocols are shared', () => {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':X - [0:0]', '[5:6] -A INPUT -p tcp -j X', '-A INPUT ! -p udp -g X', '-I INPUT 1 -p tcp -j REJECT --reject-with tcp-reset', '-R INPUT 3 -p 6 -j ACCEPT', '-A X', 'COMMIT'];
  const rs = parseIptablesSave(lines.join('\n'));
  const input = chainOf(rs, 'INPUT');
  const summary = input.rules.map((r) => [r.index, r.line, r.command, r.target?.name, r.target?.kind, r.target?.goto, r.protocol, r.counters && [r.counters.packets, r.counters.bytes, at(r.counters.range)]]);
  assert.deepEqual(summary, [
    [1, 5, 'I', 'REJECT', 'extension', false, { name: 'tcp', negated: false }, undefined],
    [2, 3, 'A', 'X', 'chain', false, { name: 'tcp', negated: false }, [5n, 6n, [3, 0, 3, 5]]],
    [3, 6, 'R', 'ACCEPT', 'verdict', false, { name: '6', negated: false }, undefined],
  ]);
  assert.equal(input.rules[0].protocol, input.rules[1].protocol, 'one object for tcp');
  assert.equal(input.rules[0].target?.spec?.name, 'REJECT');
  assert.deepEqual(input.rules[0].target?.options.map((o) => o.name), ['reject-with']);
  const x = chainOf(rs, 'X');
  assert.deepEqual(x.rules.map((r) => [r.line, r.target]), [[7, undefined]]);
});

test('-A lines of several chains, interleaved with -I, -D and -F, give the chains the rules iptables-restore would', () => {
  const lines = ['*filter', ':A - [0:0]', ':B - [0:0]', '-A A -j RETURN', '-A A -s 1.1.1.1 -j RETURN', '-A B -j RETURN', '-A A -s 2.2.2.2 -j RETURN', '-I A 2 -s 3.3.3.3 -j RETURN', '-A A -s 4.4.4.4 -j RETURN', '-D A 1', '-A B -s 5.5.5.5 -j RETURN', '-F B', '-A B -s 6.6.6.6 -j RETURN', 'COMMIT'];
  const rs = parseIptablesSave(lines.join('\n'));
  assert.deepEqual(chainOf(rs, 'A').rules.map((r) => [r.index, r.line]), [[1, 7], [2, 4], [3, 6], [4, 8]]);
  assert.deepEqual(chainOf(rs, 'B').rules.map((r) => [r.index, r.line]), [[1, 12]]);
});

test('many protocols (more than a rule packs the number of): each rule still reports its own', () => {
  const protocols = Array.from({ length: 300 }, (_, i) => ({ name: String(i % 200), negated: i >= 200 }));
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ...protocols.map((p) => `-A INPUT ${p.negated ? '! ' : ''}-p ${p.name} -j ACCEPT`), 'COMMIT'];
  const rs = parseIptablesSave(lines.join('\n'));
  assert.deepEqual(chainOf(rs, 'INPUT').rules.map((r) => r.protocol), protocols);
});
