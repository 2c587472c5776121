import Shared

// Signals and process exits, as strace -f prints them:
//   --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---
//   +++ killed by SIGSEGV (core dumped) +++
// and in JSON, after the common head (ts_ns … cgroup_id):
//   "event":"signal","signal":"SIGSEGV","signo":11,"code":"SEGV_MAPERR",
//     [errno,] the fields of the code (below), "disposition":"default"
//   "event":"exit","exit_code":1  |  "event":"exit","killed_by":"SIGSEGV","core_dumped":true
// Signal fields in JSON: sender_pid, sender_uid (sent by a task), sigval;
// timer_id, overrun; band, fd; child_pid, child_uid, status (exit code or
// signal number), utime, stime (clock ticks); addr, lower, upper, pkey,
// addr_lsb (faults; addresses as "0x…" strings); call_addr, syscall_nr,
// syscall_name, audit_arch (seccomp). Keys that would clash with the
// record's own pid/tid/syscall are prefixed.

extension TraceFormatter {
    func appendText(_ s: SignalEvent, into out: inout OutputBuffer) {
        appendTextPrefix(tsNs: s.tsNs, cpu: s.cpu, pid: s.pid, tid: s.tid, comm: s.comm, into: &out)
        let signo = UInt64(UInt32(bitPattern: s.signo))
        out.appendASCII("--- ")
        out.appendSignal(signo)
        out.appendASCII(" {si_signo=")
        out.appendSignal(signo)
        out.appendASCII(", si_code=")
        out.appendSignalCode(s.code, signo: s.signo)
        if s.errno != 0 {
            out.appendASCII(", si_errno=")
            out.appendUTF8(Errno.name(Int(s.errno)) ?? String(s.errno))
        }
        switch SignalDetail(s) {
        case .sender(let pid, let uid):
            appendSender(pid, uid, into: &out)
        case .senderValue(let pid, let uid, let int, let ptr):
            appendSender(pid, uid, into: &out)
            appendSigval(int, ptr, into: &out)
        case .timer(let id, let overrun, let int, let ptr):
            out.appendASCII(", si_timerid=")
            out.appendHexOrZero(UInt64(UInt32(bitPattern: id)))
            out.appendASCII(", si_overrun=")
            out.appendDecimal(Int(overrun))
            appendSigval(int, ptr, into: &out)
        case .poll(let band, let fd):
            out.appendASCII(", si_band=")
            out.appendDecimal(band)
            out.appendASCII(", si_fd=")
            out.appendDecimal(Int(fd))
        case .child(let pid, let uid, let status, let utime, let stime):
            appendSender(pid, uid, into: &out)
            out.appendASCII(", si_status=")
            // CLD_EXITED carries the exit code, the other codes a signal.
            if s.code == 1 {
                out.appendDecimal(Int(status))
            } else {
                out.appendSignal(UInt64(UInt32(bitPattern: status)))
            }
            out.appendASCII(", si_utime=")
            out.appendDecimal(utime)
            out.appendASCII(", si_stime=")
            out.appendDecimal(stime)
        case .fault(let addr):
            appendPointerField(", si_addr=", addr, into: &out)
        case .faultBounds(let addr, let lower, let upper):
            appendPointerField(", si_addr=", addr, into: &out)
            appendPointerField(", si_lower=", lower, into: &out)
            appendPointerField(", si_upper=", upper, into: &out)
        case .faultKey(let addr, let pkey):
            appendPointerField(", si_addr=", addr, into: &out)
            out.appendASCII(", si_pkey=")
            out.appendDecimal(UInt64(pkey))
        case .memoryError(let addr, let lsb):
            appendPointerField(", si_addr=", addr, into: &out)
            out.appendASCII(", si_addr_lsb=")
            out.appendHexOrZero(UInt64(UInt16(bitPattern: lsb)))
        case .seccomp(let callAddr, let nr, let auditArch):
            appendPointerField(", si_call_addr=", callAddr, into: &out)
            out.appendASCII(", si_syscall=")
            if let arch = SignalCode.syscallArch(auditArch: auditArch),
                let name = SyscallTable.resolve(nr: Int(nr), arch: arch.arch)
            {
                out.appendASCII("__NR_")
                out.appendUTF8(name)
            } else {
                out.appendDecimal(Int(nr))
            }
            out.appendASCII(", si_arch=")
            if let arch = SignalCode.syscallArch(auditArch: auditArch) {
                out.appendASCII(arch.name)
            } else {
                out.appendHex(UInt64(auditArch))
            }
        case .none:
            break
        }
        out.appendASCII("} ---")
    }

    func appendText(_ x: ProcessExit, into out: inout OutputBuffer) {
        appendTextPrefix(tsNs: x.tsNs, cpu: x.cpu, pid: x.pid, tid: x.tid, comm: x.comm, into: &out)
        if let signal = x.killedBy {
            out.appendASCII("+++ killed by ")
            out.appendSignal(UInt64(signal))
            if x.coreDumped { out.appendASCII(" (core dumped)") }
            out.appendASCII(" +++")
        } else {
            out.appendASCII("+++ exited with ")
            out.appendDecimal(Int(x.exitCode ?? 0))
            out.appendASCII(" +++")
        }
    }

    mutating func appendJSON(_ s: SignalEvent, into out: inout OutputBuffer) {
        appendJSONHead(
            tsNs: s.tsNs, cpu: s.cpu, pid: s.pid, tid: s.tid, comm: s.comm, cgroupID: s.cgroupID, into: &out)
        out.appendASCII(",\"event\":\"signal\",\"signal\":\"")
        out.appendSignal(UInt64(UInt32(bitPattern: s.signo)))
        out.appendASCII("\",\"signo\":")
        out.appendDecimal(Int(s.signo))
        out.appendASCII(",\"code\":\"")
        out.appendSignalCode(s.code, signo: s.signo)
        out.append(UInt8(ascii: "\""))
        if s.errno != 0 {
            out.appendASCII(",\"errno\":")
            out.appendJSONString(Errno.nameOrNumber(Int(s.errno)))
        }
        switch SignalDetail(s) {
        case .sender(let pid, let uid):
            appendJSONNumber("sender_pid", Int64(pid), into: &out)
            appendJSONNumber("sender_uid", Int64(uid), into: &out)
        case .senderValue(let pid, let uid, _, let ptr):
            appendJSONNumber("sender_pid", Int64(pid), into: &out)
            appendJSONNumber("sender_uid", Int64(uid), into: &out)
            appendJSONNumber("sigval", Int64(bitPattern: ptr), into: &out)
        case .timer(let id, let overrun, _, let ptr):
            appendJSONNumber("timer_id", Int64(id), into: &out)
            appendJSONNumber("overrun", Int64(overrun), into: &out)
            appendJSONNumber("sigval", Int64(bitPattern: ptr), into: &out)
        case .poll(let band, let fd):
            appendJSONNumber("band", band, into: &out)
            appendJSONNumber("fd", Int64(fd), into: &out)
        case .child(let pid, let uid, let status, let utime, let stime):
            appendJSONNumber("child_pid", Int64(pid), into: &out)
            appendJSONNumber("child_uid", Int64(uid), into: &out)
            appendJSONNumber("status", Int64(status), into: &out)
            appendJSONNumber("utime", utime, into: &out)
            appendJSONNumber("stime", stime, into: &out)
        case .fault(let addr):
            appendJSONAddress("addr", addr, into: &out)
        case .faultBounds(let addr, let lower, let upper):
            appendJSONAddress("addr", addr, into: &out)
            appendJSONAddress("lower", lower, into: &out)
            appendJSONAddress("upper", upper, into: &out)
        case .faultKey(let addr, let pkey):
            appendJSONAddress("addr", addr, into: &out)
            appendJSONNumber("pkey", Int64(pkey), into: &out)
        case .memoryError(let addr, let lsb):
            appendJSONAddress("addr", addr, into: &out)
            appendJSONNumber("addr_lsb", Int64(lsb), into: &out)
        case .seccomp(let callAddr, let nr, let auditArch):
            appendJSONAddress("call_addr", callAddr, into: &out)
            appendJSONNumber("syscall_nr", Int64(nr), into: &out)
            if let arch = SignalCode.syscallArch(auditArch: auditArch) {
                if let name = SyscallTable.resolve(nr: Int(nr), arch: arch.arch) {
                    out.appendASCII(",\"syscall_name\":")
                    out.appendJSONString(name)
                }
                out.appendASCII(",\"audit_arch\":\"")
                out.appendASCII(arch.name)
                out.append(UInt8(ascii: "\""))
            } else {
                appendJSONNumber("audit_arch", Int64(auditArch), into: &out)
            }
        case .none:
            break
        }
        out.appendASCII(",\"disposition\":")
        switch s.disposition {
        case .default: out.appendASCII("\"default\"}")
        case .ignored: out.appendASCII("\"ignored\"}")
        case .handler: out.appendASCII("\"handler\"}")
        }
    }

    mutating func appendJSON(_ x: ProcessExit, into out: inout OutputBuffer) {
        appendJSONHead(
            tsNs: x.tsNs, cpu: x.cpu, pid: x.pid, tid: x.tid, comm: x.comm, cgroupID: x.cgroupID, into: &out)
        out.appendASCII(",\"event\":\"exit\"")
        if let signal = x.killedBy {
            out.appendASCII(",\"killed_by\":\"")
            out.appendSignal(UInt64(signal))
            out.appendASCII(x.coreDumped ? "\",\"core_dumped\":true}" : "\",\"core_dumped\":false}")
        } else {
            appendJSONNumber("exit_code", Int64(x.exitCode ?? 0), into: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    private func appendSender(_ pid: Int32, _ uid: UInt32, into out: inout OutputBuffer) {
        out.appendASCII(", si_pid=")
        out.appendDecimal(Int(pid))
        out.appendASCII(", si_uid=")
        out.appendDecimal(UInt64(uid))
    }

    private func appendSigval(_ int: Int32, _ ptr: UInt64, into out: inout OutputBuffer) {
        out.appendASCII(", si_int=")
        out.appendDecimal(Int(int))
        appendPointerField(", si_ptr=", ptr, into: &out)
    }

    /// strace's PRINT_FIELD_PTR: NULL or hex.
    private func appendPointerField(_ label: StaticString, _ value: UInt64, into out: inout OutputBuffer) {
        out.appendASCII(label)
        if value == 0 { out.appendASCII("NULL") } else { out.appendHex(value) }
    }

    private func appendJSONNumber(_ key: StaticString, _ value: Int64, into out: inout OutputBuffer) {
        out.appendASCII(",\"")
        out.appendASCII(key)
        out.appendASCII("\":")
        out.appendDecimal(value)
    }

    private func appendJSONAddress(_ key: StaticString, _ value: UInt64, into out: inout OutputBuffer) {
        out.appendASCII(",\"")
        out.appendASCII(key)
        out.appendASCII("\":\"")
        out.appendHex(value)
        out.append(UInt8(ascii: "\""))
    }
}

extension ByteSink where Self: ~Copyable {
    /// C's `%#x`: `0` for zero, `0x…` otherwise (strace's PRINT_FIELD_X).
    mutating func appendHexOrZero(_ value: UInt64) {
        if value == 0 { append(UInt8(ascii: "0")) } else { appendHex(value) }
    }
}
