/**
 * Inputs the fuzzer (engine.ts) once crashed on, kept as tests. Each is synthetic, built here
 * (never a corpus file), minimised to what still failed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseIptablesSave } from '../../server/src/netfilter/iptables/ruleset';
import { distDir } from '../support/paths';

/** OUTPUT → C0 → C1 → … → C(depth-1), whose one rule drops; `loop` makes the last chain jump back to C0. */
function chainOfChains(depth: number, loop: boolean): string {
  const names = Array.from({ length: depth }, (_, i) => `C${i}`);
  const last = loop ? '-j C0' : '-m mark --mark 0x8000/0x8000 -j DROP';
  const rules = names.map((c, i) => `-A ${c} ${i + 1 < depth ? `-j C${i + 1}` : last}`);
  return ['*filter', ':OUTPUT ACCEPT [0:0]', ...names.map((c) => `:${c} - [0:0]`), '-A OUTPUT -j C0', ...rules, 'COMMIT', ''].join('\n');
}

// Found by hostile input chains/deep-jumps: the jump-loop check walked the chains recursively and
// overflowed the call stack ("Maximum call stack size exceeded") on 20,000 nested user chains.
test('fuzz regression: 20,000 nested user chains parse without overflowing the stack', () => {
  const ruleset = parseIptablesSave(chainOfChains(20_000, false));
  assert.deepEqual(ruleset.problems.filter((p) => p.severity === 'error').map((p) => p.message), []);
  assert.equal(ruleset.tables[0].chains.size, 3 + 20_000); // INPUT, FORWARD, OUTPUT and C0…C19999
});

test('fuzz regression: a jump loop 20,000 chains long is still found, at the jump that closes it', () => {
  const depth = 20_000;
  const ruleset = parseIptablesSave(chainOfChains(depth, true));
  const loops = ruleset.problems.filter((p) => p.code === 'iptables.jump-loop');
  assert.equal(loops.length, 1);
  // Line of `-A C19999 -j C0`: after *filter, :OUTPUT, the declarations and `-A OUTPUT -j C0`.
  assert.equal(loops[0].range.start.line, 2 + depth + depth);
  assert.match(loops[0].message, /^Jump loop: C0 → C1 → .* → C19999 → C0;/);
});

test('fuzz regression: the CLI answers on 20,000 nested chains (no internal error)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-fuzz-'));
  try {
    const path = join(dir, 'deep.rules');
    writeFileSync(path, chainOfChains(20_000, false));
    const r = spawnSync(process.execPath, [join(distDir, 'cli.js'), 'check', '--format', 'json', path], { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).files[0].language, 'iptables-save');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Found by hostile input huge-line/plain after the grammar took argument runs by recursion (one
// level per 16 characters): a 512 KB argument overflowed the stack. Blanks were read the same way.
test('fuzz regression: a 1 MB argument and a 1 MB run of blanks parse without overflowing the stack', () => {
  const word = 'x'.repeat(1 << 20);
  const long = parseIptablesSave(`*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -m comment --comment ${word} -j DROP\nCOMMIT\n`);
  assert.deepEqual(long.problems.filter((p) => p.severity === 'error').map((p) => p.message), []);
  const blanks = parseIptablesSave(`*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT${' \t'.repeat(1 << 19)}-j DROP${' '.repeat(1 << 20)}\nCOMMIT\n`);
  assert.deepEqual(blanks.problems.filter((p) => p.severity === 'error').map((p) => p.message), []);
  const rule = blanks.tables[0].chains.get('OUTPUT');
  assert.ok(rule, 'OUTPUT chain');
});
