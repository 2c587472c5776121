import Foundation
import XCTest

@testable import TestSupport

/// The OCI hooks under a real runtime: podman with runc, hooks.d from a
/// directory of the test's own, a busybox-static rootfs (no image registry).
final class PodmanHookTests: XCTestCase {
    var t: TestInstallation!
    var hooksDir: String { t.tempDir + "/hooks.d" }
    var rootfs: String { t.tempDir + "/rootfs" }
    var containers: [String] = []

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "the hooks load BPF state and podman runs as root")
        t = try TestInstallation()
        try TestSystem.makeBusyboxRootfs(at: rootfs)
    }

    override func tearDown() {
        for name in containers {
            _ = try? TestSystem.run("/usr/bin/podman", ["rm", "-f", "--time", "0", name])
        }
        t?.tearDown()
    }

    func installWithHooks(_ extra: String...) throws {
        try t.install(["--hooks-dir", hooksDir, "--hook-path", TestSystem.productsDirectory.path] + extra)
    }

    /// `podman run --rm` of the test rootfs; returns podman's result.
    @discardableResult
    func podmanRun(
        _ name: String, annotations: [String] = ["io.tailtrace.trace=true"], options: [String] = [], _ script: String
    ) throws -> CommandResult {
        containers.append(name)
        var args = [
            "run", "--rm", "--runtime", "runc", "--hooks-dir", hooksDir, "--ulimit", "nofile=1024:1024",
            "--ulimit", "nproc=1024:1024", "--network", "none", "--name", name,
        ]
        for a in annotations { args += ["--annotation", a] }
        args += options
        args += ["--rootfs", rootfs, "/bin/sh", "-c", script]
        return try TestSystem.run("/usr/bin/podman", args, environment: t.environment)
    }

    /// An annotated container is recorded from its execve, keeps its exit
    /// status, and can be dumped by name and by short id after it exited.
    func testAnnotatedContainerIsRecordedFromExecve() throws {
        try installWithHooks("--pool", "2")
        let name = "\(t.tag)-one"
        let run = try podmanRun(name, "cat /etc/missing-\(t.tag); exit 7")
        XCTAssertEqual(run.status, 7, run.stderr)

        let record = try XCTUnwrap(try t.listJSON().first { $0["name"] as? String == name }, "not listed")
        XCTAssertEqual(record["runtime"] as? String, "podman")
        XCTAssertEqual(record["source"] as? String, "hook")
        XCTAssertEqual(record["state"] as? String, "exited")
        XCTAssertEqual(record["exit_code"] as? Int, 7, "how its init ended, from the exit in its ring")
        XCTAssertTrue(record["killed_by"] is NSNull)
        let table = try t.tailtrace("list").stdout
        XCTAssertTrue(table.split(separator: "\n").contains { $0.contains(name) && $0.contains("exited 7") }, table)
        let id = try XCTUnwrap(record["id"] as? String)

        let events = try t.dumpJSON(name)
        let execve = try XCTUnwrap(
            events.first {
                $0["syscall"] as? String == "execve"
                    && ($0["args"] as? [String: Any])?["filename"] as? String == "/bin/sh"
            }, "no execve of /bin/sh")
        XCTAssertEqual(
            (execve["args"] as? [String: Any])?["argv"] as? [String],
            ["/bin/sh", "-c", "cat /etc/missing-\(t.tag); exit 7"])
        let open = try XCTUnwrap(
            events.first { ($0["args"] as? [String: Any])?["filename"] as? String == "/etc/missing-\(t.tag)" })
        XCTAssertEqual(open["errno"] as? String, "ENOENT")
        let exit = try XCTUnwrap(events.last { $0["syscall"] as? String == "exit_group" })
        XCTAssertEqual((exit["args"] as? [String: Any])?["error_code"] as? Int, 7)

        let byID = try t.tailtrace("dump", String(id.prefix(12)), "--output", "json").stdout
        XCTAssertTrue(byID.contains("/etc/missing-\(t.tag)"))
        XCTAssertEqual(try t.statusJSON()["claimed"] as? Int, 0, "poststop returned the slot")
    }

    /// `why` of a container whose program fails three opens and then
    /// stores to NULL: its init killed by SIGSEGV, the signal with its
    /// fault address, the failed opens with ENOENT, and the calls before the
    /// end, in text and in JSON.
    func testWhyNamesTheCrashAndTheFailedOpens() throws {
        try installWithHooks("--pool", "2")
        let crash = try TestSystem.workload("crash", flags: ["-static"])
        try? FileManager.default.removeItem(atPath: rootfs + "/bin/crash")
        try FileManager.default.copyItem(atPath: crash, toPath: rootfs + "/bin/crash")
        let name = "\(t.tag)-crash"
        let run = try podmanRun(name, "/bin/crash \(t.tag)")
        XCTAssertEqual(run.status, 139, "128 + SIGSEGV: \(run.stderr)")

        let text = try t.tailtrace("why", name, "--tail", "6").stdout
        let sections = text.components(separatedBy: "\n\n")
        XCTAssertEqual(sections.count, 5, text)
        guard sections.count == 5 else { return }
        XCTAssertTrue(sections[0].hasSuffix("killed by SIGSEGV"), sections[0])
        XCTAssertTrue(
            sections[1].contains("[crash] killed by SIGSEGV") && sections[1].contains("the container's init"),
            sections[1])
        XCTAssertTrue(
            sections[2].hasPrefix("Fatal signals:\n")
                && sections[2].hasSuffix(
                    "[crash] --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---"),
            sections[2])
        for i in 0..<3 {
            XCTAssertTrue(
                sections[3].contains(
                    "openat(dfd=AT_FDCWD, filename=\"/etc/crash-\(t.tag)/config.\(i)\", flags=O_RDONLY) = -1 ENOENT"),
                sections[3])
        }
        let last = sections[4].split(separator: "\n")
        XCTAssertEqual(last.first, "Last 6 syscalls:")
        XCTAssertTrue(last.last?.hasSuffix("+++ killed by SIGSEGV +++") ?? false, sections[4])
        XCTAssertTrue(last.contains { $0.contains("write(fd=1, buf=\"no config found, going on\\n\"") }, sections[4])

        let out = try t.tailtrace("why", name, "--output", "json", "--tail", "3").stdout
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], out)
        XCTAssertEqual((report["container"] as? [String: Any])?["killed_by"] as? Int, 11)
        let ended = try XCTUnwrap(report["ended"] as? [[String: Any]])
        XCTAssertEqual(ended.compactMap { $0["killed_by"] as? String }, ["SIGSEGV"])
        let signals = try XCTUnwrap(report["signals"] as? [[String: Any]])
        XCTAssertEqual(signals.map { $0["signal"] as? String }, ["SIGSEGV"])
        XCTAssertEqual(signals.first?["code"] as? String, "SEGV_MAPERR")
        let failed = try XCTUnwrap(report["failed"] as? [[String: Any]])
        let opens = failed.compactMap { ($0["args"] as? [String: Any])?["filename"] as? String }
        XCTAssertEqual(opens.suffix(3), (0..<3).map { "/etc/crash-\(t.tag)/config.\($0)" })
        XCTAssertEqual(failed.last?["errno"] as? String, "ENOENT")
        XCTAssertGreaterThanOrEqual(report["failed_total"] as? Int ?? 0, 3)
        let calls = try XCTUnwrap(report["last"] as? [[String: Any]])
        XCTAssertEqual(calls.filter { $0["syscall"] != nil }.count, 3)
        XCTAssertEqual(calls.last?["event"] as? String, "exit")
    }

    /// Without the annotation nothing is traced.
    /// A container that makes a cgroup of its own below its cgroup (private
    /// cgroup namespace, cgroup2 mounted writable inside: privileged, as a
    /// systemd or nested-runtime container is) and moves into it stays in
    /// its one trace and its one slot; records after the move carry the
    /// sub-cgroup's id.
    func testSubCgroupOfAContainerStaysInItsTrace() throws {
        try installWithHooks("--pool", "2")
        let name = "\(t.tag)-sub"
        let script =
            "mkdir -p /tmp/cg && mount -t cgroup2 none /tmp/cg && mkdir /tmp/cg/sub"
            + " && echo $$ > /tmp/cg/sub/cgroup.procs && cat /etc/in-sub-\(t.tag); exit 5"
        let run = try podmanRun(name, options: ["--cgroupns=private", "--privileged"], script)
        XCTAssertEqual(run.status, 5, run.stderr)

        let records = try t.listJSON().filter { $0["name"] as? String == name }
        XCTAssertEqual(records.count, 1, "one container, one record")
        let record = try XCTUnwrap(records.first)
        XCTAssertEqual(record["exit_code"] as? Int, 5)
        let own = try XCTUnwrap(record["cgroup_id"] as? Int)
        let events = try t.dumpJSON(name)
        let open = try XCTUnwrap(
            events.first { ($0["args"] as? [String: Any])?["filename"] as? String == "/etc/in-sub-\(t.tag)" },
            "the cat after the move was not recorded")
        let sub = try XCTUnwrap(open["cgroup_id"] as? Int, "a record from the sub-cgroup carries its id")
        XCTAssertNotEqual(sub, own)
        XCTAssertEqual(try t.statusJSON()["claimed"] as? Int, 0, "poststop returned the one slot")
        XCTAssertEqual(try t.listJSON().count, 1, "the sub-cgroup is no container of its own")
    }

    func testUnannotatedContainerIsNotTraced() throws {
        try installWithHooks("--pool", "1")
        let name = "\(t.tag)-plain"
        XCTAssertEqual(try podmanRun(name, annotations: [], "exit 0").status, 0)
        XCTAssertFalse(try t.listJSON().contains { $0["name"] as? String == name })
        XCTAssertEqual(try t.statusJSON()["claimed"] as? Int, 0)
    }

    /// A dozen containers at once, more than the pool holds: each gets its
    /// own trace, none mixes two, and every slot is back afterwards.
    func testDozenContainersInParallel() throws {
        try installWithHooks("--pool", "4")
        let names = (0..<12).map { "\(t.tag)-p\($0)" }
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<Int32>.allocate(capacity: names.count)
        defer { results.deallocate() }
        containers += names
        let (hooksDir, rootfs, environment) = (hooksDir, rootfs, t.environment)
        DispatchQueue.concurrentPerform(iterations: names.count) { i in
            let r = try? TestSystem.run(
                "/usr/bin/podman",
                [
                    "run", "--rm", "--runtime", "runc", "--hooks-dir", hooksDir, "--ulimit", "nofile=1024:1024",
                    "--ulimit", "nproc=1024:1024", "--network", "none", "--annotation", "io.tailtrace.trace=true",
                    "--name", names[i], "--rootfs", rootfs, "/bin/sh", "-c", "cat /marker-\(names[i]); exit \(i)",
                ], environment: environment)
            results[i] = r?.status ?? -1
        }
        for (i, status) in results.enumerated() { XCTAssertEqual(status, Int32(i), "exit status of \(names[i])") }
        for name in names {
            let dump = try t.tailtrace("dump", name, "--output", "json").stdout
            XCTAssertTrue(dump.contains("/marker-\(name)\""), "\(name) lacks its own calls")
            for other in names where other != name {
                XCTAssertFalse(dump.contains("/marker-\(other)\""), "\(name) holds \(other)'s calls")
            }
        }
        XCTAssertEqual(try t.statusJSON()["claimed"] as? Int, 0)
    }

    /// Fail open: with tailtrace not installed an annotated container still
    /// starts, and the hook says why in its log.
    func testContainerStartsWhenNotInstalled() throws {
        try FileManager.default.createDirectory(atPath: hooksDir, withIntermediateDirectories: true)
        // Hooks for a pin root where nothing is installed.
        try t.tailtrace([
            "install", "--pool", "1", "--hooks-dir", hooksDir, "--hook-path", TestSystem.productsDirectory.path,
        ])
        try t.tailtrace("uninstall")
        let name = "\(t.tag)-open"
        let run = try podmanRun(name, "echo still-running; exit 4")
        XCTAssertEqual(run.status, 4, run.stderr)
        XCTAssertTrue(run.stdout.contains("still-running"))
        let log = try String(contentsOfFile: t.tempDir + "/state/hooks.log", encoding: .utf8)
        XCTAssertTrue(log.contains("not installed"), log)
    }

    /// Strict mode: io.tailtrace.required=true and tracing impossible → the
    /// container does not start.
    func testRequiredContainerDoesNotStartWithoutTracing() throws {
        try t.tailtrace([
            "install", "--pool", "1", "--hooks-dir", hooksDir, "--hook-path", TestSystem.productsDirectory.path,
        ])
        try t.tailtrace("uninstall")
        let name = "\(t.tag)-strict"
        let run = try podmanRun(name, annotations: ["io.tailtrace.required=true"], "echo should-not-run")
        XCTAssertNotEqual(run.status, 0)
        XCTAssertFalse(run.stdout.contains("should-not-run"))
    }
}
