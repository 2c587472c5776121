import Foundation
import XCTest

@testable import TestSupport

/// `tailtrace node` and `tailtrace reconcile` run in tailtrace-kube, which
/// tailtrace takes from its own directory (never from PATH) and hands the
/// whole command line to.
final class KubernetesHandOverTests: XCTestCase {
    /// Their help is tailtrace-kube's, with the options only the real
    /// commands declare, under tailtrace's name.
    func testHelpOfTheHandedOverCommandsIsTheirs() throws {
        let tailtrace = TestSystem.product("tailtrace")
        for (args, command, option) in [
            (["node", "--help"], "node", "--host-root"), (["help", "node"], "node", "--host-root"),
            (["reconcile", "--help"], "reconcile", "--kubeconfig"),
        ] {
            let r = try TestSystem.run(tailtrace, args)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("USAGE: tailtrace \(command)"), "\(args): \(r.stdout)")
            XCTAssertTrue(r.stdout.contains(option), "\(args): no \(option) in \(r.stdout)")
        }
        // tailtrace's own definitions of them carry the same options, for
        // its completion scripts and manual
        let completion = try TestSystem.run(tailtrace, ["--generate-completion-script", "bash"])
        XCTAssertEqual(completion.status, 0, completion.stderr)
        for option in ["--host-root", "--hooks-dir", "--kubeconfig", "--watch"] {
            XCTAssertTrue(completion.stdout.contains(option), "no \(option) in tailtrace's completion script")
        }
        // and a command of tailtrace's own is not handed over
        let own = try TestSystem.run(tailtrace, ["attach", "--help"])
        XCTAssertTrue(own.stdout.contains("USAGE: tailtrace attach"), own.stdout)
    }

    /// A tailtrace without tailtrace-kube beside it says where it looked, and
    /// does not run one found on PATH.
    func testMissingTailtraceKubeIsNamedAndNotTakenFromPath() throws {
        let dir = NSTemporaryDirectory() + "tailtrace-test-handover-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/path", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lonely = dir + "/tailtrace"
        try FileManager.default.copyItem(atPath: TestSystem.product("tailtrace"), toPath: lonely)
        let impostor = dir + "/path/tailtrace-kube"
        try "#!/bin/sh\necho impostor\n".write(toFile: impostor, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: impostor)

        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = dir + "/path:" + (environment["PATH"] ?? "/usr/bin:/bin")
        let r = try TestSystem.run(lonely, ["reconcile"], environment: environment)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertFalse(r.stdout.contains("impostor"), r.stdout)
        XCTAssertTrue(r.stderr.contains("reconcile runs in tailtrace-kube"), r.stderr)
        XCTAssertTrue(r.stderr.contains(dir + "/tailtrace-kube: No such file or directory"), r.stderr)
    }
}
