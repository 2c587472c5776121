import Foundation
import Shared
import Testing

@testable import TraceFormat

/// strace -y from the trace alone: fds are named by the calls that made them.
@Suite struct DescriptorNamesTests {
    func formatter(_ style: TraceFormatter.Style) -> TraceFormatter {
        var f = TraceFormatter(style: style, catalog: TracefsFixtures.catalog)
        f.descriptorNames = DescriptorNames()
        return f
    }

    @Test func pathsLikeStraceY() {
        var f = formatter(.text)
        let lines = [
            call("openat", [atFdcwd, 0x10, 0o2000000, 0], ret: 3, payloads: [path(1, "/etc/app.conf")]),
            call("read", [3, 0x20, 10], ret: 2, payloads: [Payload(arg: 1, bytes: Array("ok".utf8), isString: false)]),
            call("dup2", [3, 7], ret: 7),
            call("close", [3]),
            call("read", [3, 0x20, 10], ret: -9),
            call("write", [7, 0x20, 0], ret: 0),
            // Never made in the window: left unnamed, not guessed.
            call("write", [1, 0x20, 0], ret: 0),
            call("openat", [atFdcwd, 0x10, 0o200000, 0], ret: 4, payloads: [path(1, "/srv/data")]),
            call("openat", [4, 0x10, 0, 0], ret: 5, payloads: [path(1, "a<b>")]),
            call("openat", [atFdcwd, 0x10, 0, 0], ret: -2, payloads: [path(1, "/nope")]),
        ].map { f.line($0) }
        #expect(lines[0].hasSuffix(#"flags=O_RDONLY|O_CLOEXEC) = 3</etc/app.conf>"#))
        #expect(lines[1].hasSuffix(#"read(fd=3</etc/app.conf>, buf="ok", count=10) = 2"#))
        #expect(lines[2].hasSuffix("dup2(oldfd=3</etc/app.conf>, newfd=7) = 7</etc/app.conf>"))
        #expect(lines[3].hasSuffix("close(fd=3</etc/app.conf>) = 0"))
        #expect(lines[4].hasSuffix("read(fd=3, buf=0x20, count=10) = -1 EBADF (Bad file descriptor)"))
        #expect(lines[5].hasSuffix("write(fd=7</etc/app.conf>, buf=0x20, count=0) = 0"))
        #expect(lines[6].hasSuffix("write(fd=1, buf=0x20, count=0) = 0"))
        // A path relative to a known directory fd is joined to its name.
        #expect(
            lines[8].hasSuffix(#"openat(dfd=4</srv/data>, filename="a<b>", flags=O_RDONLY) = 5</srv/data/a\74b\76>"#))
        #expect(lines[9].hasSuffix("= -1 ENOENT (No such file or directory)"))
    }

    @Test func socketsAndPeers() {
        var f = formatter(.text)
        let lines = [
            call("socket", [2, 1, 6], ret: 3),
            call("connect", [3, 0x10, 16], payloads: [address(1, Sockaddr.inet([10, 0, 0, 5], port: 5432))]),
            call("sendto", [3, 0x20, 0, 0, 0, 0], ret: 0),
            call(
                "accept4", [9, 0x10, 0x20, 0], ret: 10, payloads: [address(1, Sockaddr.inet6(loopback6, port: 40000))]),
            call("socket", [1, 1, 0], ret: 11),
            // A non-blocking connect in progress has its peer.
            call(
                "connect", [11, 0x10, 110], ret: -115, payloads: [address(1, Sockaddr.unix("/run/db.sock"))]),
            call("write", [11, 0x20, 0], ret: 0),
        ].map { f.line($0) }
        #expect(lines[0].hasSuffix("= 3<socket:[AF_INET]>"))
        #expect(lines[1].contains("connect(fd=3<socket:[AF_INET]>, uservaddr="))
        #expect(lines[2].contains("sendto(fd=3<socket:[10.0.0.5:5432]>, "))
        #expect(lines[3].contains("accept4(fd=9, ") && lines[3].hasSuffix("= 10<socket:[[::1]:40000]>"))
        #expect(lines[6].contains("write(fd=11<socket:[/run/db.sock]>, "))
    }

    @Test func lifetimes() {
        var f = formatter(.text)
        let lines = [
            call("openat", [atFdcwd, 0x10, 0o2000000, 0], ret: 3, payloads: [path(1, "/keep-not")]),
            call("openat", [atFdcwd, 0x10, 0, 0], ret: 4, payloads: [path(1, "/keep")]),
            call("fcntl", [4, 1030, 0], ret: 5),
            call("execve", [0x10, 0x20, 0x30], payloads: [path(0, "/bin/app")]),
            call("read", [3, 0, 0]),
            call("read", [4, 0, 0]),
            call("read", [5, 0, 0]),
            processExit(status: 0),
            call("read", [4, 0, 0]),
        ].map { f.line($0) }
        // O_CLOEXEC and F_DUPFD_CLOEXEC fds are gone after execve; the rest stay.
        #expect(lines[4].hasSuffix("read(fd=3, buf=NULL, count=0) = 0"))
        #expect(lines[5].hasSuffix("read(fd=4</keep>, buf=NULL, count=0) = 0"))
        #expect(lines[6].hasSuffix("read(fd=5, buf=NULL, count=0) = 0"))
        // The process's table ends with it.
        #expect(lines[8].hasSuffix("read(fd=4, buf=NULL, count=0) = 0"))
    }

    /// Calls a filter leaves out still name fds: they pass through `track`.
    @Test func filteredCallsStillCount() {
        var f = formatter(.text)
        var filter = TraceFilter()
        filter.syscalls = ["read"]
        var lines: [String] = []
        for item in [
            call("openat", [atFdcwd, 0x10, 0, 0], ret: 3, payloads: [path(1, "/etc/app.conf")]),
            call("read", [3, 0, 0]),
        ] {
            if filter.admits(item) { lines.append(f.line(item)) } else { f.track(item) }
        }
        #expect(lines == ["00:00.000000 cpu#1 pid 42 [cat] read(fd=3</etc/app.conf>, buf=NULL, count=0) = 0"])
        // Per process: another pid's fd 3 is not this one.
        #expect(f.line(call("read", [3, 0, 0], pid: 43, tid: 43)).contains("read(fd=3, "))
    }

    @Test func jsonFdPath() throws {
        var f = formatter(.json)
        let out = f.formatted(
            [
                call("openat", [atFdcwd, 0x10, 0, 0], ret: 3, payloads: [path(1, "/etc/app.conf")]),
                call("read", [3, 0, 0]),
                call(
                    "openat", [atFdcwd, 0x10, 0, 0], ret: 4,
                    payloads: [Payload(arg: 1, bytes: [0x2f, 0xff], isString: true)]),
                call("read", [4, 0, 0]),
                call("read", [5, 0, 0]),
            ])
        let objects = try out.split(separator: UInt8(ascii: "\n")).map {
            try #require(try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])
        }
        #expect(objects[0]["fd_path"] == nil)
        #expect(objects[1]["fd_path"] as? String == "/etc/app.conf")
        #expect(objects[3]["fd_path"] as? String == "/\u{ff}")
        #expect(objects[3]["latin1"] as? [String] == ["fd_path"])
        #expect(objects[4]["fd_path"] == nil)
        // Off unless asked.
        var plain = TraceFormatter(style: .json, catalog: TracefsFixtures.catalog)
        _ = plain.line(call("openat", [atFdcwd, 0x10, 0, 0], ret: 3, payloads: [path(1, "/x")]))
        #expect(!plain.line(call("read", [3, 0, 0])).contains("fd_path"))
    }
}
