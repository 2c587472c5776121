import Shared

/// What a trace says about how its container ended, for `tailtrace why`:
/// how its processes ended, the fatal signals, the last failed calls and
/// the last calls before the end. A pure selection over the items of one
/// trace (oldest first); formatting is the caller's.
public struct TraceEnding: Sendable, Equatable {
    /// Process exits worth a line, oldest first: every process killed by a
    /// signal or exiting non-zero, and the container's init (pid 1 of its
    /// pid namespace) however it ended.
    public var ends: [ProcessExit] = []
    /// Processes that exited with 0 and are not in `ends` (a shell's
    /// children, mostly): counted, not listed.
    public var cleanExits = 0
    /// Signals delivered with their default action where that action ends
    /// the process (signal(7): Term or Core), oldest first; not the
    /// kernel's SIGKILL of a process's other threads (see `isSiblingKill`).
    public var fatalSignals: [SignalEvent] = []
    /// The last failed calls, newest last: an errno return that user space
    /// sees, not the kernel-internal ERESTARTSYS family (512 and up), which
    /// the kernel restarts or turns into EINTR.
    public var failed: [SyscallEvent] = []
    /// How many calls failed in the whole trace.
    public var failedTotal = 0
    /// The last calls with the signals, exits and gaps among them: the
    /// indexes into the items, as `dump --tail` keeps them.
    public var last: [Int] = []

    public init() {}

    /// - Parameters:
    ///   - tail: how many syscalls `last` keeps.
    ///   - failures: how many failed calls `failed` keeps.
    public init(_ items: [TraceItem], tail: Int, failures: Int) {
        var failedRing: [SyscallEvent] = []
        for item in items {
            switch item {
            case .syscall(let e):
                guard let ret = e.ret, let code = Errno.failure(ret: ret), code < 512 else { continue }
                failedTotal += 1
                if failures > 0 {
                    if failedRing.count == failures { failedRing.removeFirst() }
                    failedRing.append(e)
                }
            case .signal(let s):
                if s.disposition == .default && Self.endsProcess(signo: s.signo) && !Self.isSiblingKill(s) {
                    fatalSignals.append(s)
                }
            case .processExit(let x):
                if x.killedBy != nil || x.exitCode != 0 || x.nsPid == 1 { ends.append(x) } else { cleanExits += 1 }
            case .lost:
                break
            }
        }
        failed = failedRing
        let kept = TraceFilter.tail(max(tail, 0), of: items, kept: Array(repeating: true, count: items.count))
        last = kept.indices.filter { kept[$0] }
    }

    /// Whether the default action of `signo` terminates the process
    /// (signal(7)'s Term and Core); Ign (SIGCHLD, SIGURG, SIGWINCH), Stop
    /// (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) and Cont (SIGCONT) do not.
    /// Real-time signals (32-64) terminate by default.
    public static func endsProcess(signo: Int32) -> Bool {
        switch signo {
        case 17, 18, 19, 20, 21, 22, 23, 28: false
        case 1...64: true
        default: false
        }
    }

    /// The SIGKILL the kernel queues on every other thread of a process
    /// that exits as a group (exit_group, a fatal signal) or execs
    /// (de_thread): SEND_SIG_NOINFO, so SI_USER from pid 0, and delivered
    /// to a thread that is not the thread group leader. A consequence, not
    /// a cause. A kill(2) from outside the container's pid namespace also
    /// shows pid 0, but its delivery to the leader is kept.
    public static func isSiblingKill(_ s: SignalEvent) -> Bool {
        s.signo == 9 && s.code == 0 && s.field32(at: 0) == 0 && s.tid != s.pid
    }

    /// `pid 7 [app] killed by SIGSEGV (core dumped)` or `pid 7 [app]
    /// exited with 1`, as strace ends a process; the command name escaped
    /// as in every text line (it is the traced program's to choose).
    public static func describe(_ x: ProcessExit) -> String {
        var out: [UInt8] = []
        out.appendASCII("pid ")
        out.appendDecimal(UInt64(x.pid))
        out.appendASCII(" [")
        out.appendTextEscaped(x.comm)
        out.appendASCII("] ")
        if let signal = x.killedBy {
            out.appendASCII("killed by ")
            out.appendSignal(UInt64(signal))
            if x.coreDumped { out.appendASCII(" (core dumped)") }
        } else {
            out.appendASCII("exited with ")
            out.appendDecimal(Int(x.exitCode ?? 0))
        }
        if x.nsPid == 1 { out.appendASCII(", the container's init") }
        return String(decoding: out, as: UTF8.self)
    }
}
