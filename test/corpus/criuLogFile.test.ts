import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyseModels, buildModel, type DocumentModel } from '../../server/src/analysis';
import { detectLanguage } from '../../server/src/core/language';
import { analyseCriuLog } from '../../server/src/criu/analyse';
import { criuLogFindings } from '../../server/src/criu/findings';
import { analyseCriuLogFile } from '../../server/src/criu/logFile';
import { corpusAvailable, corpusDir, corpusMissingReason, examplesDir, filesUnder } from '../support/paths';

const real = join(corpusDir, 'criu-real');
const skip = !corpusAvailable && corpusMissingReason;
/** Findings as JSON: ranges are classes with toJSON, and the comparison is about what is printed. */
const json = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;

test('every real log streamed from disk has the findings of the same log read whole', { skip }, async () => {
  const logs = filesUnder(real, /\.log$/);
  assert.ok(logs.length >= 30, `${logs.length} logs`);
  for (const path of logs) {
    const whole = analyseCriuLog(readFileSync(path, 'utf8'));
    const streamed = (await analyseCriuLogFile(path, { chunkBytes: 4096 })).analysis;
    assert.equal(streamed.log.lineCount, whole.log.lineCount, path);
    assert.deepEqual(json(criuLogFindings(path, streamed)), json(criuLogFindings(path, whole)), path);
    assert.equal(streamed.log.whole, false, 'a streamed log does not keep every line');
  }
});

test('each real run read together (logs streamed, rulesets from text) links and pairs as when read whole', { skip }, async () => {
  let linked = 0;
  let paired = 0;
  // The bundled example is the EPERM story (no real run here failed that way): it exercises the link.
  const runs = [examplesDir, ...readdirSync(real, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(real, d.name))];
  for (const dir of runs) {
    const files = filesUnder(dir, /\.(log|txt|rules)$/).filter((f) => !/README|commands|env/.test(f));
    const whole: { doc: string; model: DocumentModel }[] = [];
    const streamed: { doc: string; model: DocumentModel }[] = [];
    for (const doc of files) {
      const text = readFileSync(doc, 'utf8');
      const language = detectLanguage(doc, text);
      if (language !== 'criu-log' && language !== 'iptables-save') continue;
      const model = buildModel({ doc, language, text });
      whole.push({ doc, model });
      streamed.push({ doc, model: language === 'criu-log' ? { language, criu: (await analyseCriuLogFile(doc)).analysis } : model });
    }
    if (!whole.length) continue;
    const a = analyseModels(whole);
    const b = analyseModels(streamed);
    assert.deepEqual(json(b.findings), json(a.findings), dir);
    linked += b.links.filter((l) => l.verdicts.some((v) => v.evaluation.verdict === 'drop')).length;
    paired += b.findings.filter((f) => f.code === 'criu.state-changed').length;
  }
  assert.ok(linked > 0, 'a FIN failure is linked to the rule that drops it');
  assert.ok(paired > 0, 'a restore is paired with its dump');
});
