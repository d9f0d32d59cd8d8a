/**
 * What CRIU's messages mean, as data. Patterns match the message text after the
 * `Error (file:line): ` prefix, subsystem included, because file:line moves between
 * CRIU versions (soccr.c:690 in 3.x, :682 in 4.2) while the text does not.
 */
export type MessageRole =
  /** Known to be harmless in the situations it shows up in. */
  | 'noise'
  /** A first failure: something else follows from it. */
  | 'cause'
  /** Printed because an earlier step failed; never the thing to fix. */
  | 'consequence';

export interface MessageKnowledge {
  id: string;
  pattern: RegExp;
  role: MessageRole;
  /** One line, shown after the message in diagnostics. */
  summary: string;
}

export const criuMessages: readonly MessageKnowledge[] = [
  {
    id: 'rlimit-nofile',
    pattern: /^rlimit: Can't setup RLIMIT_NOFILE for self/,
    role: 'noise',
    summary:
      "harmless: CRIU could not raise its own open-file limit (it lacks CAP_SYS_RESOURCE) and goes on with the current one",
  },
  {
    id: 'interrupted-syscall',
    pattern: /^Will restore \d+ with interrupted system call/,
    role: 'noise',
    summary: 'harmless: printed for every task a dump seizes in a system call; the call is restarted on restore',
  },
  {
    id: 'soccr-fin-eperm',
    pattern: /Unable to send a fin packet: libnet_write_raw_ipv4\(\): -1 bytes written \(Operation not permitted\)/,
    role: 'cause',
    summary:
      "the socket was half-closed in the image, so CRIU re-sent the peer's FIN from a raw socket marked 0xC114; netfilter dropped it on the local-out path (or the conntrack table is full)",
  },
  {
    id: 'soccr-fin-failed',
    pattern: /Unable to send a fin packet/,
    role: 'cause',
    summary: "CRIU could not re-send the peer's FIN for a half-closed TCP socket",
  },
  {
    id: 'open-fd-failed',
    pattern: /^Unable to open fd=\d+ id=0x[0-9a-f]+/i,
    role: 'consequence',
    summary: 'follows from the error before it: restoring this file descriptor failed there',
  },
  {
    id: 'restore-failed',
    pattern: /^Restoring FAILED\./,
    role: 'consequence',
    summary: 'the restore was aborted; the cause is an earlier error',
  },
  {
    id: 'dump-failed',
    pattern: /^Dumping FAILED\./,
    role: 'consequence',
    summary: 'the dump was aborted; the cause is an earlier error',
  },
  {
    id: 'task-killed',
    pattern: /^\d+ killed by signal \d+/,
    role: 'consequence',
    summary: 'CRIU killed the half-restored task after a failure; the cause is an earlier error',
  },
  {
    id: 'task-exited',
    pattern: /^\d+ exited, status=\d+/,
    role: 'consequence',
    summary: 'a restored task gave up after a failure; the cause is an earlier error',
  },
];

export function lookupMessage(text: string): MessageKnowledge | undefined {
  return criuMessages.find((m) => m.pattern.test(text));
}
