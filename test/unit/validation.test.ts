import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Debouncer, Generations, turn } from '../../server/src/validation';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('Debouncer: at once on open, then once after the last of a burst of changes', async () => {
  const runs: [string, number][] = [];
  const started = performance.now();
  const d = new Debouncer(60, (key) => runs.push([key, performance.now() - started]));
  d.changed('a');
  assert.deepEqual(runs.map(([k]) => k), ['a'], 'the open runs without waiting');
  for (let i = 0; i < 5; i++) {
    d.changed('a');
    await sleep(10);
  }
  assert.equal(runs.length, 1, 'nothing while the changes keep coming');
  await sleep(120);
  assert.equal(runs.length, 2, 'one run for the burst');
  assert.ok(runs[1][1] >= 40 + 60, `after the last change plus the delay (${runs[1][1].toFixed(0)} ms)`);
  d.changed('a');
  d.forget('a');
  await sleep(100);
  assert.equal(runs.length, 2, 'a forgotten document has no pending run');
  d.changed('a');
  assert.equal(runs.length, 3, 'and its next change counts as an open');
});

test('Generations: a bump during a validation stops it before it publishes; the newer one publishes', async () => {
  const g = new Generations();
  const published: string[] = [];
  let edit: (() => void) | undefined;
  // The first validation parses two documents; an edit arrives while the first parse runs.
  const first = g.run([() => edit?.(), () => published.push('second parse of the stale run')], () => published.push('stale'));
  edit = () => g.bump();
  assert.equal(await first, false);
  assert.equal(published.length, 0, 'the stale run published nothing');
  // A validation that starts while another is between parses supersedes it.
  const older = g.run([() => undefined, () => undefined], () => published.push('older'));
  await turn();
  const newer = g.run([() => undefined], () => published.push('newer'));
  assert.deepEqual([await older, await newer], [false, true]);
  assert.deepEqual(published, ['newer']);
});
