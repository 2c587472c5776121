import Shared

// Symbolic names for the flag and constant arguments strace users expect to
// read: open flags, *at() flags, mmap protections and flags, clone flags,
// signals. Values are the kernel's UAPI ones; where an architecture differs
// (open flags on arm64) both are listed.

typealias FlagTable = [(bit: UInt64, name: StaticString)]

extension Array where Element == UInt8 {
    /// `A|B|0x40` for the known bits of `value` and the unknown rest, or
    /// `zero` when the value is 0.
    mutating func appendFlags(_ value: UInt64, _ table: FlagTable, zero: StaticString = "0") {
        if value == 0 {
            appendASCII(zero)
            return
        }
        appendFlagBits(value, table, leadingBar: false)
    }

    /// Appends the names of `value`'s bits; returns whether anything was written.
    @discardableResult
    mutating func appendFlagBits(_ value: UInt64, _ table: FlagTable, leadingBar: Bool) -> Bool {
        var rest = value
        var wrote = leadingBar
        for (bit, name) in table where rest & bit == bit && bit != 0 {
            if wrote { append(UInt8(ascii: "|")) }
            appendASCII(name)
            rest &= ~bit
            wrote = true
        }
        if rest != 0 {
            if wrote { append(UInt8(ascii: "|")) }
            appendHex(rest)
            wrote = true
        }
        return wrote
    }

    /// open(2) flags: the access mode (low two bits, not a bit set), then
    /// the flag bits. O_SYNC and O_TMPFILE are two bits each and shown as one.
    mutating func appendOpenFlags(_ value: UInt64) {
        switch value & 3 {
        case 0: appendASCII("O_RDONLY")
        case 1: appendASCII("O_WRONLY")
        case 2: appendASCII("O_RDWR")
        default: appendASCII("O_ACCMODE")
        }
        var rest = value & ~3
        if rest & OpenFlags.sync == OpenFlags.sync {
            appendASCII("|O_SYNC")
            rest &= ~OpenFlags.sync
        }
        if rest & OpenFlags.tmpfile == OpenFlags.tmpfile {
            appendASCII("|O_TMPFILE")
            rest &= ~OpenFlags.tmpfile
        }
        if rest != 0 { appendFlagBits(rest, OpenFlags.bits, leadingBar: true) }
    }

    /// mmap flags: the mapping type (MAP_TYPE, low four bits) is a value,
    /// the rest are bits.
    mutating func appendMmapFlags(_ value: UInt64) {
        var wrote = true
        switch value & 0xf {
        case 1: appendASCII("MAP_SHARED")
        case 2: appendASCII("MAP_PRIVATE")
        case 3: appendASCII("MAP_SHARED_VALIDATE")
        default: wrote = false
        }
        let rest = wrote ? value & ~0xf : value
        if rest == 0 {
            if !wrote { append(UInt8(ascii: "0")) }
            return
        }
        appendFlagBits(rest, mmapFlagBits, leadingBar: wrote)
    }

    /// clone flags: the low byte (CSIGNAL) is the signal sent to the parent
    /// when the child exits, the rest are CLONE_* bits.
    mutating func appendCloneFlags(_ value: UInt64, withExitSignal: Bool) {
        let signal = withExitSignal ? value & 0xff : 0
        let bits = withExitSignal ? value & ~0xff : value
        var wrote = bits != 0 && appendFlagBits(bits, cloneFlagBits, leadingBar: false)
        if signal != 0 {
            if wrote { append(UInt8(ascii: "|")) }
            appendSignal(signal)
            wrote = true
        }
        if !wrote { append(UInt8(ascii: "0")) }
    }

    /// `SIGTERM` for 15, `SIGRT_2` for 34, the number for anything without a name.
    mutating func appendSignal(_ value: UInt64) {
        if value > 0 && value < UInt64(signalNames.count) {
            appendASCII(signalNames[Int(value)])
        } else if value > 32 && value <= 64 {
            appendASCII("SIGRT_")
            appendDecimal(value - 32)
        } else {
            appendDecimal(value)
        }
    }

    /// The name of `value` in a table of constants, else the number (in
    /// hex for values such as ioctl requests that are read as bit fields).
    mutating func appendConstant(_ value: UInt64, _ table: ConstantTable, orHex: Bool = false) {
        if let name = constantName(value, table) {
            appendASCII(name)
        } else if orHex {
            appendHex(value)
        } else {
            appendDecimal(value)
        }
    }
}

/// Named values that are not bit sets (SIG_BLOCK, F_GETFL, AF_INET...).
typealias ConstantTable = [(value: UInt64, name: StaticString)]

func constantName(_ value: UInt64, _ table: ConstantTable) -> StaticString? {
    for (known, name) in table where known == value { return name }
    return nil
}



enum OpenFlags {
    /// O_CREAT and __O_TMPFILE: the only cases where open's `mode` is read.
    static let creat: UInt64 = 0o100
    static let tmpfileBit: UInt64 = 0o20000000
    static let sync: UInt64 = 0o4010000  // __O_SYNC | O_DSYNC
    static var tmpfile: UInt64 { tmpfileBit | directory }

    #if arch(arm64)
        // arch/arm64/include/uapi/asm/fcntl.h swaps these four.
        static let directory: UInt64 = 0o40000
        static let noFollow: UInt64 = 0o100000
        static let direct: UInt64 = 0o200000
        static let largeFile: UInt64 = 0o400000
    #else
        static let directory: UInt64 = 0o200000
        static let noFollow: UInt64 = 0o400000
        static let direct: UInt64 = 0o40000
        static let largeFile: UInt64 = 0o100000
    #endif

    static let bits: FlagTable = [
        (creat, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"),
        (0o2000, "O_APPEND"), (0o4000, "O_NONBLOCK"), (0o10000, "O_DSYNC"), (0o20000, "O_ASYNC"),
        (direct, "O_DIRECT"), (largeFile, "O_LARGEFILE"), (directory, "O_DIRECTORY"),
        (noFollow, "O_NOFOLLOW"), (0o1000000, "O_NOATIME"), (0o2000000, "O_CLOEXEC"),
        (0o10000000, "O_PATH"),
    ]
}

/// AT_* flags of the *at() calls (include/uapi/linux/fcntl.h). 0x200 means
/// AT_REMOVEDIR for unlinkat and AT_EACCESS for faccessat2; it is added per
/// syscall by `atFlagTable(syscall:)`.
private let atFlagBits: FlagTable = [
    (0x100, "AT_SYMLINK_NOFOLLOW"), (0x400, "AT_SYMLINK_FOLLOW"), (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"), (0x2000, "AT_STATX_FORCE_SYNC"), (0x4000, "AT_STATX_DONT_SYNC"),
    (0x8000, "AT_RECURSIVE"),
]
let atFlagsUnlink: FlagTable = [(0x200, "AT_REMOVEDIR")] + atFlagBits
let atFlagsAccess: FlagTable = [(0x200, "AT_EACCESS")] + atFlagBits
let atFlags: FlagTable = atFlagBits

let renameFlagBits: FlagTable = [(1, "RENAME_NOREPLACE"), (2, "RENAME_EXCHANGE"), (4, "RENAME_WHITEOUT")]

let mmapProtBits: FlagTable = [
    (1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC"), (8, "PROT_SEM"),
    (0x0100_0000, "PROT_GROWSDOWN"), (0x0200_0000, "PROT_GROWSUP"),
]

private let mmapFlagBits: FlagTable = [
    (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"), (0x40, "MAP_32BIT"), (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"), (0x1000, "MAP_EXECUTABLE"), (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"), (0x8000, "MAP_POPULATE"), (0x10000, "MAP_NONBLOCK"),
    (0x20000, "MAP_STACK"), (0x40000, "MAP_HUGETLB"), (0x80000, "MAP_SYNC"),
    (0x100000, "MAP_FIXED_NOREPLACE"),
]

let mremapFlagBits: FlagTable = [(1, "MREMAP_MAYMOVE"), (2, "MREMAP_FIXED"), (4, "MREMAP_DONTUNMAP")]

private let cloneFlagBits: FlagTable = [
    (0x100, "CLONE_VM"), (0x200, "CLONE_FS"), (0x400, "CLONE_FILES"), (0x800, "CLONE_SIGHAND"),
    (0x1000, "CLONE_PIDFD"), (0x2000, "CLONE_PTRACE"), (0x4000, "CLONE_VFORK"),
    (0x8000, "CLONE_PARENT"), (0x10000, "CLONE_THREAD"), (0x20000, "CLONE_NEWNS"),
    (0x40000, "CLONE_SYSVSEM"), (0x80000, "CLONE_SETTLS"), (0x100000, "CLONE_PARENT_SETTID"),
    (0x200000, "CLONE_CHILD_CLEARTID"), (0x400000, "CLONE_DETACHED"), (0x800000, "CLONE_UNTRACED"),
    (0x1000000, "CLONE_CHILD_SETTID"), (0x2000000, "CLONE_NEWCGROUP"), (0x4000000, "CLONE_NEWUTS"),
    (0x8000000, "CLONE_NEWIPC"), (0x1000_0000, "CLONE_NEWUSER"), (0x2000_0000, "CLONE_NEWPID"),
    (0x4000_0000, "CLONE_NEWNET"), (0x8000_0000, "CLONE_IO"),
]

/// Signal numbers 1...32, the same on x86 and arm64 (asm-generic/signal.h).
private let signalNames: [StaticString] = [
    "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
    "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
    "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
    "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS", "SIGRTMIN",
]
