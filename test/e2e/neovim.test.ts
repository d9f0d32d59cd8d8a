/**
 * A second, independent LSP client: Neovim (Debian `neovim`, 0.7+) headless with the minimal config of
 * test/e2e/nvim/criu-lens.lua (the one the README shows) runs `node dist/server.js --stdio` for the
 * restore log and the ruleset; test/e2e/nvim/check.lua dumps what Neovim received as JSON.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distDir, examplesDir, repoRoot } from '../support/paths';
import { runInGroup } from './support/processes';
import { ensureDebianPackages } from './support/system';

interface NvimDiagnostic {
  lnum: number;
  col: number;
  severity: number;
  message: string;
  code?: string;
  user_data?: { lsp?: { code?: string; relatedInformation?: { message: string; location: { uri: string; range: { start: { line: number } } } }[] } };
}

interface NvimResult {
  error?: string;
  filetypes: { log: string; ruleset: string };
  diagnostics: { log: NvimDiagnostic[]; ruleset: NvimDiagnostic[] };
  definition: { uri: string; range: { start: { line: number; character: number } } }[];
  waited_ms: number;
}

const nvimDir = join(repoRoot, 'test', 'e2e', 'nvim');
const rulesetPath = join(examplesDir, 'iptables.rules');
const logPath = join(examplesDir, 'restore.log');
/** 0-based lines of the scenario: the EPERM line and the KUBE-FIREWALL DROP rule. */
const epermLine = readFileSync(logPath, 'utf8').split('\n').findIndex((l) => l.includes('Unable to send a fin packet'));
const dropLine = readFileSync(rulesetPath, 'utf8').split('\n').findIndex((l) => l.startsWith('-A KUBE-FIREWALL') && l.includes('--mark 0x8000/0x8000 -j DROP'));

test('Neovim (headless, built-in LSP client): diagnostics and Go to Definition from the EPERM line to the DROP rule', { timeout: 180_000 }, async (t) => {
  const nvim = ensureDebianPackages(['neovim']);
  if (!nvim.ok) return t.skip(nvim.reason);
  assert.ok(epermLine > 0 && dropLine > 0, 'the scenario has its EPERM line and its DROP rule');

  const home = mkdtempSync(join(tmpdir(), 'criu-lens-nvim-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const out = join(home, 'result.json');
  const r = await runInGroup('nvim', ['--headless', '--clean', '-i', 'NONE', '-u', join(nvimDir, 'criu-lens.lua'), '-c', `luafile ${join(nvimDir, 'check.lua')}`], {
    cwd: examplesDir,
    env: {
      ...process.env,
      CRIU_LENS_SERVER: join(distDir, 'server.js'),
      CRIU_LENS_OUT: out,
      CRIU_LENS_RULESET: rulesetPath,
      CRIU_LENS_LOG: logPath,
      CRIU_LENS_EPERM_LINE: String(epermLine),
      // Neovim's LSP log and state go to the throw-away folder.
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_DATA_HOME: join(home, 'data'),
      XDG_STATE_HOME: join(home, 'state'),
      XDG_CACHE_HOME: join(home, 'cache'),
    },
    timeoutMs: 120_000,
  });
  let result: NvimResult;
  try {
    result = JSON.parse(readFileSync(out, 'utf8')) as NvimResult;
  } catch (e) {
    assert.fail(`nvim wrote no result (status ${r.code}): ${String(e)}\n${r.output}`);
  }
  assert.equal(result.error, undefined, `check.lua: ${result.error}`);
  assert.equal(r.code, 0, r.output);
  assert.deepEqual(result.filetypes, { log: 'criu-log', ruleset: 'iptables-save' });
  t.diagnostic(`diagnostics linked after ${result.waited_ms} ms`);

  const root = result.diagnostics.log.find((d) => d.user_data?.lsp?.code === 'criu.soccr-fin-eperm');
  assert.ok(root, `root cause among ${JSON.stringify(result.diagnostics.log.map((d) => d.user_data?.lsp?.code))}`);
  assert.equal(root.lnum, epermLine, 'on the EPERM line');
  assert.equal(root.severity, 1, 'an error');
  assert.match(root.message, /^Root cause of the failed restore: Unable to send a fin packet/);
  const related = root.user_data?.lsp?.relatedInformation ?? [];
  const rulesetUri = pathToFileURL(rulesetPath).href;
  assert.ok(
    related.some((ri) => ri.location.uri === rulesetUri && ri.location.range.start.line === dropLine && /Dropped by filter\/KUBE-FIREWALL rule 1/.test(ri.message)),
    `related information names the rule: ${JSON.stringify(related)}`,
  );

  assert.equal(result.definition.length, 1, JSON.stringify(result.definition));
  assert.equal(result.definition[0].uri, rulesetUri);
  assert.equal(result.definition[0].range.start.line, dropLine, 'Go to Definition lands on the KUBE-FIREWALL DROP rule');

  const onRule = result.diagnostics.ruleset.find((d) => d.user_data?.lsp?.code === 'link.drops-criu-fin');
  assert.ok(onRule, 'the rule has its diagnostic too');
  assert.equal(onRule.lnum, dropLine);
});
