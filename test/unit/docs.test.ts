import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { criuMessages } from '../../server/src/knowledge/criuMessages';
import { evidenceSeverity } from '../../server/src/ktrace/findings';
import { filesUnder, repoRoot } from '../support/paths';

test('every diagnostic code the source can emit is documented in docs/diagnostics.md', () => {
  const docs = readFileSync(join(repoRoot, 'docs', 'diagnostics.md'), 'utf8');
  const codes = new Set<string>(['criu.error', 'criu.warning', ...criuMessages.map((m) => `criu.${m.id}`), ...Object.keys(evidenceSeverity).map((k) => `ktrace.${k}`)]);
  for (const file of filesUnder(join(repoRoot, 'server', 'src'), /\.ts$/)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/'((?:iptables|criu|ktrace|link|nftables)\.[a-z0-9-]+)'/g)) codes.add(m[1]);
  }
  assert.ok(codes.size > 40, `found ${codes.size} codes`);
  const missing = [...codes].filter((c) => !docs.includes(`\`${c}\``));
  assert.deepEqual(missing, []);
});
