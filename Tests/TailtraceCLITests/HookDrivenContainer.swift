import Foundation
import Shared
import XCTest

@testable import TestSupport

/// A container as a runtime would show it to the hooks, driven by hand: a
/// cgroup of the test's own, an init process in it, a bundle whose
/// `config.json` opts in, and the OCI state on the hooks' stdin. The init
/// waits on a fifo (blocked in its open, no syscalls meanwhile) and, once
/// `stop` writes a line to it, exits with `exitCode`. Its id is random, as
/// a runtime's; its cgroup is named after what the test calls it.
final class HookDrivenContainer {
    let id: String
    let cgroup: String
    let process: Process
    let fifo: String
    let bundle: String
    let exitCode: Int32
    /// Its key: a cgroup v2 id is the inode number of the cgroup's directory.
    let cgroupID: UInt64
    var pid: Int32 { process.processIdentifier }

    init(
        id: String, cgroup: String, cgroupID: UInt64, process: Process, fifo: String, bundle: String, exitCode: Int32
    ) {
        self.id = id
        self.cgroup = cgroup
        self.cgroupID = cgroupID
        self.process = process
        self.fifo = fifo
        self.bundle = bundle
        self.exitCode = exitCode
    }

    /// `{"status":"creating","pid":…}` for prestart, `"stopped"` without a pid for poststop.
    func state(_ stage: OCIHook) -> Data {
        var state: [String: Any] = [
            "ociVersion": "1.0.2", "id": id, "bundle": bundle, "annotations": ["io.tailtrace.trace": "true"],
        ]
        switch stage {
        case .prestart:
            state["status"] = "creating"
            state["pid"] = Int(pid)
        case .poststop:
            state["status"] = "stopped"
        }
        return try! JSONSerialization.data(withJSONObject: state)
    }

    enum OCIHook: String {
        case prestart = "ocihook-prestart"
        case poststop = "ocihook-poststop"
    }
}

extension TestInstallation {
    /// Starts the init of container `name` in a new cgroup of this test.
    func startContainer(_ name: String, exitCode: Int32 = 0) throws -> HookDrivenContainer {
        let cgroup = try makeCgroup(name)
        let dir = tempDir + "/containers/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try #"{"ociVersion":"1.0.2","annotations":{"io.tailtrace.trace":"true"}}"#.write(
            toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        let fifo = dir + "/go"
        guard mkfifo(fifo, 0o600) == 0 else { throw TestFailure("mkfifo \(fifo): errno \(errno)") }
        var info = stat()
        guard stat(cgroup2 + "/" + cgroup, &info) == 0 else { throw TestFailure("stat \(cgroup): errno \(errno)") }
        let procs = cgroup2 + "/" + cgroup + "/cgroup.procs"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "echo $$ > '\(procs)' && read line < '\(fifo)'; exit \(exitCode)"]
        try p.run()
        let container = HookDrivenContainer(
            id: Self.randomContainerID(), cgroup: cgroup, cgroupID: UInt64(info.st_ino), process: p, fifo: fifo,
            bundle: dir, exitCode: exitCode)
        try waitForProcess(p.processIdentifier, inCgroup: cgroup)
        return container
    }

    /// 64 hex digits, as runc and podman make them: the name (its first
    /// 12) tells test containers apart.
    static func randomContainerID() -> String {
        (0..<4).map { _ in
            let hex = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// Waits until `pid` is listed in the cgroup's `cgroup.procs`.
    func waitForProcess(_ pid: Int32, inCgroup cgroup: String) throws {
        let procs = cgroup2 + "/" + cgroup + "/cgroup.procs"
        for _ in 0..<100 {
            if let text = try? String(contentsOfFile: procs, encoding: .utf8),
                text.split(separator: "\n").contains(Substring(String(pid)))
            {
                return
            }
            usleep(20_000)
        }
        throw TestFailure("process \(pid) did not enter \(cgroup)")
    }

    /// Runs a hook for `container` as the runtime would; with `fault`, the
    /// hook kills itself at that step (`TAILTRACE_TEST_FAULT`).
    @discardableResult
    func hook(
        _ stage: HookDrivenContainer.OCIHook, _ container: HookDrivenContainer, fault: HookFault? = nil
    ) throws -> CommandResult {
        var env = environment
        if let fault { env[HookFault.variable] = fault.rawValue }
        return try TestSystem.run(
            TestSystem.product(stage.rawValue), [], environment: env, stdin: container.state(stage))
    }

    /// Lets the init exit, waits for it, and removes its cgroup (as a
    /// runtime does before poststop).
    func stop(_ container: HookDrivenContainer) throws {
        let fd = open(container.fifo, O_WRONLY | O_NONBLOCK)  // ENXIO: the init is gone already
        if fd >= 0 {
            _ = write(fd, "\n", 1)
            close(fd)
        }
        container.process.waitUntilExit()
        try removeCgroup(container.cgroup)
    }

    func removeCgroup(_ relative: String) throws {
        let dir = cgroup2 + "/" + relative
        // The last task leaves its cgroup a moment after its parent reaped it.
        for _ in 0..<100 {
            if rmdir(dir) == 0 || errno == ENOENT { return }
            usleep(10_000)
        }
        throw TestFailure("rmdir \(dir): errno \(errno)")
    }
}

/// What every fault test ends with, measured.
extension TestInstallation {
    /// `list`'s records of container `id`: its running record, its archives.
    func records(of id: String) throws -> [[String: Any]] {
        try listJSON().filter { $0["id"] as? String == id }
    }

    /// The pids a container's trace holds (syscalls, signals, exits).
    func tracePIDs(_ name: String) throws -> Set<Int> {
        Set(try dumpJSON(name).compactMap { $0["pid"] as? Int })
    }

    /// No record running or untraced, none left in the state dir (nor a
    /// temp file), nothing claimed or pending, and every loaded slot truly
    /// free: a leaked slot is neither claimed nor in the free queue, and
    /// `status` still counts it free, so the check claims them all with
    /// `probe` containers and sees that no module had to be loaded and no
    /// slot was handed out twice. The probes are stopped and archived again.
    func checkNothingLeaked(probe: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let notStopped = try listJSON().filter { $0["state"] as? String != "exited" }
        XCTAssertEqual(notStopped.map { "\($0["name"] ?? "?"): \($0["state"] ?? "?")" }, [], file: file, line: line)
        let left = try FileManager.default.contentsOfDirectory(atPath: tempDir + "/state")
        XCTAssertEqual(left.filter { $0.hasSuffix(".json") || $0.hasSuffix(".tmp") }, [], file: file, line: line)
        let status = try statusJSON()
        XCTAssertEqual(status["claimed"] as? Int, 0, "\(status)", file: file, line: line)
        XCTAssertEqual(status["archive_pending"] as? Int, 0, "\(status)", file: file, line: line)
        let loaded = try XCTUnwrap(status["loaded"] as? Int, file: file, line: line)
        XCTAssertEqual(status["free"] as? Int, loaded, "\(status)", file: file, line: line)

        var probes: [HookDrivenContainer] = []
        for i in 0..<loaded {
            let p = try startContainer("\(probe)-\(i)")
            probes.append(p)
            let r = try hook(.prestart, p)
            XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        }
        let claimedSlots = try listJSON().filter { $0["state"] as? String == "running" }.compactMap {
            $0["slot"] as? Int
        }
        XCTAssertEqual(claimedSlots.count, loaded, "every probe running in a slot", file: file, line: line)
        XCTAssertEqual(Set(claimedSlots).count, loaded, "a slot given twice: \(claimedSlots)", file: file, line: line)
        let full = try statusJSON()
        XCTAssertEqual(full["loaded"] as? Int, loaded, "a slot was leaked: a module was loaded", file: file, line: line)
        XCTAssertEqual(full["claimed"] as? Int, loaded, file: file, line: line)
        for p in probes {
            try stop(p)
            XCTAssertEqual(try hook(.poststop, p).status, 0, file: file, line: line)
        }
        let after = try statusJSON()
        XCTAssertEqual(after["claimed"] as? Int, 0, file: file, line: line)
        XCTAssertEqual(after["free"] as? Int, loaded, file: file, line: line)
    }
}
