import Foundation
import XCTest

@testable import TestSupport

/// A test case with an installation of its own (`t`), skipped without root.
class InstallationTestCase: XCTestCase {
    var t: TestInstallation!

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "loading BPF needs root")
        t = try TestInstallation()
    }

    override func tearDown() {
        t?.tearDown()
    }
}

/// A tailtrace installation of a test's own: a random pin root under bpffs,
/// state and archive dirs under a temp dir, and cgroups of its own under the
/// cgroup2 mount. `tearDown` removes all of it, also after a failure, and
/// never touches another installation's pins.
final class TestInstallation {
    let tag: String
    let pinRoot: String
    let tempDir: String
    let cgroup2: String
    private(set) var cgroups: [String] = []
    private(set) var installed = false

    init() throws {
        tag = "tailtrace-test-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        try TestSystem.ensureMounts()
        pinRoot = "/sys/fs/bpf/\(tag)"
        tempDir = NSTemporaryDirectory() + tag
        try FileManager.default.createDirectory(atPath: tempDir, withIntermediateDirectories: true)
        cgroup2 = try TestSystem.cgroup2Mount()
    }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["TAILTRACE_PIN_ROOT"] = pinRoot
        env["TAILTRACE_STATE_DIR"] = tempDir + "/state"
        env["TAILTRACE_ARCHIVE_DIR"] = tempDir + "/archive"
        return env
    }

    /// Runs the tailtrace CLI with this installation's environment.
    @discardableResult
    func tailtrace(_ args: String..., check: Bool = true) throws -> CommandResult {
        try tailtrace(args, check: check)
    }

    @discardableResult
    func tailtrace(_ args: [String], check: Bool = true) throws -> CommandResult {
        let result = try TestSystem.run(TestSystem.product("tailtrace"), args, environment: environment)
        if check && result.status != 0 {
            XCTFail("tailtrace \(args.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result
    }

    func install(_ extra: String...) throws {
        try install(extra)
    }

    func install(_ extra: [String]) throws {
        try tailtrace(["install"] + extra)
        installed = true
    }

    /// Something other than `install` (e.g. `tailtrace node`) installed here:
    /// tearDown uninstalls it.
    func markInstalled() { installed = true }

    /// Makes a cgroup of this test under the cgroup2 mount; returns its path
    /// relative to the mount.
    func makeCgroup(_ name: String) throws -> String {
        let relative = "\(tag)-\(name)"
        let dir = cgroup2 + "/" + relative
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        cgroups.append(dir)
        return relative
    }

    /// Runs `command` inside cgroup `relative` (moved in before exec) and
    /// waits for it.
    @discardableResult
    func run(inCgroup relative: String, _ command: [String]) throws -> CommandResult {
        let procs = cgroup2 + "/" + relative + "/cgroup.procs"
        let script = "echo $$ > '\(procs)' && exec \"$@\""
        return try TestSystem.run("/bin/sh", ["-c", script, "sh"] + command, environment: environment)
    }

    func tearDown() {
        if installed || FileManager.default.fileExists(atPath: pinRoot) {
            _ = try? TestSystem.run(TestSystem.product("tailtrace"), ["uninstall"], environment: environment)
            // If uninstall itself failed, remove the pins directly: they are ours.
            if FileManager.default.fileExists(atPath: pinRoot) { TestSystem.removeTree(pinRoot) }
        }
        for dir in cgroups.reversed() {
            TestSystem.killProcesses(inCgroup: dir)
            rmdir(dir)
        }
        try? FileManager.default.removeItem(atPath: tempDir)
    }

    /// `status --output json`, parsed.
    func statusJSON() throws -> [String: Any] {
        let out = try tailtrace("status", "--output", "json").stdout
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    }

    /// `list --output json`, parsed.
    func listJSON() throws -> [[String: Any]] {
        let out = try tailtrace("list", "--output", "json").stdout
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
    }

    /// `dump --output json` as parsed objects.
    func dumpJSON(_ name: String, extra: [String] = []) throws -> [[String: Any]] {
        let out = try tailtrace(["dump", name, "--output", "json"] + extra).stdout
        return try out.split(separator: "\n").map { line in
            guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(line)")
            }
            return obj
        }
    }
}
