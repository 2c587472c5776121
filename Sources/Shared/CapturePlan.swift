import CTailtrace

/// What the recorder reads from a syscall's user memory, declared once by
/// syscall name. `tailtrace install` resolves the names to numbers for
/// x86_64 and i386 (libseccomp's tables) and writes the plans into the
/// recorders' shared "plans" map (struct tt_plan in bpf/tailtrace.h); the
/// BPF side knows no syscall by number.
public struct CapturePlan: Sendable, Equatable {
    /// One capture: which argument, read as what, and how long.
    public struct Capture: Sendable, Equatable {
        public enum Kind: UInt8, Sendable {
            case string = 1
            case buffer = 2
            /// A NULL-terminated array of strings (execve's argv): its first entries.
            case argv = 3
            case sockaddr = 4
            /// An iovec array: each vector's first bytes and its length.
            case iovec = 5
            /// A msghdr: itself, its msg_name sockaddr, its msg_iov vectors.
            case msghdr = 6
        }

        /// Where a length (or an iovec count) comes from.
        public enum Length: Sendable, Equatable {
            case none
            /// The value of argument n.
            case arg(Int)
            /// The return value (at exit: bytes read, or an fd for accept).
            case ret
            /// The socklen_t argument n points to, read at exit.
            case pointedBy(Int)
        }

        public var kind: Kind
        public var arg: Int
        public var length: Length

        var raw: tt_capture_spec {
            var s = tt_capture_spec()
            s.kind = kind.rawValue
            s.arg = UInt8(arg)
            switch length {
            case .none: s.len = UInt8(TT_LEN_NONE)
            case .arg(let n): s.len = UInt8(n)
            case .ret: s.len = UInt8(TT_LEN_RET)
            case .pointedBy(let n): s.len = UInt8(8 + n)
            }
            return s
        }
    }

    public var syscall: String
    /// Read at sys_enter: what the call is given. A string or buffer that
    /// faults here (its page not yet touched) is read again at sys_exit.
    public var enter: [Capture]
    /// Read at sys_exit: what the call filled in.
    public var exit: [Capture]

    /// The plan as the recorder's "plans" map holds it.
    public var raw: tt_plan {
        var plan = tt_plan()
        Self.store(enter, into: &plan.enter)
        Self.store(exit, into: &plan.exit)
        return plan
    }

    /// One side's captures into its fixed array of TT_PLAN_CAPTURES specs
    /// (a C array, a tuple in Swift).
    private static func store<Specs>(_ captures: [Capture], into specs: inout Specs) {
        withUnsafeMutableBytes(of: &specs) { slots in
            for (i, c) in captures.prefix(Int(TT_PLAN_CAPTURES)).enumerated() {
                slots.storeBytes(of: c.raw, toByteOffset: i * MemoryLayout<tt_capture_spec>.size, as: tt_capture_spec.self)
            }
        }
    }

    /// Every plan by its index in the "plans" map, for the native table and
    /// the compat one (i386 on x86_64); `number` resolves a syscall name in
    /// one of them (nil: no such call there).
    public static func table(number: (_ name: String, _ compat: Bool) -> Int?) -> [Int: tt_plan] {
        var table: [Int: tt_plan] = [:]
        for plan in all {
            for compat in [false, true] {
                if let nr = number(plan.syscall, compat), let index = index(nr: nr, compat: compat) {
                    table[index] = plan.raw
                }
            }
        }
        return table
    }

    /// Index of a syscall's plan in the "plans" map.
    public static func index(nr: Int, compat: Bool) -> Int? {
        guard nr >= 0, nr < Int(TT_PLAN_COMPAT_BASE) else { return nil }
        return compat ? nr + Int(TT_PLAN_COMPAT_BASE) : nr
    }
}

extension CapturePlan {
    private static func str(_ arg: Int) -> Capture { Capture(kind: .string, arg: arg, length: .none) }
    private static func buf(_ arg: Int, _ length: Capture.Length) -> Capture {
        Capture(kind: .buffer, arg: arg, length: length)
    }
    private static func addr(_ arg: Int, _ length: Capture.Length) -> Capture {
        Capture(kind: .sockaddr, arg: arg, length: length)
    }
    private static func iov(_ arg: Int, count: Int) -> Capture { Capture(kind: .iovec, arg: arg, length: .arg(count)) }
    private static let msg = Capture(kind: .msghdr, arg: 1, length: .none)

    private static func plans(_ names: [String], enter: [Capture] = [], exit: [Capture] = []) -> [CapturePlan] {
        names.map { CapturePlan(syscall: $0, enter: enter, exit: exit) }
    }

    /// Every syscall with captures, by name (x86_64 and i386 spellings; a
    /// name a table lacks is skipped there). What is deliberately not
    /// captured is in `uncaptured`.
    public static let all: [CapturePlan] =
        plans(
            [
                "open", "creat", "unlink", "chdir", "chmod", "access", "mkdir", "rmdir", "stat", "lstat", "stat64",
                "lstat64", "truncate", "truncate64", "chown", "lchown", "chown32", "lchown32", "chroot", "umount",
                "umount2", "statfs", "statfs64", "mknod", "utime", "utimes", "acct", "swapon", "swapoff", "uselib",
                "memfd_create", "fsopen", "mq_open", "mq_unlink",
            ], enter: [str(0)])
        + plans(["setxattr", "lsetxattr"], enter: [str(0), str(1), buf(2, .arg(3))])
        + plans(["getxattr", "lgetxattr"], enter: [str(0), str(1)], exit: [buf(2, .ret)])
        + plans(["listxattr", "llistxattr"], enter: [str(0)], exit: [buf(1, .ret)])
        + plans(["removexattr", "lremovexattr"], enter: [str(0), str(1)])
        + plans(["fsetxattr"], enter: [str(1), buf(2, .arg(3))])
        + plans(["fgetxattr"], enter: [str(1)], exit: [buf(2, .ret)])
        + plans(["fremovexattr"], enter: [str(1)])
        + plans(["flistxattr"], exit: [buf(1, .ret)])
        + plans(["getxattrat", "setxattrat", "removexattrat"], enter: [str(1), str(3)])
        + plans(["listxattrat"], enter: [str(1)])
        + plans(["fspick", "mount_setattr", "open_tree_attr", "file_getattr", "file_setattr"], enter: [str(1)])
        + plans(["fsconfig"], enter: [str(2)])
        + plans(["add_key"], enter: [str(0), str(1)])
        + plans(["request_key"], enter: [str(0), str(1), str(2)])
        + plans(["mq_timedsend"], enter: [buf(1, .arg(2))])
        + plans(["mq_timedreceive"], exit: [buf(1, .ret)])
        + plans(["setsockopt"], enter: [buf(3, .arg(4))])
        + plans(["getsockopt"], exit: [buf(3, .pointedBy(4))])
        + plans(
            [
                "openat", "mkdirat", "mknodat", "fchownat", "newfstatat", "fstatat64", "unlinkat", "fchmodat",
                "fchmodat2", "faccessat", "faccessat2", "utimensat", "futimesat", "statx", "openat2",
                "name_to_handle_at", "inotify_add_watch", "open_tree",
            ], enter: [str(1)])
        + plans(["readlink"], enter: [str(0)], exit: [buf(1, .ret)])
        + plans(["readlinkat"], enter: [str(1)], exit: [buf(2, .ret)])
        + plans(["getcwd"], exit: [buf(0, .ret)])
        + plans(["execve"], enter: [str(0), Capture(kind: .argv, arg: 1, length: .none)])
        + plans(["execveat"], enter: [str(1), Capture(kind: .argv, arg: 2, length: .none)])
        + plans(["rename", "link", "symlink", "pivot_root"], enter: [str(0), str(1)])
        + plans(["mount"], enter: [str(0), str(1), str(2)])
        + plans(["renameat", "renameat2", "linkat", "move_mount"], enter: [str(1), str(3)])
        + plans(["symlinkat"], enter: [str(0), str(2)])
        + plans(["write", "pwrite64"], enter: [buf(1, .arg(2))])
        + plans(["read", "pread64"], exit: [buf(1, .ret)])
        + plans(["sendto"], enter: [buf(1, .arg(2)), addr(4, .arg(5))])
        + plans(["recvfrom"], exit: [buf(1, .ret), addr(4, .pointedBy(5))])
        + plans(["connect", "bind"], enter: [addr(1, .arg(2))])
        + plans(["accept", "accept4", "getsockname", "getpeername"], exit: [addr(1, .pointedBy(2))])
        + plans(["writev", "pwritev", "pwritev2"], enter: [iov(1, count: 2)])
        + plans(["readv", "preadv", "preadv2"], exit: [iov(1, count: 2)])
        + plans(["sendmsg"], enter: [msg])
        + plans(["recvmsg"], exit: [msg])

    /// Syscalls with pointer arguments the recorder leaves as numbers, and why.
    public static let uncaptured: [String: String] = [
        "sendmmsg": "vectors of msghdrs: only the call is recorded",
        "recvmmsg": "vectors of msghdrs: only the call is recorded",
        "fanotify_mark": "rare in containers",
        "quotactl": "rare in containers",
        "quotactl_fd": "rare in containers",
        "sethostname": "rare in containers",
        "setdomainname": "rare in containers",
        "syslog": "the kernel log",
        "process_vm_readv": "another process's memory",
        "process_vm_writev": "another process's memory",
        "process_madvise": "address ranges, not data",
        "vmsplice": "pipe pages, not data the call reads or writes itself",
        "getrandom": "random bytes: no use to a reader, and secret",
        "add_key.payload": "a key's payload is secret",
        "fsconfig.value": "mount options may carry secrets",
        "futex_wait": "a futex word, not data",
        "futex_wake": "a futex word, not data",
        "io_uring_enter": "io_uring's own memory",
        "io_uring_register": "io_uring's own memory",
        "landlock_add_rule": "a rule struct",
        "mincore": "a result vector of page bits",
        "modify_ldt": "descriptor tables",
        "move_pages": "page address arrays",
        "pselect6": "a sigmask struct",
        "reboot": "rare in containers",
        "seccomp": "a BPF filter program",
        "shmat": "an address, not data",
        "shmdt": "an address, not data",
        "bpf": "BPF attributes",
        "perf_event_open": "perf attributes",
        "ioctl": "request-specific memory",
        "prctl": "option-specific memory",
    ]
}
