import Foundation
import Shared
import Testing

@testable import TraceFormat

/// A returned call that took `micros` from enter to exit.
func timed(_ name: String, at start: UInt64, took micros: UInt64, ret: Int64 = 0, compat: Bool = false) -> TraceItem {
    guard case .syscall(var e) = call(name, [3], ret: ret, compat: compat, after: start) else { fatalError() }
    e.exitTsNs = e.tsNs + micros * 1000
    return .syscall(e)
}

func names(_ items: [TraceItem]) -> [String] {
    var table = SyscallTable()
    return items.map { item in
        switch item {
        case .syscall(let e): table.name(nr: e.nr, compat: e.compat)
        case .signal: "signal"
        case .processExit: "exit"
        case .lost: "lost"
        }
    }
}

@Suite struct TraceFilterTests {
    let trace: [TraceItem] = [
        .lost(count: 3),
        call("openat", [atFdcwd, 0x10, 0, 0], ret: 3, after: 0, pid: 1, tid: 1),
        call("read", [3, 0x10, 10], ret: 10, after: 10, pid: 1, tid: 2),
        call("connect", [4, 0x10, 16], ret: -111, after: 20, pid: 2, tid: 2),
        call("futex", [0x10, 0, 0], ret: -11, after: 30, pid: 2, tid: 3),
        call("mmap", [0, 4096, 3, 0x22, UInt64.max, 0], ret: 0x7f00_0000_0000, after: 40, pid: 1, tid: 1),
        signal(11, code: 1, after: 50, pid: 1),
        processExit(status: 11 | 0x80, pid: 1, tid: 1),
        call("kill", [1, 9], ret: 0, after: 60, pid: 2, tid: 2),
    ]

    @Test func byNameAndClass() {
        var filter = TraceFilter()
        filter.syscalls = ["openat", "connect"]
        // Signals and exits stay, as strace shows them under any -e trace=.
        #expect(names(filter.apply(trace)) == ["lost", "openat", "connect", "signal", "exit"])

        filter = TraceFilter()
        filter.classes = [.file]
        #expect(names(filter.apply(trace)) == ["lost", "openat", "signal", "exit"])
        filter.classes = [.desc]
        #expect(names(filter.apply(trace)) == ["lost", "openat", "read", "mmap", "signal", "exit"])
        filter.classes = [.network, .memory]
        #expect(names(filter.apply(trace)) == ["lost", "connect", "mmap", "signal", "exit"])
        filter.classes = [.process]
        #expect(names(filter.apply(trace)) == ["lost", "signal", "exit", "kill"])
        // Names and classes are a union.
        filter.classes = [.signal]
        filter.syscalls = ["read"]
        #expect(names(filter.apply(trace)) == ["lost", "read", "signal", "exit", "kill"])
    }

    @Test func exclusions() {
        var filter = TraceFilter()
        filter.excludedSyscalls = ["futex", "mmap"]
        #expect(names(filter.apply(trace)) == ["lost", "openat", "read", "connect", "signal", "exit", "kill"])
        filter.classes = [.network, .memory]
        #expect(names(filter.apply(trace)) == ["lost", "connect", "signal", "exit"])
    }

    @Test func failedCallsOnly() {
        var filter = TraceFilter()
        filter.failedOnly = true
        // mmap's large address is a result, not an error; signals are not calls.
        #expect(names(filter.apply(trace)) == ["lost", "connect", "futex"])
    }

    @Test func byProcessThreadAndTime() {
        var filter = TraceFilter()
        filter.pids = [2]
        #expect(names(filter.apply(trace)) == ["lost", "connect", "futex", "kill"])
        filter.tids = [2]
        #expect(names(filter.apply(trace)) == ["lost", "connect", "kill"])

        filter = TraceFilter()
        filter.sinceNs = t0 + 10_000
        filter.untilNs = t0 + 40_000
        #expect(names(filter.apply(trace)) == ["lost", "read", "connect", "futex", "mmap"])
    }

    @Test func tail() {
        func tail(_ n: Int, _ kept: [Bool]) -> [String] {
            names(zip(trace, TraceFilter.tail(n, of: trace, kept: kept)).filter(\.1).map(\.0))
        }
        let all = [Bool](repeating: true, count: trace.count)
        #expect(tail(2, all) == ["lost", "mmap", "signal", "exit", "kill"])
        #expect(tail(0, all) == ["lost"])
        #expect(tail(100, all) == names(trace))
        // The last calls of those a filter kept.
        var filter = TraceFilter()
        filter.syscalls = ["read", "connect", "futex"]
        #expect(tail(2, trace.map { filter.admits($0) }) == ["lost", "connect", "futex", "signal", "exit"])
    }

    @Test func classNames() {
        #expect(SyscallClass(name: "%file") == .file)
        #expect(SyscallClass(name: "net") == .network)
        #expect(SyscallClass(name: "%network") == .network)
        #expect(SyscallClass(name: "files") == nil)
        #expect(SyscallClass.classes(of: "execve") == [.file, .process])
        #expect(SyscallClass.classes(of: "pidfd_send_signal") == [.desc, .signal, .process])
        #expect(SyscallClass.classes(of: "getpid").isEmpty)
        #expect(SyscallClass.classes(of: "socketcall") == [.network])
    }

    @Test func parsesTimeBounds() {
        #expect(TimeBound("1.5s") == .sinceStart(nanoseconds: 1_500_000_000))
        #expect(TimeBound("200ms") == .sinceStart(nanoseconds: 200_000_000))
        #expect(TimeBound("250us") == .sinceStart(nanoseconds: 250_000))
        #expect(TimeBound("2m") == .sinceStart(nanoseconds: 120_000_000_000))
        #expect(TimeBound("3") == .sinceStart(nanoseconds: 3_000_000_000))
        #expect(TimeBound(".5s") == .sinceStart(nanoseconds: 500_000_000))
        #expect(TimeBound("11:52:00.5") == .timeOfDay(nanoseconds: (11 * 3600 + 52 * 60) * 1_000_000_000 + 500_000_000))
        #expect(TimeBound("09:05") == .timeOfDay(nanoseconds: (9 * 3600 + 5 * 60) * 1_000_000_000))
        #expect(TimeBound("2026-12-01T11:52:00Z") == .wallClock(nanoseconds: 1_796_125_920_000_000_000))
        for bad in ["", "abc", "1.5x", "-1s", "s", "25:00:00", "11:60", "1:2:3", "11:52:61", "1..5s", "1.5.2s"] {
            #expect(TimeBound(bad) == nil, "\(bad)")
        }
    }

    @Test func resolvesTimeBounds() {
        let offset: Int64 = 1_796_125_920_000_000_000 - Int64(t0)  // t0 is 2026-12-01T11:52:00Z
        func resolve(_ text: String, utc: Int = 0) -> UInt64? {
            TimeBound(text)?.monotonicNs(traceStartNs: t0, wallClockOffsetNs: offset, utcOffsetSeconds: utc)
        }
        #expect(resolve("1.5s") == t0 + 1_500_000_000)
        #expect(resolve("2026-12-01T11:52:03Z") == t0 + 3_000_000_000)
        #expect(resolve("2026-12-01T12:52:03+01:00") == t0 + 3_000_000_000)
        #expect(resolve("11:52:04") == t0 + 4_000_000_000)
        // Local time one hour east of UTC: 12:52:04 there is 11:52:04Z.
        #expect(resolve("12:52:04", utc: 3600) == t0 + 4_000_000_000)
        // A time of day before the trace's start is the next day's.
        #expect(resolve("11:51:00") == t0 + (86400 - 60) * 1_000_000_000)
        #expect(
            TimeBound("11:52:04")?.monotonicNs(traceStartNs: t0, wallClockOffsetNs: nil, utcOffsetSeconds: 0) == nil)
    }

    @Test func summaryLikeStraceC() {
        var summary = TraceSummary()
        summary.add([
            timed("read", at: 0, took: 10),
            timed("read", at: 100, took: 20, ret: -4),
            timed("read", at: 200, took: 30),
            timed("write", at: 300, took: 40),
            timed("openat", at: 400, took: 5, ret: -2),
            timed("openat", at: 500, took: 5, ret: -13),
            call("exit_group", [0], ret: nil),
            signal(17, code: 1),
        ])
        let text = String(decoding: summary.text(), as: UTF8.self)
        #expect(
            text == """
                % time     seconds  usecs/call     calls    errors syscall
                ------ ----------- ----------- --------- --------- ----------------
                 54.55    0.000060          20         3         1 read
                 36.36    0.000040          40         1           write
                  9.09    0.000010           5         2         2 openat
                ------ ----------- ----------- --------- --------- ----------------
                100.00    0.000110          18         6         3 total

                """)

        let lines = summary.json().split(separator: UInt8(ascii: "\n"))
        let objects = try? lines.map { try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
        #expect(objects?.count == 4)
        #expect(objects?[0]?["syscall"] as? String == "read")
        #expect(objects?[0]?["calls"] as? Int == 3)
        #expect(objects?[0]?["errors"] as? Int == 1)
        #expect(objects?[0]?["seconds"] as? Double == 0.00006)
        #expect(objects?[0]?["usecs_per_call"] as? Int == 20)
        #expect(objects?[0]?["percent_time"] as? Double == 54.55)
        #expect(objects?[3]?["total"] as? Bool == true)
        #expect(objects?[3]?["calls"] as? Int == 6)
        #expect(objects?[3]?["seconds"] as? Double == 0.00011)
    }

    #if arch(x86_64)
        @Test func summaryPerPersonality() {
            var summary = TraceSummary()
            summary.add([timed("getppid", at: 0, took: 1), timed("getppid", at: 5, took: 2, compat: true)])
            let text = String(decoding: summary.text(), as: UTF8.self)
            #expect(text.components(separatedBy: "total\n").count == 3)
            #expect(text.contains("total\nSystem call usage summary for 32 bit mode:\n% time"))
        }
    #endif

    @Test func emptySummary() {
        let text = String(decoding: TraceSummary().text(), as: UTF8.self)
        #expect(text.hasSuffix("100.00    0.000000           0         0           total\n"))
    }

    @Test func wallClockTimes() throws {
        let offset = try #require(RFC3339Time.parse("2026-12-01T11:52:00.123456789Z")) - Int64(t0)
        var text = TraceFormatter(style: .text, catalog: TracefsFixtures.catalog)
        text.timeStyle = .absolute
        text.wallClockOffsetNs = offset
        text.utcOffsetSeconds = 3600
        #expect(
            text.line(call("getppid", [], ret: 1, after: 2)).hasPrefix(
                "12:52:00.123458 cpu#1 pid 42 [cat] getppid() = 1"))
        // Relative unless asked, also when the wall clock is known.
        var relative = TraceFormatter(style: .text, catalog: TracefsFixtures.catalog)
        relative.wallClockOffsetNs = offset
        #expect(relative.line(call("getppid", [], ret: 1)).hasPrefix("00:00.000000 "))

        var json = TraceFormatter(style: .json, catalog: TracefsFixtures.catalog)
        json.wallClockOffsetNs = offset
        #expect(
            json.line(call("getppid", [], ret: 1)).hasPrefix(
                #"{"ts_ns":5000000000000,"time":"2026-12-01T11:52:00.123456Z","cpu":1,"#))
        #expect(json.line(signal(15, code: 0)).contains(#""time":"2026-12-01T11:52:00.123456Z""#))
        var noClock = TraceFormatter(style: .json, catalog: TracefsFixtures.catalog)
        #expect(!noClock.line(call("getppid", [], ret: 1)).contains("time"))
    }
}
