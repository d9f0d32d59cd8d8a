import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ServerUnderTest, type PublishedDiagnostics } from '../support/lspClient';
import { examplesDir } from '../support/paths';
import { indexFolders, defaultIndexOptions } from '../../server/src/link/workspaceIndex';

type Diag = PublishedDiagnostics['diagnostics'][number] & { relatedInformation?: { location: { uri: string }; message: string }[] };

test('a ruleset only in the workspace (not open) is linked to the open restore log, and follows file changes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-ws-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(join(examplesDir, 'restore.log'), join(dir, 'restore.log'));
  // Named as people name them: the content says what it is.
  copyFileSync(join(examplesDir, 'iptables.rules'), join(dir, 'node-b-iptables-save.txt'));
  writeFileSync(join(dir, 'notes.txt'), 'nothing to see\n');
  const rulesUri = pathToFileURL(join(dir, 'node-b-iptables-save.txt')).href;
  const restoreUri = pathToFileURL(join(dir, 'restore.log')).href;

  const server = new ServerUnderTest();
  t.after(() => { if (server.process.exitCode === null) server.process.kill(); });
  await server.initialize([pathToFileURL(dir).href]);
  await server.open(restoreUri, 'criu-log', readFileSync(join(dir, 'restore.log'), 'utf8'));
  let diags: Diag[] = [];
  for (let k = 0; k < 6; k++) {
    diags = (await server.nextDiagnostics(restoreUri)).diagnostics as Diag[];
    if (diags.some((d) => d.code === 'criu.soccr-fin-eperm' && d.relatedInformation?.some((r) => r.location.uri === rulesUri))) break;
  }
  const eperm = diags.find((d) => d.code === 'criu.soccr-fin-eperm')!;
  assert.ok(eperm.relatedInformation!.some((r) => r.location.uri === rulesUri && /Dropped by filter\/KUBE-FIREWALL rule 1/.test(r.message)), 'linked to the indexed ruleset');
  assert.ok(!diags.some((d) => d.code === 'link.no-ruleset'));

  // The ruleset is fixed on disk: the watcher's event re-reads it and the link goes away.
  const fixed = readFileSync(join(dir, 'node-b-iptables-save.txt'), 'utf8').replace(/^-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000\/0x8000 -j DROP\n/m, '');
  writeFileSync(join(dir, 'node-b-iptables-save.txt'), fixed);
  await server.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: rulesUri, type: 2 }] });
  let after: Diag[] = [];
  for (let k = 0; k < 6; k++) {
    after = (await server.nextDiagnostics(restoreUri)).diagnostics as Diag[];
    if (after.some((d) => d.code === 'link.fin-not-dropped')) break;
  }
  assert.ok(after.some((d) => d.code === 'link.fin-not-dropped'), 'no ruleset drops the FIN any more: the other causes are named');
  assert.equal(await server.shutdown(), 0);
});

test('the index: globs, content detection, limits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'criu-lens-idx-'));
  try {
    copyFileSync(join(examplesDir, 'iptables.rules'), join(dir, 'rules.v4'));
    copyFileSync(join(examplesDir, 'dump.log'), join(dir, 'dump.log'));
    writeFileSync(join(dir, 'app.log'), 'GET / 200\n');
    writeFileSync(join(dir, 'big.log'), '(00.000001) x\n'.repeat(20000));
    const r = indexFolders([dir], { ...defaultIndexOptions, maxFileBytes: 200_000 });
    assert.deepEqual(r.files.map((f) => [f.path.slice(dir.length + 1), f.language]), [['dump.log', 'criu-log'], ['rules.v4', 'iptables-save']]);
    assert.deepEqual(r.skipped.map((s) => s.path.slice(dir.length + 1)), ['big.log']);
    const one = indexFolders([dir], { ...defaultIndexOptions, maxFiles: 1 });
    assert.equal(one.files.length, 1);
    assert.ok(one.skipped.some((s) => /more than 1 files/.test(s.reason)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
