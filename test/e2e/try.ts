/**
 * `npm run try`: the packaged extension in a local VS Code (code-server) on examples/, for people without
 * VS Code at hand. Listens on 127.0.0.1 only; prints the URL; Ctrl-C stops it (the whole process group).
 */
import { examplesDir } from '../support/paths';
import { startSession } from './support/session';

async function main(): Promise<void> {
  const log = (m: string) => console.log(`[try] ${m}`);
  const started = await startSession(examplesDir, log);
  if (!started.ok) {
    console.error(`npm run try: cannot start code-server: ${started.reason}`);
    process.exit(1);
  }
  const { session } = started;
  // On Ctrl-C the process-group handlers (support/processes) kill code-server; the session removes its temp dirs.
  console.log(`\nOpen ${session.server.workspaceUrl}\n(code-server ${session.server.url} on 127.0.0.1 only; from another machine: ssh -L ${new URL(session.server.url).port}:127.0.0.1:${new URL(session.server.url).port} this-host)\nCtrl-C to stop.`);
  // Stay up until a signal; then the handlers stop everything.
  await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
