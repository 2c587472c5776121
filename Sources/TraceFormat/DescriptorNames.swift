import Shared

/// strace -y for a recorded window: what each file descriptor of a process
/// is, learnt from the calls that made it, fed oldest first.
///
/// strace reads /proc/PID/fd when it prints; a dump may run after the
/// container is gone, so the names come from the trace only, and an fd
/// not made in the window stays unnamed rather than guessed:
/// - open, openat, openat2, creat: the path passed (joined to the dirfd's
///   name when that is known and the path is relative; relative to an
///   unknown working directory otherwise);
/// - socket: `socket:[AF_INET]`; accept, accept4 and a connect that
///   succeeded (or is in progress): the peer, `socket:[10.0.0.5:5432]`;
/// - dup, dup2, dup3, fcntl F_DUPFD/F_DUPFD_CLOEXEC copy a name, close and
///   close_range forget one, and a successful execve forgets the
///   close-on-exec ones (O_CLOEXEC, SOCK_CLOEXEC, FD_CLOEXEC...);
/// - pipe, pipe2 and socketpair return their fds in user memory, which is
///   not captured: unnamed. A forked child's inherited fds are unnamed too:
///   clone returns the child's pid in the container's pid namespace, while
///   records carry host pids, so the two cannot be matched.
/// Tables are per process (thread group): threads share theirs.
public struct DescriptorNames: Sendable {
    struct Entry: Sendable {
        var name: [UInt8]
        var closeOnExec: Bool
    }

    private var tables: [UInt32: [Int32: Entry]] = [:]

    public init() {}

    /// The name of `fd` in process `pid` now, if the window made it.
    public func name(pid: UInt32, fd: Int32) -> [UInt8]? {
        tables[pid]?[fd]?.name
    }

    /// A process ended: its descriptors are gone (and its pid may be reused).
    public mutating func processExited(pid: UInt32) {
        tables[pid] = nil
    }

    /// Applies a finished call (`syscall` is its name); returns the name of
    /// the descriptor it returned, if it made one.
    @discardableResult
    public mutating func observe(_ e: SyscallEvent, syscall: String) -> [UInt8]? {
        guard let ret = e.ret, !e.args.isEmpty else { return nil }
        let failed = Errno.failure(ret: ret) != nil
        func fd(_ i: Int) -> Int32 { Int32(truncatingIfNeeded: e.register(i)) }
        let newFD = Int32(truncatingIfNeeded: ret)
        switch syscall {
        case "open", "creat", "openat", "openat2":
            guard !failed, let path = e.payloads.first(where: { $0.kind == .string && $0.arg < 6 && !$0.fault })
            else { return nil }
            var name = path.bytes
            let dirIndex = syscall.hasPrefix("openat") ? 0 : nil
            if name.first != UInt8(ascii: "/"), let dirIndex, let dir = self.name(pid: e.pid, fd: fd(dirIndex)) {
                name = dir + (dir.last == UInt8(ascii: "/") ? [] : [UInt8(ascii: "/")]) + name
            }
            // creat has no flags; openat2's are in its struct open_how, which
            // is not captured.
            let flags: UInt64 = syscall == "open" ? e.register(1) : syscall == "openat" ? e.register(2) : 0
            return bind(e.pid, newFD, name, closeOnExec: flags & OpenFlags.cloexec != 0)
        case "socket":
            guard !failed else { return nil }
            var name = Array("socket:[".utf8)
            name.appendAddressFamily(e.register(0) & 0xffff)
            name.append(UInt8(ascii: "]"))
            return bind(e.pid, newFD, name, closeOnExec: e.register(1) & OpenFlags.cloexec != 0)
        case "accept", "accept4":
            guard !failed, let peer = peerName(e) else { return nil }
            let cloexec = syscall == "accept4" && e.register(3) & OpenFlags.cloexec != 0
            return bind(e.pid, newFD, peer, closeOnExec: cloexec)
        case "connect":
            // EINPROGRESS: a non-blocking connect; the peer is set.
            if !failed || Errno.failure(ret: ret) == 115, let peer = peerName(e),
                var entry = tables[e.pid]?[fd(0)]
            {
                entry.name = peer
                tables[e.pid, default: [:]][fd(0)] = entry
            }
            return nil
        case "dup":
            guard !failed else { return nil }
            return copy(e.pid, from: fd(0), to: newFD, closeOnExec: false)
        case "dup2", "dup3":
            guard !failed else { return nil }
            return copy(
                e.pid, from: fd(0), to: fd(1), closeOnExec: syscall == "dup3" && e.register(2) & OpenFlags.cloexec != 0)
        case "fcntl", "fcntl64":
            let cmd = e.register(1) & 0xffff_ffff
            if !failed && (cmd == 0 || cmd == 1030) {  // F_DUPFD, F_DUPFD_CLOEXEC
                return copy(e.pid, from: fd(0), to: newFD, closeOnExec: cmd == 1030)
            }
            if !failed && cmd == FcntlCommand.setfd {
                tables[e.pid]?[fd(0)]?.closeOnExec = e.register(2) & 1 != 0
            }
            return nil
        case "close":
            // The fd is released even when close reports an error (EINTR, EIO).
            tables[e.pid]?[fd(0)] = nil
            return nil
        case "close_range":
            guard !failed, var table = tables[e.pid] else { return nil }
            let first = UInt32(truncatingIfNeeded: e.register(0))
            let last = UInt32(truncatingIfNeeded: e.register(1))
            let cloexecOnly = e.register(2) & 4 != 0  // CLOSE_RANGE_CLOEXEC
            for key in table.keys where key >= 0 && UInt32(key) >= first && UInt32(key) <= last {
                if cloexecOnly { table[key]?.closeOnExec = true } else { table[key] = nil }
            }
            tables[e.pid] = table
            return nil
        case "execve", "execveat":
            if !failed { tables[e.pid] = tables[e.pid]?.filter { !$0.value.closeOnExec } }
            return nil
        default:
            return nil
        }
    }

    private mutating func bind(_ pid: UInt32, _ fd: Int32, _ name: [UInt8], closeOnExec: Bool) -> [UInt8]? {
        guard fd >= 0 else { return nil }
        tables[pid, default: [:]][fd] = Entry(name: name, closeOnExec: closeOnExec)
        return name
    }

    /// `new` becomes a copy of `old`, or unnamed when `old` is.
    private mutating func copy(_ pid: UInt32, from old: Int32, to new: Int32, closeOnExec: Bool) -> [UInt8]? {
        guard new >= 0 else { return nil }
        guard let entry = tables[pid]?[old] else {
            tables[pid]?[new] = nil
            return nil
        }
        tables[pid, default: [:]][new] = Entry(name: entry.name, closeOnExec: closeOnExec)
        return entry.name
    }

    /// `socket:[10.0.0.5:5432]`, `socket:[[::1]:80]`, `socket:[/run/x.sock]`,
    /// `socket:[@name]` from the call's socket address payload.
    private func peerName(_ e: SyscallEvent) -> [UInt8]? {
        guard let p = e.payloads.first(where: { $0.kind == .sockaddr && $0.arg < 6 && !$0.fault }),
            let address = SocketAddress(p.bytes, length: Int(clamping: p.size))
        else { return nil }
        var name = Array("socket:[".utf8)
        switch address {
        case .inet(let a, let port):
            name += Array("\(SocketAddress.presentation(a)):\(port)".utf8)
        case .inet6(let a, let port, _, _):
            name += Array("[\(SocketAddress.presentation(a))]:\(port)".utf8)
        case .unix(let path, let abstract):
            name += (abstract ? [UInt8(ascii: "@")] : []) + path
        default:
            name.appendAddressFamily(UInt64(address.family))
        }
        name.append(UInt8(ascii: "]"))
        return name
    }
}

extension OpenFlags {
    /// O_CLOEXEC; SOCK_CLOEXEC has the same value.
    static let cloexec: UInt64 = 0o2000000
}

extension ByteSink where Self: ~Copyable {
    /// `</etc/app.conf>` after an fd, as strace -y shows it: escaped as
    /// strings are, `<` and `>` too.
    mutating func appendDescriptorName(_ name: [UInt8]) {
        append(UInt8(ascii: "<"))
        name.withUnsafeBufferPointer { appendTextEscaped($0, escapingAngleBrackets: true) }
        append(UInt8(ascii: ">"))
    }
}
