import Foundation
import XCTest

@testable import TestSupport

/// `kubectl tailtrace` end to end with real clients and real containers:
/// /usr/bin/kubectl runs deploy/kubectl-tailtrace against the test API
/// server (testdata/kube-apiserver.py, TLS, a bearer token). Its "nodes"
/// are two tailtrace installations of their own (pin root, state, archive,
/// hooks), its pods real podman containers started with the hooks of the
/// node they are listed on, carrying their real container ids; its
/// pods/exec runs the built tailtrace against the node's installation, as
/// the node's tailtrace pod would.
final class KubectlPluginTests: XCTestCase {
    /// Built by the first test and shared (a podman run takes a second);
    /// removed in the class's tearDown, also after failures.
    nonisolated(unsafe) static var shared: PluginCluster?
    nonisolated(unsafe) static var setupError: Error?

    var cluster: PluginCluster!

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "the hooks load BPF state and podman runs as root")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl"), "no /usr/bin/kubectl")
        if let error = Self.setupError { throw error }
        if Self.shared == nil {
            let cluster = try PluginCluster()
            do {
                try cluster.start()
            } catch {
                cluster.tearDown()
                Self.setupError = error
                throw error
            }
            Self.shared = cluster
        }
        cluster = Self.shared
    }

    override class func tearDown() {
        shared?.tearDown()
        shared = nil
        super.tearDown()
    }

    /// One pod: exactly its container's trace, from the node it runs on,
    /// as that node's tailtrace prints it (text and JSON, filters passed).
    func testDumpOfOnePodIsItsContainersTraceFromItsNode() throws {
        let c = cluster!
        let text = try c.timed("kubectl tailtrace dump (one pod)", "dump", "-n", "shop", "web-1")
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertEqual(text.stderr, "")
        let local = try c.nodeA.tailtrace("dump", c.id("web-1")).stdout
        XCTAssertEqual(text.stdout, local, "the node's own dump")
        XCTAssertTrue(text.stdout.contains("/marker-web-1-\(c.tag)"))
        XCTAssertFalse(text.stdout.contains("/marker-web-2-\(c.tag)"))

        let json = try c.kubectl("dump", "-n", "shop", "web-1", "-o", "json", "--syscall", "openat", "--tail", "1")
        XCTAssertEqual(json.status, 0, json.stderr)
        let objects = try PluginCluster.objects(json.stdout)
        let opens = objects.filter { $0["syscall"] != nil }
        XCTAssertEqual(opens.count, 1, json.stdout)
        XCTAssertEqual((opens.first?["args"] as? [String: Any])?["filename"] as? String, "/marker-web-1-\(c.tag)")
        XCTAssertEqual(objects.last?["exit_code"] as? Int, 3)
    }

    /// A label selection spanning both nodes: each pod's trace from its
    /// node, merged, every line named by its pod and container.
    func testLabelSelectionMergesBothNodes() throws {
        let c = cluster!
        let text = try c.timed("kubectl tailtrace dump -l (two pods, two nodes)", "dump", "-n", "shop", "-l", "app=web")
        XCTAssertEqual(text.status, 0, text.stderr)
        var byPod: [String: [Substring]] = [:]
        for line in text.stdout.split(separator: "\n") {
            guard let colon = line.range(of: ": ") else { return XCTFail("no prefix: \(line)") }
            byPod[String(line[..<colon.lowerBound]), default: []].append(line[colon.upperBound...])
        }
        XCTAssertEqual(Set(byPod.keys), ["web-1/nginx", "web-2/nginx"])
        for (pod, node) in [("web-1", c.nodeA), ("web-2", c.nodeB)] {
            let local = try node.tailtrace("dump", c.id(pod)).stdout
            XCTAssertEqual(
                (byPod["\(pod)/nginx"] ?? []).joined(separator: "\n") + "\n", local, "\(pod) from its node")
        }
        let firstWeb2 = text.stdout.range(of: "web-2/nginx: ")?.lowerBound
        let lastWeb1 = text.stdout.range(of: "web-1/nginx: ", options: .backwards)?.lowerBound
        XCTAssertLessThan(
            try XCTUnwrap(lastWeb1), try XCTUnwrap(firstWeb2), "one pod after the other, in the API's order")

        let json = try c.kubectl("dump", "-n", "shop", "-l", "app=web", "-o", "json", "--tail", "3")
        XCTAssertEqual(json.status, 0, json.stderr)
        let objects = try PluginCluster.objects(json.stdout)
        XCTAssertEqual(Set(objects.compactMap { $0["pod"] as? String }), ["web-1", "web-2"])
        XCTAssertTrue(
            objects.allSatisfy { $0["namespace"] as? String == "shop" && $0["container"] as? String == "nginx" })
        // The last exit of each pod's trace is its shell's.
        var lastExit: [String: Int] = [:]
        for object in objects {
            guard let record = object["record"] as? [String: Any], record["event"] as? String == "exit",
                let pod = object["pod"] as? String
            else { continue }
            lastExit[pod] = record["exit_code"] as? Int
        }
        XCTAssertEqual(lastExit, ["web-1": 3, "web-2": 4])
    }

    /// --previous reads the instance that ran before the current one (the
    /// pod's lastState.terminated.containerID), as kubectl logs --previous.
    func testPreviousIsTheInstanceBeforeTheRestart() throws {
        let c = cluster!
        let current = try c.kubectl("dump", "-n", "shop", "api-0")
        XCTAssertEqual(current.status, 0, current.stderr)
        XCTAssertTrue(current.stdout.contains("/marker-api-0-second-\(c.tag)"))
        XCTAssertFalse(current.stdout.contains("/marker-api-0-first-\(c.tag)"))
        let previous = try c.kubectl("dump", "-n", "shop", "api-0", "--previous")
        XCTAssertEqual(previous.status, 0, previous.stderr)
        XCTAssertTrue(previous.stdout.contains("/marker-api-0-first-\(c.tag)"))
        XCTAssertFalse(previous.stdout.contains("/marker-api-0-second-\(c.tag)"))
        let why = try c.kubectl("why", "-n", "shop", "api-0", "-p")
        XCTAssertTrue(why.stdout.split(separator: "\n").first?.hasSuffix("exited 1") ?? false, why.stdout)

        let none = try c.kubectl("dump", "-n", "shop", "web-1", "--previous")
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("container nginx of pod shop/web-1 has no previous instance"), none.stderr)
    }

    /// `why` through the plugin: the fatal signal and the failed opens.
    func testWhyNamesTheFatalSignal() throws {
        let c = cluster!
        let why = try c.kubectl("why", "-n", "shop", "crash-0")
        XCTAssertEqual(why.status, 0, why.stderr)
        XCTAssertTrue(why.stdout.split(separator: "\n").first?.hasSuffix("killed by SIGSEGV") ?? false, why.stdout)
        XCTAssertTrue(
            why.stdout.contains("[crash] --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---"),
            why.stdout)
        XCTAssertTrue(why.stdout.contains("filename=\"/etc/crash-\(c.tag)/config.2\", flags=O_RDONLY) = -1 ENOENT"))
        let json = try c.kubectl("why", "-n", "shop", "-l", "app=crash", "-o", "json")
        XCTAssertEqual(json.status, 0, json.stderr)
        let wrapped = try XCTUnwrap(try PluginCluster.objects(json.stdout).first)
        XCTAssertEqual(wrapped["pod"] as? String, "crash-0")
        let report = try XCTUnwrap(wrapped["record"] as? [String: Any])
        XCTAssertEqual((report["signals"] as? [[String: Any]])?.compactMap { $0["signal"] as? String }, ["SIGSEGV"])
    }

    /// What cannot be read says what is missing, in one line each.
    func testErrorsNameWhatIsMissing() throws {
        let c = cluster!
        let lost = try c.kubectl("dump", "-n", "shop", "lost-0")
        XCTAssertEqual(lost.status, 1)
        XCTAssertTrue(lost.stderr.contains("no tailtrace pod runs on node node-c"), lost.stderr)

        let plain = try c.kubectl("dump", "-n", "shop", "plain-0")
        XCTAssertEqual(plain.status, 1)
        XCTAssertTrue(plain.stderr.contains("was never traced on node node-a"), plain.stderr)
        XCTAssertTrue(plain.stderr.contains("annotate the pod with io.tailtrace.trace=true"), plain.stderr)
        XCTAssertTrue(plain.stderr.contains("pool mode"), plain.stderr)

        let forbidden = try c.kubectl(context: "viewer", "dump", "-n", "shop", "web-1")
        XCTAssertEqual(forbidden.status, 1)
        XCTAssertTrue(
            forbidden.stderr.contains("must allow create (and get) on pods/exec in namespace tailtrace"),
            forbidden.stderr)
        XCTAssertEqual(forbidden.stdout, "")

        let missing = try c.kubectl("dump", "-n", "shop", "nope-0")
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains(#"pods "nope-0" not found"#), missing.stderr)
    }

    /// Names and ids from the API answer are checked before they reach a
    /// command line: a container id that is a path is refused, never run.
    func testIdsFromTheAPIAreChecked() throws {
        let c = cluster!
        let evil = try c.kubectl("dump", "-n", "shop", "evil-0")
        XCTAssertEqual(evil.status, 1)
        XCTAssertTrue(evil.stderr.contains("its container id is not one tailtrace can read"), evil.stderr)
        let log = try String(contentsOfFile: c.server!.log, encoding: .utf8)
        XCTAssertFalse(log.contains("passwd"), "an exec with the bad id was made")
    }

    /// list joins the pods with each node's records; status asks every node.
    func testListAndStatus() throws {
        let c = cluster!
        let list = try c.kubectl("list", "-n", "shop")
        XCTAssertEqual(list.status, 1, "lost-0's node has no tailtrace pod: \(list.stderr)")
        let rows = list.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        func state(_ pod: String, _ instance: String = "current") -> String? {
            rows.first { $0.count > 6 && $0[1] == pod && $0[3] == instance }.map { $0[6...].joined(separator: " ") }
        }
        XCTAssertEqual(state("web-1"), "exited 3")
        XCTAssertEqual(state("web-2"), "exited 4")
        XCTAssertEqual(state("api-0"), "exited 0")
        XCTAssertEqual(state("api-0", "previous"), "exited 1")
        XCTAssertEqual(state("crash-0"), "killed by SIGSEGV")
        XCTAssertEqual(state("plain-0"), "not traced")
        XCTAssertEqual(state("lost-0"), "no tailtrace pod on the node")

        let json = try c.kubectl("list", "-n", "shop", "-l", "app=api", "-o", "json")
        XCTAssertEqual(json.status, 0, json.stderr)
        let objects = try PluginCluster.objects(json.stdout)
        XCTAssertEqual(objects.map { $0["instance"] as? String }, ["current", "previous"])
        XCTAssertEqual(
            objects.map { ($0["record"] as? [String: Any])?["id"] as? String },
            [try c.id("api-0-second"), try c.id("api-0-first")])

        let status = try c.kubectl("status", "-o", "json")
        XCTAssertEqual(status.status, 0, status.stderr)
        let nodes = try PluginCluster.objects(status.stdout)
        XCTAssertEqual(nodes.map { $0["node"] as? String }, ["node-a", "node-b"])
        XCTAssertEqual(
            nodes.map { ($0["status"] as? [String: Any])?["pin_root"] as? String }, [c.nodeA.pinRoot, c.nodeB.pinRoot])
    }
}

/// The fixture: two nodes, their pods, the API server and a kubeconfig.
final class PluginCluster {
    let nodeA: TestInstallation
    let nodeB: TestInstallation
    var tag: String { nodeA.tag }
    var server: TestAPIServer?
    private var containers: [String] = []
    private var ids: [String: String] = [:]
    var kubeconfig: String { nodeA.tempDir + "/kubeconfig" }

    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    init() throws {
        let a = try TestInstallation()
        do {
            nodeB = try TestInstallation()
        } catch {
            a.tearDown()
            throw error
        }
        nodeA = a
    }

    func start() throws {
        let rootfs = nodeA.tempDir + "/rootfs"
        try TestSystem.makeBusyboxRootfs(at: rootfs)
        try FileManager.default.copyItem(
            atPath: try TestSystem.workload("crash", flags: ["-static"]), toPath: rootfs + "/bin/crash")
        for node in [nodeA, nodeB] {
            try node.install([
                "--pool", "4", "--hooks-dir", node.tempDir + "/hooks.d", "--hook-path",
                TestSystem.productsDirectory.path,
            ])
        }
        try run("web-1", on: nodeA, rootfs, "cat /marker-web-1-\(tag); exit 3")
        try run("web-2", on: nodeB, rootfs, "cat /marker-web-2-\(tag); exit 4")
        try run("api-0-first", on: nodeA, rootfs, "cat /marker-api-0-first-\(tag); exit 1")
        try run("api-0-second", on: nodeA, rootfs, "cat /marker-api-0-second-\(tag); exit 0")
        try run("crash-0", on: nodeB, rootfs, "/bin/crash \(tag)")

        let nobody = String(repeating: "f", count: 64)
        let pods: [[String: Any]] = [
            Self.pod(
                "tailtrace-a1b2c", "tailtrace", node: "node-a", ["app.kubernetes.io/name": "tailtrace"],
                [("tailtrace", String(repeating: "a", count: 64), nil)]),
            Self.pod(
                "tailtrace-d3e4f", "tailtrace", node: "node-b", ["app.kubernetes.io/name": "tailtrace"],
                [("tailtrace", String(repeating: "b", count: 64), nil)]),
            // Scheduled on node-c but not running: no tailtrace there.
            Self.pod(
                "tailtrace-g5h6i", "tailtrace", node: "node-c", ["app.kubernetes.io/name": "tailtrace"],
                [("tailtrace", String(repeating: "c", count: 64), nil)], phase: "Pending"),
            Self.pod("web-1", "shop", node: "node-a", ["app": "web"], [("nginx", try id("web-1"), nil)]),
            Self.pod("web-2", "shop", node: "node-b", ["app": "web"], [("nginx", try id("web-2"), nil)]),
            Self.pod(
                "api-0", "shop", node: "node-a", ["app": "api"],
                [("api", try id("api-0-second"), try id("api-0-first"))]),
            Self.pod("crash-0", "shop", node: "node-b", ["app": "crash"], [("app", try id("crash-0"), nil)]),
            Self.pod("lost-0", "shop", node: "node-c", ["app": "lost"], [("nginx", nobody, nil)]),
            Self.pod("plain-0", "shop", node: "node-a", ["app": "plain"], [("nginx", nobody, nil)]),
            Self.pod("evil-0", "shop", node: "node-a", ["app": "evil"], [("nginx", "../../etc/passwd", nil)]),
        ]
        let podsFile = nodeA.tempDir + "/pods.json"
        try JSONSerialization.data(withJSONObject: ["kind": "PodList", "items": pods])
            .write(to: URL(fileURLWithPath: podsFile))
        var exec: [String: Any] = [:]
        for (pod, node) in [("tailtrace-a1b2c", nodeA), ("tailtrace-d3e4f", nodeB)] {
            let env = node.environment
            exec["tailtrace/\(pod)"] = [
                "commands": ["tailtrace": TestSystem.product("tailtrace")],
                "environment": [
                    "TAILTRACE_PIN_ROOT": env["TAILTRACE_PIN_ROOT"]!,
                    "TAILTRACE_STATE_DIR": env["TAILTRACE_STATE_DIR"]!,
                    "TAILTRACE_ARCHIVE_DIR": env["TAILTRACE_ARCHIVE_DIR"]!,
                ],
            ]
        }
        try JSONSerialization.data(withJSONObject: exec).write(to: URL(fileURLWithPath: nodeA.tempDir + "/exec.json"))

        let pkiDirectory = nodeA.tempDir + "/pki"
        try FileManager.default.createDirectory(atPath: pkiDirectory, withIntermediateDirectories: true)
        let pki = try TestPKI(directory: pkiDirectory)
        let token = "token-\(UInt64.random(in: 0...UInt64.max))"
        let viewer = "viewer-\(UInt64.random(in: 0...UInt64.max))"
        let server = try TestAPIServer(
            nil, pki: pki, token: token, pods: podsFile,
            arguments: ["--exec-config", nodeA.tempDir + "/exec.json", "--forbidden-exec-token", viewer])
        self.server = server
        // The current context is a server that is not there: every kubectl
        // call of the plugin must be given --context.
        try """
        apiVersion: v1
        kind: Config
        current-context: elsewhere
        clusters:
        - name: test
          cluster: {server: "https://127.0.0.1:\(server.port)", certificate-authority: "\(pki.caCertificate)"}
        - name: elsewhere
          cluster: {server: "https://127.0.0.1:1", certificate-authority: "\(pki.caCertificate)"}
        users:
        - name: admin
          user: {token: "\(token)"}
        - name: viewer
          user: {token: "\(viewer)"}
        contexts:
        - name: test
          context: {cluster: test, user: admin}
        - name: viewer
          context: {cluster: test, user: viewer}
        - name: elsewhere
          context: {cluster: elsewhere, user: admin}
        """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
    }

    /// A podman run of the rootfs with `node`'s hooks; its id from the node's list.
    private func run(_ name: String, on node: TestInstallation, _ rootfs: String, _ script: String) throws {
        let container = "\(tag)-\(name)"
        containers.append(container)
        let r = try TestSystem.run(
            "/usr/bin/podman",
            [
                "run", "--rm", "--runtime", "runc", "--hooks-dir", node.tempDir + "/hooks.d",
                "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none",
                "--annotation", "io.tailtrace.trace=true", "--name", container, "--rootfs", rootfs,
                "/bin/sh", "-c", script,
            ], environment: node.environment)
        guard r.status != 125 else { throw TestFailure("podman run \(name): \(r.stderr)") }
        let list = try node.tailtrace("list", "--output", "json").stdout
        let records = try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]] ?? []
        guard let id = records.first(where: { $0["name"] as? String == container })?["id"] as? String else {
            throw TestFailure("\(container) is not in its node's list: \(list)")
        }
        ids[name] = id
    }

    func id(_ name: String) throws -> String {
        guard let id = ids[name] else { throw TestFailure("no container \(name)") }
        return id
    }

    static func pod(
        _ name: String, _ namespace: String, node: String, _ labels: [String: String],
        _ containers: [(name: String, id: String, previous: String?)], phase: String = "Running"
    ) -> [String: Any] {
        [
            "metadata": ["name": name, "namespace": namespace, "uid": "uid-\(name)", "labels": labels],
            "spec": ["nodeName": node, "containers": containers.map { ["name": $0.name, "image": "busybox"] }],
            "status": [
                "phase": phase,
                "containerStatuses": containers.map { c -> [String: Any] in
                    [
                        "name": c.name, "containerID": "containerd://\(c.id)", "ready": false,
                        "restartCount": c.previous == nil ? 0 : 1,
                        "lastState": c.previous.map {
                            ["terminated": ["exitCode": 1, "containerID": "containerd://\($0)"]]
                        }
                            ?? [:],
                    ]
                },
            ],
        ]
    }

    /// `kubectl tailtrace ARGS --context CONTEXT --kubeconfig FILE`, kubectl
    /// finding the plugin in deploy/ on PATH; HOME and the discovery cache
    /// are the test's.
    func kubectl(context: String = "test", _ args: String...) throws -> CommandResult {
        try TestSystem.run(
            "/usr/bin/kubectl", ["tailtrace"] + args + ["--context", context, "--kubeconfig", kubeconfig],
            environment: kubectlEnvironment)
    }

    var kubectlEnvironment: [String: String] {
        [
            "PATH": Self.repository.appendingPathComponent("deploy").path + ":/usr/local/bin:/usr/bin:/bin",
            "HOME": nodeA.tempDir, "KUBECACHEDIR": nodeA.tempDir + "/kube-cache",
        ]
    }

    /// Runs `kubectl(args)` four times and prints the wall times (the
    /// first may fill kubectl's discovery cache), not asserted; returns the
    /// last result.
    func timed(_ what: String, _ args: String...) throws -> CommandResult {
        var times: [Double] = []
        var result = CommandResult(status: -1, stdout: "", stderr: "")
        for _ in 0..<4 {
            let start = Date()
            result = try TestSystem.run(
                "/usr/bin/kubectl", ["tailtrace"] + args + ["--context", "test", "--kubeconfig", kubeconfig],
                environment: kubectlEnvironment)
            times.append(Date().timeIntervalSince(start) * 1000)
        }
        let warm = times.dropFirst().sorted()
        print(String(format: "wall time: %@: first %.0f ms, then median %.0f ms", what, times[0], warm[warm.count / 2]))
        return result
    }

    /// One JSON object per line.
    static func objects(_ lines: String) throws -> [[String: Any]] {
        try lines.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(line)")
            }
            return object
        }
    }

    func tearDown() {
        server?.stop()
        for name in containers {
            _ = try? TestSystem.run("/usr/bin/podman", ["rm", "-f", "--time", "0", name])
        }
        nodeA.tearDown()
        nodeB.tearDown()
    }
}
