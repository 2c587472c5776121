/// Bytes captured from a syscall argument: a path or argv string read at
/// enter, a write-like buffer at enter, or a read-like buffer at exit.
public struct Payload: Sendable, Equatable {
    /// Argument index 0...5, or `argvBase + i` for entry i of an argv array.
    public var arg: Int
    public var bytes: [UInt8]
    /// NUL-terminated string in user memory (the NUL is not in `bytes`).
    public var isString: Bool
    /// The user buffer was longer than the capture size.
    public var truncated: Bool
    /// Reading user memory failed: `bytes` is empty.
    public var fault: Bool

    public static let argvBase = 8

    public init(arg: Int, bytes: [UInt8], isString: Bool, truncated: Bool = false, fault: Bool = false) {
        self.arg = arg
        self.bytes = bytes
        self.isString = isString
        self.truncated = truncated
        self.fault = fault
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
    public var payloads: [Payload]
    /// The task's own cgroup v2 id at enter (0: not recorded): differs from
    /// the container's where the task moved into a descendant cgroup.
    public var cgroupID: UInt64

    public init(
        tsNs: UInt64, cpu: Int, pid: UInt32, tid: UInt32, comm: String, nr: Int, compat: Bool,
        args: [UInt64], ret: Int64?, payloads: [Payload], cgroupID: UInt64 = 0
    ) {
        self.cgroupID = cgroupID
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

/// What a dump prints, oldest first: syscalls, and gaps where records were
/// overwritten, torn or dropped.
public enum TraceItem: Sendable, Equatable {
    case syscall(SyscallEvent)
    /// `count` records lost before the next item (overwritten by newer ones,
    /// torn by a concurrent write, or dropped in the kernel).
    case lost(count: UInt64)
}
