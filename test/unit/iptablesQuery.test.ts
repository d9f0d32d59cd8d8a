import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explain } from '../../server/src/netfilter/iptables/explain';
import { nodeAt, referenceCount, referencesTo } from '../../server/src/netfilter/iptables/query';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';

/** A chain X jumped to from 25 rules of OUTPUT (and one goto), a chain Y nobody jumps to. */
function dump(): string {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':X - [0:0]', ':Y - [0:0]'];
  for (let i = 0; i < 24; i++) lines.push(`-A OUTPUT -p tcp --dport ${1000 + i} -j X`);
  lines.push('-A INPUT -g X', '-A X -j RETURN', 'COMMIT', '*filter', ':X - [0:0]', '-A OUTPUT -j X', 'COMMIT');
  return lines.join('\n') + '\n';
}

test('references of a chain: counted, listed in chain then rule order up to a limit, ranges on the target name, per table section', () => {
  const text = dump();
  const lines = text.split('\n');
  const ruleset = parseIptablesSave(text);
  const [first, second] = ruleset.tables;
  assert.equal(referenceCount(ruleset, first, 'X'), 25);
  assert.equal(referenceCount(ruleset, first, 'Y'), 0);
  assert.equal(referenceCount(ruleset, second, 'X'), 1, 'the second *filter section has its own X');
  const all = referencesTo(ruleset, first, 'X');
  // The table's chains in their order (INPUT, FORWARD, OUTPUT, ...), each chain's rules in theirs.
  assert.deepEqual(all.map((r) => r.rule.line), [first.chains.get('INPUT')!.rules[0].line, ...first.chains.get('OUTPUT')!.rules.map((r) => r.line)]);
  for (const r of all) {
    assert.equal(r.chain, 'X');
    assert.equal(r.table, 'filter');
    const { start, end } = r.range;
    assert.equal(lines[start.line].slice(start.character, end.character), 'X');
  }
  assert.deepEqual(referencesTo(ruleset, first, 'X', 20).map((r) => r.rule.line), all.slice(0, 20).map((r) => r.rule.line));
  assert.deepEqual(referencesTo(ruleset, first, 'Y'), []);
  assert.deepEqual(referencesTo(ruleset, first, 'NOPE'), []);
});

test('a chain\'s hover lists twenty of its jumps and counts the rest', () => {
  const text = dump();
  const ruleset = parseIptablesSave(text);
  const line = text.split('\n').indexOf(':X - [0:0]');
  const node = nodeAt(ruleset, { line, character: 1 });
  assert.equal(node?.kind, 'chain');
  const hover = explain(ruleset, node!);
  assert.match(hover, /^- INPUT rule 1 \(line \d+\), goto$/m);
  assert.equal(hover.match(/^- OUTPUT rule \d+ \(line \d+\)$/gm)?.length, 19);
  assert.match(hover, /^- OUTPUT rule 19 /m);
  assert.doesNotMatch(hover, /^- OUTPUT rule 20 /m, 'past the twenty');
  assert.match(hover, /^- … 5 more$/m);
});
