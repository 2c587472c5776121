/// strace's syscall classes (`-e trace=%file` and friends), by syscall name.
///
/// Membership is strace's own: the TF, TD, TN, TP, TS, TM and TI flags of
/// its syscall tables (src/linux/x86_64/syscallent.h, the common table
/// from 424 on, and the i386 table for the names only i386 has).
/// %file takes a file name, %desc takes or returns a file descriptor,
/// %network is the socket API, %process creates, runs, waits for or ends
/// processes, %signal handles signals, %memory maps memory, %ipc is System V
/// IPC. A call can be in several.
public enum SyscallClass: String, CaseIterable, Sendable {
    case file, desc, network, process, signal, memory, ipc

    /// `file`, `%file`, and strace's `net` for network.
    public init?(name: String) {
        let bare = name.hasPrefix("%") ? String(name.dropFirst()) : name
        if bare == "net" {
            self = .network
            return
        }
        self.init(rawValue: bare)
    }

    public static func classes(of syscall: String) -> Set<SyscallClass> {
        membership[syscall] ?? []
    }

    private static let membership: [String: Set<SyscallClass>] = {
        var table: [String: Set<SyscallClass>] = [:]
        for (classes, names) in groups {
            for name in names { table[name, default: []].formUnion(classes) }
        }
        return table
    }()

    private static let groups: [(Set<SyscallClass>, [String])] = [
        (
            [.desc],
            [
                "read", "write", "close", "fstat", "poll", "lseek", "ioctl", "pread64", "pwrite64", "readv", "writev",
                "pipe", "select", "dup", "dup2", "fcntl", "flock", "fsync", "fdatasync", "ftruncate", "getdents",
                "fchdir", "fchmod", "fchown", "fstatfs", "readahead", "fsetxattr", "fgetxattr", "flistxattr",
                "fremovexattr", "epoll_create", "getdents64", "fadvise64", "epoll_wait", "epoll_ctl", "mq_open",
                "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr", "inotify_init", "inotify_rm_watch",
                "pselect6", "ppoll", "splice", "tee", "sync_file_range", "vmsplice", "epoll_pwait", "timerfd_create",
                "eventfd", "fallocate", "timerfd_settime", "timerfd_gettime", "eventfd2", "epoll_create1", "dup3",
                "pipe2", "inotify_init1", "preadv", "pwritev", "perf_event_open", "fanotify_init",
                "open_by_handle_at", "syncfs", "setns", "finit_module", "memfd_create", "kexec_file_load", "bpf",
                "userfaultfd", "copy_file_range", "preadv2", "pwritev2", "io_uring_setup", "fsopen", "fsmount",
                "pidfd_open", "pidfd_getfd", "process_madvise", "epoll_pwait2", "quotactl_fd",
                "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "memfd_secret",
                "process_mrelease", "cachestat",
                // i386 only
                "_llseek", "fstat64", "fcntl64", "ftruncate64", "fchown32", "fstatfs64", "_newselect", "readdir",
                "oldfstat", "ppoll_time64", "pselect6_time64", "mq_timedsend_time64", "mq_timedreceive_time64",
                "timerfd_settime64", "timerfd_gettime64",
            ]
        ),
        (
            [.desc, .file],
            [
                "open", "creat", "inotify_add_watch", "openat", "mkdirat", "mknodat", "fchownat", "futimesat",
                "newfstatat", "unlinkat", "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat", "faccessat",
                "utimensat", "fanotify_mark", "name_to_handle_at", "renameat2", "statx", "open_tree", "move_mount",
                "fsconfig", "fspick", "openat2", "faccessat2", "mount_setattr", "fchmodat2", "setxattrat",
                "getxattrat",
                // i386 only
                "fstatat64", "utimensat_time64",
            ]
        ),
        ([.desc, .memory], ["mmap", "io_uring_register", "mmap2"]),
        ([.desc, .network], ["sendfile", "sendfile64"]),
        ([.desc, .signal], ["signalfd", "signalfd4", "io_uring_enter"]),
        ([.desc, .file, .process], ["execveat"]),
        ([.desc, .signal, .process], ["pidfd_send_signal"]),
        (
            [.file],
            [
                "stat", "lstat", "access", "truncate", "getcwd", "chdir", "rename", "mkdir", "rmdir", "link",
                "unlink", "symlink", "readlink", "chmod", "chown", "lchown", "utime", "mknod", "uselib", "statfs",
                "pivot_root", "chroot", "acct", "mount", "umount2", "swapon", "swapoff", "quotactl", "setxattr",
                "lsetxattr", "getxattr", "lgetxattr", "listxattr", "llistxattr", "removexattr", "lremovexattr",
                "utimes",
                // i386 only
                "stat64", "lstat64", "truncate64", "chown32", "lchown32", "statfs64", "umount", "oldstat",
                "oldlstat",
            ]
        ),
        ([.file, .process], ["execve"]),
        (
            [.memory],
            [
                "mprotect", "munmap", "brk", "mremap", "msync", "mincore", "madvise", "mlock", "munlock", "mlockall",
                "munlockall", "io_setup", "io_destroy", "remap_file_pages", "mbind", "set_mempolicy",
                "get_mempolicy", "migrate_pages", "move_pages", "mlock2", "pkey_mprotect", "set_mempolicy_home_node",
                "map_shadow_stack", "mseal",
            ]
        ),
        (
            [.ipc],
            [
                "shmget", "shmctl", "semget", "semop", "semctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semtimedop",
                "ipc", "semtimedop_time64",
            ]
        ),
        ([.ipc, .memory], ["shmat", "shmdt"]),
        (
            [.signal],
            [
                "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "pause", "rt_sigpending", "rt_sigtimedwait",
                "rt_sigsuspend", "sigaltstack",
                // i386 only
                "sigaction", "sigprocmask", "signal", "sigreturn", "sigsuspend", "sigpending", "sgetmask",
                "ssetmask", "rt_sigtimedwait_time64",
            ]
        ),
        ([.signal, .process], ["kill", "rt_sigqueueinfo", "tkill", "tgkill", "rt_tgsigqueueinfo"]),
        (
            [.network],
            [
                "socket", "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown", "bind",
                "listen", "getsockname", "getpeername", "socketpair", "setsockopt", "getsockopt", "getpmsg",
                "putpmsg", "accept4", "recvmmsg", "sendmmsg",
                // i386 only
                "socketcall", "send", "recv", "recvmmsg_time64",
            ]
        ),
        ([.process], ["clone", "fork", "vfork", "exit", "wait4", "exit_group", "waitid", "clone3", "waitpid"]),
    ]
}
