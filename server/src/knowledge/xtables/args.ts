/**
 * Argument parsers for iptables' built-in options and extensions, written to accept exactly what
 * iptables 1.8.9 (libxtables + extensions) accepts and to reject the rest with its wording.
 * Behaviours were checked against iptables-restore 1.8.9 in a network namespace; where iptables
 * needs a system database (/etc/services, /etc/protocols, passwd, DNS), the lookup is replaced by
 * an embedded table or, for user names and host names, by a clear rejection: a dump always holds
 * numbers and addresses.
 *
 * Messages name the offending text but not the option: the caller knows which option it parses.
 */
import type { ArgParser, ArgResult, ArgValue, Family } from './types';

// ---------------------------------------------------------------------------------------------
// Results

function ok(value: ArgValue, warning?: string): ArgResult {
  return warning === undefined ? { ok: true, value } : { ok: true, value, warning };
}

function bad(message: string): ArgResult {
  return { ok: false, message };
}

const num = (value: number): ArgValue => ({ type: 'number', value });
const range = (from: number, to: number): ArgValue => ({ type: 'range', from, to });
const name = (value: string): ArgValue => ({ type: 'name', value });
const list = (items: ArgValue[]): ArgValue => ({ type: 'list', items });

export const UINT8_MAX = 0xff;
export const UINT16_MAX = 0xffff;
export const UINT32_MAX = 0xffffffff;

// ---------------------------------------------------------------------------------------------
// Numbers: xtables_strtoul() is strtoumax(s, &end, 0) plus a refusal of a leading minus.

interface Scanned {
  value: bigint;
  /** Index just after the last digit. */
  end: number;
}

/** isspace() in the C locale. */
const isSpace = (code: number) => code === 32 || (code >= 9 && code <= 13);

/** The value of an ASCII digit or letter (`a`/`A` is 10 ... `z` 35); 36, a digit of no base, otherwise. */
function digitValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 36;
}

interface Digits {
  first: number;
  end: number;
  base: number;
}

/**
 * Where strtoumax with base 0 finds the digits from `start`: leading white space and `+` are
 * skipped, `0x` is hex, a leading `0` octal. A leading `-` is refused as xtables_strtoul() does.
 * Undefined when no digit was read. Character codes only: this runs for every number of a dump.
 */
function scanDigits(s: string, start: number): Digits | undefined {
  let i = start;
  while (isSpace(s.charCodeAt(i))) i++;
  const sign = s.charCodeAt(i);
  if (sign === 45 /* - */) return undefined;
  if (sign === 43 /* + */) i++;
  let base = 10;
  if (s.charCodeAt(i) === 48 /* 0 */) {
    const x = s.charCodeAt(i + 1);
    if ((x === 120 || x === 88) && digitValue(s.charCodeAt(i + 2)) < 16) {
      base = 16;
      i += 2;
    } else base = 8;
  }
  const first = i;
  while (digitValue(s.charCodeAt(i)) < base) i++;
  return i === first ? undefined : { first, end: i, base };
}

/**
 * strtoumax with base 0 from `start` (see scanDigits). Undefined when no digit was read or the
 * value overflows 64 bits (ERANGE).
 */
export function scanUnsigned(s: string, start = 0): Scanned | undefined {
  const d = scanDigits(s, start);
  if (!d) return undefined;
  const digits = s.slice(d.first, d.end);
  const value = d.base === 16 ? BigInt(`0x${digits}`) : d.base === 8 ? BigInt(`0o${digits}`) : BigInt(digits);
  if (value > 0xffffffffffffffffn) return undefined;
  return { value, end: d.end };
}

/** xtables_strtoui(s, NULL, ...): the whole text must be one number within [min, max]. */
export function strictUint(s: string, min: number, max: number): number | undefined {
  const d = scanDigits(s, 0);
  if (!d || d.end !== s.length) return undefined;
  // Plain numbers, no BigInt: exact up to 2^53, above every max given here, and rounding keeps
  // a larger value (even one past 64 bits, which iptables refuses too) above max.
  let value = 0;
  for (let i = d.first; i < d.end; i++) value = value * d.base + digitValue(s.charCodeAt(i));
  return value < min || value > max ? undefined : value;
}

/** A number in [min, max], decimal, hex (`0x`) or octal (leading `0`), as XTTYPE_UINT* options. */
export function uint(min: number, max: number): ArgParser {
  return (text) => {
    const v = strictUint(text, min, max);
    return v === undefined ? bad(`bad value "${text}", or out of range (${min}-${max})`) : ok(num(v));
  };
}

export const uint8 = uint(0, UINT8_MAX);
export const uint16 = uint(0, UINT16_MAX);
export const uint32 = uint(0, UINT32_MAX);

/** 64-bit counters (quota, connbytes): kept as a JS number, exact up to 2^53. */
export const uint64: ArgParser = (text) => {
  const r = scanUnsigned(text);
  if (!r || r.end !== text.length) return bad(`bad value "${text}", or out of range (0-18446744073709551615)`);
  return ok(num(Number(r.value)));
};

/**
 * `a[:b]` as XTTYPE_UINT*RC (`--length`, `--ctexpire`, `--connbytes`, `--espspi`): an empty first
 * part is 0, an empty second part the maximum; iptables does not insist on a <= b.
 */
export function uintRange(max: number): ArgParser {
  return (text) => {
    const parts = text.split(':');
    if (parts.length > 2) return bad(`too many components in "${text}" (max: 2)`);
    const values: number[] = [];
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k];
      if (p === '') {
        values.push(k === 1 ? max : 0);
        continue;
      }
      const r = scanUnsigned(p);
      if (!r || r.value > BigInt(max)) return bad(`bad value near "${p}", or out of range (0-${max})`);
      if (r.end !== p.length) return bad(`unexpected characters near "${p.slice(r.end)}" in "${text}"`);
      values.push(Number(r.value));
    }
    return ok(range(values[0], values.length > 1 ? values[1] : values[0]));
  };
}

/** A decimal fraction within [min, max] (`--probability`), as strtod. */
export function decimal(min: number, max: number): ArgParser {
  return (text) => {
    const t = text.trimStart();
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && !/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) {
      return bad(`bad value "${text}", or out of range (${min}-${max})`);
    }
    const v = Number(t);
    if (Number.isNaN(v) || v < min || v > max) return bad(`bad value "${text}", or out of range (${min}-${max})`);
    return ok(num(v));
  };
}

// ---------------------------------------------------------------------------------------------
// value[/mask]

function parseValueMask(text: string, what: string, defaultMask: number, max = UINT32_MAX): ArgResult {
  const v = scanUnsigned(text);
  if (!v || v.value > BigInt(max)) return bad(`Bad ${what} value "${text}": not an integer, or out of range (0-${hexOf(max)})`);
  if (v.end === text.length) return ok({ type: 'mark', value: Number(v.value), mask: defaultMask });
  if (text[v.end] !== '/') return bad(`Bad ${what} value "${text}": trailing garbage after the value`);
  const m = scanUnsigned(text, v.end + 1);
  if (!m || m.value > BigInt(max)) return bad(`Bad ${what} value "${text}": the mask is not an integer, or out of range (0-${hexOf(max)})`);
  if (m.end !== text.length) return bad(`Bad ${what} value "${text}": trailing garbage after the mask`);
  return ok({ type: 'mark', value: Number(v.value), mask: Number(m.value) });
}

const hexOf = (n: number) => `0x${n.toString(16)}`;

/** `value[/mask]`, 32-bit (mark, connmark, MARK --set-xmark): the mask defaults to 0xffffffff. */
export const markMask: ArgParser = (text) => parseValueMask(text, 'mark', UINT32_MAX);

/** A plain 32-bit mark with no mask (`--and-mark`, `--nfmask`). */
export const markValue: ArgParser = (text) => {
  const v = strictUint(text, 0, UINT32_MAX);
  return v === undefined ? bad(`Bad mark value "${text}": not an integer, or out of range (0-0xffffffff)`) : ok(num(v));
};

/**
 * `value[/mask]` for tables iptables may read names from (devgroup: /etc/iproute2/group, realm:
 * rt_realms). Only numbers and the names every system has are known here.
 */
function valueMaskOrName(what: string, names: Record<string, number>): ArgParser {
  return (text) => {
    const known = names[text];
    if (known !== undefined) return ok({ type: 'mark', value: known, mask: UINT32_MAX });
    const r = parseValueMask(text, what, UINT32_MAX);
    if (r.ok) return r;
    return bad(`Bad ${what} value "${text}": not a number (named ${what}s are read from the local system, which this tool does not consult)`);
  };
}

export const devGroup = valueMaskOrName('device group', { default: 0 });
export const realm = valueMaskOrName('realm', { cosmos: 0 });

// ---------------------------------------------------------------------------------------------
// Ports and services

/**
 * Service names from Debian's /etc/services (netbase), tcp/udp/sctp/dccp, with their aliases.
 * Embedded because a CLI run must not depend on the machine's /etc/services; iptables looks the
 * name up for the rule's protocol, which this table does not distinguish.
 */
const SERVICES =
  '1:tcpmux;7:echo;9:discard sink null;11:systat users;13:daytime;15:netstat;17:qotd quote;19:chargen ' +
  'ttytst source;20:ftp-data;21:ftp fsp fspd;22:ssh;23:telnet;25:smtp mail;37:time timserver;43:whois ' +
  'nicname;49:tacacs;53:domain;67:bootps;68:bootpc;69:tftp;70:gopher;79:finger;80:http www;88:kerberos ' +
  'kerberos5 krb5 kerberos-sec;102:iso-tsap tsap;104:acr-nema dicom;106:poppassd;110:pop3 ' +
  'pop-3;111:sunrpc portmapper;113:auth authentication tap ident;119:nntp readnews ' +
  'untp;123:ntp;135:epmap loc-srv;137:netbios-ns;138:netbios-dgm;139:netbios-ssn;143:imap2 ' +
  'imap;161:snmp;162:snmp-trap ' +
  'snmptrap;163:cmip-man;164:cmip-agent;174:mailq;177:xdmcp;179:bgp;199:smux;209:qmtp;210:z3950 ' +
  'wais;213:ipx;319:ptp-event;320:ptp-general;345:pawserv;346:zserv;369:rpc2portmap;370:codaauth2;371:c' +
  'learcase ' +
  'Clearcase;389:ldap;427:svrloc;443:https;444:snpp;445:microsoft-ds;464:kpasswd;465:submissions ssmtp ' +
  'smtps urd;487:saft;500:isakmp;512:exec biff comsat;513:login who whod;514:shell cmd ' +
  'syslog;515:printer spooler;517:talk;518:ntalk;520:route router routed;538:gdomap;540:uucp ' +
  'uucpd;543:klogin;544:kshell ' +
  'krcmd;546:dhcpv6-client;547:dhcpv6-server;548:afpovertcp;554:rtsp;563:nntps ' +
  'snntp;587:submission;607:nqs;623:asf-rmcp;628:qmqp;631:ipp;636:ldaps;646:ldp;655:tinc;706:silc;749:k' +
  'erberos-adm;750:kerberos4 kerberos-iv kdc;751:kerberos-master kerberos_master;752:passwd-server ' +
  'passwd_server;754:krb-prop krb_prop krb5_prop hprop;775:moira-db moira_db;777:moira-update ' +
  'moira_update;779:moira-ureg ' +
  'moira_ureg;783:spamd;853:domain-s;871:supfilesrv;873:rsync;989:ftps-data;990:ftps;992:telnets;993:im' +
  'aps;995:pop3s;1080:socks;1093:proofd;1094:rootd;1099:rmiregistry;1127:supfiledbg;1178:skkserv;1194:o' +
  'penvpn;1210:predict;1236:rmtcfg;1313:xtel;1314:xtelw;1352:lotusnote ' +
  'lotusnotes;1433:ms-sql-s;1434:ms-sql-m;1524:ingreslock;1645:datametrics old-radius;1646:sa-msg-port ' +
  'old-radacct;1649:kermit;1677:groupwise;1701:l2f l2tp;1812:radius;1813:radius-acct ' +
  'radacct;2000:cisco-sccp;2049:nfs;2086:gnunet;2101:rtcm-sc104;2102:zephyr-srv;2103:zephyr-clt;2104:ze' +
  'phyr-hm;2119:gsigatekeeper;2121:iprop;2135:gris;2401:cvspserver;2430:venus;2431:venus-se;2432:codasr' +
  'v;2433:codasrv-se;2583:mon;2600:zebrasrv;2601:zebra;2602:ripd;2603:ripngd;2604:ospfd;2605:bgpd;2606:' +
  'ospf6d;2607:ospfapi;2608:isisd;2628:dict;2792:f5-globalsite;2811:gsiftp;2947:gpsd;3050:gds-db ' +
  'gds_db;3130:icpv2 ' +
  'icp;3205:isns;3260:iscsi-target;3306:mysql;3389:ms-wbt-server;3493:nut;3632:distcc;3689:daap;3690:sv' +
  'n ' +
  'subversion;4031:suucp;4094:sysrqd;4190:sieve;4353:f5-iquery;4369:epmd;4373:remctl;4460:ntske;4500:ip' +
  'sec-nat-t;4557:fax;4559:hylafax;4569:iax;4691:mtn;4899:radmin-port;4949:munin ' +
  'lrrd;5060:sip;5061:sip-tls;5222:xmpp-client jabber-client;5269:xmpp-server ' +
  'jabber-server;5308:cfengine;5353:mdns;5432:postgresql postgres;5555:rplay;5556:freeciv ' +
  'rptp;5666:nrpe;5667:nsca;5671:amqps;5672:amqp;5680:canna;6000:x11 ' +
  'x11-0;6001:x11-1;6002:x11-2;6003:x11-3;6004:x11-4;6005:x11-5;6006:x11-6;6007:x11-7;6346:gnutella-svc' +
  ';6347:gnutella-rtr;6379:redis;6444:sge-qmaster sge_qmaster;6445:sge-execd ' +
  'sge_execd;6446:mysql-proxy;6514:syslog-tls;6566:sane-port sane ' +
  'saned;6667:ircd;6696:babel;6697:ircs-u;7000:bbs ' +
  'afs3-fileserver;7001:afs3-callback;7002:afs3-prserver;7003:afs3-vlserver;7004:afs3-kaserver;7005:afs' +
  '3-volser;7007:afs3-bos;7008:afs3-update;7009:afs3-rmtsys;7100:font-service ' +
  'xfs;8021:zope-ftp;8080:http-alt ' +
  'webcache;8081:tproxy;8088:omniorb;8140:puppet;8990:clc-build-daemon;9098:xinetd;9101:bacula-dir;9102' +
  ':bacula-fd;9103:bacula-sd;9418:git;9667:xmms2;9673:zope;10000:webmin;10050:zabbix-agent;10051:zabbix' +
  '-trapper;10080:amanda;10081:kamanda;10082:amandaidx;10083:amidxtape;10809:nbd;11371:hkp;17001:sgi-cm' +
  'sd;17002:sgi-crsd;17003:sgi-gcd;17004:sgi-cad;17500:db-lsp;22125:dcap;22128:gsidcap;22273:wnn6;24554' +
  ':binkp;27374:asp;30865:csync2;57000:dircproxy;60177:tfido;60179:fido';

const servicePorts: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  for (const entry of SERVICES.split(';')) {
    const [port, names] = entry.split(':');
    for (const n of names.split(' ')) if (n && !m.has(n)) m.set(n, Number(port));
  }
  return m;
})();

/** The port of a service name, or undefined. Names are case-sensitive, as in /etc/services. */
export function serviceToPort(service: string): number | undefined {
  return servicePorts.get(service);
}

/** xtables_parse_port(): a number 0-65535 (base 0) or a service name. */
function parsePortNumber(text: string): number | undefined {
  const n = strictUint(text, 0, UINT16_MAX);
  return n !== undefined ? n : serviceToPort(text);
}

const badPort = (text: string) => bad(`invalid port/service "${text}" specified`);

/** One port: a number or a service name (`--on-port`, `--vport`). */
export const port: ArgParser = (text) => {
  const p = parsePortNumber(text);
  return p === undefined ? badPort(text) : ok(num(p));
};

/**
 * `port[:port]` as the tcp/udp/sctp/dccp matches take it: `:b` is 0:b, `a:` is a:65535, `:` is
 * everything. iptables-restore 1.8.9 refuses a range whose first port is above its last, but old
 * iptables (1.4) let such rules into the kernel and iptables-save prints them back (`60000:29` is
 * in real dumps): accepted here with a warning, the range matching nothing.
 */
export const portRange: ArgParser = (text) => {
  const colon = text.indexOf(':');
  if (colon < 0) {
    const p = parsePortNumber(text);
    return p === undefined ? badPort(text) : ok(range(p, p));
  }
  const lo = text.slice(0, colon);
  const hi = text.slice(colon + 1);
  const from = lo === '' ? 0 : parsePortNumber(lo);
  if (from === undefined) return badPort(lo);
  const to = hi === '' ? UINT16_MAX : parsePortNumber(hi);
  if (to === undefined) return badPort(hi);
  if (from > to) return ok(range(from, to), `invalid portrange (min > max) "${text}": it matches no port, and iptables-restore 1.8.9 refuses it`);
  return ok(range(from, to));
};

/**
 * conntrack's `--ctorigsrcport` and friends (XTTYPE_PORTRC): names resolve through getaddrinfo,
 * `:` separates a range with open ends, and iptables does not check the order. A number above
 * 65535 is taken modulo 2^16 by getaddrinfo's 16-bit port: accepted, with a warning.
 */
export const ctPortRange: ArgParser = (text) => {
  const parts = text.split(':');
  if (parts.length > 2) return bad(`too many components in "${text}" (max: 2)`);
  const values: number[] = [];
  let warning: string | undefined;
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k];
    if (p === '') {
      values.push(k === 1 ? UINT16_MAX : 0);
      continue;
    }
    let v: number | undefined;
    if (/^\d+$/.test(p)) {
      const n = Number(p);
      if (n > UINT16_MAX) warning = `port ${p} is above 65535: iptables keeps only its low 16 bits (${n & UINT16_MAX})`;
      v = n & UINT16_MAX;
    } else v = serviceToPort(p);
    if (v === undefined) return bad(`Port "${p}" does not resolve to anything`);
    values.push(v);
  }
  return ok(range(values[0], values.length > 1 ? values[1] : values[0]), warning);
};

/**
 * multiport's list: up to 15 ports, a `a:b` range taking two of the slots; in a range the first
 * port must be below the second (iptables refuses `5:5`).
 */
export const multiportList: ArgParser = (text) => {
  const items: ArgValue[] = [];
  let slots = 0;
  for (const part of text.split(',')) {
    const colon = part.indexOf(':');
    if (colon < 0) {
      const p = parsePortNumber(part);
      if (p === undefined) return badPort(part);
      items.push(range(p, p));
      slots += 1;
    } else {
      const lo = part.slice(0, colon);
      const hi = part.slice(colon + 1);
      const from = parsePortNumber(lo);
      if (from === undefined) return badPort(lo);
      const to = parsePortNumber(hi);
      if (to === undefined) return badPort(hi);
      if (from >= to) return bad(`invalid portrange specified: "${part}"`);
      items.push(range(from, to));
      slots += 2;
    }
    if (slots > 15) return bad(`too many ports specified in "${text}" (at most 15; a range counts as two)`);
  }
  return ok(list(items));
};

/** `port[-port]` for MASQUERADE/REDIRECT `--to-ports`: a dash, not a colon, between the ports. */
export const natPortRange: ArgParser = (text) => {
  if (text.includes(':')) return bad(`Invalid port:port syntax in "${text}" - use dash`);
  const dash = text.indexOf('-');
  const lo = dash < 0 ? text : text.slice(0, dash);
  const from = dash < 0 ? parsePortNumber(lo) : strictUint(lo, 0, UINT16_MAX);
  if (from === undefined) return bad(`Port "${lo}" not valid`);
  if (dash < 0) return ok(range(from, from));
  const hi = text.slice(dash + 1);
  const to = strictUint(hi, 0, UINT16_MAX);
  if (to === undefined) return bad(`Port "${hi}" not valid`);
  if (to < from) return bad(`Port range "${text}" funky`);
  return ok(range(from, to));
};

// ---------------------------------------------------------------------------------------------
// Addresses

/** iptables' dotted IPv4 reader: up to four parts, each a number in any base; `10.1` is 10.1.0.0. */
export function parseIPv4(text: string, isMask = false): bigint | undefined {
  const plain = plainDottedQuad(text);
  if (plain >= 0 && !isMask) return BigInt(plain);
  const parts = text.split('.');
  if (parts.length > 4 || (isMask && parts.length !== 4)) return undefined;
  let value = 0;
  for (let k = 0; k < 4; k++) {
    let byte = 0;
    if (k < parts.length) {
      const b = strictUint(parts[k], 0, UINT8_MAX);
      if (b === undefined) return undefined;
      byte = b;
    }
    value = value * 256 + byte;
  }
  return BigInt(value);
}

/**
 * The value of `a[.b[.c[.d]]]` written in plain decimal (no sign, blank or leading zero), as the
 * reader above takes it; -1 for any other text, which that reader handles. Every address of a
 * dump goes through here.
 */
function plainDottedQuad(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || parts === 4) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      parts++;
    } else if (c >= 48 && c <= 57 && !(digits === 1 && part === 0)) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > UINT8_MAX) return -1;
    } else return -1;
  }
  if (digits === 0) return -1;
  value = value * 256 + part;
  for (; parts < 4; parts++) value *= 256;
  return value;
}

/**
 * inet_aton(), which getaddrinfo() uses for numeric IPv4 hosts: 1 to 4 parts in any base, the
 * last filling the remaining bytes (`10.1` is 10.0.0.1, `24` is 0.0.0.24). The options iptables
 * reads with getaddrinfo (conntrack's addresses, recent's --mask, TPROXY's --on-ip) take this
 * form; -s/-d use iptables' own reader above.
 */
export function parseInetAton(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const values: bigint[] = [];
  for (const p of parts) {
    if (!/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(p)) return undefined;
    values.push(BigInt(p.startsWith('0x') || p.startsWith('0X') ? p : p.length > 1 && p[0] === '0' ? `0o${p.slice(1)}` : p));
  }
  const lastBits = BigInt(8 * (5 - parts.length));
  let v = 0n;
  for (let k = 0; k < values.length - 1; k++) {
    if (values[k] > 0xffn) return undefined;
    v = (v << 8n) | values[k];
  }
  const last = values[values.length - 1];
  if (last >= 1n << lastBits) return undefined;
  return (v << lastBits) | last;
}

/** inet_pton(AF_INET6): hex groups, one `::`, an optional dotted IPv4 tail; no zone (`%eth0`). */
export function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k];
      if (k === parts.length - 1 && p.includes('.')) {
        if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(p)) return undefined;
        const bytes = p.split('.').map(Number);
        if (bytes.some((b, i) => b > 255 || (p.split('.')[i].length > 1 && p.split('.')[i][0] === '0'))) return undefined;
        out.push((bytes[0] << 8) | bytes[1], (bytes[2] << 8) | bytes[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  let all: number[];
  if (halves.length === 2) {
    if (head.length + tail.length > 7) return undefined;
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    all = head;
  }
  return all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

const bitsOf = (family: Family) => (family === 'ipv4' ? 32 : 128);

/** Every prefix mask of a family, and its prefix by mask: computed once, read for every address. */
const prefixMasks = (bits: number): bigint[] =>
  Array.from({ length: bits + 1 }, (_, p) => (p === 0 ? 0n : ((1n << BigInt(p)) - 1n) << BigInt(bits - p)));
const masks: Record<Family, bigint[]> = { ipv4: prefixMasks(32), ipv6: prefixMasks(128) };
const prefixes: Record<Family, Map<bigint, number>> = {
  ipv4: new Map(masks.ipv4.map((m, p) => [m, p])),
  ipv6: new Map(masks.ipv6.map((m, p) => [m, p])),
};
const allOnes = (family: Family) => masks[family][bitsOf(family)];

export function prefixToMask(prefix: number, family: Family): bigint {
  return masks[family][prefix];
}

/** The prefix length of a contiguous mask, or null (`255.0.255.0` cannot be written as /n). */
export function maskToPrefix(mask: bigint, family: Family): number | null {
  return prefixes[family].get(mask) ?? null;
}

/** A numeric address of the family (no host names), as a bigint. */
export function parseAddress(text: string, family: Family): bigint | undefined {
  return family === 'ipv4' ? parseIPv4(text) : parseIPv6(text);
}

/** A host as getaddrinfo() reads numeric hosts: inet_aton forms for IPv4, inet_pton for IPv6. */
function parseHost(text: string, family: Family): bigint | undefined {
  return family === 'ipv4' ? parseInetAton(text) : parseIPv6(text);
}

/**
 * An IPv6 scope (`fe80::1%eth0`): getaddrinfo resolves it, so iptables takes it, but the rule
 * keeps only the address.
 */
function splitZone(text: string, family: Family): { host: string; warning?: string } {
  const pct = text.indexOf('%');
  if (family !== 'ipv6' || pct < 0 || pct === text.length - 1) return { host: text };
  return { host: text.slice(0, pct), warning: `the scope "${text.slice(pct)}" is not part of the rule: iptables keeps only the address` };
}

/** Formats an address the way inet_ntop prints it (IPv6 compressed, lower case). */
export function formatAddress(address: bigint, family: Family): string {
  if (family === 'ipv4') return [24n, 16n, 8n, 0n].map((s) => String((address >> s) & 0xffn)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => Number((address >> s) & 0xffffn));
  // The longest run of two or more zero groups becomes `::` (the first, if runs tie).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

const notAnAddress = (text: string, family: Family) =>
  bad(
    `host/network "${text}" not found: expected a numeric ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address` +
      (/[a-zA-Z]/.test(text) && !(family === 'ipv6' && parseIPv6(text) !== undefined) ? ' (host names are not resolved: iptables-save always prints addresses)' : ''),
  );

/**
 * `address[/prefix]` or `address/mask` (dotted for IPv4, an address for IPv6), as -s/-d and the
 * other address options take it. The address is stored masked, as the kernel holds it; a mask of
 * 0 makes any address (even a name) mean "anywhere", as in iptables.
 */
export const address: ArgParser = (text, family) => {
  const slash = text.lastIndexOf('/');
  const written = slash < 0 ? text : text.slice(0, slash);
  const { host, warning } = written.includes('%') ? splitZone(written, family) : { host: written, warning: undefined };
  let prefix: number | null = bitsOf(family);
  let mask = allOnes(family);
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    // A dotted IPv4 mask has four parts; an IPv6 mask is an address.
    const dotted = family === 'ipv4' ? (m.includes('.') ? parseIPv4(m, true) : undefined) : m.includes(':') ? parseIPv6(m) : undefined;
    if (dotted !== undefined) {
      mask = dotted;
      prefix = maskToPrefix(mask, family);
    } else {
      const bits = strictUint(m, 0, bitsOf(family));
      if (bits === undefined) return bad(`invalid mask "${m}" specified`);
      mask = prefixToMask(bits, family);
      prefix = bits;
    }
  }
  let addr: bigint | undefined = mask === 0n ? 0n : parseAddress(host, family);
  if (addr === undefined) return notAnAddress(host, family);
  if (prefix !== bitsOf(family)) addr &= mask;
  return ok({ type: 'net', family, address: addr, prefix, mask, text }, warning);
};

/**
 * `address[/mask]` read as XTTYPE_HOSTMASK (conntrack --ctorigsrc..., policy --tunnel-src, ipvs
 * --vaddr): the host through getaddrinfo (inet_aton forms: `10.1` is 10.0.0.1), the mask a prefix
 * length or a numeric mask. A mask that is not a prefix (`255.0.255.0`, even `33` read as
 * 0.0.0.33) ends up as a host mask in iptables 1.8.9: the same here, with a warning. The kernel
 * compares under the mask, so the address is stored masked.
 */
export const hostMask: ArgParser = (text, family) => {
  const slash = text.indexOf('/');
  const { host, warning } = splitZone(slash < 0 ? text : text.slice(0, slash), family);
  const addr = parseHost(host, family);
  if (addr === undefined) return notAnAddress(host, family);
  let mask = allOnes(family);
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    const bits = strictUint(m, 0, bitsOf(family));
    const numeric = bits === undefined ? parseHost(m, family) : undefined;
    if (bits !== undefined) mask = prefixToMask(bits, family);
    else if (numeric === undefined) return bad(`"${m}" is neither a valid network mask nor a valid prefix length (0-${bitsOf(family)})`);
    else if (maskToPrefix(numeric, family) !== null) mask = numeric;
    else return ok({ type: 'net', family, address: addr, prefix: bitsOf(family), mask, text }, `the mask "${m}" is not a prefix: iptables matches the single address ${host}`);
  }
  return ok({ type: 'net', family, address: addr & mask, prefix: maskToPrefix(mask, family), mask, text }, warning);
};

/** -s/-d also take a comma-separated list, which iptables expands into one rule per address. */
export const addresses: ArgParser = (text, family) => {
  if (!text.includes(',')) return address(text, family);
  const items: ArgValue[] = [];
  for (const part of text.split(',')) {
    const r = address(part.trimStart(), family);
    if (!r.ok) return r;
    items.push(r.value);
  }
  return ok(list(items), `"${text}" holds ${items.length} addresses: iptables adds one rule for each`);
};

/** A single host address, no mask, read as getaddrinfo reads it (`--on-ip`, TEE's `--gateway`). */
export const hostAddress: ArgParser = (text, family) => {
  const { host, warning } = splitZone(text, family);
  const addr = parseHost(host, family);
  if (addr === undefined) return notAnAddress(text, family);
  const bits = bitsOf(family);
  return ok({ type: 'net', family, address: addr, prefix: bits, mask: allOnes(family), text }, warning);
};

/**
 * recent's `--mask`: a netmask written as an address (`255.255.255.0`), applied to the addresses
 * the list stores. The value is a net whose address and mask are both the mask.
 */
export const addressMask: ArgParser = (text, family) => {
  const m = parseHost(text, family);
  if (m === undefined) return notAnAddress(text, family);
  return ok({ type: 'net', family, address: m, prefix: maskToPrefix(m, family), mask: m, text });
};

/** A prefix length 0-32 (IPv4) or 0-128 (IPv6): `--hashlimit-srcmask`, `--connlimit-mask`. */
export const prefixLength: ArgParser = (text, family) => {
  const v = strictUint(text, 0, bitsOf(family));
  if (v !== undefined) return ok(num(v));
  // xtopt_parse_plen falls back to a mask read by getaddrinfo, which takes any numeric address
  // (`33` is 0.0.0.33): a mask that is not a prefix is kept as written, with a warning.
  const m = parseHost(text, family);
  if (m === undefined) return bad(`"${text}" is neither a valid network mask nor a valid prefix length (0-${bitsOf(family)})`);
  const p = maskToPrefix(m, family);
  if (p !== null) return ok(num(p));
  return ok({ type: 'opaque', text }, `"${text}" is read as the netmask ${formatAddress(m, family)}, which is not a prefix length`);
};

/** iprange's `from[-to]`: two addresses; a reversed range is accepted but never matches. */
export const ipRange: ArgParser = (text, family) => {
  const dash = text.indexOf('-');
  const lo = dash < 0 ? text : text.slice(0, dash);
  const hi = dash < 0 ? text : text.slice(dash + 1);
  const from = parseAddress(lo, family);
  if (from === undefined) return bad(`Bad value "${lo}" in range "${text}": not a numeric ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
  const to = parseAddress(hi, family);
  if (to === undefined) return bad(`Bad value "${hi}" in range "${text}": not a numeric ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
  const value: ArgValue = { type: 'iprange', family, from, to };
  return from > to ? ok(value, `range ${text} is reversed and will never match`) : ok(value);
};

/**
 * NAT's `[ipaddr[-ipaddr]][:port[-port[/baseport]]]` (SNAT --to-source, DNAT --to-destination).
 * The value is a list holding an iprange when addresses are given, then a port range when ports
 * are (the base port of DNAT, when given, as a number). IPv6 addresses with ports are bracketed:
 * `[2001:db8::1]:80`.
 */
export function natRange(allowBaseport: boolean): ArgParser {
  return (text, family) => {
    let addrPart = text;
    let portPart: string | undefined;
    if (family === 'ipv6') {
      if (text.startsWith('[')) {
        const close = text.indexOf(']');
        if (close < 0) return bad(`Invalid address "${text}": missing "]"`);
        addrPart = text.slice(1, close);
        const rest = text.slice(close + 1);
        if (rest !== '') {
          if (!rest.startsWith(':')) return bad(`Invalid address "${text}"`);
          portPart = rest.slice(1);
        }
      } else if (text.startsWith(':') && !text.startsWith('::')) {
        addrPart = '';
        portPart = text.slice(1);
      }
    } else {
      const colon = text.indexOf(':');
      if (colon >= 0) {
        addrPart = text.slice(0, colon);
        portPart = text.slice(colon + 1);
      }
    }
    const items: ArgValue[] = [];
    let warning: string | undefined;
    if (addrPart !== '') {
      const dash = addrPart.indexOf('-');
      const lo = dash < 0 ? addrPart : addrPart.slice(0, dash);
      const hi = dash < 0 ? addrPart : addrPart.slice(dash + 1);
      const from = parseAddress(lo, family);
      const to = parseAddress(hi, family);
      if (from === undefined || to === undefined) return bad(`Bad IP address "${from === undefined ? lo : hi}"`);
      if (from > to) warning = `the address range "${addrPart}" is reversed`;
      items.push({ type: 'iprange', family, from, to });
    }
    if (portPart !== undefined) {
      let ports = portPart;
      let base: number | undefined;
      const slash = ports.indexOf('/');
      if (slash >= 0) {
        if (!allowBaseport) return bad(`Port "${portPart}" not valid: no base port here`);
        const b = parsePortNumber(ports.slice(slash + 1));
        if (b === undefined) return bad(`Port "${ports.slice(slash + 1)}" not valid`);
        base = b;
        ports = ports.slice(0, slash);
      }
      const r = natPortRange(ports, family);
      if (!r.ok) return r;
      items.push(r.value);
      if (base !== undefined) items.push(num(base));
    }
    if (items.length === 0) return bad(`Bad address and port "${text}"`);
    return ok(list(items), warning);
  };
}

/** NETMAP's `--to address[/mask]`. */
export const netmapTo: ArgParser = (text, family) => address(text, family);

/** A MAC address: six hex bytes separated by `:`, at most two digits each (strtoul reads `` as 0). */
export const mac: ArgParser = (text) => {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{0,2}$/.test(p))) return bad(`Invalid MAC address "${text}" specified`);
  return ok({ type: 'string', value: parts.map((p) => p.toLowerCase().padStart(2, '0')).join(':') });
};

// ---------------------------------------------------------------------------------------------
// Interfaces

/**
 * An interface name (-i, -o, physdev): at most 15 characters; a trailing `+` matches every name
 * that begins with the rest. The value's name is that prefix, without the `+`.
 */
export const iface: ArgParser = (text) => {
  if (text.length === 0) return bad('Empty interface is likely to be undesired');
  if (text.length > 15) return bad(`interface name "${text}" must be shorter than IFNAMSIZ (15)`);
  const wildcard = text.endsWith('+');
  const value: ArgValue = { type: 'iface', name: wildcard ? text.slice(0, -1) : text, wildcard };
  if (!wildcard && /[/ ]/.test(text)) return ok(value, `weird character in interface "${text}" ('/' and ' ' are not allowed by the kernel)`);
  return ok(value);
};

// ---------------------------------------------------------------------------------------------
// Closed sets of names

interface ChoiceOptions {
  /** Compare without case (most extensions use strcasecmp). */
  caseInsensitive?: boolean;
  /** Accept a prefix of a name, the first in table order winning (strncasecmp(name, arg, strlen(arg))). */
  prefix?: boolean;
  /** Message for an unknown name; `%s` is replaced by the text. */
  message?: string;
  /** Maps accepted spellings to the canonical name in the value. */
  canonical?: Record<string, string>;
  /** Empty list items are skipped, as strtok() skips them (`srcip,` is srcip). */
  skipEmpty?: boolean;
}

function lookupName(text: string, names: readonly string[], o: ChoiceOptions): string | undefined {
  if (text === '') return undefined;
  const eq = (a: string, b: string) => (o.caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b);
  const found = o.prefix
    ? names.find((n) => (o.caseInsensitive ? n.toLowerCase() : n).startsWith(o.caseInsensitive ? text.toLowerCase() : text))
    : names.find((n) => eq(n, text));
  return found === undefined ? undefined : (o.canonical?.[found] ?? found);
}

/** One name from a closed set. */
export function choice(names: readonly string[], o: ChoiceOptions = {}): ArgParser {
  return (text) => {
    const found = lookupName(text, names, o);
    return found === undefined ? bad((o.message ?? 'Bad value "%s"').replace('%s', text)) : ok(name(found));
  };
}

/** A comma-separated list of names from a closed set; empty items are refused. */
export function choiceList(names: readonly string[], o: ChoiceOptions = {}): ArgParser {
  return (text) => {
    const items: ArgValue[] = [];
    for (const part of text.split(',')) {
      if (part === '' && o.skipEmpty) continue;
      const found = lookupName(part, names, o);
      if (found === undefined) return bad((o.message ?? 'Bad value "%s"').replace('%s', part));
      items.push(name(found));
    }
    return ok(list(items));
  };
}

/** conntrack's states, in the order iptables tries them (a prefix picks the first that fits). */
export const CT_STATES = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED', 'SNAT', 'DNAT'] as const;
export const ctStateList = choiceList(CT_STATES, { caseInsensitive: true, prefix: true, message: 'Bad ctstate "%s"' });

/** The `state` match knows a subset of conntrack's states (no SNAT/DNAT). */
export const STATES = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED'] as const;
export const stateList = choiceList(STATES, { caseInsensitive: true, prefix: true, message: 'Bad state "%s"' });

export const CT_STATUSES = ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'] as const;
export const ctStatusList = choiceList(CT_STATUSES, { caseInsensitive: true, prefix: true, message: 'Bad ctstatus "%s"' });

export const ctDir = choice(['ORIGINAL', 'REPLY'], { caseInsensitive: true, message: 'Bad value "%s" for --ctdir (ORIGINAL or REPLY)' });

/** TCP flags as iptables-save prints them; ALL and NONE expand to all six and to none. */
export const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG'] as const;

/** A TCP flag list (`SYN,ACK`, `ALL`, `NONE`): the value lists the flags in kernel bit order. */
export const tcpFlagList: ArgParser = (text) => {
  const set = new Set<string>();
  for (const part of text.split(',')) {
    const up = part.toUpperCase();
    // strtok() skips empty items: `SYN,` is SYN and `` no flag at all.
    if (up === '') continue;
    if (up === 'ALL') TCP_FLAGS.forEach((f) => set.add(f));
    else if (up === 'NONE') continue;
    else if ((TCP_FLAGS as readonly string[]).includes(up)) set.add(up);
    else return bad(`Unknown TCP flag "${part}"`);
  }
  return ok(list(TCP_FLAGS.filter((f) => set.has(f)).map((f) => name(f))));
};

/** `--tcp-option`: an option kind 0-255. */
export const tcpOption: ArgParser = (text) => {
  const v = strictUint(text, 0, UINT8_MAX);
  return v === undefined ? bad(`Bad TCP option "${text}"`) : ok(num(v));
};

export const ADDR_TYPES = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'] as const;
/** addrtype's `--src-type`/`--dst-type`: a comma list of types (any of them matches). */
export const addrTypeList = choiceList(ADDR_TYPES, { caseInsensitive: true, prefix: true, message: 'bad address type "%s"' });

/** pkttype: `host` is iptables' other spelling of `unicast`. */
export const pktType = choice(['unicast', 'broadcast', 'multicast', 'otherhost', 'host'], {
  caseInsensitive: true,
  message: "Bad packet type '%s'",
  canonical: { host: 'unicast' },
});

// ---------------------------------------------------------------------------------------------
// ICMP

interface IcmpName {
  name: string;
  type: number;
  codeMin: number;
  codeMax: number;
}

const icmp = (name: string, type: number, codeMin = 0, codeMax = 0xff): IcmpName => ({ name, type, codeMin, codeMax });
const code = (name: string, type: number, c: number): IcmpName => icmp(name, type, c, c);

/** iptables' ICMP name table (libxt_icmp.h), in its order: prefixes resolve in this order. */
export const ICMP_TYPES: readonly IcmpName[] = [
  icmp('any', 0xff),
  icmp('echo-reply', 0),
  icmp('pong', 0),
  icmp('destination-unreachable', 3),
  code('network-unreachable', 3, 0),
  code('host-unreachable', 3, 1),
  code('protocol-unreachable', 3, 2),
  code('port-unreachable', 3, 3),
  code('fragmentation-needed', 3, 4),
  code('source-route-failed', 3, 5),
  code('network-unknown', 3, 6),
  code('host-unknown', 3, 7),
  code('network-prohibited', 3, 9),
  code('host-prohibited', 3, 10),
  code('TOS-network-unreachable', 3, 11),
  code('TOS-host-unreachable', 3, 12),
  code('communication-prohibited', 3, 13),
  code('host-precedence-violation', 3, 14),
  code('precedence-cutoff', 3, 15),
  icmp('source-quench', 4),
  icmp('redirect', 5),
  code('network-redirect', 5, 0),
  code('host-redirect', 5, 1),
  code('TOS-network-redirect', 5, 2),
  code('TOS-host-redirect', 5, 3),
  icmp('echo-request', 8),
  icmp('ping', 8),
  icmp('router-advertisement', 9),
  icmp('router-solicitation', 10),
  icmp('time-exceeded', 11),
  icmp('ttl-exceeded', 11),
  code('ttl-zero-during-transit', 11, 0),
  code('ttl-zero-during-reassembly', 11, 1),
  icmp('parameter-problem', 12),
  code('ip-header-bad', 12, 0),
  code('required-option-missing', 12, 1),
  icmp('timestamp-request', 13),
  icmp('timestamp-reply', 14),
  icmp('address-mask-request', 17),
  icmp('address-mask-reply', 18),
];

/** ip6tables' ICMPv6 name table, in its order. There is no `any`. */
export const ICMPV6_TYPES: readonly IcmpName[] = [
  icmp('destination-unreachable', 1),
  code('no-route', 1, 0),
  code('communication-prohibited', 1, 1),
  code('beyond-scope', 1, 2),
  code('address-unreachable', 1, 3),
  code('port-unreachable', 1, 4),
  code('failed-policy', 1, 5),
  code('reject-route', 1, 6),
  icmp('packet-too-big', 2),
  icmp('time-exceeded', 3),
  icmp('ttl-exceeded', 3),
  code('ttl-zero-during-transit', 3, 0),
  code('ttl-zero-during-reassembly', 3, 1),
  icmp('parameter-problem', 4),
  code('bad-header', 4, 0),
  code('unknown-header-type', 4, 1),
  code('unknown-option', 4, 2),
  icmp('echo-request', 128),
  icmp('ping', 128),
  icmp('echo-reply', 129),
  icmp('pong', 129),
  icmp('router-solicitation', 133),
  icmp('router-advertisement', 134),
  icmp('neighbour-solicitation', 135),
  icmp('neighbor-solicitation', 135),
  icmp('neighbour-advertisement', 136),
  icmp('neighbor-advertisement', 136),
  icmp('redirect', 137),
];

/**
 * `{type[/code]|typename}`: a name or a unique prefix of one (case-insensitive), or numbers. The
 * value is a list of two: the type (number) and the accepted codes (range; a bare type accepts
 * every code). IPv4 type 255 (`any`) matches every ICMP packet.
 */
function icmpTypeParser(table: readonly IcmpName[], label: string): ArgParser {
  return (text) => {
    let match: IcmpName | undefined;
    for (const entry of table) {
      if (entry.name.toLowerCase().startsWith(text.toLowerCase())) {
        if (match) return bad(`Ambiguous ${label} type "${text}": "${match.name}" or "${entry.name}"?`);
        match = entry;
      }
    }
    if (match) return ok(list([num(match.type), range(match.codeMin, match.codeMax)]));
    const t = scanUnsigned(text);
    if (!t || t.value > 255n) return bad(`Unknown ${label} type "${text}"`);
    if (t.end === text.length) return ok(list([num(Number(t.value)), range(0, 0xff)]));
    if (text[t.end] !== '/') return bad(`unknown character "${text[t.end]}" in ${label} type "${text}"`);
    const c = scanUnsigned(text, t.end + 1);
    if (!c || c.value > 255n) return bad(`Unknown ${label} code "${text}"`);
    if (c.end !== text.length) return bad(`unknown character "${text[c.end]}" in ${label} type "${text}"`);
    return ok(list([num(Number(t.value)), range(Number(c.value), Number(c.value))]));
  };
}

export const icmpType = icmpTypeParser(ICMP_TYPES, 'ICMP');
export const icmpv6Type = icmpTypeParser(ICMPV6_TYPES, 'ICMPv6');

// ---------------------------------------------------------------------------------------------
// Protocols

/** Debian's /etc/protocols (names and aliases, numbers 0-255). */
const PROTOCOLS =
  '0:ip IP;0:hopopt HOPOPT;1:icmp ICMP;2:igmp IGMP;3:ggp GGP;4:ipencap IP-ENCAP;5:st ST;6:tcp ' +
  'TCP;8:egp EGP;9:igp IGP;12:pup PUP;17:udp UDP;20:hmp HMP;22:xns-idp XNS-IDP;27:rdp RDP;29:iso-tp4 ' +
  'ISO-TP4;33:dccp DCCP;36:xtp XTP;37:ddp DDP;38:idpr-cmtp IDPR-CMTP;41:ipv6 IPv6;43:ipv6-route ' +
  'IPv6-Route;44:ipv6-frag IPv6-Frag;45:idrp IDRP;46:rsvp RSVP;47:gre GRE;50:esp IPSEC-ESP;51:ah ' +
  'IPSEC-AH;57:skip SKIP;58:ipv6-icmp IPv6-ICMP;59:ipv6-nonxt IPv6-NoNxt;60:ipv6-opts ' +
  'IPv6-Opts;73:rspf RSPF CPHB;81:vmtp VMTP;88:eigrp EIGRP;89:ospf OSPFIGP;93:ax.25 AX.25;94:ipip ' +
  'IPIP;97:etherip ETHERIP;98:encap ENCAP;103:pim PIM;108:ipcomp IPCOMP;112:vrrp VRRP;115:l2tp ' +
  'L2TP;124:isis ISIS;132:sctp SCTP;133:fc FC;135:mobility-header Mobility-Header;136:udplite ' +
  'UDPLite;137:mpls-in-ip MPLS-in-IP;138:manet;139:hip HIP;140:shim6 Shim6;141:wesp WESP;142:rohc ' +
  'ROHC;143:ethernet Ethernet';

/** iptables' own names (xtables_chain_protos), tried before /etc/protocols. */
const CHAIN_PROTOS: Record<string, number> = {
  tcp: 6, sctp: 132, udp: 17, udplite: 136, icmp: 1, 'ipv6-icmp': 58, icmpv6: 58, esp: 50, ah: 51,
  'mobility-header': 135, 'ipv6-mh': 135, mh: 135, all: 0,
};

const protocolNumbers: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>(Object.entries(CHAIN_PROTOS));
  for (const entry of PROTOCOLS.split(';')) {
    const [n, names] = entry.split(':');
    for (const p of names.split(' ')) if (p && !m.has(p)) m.set(p, Number(n));
  }
  return m;
})();

/** Canonical names iptables-save prints for protocol numbers. */
const PROTOCOL_NAMES: Record<number, string> = {
  0: 'all', 1: 'icmp', 6: 'tcp', 17: 'udp', 50: 'esp', 51: 'ah', 58: 'ipv6-icmp', 132: 'sctp', 135: 'mh', 136: 'udplite',
};

/** xtables_parse_protocol(): a number 0-255 or a name, case as written. Undefined if unknown. */
export function protocolNumber(text: string): number | undefined {
  const n = strictUint(text, 0, UINT8_MAX);
  return n !== undefined ? n : protocolNumbers.get(text);
}

/** The name iptables uses for a protocol number (`6` → `tcp`), if it has one. */
export function protocolName(n: number): string | undefined {
  return PROTOCOL_NAMES[n];
}

/**
 * `-p`: iptables lowercases the argument before looking it up, so `TCP` and `Tcp` are tcp. The
 * value is the protocol number; 0 (`all`) means any protocol.
 */
export const protocol: ArgParser = (text) => {
  const n = protocolNumber(text.toLowerCase());
  return n === undefined ? bad(`unknown protocol "${text}" specified`) : ok(num(n));
};

/** policy's `--proto`: a protocol name or number that must be ah, esp or ipcomp. */
export const policyProto: ArgParser = (text) => {
  const n = protocolNumber(text);
  if (n === undefined) return bad(`unknown protocol "${text}" specified`);
  const found = { 50: 'esp', 51: 'ah', 108: 'ipcomp' }[n];
  return found ? ok(name(found)) : bad(`policy match: protocol "${text}" not supported (ah, esp or ipcomp)`);
};

/** conntrack's `--ctproto`, ipvs' `--vproto`: as `-p` but case-sensitive (aliases like `TCP` still work). */
export const ctProto: ArgParser = (text) => {
  const n = protocolNumber(text);
  return n === undefined ? bad(`unknown protocol "${text}" specified`) : ok(num(n));
};

// ---------------------------------------------------------------------------------------------
// Rates

const RATE_UNITS: readonly [string, number][] = [['second', 1], ['minute', 60], ['hour', 3600], ['day', 86400]];
const RATE_SHORT: Record<number, string> = { 1: 'sec', 60: 'min', 3600: 'hour', 86400: 'day' };

/** The leading decimal digits of `text` as atoi/strtoull read them (0 if none). */
function leadingNumber(text: string): number {
  const m = /^\s*\+?(\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** The seconds of a `/unit` suffix: any prefix of second, minute, hour or day, any case. */
function rateUnit(text: string): number | undefined | 'bad' {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const unit = text.slice(slash + 1).toLowerCase();
  if (unit === '') return 'bad';
  const found = RATE_UNITS.find(([u]) => u.startsWith(unit));
  return found ? found[1] : 'bad';
}

/**
 * limit's `--limit N[/second|/minute|/hour|/day]` (any prefix of the unit: `/s`, `/min`, `/h`).
 * Like iptables the count is read as atoi reads it, so `5abc/min` is 5/min. The value is the
 * rate in iptables-save's form (`5/min`).
 */
export const limitRate: ArgParser = (text) => {
  const unit = rateUnit(text);
  const mult = unit === undefined ? 1 : unit;
  const r = leadingNumber(text);
  if (mult === 'bad' || r === 0) return bad(`bad rate "${text}"`);
  // XT_LIMIT_SCALE is 10000: a rate above 10000 per unit rounds to a zero cost.
  if (Math.floor((10000 * mult) / r) === 0) return bad(`Rate too fast "${text}"`);
  return ok(name(`${r}/${RATE_SHORT[mult]}`));
};

/**
 * hashlimit's rate: packets as for limit (scale 1000000), or bytes `Nb|Nkb|Nmb[/s]` (any case).
 * The value is the rate as iptables-save prints it.
 */
export const hashlimitRate: ArgParser = (text) => {
  const bytes = /^\s*\+?(\d+)(b|kb|mb|gb)(\/.*)?$/i.exec(text);
  if (bytes) {
    if (Number(bytes[1]) === 0) return bad(`Bad rate "${text}"`);
    return ok(name(`${bytes[1]}${bytes[2].toLowerCase()}/s`));
  }
  const unit = rateUnit(text);
  const mult = unit === undefined ? 1 : unit;
  const r = leadingNumber(text);
  if (mult === 'bad' || r === 0) return bad(`Bad rate "${text}"`);
  if (r > 1000000 * mult) return bad(`Rate too fast "${text}"`);
  return ok(name(`${r}/${RATE_SHORT[mult]}`));
};

/** hashlimit's `--hashlimit-burst`: a packet count 1-1000000, or a byte size for byte rates. */
export const hashlimitBurst: ArgParser = (text) => {
  const bytes = /^(\d+)(b|kb|mb|gb)$/i.exec(text);
  if (bytes) return ok(name(`${bytes[1]}${bytes[2].toLowerCase()}`));
  const v = strictUint(text, 1, 1000000);
  return v === undefined ? bad(`bad value "${text}", or out of range (1-1000000)`) : ok(num(v));
};

/** hashlimit's `--hashlimit-mode`: a comma list of srcip, srcport, dstip, dstport. */
export const hashlimitMode = choiceList(['srcip', 'srcport', 'dstip', 'dstport'], { skipEmpty: true, message: 'Bad value "%s" for --hashlimit-mode (srcip, srcport, dstip, dstport)' });

// ---------------------------------------------------------------------------------------------
// TOS, DSCP, TTL

/** IPv4 TOS names (RFC 1349) with their values. */
export const TOS_NAMES: Record<string, number> = {
  'minimize-delay': 0x10,
  'maximize-throughput': 0x08,
  'maximize-reliability': 0x04,
  'minimize-cost': 0x02,
  'normal-service': 0x00,
};

/**
 * tos value[/mask] or symbol. The value is a `mark`-shaped value/mask over the 8-bit field:
 * a number alone masks 0xff; a symbolic name implies `symbolMask`, 0x3f (the ECN bits left out)
 * for the match and, as iptables-save 1.8.9 shows, for the TOS target too, whatever the man page
 * says about 0xff.
 */
function tosParser(symbolMask: number): ArgParser {
  return (text) => {
    const first = scanUnsigned(text);
    if (first && first.value <= 0xffn) {
      if (first.end === text.length) return ok({ type: 'mark', value: Number(first.value), mask: 0xff });
      if (text[first.end] === '/') {
        const m = scanUnsigned(text, first.end + 1);
        if (!m || m.value > 0xffn || m.end !== text.length) return bad(`Illegal value: "${text}"`);
        return ok({ type: 'mark', value: Number(first.value), mask: Number(m.value) });
      }
      return bad(`Illegal value: "${text}"`);
    }
    const sym = TOS_NAMES[text.toLowerCase()];
    if (sym === undefined) return bad(`Symbolic name "${text}" is unknown`);
    return ok({ type: 'mark', value: sym, mask: symbolMask });
  };
}

export const tosMatch = tosParser(0x3f);
export const tosTarget = tosParser(0x3f);

/** DiffServ class names and their DSCP values. */
export const DSCP_CLASSES: Record<string, number> = {
  CS0: 0, CS1: 8, CS2: 16, CS3: 24, CS4: 32, CS5: 40, CS6: 48, CS7: 56, BE: 0,
  AF11: 10, AF12: 12, AF13: 14, AF21: 18, AF22: 20, AF23: 22, AF31: 26, AF32: 28, AF33: 30,
  AF41: 34, AF42: 36, AF43: 38, EF: 46,
};

export const dscpValue = uint(0, 63);

/** `--dscp-class`: a class name (any case); the value is its DSCP number. */
export const dscpClass: ArgParser = (text) => {
  const v = DSCP_CLASSES[text.toUpperCase()];
  return v === undefined ? bad(`Invalid DSCP value "${text}" (BE, EF, AF11-AF43 or CS0-CS7)`) : ok(num(v));
};

/** A TTL or hop limit, 0-255. */
export const ttlValue = uint(0, UINT8_MAX);

// ---------------------------------------------------------------------------------------------
// Owner

/**
 * `--uid-owner`/`--gid-owner`: `id` or `id-id`, up to 4294967294. iptables also accepts a user or
 * group name from the local passwd/group database; a dump always holds numbers, and this tool
 * has no database to resolve names against, so names are refused.
 */
export function ownerId(kind: 'user' | 'group'): ArgParser {
  return (text) => {
    const m = /^([^-]+)(?:-(.+))?$/.exec(text);
    const from = m ? strictUint(m[1], 0, UINT32_MAX - 1) : undefined;
    const to = m && m[2] !== undefined ? strictUint(m[2], 0, UINT32_MAX - 1) : from;
    if (from === undefined || to === undefined) {
      if (/^[A-Za-z_][A-Za-z0-9_.-]*\$?$/.test(text)) {
        return bad(`Bad value "${text}": ${kind} names are not resolved here (iptables looks them up in the local ${kind === 'user' ? 'passwd' : 'group'} database); write the numeric ${kind === 'user' ? 'uid' : 'gid'}`);
      }
      return bad(`Bad value "${text}": expected a ${kind === 'user' ? 'uid' : 'gid'} or a range id-id (0-4294967294)`);
    }
    return from > to ? ok(range(from, to), `range ${text} is reversed: the kernel refuses it`) : ok(range(from, to));
  };
}

export const uidRange = ownerId('user');
export const gidRange = ownerId('group');

// ---------------------------------------------------------------------------------------------
// Strings

interface StringOptions {
  /** Characters kept; iptables cuts longer text silently. */
  max?: number;
  min?: number;
  /** What the string is, for messages. */
  what?: string;
}

/**
 * Free text. Where the extension has a fixed buffer (comment: 255 characters, log prefix: 29)
 * iptables 1.8.9 cuts longer text without an error; the value is what the kernel keeps, and a
 * warning says what was cut.
 */
export function text(o: StringOptions = {}): ArgParser {
  return (value) => {
    const what = o.what ?? 'argument';
    if (o.min !== undefined && value.length < o.min) return bad(`the ${what} must have a minimum length of ${o.min} character${o.min === 1 ? '' : 's'}`);
    if (o.max !== undefined && value.length > o.max) {
      return ok({ type: 'string', value: value.slice(0, o.max) }, `the ${what} is ${value.length} characters long: iptables keeps only the first ${o.max}`);
    }
    return ok({ type: 'string', value });
  };
}

export const comment = text({ max: 255, what: 'comment' });
export const logPrefix = text({ max: 29, min: 1, what: 'log prefix' });
export const nflogPrefix = text({ max: 127, what: 'NFLOG prefix' });
export const setName = text({ max: 31, min: 1, what: 'set name' });
export const helperName = text({ max: 29, min: 1, what: 'helper name' });
export const anyString = text();

/** Kept as written: languages this tool does not evaluate (u32 programs, BPF bytecode). */
export const opaque: ArgParser = (value) => ok({ type: 'opaque', text: value });

/**
 * u32's little language, checked for shape only (the program stays opaque to evaluation):
 * tests joined by `&&`, each `location = value[:value][,...]`, a location being numbers joined
 * by `&`, `<<`, `>>` or `@`. Numbers are decimal or 0x-hex, as strtoul reads them.
 */
export const u32Program: ArgParser = (value) => {
  const num = '\\s*(?:0[xX][0-9a-fA-F]+|\\d+)\\s*';
  const location = `${num}(?:(?:&|<<|>>|@)${num})*`;
  const ranges = `${num}(?::${num})?(?:,${num}(?::${num})?)*`;
  const test = `${location}=${ranges}`;
  if (!new RegExp(`^${test}(?:&&${test})*$`).test(value)) {
    const at = value.search(/[^\s0-9a-fA-FxX&<>@=:,]/);
    return bad(`u32: at char ${at < 0 ? 0 : at}: not a valid u32 program ("location=value" tests joined by &&)`);
  }
  return ok({ type: 'opaque', text: value });
};

/** string's `--hex-string`: text with `|hex bytes|` blocks, an even number of hex digits in each. */
export const hexString: ArgParser = (value) => {
  const blocks = value.split('|');
  if (blocks.length % 2 === 0) return bad(`Invalid hex block in "${value}": unmatched "|"`);
  for (let k = 1; k < blocks.length; k += 2) {
    const hex = blocks[k].replace(/ /g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) return bad(`Invalid hex block "|${blocks[k]}|"`);
  }
  return ok({ type: 'opaque', text: value });
};

// ---------------------------------------------------------------------------------------------
// Targets

/** syslog levels for LOG's `--log-level`: 0-7 or a name (`error`, `panic` are old spellings). */
const LOG_LEVELS: Record<string, number> = { emerg: 0, panic: 0, alert: 1, crit: 2, error: 3, warning: 4, notice: 5, info: 6, debug: 7 };

export const logLevel: ArgParser = (value) => {
  const n = strictUint(value, 0, 7);
  if (n !== undefined) return ok(num(n));
  const l = LOG_LEVELS[value];
  return l === undefined ? bad(`log level "${value}" unknown`) : ok(num(l));
};

interface RejectType {
  name: string;
  alias: string;
}

/** REJECT's types per family, in iptables' order (a prefix picks the first that fits). */
const REJECT_TYPES: Record<Family, readonly RejectType[]> = {
  ipv4: [
    { name: 'icmp-net-unreachable', alias: 'net-unreach' },
    { name: 'icmp-host-unreachable', alias: 'host-unreach' },
    { name: 'icmp-proto-unreachable', alias: 'proto-unreach' },
    { name: 'icmp-port-unreachable', alias: 'port-unreach' },
    { name: 'icmp-net-prohibited', alias: 'net-prohib' },
    { name: 'icmp-host-prohibited', alias: 'host-prohib' },
    { name: 'tcp-reset', alias: 'tcp-rst' },
    { name: 'icmp-admin-prohibited', alias: 'admin-prohib' },
  ],
  ipv6: [
    { name: 'icmp6-no-route', alias: 'no-route' },
    { name: 'icmp6-adm-prohibited', alias: 'adm-prohibited' },
    { name: 'icmp6-addr-unreachable', alias: 'addr-unreach' },
    { name: 'icmp6-port-unreachable', alias: 'port-unreach' },
    // ip6tables lists tcp-reset as its own alias: `tcp-rst` is IPv4 only.
    { name: 'tcp-reset', alias: 'tcp-reset' },
    { name: 'icmp6-policy-fail', alias: 'policy-fail' },
    { name: 'icmp6-reject-route', alias: 'reject-route' },
  ],
};

/**
 * `--reject-with`: a type of the ruleset's family, its alias, or (as iptables compares only the
 * length of the argument, without case) a prefix of either. The value is the canonical name.
 */
export const rejectWith: ArgParser = (value, family) => {
  const v = value.toLowerCase();
  const found = REJECT_TYPES[family].find((t) => t.name.startsWith(v) || t.alias.startsWith(v));
  return found ? ok(name(found.name)) : bad(`unknown reject type "${value}"`);
};

export function rejectTypes(family: Family): readonly string[] {
  return REJECT_TYPES[family].map((t) => t.name);
}

/**
 * CLASSIFY's `major:minor`, both hexadecimal with or without `0x`, read by sscanf("%x:%x") (so
 * text after the minor is ignored); the value is the 32-bit priority (major << 16) + minor.
 */
export const classId: ArgParser = (value) => {
  const m = /^\s*(?:0[xX])?([0-9a-fA-F]+):\s*(?:0[xX])?([0-9a-fA-F]+)/.exec(value);
  if (!m) return bad(`Bad class value "${value}" (major:minor, hexadecimal)`);
  const major = Number(BigInt(`0x${m[1]}`) & 0xffffffffn);
  const minor = Number(BigInt(`0x${m[2]}`) & 0xffffffffn);
  return ok(num(((major << 16) + minor) >>> 0));
};

/** NFQUEUE's `--queue-balance a:b`: the first queue must be below the last. */
export const queueRange: ArgParser = (value) => {
  const m = /^([^:]+):([^:]+)$/.exec(value);
  const from = m ? strictUint(m[1], 0, UINT16_MAX) : undefined;
  const to = m ? strictUint(m[2], 0, UINT16_MAX) : undefined;
  if (from === undefined || to === undefined) return bad(`bad value "${value}", expected two queue numbers first:last (0-65535)`);
  if (from >= to) return bad(`${from} should be less than ${to}`);
  return ok(range(from, to));
};

/** CT's `--zone`: a zone number 0-65535, or `mark` (the zone comes from the packet mark). */
export const ctZone: ArgParser = (value) => {
  if (value.toLowerCase() === 'mark') return ok(name('mark'));
  const v = strictUint(value, 0, UINT16_MAX);
  return v === undefined ? bad(`Bad zone "${value}" (0-65535 or mark)`) : ok(num(v));
};

export const ctEvents = choiceList(['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'natseqinfo', 'secmark'], { message: 'Unknown event type "%s"' });
export const expEvents = choiceList(['new'], { message: 'Unknown event type "%s"' });

/** ipset flags: `src`/`dst` for each dimension of the set, at most six. */
export const setFlags: ArgParser = (value) => {
  const parts = value.split(',');
  if (parts.length > 6) return bad(`Too many dimensions in "${value}": at most six src/dst flags`);
  for (const p of parts) if (p !== 'src' && p !== 'dst') return bad(`You must specify (the comma separated list of) 'src' or 'dst', not "${p}"`);
  return ok(list(parts.map((p) => name(p))));
};

// ---------------------------------------------------------------------------------------------
// Time

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/**
 * time's `--weekdays`: a number 1-7 or a day whose first two letters match Mon..Sun (case
 * matters: `Mo`, `Mon`, `Monday`; not `mon`), comma separated.
 */
export const weekdays: ArgParser = (value) => {
  const items: ArgValue[] = [];
  for (const item of value.split(',')) {
    // iptables reads each item into a 4-byte buffer: `Monday` is `Mon`.
    const p = item.slice(0, 3);
    const n = strictUint(p, 0, UINT32_MAX);
    if (n !== undefined) {
      if (n === 0) return bad('No, the week does NOT begin with Sunday (weekdays are 1-7, Mon-Sun)');
      if (n > 7) return bad(`${p} is not a valid day specifier (1-7)`);
      items.push(name(WEEKDAYS[n - 1]));
      continue;
    }
    const day = WEEKDAYS.findIndex((d) => p.length >= 2 && d.startsWith(p.slice(0, 2)));
    if (day < 0) return bad(`${p} is not a valid day specifier`);
    items.push(name(WEEKDAYS[day]));
  }
  return ok(list(items));
};

/** time's `--monthdays`: days 1-31 (iptables lets 0 through; it never matches). */
export const monthdays: ArgParser = (value) => {
  const items: ArgValue[] = [];
  for (const p of value.split(',')) {
    const d = strictUint(p, 0, 31);
    if (d === undefined) return bad(`${p} is not a valid day for --monthdays (1-31)`);
    items.push(num(d));
  }
  return ok(list(items));
};

/** `hh:mm[:ss]` within the day; the value is seconds since midnight. */
export const timeOfDay: ArgParser = (value) => {
  const m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(value);
  const [h, mi, s] = m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [99, 0, 0];
  if (!m || h > 23 || mi > 59 || s > 59) return bad(`invalid time "${value}" specified, should be hh:mm[:ss] format and within the boundaries`);
  return ok(num(h * 3600 + mi * 60 + s));
};

/** `YYYY[-MM[-DD[Thh[:mm[:ss]]]]]` between 1970 and 2038; the value is the text as written. */
export const dateTime: ArgParser = (value) => {
  const m = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:T(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?)?)?)?$/.exec(value);
  const bad_ = () => bad(`Invalid date "${value}" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`);
  if (!m) return bad_();
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((k) => (m[k] === undefined ? undefined : Number(m[k])));
  if (y! < 1970 || y! > 2038 || (mo !== undefined && (mo < 1 || mo > 12)) || (d !== undefined && (d < 1 || d > 31))) return bad_();
  if ((h ?? 0) > 23 || (mi ?? 0) > 59 || (s ?? 0) > 59) return bad_();
  return ok({ type: 'string', value });
};
