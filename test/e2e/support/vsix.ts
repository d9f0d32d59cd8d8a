/** Packages the extension as `npm run package` does (same vsce flags, read from package.json), into any path. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/paths';
import { runInGroup } from './processes';

export async function packageVsix(out: string): Promise<void> {
  const script = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts.package as string;
  const flags = script.split('vsce package ')[1].replace(/--out \S+/, '').trim().split(/\s+/);
  const vsce = join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = await runInGroup(process.execPath, [vsce, 'package', ...flags, '--out', out], { cwd: repoRoot, timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`vsce package failed (status ${r.code}):\n${r.output}`);
}
