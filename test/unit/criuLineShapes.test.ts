import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import peggy from 'peggy';
import { analyseCriuText, CriuLogReader, parseCriuLog } from '../../server/src/criu/logModel';
import { LineShapes } from '../../server/src/criu/lineShapes';
import { LONGEST_LITERAL, parseLineShape } from '../../server/src/criu/logLine';
import { anyOf } from '../../server/src/criu/prefilter';
import { repoRoot } from '../support/paths';
import { linesOf } from '../support/criuLines';

test('the line grammar keeps what the reuse of its parses rests on (criuLogLine.peggy)', () => {
  const grammar = peggy.parser.parse(readFileSync(join(repoRoot, 'server/src/grammar/criuLogLine.peggy'), 'utf8'));
  type Node = { type: string; value?: string; parts?: (string | [string, string])[]; inverted?: boolean };
  const nodes: Node[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      if ('type' in n && typeof n.type === 'string') nodes.push(n as Node);
      for (const [k, v] of Object.entries(n)) if (k !== 'location' && k !== 'nameLocation') walk(v);
    }
  };
  walk(grammar.rules);
  const of = (type: string) => nodes.filter((n) => n.type === type);

  const silencing = nodes.filter((n) => ['named', 'simple_and', 'simple_not', 'semantic_and', 'semantic_not'].includes(n.type));
  assert.deepEqual(silencing.map((n) => n.type), [], 'display names and predicates hide failures from the error location');
  for (const { value } of of('literal')) {
    assert.ok(value!.length <= LONGEST_LITERAL, `"${value}" reads past LONGEST_LITERAL`);
    assert.doesNotMatch(value!, /[0-9]/, `"${value}" tells digits apart`);
  }
  for (const { parts, inverted } of of('class')) {
    const matches = (d: string) => parts!.some((p) => (Array.isArray(p) ? p[0] <= d && d <= p[1] : p === d)) !== inverted;
    assert.equal(new Set([...'0123456789'].map(matches)).size, 1, `[${JSON.stringify(parts)}] tells digits apart`);
  }
});

test('lines that begin alike, digits aside, share one parse; each reads its values from its own text', () => {
  const log = parseCriuLog([
    '(00.020003)  50001: tcp: Restoring TCP connection id 9 ino 2b7e41c',
    '(01.120457)  62918: tcp: Restoring TCP connection id 3 ino 2b7e41c',
    '(01.120457)  62918: tcp: Restoring a different message of another length',
    '(01.120457)  62918: inet: Restoring TCP connection id 3 ino 2b7e41c',
    '(01.120458)  62918: Error (criu/files.c:1221): Unable to open fd=3 id=0x9',
    '(01.120459)  62919: Error (criu/files.c:1299): Unable to open fd=4 id=0x1',
  ].join('\n'));
  const [a, b, c, d, e, f] = linesOf(log);
  assert.equal(a.shape, b.shape, 'same start, parsed once');
  assert.equal(b.shape, c.shape, 'the grammar never read that far into the message');
  assert.notEqual(b.shape, d.shape, 'another subsystem: parsed again');
  assert.equal(e.shape, f.shape);
  assert.deepEqual([a.pid?.value, b.pid?.value, b.timestamp?.seconds, d.subsystem?.name], [50001, 62918, 1.120457, 'inet']);
  assert.deepEqual([e.level?.line, f.level?.line, f.messageText], [1221, 1299, 'Unable to open fd=4 id=0x1']);
});

test('a line that is all prefixes is a start of its own: the grammar read its end', () => {
  const log = parseCriuLog(['(00.1)  7: ', '(00.1)  7: x', '(00.1)  7', '(00.1)  7: inet: ', '(00.1)  7: inet: x'].join('\n'));
  assert.deepEqual(linesOf(log).map((l) => [l.pid?.value ?? null, l.subsystem?.name ?? null, l.messageText]), [
    [7, null, ''], [7, null, 'x'], [null, null, ' 7'], [7, 'inet', ''], [7, 'inet', 'x'],
  ]);
  for (const line of linesOf(log)) assert.deepEqual(line.shape, parseLineShape(line.text));
});

test('a digit where a letter was, or a line one column longer, is a different pattern', () => {
  const log = parseCriuLog(['(00.1) inet: x', '(00.1) 1net: x', '(00.1) inet: xy'].join('\n'));
  assert.deepEqual(linesOf(log).map((l) => l.subsystem?.name ?? null), ['inet', null, 'inet']);
  for (const line of linesOf(log)) assert.deepEqual(line.shape, parseLineShape(line.text));
});

test('lines are read in place across LF, CRLF and lone CR terminators', () => {
  const text = '(00.1) a\r\n(00.2)  7: b\r(00.3) c\n\n  8: d\r\n';
  const log = parseCriuLog(text);
  assert.deepEqual(linesOf(log).map((l) => l.text), ['(00.1) a', '(00.2)  7: b', '(00.3) c', '', '  8: d']);
  assert.deepEqual(linesOf(log).map((l) => l.task), [undefined, 7, undefined, undefined, 8]);
  assert.deepEqual(linesOf(log).map((l) => l.message.text), ['a', 'b', 'c', '', 'd']);
});

test('anyOf matches wherever one of its patterns does, and refuses flags it would change', () => {
  const any = anyOf([/^Restore: /, /^restoring TCP/i, /ino (\d+)$/]);
  for (const text of ['Restore: x', 'Restoring TCP connection', 'a ino 12']) assert.ok(any.test(text), text);
  for (const text of ['x Restore: ', 'ino 12 a', '']) assert.ok(!any.test(text), text);
  assert.throws(() => anyOf([/a/g]));
});

test('reused parses agree with the grammar on thousands of near-identical lines', () => {
  const templates = [
    '(00.024500)  10241: inet: \tRestore: family AF_INET',
    '(00.026000)  46208: Error (soccr/soccr.c:682): Unable to send a fin packet',
    '(00.028247) Warn  (compel/src/lib/infect.c:418): Will restore 12709',
    '(00.033773) pie: 13278: pie: Turning repair off for 3 (reuse 0)',
    ' 19688: Debug:  Setting 1 queue seq to 3907549365',
    'pie: 12709: Daemon waits for command',
    '(123.45678) Restoring FAILED.',
    '(00.1)  7: ',
  ];
  const alphabet = '( ).:0123456789aezEWDbgpi-_\t';
  let seed = 42;
  const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const lines: string[] = [];
  for (let i = 0; i < 4000; i++) {
    let line = templates[random(templates.length)];
    for (let edits = 1 + random(3); edits > 0; edits--) {
      const at = random(Math.min(line.length + 1, 40));
      const c = alphabet[random(alphabet.length)];
      const kind = random(3);
      line = line.slice(0, at) + (kind === 2 ? '' : c) + line.slice(kind === 1 ? at : at + 1);
    }
    lines.push(line);
  }
  const log = parseCriuLog(lines.join('\n'));
  assert.equal(log.lineCount, lines.length);
  linesOf(log).forEach((line, i) => assert.deepEqual(line.shape, parseLineShape(lines[i]), JSON.stringify(lines[i])));
});

test('a log read from text makes any line again from its offsets; past its end there is no line', () => {
  const text = '(00.1) a\n(00.2)  7: inet: b\r\n\n(00.3)  8: Error (criu/x.c:1): c';
  const log = parseCriuLog(text);
  assert.equal(log.whole, true);
  assert.equal(log.lineCount, 4);
  assert.deepEqual([0, 1, 2, 3].map((i) => log.line(i).text), ['(00.1) a', '(00.2)  7: inet: b', '', '(00.3)  8: Error (criu/x.c:1): c']);
  assert.notEqual(log.line(1), log.line(1), 'a fresh LogLine each time: none is kept per line');
  assert.deepEqual(log.line(1).shape, parseLineShape('(00.2)  7: inet: b'));
  assert.equal(log.lineAt(4), undefined);
  assert.equal(log.lineAt(-1), undefined);
  assert.throws(() => log.line(4), /line 5 is past the end of a 4-line log/);
});

test('once the tree of line starts is full, new starts are parsed per line and each log keeps their shapes', () => {
  const shapes = new LineShapes(40);
  const lines = Array.from({ length: 300 }, (_, i) => `(00.${i}) ${String.fromCharCode(97 + (i % 26))}${i % 7 ? 'x' : ': y'} ${i}`);
  const log = analyseCriuText(lines.join('\n'), shapes).log;
  assert.equal(shapes.idOf('(00.1) new start', 0, 16), -1, 'the tree is full');
  assert.deepEqual(linesOf(log).map((l) => l.shape), lines.map(parseLineShape));
  assert.deepEqual(linesOf(log).map((l) => l.text), lines);
  // A second log on the same (full) tree reads its own lines, not the first log's.
  const other = analyseCriuText(lines.map((l) => `${l}z`).join('\n'), shapes).log;
  assert.deepEqual(linesOf(other).map((l) => l.shape), lines.map((l) => parseLineShape(`${l}z`)));
});

test('a streamed log keeps only the lines its analysis refers to', () => {
  const reader = new CriuLogReader();
  const lines = ['(00.1) Version: 4.2 (gitid v4.2)', '(00.2) plain', '(00.3)  7: Error (criu/x.c:1): broken', '(00.4) plain again', '(00.5) last'];
  for (const l of lines) reader.push(l, 0, l.length);
  const { log } = reader.finish();
  assert.equal(log.whole, false);
  assert.deepEqual([0, 2, 4].map((i) => log.line(i).text), [lines[0], lines[2], lines[4]]);
  assert.equal(log.lineAt(1), undefined);
  assert.throws(() => log.line(3), /line 4 of a streamed log was not kept/);
});
