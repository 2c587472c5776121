import Shared

// One JSON object per line, written by hand into the byte buffer (no
// JSONEncoder: a dump decodes millions of records). Keys, in order:
//
//   ts_ns, cpu, pid, tid, comm, cgroup_id (only for a task in a descendant
//   cgroup of the container), syscall, nr, arch, compat (true for i386/arm calls only),
//   args, ret, errno (failures only), truncated / faulted (when any)
//
// args: tracefs argument name → the register as a number, read with the
// argument's C type (an `int` holding 0xffffffffffffff9c is -100; a pointer
// or `unsigned long` is unsigned), or the captured string/buffer for paths
// and buffers, or an array of strings for execve's argv (null for an entry
// that could not be read). Strings are the captured bytes: valid UTF-8 as is,
// any other byte as \u00XX (its Latin-1 reading). A payload the recorder
// could not read leaves the number in args and names the argument in
// "faulted"; a payload cut at the capture size is named in "truncated".

extension TraceFormatter {
    /// `{"ts_ns":…,"cpu":…,"pid":…,"tid":…,"comm":…` and `cgroup_id` for a
    /// task in another cgroup than the container's: every record's start.
    func appendJSONHead(
        tsNs: UInt64, cpu: Int, pid: UInt32, tid: UInt32, comm: String, cgroupID: UInt64, into out: inout [UInt8]
    ) {
        out.appendASCII("{\"ts_ns\":")
        out.appendDecimal(tsNs)
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

    func appendJSON(_ e: SyscallEvent, _ sig: SyscallSignature, into out: inout [UInt8]) {
        appendJSONHead(
            tsNs: e.tsNs, cpu: e.cpu, pid: e.pid, tid: e.tid, comm: e.comm, cgroupID: e.cgroupID, into: &out)
        out.append(contentsOf: sig.jsonHead)

        var anyTruncated = false
        var anyFaulted = false
        for (i, spec) in sig.args.enumerated() where !e.args.isEmpty {  // none when the enter was not recorded
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: spec.jsonKey)
            let raw = e.register(i)
            if i == sig.argvIndex && e.hasArgv {
                out.append(UInt8(ascii: "["))
                var first = true
                for p in e.payloads where p.arg >= Payload.argvBase {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    anyTruncated = anyTruncated || p.truncated
                    anyFaulted = anyFaulted || p.fault
                    if p.fault { out.appendASCII("null") } else { out.appendJSONString(p.bytes) }
                }
                out.append(UInt8(ascii: "]"))
            } else if let p = e.payload(forArg: i), !p.fault {
                anyTruncated = anyTruncated || p.truncated
                out.appendJSONString(p.bytes)
            } else {
                anyFaulted = anyFaulted || e.payload(forArg: i)?.fault == true
                if spec.type.isSigned {
                    out.appendDecimal(spec.type.signedValue(raw))
                } else {
                    out.appendDecimal(spec.type.unsignedValue(raw))
                }
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
        if anyTruncated { appendArgNames(e, sig, key: "truncated", where: { $0.truncated }, into: &out) }
        if anyFaulted { appendArgNames(e, sig, key: "faulted", where: { $0.fault }, into: &out) }
        out.append(UInt8(ascii: "}"))
    }

    /// `,"<key>":["buf","argv"]`: the arguments with a payload matching `test`.
    private func appendArgNames(
        _ e: SyscallEvent, _ sig: SyscallSignature, key: StaticString, where test: (Payload) -> Bool,
        into out: inout [UInt8]
    ) {
        out.appendASCII(",\"")
        out.appendASCII(key)
        out.appendASCII("\":[")
        var first = true
        for (i, spec) in sig.args.enumerated() {
            let hit: Bool
            if i == sig.argvIndex && e.hasArgv {
                hit = e.payloads.contains { $0.arg >= Payload.argvBase && test($0) }
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
