/**
 * A deterministic generator of a kube-proxy-style `iptables-save` dump with exactly N rules
 * (`-A` lines), for benchmarks and scale tests. Same (rules, seed) → same bytes, on any machine:
 * the only randomness is a seeded PRNG, and the timestamps derive from the seed.
 *
 * Shape (what kube-proxy in iptables mode and kubelet ≤ 1.26 install, as iptables-save prints it):
 * - `*mangle`: the KUBE-* canary chains.
 * - `*nat`: PREROUTING/OUTPUT → KUBE-SERVICES, POSTROUTING → KUBE-POSTROUTING; KUBE-MARK-MASQ,
 *   KUBE-MARK-DROP; per service one KUBE-SERVICES rule (`-d <cluster IP>/32 … --dport P -j KUBE-SVC-…`),
 *   a KUBE-SVC chain (masquerade rule, then `-m statistic --mode random --probability …` jumps to its
 *   endpoints), one KUBE-SEP chain per endpoint (`-s <pod>/32 -j KUBE-MARK-MASQ`, `-j DNAT
 *   --to-destination <pod>:<port>`), and for some services two KUBE-NODEPORTS rules.
 * - `*filter`: CRIU's per-connection lock rules at the top of INPUT and OUTPUT (`-m mark ! --mark 0xc114
 *   … -j DROP`), INPUT/FORWARD/OUTPUT jumps to KUBE-*, kubelet's KUBE-FIREWALL with the
 *   `--mark 0x8000/0x8000 -j DROP` rule, KUBE-FORWARD, and "has no endpoints" REJECT rules in
 *   KUBE-SERVICES (which also pad the dump to the exact rule count).
 *
 * Chains are declared before any rule, built-in chains first and user chains sorted, and rules are
 * grouped by chain in the same order, as iptables-save prints them. The output is accepted by
 * `iptables-legacy-restore --test` and `iptables-restore --test` (iptables 1.8.9).
 *
 * CLI: `node kubeDump.js N [SEED] > file` (bundle it first, e.g.
 * `npx esbuild bench/generate/kubeDump.ts --bundle --platform=node --outfile=/tmp/kubeDump.js`).
 */
import { mulberry32 } from '../support';

/** The fewest rules a dump can hold: the fixed kube-proxy/kubelet/CRIU skeleton. */
export const MIN_KUBE_DUMP_RULES = 60;


const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const NAMESPACES = ['default', 'kube-system', 'shop', 'payments', 'monitoring', 'ingress', 'search', 'auth', 'billing', 'media', 'data', 'ml', 'logging', 'ci', 'staging'];
const WORDS = ['orders', 'cart', 'users', 'api', 'gateway', 'catalog', 'search', 'auth', 'session', 'cache', 'queue', 'worker', 'metrics', 'events', 'images', 'thumbs', 'ledger', 'invoice', 'profile', 'notify', 'mailer', 'report', 'backend', 'frontend', 'db', 'store', 'index', 'feed', 'router', 'proxy'];
const SUFFIXES = ['', '-v2', '-canary', '-headless', '-internal', '-db', '-read', '-write', '-grpc', '-web'];
const PORTS: ReadonlyArray<{ name: string; port: number; proto: 'tcp' | 'udp' }> = [
  { name: 'http', port: 80, proto: 'tcp' },
  { name: 'http', port: 8080, proto: 'tcp' },
  { name: 'https', port: 443, proto: 'tcp' },
  { name: 'grpc', port: 9090, proto: 'tcp' },
  { name: 'metrics', port: 9100, proto: 'tcp' },
  { name: 'postgres', port: 5432, proto: 'tcp' },
  { name: 'redis', port: 6379, proto: 'tcp' },
  { name: 'mysql', port: 3306, proto: 'tcp' },
  { name: 'amqp', port: 5672, proto: 'tcp' },
  { name: 'web', port: 3000, proto: 'tcp' },
  { name: 'syslog', port: 514, proto: 'udp' },
  { name: 'statsd', port: 8125, proto: 'udp' },
];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `ctime(3)` without the newline, as iptables-save prints it: `Tue Mar 12 09:41:27 2024`. */
function ctime(d: Date): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** How iptables-save prints a statistic probability: the kernel keeps round(p·2³¹), printed `%.11f`. */
function probabilityText(p: number): string {
  return (Math.round(p * 0x80000000) / 0x80000000).toFixed(11);
}

interface Endpoint {
  sep: string;
  ip: string;
  port: number;
}

/**
 * Returns an `iptables-save` dump with exactly `rules` rules (`-A` lines), or throws a RangeError
 * when `rules` is below MIN_KUBE_DUMP_RULES or not an integer.
 */
export function generateKubeDump(rules: number, seed = 1): string {
  if (!Number.isSafeInteger(rules) || rules < MIN_KUBE_DUMP_RULES) {
    throw new RangeError(`rules must be an integer ≥ ${MIN_KUBE_DUMP_RULES}, got ${rules}`);
  }
  const rand = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1)); // inclusive
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

  const usedNames = new Set<string>();
  const chainName = (prefix: string) => {
    for (;;) {
      let s = prefix;
      for (let i = 0; i < 16; i++) s += BASE32[Math.floor(rand() * 32)];
      if (!usedNames.has(s)) {
        usedNames.add(s);
        return s;
      }
    }
  };
  // Cluster IPs from 10.96.0.0/12 (1,048,576 addresses; a 700k-rule dump needs ~80k), never reused.
  const usedClusterIps = new Set<number>([0, 1, 10]);
  const clusterIp = () => {
    for (;;) {
      const n = int(11, 0xfffff - 1);
      if (!usedClusterIps.has(n)) {
        usedClusterIps.add(n);
        return `10.${96 + (n >>> 16)}.${(n >>> 8) & 0xff}.${n & 0xff}`;
      }
    }
  };
  const podIp = () => `10.244.${int(0, 255)}.${int(2, 254)}`;
  const usedNodePorts = new Set<number>();
  const nodePort = () => {
    for (;;) {
      const p = int(30000, 32767);
      if (!usedNodePorts.has(p)) {
        usedNodePorts.add(p);
        return p;
      }
    }
  };

  const nodeIp = `192.168.${int(0, 31)}.${int(2, 254)}`;
  const stamp = ctime(new Date(Date.UTC(2024, 0, 1) + int(0, 365 * 86400 - 1) * 1000));
  const counters = () => {
    const pkts = int(1000, 50_000_000);
    return `[${pkts}:${pkts * int(60, 1400)}]`;
  };

  // ---- nat ----------------------------------------------------------------------------------------
  const nat = new Map<string, string[]>(); // user chains; built-ins kept apart for ordering
  const natBuiltin = { PREROUTING: [] as string[], INPUT: [] as string[], OUTPUT: [] as string[], POSTROUTING: [] as string[] };
  const natChain = (name: string) => {
    let c = nat.get(name);
    if (!c) nat.set(name, (c = []));
    return c;
  };
  // ---- filter -------------------------------------------------------------------------------------
  const filter = new Map<string, string[]>();
  const filterBuiltin = { INPUT: [] as string[], FORWARD: [] as string[], OUTPUT: [] as string[] };
  const filterChain = (name: string) => {
    let c = filter.get(name);
    if (!c) filter.set(name, (c = []));
    return c;
  };

  let count = 0;
  const add = (chain: string[], name: string, rest: string) => {
    chain.push(`-A ${name} ${rest}`);
    count++;
  };

  // The fixed skeleton (nat).
  add(natBuiltin.PREROUTING, 'PREROUTING', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  add(natBuiltin.OUTPUT, 'OUTPUT', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  add(natBuiltin.POSTROUTING, 'POSTROUTING', '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING');
  add(natChain('KUBE-MARK-DROP'), 'KUBE-MARK-DROP', '-j MARK --set-xmark 0x8000/0x8000');
  add(natChain('KUBE-MARK-MASQ'), 'KUBE-MARK-MASQ', '-j MARK --set-xmark 0x4000/0x4000');
  const postrouting = natChain('KUBE-POSTROUTING');
  add(postrouting, 'KUBE-POSTROUTING', '-m mark ! --mark 0x4000/0x4000 -j RETURN');
  add(postrouting, 'KUBE-POSTROUTING', '-j MARK --set-xmark 0x4000/0x0');
  add(postrouting, 'KUBE-POSTROUTING', '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
  natChain('KUBE-KUBELET-CANARY');
  natChain('KUBE-PROXY-CANARY');
  const natServices = natChain('KUBE-SERVICES');
  const natNodePorts = natChain('KUBE-NODEPORTS');

  // The fixed skeleton (filter). CRIU's lock rules come first in INPUT and OUTPUT, as `criu dump
  // --tcp-established` inserts them (`iptables -I`), one pair per locked connection.
  const locks = int(1, 3);
  for (let i = 0; i < locks; i++) {
    const peer = clusterIp();
    const peerPort = pick(PORTS.filter((p) => p.proto === 'tcp')).port;
    const localPort = int(32768, 60999);
    add(filterBuiltin.INPUT, 'INPUT', `-s ${peer}/32 -d ${nodeIp}/32 -p tcp -m mark ! --mark 0xc114 -m tcp --sport ${peerPort} --dport ${localPort} -j DROP`);
    add(filterBuiltin.OUTPUT, 'OUTPUT', `-s ${nodeIp}/32 -d ${peer}/32 -p tcp -m mark ! --mark 0xc114 -m tcp --sport ${localPort} --dport ${peerPort} -j DROP`);
  }
  add(filterBuiltin.INPUT, 'INPUT', '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS');
  add(filterBuiltin.INPUT, 'INPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES');
  add(filterBuiltin.INPUT, 'INPUT', '-j KUBE-FIREWALL');
  add(filterBuiltin.FORWARD, 'FORWARD', '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD');
  add(filterBuiltin.FORWARD, 'FORWARD', '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  add(filterBuiltin.FORWARD, 'FORWARD', '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES');
  add(filterBuiltin.OUTPUT, 'OUTPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  add(filterBuiltin.OUTPUT, 'OUTPUT', '-j KUBE-FIREWALL');
  const firewall = filterChain('KUBE-FIREWALL');
  add(firewall, 'KUBE-FIREWALL', '-m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP');
  add(firewall, 'KUBE-FIREWALL', '! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP');
  const forward = filterChain('KUBE-FORWARD');
  add(forward, 'KUBE-FORWARD', '-m conntrack --ctstate INVALID -j DROP');
  add(forward, 'KUBE-FORWARD', '-m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT');
  add(forward, 'KUBE-FORWARD', '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  filterChain('KUBE-EXTERNAL-SERVICES');
  filterChain('KUBE-KUBELET-CANARY');
  filterChain('KUBE-PROXY-CANARY');
  const filterServices = filterChain('KUBE-SERVICES');
  const filterNodePorts = filterChain('KUBE-NODEPORTS');

  const clusterCidr = '10.244.0.0/16';
  /** One service: KUBE-SERVICES rule, KUBE-SVC chain, endpoints; `costOf(k, np)` rules in all. */
  const costOf = (k: number, withNodePort: boolean) => 2 + 3 * k + (withNodePort ? 2 : 0);
  const service = (ns: string, name: string, port: { name: string; port: number; proto: 'tcp' | 'udp' }, ip: string, endpoints: Endpoint[], withNodePort: boolean) => {
    const id = `${ns}/${name}:${port.name}`;
    const svc = chainName('KUBE-SVC-');
    const svcRules = natChain(svc);
    add(natServices, 'KUBE-SERVICES', `-d ${ip}/32 -p ${port.proto} -m comment --comment "${id} cluster IP" -m ${port.proto} --dport ${port.port} -j ${svc}`);
    add(svcRules, svc, `! -s ${clusterCidr} -d ${ip}/32 -p ${port.proto} -m comment --comment "${id} cluster IP" -m ${port.proto} --dport ${port.port} -j KUBE-MARK-MASQ`);
    if (withNodePort) {
      const np = nodePort();
      const match = `-p ${port.proto} -m comment --comment "${id}" -m ${port.proto} --dport ${np}`;
      add(natNodePorts, 'KUBE-NODEPORTS', `${match} -j KUBE-MARK-MASQ`);
      add(natNodePorts, 'KUBE-NODEPORTS', `${match} -j ${svc}`);
    }
    endpoints.forEach((ep, i) => {
      const left = endpoints.length - i;
      const statistic = left > 1 ? ` -m statistic --mode random --probability ${probabilityText(1 / left)}` : '';
      add(svcRules, svc, `-m comment --comment "${id} -> ${ep.ip}:${ep.port}"${statistic} -j ${ep.sep}`);
      const sep = natChain(ep.sep);
      add(sep, ep.sep, `-s ${ep.ip}/32 -m comment --comment "${id}" -j KUBE-MARK-MASQ`);
      add(sep, ep.sep, `-p ${port.proto} -m comment --comment "${id}" -m ${port.proto} -j DNAT --to-destination ${ep.ip}:${ep.port}`);
    });
  };
  const endpointsOf = (k: number, port: number): Endpoint[] =>
    Array.from({ length: k }, () => ({ sep: chainName('KUBE-SEP-'), ip: podIp(), port }));

  // The API server and cluster DNS first, as on every cluster.
  const apiserverNode = () => `192.168.${int(0, 31)}.${int(2, 254)}`;
  service('default', 'kubernetes', { name: 'https', port: 443, proto: 'tcp' }, '10.96.0.1', Array.from({ length: 3 }, () => ({ sep: chainName('KUBE-SEP-'), ip: apiserverNode(), port: 6443 })), false);
  const dnsPods = endpointsOf(2, 53);
  service('kube-system', 'kube-dns', { name: 'dns', port: 53, proto: 'udp' }, '10.96.0.10', dnsPods, false);
  service('kube-system', 'kube-dns', { name: 'dns-tcp', port: 53, proto: 'tcp' }, '10.96.0.10', dnsPods.map((p) => ({ ...p, sep: chainName('KUBE-SEP-') })), false);
  // Health-check node ports in filter.
  for (let i = 0; i < 2; i++) {
    add(filterNodePorts, 'KUBE-NODEPORTS', `-p tcp -m comment --comment "ingress/ingress-nginx-${i}:http health check node port" -m tcp --dport ${nodePort()} -j ACCEPT`);
  }
  const fixedTail = 1; // KUBE-SERVICES → KUBE-NODEPORTS, the last rule of nat KUBE-SERVICES
  if (count + fixedTail > rules) throw new RangeError(`rules must be ≥ ${count + fixedTail}`);

  // Services until the budget runs out; then "has no endpoints" REJECTs fill it exactly.
  let serial = 0;
  const serviceName = () => `${pick(WORDS)}${pick(SUFFIXES)}-${(serial++).toString(36)}`;
  for (;;) {
    const left = rules - fixedTail - count;
    if (rand() < 0.03 || left < costOf(1, false)) {
      if (left < 1) break;
      const port = pick(PORTS);
      add(filterServices, 'KUBE-SERVICES', `-d ${clusterIp()}/32 -p ${port.proto} -m comment --comment "${pick(NAMESPACES)}/${serviceName()}:${port.name} has no endpoints" -m ${port.proto} --dport ${port.port} -j REJECT --reject-with icmp-port-unreachable`);
      continue;
    }
    // Endpoint counts skewed small, as on real clusters: mostly 1–3, sometimes up to 12.
    let k = rand() < 0.85 ? int(1, 3) : int(4, 12);
    // The node-port range 30000–32767 holds 2768 ports; stay well inside it.
    const withNodePort = rand() < 0.1 && usedNodePorts.size < 2700 && costOf(1, true) <= left;
    while (k > 1 && costOf(k, withNodePort) > left) k--;
    const port = pick(PORTS);
    service(pick(NAMESPACES), serviceName(), port, clusterIp(), endpointsOf(k, port.port === 80 ? 8080 : port.port), withNodePort);
  }
  add(natServices, 'KUBE-SERVICES', '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
  if (count !== rules) throw new Error(`internal: generated ${count} rules instead of ${rules}`);

  // ---- print, as iptables-save does ---------------------------------------------------------------
  const out: string[] = [];
  const table = (name: string, builtin: Record<string, string[]>, user: Map<string, string[]>) => {
    out.push(`# Generated by iptables-save v1.8.9 on ${stamp}`, `*${name}`);
    const userNames = [...user.keys()].sort();
    for (const b of Object.keys(builtin)) out.push(`:${b} ACCEPT ${counters()}`);
    for (const u of userNames) out.push(`:${u} - [0:0]`);
    for (const b of Object.keys(builtin)) for (const r of builtin[b]) out.push(r);
    for (const u of userNames) for (const r of user.get(u)!) out.push(r);
    out.push('COMMIT', `# Completed on ${stamp}`);
  };
  table(
    'mangle',
    { PREROUTING: [], INPUT: [], FORWARD: [], OUTPUT: [], POSTROUTING: [] },
    new Map([['KUBE-KUBELET-CANARY', []], ['KUBE-PROXY-CANARY', []]]),
  );
  table('nat', natBuiltin, nat);
  table('filter', filterBuiltin, filter);
  return out.join('\n') + '\n';
}

/** CLI: `node kubeDump.js N [SEED]` writes the dump to stdout. */
function main(argv: string[]): void {
  const rules = Number(argv[0]);
  const seed = argv[1] === undefined ? 1 : Number(argv[1]);
  if (!Number.isSafeInteger(rules) || !Number.isSafeInteger(seed)) {
    process.stderr.write(`usage: kubeDump N [SEED] > file   (N rules, N ≥ ${MIN_KUBE_DUMP_RULES}; SEED an integer, default 1)\n`);
    process.exit(2);
  }
  let text: string;
  try {
    text = generateKubeDump(rules, seed);
  } catch (e) {
    process.stderr.write(`kubeDump: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  process.stdout.write(text);
}

// Run as a program only when this file is the entry point (not when bundled into bench/run.js).
if (/(^|[\\/])kubeDump(\.[cm]?[jt]s)?$/.test(process.argv[1] ?? '')) main(process.argv.slice(2));
