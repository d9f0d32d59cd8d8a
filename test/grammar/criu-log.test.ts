// Token tests for syntaxes/criu-log.tmLanguage.json. Lines are modelled on CRIU 3.x/4.x -v4 logs
// (written for these tests, not copied from the corpus); the last test runs over the shared corpus.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  corpusRoot,
  expectLine,
  forEachTokenizedLine,
  hasScope,
  repoRoot,
  splitLines,
  tokenize,
  type Expectation,
} from './tokenize';

const CRIU = 'source.criu-log';
const line = (text: string, expected: readonly Expectation[], forbidden: readonly Expectation[] = []) =>
  expectLine(CRIU, text, expected, forbidden);

// The scope contract (themes and other tests rely on these names).
const TIMESTAMP = 'constant.numeric.timestamp.criu-log';
const PID = 'entity.name.tag.pid.criu-log';
const PIE = 'storage.type.pie.criu-log';
const TID = 'entity.name.tag.tid.criu-log';
const ERROR = 'invalid.illegal.error.criu-log';
const WARN = 'invalid.deprecated.warning.criu-log';
const PATH = 'string.unquoted.path.criu-log';
const LINE_NO = 'constant.numeric.line-number.criu-log';
const SUBSYSTEM = 'entity.name.namespace.subsystem.criu-log';
const LIBSOCCR = 'entity.name.namespace.subsystem.libsoccr.criu-log';
const ERRNO = 'constant.language.errno.criu-log';
const TCP_STATE = 'constant.language.tcp-state.criu-log';
const HEX = 'constant.numeric.hex.criu-log';
const MARK = 'constant.numeric.hex.mark.criu-log';
const IPV4 = 'constant.numeric.address.ipv4.criu-log';
const IPV6 = 'constant.numeric.address.ipv6.criu-log';
const PORT = 'constant.numeric.port.criu-log';
const SUCCESS = 'markup.inserted.outcome.success.criu-log';
const FAILURE = 'markup.deleted.outcome.failure.criu-log';
const TOOL_ERROR = 'keyword.other.error.tool.criu-log';

describe('criu-log grammar: line prefixes', () => {
  test('timestamp (SS.uuuuuu) and the form after 100 s where ")" eats the last digit', async () => {
    await line('(00.000031) Version: 4.2 (gitid v4.2-22-g0000000)', [
      ['00.000031', TIMESTAMP],
      ['(', 'punctuation.definition.timestamp.begin.criu-log'],
      [')', 'punctuation.definition.timestamp.end.criu-log'],
      ['(00.000031)', 'meta.timestamp.criu-log'],
    ]);
    await line('(123.45678) Unfreezing tasks into 1', [['123.45678', TIMESTAMP]]);
    await line('(1048.1234) Restore finished successfully. Tasks resumed.', [['1048.1234', TIMESTAMP]]);
    // A timestamp-only line (a message that was just a newline) still tokenizes.
    await line('(00.028638) ', [['00.028638', TIMESTAMP]]);
    // The first line of an excerpt that lost its "(".
    await line('00.471212) Unlocked 127.0.0.1:50150 - 127.0.0.1:12000 connection', [['00.471212', TIMESTAMP]]);
  });

  test('a parenthesised number that is not at the start of the line is not a timestamp', async () => {
    await line('(00.120001) Dumping path (01.000001) for fd', [['00.120001', TIMESTAMP]], [['01.000001', TIMESTAMP]]);
    await line('(abc) not a timestamp', [], [['abc', TIMESTAMP]]);
  });

  test('right-aligned pid "  46208: " after the timestamp and on lines without one', async () => {
    await line('(00.001530)  46208: Restoring children in our session:', [
      ['46208', PID],
      [':', 'punctuation.separator.pid.criu-log'],
    ]);
    await line('(00.403586)      1: Restoring resources', [['1', PID]]);
    await line(' 20711: Debug:  Setting 1 queue seq to 3907549111', [['20711', PID]]);
    // "pid fdinfo N:" (no colon right after the number) is a message, not the pid column.
    await line('(00.317078) 30619 fdinfo 14: pos:                0 flags:             4002/0', [], [['30619', PID]]);
  });

  test('pie: <tid>: tag, also repeated (pie: 13125: pie: ) and without timestamp', async () => {
    await line('pie: 12570: Daemon waits for command', [
      ['pie', PIE],
      ['12570', TID],
    ], [['12570', PID]]);
    const doc = await line('(00.024533) pie: 13127: pie: Turning repair off for 3 (reuse 0)', [
      ['pie', PIE, 1],
      ['13127', TID],
      ['pie', PIE, 2],
    ]);
    assert.ok(!doc.has(0, 'Turning', PIE));
    await line('pie: 1788: 1788: new_sp=0x7f2c27a39000 ip 0x7f2c27a3a000', [
      ['pie', PIE],
      ['0x7f2c27a39000', HEX],
    ]);
  });

  test('Error (path:LINE): with path and line number scoped separately', async () => {
    const doc = await line(
      '(00.001603)   7340: Error (soccr/soccr.c:529): Can\'t connect inet socket back: Cannot assign requested address',
      [
        ['7340', PID],
        ['Error', ERROR],
        ['soccr/soccr.c', PATH],
        ['529', LINE_NO],
        ['(', 'punctuation.definition.location.begin.criu-log', 2],
        ["Can't connect", 'meta.message.error.criu-log'],
      ],
    );
    // The path and the line number are distinct tokens with distinct scopes.
    assert.ok(!doc.has(0, 'soccr/soccr.c', LINE_NO));
    assert.ok(!doc.has(0, '529', PATH));
    // Without timestamp (old or stderr logs), and with a path without directory (CRIU 2.x).
    await line('Error (criu/sk-inet.c:992): inet: Can\'t bind inet socket (id 41): Address already in use', [
      ['Error', ERROR],
      ['criu/sk-inet.c', PATH],
      ['992', LINE_NO],
    ]);
    await line('(10.885172) Error (cr-restore.c:1352): 20680 killed by signal 9', [
      ['Error', ERROR],
      ['cr-restore.c', PATH],
      ['1352', LINE_NO],
    ]);
  });

  test('Warn  (path:LINE): needs the two spaces and has a scope distinct from Error', async () => {
    const doc = await line(
      '(00.046761) Warn  (compel/arch/x86/src/lib/infect.c:418): Will restore 12007 with interrupted system call',
      [
        ['Warn', WARN],
        ['compel/arch/x86/src/lib/infect.c', PATH],
        ['418', LINE_NO],
        ['Will restore', 'meta.message.warning.criu-log'],
      ],
      [['Warn', ERROR]],
    );
    assert.notEqual(WARN, ERROR);
    assert.ok(!hasScope(doc.scopesOf(0, 'Warn'), 'invalid.illegal'));
    // One space is not CRIU's form; neither is "Warning:".
    await line('(00.1) Warn (criu/x.c:1): not the CRIU form', [], [['Warn', WARN], ['criu/x.c', PATH]]);
    await line('(00.1) Warning: something', [], [['Warning', WARN]]);
    // Error/Warn in the middle of a message are not the level prefix.
    await line('(00.1) inet: saw Error (criu/x.c:1): inside', [], [['Error', ERROR], ['criu/x.c', PATH]]);
    await line('(00.1) Dumping Error (criu/x.c:1): inside', [], [['Error', ERROR], ['criu/x.c', PATH]]);
    await line('(00.1)   1234: text Warn  (criu/y.c:2): inside', [], [['Warn', WARN], ['criu/y.c', PATH]]);
  });

  test('BUG at file:line', async () => {
    await line('(00.024127) Error (criu/mem.c:46): BUG at criu/mem.c:46', [
      ['BUG', 'invalid.illegal.bug.criu-log'],
      ['criu/mem.c', PATH, 2],
      ['46', LINE_NO, 2],
      ['BUG at criu/mem.c:46', 'meta.bug.criu-log'],
    ]);
  });

  test('subsystem prefixes right after the prefixes, libsoccr Debug:, nested prefixes', async () => {
    for (const name of ['inet', 'tcp', 'sockets', 'mnt', 'net', 'vdso', 'unix', 'cg-prop', 'page-xfer']) {
      await line(`(00.003913) ${name}: Dumping something`, [[name, SUBSYSTEM]]);
    }
    await line('(00.001586)   7339: Debug: \tSetting 1 queue seq to 1581047054', [['Debug', LIBSOCCR]]);
    await line('(00.023412)  76035: unix: ghost: Resolving addresses', [
      ['unix', SUBSYSTEM],
      ['ghost', SUBSYSTEM],
    ]);
    await line('(00.022990) cpu: fpu: xfeatures_mask 0xe5 xsave_size 11008', [['cpu', SUBSYSTEM], ['fpu', SUBSYSTEM]]);
    await line('(00.000228) cpu: fpu:1 fxsr:1 xsave:1', [['cpu', SUBSYSTEM]], [['fpu', SUBSYSTEM]]);
    await line('(00.19) Error (criu/sk-inet.c:912): inet: Connected TCP socket in image', [['inet', SUBSYSTEM, 2]]);
    await line('(00.1) pie: 13100: vdso: symbol __vdso_time at address 0xac0', [['vdso', SUBSYSTEM]]);
  });

  test('not a subsystem: capitalised words, counters, words later in the message, unprefixed lines', async () => {
    await line('(00.000025) Version: 4.2 (gitid v4.2-22-g0000000)', [], [['Version', SUBSYSTEM]]);
    await line('(00.018017)  76034: nr_restored_pages: 536', [], [['nr_restored_pages', SUBSYSTEM]]);
    await line('(00.1) Dumping inet socket at 7 sockets: none', [], [['sockets', SUBSYSTEM]]);
    await line('task_args->pid: 12711', [], [['pid', SUBSYSTEM], ['12711', PID]]);
    await line('inet: no prefix before me', [], [['inet', SUBSYSTEM]]);
  });
});

describe('criu-log grammar: message contents', () => {
  test('errno texts at the end of pr_perror messages (and in libnet parentheses)', async () => {
    const errnos = [
      'Operation not permitted',
      'No such file or directory',
      'Address already in use',
      'Cannot assign requested address',
      'Network is unreachable',
      'File exists',
      'No such process',
      'Invalid argument',
      'Resource temporarily unavailable',
      'Permission denied',
      'Connection refused',
      'Connection reset by peer',
      'Bad file descriptor',
      'Device or resource busy',
      'Too many open files',
      'Too many open files in system',
      'Protocol not available',
      'Socket operation on non-socket',
      'Connection timed out',
      'No route to host',
      'Broken pipe',
      'Cannot allocate memory',
      'Interrupted system call',
      'Operation not supported',
    ];
    for (const errno of errnos) {
      await line(`(00.001) 5000: Error (criu/x.c:1): Can't do it: ${errno}`, [[errno, ERRNO]]);
    }
    await line('(00.049003) Warn  (compel/src/lib/infect.c:133): Unable to interrupt task: 211 (Operation not permitted)', [
      ['Operation not permitted', ERRNO],
    ]);
    await line('(00.01) Error (criu/util.c:1534): rlimit: Can\'t setup RLIMIT_NOFILE for self: Operation not permitted', [
      ['Operation not permitted', ERRNO],
    ]);
    // The longest text wins: "Too many open files in system" is one errno, not "Too many open files" + rest.
    const doc = await tokenize(CRIU, ['(00.1) Error (criu/x.c:1): open: Too many open files in system']);
    assert.equal(doc.tokensOf(0, 'Too many open files in system').length, 1);
  });

  test('errno-like words elsewhere are not errno', async () => {
    await line('(00.1) Operation not permitted by the policy', [], [['Operation not permitted', ERRNO]]);
    await line('(00.1) Error (criu/x.c:1): Invalid argument list given to foo', [], [['Invalid argument', ERRNO]]);
  });

  test('TCP states: TCP_* forms and bare forms', async () => {
    const states = [
      'TCP_ESTABLISHED', 'TCP_SYN_SENT', 'TCP_SYN_RECV', 'TCP_FIN_WAIT1', 'TCP_FIN_WAIT2', 'TCP_TIME_WAIT',
      'TCP_CLOSE', 'TCP_CLOSE_WAIT', 'TCP_LAST_ACK', 'TCP_LISTEN', 'TCP_CLOSING', 'TCP_NEW_SYN_RECV',
      'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'FIN_WAIT1', 'FIN_WAIT2', 'SYN_SENT', 'TIME_WAIT', 'CLOSING', 'LISTEN',
      'CLOSE-WAIT',
    ];
    for (const state of states) {
      await line(`(00.068106)      1: inet: \tRestore: family AF_INET    type SOCK_STREAM    proto IPPROTO_TCP      port 5701 state ${state}        src_addr 10.85.0.97`, [
        [state, TCP_STATE],
      ]);
    }
  });

  test('plain words are not TCP states', async () => {
    await line('(00.1) connection established and closed, LISTENING on TCP_FOO, CLOSED, STATE_ESTABLISHED_X', [], [
      ['established', TCP_STATE],
      ['closed', TCP_STATE],
      ['LISTENING', TCP_STATE],
      ['TCP_FOO', TCP_STATE],
      ['CLOSED', TCP_STATE],
      ['STATE_ESTABLISHED_X', TCP_STATE],
    ]);
  });

  test('hex ids and inodes: 0x3f85f, id=0x6, ino 3f85f, ino 0x270, unix peer_ino (decimal)', async () => {
    await line('(00.023644) 10085: tcp: Restoring TCP connection id 17c8 ino 3f85f', [
      ['17c8', 'constant.numeric.hex.id.criu-log'],
      ['3f85f', 'constant.numeric.hex.inode.criu-log'],
      ['ino', 'variable.other.key.criu-log'],
    ]);
    await line('(00.234894)      1: Collect fdinfo pid=1 fd=0 id=0x6', [
      ['0x6', 'constant.numeric.hex.id.criu-log'],
      ['0x6', 'constant.numeric.hex'],
      ['id', 'variable.other.key.criu-log', 2],
      ['=', 'keyword.operator.assignment.criu-log', 3],
      ['fd', 'variable.other.key.criu-log', 2],
    ]);
    await line('(00.026320) inet: \tCollected: ino    0x271 family AF_INET    type SOCK_STREAM    port     2024 state TCP_LISTEN', [
      ['0x271', 'constant.numeric.hex.inode.criu-log'],
    ]);
    await line('(00.006349) unix: \tCollected: ino 48939 peer_ino 48938 family    1 type    1 state  1 name null', [
      ['48939', 'constant.numeric.decimal.inode.criu-log'],
      ['48938', 'constant.numeric.decimal.inode.criu-log'],
    ]);
    await line('(00.122267) sockets: Searching for socket 0x5063ab7 family 2', [['0x5063ab7', HEX]]);
    // "(id 39)" in sk-inet.c is printed with %d.
    await line("(00.1) Error (criu/sk-inet.c:1059): inet: Can't bind inet socket (id 39): Address already in use", [
      ['39', 'constant.numeric.decimal.id.criu-log'],
    ]);
  });

  test('IPv4 and IPv6 addresses, with ports', async () => {
    await line('(00.040606) Locked 127.0.0.1:60026 - 127.0.0.1:8766 connection', [
      ['127.0.0.1', IPV4],
      ['60026', PORT],
      [':', 'punctuation.separator.port.criu-log'],
      ['127.0.0.1', IPV4, 2],
      ['8766', PORT],
    ]);
    await line('(00.1) Locked [::1]:80 - [2001:db8::2]:54321 connection', [
      ['::1', IPV6],
      ['[', 'punctuation.definition.address.begin.criu-log'],
      ['80', PORT],
      ['2001:db8::2', IPV6],
      ['54321', PORT],
    ]);
    await line('(00.093975)      1: inet: \tRestore: family AF_INET6   type SOCK_STREAM    proto IPPROTO_TCP      port 53590 state TCP_ESTABLISHED  src_addr fe80::ec81:6eff:fe5a:d0b9', [
      ['fe80::ec81:6eff:fe5a:d0b9', IPV6],
    ]);
    await line('(00.430332)    719: inet:       Restore: family AF_INET6   type SOCK_STREAM    proto IPPROTO_TCP      port 34624 state TCP_CLOSE        src_addr ::ffff:10.4.104.195', [
      ['::ffff:10.4.104.195', IPV6],
    ]);
    await line('(00.1) src_addr 0.0.0.0 and 2001:0db8:0000:0000:0000:ff00:0042:8329 and ::', [
      ['0.0.0.0', IPV4],
      ['2001:0db8:0000:0000:0000:ff00:0042:8329', IPV6],
      ['::', IPV6],
    ]);
  });

  test('not addresses: versions, MACs, option lists, timestamps', async () => {
    await line('(00.000035) Running on vm Linux 6.18.44-fc-v669 #1 SMP', [], [['6.18.44', IPV4]]);
    await line('(00.1) mac 52:54:00:12:34:56 cpu: fpu:1 fxsr:1', [], [['52:54:00:12:34:56', IPV6], ['fpu:1', IPV6]]);
    await line('(00.1) see 10.0.0.1.5 here', [], [['10.0.0.1.5', IPV4]]);
    await line('(12.345678) x', [], [['12.345678', IPV4]]);
  });

  test('CRIU mark 0xC114 has its own scope (also 0xc114, nft 0x0000c114, decimal socket mark)', async () => {
    await line('(00.1) libsoccr: sending with mark 0xC114', [['0xC114', MARK]]);
    await line('(00.1) mark 0xc114 set', [['0xc114', MARK]]);
    await line('(00.1) meta mark 0x0000c114 accept', [['0x0000c114', MARK]]);
    await line('(00.194304)  17285: \trestore mark 49428 for socket', [['49428', 'constant.numeric.decimal.mark.criu-log']]);
    await line('(00.1) 0xC1145 and 0x8000 are not the CRIU mark', [['0x8000', HEX]], [['0xC1145', MARK], ['0x8000', MARK]]);
  });

  test('Running iptables [...] / Running ip6tables [...] / Running nftables [...]', async () => {
    await line('(00.037851) \tRunning iptables [iptables -w -t filter -I INPUT --protocol tcp -m mark ! --mark 0xC114 --source 127.0.0.1 --sport 8766 --destination 127.0.0.1 --dport 46160 -j DROP]', [
      ['Running', 'keyword.other.running.criu-log'],
      ['iptables', 'support.function.tool.iptables.criu-log', 1],
      ['iptables', 'support.function.tool.iptables.criu-log', 2],
      ['[', 'punctuation.definition.command.begin.criu-log'],
      [']', 'punctuation.definition.command.end.criu-log'],
      ['iptables -w -t filter', 'meta.command.iptables.criu-log'],
      // The bracketed command is tokenized with the iptables-save grammar.
      ['-I', 'keyword.other.command.iptables-save'],
      ['INPUT', 'entity.name.function.chain.iptables-save'],
      ['filter', 'entity.name.section.table.iptables-save'],
      ['--mark', 'variable.parameter.option.iptables-save'],
      ['!', 'keyword.operator.negation.iptables-save'],
      ['0xC114', 'constant.numeric.hex.mark'],
      ['127.0.0.1', 'constant.numeric.address.ipv4', 2],
      ['46160', 'constant.numeric.port'],
      ['DROP', 'keyword.control.verdict.iptables-save'],
    ]);
    await line('(00.1) \tRunning ip6tables [ip6tables -w -t filter -D OUTPUT --protocol tcp -m mark ! --mark 0xC114 --source ::1 --sport 40000 --destination ::1 --dport 8766 -j DROP]', [
      ['ip6tables', 'support.function.tool.iptables.criu-log'],
      ['-D', 'keyword.other.command.iptables-save'],
      ['::1', 'constant.numeric.address.ipv6'],
      [']', 'punctuation.definition.command.end.criu-log'],
    ]);
    await line('(00.021574) \tRunning nftables [add element inet CRIU-0011aabb-e63f-4950-8f conns4 { 127.0.0.1 . 46170 . 127.0.0.1 . 8766 }]', [
      ['nftables', 'support.function.tool.nftables.criu-log'],
      ['add', 'keyword.other.command.nftables.criu-log'],
      ['element', 'storage.type.nftables.criu-log'],
      ['inet', 'support.type.family.nftables.criu-log'],
      ['127.0.0.1', IPV4],
      ['conns4', 'meta.command.nftables.criu-log'],
      [']', 'punctuation.definition.command.end.criu-log'],
    ]);
    await line('(00.000084) Running pre-dump scripts', [], [['Running', 'keyword.other.running.criu-log']]);
    await line('(00.000035) Running on vm Linux 6.18.44', [], [['Running', 'keyword.other.running.criu-log']]);
  });

  test('outcome lines', async () => {
    await line('(00.065099) Dumping finished successfully', [['Dumping finished successfully', SUCCESS]]);
    await line('(00.081001) Restore finished successfully. Tasks resumed.', [['Restore finished successfully', SUCCESS]]);
    await line('(00.094449) Error (criu/cr-restore.c:2483): Restoring FAILED.', [
      ['Restoring FAILED.', FAILURE],
      ['Error', ERROR],
    ]);
    await line('(00.473314) Error (criu/cr-dump.c:2111): Dumping FAILED.', [['Dumping FAILED.', FAILURE]]);
    await line('(00.1) Dumping finished with errors', [], [['Dumping finished', SUCCESS]]);
    assert.notEqual(SUCCESS, FAILURE);
  });

  test('child-tool stderr: iptables messages and libnftables errors (not CRIU\'s Error form)', async () => {
    await line('iptables: Bad rule (does a matching rule exist in that chain?).', [
      ['iptables', 'support.function.tool.iptables.criu-log'],
      ['Bad rule', 'meta.tool-output.iptables.criu-log'],
    ]);
    await line("ip6tables-restore: invalid option -- 'w'", [['ip6tables-restore', 'support.function.tool.iptables.criu-log']]);
    await line('iptables v1.8.7 (nf_tables): Chain \'KUBE-FIREWALL\' does not exist', [
      ['iptables', 'support.function.tool.iptables.criu-log'],
      ['v1.8.7', 'constant.numeric.version.criu-log'],
      ['nf_tables', 'support.constant.backend.criu-log'],
    ]);
    const doc = await tokenize(CRIU, [
      'Error: Could not process rule: No such file or directory',
      'delete table inet CRIU-0a0b0c0d-6697-4738-ae',
      '                  ^^^^^^^^^^^^^^^^^^^^^^^^^^',
    ]);
    assert.ok(doc.has(0, 'Error', TOOL_ERROR), doc.describe(0));
    assert.ok(!doc.has(0, 'Error', ERROR), doc.describe(0));
    assert.ok(!doc.has(0, 'Error', 'invalid'), doc.describe(0));
    assert.ok(doc.has(0, 'No such file or directory', ERRNO), doc.describe(0));
    assert.ok(doc.has(1, 'delete', 'keyword.other.command.nftables.criu-log'), doc.describe(1));
    assert.ok(doc.has(1, 'table', 'storage.type.nftables.criu-log'), doc.describe(1));
    assert.ok(doc.has(2, '^^^^', 'keyword.other.caret.nftables.criu-log'), doc.describe(2));
    // CRIU's own Error is never the tool scope.
    await line('(00.1) Error (criu/netfilter.c:105): Iptables configuration failed', [['Error', ERROR]], [['Error', TOOL_ERROR]]);
  });

  test('unprefixed and odd lines tokenize without scoping prefixes', async () => {
    const doc = await tokenize(CRIU, [
      '',
      'task_args->clone_restore_fn: 0x7f0000001000',
      '..',
      '(00.012017) unix: Collected: ino 334940 peer_ino 334938 family    1 type',
      ' 1 state  1 name /run/systemd/journal/stdout',
      '(00.000059) ========================================',
    ]);
    assert.equal(doc.lines.length, 6);
    assert.ok(doc.has(1, '0x7f0000001000', HEX));
    assert.ok(!doc.has(4, '1', PID), doc.describe(4));
    assert.ok(doc.has(5, '00.000059', TIMESTAMP));
  });
});

describe('criu-log language configuration and contribution', () => {
  test('brackets () and [], no comments; grammar file matches package.json', () => {
    const config = JSON.parse(readFileSync(join(repoRoot, 'syntaxes', 'criu-log.language-configuration.json'), 'utf8')) as {
      comments?: unknown;
      brackets: string[][];
    };
    assert.equal(config.comments, undefined);
    assert.deepEqual(config.brackets, [['(', ')'], ['[', ']']]);
    const grammar = JSON.parse(readFileSync(join(repoRoot, 'syntaxes', 'criu-log.tmLanguage.json'), 'utf8')) as { scopeName: string };
    assert.equal(grammar.scopeName, 'source.criu-log');
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      contributes: { grammars: { language: string; scopeName: string; path: string }[] };
    };
    const contributed = pkg.contributes.grammars.find((g) => g.language === 'criu-log');
    assert.equal(contributed?.scopeName, 'source.criu-log');
    assert.equal(contributed?.path, './syntaxes/criu-log.tmLanguage.json');
  });
});

/** criu-real/<case>/*.log and criu-logs/*.log */
function corpusLogs(): string[] {
  const files: string[] = [];
  const real = join(corpusRoot, 'criu-real');
  if (existsSync(real)) {
    for (const dir of readdirSync(real)) {
      const caseDir = join(real, dir);
      if (!statSync(caseDir).isDirectory()) continue;
      for (const f of readdirSync(caseDir)) if (f.endsWith('.log')) files.push(join(caseDir, f));
    }
  }
  const logs = join(corpusRoot, 'criu-logs');
  if (existsSync(logs)) for (const f of readdirSync(logs)) if (f.endsWith('.log')) files.push(join(logs, f));
  return files.sort();
}

const TIMESTAMP_LINE = /^\(\s*(\d+\.\d+)\)(?: |$)/;
// The CRIU level prefix after the optional timestamp / pid / pie prefixes.
const LEVEL_LINE = /^(?:\(\s*\d+\.\d+\) )?(?:\s*\d+: )?(?:pie: (?:\d+: )?)*(Error |Warn  )\([^\s():]+:\d+\):/;
const PIE_LINE = /^(?:\(\s*\d+\.\d+\) )?pie: /;

describe('criu-log grammar: corpus', () => {
  test('every corpus log tokenizes in time, and timestamps, levels and pie tags get their scopes', async (t) => {
    if (!existsSync(corpusRoot)) {
      t.skip(`corpus not available: ${corpusRoot}`);
      return;
    }
    const files = corpusLogs();
    assert.ok(files.length > 0, `no *.log files under ${corpusRoot}`);
    let lines = 0;
    let timestamps = 0;
    let levels = 0;
    const failures: string[] = [];
    for (const file of files) {
      const where = file.slice(corpusRoot.length + 1);
      lines += await forEachTokenizedLine(
        CRIU,
        splitLines(readFileSync(file, 'utf8')),
        ({ line: text, tokens, stoppedEarly }, i) => {
          const fail = (what: string) => {
            if (failures.length < 20) failures.push(`${where}:${i + 1}: ${what}: ${JSON.stringify(text.slice(0, 160))}`);
          };
          if (stoppedEarly) fail('tokenization stopped early (time limit)');
          if (tokens.length > 0 && tokens[tokens.length - 1].endIndex !== text.length) fail('tokens do not cover the line');
          const scopesAt = (offset: number) => tokens.find((tk) => tk.startIndex <= offset && offset < tk.endIndex)?.scopes ?? [];
          const ts = TIMESTAMP_LINE.exec(text);
          if (ts) {
            timestamps++;
            if (!scopesAt(text.indexOf(ts[1])).includes(TIMESTAMP)) fail('timestamp not scoped');
          }
          const level = LEVEL_LINE.exec(text);
          if (level) {
            levels++;
            const at = level.index + level[0].lastIndexOf(level[1].trimEnd());
            const want = level[1].startsWith('Error') ? ERROR : WARN;
            if (!scopesAt(at).includes(want)) fail(`${level[1].trim()} not scoped as ${want}`);
          }
          if (PIE_LINE.test(text) && !scopesAt(text.indexOf('pie: ')).includes(PIE)) fail('pie tag not scoped');
        },
        2000,
      );
    }
    assert.deepEqual(failures, [], failures.join('\n'));
    assert.ok(lines > 1000 && timestamps > 1000 && levels > 10, `lines=${lines} timestamps=${timestamps} levels=${levels}`);
  });
});
