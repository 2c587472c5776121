import Foundation
import XCTest

@testable import TestSupport

/// deploy/kubernetes, rendered by the real kubectl's kustomize and checked
/// offline against the Kubernetes 1.32 schemas (kubernetes-validate, which
/// scripts/deps installs into /var/cache/tailtrace-venv).
final class ManifestTests: XCTestCase {
    static let validator = "/var/cache/tailtrace-venv/bin/kubernetes-validate"
    static var deploy: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/kubernetes").path
    }

    func rendered() throws -> String {
        let r = try TestSystem.run("/usr/bin/kubectl", ["kustomize", Self.deploy])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    func testManifestsPassSchemaValidation() throws {
        let file = NSTemporaryDirectory() + "tailtrace-manifests-\(getpid()).yaml"
        try rendered().write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try TestSystem.run(Self.validator, ["-k", "1.32.0", "--strict", file])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let passed = r.stdout.split(separator: "\n").filter { $0.contains(" passed for resource ") }
        XCTAssertEqual(passed.count, 7, "namespace, service account, 3 RBAC roles, binding, DaemonSet: \(r.stdout)")
    }

    /// What the DaemonSet must have for `tailtrace node`, and no more power
    /// for the node than reading pods.
    func testDaemonSetHasWhatTheNodeNeedsAndTheLeastRBAC() throws {
        let text = try rendered()
        for needed in [
            "hostPID: true", "fieldPath: spec.nodeName", "- /usr/local/bin/tailtrace\n            - status",
            "mountPath: /sys/fs/bpf", "mountPropagation: HostToContainer", "operator: Exists", "type: Unconfined",
            "- BPF", "- PERFMON",
        ] {
            XCTAssertTrue(text.contains(needed), "the DaemonSet lacks \(needed)")
        }
        XCTAssertFalse(text.contains("privileged: true"))
        // the node's ClusterRole: the first rules block of the rendering
        let nodeRole = try XCTUnwrap(text.components(separatedBy: "---").first { $0.contains("name: tailtrace-node\n") && $0.contains("kind: ClusterRole\n") })
        XCTAssertTrue(nodeRole.contains("- pods\n"), nodeRole)
        for forbidden in ["pods/exec", "secrets", "create", "delete", "patch", "update"] {
            XCTAssertFalse(nodeRole.contains(forbidden), "the node role grants \(forbidden)")
        }
    }

    /// deploy/systemd/tailtrace.service passes systemd's own checks with
    /// the built binary in its ExecStart.
    func testSystemdUnitVerifies() throws {
        let unit = URL(fileURLWithPath: Self.deploy).deletingLastPathComponent()
            .appendingPathComponent("systemd/tailtrace.service").path
        let text = try String(contentsOfFile: unit, encoding: .utf8)
        XCTAssertTrue(text.contains("ExecStart=/usr/local/bin/tailtrace install"), text)
        let dir = NSTemporaryDirectory() + "tailtrace-unit-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try text.replacingOccurrences(of: "/usr/local/bin/tailtrace", with: TestSystem.product("tailtrace"))
            .write(toFile: dir + "/tailtrace.service", atomically: true, encoding: .utf8)
        let r = try TestSystem.run("/usr/bin/systemd-analyze", ["verify", dir + "/tailtrace.service"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines), "", "no warnings")
    }
}
