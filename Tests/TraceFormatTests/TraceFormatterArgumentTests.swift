import Foundation
import Shared
import Testing

@testable import TraceFormat

/// Constant and flag arguments named as strace names them, and the bytes a
/// container writes escaped so that none reaches a terminal raw.
@Suite struct TraceFormatterArgumentTests {
    @Test func signalsAndMasks() {
        let lines = textLines([
            call("kill", [7, 15]),
            call("tgkill", [7, 8, 33]),
            call("rt_sigaction", [17, 0x1000, 0, 8]),
            call("rt_sigprocmask", [2, 0x1000, 0, 8]),
            call("rt_sigprocmask", [0, 0x1000, 0x2000, 8]),
            call("wait4", [UInt64(bitPattern: -1), 0x1000, 0x4000_0001, 0], ret: 7),
        ])
        #expect(lines[0].hasSuffix("kill(pid=7, sig=SIGTERM) = 0"))
        #expect(lines[1].hasSuffix("tgkill(tgid=7, pid=8, sig=SIGRT_1) = 0"))
        #expect(lines[2].hasSuffix("rt_sigaction(sig=SIGCHLD, act=0x1000, oact=NULL, sigsetsize=8) = 0"))
        #expect(lines[3].hasSuffix("rt_sigprocmask(how=SIG_SETMASK, nset=0x1000, oset=NULL, sigsetsize=8) = 0"))
        #expect(lines[4].hasSuffix("rt_sigprocmask(how=SIG_BLOCK, nset=0x1000, oset=0x2000, sigsetsize=8) = 0"))
        #expect(lines[5].hasSuffix("wait4(upid=-1, stat_addr=0x1000, options=WNOHANG|__WALL, ru=NULL) = 7"))
    }

    @Test func descriptorControl() {
        let lines = textLines([
            call("fcntl", [3, 3, 0], ret: 0x8002),
            call("fcntl", [3, 2, 1]),
            call("fcntl", [3, 4, 0o4002]),
            call("fcntl", [3, 1030, 10], ret: 10),
            call("fcntl", [3, 6, 0x7ffd_0000_1000]),
            call("fcntl", [3, 0x999, 5], ret: -22),
            call("ioctl", [1, 0x5401, 0x7ffd_0000_1000]),
            call("ioctl", [1, 0x5413, 0x7ffd_0000_1000]),
            call("ioctl", [4, 0x5421, 0x7ffd_0000_1000]),
            call("ioctl", [4, 0xc010_5512, 0x7ffd_0000_1000], ret: -25),
        ])
        // The kernel reads no third argument for F_GETFL: strace omits it.
        #expect(lines[0].hasSuffix("fcntl(fd=3, cmd=F_GETFL) = 32770"))
        #expect(lines[1].hasSuffix("fcntl(fd=3, cmd=F_SETFD, arg=FD_CLOEXEC) = 0"))
        #expect(lines[2].hasSuffix("fcntl(fd=3, cmd=F_SETFL, arg=O_RDWR|O_NONBLOCK) = 0"))
        #expect(lines[3].hasSuffix("fcntl(fd=3, cmd=F_DUPFD_CLOEXEC, arg=10) = 10"))
        #expect(lines[4].hasSuffix("fcntl(fd=3, cmd=F_SETLK, arg=0x7ffd00001000) = 0"))
        #expect(lines[5].hasSuffix("fcntl(fd=3, cmd=0x999, arg=0x5) = -1 EINVAL (Invalid argument)"))
        #expect(lines[6].hasSuffix("ioctl(fd=1, cmd=TCGETS, arg=0x7ffd00001000) = 0"))
        #expect(lines[7].contains("ioctl(fd=1, cmd=TIOCGWINSZ,"))
        #expect(lines[8].contains("ioctl(fd=4, cmd=FIONBIO,"))
        #expect(lines[9].contains("ioctl(fd=4, cmd=0xc0105512,"))
    }

    @Test func atFlagsAndMemory() {
        let lines = textLines([
            call("fchownat", [atFdcwd, 0x10, 0, 0, 0x100], payloads: [path(1, "x")]),
            call("linkat", [3, 0x10, atFdcwd, 0x20, 0x1000], payloads: [path(1, ""), path(3, "b")]),
            call("statx", [atFdcwd, 0x10, 0x4100, 0x7ff, 0x20], payloads: [path(1, "/x")]),
            call("statx", [atFdcwd, 0x10, 0, 0x7ff, 0x20], payloads: [path(1, "/x")]),
            call("faccessat2", [atFdcwd, 0x10, 6, 0x200], payloads: [path(1, "/x")]),
            call("faccessat2", [atFdcwd, 0x10, 0, 0], payloads: [path(1, "/x")]),
            call("utimensat", [5, 0, 0, 0x100]),
            call("mprotect", [0x7f00_0000_0000, 4096, 5]),
        ])
        #expect(
            lines[0].hasSuffix(#"fchownat(dfd=AT_FDCWD, filename="x", user=0, group=0, flag=AT_SYMLINK_NOFOLLOW) = 0"#))
        #expect(
            lines[1].hasSuffix(#"linkat(olddfd=3, oldname="", newdfd=AT_FDCWD, newname="b", flags=AT_EMPTY_PATH) = 0"#))
        #expect(
            lines[2].contains(
                #"statx(dfd=AT_FDCWD, filename="/x", flags=AT_STATX_DONT_SYNC|AT_SYMLINK_NOFOLLOW, mask=2047,"#))
        #expect(lines[3].contains("flags=AT_STATX_SYNC_AS_STAT, mask="))
        #expect(lines[4].hasSuffix(#"faccessat2(dfd=AT_FDCWD, filename="/x", mode=R_OK|W_OK, flags=AT_EACCESS) = 0"#))
        #expect(lines[5].hasSuffix("mode=F_OK, flags=0) = 0"))
        #expect(lines[6].hasSuffix("utimensat(dfd=5, filename=NULL, utimes=NULL, flags=AT_SYMLINK_NOFOLLOW) = 0"))
        #expect(lines[7].hasSuffix("mprotect(start=0x7f0000000000, len=4096, prot=PROT_READ|PROT_EXEC) = 0"))
    }

    /// A container's bytes: terminal escape sequences, carriage returns, NUL,
    /// invalid UTF-8. Text escapes them as strace does (octal, as few digits
    /// as possible unless an octal digit follows); JSON keeps them exactly.
    @Test func controlBytesNeverReachTheTerminal() throws {
        let written: [UInt8] =
            Array("\u{1b}[31mred\u{1b}[0m\r\n".utf8) + [0, 0x01] + Array("2".utf8) + [0x07, 0xff, 0xc3, 0x28]
        let items = [
            call(
                "write", [1, 0x5000, UInt64(written.count)], ret: Int64(written.count),
                payloads: [Payload(arg: 1, bytes: written, isString: false)]),
            call(
                "write", [1, 0x5000, 9], ret: 9,
                payloads: [Payload(arg: 1, bytes: Array("\u{1b}]0;pwned\u{07}".utf8), isString: false)]),
            call("openat", [atFdcwd, 0x10, 0, 0], ret: -2, payloads: [path(1, "caf\u{e9}\u{1b}")]),
        ]
        let lines = textLines(items)
        #expect(lines[0].contains(#"buf="\33[31mred\33[0m\r\n\0\0012\7\377\303(", count=21"#))
        #expect(lines[1].contains(#"buf="\33]0;pwned\7""#))
        #expect(lines[2].contains(#"filename="caf\303\251\33""#))
        for line in lines {
            #expect(!line.utf8.contains { $0 < 0x20 || $0 >= 0x7f })
        }

        var formatter = TraceFormatter(style: .json, catalog: TracefsFixtures.catalog)
        let out = formatter.formatted(items)
        #expect(!out.contains { ($0 < 0x20 && $0 != 0x0a) || $0 == 0x7f })
        let objects = try jsonObjects(items)
        let buf = try #require((objects[0]["args"] as? [String: Any])?["buf"] as? String)
        // Not UTF-8 (0xff): one character per byte, named in "latin1".
        #expect(buf.unicodeScalars.map { UInt8($0.value) } == written)
        #expect(objects[0]["latin1"] as? [String] == ["buf"])
        #expect((objects[1]["args"] as? [String: Any])?["buf"] as? String == "\u{1b}]0;pwned\u{07}")
        #expect(objects[1]["latin1"] == nil)
        #expect((objects[2]["args"] as? [String: Any])?["filename"] as? String == "caf\u{e9}\u{1b}")
    }

    @Test func minimalOctal() {
        func text(_ bytes: [UInt8]) -> String {
            var out: [UInt8] = []
            bytes.withUnsafeBufferPointer { out.appendTextEscaped($0) }
            return String(decoding: out, as: UTF8.self)
        }
        #expect(text([0]) == #"\0"#)
        #expect(text([0, 0x37]) == #"\0007"#)
        #expect(text([0, 0x38]) == #"\08"#)
        #expect(text([0x1b, 0x5b]) == #"\33["#)
        #expect(text([0x1b, 0x31]) == #"\0331"#)
        #expect(text([0x7f, 0x80, 0xff]) == #"\177\200\377"#)
        #expect(text([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x22, 0x5c]) == #"\t\n\v\f\r\"\\"#)
    }
}
