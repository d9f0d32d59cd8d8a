import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitLines } from '../../server/src/core/text';
import { FRESH_PARSER_FROM, parseDumpLine, parseDumpLines, type DumpLine } from '../../server/src/netfilter/iptables/lineGrammar';
import type { IptablesRuleset, OptionUse, Rule } from '../../server/src/netfilter/iptables/model';
import { ruleOptions } from '../../server/src/netfilter/iptables/rule';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';
import { examplesDir } from '../support/paths';

const example = readFileSync(join(examplesDir, 'iptables.rules'), 'utf8');

/** Lines that exercise the argument splitter: quotes, escapes, tabs, counters, junk, blanks. */
const odd = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':X - [1:2] trailing',
  '-A INPUT -m comment --comment "a \\"quoted\\" word" -j ACCEPT',
  '-A INPUT -m comment --comment ab"cd ef"gh -j X',
  '\t-A  INPUT\t-s 10.0.0.0/8   -j DROP  ',
  '[3:4] -A INPUT -p tcp --dport=22 -j ACCEPT',
  '[bad] -A INPUT -j ACCEPT',
  '',
  '   ',
  'not a dump line',
  '-A INPUT -m comment --comment "unterminated',
  'COMMIT',
];

test('a document read in one grammar call gives each line the node the per-line rule gives it', () => {
  for (const text of [example, odd.join('\n'), odd.join('\r\n') + '\r\n', odd.join('\r'), '', '\n', 'COMMIT']) {
    const lines = splitLines(text);
    const nodes: DumpLine[] = [];
    const texts: string[] = [];
    parseDumpLines(text, (node, start, end) => {
      nodes.push(node);
      texts.push(text.slice(start, end));
    });
    assert.deepEqual(texts, lines);
    assert.deepEqual(nodes, lines.map((l) => parseDumpLine(l)));
  }
});

test('a document big enough for a parser instance of its own reads as the shared parser reads each line', () => {
  const block = [...splitLines(example), ...odd].join('\n') + '\n';
  const text = block.repeat(Math.ceil(FRESH_PARSER_FROM / block.length));
  assert.ok(text.length >= FRESH_PARSER_FROM);
  const perLine = new Map<string, DumpLine>();
  let lines = 0;
  let differ = 0;
  parseDumpLines(text, (node, start, end) => {
    lines++;
    const line = text.slice(start, end);
    let expected = perLine.get(line);
    if (!expected) perLine.set(line, (expected = parseDumpLine(line)));
    try {
      assert.deepEqual(node, expected);
    } catch {
      differ++;
    }
  });
  assert.equal(lines, splitLines(text).length);
  assert.equal(differ, 0, `${differ} of ${lines} lines read differently`);
});

/** Everything a consumer reads of a ruleset, with ranges and lazily read options spelled out. */
function snapshot(r: IptablesRuleset): unknown {
  const range = (x: { start: { line: number; character: number }; end: { line: number; character: number } } | undefined) => x && [x.start.line, x.start.character, x.end.line, x.end.character];
  const option = (o: OptionUse) => ({ name: o.name, written: o.written, negated: o.negated, args: o.args.map((a) => [a.text, a.quoted, range(a.range)]), values: o.values, range: range(o.range) });
  const rule = (x: Rule) => ({
    chain: x.chain, index: x.index, line: x.line, range: range(x.range), chainRange: range(x.chainRange), protocol: x.protocol,
    basic: x.basic.map(option),
    matches: x.matches.map((m) => ({ module: m.module, nameRange: range(m.nameRange), range: range(m.range), options: m.options.map(option) })),
    target: x.target && { name: x.target.name, kind: x.target.kind, goto: x.target.goto, nameRange: range(x.target.nameRange), range: range(x.target.range), options: x.target.options.map(option) },
  });
  return {
    problems: r.problems.map((p) => [p.code, p.severity, range(p.range), p.message]),
    references: r.references.map((x) => [x.chain, x.rule.line, range(x.range)]),
    tables: r.tables.map((t) => [...t.chains.values()].map((c) => ({ name: c.name, declaration: c.declaration && range(c.declaration.nameRange), counters: c.counters && range(c.counters.range), rules: c.rules.map(rule) }))),
  };
}

test('with a line cache (edits) the ruleset is the one a whole-document read gives', () => {
  for (const text of [example, odd.join('\n')]) {
    const cache = new Map<string, DumpLine>();
    const first = parseIptablesSave(text, { cache });
    assert.ok(cache.size > 0, 'the first read fills the cache');
    const again = parseIptablesSave(text, { cache });
    assert.deepEqual(snapshot(again), snapshot(first));
    assert.deepEqual(snapshot(parseIptablesSave(text)), snapshot(first));
  }
});

test("a rule reads its options from its line when first asked, and keeps them; ruleOptions() does not keep them", () => {
  const r = parseIptablesSave(example);
  const rules = r.tables.flatMap((t) => [...t.chains.values()]).flatMap((c) => c.rules);
  const [rule, other] = [rules[0], rules[rules.length - 1]];
  assert.equal(rule.matches, rule.matches, 'kept');
  assert.equal(rule.target?.options, rule.target?.options, 'the target reads the same kept options');
  assert.notEqual(ruleOptions(other).matches, ruleOptions(other).matches, 'read again each time');
  assert.deepEqual(ruleOptions(other).matches.map((m) => m.module), other.matches.map((m) => m.module));
  assert.equal(ruleOptions(other).matches, other.matches, 'once kept, the kept options');
});
