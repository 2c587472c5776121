import Foundation
import XCTest

@testable import TestSupport

/// `tailtrace node`, the DaemonSet pod's entry point, on this machine as a
/// node: its own pin root, state and archive dirs, hooks.d and host root.
final class NodeTests: XCTestCase {
    var t: TestInstallation!
    var containers: [String] = []

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "tailtrace node loads BPF")
        t = try TestInstallation()
    }

    override func tearDown() {
        for name in containers { _ = try? TestSystem.run("/usr/bin/podman", ["rm", "-f", "--time", "0", name]) }
        t?.tearDown()
    }

    func node(_ args: [String]) throws -> CommandResult {
        let r = try t.tailtrace(["node", "--once", "--pool", "2"] + args)
        t.markInstalled()
        return r
    }

    /// On a podman node: installs, writes the hooks, says why; a container
    /// started afterwards is traced; a second start keeps the installation
    /// and the trace of the container that ran before it.
    func testPodmanNodeInstallsHooksAndKeepsTracesAcrossRestarts() throws {
        let hooks = t.tempDir + "/hooks.d"
        let args = ["--runtime", "podman", "--hooks-dir", hooks, "--hook-path", TestSystem.productsDirectory.path]
        let first = try node(args)
        XCTAssertTrue(first.stdout.contains("tailtrace node: runtime podman: --runtime podman; it runs OCI hooks"), first.stdout)
        XCTAssertTrue(first.stdout.contains("installed at \(t.pinRoot)"), first.stdout)
        XCTAssertTrue(first.stdout.contains("ready in"), first.stdout)
        let s = try t.statusJSON()
        let mode = try XCTUnwrap(s["node"] as? [String: Any], "status names the node's mode")
        XCTAssertEqual(mode["runtime"] as? String, "podman")
        XCTAssertEqual(mode["pool"] as? Bool, false)

        let rootfs = t.tempDir + "/rootfs"
        try TestSystem.makeBusyboxRootfs(at: rootfs)
        let name = "\(t.tag)-node"
        containers.append(name)
        let run = try TestSystem.run(
            "/usr/bin/podman",
            [
                "run", "--rm", "--runtime", "runc", "--hooks-dir", hooks, "--ulimit", "nofile=1024:1024", "--ulimit",
                "nproc=1024:1024", "--network", "none", "--name", name, "--annotation", "io.tailtrace.trace=true",
                "--rootfs", rootfs, "/bin/sh", "-c", "cat /etc/node-\(t.tag); exit 2",
            ], environment: t.environment)
        XCTAssertEqual(run.status, 2, run.stderr)

        let second = try node(args)
        XCTAssertTrue(second.stdout.contains("kept the installation at \(t.pinRoot)"), second.stdout)
        XCTAssertFalse(second.stdout.contains("installed at"), second.stdout)
        let dump = try t.tailtrace("dump", name).stdout
        XCTAssertTrue(dump.contains("/etc/node-\(t.tag)"), "the trace from before the restart is kept")
    }

    /// Files go below --host-root; the paths written into them are the host's.
    func testHostRootPrefixesWhereFilesGoNotWhatTheySay() throws {
        let host = t.tempDir + "/host"
        let r = try node(["--runtime", "cri-o", "--host-root", host, "--hook-path", "/opt/tailtrace-test/libexec"])
        XCTAssertTrue(r.stdout.contains("hooks written"), r.stdout)
        for dir in ["/etc/containers/oci/hooks.d", "/usr/share/containers/oci/hooks.d"] {
            let text = try String(contentsOfFile: host + dir + "/tailtrace-prestart.json", encoding: .utf8)
            XCTAssertTrue(text.contains(#""path" : "/opt/tailtrace-test/libexec/ocihook-prestart""#), text)
            XCTAssertFalse(text.contains(host), "no pod path leaks into the host's hooks.d: \(text)")
        }
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: host + "/opt/tailtrace-test/libexec/ocihook-poststop"))
        let gone = try t.tailtrace(
            "uninstall", "--host-root", host, "--hooks-dir", "/etc/containers/oci/hooks.d", "--hooks-dir",
            "/usr/share/containers/oci/hooks.d")
        XCTAssertTrue(gone.stdout.contains("removed /etc/containers/oci/hooks.d/tailtrace-prestart.json"), gone.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: host + "/usr/share/containers/oci/hooks.d/tailtrace-poststop.json"))
    }

    /// A containerd node is put in pool mode; SIGTERM ends the reconcile
    /// loop with status 0 and leaves the recorder installed.
    func testContainerdNodeUsesPoolModeAndSurvivesSIGTERM() throws {
        let host = t.tempDir + "/host"
        try FileManager.default.createDirectory(atPath: host + "/run/containerd", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: host + "/run/containerd/containerd.sock", contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestSystem.product("tailtrace"))
        p.arguments = ["node", "--pool", "2", "--host-root", host, "--interval", "1", "--kubeconfig", t.tempDir + "/no-kubeconfig"]
        p.environment = t.environment
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        t.markInstalled()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while !text.contains("ready in") && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        XCTAssertTrue(text.contains("runtime containerd: found /run/containerd/containerd.sock"), text)
        XCTAssertEqual(try t.statusJSON()["auto_claim"] as? Bool, true, "containerd runs no hooks: pool mode")
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        text += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.contains("SIGTERM: stopping; the recorder stays installed"), text)
        XCTAssertEqual(try t.statusJSON()["pool_size"] as? Int, 2, "still installed after the pod ended")
    }
}
