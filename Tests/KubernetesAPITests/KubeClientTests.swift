import Foundation
import XCTest

@testable import KubernetesAPI
@testable import TestSupport

/// KubeClient against testdata/kube-apiserver.py over real TLS on 127.0.0.1.
final class KubeClientTests: PKITestCase {
    let token = "tailtrace-test-token"

    /// Starts the test API server with the two-node pod list.
    private func startServer(arguments: [String] = [], pods: Data? = nil) throws -> (dir: String, server: TestAPIServer)
    {
        let dir = try makeTemporaryDirectory(self)
        try (pods ?? PodFixtures.twoNodes()).write(to: URL(fileURLWithPath: dir + "/pods.json"))
        let server = try TestAPIServer(self, pki: pki, token: token, pods: dir + "/pods.json", arguments: arguments)
        return (dir, server)
    }

    private func credentials(
        _ dir: String, server: String, cluster: [String]? = nil, user: [String]? = nil
    ) throws -> KubeCredentials {
        let yaml = Kubeconfigs.yaml(
            server: server, cluster: cluster ?? ["certificate-authority: \(pki.caCertificate)"],
            user: user ?? ["token: \(token)"])
        try write(yaml, to: dir + "/kubeconfig")
        return try KubeCredentials.load(kubeconfig: dir + "/kubeconfig", environment: [:])
    }

    private func pods(
        _ credentials: KubeCredentials, node: String = "node-a", limits: KubeClient.Limits = .init()
    ) async throws -> PodList {
        try await KubeClient.withClient(credentials, limits: limits) { try await $0.pods(onNode: node) }
    }

    private func expectError(
        _ credentials: KubeCredentials, node: String = "node-a", limits: KubeClient.Limits = .init(),
        file: StaticString = #filePath, line: UInt = #line
    ) async -> KubeError? {
        do {
            let list = try await pods(credentials, node: node, limits: limits)
            XCTFail("expected an error, got \(list.containers.count) containers", file: file, line: line)
        } catch let error as KubeError {
            print("KubeError: \(error)")
            return error
        } catch {
            XCTFail("not a KubeError: \(error)", file: file, line: line)
        }
        return nil
    }

    private func assertNodeA(_ list: PodList, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(list.podCount, 2, file: file, line: line)
        XCTAssertEqual(Set(list.containers.map(\.pod)), ["web-7d9f", "cache-0"], file: file, line: line)
        let nginx = list.container(id: "containerd://" + PodFixtures.containerID(1))
        XCTAssertEqual(nginx?.namespace, "shop", file: file, line: line)
        XCTAssertEqual(nginx?.container, "nginx", file: file, line: line)
        XCTAssertEqual(nginx?.labels["app"], "web", file: file, line: line)
        XCTAssertEqual(list.container(id: PodFixtures.containerID(6))?.runtime, "cri-o", file: file, line: line)
        // db-0 runs on node-b.
        XCTAssertNil(list.container(id: PodFixtures.containerID(8)), file: file, line: line)
    }

    // MARK: answers

    func testPodsOfNodeWithCAFileAndToken() async throws {
        let (dir, server) = try startServer()
        let list = try await pods(credentials(dir, server: server.server))
        assertNodeA(list)
        XCTAssertEqual(list.resourceVersion, "1001")
    }

    func testCADataAndTokenFile() async throws {
        let (dir, server) = try startServer()
        try write(token + "\n", to: dir + "/token")
        let credentials = try credentials(
            dir, server: server.server,
            cluster: ["certificate-authority-data: \(try Kubeconfigs.base64(pki.caCertificate))"],
            user: ["tokenFile: token"])
        assertNodeA(try await pods(credentials))
    }

    func testTokenFileIsReadForEveryRequest() async throws {
        let (dir, server) = try startServer()
        try write("expired-token", to: dir + "/token")
        let credentials = try credentials(dir, server: server.server, user: ["tokenFile: \(dir)/token"])
        try await KubeClient.withClient(credentials) { client in
            do {
                _ = try await client.pods(onNode: "node-a")
                XCTFail("the old token must be refused")
            } catch let error as KubeError {
                XCTAssertEqual(error.kind, .unauthorized)
            }
            // kubelet rotated the projected token: the same client picks it up.
            try write(token, to: dir + "/token")
            assertNodeA(try await client.pods(onNode: "node-a"))
        }
    }

    func testClientCertificateWithoutToken() async throws {
        let (dir, server) = try startServer(arguments: ["--client-ca", pki.caCertificate])
        let credentials = try credentials(
            dir, server: server.server,
            user: ["client-certificate: \(pki.clientCertificate)", "client-key: \(pki.clientKey)"])
        XCTAssertNil(credentials.bearerToken)
        assertNodeA(try await pods(credentials))
    }

    func testInClusterCredentialsAgainstTheServer() async throws {
        let (dir, server) = try startServer()
        let serviceAccount = dir + "/serviceaccount"
        try FileManager.default.createDirectory(atPath: serviceAccount, withIntermediateDirectories: true)
        try write(token, to: serviceAccount + "/token")
        try FileManager.default.copyItem(atPath: pki.caCertificate, toPath: serviceAccount + "/ca.crt")
        let credentials = try KubeCredentials.load(
            environment: ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "\(server.port)"],
            inClusterDirectory: serviceAccount)
        assertNodeA(try await pods(credentials))
    }

    func testInsecureSkipTLSVerifyNeedsNoCA() async throws {
        let (dir, server) = try startServer()
        let credentials = try credentials(dir, server: server.server, cluster: ["insecure-skip-tls-verify: true"])
        XCTAssertTrue(credentials.insecureSkipTLSVerify)
        assertNodeA(try await pods(credentials))
    }

    func testEmptyNodeAnswersNoContainers() async throws {
        let (dir, server) = try startServer()
        let list = try await pods(credentials(dir, server: server.server), node: "node-z")
        XCTAssertEqual(list.podCount, 0)
        XCTAssertEqual(list.containers, [])
    }

    func testTenThousandPodsThroughTheServer() async throws {
        let (dir, server) = try startServer(pods: try PodFixtures.manyPods(10_000, node: "node-a"))
        let list = try await pods(credentials(dir, server: server.server))
        XCTAssertEqual(list.podCount, 10_000)
        XCTAssertEqual(list.container(id: PodFixtures.containerID(12_345))?.pod, "pod-6172")
    }

    // MARK: failures

    func testWrongTokenIsUnauthorized() async throws {
        let (dir, server) = try startServer()
        let error = await expectError(try credentials(dir, server: server.server, user: ["token: wrong"]))
        XCTAssertEqual(error?.kind, .unauthorized)
        XCTAssertTrue(error?.description.contains("HTTP 401 Unauthorized") ?? false, "\(String(describing: error))")

        let anonymous = await expectError(try credentials(dir, server: server.server, user: []))
        XCTAssertEqual(anonymous?.kind, .unauthorized)
    }

    func testForbiddenCarriesTheRBACMessage() async throws {
        let (dir, server) = try startServer(arguments: ["--forbidden-token", "read-nothing"])
        let error = await expectError(try credentials(dir, server: server.server, user: ["token: read-nothing"]))
        XCTAssertEqual(error?.kind, .forbidden)
        XCTAssertTrue(
            error?.description.contains("cannot list resource \"pods\" in API group \"\" at the cluster scope")
                ?? false,
            "\(String(describing: error))")
    }

    func testOtherStatusIsReported() async throws {
        // A server URL with a path prefix the server does not serve: 404.
        let (dir, server) = try startServer()
        let error = await expectError(try credentials(dir, server: server.server + "/not-here"))
        XCTAssertEqual(error?.kind, .httpStatus(404))
        XCTAssertTrue(error?.description.contains("404 page not found") ?? false, "\(String(describing: error))")
    }

    func testCAThatDidNotSignTheServerIsATLSError() async throws {
        let (dir, server) = try startServer()
        let error = await expectError(
            try credentials(dir, server: server.server, cluster: ["certificate-authority: \(pki.otherCACertificate)"]))
        XCTAssertEqual(error?.kind, .tls)
        let text = error?.description ?? ""
        XCTAssertTrue(text.contains("not signed by the CA of kubeconfig"), text)
        XCTAssertTrue(text.contains("CERTIFICATE_VERIFY_FAILED"), text)
    }

    func testServerNotRunningIsUnreachable() async throws {
        let (dir, server) = try startServer()
        let credentials = try credentials(dir, server: server.server)
        server.stop()
        let error = await expectError(credentials)
        XCTAssertEqual(error?.kind, .unreachable)
        XCTAssertTrue(error?.description.contains(server.server) ?? false, "\(String(describing: error))")
    }

    func testSilentServerTimesOut() async throws {
        // Listens but never accepts: the TCP handshake completes in the backlog,
        // the TLS handshake never does.
        let dir = try makeTemporaryDirectory(self)
        let listener = try SilentListener()
        defer { listener.close() }
        var limits = KubeClient.Limits()
        limits.connectTimeout = .milliseconds(500)
        limits.readTimeout = .milliseconds(500)
        limits.requestTimeout = .seconds(2)
        let clock = ContinuousClock()
        let start = clock.now
        let error = await expectError(
            try credentials(dir, server: "https://127.0.0.1:\(listener.port)"), limits: limits)
        XCTAssertEqual(error?.kind, .timeout, "\(String(describing: error))")
        XCTAssertLessThan(clock.now - start, .seconds(10))
    }

    func testMalformedJSONIsAnError() async throws {
        let (dir, server) = try startServer(
            arguments: ["--serve-raw"], pods: Data(#"{"kind":"PodList","items":[{"metadata":"#.utf8))
        let error = await expectError(try credentials(dir, server: server.server))
        XCTAssertEqual(error?.kind, .malformedResponse)
        XCTAssertTrue(error?.description.contains("not valid JSON") ?? false, "\(String(describing: error))")
    }

    func testAnswerLargerThanTheLimitIsRefused() async throws {
        let (dir, server) = try startServer()
        var limits = KubeClient.Limits()
        limits.maxResponseBytes = 1000
        let error = await expectError(try credentials(dir, server: server.server), limits: limits)
        XCTAssertEqual(error?.kind, .responseTooLarge)
    }

    func testInvalidNodeNameNeverReachesTheNetwork() async throws {
        let dir = try makeTemporaryDirectory(self)
        // Nothing listens on port 1: an invalid name must fail before connecting.
        let error = await expectError(try credentials(dir, server: "https://127.0.0.1:1"), node: "node-a&limit=1")
        XCTAssertEqual(error?.kind, .invalidNodeName)
    }

    func testShutdownTwiceIsHarmless() async throws {
        let dir = try makeTemporaryDirectory(self)
        let client = try KubeClient(try credentials(dir, server: "https://127.0.0.1:1"))
        try await client.shutdown()
        try await client.shutdown()
    }

    func testClientReleasedWithoutShutdownDoesNotTrap() async throws {
        // AsyncHTTPClient traps in debug builds when an HTTPClient is released
        // without shutdown; KubeClient's deinit shuts it down as a safety net.
        let (dir, server) = try startServer()
        var client: KubeClient? = try KubeClient(try credentials(dir, server: server.server))
        assertNodeA(try await client!.pods(onNode: "node-a"))
        client = nil
        try await Task.sleep(for: .milliseconds(200))
    }

    func testFieldSelectorIsPercentEncoded() {
        XCTAssertEqual(KubeClient.percentEncode("spec.nodeName=node-a.example"), "spec.nodeName%3Dnode-a.example")
    }
}

/// A TCP socket on 127.0.0.1 that listens and never accepts.
private struct SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 8) == 0 else { throw TestFailure("bind/listen: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Foundation.close(fd) }
}
