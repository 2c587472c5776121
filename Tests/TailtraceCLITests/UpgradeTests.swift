import Foundation
import XCTest

@testable import TestSupport

/// An installation left by the previous release (install magic `ttr2`,
/// commit 6a4c09c), built from this clone's history by
/// `scripts/previous-release` (cached in /var/cache/tailtrace-upgrade), then
/// met by this version: `install` refuses and says how, `tailtrace node`
/// replaces it, the old archive is listed and dumped, and the old running
/// record is never shown running.
final class UpgradeTests: InstallationTestCase {
    static let previousRelease = "6a4c09c"

    func previousTailtrace() throws -> String {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let r = try TestSystem.run(repo.appendingPathComponent("scripts/previous-release").path, [Self.previousRelease])
        guard r.status == 0, let path = r.stdout.split(separator: "\n").last.map(String.init),
            FileManager.default.isExecutableFile(atPath: path)
        else { throw TestFailure("could not build tailtrace at \(Self.previousRelease): \(r.stderr)") }
        return path
    }

    /// The old archive is listed and dumped (its payload cells of the
    /// first layout decoded); the old running record is not running.
    func checkOldRecords(file: StaticString = #filePath, line: UInt = #line) throws {
        let states = Dictionary(
            uniqueKeysWithValues: try t.listJSON().map { ($0["name"] as? String ?? "?", $0["state"] as? String ?? "?") }
        )
        XCTAssertEqual(states, ["archived": "exited", "running": "untraced"], file: file, line: line)
        let events = try t.dumpJSON("archived")
        let calls = events.compactMap { $0["syscall"] as? String }
        let start = try XCTUnwrap(
            events.firstIndex {
                ($0["args"] as? [String: Any])?["filename"] as? String == "/nonexistent-archived/file"
            },
            "\(events.count) events from the old archive, no failing openat", file: file, line: line)
        XCTAssertEqual(Array(calls[start...]), RecorderTests.workloadCalls, file: file, line: line)
        XCTAssertEqual(
            (events[start + 2]["args"] as? [String: Any])?["buf"] as? String, "hello from archived\n", file: file,
            line: line)
        let lost = try t.tailtrace(["dump", "running"], check: false)
        XCTAssertEqual(lost.status, 1, file: file, line: line)
        XCTAssertTrue(lost.stderr.contains("running is not traced any more"), lost.stderr, file: file, line: line)
    }

    /// With the previous release's CLI: install, one container recorded and
    /// archived, one left running (its record in the state dir); then this
    /// version's `install` refuses, says how, and changes nothing.
    func installAndRecordWithThePreviousRelease() throws {
        let old = try previousTailtrace()
        func previous(_ args: String...) throws -> CommandResult {
            let r = try TestSystem.run(old, args, environment: t.environment)
            XCTAssertEqual(r.status, 0, "previous tailtrace \(args.joined(separator: " ")): \(r.stderr)")
            return r
        }
        let workload = try TestSystem.workload()
        try previous("install", "--pool", "2")
        t.markInstalled()
        let archivedCgroup = try t.makeCgroup("archived")
        let runningCgroup = try t.makeCgroup("running")
        try previous("attach", "--cgroup", archivedCgroup, "--name", "archived")
        try previous("attach", "--cgroup", runningCgroup, "--name", "running")
        XCTAssertEqual(try t.run(inCgroup: archivedCgroup, [workload, "archived"]).status, 3)
        XCTAssertEqual(try t.run(inCgroup: runningCgroup, [workload, "running"]).status, 3)
        try previous("detach", "archived")
        let archive = try XCTUnwrap(t.environment["TAILTRACE_ARCHIVE_DIR"])
        let archivedBefore = try FileManager.default.contentsOfDirectory(atPath: archive).sorted()
        XCTAssertEqual(archivedBefore.count, 1, "\(archivedBefore)")
        let stateBefore = try FileManager.default.contentsOfDirectory(atPath: t.tempDir + "/state").sorted()

        let install = try t.tailtrace(["install", "--pool", "2"], check: false)
        XCTAssertEqual(install.status, 1)
        XCTAssertEqual(install.stderr.split(separator: "\n").count, 1, install.stderr)
        XCTAssertTrue(install.stderr.contains("installed by another tailtrace version"), install.stderr)
        XCTAssertTrue(install.stderr.contains("uninstall and install again"), install.stderr)
        XCTAssertTrue(install.stderr.contains("keeps the state dir and the archives"), install.stderr)
        XCTAssertTrue(
            try previous("status").stdout.contains("recorders: 2 loaded"), "the old installation is untouched")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: archive).sorted(), archivedBefore)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: t.tempDir + "/state").sorted(), stateBefore)
        // list and dump still read what was recorded, before the old pins are replaced
        try checkOldRecords()
    }

    /// After the replacement: the old records read as before, reconcile
    /// archives the old running record (its ring went with the old pins),
    /// and the new installation leaks nothing.
    func checkReplaced() throws {
        XCTAssertEqual(try t.statusJSON()["loaded"] as? Int, 2)
        try checkOldRecords()
        let reconcile = try t.tailtrace("reconcile").stdout
        XCTAssertTrue(reconcile.contains("running is gone"), reconcile)
        let after = try t.listJSON()
        XCTAssertEqual(after.compactMap { $0["state"] as? String }, ["exited", "exited"], "\(after)")
        try t.checkNothingLeaked(probe: "probe")
    }

    /// `tailtrace node` (the DaemonSet's restart after an upgrade) replaces it.
    func testNodeReplacesThePreviousReleasesInstallation() throws {
        try installAndRecordWithThePreviousRelease()
        // hooks mode: no auto-claim of this host's other containers
        let node = try t.tailtrace(
            "node", "--once", "--pool", "2", "--runtime", "cri-o", "--host-root", t.tempDir + "/host",
            "--hook-path", "/opt/tailtrace-test/libexec")
        XCTAssertTrue(node.stdout.contains("installed by another tailtrace version; replacing it"), node.stdout)
        XCTAssertTrue(node.stdout.contains("installed at \(t.pinRoot)"), node.stdout)
        try checkReplaced()
    }

    /// What `install`'s refusal says to do: uninstall, install again.
    func testUninstallAndInstallAgainAsTheRefusalSays() throws {
        try installAndRecordWithThePreviousRelease()
        let uninstall = try t.tailtrace("uninstall")
        XCTAssertTrue(uninstall.stdout.contains("uninstalled \(t.pinRoot)"), uninstall.stdout)
        try checkOldRecords()
        try t.install("--pool", "2")
        try checkReplaced()
    }
}
