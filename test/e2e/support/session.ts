/**
 * One code-server session on the examples: prerequisites (Chromium, code-server), a freshly packaged
 * .vsix, throw-away dirs, and the user settings that keep screenshots calm. Shared by the end-to-end
 * test and `npm run try`.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../support/paths';
import { ensureCodeServer, startCodeServer, type RunningCodeServer } from './codeServer';
import { packageVsix } from './vsix';

export const artefactsDir = join(repoRoot, 'artefacts', 'e2e');

/** Settings for a quiet, reproducible workbench. */
export const userSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  // The light theme: in Dark Modern pids and errno texts share one blue.
  'workbench.colorTheme': 'Default Light Modern',
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'files.autoSave': 'off',
  // Files opened from the explorer stay open when a lens or definition opens another one.
  'workbench.editor.enablePreview': false,
  'editor.hover.delay': 100,
  'editor.minimap.enabled': false,
  'outline.collapseItems': 'alwaysExpand',
};

export interface Session {
  server: RunningCodeServer;
  home: string;
  /** Stops code-server (whole process group) and removes the throw-away dirs. */
  close(): Promise<void>;
}

export type SessionStart = { ok: true; session: Session; installedCodeServer: boolean } | { ok: false; reason: string };

/** Packages the extension, makes sure code-server is there, and starts it on `workspace`. */
export async function startSession(workspace: string, log: (m: string) => void): Promise<SessionStart> {
  const install = await ensureCodeServer(log);
  if (!install.ok) return install;
  mkdirSync(artefactsDir, { recursive: true });
  const vsix = join(artefactsDir, 'criu-netfilter-lens.vsix');
  await packageVsix(vsix);
  log(`packaged ${vsix}`);
  const home = mkdtempSync(join(tmpdir(), 'criu-lens-code-server-'));
  // Also when a signal ends the run (support/processes exits after killing the process groups).
  const removeHome = () => {
    try {
      rmSync(home, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      /* a just-killed process may still hold it; it is under the OS temp dir */
    }
  };
  process.on('exit', removeHome);
  try {
    const server = await startCodeServer({ bin: install.bin, workspace, extensions: [vsix], home, settings: userSettings });
    log(`code-server (pid ${server.pid}) on ${server.url}`);
    return {
      ok: true,
      installedCodeServer: install.installedNow,
      session: {
        server,
        home,
        close: async () => {
          await server.stop();
          copyFileSync(server.logFile, join(artefactsDir, 'code-server.log'));
          removeHome();
        },
      },
    };
  } catch (e) {
    removeHome();
    throw e;
  }
}
