/**
 * Hover text for every part of an nftables file, as Markdown. Plain strings: the LSP layer only
 * wraps them.
 */
import { chainTypes, ctDoc, familyDoc, hookDoc, iptablesNeighbour, metaDoc, priorityDoc, protocolDoc, statementDoc, valueDoc } from '../../knowledge/nftables';
import { hex, knownMarks, markMatches, SOCCR_MARK } from '../../knowledge/marks';
import { markTest } from './checks';
import type { Chain, Expr, NftRuleset, Statement, Table } from './model';
import { referencesTo, rulesOf, variableReferences, type NftNode } from './query';

const relText: Record<string, string> = { '==': 'equals', '!=': 'differs from', '<': 'is less than', '>': 'is greater than', '<=': 'is at most', '>=': 'is at least', implicit: 'equals (or, for a set, range or prefix, is in)' };

export function explain(ruleset: NftRuleset, node: NftNode): string {
  switch (node.kind) {
    case 'table': return tableText(ruleset, node.table);
    case 'warning':
      return `**iptables-nft's table.** \`iptables-nft\` created \`table ${node.table.family} ${node.table.name}\` from iptables rules. Change it with \`iptables-nft\` / \`iptables-nft-restore\`, not \`nft\`: iptables-nft reads the table back and expects its own layout. \`iptables-nft-save\` shows the same rules in iptables syntax.`;
    case 'chain': return chainText(ruleset, node.table, node.chain);
    case 'set': {
      const s = node.set;
      const uses = referencesTo(ruleset, 'set', node.table, s.name);
      return [
        `**${s.kind === 'map' ? 'Map' : 'Set'} \`@${s.name}\`** in table \`${node.table.family} ${node.table.name}\`.`,
        s.keyType !== undefined ? `${s.typeof ? 'Typeof' : 'Type'} \`${s.keyType}\`${s.valueType ? ` → \`${s.valueType}\`` : ''}${s.keyType.includes(' . ') ? ' (a concatenation: elements are tuples joined with `.`)' : ''}.` : '',
        s.flags.length ? `Flags: ${s.flags.map((f) => `\`${f}\``).join(', ')}${s.flags.includes('interval') ? ' (elements may be ranges and prefixes)' : ''}.` : '',
        s.timeout ? `Elements expire after ${s.timeout}.` : '',
        `${plural(s.elements.length, 'element')} in this file${s.elements.length ? `: ${s.elements.slice(0, 5).map((e) => `\`${exprText(e.key)}${e.value ? ' : ' + exprText(e.value) : ''}\``).join(', ')}${s.elements.length > 5 ? ', …' : ''}` : ''}.`,
        uses.length ? `Used by ${plural(uses.length, 'rule')}.` : 'No rule uses it.',
      ].filter(Boolean).join('\n\n');
    }
    case 'variable':
      return node.define
        ? `**Variable \`$${node.name}\`** = \`${node.define.value}\` (line ${node.define.range.start.line + 1}); nft substitutes it where it is used. ${plural(variableReferences(ruleset, node.name).length, 'use')}.`
        : `**Variable \`$${node.name}\`**: not defined in this file.`;
    case 'unresolved':
      return `**${node.ref.kind === 'chain' ? 'Chain' : 'Set'} \`${node.ref.name}\`**: not declared in this file.`;
    case 'base': return baseText(ruleset, node.table, node.chain, node.part);
    case 'statement': return statementText(node.statement);
    case 'expr': return exprHover(node.expr, node.statement, node.side, ruleset, node.table);
  }
}

function tableText(ruleset: NftRuleset, t: Table): string {
  const chains = [...t.chains.values()];
  const base = chains.filter((c) => c.base);
  const lines = [`**Table \`${t.family} ${t.name}\`**: ${familyDoc[t.family] ?? ''}`];
  lines.push(`${plural(base.length, 'base chain')}${base.length ? ` (${base.map((c) => `\`${c.name}\`: ${c.base!.hook.text} ${c.base!.priority?.value ?? '?'}`).join(', ')})` : ''}, ${plural(chains.length - base.length, 'regular chain')}, ${plural(t.sets.size, 'set or map', 'sets and maps')}.`);
  if (t.managedByIptablesNft) lines.push('Made by **iptables-nft**: these are iptables rules in nft form; `iptables-nft-save` prints them in iptables syntax.');
  if (/^CRIU-/.test(t.name)) lines.push(`**CRIU's network lock** (\`--network-lock nftables\`): during dump and restore it drops the locked connections and accepts packets marked \`${hex(SOCCR_MARK)}\`. Its accept ends only this table's base chain: other tables on the same hook still see the packet, and a drop there still wins.`);
  if (ruleset.legacyTablesPresent) lines.push('⚠ iptables-legacy tables are present on the host too; they are not in this dump.');
  return lines.join('\n\n');
}

function chainText(ruleset: NftRuleset, table: Table, chain: Chain): string {
  const rules = [...rulesOf(chain)].length;
  const head = `**Chain \`${chain.name}\`** in table \`${table.family} ${table.name}\``;
  if (chain.base) {
    const b = chain.base;
    return [
      `${head}: a **base chain**, type \`${b.type.text}\` on hook \`${b.hook.text}\` (${hookDoc[b.hook.text] ?? ''}), priority ${b.priority?.text ?? '?'}${b.priority?.value !== undefined ? ` = ${b.priority.value}` : ''}.`,
      `${plural(rules, 'rule')}. Policy **${chain.policy?.text ?? 'accept'}**: the verdict for packets that reach the end of the chain.`,
      sameHook(ruleset, table, chain),
    ].filter(Boolean).join('\n\n');
  }
  const refs = referencesTo(ruleset, 'chain', table, chain.name);
  return [
    `${head}: a regular chain, run only when a rule jumps to it. ${plural(rules, 'rule')}. Packets that reach its end return to the rule after the jump.`,
    refs.length
      ? `Jumped to from:\n${refs.slice(0, 20).map((r) => `- ${r.rule ? `${r.rule.chain} rule ${r.rule.index} (line ${r.range.start.line + 1})` : `a verdict map (line ${r.range.start.line + 1})`}${r.goto ? ', goto' : ''}`).join('\n')}${refs.length > 20 ? `\n- … ${refs.length - 20} more` : ''}`
      : 'Nothing jumps here: its rules never see a packet.',
  ].join('\n\n');
}

/** The base chains of the file on the same hook (and family class), in the order the kernel runs them. */
function sameHook(ruleset: NftRuleset, table: Table, chain: Chain): string {
  const hook = chain.base!.hook.text;
  const ipLike = (f: string) => f === 'ip' || f === 'ip6' || f === 'inet';
  const others: { t: Table; c: Chain }[] = [];
  for (const t of ruleset.tables) {
    if (!(t.family === table.family || (ipLike(t.family) && ipLike(table.family)))) continue;
    for (const c of t.chains.values()) if (c.base?.hook.text === hook) others.push({ t, c });
  }
  if (others.length < 2) return '';
  others.sort((a, b) => (a.c.base!.priority?.value ?? 0) - (b.c.base!.priority?.value ?? 0));
  const list = others.map(({ t, c }) => `- ${c === chain ? '**' : ''}\`${t.family} ${t.name}\` \`${c.name}\` (priority ${c.base!.priority?.value ?? '?'}, policy ${c.policy?.text ?? 'accept'})${c === chain ? '**' : ''}`);
  return `Base chains on hook \`${hook}\` in this file, in the order they run (lower priority first; each sees the packet unless an earlier one dropped it — an accept ends only its own chain):\n${list.join('\n')}`;
}

function baseText(ruleset: NftRuleset, table: Table, chain: Chain, part: 'type' | 'hook' | 'priority' | 'policy'): string {
  const b = chain.base;
  switch (part) {
    case 'type': {
      const t = chainTypes[b!.type.text];
      return `**Chain type \`${b!.type.text}\`**: ${t?.doc ?? 'unknown to nft.'}`;
    }
    case 'hook': return `**Hook \`${b!.hook.text}\`**: ${hookDoc[b!.hook.text] ?? 'not a hook nft knows.'}\n\n${sameHook(ruleset, table, chain)}`;
    case 'priority': {
      const p = b!.priority!;
      const parts = [`**Priority \`${p.text}\`**${p.value !== undefined ? ` = **${p.value}**` : ''}: base chains on the same hook run in increasing priority order; iptables' tables sit at raw -300, mangle -150, dstnat -100, filter 0, security 50, srcnat 100.`];
      if (p.name) parts.push(`\`${p.name}\` is ${priorityDoc[p.name] ?? 'a standard name'} (${p.value! - (p.offset ?? 0)} in family ${table.family})${p.offset ? `, ${p.offset > 0 ? 'plus' : 'minus'} ${Math.abs(p.offset)}` : ''}.`);
      const same = p.value !== undefined ? iptablesNeighbour(p.value) : undefined;
      if (same && (table.family === 'ip' || table.family === 'ip6' || table.family === 'inet')) parts.push(`Same priority as the iptables ${same} table: which of the two runs first is not defined.`);
      return parts.join('\n\n');
    }
    case 'policy': {
      const v = chain.policy!.text;
      return `**Policy \`${v}\`**: what happens to packets that reach the end of ${chain.base ? 'this base chain' : 'the chain'}. ${v === 'drop' ? statementDoc.drop : statementDoc.accept}`;
    }
  }
}

function statementText(st: Statement): string {
  switch (st.kind) {
    case 'match':
      return `**Match**: the rule continues when the left side ${relText[st.op]} the right side; otherwise the next rule is tried.`;
    case 'verdict': {
      const head = `**\`${st.verdict}\`${st.target ? ` ${st.target.text}` : ''}**`;
      const extra = st.binding ? `\n\nAn anonymous chain bound to this rule (${plural(st.binding.length, 'rule')}).` : '';
      return `${head}: ${statementDoc[st.verdict]}${extra}`;
    }
    case 'counter':
      return `**\`counter\`**: ${statementDoc.counter}${st.packets !== undefined ? ` So far ${st.packets.toLocaleString('en')} packets, ${(st.bytes ?? 0n).toLocaleString('en')} bytes.` : ''}`;
    case 'vmap': return `**\`vmap\`**: ${statementDoc.vmap}`;
    case 'set': {
      const what = st.target.field === 'nftrace' ? metaDoc.nftrace : `Sets \`${st.target.text}\` to \`${exprText(st.value)}\`.`;
      const mark = st.target.field === 'mark' && st.value.kind === 'value' && st.value.number !== undefined
        ? ` Later rules (and later base chains) see mark ${hex(st.value.number)}${st.value.number === SOCCR_MARK ? ', CRIU\'s own mark' : ''}.`
        : '';
      return `**\`${st.target.text} set\`**: ${what}${mark}`;
    }
    case 'xt': return `**\`xt ${st.what} ${st.name}\`**: ${statementDoc.xt}`;
    case 'nat': return `**\`${st.nat}\`**: ${statementDoc[st.nat]}`;
    case 'setUpdate': return `**\`${st.keyword.text} ${st.set.text}\`**: ${statementDoc[st.keyword.text] ?? ''}`;
    case 'comment': return `**Comment**: ${statementDoc.comment}`;
    default: return `**\`${st.keyword.text}\`**: ${statementDoc[st.keyword.text] ?? 'a statement nft knows; kept as written.'}`;
  }
}

function exprHover(e: Expr, st: Statement, side: 'left' | 'right', ruleset: NftRuleset, table: Table): string {
  const parts: string[] = [];
  const mark = markTest(st);
  if (e.kind === 'selector') {
    const field = e.protocol === 'meta' ? metaDoc[e.field] : e.protocol === 'ct' ? ctDoc[e.field] : undefined;
    parts.push(`**\`${e.text}\`**: ${field ?? `field \`${e.field}\` of the ${protocolDoc[e.protocol] ?? e.protocol}`}.`);
    if (e.protocol !== 'meta' && e.protocol !== 'ct' && protocolDoc[e.protocol] && ['tcp', 'udp', 'icmp', 'icmpv6', 'th', 'sctp', 'dccp'].includes(e.protocol)) {
      parts.push(`Implies the protocol: packets of another protocol do not match${e.protocol === 'th' ? ' (and `th` needs `meta l4proto` to say which)' : ''}.`);
    }
  } else if (e.kind === 'setRef') {
    const s = table.sets.get(e.name);
    parts.push(s ? `**\`@${e.name}\`**: ${s.kind} of \`${s.keyType ?? '?'}\`${s.valueType ? ` → \`${s.valueType}\`` : ''}, ${plural(s.elements.length, 'element')} in this file.` : `**\`@${e.name}\`**: not declared in this file.`);
  } else if (e.kind === 'prefix') {
    parts.push(prefixText(e));
  } else if (e.kind === 'range') {
    parts.push(`Range \`${exprText(e.from)}\` to \`${exprText(e.to)}\`, inclusive.`);
  } else if (e.kind === 'set') {
    parts.push(`**Anonymous set** of ${plural(e.elements.length, 'element')}: matches when the value is any of them.`);
  } else if (e.kind === 'value') {
    parts.push(`\`${e.quoted ? `"${e.text}"` : e.text}\`${e.number !== undefined && !/^\d+$/.test(e.text) ? ` = ${e.number}` : ''}${e.quoted && e.text.endsWith('*') ? ': any interface whose name starts with `' + e.text.slice(0, -1) + '`' : ''}.`);
  } else if (e.kind === 'concat') {
    parts.push(`**Concatenation** of ${e.parts.length} fields, looked up as one tuple.`);
  } else if (e.kind === 'variable') {
    const d = ruleset.defines.get(e.name);
    parts.push(d ? `**\`$${e.name}\`** = \`${d.value}\`.` : `**\`$${e.name}\`**: not defined.`);
  } else parts.push(`\`${exprText(e)}\``);
  // `ct state established,related`: what each state means.
  if (side === 'right' && st.kind === 'match' && st.left.kind === 'selector') {
    const doc = valueDoc[`${st.left.protocol}.${st.left.field}`];
    const r = st.right;
    const values = r.kind === 'value' ? [r.text] : r.kind === 'list' ? r.items.map(exprText) : r.kind === 'binop' ? exprText(r).split(/\s*\|\s*/) : r.kind === 'set' ? r.elements.map((el) => exprText(el.key)) : [];
    const known = doc ? values.filter((v) => doc[v]) : [];
    if (known.length) parts.push(known.map((v) => `- \`${v}\`: ${doc![v]}`).join('\n'));
  }
  if (mark) parts.push(markText(mark));
  else if (st.kind === 'match' && side === 'left') parts.push(`Compared with \`${exprText(st.right)}\` (${relText[st.op]}).`);
  return parts.join('\n\n');
}

/** `(mark & 0x8000) == 0x8000`, and which well-known marks, CRIU's 0xC114 first, pass it. */
function markText(t: { value: number; mask: number; negated: boolean }): string {
  const test = t.mask === 0xffffffff ? `mark ${t.negated ? '!=' : '=='} ${hex(t.value)}` : `(mark & ${hex(t.mask)}) ${t.negated ? '!=' : '=='} ${hex(t.value)}`;
  const rows = knownMarks.map((m) => {
    const hit = markMatches(m.value, t, t.negated);
    return `| \`${hex(m.value)}\` | ${m.owner} | ${hit ? '**matches**' : 'no'} | ${hex(m.value)} & ${hex(t.mask)} = ${hex((m.value & t.mask) >>> 0)} |`;
  });
  const criu = markMatches(SOCCR_MARK, t, t.negated)
    ? `CRIU's forged FIN (mark ${hex(SOCCR_MARK)}) **matches**: ${hex(SOCCR_MARK)} & ${hex(t.mask)} = ${hex((SOCCR_MARK & t.mask) >>> 0)}${t.negated ? ` ≠ ${hex(t.value)}` : ''}. If this rule drops, \`criu restore --tcp-established\` fails with \`Unable to send a fin packet … (Operation not permitted)\`.`
    : `CRIU's forged FIN (mark ${hex(SOCCR_MARK)}) does not match.`;
  return `Matches when \`${test}\`.\n\n${criu}\n\n| mark | set by | | |\n|---|---|---|---|\n${rows.join('\n')}`;
}

function prefixText(e: Extract<Expr, { kind: 'prefix' }>): string {
  const base = e.base.kind === 'value' ? e.base.text : '';
  const v4 = /^\d+\.\d+\.\d+\.\d+$/.exec(base);
  if (!v4 || e.length > 32) return `Network \`${base}/${e.length}\`.`;
  const n = base.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - e.length);
  const first = n - (n % size);
  const ip = (x: number) => [24, 16, 8, 0].map((s) => Math.floor(x / 2 ** s) % 256).join('.');
  return `Network \`${ip(first)}\` – \`${ip(first + size - 1)}\` (${size.toLocaleString('en')} addresses, /${e.length}).`;
}

export function exprText(e: Expr): string {
  switch (e.kind) {
    case 'selector': return e.text;
    case 'value': return e.quoted ? `"${e.text}"` : e.text;
    case 'variable': return `$${e.name}`;
    case 'setRef': return `@${e.name}`;
    case 'binop': return `${exprText(e.left)} ${e.op} ${exprText(e.right)}`;
    case 'concat': return e.parts.map(exprText).join(' . ');
    case 'range': return `${exprText(e.from)}-${exprText(e.to)}`;
    case 'prefix': return `${exprText(e.base)}/${e.length}`;
    case 'list': return e.items.map(exprText).join(',');
    case 'set': return `{ ${e.elements.slice(0, 8).map((el) => exprText(el.key) + (el.value ? ` : ${exprText(el.value)}` : '')).join(', ')}${e.elements.length > 8 ? ', …' : ''} }`;
    case 'map': return `${exprText(e.key)} map ${exprText(e.map)}`;
    case 'other': return e.text;
  }
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
