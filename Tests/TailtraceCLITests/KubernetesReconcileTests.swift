import Foundation
import XCTest

@testable import TestSupport

/// reconcile against a Kubernetes API: the test's own API server
/// (testdata/kube-apiserver.py) on 127.0.0.1 over TLS with a CA the test
/// makes, requiring a bearer token, answering a real-shaped PodList that
/// names the containerd container the dispatcher claimed.
final class KubernetesReconcileTests: ContainerdTestCase {
    func testReconcileFillsPodMetadataAndSelects() throws {
        try t.install("--pool", "2", "--auto-claim")
        let id = "\(t.tag)-web"
        let marker = rootfs + "/tmp/go-\(id)"
        started.append(id)
        let ctr = Process()
        ctr.executableURL = URL(fileURLWithPath: "/usr/bin/ctr")
        ctr.arguments = [
            "--address", socket, "--namespace", namespace, "run", "--rm", "--rootfs", rootfs, id, "/bin/sh", "-c",
            "while [ ! -e /tmp/go-\(id) ]; do sleep 0.1; done",
        ]
        ctr.standardOutput = FileHandle.nullDevice
        ctr.standardError = FileHandle.nullDevice
        try ctr.run()
        defer {
            FileManager.default.createFile(atPath: marker, contents: nil)
            ctr.waitUntilExit()
        }
        var claimed = 0
        for _ in 0..<100 where claimed == 0 {
            usleep(100_000)
            claimed = try t.statusJSON()["claimed"] as? Int ?? 0
        }
        XCTAssertEqual(claimed, 1)

        let pkiDirectory = t.tempDir + "/pki"
        try FileManager.default.createDirectory(atPath: pkiDirectory, withIntermediateDirectories: true)
        let pki = try TestPKI(directory: pkiDirectory)
        let token = "token-\(UInt64.random(in: 0...UInt64.max))"
        let pods = t.tempDir + "/pods.json"
        func pod(_ name: String, ns: String, node: String, container: String, cid: String, labels: [String: String]) -> [String: Any] {
            [
                "metadata": ["name": name, "namespace": ns, "uid": "0b6f4c1e-\(name)", "labels": labels],
                "spec": ["nodeName": node, "containers": [["name": container, "image": "busybox"]]],
                "status": [
                    "phase": "Running",
                    "containerStatuses": [["name": container, "containerID": cid, "ready": true, "restartCount": 0]],
                ],
            ]
        }
        let podList: [String: Any] = [
            "kind": "PodList", "apiVersion": "v1", "metadata": ["resourceVersion": "42"],
            "items": [
                pod("web-0", ns: "shop", node: "test-node", container: "nginx", cid: "containerd://\(id)",
                    labels: ["app": "web", "tier": "front"]),
                pod("db-0", ns: "shop", node: "test-node", container: "postgres", cid: "containerd://\(String(repeating: "a", count: 64))",
                    labels: ["app": "db"]),
                pod("web-1", ns: "shop", node: "other-node", container: "nginx", cid: "containerd://elsewhere",
                    labels: ["app": "web"]),
            ],
        ]
        try JSONSerialization.data(withJSONObject: podList).write(to: URL(fileURLWithPath: pods))
        let port = try TestAPIServer(self, pki: pki, token: token, pods: pods).port
        let kubeconfig = t.tempDir + "/kubeconfig"
        try """
            apiVersion: v1
            kind: Config
            current-context: test
            clusters:
            - name: test
              cluster:
                server: https://127.0.0.1:\(port)
                certificate-authority: \(pki.caCertificate)
            users:
            - name: tester
              user:
                token: \(token)
            contexts:
            - name: test
              context: {cluster: test, user: tester}
            """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)

        // A wrong token: one clear line; the runtime part is still done.
        let badConfig = t.tempDir + "/kubeconfig-bad"
        try String(contentsOfFile: kubeconfig, encoding: .utf8).replacingOccurrences(of: token, with: "wrong")
            .write(toFile: badConfig, atomically: true, encoding: .utf8)
        let bad = try t.tailtrace(["reconcile", "--kubeconfig", badConfig, "--node", "test-node"], check: false)
        XCTAssertEqual(bad.status, 0, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("401") || bad.stderr.lowercased().contains("unauthorized"), bad.stderr)
        XCTAssertTrue(bad.stdout.contains("containerd container \(id)"), bad.stdout)

        let good = try t.tailtrace("reconcile", "--kubeconfig", kubeconfig, "--node", "test-node")
        XCTAssertTrue(good.stdout.contains("pod shop/web-0"), good.stdout)
        XCTAssertEqual(good.stderr, "")

        func select(_ args: String...) throws -> [String] {
            let out = try t.tailtrace(["list", "--output", "json"] + args).stdout
            let records = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
            return records.compactMap { $0["id"] as? String }
        }
        XCTAssertEqual(try select("--namespace", "shop", "--label", "app=web"), [id])
        XCTAssertEqual(try select("--namespace", "shop", "--pod", "web-0", "--container", "nginx"), [id])
        XCTAssertEqual(try select("--namespace", "shop", "--label", "app=db"), [])
        XCTAssertEqual(try select("--namespace", "other"), [])
        let record = try XCTUnwrap(try t.listJSON().first { $0["id"] as? String == id })
        XCTAssertEqual(record["pod"] as? String, "web-0")
        XCTAssertEqual(record["container"] as? String, "nginx")
        XCTAssertEqual((record["labels"] as? [String: String])?["tier"], "front")
        let dump = try t.tailtrace("dump", "--namespace", "shop", "--pod", "web-0", "--output", "json")
        XCTAssertFalse(dump.stdout.isEmpty)
    }
}
