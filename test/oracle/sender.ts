/**
 * The raw-socket sender of the kernel-oracle differential tests: one long-lived
 * `send-raw.py --serve` per namespace (shared by evaluatorDifferential and nftDifferential).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../support/paths';

export const SENDER = join(repoRoot, 'test', 'oracle', 'send-raw.py');

/** A python3 that has SO_MARK, preferring the system one (fast start, no shims). */
export function findPython(): string | { reason: string } {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    if (candidate.startsWith('/') && !existsSync(candidate)) continue;
    const r = spawnSync(candidate, ['-c', 'import socket, struct, errno; print(getattr(socket, "SO_MARK", 36))'], { encoding: 'utf8' });
    if (r.status === 0) return candidate;
  }
  return { reason: 'python3 not found (the raw-socket sender test/oracle/send-raw.py needs it)' };
}

/** One long-lived send-raw.py --serve inside a namespace: a request line in, an answer line out. */
export class Sender {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';
  private exited = false;

  constructor(ns: string, python: string) {
    this.child = spawn('ip', ['netns', 'exec', ns, python, SENDER, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(line));
    this.child.stderr.on('data', (d) => (this.stderr += String(d)));
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w(`sender exited (${signal ?? code}): ${this.stderr.trim()}`);
    });
  }

  send(request: string): Promise<string> {
    if (this.exited) return Promise.resolve(`sender exited: ${this.stderr.trim()}`);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(request + '\n');
    });
  }

  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.on('exit', () => resolve());
      this.child.stdin.end();
    });
  }
}

