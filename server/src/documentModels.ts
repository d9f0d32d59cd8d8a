import { buildModel, type DocumentModel, type ParseCache } from './analysis';
import type { LanguageId } from './core/language';

interface Entry {
  version: number;
  language: LanguageId;
  model: DocumentModel;
  cache: ParseCache;
}

/**
 * Parsed models of open documents, by uri and version: every request on the same version
 * shares one parse, and each document keeps its line cache so an edit re-parses only the
 * lines it changed.
 */
export class DocumentModels {
  private readonly entries = new Map<string, Entry>();

  get(uri: string, language: LanguageId, version: number, text: () => string): DocumentModel {
    const entry = this.entries.get(uri);
    if (entry && entry.version === version && entry.language === language) return entry.model;
    const cache = entry?.language === language ? entry.cache : {};
    const source = text();
    if (language === 'iptables-save') {
      // Bound the line cache: lines edited away would otherwise stay forever.
      const lineCount = source.length / 40;
      if (!cache.iptablesLines || cache.iptablesLines.size > 2 * lineCount + 1000) cache.iptablesLines = new Map();
    }
    const model = buildModel({ doc: uri, language, text: source }, cache);
    this.entries.set(uri, { version, language, model, cache });
    return model;
  }

  delete(uri: string): void {
    this.entries.delete(uri);
  }
}
