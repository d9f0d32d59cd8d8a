/**
 * The hover's "appears on N lines" comes from an index built once per analysis. Oracle: the
 * search it replaced, one value at a time over every line, on every token of the real logs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyseCriuLog, type CriuLogAnalysis } from '../../server/src/criu/analyse';
import { occurrencesOf, tokenAt, type TokenKey } from '../../server/src/criu/explain';
import { corpusAvailable, corpusDir, corpusMissingReason, examplesDir, filesUnder } from '../support/paths';
import { linesOf } from '../support/criuLines';

/** The per-value search, as it was: one RegExp for the value, tried on each line's message. */
function searchEveryLine(a: CriuLogAnalysis, key: TokenKey, value: string): number[] {
  const hex = value.replace(/^0x/i, '').replace(/[^0-9a-f]/gi, '');
  const pattern: Record<TokenKey, RegExp> = {
    id: new RegExp(`\\bid[= ](?:0x)?${hex}\\b`, 'i'),
    ino: new RegExp(`\\bino\\s+(?:0x)?${hex}\\b`, 'i'),
    fd: new RegExp(`\\b(?:fd[= ]?|fd for |fdinfo |dup )${hex}\\b`, 'i'),
    pid: new RegExp(`(?:\\bpid:? |\\btask:? |^)${hex}\\b|\\b${hex} (?:exited|killed|was)`),
  };
  const out: number[] = [];
  linesOf(a.log).forEach((l, i) => {
    if ((key === 'pid' && (l.pid?.value === Number(value) || l.pie.some((p) => p.tid === Number(value)))) || pattern[key].test(l.messageText)) out.push(i);
  });
  return out;
}

/** Up to `limit` distinct tokens of the log (ids, inodes, fds in messages; pids in the column). */
function tokensOf(a: CriuLogAnalysis, limit: number): { key: TokenKey; value: string }[] {
  const seen = new Map<string, { key: TokenKey; value: string }>();
  const word = /\b(?:id|ino|fd)[= ]\s*(?:0x)?[0-9a-f]+\b/gi;
  for (let line = 0; line < a.log.lineCount && seen.size < limit; line++) {
    const l = a.log.line(line);
    const at = [l.pid?.span.start, ...[...l.messageText.matchAll(word)].map((m) => l.message.span.start + m.index! + m[0].length - 1)];
    for (const character of at) {
      if (character === undefined) continue;
      const t = tokenAt(a, { line, character });
      if (t) seen.set(`${t.key} ${t.value}`, { key: t.key, value: t.value });
    }
  }
  return [...seen.values()];
}

const logs = [join(examplesDir, 'restore.log'), join(examplesDir, 'dump.log'), ...(corpusAvailable ? filesUnder(corpusDir, /criu-real\/[^/]+\/[^/]+\.log$/) : [])];

test('the occurrence index answers as a search of every line would, for every token kind', () => {
  let compared = 0;
  const kinds = new Set<TokenKey>();
  for (const file of logs) {
    const a = analyseCriuLog(readFileSync(file, 'utf8'));
    for (const { key, value } of tokensOf(a, 60)) {
      assert.deepEqual(occurrencesOf(a, key, value), searchEveryLine(a, key, value), `${relative(join(examplesDir, '..', '..'), file)}: ${key} ${value}`);
      kinds.add(key);
      compared++;
    }
  }
  assert.ok(compared > 100, `only ${compared} tokens compared`);
  assert.deepEqual([...kinds].sort(), ['fd', 'id', 'ino', 'pid']);
});

test('the real runs are in the comparison', { skip: !corpusAvailable && corpusMissingReason }, () => {
  assert.ok(logs.length >= 32, `expected the criu-real logs, found ${logs.length}`);
});
