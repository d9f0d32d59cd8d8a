/**
 * "Capture netfilter rules from this machine": runs the dump tools that exist, without a shell,
 * and writes each output into a new folder of the workspace. No vscode import: unit-testable.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CaptureTool {
  file: string;
  command: string;
  args: string[];
}

/** iptables-nft and iptables-legacy can both hold rules: capture each view. */
export const captureTools: readonly CaptureTool[] = [
  { file: 'iptables-save.rules', command: 'iptables-save', args: [] },
  { file: 'iptables-legacy-save.rules', command: 'iptables-legacy-save', args: [] },
  { file: 'ip6tables-save.ip6tables', command: 'ip6tables-save', args: [] },
  { file: 'nft-ruleset.nft', command: 'nft', args: ['list', 'ruleset'] },
];

export type Runner = (command: string, args: string[]) => Promise<{ ok: true; stdout: string } | { ok: false; error: string }>;

/** Runs a program directly (no shell), with sbin on the path where root's tools live. */
export const runProgram: Runner = (command, args) =>
  new Promise((resolve) => {
    const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };
    execFile(command, args, { env, maxBuffer: 1 << 30, timeout: 60_000 }, (error, stdout, stderr) => {
      if (!error) resolve({ ok: true, stdout });
      else {
        const code = (error as NodeJS.ErrnoException).code;
        resolve({ ok: false, error: code === 'ENOENT' ? 'not installed' : (stderr.trim().split('\n')[0] || error.message) });
      }
    });
  });

export interface CaptureResult {
  folder: string;
  written: string[];
  failed: { command: string; error: string }[];
}

export async function captureRules(workspaceFolder: string, run: Runner = runProgram, now = new Date()): Promise<CaptureResult> {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const folder = join(workspaceFolder, `netfilter-capture-${stamp}`);
  const result: CaptureResult = { folder, written: [], failed: [] };
  for (const tool of captureTools) {
    const r = await run(tool.command, tool.args);
    if (!r.ok) {
      result.failed.push({ command: [tool.command, ...tool.args].join(' '), error: r.error });
      continue;
    }
    if (!r.stdout.trim()) continue; // a backend with no rules prints nothing: nothing to keep
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, tool.file), r.stdout);
    result.written.push(join(folder, tool.file));
  }
  return result;
}
