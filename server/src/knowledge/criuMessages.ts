/**
 * What CRIU's messages mean, as data. Patterns match the message text after the
 * `Error (file:line): ` prefix, subsystem included, because file:line moves between
 * CRIU versions (soccr.c:690 in 3.x, :682 in 4.2) while the text does not.
 *
 * Order matters: lookupMessage() returns the first match, so specific patterns come before
 * the generic ones they overlap with.
 */
export type MessageRole =
  /** Known to be harmless in the situations it shows up in. */
  | 'noise'
  /** A first failure: something else follows from it. */
  | 'cause'
  /** Printed because an earlier step failed; never the thing to fix. */
  | 'consequence';

/** CRIU's two log levels that carry a file:line (`Error (…)`, `Warn  (…)`). */
export type MessageLevel = 'error' | 'warn';

export interface MessageExplanation {
  /** What CRIU was doing and what failed. */
  what: string;
  /** Why that happens. */
  why: string;
  /** Concrete things to check next, with exact commands where useful. */
  check: readonly string[];
}

export interface MessageKnowledge {
  id: string;
  pattern: RegExp;
  role: MessageRole;
  /** One line, shown after the message in diagnostics. */
  summary: string;
  /** Hover text: what happened, why, what to check. Every cause has one. */
  explanation?: MessageExplanation;
  /**
   * Only for lines of this level. Such entries match only when the caller passes the level,
   * so callers that do not know it still get the level-free entry that follows.
   */
  level?: MessageLevel;
  /**
   * The message is harmless when an earlier line of the same run matches this: it failed in
   * cleanup after the work was done (e.g. removing lock rules during `net: Unlock network`).
   */
  harmlessAfter?: RegExp;
}

/** `net: Unlock network` (CRIU 3.x+) or `Unlock network` (older, no subsystem prefix). */
const UNLOCK_NETWORK = /^(?:net: )?Unlock network\s*$/;

const FIN_PACKET_STATES =
  'CLOSE_WAIT, LAST_ACK, CLOSING and CLOSE (FIN|ACK), FIN_WAIT2 and CLOSE (a bare ACK)';

export const criuMessages: readonly MessageKnowledge[] = [
  // ---- environment noise ----------------------------------------------------------------
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
    id: 'network-lock-ignored-on-restore',
    pattern: /^--network-lock will be ignored in restore command/,
    role: 'noise',
    summary: 'harmless: restore uses the lock method recorded in the images, not the one given on the command line',
  },

  // ---- the forged FIN (libsoccr send_fin) ------------------------------------------------
  {
    id: 'soccr-fin-eperm',
    pattern: /Unable to send a fin packet: libnet_write_raw_ipv[46]\(\): -1 bytes written \(Operation not permitted\)/,
    role: 'cause',
    summary:
      "the socket was half-closed in the image, so CRIU re-sent the peer's FIN from a raw socket marked 0xC114; netfilter dropped it on the local-out path (or the conntrack table is full)",
    explanation: {
      what:
        `Restoring a TCP socket whose image state needs the peer's packet replayed (${FIN_PACKET_STATES}), libsoccr forged that packet with libnet on a raw socket carrying SO_MARK 0xC114: source = the peer's address:port, destination = the restored socket's address:port. sendto() on the raw socket returned EPERM, so this socket, and with it the restore, failed.`,
      why:
        "A locally generated packet gets EPERM from sendto() when netfilter drops it on the local-out path: a DROP (iptables) or drop (nft) in any table of OUTPUT (raw, mangle, nat, filter, security) or POSTROUTING, including chains jumped to from there, that matches the forged packet. A drop on the loop-back input path does not cause EPERM. The classic culprit is kubelet's `KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP` (Kubernetes up to 1.26, and left behind by in-place upgrades): 0xC114 & 0x8000 = 0x8000, so it matches CRIU's mark. The other cause is a full conntrack table, which drops new entries (`nf_conntrack: table full, dropping packet`). CRIU's own lock rules (`-m mark ! --mark 0xC114 … -j DROP`, chain CRIU, `table inet CRIU-…` with `meta mark 0x0000c114 accept`) let the mark through and are never the cause.",
      check: [
        'Capture both iptables backends and nftables on the node: `iptables-save`, `iptables-legacy-save` (legacy rules do not show in nft; iptables-nft prints `# Warning: iptables-legacy tables present`), and `nft list ruleset`.',
        'Look for drops that match mark 0xC114 in OUTPUT/POSTROUTING of every table and the chains they jump to: `-m mark --mark 0x8000/0x8000 -j DROP` (KUBE-FIREWALL, Cilium), `-m mark ! --mark 0x40000/0x40000 -j DROP` (Weave NPC), nft `meta mark & 0x00008000 == 0x00008000 … drop`, or rules matching the 4-tuple (peer address:port → local address:port). Ignore CRIU\'s own `! --mark 0xC114` lock rules.',
        'Confirm with counters: `iptables -t filter -L KUBE-FIREWALL -n -v --line-numbers` and `iptables -t filter -L OUTPUT -n -v --line-numbers` (the pkts count of the culprit grows with each failed restore).',
        'Rule out conntrack: `sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max` and `dmesg | grep conntrack` (`nf_conntrack: table full, dropping packet`).',
        'Fix: let the mark through before the drop, e.g. `iptables -t filter -I KUBE-FIREWALL 1 -m mark --mark 0xc114 -j RETURN`; Kubernetes 1.27+ no longer creates the mark DROP, so a stale one from an upgrade can be deleted. For a full table raise `net.netfilter.nf_conntrack_max`.',
      ],
    },
  },
  {
    id: 'soccr-fin-failed',
    pattern: /Unable to send a fin packet/,
    role: 'cause',
    summary: "CRIU could not re-send the peer's FIN for a half-closed TCP socket",
    explanation: {
      what:
        `libsoccr forged the peer's packet for a socket whose image state needs it (${FIN_PACKET_STATES}) on a raw socket marked 0xC114, and libnet could not send it.`,
      why:
        'The error text in parentheses is the sendto() errno: EPERM is a netfilter drop or a full conntrack table on the local-out path; ENETUNREACH/EHOSTUNREACH means no route from this network namespace to the restored local address; ENOBUFS or EMSGSIZE are local resource or MTU problems.',
      check: [
        'Read the errno in parentheses; for `Operation not permitted` check `iptables-save`, `iptables-legacy-save`, `nft list ruleset` for drops matching mark 0xC114, and `dmesg | grep conntrack`.',
        'For routing errors: `ip route get <local address>` inside the restore\'s network namespace (the address is on the `inet: Restore:` line above).',
      ],
    },
  },

  // ---- TCP repair (libsoccr / sk-tcp) ------------------------------------------------------
  {
    id: 'tcp-repair-on-failed',
    pattern: /^Can't turn TCP repair mode ON/,
    role: 'cause',
    summary: 'the kernel refused TCP_REPAIR on a socket: CRIU lacks CAP_NET_ADMIN for its network namespace, or the socket state cannot be repaired',
    explanation: {
      what: 'CRIU (through libsoccr) tried to put a TCP socket into repair mode with setsockopt(TCP_REPAIR), which it needs to read or rebuild a connection.',
      why:
        'The kernel allows TCP_REPAIR only to a caller with CAP_NET_ADMIN in the user namespace owning the socket\'s network namespace, and never for listening sockets; EPERM means one of those (typically CRIU running without full privileges, inside an unprivileged container or a user namespace). Older kernels also refuse repair of half-closed sockets (kerndat probes this at start-up).',
      check: [
        '`grep Cap /proc/$(pgrep -n criu)/status` or `capsh --print` where criu runs: CAP_NET_ADMIN must be effective.',
        'Run criu as root in the host user namespace (or the one owning the container\'s netns).',
        '`criu check --all` on the node.',
      ],
    },
  },
  {
    id: 'soccr-repair-options-failed',
    pattern: /^Can't repair options/,
    role: 'cause',
    summary: 'setsockopt(TCP_REPAIR_OPTIONS) failed on a repaired TCP socket; EPERM means the kernel did not see it as a fresh ESTABLISHED connection',
    explanation: {
      what:
        'libsoccr had set the sequence numbers, bound the socket and connect()ed it in repair mode, then tried to restore the negotiated TCP options (MSS, window scale, SACK, timestamps) with TCP_REPAIR_OPTIONS.',
      why:
        'The kernel accepts TCP_REPAIR_OPTIONS only on a repair-mode socket that is ESTABLISHED and has not sent any data yet; otherwise it returns EPERM. So the freshly connected socket was not in that state when the options were applied. This is not a netfilter problem (nothing has been sent at this point). EINVAL would mean an option value the kernel rejects.',
      check: [
        'The `inet: Restore: … state TCP_…` line just above names the socket and its image state; the `Debug:` lines show the options libsoccr tried.',
        '`uname -r` on both nodes: the rule is the kernel\'s (do_tcp_setsockopt), so a different target kernel can change the outcome.',
        'It has been reported as intermittent (criu issue #2721, a TCP_CLOSE socket): retry the restore from the same images.',
      ],
    },
  },
  {
    id: 'soccr-bind-back-failed',
    pattern: /^Can't bind inet socket back/,
    role: 'cause',
    summary: "a connection's saved local address does not exist (or does not fit) in the restore's network namespace",
    explanation: {
      what: 'libsoccr bound the TCP socket being repaired to its saved local address:port and bind() failed.',
      why:
        'Repair-mode sockets may bind to ports that are in use, so this is about the address itself: EADDRNOTAVAIL (Cannot assign requested address) means the address is not configured in this network namespace (the container or pod got a new IP, or the restore runs in another netns); EINVAL means the address cannot be used as is, e.g. a link-local IPv6 address (fe80::) without its interface scope, which older CRIU did not save.',
      check: [
        'Compare the `src_addr` on the `inet: Restore:` line with `ip -br addr` in the restore\'s network namespace.',
        'Restore into a network namespace that has the same addresses (same pod/container IP), or do not carry the connections: dump and restore with `--tcp-close` (note: on restore it still repairs sockets whose image state is TCP_CLOSE).',
      ],
    },
  },
  {
    id: 'soccr-connect-back-failed',
    pattern: /^(?:inet: )?Can't connect inet socket back/,
    role: 'cause',
    summary: 'the repaired socket could not be connected to its saved peer: the same connection (4-tuple) already exists here, or there is no route',
    explanation: {
      what: 'Restoring a connected TCP socket, CRIU bound it to its saved local address and called connect() to the saved peer in repair mode (which sends nothing); connect() failed.',
      why:
        'After a successful bind, EADDRNOTAVAIL (Cannot assign requested address) from connect() means the same local/peer address:port pair is already in use in this network namespace: the original connection still exists (the dumped task was left running, or it lingers in TIME_WAIT for 60 s) or another restore holds it. ENETUNREACH means there is no route to the peer from this namespace.',
      check: [
        '`ss -tanp` in the restore\'s network namespace, filtered on the local port from the `inet: Restore:` line, to find the existing connection and its owner.',
        'If the original process still runs (dump with --leave-running), stop it before restoring; if only a TIME_WAIT entry remains, wait for it to expire.',
        'For ENETUNREACH: `ip route get <peer address>` in the restore\'s network namespace.',
      ],
    },
  },

  // ---- inet sockets --------------------------------------------------------------------------
  {
    id: 'inet-bind-addr-in-use',
    pattern: /^(?:inet: )?Can't bind inet socket(?: \(id \d+\))?: Address already in use/,
    role: 'cause',
    summary: 'another socket already holds this address and port on the restore host (typically a listener started after the dump)',
    explanation: {
      what: 'CRIU created the socket with the image id in parentheses and bind() to its saved address:port failed with EADDRINUSE.',
      why:
        'CRIU sets SO_REUSEADDR and SO_REUSEPORT on every socket it restores, so this only fails when the port is held in a way those cannot share: most often a LISTEN socket of another process on the same address:port (the original still running, a restarted service, an earlier restore). Connected TCP sockets restored in repair mode are not affected: repair sockets bind even to busy ports.',
      check: [
        'Find the holder: `ss -tlnp` (TCP listeners) or `ss -ulnp` (UDP) on the restore host, matching the port of the `inet: Restore:` line just above.',
        'Stop that process (or the original task if it was dumped with --leave-running) and restore again.',
      ],
    },
  },
  {
    id: 'inet-bind-failed',
    pattern: /^(?:inet: )?Can't bind inet socket(?: \(id \d+\))?: /,
    role: 'cause',
    summary: "a restored socket could not be bound to its saved address",
    explanation: {
      what: 'CRIU created a socket and bind() to its saved address:port failed.',
      why:
        'EADDRNOTAVAIL (Cannot assign requested address) means the address does not exist in the restore\'s network namespace (new container IP, wrong netns); EADDRINUSE means the port is taken by a listener; EACCES means a privileged port without CAP_NET_BIND_SERVICE.',
      check: ['`ip -br addr` and `ss -tulnp` in the restore\'s network namespace, against the `inet: Restore:` line above.'],
    },
  },
  {
    id: 'tcp-established-needed-dump',
    pattern: /^(?:inet: )?Connected TCP socket, consider using --tcp-established option\./,
    role: 'cause',
    summary: 'the task has an established TCP connection and the dump was run without --tcp-established',
    explanation: {
      what: 'While dumping the task\'s file descriptors CRIU found an ESTABLISHED TCP socket.',
      why: 'CRIU only checkpoints live connections when asked to (it must lock them with netfilter rules and read their state in repair mode); without --tcp-established it refuses and the dump fails. The task keeps running.',
      check: [
        'Dump with `--tcp-established` (and restore with it too), or with `--tcp-close` if the connections need not survive.',
        'The `inet: \\tDumping:` line before shows which socket (port, address).',
      ],
    },
  },
  {
    id: 'tcp-established-needed-restore',
    pattern: /^(?:inet: )?Connected TCP socket in image/,
    role: 'cause',
    summary: 'the images hold a connected TCP socket and the restore was run without --tcp-established (or --tcp-close)',
    explanation: {
      what: 'Opening the task\'s sockets, CRIU found a TCP connection (a socket with a peer) in the images.',
      why: 'The dump was made with --tcp-established, so the restore must say how to treat connections: rebuild them (--tcp-established) or drop them (--tcp-close).',
      check: ['Restore again with `--tcp-established` (the same flag as the dump) or with `--tcp-close` to restore those sockets closed.'],
    },
  },
  {
    // Not an Error line: the info line just before `Unexpected EOF on (empty-image)`.
    // lookupMessageInContext() reports the EOF error under this id when it follows this line.
    id: 'tcp-stream-image-missing',
    pattern: /^No tcp-stream-[0-9a-f]+\.img image/,
    role: 'cause',
    summary: "the images have no tcp-stream-<inode>.img for a connection CRIU wants to repair, so it cannot rebuild that socket",
    explanation: {
      what: 'Restoring a TCP socket with a peer, CRIU opened its tcp-stream image (sequence numbers, queues, options) and the file does not exist, so reading it ended at once (`Unexpected EOF on (empty-image)`).',
      why:
        'The dump did not write that socket\'s TCP state: typically a TCP_CLOSE socket dumped with --tcp-close (which skips the state) and restored by a CRIU that still tries to repair CLOSE sockets (criu issue #1523, fixed by PR #1579), or images copied without all their files.',
      check: [
        '`ls <images dir> | grep tcp-stream` and compare with the inode on the `Restoring TCP connection id … ino …` line.',
        'Use the same CRIU version and the same --tcp-close / --tcp-established options for dump and restore.',
      ],
    },
  },
  {
    id: 'empty-image-eof',
    pattern: /^Unexpected EOF on \(empty-image\)/,
    role: 'cause',
    summary: 'an image file CRIU needs is missing (see the `No <name>.img image` line just before)',
    explanation: {
      what: 'CRIU opened an image that does not exist (CRIU substitutes an empty image and logs `No <name>.img image` first) and reading it hit end-of-file at once.',
      why:
        'Which image is missing decides what it means: `No inventory.img image` on restore means the -D directory is empty or not an images directory; `No tcp-stream-<ino>.img image` means a connection\'s TCP state was not dumped; in a dump or pre-dump with a parent (--prev-images-dir), the parent\'s inventory is missing, followed by `Failed to read parent pre-dump inventory entry`: harmless, the dump is simply not incremental.',
      check: [
        'Read the `No … image` line just before this one.',
        '`ls -la <images dir>`: a complete dump has inventory.img, pstree.img, core-*.img, …; make sure -D points at it.',
      ],
    },
  },

  // ---- network locking (netfilter.c / net.c) ----------------------------------------------------
  {
    id: 'iptables-config-failed',
    pattern: /^Iptables configuration failed/,
    role: 'cause',
    harmlessAfter: UNLOCK_NETWORK,
    summary: 'an iptables command CRIU ran to lock or unlock a TCP connection failed (harmless during the final unlock)',
    explanation: {
      what: 'CRIU runs `iptables -w -t filter -I/-D INPUT|OUTPUT --protocol tcp -m mark ! --mark 0xC114 … -j DROP` per connection (see the `Running iptables [...]` line above) to lock it during dump and restore, and to unlock it afterwards; the command failed (its stderr and `exited, status=N` precede this line).',
      why:
        'During `net: Unlock network` this means the lock rule was already gone (a firewall reload or `iptables -F` removed it; iptables says `Bad rule (does a matching rule exist in that chain?)`): harmless, the run still succeeds. While locking it is fatal for the dump: iptables missing or failing, the xt_mark match (CONFIG_NETFILTER_XT_MARK) missing, or the xtables lock held.',
      check: [
        'Is it after `net: Unlock network` and does the run end with `Restore finished successfully` / `Dumping finished successfully`? Then ignore it.',
        'Otherwise run the logged command by hand, and check `iptables --version`, `lsmod | grep xt_mark`, and that no other process holds /run/xtables.lock.',
      ],
    },
  },
  {
    id: 'network-lock-xt-mark',
    pattern: /^Locking network failed: iptables-restore returned/,
    role: 'cause',
    summary: "CRIU's network lock (chain CRIU with a mark 0xC114 ACCEPT) could not be installed: usually the xt_mark match is missing",
    explanation: {
      what: "Before dumping a network namespace CRIU loads `*filter :CRIU -I INPUT -j CRIU -I OUTPUT -j CRIU -A CRIU -m mark --mark 0xC114 -j ACCEPT -A CRIU -j DROP` with iptables-restore (and ip6tables-restore when IPv6 is on); it returned non-zero.",
      why: 'CRIU itself names the usual cause: the kernel lacks CONFIG_NETFILTER_XT_MARK (the `mark` match), so the rule cannot be loaded. A missing iptables-restore binary or a held xtables lock does the same.',
      check: [
        '`modprobe xt_mark; lsmod | grep xt_mark` or `grep XT_MARK /boot/config-$(uname -r)`.',
        '`which iptables-restore ip6tables-restore` and `iptables-restore --version` in the environment criu runs in.',
        'Or lock with nftables instead: `--network-lock nftables` (needs CRIU built with libnftables).',
      ],
    },
  },
  {
    id: 'network-lock-nftables-failed',
    pattern: /^Locking network failed using nftables/,
    role: 'cause',
    summary: 'CRIU could not create its nftables lock table (`table inet CRIU-…`)',
    explanation: {
      what: 'With --network-lock nftables CRIU creates a table `inet CRIU-<id>` with chains that drop the locked connections and accept mark 0xC114; one of the libnftables commands failed (its error is printed above).',
      why: 'Typically the kernel lacks nf_tables features the rules use (sets with concatenations, the inet family), or CRIU lacks CAP_NET_ADMIN in the namespace.',
      check: ['`nft list ruleset` works where criu runs', '`criu check --all` (reports nftables concat support)', 'Fall back to `--network-lock iptables`.'],
    },
  },
  {
    // kerndat probes nftables at start-up and only warns; `criu check` prints it too.
    id: 'nftables-not-built-warning',
    level: 'warn',
    pattern: /CRIU was built without libnftables support/,
    role: 'noise',
    summary: 'harmless unless --network-lock nftables is used: this CRIU binary cannot use nftables',
    explanation: {
      what: 'Probing kernel features, CRIU noticed it was compiled without libnftables.',
      why: 'It only matters for `--network-lock nftables` (the default in builds made with NETWORK_LOCK_DEFAULT=NETWORK_LOCK_NFTABLES, e.g. Fedora/RHEL packages) and for restoring a network namespace\'s nftables ruleset.',
      check: ['Use `--network-lock iptables`, or install a CRIU package built with libnftables (`ldd $(which criu) | grep nftables`).'],
    },
  },
  {
    id: 'nftables-not-built',
    pattern: /^(?:Unable to restore nftables\. )?CRIU was built without libnftables support/,
    role: 'cause',
    summary: 'the run needs nftables (network lock or a netns nft ruleset) but this CRIU binary was built without libnftables',
    explanation: {
      what: 'CRIU had to lock connections with nftables (`--network-lock nftables`, or a build whose default is nftables) or restore a network namespace\'s nftables rules, and the binary has no libnftables.',
      why: 'nftables support is compiled in only when libnftables-dev is present at build time; distribution packages differ.',
      check: [
        '`ldd $(which criu) | grep nftables` (empty means no support).',
        'Use `--network-lock iptables`, or a CRIU build with libnftables.',
      ],
    },
  },
  {
    id: 'iptables-bad-rule',
    pattern: /^ip6?tables: Bad rule \(does a matching rule exist in that chain\?\)\./,
    role: 'noise',
    summary: "iptables' own stderr: the lock rule CRIU tried to delete was already gone (harmless during unlock)",
    explanation: {
      what: 'Raw stderr of the `iptables -D … -m mark ! --mark 0xC114 … -j DROP` that CRIU runs to unlock a connection.',
      why: 'The rule no longer existed (a firewall reload or flush removed it before restore). Unlocking has nothing left to do, so the outcome is not affected.',
      check: ['Confirm the run ends with `Restore finished successfully`; the next lines are `exited, status=1` and `Iptables configuration failed`.'],
    },
  },
  {
    id: 'nft-no-such-file',
    pattern: /^Error: Could not process rule: No such file or directory/,
    role: 'noise',
    summary: "libnftables' stderr: the CRIU lock table was already gone when CRIU deleted it (harmless during unlock)",
    explanation: {
      what: "Raw libnftables stderr (three lines: the error, the failing command such as `delete table inet CRIU-…`, and a ^^^^ caret line). It is not CRIU's `Error (file:line):` form.",
      why: 'During `net: Unlock network` CRIU deletes its `table inet CRIU-<id>`; ENOENT means someone (a firewall reload, `nft flush ruleset`) already removed it. The restore still succeeds.',
      check: ['If it appears while locking instead (before the dump), the lock failed: check `nft list ruleset` and the kernel\'s nf_tables support.'],
    },
  },
  {
    id: 'tool-exited',
    pattern: /^(?:exited, status=\d+|killed by signal \d+)/,
    role: 'consequence',
    summary: 'a helper command CRIU ran (iptables, an action script, …) failed; its own output is just above',
  },

  // ---- kernel feature detection -----------------------------------------------------------------
  {
    id: 'kerndat-loopback-connect-failed',
    pattern: /^Unable to connect a socket(?::|$)/,
    role: 'cause',
    summary: "kerndat's TCP-repair probe could not connect over loopback: the loopback interface is probably down in criu's network namespace",
    explanation: {
      what: "At start-up (kerndat) CRIU checks TCP repair support by listening on 127.0.0.1 (or ::1) on an ephemeral port and connecting to it from a second socket; the connect() failed before any restore work began.",
      why: 'ENETUNREACH (Network is unreachable) means there is no route to 127.0.0.1: the `lo` interface is down in the network namespace criu runs in (a freshly created netns starts with lo down). ECONNREFUSED would point at a firewall rejecting loopback traffic.',
      check: [
        '`ip link show lo` in the namespace criu runs in; bring it up with `ip link set lo up` (or `ip -n <netns> link set lo up`).',
        'Make sure criu runs in the intended network namespace (nsenter/ip netns exec).',
      ],
    },
  },
  {
    id: 'kerndat-tcp-repair-failed',
    pattern: /^kerndat_tcp_repair failed when initializing kerndat/,
    role: 'consequence',
    summary: 'follows from the failed loopback connect just above',
  },
  {
    id: 'kerndat-init-failed',
    pattern: /^Could not initialize kernel features detection/,
    role: 'consequence',
    summary: 'CRIU stops because a kernel feature probe failed; the cause is the error before',
  },
  {
    id: 'vdso-rt-bounds',
    pattern: /^vdso: Unexpected rt vDSO area bounds/,
    role: 'cause',
    summary: "this CRIU does not understand the kernel's vDSO/vvar layout: CRIU older than 4.1 on Linux 6.13+",
    explanation: {
      what: "CRIU parses its own [vdso] and [vvar] mappings at start-up to be able to remap the vDSO of restored tasks, and found areas it did not expect.",
      why: 'Linux 6.13 (x86) split the vvar area into [vvar] and [vvar_vclock]; CRIU before 4.1 (fix: criu PR #2539, issue #2532) expects vdso and vvar to be adjacent and aborts on the new layout, so every dump and restore fails.',
      check: ['`criu --version` and `uname -r`; `grep -E "vdso|vvar" /proc/self/maps`.', 'Upgrade CRIU to 4.1 or later (or run a kernel older than 6.13).'],
    },
  },

  // ---- process tree ----------------------------------------------------------------------------
  {
    id: 'fork-pid-exists',
    pattern: /^Can't fork for \d+: File exists/,
    role: 'cause',
    summary: 'the pid the task must get back is still in use on this host (a running process, or zombies that still carry it as their pgid/sid)',
    explanation: {
      what: 'CRIU restores every task with its original pid (clone3 with set_tid, or ns_last_pid); the kernel answered EEXIST: that pid is taken in the target pid namespace.',
      why:
        'A pid stays allocated while anything uses it: a live process or thread with that pid (the original still running after --leave-running, or an earlier restore of the same images), or — without any such process — zombies whose process group or session id is that pid (children of the dumped root that nobody has reaped yet).',
      check: [
        "`ps -eo pid,ppid,pgid,sid,stat,comm | awk -v p=N '$1==p || $3==p || $4==p'` with N from the message.",
        'Stop the original or the earlier restored tree; for zombies, wait until their parent (PID 1 or a subreaper) reaps them.',
        'Or restore into a fresh pid namespace (container runtimes do), where the pids are free.',
      ],
    },
  },
  {
    id: 'fork-failed',
    pattern: /^Can't fork for \d+/,
    role: 'cause',
    summary: 'CRIU could not create a task with its original pid',
    explanation: {
      what: 'clone() for a restored task failed.',
      why: 'EAGAIN: a pids cgroup limit or RLIMIT_NPROC; EPERM: not allowed to choose pids (no CAP_SYS_ADMIN/CAP_CHECKPOINT_RESTORE in the pid namespace); EINVAL: clone flags the kernel rejects.',
      check: ['`cat /sys/fs/cgroup/<target>/pids.max`, `ulimit -u`, and the capabilities criu runs with.'],
    },
  },
  {
    id: 'not-session-leader',
    pattern: /^The root process \d+ is not a session leader\. Consider using --shell-job option/,
    role: 'cause',
    summary: "the dumped root's session (and process group) leader is outside the dumped tree: it was started from a shell without setsid",
    explanation: {
      what: 'Collecting the process tree, CRIU found that the root task is not the leader of its session.',
      why: 'CRIU can only recreate sessions whose leader it restores; a process started in the background of a shell belongs to the shell\'s session. --shell-job tells CRIU to inherit the session and terminal of the restoring shell instead.',
      check: ['`ps -o pid,pgid,sid,tty,comm -p N`', 'Dump and restore with `--shell-job` (-j), or start the program with `setsid`.'],
    },
  },
  {
    id: 'criu-in-dumped-tree',
    pattern: /^The criu itself is within dumped tree/,
    role: 'cause',
    summary: 'criu was asked to dump a tree that contains criu itself',
    explanation: {
      what: 'Seizing the tree, compel found the criu process among the tasks to freeze.',
      why: 'criu cannot freeze and infect itself: it was run from inside the process tree it dumps (e.g. from a shell that is part of the container).',
      check: ['Run criu from outside the dumped tree (another shell, the host, or via the container runtime).'],
    },
  },
  {
    id: 'proc-comm-missing',
    pattern: /^Failed to open \/proc\/\d+\/comm: No such file or directory/,
    role: 'cause',
    summary: 'the pid given to dump does not exist (or exited just now)',
    explanation: {
      what: 'Seizing the tree, CRIU could not read /proc/N/comm for the task.',
      why: 'No process has that pid in CRIU\'s pid namespace: a wrong -t pid, a process that already exited, or a pid from another pid namespace (a container\'s own pid instead of the host pid).',
      check: ['`ps -p N`; for containers use the host pid (`docker inspect -f {{.State.Pid}}`, `podman inspect`, `crictl inspect`).'],
    },
  },
  {
    id: 'seize-interrupt-failed',
    pattern: /^Unable to interrupt task: \d+/,
    role: 'cause',
    summary: 'CRIU could not seize the task with ptrace (no such process, already traced, or ptrace not permitted)',
    explanation: {
      what: 'compel seizes every task with PTRACE_SEIZE + PTRACE_INTERRUPT to freeze it; that failed for the task named.',
      why: 'The errno in parentheses says why: `No such process` — the task does not exist or exited; `Operation not permitted` — it is already traced by another tracer (strace, gdb, a debugger) or ptrace is restricted (kernel.yama.ptrace_scope, missing CAP_SYS_PTRACE, an LSM).',
      check: [
        '`grep TracerPid /proc/N/status` (non-zero: detach that tracer).',
        '`sysctl kernel.yama.ptrace_scope` and the capabilities criu runs with.',
        '`ps -p N` for a vanished task.',
      ],
    },
  },
  {
    // The only Error line of a failed seize: compel's reason is the `Unable to interrupt task`
    // warning just before, so this line stands for the whole failure.
    id: 'detach-failed',
    pattern: /^Unable to detach from \d+/,
    role: 'cause',
    summary: 'CRIU could not seize the task (it does not exist, or is already traced); see the `Unable to interrupt task` warning just before',
    explanation: {
      what: 'Seizing the process tree failed, and CRIU then failed to detach from the task it never managed to seize; this is the Error line of that failure.',
      why: 'The warning `Unable to interrupt task: N (<errno>)` just before gives the reason: `No such process` — the pid does not exist or exited (see also `Failed to open /proc/N/comm`); `Operation not permitted` — another tracer (strace, gdb) already holds the task, or ptrace is restricted.',
      check: [
        '`ps -p N` and `grep TracerPid /proc/N/status` (a non-zero TracerPid is the tracer to detach).',
        '`sysctl kernel.yama.ptrace_scope` and the capabilities criu runs with (CAP_SYS_PTRACE).',
        'For containers, dump the host pid of the process (`docker inspect -f {{.State.Pid}}`, `crictl inspect`).',
      ],
    },
  },
  {
    id: 'compel-tsock-failed',
    pattern: /^Unable to get name for a socket: /,
    role: 'cause',
    summary: "compel could not use its transport socket for this task: the dumped tree spans several network namespaces",
    explanation: {
      what: "Before injecting the parasite, compel checks the transport socket CRIU prepared for the task's network namespace (`Putting tsock into pid N`); getsockname() on it failed.",
      why: 'With `Socket operation on non-socket` the descriptor is not a socket: CRIU prepared the transport for the network namespace it expected the tree to be in, and this task lives in another one (e.g. a wrapper shell in the host netns whose child was nsentered into a container netns, with criu running in one of them).',
      check: [
        "`readlink /proc/<pid>/ns/net` for every task of the tree and for criu itself.",
        'Dump the program itself rather than a wrapper, run criu in the same network namespace as the whole tree, or dump the namespaces with the container runtime.',
      ],
    },
  },
  {
    id: 'parasite-infect-failed',
    pattern: /^Can't infect \(pid: \d+\) with parasite/,
    role: 'consequence',
    summary: "CRIU could not inject its parasite code into the task; the reason is the compel error just before",
    explanation: {
      what: 'To dump a task CRIU injects a parasite blob that runs inside it; injection failed for this pid.',
      why: 'compel prints the actual reason first (transport socket, memory mapping, seccomp, signal state).',
      check: ['Read the `compel/…` error just above this line.'],
    },
  },
  {
    id: 'dump-files-failed',
    pattern: /^Dump files \(pid: \d+\) failed with -?\d+/,
    role: 'consequence',
    summary: "dumping the task's file descriptors failed; the cause is the error just before",
  },

  // ---- unix sockets -----------------------------------------------------------------------------
  {
    id: 'ext-unix-sk-needed',
    pattern: /^(?:unix: )?External socket is used\. Consider using --ext-unix-sk option\./,
    role: 'cause',
    summary: "the task's unix socket is connected to a process outside the dumped tree",
    explanation: {
      what: 'Dumping unix sockets, CRIU found one whose peer belongs to no dumped task.',
      why: 'CRIU cannot restore the other end. --ext-unix-sk lets it dump such sockets (for DGRAM sockets and stream sockets whose peer is a bound socket it can reconnect to).',
      check: ['`ss -xp` to see the peer and its owner.', 'Dump and restore with `--ext-unix-sk`, or include the peer process in the dump.'],
    },
  },
  {
    id: 'unix-half-stream',
    pattern: /^(?:unix: )?Can't dump half of stream unix connection/,
    role: 'cause',
    summary: 'a connected unix STREAM socket has its peer outside the tree; even --ext-unix-sk cannot dump half a stream connection',
    explanation: {
      what: 'With --ext-unix-sk CRIU tried to dump a connected STREAM unix socket whose peer (named in the message) is outside the tree.',
      why: 'A stream connection cannot be re-established from one side (the peer would have to accept again); only datagram sockets can be treated as external this way.',
      check: ['Include the peer process in the dump, or close the connection before dumping.', '`ss -xp | grep <peer name>` shows who holds the other end.'],
    },
  },

  // ---- files -----------------------------------------------------------------------------------
  {
    id: 'open-file-on-restore-failed',
    pattern: /^Can't open file .* on restore(?::|$)/,
    role: 'cause',
    summary: 'a file the task had open is missing or inaccessible on the restore host (paths are printed without the leading /)',
    explanation: {
      what: 'CRIU reopened a regular file the task had open at dump time; open() failed. The path is relative to the restored root, so `tmp/x` means `/tmp/x`.',
      why: 'CRIU does not carry regular files in the images (only deleted-but-open "ghost" files up to --ghost-limit): the file must exist at the same path on the target. ENOENT: deleted or not copied; EACCES: permissions; EROFS: read-only mount.',
      check: ['`ls -l /<path>` on the restore host (add the leading /).', 'Copy or recreate the file (same path, same size), or share the filesystem between the hosts.'],
    },
  },
  {
    id: 'open-file-failed',
    pattern: /^Can't open file .+: /,
    role: 'consequence',
    summary: 'repeats the failure to open the file reported just before',
  },
  {
    id: 'file-bad-size',
    pattern: /^File .+ has bad size \d+ \(expect \d+\)/,
    role: 'cause',
    summary: 'a file the task had open changed size since the dump, so CRIU refuses to reopen it',
    explanation: {
      what: 'Reopening a regular file, CRIU compared its size with the size recorded at dump time and they differ.',
      why: 'CRIU validates files by size (and build-id/mode) so a task does not resume on different contents; anything appending to the file after the dump (logs, an output file) trips it.',
      check: [
        '`stat /<path>` (add the leading /) and compare with the expected size in the message.',
        'Put the file back as it was at dump time (same size), and keep writers away from it between dump and restore.',
      ],
    },
  },
  {
    id: 'file-bad-mode',
    pattern: /^File .+ has bad mode \d+ \(expect \d+\)/,
    role: 'cause',
    summary: 'a file the task uses has different permissions on the restore host',
    explanation: {
      what: 'Reopening a file, CRIU compared its mode with the one recorded at dump time and they differ.',
      why: 'The same path on the target host has other permissions (a different build of the binary, umask, package version).',
      check: ['`stat -c %a /<path>` on both hosts; make them identical (`chmod`).'],
    },
  },

  // ---- memory tracking / pre-dump -----------------------------------------------------------------
  {
    id: 'track-mem-unavailable',
    pattern: /^Tracking memory is not available\. Consider omitting --track-mem option\./,
    role: 'cause',
    summary: 'the kernel has no soft-dirty memory tracking, so --track-mem (and iterative pre-dumps) cannot work',
    explanation: {
      what: 'CRIU was given --track-mem (or a pre-dump, which implies it) and checked kernel support for soft-dirty page tracking.',
      why: 'Memory tracking needs CONFIG_MEM_SOFT_DIRTY and a readable /proc/PID/pagemap; `criu check --all` reports `Dirty tracking is OFF` when they are missing. Some kernels (and most VMs with custom kernels) are built without it.',
      check: ['`criu check --feature mem_dirty_track`', '`grep SOFT_DIRTY /boot/config-$(uname -r)`', 'Dump without --track-mem / pre-dump (one full dump), or use a kernel with soft-dirty support.'],
    },
  },
  {
    id: 'bug-at',
    pattern: /^BUG at [^\s:]+:\d+/,
    role: 'cause',
    summary: "a CRIU internal assertion failed (BUG_ON): criu aborted on the spot, so the log simply stops",
    explanation: {
      what: 'CRIU hit one of its own consistency checks (BUG_ON) at the file:line named and aborted with SIGABRT (exit 134); nothing after this line is logged, no `FAILED` line is printed.',
      why: 'An assumption about the kernel or the images did not hold. Example: `BUG at criu/mem.c:46` in a pre-dump is BUG_ON(!kdat.has_dirty_track): the kernel has no soft-dirty tracking, which pre-dumps need.',
      check: [
        'Open the named source line for your CRIU version (the link) to see the condition.',
        'For criu/mem.c dirty tracking: `criu check --feature mem_dirty_track`; otherwise search or report at github.com/checkpoint-restore/criu/issues with the full log.',
      ],
    },
  },
  {
    id: 'dirty-tracking-off',
    pattern: /^Dirty tracking is OFF\./,
    role: 'noise',
    summary: 'only matters for pre-dump / --track-mem / lazy migration: plain dump and restore work without it',
    explanation: {
      what: '`criu check --all` (or a feature probe) found no soft-dirty memory tracking.',
      why: 'Soft-dirty tracking lets iterative pre-dumps copy only changed pages; a single full dump does not need it.',
      check: ['Ignore it unless you use pre-dump, --track-mem or lazy pages; then see `criu check --feature mem_dirty_track`.'],
    },
  },
  {
    id: 'parent-inventory-missing',
    pattern: /^Failed to read parent pre-dump inventory entry/,
    role: 'noise',
    summary: 'harmless for the outcome: the parent images given with --prev-images-dir are missing, so this dump is a full one',
    explanation: {
      what: 'The dump was pointed at a parent pre-dump (--prev-images-dir) and could not read its inventory.',
      why: 'The parent directory has no usable images (the pre-dump failed or aborted, or the path is wrong); CRIU dumps all memory instead of only the changes. The preceding `Unexpected EOF on (empty-image)` is part of the same thing.',
      check: ['If you expected an incremental dump: `ls <parent dir>` and check that the pre-dumps succeeded.'],
    },
  },
  {
    id: 'page-xfer-no-parent',
    pattern: /^page-xfer: No parent image found, though parent directory is set/,
    role: 'noise',
    summary: 'harmless for the outcome: no parent page images, so pages are dumped in full',
    explanation: {
      what: 'Writing memory pages, CRIU looked for the parent pre-dump\'s pagemap to skip unchanged pages and found none.',
      why: 'Same as `Failed to read parent pre-dump inventory entry`: the parent directory is set but empty or unusable.',
      check: ['Only if you expected an incremental dump: check the pre-dump logs and the --prev-images-dir path.'],
    },
  },

  // ---- generic consequences ---------------------------------------------------------------------
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

/**
 * The knowledge for a message (text after `Error (file:line): `, subsystem included).
 * Pass the line's level to let level-specific entries match.
 */
export function lookupMessage(text: string, level?: MessageLevel): MessageKnowledge | undefined {
  return criuMessages.find((m) => (m.level === undefined || m.level === level) && m.pattern.test(text));
}

export function messageById(id: string): MessageKnowledge | undefined {
  return criuMessages.find((m) => m.id === id);
}

const tcpStreamMissing = messageById('tcp-stream-image-missing');
const parentInventoryMissing = messageById('parent-inventory-missing');

/**
 * Like lookupMessage, refined by the neighbouring messages of the same task. The empty-image
 * EOF means different things depending on which image was missing:
 * - right after `No tcp-stream-<ino>.img image`: the missing tcp-stream image (a cause);
 * - right before `Failed to read parent pre-dump inventory entry`: a missing parent pre-dump,
 *   harmless for the outcome (reported under that warning's id).
 */
export function lookupMessageInContext(
  text: string,
  context: { level?: MessageLevel; previous?: string; next?: string } = {},
): MessageKnowledge | undefined {
  const known = lookupMessage(text, context.level);
  if (known?.id !== 'empty-image-eof') return known;
  if (context.previous !== undefined && tcpStreamMissing?.pattern.test(context.previous)) return tcpStreamMissing;
  if (context.next !== undefined && parentInventoryMissing?.pattern.test(context.next)) return parentInventoryMissing;
  return known;
}

/**
 * Link to a CRIU source line: `criu/sk-tcp.c`, 123, `4.2` →
 * https://github.com/checkpoint-restore/criu/blob/v4.2/criu/sk-tcp.c#L123.
 * A `git describe` id (`v4.2-22-g2cf8f13ca`) links the exact commit; no version links criu-dev.
 */
export function criuSourceUrl(path: string, line: number, version?: string): string {
  const ref = criuRef(version);
  const file = path.replace(/^\.?\/+/, '');
  return `https://github.com/checkpoint-restore/criu/blob/${ref}/${file}#L${line}`;
}

function criuRef(version: string | undefined): string {
  const v = version?.trim();
  if (!v) return 'criu-dev';
  const described = /-g([0-9a-f]{7,40})$/.exec(v);
  if (described) return described[1];
  return v.startsWith('v') ? v : `v${v}`;
}
