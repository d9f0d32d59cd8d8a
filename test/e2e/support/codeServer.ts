/**
 * A real VS Code in the browser: code-server from npm, installed once into a cache outside the clone,
 * started on 127.0.0.1 with throw-away config, data and extension folders (it never touches ~/.config
 * or ~/.local), with our .vsix installed. Facts behind each step: ../shared/notes/code-server-e2e.md.
 */
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runInGroup, spawnInGroup, stopGroup } from './processes';
import { ensureDebianPackages, npmRegistryReachable, type Availability } from './system';

/** The last code-server that runs on Node 20 (VS Code 1.100.3); later ones need Node 22+. */
export const CODE_SERVER_VERSION = '4.100.3';
/** code-server 4.100.3 pins this @vscode/ripgrep, whose postinstall would download rg unless its cache holds it. */
const RIPGREP_PACKAGE_VERSION = '1.15.11';
const RIPGREP_ARCHIVE = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

/** Where code-server is cached: $CRIU_LENS_E2E_CACHE, else ~/.cache/criu-lens-e2e/code-server-<version>. */
export function codeServerDir(): string {
  const base = process.env.CRIU_LENS_E2E_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'criu-lens-e2e');
  return join(base, `code-server-${CODE_SERVER_VERSION}`);
}

function binOf(dir: string): string {
  return join(dir, 'node_modules', '.bin', 'code-server');
}

/** Written last by a complete install: a folder without it is a broken earlier attempt. */
const MARKER = '.complete';

export type CodeServerInstall = { ok: true; bin: string; installedNow: boolean } | { ok: false; reason: string };

/** The cached code-server, installed from npm first when it is not there. */
export async function ensureCodeServer(log: (m: string) => void): Promise<CodeServerInstall> {
  const dir = codeServerDir();
  if (existsSync(join(dir, MARKER)) && existsSync(binOf(dir))) return { ok: true, bin: binOf(dir), installedNow: false };

  // Native modules (kerberos needs gssapi headers) and the ripgrep that replaces the download.
  const debs = ensureDebianPackages(['libkrb5-dev', 'ripgrep', 'python3', 'make', 'g++'], log);
  if (!debs.ok) return debs;
  const registry: Availability = npmRegistryReachable(`code-server@${CODE_SERVER_VERSION}`);
  if (!registry.ok) return registry;

  log(`installing code-server ${CODE_SERVER_VERSION} into ${dir}`);
  // Installed beside the cache folder, then renamed into place: a run that dies half-way, or two runs
  // installing at once, never leave (or use) a half-installed code-server.
  mkdirSync(dirname(dir), { recursive: true });
  const staging = mkdtempSync(`${dir}.installing-`);
  const tmp = mkdtempSync(join(tmpdir(), 'criu-lens-e2e-install-'));
  try {
    writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: 'criu-lens-e2e-code-server', private: true }, null, 2));
    const cache = join(tmp, `vscode-ripgrep-cache-${RIPGREP_PACKAGE_VERSION}`);
    mkdirSync(cache);
    const rg = spawnSync('tar', ['-czf', join(cache, RIPGREP_ARCHIVE), '-C', '/usr/bin', 'rg']);
    if (rg.status !== 0) return { ok: false, reason: `could not pack /usr/bin/rg for @vscode/ripgrep: ${rg.stderr}` };
    const r = await runInGroup('npm', ['install', '--no-audit', '--no-fund', '--no-save', `code-server@${CODE_SERVER_VERSION}`], {
      cwd: staging,
      // unsafe_perm: its postinstall refuses to run as root otherwise; yes: node-pty's postinstall runs `npx node-gyp`;
      // TMPDIR: where @vscode/ripgrep looks for its cached archive.
      env: { ...process.env, npm_config_unsafe_perm: 'true', npm_config_yes: 'true', TMPDIR: tmp },
      timeoutMs: 15 * 60_000,
    });
    writeFileSync(join(staging, 'install.log'), r.output);
    if (r.code !== 0 || !existsSync(binOf(staging))) {
      throw new Error(`npm install code-server@${CODE_SERVER_VERSION} failed (status ${r.code}):\n${r.output.slice(-3000)}`);
    }
    writeFileSync(join(staging, MARKER), `${new Date().toISOString()}\n`);
    if (!existsSync(join(dir, MARKER))) {
      rmSync(dir, { recursive: true, force: true }); // a broken install from before the marker existed
      renameSync(staging, dir);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true }); // gone already unless another run finished first
    rmSync(tmp, { recursive: true, force: true });
  }
  return { ok: true, bin: binOf(dir), installedNow: true };
}

export interface CodeServerOptions {
  bin: string;
  /** Folder opened as the workspace. */
  workspace: string;
  /** .vsix files installed before start. */
  extensions: string[];
  /** Everything code-server writes (config, user data, extensions, XDG dirs, its log) goes here. */
  home: string;
  /** User settings (settings.json). */
  settings?: Record<string, unknown>;
}

export interface RunningCodeServer {
  url: string;
  /** The URL that opens the workspace folder. */
  workspaceUrl: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Installs the extensions, starts code-server on 127.0.0.1 without auth, and waits for /healthz. */
export async function startCodeServer(o: CodeServerOptions): Promise<RunningCodeServer> {
  const config = join(o.home, 'config.yaml');
  const userData = join(o.home, 'user-data');
  const extensionsDir = join(o.home, 'extensions');
  const xdg = (name: string) => join(o.home, 'xdg', name);
  for (const d of [join(userData, 'User'), extensionsDir, xdg('config'), xdg('data'), xdg('cache')]) mkdirSync(d, { recursive: true });
  // Every code-server call writes a config file: give it ours so ~/.config/code-server stays untouched.
  writeFileSync(config, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(o.settings ?? {}, null, 2));
  const env = { ...process.env, XDG_CONFIG_HOME: xdg('config'), XDG_DATA_HOME: xdg('data'), XDG_CACHE_HOME: xdg('cache') };
  const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensionsDir];

  for (const vsix of o.extensions) {
    const r = await runInGroup(o.bin, [...common, '--install-extension', vsix], { env, timeoutMs: 120_000 });
    if (r.code !== 0 || !/successfully installed/i.test(r.output)) throw new Error(`code-server --install-extension ${vsix} failed (status ${r.code}):\n${r.output}`);
  }

  const port = await freePort();
  const logFile = join(o.home, 'code-server.log');
  const logStream = createWriteStream(logFile);
  await new Promise((r) => logStream.once('open', r));
  const child = spawnInGroup(
    o.bin,
    [...common, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', o.workspace],
    { env, stdio: ['ignore', logStream, logStream] },
  );
  if (child.pid === undefined) throw new Error(`could not start ${o.bin}`);
  const pid = child.pid;
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  const url = `http://127.0.0.1:${port}/`;
  const stop = async () => {
    await stopGroup(pid);
    logStream.end();
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`code-server ${exited} before it was healthy; log ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    }
    try {
      if ((await fetch(`${url}healthz`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server not healthy within 60 s; log ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, workspaceUrl: `${url}?folder=${encodeURIComponent(o.workspace)}`, pid, logFile, stop };
}
