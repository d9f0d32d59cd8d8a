import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyseCriuLog } from '../../server/src/criu/analyse';
import { analyseDocuments } from '../../server/src/analysis';
import { corpusAvailable, corpusDir, corpusMissingReason } from '../support/paths';

const real = join(corpusDir, 'criu-real');
const skip = !corpusAvailable && corpusMissingReason;

/**
 * What each real run did (from its README.txt: exit statuses and key error lines): the action,
 * the outcome we must read from the log, and the root cause of a failure.
 */
const expected: [string, string, string, string, RegExp?][] = [
  ['criu-check', 'check.log', 'check', 'unknown'],
  ['dump-no-such-pid', 'dump.log', 'dump', 'failure', /^Unable to detach from \d+: No such process/],
  ['dump-session-leader-outside', 'dump.log', 'dump', 'failure', /is not a session leader\. Consider using --shell-job/],
  ['dump-traced-process', 'dump.log', 'dump', 'failure', /^Unable to detach from \d+/],
  ['dump-tree-spanning-netns', 'dump.log', 'dump', 'failure', /Unable to get name for a socket: Socket operation on non-socket/],
  ['missing-tcp-established', 'dump.log', 'dump', 'failure', /^inet: Connected TCP socket, consider using --tcp-established option\./],
  ['pre-dump-iterative', 'pre-dump-1.log', 'pre-dump', 'aborted', /^BUG at criu\/mem\.c:46/],
  ['pre-dump-iterative', 'dump.log', 'dump', 'success'],
  ['pre-dump-iterative', 'restore.log', 'restore', 'success'],
  ['pre-dump-track-mem-unavailable', 'pre-dump-1.log', 'unknown', 'aborted', /^Tracking memory is not available/],
  ['restore-addr-in-use', 'restore.log', 'restore', 'failure', /^inet: Can't bind inet socket \(id 6\): Address already in use/],
  ['restore-deleted-file', 'restore.log', 'restore', 'failure', /^Can't open file .* on restore: No such file or directory/],
  ['restore-empty-images-dir', 'restore.log', 'unknown', 'aborted', /^Unexpected EOF on \(empty-image\)/],
  ['restore-file-size-changed', 'restore.log', 'restore', 'failure', /has bad size 20 \(expect 0\)/],
  ['restore-missing-tcp-established', 'restore.log', 'restore', 'failure', /^inet: Connected TCP socket in image/],
  ['restore-missing-tcp-established', 'restore-retry-tcp-close.log', 'restore', 'success'],
  ['restore-pid-held-by-zombie-pgid', 'restore.log', 'restore', 'failure', /^Can't fork for \d+: File exists/],
  ['restore-pid-in-use', 'restore.log', 'restore', 'failure', /^Can't fork for \d+: File exists/],
  ['restore-tcp-lock-rules-flushed', 'restore.log', 'restore', 'success'],
  ['restore-tcp-nft-lock-table-deleted', 'restore.log', 'restore', 'success'],
  ['restore-tcp-other-netns', 'restore.log', 'unknown', 'aborted', /^Unable to connect a socket: Network is unreachable/],
  ['restore-twice', 'restore-first.log', 'restore', 'success'],
  ['restore-twice', 'restore.log', 'restore', 'failure', /^Can't fork for \d+: File exists/],
  ['simple-process', 'dump.log', 'dump', 'success'],
  ['tcp-close-wait-ok', 'restore.log', 'restore', 'success'],
  ['unix-dgram-external-peer', 'dump.log', 'dump', 'failure', /^unix: External socket is used\. Consider using --ext-unix-sk option\./],
  ['unix-dgram-external-peer', 'dump-ext-unix-sk.log', 'dump', 'success'],
  ['unix-external-peer', 'dump-ext-unix-sk.log', 'dump', 'failure', /^unix: Can't dump half of stream unix connection/],
];

test('criu-real: action, outcome and root cause of every run', { skip }, () => {
  for (const [dir, file, action, outcome, cause] of expected) {
    const { run } = analyseCriuLog(readFileSync(join(real, dir, file), 'utf8'));
    const name = `${dir}/${file}`;
    assert.equal(run.action, action, `${name} action`);
    assert.equal(run.outcome, outcome, `${name} outcome`);
    if (cause) assert.match(run.rootCause?.text ?? '(none)', cause, `${name} root cause`);
    else assert.equal(run.rootCause, undefined, `${name} has no root cause`);
  }
});

test('criu-real: successful runs have no error findings, failed ones exactly one', { skip }, () => {
  for (const [dir, file, , outcome] of expected) {
    const text = readFileSync(join(real, dir, file), 'utf8');
    const errors = analyseDocuments([{ doc: file, language: 'criu-log', text }]).filter((f) => f.severity === 'error');
    assert.equal(errors.length, outcome === 'success' || outcome === 'unknown' ? 0 : 1, `${dir}/${file}: ${errors.map((e) => e.message).join(' | ')}`);
  }
});

test('criu-real: sockets, states and the network lock of the TCP cases', { skip }, () => {
  const cases: [string, string, string, string | undefined][] = [
    ['tcp-close-wait-ok', 'TCP_CLOSE_WAIT', 'TCP_CLOSE_WAIT', 'iptables'],
    ['tcp-fin-wait2-ok', 'TCP_FIN_WAIT2', 'TCP_FIN_WAIT2', 'iptables'],
    ['tcp-last-ack-ok', 'TCP_LAST_ACK', 'TCP_LAST_ACK', 'iptables'],
    ['tcp-established-nft-ok', 'TCP_ESTABLISHED', 'TCP_ESTABLISHED', 'nftables'],
  ];
  for (const [dir, collected, image, method] of cases) {
    const dump = analyseCriuLog(readFileSync(join(real, dir, 'dump.log'), 'utf8'));
    const restore = analyseCriuLog(readFileSync(join(real, dir, 'restore.log'), 'utf8'));
    assert.equal(dump.sockets.lock.method, method, dir);
    assert.equal(dump.sockets.lock.connections.length, 2, `${dir}: both directions locked`);
    const restored = restore.sockets.sockets.find((s) => s.imageState);
    assert.ok(restored, `${dir}: restored socket`);
    assert.equal(restored.imageState, image, dir);
    assert.equal(restored.local?.address, '127.0.0.1');
    assert.ok(restored.ino !== undefined && restored.id !== undefined, `${dir}: id and ino from "Restoring TCP connection"`);
    const dumped = dump.sockets.sockets.find((s) => s.ino === restored.ino);
    assert.ok(dumped, `${dir}: the dump collected the same inode`);
    assert.equal(dumped.collectedState, collected, dir);
    assert.equal(dumped.peer?.address, '127.0.0.1', `${dir}: the peer comes from the lock lines`);
    assert.notEqual(dumped.peer?.port, dumped.local?.port);
  }
});

test('criu-real: a restore read with its dump names the peer and finds the FIN path', { skip }, () => {
  const dir = join(real, 'tcp-close-wait-ok');
  const findings = analyseDocuments([
    { doc: 'restore.log', language: 'criu-log', text: readFileSync(join(dir, 'restore.log'), 'utf8') },
    { doc: 'dump.log', language: 'criu-log', text: readFileSync(join(dir, 'dump.log'), 'utf8') },
  ]);
  const fin = findings.find((f) => f.code === 'criu.fin-path');
  assert.ok(fin);
  assert.match(fin.message, /FIN\|ACK .* from 127\.0\.0\.1:8766 to 127\.0\.0\.1:60024/);
});
