import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tooLargeCriuLog } from '../../client/src/largeFile';

test('the large-log offer: CRIU logs (by name or first lines) over the limit, nothing else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-large-file-'));
  try {
    const criu = '(00.000000) CRIU run id = 1d2e\n(00.000025) Version: 4.2\n'.repeat(20);
    const files: [string, string, number | undefined][] = [
      ['restore.log', 'anything\n'.repeat(200), 1800],
      ['output.txt', criu, criu.length],
      ['notes.txt', 'plain text\n'.repeat(200), undefined],
      ['iptables.rules', '*filter\n'.repeat(300), undefined],
      ['small.log', 'x\n', undefined],
    ];
    for (const [name, text, expected] of files) {
      writeFileSync(join(dir, name), text);
      assert.equal(tooLargeCriuLog(join(dir, name), 1000), expected, name);
    }
    assert.equal(tooLargeCriuLog(join(dir, 'missing.log'), 0), undefined, 'a missing file is not offered');
    assert.equal(tooLargeCriuLog(dir, 0), undefined, 'a folder is not offered');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
