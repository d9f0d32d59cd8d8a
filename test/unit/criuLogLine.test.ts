import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLogLine, taskOf } from '../../server/src/criu/logLine';

const slice = (text: string, span: { start: number; end: number }) => text.slice(span.start, span.end);

test('restored-task line: timestamp, right-aligned pid, subsystem, tab-indented message', () => {
  const text = '(00.024500)  10241: inet: \tRestore: family AF_INET    type SOCK_STREAM';
  const line = parseLogLine(text);
  assert.equal(line.timestamp?.seconds, 0.0245);
  assert.equal(slice(text, line.timestamp!.span), '(00.024500) ');
  assert.equal(line.pid?.value, 10241);
  assert.equal(slice(text, line.pid!.span), ' 10241: ');
  assert.equal(line.subsystem?.name, 'inet');
  assert.equal(slice(text, line.subsystem!.span), 'inet');
  assert.equal(line.message.text, '\tRestore: family AF_INET    type SOCK_STREAM');
  assert.equal(line.level, null);
  assert.equal(taskOf(line), 10241);
});

test('Error line: file and line number with exact spans', () => {
  const text = '(00.026000)  46208: Error (soccr/soccr.c:682): Unable to send a fin packet: libnet_write_raw_ipv4(): -1 bytes written (Operation not permitted)';
  const line = parseLogLine(text);
  assert.equal(line.level?.kind, 'error');
  assert.equal(line.level?.file, 'soccr/soccr.c');
  assert.equal(line.level?.line, 682);
  assert.equal(slice(text, line.level!.fileSpan), 'soccr/soccr.c');
  assert.equal(slice(text, line.level!.lineSpan), '682');
  assert.equal(slice(text, line.level!.span), 'Error (soccr/soccr.c:682): ');
  assert.equal(line.subsystem, null, 'a capitalised message start is not a subsystem');
  assert.match(line.message.text, /^Unable to send a fin packet/);
});

test('Warn takes exactly two spaces; one space is plain text', () => {
  const two = parseLogLine('(00.028247) Warn  (compel/arch/x86/src/lib/infect.c:418): Will restore 12709 with interrupted system call');
  assert.equal(two.level?.kind, 'warn');
  assert.equal(two.level?.file, 'compel/arch/x86/src/lib/infect.c');
  const one = parseLogLine('(00.028247) Warn (x.c:1): not CRIU');
  assert.equal(one.level, null);
  assert.equal(one.message.text, 'Warn (x.c:1): not CRIU');
});

test('timestamp after 100 s whose last digit was eaten by the parenthesis', () => {
  const line = parseLogLine('(123.45678) Restoring FAILED.');
  assert.equal(line.timestamp?.text, '123.45678');
  assert.equal(line.message.text, 'Restoring FAILED.');
});

test('pie lines with and without timestamp, and the repeated prefix', () => {
  const bare = parseLogLine('pie: 12709: Daemon waits for command');
  assert.equal(bare.timestamp, null);
  assert.deepEqual(bare.pie.map((p) => p.tid), [12709]);
  assert.equal(taskOf(bare), 12709);
  const repeated = parseLogLine('(00.033773) pie: 13278: pie: Turning repair off for 3 (reuse 0)');
  assert.deepEqual(repeated.pie.map((p) => p.tid), [13278]);
  assert.equal(repeated.subsystem?.name, 'pie');
  assert.equal(repeated.message.text, 'Turning repair off for 3 (reuse 0)');
});

test('libsoccr Debug lines without timestamp keep the pid column', () => {
  const line = parseLogLine(' 19688: Debug:  Setting 1 queue seq to 3907549365');
  assert.equal(line.pid?.value, 19688);
  assert.equal(line.subsystem?.name, 'Debug');
});

test('a number in the message is not a pid column', () => {
  const line = parseLogLine('(00.042018) 10241 was trapped');
  assert.equal(line.pid, null);
  assert.equal(line.message.text, '10241 was trapped');
});

test('unprefixed, empty and child-tool lines still yield nodes', () => {
  for (const text of ['', '   ', 'iptables: Bad rule (does a matching rule exist in that chain?).', 'Error: Could not process rule: No such file or directory', '                  ^^^^^^', 'task_args->pid: 7']) {
    const line = parseLogLine(text);
    assert.equal(line.level, null, text);
    assert.equal(line.timestamp, null, text);
    assert.equal(line.message.span.end, text.length, text);
  }
});

test('hostile input never throws', () => {
  for (const text of ['(', '(00.', '(00.1)', 'Error (', 'Error (a:b): x', '\u0000\uffff', ')'.repeat(10000), '  1: '.repeat(1000)]) {
    assert.doesNotThrow(() => parseLogLine(text));
  }
});
