/**
 * Evaluator benchmarks. Issue target: "one packet through the 100,000-rule dump in under 5 ms after
 * indexing, and the throughput for 10,000 packets".
 *
 * Input: a generated kube-proxy-style dump of 100,000 rules (bench/generate/kubeDump.ts), parsed once
 * (not timed: the parser has its own benchmark). Figures:
 * - indexing: building the chain indexes (server/src/netfilter/evaluate/chainIndex.ts) of every
 *   chain long enough to get one, once, cold; beside the kernel's own load of the same dump;
 * - the CRIU FIN on local-out: the forged FIN|ACK (mark 0xC114) for one of the dump's CRIU lock
 *   4-tuples, peer → node, with the state unknown (what a trace from the log alone has: both the
 *   nat and the no-nat case are followed) and known to be INVALID (no conntrack entry);
 * - a new service connection: a pod's SYN to a cluster IP, through KUBE-SERVICES, a KUBE-SVC chain's
 *   random endpoint choice (every endpoint is followed) and DNAT;
 *   each the median of repeated evaluations after indexing (the first run, which also reads the
 *   options of the rules it visits, is the warm-up);
 * - 10,000 varied packets (seeded; CRIU FINs and ACKs, new service connections, established
 *   traffic, stray RSTs), evaluated one after the other once, as a throughput.
 * The same one-packet evaluations without the index (every rule matched one by one) are notes,
 * for the before/after.
 *
 * Baseline: the kernel, the ground truth the tool stands in for. The same dump is committed with
 * iptables-legacy-restore into a throw-away network namespace (every address local, the node's
 * address on lo), and the same packets are sent from a raw socket with SO_MARK by
 * test/oracle/send-raw.py: for one packet, `ip netns exec NS python3 send-raw.py …` (process start
 * included: what asking the kernel costs); for 10,000, one `send-raw.py --serve` for all. The
 * kernel's answers are also compared with the evaluator's where both are decided (a note).
 * Without root, `ip netns`, iptables-legacy-restore or python3, the baseline is the same evaluation
 * on the small real dump examples/iptables.rules, and the row says so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseIptablesSave } from '../server/src/netfilter/iptables/ruleset';
import { evaluatePacket, type Evaluation, type RulesetInput, type Verdict } from '../server/src/netfilter/evaluate/walk';
import { indexChains } from '../server/src/netfilter/evaluate/chainIndex';
import { parsePacketSpec, stateWithoutEntry, type Packet } from '../server/src/netfilter/evaluate/packet';
import { generateKubeDump } from './generate/kubeDump';
import { time, type Row, type Timing } from './harness';
import { ip, mulberry32, withBenchNetns } from './support';

const RULES = 100_000;
const PACKETS = 10_000;
const TARGET_MS = 5;
const root = join(__dirname, '..', '..');
const SENDER = join(root, 'test', 'oracle', 'send-raw.py');

export interface EvaluateBenchOutcome {
  rows: Row[];
  notes: string[];
  skipped: { name: string; reason: string }[];
}

/** One packet both as the evaluator's spec and as send-raw.py's request. */
interface BenchPacket {
  kind: string;
  spec: string;
  request: string;
  /** The state the kernel will see (no entry exists): only then are the verdicts comparable. */
  comparable: boolean;
}


function benchPacket(kind: string, proto: 'tcp' | 'udp', src: string, sport: number, dst: string, dport: number, flags: string | undefined, mark: number, ct: string | undefined): BenchPacket {
  const base = `family=ipv4 proto=${proto} src=${src} sport=${sport} dst=${dst} dport=${dport}${flags ? ` flags=${flags}` : ''} mark=0x${mark.toString(16)} oif=lo`;
  const withoutEntry = stateWithoutEntry(parsePacketSpec(base)) ?? (proto === 'udp' ? 'NEW' : undefined);
  return {
    kind,
    spec: ct ? `${base} ct=${ct}` : base,
    request: `${proto} ${src} ${sport} ${dst} ${dport} ${flags ?? '-'} 0x${mark.toString(16)}`,
    comparable: ct !== undefined && ct.toUpperCase() === withoutEntry,
  };
}

interface Dump {
  text: string;
  nodeIp: string;
  /** CRIU's lock rules: local (node) end and peer. */
  locks: { local: string; localPort: number; peer: string; peerPort: number }[];
  services: { ip: string; proto: 'tcp' | 'udp'; port: number }[];
}

function readDump(text: string): Dump {
  const locks = [...text.matchAll(/^-A OUTPUT -s (\S+)\/32 -d (\S+)\/32 -p tcp -m mark ! --mark 0xc114 -m tcp --sport (\d+) --dport (\d+) -j DROP$/gm)].map((m) => ({
    local: m[1],
    localPort: Number(m[3]),
    peer: m[2],
    peerPort: Number(m[4]),
  }));
  const services = [...text.matchAll(/^-A KUBE-SERVICES -d (\S+)\/32 -p (tcp|udp) .*--dport (\d+) -j KUBE-SVC-/gm)].map((m) => ({ ip: m[1], proto: m[2] as 'tcp' | 'udp', port: Number(m[3]) }));
  if (!locks.length || !services.length) throw new Error('the generated dump has no CRIU lock rule or no service');
  return { text, nodeIp: locks[0].local, locks, services };
}

/** The CRIU FIN for the first lock: peer → node, FIN|ACK, mark 0xC114. */
function criuFin(d: Dump, ct: string | undefined): BenchPacket {
  const l = d.locks[0];
  return benchPacket('criu-fin', 'tcp', l.peer, l.peerPort, l.local, l.localPort, 'FIN,ACK', 0xc114, ct);
}

/**
 * A pod's SYN to the cluster IP of a TCP service halfway down KUBE-SERVICES (a rule-by-rule walk
 * passes half the services first): a new connection, through DNAT.
 */
function serviceSyn(d: Dump): BenchPacket {
  const tcp = d.services.filter((x) => x.proto === 'tcp');
  const s = tcp[Math.floor(tcp.length / 2)];
  return benchPacket('new service connection', 'tcp', '10.244.7.9', 19999, s.ip, s.port, 'SYN', 0, 'new');
}

/**
 * 10,000 seeded packets. Every flow is new to the kernel (ports 20000 + i: no packet meets an
 * earlier packet's conntrack entry in either direction), so the state a packet is given is the
 * one the kernel sees, except for the `established` kind (and unknown states), which are not compared.
 */
function variedPackets(d: Dump, n: number, seed = 7): BenchPacket[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const pod = () => `10.244.${Math.floor(rand() * 256)}.${2 + Math.floor(rand() * 253)}`;
  const out: BenchPacket[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    const port = 20000 + i;
    if (r < 0.3) {
      // CRIU restoring a half-closed socket: FIN|ACK (INVALID) or a bare ACK (NEW); a third with the state unknown.
      const l = pick(d.locks);
      const peer = rand() < 0.5 ? l.peer : pick(d.services).ip;
      const ack = rand() < 0.3;
      const known = rand() < 2 / 3;
      out.push(benchPacket('criu', 'tcp', peer, l.peerPort, l.local, port, ack ? 'ACK' : 'FIN,ACK', 0xc114, known ? (ack ? 'new' : 'invalid') : undefined));
    } else if (r < 0.6) {
      const s = pick(d.services);
      out.push(benchPacket('new service connection', s.proto, rand() < 0.7 ? pod() : d.nodeIp, port, s.ip, s.port, s.proto === 'tcp' ? 'SYN' : undefined, pick([0, 0, 0x4000]), 'new'));
    } else if (r < 0.85) {
      const s = pick(d.services);
      out.push(benchPacket('established', 'tcp', pod(), port, rand() < 0.5 ? s.ip : pod(), s.port, 'ACK', pick([0, 0x4000, 0x8000, 0xc114]), 'established'));
    } else {
      out.push(benchPacket('stray RST', 'tcp', pod(), port, rand() < 0.5 ? d.nodeIp : pod(), 1 + Math.floor(rand() * 19999), 'RST', pick([0, 0xc114]), 'invalid'));
    }
  }
  return out;
}

function evaluateAll(inputs: RulesetInput[], packets: readonly Packet[]): Verdict[] {
  return packets.map((p) => evaluatePacket(inputs, 'local-out', p).verdict);
}

/** Why the kernel baseline cannot run here, or the python to run the sender with. */
function kernelUnavailable(): { reason: string } | { python: string } {
  if (process.platform !== 'linux') return { reason: `needs Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { reason: 'needs root (ip netns add, raw sockets)' };
  if (spawnSync('ip', ['-V']).status !== 0) return { reason: '`ip` (iproute2) not found' };
  if (spawnSync('iptables-legacy-restore', ['-V']).status !== 0) return { reason: '`iptables-legacy-restore` not found (Debian: apt-get install iptables)' };
  if (!existsSync(SENDER)) return { reason: `${SENDER} not found` };
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (python.startsWith('/') && !existsSync(python)) continue;
    if (spawnSync(python, ['-c', 'import socket, struct, errno']).status === 0) return { python };
  }
  return { reason: 'python3 not found (the raw-socket sender needs it)' };
}



interface KernelFigures {
  load: Timing;
  one: Timing;
  oneService: Timing;
  many: Timing;
  finAnswer: string;
  serviceAnswer: string;
  answers: string[];
}

/** Loads the dump into a namespace and times the kernel's answers (see the header). */
function kernelBaseline(python: string, d: Dump, fin: BenchPacket, syn: BenchPacket, packets: readonly BenchPacket[]): KernelFigures {
  return withBenchNetns('criu-lens-evbench', (ns) => {
    const setup = [
      ['-n', ns, 'link', 'set', 'lo', 'up'],
      // Every destination is local and leaves through lo; the node's address gives MASQUERADE a source.
      ['-n', ns, 'route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo'],
      ['-n', ns, 'addr', 'add', `${d.nodeIp}/32`, 'dev', 'lo'],
    ];
    for (const args of setup) {
      const r = ip(args);
      if (!r.ok) throw new Error(`ip ${args.join(' ')}: ${r.out}`);
    }
    const loadStarted = performance.now();
    const loaded = ip(['netns', 'exec', ns, 'iptables-legacy-restore'], d.text);
    const load: Timing = { medianMs: performance.now() - loadStarted, runs: 1 };
    if (!loaded.ok) throw new Error(`iptables-legacy-restore rejected the generated dump: ${loaded.out.split('\n')[0]}`);
    const send = (p: BenchPacket) => ip(['netns', 'exec', ns, python, SENDER, ...p.request.split(' ')]).out;
    const finAnswer = send(fin);
    const one = time(() => void send(fin));
    // The first SYN is a new connection; later ones meet its entry, which costs the kernel no more.
    const serviceAnswer = send(syn);
    const oneService = time(() => void send(syn));
    const serve = () => ip(['netns', 'exec', ns, python, SENDER, '--serve'], packets.map((p) => p.request).join('\n') + '\n').out.split('\n');
    // One pass: every flow is new to the kernel only the first time.
    const started = performance.now();
    const answers = serve();
    const many: Timing = { medianMs: performance.now() - started, runs: 1 };
    return { load, one, oneService, many, finAnswer, serviceAnswer, answers };
  });
}

/** Times the evaluation of every packet once, after a short warm-up; per-kind totals for a note. */
function timeMany(inputs: RulesetInput[], packets: readonly BenchPacket[]): { timing: Timing; verdicts: Verdict[]; branches: number; perKind: Map<string, { n: number; ms: number }> } {
  const parsed = packets.map((p) => parsePacketSpec(p.spec));
  evaluateAll(inputs, parsed.slice(0, 100));
  const perKind = new Map<string, { n: number; ms: number }>();
  const verdicts: Verdict[] = [];
  let branches = 0;
  const started = performance.now();
  parsed.forEach((p, k) => {
    const t = performance.now();
    const e = evaluatePacket(inputs, 'local-out', p);
    verdicts.push(e.verdict);
    branches += e.branches;
    const entry = perKind.get(packets[k].kind) ?? { n: 0, ms: 0 };
    entry.n++;
    entry.ms += performance.now() - t;
    perKind.set(packets[k].kind, entry);
  });
  return { timing: { medianMs: performance.now() - started, runs: 1 }, verdicts, branches, perKind };
}

export function evaluateBench(): EvaluateBenchOutcome {
  const out: EvaluateBenchOutcome = { rows: [], notes: [], skipped: [] };
  const d = readDump(generateKubeDump(RULES));
  const parseStart = performance.now();
  const ruleset = parseIptablesSave(d.text);
  const parseMs = performance.now() - parseStart;
  const big: RulesetInput[] = [{ doc: 'kube-proxy.rules', ruleset }];
  const indexStart = performance.now();
  const indexed = indexChains(ruleset.tables.flatMap((t) => [...t.chains.values()]));
  const indexing: Timing = { medianMs: performance.now() - indexStart, runs: 1 };
  out.notes.push(`evaluate: parse of the ${RULES.toLocaleString('en')}-rule dump ${parseMs.toFixed(0)} ms (not in the figures); indexing ${indexing.medianMs.toFixed(0)} ms, once: ${indexed.chains} chains of ${indexed.rules.toLocaleString('en')} rules (the others are shorter than the index threshold)`);
  const small: RulesetInput[] = [{ doc: 'iptables.rules', ruleset: parseIptablesSave(readFileSync(join(root, 'examples', 'iptables.rules'), 'utf8')) }];
  const exampleFin = parsePacketSpec('family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid');

  const finInvalid = criuFin(d, 'invalid');
  const finUnknown = criuFin(d, undefined);
  const syn = serviceSyn(d);
  const packets = variedPackets(d, PACKETS);
  const one = (p: BenchPacket) => {
    const packet = parsePacketSpec(p.spec);
    const verdict = evaluatePacket(big, 'local-out', packet);
    return { timing: time(() => void evaluatePacket(big, 'local-out', packet)), verdict, linear: time(() => void evaluatePacket(big, 'local-out', packet, { index: false }), 500) };
  };
  const singles = [
    { label: 'CRIU FIN, ct unknown', packet: finUnknown, r: one(finUnknown) },
    { label: 'CRIU FIN, ct INVALID', packet: finInvalid, r: one(finInvalid) },
    { label: 'new service connection', packet: syn, r: one(syn) },
  ];
  const many = timeMany(big, packets);
  const describe = (e: Evaluation) => `${e.verdict} (${e.branches} branch(es), ${e.trace.length} trace steps, ${e.trace.filter((t) => t.skipped).length} of them summarising ${e.trace.reduce((n, t) => n + (t.skipped ?? 0), 0).toLocaleString('en')} skipped rules)`;
  for (const { label, r } of singles) {
    const ok = r.timing.medianMs < TARGET_MS;
    out.notes.push(`evaluate: ${label}: median ${r.timing.medianMs.toFixed(3)} ms after indexing → ${describe(r.verdict)}; target < ${TARGET_MS} ms ${ok ? 'met' : 'NOT met'}; without the index ${r.linear.medianMs.toFixed(3)} ms`);
  }
  const smallOne = time(() => void evaluatePacket(small, 'local-out', exampleFin));
  out.notes.push(`evaluate: the CRIU FIN through examples/iptables.rules (small dump), for scale: median ${smallOne.medianMs.toFixed(3)} ms`);
  out.notes.push(`evaluate: 10,000 packets by kind: ${[...many.perKind].map(([k, v]) => `${k} ${v.n} × ${(v.ms / v.n).toFixed(3)} ms`).join(', ')}; ${(many.branches / PACKETS).toFixed(1)} branches a packet on average (a service's random endpoint choice is followed for every endpoint)`);
  // The first pass also reads the options of every rule it visits for the first time; a second
  // pass over the same packets shows the walk alone.
  const again = timeMany(big, packets);
  out.notes.push(`evaluate: the same 10,000 packets again (every rule's options already read): ${again.timing.medianMs.toFixed(0)} ms (${Math.round(PACKETS / (again.timing.medianMs / 1000)).toLocaleString('en')} packets/s)`);

  const available = kernelUnavailable();
  let kernel: KernelFigures | undefined;
  let kernelProblem: string | undefined;
  if ('python' in available) {
    try {
      kernel = kernelBaseline(available.python, d, finInvalid, syn, packets);
    } catch (e) {
      kernelProblem = e instanceof Error ? e.message : String(e);
    }
  } else kernelProblem = available.reason;

  const rules = `(${RULES.toLocaleString('en')} rules)`;
  const names = {
    indexing: `evaluate: indexing, once ${rules}`,
    many: `evaluate: ${PACKETS.toLocaleString('en')} varied packets ${rules}`,
  };
  const kernelVerdict = (a: string | undefined) => (a === 'sent' ? 'accept' : a === 'EPERM' ? 'drop' : undefined);
  if (kernel) {
    const oneName = 'the kernel: `ip netns exec` + raw sender, 1 packet, same dump (legacy)';
    out.rows.push({ name: names.indexing, figure: indexing, baselineName: 'the kernel: iptables-legacy-restore of the same dump into a namespace', baseline: kernel.load });
    for (const { label, packet, r } of singles) {
      out.rows.push({ name: `evaluate: ${label} ${rules}`, figure: r.timing, baselineName: oneName, baseline: packet === syn ? kernel.oneService : kernel.one });
    }
    out.rows.push({ name: names.many, figure: many.timing, baselineName: `the kernel: one raw sender, the same ${PACKETS.toLocaleString('en')} packets`, baseline: kernel.many, units: { count: PACKETS, name: 'packets' } });
    const invalid = singles[1].r.verdict.verdict;
    const service = singles[2].r.verdict.verdict;
    out.notes.push(`evaluate: the kernel answered ${kernel.finAnswer} to the CRIU FIN; the evaluator says ${invalid}${kernelVerdict(kernel.finAnswer) === invalid ? ' (agree)' : ' (DISAGREE)'}`);
    out.notes.push(`evaluate: the kernel answered ${kernel.serviceAnswer} to the new service connection; the evaluator says ${service}${kernelVerdict(kernel.serviceAnswer) === service ? ' (agree)' : ' (DISAGREE)'}`);
    let compared = 0;
    const disagree: string[] = [];
    packets.forEach((p, k) => {
      const kv = kernelVerdict(kernel!.answers[k]);
      if (!p.comparable || many.verdicts[k] === 'unknown' || kv === undefined) return;
      compared++;
      if (kv !== many.verdicts[k]) disagree.push(`${p.spec}: kernel ${kernel!.answers[k]}, evaluator ${many.verdicts[k]}`);
    });
    out.notes.push(`evaluate: on the varied packets the evaluator and the kernel were both decided on ${compared}, and disagree on ${disagree.length}${disagree.length ? ': ' + disagree.slice(0, 3).join('; ') : ''}`);
  } else {
    const smallName = 'the same evaluation on examples/iptables.rules (small dump)';
    out.rows.push({ name: names.indexing, figure: indexing, baselineName: 'the parse of the same dump', baseline: { medianMs: parseMs, runs: 1 } });
    for (const { label, r } of singles) out.rows.push({ name: `evaluate: ${label} ${rules}`, figure: r.timing, baselineName: smallName, baseline: smallOne });
    out.rows.push({ name: names.many, figure: many.timing, baselineName: `${smallName}, same packets`, baseline: timeMany(small, packets).timing, units: { count: PACKETS, name: 'packets' } });
    out.notes.push(`evaluate: kernel baseline not measured (${kernelProblem}); the baseline is the small example dump`);
  }
  return out;
}
