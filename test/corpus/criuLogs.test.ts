import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { criuLogFindings } from '../../server/src/criu/findings';
import { parseCriuLog } from '../../server/src/criu/logModel';
import { analyseCriuLog } from '../../server/src/criu/analyse';
import { splitLines } from '../../server/src/core/text';
import { corpusAvailable, corpusDir, corpusMissingReason, filesUnder } from '../support/paths';
import { linesOf } from '../support/criuLines';

const logs = filesUnder(corpusDir, /(criu-real\/[^/]+|criu-logs)\/[^/]+\.log$/);

/** An independent oracle: CRIU's level prefix as a plain regular expression. */
const levelLine = /^(\(\s*\d+\.\d+\) ?)?( *\d+: )?(pie: \d+: )*(Error \(|Warn {2}\()[^:() \t]+:\d+\): /;

test('every CRIU log of the corpus parses line for line, and every Error/Warn line is found', { skip: !corpusAvailable && corpusMissingReason }, () => {
  assert.ok(logs.length >= 60, `expected the corpus logs, found ${logs.length}`);
  for (const file of logs) {
    const name = relative(corpusDir, file);
    const text = readFileSync(file, 'utf8');
    const log = parseCriuLog(text);
    const lines = splitLines(text);
    assert.equal(log.lineCount, lines.length, name);
    linesOf(log).forEach((line, i) => {
      const ends = [line.timestamp?.span.end, line.pid?.span.end, ...line.pie.map((p) => p.span.end), line.level?.span.end]
        .filter((e): e is number => e !== undefined);
      assert.ok(line.message.span.start >= Math.max(0, ...ends), `${name}:${i + 1}: message overlaps a prefix`);
      assert.equal(line.message.span.end, lines[i].length, `${name}:${i + 1}: message must reach the end of the line`);
    });
    const expected = lines.map((l, i) => (levelLine.test(l) ? i : -1)).filter((i) => i >= 0);
    const perLine = new Set(['criu.fin-path', 'criu.state-changed', 'criu.log-ends-early']);
    const found = criuLogFindings(name, analyseCriuLog(text)).filter((f) => !perLine.has(f.code)).map((f) => f.range.start.line);
    assert.deepEqual(found, expected, name);
  }
});

test('criu-real: every log names CRIU 4.2 and only the rlimit error of the VM is harmless noise', { skip: !corpusAvailable && corpusMissingReason }, () => {
  const real = logs.filter((f) => f.includes('/criu-real/'));
  assert.ok(real.length >= 30);
  for (const file of real) {
    const text = readFileSync(file, 'utf8');
    const log = parseCriuLog(text);
    assert.equal(log.header.version, '4.2', file);
    assert.equal(log.header.gitid, 'v4.2-22-g2cf8f13ca', file);
    const rlimit = criuLogFindings(file, analyseCriuLog(text)).filter((f) => f.code === 'criu.rlimit-nofile');
    for (const f of rlimit) assert.equal(f.severity, 'information');
  }
});
