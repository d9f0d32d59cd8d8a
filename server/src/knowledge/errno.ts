/**
 * Linux errno values as data (x86_64 numbering, glibc strerror texts as CRIU prints them).
 * CRIU logs carry only the text (`pr_perror` appends `: <strerror>`, libnet and compel put it in
 * parentheses), so the text is the key we look errors up by.
 */
export interface ErrnoInfo {
  /** Symbolic name, e.g. `EPERM`. */
  name: string;
  number: number;
  /** glibc strerror() text, e.g. `Operation not permitted`. */
  text: string;
  /** One or two plain sentences: what it generally means. */
  meaning: string;
  /** Other names for the same number (`EWOULDBLOCK` for `EAGAIN`, `ENOTSUP` for `EOPNOTSUPP`). */
  aliases?: readonly string[];
}

export const errnos: readonly ErrnoInfo[] = [
  { name: 'EPERM', number: 1, text: 'Operation not permitted', meaning: 'The caller lacks a privilege or capability the operation needs, or a policy (netfilter, seccomp, LSM, ptrace rules) refused it. Unlike EACCES it is usually not about file permission bits.' },
  { name: 'ENOENT', number: 2, text: 'No such file or directory', meaning: 'A path, or a kernel object named by one (a /proc entry, a netfilter table or rule), does not exist.' },
  { name: 'ESRCH', number: 3, text: 'No such process', meaning: 'No process or thread has the given pid, or it exited (or became a zombie) before the call reached it.' },
  { name: 'EINTR', number: 4, text: 'Interrupted system call', meaning: 'A signal arrived while the call was blocked; the call was aborted and may simply be retried.' },
  { name: 'EIO', number: 5, text: 'Input/output error', meaning: 'A low-level I/O error: a failing disk or device, a broken network filesystem, or a hung-up terminal.' },
  { name: 'ENXIO', number: 6, text: 'No such device or address', meaning: 'The device behind a special file is missing or not configured, or a FIFO has no reader.' },
  { name: 'E2BIG', number: 7, text: 'Argument list too long', meaning: 'The arguments plus environment given to exec are larger than the kernel accepts.' },
  { name: 'ENOEXEC', number: 8, text: 'Exec format error', meaning: 'The file is not a binary this kernel can run (wrong architecture, corrupt, or a script without #!).' },
  { name: 'EBADF', number: 9, text: 'Bad file descriptor', meaning: 'The file descriptor is not open, or not open for the requested kind of access.' },
  { name: 'ECHILD', number: 10, text: 'No child processes', meaning: 'wait() found no child to wait for: it was already reaped, or is not a child of the caller.' },
  { name: 'EAGAIN', number: 11, text: 'Resource temporarily unavailable', meaning: 'The operation would block on a non-blocking descriptor, or a resource limit was momentarily hit; retrying later may work.', aliases: ['EWOULDBLOCK'] },
  { name: 'ENOMEM', number: 12, text: 'Cannot allocate memory', meaning: 'The kernel could not allocate memory or address space for the request (or a memory cgroup limit was hit).' },
  { name: 'EACCES', number: 13, text: 'Permission denied', meaning: 'File permission bits, ACLs or an LSM (SELinux, AppArmor) denied access to a file or object.' },
  { name: 'EFAULT', number: 14, text: 'Bad address', meaning: 'A pointer passed to the kernel points outside the accessible address space.' },
  { name: 'ENOTBLK', number: 15, text: 'Block device required', meaning: 'A block device was expected (for example as a mount source) but something else was given.' },
  { name: 'EBUSY', number: 16, text: 'Device or resource busy', meaning: 'The object is in use and cannot be changed right now: a mounted filesystem, an attached device, a held lock.' },
  { name: 'EEXIST', number: 17, text: 'File exists', meaning: 'The object to be created already exists: a file, a link, a netfilter table or chain, or (for clone with a chosen pid) the pid.' },
  { name: 'EXDEV', number: 18, text: 'Invalid cross-device link', meaning: 'A link or rename would cross filesystems or mounts, which the kernel does not allow.' },
  { name: 'ENODEV', number: 19, text: 'No such device', meaning: 'The device or filesystem type is not known to the kernel, or its driver is not loaded.' },
  { name: 'ENOTDIR', number: 20, text: 'Not a directory', meaning: 'A component of a path that must be a directory is not one.' },
  { name: 'EISDIR', number: 21, text: 'Is a directory', meaning: 'A file operation was attempted on a directory.' },
  { name: 'EINVAL', number: 22, text: 'Invalid argument', meaning: 'An argument is invalid for this call: a bad flag or size, or an operation the object does not support in its current state.' },
  { name: 'ENFILE', number: 23, text: 'Too many open files in system', meaning: 'The system-wide limit on open files (fs.file-max) has been reached.' },
  { name: 'EMFILE', number: 24, text: 'Too many open files', meaning: "The process's open-file limit (RLIMIT_NOFILE) has been reached." },
  { name: 'ENOTTY', number: 25, text: 'Inappropriate ioctl for device', meaning: 'The ioctl is not supported by this kind of file (often: not a terminal, or an ioctl the kernel is too old to know).' },
  { name: 'ETXTBSY', number: 26, text: 'Text file busy', meaning: 'The file is an executable being run and cannot be written, or is open for writing and cannot be executed.' },
  { name: 'EFBIG', number: 27, text: 'File too large', meaning: 'The write would exceed the maximum file size (filesystem limit or RLIMIT_FSIZE).' },
  { name: 'ENOSPC', number: 28, text: 'No space left on device', meaning: 'The filesystem has no free blocks or inodes left (or a tmpfs/cgroup size limit was reached).' },
  { name: 'ESPIPE', number: 29, text: 'Illegal seek', meaning: 'lseek was used on a pipe, socket or FIFO, which have no file position.' },
  { name: 'EROFS', number: 30, text: 'Read-only file system', meaning: 'The write targets a filesystem or mount that is read-only.' },
  { name: 'EMLINK', number: 31, text: 'Too many links', meaning: 'The file already has the maximum number of hard links (or a directory the maximum of subdirectories).' },
  { name: 'EPIPE', number: 32, text: 'Broken pipe', meaning: 'A write went to a pipe or socket whose reading end is closed.' },
  { name: 'EDOM', number: 33, text: 'Numerical argument out of domain', meaning: 'A math argument is outside the function\'s domain.' },
  { name: 'ERANGE', number: 34, text: 'Numerical result out of range', meaning: 'A result does not fit the type or buffer provided.' },
  { name: 'EDEADLK', number: 35, text: 'Resource deadlock avoided', meaning: 'The lock request would deadlock, so the kernel refused it.', aliases: ['EDEADLOCK'] },
  { name: 'ENAMETOOLONG', number: 36, text: 'File name too long', meaning: 'A path or one of its components exceeds PATH_MAX or NAME_MAX (a unix socket path is limited to 108 bytes).' },
  { name: 'ENOLCK', number: 37, text: 'No locks available', meaning: 'The system ran out of file-lock resources.' },
  { name: 'ENOSYS', number: 38, text: 'Function not implemented', meaning: 'The system call does not exist in this kernel, or is blocked by a seccomp filter that returns ENOSYS.' },
  { name: 'ENOTEMPTY', number: 39, text: 'Directory not empty', meaning: 'The directory to remove or replace still has entries.' },
  { name: 'ELOOP', number: 40, text: 'Too many levels of symbolic links', meaning: 'Resolving the path hit a symlink loop, or a symlink where O_NOFOLLOW forbids one.' },
  { name: 'ENOMSG', number: 42, text: 'No message of desired type', meaning: 'No message of the requested type is queued (System V message queues).' },
  { name: 'EIDRM', number: 43, text: 'Identifier removed', meaning: 'The System V IPC object was removed.' },
  { name: 'ENODATA', number: 61, text: 'No data available', meaning: 'The requested data (for example an extended attribute) does not exist.' },
  { name: 'ETIME', number: 62, text: 'Timer expired', meaning: 'A timer or timeout expired.' },
  { name: 'EPROTO', number: 71, text: 'Protocol error', meaning: 'A protocol-level error occurred (netlink, USB, network filesystems).' },
  { name: 'EBADMSG', number: 74, text: 'Bad message', meaning: 'A message or data structure was malformed.' },
  { name: 'EOVERFLOW', number: 75, text: 'Value too large for defined data type', meaning: 'A value (file size, offset, id) does not fit the type used to return it.' },
  { name: 'EBADFD', number: 77, text: 'File descriptor in bad state', meaning: 'The file descriptor is valid but in a state that does not allow the operation.' },
  { name: 'EILSEQ', number: 84, text: 'Invalid or incomplete multibyte or wide character', meaning: 'A byte sequence is not valid in the current character encoding.' },
  { name: 'ERESTART', number: 85, text: 'Interrupted system call should be restarted', meaning: 'The call was interrupted and should be restarted.' },
  { name: 'EUSERS', number: 87, text: 'Too many users', meaning: 'A per-user limit was reached.' },
  { name: 'ENOTSOCK', number: 88, text: 'Socket operation on non-socket', meaning: 'A socket call was made on a file descriptor that is not a socket.' },
  { name: 'EDESTADDRREQ', number: 89, text: 'Destination address required', meaning: 'A send on an unconnected socket needs a destination address.' },
  { name: 'EMSGSIZE', number: 90, text: 'Message too long', meaning: 'The message is larger than the socket or protocol allows in one piece (datagram size, MTU without fragmentation).' },
  { name: 'EPROTOTYPE', number: 91, text: 'Protocol wrong type for socket', meaning: 'The protocol does not match the socket type.' },
  { name: 'ENOPROTOOPT', number: 92, text: 'Protocol not available', meaning: 'The socket option or level is not known to this kernel or protocol (often: a kernel too old for the option).' },
  { name: 'EPROTONOSUPPORT', number: 93, text: 'Protocol not supported', meaning: 'The protocol is not supported, or its kernel module is not loaded.' },
  { name: 'ESOCKTNOSUPPORT', number: 94, text: 'Socket type not supported', meaning: 'The socket type is not supported in this address family.' },
  { name: 'EOPNOTSUPP', number: 95, text: 'Operation not supported', meaning: 'The object or kernel does not support the operation (a filesystem feature, a socket operation, a missing kernel config option).', aliases: ['ENOTSUP'] },
  { name: 'EPFNOSUPPORT', number: 96, text: 'Protocol family not supported', meaning: 'The protocol family is not supported by this kernel.' },
  { name: 'EAFNOSUPPORT', number: 97, text: 'Address family not supported by protocol', meaning: 'The address family (for example IPv6 when it is disabled) is not supported.' },
  { name: 'EADDRINUSE', number: 98, text: 'Address already in use', meaning: 'Another socket already holds the local address and port in a way that forbids sharing it (SO_REUSEADDR does not let two sockets listen on one port).' },
  { name: 'EADDRNOTAVAIL', number: 99, text: 'Cannot assign requested address', meaning: 'The local address is not configured on any interface of this network namespace, or no local port is free for it.' },
  { name: 'ENETDOWN', number: 100, text: 'Network is down', meaning: 'The network interface needed is down.' },
  { name: 'ENETUNREACH', number: 101, text: 'Network is unreachable', meaning: 'There is no route to the destination network in this namespace (for example the loopback interface is down, or no default route).' },
  { name: 'ENETRESET', number: 102, text: 'Network dropped connection on reset', meaning: 'The connection was dropped because the network was reset.' },
  { name: 'ECONNABORTED', number: 103, text: 'Software caused connection abort', meaning: 'The connection was aborted locally, for example before accept() picked it up.' },
  { name: 'ECONNRESET', number: 104, text: 'Connection reset by peer', meaning: 'The peer (or a firewall between) answered with a TCP RST.' },
  { name: 'ENOBUFS', number: 105, text: 'No buffer space available', meaning: 'The kernel ran out of socket buffers or a queue is full.' },
  { name: 'EISCONN', number: 106, text: 'Transport endpoint is already connected', meaning: 'connect() was called on a socket that is already connected.' },
  { name: 'ENOTCONN', number: 107, text: 'Transport endpoint is not connected', meaning: 'The operation needs a connected socket and this one is not (or no longer) connected.' },
  { name: 'ESHUTDOWN', number: 108, text: 'Cannot send after transport endpoint shutdown', meaning: 'The socket was shut down for writing and cannot send any more.' },
  { name: 'ETOOMANYREFS', number: 109, text: 'Too many references: cannot splice', meaning: 'Too many file descriptors are in flight over unix sockets.' },
  { name: 'ETIMEDOUT', number: 110, text: 'Connection timed out', meaning: 'The peer did not answer in time (SYNs or data went unacknowledged).' },
  { name: 'ECONNREFUSED', number: 111, text: 'Connection refused', meaning: 'Nothing listens on the destination port, or a firewall rejected the connection with a RST.' },
  { name: 'EHOSTDOWN', number: 112, text: 'Host is down', meaning: 'The destination host is down.' },
  { name: 'EHOSTUNREACH', number: 113, text: 'No route to host', meaning: 'The destination host cannot be reached (no route, failed neighbour resolution, or an ICMP host-unreachable/REJECT).' },
  { name: 'EALREADY', number: 114, text: 'Operation already in progress', meaning: 'A non-blocking connect is already in progress on this socket.' },
  { name: 'EINPROGRESS', number: 115, text: 'Operation now in progress', meaning: 'A non-blocking connect was started and will complete later; this is normal, not a failure.' },
  { name: 'ESTALE', number: 116, text: 'Stale file handle', meaning: 'A file handle (typically NFS) refers to a file that no longer exists on the server.' },
  { name: 'EUCLEAN', number: 117, text: 'Structure needs cleaning', meaning: 'The filesystem found corruption and needs fsck.' },
  { name: 'EREMOTEIO', number: 121, text: 'Remote I/O error', meaning: 'An I/O error occurred on a remote device.' },
  { name: 'EDQUOT', number: 122, text: 'Disk quota exceeded', meaning: 'The user or project disk quota is exhausted.' },
  { name: 'ENOMEDIUM', number: 123, text: 'No medium found', meaning: 'The removable device has no medium in it.' },
  { name: 'ECANCELED', number: 125, text: 'Operation canceled', meaning: 'The operation was canceled before it completed.' },
  { name: 'ENOKEY', number: 126, text: 'Required key not available', meaning: 'A needed key is not in the keyring.' },
  { name: 'EKEYEXPIRED', number: 127, text: 'Key has expired', meaning: 'The key has expired.' },
  { name: 'EKEYREVOKED', number: 128, text: 'Key has been revoked', meaning: 'The key has been revoked.' },
  { name: 'EKEYREJECTED', number: 129, text: 'Key was rejected by service', meaning: 'The key was rejected.' },
  { name: 'EOWNERDEAD', number: 130, text: 'Owner died', meaning: 'The owner of a robust mutex died while holding it.' },
  { name: 'ENOTRECOVERABLE', number: 131, text: 'State not recoverable', meaning: 'A robust mutex is in an unrecoverable state.' },
  { name: 'ERFKILL', number: 132, text: 'Operation not possible due to RF-kill', meaning: 'A radio device is blocked by RF-kill.' },
  { name: 'EHWPOISON', number: 133, text: 'Memory page has hardware error', meaning: 'The memory page has an uncorrectable hardware error.' },
];

const byName = new Map<string, ErrnoInfo>();
const byText = new Map<string, ErrnoInfo>();
for (const e of errnos) {
  byName.set(e.name, e);
  for (const alias of e.aliases ?? []) byName.set(alias, e);
  byText.set(e.text, e);
}

/** `Operation not permitted` → EPERM. Exact glibc text; surrounding blanks are ignored. */
export function errnoByText(text: string): ErrnoInfo | undefined {
  return byText.get(text.trim());
}

/** `EPERM`, `eperm`, `EWOULDBLOCK` (alias) → the entry. */
export function errnoByName(name: string): ErrnoInfo | undefined {
  return byName.get(name.trim().toUpperCase());
}

export function errnoByNumber(n: number): ErrnoInfo | undefined {
  return errnos.find((e) => e.number === n);
}

let errnoTextPattern: RegExp | undefined;

/**
 * Where the strerror text sits in a message, the way CRIU prints it: after `: ` (pr_perror),
 * or inside parentheses (libnet's `(Operation not permitted)`, compel's `(No such process)`).
 * It must end the message (trailing blanks and a period allowed) or be followed by `)`, `,`, `;`
 * or a new parenthesis, so prose that merely contains the words does not count.
 */
function textPattern(): RegExp {
  if (!errnoTextPattern) {
    // Longest first, so `Too many open files in system` wins over `Too many open files`.
    const texts = [...byText.keys()].sort((a, b) => b.length - a.length);
    const alternatives = texts.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    errnoTextPattern = new RegExp(`(?<=: |\\()(?:${alternatives})(?=\\.?\\s*$|\\)|[,;]|\\s+[(\\[])`, 'g');
  }
  return errnoTextPattern;
}

/**
 * Finds the errno text in a CRIU message and returns the last occurrence (a message can quote an
 * earlier error; the final one is the call that failed), with its exact span: `start` is the
 * offset of the first character, `end` the offset just after the last one.
 */
export function findErrnoInMessage(message: string): { info: ErrnoInfo; start: number; end: number } | undefined {
  const re = textPattern();
  re.lastIndex = 0;
  let found: { info: ErrnoInfo; start: number; end: number } | undefined;
  for (let m = re.exec(message); m; m = re.exec(message)) {
    const info = byText.get(m[0]);
    if (info) found = { info, start: m.index, end: m.index + m[0].length };
  }
  return found;
}

/**
 * For the errnos CRIU users hit most: what typically returns it during a checkpoint/restore and
 * what to check. Keyed by errno name.
 */
export const errnoInCriuContext: Record<string, string> = {
  EPERM:
    "On the forged FIN/ACK (`Unable to send a fin packet`) it means netfilter dropped the 0xC114-marked packet on the local-out path or the conntrack table is full: check `iptables-save`, `iptables-legacy-save`, `nft list ruleset` for mark-matching drops (KUBE-FIREWALL's 0x8000/0x8000) and `dmesg | grep conntrack`. Elsewhere it is a missing capability or policy: CRIU not running as real root (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE), a seccomp profile, or ptrace refused because the task is already traced (strace, gdb) or by kernel.yama.ptrace_scope.",
  EACCES:
    'An open or exec of a file, image or /proc entry was denied by permission bits or an LSM: check that CRIU runs as root, that the images directory and restored paths are accessible, and `dmesg`/audit.log for SELinux or AppArmor denials.',
  EADDRINUSE:
    'bind() of a restored socket hit a port another socket holds: typically a LISTEN socket on the same address:port (the original process still running, a restarted service). Find it with `ss -tlnp` (or `ss -ulnp`) and stop it; repair-mode (connected) TCP sockets are not affected.',
  EADDRNOTAVAIL:
    "bind() or connect() of a restored socket used an address that does not exist in the restore's network namespace: the pod/container got a new IP on the target node, or the restore runs in the wrong netns. Compare the socket's src_addr in the log with `ip -br addr` there; restore into the same addresses (or a netns with them).",
  ENETUNREACH:
    "A connect() had no route in CRIU's network namespace; at start-up kerndat's TCP-repair probe connects over 127.0.0.1, so this usually means the loopback interface is down in the netns where criu runs: check `ip link show lo` there and `ip link set lo up`.",
  EEXIST:
    'On `Can\'t fork for N` the pid N is still in use: a process or thread has it, or zombies still use it as their process group or session id. Check `ps -eo pid,pgid,sid,stat,comm` for N in any column. From netfilter tools it means the rule, chain or table already exists.',
  ESRCH:
    'The task is gone: the pid given to dump does not exist, or a task exited (or became a zombie) during seize. Check `ps -p N` and that you dump the right pid.',
  ENOENT:
    'A file CRIU needs is missing: on restore a file the process had open (paths are printed without the leading `/`) or an image file (empty or wrong `-D` directory); during unlock a lock rule or nft table that was already removed (harmless). Check the path on the target and `ls` the images directory.',
  EINVAL:
    'The kernel rejected an argument: commonly a feature or namespace the running kernel does not support the way the image needs (setns into a namespace of the wrong type, an IPv6 bind without that address), or an image from a different CRIU version. Compare kernel and CRIU versions between dump and restore, and run `criu check --all`.',
  EBUSY:
    'A resource CRIU wants to take over is in use: a mount point, a device, or a socket port with a conflicting user. Check `findmnt` and `fuser -v` on the object.',
  ENOSPC:
    'The filesystem holding the images (or a tmpfs / overlay upper dir, or the inode count) is full, or a kernel table such as the pid or inotify limit is exhausted. Check `df -h` and `df -i` on the `-D` directory.',
  ENOMEM:
    'The kernel could not allocate memory: large socket queues on restore (CRIU retries with smaller chunks first), a memory cgroup limit of the target container, or vm.max_map_count. Check `dmesg` for OOM and the memory limit of the target cgroup.',
  EAGAIN:
    'A temporary limit was hit: fork() under a pids cgroup limit or RLIMIT_NPROC, or a non-blocking operation that would block. Check `pids.max` of the target cgroup and `ulimit -u`.',
  ENOTSOCK:
    'A socket call was made on a descriptor that is not a socket; compel reports it when its transport socket for the parasite does not exist in the task\'s network namespace (the dumped tree spans several network namespaces). Dump the process itself rather than a wrapper that lives in another netns.',
  EBADF:
    'A descriptor was not open when CRIU used it: usually an inconsistent image (dumped by another CRIU version) or a file descriptor closed by an inherited-fd or external-resource option that was not passed on restore (`--inherit-fd`, `--external`).',
  ENOSYS:
    'A system call CRIU needs is missing in this kernel or blocked by seccomp (container runtimes\' default profiles): run `criu check --all` on the host and check the seccomp profile of the container running CRIU.',
  EOPNOTSUPP:
    'The kernel or filesystem does not support an operation the image needs (a socket option, a file lock type, a filesystem feature), or a kernel config option is off. Run `criu check --all` and compare kernel configs of the two nodes.',
};
