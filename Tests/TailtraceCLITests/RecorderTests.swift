import Foundation
import Glibc
import Shared
import XCTest

@testable import TestSupport

/// The recorder end to end, through the CLI contract: real kernel, real BPF,
/// a real workload in a cgroup of the test's own.
final class RecorderTests: InstallationTestCase {
    /// The workload's calls from its failing openat on (see testdata/workload.c).
    static let workloadCalls = [
        "openat", "openat", "write", "close", "openat", "read", "close", "rename", "unlink",
        "getppid", "getppid", "getppid", "exit_group",
    ]

    func syscalls(_ events: [[String: Any]]) -> [String] {
        events.compactMap { $0["syscall"] as? String }
    }

    /// The workload's own calls, from its failing openat on: exact names,
    /// paths, buffers, return values and errno.
    func testWorkloadSyscallsAreRecordedExactly() throws {
        try checkWorkloadSyscalls(install: [])
    }

    /// The program variant for kernels 5.10-5.16 (CO-RE probe reads, bounded
    /// loops), loaded on this kernel: the same records as the default one.
    func testCoreVariantRecordsTheSame() throws {
        try checkWorkloadSyscalls(install: ["--bpf-variant", "core"])
        let status = try t.tailtrace("status", "--output", "json").stdout
        XCTAssertTrue(status.contains(#""bpf_variant":"core""#), status)
    }

    /// Every module after an installation's first is a copy of it, loaded
    /// without libbpf from the instructions libbpf made (BPFObjectImage):
    /// the same programs (the kernel's tag hashes a program's instructions
    /// but its map references) on rings of their own, and a container in a
    /// copied slot is recorded exactly as in the first.
    func testCopiedModulesRunTheFirstsProgramsOnRingsOfTheirOwn() throws {
        try checkWorkloadSyscalls(install: ["--pool", "3"], slotsTakenBefore: 2)
        func pinned(_ kind: String, _ slot: Int, _ name: String) throws -> [String: Any] {
            let r = try TestSystem.run(
                "/usr/sbin/bpftool", ["-j", kind, "show", "pinned", "\(t.pinRoot)/slots/\(slot)/\(name)"])
            return try XCTUnwrap(
                try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stderr)
        }
        let rings = try (0..<3).map { try XCTUnwrap(pinned("map", $0, "ring")["id"] as? Int) }
        XCTAssertEqual(Set(rings).count, 3, "each slot has a ring of its own")
        for program in ["tt_record_enter", "tt_record_exit", "tt_record_signal", "tt_record_proc_exit"] {
            let first = try pinned("prog", 0, program)
            for slot in 1..<3 {
                let copy = try pinned("prog", slot, program)
                XCTAssertEqual(
                    copy["tag"] as? String, try XCTUnwrap(first["tag"] as? String), "\(program) of slot \(slot)")
                XCTAssertEqual(
                    copy["btf_id"] as? Int, try XCTUnwrap(first["btf_id"] as? Int), "\(program) of slot \(slot)")
                let maps = Set(copy["map_ids"] as? [Int] ?? [])
                XCTAssertEqual(
                    maps.intersection(rings), [rings[slot]], "\(program) of slot \(slot) writes its own ring")
            }
        }
    }

    /// The dispatcher tail-calls slots 0-1023 from call sites of their own
    /// (direct jumps) and higher slots through one indirect call. A container
    /// attached in slot 0 is moved to slot 1500 in the pinned maps (slot 0's
    /// programs put at 1500 and taken off 0, its key pointing at 1500, the
    /// epoch bumped): it is still recorded, so through entry 1500.
    func testASlotAboveTheDirectCallSitesIsRecordedToo() throws {
        let workload = try TestSystem.workload()
        try t.install("--pool", "1")
        let cg = try t.makeCgroup("high")
        try t.tailtrace("attach", "--cgroup", cg, "--name", "high")
        @discardableResult
        func bpftool(_ args: [String]) throws -> String {
            let r = try TestSystem.run("/usr/sbin/bpftool", ["-j"] + args)
            XCTAssertEqual(r.status, 0, "bpftool \(args.joined(separator: " ")): \(r.stderr)")
            return r.stdout
        }
        let high = [0xdc, 0x05, 0, 0].map { "\($0)" }  // 1500, little endian
        for (program, array) in [("tt_record_enter", "recorders_enter"), ("tt_record_exit", "recorders_exit")] {
            let map = ["map", "update", "pinned", "\(t.pinRoot)/\(array)"]
            try bpftool(map + ["key"] + high + ["value", "pinned", "\(t.pinRoot)/slots/0/\(program)"])
            try bpftool(["map", "delete", "pinned", "\(t.pinRoot)/\(array)", "key", "0", "0", "0", "0"])
        }
        let keys = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(try bpftool(["map", "dump", "pinned", "\(t.pinRoot)/keys"]).utf8))
                as? [[String: Any]])
        XCTAssertEqual(keys.count, 1, "one container attached")
        let key = try XCTUnwrap(keys.first?["key"] as? [String])
        let gen = try XCTUnwrap(keys.first?["value"] as? [String]).suffix(4)  // struct tt_slot_ref { slot, gen }
        try bpftool(["map", "update", "pinned", "\(t.pinRoot)/keys", "key"] + key + ["value"] + high + gen)
        let epoch = try XCTUnwrap(
            (try JSONSerialization.jsonObject(
                with: Data(try bpftool(["map", "lookup", "pinned", "\(t.pinRoot)/epoch", "key", "0", "0", "0", "0"]).utf8))
                as? [String: Any])?["formatted"] as? [String: Any])
        let next = try XCTUnwrap(epoch["value"] as? Int) + 1
        try bpftool(
            ["map", "update", "pinned", "\(t.pinRoot)/epoch", "key", "0", "0", "0", "0", "value"]
                + (0..<4).map { "\((next >> (8 * $0)) & 0xff)" })

        XCTAssertEqual(try t.run(inCgroup: cg, [workload, "high"]).status, 3)
        let calls = try t.dumpJSON("high").compactMap { $0["syscall"] as? String }
        XCTAssertEqual(Array(calls.suffix(4)), ["getppid", "getppid", "getppid", "exit_group"], "\(calls)")
        XCTAssertTrue(calls.contains("rename"), "\(calls)")
    }

    /// With `slotsTakenBefore`, that many other cgroups are attached first,
    /// so the workload's container is in a later slot.
    func checkWorkloadSyscalls(install extra: [String], slotsTakenBefore: Int = 0) throws {
        let workload = try TestSystem.workload()
        try t.install(extra.contains("--pool") ? extra : ["--pool", "2"] + extra)
        for i in 0..<slotsTakenBefore {
            try t.tailtrace("attach", "--cgroup", try t.makeCgroup("before\(i)"), "--name", "before\(i)")
        }
        let cg = try t.makeCgroup("a")
        let attached = try t.tailtrace("attach", "--cgroup", cg, "--name", "wa").stdout
        XCTAssertTrue(attached.contains("to recorder \(slotsTakenBefore)"), attached)
        let run = try t.run(inCgroup: cg, [workload, "alpha"])
        XCTAssertEqual(run.status, 3, "the workload keeps its exit status")

        let records = try t.dumpJSON("wa")
        let events = records.filter { $0["syscall"] != nil }
        XCTAssertEqual(records.last?["event"] as? String, "exit", "the process's end comes last")
        XCTAssertEqual(records.last?["exit_code"] as? Int, 3)
        let execve = try XCTUnwrap(events.first { $0["syscall"] as? String == "execve" })
        XCTAssertEqual(execve["ret"] as? Int, 0)
        let execArgs = try XCTUnwrap(execve["args"] as? [String: Any])
        XCTAssertEqual(execArgs["filename"] as? String, workload)

        let start = try XCTUnwrap(
            events.firstIndex { ($0["args"] as? [String: Any])?["filename"] as? String == "/nonexistent-alpha/file" })
        let tail = Array(events[start...])
        XCTAssertEqual(syscalls(tail), Self.workloadCalls)

        let failed = tail[0]
        XCTAssertEqual(failed["ret"] as? Int, -2)
        XCTAssertEqual(failed["errno"] as? String, "ENOENT")
        XCTAssertEqual(failed["comm"] as? String, "workload")
        XCTAssertNil(tail[1]["errno"], "errno appears only on failure")

        let write = tail[2]
        XCTAssertEqual((write["args"] as? [String: Any])?["buf"] as? String, "hello from alpha\n")
        XCTAssertEqual(write["ret"] as? Int, 17)
        let read = tail[5]
        XCTAssertEqual((read["args"] as? [String: Any])?["buf"] as? String, "hello from alpha\n")
        XCTAssertEqual((read["args"] as? [String: Any])?["count"] as? Int, 64)
        XCTAssertEqual(read["ret"] as? Int, 17)
        let rename = try XCTUnwrap(tail[7]["args"] as? [String: Any])
        XCTAssertEqual(rename["oldname"] as? String, "/tmp/tailtrace-workload-alpha")
        XCTAssertEqual(rename["newname"] as? String, "/tmp/tailtrace-workload-alpha.moved")

        let exit = try XCTUnwrap(tail.last)
        XCTAssertTrue(exit["ret"] is NSNull, "exit_group never returns: ret is null")
        XCTAssertEqual((exit["args"] as? [String: Any])?["error_code"] as? Int, 3)
        for e in events {
            for key in ["ts_ns", "cpu", "pid", "tid", "comm", "syscall", "nr", "args", "ret"] {
                XCTAssertNotNil(e[key], "\(key) missing in \(e)")
            }
        }
        let times = events.compactMap { $0["ts_ns"] as? UInt64 }
        XCTAssertEqual(times, times.sorted(), "oldest first")

        let text = try t.tailtrace("dump", "wa", "--tail", "14").stdout
        XCTAssertTrue(
            text.contains(
                #"openat(dfd=AT_FDCWD, filename="/nonexistent-alpha/file", flags=O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)"#
            ),
            text)
        XCTAssertTrue(text.contains("[workload] exit_group(error_code=3) = ?"), text)
    }

    /// A container is its whole cgroup subtree: a process that moves into a
    /// child or grandchild cgroup stays in the container's ring, its records
    /// carry the cgroup it is in, and no second slot is used.
    func testDescendantCgroupsAreRecordedAsTheContainer() throws {
        try checkDescendants(install: [])
    }

    /// The same walk up the ancestry in the variant for 5.10-5.16.
    func testCoreVariantFollowsDescendantCgroups() throws {
        try checkDescendants(install: ["--bpf-variant", "core"])
    }

    func checkDescendants(install extra: [String]) throws {
        let workload = try TestSystem.workload()
        try t.install(["--pool", "2"] + extra)
        let top = try t.makeCgroup("nest")
        let child = try t.makeCgroup("nest/child")
        let grand = try t.makeCgroup("nest/child/grand")
        // The hierarchy form, as /proc/<pid>/cgroup shows it.
        try t.tailtrace("attach", "--cgroup", "/" + top, "--name", "nest")
        let script = """
            "$1" nest-top; echo $$ > "$2/cgroup.procs"; "$1" nest-child; echo $$ > "$3/cgroup.procs"; "$1" nest-grand
            """
        let run = try t.run(
            inCgroup: top, ["/bin/sh", "-c", script, "sh", workload, t.cgroup2 + "/" + child, t.cgroup2 + "/" + grand])
        XCTAssertEqual(run.status, 3, run.stderr)

        let events = try t.dumpJSON("nest")
        func failedOpen(_ tag: String) throws -> [String: Any] {
            try XCTUnwrap(
                events.first { ($0["args"] as? [String: Any])?["filename"] as? String == "/nonexistent-\(tag)/file" },
                "\(tag) not recorded")
        }
        func cgroupID(_ relative: String) throws -> Int {
            let attributes = try FileManager.default.attributesOfItem(atPath: t.cgroup2 + "/" + relative)
            return try XCTUnwrap(attributes[.systemFileNumber] as? Int)
        }
        XCTAssertNil(try failedOpen("nest-top")["cgroup_id"], "the container's own cgroup is not repeated")
        XCTAssertEqual(try failedOpen("nest-child")["cgroup_id"] as? Int, try cgroupID(child))
        XCTAssertEqual(try failedOpen("nest-grand")["cgroup_id"] as? Int, try cgroupID(grand))
        // Every record of that process, its first (the return from clone,
        // an exit without an enter) included, names the cgroup it ran in.
        let grandPID = try failedOpen("nest-grand")["pid"] as? Int
        let grandRecords = events.filter { $0["pid"] as? Int == grandPID }
        XCTAssertGreaterThan(grandRecords.count, 5)
        for r in grandRecords { XCTAssertEqual(r["cgroup_id"] as? Int, try cgroupID(grand), "\(r)") }
        XCTAssertEqual(grandRecords.first?["comm"] as? String, "sh", "before its execve the child is still sh")
        let status = try t.tailtrace("status", "--output", "json").stdout
        XCTAssertTrue(status.contains(#""claimed":1,"#), status)
    }

    /// Pool mode: a container that makes a sub-cgroup keeps one slot.
    func testDescendantCgroupClaimsNoSecondSlot() throws {
        let workload = try TestSystem.workload()
        try t.install("--pool", "3", "--auto-claim")
        let top = try t.makeCgroup("pool")
        let child = try t.makeCgroup("pool/child")
        // A new mount namespace makes it a container to the dispatcher.
        let script = #""$1" pool-top; echo $$ > "$2/cgroup.procs"; "$1" pool-child"#
        let run = try t.run(
            inCgroup: top, ["/usr/bin/unshare", "-m", "/bin/sh", "-c", script, "sh", workload, t.cgroup2 + "/" + child])
        XCTAssertEqual(run.status, 3, run.stderr)
        let status = try t.tailtrace("status", "--output", "json").stdout
        XCTAssertTrue(status.contains(#""claimed":1,"#), status)
        XCTAssertTrue(status.contains(#""auto_claims":1,"#), status)
        XCTAssertTrue(status.contains(#""misses":0,"#), status)
    }

    /// A task that moves itself into an attached cgroup is recorded from the
    /// move on, though the dispatcher's per-CPU memo (kept by the task's
    /// pt_regs) had it untraced an instant before: the kernel's
    /// cgroup_attach_task event outdates every memo.
    func testTaskMovedIntoAttachedCgroupIsRecordedAtOnce() throws {
        let workload = try TestSystem.workload()
        try t.install("--pool", "2")
        let start = try t.makeCgroup("start")
        let target = try t.makeCgroup("target")
        try t.tailtrace("attach", "--cgroup", target, "--name", "moved")
        let procs = t.cgroup2 + "/" + target + "/cgroup.procs"
        let run = try t.run(inCgroup: start, [workload, "move", procs, "moved"])
        XCTAssertEqual(run.status, 3, run.stderr)
        let calls = try t.dumpJSON("moved").compactMap { $0["syscall"] as? String }
        // the write that moved it returns in the cgroup: its exit is the first record
        XCTAssertEqual(calls, ["write", "close"] + Self.workloadCalls)
    }

    /// Pool mode: a task of the host's mount namespace is remembered, per CPU,
    /// as one that cannot claim; once it unshares its mount namespace its
    /// next syscall claims a slot all the same.
    func testTaskThatUnsharesClaimsAtItsNextSyscall() throws {
        let workload = try TestSystem.workload()
        try t.install("--pool", "2", "--auto-claim")
        let cg = try t.makeCgroup("unshare")
        let run = try t.run(inCgroup: cg, [workload, "unshare", "unshared"])
        XCTAssertEqual(run.status, 3, run.stderr)
        let status = try t.tailtrace("status", "--output", "json").stdout
        XCTAssertTrue(status.contains(#""claimed":1,"#), status)
        XCTAssertEqual(rmdir(t.cgroup2 + "/" + cg), 0)
        try t.tailtrace("reconcile")
        let records = try t.listJSON()
        let pool = try XCTUnwrap(records.first { $0["source"] as? String == "pool" }, "\(records)")
        let calls = try t.dumpJSON(try XCTUnwrap(pool["id"] as? String)).compactMap { $0["syscall"] as? String }
        XCTAssertEqual(calls, Self.workloadCalls, "claimed at the first enter after unshare")
    }

    /// The dispatcher leaves a task's pid and tid for the recorder once while
    /// its per-CPU memo holds. A thread that is not the leader and execs
    /// takes the leader's tid: its records from the exec's return on carry
    /// the new tid (the old leader's exit dates the memo). Without that
    /// date (the exit's task_epoch bump removed) both variants failed.
    func testThreadThatExecsIsRecordedWithTheLeadersTid() throws {
        try checkThreadExec(install: [])
    }

    /// The same in the core variant, whose memo also keeps the task's address.
    func testThreadThatExecsIsRecordedWithTheLeadersTidInCoreVariant() throws {
        try checkThreadExec(install: ["--bpf-variant", "core"])
    }

    func checkThreadExec(install: [String]) throws {
        // The workload keeps its two threads on CPUs 0 and 1: on one CPU the
        // old leader's own events there would date the memo anyway.
        try XCTSkipIf(sysconf(Int32(_SC_NPROCESSORS_ONLN)) < 2, "needs two CPUs (the threads' CPUs 0 and 1)")
        let workload = try TestSystem.workload()
        try t.install(["--pool", "2"] + install)
        let cg = try t.makeCgroup("texec")
        try t.tailtrace("attach", "--cgroup", cg, "--name", "texec")
        let run = try t.run(inCgroup: cg, [workload, "thread-exec", "texec"])
        XCTAssertEqual(run.status, 3, run.stderr)
        let events = try t.dumpJSON("texec")
        let exec = try XCTUnwrap(
            events.lastIndex { $0["syscall"] as? String == "execve" && $0["tid"] as? Int != $0["pid"] as? Int },
            "no execve by a thread other than the leader: \(events.compactMap { $0["syscall"] })")
        let before = events[..<exec].filter { $0["syscall"] as? String == "getppid" }
        XCTAssertFalse(before.isEmpty, "the second thread's calls before its exec")
        XCTAssertTrue(before.allSatisfy { $0["tid"] as? Int != $0["pid"] as? Int })
        let after = events[(exec + 1)...].filter { $0["syscall"] != nil }
        XCTAssertEqual(Array(after.compactMap { $0["syscall"] as? String }.suffix(Self.workloadCalls.count)),
                       Self.workloadCalls)
        let pid = try XCTUnwrap(events[exec]["pid"] as? Int)
        for event in after {
            XCTAssertEqual(event["pid"] as? Int, pid, "\(event)")
            XCTAssertEqual(event["tid"] as? Int, pid, "after the exec the thread is the leader: \(event)")
        }
    }

    /// mntns key mode: a process in a container that unshares its mount
    /// namespace stays in the container's trace (its parent's namespace is
    /// traced), and claims no second slot.
    func testMntnsModeFollowsNestedMountNamespaces() throws {
        let workload = try TestSystem.workload()
        try t.install("--pool", "3", "--auto-claim", "--key", "mntns")
        let cg = try t.makeCgroup("mnt")  // keeps the test's processes together
        let script = #""$1" mnt-outer; /usr/bin/unshare -m "$1" mnt-inner"#
        let run = try t.run(inCgroup: cg, ["/usr/bin/unshare", "-m", "/bin/sh", "-c", script, "sh", workload])
        XCTAssertEqual(run.status, 3, run.stderr)
        let status = try t.tailtrace("status", "--output", "json").stdout
        XCTAssertTrue(status.contains(#""claimed":1,"#), status)
        XCTAssertTrue(status.contains(#""auto_claims":1,"#), status)
        XCTAssertTrue(status.contains(#""misses":0,"#), status)
        // With its cgroup gone, reconcile archives the claim under pool-<key>.
        XCTAssertEqual(rmdir(t.cgroup2 + "/" + cg), 0)
        try t.tailtrace("reconcile")
        let list = try t.tailtrace("list", "--output", "json").stdout
        let records = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]])
        let pool = try XCTUnwrap(records.first { $0["source"] as? String == "pool" }, list)
        let dump = try t.tailtrace("dump", try XCTUnwrap(pool["id"] as? String), "--output", "json").stdout
        XCTAssertTrue(dump.contains("/nonexistent-mnt-outer/file"), dump)
        XCTAssertTrue(dump.contains("/nonexistent-mnt-inner/file"), "the nested namespace left the trace")
    }

    /// Processes outside the cgroup are not recorded, and two cgroups never mix.
    func testCgroupsAreIsolated() throws {
        let workload = try TestSystem.workload()
        try t.install("--pool", "2")
        let a = try t.makeCgroup("a")
        let b = try t.makeCgroup("b")
        let outside = try t.makeCgroup("outside")
        try t.tailtrace("attach", "--cgroup", a, "--name", "wa")
        try t.tailtrace("attach", "--cgroup", t.cgroup2 + "/" + b, "--name", "wb")
        try t.run(inCgroup: a, [workload, "in-a"])
        try t.run(inCgroup: b, [workload, "in-b"])
        try t.run(inCgroup: outside, [workload, "outside"])

        let dumpA = try t.tailtrace("dump", "wa", "--output", "json").stdout
        let dumpB = try t.tailtrace("dump", "wb", "--output", "json").stdout
        XCTAssertTrue(dumpA.contains("/nonexistent-in-a/file"))
        XCTAssertTrue(dumpB.contains("/nonexistent-in-b/file"))
        XCTAssertFalse(dumpA.contains("in-b"), "cgroup b leaked into a")
        XCTAssertFalse(dumpB.contains("in-a"), "cgroup a leaked into b")
        XCTAssertFalse(dumpA.contains("outside") || dumpB.contains("outside"), "an untraced process was recorded")
        let pidsA = Set(try t.dumpJSON("wa").compactMap { $0["pid"] as? Int })
        let pidsB = Set(try t.dumpJSON("wb").compactMap { $0["pid"] as? Int })
        XCTAssertTrue(pidsA.isDisjoint(with: pidsB))
    }

    /// A full ring overwrites the oldest records and says how many were lost.
    func testFullRingOverwritesOldestAndCountsLoss() throws {
        let workload = try TestSystem.workload()
        try t.install("--pool", "1", "--ring-size", "16K")
        let cg = try t.makeCgroup("a")
        try t.tailtrace("attach", "--cgroup", cg, "--name", "loop")
        // On one CPU: each CPU has a region of its own, and an execve made
        // on a CPU the loop then leaves would rightly survive there.
        try t.run(inCgroup: cg, ["/usr/bin/taskset", "-c", "0", workload, "loop", "20000"])

        let events = try t.dumpJSON("loop")
        let lost = try XCTUnwrap(events.first?["lost"] as? Int, "the dump starts with the loss count")
        // 20,000 getppid calls into a ring of 128 cells: one record each, the
        // exit written into its enter's cell (it runs on the enter's CPU
        // with nothing recorded in between), not an enter and an exit.
        XCTAssertGreaterThan(lost, 19_000)
        XCTAssertLessThan(lost, 21_000, "an exit merged into its enter")
        let calls = syscalls(events)
        XCTAssertFalse(
            events.contains {
                $0["syscall"] as? String == "execve"
                    && ($0["args"] as? [String: Any])?["filename"] as? String == workload
            },
            "the oldest records (the workload's execve, on the loop's CPU) were overwritten")
        XCTAssertEqual(calls.last, "exit_group", "the newest records are kept")
        XCTAssertGreaterThan(calls.filter { $0 == "getppid" }.count, 20)
        let text = try t.tailtrace("dump", "loop").stdout
        XCTAssertTrue(text.hasPrefix("--- \(lost) records lost"), String(text.prefix(200)))
    }

    /// i386 syscalls are named from the i386 table (getppid is 64 there,
    /// semget on x86_64).
    func testCompatSyscallsUseTheI386Table() throws {
        let workload: String
        do {
            workload = try TestSystem.workload("workload32", flags: ["-m32", "-static"])
        } catch {
            throw XCTSkip("cannot build i386 binaries here (gcc-multilib missing?): \(error)")
        }
        try t.install("--pool", "1")
        let cg = try t.makeCgroup("a")
        try t.tailtrace("attach", "--cgroup", cg, "--name", "i386")
        let run = try t.run(inCgroup: cg, [workload])
        XCTAssertEqual(run.status, 0, run.stderr)
        let events = try t.dumpJSON("i386")
        let getppid = try XCTUnwrap(events.first { $0["syscall"] as? String == "getppid" }, "\(events)")
        XCTAssertEqual(getppid["nr"] as? Int, 64)
        XCTAssertFalse(syscalls(events).contains("semget"))
        // glibc's open() is the openat syscall (i386 number 295).
        let open = try XCTUnwrap(events.first { $0["syscall"] as? String == "openat" })
        XCTAssertEqual(open["nr"] as? Int, 295)
        XCTAssertEqual((open["args"] as? [String: Any])?["filename"] as? String, "/nonexistent-i386")
        XCTAssertEqual(open["errno"] as? String, "ENOENT")
        // i386 layouts: an iovec entry and an argv entry are 32-bit words
        let text = try t.tailtrace("dump", "i386").stdout
        XCTAssertTrue(
            text.contains(#"vec=[{iov_base="hello ", iov_len=6}, {iov_base="world-i386", iov_len=10}], vlen=2) = 16"#),
            text)
        XCTAssertTrue(text.contains(#"execve(filename="\#(workload)", argv=["\#(workload)", "arg-one", "arg-two"]"#), text)
    }

    /// Uninstall detaches the dispatcher and removes every pin.
    func testUninstallLeavesNoPinsOrPrograms() throws {
        try t.install("--pool", "2")
        let programs = try TestSystem.pinnedProgramIDs(under: t.pinRoot)
        XCTAssertGreaterThanOrEqual(programs.count, 6, "2 dispatcher + 2x2 recorder programs")
        try t.tailtrace("uninstall")
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.pinRoot))
        // The kernel frees programs after an RCU grace period: allow a moment.
        var loaded = programs
        for _ in 0..<50 where !loaded.isEmpty {
            loaded = try loaded.filter { id in
                try TestSystem.run("/usr/sbin/bpftool", ["prog", "show", "id", String(id)]).status == 0
            }
            if !loaded.isEmpty { usleep(100_000) }
        }
        XCTAssertEqual(loaded, [], "programs still loaded 5 s after uninstall")
    }

    /// Installing twice on one pin root is harmless; pins are root-only.
    func testSecondInstallAndPermissions() throws {
        try t.install("--pool", "1")
        let again = try t.tailtrace("install", "--pool", "3")
        XCTAssertTrue(again.stdout.contains("already installed"), again.stdout)
        let status = try t.tailtrace("status", "--output", "json").stdout
        let s = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any])
        XCTAssertEqual(s["pool_size"] as? Int, 1)
        for key in ["pool_size", "free", "claimed", "misses", "lost", "memory_bytes"] {
            XCTAssertNotNil(s[key], "status lacks \(key)")
        }
        var st = stat()
        XCTAssertEqual(stat(t.pinRoot, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o700)
        XCTAssertEqual(stat(t.pinRoot + "/keys", &st), 0)
        XCTAssertEqual(st.st_mode & 0o077, 0, "pins are root-only")
    }

    /// Every command run by another user says in one line that tailtrace
    /// needs root (instead of, say, an empty table), and exits 1.
    func testCommandsNeedRoot() throws {
        try t.install("--pool", "1")
        let commands = [
            ["list"], ["list", "--output", "json"], ["dump", "x"], ["status"], ["follow", "x"], ["detach", "x"],
            ["attach", "--cgroup", "/"], ["reconcile"], ["install"], ["uninstall"],
        ]
        for args in commands {
            let r = try TestSystem.run(
                "/usr/bin/setpriv",
                ["--reuid=65534", "--regid=65534", "--clear-groups", TestSystem.product("tailtrace")] + args,
                environment: t.environment)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stdout)")
            XCTAssertEqual(r.stdout, "", "\(args)")
            XCTAssertEqual(
                r.stderr.split(separator: "\n", omittingEmptySubsequences: false).count, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("tailtrace needs root"), "\(args): \(r.stderr)")
        }
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: t.pinRoot + "/install"), "uninstall as nobody removed nothing")
    }

    /// Bad input: one clear line and exit 1; nothing claimed.
    func testUnknownContainerAndBadCgroup() throws {
        try t.install("--pool", "1")
        let dump = try t.tailtrace(["dump", "no-such-container"], check: false)
        XCTAssertEqual(dump.status, 1)
        XCTAssertTrue(dump.stderr.contains("no-such-container"), dump.stderr)
        XCTAssertEqual(dump.stderr.split(separator: "\n").count, 1, dump.stderr)
        let detach = try t.tailtrace(["detach", "no-such-container"], check: false)
        XCTAssertEqual(detach.status, 1)
        let attach = try t.tailtrace(["attach", "--cgroup", t.tempDir, "--name", "x"], check: false)
        XCTAssertEqual(attach.status, 1)
        XCTAssertTrue(attach.stderr.contains("cgroup"), attach.stderr)
        let status = try t.tailtrace("status", "--output", "json").stdout
        XCTAssertTrue(status.contains("\"claimed\":0"), status)
    }

    /// `tailtrace follow NAME --output json` running, its stdout a pipe.
    func startFollow(_ name: String, interval: Int) throws -> (Process, Pipe) {
        let follow = Process()
        follow.executableURL = URL(fileURLWithPath: TestSystem.product("tailtrace"))
        follow.arguments = ["follow", name, "--output", "json", "--interval", String(interval)]
        follow.environment = t.environment
        let out = Pipe()
        follow.standardOutput = out
        try follow.run()
        return (follow, out)
    }

    /// `dd` in cgroup `cg`, on CPU 0, reading `count` blocks of `blockSize`
    /// bytes from a FIFO, and the FIFO's write end (held open read-write,
    /// which does not wait for a reader): each read blocks until written to.
    func startFIFOReader(inCgroup cg: String, blockSize: Int, count: Int) throws -> (Process, Int32) {
        let fifo = t.tempDir + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let writer = open(fifo, O_RDWR)
        XCTAssertGreaterThanOrEqual(writer, 0)
        let procs = t.cgroup2 + "/" + cg + "/cgroup.procs"
        let dd = "/usr/bin/taskset -c 0 /bin/dd if='\(fifo)' of=/dev/null bs=\(blockSize) count=\(count) status=none"
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/sh")
        reader.arguments = ["-c", "echo $$ > '\(procs)' && exec \(dd)"]
        try reader.run()
        return (reader, writer)
    }

    /// follow prints calls as they become final and ends when the container
    /// is detached, printing the rest from the archive.
    func testFollowStreamsUntilDetach() throws {
        let workload = try TestSystem.workload()
        try t.install("--pool", "1")
        let cg = try t.makeCgroup("a")
        try t.tailtrace("attach", "--cgroup", cg, "--name", "live")
        let (follow, out) = try startFollow("live", interval: 50)
        usleep(300_000)
        try t.run(inCgroup: cg, [workload, "first"])
        usleep(1_500_000)  // exit_group never returns: it is printed once a second old
        try t.run(inCgroup: cg, [workload, "second"])
        try t.tailtrace("detach", "live")
        follow.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(follow.terminationStatus, 0)
        XCTAssertEqual(lines.filter { $0.contains("/nonexistent-first/file") }.count, 1, text)
        XCTAssertEqual(lines.filter { $0.contains("/nonexistent-second/file") }.count, 1, text)
        XCTAssertEqual(lines.filter { $0.contains("\"exit_group\"") }.count, 2, "each call printed once")
    }

    /// A read that blocks and returns on its CPU with nothing recorded
    /// there meanwhile gets its exit written into its enter's cell (one
    /// record per syscall), after follow already read the enter: follow
    /// prints the call once, with its return value and buffer, without
    /// waiting for the thread's next call.
    func testFollowPrintsAnExitWrittenInPlaceAfterItsEnter() throws {
        try t.install("--pool", "1")
        let cg = try t.makeCgroup("a")
        try t.tailtrace("attach", "--cgroup", cg, "--name", "blocked")
        let (follow, out) = try startFollow("blocked", interval: 20)
        let (reader, writer) = try startFIFOReader(inCgroup: cg, blockSize: 5, count: 1)
        defer { close(writer) }
        usleep(700_000)  // the read blocks; follow passes over its enter meanwhile
        XCTAssertEqual(write(writer, "hello", 5), 5)
        reader.waitUntilExit()
        usleep(200_000)
        // Printed before the detach: it returned, and the follower saw it.
        var seenBeforeDetach = Data()
        let handle = out.fileHandleForReading
        let flags = fcntl(handle.fileDescriptor, F_GETFL)
        _ = fcntl(handle.fileDescriptor, F_SETFL, flags | O_NONBLOCK)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while case let n = Glibc.read(handle.fileDescriptor, &chunk, chunk.count), n > 0 {
            seenBeforeDetach.append(contentsOf: chunk[0..<n])
        }
        _ = fcntl(handle.fileDescriptor, F_SETFL, flags)
        try t.tailtrace("detach", "blocked")
        follow.waitUntilExit()
        let text = String(decoding: seenBeforeDetach + handle.readDataToEndOfFile(), as: UTF8.self)
        let reads = text.split(separator: "\n").filter { $0.contains("\"syscall\":\"read\"") && $0.contains("\"fd\":0") }
        XCTAssertEqual(follow.terminationStatus, 0)
        XCTAssertEqual(reads.count, 1, text)
        XCTAssertTrue(reads.first?.contains("\"buf\":\"hello\"") == true, text)
        XCTAssertTrue(reads.first?.contains("\"ret\":5") == true, text)
        let early = String(decoding: seenBeforeDetach, as: UTF8.self)
        XCTAssertTrue(early.contains("\"buf\":\"hello\""), "printed while following, not from the archive: \(early)")
    }

    /// A thread whose read returned on another CPU, and whose next read
    /// entered there and returned back on the first CPU, finds its old
    /// enter still the first CPU's newest record: the exit must not be
    /// written into it (the thread moved in between). Each read keeps its
    /// own result and bytes.
    func testExitAfterMigrationsDoesNotCompleteAnOlderEnter() throws {
        try t.install("--pool", "1")
        let cg = try t.makeCgroup("a")
        try t.tailtrace("attach", "--cgroup", cg, "--name", "moving")
        let (reader, writer) = try startFIFOReader(inCgroup: cg, blockSize: 1, count: 2)
        defer { close(writer) }
        func moveReader(to cpu: Int) throws {
            usleep(300_000)  // blocked in its read
            let r = try TestSystem.run("/usr/bin/taskset", ["-p", "-c", String(cpu), String(reader.processIdentifier)])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        try moveReader(to: 1)
        XCTAssertEqual(write(writer, "a", 1), 1)  // the first read returns on CPU 1
        try moveReader(to: 0)
        XCTAssertEqual(write(writer, "b", 1), 1)  // the second, entered on CPU 1, returns on CPU 0
        reader.waitUntilExit()
        XCTAssertEqual(reader.terminationStatus, 0)
        let reads = try t.dumpJSON("moving").filter {
            $0["syscall"] as? String == "read" && ($0["args"] as? [String: Any])?["fd"] as? Int == 0
        }
        XCTAssertEqual(reads.map { ($0["args"] as? [String: Any])?["buf"] as? String }, ["a", "b"], "\(reads)")
        XCTAssertEqual(reads.map { $0["ret"] as? Int }, [1, 1], "\(reads)")
        XCTAssertEqual(reads.map { $0["cpu"] as? Int }, [0, 1], "where each read entered")
    }

    /// Detach archives the trace: dump still works, the slot is free again,
    /// and a reused slot never shows the previous container's records, nor
    /// holds them in its raw bytes: the ring is zeroed before its reuse, so
    /// the second container's archive and export (a file handed to whoever
    /// debugs it) carry none of the first's cells, which a new generation
    /// alone leaves for any reader of the bytes. The first container makes
    /// more calls than the second, so that its newest cells are not all
    /// overwritten. (Without the zeroing the export check fails.)
    func testDetachArchivesAndSlotReuseDoesNotMix() throws {
        let workload = try TestSystem.workload()
        try t.install("--pool", "1")
        let a = try t.makeCgroup("a")
        let b = try t.makeCgroup("b")
        try t.tailtrace("attach", "--cgroup", a, "--name", "first")
        for _ in 0..<3 { try t.run(inCgroup: a, [workload, "first"]) }
        try t.tailtrace("detach", "first")
        try t.tailtrace("attach", "--cgroup", b, "--name", "second")
        try t.run(inCgroup: b, [workload, "second"])

        let first = try t.tailtrace("dump", "first", "--output", "json").stdout
        let second = try t.tailtrace("dump", "second", "--output", "json").stdout
        XCTAssertTrue(first.contains("/nonexistent-first/file"))
        XCTAssertTrue(second.contains("/nonexistent-second/file"))
        XCTAssertFalse(second.contains("first"), "the reused slot mixed two containers")
        let list = try t.tailtrace("list", "--output", "json").stdout
        let records = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]])
        XCTAssertEqual(records.first { $0["name"] as? String == "first" }?["state"] as? String, "exited")
        XCTAssertEqual(records.first { $0["name"] as? String == "second" }?["state"] as? String, "running")
        for r in records {
            for key in [
                "id", "name", "runtime", "source", "state", "cgroup_id", "slot", "namespace", "pod",
                "container", "labels",
            ] {
                XCTAssertTrue(r.keys.contains(key), "list lacks \(key)")
            }
        }
        try t.tailtrace("detach", "second")
        for (name, other) in [("first", "second"), ("second", "first")] {
            let file = t.tempDir + "/\(name).tailtrace"
            try t.tailtrace("export", name, "--to", file)
            let ring = try ArchiveFile.read(file).ring
            XCTAssertNotNil(ring.firstRange(of: Array("/nonexistent-\(name)/file".utf8)), "\(name) lacks its own path")
            XCTAssertNil(ring.firstRange(of: Array("/nonexistent-\(other)/file".utf8)), "\(name)'s ring holds \(other)'s cells")
        }
    }

    /// A name names one container: of attaches of one name to different
    /// cgroups, started at once, exactly one wins and the others are
    /// refused, because the check runs under the state lock with the claim.
    /// (With the check before the lock, two or more won here.)
    func testConcurrentAttachesOfOneNameClaimOnce() throws {
        try t.install("--pool", "8")
        let count = 6
        let cgroups = try (0..<count).map { try t.makeCgroup("same\($0)") }
        nonisolated(unsafe) let outcomes = UnsafeMutableBufferPointer<String>.allocate(capacity: count)
        outcomes.initialize(repeating: "not run")
        defer { outcomes.deallocate() }
        let (tailtrace, environment) = (TestSystem.product("tailtrace"), t.environment)
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let r = try? TestSystem.run(
                tailtrace, ["attach", "--cgroup", cgroups[i], "--name", "same"], environment: environment)
            outcomes[i] = r.map { $0.status == 0 ? "attached" : $0.stderr } ?? "not run"
        }
        let all = Array(outcomes)
        XCTAssertEqual(all.filter { $0 == "attached" }.count, 1, "\(all)")
        XCTAssertEqual(all.filter { $0.contains("the name same is already used by") }.count, count - 1, "\(all)")
        XCTAssertEqual(try t.statusJSON()["claimed"] as? Int, 1, "a refused attach keeps no slot")
        XCTAssertEqual(try t.listJSON().filter { $0["name"] as? String == "same" }.count, 1)
    }

    /// The per-CPU scratch is every slot's, and a payload cell is copied
    /// from it whole: past a capture's length it must hold zeros, not an
    /// older capture's bytes. Two containers on CPU 0: the first writes a
    /// long secret, the second then makes calls with short paths; the
    /// second's export holds none of the secret. (Without the zeroing
    /// this test fails.)
    func testAPayloadCellCarriesNoBytesOfAnOlderCapture() throws {
        try t.install("--pool", "2")
        let a = try t.makeCgroup("a")
        let b = try t.makeCgroup("b")
        try t.tailtrace("attach", "--cgroup", a, "--name", "writer")
        try t.tailtrace("attach", "--cgroup", b, "--name", "next")
        let secret = "tailtrace-scratch-check-" + String(repeating: "s3cr3t", count: 12)  // 96 bytes
        try t.run(inCgroup: a, ["/usr/bin/taskset", "-c", "0", "/bin/sh", "-c", "printf %s \(secret) >/dev/null"])
        try t.run(inCgroup: b, ["/usr/bin/taskset", "-c", "0", "/bin/true"])
        for name in ["writer", "next"] { try t.tailtrace("detach", name) }
        let rings = try ["writer", "next"].map { name in
            let file = t.tempDir + "/\(name).tailtrace"
            try t.tailtrace("export", name, "--to", file)
            return try ArchiveFile.read(file).ring
        }
        // (a payload's chunks are cells apart: look for what fits in one)
        XCTAssertNotNil(rings[0].firstRange(of: Array(secret.utf8.prefix(60))), "the writer's ring lacks its write")
        XCTAssertNil(rings[1].firstRange(of: Array("s3cr3t".utf8)), "the next container's ring holds the writer's bytes")
    }

    /// More containers than the pool: modules are loaded on demand; when
    /// they are gone, reconcile unloads the surplus back to the pool's size.
    func testPoolReturnsToItsSizeAfterABurst() throws {
        try t.install("--pool", "1")
        let names = ["b1", "b2", "b3"]
        for name in names { try t.tailtrace("attach", "--cgroup", try t.makeCgroup(name), "--name", name) }
        XCTAssertEqual(try t.statusJSON()["loaded"] as? Int, 3)
        for name in names { try t.tailtrace("detach", name) }
        let reconcile = try t.tailtrace("reconcile").stdout
        XCTAssertTrue(reconcile.contains("unloaded 2 free recorders beyond the pool's size"), reconcile)
        let after = try t.statusJSON()
        XCTAssertEqual(after["loaded"] as? Int, 1)
        XCTAssertEqual(after["free"] as? Int, 1)
        let slots = try FileManager.default.contentsOfDirectory(atPath: t.pinRoot + "/slots")
        XCTAssertEqual(slots.count, 1, "the surplus modules are unpinned: \(slots)")
        // and a claim still works
        try t.tailtrace("attach", "--cgroup", try t.makeCgroup("b4"), "--name", "b4")
        XCTAssertEqual(try t.statusJSON()["claimed"] as? Int, 1)
    }

    /// A pool emptied by claims is refilled by reconcile, the first module
    /// through libbpf and the others as copies of it, and the next
    /// containers are traced in the refilled slots.
    func testReconcileRefillsAnEmptiedPool() throws {
        let workload = try TestSystem.workload()
        try t.install("--pool", "3")
        for name in ["r1", "r2", "r3"] { try t.tailtrace("attach", "--cgroup", try t.makeCgroup(name), "--name", name) }
        XCTAssertEqual(try t.statusJSON()["free"] as? Int, 0)
        let reconcile = try t.tailtrace("reconcile").stdout
        XCTAssertTrue(reconcile.contains("loaded 3 recorders to refill the pool"), reconcile)
        let status = try t.statusJSON()
        XCTAssertEqual(status["loaded"] as? Int, 6)
        XCTAssertEqual(status["free"] as? Int, 3)
        for (slot, name) in zip(3..., ["r4", "r5", "r6"]) {
            let cg = try t.makeCgroup(name)
            let attached = try t.tailtrace("attach", "--cgroup", cg, "--name", name).stdout
            XCTAssertTrue(attached.contains("to recorder \(slot)"), attached)
            XCTAssertEqual(try t.run(inCgroup: cg, [workload, name]).status, 3)
            let dump = try t.tailtrace("dump", name, "--output", "json").stdout
            XCTAssertTrue(dump.contains("/nonexistent-\(name)/file"), "slot \(slot): \(dump)")
        }
    }
}


extension TestSystem {
    /// Ids of the programs pinned under a pin root and of the programs its
    /// pinned links attach.
    static func pinnedProgramIDs(under root: String) throws -> [Int] {
        var ids: [Int] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let rel = enumerator?.nextObject() as? String {
            let path = root + "/" + rel
            let name = (rel as NSString).lastPathComponent
            if name == "tt_record_enter" || name == "tt_record_exit" {
                let r = try run("/usr/sbin/bpftool", ["-j", "prog", "show", "pinned", path])
                if let obj = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
                    let id = obj["id"] as? Int
                {
                    ids.append(id)
                }
            } else if name.hasPrefix("link_") {
                let r = try run("/usr/sbin/bpftool", ["-j", "link", "show", "pinned", path])
                if let obj = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
                    let id = obj["prog_id"] as? Int
                {
                    ids.append(id)
                }
            }
        }
        return ids
    }
}
