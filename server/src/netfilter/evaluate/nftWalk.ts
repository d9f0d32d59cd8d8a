/**
 * What netfilter does to one packet when nftables base chains are on the hooks, beside (or
 * instead of) iptables-legacy tables: every base chain of a hook runs in priority order, and
 * the xtables tables sit at their fixed priorities (raw -300, mangle -150, dstnat -100, filter 0,
 * security 50, srcnat 100). `accept` ends only its own base chain; a drop anywhere wins (nft(8),
 * "overall evaluation of the ruleset"): so CRIU's `table inet CRIU-…` accepting the marked FIN
 * does not protect it from `table ip filter`'s KUBE-FIREWALL drop. Matching is three-valued
 * (nftMatch.ts); possibilities are followed as in walk.ts.
 */
import type { Chain, Expr, NftRuleset, Rule, Statement, Table } from '../nftables/model';
import { evaluateMatch, setValue, vmapLookup, type NftContext } from './nftMatch';
import type { Packet, Path } from './packet';
import type { Tri } from './tri';
import { beforeConntrack, describeBits, evaluatePacket, MAX_BRANCHES, pathStages, runXtablesStage, summarise, withDefaults, type Branch, type Budget, type Culprit, type EvaluateOptions, type Evaluation, type PathStage, type RulesetInput, type TableEnd, type TraceStep } from './walk';

export interface NftRulesetInput {
  doc: string;
  nft: NftRuleset;
}

export type AnyRulesetInput = RulesetInput | NftRulesetInput;

export const isNftInput = (i: AnyRulesetInput): i is NftRulesetInput => 'nft' in i;

/** The hooks of each path, in order, as nft names them (iptables' chains in walk.ts's hookPlans). */
const nftHooks: Record<Path, string[]> = {
  'local-out': ['output', 'postrouting'],
  input: ['prerouting', 'input'],
  forward: ['prerouting', 'forward', 'postrouting'],
};
const xtHook: Record<string, string> = { output: 'OUTPUT', postrouting: 'POSTROUTING', prerouting: 'PREROUTING', input: 'INPUT', forward: 'FORWARD' };

/** The fixed priorities of the xtables tables (include/uapi/linux/netfilter_ipv4.h). */
export function xtablesTablePriority(table: string, hook: string): number {
  switch (table) {
    case 'raw': return -300;
    case 'mangle': return -150;
    case 'nat': return hook === 'POSTROUTING' || hook === 'INPUT' ? 100 : -100;
    case 'security': return 50;
    default: return 0;
  }
}

/** Conntrack runs at -200 on prerouting and output: base chains before it there see no entry yet (as the raw table does). */
const CONNTRACK_PRIORITY = -200;

/** An nft base chain on a hook. */
export interface NftStage {
  kind: 'nft';
  doc: string;
  table: Table;
  chain: Chain;
}

export type MixedStage = ({ kind: 'xtables'; stage: PathStage } | NftStage) & { hook: string; priority: number };

/**
 * The stages a packet meets on `path`: per hook, the xtables tables and the nft base chains
 * (of family ip/ip6/inet for the packet's family) sorted by priority; equal priorities keep the
 * order of the inputs (the kernel's order between them is registration order).
 */
export function mixedStages(inputs: readonly AnyRulesetInput[], path: Path, packet: Packet): MixedStage[] {
  const xt = inputs.filter((i): i is RulesetInput => !isNftInput(i));
  const nft = inputs.filter(isNftInput);
  const xtStages = pathStages(xt, path, packet).filter((s) => s.chain);
  const out: MixedStage[] = [];
  for (const hook of nftHooks[path]) {
    const here: MixedStage[] = xtStages.filter((s) => s.hook === xtHook[hook]).map((stage) => ({ kind: 'xtables', stage, hook, priority: xtablesTablePriority(stage.table, stage.hook) }));
    for (const input of nft) {
      for (const table of input.nft.tables) {
        if (table.family !== 'ip' && table.family !== 'ip6' && table.family !== 'inet') continue;
        if (packet.family === 'ipv4' && table.family === 'ip6') continue;
        if (packet.family === 'ipv6' && table.family === 'ip') continue;
        for (const chain of table.chains.values()) {
          if (!chain.base || chain.base.hook.value !== hook) continue;
          here.push({ kind: 'nft', doc: input.doc, table, chain, hook, priority: chain.base.priority?.value ?? 0 });
        }
      }
    }
    here.sort((a, b) => a.priority - b.priority);
    out.push(...here);
  }
  return out;
}

/**
 * Evaluates a packet through iptables dumps and nftables rulesets together. Without nftables
 * inputs this is walk.ts's evaluatePacket (with its chain index).
 */
export function evaluateRulesets(inputs: readonly AnyRulesetInput[], path: Path, packet: Packet, options: EvaluateOptions = {}): Evaluation {
  if (!inputs.some(isNftInput)) return evaluatePacket(inputs as RulesetInput[], path, packet, options);
  let open: Branch[] = [{ packet: withDefaults(packet), trace: [], conditions: [] }];
  const ends: TableEnd[] = [];
  const budget: Budget = { branches: 1 };
  for (const stage of mixedStages(inputs, path, packet)) {
    const next: Branch[] = [];
    for (const branch of open) {
      const results: TableEnd[] = [];
      if (stage.kind === 'xtables') results.push(...runXtablesStage(stage.stage, branch, budget, path));
      else {
        // An ip/ip6 table's chain runs only for its family: with the family unknown, both are followed.
        const want = stage.table.family === 'ip' ? 'ipv4' : stage.table.family === 'ip6' ? 'ipv6' : undefined;
        if (want && branch.packet.family === undefined && budget.branches < MAX_BRANCHES) {
          budget.branches++;
          const other = want === 'ipv4' ? 'ipv6' : 'ipv4';
          next.push({ packet: { ...branch.packet, family: other }, trace: [...branch.trace], conditions: [...branch.conditions, `the packet is ${other === 'ipv4' ? 'IPv4' : 'IPv6'}`] });
          results.push(...runNatAware(stage, { ...branch, packet: { ...branch.packet, family: want }, conditions: [...branch.conditions, `the packet is ${want === 'ipv4' ? 'IPv4' : 'IPv6'}`] }, budget, path));
        } else results.push(...runNatAware(stage, branch, budget, path));
      }
      for (const end of results) {
        if (end.kind === 'accept') next.push(end.branch);
        else ends.push(end);
      }
    }
    open = next;
  }
  for (const branch of open) ends.push({ kind: 'accept', branch });
  return summarise(ends, budget.branches);
}

const tableName = (t: Table) => `${t.family} ${t.name}`;

function stepOf(stage: NftStage, rule: Rule | undefined, match: Tri, action: string, chain?: Chain): TraceStep {
  if (!rule) {
    const c = chain ?? stage.chain;
    return { doc: stage.doc, range: c.base?.range ?? c.nameRange, table: tableName(stage.table), chain: c.name, rule: 0, match, action };
  }
  return { doc: stage.doc, range: rule.range, table: tableName(stage.table), chain: rule.chain, rule: rule.index, match, action };
}

function culpritOf(stage: NftStage, rule: Rule | undefined): Culprit {
  const s = stepOf(stage, rule, 'yes', '');
  return { doc: s.doc, range: s.range, table: s.table, chain: s.chain, rule: s.rule };
}

/** nat chains see only the first packet of a connection; with the state unknown, both are followed. */
function runNatAware(stage: NftStage, branch: Branch, budget: Budget, path: Path): TableEnd[] {
  if (stage.chain.base?.type.value !== 'nat') return runBaseChain(stage, branch, budget, path);
  const skip = (b: Branch, why: string): TableEnd => ({ kind: 'accept', branch: { ...b, trace: [...b.trace, stepOf(stage, undefined, 'no', why)] } });
  const ct = branch.packet.ct;
  if (ct === 'NEW') return runBaseChain(stage, branch, budget, path);
  if (ct !== undefined) return [skip(branch, `nat skipped: ${ct} is not a new connection`)];
  budget.branches++;
  return [
    ...runBaseChain(stage, { ...branch, packet: { ...branch.packet, ct: 'NEW', nat: branch.packet.nat ?? { dnat: false, snat: false } }, conditions: [...branch.conditions, 'the connection is new (ct NEW)'] }, budget, path),
    skip({ ...branch, conditions: [...branch.conditions, 'the connection is not new'] }, 'nat skipped: not a new connection'),
  ];
}

interface Frame {
  chain: Chain;
  rules: Rule[];
  next: number;
}

/** Where in a rule a branch is: its stack of chains, and the statement to run next in the current rule. */
interface Work {
  branch: Branch;
  stack: Frame[];
  /** Resuming a rule part-way (after a forked match): the rule and the statement index. */
  resume?: { rule: Rule; at: number };
}

const MAX_STEPS = 100_000;

function runBaseChain(stage: NftStage, start: Branch, budget: Budget, path: Path): TableEnd[] {
  const ends: TableEnd[] = [];
  const entry = stage.chain;
  const work: Work[] = [{ branch: start, stack: [{ chain: entry, rules: entry.rules, next: 0 }] }];
  let steps = 0;
  // Conntrack attaches the entry on prerouting and output only; later hooks see it whatever their priority
  // (found by the kernel-oracle test: a postrouting chain at -250 reads the ct mark).
  const hook = stage.chain.base?.hook.value;
  const beforeCt = (hook === 'output' || hook === 'prerouting') && (stage.chain.base?.priority?.value ?? 0) < CONNTRACK_PRIORITY;
  while (work.length) {
    const item = work.pop()!;
    const { branch, stack } = item;
    let resume = item.resume;
    for (;;) {
      if (++steps > MAX_STEPS) {
        ends.push({ kind: 'unknown', branch, reason: 'evaluation too long' });
        break;
      }
      const top = stack[stack.length - 1];
      let rule: Rule;
      let at = 0;
      if (resume) {
        rule = resume.rule;
        at = resume.at;
        resume = undefined;
      } else {
        if (top.next >= top.rules.length) {
          if (stack.length === 1) {
            const policy = entry.policy?.text ?? 'accept';
            branch.trace.push(stepOf(stage, undefined, 'yes', top.chain === entry ? `policy ${policy}` : `end of ${top.chain.name} (entered by goto): ${entry.name} policy ${policy}`, entry));
            ends.push(policy === 'drop' ? { kind: 'drop', branch, culprit: culpritOf(stage, undefined) } : { kind: 'accept', branch });
            break;
          }
          stack.pop();
          branch.trace.push(stepOf(stage, undefined, 'yes', `end of ${top.chain.name}: return`, top.chain));
          continue;
        }
        rule = top.rules[top.next++];
      }
      const outcome = runRule(stage, rule, at, branch, stack, work, budget, path, beforeCt);
      if (outcome === 'next') continue;
      ends.push(outcome);
      break;
    }
  }
  return ends;
}

/**
 * Runs a rule's statements from `at`: matches (forking on unknown), statements that change the
 * packet, and the verdict. Returns 'next' to go on with the next rule (or the frame now on top).
 */
function runRule(stage: NftStage, rule: Rule, at: number, branch: Branch, stack: Frame[], work: Work[], budget: Budget, path: Path, beforeCt: boolean): TableEnd | 'next' {
  let match: Tri = at > 0 ? 'unknown' : 'yes';
  const ctx = (): NftContext => ({ packet: beforeCt ? beforeConntrack(branch.packet, path) : branch.packet, table: stage.table, path });
  const record = (action: string, marks?: TraceStep['marks']) => branch.trace.push({ ...stepOf(stage, rule, match, action), ...(marks ? { marks } : {}) });
  const unknownEnd = (why: string): TableEnd => {
    record(`not modelled: ${why}`);
    return { kind: 'unknown', branch, reason: why };
  };
  let acted = false;
  /** A match that may or may not hold: the branch where it does not goes on with the next rule. */
  const fork = (text: string, why: string): TableEnd | undefined => {
    if (budget.branches >= MAX_BRANCHES) {
      branch.trace.push(stepOf(stage, rule, 'unknown', 'too many possibilities: not followed'));
      return { kind: 'unknown', branch, reason: 'too many possibilities' };
    }
    budget.branches++;
    const notTaken: Branch = { packet: { ...branch.packet }, trace: [...branch.trace, stepOf(stage, rule, 'unknown', `assumed not to match (${text}: ${why})`)], conditions: [...branch.conditions, `not (${text})`] };
    work.push({ branch: notTaken, stack: stack.map((f) => ({ ...f })) });
    branch.conditions = [...branch.conditions, /not modelled|elements|is not|not in this table/.test(why) ? `${text} (${why})` : text];
    match = 'unknown';
    return undefined;
  };
  for (let i = at; i < rule.statements.length; i++) {
    const st = rule.statements[i];
    switch (st.kind) {
      case 'match': {
        const r = evaluateMatch(st, ctx());
        if (r.result === 'no') {
          branch.trace.push(stepOf(stage, rule, 'no', 'no match: next rule'));
          return 'next';
        }
        if (r.result === 'unknown') {
          const end = fork(statementText(st), r.why ?? 'unknown');
          if (end) return end;
        }
        break;
      }
      case 'counter':
      case 'comment':
      case 'log':
      case 'setUpdate':
        break;
      case 'limit':
      case 'quota': {
        const end = fork(st.keyword.text, 'depends on earlier packets, not modelled');
        if (end) return end;
        break;
      }
      case 'xt': {
        if (st.what !== 'match') return unknownEnd(`\`xt ${st.what} ${st.name}\` (an iptables-nft extension nft cannot show)`);
        const end = fork(`xt match ${st.name}`, 'an iptables-nft extension nft cannot show: not modelled');
        if (end) return end;
        break;
      }
      case 'notrack':
        branch.packet = { ...branch.packet, ct: 'UNTRACKED' };
        record('notrack: the packet is UNTRACKED from here on');
        acted = true;
        break;
      case 'set': {
        const t = st.target;
        const isMark = (t.protocol === 'meta' || t.protocol === '') && t.field === 'mark';
        const isCtMark = t.protocol === 'ct' && t.field === 'mark';
        if (!isMark && !isCtMark) {
          if (t.protocol === 'meta' && t.field === 'nftrace') break;
          return unknownEnd(`\`${t.text} set\` is not modelled`);
        }
        const value = setValue(st.value, ctx());
        if (value === 'break') {
          // Reading `ct mark` without a conntrack entry breaks the rule: nothing is set, no verdict.
          branch.trace.push(stepOf(stage, rule, 'no', `${t.text} set: no conntrack entry to read, the rule stops: next rule`));
          return 'next';
        }
        const bits = value ?? { value: 0, known: 0 };
        if (isMark) branch.packet = { ...branch.packet, mark: bits };
        else if (branch.packet.ct !== 'INVALID' && branch.packet.ct !== 'UNTRACKED') branch.packet = { ...branch.packet, ctmark: branch.packet.ct === undefined ? { value: 0, known: 0 } : bits };
        record(`${t.text} set: mark ${describeBits(branch.packet.mark)}, ctmark ${describeBits(branch.packet.ctmark)}`, { mark: branch.packet.mark, ctmark: branch.packet.ctmark });
        acted = true;
        break;
      }
      case 'nat':
        branch.packet = st.nat === 'dnat' || st.nat === 'redirect' ? { ...branch.packet, dst: undefined, dport: undefined, nat: { ...branch.packet.nat, dnat: branch.packet.nat?.dnat || undefined } } : { ...branch.packet, nat: { ...branch.packet.nat, snat: branch.packet.nat?.snat || undefined } };
        record(`${st.nat}: ends the ${stage.chain.name} base chain`);
        return { kind: 'accept', branch };
      case 'verdict':
        return verdict(stage, rule, st, branch, stack, record);
      case 'vmap': {
        const r = vmapLookup(st.key, st.map, ctx());
        if (r.result === 'no') {
          branch.trace.push(stepOf(stage, rule, match, 'verdict map: no element matches: next rule'));
          return 'next';
        }
        if (r.result === 'unknown') return unknownEnd(`verdict map lookup: ${r.why}`);
        const v = r.element?.value;
        const text = v && 'text' in v ? v.text : '';
        const [word, target] = text.split(/\s+/);
        if (!['accept', 'drop', 'reject', 'return', 'continue', 'jump', 'goto'].includes(word)) return unknownEnd(`verdict map element \`${text}\``);
        const fake = { kind: 'verdict', verdict: word, keyword: { text: word, range: st.range }, ...(target ? { target: { text: target, range: st.range } } : {}), args: [], range: st.range } as Extract<Statement, { kind: 'verdict' }>;
        return verdict(stage, rule, fake, branch, stack, record);
      }
      default:
        return unknownEnd(`\`${st.keyword.text}\` is not modelled`);
    }
  }
  if (!acted) record('no verdict: next rule');
  return 'next';
}

function verdict(stage: NftStage, rule: Rule, st: Extract<Statement, { kind: 'verdict' }>, branch: Branch, stack: Frame[], record: (a: string) => void): TableEnd | 'next' {
  switch (st.verdict) {
    case 'accept':
      record(`accept: ends the ${tableName(stage.table)} ${stage.chain.name} base chain on this hook`);
      return { kind: 'accept', branch };
    case 'drop':
    case 'reject':
      record(st.verdict);
      return { kind: 'drop', branch, culprit: culpritOf(stage, rule) };
    case 'continue':
      record('continue');
      return 'next';
    case 'return':
      if (stack.length === 1) {
        record('return from the base chain: its policy applies');
        stack[0].next = stack[0].rules.length;
      } else {
        record('return');
        stack.pop();
      }
      return 'next';
    case 'jump':
    case 'goto': {
      let callee: Chain | undefined;
      let rules: Rule[] | undefined;
      if (st.binding) rules = st.binding;
      else if (st.target) {
        callee = stage.table.chains.get(st.target.text.replace(/^"|"$/g, ''));
        rules = callee?.rules;
      }
      if (!rules) {
        record(`${st.verdict} ${st.target?.text ?? ''}: no such chain`);
        return { kind: 'unknown', branch, reason: `undefined chain ${st.target?.text ?? ''}` };
      }
      const chain = callee ?? ({ ...stage.chain, name: '<binding>', rules } as Chain);
      record(`${st.verdict} ${chain.name}`);
      const f: Frame = { chain, rules, next: 0 };
      if (st.verdict === 'goto') stack[stack.length - 1] = f;
      else stack.push(f);
      return 'next';
    }
    default:
      record(`${st.verdict}: not modelled`);
      return { kind: 'unknown', branch, reason: `\`${st.verdict}\` is not modelled` };
  }
}

/** A match as nft would print it, for conditions (`meta mark & 0x8000 == 0x8000`). */
function statementText(st: Extract<Statement, { kind: 'match' }>): string {
  return `${exprString(st.left)}${st.op === 'implicit' ? '' : ` ${st.op}`} ${exprString(st.right)}`;
}

function exprString(e: Expr): string {
  switch (e.kind) {
    case 'selector': case 'value': case 'other': return e.text;
    case 'variable': return `$${e.name}`;
    case 'setRef': return `@${e.name}`;
    case 'binop': return `${exprString(e.left)} ${e.mask ? '/' : e.op} ${exprString(e.right)}`;
    case 'concat': return e.parts.map(exprString).join(' . ');
    case 'range': return `${exprString(e.from)}-${exprString(e.to)}`;
    case 'prefix': return `${exprString(e.base)}/${e.length}`;
    case 'list': return e.items.map(exprString).join(',');
    case 'set': return `{ ${e.elements.map((x) => exprString(x.key)).join(', ')} }`;
    case 'map': return `${exprString(e.key)} map ${exprString(e.map)}`;
  }
}

