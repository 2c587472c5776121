import Foundation
import Shared
import XCTest

@testable import TestSupport

/// Issue 13's fault matrix: what the disks, the runtime or a reboot can do to
/// a running installation, on the real kernel with the real hooks (driven by
/// hand with real processes in real cgroups, HookDrivenContainer). Each ends
/// with `checkNothingLeaked`: no ghost record, no leaked or shared slot, and
/// every container's exit status and trace archived (or said to be lost).
final class FaultTests: InstallationTestCase {
    var mounts: [String] = []

    override func tearDown() {
        for dir in mounts.reversed() { umount2(dir, Int32(MNT_DETACH)) }
        super.tearDown()
    }

    func mountTmpfs(_ dir: String, size: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        XCTAssertEqual(mount("tailtrace-test", dir, "tmpfs", 0, "size=\(size),mode=0700"), 0, "mount tmpfs on \(dir)")
        mounts.append(dir)
    }

    /// Writes `path` until the disk refuses; returns that errno.
    func fill(_ path: String) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let block = [UInt8](repeating: 0, count: 4096)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        return errno
    }

    /// a. The archive dir read-only (a bind mount remounted ro: EROFS): the
    /// stopped container's trace stays pending in its slot, readable; the
    /// next container's poststop archives it once the dir is writable.
    func testReadOnlyArchiveDirKeepsTheTracePending() throws {
        let archive = try XCTUnwrap(t.environment["TAILTRACE_ARCHIVE_DIR"])
        try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
        XCTAssertEqual(mount(archive, archive, nil, UInt(MS_BIND), nil), 0, "bind mount")
        mounts.append(archive)
        XCTAssertEqual(mount(nil, archive, nil, UInt(MS_REMOUNT | MS_BIND | MS_RDONLY), nil), 0, "remount ro")
        try t.install("--pool", "2")

        let a = try t.startContainer("ro", exitCode: 4)
        XCTAssertEqual(try t.hook(.prestart, a).status, 0)
        try t.stop(a)
        let post = try t.hook(.poststop, a)
        XCTAssertEqual(post.status, 0, "fails open")
        XCTAssertTrue(post.stderr.contains("could not archive its trace"), post.stderr)
        XCTAssertTrue(post.stderr.contains("Read-only file system"), post.stderr)
        let pending = try XCTUnwrap(try t.records(of: a.id).first)
        XCTAssertEqual(pending["state"] as? String, "exited")
        XCTAssertEqual(pending["exit_code"] as? Int, 4)
        XCTAssertNotNil(pending["archive_pending"] as? String)
        XCTAssertEqual(try t.statusJSON()["archive_pending"] as? Int, 1)
        XCTAssertEqual(try t.tracePIDs(a.id), [Int(a.pid)], "read live from its slot")

        // Writable again: the next stop archives it too.
        XCTAssertEqual(mount(nil, archive, nil, UInt(MS_REMOUNT | MS_BIND), nil), 0, "remount rw")
        let b = try t.startContainer("rw", exitCode: 2)
        XCTAssertEqual(try t.hook(.prestart, b).status, 0)
        try t.stop(b)
        let postB = try t.hook(.poststop, b)
        XCTAssertEqual(postB.status, 0)
        XCTAssertEqual(postB.stderr, "")
        for (c, code) in [(a, 4), (b, 2)] {
            let records = try t.records(of: c.id)
            XCTAssertEqual(records.count, 1, "\(records)")
            XCTAssertNotNil(records.first?["archive"] as? String, "\(records)")
            XCTAssertTrue(records.first?["archive_pending"] is NSNull, "\(records)")
            XCTAssertEqual(records.first?["exit_code"] as? Int, code)
            XCTAssertEqual(try t.tracePIDs(c.id), [Int(c.pid)])
        }
        try t.tailtrace("reconcile")
        try t.checkNothingLeaked(probe: "probe")
    }

    /// b. The state dir on a full tmpfs: prestart fails open (exit 0, the
    /// runtime starts the container) with one true line, releases its
    /// claim and leaves no file; a container recorded before the disk
    /// filled still stops and archives; with room again nothing is left.
    func testFullStateDiskFailsOpenAndLeaksNothing() throws {
        let state = try XCTUnwrap(t.environment["TAILTRACE_STATE_DIR"])
        try mountTmpfs(state, size: "64k")
        try t.install("--pool", "2")
        let before = try t.startContainer("before", exitCode: 3)
        XCTAssertEqual(try t.hook(.prestart, before).status, 0)

        let filler = state + "/filler"
        XCTAssertEqual(fill(filler), ENOSPC)
        let full = try t.startContainer("full", exitCode: 1)
        let pre = try t.hook(.prestart, full)
        XCTAssertEqual(pre.status, 0, "fails open: the container starts")
        print("prestart on a full state disk said: \(pre.stderr)")
        XCTAssertEqual(pre.stderr.split(separator: "\n").count, 1, pre.stderr)
        XCTAssertTrue(pre.stderr.contains("No space left on device"), pre.stderr)
        XCTAssertTrue(pre.stderr.contains("container left untraced"), pre.stderr)
        XCTAssertEqual(try t.records(of: full.id).count, 0, "untraced, as it says")
        let status = try t.statusJSON()
        XCTAssertEqual(status["claimed"] as? Int, 1, "its claim was released: \(status)")
        let files = try FileManager.default.contentsOfDirectory(atPath: state)
        XCTAssertEqual(files.filter { $0.hasSuffix(".tmp") }, [], "no temp file left")

        // The recorded container stops on the full disk: its archive is elsewhere.
        try t.stop(before)
        let post = try t.hook(.poststop, before)
        XCTAssertEqual(post.status, 0)
        XCTAssertEqual(post.stderr, "")
        try t.stop(full)
        XCTAssertEqual(try t.hook(.poststop, full).status, 0)

        try FileManager.default.removeItem(atPath: filler)
        try t.tailtrace("reconcile")
        let archived = try t.records(of: before.id)
        XCTAssertEqual(archived.count, 1)
        XCTAssertEqual(archived.first?["exit_code"] as? Int, 3)
        XCTAssertEqual(try t.tracePIDs(before.id), [Int(before.pid)])
        XCTAssertEqual(try t.records(of: full.id).count, 0)
        try t.checkNothingLeaked(probe: "probe")
    }

    /// c. A hook killed with SIGKILL at each step of prestart and poststop
    /// (`HookFault`), on a pool of one so that the next container gets the
    /// slot whenever it is free: until reconcile the half-done container's
    /// slot goes to no one else; after it, its trace is archived once, with
    /// its exit status where its init's exit was recorded, the other
    /// container keeps its slot and its own trace, and nothing is leaked.
    func testHookKilledAtEveryStepLeaksNoSlotAndLeavesNoGhost() throws {
        try t.install("--pool", "1")
        for step in HookFault.allCases {
            let name = step.rawValue
            let a = try t.startContainer("a-\(name)", exitCode: 5)
            switch step {
            case .afterClaim, .afterSave:
                let pre = try t.hook(.prestart, a, fault: step)
                XCTAssertEqual(pre.status, SIGKILL, "\(name): \(pre.stderr)")
                // runc fails the start on a failed prestart hook: it kills the
                // init, removes the cgroup and runs the poststop hooks.
                kill(a.pid, SIGKILL)
                a.process.waitUntilExit()
                try t.removeCgroup(a.cgroup)
                XCTAssertEqual(try t.hook(.poststop, a).status, 0, name)
            case .afterUnplug, .afterArchive, .afterFree:
                XCTAssertEqual(try t.hook(.prestart, a).status, 0, name)
                try t.stop(a)
                let post = try t.hook(.poststop, a, fault: step)
                XCTAssertEqual(post.status, SIGKILL, "\(name): \(post.stderr)")
            }

            // The next container, before any reconcile.
            let b = try t.startContainer("b-\(name)", exitCode: 6)
            XCTAssertEqual(try t.hook(.prestart, b).status, 0, name)
            let running = try t.listJSON().filter { $0["state"] as? String == "running" }
            let bBefore = try XCTUnwrap(running.first { $0["id"] as? String == b.id }, "\(name): \(running)")
            let slots = running.compactMap { $0["slot"] as? Int }
            XCTAssertEqual(Set(slots).count, slots.count, "\(name): a slot held twice: \(running)")

            let reconcile = try t.tailtrace("reconcile")
            XCTAssertEqual(reconcile.stderr, "", name)

            // A: archived once (as pool-<cgroup id> when it was killed before
            // a record named it), with its own trace only.
            let archivedA = try t.listJSON().filter { $0["cgroup_id"] as? Int == Int(a.cgroupID) }
            XCTAssertEqual(archivedA.count, 1, "\(name): \(archivedA)")
            let recordA = try XCTUnwrap(archivedA.first)
            XCTAssertEqual(recordA["state"] as? String, "exited", name)
            XCTAssertNotNil(recordA["archive"] as? String, "\(name): \(recordA)")
            switch step {
            case .afterClaim:
                XCTAssertEqual(recordA["id"] as? String, "pool-\(a.cgroupID)", name)
            case .afterSave:
                XCTAssertEqual(recordA["killed_by"] as? Int, Int(SIGKILL), "\(name): \(recordA)")
            case .afterUnplug, .afterArchive, .afterFree:
                XCTAssertEqual(recordA["exit_code"] as? Int, 5, "\(name): \(recordA)")
            }
            let idA = try XCTUnwrap(recordA["id"] as? String)
            XCTAssertEqual(try t.tracePIDs(idA), [Int(a.pid)], "\(name): A's trace is A's alone")

            // B: untouched by reconcile, in the slot and generation it had.
            let bAfter = try XCTUnwrap(try t.records(of: b.id).first)
            XCTAssertEqual(bAfter["state"] as? String, "running", name)
            XCTAssertEqual(bAfter["slot"] as? Int, bBefore["slot"] as? Int, name)
            XCTAssertEqual(bAfter["generation"] as? Int, bBefore["generation"] as? Int, name)
            XCTAssertEqual(try t.statusJSON()["claimed"] as? Int, 1, name)
            try t.stop(b)
            XCTAssertEqual(try t.hook(.poststop, b).status, 0, name)
            let archivedB = try t.records(of: b.id)
            XCTAssertEqual(archivedB.count, 1, "\(name): \(archivedB)")
            XCTAssertEqual(archivedB.first?["exit_code"] as? Int, 6, name)
            XCTAssertEqual(try t.tracePIDs(b.id), [Int(b.pid)], "\(name): B's trace is B's alone")

            try t.tailtrace("reconcile")  // shrinks the pool back after B's load
            try t.checkNothingLeaked(probe: "probe-\(name)")
        }
    }

    /// e. The pins removed under running containers (what a reboot does to
    /// bpffs): hooks fail open, `list` shows the running record untraced and
    /// the archive still dumps, a container stopping meanwhile is archived
    /// without its (lost) ring; `install` again works, the old record is not
    /// taken for one of the new slots, and reconcile archives it.
    func testPinsRemovedUnderRunningContainers() throws {
        try t.install("--pool", "2")
        let stopped = try t.startContainer("stopped", exitCode: 7)
        let left = try t.startContainer("left", exitCode: 8)
        let meanwhile = try t.startContainer("meanwhile", exitCode: 10)
        for c in [stopped, left, meanwhile] { XCTAssertEqual(try t.hook(.prestart, c).status, 0) }
        try t.stop(stopped)
        XCTAssertEqual(try t.hook(.poststop, stopped).status, 0)

        TestSystem.removeTree(t.pinRoot)
        let during = try t.startContainer("during", exitCode: 9)
        let pre = try t.hook(.prestart, during)
        XCTAssertEqual(pre.status, 0, "fails open")
        XCTAssertTrue(pre.stderr.contains("not installed there"), pre.stderr)
        XCTAssertTrue(pre.stderr.contains("container left untraced"), pre.stderr)
        try t.stop(meanwhile)
        let gone = try t.hook(.poststop, meanwhile)
        XCTAssertEqual(gone.status, 0)
        XCTAssertEqual(gone.stderr.split(separator: "\n").count, 1, gone.stderr)
        XCTAssertTrue(gone.stderr.contains("its trace is lost"), gone.stderr)
        XCTAssertFalse(gone.stderr.contains("untraced"), "it was traced: \(gone.stderr)")
        let lostRecord = try XCTUnwrap(try t.records(of: meanwhile.id).first, "archived without its ring")
        XCTAssertEqual(lostRecord["state"] as? String, "exited")
        XCTAssertNotNil(lostRecord["archive"] as? String)
        XCTAssertTrue(try t.tailtrace(["dump", meanwhile.id], check: false).stderr.contains("no trace is kept"))
        var states = try t.listJSON().map { "\($0["id"] ?? "?") \($0["state"] ?? "?")" }.sorted()
        XCTAssertEqual(states, ["\(left.id) untraced", "\(stopped.id) exited", "\(meanwhile.id) exited"].sorted())
        XCTAssertEqual(try t.records(of: stopped.id).first?["exit_code"] as? Int, 7)
        XCTAssertEqual(try t.tracePIDs(stopped.id), [Int(stopped.pid)], "the archive still dumps")

        try t.install("--pool", "2")
        states = try t.listJSON().map { "\($0["id"] ?? "?") \($0["state"] ?? "?")" }.sorted()
        XCTAssertEqual(
            states, ["\(left.id) untraced", "\(stopped.id) exited", "\(meanwhile.id) exited"].sorted(),
            "the old record names a slot of the new installation, but not its generation")
        let dump = try t.tailtrace(["dump", left.id], check: false)
        XCTAssertEqual(dump.status, 1)
        XCTAssertTrue(dump.stderr.contains("its trace is lost"), dump.stderr)

        let reconcile = try t.tailtrace("reconcile").stdout
        XCTAssertTrue(reconcile.contains("\(String(left.id.prefix(12))) is gone"), reconcile)
        let archivedLeft = try XCTUnwrap(try t.records(of: left.id).first)
        XCTAssertEqual(archivedLeft["state"] as? String, "exited")
        XCTAssertNotNil(archivedLeft["archive"] as? String)
        let dumpLeft = try t.tailtrace(["dump", left.id], check: false)
        XCTAssertEqual(dumpLeft.status, 1, "its ring went with the pins")
        XCTAssertTrue(dumpLeft.stderr.contains("no trace is kept"), dumpLeft.stderr)

        // the containers stop later: their poststops have nothing left to do
        for c in [left, during] {
            try t.stop(c)
            let post = try t.hook(.poststop, c)
            XCTAssertEqual(post.status, 0)
            XCTAssertEqual(post.stderr, "", "\(c.id)")
        }
        XCTAssertEqual(try t.records(of: left.id).count, 1)
        XCTAssertEqual(try t.records(of: during.id).count, 0)
        try t.checkNothingLeaked(probe: "probe")
    }

    /// f. A container that is gone before prestart runs: its init exited and
    /// was reaped (no pid, no cgroup), or exited but not yet reaped (a
    /// zombie still in its cgroup). Nothing stays claimed or running.
    func testContainerGoneBeforePrestart() throws {
        try t.install("--pool", "2")
        let reaped = try t.startContainer("reaped", exitCode: 1)
        try t.stop(reaped)
        let pre = try t.hook(.prestart, reaped)
        XCTAssertEqual(pre.status, 0)
        XCTAssertTrue(pre.stderr.contains("container left untraced"), pre.stderr)
        XCTAssertEqual(try t.hook(.poststop, reaped).status, 0)
        XCTAssertEqual(try t.records(of: reaped.id).count, 0)

        // A zombie: its parent (outside the cgroup) has not waited for it.
        let cgroup = try t.makeCgroup("zombie")
        let procs = t.cgroup2 + "/" + cgroup + "/cgroup.procs"
        let parent = Process()
        parent.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        parent.arguments = [
            "-c",
            """
            import os, sys, time
            pid = os.fork()
            if pid == 0:
                open(sys.argv[1], "w").write(str(os.getpid()))
                os._exit(3)
            print(pid, flush=True)
            time.sleep(60)
            """, procs,
        ]
        let out = Pipe()
        parent.standardOutput = out
        try parent.run()
        defer {
            kill(parent.processIdentifier, SIGKILL)
            parent.waitUntilExit()
        }
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        let zombie = try XCTUnwrap(Int32(line.trimmingCharacters(in: .whitespacesAndNewlines)), line)
        for _ in 0..<100 {
            if let stat = try? String(contentsOfFile: "/proc/\(zombie)/stat", encoding: .utf8),
                stat.contains(") Z ")
            {
                break
            }
            usleep(10_000)
        }
        let bundle = t.tempDir + "/containers/reaped"
        let zombieID = TestInstallation.randomContainerID()
        let state = try JSONSerialization.data(withJSONObject: [
            "ociVersion": "1.0.2", "id": zombieID, "status": "creating", "pid": Int(zombie),
            "bundle": bundle, "annotations": ["io.tailtrace.trace": "true"],
        ])
        let zpre = try TestSystem.run(
            TestSystem.product("ocihook-prestart"), [], environment: t.environment, stdin: state)
        XCTAssertEqual(zpre.status, 0, zpre.stderr)
        // Whether the kernel still shows a zombie's cgroup decides if it was
        // claimed; either way the runtime's init is gone and it stops.
        kill(parent.processIdentifier, SIGKILL)
        parent.waitUntilExit()
        try t.removeCgroup(cgroup)
        let poststop = try JSONSerialization.data(withJSONObject: [
            "ociVersion": "1.0.2", "id": zombieID, "status": "stopped", "bundle": bundle,
        ])
        let zpost = try TestSystem.run(
            TestSystem.product("ocihook-poststop"), [], environment: t.environment, stdin: poststop)
        XCTAssertEqual(zpost.status, 0, zpost.stderr)
        try t.tailtrace("reconcile")
        let records = try t.records(of: zombieID)
        XCTAssertTrue(records.allSatisfy { $0["state"] as? String == "exited" }, "\(records)")
        print(
            "zombie init: prestart said \(zpre.stderr.isEmpty ? "nothing (traced)" : zpre.stderr), \(records.count) archive(s)"
        )
        try t.checkNothingLeaked(probe: "probe")
    }
}
