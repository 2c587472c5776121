import Foundation
import Shared
import Testing

@testable import TraceFormat

/// JSON lines for `items`, each checked to be one valid JSON object.
func jsonObjects(_ items: [TraceItem], catalog: TracefsCatalog = TracefsFixtures.catalog) throws -> [[String: Any]] {
    var formatter = TraceFormatter(style: .json, catalog: catalog)
    let out = formatter.formatted(items)
    #expect(out.last == UInt8(ascii: "\n"))
    let lines = out.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
    #expect(lines.count == items.count)
    return try lines.map { line in
        let object = try JSONSerialization.jsonObject(with: Data(line))
        return try #require(object as? [String: Any])
    }
}

@Suite struct TraceFormatterJSONTests {
    #if arch(x86_64)
        @Test func exactOpenatLine() {
            var formatter = TraceFormatter(style: .json, catalog: TracefsFixtures.catalog)
            let line = formatter.line(
                call("openat", [atFdcwd, 0x7ffd_0000_1000, 0o2000000, 0], ret: 3, payloads: [path(1, "/etc/hostname")]))
            #expect(
                line
                    == #"{"ts_ns":5000000000000,"cpu":1,"pid":42,"tid":42,"comm":"cat","syscall":"openat","nr":257,"arch":"x86_64","args":{"dfd":-100,"filename":"/etc/hostname","flags":524288,"mode":0},"ret":3}"#
            )
        }
    #endif

    @Test func contractFields() throws {
        let objects = try jsonObjects([
            call("openat", [atFdcwd, 0x1000, 0, 0], ret: -2, payloads: [path(1, "/nope")], pid: 7, tid: 8),
            call("getppid", [], ret: nil),
            .lost(count: 37),
        ])
        let failed = objects[0]
        #expect(failed["ts_ns"] as? Int == Int(t0))
        #expect(failed["pid"] as? Int == 7)
        #expect(failed["tid"] as? Int == 8)
        #expect(failed["cpu"] as? Int == 1)
        #expect(failed["comm"] as? String == "cat")
        #expect(failed["syscall"] as? String == "openat")
        #expect(failed["nr"] as? Int == nr("openat"))
        #expect(failed["ret"] as? Int == -2)
        #expect(failed["errno"] as? String == "ENOENT")
        #expect(failed["compat"] == nil)
        let args = try #require(failed["args"] as? [String: Any])
        #expect(args["dfd"] as? Int == -100)
        #expect(args["filename"] as? String == "/nope")
        #expect(args["flags"] as? Int == 0)

        #expect(objects[1]["ret"] is NSNull)
        #expect(objects[1]["errno"] == nil)
        #expect((objects[1]["args"] as? [String: Any])?.isEmpty == true)
        #expect(objects[2].count == 1)
        #expect(objects[2]["lost"] as? Int == 37)
    }

    @Test func argvAndBuffers() throws {
        let objects = try jsonObjects([
            call(
                "execve", [0x1000, 0x2000, 0x3000], ret: 0,
                payloads: [
                    path(0, "/bin/sh"), path(8, "sh"), path(9, "-c"),
                    Payload(arg: 10, bytes: [], isString: true, fault: true),
                    path(11, "long", truncated: true),
                ]),
            call(
                "read", [3, 0x5000, 4096], ret: 9,
                payloads: [
                    Payload(arg: 1, bytes: [0x61, 0x0a, 0x00, 0x22, 0xc3, 0xa9, 0xff, 0xe2, 0x82], isString: false)
                ]),
            call(
                "openat", [atFdcwd, 0xdead, 0, 0], ret: -14,
                payloads: [Payload(arg: 1, bytes: [], isString: true, fault: true)]),
        ])
        let execArgs = try #require(objects[0]["args"] as? [String: Any])
        let argv = try #require(execArgs["argv"] as? [Any])
        #expect(argv.count == 4)
        #expect(argv[0] as? String == "sh")
        #expect(argv[2] is NSNull)
        #expect(argv[3] as? String == "long")
        #expect(execArgs["envp"] as? Int == 0x3000)
        #expect(objects[0]["truncated"] as? [String] == ["argv"])
        #expect(objects[0]["faulted"] as? [String] == ["argv"])

        // Not UTF-8 (0xff, a cut sequence): every byte is one Latin-1
        // character, é's two bytes too, and the argument says so.
        let buf = (objects[1]["args"] as? [String: Any])?["buf"] as? String
        #expect(buf == "a\n\u{0}\"\u{c3}\u{a9}\u{ff}\u{e2}\u{82}")
        #expect(objects[1]["latin1"] as? [String] == ["buf"])
        #expect(objects[0]["latin1"] == nil)
        #expect(objects[1]["truncated"] == nil)

        let faulted = try #require(objects[2]["args"] as? [String: Any])
        #expect(faulted["filename"] as? Int == 0xdead)
        #expect(objects[2]["faulted"] as? [String] == ["filename"])
    }

    @Test func escapingIsExact() {
        var out: [UInt8] = []
        // Valid UTF-8: text as is, but controls, DEL and C1 (U+009B, CSI) escaped.
        let utf8 = out.appendJSONBytes([
            0x22, 0x5c, 0x08, 0x0c, 0x0a, 0x0d, 0x09, 0x01, 0x1b, 0x7f, 0xc2, 0x9b, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80,
        ])
        #expect(!utf8)
        #expect(String(decoding: out, as: UTF8.self) == #""\"\\\b\f\n\r\t\u0001\u001b\u007f\u009b\#u{e9}\#u{1F600}""#)
        // A UTF-16 surrogate encoded in UTF-8 (ED A0 80) is not valid UTF-8:
        // then every byte is written as the character of its value.
        out = []
        let latin1 = out.appendJSONBytes([0x41, 0xed, 0xa0, 0x80, 0xc3, 0xa9, 0x0a])
        #expect(latin1)
        #expect(String(decoding: out, as: UTF8.self) == #""A\u00ed\u00a0\u0080\u00c3\u00a9\n""#)
    }

    #if arch(x86_64)
        @Test func i386Marked() throws {
            let objects = try jsonObjects([
                call("openat", [0xffff_ff9c, 0xffd0_1000, 0, 0], ret: 3, payloads: [path(1, "/x")], compat: true),
                call("getppid", [], ret: 1),
            ])
            #expect(objects[0]["compat"] as? Bool == true)
            #expect(objects[0]["arch"] as? String == "i386")
            #expect(objects[0]["nr"] as? Int == 295)
            #expect((objects[0]["args"] as? [String: Any])?["dfd"] as? Int == -100)
            #expect(objects[1]["compat"] == nil)
            #expect(objects[1]["arch"] as? String == "x86_64")
        }
    #endif
}

/// Records come from untrusted, possibly torn ring cells: nothing in an
/// event may crash the formatter or break the JSON.
@Suite struct TraceFormatterOddEventTests {
    static var oddItems: [TraceItem] {
        let comm = String(decoding: [0xff, 0xfe, 0x41, 0x0a, 0x22, 0x1b], as: UTF8.self)
        let huge = Array(repeating: UInt64.max, count: 9)
        let junk = (0..<2000).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let payloads = [
            Payload(arg: 7, bytes: junk, isString: false),
            Payload(arg: -5, bytes: [1], isString: true),
            Payload(arg: 200, bytes: junk, isString: true, truncated: true, fault: true),
            Payload(arg: Int.max, bytes: [0xff], isString: true),
            Payload(arg: 1, bytes: junk, isString: true, truncated: true),
            Payload(arg: 1, bytes: junk, kind: .sockaddr, size: .max),
            Payload(arg: 4, bytes: [10, 0, 1], kind: .sockaddr, size: 28),
            Payload(arg: 1, bytes: junk, kind: .msghdr, size: 3),
            Payload(arg: Payload.msgNameArg, bytes: [1, 0, 0], kind: .sockaddr, size: 2),
            Payload(arg: Payload.iovBase + 3, bytes: junk, kind: .iov, size: .max, truncated: true),
            Payload(arg: Payload.iovBase, bytes: [], kind: .iov, size: 0, fault: true),
        ]
        var items: [TraceItem] = []
        for compat in [false, true] {
            for nr in [99999, -1, Int.max, Int.min, 0, 1, 59, 257, 322, 11, 2, 3, 16, 19, 20, 33, 41, 42, 43, 45, 46, 47, 72, 288, 436] {
                for args in [huge, [], [1]] {
                    for ret in [nil, Int64.min, Int64.max, -4095, -4096, -512, 0] as [Int64?] {
                        items.append(
                            .syscall(
                                SyscallEvent(
                                    tsNs: UInt64.max &- UInt64(items.count), cpu: -1, pid: .max, tid: 0, comm: comm,
                                    nr: nr, compat: compat, args: args, ret: ret, payloads: payloads)))
                    }
                }
            }
        }
        for signo in [0, -1, 11, 17, 31, 64, 65, Int32.max, Int32.min] as [Int32] {
            for code in [0, 1, 3, 4, -2, -5, 0x80, Int32.min, Int32.max] as [Int32] {
                items.append(
                    .signal(
                        SignalEvent(
                            tsNs: 1, cpu: -1, pid: .max, tid: 0, comm: comm, signo: signo, errno: code, code: code,
                            disposition: .handler, fields: code == 1 ? [] : junk)))
            }
            items.append(.processExit(ProcessExit(tsNs: 2, cpu: 0, pid: 0, tid: 0, comm: comm, status: signo)))
        }
        items.append(.lost(count: .max))
        items.append(
            .syscall(
                SyscallEvent(
                    tsNs: 0, cpu: 0, pid: 0, tid: 0, comm: "", nr: 0, compat: false, args: [], ret: nil, payloads: [])))
        return items
    }

    @Test func jsonStaysValid() throws {
        let items = Self.oddItems
        let objects = try jsonObjects(items)
        #expect(objects.count == items.count)
        #expect(objects[0]["syscall"] as? String == "syscall_99999")
        #expect(objects[0]["comm"] as? String == "\u{fffd}\u{fffd}A\n\"\u{1b}")
        // The real tracefs catalog too (or none, where tracefs is absent).
        _ = try jsonObjects(items, catalog: TracefsCatalog())
    }

    @Test func textStaysOneLinePerItem() {
        var formatter = TraceFormatter(style: .text, catalog: TracefsFixtures.catalog)
        formatter.descriptorNames = DescriptorNames()
        let items = Self.oddItems
        let out = formatter.formatted(items)
        #expect(out.filter { $0 == UInt8(ascii: "\n") }.count == items.count)
        // No raw control byte other than the line ends reaches a terminal.
        #expect(!out.contains { $0 < 0x20 && $0 != UInt8(ascii: "\n") })
        #expect(!out.contains { $0 >= 0x80 })
    }
}
