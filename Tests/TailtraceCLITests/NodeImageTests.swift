import Foundation
import XCTest

@testable import TestSupport

/// The node image (scripts/image) run the way the DaemonSet runs it: a
/// privileged podman container with the host's bpffs, tracefs, cgroups, the
/// state and archive dirs at their host paths and the hook directories under
/// /host. It installs into the host's bpffs and hooks.d, an annotated
/// container started afterwards is traced, and a restart of the node
/// container keeps that trace.
final class NodeImageTests: XCTestCase {
    var t: TestInstallation!
    var image: String { "localhost/\(t.tag):test" }
    var cleanup: [[String]] = []

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "the node image loads BPF and podman runs as root")
        t = try TestInstallation()
    }

    override func tearDown() {
        for args in cleanup.reversed() { _ = try? TestSystem.run("/usr/bin/podman", args) }
        t?.tearDown()
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/image").path
    }

    func runNode(hooks: String, libexec: String) throws -> CommandResult {
        let env = t.environment
        var args = [
            "run", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
            "--privileged", "--pid", "host", "--network", "none",
        ]
        for path in ["/sys/fs/bpf", "/sys/kernel/tracing", "/sys/fs/cgroup"] { args += ["-v", "\(path):\(path):rslave"] }
        for path in [t.tempDir + "/state", t.tempDir + "/archive"] { args += ["-v", "\(path):\(path)"] }
        args += ["-v", "\(hooks):/host\(hooks)", "-v", "\(libexec):/host\(libexec)"]
        for key in ["TAILTRACE_PIN_ROOT", "TAILTRACE_STATE_DIR", "TAILTRACE_ARCHIVE_DIR"] {
            args += ["-e", "\(key)=\(env[key]!)"]
        }
        args += [
            image, "node", "--once", "--pool", "2", "--host-root", "/host", "--runtime", "podman", "--hooks-dir", hooks,
            "--hook-path", libexec,
        ]
        let r = try TestSystem.run("/usr/bin/podman", args)
        t.markInstalled()
        return r
    }

    func testImageInstallsOnTheHostAndKeepsTracesAcrossRestarts() throws {
        let hooks = t.tempDir + "/hooks.d"
        let libexec = t.tempDir + "/libexec"
        for dir in [hooks, libexec, t.tempDir + "/state", t.tempDir + "/archive"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        let built = try TestSystem.run(
            Self.script, ["--bin", TestSystem.productsDirectory.path, "--tag", image, "--output", t.tempDir + "/image.tar"])
        XCTAssertEqual(built.status, 0, built.stderr)
        cleanup.append(["rmi", "-f", image])
        print("node image: \(built.stdout)")

        let first = try runNode(hooks: hooks, libexec: libexec)
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        XCTAssertTrue(first.stdout.contains("installed at \(t.pinRoot)"), first.stdout)
        let prestart = try String(contentsOfFile: hooks + "/tailtrace-prestart.json", encoding: .utf8)
        XCTAssertTrue(
            prestart.contains("\"path\" : \"\(libexec)/ocihook-prestart\""),
            "the host runs the static hook itself, no loader: \(prestart)")

        let rootfs = t.tempDir + "/rootfs"
        try TestSystem.makeBusyboxRootfs(at: rootfs)
        let name = "\(t.tag)-img"
        cleanup.append(["rm", "-f", "--time", "0", name])
        let run = try TestSystem.run(
            "/usr/bin/podman",
            [
                "run", "--rm", "--runtime", "runc", "--hooks-dir", hooks, "--ulimit", "nofile=1024:1024", "--ulimit",
                "nproc=1024:1024", "--network", "none", "--name", name, "--annotation", "io.tailtrace.trace=true",
                "--rootfs", rootfs, "/bin/sh", "-c", "cat /etc/image-\(t.tag); exit 3",
            ])
        XCTAssertEqual(run.status, 3, run.stderr)
        XCTAssertTrue(try t.tailtrace("dump", name).stdout.contains("/etc/image-\(t.tag)"), "traced through the image's hooks")

        let second = try runNode(hooks: hooks, libexec: libexec)
        XCTAssertEqual(second.status, 0, second.stdout + second.stderr)
        XCTAssertTrue(second.stdout.contains("kept the installation at \(t.pinRoot)"), second.stdout)
        XCTAssertTrue(try t.tailtrace("dump", name).stdout.contains("/etc/image-\(t.tag)"), "the trace survives the restart")
    }
}
