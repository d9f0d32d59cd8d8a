/**
 * Which opened files to offer the large-log analysis for: CRIU logs too big for VS Code to hand
 * to extensions (it stops syncing files over 50 MB, so the language server never sees them).
 * No `vscode` import: unit-tested with plain files.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** VS Code's limit for syncing a file to extensions (50 MB). */
export const SYNC_LIMIT_BYTES = 50 * 1024 * 1024;

/** Any `.log` (CRIU logs are named restore.log, dump.log, criu-*.log…), rotated ones included. */
const logName = /\.log(\.\d+)?$/i;
/** A CRIU line start: `(00.000025) `, a restored task's pid column, or a `pie:` tag. */
const criuLine = /^(\(\s*\d+\.\d+\) |\s*\d+: (Error|Warn) \(|pie: \d+: )/m;

/** What the first bytes of a file are: enough to tell a CRIU log by its first lines. */
function head(path: string, bytes = 4096): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    return buffer.subarray(0, readSync(fd, buffer, 0, bytes, 0)).toString('utf8');
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}

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
    return logName.test(path) || criuLine.test(head(path)) ? size : undefined;
  } catch {
    return undefined;
  }
}
