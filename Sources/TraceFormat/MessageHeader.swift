import Shared

/// A `struct user_msghdr` as sendmsg/recvmsg got it from the task: 56 bytes
/// on x86_64 and arm64, seven 32-bit words (28 bytes) from an i386 task.
/// The pointers only say whether there is a name and vectors; their
/// contents are payloads of their own (Payload.msgNameArg, iovBase + i).
struct MessageHeader: Equatable {
    var name: UInt64
    var nameLength: UInt32
    var iov: UInt64
    var iovLength: UInt64
    var control: UInt64
    var controlLength: UInt64
    var flags: UInt32

    init?(_ b: [UInt8], compat: Bool) {
        func word(_ offset: Int, _ size: Int) -> UInt64 {
            (0..<size).reduce(0) { $0 | UInt64(b[offset + $1]) << (8 * UInt64($1)) }
        }
        if compat {
            guard b.count >= 28 else { return nil }
            (name, nameLength, iov, iovLength) = (word(0, 4), UInt32(word(4, 4)), word(8, 4), word(12, 4))
            (control, controlLength, flags) = (word(16, 4), word(20, 4), UInt32(word(24, 4)))
        } else {
            guard b.count >= 56 else { return nil }
            (name, nameLength, iov, iovLength) = (word(0, 8), UInt32(word(8, 4)), word(16, 8), word(24, 8))
            (control, controlLength, flags) = (word(32, 8), word(40, 8), UInt32(word(48, 4)))
        }
    }
}

extension SyscallEvent {
    /// The captured vectors of its iovec array (readv/writev argument 1, or
    /// a msghdr's msg_iov), in order. The recorder captures the first
    /// TT_IOV_MAX.
    var vectors: [Payload] {
        payloads.filter { $0.kind == .iov && $0.arg >= Payload.iovBase }.sorted { $0.arg < $1.arg }
    }

    var messageName: Payload? { payloads.first { $0.arg == Payload.msgNameArg } }

    /// The msghdr's msg_name, decoded, when it was read.
    var messageAddress: SocketAddress? {
        guard let p = messageName, !p.fault else { return nil }
        return SocketAddress(p.bytes, length: Int(clamping: p.size))
    }
}

extension TraceFormatter {
    /// `[{iov_base="hello", iov_len=5}, {iov_base=" world\n", iov_len=7}]`,
    /// and `...` before the `]` when the array had more vectors than were
    /// captured, as strace abbreviates long arrays.
    func appendIovecText(_ e: SyscallEvent, count: UInt64, into out: inout OutputBuffer) {
        let vectors = e.vectors
        out.append(UInt8(ascii: "["))
        for (i, v) in vectors.enumerated() {
            if i > 0 { out.appendASCII(", ") }
            out.appendASCII("{iov_base=")
            if v.fault {
                out.appendASCII("<fault>")
            } else {
                out.appendQuoted(v.bytes)
                if v.truncated { out.appendASCII("...") }
            }
            out.appendASCII(", iov_len=")
            out.appendDecimal(v.size)
            out.append(UInt8(ascii: "}"))
        }
        if count > UInt64(vectors.count) { out.appendASCII(vectors.isEmpty ? "..." : ", ...") }
        out.append(UInt8(ascii: "]"))
    }

    /// `{msg_name={sa_family=AF_INET, …}, msg_namelen=16, msg_iov=[…],
    /// msg_iovlen=1, msg_controllen=0, msg_flags=0}`, with strace's
    /// `msg_control=0x…` before msg_controllen when there is control data
    /// (which the recorder does not capture).
    func appendMessageHeaderText(_ m: MessageHeader, of e: SyscallEvent, into out: inout OutputBuffer) {
        out.appendASCII("{msg_name=")
        if m.name == 0 {
            out.appendASCII("NULL")
        } else if let address = e.messageAddress {
            out.appendSocketAddressText(address)
        } else {
            out.appendHex(m.name)
        }
        out.appendASCII(", msg_namelen=")
        out.appendDecimal(UInt64(m.nameLength))
        out.appendASCII(", msg_iov=")
        if !e.vectors.isEmpty {
            appendIovecText(e, count: m.iovLength, into: &out)
        } else if m.iov == 0 {
            out.appendASCII("NULL")
        } else {
            out.appendHex(m.iov)
        }
        out.appendASCII(", msg_iovlen=")
        out.appendDecimal(m.iovLength)
        if m.controlLength != 0 {
            out.appendASCII(", msg_control=")
            if m.control == 0 { out.appendASCII("NULL") } else { out.appendHex(m.control) }
        }
        out.appendASCII(", msg_controllen=")
        out.appendDecimal(m.controlLength)
        out.appendASCII(", msg_flags=")
        out.appendFlags(UInt64(m.flags), SocketNames.messageFlags)
        out.append(UInt8(ascii: "}"))
    }

    /// `[{"base":"hello","len":5},…]`; an element says `"truncated":true`
    /// when its bytes were cut at the capture size, `"latin1":true` when
    /// they are not UTF-8, and has `"base":null` when it could not be read.
    func appendIovecJSON(_ e: SyscallEvent, into out: inout OutputBuffer) {
        out.append(UInt8(ascii: "["))
        for (i, v) in e.vectors.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.appendASCII("{\"base\":")
            let latin1 = v.fault ? false : out.appendJSONBytes(v.bytes)
            if v.fault { out.appendASCII("null") }
            out.appendASCII(",\"len\":")
            out.appendDecimal(v.size)
            if v.truncated { out.appendASCII(",\"truncated\":true") }
            if latin1 { out.appendASCII(",\"latin1\":true") }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }

    /// `{"name":{…}|null,"namelen":16,"iov":[…],"iovlen":1,"controllen":0,"flags":0}`;
    /// a name or iov the recorder could not read is the pointer's number.
    func appendMessageHeaderJSON(_ m: MessageHeader, of e: SyscallEvent, into out: inout OutputBuffer) {
        out.appendASCII("{\"name\":")
        if m.name == 0 {
            out.appendASCII("null")
        } else if let address = e.messageAddress {
            out.appendSocketAddressJSON(address)
        } else {
            out.appendDecimal(m.name)
        }
        out.appendASCII(",\"namelen\":")
        out.appendDecimal(UInt64(m.nameLength))
        out.appendASCII(",\"iov\":")
        if !e.vectors.isEmpty {
            appendIovecJSON(e, into: &out)
        } else if m.iov == 0 {
            out.appendASCII("null")
        } else {
            out.appendDecimal(m.iov)
        }
        out.appendASCII(",\"iovlen\":")
        out.appendDecimal(m.iovLength)
        out.appendASCII(",\"controllen\":")
        out.appendDecimal(m.controlLength)
        out.appendASCII(",\"flags\":")
        out.appendDecimal(UInt64(m.flags))
        out.append(UInt8(ascii: "}"))
    }
}
