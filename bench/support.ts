/** Pieces the benchmarks share: a seeded PRNG and a network namespace that never outlives them. */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** mulberry32: a small, fast, seeded 32-bit PRNG. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
