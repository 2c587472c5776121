import Shared
import Testing

@testable import TraceFormat

func exited(pid: UInt32, status: Int32, nsPid: UInt32 = 0, comm: String = "app", after micros: UInt64) -> TraceItem {
    .processExit(
        ProcessExit(tsNs: t0 + micros * 1000, cpu: 0, pid: pid, tid: pid, comm: comm, status: status, nsPid: nsPid))
}

/// `tailtrace why`'s selection: which ends, signals and failed calls a
/// crash report shows, over a trace built by hand.
@Suite struct TraceEndingTests {
    /// A shell (pid 42, the container's init) that runs two children, fails
    /// seven opens, handles a SIGUSR1, reaps a child, and dies of SIGSEGV.
    let trace: [TraceItem] = {
        var items: [TraceItem] = [.lost(count: 2)]
        items.append(call("execve", [0x10, 0x20, 0x30], ret: 0, after: 0))
        for i in 0..<7 {
            items.append(call("openat", [atFdcwd, 0x10, 0, 0], ret: -2, after: 10 + UInt64(i), comm: "app"))
        }
        items.append(call("read", [3, 0x10, 10], ret: 10, after: 20))
        items.append(exited(pid: 50, status: 0, after: 30))
        items.append(exited(pid: 51, status: 2 << 8, comm: "helper", after: 31))
        items.append(signal(17, code: 1, after: 32))
        items.append(signal(10, code: 0, disposition: .handler, after: 33))
        items.append(call("write", [1, 0x10, 5], ret: -32, after: 40))
        // ERESTARTSYS: the kernel restarts the call; user space never sees it fail.
        items.append(call("futex", [0x10, 0, 0], ret: -512, after: 40, tid: 43))
        // The kernel kills the other threads of an exiting process.
        items.append(
            .signal(
                SignalEvent(
                    tsNs: t0 + 40_500, cpu: 1, pid: 42, tid: 43, comm: "app", signo: 9, code: 0, disposition: .default,
                    fields: sifields([]))))
        items.append(call("getppid", [], ret: 1, after: 41))
        items.append(signal(11, code: 1, after: 42))
        items.append(exited(pid: 42, status: 11 | 0x80, nsPid: 1, after: 43))
        return items
    }()

    @Test func endsSignalsAndFailures() {
        let ending = TraceEnding(trace, tail: 2, failures: 5)
        #expect(ending.ends.map(\.pid) == [51, 42], "the non-zero exit and the init; not the clean exit")
        #expect(ending.cleanExits == 1)
        #expect(
            ending.fatalSignals.map(\.signo) == [11],
            "SIGCHLD is ignored, SIGUSR1 handled, the SIGKILL of a sibling thread a consequence")
        #expect(ending.failedTotal == 8, "ERESTARTSYS is no failure")
        #expect(ending.failed.count == 5)
        #expect(ending.failed.last?.ret == -32, "newest last")
        #expect(ending.failed.first?.tsNs == t0 + 13_000, "the oldest kept is the fourth failed open")
        #expect(ending.failed.dropLast().allSatisfy { $0.ret == -2 })
    }

    /// The last calls are `dump --tail`'s: the gaps, the last N syscalls and
    /// the signals and exits among them.
    @Test func lastCallsAsDumpTailKeepsThem() {
        let ending = TraceEnding(trace, tail: 2, failures: 5)
        #expect(names(ending.last.map { trace[$0] }) == ["lost", "futex", "signal", "getppid", "signal", "exit"])
        let none = TraceEnding(trace, tail: 0, failures: 0)
        #expect(names(none.last.map { trace[$0] }) == ["lost"])
        #expect(none.failed.isEmpty)
        #expect(none.failedTotal == 8, "counted even when none is kept")
        let all = TraceEnding(trace, tail: 100, failures: 100)
        #expect(all.last == Array(trace.indices))
        #expect(all.failed.count == 8)
    }

    @Test func describesEndsAsStrace() {
        let ending = TraceEnding(trace, tail: 0, failures: 0)
        #expect(
            ending.ends.map(TraceEnding.describe) == [
                "pid 51 [helper] exited with 2",
                "pid 42 [app] killed by SIGSEGV (core dumped), the container's init",
            ])
        guard case .processExit(let x) = exited(pid: 7, status: 9, comm: "a\u{1b}[2Jb", after: 0) else { return }
        #expect(
            TraceEnding.describe(x) == "pid 7 [a\\33[2Jb] killed by SIGKILL", "a command name cannot drive the terminal"
        )
    }

    @Test func defaultActionsThatEndAProcess() {
        for signo: Int32 in [1, 2, 6, 9, 11, 13, 15, 24, 31, 34, 64] { #expect(TraceEnding.endsProcess(signo: signo)) }
        for signo: Int32 in [0, 17, 18, 19, 20, 21, 22, 23, 28, 65, -1] {
            #expect(!TraceEnding.endsProcess(signo: signo))
        }
    }

    @Test func emptyTrace() {
        let ending = TraceEnding([], tail: 20, failures: 5)
        #expect(ending == TraceEnding())
    }
}
