/**
 * The files of the workspace the analysis reads without the user opening them: CRIU logs and
 * rulesets found under the workspace folders by configurable globs, up to a bounded count and
 * size, each recognised by its content (the same detector as the CLI's).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { minimatch } from 'minimatch';
import { detectLanguage, type LanguageId } from '../core/language';

export interface IndexOptions {
  include: readonly string[];
  exclude: readonly string[];
  maxFiles: number;
  /** Bigger files are left to the large-file command (VS Code itself stops syncing at 50 MB). */
  maxFileBytes: number;
}

export const defaultIndexOptions: IndexOptions = {
  include: ['**/*.log', '**/*.rules', '**/*.iptables', '**/*.ip6tables', '**/*iptables*', '**/*nft*', '**/*.nft', '**/rules.v4', '**/rules.v6', '**/*.txt'],
  exclude: ['**/node_modules/**', '**/.git/**', '**/out/**', '**/dist/**'],
  maxFiles: 500,
  maxFileBytes: 50 * 1024 * 1024,
};

export interface IndexedFile {
  path: string;
  language: LanguageId;
  text: string;
  mtimeMs: number;
}

export interface IndexResult {
  files: IndexedFile[];
  /** Files that matched but were skipped, with why (too big, over the count, unreadable). */
  skipped: { path: string; reason: string }[];
}

export function matchesIndex(root: string, path: string, options: IndexOptions): boolean {
  const rel = relative(root, path).split(sep).join('/');
  if (rel.startsWith('..')) return false;
  return options.include.some((g) => minimatch(rel, g, { dot: false })) && !options.exclude.some((g) => minimatch(rel, g, { dot: true }));
}

/** Reads one candidate file; undefined when it is not one of our languages. */
export function readIndexedFile(path: string, options: IndexOptions): IndexedFile | { skipped: string } | undefined {
  let stat;
  try {
    stat = statSync(path);
  } catch (e) {
    return { skipped: `unreadable: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  if (!stat.isFile()) return undefined;
  if (stat.size > options.maxFileBytes) return { skipped: `${Math.round(stat.size / 1e6)} MB is over the ${Math.round(options.maxFileBytes / 1e6)} MB limit` };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { skipped: `unreadable: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  const language = detectLanguage(path, text);
  if (language !== 'criu-log' && language !== 'iptables-save') return undefined;
  return { path, language, text, mtimeMs: stat.mtimeMs };
}

export function indexFolders(roots: readonly string[], options: IndexOptions = defaultIndexOptions): IndexResult {
  const result: IndexResult = { files: [], skipped: [] };
  const visit = (root: string, dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      const rel = relative(root, path).split(sep).join('/');
      if (options.exclude.some((g) => minimatch(rel, g, { dot: true }) || minimatch(`${rel}/`, g, { dot: true }))) continue;
      if (entry.isDirectory()) {
        visit(root, path);
        continue;
      }
      if (!entry.isFile() || !matchesIndex(root, path, options)) continue;
      if (result.files.length >= options.maxFiles) {
        result.skipped.push({ path, reason: `more than ${options.maxFiles} files match` });
        continue;
      }
      const read = readIndexedFile(path, options);
      if (!read) continue;
      if ('skipped' in read) result.skipped.push({ path, reason: read.skipped });
      else result.files.push(read);
    }
  };
  for (const root of roots) visit(root, root);
  return result;
}
