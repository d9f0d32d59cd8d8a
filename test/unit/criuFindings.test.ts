import { test } from 'node:test';
import assert from 'node:assert/strict';
import { criuLogFindings } from '../../server/src/criu/findings';
import { parseCriuLog } from '../../server/src/criu/logModel';
import { analyseCriuLog } from '../../server/src/criu/analyse';

const log = [
  '(00.000000) CRIU run id = 3d0e',
  '(00.000025) Version: 4.2 (gitid v4.2-22-g2cf8f13ca)',
  '(00.000035) Running on node-b Linux 6.1.0-28-amd64 #1 SMP PREEMPT_DYNAMIC x86_64',
  '(00.023707) Error (criu/util.c:1534): rlimit: Can\'t setup RLIMIT_NOFILE for self: Operation not permitted',
  '(00.024500)  46208: inet: \tRestore: family AF_INET    type SOCK_STREAM    proto IPPROTO_TCP      port 43512 state TCP_CLOSE_WAIT   src_addr 10.244.1.17',
  '(00.024612)  46208: Error (soccr/soccr.c:682): Unable to send a fin packet: libnet_write_raw_ipv4(): -1 bytes written (Operation not permitted)',
  '',
  '(00.024700)  46208: Error (criu/files.c:1221): Unable to open fd=3 id=0x6',
  '(00.031000) Warn  (criu/cr-restore.c:1400): Something odd   ',
  '(00.032000) Error (criu/cr-restore.c:2324): Restoring FAILED.',
].join('\r\n');

test('header facts', () => {
  const { header } = parseCriuLog(log);
  assert.equal(header.version, '4.2');
  assert.equal(header.gitid, 'v4.2-22-g2cf8f13ca');
  assert.equal(header.kernel, '6.1.0-28-amd64');
  assert.equal(header.versionLine, 1);
});

test('one finding per Error/Warn line, with exact ranges, CRLF or not', () => {
  const findings = criuLogFindings('restore.log', analyseCriuLog(log));
  assert.deepEqual(findings.map((f) => [f.range.start.line, f.severity, f.code]), [
    [3, 'information', 'criu.rlimit-nofile'],
    [5, 'error', 'criu.soccr-fin-eperm'],
    [7, 'information', 'criu.open-fd-failed'],
    [8, 'warning', 'criu.warning'],
    [9, 'information', 'criu.restore-failed'],
    [4, 'information', 'criu.fin-path'],
  ]);
  const eperm = findings[1];
  assert.deepEqual(eperm.range, { start: { line: 5, character: 20 }, end: { line: 5, character: 143 } });
  assert.match(eperm.message, /^Root cause of the failed restore: Unable to send a fin packet: .*\(Operation not permitted\) \(soccr\/soccr\.c:682\) — /);
  assert.deepEqual(eperm.related.map((r) => r.range.start.line), [7, 9], 'linked to what follows from it');
  assert.deepEqual(findings[2].related.map((r) => r.range.start.line), [5], 'a consequence points at its cause');
  assert.match(eperm.message, /0xC114/);
  assert.equal(findings[0].harmless, true);
  assert.equal(eperm.harmless, undefined);
  const warn = findings[3];
  assert.equal(warn.range.end.character, '(00.031000) Warn  (criu/cr-restore.c:1400): Something odd'.length, 'trailing blanks are not in the range');
});

test('a log without any CRIU error has no findings', () => {
  assert.deepEqual(criuLogFindings('x', analyseCriuLog('(00.1) Restore finished successfully. Tasks resumed.\nError: Could not process rule: No such file or directory\n')), []);
});
