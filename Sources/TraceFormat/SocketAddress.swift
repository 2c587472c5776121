import Shared

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A captured `struct sockaddr`, decoded as far as strace decodes it
/// (print_sockaddr in its sockaddr.c): a family strace knows is decoded
/// only when the length covers that family's struct, otherwise its bytes
/// are shown raw as `sa_data`.
enum SocketAddress: Equatable {
    /// Only sa_family (addrlen 2): an unnamed AF_UNIX socket, or an AF_UNSPEC.
    case familyOnly(UInt16)
    /// A path, or (abstract) a name in the abstract namespace: sun_path
    /// starts with a NUL and every byte of the length counts, NULs too.
    case unix(path: [UInt8], abstract: Bool)
    case inet(address: [UInt8], port: UInt16)
    /// scopeID is nil when the length stops before sin6_scope_id (RFC 2133's
    /// 24-byte sockaddr_in6, which strace also accepts).
    case inet6(address: [UInt8], port: UInt16, flowinfo: UInt32, scopeID: UInt32?)
    case netlink(pad: UInt16, pid: UInt32, groups: UInt32)
    case raw(family: UInt16, data: [UInt8])

    /// `length` is the addrlen the call gave or got; nil when it is shorter
    /// than sa_family (strace prints the pointer then).
    init?(_ bytes: [UInt8], length: Int) {
        let n = min(max(length, 0), bytes.count, 128)  // sizeof(struct sockaddr_storage)
        guard n >= 2 else { return nil }
        let b = Array(bytes[0..<n])
        let family = UInt16(b[0]) | UInt16(b[1]) << 8
        func be16(_ i: Int) -> UInt16 { UInt16(b[i]) << 8 | UInt16(b[i + 1]) }
        func le32(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[i + $1]) << (8 * UInt32($1)) } }
        func be32(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 << 8 | UInt32(b[i + $1]) } }
        switch family {
        case _ where n == 2:
            self = .familyOnly(family)
        case SocketNames.unix:
            let path = b[2...]
            if path.first == 0 {
                self = .unix(path: Array(path.dropFirst()), abstract: true)
            } else {
                self = .unix(path: Array(path.prefix { $0 != 0 }), abstract: false)
            }
        case SocketNames.inet where n >= 16:
            self = .inet(address: Array(b[4..<8]), port: be16(2))
        case SocketNames.inet6 where n >= 24:
            self = .inet6(
                address: Array(b[8..<24]), port: be16(2), flowinfo: be32(4), scopeID: n >= 28 ? le32(24) : nil)
        case SocketNames.netlink where n >= 12:
            self = .netlink(pad: UInt16(b[2]) | UInt16(b[3]) << 8, pid: le32(4), groups: le32(8))
        default:
            self = .raw(family: family, data: Array(b[2...]))
        }
    }

    var family: UInt16 {
        switch self {
        case .familyOnly(let f): f
        case .unix: SocketNames.unix
        case .inet: SocketNames.inet
        case .inet6: SocketNames.inet6
        case .netlink: SocketNames.netlink
        case .raw(let f, _): f
        }
    }

    /// The address as inet_ntop writes it (RFC 5952 for IPv6), as strace does.
    static func presentation(_ address: [UInt8]) -> String {
        if address.count == 4 { return address.map { String($0) }.joined(separator: ".") }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = address.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
        guard ok != nil else { return "" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension ByteSink where Self: ~Copyable {
    /// `{sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr("10.0.0.5")}`
    mutating func appendSocketAddressText(_ a: SocketAddress) {
        appendASCII("{sa_family=")
        appendAddressFamily(UInt64(a.family))
        switch a {
        case .familyOnly:
            break
        case .unix(let path, let abstract):
            appendASCII(", sun_path=")
            if abstract { append(UInt8(ascii: "@")) }
            appendQuoted(path)
        case .inet(let address, let port):
            appendASCII(", sin_port=htons(")
            appendDecimal(UInt64(port))
            appendASCII("), sin_addr=inet_addr(\"")
            appendUTF8(SocketAddress.presentation(address))
            appendASCII("\")")
        case .inet6(let address, let port, let flowinfo, let scopeID):
            appendASCII(", sin6_port=htons(")
            appendDecimal(UInt64(port))
            appendASCII("), sin6_flowinfo=htonl(")
            appendDecimal(UInt64(flowinfo))
            appendASCII("), inet_pton(AF_INET6, \"")
            appendUTF8(SocketAddress.presentation(address))
            appendASCII("\", &sin6_addr)")
            if let scopeID {
                appendASCII(", sin6_scope_id=")
                appendDecimal(UInt64(scopeID))
            }
        case .netlink(let pad, let pid, let groups):
            if pad != 0 {
                appendASCII(", nl_pad=")
                appendHex(UInt64(pad))
            }
            appendASCII(", nl_pid=")
            appendDecimal(Int64(Int32(bitPattern: pid)))
            appendASCII(", nl_groups=")
            appendHexPadded(UInt64(groups), width: 8)
        case .raw(_, let data):
            appendASCII(", sa_data=")
            appendQuoted(data)
        }
        append(UInt8(ascii: "}"))
    }

    /// `{"family":"AF_INET","addr":"10.0.0.5","port":5432}`. The family is
    /// its AF_ name, or its number as a string when it has none; a path
    /// that is not UTF-8 is written as Latin-1 and marked `"latin1":true`.
    mutating func appendSocketAddressJSON(_ a: SocketAddress) {
        appendASCII("{\"family\":\"")
        if let name = constantName(UInt64(a.family), SocketNames.families) {
            appendASCII(name)
        } else {
            appendDecimal(UInt64(a.family))
        }
        append(UInt8(ascii: "\""))
        switch a {
        case .familyOnly:
            break
        case .unix(let path, let abstract):
            appendASCII(",\"path\":")
            let latin1 = appendJSONBytes(path)
            if abstract { appendASCII(",\"abstract\":true") }
            if latin1 { appendASCII(",\"latin1\":true") }
        case .inet(let address, let port):
            appendASCII(",\"addr\":\"")
            appendUTF8(SocketAddress.presentation(address))
            appendASCII("\",\"port\":")
            appendDecimal(UInt64(port))
        case .inet6(let address, let port, let flowinfo, let scopeID):
            appendASCII(",\"addr\":\"")
            appendUTF8(SocketAddress.presentation(address))
            appendASCII("\",\"port\":")
            appendDecimal(UInt64(port))
            appendASCII(",\"flowinfo\":")
            appendDecimal(UInt64(flowinfo))
            appendASCII(",\"scope_id\":")
            appendDecimal(UInt64(scopeID ?? 0))
        case .netlink(_, let pid, let groups):
            appendASCII(",\"pid\":")
            appendDecimal(Int64(Int32(bitPattern: pid)))
            appendASCII(",\"groups\":")
            appendDecimal(UInt64(groups))
        case .raw(_, let data):
            appendASCII(",\"data\":\"")
            for b in data {
                append(hexDigit(b >> 4))
                append(hexDigit(b & 0xf))
            }
            append(UInt8(ascii: "\""))
        }
        append(UInt8(ascii: "}"))
    }

    /// `"…"` with strace's escaping.
    mutating func appendQuoted(_ bytes: [UInt8]) {
        append(UInt8(ascii: "\""))
        bytes.withUnsafeBufferPointer { appendTextEscaped($0) }
        append(UInt8(ascii: "\""))
    }

    /// C's `%#0*x`, as strace prints nl_groups: zero-padded to `width`
    /// characters including the `0x`, which `#` omits for zero.
    mutating func appendHexPadded(_ value: UInt64, width: Int) {
        var digits: [UInt8] = []
        var v = value
        repeat {
            digits.append(hexDigit(UInt8(v & 0xf)))
            v >>= 4
        } while v != 0
        let prefix = value == 0 ? 0 : 2
        if value != 0 { appendASCII("0x") }
        if digits.count + prefix < width {
            for _ in 0..<(width - digits.count - prefix) { append(UInt8(ascii: "0")) }
        }
        for d in digits.reversed() { append(d) }
    }
}
