import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DocumentModels, EDIT_CACHE_MAX_LINES } from '../../server/src/documentModels';
import { splitLines } from '../../server/src/core/text';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyseCriuLog } from '../../server/src/criu/analyse';
import { criuLogFindings } from '../../server/src/criu/findings';
import { examplesDir } from '../support/paths';
import { collectGarbage } from '../../server/src/memory';
import { linesOf } from '../support/criuLines';

const rule = (i: number) => `-A INPUT -s 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 -p tcp --dport ${1 + (i % 60000)} -j DROP`;
const dump = (rules: number, edit = -1) =>
  ['*filter', ':INPUT ACCEPT [0:0]', ...Array.from({ length: rules }, (_, i) => (i === edit ? `${rule(i)} -m comment --comment edited` : rule(i))), 'COMMIT', ''].join('\n');
const rulesOf = (m: ReturnType<DocumentModels['get']>) => (m.language === 'iptables-save' ? m.ruleset.tables[0].chains.get('INPUT')!.rules.map((r) => r.matches.map((x) => x.module).join(',')) : []);

test('a ruleset keeps the parsed lines of its current version only: edited-away lines go', () => {
  const models = new DocumentModels();
  const v1 = dump(200);
  const m1 = models.get('u', 'iptables-save', 1, () => v1);
  assert.equal(models.cachedLines('u'), new Set(splitLines(v1)).size);
  assert.equal(models.get('u', 'iptables-save', 1, () => { throw new Error('same version: no parse'); }), m1);
  for (let v = 2; v <= 6; v++) {
    const text = dump(200, v * 10);
    const m = models.get('u', 'iptables-save', v, () => text);
    assert.equal(models.cachedLines('u'), new Set(splitLines(text)).size, `version ${v}: the cache holds this version's lines, not the edited-away ones`);
    assert.deepEqual(rulesOf(m)[v * 10], 'tcp,comment', 'the edited line was parsed again');
  }
});

test(`a ruleset over ${EDIT_CACHE_MAX_LINES} lines keeps no parsed lines between edits, and parses the same`, () => {
  const models = new DocumentModels();
  const text = dump(EDIT_CACHE_MAX_LINES + 10, 7);
  const m = models.get('big', 'iptables-save', 1, () => text);
  assert.equal(models.cachedLines('big'), 0);
  const rules = rulesOf(m);
  assert.equal(rules.length, EDIT_CACHE_MAX_LINES + 10);
  assert.equal(rules[7], 'tcp,comment');
});

test('a CRIU log keeps the line starts it learned across edits, and reads each version as a fresh parse would', () => {
  const models = new DocumentModels();
  const log = readFileSync(join(examplesDir, 'restore.log'), 'utf8');
  const versions = [log, `(00.000001) a new first line\n${log}`, log.replace('Restoring FAILED.', 'Restore finished successfully'), log.split('\n').slice(0, 300).join('\n')];
  versions.forEach((text, i) => {
    const model = models.get('log', 'criu-log', i + 1, () => text);
    assert.equal(model.language, 'criu-log');
    if (model.language !== 'criu-log') return;
    const fresh = analyseCriuLog(text);
    assert.deepEqual(JSON.parse(JSON.stringify(criuLogFindings('log', model.criu))), JSON.parse(JSON.stringify(criuLogFindings('log', fresh))), `version ${i + 1}`);
    assert.deepEqual(linesOf(model.criu.log).map((l) => l.shape), linesOf(fresh.log).map((l) => l.shape), `version ${i + 1}: line shapes`);
  });
});

test('a new version is parsed after the previous model is let go: two versions of a big document are never both held', async () => {
  const models = new DocumentModels();
  const log = readFileSync(join(examplesDir, 'restore.log'), 'utf8');
  const rules = dump(300);
  for (const [uri, language, v1, v2] of [['log', 'criu-log', log, `${log}(01.000000) one more line\n`], ['rules', 'iptables-save', rules, dump(300, 5)]] as const) {
    let first: WeakRef<object> | undefined = new WeakRef(models.get(uri, language, 1, () => v1));
    // A WeakRef holds its target until the job that made it ends.
    await new Promise((resolve) => setImmediate(resolve));
    let releasedBeforeParse = false;
    const second = models.get(uri, language, 2, () => {
      assert.ok(collectGarbage(), 'this Node can collect on demand');
      releasedBeforeParse = first?.deref() === undefined;
      return v2;
    });
    first = undefined;
    assert.ok(releasedBeforeParse, `${language}: the version 1 model was collectable when version 2 was read`);
    assert.equal(models.get(uri, language, 2, () => { throw new Error('same version: no parse'); }), second);
    assert.ok(models.parsed(uri));
    models.delete(uri);
    assert.ok(!models.parsed(uri), 'closed: its next parse is a first one again');
  }
});
