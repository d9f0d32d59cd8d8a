/**
 * Which opened files to offer the large-log analysis for: CRIU logs too big for VS Code to hand
 * to extensions (it stops syncing files over 50 MB, so the language server never sees them).
 * No `vscode` import: unit-tested with plain files.
 */
import { statSync } from 'node:fs';
import { detectLanguage } from '../../server/src/core/language';
import { readHead } from '../../server/src/core/lineFile';

/** VS Code's limit for syncing a file to extensions (50 MB). */
export const SYNC_LIMIT_BYTES = 50 * 1024 * 1024;

/** Any `.log` (CRIU logs are named restore.log, dump.log, criu-*.log…), rotated ones included. */
const logName = /\.log(\.\d+)?$/i;

/** Whether `path` is a CRIU log over `limit` bytes; its size when it is. Never throws. */
export function tooLargeCriuLog(path: string, limit = SYNC_LIMIT_BYTES): number | undefined {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return undefined;
    size = stat.size;
  } catch {
    return undefined;
  }
  if (size <= limit) return undefined;
  try {
    // Otherwise its first lines decide, read as `check` and the server read them.
    return logName.test(path) || detectLanguage(path, readHead(path, 64 * 1024)) === 'criu-log' ? size : undefined;
  } catch {
    return undefined;
  }
}
