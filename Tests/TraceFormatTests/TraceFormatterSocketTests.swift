import Foundation
import Shared
import Testing

@testable import TraceFormat

/// Socket addresses as a task passes them: little-endian sa_family, the
/// port and IPv4/IPv6 address in network order.
enum Sockaddr {
    static func inet(_ a: [UInt8], port: UInt16) -> [UInt8] {
        [2, 0, UInt8(port >> 8), UInt8(port & 0xff)] + a + [UInt8](repeating: 0, count: 8)
    }

    static func inet6(_ a: [UInt8], port: UInt16, flowinfo: UInt32 = 0, scope: UInt32 = 0) -> [UInt8] {
        [10, 0, UInt8(port >> 8), UInt8(port & 0xff)]
            + (0..<4).map { UInt8(truncatingIfNeeded: flowinfo >> (24 - 8 * $0)) }
            + a + (0..<4).map { UInt8(truncatingIfNeeded: scope >> (8 * $0)) }
    }

    /// sockaddr_un as connect(2) gets it from most programs: the whole
    /// 110-byte struct, zero-padded.
    static func unix(_ path: String) -> [UInt8] {
        let bytes = [1, 0] + Array(path.utf8)
        return bytes + [UInt8](repeating: 0, count: 110 - bytes.count)
    }
}

func address(_ arg: Int, _ bytes: [UInt8], size: Int? = nil) -> Payload {
    Payload(arg: arg, bytes: bytes, kind: .sockaddr, size: UInt64(size ?? bytes.count))
}

func vector(_ i: Int, _ s: String, len: Int? = nil, truncated: Bool = false) -> Payload {
    Payload(
        arg: Payload.iovBase + i, bytes: Array(s.utf8), kind: .iov, size: UInt64(len ?? s.utf8.count),
        truncated: truncated)
}

/// A 64-bit struct msghdr.
func msghdr(
    name: UInt64, namelen: UInt32, iov: UInt64, iovlen: UInt64, control: UInt64 = 0, controllen: UInt64 = 0,
    flags: UInt32 = 0
)
    -> Payload
{
    func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    let bytes =
        le(name, 8) + le(UInt64(namelen), 4) + le(0, 4) + le(iov, 8) + le(iovlen, 8) + le(control, 8)
        + le(controllen, 8) + le(UInt64(flags), 4) + le(0, 4)
    return Payload(arg: 1, bytes: bytes, kind: .msghdr, size: 56)
}

let loopback6: [UInt8] = [UInt8](repeating: 0, count: 15) + [1]

@Suite struct TraceFormatterSocketTests {
    @Test func socketAddressesLikeStrace() {
        let lines = textLines([
            call("connect", [3, 0x1000, 16], payloads: [address(1, Sockaddr.inet([10, 0, 0, 5], port: 5432))]),
            call(
                "accept4", [3, 0x1000, 0x2000, 0o2000000], ret: 4,
                payloads: [address(1, Sockaddr.inet6(loopback6, port: 80))]),
            call("connect", [3, 0x1000, 110], payloads: [address(1, Sockaddr.unix("/run/x.sock"))]),
            // An abstract name: sun_path starts with a NUL; the length ends it.
            call("bind", [3, 0x1000, 7], payloads: [address(1, [1, 0, 0] + Array("name".utf8))]),
            call("getsockname", [3, 0x1000, 0x2000], payloads: [address(1, [1, 0])]),
            call("bind", [4, 0x1000, 12], payloads: [address(1, [16, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0])]),
            call(
                "bind", [4, 0x1000, 12], payloads: [address(1, [16, 0, 0, 0] + [0x39, 0x30, 0, 0] + [1, 0, 0, 0])]),
            call(
                "bind", [5, 0x1000, 20],
                payloads: [address(1, [17, 0, 0, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]),
            call(
                "connect", [3, 0x10, 16], ret: -14,
                payloads: [Payload(arg: 1, bytes: [], kind: .sockaddr, size: 16, fault: true)]),
            call("connect", [3, 0x1000, 1], ret: -22, payloads: [address(1, [2])]),
            call("connect", [3, 0x1000, 8], ret: -22, payloads: [address(1, [2, 0, 0, 80, 127, 0, 0, 1])]),
            call(
                "connect", [3, 0x1000, 16], ret: -97,
                payloads: [address(1, [46, 0, 1, 2] + [UInt8](repeating: 0, count: 12))]),
        ])
        #expect(
            lines[0].hasSuffix(
                #"connect(fd=3, uservaddr={sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr("10.0.0.5")}, addrlen=16) = 0"#
            ))
        #expect(
            lines[1].hasSuffix(
                #"accept4(fd=3, upeer_sockaddr={sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, upeer_addrlen=[28], flags=SOCK_CLOEXEC) = 4"#
            ))
        #expect(
            lines[2].hasSuffix(
                #"connect(fd=3, uservaddr={sa_family=AF_UNIX, sun_path="/run/x.sock"}, addrlen=110) = 0"#))
        #expect(lines[3].hasSuffix(#"bind(fd=3, umyaddr={sa_family=AF_UNIX, sun_path=@"name"}, addrlen=7) = 0"#))
        #expect(lines[4].hasSuffix("getsockname(fd=3, usockaddr={sa_family=AF_UNIX}, usockaddr_len=[2]) = 0"))
        #expect(lines[5].hasSuffix("umyaddr={sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, addrlen=12) = 0"))
        #expect(lines[6].hasSuffix("umyaddr={sa_family=AF_NETLINK, nl_pid=12345, nl_groups=0x000001}, addrlen=12) = 0"))
        #expect(
            lines[7].hasSuffix(
                #"umyaddr={sa_family=AF_PACKET, sa_data="\0\3\2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"}, addrlen=20) = 0"#))
        // What could not be read stays the pointer, as strace prints it.
        #expect(lines[8].hasSuffix("connect(fd=3, uservaddr=0x10, addrlen=16) = -1 EFAULT (Bad address)"))
        #expect(lines[9].contains("connect(fd=3, uservaddr=0x1000, addrlen=1)"))
        // Too short for a sockaddr_in: the bytes after the family, raw.
        #expect(lines[10].contains(#"uservaddr={sa_family=AF_INET, sa_data="\0P\177\0\0\1"}"#))
        #expect(lines[11].contains(#"uservaddr={sa_family=0x2e /* AF_??? */, sa_data="\1\2\0\0\0\0\0\0\0\0\0\0\0\0"}"#))
    }

    /// inet_ntop's RFC 5952 text: the longest run of zero groups (the first
    /// of equals) becomes `::`, never a single group; IPv4-mapped addresses
    /// end in dotted decimal.
    @Test func ipv6Text() {
        func text(_ groups: [UInt16]) -> String {
            SocketAddress.presentation(groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] })
        }
        #expect(text([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]) == "2001:db8::1")
        #expect(text([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]) == "2001:db8:0:1:1:1:1:1")
        #expect(text([0x2001, 0, 0, 1, 0, 0, 0, 1]) == "2001:0:0:1::1")
        #expect(text([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]) == "2001:db8::1:0:0:1")
        #expect(text([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001]) == "::ffff:10.0.0.1")
        #expect(text([0xfe80, 0, 0, 0, 0xabcd, 0, 0, 0]) == "fe80::abcd:0:0:0")
        #expect(text([0, 0, 0, 0, 0, 0, 0, 0]) == "::")
        let scoped = textLines([
            call(
                "connect", [3, 0x1000, 28],
                payloads: [
                    address(
                        1,
                        Sockaddr.inet6(
                            [0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [1], port: 443, flowinfo: 0x12345,
                            scope: 2))
                ])
        ])
        #expect(
            scoped[0].contains(
                #"{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(74565), inet_pton(AF_INET6, "fe80::1", &sin6_addr), sin6_scope_id=2}"#
            ))
    }

    @Test func socketCallsLikeStrace() {
        let lines = textLines([
            call("socket", [2, 0o2000001, 6], ret: 3),
            call("socket", [16, 0o2000003, 0], ret: 4),
            call("socket", [10, 0o4002, 0], ret: 5),
            call("socketpair", [1, 1, 0, 0x7ffd_0000_1000]),
            call("socket", [46, 9, 7], ret: -97),
            call("setsockopt", [3, 1, 2, 0x7ffd_0000_2000, 4]),
            call("setsockopt", [3, 6, 1, 0x7ffd_0000_2000, 4]),
            call("getsockopt", [3, 1, 4, 0x7ffd_0000_2000, 0x7ffd_0000_3000]),
            call(
                "sendto", [3, 0x5000, 2, 0x4000, 0x6000, 16], ret: 2,
                payloads: [
                    Payload(arg: 1, bytes: Array("hi".utf8), isString: false),
                    address(4, Sockaddr.inet([8, 8, 8, 8], port: 53)),
                ]),
            call(
                "recvfrom", [3, 0x5000, 512, 0, 0x6000, 0x7000], ret: 4,
                payloads: [
                    Payload(arg: 1, bytes: Array("pong".utf8), isString: false),
                    address(4, Sockaddr.inet([8, 8, 8, 8], port: 53)),
                ]),
            call("recvfrom", [3, 0x5000, 512, 0x40, 0, 0], ret: -11),
        ])
        #expect(lines[0].hasSuffix("socket(family=AF_INET, type=SOCK_STREAM|SOCK_CLOEXEC, protocol=IPPROTO_TCP) = 3"))
        #expect(lines[1].hasSuffix("socket(family=AF_NETLINK, type=SOCK_RAW|SOCK_CLOEXEC, protocol=NETLINK_ROUTE) = 4"))
        #expect(lines[2].hasSuffix("socket(family=AF_INET6, type=SOCK_DGRAM|SOCK_NONBLOCK, protocol=IPPROTO_IP) = 5"))
        #expect(
            lines[3].hasSuffix("socketpair(family=AF_UNIX, type=SOCK_STREAM, protocol=0, usockvec=0x7ffd00001000) = 0"))
        #expect(
            lines[4].hasSuffix(
                "socket(family=0x2e /* AF_??? */, type=9, protocol=7) = -1 EAFNOSUPPORT (Address family not supported by protocol)"
            ))
        #expect(
            lines[5].hasSuffix(
                "setsockopt(fd=3, level=SOL_SOCKET, optname=SO_REUSEADDR, optval=0x7ffd00002000, optlen=4) = 0"))
        #expect(lines[6].contains("level=SOL_TCP, optname=TCP_NODELAY,"))
        #expect(lines[7].contains("getsockopt(fd=3, level=SOL_SOCKET, optname=SO_ERROR,"))
        #expect(
            lines[8].hasSuffix(
                #"sendto(fd=3, buff="hi", len=2, flags=MSG_NOSIGNAL, addr={sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("8.8.8.8")}, addr_len=16) = 2"#
            ))
        #expect(
            lines[9].hasSuffix(
                #"recvfrom(fd=3, ubuf="pong", size=512, flags=0, addr={sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("8.8.8.8")}, addr_len=[16]) = 4"#
            ))
        #expect(
            lines[10].hasSuffix(
                "recvfrom(fd=3, ubuf=0x5000, size=512, flags=MSG_DONTWAIT, addr=NULL, addr_len=NULL) = -1 EAGAIN (Resource temporarily unavailable)"
            ))
    }

    @Test func socketAddressJSON() throws {
        let objects = try jsonObjects([
            call("connect", [3, 0x1000, 16], payloads: [address(1, Sockaddr.inet([10, 0, 0, 5], port: 5432))]),
            call(
                "accept4", [3, 0x1000, 0x2000, 0], ret: 4, payloads: [address(1, Sockaddr.inet6(loopback6, port: 80))]),
            call("connect", [3, 0x1000, 110], payloads: [address(1, Sockaddr.unix("/run/x.sock"))]),
            call("bind", [3, 0x1000, 7], payloads: [address(1, [1, 0, 0] + Array("name".utf8))]),
            call(
                "bind", [4, 0x1000, 12], payloads: [address(1, [16, 0, 0, 0] + [0x39, 0x30, 0, 0] + [1, 0, 0, 0])]),
            call("bind", [5, 0x1000, 6], payloads: [address(1, [17, 0, 0, 3, 0xab, 0xff])]),
            call(
                "connect", [3, 0x10, 16], ret: -14,
                payloads: [Payload(arg: 1, bytes: [], kind: .sockaddr, size: 16, fault: true)]),
            call("bind", [3, 0x1000, 5], payloads: [address(1, [1, 0, 0x2f, 0xff, 0])]),
        ])
        func arg(_ i: Int, _ name: String) -> [String: Any]? {
            (objects[i]["args"] as? [String: Any])?[name] as? [String: Any]
        }
        let inet = try #require(arg(0, "uservaddr"))
        #expect(inet["family"] as? String == "AF_INET")
        #expect(inet["addr"] as? String == "10.0.0.5")
        #expect(inet["port"] as? Int == 5432)
        let inet6 = try #require(arg(1, "upeer_sockaddr"))
        #expect(inet6["family"] as? String == "AF_INET6")
        #expect(inet6["addr"] as? String == "::1")
        #expect(inet6["port"] as? Int == 80)
        #expect(inet6["flowinfo"] as? Int == 0)
        #expect(inet6["scope_id"] as? Int == 0)
        // The length pointer stays a number in JSON.
        #expect((objects[1]["args"] as? [String: Any])?["upeer_addrlen"] as? Int == 0x2000)
        let unix = try #require(arg(2, "uservaddr"))
        #expect(unix["path"] as? String == "/run/x.sock")
        #expect(unix["abstract"] == nil)
        let abstract = try #require(arg(3, "umyaddr"))
        #expect(abstract["path"] as? String == "name")
        #expect(abstract["abstract"] as? Bool == true)
        let netlink = try #require(arg(4, "umyaddr"))
        #expect(netlink["family"] as? String == "AF_NETLINK")
        #expect(netlink["pid"] as? Int == 12345)
        #expect(netlink["groups"] as? Int == 1)
        let packet = try #require(arg(5, "umyaddr"))
        #expect(packet["family"] as? String == "AF_PACKET")
        #expect(packet["data"] as? String == "0003abff")
        #expect((objects[6]["args"] as? [String: Any])?["uservaddr"] as? Int == 0x10)
        #expect(objects[6]["faulted"] as? [String] == ["uservaddr"])
        let latin1 = try #require(arg(7, "umyaddr"))
        #expect(latin1["path"] as? String == "/\u{ff}")
        #expect(latin1["latin1"] as? Bool == true)
    }

    @Test func iovecsLikeStrace() {
        let lines = textLines([
            call(
                "writev", [1, 0x1000, 2], ret: 12, payloads: [vector(0, "hello"), vector(1, " world\n")]),
            // Five vectors, four captured; at exit readv has only the bytes read.
            call(
                "readv", [3, 0x1000, 5], ret: 6,
                payloads: [
                    vector(0, "abc", len: 3), vector(1, "def", len: 100), vector(2, "", len: 10), vector(3, "", len: 1),
                ]),
            call("readv", [3, 0x1000, 2], ret: -9),
            call("writev", [1, 0x1000, 1], ret: 4000, payloads: [vector(0, "xy", len: 4000, truncated: true)]),
        ])
        #expect(
            lines[0].hasSuffix(
                #"writev(fd=1, vec=[{iov_base="hello", iov_len=5}, {iov_base=" world\n", iov_len=7}], vlen=2) = 12"#))
        #expect(
            lines[1].hasSuffix(
                #"readv(fd=3, vec=[{iov_base="abc", iov_len=3}, {iov_base="def", iov_len=100}, {iov_base="", iov_len=10}, {iov_base="", iov_len=1}, ...], vlen=5) = 6"#
            ))
        #expect(lines[2].hasSuffix("readv(fd=3, vec=0x1000, vlen=2) = -1 EBADF (Bad file descriptor)"))
        #expect(lines[3].hasSuffix(#"writev(fd=1, vec=[{iov_base="xy"..., iov_len=4000}], vlen=1) = 4000"#))
    }

    @Test func messageHeadersLikeStrace() {
        let lines = textLines([
            call(
                "sendmsg", [3, 0x1000, 0], ret: 1,
                payloads: [
                    msghdr(name: 0x2000, namelen: 16, iov: 0x3000, iovlen: 1),
                    address(Payload.msgNameArg, Sockaddr.inet([8, 8, 8, 8], port: 53)),
                    vector(0, "q"),
                ]),
            call(
                "recvmsg", [3, 0x1000, 0x4000_0000], ret: 5,
                payloads: [
                    msghdr(name: 0, namelen: 0, iov: 0x3000, iovlen: 2, control: 0x4000, controllen: 24, flags: 8),
                    vector(0, "hello", len: 64),
                ]),
            call("sendmsg", [3, 0x1000, 0x4000], ret: -32),
        ])
        #expect(
            lines[0].hasSuffix(
                #"sendmsg(fd=3, msg={msg_name={sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("8.8.8.8")}, msg_namelen=16, msg_iov=[{iov_base="q", iov_len=1}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, flags=0) = 1"#
            ))
        #expect(
            lines[1].hasSuffix(
                #"recvmsg(fd=3, msg={msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="hello", iov_len=64}, ...], msg_iovlen=2, msg_control=0x4000, msg_controllen=24, msg_flags=MSG_CTRUNC}, flags=MSG_CMSG_CLOEXEC) = 5"#
            ))
        #expect(lines[2].hasSuffix("sendmsg(fd=3, msg=0x1000, flags=MSG_NOSIGNAL) = -1 EPIPE (Broken pipe)"))
    }

    #if arch(x86_64)
        /// An i386 task's msghdr is seven 32-bit words.
        @Test func compatMessageHeader() {
            let words: [UInt32] = [0, 0, 0xffd0_3000, 1, 0, 0, 0]
            let bytes = words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * UInt32($0))) } }
            // libseccomp resolves i386 "sendmsg" to the socketcall multiplexer;
            // the direct call (since Linux 4.3) is 370.
            let lines = textLines([
                .syscall(
                    SyscallEvent(
                        tsNs: t0, cpu: 1, pid: 42, tid: 42, comm: "cat", nr: 370, compat: true,
                        args: [3, 0xffd0_1000, 0, 0, 0, 0], ret: 2,
                        payloads: [Payload(arg: 1, bytes: bytes, kind: .msghdr, size: 28), vector(0, "hi")]))
            ])
            #expect(
                lines[0].hasSuffix(
                    #"[i386] sendmsg(fd=3, msg={msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="hi", iov_len=2}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, flags=0) = 2"#
                ))
        }
    #endif

    @Test func iovecsAndMessagesJSON() throws {
        let objects = try jsonObjects([
            call(
                "writev", [1, 0x1000, 3], ret: 12,
                payloads: [vector(0, "hello"), vector(1, " world\n", truncated: true)]),
            call(
                "sendmsg", [3, 0x1000, 0], ret: 1,
                payloads: [
                    msghdr(name: 0x2000, namelen: 16, iov: 0x3000, iovlen: 1),
                    address(Payload.msgNameArg, Sockaddr.inet([8, 8, 8, 8], port: 53)),
                    Payload(arg: Payload.iovBase, bytes: [0xff], kind: .iov, size: 1),
                ]),
            call("recvmsg", [3, 0x1000, 0], ret: 0, payloads: [msghdr(name: 0, namelen: 0, iov: 0x3000, iovlen: 1)]),
        ])
        let args = try #require(objects[0]["args"] as? [String: Any])
        let iov = try #require(args["vec"] as? [[String: Any]])
        #expect(iov.count == 2)
        #expect(iov[0]["base"] as? String == "hello")
        #expect(iov[0]["len"] as? Int == 5)
        #expect(iov[0]["truncated"] == nil)
        #expect(iov[1]["base"] as? String == " world\n")
        #expect(iov[1]["truncated"] as? Bool == true)
        #expect(args["vlen"] as? Int == 3)

        let msg = try #require((objects[1]["args"] as? [String: Any])?["msg"] as? [String: Any])
        let name = try #require(msg["name"] as? [String: Any])
        #expect(name["addr"] as? String == "8.8.8.8")
        #expect(msg["namelen"] as? Int == 16)
        let msgIov = try #require(msg["iov"] as? [[String: Any]])
        #expect(msgIov[0]["base"] as? String == "\u{ff}")
        #expect(msgIov[0]["latin1"] as? Bool == true)
        #expect(msg["iovlen"] as? Int == 1)
        #expect(msg["controllen"] as? Int == 0)
        #expect(msg["flags"] as? Int == 0)

        let empty = try #require((objects[2]["args"] as? [String: Any])?["msg"] as? [String: Any])
        #expect(empty["name"] is NSNull)
        #expect(empty["iov"] as? Int == 0x3000)
    }
}
