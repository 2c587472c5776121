import Foundation
import XCTest

@testable import TestSupport

/// The hook executables driven by hand, as a runtime would, with real
/// processes in real cgroups.
final class HookLifecycleTests: XCTestCase {
    var t: TestInstallation!
    var sleepers: [Process] = []

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "the hooks load BPF state")
        t = try TestInstallation()
    }

    override func tearDown() {
        for p in sleepers where p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        t?.tearDown()
    }

    /// A process waiting in cgroup `relative`, standing in for a container's init.
    func startSleeper(inCgroup relative: String) throws -> Process {
        let procs = t.cgroup2 + "/" + relative + "/cgroup.procs"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "echo $$ > '\(procs)' && exec sleep 60"]
        try p.run()
        sleepers.append(p)
        for _ in 0..<50 {
            if let text = try? String(contentsOfFile: procs, encoding: .utf8),
                text.split(separator: "\n").contains(Substring(String(p.processIdentifier)))
            {
                return p
            }
            usleep(20_000)
        }
        throw TestFailure("the sleeper did not enter its cgroup")
    }

    func hook(_ name: String, state: [String: Any]) throws -> CommandResult {
        try TestSystem.run(
            TestSystem.product(name), [], environment: t.environment,
            stdin: try JSONSerialization.data(withJSONObject: state))
    }

    func status() throws -> [String: Any] {
        let out = try t.tailtrace("status", "--output", "json").stdout
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    }

    /// A runtime killed before it ran poststop leaves a claimed slot and a
    /// running record behind; reconcile finds the cgroup gone, archives the
    /// trace and returns the slot.
    func testReconcileReclaimsWhatAMissingPoststopLeft() throws {
        try t.install("--pool", "2")
        let cg = try t.makeCgroup("ctr")
        let sleeper = try startSleeper(inCgroup: cg)
        let bundle = t.tempDir + "/bundle"
        try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
        try #"{"ociVersion":"1.0.2","annotations":{"io.tailtrace.trace":"true"}}"#.write(
            toFile: bundle + "/config.json", atomically: true, encoding: .utf8)
        let id = "\(t.tag)-orphan"
        let pre = try hook(
            "ocihook-prestart",
            state: [
                "ociVersion": "1.0.2", "id": id, "status": "creating", "pid": Int(sleeper.processIdentifier),
                "bundle": bundle, "annotations": ["io.tailtrace.trace": "true"],
            ])
        XCTAssertEqual(pre.status, 0, pre.stderr)
        XCTAssertEqual(pre.stderr, "", "prestart logged a problem")
        XCTAssertEqual(try status()["claimed"] as? Int, 1)

        // The runtime dies: no poststop; the container's process and cgroup go.
        kill(sleeper.processIdentifier, SIGKILL)
        sleeper.waitUntilExit()
        XCTAssertEqual(rmdir(t.cgroup2 + "/" + cg), 0)

        let out = try t.tailtrace("reconcile").stdout
        XCTAssertTrue(out.contains("\(String(id.prefix(12))) is gone") || out.contains("\(id) is gone"), out)
        XCTAssertEqual(try status()["claimed"] as? Int, 0)
        let events = try t.dumpJSON(id)
        // sleep was blocked in clock_nanosleep when it was plugged in: its
        // trace is that call's return, cut short by SIGKILL.
        XCTAssertTrue(
            events.contains { $0["pid"] as? Int == Int(sleeper.processIdentifier) },
            "the archived trace lacks the process: \(events)")

        // poststop arriving late (or twice) is a no-op.
        let post = try hook(
            "ocihook-poststop", state: ["ociVersion": "1.0.2", "id": id, "status": "stopped", "bundle": bundle])
        XCTAssertEqual(post.status, 0, post.stderr)
        XCTAssertEqual(try status()["claimed"] as? Int, 0)
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
        XCTAssertEqual(try status()["claimed"] as? Int, 0)
        let state = try FileManager.default.contentsOfDirectory(atPath: t.tempDir + "/state")
        XCTAssertEqual(state.filter { $0.hasSuffix(".json") }, [])
        let log = try String(contentsOfFile: t.tempDir + "/state/hooks.log", encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").count, inputs.count)
    }
}
