import Shared

/// What a delivered signal's siginfo says beyond its number and code, read
/// from the 32 bytes of kernel_siginfo's `_sifields` union (x86_64 and
/// arm64 layout: 8-byte pointers, so the fields after a pointer start at 8).
/// Which union member is valid follows strace's print_si_info: codes <= 0
/// (SI_FROMUSER) were sent by a task, codes > 0 by the kernel, and then
/// the signal decides.
enum SignalDetail: Equatable {
    /// kill, tkill, tgkill (SI_USER, SI_TKILL), and the kernel's own
    /// SEND_SIG_NOINFO deliveries (SI_USER with pid 0), e.g. SIGKILL on a
    /// group exit.
    case sender(pid: Int32, uid: UInt32)
    /// sigqueue, mq_notify, AIO: the sender and the sigval it attached.
    case senderValue(pid: Int32, uid: UInt32, int: Int32, ptr: UInt64)
    /// A POSIX timer expired (SI_TIMER).
    case timer(id: Int32, overrun: Int32, int: Int32, ptr: UInt64)
    /// I/O is possible on an fd (SI_SIGIO, or SIGIO with POLL_*).
    case poll(band: Int64, fd: Int32)
    /// A child changed state; `status` is an exit code for CLD_EXITED and
    /// a signal number otherwise. Times are in clock ticks.
    case child(pid: Int32, uid: UInt32, status: Int32, utime: Int64, stime: Int64)
    /// A fault at an address (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP).
    case fault(addr: UInt64)
    /// SEGV_BNDERR: the address and the bounds it broke (MPX).
    case faultBounds(addr: UInt64, lower: UInt64, upper: UInt64)
    /// SEGV_PKUERR: the address and the protection key that refused it.
    case faultKey(addr: UInt64, pkey: UInt32)
    /// BUS_MCEERR_AR/AO: a memory error; lsb is the log2 of its extent.
    case memoryError(addr: UInt64, lsb: Int16)
    /// SIGSYS from seccomp (SYS_SECCOMP): the call a filter trapped.
    case seccomp(callAddr: UInt64, nr: Int32, auditArch: UInt32)
    case none

    init(_ s: SignalEvent) {
        let code = s.code
        if code <= 0 {
            switch code {
            case SignalCode.user, SignalCode.tkill:
                self = .sender(pid: s.field32(at: 0), uid: UInt32(bitPattern: s.field32(at: 4)))
            case SignalCode.timer:
                self = .timer(
                    id: s.field32(at: 0), overrun: s.field32(at: 4), int: s.field32(at: 8), ptr: s.field64(at: 8))
            case SignalCode.sigio:
                self = .poll(band: Int64(bitPattern: s.field64(at: 0)), fd: s.field32(at: 8))
            default:
                let pid = s.field32(at: 0)
                let uid = UInt32(bitPattern: s.field32(at: 4))
                let ptr = s.field64(at: 8)
                self =
                    ptr == 0
                    ? .sender(pid: pid, uid: uid) : .senderValue(pid: pid, uid: uid, int: s.field32(at: 8), ptr: ptr)
            }
            return
        }
        let addr = s.field64(at: 0)
        switch s.signo {
        case 17:  // SIGCHLD
            self = .child(
                pid: s.field32(at: 0), uid: UInt32(bitPattern: s.field32(at: 4)), status: s.field32(at: 8),
                utime: Int64(bitPattern: s.field64(at: 16)), stime: Int64(bitPattern: s.field64(at: 24)))
        case 11 where code == 3:  // SIGSEGV, SEGV_BNDERR
            // The bounds follow si_addr and a pointer-sized pad (__ADDR_BND_PKEY_PAD).
            self = .faultBounds(addr: addr, lower: s.field64(at: 16), upper: s.field64(at: 24))
        case 11 where code == 4:  // SEGV_PKUERR
            self = .faultKey(addr: addr, pkey: UInt32(bitPattern: s.field32(at: 16)))
        case 7 where code == 4 || code == 5:  // SIGBUS, BUS_MCEERR_AR/AO
            self = .memoryError(addr: addr, lsb: Int16(truncatingIfNeeded: s.field32(at: 8)))
        case 4, 5, 7, 8, 11:  // SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV
            self = .fault(addr: addr)
        case 29 where code >= 1 && code <= 3:  // SIGIO with POLL_IN, POLL_OUT, POLL_MSG
            self = .poll(band: Int64(bitPattern: addr), fd: s.field32(at: 8))
        case 31 where code == 1:  // SIGSYS, SYS_SECCOMP
            self = .seccomp(
                callAddr: addr, nr: s.field32(at: 8), auditArch: UInt32(bitPattern: s.field32(at: 12)))
        default:
            let pid = s.field32(at: 0)
            let uid = UInt32(bitPattern: s.field32(at: 4))
            let ptr = s.field64(at: 8)
            if ptr != 0 {
                self = .senderValue(pid: pid, uid: uid, int: s.field32(at: 8), ptr: ptr)
            } else if pid != 0 || uid != 0 {
                self = .sender(pid: pid, uid: uid)
            } else {
                self = .none
            }
        }
    }
}

/// si_code values (include/uapi/asm-generic/siginfo.h), named as strace
/// names them: the generic SI_* codes first, then per signal.
enum SignalCode {
    static let user: Int32 = 0
    static let timer: Int32 = -2
    static let sigio: Int32 = -5
    static let tkill: Int32 = -6

    static let generic: ConstantTable = [
        (0, "SI_USER"), (0x80, "SI_KERNEL"), (UInt64(bitPattern: -1), "SI_QUEUE"), (UInt64(bitPattern: -2), "SI_TIMER"),
        (UInt64(bitPattern: -3), "SI_MESGQ"), (UInt64(bitPattern: -4), "SI_ASYNCIO"),
        (UInt64(bitPattern: -5), "SI_SIGIO"), (UInt64(bitPattern: -6), "SI_TKILL"),
        (UInt64(bitPattern: -7), "SI_DETHREAD"), (UInt64(bitPattern: -60), "SI_ASYNCNL"),
    ]

    /// Codes the kernel sets for one signal (by signal number).
    static let perSignal: [Int32: ConstantTable] = [
        4: [
            (1, "ILL_ILLOPC"), (2, "ILL_ILLOPN"), (3, "ILL_ILLADR"), (4, "ILL_ILLTRP"), (5, "ILL_PRVOPC"),
            (6, "ILL_PRVREG"), (7, "ILL_COPROC"), (8, "ILL_BADSTK"), (9, "ILL_BADIADDR"),
        ],
        5: [
            (1, "TRAP_BRKPT"), (2, "TRAP_TRACE"), (3, "TRAP_BRANCH"), (4, "TRAP_HWBKPT"), (5, "TRAP_UNK"),
            (6, "TRAP_PERF"),
        ],
        7: [(1, "BUS_ADRALN"), (2, "BUS_ADRERR"), (3, "BUS_OBJERR"), (4, "BUS_MCEERR_AR"), (5, "BUS_MCEERR_AO")],
        8: [
            (1, "FPE_INTDIV"), (2, "FPE_INTOVF"), (3, "FPE_FLTDIV"), (4, "FPE_FLTOVF"), (5, "FPE_FLTUND"),
            (6, "FPE_FLTRES"), (7, "FPE_FLTINV"), (8, "FPE_FLTSUB"), (14, "FPE_FLTUNK"), (15, "FPE_CONDTRAP"),
        ],
        11: [
            (1, "SEGV_MAPERR"), (2, "SEGV_ACCERR"), (3, "SEGV_BNDERR"), (4, "SEGV_PKUERR"), (5, "SEGV_ACCADI"),
            (6, "SEGV_ADIDERR"), (7, "SEGV_ADIPERR"), (8, "SEGV_MTEAERR"), (9, "SEGV_MTESERR"), (10, "SEGV_CPERR"),
        ],
        17: [
            (1, "CLD_EXITED"), (2, "CLD_KILLED"), (3, "CLD_DUMPED"), (4, "CLD_TRAPPED"), (5, "CLD_STOPPED"),
            (6, "CLD_CONTINUED"),
        ],
        29: [(1, "POLL_IN"), (2, "POLL_OUT"), (3, "POLL_MSG"), (4, "POLL_ERR"), (5, "POLL_PRI"), (6, "POLL_HUP")],
        31: [(1, "SYS_SECCOMP"), (2, "SYS_USER_DISPATCH")],
    ]

    static func name(_ code: Int32, signo: Int32) -> StaticString? {
        let value = UInt64(bitPattern: Int64(code))
        return constantName(value, generic) ?? perSignal[signo].flatMap { constantName(value, $0) }
    }

    /// The audit architecture a seccomp SIGSYS reports (AUDIT_ARCH_*,
    /// include/uapi/linux/audit.h): which table its syscall number is from.
    static func syscallArch(auditArch: UInt32) -> (name: StaticString, arch: SyscallArch)? {
        switch auditArch {
        case 0xc000_003e: ("AUDIT_ARCH_X86_64", .x86_64)
        case 0x4000_0003: ("AUDIT_ARCH_I386", .i386)
        case 0xc000_00b7: ("AUDIT_ARCH_AARCH64", .aarch64)
        case 0x4000_0028: ("AUDIT_ARCH_ARM", .arm)
        default: nil
        }
    }
}

extension ByteSink where Self: ~Copyable {
    /// `SEGV_MAPERR`, or the code as strace prints one it cannot name: the
    /// unsigned 32-bit value in hex.
    mutating func appendSignalCode(_ code: Int32, signo: Int32) {
        if let name = SignalCode.name(code, signo: signo) {
            appendASCII(name)
        } else {
            appendHex(UInt64(UInt32(bitPattern: code)))
        }
    }
}
