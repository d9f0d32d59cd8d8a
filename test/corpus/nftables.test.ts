import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseNftables } from '../../server/src/netfilter/nftables/build';
import { rulesOf } from '../../server/src/netfilter/nftables/query';
import { detectLanguage } from '../../server/src/core/language';
import { corpusAvailable, corpusDir, corpusMissingReason, filesUnder } from '../support/paths';

const rulesets = filesUnder(corpusDir, /(nftables\/.*\.nft|criu-real\/[^/]+\/(snapshots\/)?[^/]*nft-ruleset[^/]*\.txt)$/);

test('every real nft ruleset parses with no false error, and is detected as nftables', { skip: !corpusAvailable && corpusMissingReason }, () => {
  assert.ok(rulesets.length >= 13 + 30, `found ${rulesets.length} rulesets`);
  let rules = 0;
  let nonEmpty = 0;
  for (const file of rulesets) {
    const text = readFileSync(file, 'utf8');
    const r = parseNftables(text);
    const errors = r.problems.filter((p) => p.severity === 'error');
    assert.deepEqual(errors.map((e) => `${basename(file)}:${e.range.start.line + 1}:${e.range.start.character + 1}: ${e.message}`), [], file);
    if (text.trim()) {
      nonEmpty++;
      assert.equal(detectLanguage(file, text), 'nftables', file);
      // Every `table … {` line of the file is a table of the model, every `chain … {` a chain.
      assert.equal(r.tables.length, (text.match(/^table /gm) ?? []).length, file);
      assert.equal(r.tables.reduce((n, t) => n + t.chains.size, 0), (text.match(/^\s*chain \S+ \{/gm) ?? []).length, file);
    }
    for (const t of r.tables) for (const c of t.chains.values()) rules += [...rulesOf(c)].length;
  }
  assert.ok(nonEmpty >= 13, `non-empty rulesets: ${nonEmpty}`);
  assert.ok(rules >= 200, `rules parsed: ${rules}`);
});

test('rule counts agree with the rule lines of nft list ruleset output', { skip: !corpusAvailable && corpusMissingReason }, () => {
  for (const file of rulesets) {
    const text = readFileSync(file, 'utf8');
    if (/^\s*(add|define|include)\b/m.test(text)) continue;
    // In list output a rule is a line inside a chain that is not the chain's type/policy/comment,
    // a closing brace, or part of a binding; count the lines of top-level chain bodies.
    let depth = 0;
    let inChain = false;
    let expected = 0;
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.replace(/#.*/, '').trim();
      if (!line) continue;
      if (depth === 1 && /^chain \S+ \{$/.test(line)) inChain = true;
      else if (inChain && depth === 2 && !/^(type |policy |comment "|\})/.test(line)) expected++;
      depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
      if (depth < 2) inChain = false;
    }
    const r = parseNftables(text);
    let rules = 0;
    for (const t of r.tables) for (const c of t.chains.values()) rules += c.rules.length;
    assert.equal(rules, expected, basename(file));
  }
});
