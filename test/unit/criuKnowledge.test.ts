import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  errnoByName,
  errnoByNumber,
  errnoByText,
  errnoInCriuContext,
  errnos,
  findErrnoInMessage,
} from '../../server/src/knowledge/errno';
import { tcpStateByName, tcpStateByNumber, tcpStates } from '../../server/src/knowledge/tcpStates';
import {
  criuMessages,
  criuSourceUrl,
  lookupMessage,
  lookupMessageInContext,
  messageById,
  type MessageLevel,
} from '../../server/src/knowledge/criuMessages';

// ---- errno ----------------------------------------------------------------------------------

test('errno table: unique names, numbers and texts; 1–40 and the networking errnos with x86_64 numbers', () => {
  const unique = (values: unknown[]) => new Set(values).size === values.length;
  assert.ok(unique(errnos.map((e) => e.name)), 'names');
  assert.ok(unique(errnos.map((e) => e.number)), 'numbers');
  assert.ok(unique(errnos.map((e) => e.text)), 'texts');
  for (let n = 1; n <= 40; n++) assert.ok(errnoByNumber(n), `errno ${n}`);
  const expected: Record<string, number> = {
    EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETUNREACH: 101, ECONNREFUSED: 111, ECONNRESET: 104, ETIMEDOUT: 110,
    ENOTSOCK: 88, EOPNOTSUPP: 95, ENOTSUP: 95, EPROTONOSUPPORT: 93, ENOPROTOOPT: 92, EAFNOSUPPORT: 97,
    EHOSTUNREACH: 113, EINPROGRESS: 115, EALREADY: 114, EMSGSIZE: 90, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107,
    ESHUTDOWN: 108, EOVERFLOW: 75, ENODATA: 61, ELOOP: 40, ENAMETOOLONG: 36, ENOSYS: 38, ENOTEMPTY: 39,
    EDQUOT: 122, ESTALE: 116, EAGAIN: 11, EWOULDBLOCK: 11, EDEADLK: 35, EDEADLOCK: 35, EPERM: 1, ESRCH: 3,
  };
  for (const [name, number] of Object.entries(expected)) assert.equal(errnoByName(name)?.number, number, name);
  for (const e of errnos) assert.ok(e.meaning.length > 10 && e.text.length > 0, e.name);
});

test('errno lookups by glibc text and by name', () => {
  assert.equal(errnoByText('Operation not permitted')?.name, 'EPERM');
  assert.equal(errnoByText(' Cannot assign requested address ')?.name, 'EADDRNOTAVAIL');
  assert.equal(errnoByText('Operation not supported')?.name, 'EOPNOTSUPP');
  assert.equal(errnoByText('operation not permitted'), undefined, 'texts are exact');
  assert.equal(errnoByName('eperm')?.text, 'Operation not permitted');
  assert.equal(errnoByName('ENOTSUP')?.name, 'EOPNOTSUPP');
  assert.equal(errnoByName('EFOO'), undefined);
});

test('findErrnoInMessage: pr_perror suffix, libnet and compel parentheses, exact spans', () => {
  const span = (message: string) => {
    const found = findErrnoInMessage(message);
    return found && { name: found.info.name, text: message.slice(found.start, found.end), start: found.start, end: found.end };
  };
  const bind = "inet: Can't bind inet socket (id 6): Address already in use";
  assert.deepEqual(span(bind), { name: 'EADDRINUSE', text: 'Address already in use', start: 37, end: bind.length });

  const libnet = 'Unable to send a fin packet: libnet_write_raw_ipv4(): -1 bytes written (Operation not permitted)';
  const start = libnet.indexOf('Operation');
  assert.deepEqual(span(libnet), { name: 'EPERM', text: 'Operation not permitted', start, end: libnet.length - 1 });
  assert.equal(span(`${libnet}\n`)?.end, libnet.length - 1, 'libnet ends its message with a newline of its own');

  assert.equal(span('Unable to interrupt task: 31999 (No such process)')?.name, 'ESRCH');
  assert.equal(span('Unable to detach from 31999: No such process')?.name, 'ESRCH');
  assert.equal(span("rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted")?.name, 'EPERM');
  assert.equal(span("Can't bind inet socket back (0.0.0.0): Cannot assign requested address")?.name, 'EADDRNOTAVAIL');
  assert.equal(span('Error: Could not process rule: No such file or directory')?.name, 'ENOENT');
  assert.equal(span('open failed: Too many open files in system')?.name, 'ENFILE', 'the longest text wins');
  assert.equal(span('Unable to set it (Operation not permitted), retrying: No such process')?.name, 'ESRCH', 'the last one wins');
  assert.equal(span('Error: Operation not permitted by policy'), undefined, 'prose that merely contains the words');
  assert.equal(span('Restoring FAILED.'), undefined);
  assert.equal(span('3127 killed by signal 9: Killed'), undefined);
});

test('errnoInCriuContext covers the errnos CRIU users hit most', () => {
  const wanted = ['EPERM', 'EACCES', 'EADDRINUSE', 'EADDRNOTAVAIL', 'ENETUNREACH', 'EEXIST', 'ESRCH', 'ENOENT', 'EINVAL', 'EBUSY', 'ENOSPC', 'ENOMEM', 'EAGAIN', 'ENOTSOCK', 'EBADF', 'ENOSYS', 'EOPNOTSUPP'];
  for (const name of wanted) assert.ok((errnoInCriuContext[name] ?? '').length > 40, name);
  for (const name of Object.keys(errnoInCriuContext)) assert.ok(errnoByName(name), `${name} is in the errno table`);
  assert.match(errnoInCriuContext.EPERM, /0xC114/);
  assert.match(errnoInCriuContext.EEXIST, /pgid|process group/);
});

// ---- TCP states -----------------------------------------------------------------------------

test('TCP states: tcp_states.h numbering and every spelling', () => {
  assert.deepEqual(tcpStates.map((s) => s.number), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  for (const spelling of ['TCP_CLOSE_WAIT', 'CLOSE_WAIT', 'CLOSE-WAIT', 'close-wait', ' tcp_close_wait ']) {
    assert.equal(tcpStateByName(spelling)?.name, 'TCP_CLOSE_WAIT', spelling);
  }
  assert.equal(tcpStateByName('ESTAB')?.name, 'TCP_ESTABLISHED');
  assert.equal(tcpStateByName('UNCONN')?.name, 'TCP_CLOSE');
  assert.equal(tcpStateByName('FIN-WAIT-2')?.name, 'TCP_FIN_WAIT2');
  assert.equal(tcpStateByName('FIN_WAIT1')?.number, 4);
  assert.equal(tcpStateByName('BOGUS'), undefined);
  assert.equal(tcpStateByNumber(8)?.name, 'TCP_CLOSE_WAIT');
  assert.equal(tcpStateByNumber(1)?.name, 'TCP_ESTABLISHED');
  assert.equal(tcpStateByNumber(10)?.name, 'TCP_LISTEN');
  assert.equal(tcpStateByNumber(0), undefined);
  for (const s of tcpStates) assert.equal(tcpStateByName(s.ssName === 'SYN-RECV' ? s.name : s.ssName)?.name, s.name, s.ssName);
});

test('TCP states: what libsoccr forges on restore (soccr.c send_fin)', () => {
  const packet = (name: string) => tcpStateByName(name)?.restorePacket;
  for (const s of ['CLOSE_WAIT', 'LAST_ACK', 'CLOSING']) assert.equal(packet(s), 'FIN|ACK', s);
  assert.equal(packet('FIN_WAIT2'), 'ACK');
  for (const s of ['ESTABLISHED', 'SYN_SENT', 'FIN_WAIT1', 'LISTEN', 'TIME_WAIT', 'SYN_RECV']) assert.equal(packet(s), null, s);
  // CLOSE is in RCVQ_FIRST_FIN and SNDQ_FIN_ACKED: FIN|ACK first, then the ACK of our FIN.
  assert.equal(packet('CLOSE'), 'FIN|ACK');
  assert.deepEqual(tcpStateByName('CLOSE')?.restorePackets, ['FIN|ACK', 'ACK']);
  for (const s of tcpStates) {
    assert.equal(s.restorePacket, s.restorePackets[0] ?? null, s.name);
    assert.ok(s.meaning && s.restoreNote, s.name);
  }
  assert.match(tcpStateByName('LISTEN')!.restoreNote, /not repaired/i);
});

// ---- CRIU messages --------------------------------------------------------------------------

test('message table: unique kebab-case ids, summaries, explanations for causes, stateless patterns', () => {
  const ids = criuMessages.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const m of criuMessages) {
    assert.match(m.id, /^[a-z0-9]+(?:-[a-z0-9]+)*$/, m.id);
    assert.ok(m.summary.trim().length > 0, `${m.id}: summary`);
    assert.ok(!m.pattern.global && !m.pattern.sticky, `${m.id}: a g/y pattern would make test() stateful`);
    if (m.role === 'cause') {
      assert.ok(m.explanation, `${m.id}: causes are explained`);
      assert.ok(m.explanation.what.trim() && m.explanation.why.trim(), m.id);
      assert.ok(m.explanation.check.length > 0 && m.explanation.check.every((c) => c.trim()), m.id);
    }
  }
  // The entries that existed before keep their ids and roles.
  const original: Record<string, string> = {
    'rlimit-nofile': 'noise', 'interrupted-syscall': 'noise', 'soccr-fin-eperm': 'cause', 'soccr-fin-failed': 'cause',
    'open-fd-failed': 'consequence', 'restore-failed': 'consequence', 'dump-failed': 'consequence',
    'task-killed': 'consequence', 'task-exited': 'consequence',
  };
  for (const [id, role] of Object.entries(original)) assert.equal(messageById(id)?.role, role, id);
});

test('the EPERM explanation names the mark, KUBE-FIREWALL, conntrack and the commands to run', () => {
  const e = messageById('soccr-fin-eperm')!.explanation!;
  const text = [e.what, e.why, ...e.check].join('\n');
  for (const needle of ['0xC114', '0x8000/0x8000', 'KUBE-FIREWALL', 'iptables-save', 'iptables-legacy-save', 'nft list ruleset',
    'sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max', 'dmesg | grep conntrack']) {
    assert.ok(text.includes(needle), needle);
  }
});

test('lookups for messages the real runs do not contain (texts from the CRIU source)', () => {
  const cases: Array<[string, string, MessageLevel?]> = [
    ['Unable to send a fin packet: libnet_write_raw_ipv6(): -1 bytes written (Operation not permitted)', 'soccr-fin-eperm'],
    ['Unable to send a fin packet: libnet_write_raw_ipv4(): -1 bytes written (No buffer space available)', 'soccr-fin-failed'],
    ['Locking network failed: iptables-restore returned 1. This may be connected to disabled CONFIG_NETFILTER_XT_MARK kernel build config option.', 'network-lock-xt-mark'],
    ['Locking network failed using nftables', 'network-lock-nftables-failed'],
    ['CRIU was built without libnftables support', 'nftables-not-built', 'error'],
    ['CRIU was built without libnftables support', 'nftables-not-built'],
    ['CRIU was built without libnftables support', 'nftables-not-built-warning', 'warn'],
    ['Unable to restore nftables. CRIU was built without libnftables support', 'nftables-not-built'],
    ['vdso: Unexpected rt vDSO area bounds', 'vdso-rt-bounds'],
    ["Can't turn TCP repair mode ON: Operation not permitted", 'tcp-repair-on-failed'],
    ["inet: Can't connect inet socket back: Cannot assign requested address", 'soccr-connect-back-failed'],
    ["inet: Can't bind inet socket (id 12): Cannot assign requested address", 'inet-bind-failed'],
    ["Can't bind inet socket: Cannot assign requested address", 'inet-bind-failed'],
    ["Can't fork for 5: Resource temporarily unavailable", 'fork-failed'],
    ['File usr/bin/app has bad mode 0100755 (expect 0100775)', 'file-bad-mode'],
    ['killed by signal 9', 'tool-exited'],
    ['ip6tables: Bad rule (does a matching rule exist in that chain?).', 'iptables-bad-rule'],
  ];
  for (const [text, id, level] of cases) assert.equal(lookupMessage(text, level)?.id, id, text);
  assert.equal(lookupMessage('Some message nobody knows'), undefined);
});

test('context refines the empty-image EOF; unlock failures are harmless after the unlock marker', () => {
  const eof = 'Unexpected EOF on (empty-image)';
  assert.equal(lookupMessageInContext(eof, { previous: 'No tcp-stream-608276c.img image' })?.id, 'tcp-stream-image-missing');
  assert.equal(lookupMessageInContext(eof, { previous: 'No inventory.img image', next: 'Failed to read parent pre-dump inventory entry' })?.id, 'parent-inventory-missing');
  assert.equal(lookupMessageInContext(eof, { previous: 'No inventory.img image' })?.id, 'empty-image-eof');
  assert.equal(lookupMessageInContext('Restoring FAILED.', { previous: 'No tcp-stream-1.img image' })?.id, 'restore-failed');
  const unlock = messageById('iptables-config-failed')!.harmlessAfter!;
  assert.ok(unlock.test('net: Unlock network') && unlock.test('Unlock network'));
  assert.ok(!unlock.test('net: Lock network'));
});

test('criuSourceUrl links a tag, a described commit, or criu-dev', () => {
  assert.equal(criuSourceUrl('criu/sk-tcp.c', 123, '4.2'), 'https://github.com/checkpoint-restore/criu/blob/v4.2/criu/sk-tcp.c#L123');
  assert.equal(criuSourceUrl('soccr/soccr.c', 682, 'v4.2'), 'https://github.com/checkpoint-restore/criu/blob/v4.2/soccr/soccr.c#L682');
  assert.equal(criuSourceUrl('criu/sk-tcp.c', 1), 'https://github.com/checkpoint-restore/criu/blob/criu-dev/criu/sk-tcp.c#L1');
  assert.equal(criuSourceUrl('criu/mem.c', 46, 'v4.2-22-g2cf8f13ca'), 'https://github.com/checkpoint-restore/criu/blob/2cf8f13ca/criu/mem.c#L46');
});

// ---- corpus ---------------------------------------------------------------------------------

// From out/test/unit the shared corpus is four levels up (beside the clone, never inside it).
const corpusCandidates = [join(__dirname, '..', '..', '..', '..', 'shared', 'corpus'), process.env.CRIU_LENS_CORPUS ?? ''];
const corpus = corpusCandidates.find((p) => p && existsSync(join(p, 'criu-real')));

interface Message {
  line: number;
  text: string;
  level?: MessageLevel;
}

/** CRIU's `Error (file:line): ` / `Warn  (file:line): ` lines, plus the child tools' raw stderr lines. */
function messagesOf(path: string): Message[] {
  const out: Message[] = [];
  readFileSync(path, 'utf8').split(/\r?\n/).forEach((raw, i) => {
    const m = /\b(Error|Warn) +\([^()]*:\d+\): (.*)$/.exec(raw);
    if (m) out.push({ line: i + 1, text: m[2].trimEnd(), level: m[1] === 'Error' ? 'error' : 'warn' });
    else if (/^(?:ip6?tables: |Error: )/.test(raw)) out.push({ line: i + 1, text: raw.trimEnd() });
  });
  return out;
}

function logsUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) found.push(...logsUnder(p));
    else if (entry.endsWith('.log')) found.push(p);
  }
  return found.sort();
}

/** File (relative to the corpus) → [a fragment of the message, the entry it must match]. */
const expected: Record<string, Array<[string, string]>> = {
  'criu-real/missing-tcp-established/dump.log': [
    ['inet: Connected TCP socket, consider using --tcp-established option.', 'tcp-established-needed-dump'],
    ['Dump files (pid: ', 'dump-files-failed'],
    ['Dumping FAILED.', 'dump-failed'],
  ],
  'criu-real/restore-missing-tcp-established/restore.log': [
    ['inet: Connected TCP socket in image', 'tcp-established-needed-restore'],
    ['Unable to open fd=3 id=0x6', 'open-fd-failed'],
  ],
  'criu-real/restore-addr-in-use/restore.log': [
    ["inet: Can't bind inet socket (id 6): Address already in use", 'inet-bind-addr-in-use'],
    ['Restoring FAILED.', 'restore-failed'],
  ],
  'criu-real/restore-pid-in-use/restore.log': [["Can't fork for ", 'fork-pid-exists']],
  'criu-real/restore-twice/restore.log': [["Can't fork for ", 'fork-pid-exists']],
  'criu-real/restore-pid-held-by-zombie-pgid/restore.log': [["Can't fork for 13420: File exists", 'fork-pid-exists']],
  'criu-real/restore-tcp-other-netns/restore.log': [
    ['Unable to connect a socket: Network is unreachable', 'kerndat-loopback-connect-failed'],
    ['kerndat_tcp_repair failed when initializing kerndat.', 'kerndat-tcp-repair-failed'],
    ['Could not initialize kernel features detection.', 'kerndat-init-failed'],
  ],
  'criu-real/restore-tcp-lock-rules-flushed/restore.log': [
    ['iptables: Bad rule (does a matching rule exist in that chain?).', 'iptables-bad-rule'],
    ['exited, status=1', 'tool-exited'],
    ['Iptables configuration failed', 'iptables-config-failed'],
  ],
  'criu-real/restore-tcp-nft-lock-table-deleted/restore.log': [
    ['Error: Could not process rule: No such file or directory', 'nft-no-such-file'],
  ],
  'criu-real/pre-dump-iterative/pre-dump-1.log': [['BUG at criu/mem.c:46', 'bug-at']],
  'criu-real/pre-dump-iterative/dump.log': [
    ['Failed to read parent pre-dump inventory entry', 'parent-inventory-missing'],
    ['page-xfer: No parent image found, though parent directory is set', 'page-xfer-no-parent'],
  ],
  'criu-real/pre-dump-track-mem-unavailable/pre-dump-1.log': [
    ['Tracking memory is not available. Consider omitting --track-mem option.', 'track-mem-unavailable'],
  ],
  'criu-real/pre-dump-track-mem-unavailable/restore.log': [['Unexpected EOF on (empty-image)', 'empty-image-eof']],
  'criu-real/restore-empty-images-dir/restore.log': [['Unexpected EOF on (empty-image)', 'empty-image-eof']],
  'criu-real/dump-no-such-pid/dump.log': [
    ['Failed to open /proc/', 'proc-comm-missing'],
    ['Unable to interrupt task: 31999 (No such process)', 'seize-interrupt-failed'],
    ['Unable to detach from 31999: No such process', 'detach-failed'],
  ],
  'criu-real/dump-traced-process/dump.log': [
    ['Unable to interrupt task: 13045 (Operation not permitted)', 'seize-interrupt-failed'],
    ['Unable to detach from 13045', 'detach-failed'],
  ],
  'criu-real/dump-session-leader-outside/dump.log': [
    ['is not a session leader. Consider using --shell-job option', 'not-session-leader'],
  ],
  'criu-real/dump-tree-spanning-netns/dump.log': [
    ['Unable to get name for a socket: Socket operation on non-socket', 'compel-tsock-failed'],
    ["Can't infect (pid: 13525) with parasite", 'parasite-infect-failed'],
  ],
  'criu-real/unix-external-peer/dump.log': [['unix: External socket is used. Consider using --ext-unix-sk option.', 'ext-unix-sk-needed']],
  'criu-real/unix-external-peer/dump-ext-unix-sk.log': [["unix: Can't dump half of stream unix connection. name: (null); peer name: ", 'unix-half-stream']],
  'criu-real/unix-dgram-external-peer/dump.log': [['unix: External socket is used.', 'ext-unix-sk-needed']],
  'criu-real/restore-deleted-file/restore.log': [
    ["Can't open file tmp/criu-real/restore-deleted-file/sleep.out on restore: No such file or directory", 'open-file-on-restore-failed'],
    ["Can't open file tmp/criu-real/restore-deleted-file/sleep.out: No such file or directory", 'open-file-failed'],
  ],
  'criu-real/restore-file-size-changed/restore.log': [['has bad size 20 (expect 0)', 'file-bad-size']],
  'criu-real/criu-check/check-all.log': [['Dirty tracking is OFF. Memory snapshot will not work.', 'dirty-tracking-off']],
  'criu-real/tcp-established-nft-ok/restore.log': [['--network-lock will be ignored in restore command', 'network-lock-ignored-on-restore']],
  'criu-real/simple-process/dump.log': [
    ["rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted", 'rlimit-nofile'],
    ['with interrupted system call', 'interrupted-syscall'],
  ],
  'criu-logs/criu-issue-1523-restore-no-tcp-stream-image.log': [['Unexpected EOF on (empty-image)', 'empty-image-eof']],
  'criu-logs/criu-issue-1773-restore-soccr-cannot-assign-address.log': [["Can't connect inet socket back: Cannot assign requested address", 'soccr-connect-back-failed']],
  'criu-logs/criu-issue-2080-dump-compel-within-dumped-tree.log': [['The criu itself is within dumped tree.', 'criu-in-dumped-tree']],
  'criu-logs/criu-issue-2286-restore-tcp-close-bind-SHORT.log': [["Can't bind inet socket back (0.0.0.0): Cannot assign requested address", 'soccr-bind-back-failed']],
  'criu-logs/criu-issue-2721-restore-soccr-repair-options-eperm.log': [["Can't repair options: Operation not permitted", 'soccr-repair-options-failed']],
  'criu-logs/criu-issue-735-restore-soccr-bind-ipv6-SHORT.log': [["Can't bind inet socket back: Invalid argument", 'soccr-bind-back-failed']],
  'criu-logs/criu-issue-796-restore-bind-address-in-use-SHORT.log': [["inet: Can't bind inet socket (id 39): Address already in use", 'inet-bind-addr-in-use']],
  'criu-logs/criu-issue-255-restore-docker-pie-old-format.log': [['3127 killed by signal 9', 'task-killed']],
  'criu-logs/criu-issue-390-restore-docker-inherit-fd-SHORT.log': [['5 exited, status=1', 'task-exited']],
};

/** Cases of the README's "Key error lines" that print no error at all. */
const casesWithoutErrors = new Set(['restore-tcp-port-in-use']);

test('corpus: every key error line of the real CRIU runs (and the issue excerpts) is matched by the intended entry', (t) => {
  if (!corpus) return t.skip(`corpus not found at ${corpusCandidates[0]}`);
  for (const [file, pairs] of Object.entries(expected)) {
    const path = join(corpus, file);
    assert.ok(existsSync(path), `${file} exists`);
    const messages = messagesOf(path);
    for (const [fragment, id] of pairs) {
      const hits = messages.filter((m) => m.text.includes(fragment));
      assert.ok(hits.length > 0, `${file}: no Error/Warn line contains ${JSON.stringify(fragment)}`);
      for (const m of hits) assert.equal(lookupMessage(m.text, m.level)?.id, id, `${file}:${m.line}: ${m.text}`);
    }
  }

  // The table covers every case the README lists under "Key error lines".
  const readme = readFileSync(join(corpus, 'criu-real', 'README.txt'), 'utf8');
  const section = readme.slice(readme.indexOf('Key error lines'), readme.indexOf('Not achievable'));
  const cases = [...section.matchAll(/^ {2}([a-z0-9-]+(?:, [a-z0-9-]+)*)/gm)].flatMap((m) => m[1].split(', '));
  assert.ok(cases.length >= 20, `found ${cases.length} cases in the README`);
  for (const c of cases) {
    if (casesWithoutErrors.has(c)) continue;
    assert.ok(Object.keys(expected).some((f) => f.startsWith(`criu-real/${c}/`)), `README case ${c} is in the table`);
  }
});

test('corpus: every Error/Warn line of the real runs is known; errno spans sit inside the message', (t) => {
  if (!corpus) return t.skip(`corpus not found at ${corpusCandidates[0]}`);
  const unknown: string[] = [];
  let lines = 0;
  for (const path of [...logsUnder(join(corpus, 'criu-real')), ...logsUnder(join(corpus, 'criu-logs'))]) {
    const real = path.includes(`${join(corpus, 'criu-real')}`);
    for (const m of messagesOf(path)) {
      lines++;
      const known = lookupMessage(m.text, m.level);
      if (!known && real) unknown.push(`${path}:${m.line}: ${m.text}`);
      const errno = findErrnoInMessage(m.text);
      if (errno) {
        assert.equal(m.text.slice(errno.start, errno.end), errno.info.text);
        assert.ok(errno.end <= m.text.length);
      }
      if (/: (?:No such file or directory|Operation not permitted|No such process|File exists)$/.test(m.text)) {
        assert.ok(errno, `${path}:${m.line}: errno text not found in ${m.text}`);
      }
    }
  }
  assert.ok(lines > 100, `walked ${lines} lines`);
  assert.deepEqual(unknown, []);
});

test('corpus: context turns the tcp-stream EOF and the parent-inventory EOF into their own entries', (t) => {
  if (!corpus) return t.skip(`corpus not found at ${corpusCandidates[0]}`);
  const around = (file: string, needle: string) => {
    const lines = readFileSync(join(corpus, file), 'utf8').split(/\r?\n/);
    const i = lines.findIndex((l) => l.includes(needle));
    // Timestamp, then the pid column, then the level prefix.
    const text = (l: string | undefined) =>
      l?.replace(/^\(\s*[\d.]+\)\s*/, '').replace(/^\d+: /, '').replace(/^(?:Error|Warn) +\([^()]*\): /, '').trimEnd();
    return { text: text(lines[i])!, previous: text(lines[i - 1]), next: text(lines[i + 1]) };
  };
  const tcp = around('criu-logs/criu-issue-1523-restore-no-tcp-stream-image.log', 'Unexpected EOF');
  assert.equal(tcp.previous, 'No tcp-stream-608276c.img image');
  assert.equal(lookupMessageInContext(tcp.text, { level: 'error', previous: tcp.previous })?.id, 'tcp-stream-image-missing');
  const parent = around('criu-real/pre-dump-iterative/dump.log', 'Unexpected EOF');
  assert.equal(lookupMessageInContext(parent.text, { level: 'error', previous: parent.previous, next: parent.next })?.id, 'parent-inventory-missing');
  const empty = around('criu-real/restore-empty-images-dir/restore.log', 'Unexpected EOF');
  assert.equal(lookupMessageInContext(empty.text, { level: 'error', previous: empty.previous, next: empty.next })?.id, 'empty-image-eof');
});
