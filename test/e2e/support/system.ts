/**
 * What the end-to-end tests need from the machine: Debian packages (installed with apt-get when
 * missing and we are root) and the npm registry (for code-server). Each check answers with a reason,
 * which the tests print when they skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export type Availability = { ok: true } | { ok: false; reason: string };

export const CHROMIUM = '/usr/bin/chromium';

function installed(pkg: string): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

function aptGet(args: string[]): { ok: boolean; output: string } {
  const r = spawnSync('apt-get', args, {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 15 * 60_000,
    maxBuffer: 1 << 28,
  });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/**
 * Make sure the Debian packages are installed: returns at once when they are; otherwise, as root,
 * `apt-get install` (after one `apt-get update` if the first try fails on stale lists).
 */
export function ensureDebianPackages(packages: readonly string[], log: (m: string) => void = () => {}): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: `needs Linux (Debian packages ${packages.join(', ')}), this is ${process.platform}` };
  if (spawnSync('dpkg-query', ['--version']).status !== 0) return { ok: false, reason: `needs a Debian system (dpkg) for ${packages.join(', ')}` };
  const missing = packages.filter((p) => !installed(p));
  if (!missing.length) return { ok: true };
  if (process.getuid?.() !== 0) return { ok: false, reason: `Debian packages missing (${missing.join(', ')}) and not root to apt-get install them` };
  log(`apt-get install ${missing.join(' ')}`);
  const args = ['install', '-y', '-qq', '--no-install-recommends', '-o', 'Dpkg::Use-Pty=0', ...missing];
  let r = aptGet(args);
  if (!r.ok) {
    aptGet(['update', '-qq']);
    r = aptGet(args);
  }
  const still = missing.filter((p) => !installed(p));
  if (still.length) return { ok: false, reason: `apt-get install ${still.join(' ')} failed: ${r.output.trim().split('\n').slice(-5).join(' | ')}` };
  return { ok: true };
}

/** Debian's Chromium, installed when missing. */
export function ensureChromium(log?: (m: string) => void): Availability {
  const r = ensureDebianPackages(['chromium'], log);
  if (!r.ok) return r;
  return existsSync(CHROMIUM) ? { ok: true } : { ok: false, reason: `chromium is installed but ${CHROMIUM} is missing` };
}

/** Can npm reach its registry? (`npm view`, with a deadline.) */
export function npmRegistryReachable(spec: string): Availability {
  const r = spawnSync('npm', ['view', spec, 'version'], { encoding: 'utf8', timeout: 90_000 });
  if (r.status === 0 && r.stdout.trim()) return { ok: true };
  // npm's first error lines name the cause (code and message); the rest is advice and a log path.
  const cause = (r.stderr ?? '').split('\n').filter((l) => /^npm error (code|errno|request|network)/.test(l)).slice(0, 2).join(' | ');
  return { ok: false, reason: `npm registry unreachable (npm view ${spec}: ${cause || r.error?.message || `status ${r.status}`})` };
}
