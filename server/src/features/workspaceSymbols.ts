/**
 * workspace/symbol: the chains of every open ruleset, iptables-save and nftables alike, whose name
 * contains the query (case-insensitive). A symbol is made only for a chain that matches: a 700k-rule
 * dump has 250k chains.
 */
import { SymbolKind, type SymbolInformation } from 'vscode-languageserver';
import type { IptablesRuleset } from '../netfilter/iptables/model';
import type { NftRuleset } from '../netfilter/nftables/model';

/** A chain as a candidate: its name, and how to make its symbol. */
interface Candidate {
  name: string;
  symbol: () => SymbolInformation;
}

function* iptablesChains(models: Iterable<[string, IptablesRuleset]>): Generator<Candidate> {
  for (const [uri, ruleset] of models) {
    for (const table of ruleset.tables) {
      for (const chain of table.chains.values()) {
        yield {
          name: chain.name,
          symbol: () => ({ name: chain.name, kind: chain.builtin ? SymbolKind.Event : SymbolKind.Function, containerName: table.name, location: { uri, range: chain.declaration?.nameRange ?? table.range } }),
        };
      }
    }
  }
}

function* nftChains(models: Iterable<[string, NftRuleset]>): Generator<Candidate> {
  for (const [uri, ruleset] of models) {
    for (const table of ruleset.tables) {
      for (const chain of table.chains.values()) {
        yield {
          name: chain.name,
          symbol: () => ({ name: chain.name, kind: chain.base ? SymbolKind.Event : SymbolKind.Function, containerName: `${table.family} ${table.name}`, location: { uri, range: chain.nameRange } }),
        };
      }
    }
  }
}

/** At most `limit` symbols, iptables-save rulesets first. */
export function workspaceSymbols(query: string, models: { iptables: Iterable<[string, IptablesRuleset]>; nft: Iterable<[string, NftRuleset]> }, limit = 500): SymbolInformation[] {
  const q = query.toLowerCase();
  const out: SymbolInformation[] = [];
  for (const candidates of [iptablesChains(models.iptables), nftChains(models.nft)]) {
    for (const c of candidates) {
      if (!c.name.toLowerCase().includes(q)) continue;
      out.push(c.symbol());
      if (out.length >= limit) return out;
    }
  }
  return out;
}
