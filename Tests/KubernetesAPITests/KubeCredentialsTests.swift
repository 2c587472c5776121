import Foundation
import XCTest

@testable import KubernetesAPI
@testable import TestSupport

final class KubeCredentialsTests: PKITestCase {
    private func loadError(_ body: () throws -> KubeCredentials) -> KubeError? {
        do {
            let credentials = try body()
            XCTFail("expected an error, got \(credentials)")
            return nil
        } catch let error as KubeError {
            return error
        } catch {
            XCTFail("not a KubeError: \(error)")
            return nil
        }
    }

    // MARK: where credentials come from

    func testExplicitKubeconfigWinsOverKUBECONFIGAndHome() throws {
        let dir = try makeTemporaryDirectory(self)
        try write(Kubeconfigs.yaml(server: "https://explicit:6443", user: ["token: a"]), to: dir + "/explicit")
        try write(Kubeconfigs.yaml(server: "https://env:6443", user: ["token: b"]), to: dir + "/env")
        let credentials = try KubeCredentials.load(
            kubeconfig: dir + "/explicit", environment: ["KUBECONFIG": dir + "/env", "HOME": dir])
        XCTAssertEqual(credentials.server, "https://explicit:6443")
        XCTAssertEqual(credentials.bearerToken, .inline("a"))
        XCTAssertEqual(credentials.source, .kubeconfig(path: dir + "/explicit", context: "test"))
    }

    func testKUBECONFIGTakesTheFirstExistingFileOfTheList() throws {
        let dir = try makeTemporaryDirectory(self)
        try write(Kubeconfigs.yaml(server: "https://second:6443", user: ["token: b"]), to: dir + "/second")
        try write(Kubeconfigs.yaml(server: "https://third:6443", user: ["token: c"]), to: dir + "/third")
        let credentials = try KubeCredentials.load(
            environment: ["KUBECONFIG": "\(dir)/missing::\(dir)/second:\(dir)/third", "HOME": dir])
        XCTAssertEqual(credentials.server, "https://second:6443")
    }

    func testHomeKubeConfigThenInCluster() throws {
        let home = try makeTemporaryDirectory(self)
        let serviceAccount = try makeServiceAccount()
        let environment = [
            "HOME": home, "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443",
        ]
        // No ~/.kube/config yet: in-cluster.
        var credentials = try KubeCredentials.load(environment: environment, inClusterDirectory: serviceAccount)
        XCTAssertEqual(credentials.source, .inCluster(directory: serviceAccount))

        try FileManager.default.createDirectory(atPath: home + "/.kube", withIntermediateDirectories: true)
        try write(Kubeconfigs.yaml(server: "https://home:6443", user: ["token: h"]), to: home + "/.kube/config")
        credentials = try KubeCredentials.load(environment: environment, inClusterDirectory: serviceAccount)
        XCTAssertEqual(credentials.server, "https://home:6443")
    }

    func testInClusterFromServiceAccountDirectoryAndEnvironment() throws {
        let serviceAccount = try makeServiceAccount(token: "in-cluster-token\n")
        let credentials = try KubeCredentials.load(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            inClusterDirectory: serviceAccount)
        XCTAssertEqual(credentials.server, "https://10.96.0.1:443")
        XCTAssertEqual(credentials.certificateAuthorityPEM, try contents(pki.caCertificate))
        XCTAssertEqual(credentials.bearerToken, .file(serviceAccount + "/token"))
        XCTAssertEqual(try KubeCredentials.readToken(serviceAccount + "/token"), "in-cluster-token")
        XCTAssertFalse(credentials.insecureSkipTLSVerify)
        XCTAssertNil(credentials.clientCertificate)
    }

    func testInClusterIPv6ServiceAddressIsBracketed() throws {
        let serviceAccount = try makeServiceAccount()
        let credentials = try KubeCredentials.load(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00:10:96::1", "KUBERNETES_SERVICE_PORT": "443"],
            inClusterDirectory: serviceAccount)
        XCTAssertEqual(credentials.server, "https://[fd00:10:96::1]:443")
    }

    func testInClusterWithoutTokenNamesTheFile() throws {
        let dir = try makeTemporaryDirectory(self)
        let error = loadError {
            try KubeCredentials.load(
                environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
                inClusterDirectory: dir)
        }
        XCTAssertEqual(error?.kind, .configuration)
        XCTAssertTrue(error?.description.contains(dir + "/token") ?? false, "\(String(describing: error))")
    }

    func testInClusterWithoutPortIsAnError() throws {
        let serviceAccount = try makeServiceAccount()
        let error = loadError {
            try KubeCredentials.load(
                environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1"], inClusterDirectory: serviceAccount)
        }
        XCTAssertEqual(error?.kind, .configuration)
        XCTAssertTrue(error?.description.contains("KUBERNETES_SERVICE_PORT") ?? false)
    }

    func testNothingFoundListsWhatWasTried() throws {
        let home = try makeTemporaryDirectory(self)
        let error = loadError { try KubeCredentials.load(environment: ["HOME": home], inClusterDirectory: home) }
        XCTAssertEqual(error?.kind, .noCredentials)
        let text = error?.description ?? ""
        XCTAssertTrue(text.contains("KUBECONFIG not set"), text)
        XCTAssertTrue(text.contains(home + "/.kube/config does not exist"), text)
        XCTAssertTrue(text.contains("KUBERNETES_SERVICE_HOST not set"), text)
    }

    func testMissingExplicitKubeconfigIsAnError() throws {
        let dir = try makeTemporaryDirectory(self)
        let error = loadError { try KubeCredentials.load(kubeconfig: dir + "/nope", environment: [:]) }
        XCTAssertEqual(error?.kind, .configuration)
        XCTAssertTrue(error?.description.contains("No such file") ?? false, "\(String(describing: error))")
    }

    // MARK: kubeconfig contents

    func testCertificateAuthorityFileIsResolvedRelativeToTheKubeconfig() throws {
        let dir = try makeTemporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: dir + "/pki", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: pki.caCertificate, toPath: dir + "/pki/ca.crt")
        try write("file-token\n", to: dir + "/token")
        try write(
            Kubeconfigs.yaml(
                server: "https://api.example:6443/", cluster: ["certificate-authority: pki/ca.crt"],
                user: ["tokenFile: token", "token: ignored-because-tokenFile-wins"]),
            to: dir + "/config")
        let credentials = try KubeCredentials.load(kubeconfig: dir + "/config", environment: [:])
        XCTAssertEqual(credentials.server, "https://api.example:6443")
        XCTAssertEqual(credentials.certificateAuthorityPEM, try contents(pki.caCertificate))
        XCTAssertEqual(credentials.bearerToken, .file(dir + "/token"))
    }

    func testDataFieldsOverrideFiles() throws {
        let dir = try makeTemporaryDirectory(self)
        try write(
            Kubeconfigs.yaml(
                server: "https://api:6443",
                cluster: [
                    "certificate-authority: /does/not/exist",
                    "certificate-authority-data: \(try Kubeconfigs.base64(pki.caCertificate))",
                ],
                user: [
                    "client-certificate-data: \(try Kubeconfigs.base64(pki.clientCertificate))",
                    "client-key-data: \(try Kubeconfigs.base64(pki.clientKey))",
                ]),
            to: dir + "/config")
        let credentials = try KubeCredentials.load(kubeconfig: dir + "/config", environment: [:])
        XCTAssertEqual(credentials.certificateAuthorityPEM, try contents(pki.caCertificate))
        XCTAssertEqual(
            credentials.clientCertificate,
            .init(certificatePEM: try contents(pki.clientCertificate), keyPEM: try contents(pki.clientKey)))
        XCTAssertNil(credentials.bearerToken)
    }

    func testContextOverrideAndUndefinedContext() throws {
        let dir = try makeTemporaryDirectory(self)
        try write(
            Kubeconfigs.yaml(server: "https://api:6443", user: ["token: t"], contextName: "other", currentContext: nil),
            to: dir + "/config")
        var error = loadError { try KubeCredentials.load(kubeconfig: dir + "/config", environment: [:]) }
        XCTAssertTrue(error?.description.contains("no current-context") ?? false)
        XCTAssertNoThrow(try KubeCredentials.load(kubeconfig: dir + "/config", context: "other", environment: [:]))
        error = loadError {
            try KubeCredentials.load(kubeconfig: dir + "/config", context: "missing", environment: [:])
        }
        XCTAssertTrue(error?.description.contains("context \"missing\" is not defined") ?? false)
    }

    func testExecPluginIsUnsupportedAndNamed() throws {
        let dir = try makeTemporaryDirectory(self)
        try write(
            Kubeconfigs.yaml(
                server: "https://api:6443",
                user: [
                    "exec:", "  apiVersion: client.authentication.k8s.io/v1beta1", "  command: aws",
                    "  args: [eks, get-token, --cluster-name, prod]",
                ]),
            to: dir + "/config")
        let error = loadError { try KubeCredentials.load(kubeconfig: dir + "/config", environment: [:]) }
        XCTAssertEqual(error?.kind, .unsupportedAuthentication)
        XCTAssertTrue(
            error?.description.contains("exec plugin (command \"aws\")") ?? false, "\(String(describing: error))")
    }

    func testAuthProviderIsUnsupportedAndNamed() throws {
        let dir = try makeTemporaryDirectory(self)
        try write(
            Kubeconfigs.yaml(server: "https://api:6443", user: ["auth-provider:", "  name: oidc", "  config: {}"]),
            to: dir + "/config")
        let error = loadError { try KubeCredentials.load(kubeconfig: dir + "/config", environment: [:]) }
        XCTAssertEqual(error?.kind, .unsupportedAuthentication)
        XCTAssertTrue(error?.description.contains("auth-provider \"oidc\"") ?? false)
    }

    func testRejectedKubeconfigs() throws {
        let dir = try makeTemporaryDirectory(self)
        try write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", to: dir + "/bad.crt")
        let cases: [(String, String, String)] = [
            ("plain http", Kubeconfigs.yaml(server: "http://api:8080", user: ["token: t"]), "is not an https://"),
            (
                "CA and insecure",
                Kubeconfigs.yaml(
                    server: "https://api:6443",
                    cluster: ["certificate-authority: \(pki.caCertificate)", "insecure-skip-tls-verify: true"]),
                "insecure-skip-tls-verify"
            ),
            (
                "bad base64",
                Kubeconfigs.yaml(server: "https://api:6443", cluster: ["certificate-authority-data: '%%%'"]),
                "not valid base64"
            ),
            (
                "bad PEM", Kubeconfigs.yaml(server: "https://api:6443", cluster: ["certificate-authority: bad.crt"]),
                "bad.crt"
            ),
            (
                "certificate without key",
                Kubeconfigs.yaml(server: "https://api:6443", user: ["client-certificate: \(pki.clientCertificate)"]),
                "without a key"
            ),
            (
                "basic auth",
                Kubeconfigs.yaml(server: "https://api:6443", user: ["username: admin", "password: admin"]), "basic auth"
            ),
            (
                "token with newline", Kubeconfigs.yaml(server: "https://api:6443", user: ["token: \"a\\nb\""]),
                "HTTP header"
            ),
            ("not YAML", "clusters: [\n", "parse kubeconfig"),
        ]
        for (name, yaml, expected) in cases {
            try write(yaml, to: dir + "/config")
            let error = loadError { try KubeCredentials.load(kubeconfig: dir + "/config", environment: [:]) }
            XCTAssertTrue(error?.description.contains(expected) ?? false, "\(name): \(String(describing: error))")
        }
    }

    func testOversizedKubeconfigIsRefused() throws {
        let dir = try makeTemporaryDirectory(self)
        let padding = "# " + String(repeating: "x", count: 1 << 20) + "\n"
        try write(Kubeconfigs.yaml(server: "https://api:6443", user: ["token: t"]) + padding, to: dir + "/config")
        let error = loadError { try KubeCredentials.load(kubeconfig: dir + "/config", environment: [:]) }
        XCTAssertEqual(error?.kind, .configuration)
        XCTAssertTrue(error?.description.contains("larger than 1048576 bytes") ?? false, "\(String(describing: error))")
    }

    func testNodeNamesMustBeDNSSubdomains() {
        for good in ["node-a", "ip-10-0-0-5.eu-west-1.compute.internal", "a", String(repeating: "a", count: 63)] {
            XCTAssertNoThrow(try NodeName.validate(good), good)
        }
        for bad in ["", "Node-A", "-a", "a-", "a..b", "a/b", "a b", "a=b&c", String(repeating: "a", count: 64), "ä"] {
            XCTAssertThrowsError(try NodeName.validate(bad), bad) { error in
                XCTAssertEqual((error as? KubeError)?.kind, .invalidNodeName)
            }
        }
    }

    /// A service-account directory like the one kubelet mounts.
    private func makeServiceAccount(token: String = "sa-token") throws -> String {
        let dir = try makeTemporaryDirectory(self)
        try write(token, to: dir + "/token")
        try write("default", to: dir + "/namespace")
        try FileManager.default.copyItem(atPath: pki.caCertificate, toPath: dir + "/ca.crt")
        return dir
    }
}
