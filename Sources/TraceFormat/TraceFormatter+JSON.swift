import Shared

// One JSON object per line, written by hand into the byte buffer (no
// JSONEncoder: a dump decodes millions of records). Keys, in order:
//
//   ts_ns, time (RFC 3339, UTC, microseconds; when the wall clock is known),
//   cpu, pid, tid, comm, cgroup_id (only for a task in a descendant cgroup
//   of the container), then for a syscall: syscall, nr, arch, compat
//   (true for i386/arm calls only), args, ret, errno (failures only),
//   fd_path (strace -y: what the first fd argument is, when the trace made
//   it), truncated / faulted / latin1 (when any); a signal or process
//   exit has "event" instead (TraceFormatter+Signals.swift), a syscall has no
//   "event" key.
//
// args: tracefs argument name → the register as a number, read with the
// argument's C type (an `int` holding 0xffffffffffffff9c is -100; a pointer
// or `unsigned long` is unsigned), or what the recorder read there:
//   - a path or buffer: a string;
//   - execve's argv: an array of strings (null for an entry that could not
//     be read);
//   - a socket address: {"family":"AF_INET","addr":"10.0.0.5","port":5432},
//     {"family":"AF_INET6","addr":"::1","port":80,"flowinfo":0,"scope_id":0},
//     {"family":"AF_UNIX","path":"/run/x.sock"} ("abstract":true for the
//     abstract namespace), {"family":"AF_NETLINK","pid":0,"groups":0},
//     others {"family":"AF_PACKET","data":"<hex of the bytes after sa_family>"};
//   - an iovec array (readv, writev...): [{"base":"hello","len":5},…], the
//     captured vectors only (the count is in the count argument);
//   - a msghdr: {"name":<socket address>|null,"namelen":16,"iov":[…],
//     "iovlen":1,"controllen":0,"flags":0}.
// Strings hold the captured bytes. Bytes that are valid UTF-8 are that text;
// other bytes are written one character per byte (Latin-1: 0xff is U+00FF)
// and the argument is named in "latin1" ("fd_path" too when it is such a
// string; nested strings: "latin1":true next to them), so the bytes are
// always recoverable exactly and never confused with UTF-8 text. Control
// characters, DEL and U+0080...U+009F are always \u escaped. A payload the recorder could not read leaves the number in
// args and names the argument in "faulted"; a payload cut at the capture
// size is named in "truncated".

extension TraceFormatter {
    /// `{"ts_ns":…,"cpu":…,"pid":…,"tid":…,"comm":…` and `cgroup_id` for a
    /// task in another cgroup than the container's: every record's start.
    mutating func appendJSONHead(
        tsNs: UInt64, cpu: Int, pid: UInt32, tid: UInt32, comm: String, cgroupID: UInt64, into out: inout OutputBuffer
    ) {
        out.appendASCII("{\"ts_ns\":")
        out.appendDecimal(tsNs)
        if let offset = wallClockOffsetNs {
            out.appendASCII(",\"time\":\"")
            wallClockTimes.append(Int64(clamping: tsNs) &+ offset, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.appendASCII(",\"cpu\":")
        out.appendDecimal(cpu)
        out.appendASCII(",\"pid\":")
        out.appendDecimal(UInt64(pid))
        out.appendASCII(",\"tid\":")
        out.appendDecimal(UInt64(tid))
        out.appendASCII(",\"comm\":")
        out.appendJSONString(comm)
        if cgroupID != 0, let own = containerCgroupID, cgroupID != own {
            out.appendASCII(",\"cgroup_id\":")
            out.appendDecimal(cgroupID)
        }
    }

    mutating func appendJSON(
        _ e: SyscallEvent, _ sig: SyscallSignature, _ names: DescriptorNamesOfCall, into out: inout OutputBuffer
    ) {
        appendJSONHead(
            tsNs: e.tsNs, cpu: e.cpu, pid: e.pid, tid: e.tid, comm: e.comm, cgroupID: e.cgroupID, into: &out)
        out.append(contentsOf: sig.jsonHead)

        var anyTruncated = false
        var anyFaulted = false
        var latin1: [Int] = []
        for (i, spec) in sig.args.enumerated() where !e.args.isEmpty {  // none when the enter was not recorded
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: spec.jsonKey)
            let raw = e.register(i)
            if i == sig.argvIndex && e.hasArgv {
                out.append(UInt8(ascii: "["))
                var first = true
                var anyLatin1 = false
                for p in e.payloads where p.isArgvEntry {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    anyTruncated = anyTruncated || p.truncated
                    anyFaulted = anyFaulted || p.fault
                    if p.fault {
                        out.appendASCII("null")
                    } else if out.appendJSONBytes(p.bytes) {
                        anyLatin1 = true
                    }
                }
                out.append(UInt8(ascii: "]"))
                if anyLatin1 { latin1.append(i) }
                continue
            }
            if let p = e.payload(forArg: i), !p.fault {
                switch p.kind {
                case .sockaddr:
                    if let address = SocketAddress(p.bytes, length: Int(clamping: p.size)) {
                        out.appendSocketAddressJSON(address)
                        continue
                    }
                case .msghdr:
                    if let msg = MessageHeader(p.bytes, compat: e.compat) {
                        appendMessageHeaderJSON(msg, of: e, into: &out)
                        continue
                    }
                case .string, .buffer, .iov:
                    anyTruncated = anyTruncated || p.truncated
                    if out.appendJSONBytes(p.bytes) { latin1.append(i) }
                    continue
                }
            }
            if case .iovec = spec.decoration, e.payloads.contains(where: { $0.kind == .iov }) {
                appendIovecJSON(e, into: &out)
                continue
            }
            anyFaulted = anyFaulted || e.payload(forArg: i)?.fault == true
            if spec.type.isSigned {
                out.appendDecimal(spec.type.signedValue(raw))
            } else {
                out.appendDecimal(spec.type.unsignedValue(raw))
            }
        }
        out.append(UInt8(ascii: "}"))

        out.appendASCII(",\"ret\":")
        if let ret = e.ret {
            out.appendDecimal(ret)
            if let code = Errno.failure(ret: ret) {
                out.appendASCII(",\"errno\":")
                out.appendJSONString(Errno.nameOrNumber(code))
            }
        } else {
            out.appendASCII("null")
        }
        var fdPathLatin1 = false
        if let name = names.argument {
            out.appendASCII(",\"fd_path\":")
            fdPathLatin1 = out.appendJSONBytes(name)
        }
        if anyTruncated { appendArgNames(e, sig, key: "truncated", where: { $0.truncated }, into: &out) }
        if anyFaulted { appendArgNames(e, sig, key: "faulted", where: { $0.fault }, into: &out) }
        if !latin1.isEmpty || fdPathLatin1 {
            out.appendASCII(",\"latin1\":[")
            for (n, i) in latin1.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                out.appendJSONString(sig.args[i].name)
            }
            if fdPathLatin1 { out.appendASCII(latin1.isEmpty ? "\"fd_path\"" : ",\"fd_path\"") }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "}"))
    }

    /// `,"<key>":["buf","argv"]`: the arguments with a payload matching `test`.
    private func appendArgNames(
        _ e: SyscallEvent, _ sig: SyscallSignature, key: StaticString, where test: (Payload) -> Bool,
        into out: inout OutputBuffer
    ) {
        out.appendASCII(",\"")
        out.appendASCII(key)
        out.appendASCII("\":[")
        var first = true
        for (i, spec) in sig.args.enumerated() {
            let hit: Bool
            if i == sig.argvIndex && e.hasArgv {
                hit = e.payloads.contains { $0.isArgvEntry && test($0) }
            } else if let p = e.payload(forArg: i) {
                hit = test(p)
            } else {
                hit = false
            }
            guard hit else { continue }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.appendJSONString(spec.name)
        }
        out.append(UInt8(ascii: "]"))
    }
}
