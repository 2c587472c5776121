import Shared

// Symbolic names for the flag and constant arguments strace users expect to
// read: open flags, *at() flags, mmap protections and flags, clone flags,
// signals. Values are the kernel's UAPI ones; where an architecture differs
// (open flags on arm64) both are listed.

typealias FlagTable = [(bit: UInt64, name: StaticString)]

extension ByteSink where Self: ~Copyable {
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

    /// statx flags as strace shows them: the sync type (a two-bit value,
    /// AT_STATX_SYNC_AS_STAT when 0) first, then the AT_* bits.
    mutating func appendStatxFlags(_ value: UInt64) {
        switch value & 0x6000 {
        case 0: appendASCII("AT_STATX_SYNC_AS_STAT")
        case 0x2000: appendASCII("AT_STATX_FORCE_SYNC")
        case 0x4000: appendASCII("AT_STATX_DONT_SYNC")
        default: appendHex(0x6000)
        }
        let rest = value & ~0x6000
        if rest != 0 { appendFlagBits(rest, atFlagBits, leadingBar: true) }
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

/// access/faccessat modes (R_OK...); 0 is F_OK.
let accessModeBits: FlagTable = [(4, "R_OK"), (2, "W_OK"), (1, "X_OK")]

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

/// rt_sigprocmask's `how` (asm-generic/signal-defs.h).
let sigprocmaskHows: ConstantTable = [(0, "SIG_BLOCK"), (1, "SIG_UNBLOCK"), (2, "SIG_SETMASK")]

/// wait4/waitid/waitpid options (include/uapi/linux/wait.h).
let waitOptionBits: FlagTable = [
    (1, "WNOHANG"), (2, "WUNTRACED"), (4, "WEXITED"), (8, "WCONTINUED"), (0x100_0000, "WNOWAIT"),
    (0x2000_0000, "__WNOTHREAD"), (0x4000_0000, "__WALL"), (0x8000_0000, "__WCLONE"),
]

/// fcntl commands (asm-generic/fcntl.h, linux/fcntl.h). 12...14 are the
/// *LK64 commands of 32-bit tasks (fcntl64).
let fcntlCommands: ConstantTable = [
    (0, "F_DUPFD"), (1, "F_GETFD"), (2, "F_SETFD"), (3, "F_GETFL"), (4, "F_SETFL"), (5, "F_GETLK"),
    (6, "F_SETLK"), (7, "F_SETLKW"), (8, "F_SETOWN"), (9, "F_GETOWN"), (10, "F_SETSIG"), (11, "F_GETSIG"),
    (12, "F_GETLK64"), (13, "F_SETLK64"), (14, "F_SETLKW64"), (15, "F_SETOWN_EX"), (16, "F_GETOWN_EX"),
    (17, "F_GETOWNER_UIDS"), (36, "F_OFD_GETLK"), (37, "F_OFD_SETLK"), (38, "F_OFD_SETLKW"), (1024, "F_SETLEASE"),
    (1025, "F_GETLEASE"), (1026, "F_NOTIFY"), (1027, "F_DUPFD_QUERY"), (1028, "F_CREATED_QUERY"),
    (1029, "F_CANCELLK"), (1030, "F_DUPFD_CLOEXEC"), (1031, "F_SETPIPE_SZ"), (1032, "F_GETPIPE_SZ"),
    (1033, "F_ADD_SEALS"), (1034, "F_GET_SEALS"), (1035, "F_GET_RW_HINT"), (1036, "F_SET_RW_HINT"),
    (1037, "F_GET_FILE_RW_HINT"), (1038, "F_SET_FILE_RW_HINT"),
]

enum FcntlCommand {
    static let setfd: UInt64 = 2
    static let setfl: UInt64 = 4
    static let setsig: UInt64 = 10
    static let setlease: UInt64 = 1024
    static let addSeals: UInt64 = 1033
    /// Commands that read no third argument: strace leaves it out.
    static let withoutArgument: Set<UInt64> = [1, 3, 9, 11, 1025, 1029, 1032, 1034]
}

let fdFlagBits: FlagTable = [(1, "FD_CLOEXEC")]
let leaseTypes: ConstantTable = [(0, "F_RDLCK"), (1, "F_WRLCK"), (2, "F_UNLCK")]
let sealBits: FlagTable = [
    (1, "F_SEAL_SEAL"), (2, "F_SEAL_SHRINK"), (4, "F_SEAL_GROW"), (8, "F_SEAL_WRITE"), (0x10, "F_SEAL_FUTURE_WRITE"),
    (0x20, "F_SEAL_EXEC"),
]

/// Common ioctl requests: terminals and FIO* (asm-generic/ioctls.h, the
/// same numbers on x86 and arm64), socket SIOC* (linux/sockios.h), and a
/// few file ones whose size field (the long of 64-bit tasks) is built in.
let ioctlRequests: ConstantTable = [
    (0x5401, "TCGETS"), (0x5402, "TCSETS"), (0x5403, "TCSETSW"), (0x5404, "TCSETSF"), (0x5405, "TCGETA"),
    (0x5406, "TCSETA"), (0x5407, "TCSETAW"), (0x5408, "TCSETAF"), (0x5409, "TCSBRK"), (0x540a, "TCXONC"),
    (0x540b, "TCFLSH"), (0x540c, "TIOCEXCL"), (0x540d, "TIOCNXCL"), (0x540e, "TIOCSCTTY"), (0x540f, "TIOCGPGRP"),
    (0x5410, "TIOCSPGRP"), (0x5411, "TIOCOUTQ"), (0x5412, "TIOCSTI"), (0x5413, "TIOCGWINSZ"), (0x5414, "TIOCSWINSZ"),
    (0x5415, "TIOCMGET"), (0x5416, "TIOCMBIS"), (0x5417, "TIOCMBIC"), (0x5418, "TIOCMSET"), (0x541b, "FIONREAD"),
    (0x541c, "TIOCLINUX"), (0x541d, "TIOCCONS"), (0x5420, "TIOCPKT"), (0x5421, "FIONBIO"), (0x5422, "TIOCNOTTY"),
    (0x5423, "TIOCSETD"), (0x5424, "TIOCGETD"), (0x5425, "TCSBRKP"), (0x5427, "TIOCSBRK"), (0x5428, "TIOCCBRK"),
    (0x5429, "TIOCGSID"), (0x802c_542a, "TCGETS2"), (0x402c_542b, "TCSETS2"), (0x8004_5430, "TIOCGPTN"),
    (0x4004_5431, "TIOCSPTLCK"), (0x8004_5432, "TIOCGDEV"), (0x4004_5436, "TIOCSIG"), (0x5437, "TIOCVHANGUP"),
    (0x5441, "TIOCGPTPEER"), (0x5450, "FIONCLEX"), (0x5451, "FIOCLEX"), (0x5452, "FIOASYNC"), (0x5460, "FIOQSIZE"),
    (0x8901, "FIOSETOWN"), (0x8902, "SIOCSPGRP"), (0x8903, "FIOGETOWN"), (0x8904, "SIOCGPGRP"),
    (0x8905, "SIOCATMARK"), (0x8910, "SIOCGIFNAME"), (0x8912, "SIOCGIFCONF"), (0x8913, "SIOCGIFFLAGS"),
    (0x8914, "SIOCSIFFLAGS"), (0x8915, "SIOCGIFADDR"), (0x8921, "SIOCGIFMTU"), (0x8927, "SIOCGIFHWADDR"),
    (0x8933, "SIOCGIFINDEX"), (0x4004_9409, "FICLONE"), (0x8008_6601, "FS_IOC_GETFLAGS"),
    (0x4008_6602, "FS_IOC_SETFLAGS"), (0x8008_1272, "BLKGETSIZE64"),
]
