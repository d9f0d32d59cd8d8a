/**
 * What a CRIU run did and how it ended: the action, the outcome, the tasks and their lines,
 * and the root cause with the errors that follow from it. Lines of concurrent tasks
 * interleave and are not time-ordered, so everything here goes by file order and by pid,
 * never by timestamp.
 */
import { criuMessages, lookupMessageInContext, type MessageKnowledge } from '../knowledge/criuMessages';
import { levelMessage, type LevelKind, type LogLine } from './logLine';
import { anyOf } from './prefilter';

export type CriuAction = 'dump' | 'pre-dump' | 'restore' | 'check' | 'unknown';
export type Outcome = 'success' | 'failure' | 'aborted' | 'unknown';

export interface ErrorLine {
  line: number;
  kind: 'error' | 'warn';
  text: string;
  task?: number;
  known?: MessageKnowledge;
  role: 'cause' | 'consequence' | 'noise';
}

export interface Task {
  pid: number;
  /**
   * First and last line of this task and how many it has (-1, -1, 0 when only named by another
   * task): counts, not a list, so a log of millions of lines costs the same per task.
   */
  firstLine: number;
  lastLine: number;
  lineCount: number;
  parent?: number;
  children: number[];
  /** `Dumping task (pid: N comm: X)` / `Seized task`. */
  comm?: string;
}

export interface RunAnalysis {
  action: CriuAction;
  /** Line that shows the action (`Dumping processes (pid: …)`, `Reading image tree`, …). */
  actionLine?: number;
  outcome: Outcome;
  /** `Restore finished successfully`, `Restoring FAILED.`, the BUG line … */
  outcomeLine?: number;
  errors: ErrorLine[];
  rootCause?: ErrorLine;
  consequences: ErrorLine[];
  tasks: Map<number, Task>;
  /** Options the log reveals (`Will dump/restore TCP connections` is --tcp-established). */
  options: string[];
}

/** Lines that tell the action; a strong sign overrides a weak one seen earlier. */
const actionSigns: [RegExp, CriuAction, 'strong' | 'weak'][] = [
  [/^Pre-dumping task \(pid: \d+/, 'pre-dump', 'strong'],
  [/^Dumping processes \(pid: \d+/, 'dump', 'strong'],
  [/^Reading image tree$/, 'restore', 'strong'],
  [/^Dump CRIU run id = /, 'restore', 'strong'],
  [/^Forking task with \d+ pid/, 'restore', 'strong'],
  // `criu check` probes features and says so; it also opens sockets, hence the weak signs below.
  [/^(Eventfd|Epoll|Inotify) fdinfo works OK/, 'check', 'strong'],
  [/^(Restore finished successfully|Restoring FAILED\.|Restoring TCP connection|\s*Restore: family )/, 'restore', 'weak'],
  [/^(Dumping finished successfully|Dumping FAILED\.|\s*Collected: ino )/, 'dump', 'weak'],
];

const outcomeSigns: [RegExp, Outcome][] = [
  [/^(Dumping|Pre-dumping) finished successfully/, 'success'],
  [/^Restore finished successfully/, 'success'],
  [/^Looks good\.?/, 'success'],
  [/^(Dumping|Restoring|Pre-dumping) FAILED\./, 'failure'],
];

const optionSigns: [RegExp, string][] = [
  [/^Will dump\/restore TCP connections/, '--tcp-established'],
  [/^Will do snapshot from /, '--prev-images-dir'],
  [/^Will drop all TCP connections on restore/, '--tcp-close'],
];

/** `Forking task with N pid`: the restore forks a child from its parent's context. */
const forkLine = /^Forking task with (\d+) pid/;
const dumpingTask = /^(?:Dumping|Pre-dumping) task \(pid: (\d+) comm: (.*)\)$/;
/** Every pattern a message is tested against below: most lines match none of them. */
const anySign = anyOf([...actionSigns, ...outcomeSigns, ...optionSigns].map(([re]) => re).concat(forkLine, dumpingTask));

/** Patterns that make a message harmless when an earlier line matches them (`Unlock network`). */
const harmlessAfterPatterns = [...new Set(criuMessages.flatMap((m) => (m.harmlessAfter ? [m.harmlessAfter] : [])))];

interface PendingError {
  line: LogLine;
  kind: LevelKind;
  index: number;
  pid: number | undefined;
  previous: LogLine | undefined;
}

/**
 * Reads a log's lines one at a time, in file order, keeping only what the run analysis needs:
 * the log itself may be streamed from disk and never held whole. An error is read when the line
 * after it arrives (its meaning can depend on both neighbours).
 */
export class RunReader {
  private readonly run: RunAnalysis = { action: 'unknown', outcome: 'unknown', errors: [], consequences: [], tasks: new Map(), options: [] };
  private lastForker: number | undefined;
  private strongAction = false;
  /** The task of the previous line: a task's lines come in runs. */
  private current: Task | undefined;
  private previous: LogLine | undefined;
  private pending: PendingError | undefined;
  /** The first line that matched each harmlessAfter pattern. */
  private readonly harmlessSeen = new Map<RegExp, number>();

  /** Reads line `index`; true when the analysis refers to it later (an error, the action or the verdict). */
  push(line: LogLine, index: number): boolean {
    if (this.pending) this.readError(this.pending, line);
    this.pending = undefined;
    const pid = line.task;
    if (pid !== undefined) {
      if (this.current?.pid !== pid) this.current = this.task(pid);
      const t = this.current;
      if (t.lineCount++ === 0) t.firstLine = index;
      t.lastLine = index;
    }
    const text = line.messageText;
    let keep = false;
    if (anySign.test(text)) keep = this.readSigns(text, index, pid);
    if (this.harmlessSeen.size < harmlessAfterPatterns.length) this.noteHarmless(line, text, index);
    const kind = line.shape.level?.kind;
    if (kind) {
      this.pending = { line, kind, index, pid, previous: this.previous };
      keep = true;
    }
    this.previous = line;
    return keep;
  }

  /** The analysis of the lines read. */
  finish(): RunAnalysis {
    if (this.pending) this.readError(this.pending, undefined);
    this.pending = undefined;
    const run = this.run;
    if (run.outcome === 'unknown' && run.action !== 'check' && run.errors.some((e) => e.kind === 'error' && e.role === 'cause')) {
      // No verdict line: CRIU died (a BUG, a signal) or the log was cut short.
      run.outcome = 'aborted';
    }
    findRootCause(run);
    return run;
  }

  private task(pid: number): Task {
    let t = this.run.tasks.get(pid);
    if (!t) this.run.tasks.set(pid, (t = { pid, firstLine: -1, lastLine: -1, lineCount: 0, children: [] }));
    return t;
  }

  private readSigns(text: string, index: number, pid: number | undefined): boolean {
    const run = this.run;
    let keep = false;
    if (!this.strongAction) {
      for (const [re, action, strength] of actionSigns) {
        if (!re.test(text)) continue;
        if (strength === 'strong' || run.action === 'unknown') {
          run.action = action;
          run.actionLine = index;
          this.strongAction = strength === 'strong';
          keep = true;
        }
        break;
      }
    }
    for (const [re, outcome] of outcomeSigns) {
      if (re.test(text)) {
        run.outcome = outcome;
        run.outcomeLine = index;
        keep = true;
      }
    }
    for (const [re, option] of optionSigns) if (re.test(text) && !run.options.includes(option)) run.options.push(option);

    // The process tree: the restore forks children from their parent's context.
    const fork = forkLine.exec(text);
    if (fork) {
      const child = this.task(Number(fork[1]));
      const parent = pid ?? this.lastForker;
      if (parent !== undefined && parent !== child.pid) {
        child.parent = parent;
        if (!this.task(parent).children.includes(child.pid)) this.task(parent).children.push(child.pid);
      }
      this.lastForker ??= child.pid;
    }
    const dumping = dumpingTask.exec(text);
    if (dumping) this.task(Number(dumping[1])).comm = dumping[2];
    return keep;
  }

  private noteHarmless(line: LogLine, messageText: string, index: number): void {
    // levelMessage() without a second string for the lines that have no subsystem (most).
    const message = line.shape.subsystem ? levelMessage(line) : messageText.trimEnd();
    for (const re of harmlessAfterPatterns) if (!this.harmlessSeen.has(re) && re.test(message)) this.harmlessSeen.set(re, index);
  }

  private readError({ line, kind, index, pid, previous }: PendingError, next: LogLine | undefined): void {
    const run = this.run;
    const message = levelMessage(line);
    // Some messages mean different things after certain lines.
    const known = lookupMessageInContext(message, {
      level: kind,
      ...(previous ? { previous: levelMessage(previous) } : {}),
      ...(next ? { next: levelMessage(next) } : {}),
    });
    // A failed iptables unlock after `Unlock network` cannot hurt the run any more.
    const after = known?.harmlessAfter && this.harmlessSeen.get(known.harmlessAfter);
    const harmless = after !== undefined && after < index;
    const bug = /BUG at \S+:\d+/.test(message);
    // Unknown warnings stay warnings (role cause, but only errors can be the root cause).
    const role = harmless ? 'noise' : known?.role ?? 'cause';
    run.errors.push({ line: index, kind, text: message, ...(pid !== undefined ? { task: pid } : {}), ...(known ? { known } : {}), role });
    if (bug) {
      run.outcome = 'aborted';
      run.outcomeLine = index;
    }
  }
}

/**
 * The root cause is the first causal error of the failing task: the task a consequence names
 * (`46208 exited, status=1`) or whose lines hold the consequences; failing that, the first
 * causal error of the run. Every consequence is linked to it.
 */
function findRootCause(run: RunAnalysis): void {
  if (run.outcome === 'success') return;
  const causes = run.errors.filter((e) => e.kind === 'error' && e.role === 'cause');
  const consequences = run.errors.filter((e) => e.role === 'consequence');
  const failing = new Set<number>();
  for (const c of consequences) {
    const named = /^(\d+) (?:exited|killed)/.exec(c.text);
    if (named) failing.add(Number(named[1]));
    else if (c.task !== undefined) failing.add(c.task);
  }
  run.rootCause = causes.find((e) => e.task !== undefined && failing.has(e.task)) ?? causes[0];
  if (run.rootCause) run.consequences = consequences.filter((c) => c.line > run.rootCause!.line);
}
