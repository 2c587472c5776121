import Foundation
import XCTest

@testable import TestSupport

/// The hook executables driven by hand, as a runtime would, with real
/// processes in real cgroups.
final class HookLifecycleTests: InstallationTestCase {
    /// A runtime killed before it ran poststop leaves a claimed slot and a
    /// running record behind; reconcile finds the cgroup gone, archives the
    /// trace and returns the slot.
    func testReconcileReclaimsWhatAMissingPoststopLeft() throws {
        try t.install("--pool", "2")
        let orphan = try t.startContainer("orphan")
        let id = orphan.id
        let pre = try t.hook(.prestart, orphan)
        XCTAssertEqual(pre.status, 0, pre.stderr)
        XCTAssertEqual(pre.stderr, "", "prestart logged a problem")
        XCTAssertEqual(try t.statusJSON()["claimed"] as? Int, 1)

        // The runtime dies: no poststop; the container's process and cgroup go.
        kill(orphan.pid, SIGKILL)
        orphan.process.waitUntilExit()
        try t.removeCgroup(orphan.cgroup)

        let out = try t.tailtrace("reconcile").stdout
        XCTAssertTrue(out.contains("\(String(id.prefix(12))) is gone") || out.contains("\(id) is gone"), out)
        XCTAssertEqual(try t.statusJSON()["claimed"] as? Int, 0)
        let events = try t.dumpJSON(id)
        // sh was blocked opening its fifo when it was plugged in: its trace
        // is that call's return, cut short by SIGKILL.
        XCTAssertTrue(
            events.contains { $0["pid"] as? Int == Int(orphan.pid) },
            "the archived trace lacks the process: \(events)")

        // poststop arriving late (or twice) is a no-op.
        let post = try t.hook(.poststop, orphan)
        XCTAssertEqual(post.status, 0, post.stderr)
        XCTAssertEqual(try t.statusJSON()["claimed"] as? Int, 0)
    }

    /// Fail open on bad input: malformed state, a path in the id, a pid that
    /// already exited. Exit 0, one log line, nothing claimed or written.
    func testBadStateFailsOpen() throws {
        try t.install("--pool", "1")
        let inputs: [Data] = [
            Data("{not json".utf8),
            Data(#"{"ociVersion":"1.0.2","id":"../../etc","status":"creating","pid":1,"bundle":"/tmp","annotations":{"io.tailtrace.trace":"true"}}"#.utf8),
            Data(#"{"ociVersion":"1.0.2","id":"gone","status":"creating","pid":999999999,"bundle":"/tmp","annotations":{"io.tailtrace.trace":"true"}}"#.utf8),
            Data(repeating: UInt8(ascii: "["), count: 2 << 20),
        ]
        for input in inputs {
            let r = try TestSystem.run(TestSystem.product("ocihook-prestart"), [], environment: t.environment, stdin: input)
            XCTAssertEqual(r.status, 0, "a hook must never stop a container: \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        XCTAssertEqual(try t.statusJSON()["claimed"] as? Int, 0)
        let state = try FileManager.default.contentsOfDirectory(atPath: t.tempDir + "/state")
        XCTAssertEqual(state.filter { $0.hasSuffix(".json") }, [])
        let log = try String(contentsOfFile: t.tempDir + "/state/hooks.log", encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").count, inputs.count)
    }
}
