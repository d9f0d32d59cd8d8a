/** Pieces the benchmarks share: a seeded PRNG and a network namespace that never outlives them. */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export { mulberry32 } from '../test/support/rng';

/** `ip ARGS` (optionally with stdin): success and everything it printed. */
export function ip(args: string[], input?: string): { ok: boolean; out: string } {
  const r = spawnSync('ip', args, { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { ok: !r.error && r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
}

export class NetnsUnavailable extends Error {}

/**
 * A namespace for `fn`, always deleted afterwards. Node runs signal handlers only between
 * synchronous steps: Ctrl-C also kills the running child, so `finally` deletes the namespace; a
 * signal sent to this process alone is handled once `fn` returns, and the handlers stay until
 * then so it is not lost.
 */
export function withBenchNetns<T>(prefix: string, fn: (ns: string) => T): T {
  const ns = `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const added = ip(['netns', 'add', ns]);
  if (!added.ok) throw new NetnsUnavailable(`cannot create a network namespace: ${added.out}`);
  let deleted = false;
  const del = () => {
    if (deleted) return;
    deleted = true;
    const r = ip(['netns', 'del', ns]);
    if (!r.ok) console.error(`warning: could not delete network namespace ${ns}: ${r.out}`);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    del();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return fn(ns);
  } finally {
    del();
    setImmediate(() => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    });
  }
}
