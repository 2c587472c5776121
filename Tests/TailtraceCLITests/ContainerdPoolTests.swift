import Foundation
import XCTest

@testable import TestSupport

/// A containerd of the test's own (own socket, root, state and namespace),
/// for tests of pool mode under a runtime that runs no hooks.
class ContainerdTestCase: XCTestCase {
    var t: TestInstallation!
    var containerd: Process?
    var base: String { t.tempDir + "/containerd" }
    var socket: String { base + "/containerd.sock" }
    var rootfs: String { t.tempDir + "/rootfs" }
    var started: [String] = []

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "containerd and BPF need root")
        t = try TestInstallation()
        try TestSystem.makeBusyboxRootfs(at: rootfs)
        try startContainerd()
    }

    /// A containerd namespace of the test's own: runc puts its containers in
    /// the cgroup `/<namespace>/<id>`, which the test removes afterwards.
    var namespace: String { t.tag }

    override func tearDown() {
        for id in started {
            _ = try? ctr(["task", "kill", "-s", "KILL", id])
            _ = try? ctr(["container", "rm", id])
        }
        if let containerd, containerd.isRunning {
            kill(containerd.processIdentifier, SIGTERM)
            containerd.waitUntilExit()
        }
        if let t {
            // runc made /<namespace> in the cgroup2 and in every v1 hierarchy.
            for mount in TestSystem.cgroupMounts() { TestSystem.removeEmptyCgroups(mount + "/" + namespace) }
        }
        t?.tearDown()
    }

    @discardableResult
    func ctr(_ args: [String]) throws -> CommandResult {
        try TestSystem.run("/usr/bin/ctr", ["--address", socket, "--namespace", namespace] + args)
    }

    func startContainerd() throws {
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let config = """
            version = 2
            root = "\(base)/root"
            state = "\(base)/state"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "\(socket)"
            """
        try config.write(toFile: base + "/config.toml", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/containerd")
        p.arguments = ["--config", base + "/config.toml"]
        FileManager.default.createFile(atPath: base + "/log", contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: base + "/log")
        p.standardError = FileHandle(forWritingAtPath: base + "/log")
        try p.run()
        containerd = p
        for _ in 0..<100 {
            if try ctr(["version"]).status == 0 { return }
            usleep(100_000)
        }
        throw TestFailure("containerd did not come up: \((try? String(contentsOfFile: base + "/log", encoding: .utf8)) ?? "")")
    }

}

/// Pool mode with `ctr run --rm --rootfs`: no hook ever runs.
final class ContainerdPoolTests: ContainerdTestCase {
    /// The dispatcher claims a recorder at the container's first syscall:
    /// its execve is recorded with no hook; reconcile names the slot after
    /// the ctr id, and after exit archives it and frees the slot.
    func testContainerIsRecordedWithoutHooksAndReconciled() throws {
        try t.install("--pool", "2", "--auto-claim")
        let id = "\(t.tag)-ctr"
        // The container waits for a marker file so reconcile sees it running.
        let marker = rootfs + "/tmp/go-\(id)"
        let script = "cat /etc/missing-\(id); while [ ! -e /tmp/go-\(id) ]; do sleep 0.1; done; exit 6"
        started.append(id)
        let ctr = Process()
        ctr.executableURL = URL(fileURLWithPath: "/usr/bin/ctr")
        ctr.arguments = [
            "--address", socket, "--namespace", namespace, "run", "--rm", "--rootfs", rootfs, id, "/bin/sh", "-c", script,
        ]
        ctr.standardOutput = FileHandle.nullDevice
        ctr.standardError = FileHandle.nullDevice
        try ctr.run()
        // Wait until its slot is claimed.
        var claimed = 0
        for _ in 0..<100 where claimed == 0 {
            usleep(100_000)
            claimed = try t.statusJSON()["claimed"] as? Int ?? 0
        }
        XCTAssertEqual(claimed, 1, "the dispatcher claimed no slot")
        let first = try t.tailtrace("reconcile").stdout
        XCTAssertTrue(first.contains("containerd container \(id)"), first)
        let running = try XCTUnwrap(try t.listJSON().first { $0["id"] as? String == id }, "reconcile did not name it")
        XCTAssertEqual(running["source"] as? String, "pool")
        XCTAssertEqual(running["runtime"] as? String, "containerd")
        XCTAssertEqual(running["state"] as? String, "running")

        FileManager.default.createFile(atPath: marker, contents: nil)
        ctr.waitUntilExit()
        XCTAssertEqual(ctr.terminationStatus, 6, "the container keeps its exit status")
        let second = try t.tailtrace("reconcile").stdout
        XCTAssertTrue(second.contains("\(id) is gone"), second)
        let exited = try XCTUnwrap(try t.listJSON().first { $0["id"] as? String == id })
        XCTAssertEqual(exited["state"] as? String, "exited")
        XCTAssertEqual(exited["exit_code"] as? Int, 6, "how its init ended, from the exit in its ring")
        XCTAssertEqual(try t.statusJSON()["claimed"] as? Int, 0)

        let events = try t.dumpJSON(id)
        let execve = try XCTUnwrap(
            events.first { ($0["args"] as? [String: Any])?["filename"] as? String == "/bin/sh" && $0["syscall"] as? String == "execve" },
            "no execve of the container's command")
        XCTAssertEqual((execve["args"] as? [String: Any])?["argv"] as? [String], ["/bin/sh", "-c", script])
        XCTAssertTrue(
            events.contains { ($0["args"] as? [String: Any])?["filename"] as? String == "/etc/missing-\(id)" })
        // Nothing from the host: every recorded pid belongs to the container.
        XCTAssertFalse(events.contains { ($0["comm"] as? String)?.hasPrefix("containerd") == true })
    }

    /// A container that makes a cgroup below its own (privileged: cgroup2
    /// mounted writable inside) and moves into it: the sub-cgroup resolves
    /// to the container's claim, so exactly one slot is claimed, no miss is
    /// counted, and reconcile lists one container.
    func testSubCgroupOfAPoolContainerClaimsNoSecondSlot() throws {
        try t.install("--pool", "2", "--auto-claim")
        let id = "\(t.tag)-sub"
        let marker = rootfs + "/tmp/go-\(id)"
        let script =
            "mkdir -p /tmp/cg && mount -t cgroup2 none /tmp/cg"
            + " && while IFS=: read n c path; do [ \"$n\" = 0 ] && own=$path; done < /proc/self/cgroup"
            + " && mkdir /tmp/cg$own/sub && echo $$ > /tmp/cg$own/sub/cgroup.procs && cat /etc/in-sub-\(id)"
            + "; while [ ! -e /tmp/go-\(id) ]; do sleep 0.1; done; exit 4"
        started.append(id)
        let ctr = Process()
        ctr.executableURL = URL(fileURLWithPath: "/usr/bin/ctr")
        ctr.arguments = [
            "--address", socket, "--namespace", namespace, "run", "--rm", "--privileged", "--rootfs", rootfs, id,
            "/bin/sh", "-c", script,
        ]
        ctr.standardOutput = FileHandle.nullDevice
        ctr.standardError = FileHandle.nullDevice
        try ctr.run()
        var recorded = false
        for _ in 0..<100 where !recorded {
            usleep(100_000)
            recorded = (try? t.tailtrace("reconcile").stdout.contains("containerd container \(id)")) == true
        }
        XCTAssertTrue(recorded, "reconcile never named the container")
        let running = try t.statusJSON()
        XCTAssertEqual(running["claimed"] as? Int, 1, "one container, one slot: \(running)")
        XCTAssertEqual(running["auto_claims"] as? Int, 1)
        XCTAssertEqual(running["misses"] as? Int, 0)
        XCTAssertEqual(try t.listJSON().filter { $0["id"] as? String == id }.count, 1)

        FileManager.default.createFile(atPath: marker, contents: nil)
        ctr.waitUntilExit()
        XCTAssertEqual(ctr.terminationStatus, 4, "the container keeps its exit status")
        try t.tailtrace("reconcile")
        let records = try t.listJSON()
        XCTAssertEqual(records.count, 1, "the sub-cgroup is no container of its own: \(records)")
        XCTAssertEqual(records.first?["exit_code"] as? Int, 4)
        let events = try t.dumpJSON(id)
        let open = try XCTUnwrap(
            events.first { ($0["args"] as? [String: Any])?["filename"] as? String == "/etc/in-sub-\(id)" },
            "the cat after the move was not recorded")
        XCTAssertNotNil(open["cgroup_id"], "a record from the sub-cgroup carries its id")
    }

    /// More containers than slots: at most pool-size claims, no slot claimed
    /// twice, the rest counted as misses, and every container still runs.
    func testMoreContainersThanSlotsCountMisses() throws {
        try t.install("--pool", "8", "--auto-claim")
        let ids = (0..<20).map { "\(t.tag)-r\($0)" }
        started += ids
        nonisolated(unsafe) let statuses = UnsafeMutableBufferPointer<Int32>.allocate(capacity: ids.count)
        defer { statuses.deallocate() }
        let (socket, rootfs, namespace) = (socket, rootfs, namespace)
        DispatchQueue.concurrentPerform(iterations: ids.count) { i in
            let r = try? TestSystem.run(
                "/usr/bin/ctr",
                [
                    "--address", socket, "--namespace", namespace, "run", "--rm", "--rootfs", rootfs, ids[i],
                    "/bin/sh", "-c", "exit \(i % 7)",
                ])
            statuses[i] = r?.status ?? -1
        }
        for (i, s) in statuses.enumerated() { XCTAssertEqual(s, Int32(i % 7), "\(ids[i]) did not run") }
        let s = try t.statusJSON()
        let claims = try XCTUnwrap(s["auto_claims"] as? Int)
        let misses = try XCTUnwrap(s["misses"] as? Int)
        XCTAssertLessThanOrEqual(claims, 8)
        XCTAssertEqual(claims, s["claimed"] as? Int, "every claim holds its own slot")
        XCTAssertGreaterThanOrEqual(claims + misses, 20, "claims \(claims) + misses \(misses)")
        XCTAssertGreaterThanOrEqual(misses, 12)

        // Reconcile archives them all (gone) and frees every slot once.
        try t.tailtrace("reconcile")
        let after = try t.statusJSON()
        XCTAssertEqual(after["claimed"] as? Int, 0)
        XCTAssertEqual(after["free"] as? Int, 8)
        let archived = try t.listJSON().filter { ($0["source"] as? String) == "pool" }
        let slots = archived.compactMap { $0["slot"] as? Int }
        XCTAssertEqual(Set(slots).count, slots.count, "a slot was claimed twice: \(slots)")
        XCTAssertEqual(archived.count, claims)
    }
}
