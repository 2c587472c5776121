import CTailtrace

/// Bytes captured from a syscall argument: a path or argv string read at
/// enter, a write-like buffer or socket address at enter, a read-like buffer
/// or returned socket address at exit, or the vectors of an iovec array.
public struct Payload: Sendable, Equatable {
    /// What the bytes are (enum tt_payload_kind).
    public enum Kind: UInt8, Sendable {
        /// A NUL-terminated string (the NUL is not in `bytes`).
        case string = 1
        case buffer = 2
        /// A `struct sockaddr`; `size` is the length the task gave or got.
        case sockaddr = 3
        /// One vector of an iovec array; `size` is its `iov_len`.
        case iov = 4
        /// A `struct msghdr` as the task passed it.
        case msghdr = 5
    }

    /// Argument index 0...5, or `argvBase + i` (argv[i]), `iovBase + i`
    /// (vector i of an iovec array), `msgNameArg` (a msghdr's msg_name).
    public var arg: Int
    public var bytes: [UInt8]
    public var kind: Kind
    /// The user object's own length where it has one (iov_len, addrlen); 0 otherwise.
    public var size: UInt64
    /// The user buffer was longer than the capture size.
    public var truncated: Bool
    /// Reading user memory failed (at enter, and at exit where it was read
    /// again): `bytes` is empty.
    public var fault: Bool
    /// Faulted at enter and read again at exit, when the kernel had faulted
    /// the page in.
    public var atExit: Bool

    public static let argvBase = Int(TT_ARG_ARGV)
    public static let iovBase = Int(TT_ARG_IOV)
    public static let msgNameArg = Int(TT_ARG_MSG_NAME)

    public var isString: Bool { kind == .string }

    public init(
        arg: Int, bytes: [UInt8], kind: Kind, size: UInt64 = 0, truncated: Bool = false, fault: Bool = false,
        atExit: Bool = false
    ) {
        self.arg = arg
        self.bytes = bytes
        self.kind = kind
        self.size = size
        self.truncated = truncated
        self.fault = fault
        self.atExit = atExit
    }

    public init(arg: Int, bytes: [UInt8], isString: Bool, truncated: Bool = false, fault: Bool = false) {
        self.init(arg: arg, bytes: bytes, kind: isString ? .string : .buffer, truncated: truncated, fault: fault)
    }
}

/// One syscall as read back from a recorder ring: the enter record, and the
/// exit record when the call returned before the dump.
public struct SyscallEvent: Sendable, Equatable {
    public var tsNs: UInt64
    public var cpu: Int
    public var pid: UInt32
    public var tid: UInt32
    public var comm: String
    public var nr: Int
    /// An i386 syscall on x86_64 (TS_COMPAT): `nr` is an i386 number.
    public var compat: Bool
    public var args: [UInt64]
    /// The kernel's raw return value; nil when the call never returned (or
    /// its exit record was lost).
    public var ret: Int64?
    /// When it returned (CLOCK_MONOTONIC), with `ret`. For an exit whose
    /// enter was not recorded (`args` empty) it equals `tsNs`.
    public var exitTsNs: UInt64?
    public var payloads: [Payload]
    /// The task's own cgroup v2 id at enter (0: not recorded): differs from
    /// the container's where the task moved into a descendant cgroup.
    public var cgroupID: UInt64

    public init(
        tsNs: UInt64, cpu: Int, pid: UInt32, tid: UInt32, comm: String, nr: Int, compat: Bool,
        args: [UInt64], ret: Int64?, payloads: [Payload], cgroupID: UInt64 = 0, exitTsNs: UInt64? = nil
    ) {
        self.cgroupID = cgroupID
        self.exitTsNs = exitTsNs
        self.tsNs = tsNs
        self.cpu = cpu
        self.pid = pid
        self.tid = tid
        self.comm = comm
        self.nr = nr
        self.compat = compat
        self.args = args
        self.ret = ret
        self.payloads = payloads
    }
}

extension SyscallEvent {
    /// Completes the call with its exit record: the return value, when, and
    /// the payloads read at exit (a payload read again at exit replaces the
    /// one that faulted at enter).
    public mutating func returned(_ ret: Int64, atNs: UInt64, payloads exitPayloads: [Payload]) {
        self.ret = ret
        exitTsNs = atNs
        for p in exitPayloads {
            if p.atExit, let at = payloads.firstIndex(where: { $0.arg == p.arg }) {
                payloads[at] = p
            } else {
                payloads.append(p)
            }
        }
    }
}

/// A signal the kernel delivered to a traced task (strace's `--- SIG... ---`).
public struct SignalEvent: Sendable, Equatable {
    public enum Disposition: UInt32, Sendable {
        /// The default action: for most signals, the process dies.
        case `default` = 0
        case ignored = 1
        /// A handler of the process runs.
        case handler = 2
    }

    public var tsNs: UInt64
    public var cpu: Int
    public var pid: UInt32
    public var tid: UInt32
    public var comm: String
    public var signo: Int32
    public var errno: Int32
    /// si_code: SI_USER, SEGV_MAPERR, CLD_EXITED...
    public var code: Int32
    public var disposition: Disposition
    /// kernel_siginfo's _sifields union (32 bytes): what it holds depends on
    /// the signal and si_code (sender pid/uid, fault address, child status).
    public var fields: [UInt8]
    public var cgroupID: UInt64

    public init(
        tsNs: UInt64, cpu: Int, pid: UInt32, tid: UInt32, comm: String, signo: Int32, errno: Int32 = 0,
        code: Int32, disposition: Disposition, fields: [UInt8], cgroupID: UInt64 = 0
    ) {
        self.tsNs = tsNs
        self.cpu = cpu
        self.pid = pid
        self.tid = tid
        self.comm = comm
        self.signo = signo
        self.errno = errno
        self.code = code
        self.disposition = disposition
        self.fields = fields
        self.cgroupID = cgroupID
    }

    /// `fields` read as 32- or 64-bit values at a byte offset (0 past the end).
    public func field32(at offset: Int) -> Int32 {
        guard offset >= 0, offset + 4 <= fields.count else { return 0 }
        return fields[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | Int32($1) }
    }

    public func field64(at offset: Int) -> UInt64 {
        guard offset >= 0, offset + 8 <= fields.count else { return 0 }
        return fields[offset..<offset + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// A process (thread group) ended: strace's `+++ exited with 1 +++`.
public struct ProcessExit: Sendable, Equatable {
    public var tsNs: UInt64
    public var cpu: Int
    public var pid: UInt32
    /// The thread that exited last.
    public var tid: UInt32
    public var comm: String
    /// The wait status, as wait4 would return it.
    public var status: Int32
    /// Its pid in its own pid namespace (0: unknown): 1 is a container's init.
    public var nsPid: UInt32
    public var cgroupID: UInt64

    public init(
        tsNs: UInt64, cpu: Int, pid: UInt32, tid: UInt32, comm: String, status: Int32, nsPid: UInt32 = 0,
        cgroupID: UInt64 = 0
    ) {
        self.nsPid = nsPid
        self.tsNs = tsNs
        self.cpu = cpu
        self.pid = pid
        self.tid = tid
        self.comm = comm
        self.status = status
        self.cgroupID = cgroupID
    }

    /// The signal that killed it, or nil when it exited.
    public var killedBy: Int32? { status & 0x7f == 0 ? nil : status & 0x7f }
    public var coreDumped: Bool { killedBy != nil && status & 0x80 != 0 }
    /// Its exit code, when it exited.
    public var exitCode: Int32? { killedBy == nil ? (status >> 8) & 0xff : nil }
}

/// What a dump prints, oldest first: syscalls, signals, process exits, and
/// gaps where records were overwritten, torn or dropped.
public enum TraceItem: Sendable, Equatable {
    case syscall(SyscallEvent)
    case signal(SignalEvent)
    case processExit(ProcessExit)
    /// `count` records lost before the next item (overwritten by newer ones,
    /// torn by a concurrent write, or dropped in the kernel).
    case lost(count: UInt64)
}

extension TraceItem {
    /// When it happened (CLOCK_MONOTONIC); nil for a gap.
    public var tsNs: UInt64? {
        switch self {
        case .syscall(let e): e.tsNs
        case .signal(let s): s.tsNs
        case .processExit(let x): x.tsNs
        case .lost: nil
        }
    }

    /// The thread group and thread it happened in; nil for a gap.
    public var ids: (pid: UInt32, tid: UInt32)? {
        switch self {
        case .syscall(let e): (e.pid, e.tid)
        case .signal(let s): (s.pid, s.tid)
        case .processExit(let x): (x.pid, x.tid)
        case .lost: nil
        }
    }
}
