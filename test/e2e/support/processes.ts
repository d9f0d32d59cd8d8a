/**
 * Every long-lived process the end-to-end tests start (code-server, Chromium, Neovim) runs in its own
 * process group and is registered here, so that the whole group (code-server's file watcher and
 * extension host, Chromium's renderers) is killed however the test ends: normally, on an exception,
 * on Ctrl-C / SIGTERM, or when node exits.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const groups = new Set<number>();
let handlersInstalled = false;

function alive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

/** Kill every registered group at once (synchronous: also usable from an 'exit' handler). */
export function killAllGroups(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pgid of groups) signalGroup(pgid, signal);
  groups.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => killAllGroups('SIGKILL'));
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      killAllGroups('SIGKILL');
      process.exit(code);
    });
  }
}

/** Remember a process group (its leader's pid) started elsewhere, e.g. the browser playwright launched. */
export function registerGroup(pgid: number): void {
  installHandlers();
  groups.add(pgid);
}

/** `spawn` in a new process group (detached), registered for cleanup. */
export function spawnInGroup(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  installHandlers();
  const child = spawn(command, args, { ...options, detached: true });
  if (child.pid !== undefined) groups.add(child.pid);
  return child;
}

/** SIGTERM the group, wait up to `graceMs` for all of it to go, then SIGKILL what is left. */
export async function stopGroup(pgid: number, graceMs = 5000): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (alive(pgid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  if (alive(pgid)) signalGroup(pgid, 'SIGKILL');
  groups.delete(pgid);
}

/** Whether any process of the group still exists (tests assert that cleanup worked). */
export function groupAlive(pgid: number): boolean {
  return alive(pgid);
}

/** Run a command in its own group to completion, with a deadline; output is collected. */
export function runInGroup(command: string, args: readonly string[], options: SpawnOptions & { timeoutMs: number }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnInGroup(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')}: no exit within ${options.timeoutMs} ms\n${output.slice(-4000)}`));
    }, options.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (child.pid !== undefined) {
        signalGroup(child.pid, 'SIGKILL'); // leftovers such as a daemonised helper
        groups.delete(child.pid);
      }
      resolve({ code, output });
    });
  });
}
