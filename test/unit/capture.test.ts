import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureRules, type Runner } from '../../client/src/capture';

test('capture: runs each tool without a shell, keeps what printed rules, reports the rest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-cap-'));
  try {
    const calls: string[] = [];
    const run: Runner = async (command, args) => {
      calls.push([command, ...args].join(' '));
      if (command === 'iptables-save') return { ok: true, stdout: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n' };
      if (command === 'iptables-legacy-save') return { ok: true, stdout: '' };
      if (command === 'nft') return { ok: false, error: 'Operation not permitted (you must be root)' };
      return { ok: false, error: 'not installed' };
    };
    const r = await captureRules(dir, run, new Date('2026-11-27T18:00:51Z'));
    assert.deepEqual(calls, ['iptables-save', 'iptables-legacy-save', 'ip6tables-save', 'nft list ruleset']);
    assert.equal(r.folder, join(dir, 'netfilter-capture-20261127-180051'));
    assert.deepEqual(r.written, [join(r.folder, 'iptables-save.rules')]);
    assert.match(readFileSync(r.written[0], 'utf8'), /^\*filter/);
    assert.deepEqual(r.failed, [{ command: 'ip6tables-save', error: 'not installed' }, { command: 'nft list ruleset', error: 'Operation not permitted (you must be root)' }]);
    const none = await captureRules(join(dir, 'empty'), async () => ({ ok: false, error: 'not installed' }));
    assert.deepEqual(none.written, []);
    assert.equal(existsSync(none.folder), false, 'no empty folder is left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
