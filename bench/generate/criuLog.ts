/**
 * A big `-v4` restore log for benchmarks: the bundled example's header, then the body of a
 * restore of many tasks (the example's task lines, re-timed and re-numbered for each task, with
 * restorer `pie:` lines, hard-wrapped and empty lines mixed in as real logs have them), and the
 * EPERM failure with its consequences at the very end. Deterministic for a given line count.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function generateRestoreLog(targetLines: number, examples: string): string {
  const lines = readFileSync(join(examples, 'restore.log'), 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const failure = lines.findIndex((l) => l.includes('Unable to send a fin packet'));
  const firstTask = lines.findIndex((l) => /^\(\d+\.\d+\) +\d+: /.test(l));
  const header = lines.slice(0, firstTask);
  const body = lines.slice(firstTask, failure).filter((l) => !/Error|Warn/.test(l));
  const tail = lines.slice(failure);
  const out: string[] = [...header];
  let micros = 20000;
  let pid = 50000;
  const stamp = () => {
    micros += 3;
    const s = Math.floor(micros / 1e6);
    return `(${String(s).padStart(2, '0')}.${String(micros % 1e6).padStart(6, '0')})`;
  };
  while (out.length + tail.length < targetLines) {
    pid++;
    for (const line of body) {
      const m = /^\(\d+\.\d+\)( +\d+: | )(.*)$/.exec(line);
      if (!m) continue;
      const rest = m[2].replace(/\b46208\b|\b46190\b/g, String(pid));
      out.push(m[1].trim() ? `${stamp()} ${String(pid).padStart(6)}: ${rest}` : `${stamp()} ${rest}`);
      if (out.length % 97 === 0) out.push(`${stamp()} pie: ${pid}: vdso: Remap rt-vdso 0x36000 -> 0x7f7b5c67b000`);
      if (out.length % 1013 === 0) out.push(`pie: ${pid}: __sent ack msg: 2 2 0`, '');
      if (out.length + tail.length >= targetLines) break;
    }
  }
  return [...out, ...tail].join('\n') + '\n';
}
