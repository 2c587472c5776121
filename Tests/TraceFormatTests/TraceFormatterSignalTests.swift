import Foundation
import Shared
import Testing

@testable import TraceFormat

/// kernel_siginfo's _sifields as the recorder copies them: little-endian
/// values at byte offsets.
func sifields(_ values: [(offset: Int, value: UInt64, size: Int)]) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 32)
    for (offset, value, size) in values {
        for i in 0..<size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }
    return bytes
}

func signal(
    _ signo: Int32, code: Int32, fields: [(offset: Int, value: UInt64, size: Int)] = [], errno: Int32 = 0,
    disposition: SignalEvent.Disposition = .default, after micros: UInt64 = 0, pid: UInt32 = 42,
    cgroupID: UInt64 = 0
) -> TraceItem {
    .signal(
        SignalEvent(
            tsNs: t0 + micros * 1000, cpu: 1, pid: pid, tid: pid, comm: "app", signo: signo, errno: errno, code: code,
            disposition: disposition, fields: sifields(fields), cgroupID: cgroupID))
}

func processExit(status: Int32, pid: UInt32 = 42, tid: UInt32 = 42) -> TraceItem {
    .processExit(ProcessExit(tsNs: t0, cpu: 0, pid: pid, tid: tid, comm: "app", status: status))
}

@Suite struct TraceFormatterSignalTests {
    @Test func signalsLikeStrace() {
        let lines = textLines([
            signal(11, code: 1),
            signal(11, code: 2, fields: [(0, 0x7f12_3456_7000, 8)], after: 5),
            signal(15, code: 0, fields: [(0, 1, 4), (4, 0, 4)]),
            signal(17, code: 1, fields: [(0, 7, 4), (4, 1000, 4), (8, 3, 4), (16, 2, 8), (24, 1, 8)]),
            signal(17, code: 2, fields: [(0, 7, 4), (8, 9, 4)]),
            // The kernel's own SIGKILL of a group exit: SEND_SIG_NOINFO.
            signal(9, code: 0),
            signal(11, code: 0x80),
            signal(10, code: -6, fields: [(0, 99, 4), (4, 1000, 4)]),
            signal(14, code: -2, fields: [(0, 1, 4), (4, 2, 4), (8, 0x1234, 8)]),
            signal(12, code: -1, fields: [(0, 5, 4), (4, 0, 4), (8, 7, 8)]),
            signal(8, code: 1, fields: [(0, 0x401000, 8)]),
            signal(11, code: 77),
            signal(35, code: -6, fields: [(0, 1, 4)]),
        ])
        #expect(
            lines[0]
                == "00:00.000000 cpu#1 pid 42 [app] --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---"
        )
        #expect(lines[1].hasSuffix("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=0x7f1234567000} ---"))
        #expect(lines[1].hasPrefix("00:00.000005 "))
        #expect(lines[2].hasSuffix("--- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=1, si_uid=0} ---"))
        #expect(
            lines[3].hasSuffix(
                "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=7, si_uid=1000, si_status=3, si_utime=2, si_stime=1} ---"
            ))
        #expect(
            lines[4].hasSuffix(
                "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=7, si_uid=0, si_status=SIGKILL, si_utime=0, si_stime=0} ---"
            ))
        #expect(lines[5].hasSuffix("--- SIGKILL {si_signo=SIGKILL, si_code=SI_USER, si_pid=0, si_uid=0} ---"))
        #expect(lines[6].hasSuffix("--- SIGSEGV {si_signo=SIGSEGV, si_code=SI_KERNEL, si_addr=NULL} ---"))
        #expect(lines[7].hasSuffix("--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=99, si_uid=1000} ---"))
        #expect(
            lines[8].hasSuffix(
                "--- SIGALRM {si_signo=SIGALRM, si_code=SI_TIMER, si_timerid=0x1, si_overrun=2, si_int=4660, si_ptr=0x1234} ---"
            ))
        #expect(
            lines[9].hasSuffix(
                "--- SIGUSR2 {si_signo=SIGUSR2, si_code=SI_QUEUE, si_pid=5, si_uid=0, si_int=7, si_ptr=0x7} ---"))
        #expect(lines[10].hasSuffix("--- SIGFPE {si_signo=SIGFPE, si_code=FPE_INTDIV, si_addr=0x401000} ---"))
        // Codes strace cannot name are shown as numbers.
        #expect(lines[11].hasSuffix("--- SIGSEGV {si_signo=SIGSEGV, si_code=0x4d, si_addr=NULL} ---"))
        #expect(lines[12].hasSuffix("--- SIGRT_3 {si_signo=SIGRT_3, si_code=SI_TKILL, si_pid=1, si_uid=0} ---"))
    }

    #if arch(x86_64)
        /// A seccomp filter's SECCOMP_RET_TRAP: SIGSYS names the trapped call.
        @Test func seccompTrap() {
            let lines = textLines([
                signal(31, code: 1, fields: [(0, 0x7f00_0000_1234, 8), (8, 257, 4), (12, 0xc000_003e, 4)], errno: 1)
            ])
            #expect(
                lines[0].hasSuffix(
                    "--- SIGSYS {si_signo=SIGSYS, si_code=SYS_SECCOMP, si_errno=EPERM, si_call_addr=0x7f0000001234, si_syscall=__NR_openat, si_arch=AUDIT_ARCH_X86_64} ---"
                ))
        }
    #endif

    @Test func processExitsLikeStrace() {
        let lines = textLines([
            processExit(status: 1 << 8),
            processExit(status: 0),
            processExit(status: 11 | 0x80),
            processExit(status: 9, pid: 7, tid: 8),
        ])
        #expect(lines[0] == "00:00.000000 cpu#0 pid 42 [app] +++ exited with 1 +++")
        #expect(lines[1].hasSuffix("[app] +++ exited with 0 +++"))
        #expect(lines[2].hasSuffix("[app] +++ killed by SIGSEGV (core dumped) +++"))
        #expect(lines[3].hasSuffix("pid 7 tid 8 [app] +++ killed by SIGKILL +++"))
    }

    @Test func signalJSON() throws {
        var formatter = TraceFormatter(style: .json, catalog: TracefsFixtures.catalog)
        formatter.containerCgroupID = 100
        let line = formatter.line(signal(11, code: 1, cgroupID: 100))
        #expect(
            line
                == #"{"ts_ns":5000000000000,"cpu":1,"pid":42,"tid":42,"comm":"app","event":"signal","signal":"SIGSEGV","signo":11,"code":"SEGV_MAPERR","addr":"0x0","disposition":"default"}"#
        )
        let objects = try jsonObjects([
            signal(15, code: 0, fields: [(0, 1, 4), (4, 0, 4)], disposition: .handler, cgroupID: 7),
            signal(17, code: 1, fields: [(0, 7, 4), (8, 3, 4)], disposition: .ignored),
            processExit(status: 1 << 8),
            processExit(status: 11 | 0x80),
            processExit(status: 9),
        ])
        #expect(objects[0]["event"] as? String == "signal")
        #expect(objects[0]["signal"] as? String == "SIGTERM")
        #expect(objects[0]["code"] as? String == "SI_USER")
        #expect(objects[0]["sender_pid"] as? Int == 1)
        #expect(objects[0]["sender_uid"] as? Int == 0)
        #expect(objects[0]["pid"] as? Int == 42)
        #expect(objects[0]["disposition"] as? String == "handler")
        #expect(objects[0]["syscall"] == nil)
        #expect(objects[1]["child_pid"] as? Int == 7)
        #expect(objects[1]["status"] as? Int == 3)
        #expect(objects[1]["disposition"] as? String == "ignored")
        #expect(objects[2]["event"] as? String == "exit")
        #expect(objects[2]["exit_code"] as? Int == 1)
        #expect(objects[2]["killed_by"] == nil)
        #expect(objects[3]["killed_by"] as? String == "SIGSEGV")
        #expect(objects[3]["core_dumped"] as? Bool == true)
        #expect(objects[3]["exit_code"] == nil)
        #expect(objects[4]["core_dumped"] as? Bool == false)
    }

    /// Like syscalls, signals and exits of a task in another cgroup say which.
    @Test func cgroupOfOtherTasks() throws {
        var formatter = TraceFormatter(style: .json, catalog: TracefsFixtures.catalog)
        formatter.containerCgroupID = 100
        let inOther = formatter.line(signal(15, code: 0, cgroupID: 200))
        #expect(inOther.contains(#""comm":"app","cgroup_id":200,"event":"signal""#))
        let own = formatter.line(
            .processExit(ProcessExit(tsNs: t0, cpu: 0, pid: 1, tid: 1, comm: "app", status: 0, cgroupID: 100)))
        #expect(!own.contains("cgroup_id"))
    }
}
