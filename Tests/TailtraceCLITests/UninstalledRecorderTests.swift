import Foundation
import XCTest

@testable import TestSupport

/// What was recorded stays readable once the installation is gone: `list`
/// and `dump` read the archive (on disk) without the pins (bpffs is memory
/// only, emptied by `uninstall` or a reboot). Commands that change or follow
/// what is traced still need an installation, and say so in one line.
final class UninstalledRecorderTests: InstallationTestCase {

    /// install, attach, workload, detach (archives), uninstall: the archive
    /// is dumped and listed from the archive dir alone, at the uninstalled
    /// pin root and at one never created (no bpffs under it at all).
    func testArchiveIsReadAfterUninstall() throws {
        let workload = try TestSystem.workload()
        try t.install("--pool", "1")
        let cg = try t.makeCgroup("gone")
        try t.tailtrace("attach", "--cgroup", cg, "--name", "gone")
        XCTAssertEqual(try t.run(inCgroup: cg, [workload, "gone"]).status, 3)
        try t.tailtrace("detach", "gone")
        try t.tailtrace("uninstall")
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.pinRoot))

        let neverCreated = t.tempDir + "/no-bpffs/pins"
        for pinRoot in [t.pinRoot, neverCreated] {
            let at = ["--pin-root", pinRoot]
            let events = try t.dumpJSON("gone", extra: at)
            let start = try XCTUnwrap(
                events.firstIndex {
                    ($0["args"] as? [String: Any])?["filename"] as? String == "/nonexistent-gone/file"
                },
                "pin root \(pinRoot): \(events.count) events, no failing openat")
            let tail = Array(events[start...])
            XCTAssertEqual(tail.compactMap { $0["syscall"] as? String }, RecorderTests.workloadCalls)
            XCTAssertEqual(tail[0]["ret"] as? Int, -2)
            XCTAssertEqual(tail[0]["errno"] as? String, "ENOENT")
            XCTAssertEqual((tail[2]["args"] as? [String: Any])?["buf"] as? String, "hello from gone\n")

            let text = try t.tailtrace(["dump", "gone", "--tail", "1"] + at).stdout
            // the last call, and the process exit that followed it
            let lines = text.split(separator: "\n")
            XCTAssertEqual(lines.count, 2, text)
            XCTAssertTrue(lines.first?.hasSuffix("[workload] exit_group(error_code=3) = ?") == true, text)
            XCTAssertTrue(lines.last?.hasSuffix("[workload] +++ exited with 3 +++") == true, text)
            // exported as one file, it reads with no archive dir at all
            let file = t.tempDir + "/gone.tailtrace"
            try t.tailtrace(["export", "gone", "--to", file] + at)
            let archive = try XCTUnwrap(t.environment["TAILTRACE_ARCHIVE_DIR"])
            try FileManager.default.moveItem(atPath: archive, toPath: archive + ".moved")
            let fromFile = try t.tailtrace(["dump", "--file", file, "--tail", "1"] + at).stdout
            XCTAssertEqual(fromFile, text, "the same lines from the exported file")
            try FileManager.default.moveItem(atPath: archive + ".moved", toPath: archive)
            let selected = try t.tailtrace(["dump", "--container", "gone", "--output", "json"] + at).stdout
            XCTAssertTrue(selected.contains(#""errno":"ENOENT""#), selected)

            let list = try t.tailtrace(["list", "--output", "json"] + at).stdout
            let records = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]])
            XCTAssertEqual(records.map { $0["name"] as? String }, ["gone"], list)
            XCTAssertEqual(records.first?["state"] as? String, "exited")
            XCTAssertTrue(try t.tailtrace(["list"] + at).stdout.contains("exited"))

            try checkNeedsInstallation(at)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.tempDir + "/no-bpffs"), "reading made the pin root")
    }

    /// Pins removed under a running trace (what a reboot does to bpffs): the
    /// stopped container still dumps, the running one is listed untraced and
    /// its dump says the trace is lost.
    func testRunningTraceOfVanishedInstallationIsUntraced() throws {
        let workload = try TestSystem.workload()
        try t.install("--pool", "2")
        let stopped = try t.makeCgroup("stopped")
        let left = try t.makeCgroup("left")
        try t.tailtrace("attach", "--cgroup", stopped, "--name", "stopped")
        try t.tailtrace("attach", "--cgroup", left, "--name", "left")
        try t.run(inCgroup: stopped, [workload, "stopped"])
        try t.run(inCgroup: left, [workload, "left"])
        try t.tailtrace("detach", "stopped")
        TestSystem.removeTree(t.pinRoot)

        let list = try t.tailtrace("list", "--output", "json").stdout
        let records = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]])
        let states = Dictionary(uniqueKeysWithValues: records.map { ($0["name"] as! String, $0["state"] as! String) })
        XCTAssertEqual(states, ["stopped": "exited", "left": "untraced"], list)
        XCTAssertTrue(
            try t.tailtrace("dump", "stopped", "--output", "json").stdout.contains("/nonexistent-stopped/file"))

        let dump = try t.tailtrace(["dump", "left"], check: false)
        XCTAssertEqual(dump.status, 1)
        XCTAssertEqual(dump.stdout, "")
        XCTAssertEqual(dump.stderr.split(separator: "\n").count, 1, dump.stderr)
        XCTAssertTrue(dump.stderr.contains("left is not traced any more and its trace is lost"), dump.stderr)
        try checkNeedsInstallation([])
    }

    /// status, attach, detach and follow: one line naming the missing
    /// installation, exit 1.
    func checkNeedsInstallation(_ extra: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let cg = t.cgroups.first.map { String($0.dropFirst(t.cgroup2.count)) } ?? "/"
        for args in [
            ["status"], ["attach", "--cgroup", cg, "--name", "again"], ["detach", "gone"], ["follow", "gone"],
        ] {
            let r = try t.tailtrace(args + extra, check: false)
            XCTAssertEqual(r.status, 1, "\(args)", file: file, line: line)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)", file: file, line: line)
            XCTAssertTrue(r.stderr.contains("not installed there"), "\(args): \(r.stderr)", file: file, line: line)
        }
    }
}
