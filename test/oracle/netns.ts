/**
 * Helpers for kernel-oracle tests: load rulesets into a throw-away network namespace with the real
 * iptables tools and ask the kernel. Everything here needs root, iproute2 and iptables; tests call
 * `oracleAvailable()` first and skip with its reason when it says no.
 *
 * Nothing here touches the host's own ruleset: every iptables command runs under `ip netns exec`
 * in a namespace created by `withNetns`, which always deletes it again.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export type OracleAvailability = { ok: true } | { ok: false; reason: string };

export interface RestoreOptions {
  /** `--test`: parse and check only, commit nothing. Default: a real commit. */
  test?: boolean;
  /** ip6tables-restore instead of iptables-restore. */
  ipv6?: boolean;
  /** The legacy (x_tables) backend, `iptables-legacy-restore`, instead of the nft one. */
  legacy?: boolean;
}

export interface CommandResult {
  /** Exit status; -1 when the command could not be started or died from a signal. */
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], input?: string): CommandResult {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  return {
    code: r.status ?? -1,
    stdout: r.stdout ?? '',
    stderr: (r.stderr || '') + (r.error ? String(r.error.message) : '') + (r.signal ? `killed by ${r.signal}` : ''),
  };
}

/** The name of an iptables tool for a family and backend: `ip6tables-legacy-save`, `iptables-restore`. */
export function iptablesTool(kind: 'restore' | 'save', opts: { ipv6?: boolean; legacy?: boolean } = {}): string {
  return `${opts.ipv6 ? 'ip6tables' : 'iptables'}${opts.legacy ? '-legacy' : ''}-${kind}`;
}

let availability: OracleAvailability | undefined;

/** Root? `ip` present? `iptables-restore` present? Can a network namespace be created? (Cached.) */
export function oracleAvailable(): OracleAvailability {
  if (availability) return availability;
  const no = (reason: string): OracleAvailability => (availability = { ok: false, reason: `kernel oracle unavailable: ${reason}` });
  if (process.platform !== 'linux') return no(`needs Linux, this is ${process.platform}`);
  if (process.getuid?.() !== 0) return no('needs root');
  if (run('ip', ['-V']).code !== 0) return no('`ip` (iproute2) not found');
  for (const tool of [iptablesTool('restore'), iptablesTool('save')]) {
    if (run(tool, ['-V']).code !== 0) return no(`\`${tool}\` not found (Debian: apt-get install iptables)`);
  }
  try {
    withNetns(() => undefined);
  } catch (e) {
    return no(`cannot create a network namespace: ${e instanceof Error ? e.message : String(e)}`);
  }
  return (availability = { ok: true });
}

let serial = 0;

/**
 * Creates a uniquely named network namespace (loopback up), runs `fn(name)`, and always deletes the
 * namespace afterwards, also when `fn` throws. When `fn` returns a promise, the namespace is
 * deleted once it settles.
 */
export function withNetns<T>(fn: (name: string) => T): T {
  const name = `criu-lens-${process.pid}-${serial++}-${randomBytes(3).toString('hex')}`;
  const added = run('ip', ['netns', 'add', name]);
  if (added.code !== 0) throw new Error(`ip netns add ${name} failed: ${added.stderr.trim()}`);
  let result: T;
  try {
    const up = run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    if (up.code !== 0) throw new Error(`ip -n ${name} link set lo up failed: ${up.stderr.trim()}`);
    result = fn(name);
  } catch (e) {
    // Delete, but let the original error through rather than a deletion error.
    run('ip', ['netns', 'del', name]);
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => deleteNetns(name)) as T;
  deleteNetns(name);
  return result;
}

function deleteNetns(name: string): void {
  const r = run('ip', ['netns', 'del', name]);
  if (r.code !== 0) throw new Error(`ip netns del ${name} failed: ${r.stderr.trim()}`);
}

/** Is a namespace of that name listed by `ip netns list`? */
export function netnsExists(name: string): boolean {
  const r = run('ip', ['netns', 'list']);
  return r.stdout.split('\n').some((line) => line.split(' ')[0] === name);
}

/**
 * Feeds `text` to iptables-restore (or ip6tables-/…-legacy-restore) on stdin inside namespace `ns`.
 * A real commit unless `opts.test`.
 */
export function iptablesRestore(ns: string, text: string, opts: RestoreOptions = {}): { code: number; stderr: string } {
  const args = ['netns', 'exec', ns, iptablesTool('restore', opts)];
  if (opts.test) args.push('--test');
  const r = run('ip', args, text);
  return { code: r.code, stderr: r.stderr };
}

/** iptables-save (or its ip6/legacy variants) inside namespace `ns`, optionally of one table. */
export function iptablesSave(ns: string, opts: { ipv6?: boolean; legacy?: boolean; table?: string } = {}): CommandResult {
  const args = ['netns', 'exec', ns, iptablesTool('save', opts)];
  if (opts.table) args.push('-t', opts.table);
  return run('ip', args);
}

/** Is `nft` installed (for the nftables oracle tests)? */
export function nftAvailable(): OracleAvailability {
  const base = oracleAvailable();
  if (!base.ok) return base;
  if (run('nft', ['--version']).code !== 0) return { ok: false, reason: 'kernel oracle unavailable: `nft` not found (Debian: apt-get install nftables)' };
  return { ok: true };
}

/**
 * Loads an nft script with `nft -f -` inside namespace `ns`: a real commit unless `check` (`nft -c`,
 * which stops before the kernel's commit-time checks such as jump loops).
 */
export function nftLoad(ns: string, text: string, opts: { check?: boolean } = {}): CommandResult {
  return run('ip', ['netns', 'exec', ns, 'nft', ...(opts.check ? ['-c'] : []), '-f', '-'], text);
}

/** Runs a command inside namespace `ns` (`ip netns exec ns …`), with `input` on stdin. */
export function runInNetns(ns: string, argv: readonly string[], input?: string): CommandResult {
  return run('ip', ['netns', 'exec', ns, ...argv], input);
}
