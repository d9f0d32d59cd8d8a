import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseCriuLog } from '../../server/src/criu/analyse';
import { explainAt } from '../../server/src/criu/explain';
import { causeOf, outline, taskFolds, usesAt } from '../../server/src/criu/navigation';
import { analyseDocuments } from '../../server/src/analysis';

const restore = [
  '(00.000000) CRIU run id = 1d2e',
  '(00.000025) Version: 4.2 (gitid v4.2-22-g2cf8f13ca)',
  '(00.010000) Reading image tree',
  '(00.010100) Forking task with 46190 pid (flags 0x0)',
  '(00.010200)  46190: Forking task with 46208 pid (flags 0x0)',
  '(00.020500)  46208: inet: \tRestore: family AF_INET    type SOCK_STREAM    proto IPPROTO_TCP      port 43512 state TCP_CLOSE_WAIT   src_addr 192.168.10.21',
  '(00.020506)  46208: tcp: Restoring TCP connection id 9 ino 2b7e41c',
  '(00.020510)  46190: Parsed 7f8e3b0c4000-7f8e3b14f000 vma',
  '(00.020787)  46208: Error (soccr/soccr.c:682): Unable to send a fin packet: libnet_write_raw_ipv4(): -1 bytes written (Operation not permitted)',
  '',
  '(00.020802)  46208: Error (criu/files.c:1221): Unable to open fd=3 id=0x9',
  '(00.020845)  46190: Error (criu/cr-restore.c:1258): 46208 exited, status=1',
  '(00.020912) Error (criu/cr-restore.c:2324): Restoring FAILED.',
].join('\n');

const dump = [
  '(00.000000) CRIU run id = 1d2e',
  '(00.000025) Version: 4.2 (gitid v4.2-22-g2cf8f13ca)',
  '(00.001000) ========================================',
  '(00.001001) Dumping processes (pid: 46190 comm: tini)',
  '(00.002000) inet: \tCollected: ino  0x2b7e41c family AF_INET    type SOCK_STREAM    port    43512 state TCP_ESTABLISHED  src_addr 192.168.10.21',
  '(00.003000) \tRunning iptables [iptables -w -t filter -I INPUT --protocol tcp -m mark ! --mark 0xC114 --source 10.96.0.42 --sport 5432 --destination 192.168.10.21 --dport 43512 -j DROP]',
  '(00.003100) Locked 192.168.10.21:43512 - 10.96.0.42:5432 connection',
  '(00.003200) \tRunning iptables [iptables -w -t filter -I OUTPUT --protocol tcp -m mark ! --mark 0xC114 --source 192.168.10.21 --sport 43512 --destination 10.96.0.42 --dport 5432 -j DROP]',
  '(00.003300) Locked 10.96.0.42:5432 - 192.168.10.21:43512 connection',
  '(00.004000) Dumping finished successfully',
].join('\n');

test('a failed restore: action, tree, root cause of the failing task, consequences, FIN path', () => {
  const a = analyseCriuLog(restore);
  assert.equal(a.run.action, 'restore');
  assert.equal(a.run.outcome, 'failure');
  assert.equal(a.run.outcomeLine, 12);
  assert.equal(a.run.tasks.get(46208)?.parent, 46190);
  assert.deepEqual(a.run.tasks.get(46190)?.children, [46208]);
  assert.equal(a.run.rootCause?.line, 8);
  assert.deepEqual(a.run.consequences.map((c) => c.line), [10, 11, 12]);
  const socket = a.sockets.sockets[0];
  assert.equal(socket.imageState, 'TCP_CLOSE_WAIT');
  assert.equal(socket.ino, 0x2b7e41c);
  assert.equal(socket.id, 9);
  assert.equal(socket.pid, 46208);
});

test('a dump: collection state, lock method and both directions of the locked connection', () => {
  const a = analyseCriuLog(dump);
  assert.equal(a.run.action, 'dump');
  assert.equal(a.run.outcome, 'success');
  assert.equal(a.sockets.lock.method, 'iptables');
  assert.equal(a.sockets.lock.commands.length, 2);
  assert.equal(a.sockets.lock.connections.length, 2);
  assert.equal(a.sockets.sockets[0].collectedState, 'TCP_ESTABLISHED');
  assert.deepEqual(a.sockets.sockets[0].peer, { address: '10.96.0.42', port: 5432 });
});

test('restore and dump together: peer filled in, state change explained with links into the dump', () => {
  const findings = analyseDocuments([
    { doc: 'restore.log', language: 'criu-log', text: restore },
    { doc: 'dump.log', language: 'criu-log', text: dump },
  ]);
  const change = findings.find((f) => f.code === 'criu.state-changed');
  assert.ok(change);
  assert.equal(change.doc, 'restore.log');
  assert.deepEqual(change.related.map((r) => [r.doc, r.range.start.line]), [['dump.log', 4], ['dump.log', 6]]);
  const fin = findings.find((f) => f.code === 'criu.fin-path');
  assert.match(fin!.message, /FIN\|ACK .* from 10\.96\.0\.42:5432 to 192\.168\.10\.21:43512/);
  assert.deepEqual(findings.filter((f) => f.severity === 'error').map((f) => f.code), ['criu.soccr-fin-eperm']);
});

test('hover: prefix with source link, errno, TCP state, pid, id occurrences', () => {
  const a = analyseCriuLog(restore);
  const line8 = restore.split('\n')[8];
  const level = explainAt(a, { line: 8, character: line8.indexOf('Error') + 1 });
  assert.match(level!.markdown, /blob\/v4\.2\/soccr\/soccr\.c#L682/);
  const errno = explainAt(a, { line: 8, character: line8.indexOf('Operation') + 2 });
  assert.match(errno!.markdown, /EPERM/);
  assert.equal(line8.slice(errno!.start, errno!.end), 'Operation not permitted');
  const line5 = restore.split('\n')[5];
  const state = explainAt(a, { line: 5, character: line5.indexOf('TCP_CLOSE_WAIT') + 1 });
  assert.match(state!.markdown, /FIN\|ACK/);
  const pid = explainAt(a, { line: 8, character: 15 });
  assert.match(pid!.markdown, /Task 46208.*Parent: 46190/s);
  assert.equal(explainAt(a, { line: 9, character: 0 }), undefined, 'the empty line after libnet has nothing to explain');
  const line7 = restore.split('\n')[7];
  const plain = explainAt(a, { line: 7, character: line7.indexOf('vma') });
  assert.equal(plain!.markdown, '**Line 8**: time 0.020510 s · task 46190.', 'any line shows its parts');
  const sub = explainAt(a, { line: 5, character: restore.split('\n')[5].indexOf('inet') + 1 });
  assert.match(sub!.markdown, /Subsystem `inet`/);
});

test('navigation: outline, folds, cause of a consequence, uses of an inode', () => {
  const a = analyseCriuLog(restore);
  const items = outline(a);
  assert.deepEqual(items.map((i) => i.kind), ['outcome', 'cause', 'section', 'section', 'section']);
  assert.equal(items[1].children.length, 3);
  assert.equal(causeOf(a, { line: 10, character: 30 }), 8);
  assert.equal(causeOf(a, { line: 8, character: 30 }), undefined, 'the root cause has no cause of its own');
  const line6 = restore.split('\n')[6];
  assert.deepEqual(usesAt(a, { line: 6, character: line6.indexOf('2b7e41c') + 2 }).map((u) => u.line), [6]);
  assert.deepEqual(taskFolds(a, 2), [{ start: 5, end: 6 }], 'the two lines of task 46208 in a row');
  assert.deepEqual(taskFolds(a), [], 'runs shorter than four lines do not fold');
});

test('old logs without timestamps and with numeric states still give sockets', () => {
  const old = analyseCriuLog(['     1: \tRestore: family 2 type 1 proto 6 port 8092 state 8 src_addr 192.168.10.1', '     1: Restoring TCP connection id 7 ino 1f'].join('\n'));
  const s = old.sockets.sockets[0];
  assert.equal(s.family, 'AF_INET');
  assert.equal(s.imageState, 'TCP_CLOSE_WAIT');
  assert.equal(s.ino, 0x1f);
});
