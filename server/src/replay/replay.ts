/**
 * "Confirm with the kernel": load a ruleset into a throw-away network namespace, send the very
 * packet CRIU sent (raw socket, SO_MARK 0xC114, the flags and addresses from the logs), capture
 * the kernel's own trace of it, and put it beside the evaluator's verdict. iptables-save dumps are
 * loaded with iptables-restore and traced with `-j TRACE` in raw OUTPUT + `xtables-monitor --trace`;
 * nftables rulesets with `nft -f` and traced by a table of our own (`meta nftrace set 1` at output
 * priority -400, before every other chain) + `nft monitor trace`. The namespace is always deleted; every command runs inside it
 * (`ip netns exec`), so the host's own ruleset is never touched.
 *
 * Shared by `criu-lens replay` and the server's `criuLens/replay` request.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hex, SOCCR_MARK } from '../knowledge/marks';
import { kernelEvidence, type Evidence } from '../ktrace/evidence';
import { parseKernelTrace } from '../ktrace/model';
import { tracedRules } from '../link/kernelEvidence';
import { evaluateRulesets, isNftInput, type AnyRulesetInput, type NftRulesetInput } from '../netfilter/evaluate/nftWalk';
import type { Packet } from '../netfilter/evaluate/packet';
import type { Evaluation } from '../netfilter/evaluate/walk';

/** The packet to send, fully known (the kernel needs every field). */
export interface ReplayPacket {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  flags: string[];
  mark: number;
}

export interface ReplayOutcome {
  packet: ReplayPacket;
  /** What sendto() said: `sent`, or the errno name (`EPERM`). */
  sent: string;
  /** The monitor that captured the trace, as run. */
  monitor: 'xtables-monitor --trace' | 'nft monitor trace';
  /** Its output, as printed. */
  capture: string;
  /** The DROP verdicts of the capture, with the ruleset's rule(s) each names. */
  kernelDrops: { evidence: Extract<Evidence, { kind: 'rule-drop' }>; rules: { doc: string; line: number; chain: string; table: string; index: number }[] }[];
  evaluation: Evaluation;
  /** Does the evaluator agree with the kernel (both drop, at the same rule; or both let it through)? */
  agree: boolean;
  /** The commands run, in order (all inside the namespace but its creation and deletion). */
  commands: string[];
}

export type ReplayResult = { ok: true; outcome: ReplayOutcome } | { ok: false; reason: string };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], input?: string): Run {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? r.error.message : '') };
}

/**
 * Sends one raw IPv4 TCP packet the way libsoccr does (IPPROTO_RAW, IP_HDRINCL implied, SO_MARK)
 * and prints `sent` or the errno name. Python because Node has no raw sockets.
 */
const SENDER = `
import errno, socket, struct, sys
src, sport, dst, dport, flags, mark = sys.argv[1:7]
bits = 0
for f in filter(None, flags.split(",")):
    bits |= {"FIN": 1, "SYN": 2, "RST": 4, "PSH": 8, "ACK": 16, "URG": 32}[f]
def csum(d):
    if len(d) % 2: d += b"\\0"
    t = sum(struct.unpack("!%dH" % (len(d) // 2), d))
    while t >> 16: t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF
s_, d_ = socket.inet_aton(src), socket.inet_aton(dst)
tcp = struct.pack("!HHIIBBHHH", int(sport), int(dport), 0x1000, 0x2000 if bits & 16 else 0, 5 << 4, bits, 65535, 0, 0)
c = csum(s_ + d_ + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0x4C11, 0x4000, 64, 6, 0, s_, d_)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_MARK", 36), struct.pack("=I", int(mark, 0)))
try:
    s.sendto(ip + tcp, (dst, 0)); print("sent")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
`;

/** Why a replay of an iptables-save dump (or, with 'nftables', an nftables ruleset) cannot run here, or undefined when it can. Nothing is changed by asking. */
export function replayUnavailable(kind: 'iptables' | 'nftables' = 'iptables'): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (a network namespace, a raw socket and SO_MARK): run it as root, e.g. with sudo';
  if (run('ip', ['-V']).code !== 0) return '`ip` (iproute2) not found';
  if (run('python3', ['--version']).code !== 0) return '`python3` not found (it sends the raw packet)';
  if (kind === 'nftables') return run('nft', ['--version']).code !== 0 ? '`nft` not found (Debian: apt-get install nftables)' : undefined;
  const version = run('iptables-restore', ['--version']);
  if (version.code !== 0) return '`iptables-restore` not found (Debian: apt-get install iptables)';
  if (!/nf_tables/.test(version.stdout + version.stderr)) return 'iptables here is the legacy backend, whose TRACE goes to the kernel log; replay reads the nf_tables backend\'s trace (iptables-nft, xtables-monitor)';
  if (run('xtables-monitor', ['--version']).code !== 0 && run('xtables-monitor', ['-h']).code !== 0) return '`xtables-monitor` not found (Debian: it comes with the iptables package)';
  return undefined;
}

/** The packet of the evaluator's model as one the kernel can be sent, or why not. */
export function replayPacketOf(p: Packet | undefined): ReplayPacket | string {
  if (!p) return 'the packet is not known (the restore log names no socket whose FIN failed)';
  if (p.family === 'ipv6') return 'IPv6 packets are not replayed yet (IPv4 only)';
  const missing = [!p.srcText && 'the source (the peer: open or give the dump log of the same checkpoint)', !p.dstText && 'the destination', p.sport === undefined && 'the source port', p.dport === undefined && 'the destination port', !p.flags && 'the TCP flags'].filter(Boolean);
  if (missing.length) return `the packet is not fully known: ${missing.join(', ')}`;
  if (p.proto !== 'tcp') return 'only TCP packets are replayed';
  const mark = p.mark.known === 0xffffffff ? p.mark.value : SOCCR_MARK;
  return { src: p.srcText!, sport: p.sport!, dst: p.dstText!, dport: p.dport!, flags: p.flags!, mark };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Marks our packet for nft's tracing; runs before raw (-300) and conntrack (-200), so before every chain that could drop it. */
const nftTraceTable = (mark: number) => `table inet criu_lens_trace {
	chain out {
		type filter hook output priority -400; policy accept;
		meta mark ${hex(mark)} meta nftrace set 1
	}
}
`;

/**
 * Replays `packet` against the IPv4 iptables-save dump or the nftables ruleset `ruleset`. The
 * namespace is created here and deleted before this returns, whatever happens in between.
 */
export async function replay(ruleset: AnyRulesetInput, text: string, packet: ReplayPacket): Promise<ReplayResult> {
  const nft = isNftInput(ruleset);
  const unavailable = replayUnavailable(nft ? 'nftables' : 'iptables');
  if (unavailable) return { ok: false, reason: `cannot confirm with the kernel: ${unavailable}. Nothing was changed.` };
  if (!nft && ruleset.ruleset.family === 'ipv6') return { ok: false, reason: 'cannot confirm with the kernel: the ruleset is an ip6tables dump; IPv6 is not replayed yet. Nothing was changed.' };
  const ns = `criu-lens-replay-${process.pid}-${randomBytes(3).toString('hex')}`;
  const commands: string[] = [];
  const inNs = (args: string[], input?: string) => {
    commands.push(`ip netns exec ${ns} ${args.join(' ')}`);
    return run('ip', ['netns', 'exec', ns, ...args], input);
  };
  const added = run('ip', ['netns', 'add', ns]);
  commands.push(`ip netns add ${ns}`);
  if (added.code !== 0) return { ok: false, reason: `cannot create a network namespace: ${added.stderr.trim()}. Nothing was changed.` };
  try {
    for (const args of [['ip', 'link', 'set', 'lo', 'up'], ['ip', 'addr', 'add', `${packet.dst}/32`, 'dev', 'lo']]) {
      const r = inNs(args);
      if (r.code !== 0) return { ok: false, reason: `\`${args.join(' ')}\` failed in the namespace: ${r.stderr.trim()}` };
    }
    if (nft) {
      const loaded = inNs(['nft', '-f', '-'], text);
      if (loaded.code !== 0) return { ok: false, reason: `nft -f refused the ruleset in the namespace: ${loaded.stderr.trim()}` };
      const traced = inNs(['nft', '-f', '-'], nftTraceTable(packet.mark));
      if (traced.code !== 0) return { ok: false, reason: `cannot add the trace table: ${traced.stderr.trim()}` };
    } else {
      const loaded = inNs(['iptables-restore'], text);
      if (loaded.code !== 0) return { ok: false, reason: `iptables-restore refused the ruleset in the namespace: ${loaded.stderr.trim()}` };
      const traced = inNs(['iptables', '-t', 'raw', '-I', 'OUTPUT', '1', '-m', 'mark', '--mark', hex(packet.mark), '-j', 'TRACE']);
      if (traced.code !== 0) return { ok: false, reason: `cannot add the TRACE rule: ${traced.stderr.trim()}` };
    }

    const monitorArgs = nft ? ['nft', 'monitor', 'trace'] : ['xtables-monitor', '--trace'];
    commands.push(`ip netns exec ${ns} ${monitorArgs.join(' ')}`);
    const monitor = spawn('ip', ['netns', 'exec', ns, ...monitorArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let capture = '';
    monitor.stdout.on('data', (d: Buffer) => (capture += d.toString()));
    monitor.stderr.on('data', (d: Buffer) => (capture += d.toString()));
    let sent: string;
    try {
      // Neither monitor prints anything once subscribed: give it a moment.
      await sleep(400);
      const args = [packet.src, String(packet.sport), packet.dst, String(packet.dport), packet.flags.join(','), hex(packet.mark)];
      commands.push(`ip netns exec ${ns} python3 -c <raw sender, SO_MARK> ${args.join(' ')}`);
      const r = run('ip', ['netns', 'exec', ns, 'python3', '-c', SENDER, ...args]);
      sent = r.code === 0 ? r.stdout.trim() : `failed: ${r.stderr.trim()}`;
      // The trace arrives asynchronously: wait until it has been quiet for 300 ms (2 s at most).
      let quiet = 0;
      for (let k = 0, last = -1; k < 40 && quiet < 6; k++) {
        await sleep(50);
        quiet = capture.length > 0 && capture.length === last ? quiet + 1 : 0;
        last = capture.length;
      }
    } finally {
      monitor.kill('SIGTERM');
      await new Promise((r) => (monitor.exitCode !== null || monitor.signalCode !== null ? r(undefined) : monitor.once('exit', r)));
    }
    const trace = parseKernelTrace(capture);
    const drops = kernelEvidence(trace).filter((e): e is Extract<Evidence, { kind: 'rule-drop' }> => e.kind === 'rule-drop');
    const kernelDrops = drops.map((evidence) => ({
      evidence,
      rules: nft
        ? nftTracedRules(ruleset, evidence, (args) => inNs(args))
        : tracedRules(ruleset.ruleset, evidence).rules.map((r) => ({ doc: ruleset.doc, line: r.line, chain: r.chain, table: r.table, index: r.index })),
    }));
    const evaluation = evaluateRulesets([ruleset], 'local-out', {
      family: 'ipv4', proto: 'tcp', sport: packet.sport, dport: packet.dport, flags: packet.flags as Packet['flags'], oif: 'lo',
      mark: { value: packet.mark, known: 0xffffffff }, ctmark: { value: 0, known: 0 }, srcText: packet.src, dstText: packet.dst,
      ...addresses(packet),
    });
    const kernelDropped = sent === 'EPERM' || kernelDrops.length > 0;
    const agree = kernelDropped
      ? evaluation.verdict !== 'accept' && kernelDrops.some((d) => d.rules.some((r) => evaluation.culprits.some((c) => c.table === r.table && c.chain === r.chain && c.rule === r.index)))
      : evaluation.verdict !== 'drop';
    return { ok: true, outcome: { packet, sent, monitor: nft ? 'nft monitor trace' : 'xtables-monitor --trace', capture, kernelDrops, evaluation, agree, commands } };
  } finally {
    run('ip', ['netns', 'del', ns]);
    commands.push(`ip netns del ${ns}`);
  }
}

/** A rule as nft prints it, without what changes between two printings (counter values). */
const printedRule = (text: string) => text.replace(/\bcounter packets \d+ bytes \d+/g, 'counter').replace(/\s+/g, ' ').trim();

/**
 * The rule of our nft model an `nft monitor trace` drop names. The trace prints the rule as nft
 * prints it (no handle); `nft list chain` in the namespace (still loaded) prints the chain's rules
 * the same way, in order, so the printed text gives the rule's position, which is our rule's index
 * as the file was loaded in order. A policy drop names no rule.
 */
function nftTracedRules(input: NftRulesetInput, e: Extract<Evidence, { kind: 'rule-drop' }>, inNs: (args: string[]) => Run): ReplayOutcome['kernelDrops'][number]['rules'] {
  if (e.policy || !e.family) return [];
  const table = input.nft.tables.find((t) => t.family === e.family && t.name === e.table);
  const chain = table?.chains.get(e.chain);
  if (!table || !chain) return [];
  const listed = inNs(['nft', 'list', 'chain', e.family, e.table, e.chain]).stdout.split('\n').map((l) => l.trim());
  // The rules are the lines between the chain's `{` (and its `type … hook …;` line) and its `}`.
  const body = listed.slice(listed.findIndex((l) => /^chain /.test(l)) + 1).filter((l) => l && l !== '}' && !/^type \S+ hook /.test(l) && !/^comment "/.test(l));
  const wanted = printedRule(e.rule);
  const position = body.findIndex((l) => printedRule(l) === wanted) + 1;
  const rule = chain.rules.find((r) => r.index === position);
  return rule ? [{ doc: input.doc, line: rule.range.start.line, chain: rule.chain, table: `${table.family} ${table.name}`, index: rule.index }] : [];
}

function addresses(p: ReplayPacket): { src?: bigint; dst?: bigint } {
  const v4 = (a: string) => {
    const parts = a.split('.').map(Number);
    return parts.length === 4 && parts.every((n) => n >= 0 && n <= 255) ? BigInt(((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0) : undefined;
  };
  const src = v4(p.src);
  const dst = v4(p.dst);
  return { ...(src !== undefined ? { src } : {}), ...(dst !== undefined ? { dst } : {}) };
}

const base = (doc: string) => decodeURIComponent(doc.replace(/^.*[\\/]/, ''));

/** The outcome as text: the kernel's verdict and trace beside the evaluator's. */
export function formatReplay(o: ReplayOutcome): string {
  const p = o.packet;
  const lines = [
    `Replayed in a throw-away network namespace (now deleted): ${p.flags.join('|')} ${p.src}:${p.sport} → ${p.dst}:${p.dport}, mark ${hex(p.mark)}`,
    '',
    `Kernel:    sendto → ${o.sent}${o.kernelDrops.length ? '' : o.sent === 'EPERM' ? ' (no trace line names the drop: the tracing may start after it, or conntrack dropped it)' : ''}`,
  ];
  for (const d of o.kernelDrops) {
    const at = d.rules.map((r) => `${r.table}/${r.chain} rule ${r.index} (${base(r.doc)}:${r.line + 1})`).join(', ');
    lines.push(`           DROP in ${d.evidence.tool === 'nft' ? `${d.evidence.family} ${d.evidence.table}/` : `${d.evidence.table}:`}${d.evidence.chain}: ${d.evidence.rule}${at ? ` = ${at}` : ''}`);
  }
  const e = o.evaluation;
  lines.push(`Evaluator: ${e.verdict}${e.culprits.length ? ` — ${e.culprits.map((c) => `${c.table}/${c.chain} ${c.rule ? `rule ${c.rule}` : 'policy'} (${base(c.doc)}:${c.range.start.line + 1})`).join(', ')}` : ''}${e.verdict === 'unknown' ? ` if ${e.conditions.join(' and ')}` : ''}`);
  lines.push(`Agree:     ${o.agree ? 'yes' : 'NO — the kernel and the evaluator differ; please report it with this output'}`);
  lines.push('', `Kernel trace (${o.monitor}):`, ...o.capture.trimEnd().split('\n').map((l) => `  ${l}`));
  lines.push('', 'Evaluator trace:', ...e.trace.map((t) => `  ${t.table}/${t.chain} ${t.rule ? `rule ${t.rule}` : 'policy'}: ${t.match} → ${t.action}`));
  return lines.join('\n') + '\n';
}
