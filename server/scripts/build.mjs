// Builds everything from source: peggy grammars → JS (with .d.ts), then esbuild bundles
// for the extension, the server, the CLI, and the tests/benchmarks (which run on compiled output).
// Usage: node server/scripts/build.mjs [--watch]
import { readdirSync, mkdirSync, readFileSync, writeFileSync, statSync, watch as fsWatch } from 'node:fs';
import { join, dirname, basename, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import peggy from 'peggy';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const grammarDir = join(root, 'server/src/grammar');
const generatedDir = join(grammarDir, 'generated');
const watchMode = process.argv.includes('--watch');

/** Compile each server/src/grammar/*.peggy into generated/<name>.js + .d.ts (never with `cache`: 6× slower). */
function buildGrammars() {
  mkdirSync(generatedDir, { recursive: true });
  for (const file of readdirSync(grammarDir).filter((f) => f.endsWith('.peggy'))) {
    const name = basename(file, '.peggy');
    const source = readFileSync(join(grammarDir, file), 'utf8');
    const allowedStartRules = [...source.matchAll(/^\/\/\s*@start\s+(\w+)/gm)].map((m) => m[1]);
    const js = peggy.generate(source, {
      output: 'source',
      format: 'es',
      grammarSource: relative(root, join(grammarDir, file)),
      allowedStartRules: allowedStartRules.length ? allowedStartRules : undefined,
    });
    writeFileIfChanged(join(generatedDir, `${name}.js`), `// Generated from ${file} by server/scripts/build.mjs. Do not edit.\n${js}`);
    writeFileIfChanged(join(generatedDir, `${name}.d.ts`), grammarTypes(file, allowedStartRules));
    // `// @instances`: the parser is also written as the text of a CommonJS module, so that the
    // code can make an instance of its own of it (netfilter/iptables/lineGrammar.ts says why).
    if (/^\/\/\s*@instances\b/m.test(source)) {
      const cjs = peggy.generate(source, { output: 'source', format: 'commonjs', allowedStartRules: allowedStartRules.length ? allowedStartRules : undefined });
      writeFileIfChanged(join(generatedDir, `${name}.source.js`), `// Generated from ${file} by server/scripts/build.mjs. Do not edit.\nexport const source = ${JSON.stringify(cjs)};\n`);
      writeFileIfChanged(join(generatedDir, `${name}.source.d.ts`), `// Generated from ${file} by server/scripts/build.mjs. Do not edit.\n/** The parser as the text of a CommonJS module (it sets module.exports.parse). */\nexport declare const source: string;\n`);
    }
  }
}

/** Each grammar returns its own typed node; the .d.ts names the start rules and points at the model types. */
function grammarTypes(file, startRules) {
  return `// Generated from ${file} by server/scripts/build.mjs. Do not edit.
export interface PeggyLocation { start: { offset: number; line: number; column: number }; end: { offset: number; line: number; column: number } }
export declare class SyntaxError extends Error {
  expected: unknown[] | null;
  found: string | null;
  location: PeggyLocation;
}
export interface ParseOptions { startRule?: ${startRules.length ? startRules.map((r) => JSON.stringify(r)).join(' | ') : 'string'}; [key: string]: unknown }
export declare function parse(input: string, options?: ParseOptions): unknown;
`;
}

function writeFileIfChanged(path, text) {
  try {
    if (readFileSync(path, 'utf8') === text) return;
  } catch { /* new file */ }
  writeFileSync(path, text);
}

function testEntries() {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.test\.ts$/.test(entry)) found.push(p);
    }
  };
  walk(join(root, 'test'));
  return found;
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
};

const configs = [
  // The extension and the server ship without node_modules: everything but `vscode` is bundled.
  { ...common, entryPoints: { extension: 'client/src/extension.ts' }, outdir: 'dist', external: ['vscode'] },
  { ...common, entryPoints: { server: 'server/src/server.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { cli: 'server/src/cli.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  // Tests and benchmarks keep their dependencies external (resolved from node_modules at run time).
  {
    ...common,
    entryPoints: [...testEntries(), join(root, 'bench/run.ts')].map((p) => relative(root, p)),
    outdir: 'out',
    outbase: '.',
    packages: 'external',
  },
  // `npm run try` (code-server on examples/) shares the e2e support code. It lives outside out/test/
  // (`node --test out/test/` runs every .js file under a test/ folder), at the tests' depth, so that
  // test/support/paths finds the repository three levels up.
  { ...common, entryPoints: { try: 'test/e2e/try.ts' }, outdir: 'out/scripts/e2e', packages: 'external' },
];

buildGrammars();
if (watchMode) {
  fsWatch(grammarDir, (_event, name) => {
    if (name && name.endsWith('.peggy')) {
      try { buildGrammars(); console.log(`[watch] rebuilt ${name}`); } catch (e) { console.error(String(e)); }
    }
  });
  for (const config of configs) await (await esbuild.context(config)).watch();
  console.log('[watch] building on change; Ctrl-C to stop');
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
}
