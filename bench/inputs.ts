/**
 * The big generated inputs several benchmarks share (the 1M-line log, the 100k- and 700k-rule
 * dumps), written once per run into a temporary folder that close() removes.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRestoreLog } from './generate/criuLog';
import { generateKubeDump } from './generate/kubeDump';

export const LOG_LINES = 1_000_000;
export const DUMP_RULES = [100_000, 700_000] as const;

export class BenchInputs {
  private readonly dir = mkdtempSync(join(tmpdir(), 'criu-lens-bench-'));
  private readonly made = new Map<string, string>();

  constructor(private readonly examples: string) {}

  private file(name: string, make: () => string): string {
    let path = this.made.get(name);
    if (!path) {
      path = join(this.dir, name);
      writeFileSync(path, make());
      this.made.set(name, path);
    }
    return path;
  }

  /** A `-v4` restore log of LOG_LINES lines ending in the EPERM failure (generate/criuLog.ts). */
  log(): string {
    return this.file(`restore-${LOG_LINES / 1e6}M.log`, () => generateRestoreLog(LOG_LINES, this.examples));
  }

  /** A kube-proxy-style dump of `rules` rules with KUBE-FIREWALL and CRIU's lock rules (generate/kubeDump.ts). */
  dump(rules: number): string {
    return this.file(`kube-proxy-${rules / 1000}k.rules`, () => generateKubeDump(rules));
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const sizeMb = (path: string) => statSync(path).size / 1e6;
