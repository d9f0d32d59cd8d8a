/**
 * The jumps of one table as a graph over chain numbers. The checks walk it several times; on a
 * kube-proxy dump (35k chains, 70k jumps) walks over maps keyed by chain name spent most of
 * their time hashing and comparing names, so names are looked up once, here.
 */
import type { Range } from '../../core/text';
import type { Chain, ChainReference, Rule, Table, TableName } from './model';
import { DumpRule } from './rule';

/** A chain number's way in: the jump that first reached it, or one of these. */
export const ENTRY = -1;
export const UNREACHED = -2;

export class JumpGraph {
  /** The table's chains, numbered in table order. */
  readonly chains: Chain[] = [];
  /** The jumps, in table and rule order: those of chain c are start[c] .. start[c + 1] - 1. */
  readonly start: Int32Array;
  /** Each jump's rule, and the chain numbers it jumps from and to. */
  readonly rules: Rule[] = [];
  readonly caller: Int32Array;
  readonly callee: Int32Array;
  private readonly table: TableName;

  /**
   * `isEdge` decides which `-j/-g CHAIN` rules are jumps (and may report the others): `callee`
   * is undefined when the table has no such chain.
   */
  constructor(table: Table, isEdge: (rule: Rule, callee: Chain | undefined) => boolean) {
    this.table = table.name;
    const numbers = new Map<string, number>();
    for (const chain of table.chains.values()) {
      numbers.set(chain.name, this.chains.length);
      this.chains.push(chain);
    }
    this.start = new Int32Array(this.chains.length + 1);
    const callers: number[] = [];
    const callees: number[] = [];
    for (let c = 0; c < this.chains.length; c++) {
      this.start[c] = callees.length;
      for (const rule of this.chains[c].rules) {
        const name = jumpTarget(rule);
        if (name === undefined) continue;
        const callee = numbers.get(name);
        // The rule's copy of the name is looked up here, once; then it keeps the chain's.
        if (callee !== undefined && rule instanceof DumpRule) rule.shareTargetName(this.chains[callee].name);
        if (!isEdge(rule, callee === undefined ? undefined : this.chains[callee])) continue;
        this.rules.push(rule);
        callers.push(c);
        callees.push(callee!);
      }
    }
    this.start[this.chains.length] = callees.length;
    this.caller = Int32Array.from(callers);
    this.callee = Int32Array.from(callees);
  }

  /** Jump j as the model's reference; made on demand, a 100k-rule dump has as many. */
  reference(j: number): ChainReference {
    return new Jump(this.table, this.chains[this.callee[j]].name, this.rules[j]);
  }

  /** The chain numbers of the chains named, skipping names the table lacks. */
  numbersOf(names: readonly string[]): number[] {
    return names.map((n) => this.chains.findIndex((c) => c.name === n)).filter((c) => c >= 0);
  }

  /**
   * Breadth first from `entries`: for each chain, the jump that first reached it, ENTRY for an
   * entry, UNREACHED if no path leads there.
   */
  reach(entries: readonly number[]): Int32Array {
    const via = new Int32Array(this.chains.length).fill(UNREACHED);
    const queue = new Int32Array(this.chains.length);
    let tail = 0;
    for (const e of entries) {
      if (via[e] !== UNREACHED) continue;
      via[e] = ENTRY;
      queue[tail++] = e;
    }
    for (let head = 0; head < tail; head++) {
      const from = queue[head];
      for (let j = this.start[from]; j < this.start[from + 1]; j++) {
        const to = this.callee[j];
        if (via[to] !== UNREACHED) continue;
        via[to] = j;
        queue[tail++] = to;
      }
    }
    return via;
  }
}

/** The chain a rule jumps or goes to; rules read from a dump tell without making a target view. */
function jumpTarget(rule: Rule): string | undefined {
  if (rule instanceof DumpRule) return rule.jumpTarget;
  const target = rule.target;
  return target?.kind === 'chain' ? target.name : undefined;
}

/** A `-j/-g CHAIN` reference; its range is the target's. */
class Jump implements ChainReference {
  constructor(
    readonly table: TableName,
    readonly chain: string,
    readonly rule: Rule,
  ) {}

  get range(): Range {
    return this.rule.target!.nameRange;
  }
}
