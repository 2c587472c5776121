import Foundation
import XCTest

/// reconcile against a Kubernetes API: the test's own API server
/// (testdata/kube-apiserver.py) on 127.0.0.1 over TLS with a CA the test
/// makes, requiring a bearer token, answering a real-shaped PodList that
/// names the containerd container the dispatcher claimed.
final class KubernetesReconcileTests: ContainerdTestCase {
    var apiServer: Process?
    var apiServerInput: Pipe?

    override func tearDown() {
        if let apiServer, apiServer.isRunning {
            kill(apiServer.processIdentifier, SIGTERM)
            apiServer.waitUntilExit()
        }
        super.tearDown()
    }

    func openssl(_ args: [String]) throws {
        let r = try TestSystem.run("/usr/bin/openssl", args)
        guard r.status == 0 else { throw TestFailure("openssl \(args.first ?? ""): \(r.stderr)") }
    }

    /// A CA and a server certificate for 127.0.0.1 signed by it.
    func makePKI(in dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(
            ["req", "-x509"] + newKey + [
                "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.crt", "-days", "2", "-subj", "/CN=tailtrace-test-ca",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        try openssl(["req"] + newKey + ["-keyout", "\(dir)/server.key", "-out", "\(dir)/server.csr", "-subj", "/CN=kube-apiserver"])
        try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".write(
            toFile: "\(dir)/server.ext", atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", "\(dir)/server.csr", "-CA", "\(dir)/ca.crt", "-CAkey", "\(dir)/ca.key",
            "-set_serial", "4242", "-days", "2", "-out", "\(dir)/server.crt", "-extfile", "\(dir)/server.ext",
        ])
    }

    /// Starts the API server; returns its port.
    func startAPIServer(pki: String, token: String, pods: String) throws -> Int {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("testdata/kube-apiserver.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = [
            script, "--cert", "\(pki)/server.crt", "--key", "\(pki)/server.key", "--token", token, "--pods", pods,
            "--exit-on-stdin-eof",
        ]
        let out = Pipe()
        let input = Pipe()
        p.standardOutput = out
        p.standardInput = input
        p.standardError = FileHandle.nullDevice
        try p.run()
        apiServer = p
        apiServerInput = input
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            throw TestFailure("the API server did not start")
        }
        return port
    }

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
            claimed = try status()["claimed"] as? Int ?? 0
        }
        XCTAssertEqual(claimed, 1)

        let pki = t.tempDir + "/pki"
        try makePKI(in: pki)
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
        let port = try startAPIServer(pki: pki, token: token, pods: pods)
        let kubeconfig = t.tempDir + "/kubeconfig"
        try """
            apiVersion: v1
            kind: Config
            current-context: test
            clusters:
            - name: test
              cluster:
                server: https://127.0.0.1:\(port)
                certificate-authority: \(pki)/ca.crt
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
        let record = try XCTUnwrap(try list().first { $0["id"] as? String == id })
        XCTAssertEqual(record["pod"] as? String, "web-0")
        XCTAssertEqual(record["container"] as? String, "nginx")
        XCTAssertEqual((record["labels"] as? [String: String])?["tier"], "front")
        let dump = try t.tailtrace("dump", "--namespace", "shop", "--pod", "web-0", "--output", "json")
        XCTAssertFalse(dump.stdout.isEmpty)
    }
}
