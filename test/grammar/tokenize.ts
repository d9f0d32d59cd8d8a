// Shared helper for the TextMate grammar tests: loads the grammars in syntaxes/ with vscode-textmate and
// vscode-oniguruma (the same engines VS Code uses), tokenizes text line by line, and answers
// "which scopes does the substring X (nth occurrence) on line N carry".
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

/** Finds the repository root (the folder whose package.json is this extension's) at or above `from`. */
function findRepoRootFrom(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'criu-netfilter-lens') return dir;
      } catch {
        /* not ours: keep looking */
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Repository root: found from the compiled test (out/test/grammar/*.test.js), else from the working directory. */
export const repoRoot =
  findRepoRootFrom(__dirname) ?? findRepoRootFrom(process.cwd()) ?? join(__dirname, '..', '..', '..');
/** The shared corpus next to the repository (may be absent). */
export const corpusRoot = join(repoRoot, '..', 'shared', 'corpus');

/** Grammar files by scope name, as contributed in package.json. */
const grammarFiles: Record<string, string> = {
  'source.criu-log': 'criu-log.tmLanguage.json',
  'source.iptables-save': 'iptables-save.tmLanguage.json',
  'source.kernel-trace': 'kernel-trace.tmLanguage.json',
  'source.nftables': 'nftables.tmLanguage.json',
};

let registry: vsctm.Registry | undefined;
const grammars = new Map<string, Promise<vsctm.IGrammar>>();

function getRegistry(): vsctm.Registry {
  if (registry) return registry;
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  const onigLib: Promise<vsctm.IOnigLib> = oniguruma
    .loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer)
    .then(() => ({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }));
  registry = new vsctm.Registry({
    onigLib,
    loadGrammar: async (scopeName: string) => {
      const file = grammarFiles[scopeName];
      if (!file) return null;
      const path = join(repoRoot, 'syntaxes', file);
      return vsctm.parseRawGrammar(readFileSync(path, 'utf8'), path);
    },
  });
  return registry;
}

/** Loads (once) the grammar for a scope name such as `source.criu-log`. */
export function getGrammar(scopeName: string): Promise<vsctm.IGrammar> {
  let grammar = grammars.get(scopeName);
  if (!grammar) {
    grammar = getRegistry()
      .loadGrammar(scopeName)
      .then((g) => {
        if (!g) throw new Error(`grammar not found: ${scopeName}`);
        return g;
      });
    grammars.set(scopeName, grammar);
  }
  return grammar;
}

export interface ScopedToken {
  startIndex: number;
  endIndex: number;
  text: string;
  scopes: string[];
}

export interface LineResult {
  line: string;
  tokens: ScopedToken[];
  /** True when vscode-textmate gave up on the line because of the time limit. */
  stoppedEarly: boolean;
}

/** Splits text into lines the way editors do (\n, \r\n); a final newline does not add a line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Tokenizes lines one by one, carrying the rule stack, and hands each line's tokens to `onLine`
 * without keeping them (for big corpus files). `timeLimitMs` is passed to tokenizeLine (0 = none).
 */
export async function forEachTokenizedLine(
  scopeName: string,
  lines: Iterable<string>,
  onLine: (result: LineResult, index: number) => void,
  timeLimitMs = 0,
): Promise<number> {
  const grammar = await getGrammar(scopeName);
  let state: vsctm.StateStack = vsctm.INITIAL;
  let index = 0;
  for (const line of lines) {
    const r = grammar.tokenizeLine(line, state, timeLimitMs);
    state = r.ruleStack;
    const tokens = r.tokens.map((t) => ({
      startIndex: t.startIndex,
      // vscode-textmate reports the last token up to length + 1 (the "\n" it appends): clamp.
      endIndex: Math.min(t.endIndex, line.length),
      text: line.slice(t.startIndex, Math.min(t.endIndex, line.length)),
      scopes: t.scopes,
    }));
    onLine({ line, tokens, stoppedEarly: r.stoppedEarly }, index++);
  }
  return index;
}

/** Does any scope in `scopes` match the selector (a dotted prefix: `constant.numeric` matches `constant.numeric.hex.x`)? */
export function hasScope(scopes: readonly string[], selector: string): boolean {
  return scopes.some((scope) => scope === selector || scope.startsWith(selector + '.'));
}

/** The tokens of a tokenized text, with lookups by line and substring. Lines are 0-based. */
export class TokenizedText {
  constructor(readonly lines: LineResult[]) {}

  line(n: number): LineResult {
    const line = this.lines[n];
    if (!line) throw new Error(`no line ${n} (text has ${this.lines.length} lines)`);
    return line;
  }

  /** Start offset of the nth (1-based) occurrence of `substring` on line `n`. */
  private offsetOf(n: number, substring: string, occurrence: number): number {
    const text = this.line(n).line;
    let at = -1;
    for (let i = 0; i < occurrence; i++) {
      at = text.indexOf(substring, at + 1);
      if (at < 0) throw new Error(`"${substring}" (occurrence ${occurrence}) not found on line ${n}: ${JSON.stringify(text)}`);
    }
    return at;
  }

  /** The tokens that overlap the nth (1-based) occurrence of `substring` on line `n`. */
  tokensOf(n: number, substring: string, occurrence = 1): ScopedToken[] {
    const start = this.offsetOf(n, substring, occurrence);
    const end = start + Math.max(substring.length, 1);
    return this.line(n).tokens.filter((t) => t.startIndex < end && t.endIndex > start);
  }

  /**
   * The scopes that the nth (1-based) occurrence of `substring` on line `n` carries: the scopes common to
   * every token that covers part of it (so a substring that spans a scope boundary carries only the outer ones).
   */
  scopesOf(n: number, substring: string, occurrence = 1): string[] {
    const tokens = this.tokensOf(n, substring, occurrence);
    if (tokens.length === 0) return [];
    return tokens[0].scopes.filter((scope) => tokens.every((t) => t.scopes.includes(scope)));
  }

  /** Does the substring carry a scope matching `selector` (dotted-prefix match)? */
  has(n: number, substring: string, selector: string, occurrence = 1): boolean {
    return hasScope(this.scopesOf(n, substring, occurrence), selector);
  }

  /** Human-readable dump of a line's tokens, for assertion messages. */
  describe(n: number): string {
    const { line, tokens } = this.line(n);
    return [
      JSON.stringify(line),
      ...tokens.map((t) => `  ${JSON.stringify(t.text).padEnd(28)} ${t.scopes.slice(1).join(' ')}`),
    ].join('\n');
  }
}

/** Tokenizes a whole text (or a list of lines) with the grammar for `scopeName`. */
export async function tokenize(scopeName: string, text: string | readonly string[], timeLimitMs = 0): Promise<TokenizedText> {
  const results: LineResult[] = [];
  await forEachTokenizedLine(scopeName, typeof text === 'string' ? splitLines(text) : text, (r) => results.push(r), timeLimitMs);
  return new TokenizedText(results);
}

/** Fails (assert, with a token dump) unless the substring carries a scope matching `selector`. */
export function expectScope(doc: TokenizedText, n: number, substring: string, selector: string, occurrence = 1): void {
  assert.ok(
    doc.has(n, substring, selector, occurrence),
    `expected "${substring}" (occurrence ${occurrence}) on line ${n} to carry ${selector}; it carries ` +
      `[${doc.scopesOf(n, substring, occurrence).join(', ')}]\n${doc.describe(n)}`,
  );
}

/** Fails (assert, with a token dump) if the substring carries a scope matching `selector`. */
export function expectNoScope(doc: TokenizedText, n: number, substring: string, selector: string, occurrence = 1): void {
  // Any token of the substring counts here: "not scoped" means no part of it is.
  const offending = doc.tokensOf(n, substring, occurrence).filter((t) => hasScope(t.scopes, selector));
  assert.equal(
    offending.length,
    0,
    `expected "${substring}" (occurrence ${occurrence}) on line ${n} not to carry ${selector}; ` +
      `${offending.map((t) => JSON.stringify(t.text)).join(', ')} do\n${doc.describe(n)}`,
  );
}

/** [substring, scope selector, occurrence (1-based, default 1)] */
export type Expectation = readonly [substring: string, selector: string, occurrence?: number];

/**
 * Tokenizes one line and checks that each `expected` substring carries its scope and that no part of each
 * `forbidden` substring carries its scope. Returns the tokenized line for further checks.
 */
export async function expectLine(
  scopeName: string,
  line: string,
  expected: readonly Expectation[],
  forbidden: readonly Expectation[] = [],
): Promise<TokenizedText> {
  const doc = await tokenize(scopeName, [line]);
  for (const [substring, selector, occurrence] of expected) expectScope(doc, 0, substring, selector, occurrence ?? 1);
  for (const [substring, selector, occurrence] of forbidden) expectNoScope(doc, 0, substring, selector, occurrence ?? 1);
  return doc;
}
