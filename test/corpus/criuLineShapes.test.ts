import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { splitLines } from '../../server/src/core/text';
import { parseCriuLog } from '../../server/src/criu/logModel';
import { parseLineShape } from '../../server/src/criu/logLine';
import { corpusAvailable, corpusDir, corpusMissingReason, examplesDir, filesUnder } from '../support/paths';
import { linesOf } from '../support/criuLines';

const logs = [...filesUnder(corpusDir, /(criu-real\/[^/]+|criu-logs)\/[^/]+\.log$/), ...filesUnder(examplesDir, /\.log$/)];
const skip = !corpusAvailable && corpusMissingReason;

/** Every digit replaced by another: `shift` 0 keeps the line. */
const shiftDigits = (text: string, shift: number) => text.replace(/[0-9]/g, (d) => String((Number(d) + shift) % 10));

test('the grammar never tells one digit from another (what the model\'s reuse of parses rests on)', { skip }, () => {
  for (const file of logs) {
    const name = relative(corpusDir, file);
    splitLines(readFileSync(file, 'utf8')).forEach((line, i) => {
      const shape = parseLineShape(line);
      for (const shift of [1, 5]) assert.deepEqual(parseLineShape(shiftDigits(line, shift)), shape, `${name}:${i + 1}`);
    });
  }
});

test('the log model gives every corpus line the shape and text the grammar gives it alone', { skip }, () => {
  for (const file of logs) {
    const name = relative(corpusDir, file);
    const text = readFileSync(file, 'utf8');
    const lines = splitLines(text);
    const log = parseCriuLog(text);
    assert.equal(log.lineCount, lines.length, name);
    linesOf(log).forEach((line, i) => {
      assert.equal(line.text, lines[i], `${name}:${i + 1}`);
      assert.deepEqual(line.shape, parseLineShape(lines[i]), `${name}:${i + 1}`);
    });
  }
});
