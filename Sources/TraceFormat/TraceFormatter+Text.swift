import Shared

// The strace-like text line:
// 00:00.000123 cpu#1 pid 42 [cat] openat(dfd=AT_FDCWD, filename="/etc/hostname", flags=O_RDONLY) = 3

extension TraceFormatter {
    /// `00:00.000123 cpu#1 pid 42 [cat] `: what every text line starts with.
    func appendTextPrefix(
        tsNs: UInt64, cpu: Int, pid: UInt32, tid: UInt32, comm: String, into out: inout OutputBuffer
    ) {
        if timeStyle == .absolute, let offset = wallClockOffsetNs {
            appendTimeOfDay(Int64(clamping: tsNs) &+ offset &+ Int64(utcOffsetSeconds) * 1_000_000_000, into: &out)
        } else {
            appendRelativeTime(tsNs, since: startNs ?? tsNs, into: &out)
        }
        out.appendASCII(" cpu#")
        out.appendDecimal(cpu)
        out.appendASCII(" pid ")
        out.appendDecimal(UInt64(pid))
        if tid != pid {
            out.appendASCII(" tid ")
            out.appendDecimal(UInt64(tid))
        }
        out.appendASCII(" [")
        out.appendTextEscaped(comm)
        out.appendASCII("] ")
    }

    func appendText(
        _ e: SyscallEvent, _ sig: SyscallSignature, _ names: DescriptorNamesOfCall, into out: inout OutputBuffer
    ) {
        appendTextPrefix(tsNs: e.tsNs, cpu: e.cpu, pid: e.pid, tid: e.tid, comm: e.comm, into: &out)
        out.append(contentsOf: sig.textHead)

        // An exit whose enter was not recorded (it came before the claim,
        // or was overwritten) has no arguments to show.
        if e.args.isEmpty && !sig.args.isEmpty { out.appendASCII("<unrecorded>") }
        var first = true
        for (i, spec) in sig.args.enumerated() where !e.args.isEmpty {
            let raw = e.register(i)
            if case .createMode = spec.decoration, let flagsIndex = sig.openFlagsIndex,
                e.register(flagsIndex) & (OpenFlags.creat | OpenFlags.tmpfileBit) == 0
            {
                continue
            }
            // F_GETFL, F_GETFD...: the kernel ignores the third argument.
            if case .fcntlArgument = spec.decoration,
                FcntlCommand.withoutArgument.contains(e.register(1) & 0xffff_ffff)
            {
                continue
            }
            if !first { out.appendASCII(", ") }
            first = false
            out.append(contentsOf: spec.textLabel)
            if i == sig.argvIndex && e.hasArgv {
                appendArgvText(e, into: &out)
            } else if let p = e.payload(forArg: i) {
                appendPayloadText(p, raw: raw, spec.type, of: e, into: &out)
            } else {
                appendValueText(raw, spec, of: e, into: &out)
            }
            if i == sig.fdIndex, let name = names.argument { out.appendDescriptorName(name) }
        }
        out.appendASCII(") = ")
        appendReturnText(e.ret, sig, into: &out)
        if let name = names.returned { out.appendDescriptorName(name) }
    }

    /// `MM:SS.micros` since the first event; minutes grow past two digits
    /// for long traces. An event older than the start (CPUs' records are
    /// merged by timestamp, but a caller may pass its own start) gets a `-`.
    private func appendRelativeTime(_ ts: UInt64, since start: UInt64, into out: inout OutputBuffer) {
        let delta: UInt64
        if ts >= start {
            delta = ts - start
        } else {
            out.append(UInt8(ascii: "-"))
            delta = start - ts
        }
        let micros = delta / 1000
        out.appendDecimal(micros / 60_000_000, width: 2)
        out.append(UInt8(ascii: ":"))
        out.appendDecimal(micros / 1_000_000 % 60, width: 2)
        out.append(UInt8(ascii: "."))
        out.appendDecimal(micros % 1_000_000, width: 6)
    }

    /// strace -tt's `HH:MM:SS.micros` of local nanoseconds since the epoch.
    private func appendTimeOfDay(_ localNs: Int64, into out: inout OutputBuffer) {
        let day: Int64 = 86_400_000_000
        let micros = UInt64(((localNs / 1000) % day + day) % day)
        out.appendDecimal(micros / 3_600_000_000, width: 2)
        out.append(UInt8(ascii: ":"))
        out.appendDecimal(micros / 60_000_000 % 60, width: 2)
        out.append(UInt8(ascii: ":"))
        out.appendDecimal(micros / 1_000_000 % 60, width: 2)
        out.append(UInt8(ascii: "."))
        out.appendDecimal(micros % 1_000_000, width: 6)
    }

    func appendValueText(_ raw: UInt64, _ spec: ArgSpec, of e: SyscallEvent, into out: inout OutputBuffer) {
        let value = spec.type.unsignedValue(raw)
        switch spec.decoration {
        case .constant(let table, let hex):
            out.appendConstant(value, table, orHex: hex)
        case .addressFamily:
            out.appendAddressFamily(value)
        case .socketType:
            out.appendSocketType(value)
        case .socketProtocol:
            out.appendSocketProtocol(value, family: e.register(0) & 0xffff_ffff)
        case .socketOption:
            out.appendSocketOption(value, level: e.register(1) & 0xffff_ffff)
        case .socklenPointer:
            // The length the kernel wrote back, as strace shows it at exit.
            if let addr = e.payloads.first(where: { $0.kind == .sockaddr && $0.arg < 6 }), !addr.fault {
                out.append(UInt8(ascii: "["))
                out.appendDecimal(addr.size)
                out.append(UInt8(ascii: "]"))
            } else {
                appendNumberText(raw, spec.type, into: &out)
            }
        case .statxFlags:
            out.appendStatxFlags(value)
        case .fcntlArgument:
            switch e.register(1) & 0xffff_ffff {
            case FcntlCommand.setfd: out.appendFlags(value, fdFlagBits)
            case FcntlCommand.setfl: out.appendOpenFlags(value)
            case FcntlCommand.setsig: out.appendSignal(value)
            case FcntlCommand.setlease: out.appendConstant(value, leaseTypes)
            case FcntlCommand.addSeals: out.appendFlags(value, sealBits)
            // F_DUPFD, F_DUPFD_CLOEXEC, F_SETOWN, F_SETPIPE_SZ, F_NOTIFY: an int.
            case 0, 1030, 8, 1031, 1026: out.appendDecimal(Int64(Int32(truncatingIfNeeded: value)))
            // The lock and owner commands take a pointer to a struct.
            default: appendNumberText(raw, .pointer(bits: 64), into: &out)
            }
        case .iovec(let countArg):
            if e.payloads.contains(where: { $0.kind == .iov }) {
                appendIovecText(e, count: e.register(countArg), into: &out)
            } else {
                appendNumberText(raw, spec.type, into: &out)
            }
        case .hex:
            out.appendHex(value)
        case .address:
            appendNumberText(raw, .pointer(bits: 64), into: &out)
        case .dirfd:
            // AT_FDCWD is -100 as an int, whatever width the register had.
            if UInt32(truncatingIfNeeded: value) == 0xffff_ff9c {
                out.appendASCII("AT_FDCWD")
            } else {
                appendNumberText(raw, spec.type, into: &out)
            }
        case .openFlags:
            out.appendOpenFlags(value)
        case .fileMode, .createMode:
            out.appendOctal(value)
        case .flags(let table, let zero):
            out.appendFlags(value, table, zero: zero)
        case .mmapFlags:
            out.appendMmapFlags(value)
        case .cloneFlags(let exitSignal):
            out.appendCloneFlags(value, withExitSignal: exitSignal)
        case .signal:
            out.appendSignal(value)
        case .plain, .argv:
            appendNumberText(raw, spec.type, into: &out)
        }
    }

    func appendNumberText(_ raw: UInt64, _ type: ArgType, into out: inout OutputBuffer) {
        switch type {
        case .pointer:
            let value = type.unsignedValue(raw)
            if value == 0 { out.appendASCII("NULL") } else { out.appendHex(value) }
        case .signed:
            out.appendDecimal(type.signedValue(raw))
        case .unsigned:
            out.appendDecimal(type.unsignedValue(raw))
        }
    }

    /// A captured string or buffer, quoted and escaped; `...` when the user
    /// buffer was longer than the capture; `<fault 0x…>` when the recorder
    /// could not read user memory (then only the address is known). A
    /// socket address or msghdr is decoded; one that could not be read stays
    /// the pointer, as strace prints it.
    private func appendPayloadText(
        _ p: Payload, raw: UInt64, _ type: ArgType, of e: SyscallEvent, into out: inout OutputBuffer
    ) {
        switch p.kind {
        case .sockaddr:
            if !p.fault, let address = SocketAddress(p.bytes, length: Int(clamping: p.size)) {
                out.appendSocketAddressText(address)
            } else {
                appendNumberText(raw, type, into: &out)
            }
            return
        case .msghdr:
            if !p.fault, let msg = MessageHeader(p.bytes, compat: e.compat) {
                appendMessageHeaderText(msg, of: e, into: &out)
            } else {
                appendNumberText(raw, type, into: &out)
            }
            return
        case .string, .buffer, .iov:
            break
        }
        let raw = type.unsignedValue(raw)
        if p.fault {
            if raw == 0 {
                out.appendASCII("NULL")
            } else {
                out.appendASCII("<fault ")
                out.appendHex(raw)
                out.append(UInt8(ascii: ">"))
            }
            return
        }
        out.append(UInt8(ascii: "\""))
        p.bytes.withUnsafeBufferPointer { out.appendTextEscaped($0) }
        out.append(UInt8(ascii: "\""))
        if p.truncated { out.appendASCII("...") }
    }

    /// `["sh", "-c", "echo hi"]`. The recorder captures the first few
    /// entries only (TT_ARGV_MAX); it does not record whether more followed.
    private func appendArgvText(_ e: SyscallEvent, into out: inout OutputBuffer) {
        out.append(UInt8(ascii: "["))
        var first = true
        for p in e.payloads where p.isArgvEntry {
            if !first { out.appendASCII(", ") }
            first = false
            if p.fault {
                out.appendASCII("<fault>")
                continue
            }
            out.append(UInt8(ascii: "\""))
            p.bytes.withUnsafeBufferPointer { out.appendTextEscaped($0) }
            out.append(UInt8(ascii: "\""))
            if p.truncated { out.appendASCII("...") }
        }
        out.append(UInt8(ascii: "]"))
    }

    /// `3`, `0x7f…` for address results, `-1 ENOENT (No such file or
    /// directory)` for failures (as strace shows them), `?` when the call
    /// did not return (exit, execve that replaced the process, or the exit
    /// record was lost).
    private func appendReturnText(_ ret: Int64?, _ sig: SyscallSignature, into out: inout OutputBuffer) {
        guard let ret else {
            out.append(UInt8(ascii: "?"))
            return
        }
        if let code = Errno.failure(ret: ret) {
            out.appendASCII("-1 ")
            out.appendUTF8(Errno.nameOrNumber(code))
            out.appendASCII(" (")
            out.appendUTF8(Errno.message(code))
            out.append(UInt8(ascii: ")"))
        } else if sig.returnsAddress {
            out.appendHex(sig.arch.is32Bit ? UInt64(bitPattern: ret) & 0xffff_ffff : UInt64(bitPattern: ret))
        } else {
            out.appendDecimal(ret)
        }
    }
}
