import { buildModel, type DocumentModel, type ParseCache } from './analysis';
import { lineOffsets } from './core/text';
import type { LanguageId } from './core/language';
import type { DumpLine } from './netfilter/iptables/lineGrammar';

interface Entry {
  version: number;
  language: LanguageId;
  /** Undefined while the version is being parsed: the previous version's model is let go first. */
  model: DocumentModel | undefined;
  cache: ParseCache;
}

/**
 * Rulesets up to this many lines keep their parsed lines between edits (an edit then parses only
 * the lines it changed: about half the time of a whole parse). A parsed line costs about 1.3 KB,
 * so the cache is held to ~65 MB; bigger rulesets are parsed whole on each (debounced) edit,
 * which the one-call grammar does fastest when no line is cached.
 */
export const EDIT_CACHE_MAX_LINES = 50_000;

function countLines(text: string, max: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && n <= max; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The cache reduced to the lines of `text`, keyed by slices of it: lines edited away go, and no
 * key keeps an older version of the document alive.
 */
function currentLines(text: string, cache: Map<string, DumpLine>): Map<string, DumpLine> {
  const next = new Map<string, DumpLine>();
  for (const [start, end] of lineOffsets(text)) {
    const line = text.slice(start, end);
    const node = cache.get(line);
    if (node) next.set(line, node);
  }
  return next;
}

/**
 * Parsed models of open documents, by uri and version: every request on the same version
 * shares one parse, and a ruleset keeps the previous version's parsed lines so an edit
 * re-parses only the lines it changed.
 */
export class DocumentModels {
  private readonly entries = new Map<string, Entry>();

  /** Whether `get` for this version would return a model without parsing. */
  has(uri: string, language: LanguageId, version: number): boolean {
    const entry = this.entries.get(uri);
    return entry?.model !== undefined && entry.version === version && entry.language === language;
  }

  /** Whether some version of `uri` was parsed since it was opened. */
  parsed(uri: string): boolean {
    return this.entries.has(uri);
  }

  get(uri: string, language: LanguageId, version: number, text: () => string): DocumentModel {
    const entry = this.entries.get(uri);
    if (entry?.model && entry.version === version && entry.language === language) return entry.model;
    // The old model holds the old text (a log's lines, a ruleset's slices): it goes before the new
    // one is built, not after, so that two versions of a big document are not held at once.
    if (entry) entry.model = undefined;
    const source = text();
    const cache: ParseCache = {};
    if (language === 'criu-log' && entry?.language === language && entry.cache.criuShapes) cache.criuShapes = entry.cache.criuShapes;
    if (language === 'iptables-save' && countLines(source, EDIT_CACHE_MAX_LINES) <= EDIT_CACHE_MAX_LINES) {
      cache.iptablesLines = (entry?.language === language && entry.cache.iptablesLines) || new Map();
    }
    const model = buildModel({ doc: uri, language, text: source }, cache);
    if (cache.iptablesLines && entry?.cache.iptablesLines === cache.iptablesLines) cache.iptablesLines = currentLines(source, cache.iptablesLines);
    this.entries.set(uri, { version, language, model, cache });
    return model;
  }

  /** Lines held in the edit cache of `uri` (for tests and figures). */
  cachedLines(uri: string): number {
    return this.entries.get(uri)?.cache.iptablesLines?.size ?? 0;
  }

  delete(uri: string): void {
    this.entries.delete(uri);
  }
}
