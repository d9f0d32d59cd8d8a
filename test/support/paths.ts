import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Tests run from out/test/<dir>/x.test.js: the repository is three levels up. */
export const repoRoot = join(__dirname, '..', '..', '..');
export const distDir = join(repoRoot, 'dist');
export const examplesDir = join(repoRoot, 'examples');

/** The shared corpus lives beside the clone and is never copied into it (licences). */
export const corpusDir = join(repoRoot, '..', 'shared', 'corpus');
export const corpusAvailable = existsSync(corpusDir);
export const corpusMissingReason = `corpus not available at ${corpusDir}`;

/** Every file under `dir` whose path matches `re`, sorted. */
export function filesUnder(dir: string, re: RegExp): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (re.test(p)) found.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return found.sort();
}

/** A bundled example as a protocol test opens it: its file uri, text and lines. */
export function exampleDoc(name: string): { uri: string; text: string; lines: string[] } {
  const path = join(examplesDir, name);
  const text = readFileSync(path, 'utf8');
  return { uri: pathToFileURL(path).href, text, lines: text.split('\n') };
}
