import Foundation
import XCTest

/// A throwaway PKI made with the openssl CLI: a cluster CA, a server certificate
/// for 127.0.0.1 (IP SAN) signed by it, a client certificate signed by it, and an
/// unrelated CA that signed nothing the server uses.
struct TestPKI {
    let directory: String
    var caCertificate: String { directory + "/ca.crt" }
    var serverCertificate: String { directory + "/server.crt" }
    var serverKey: String { directory + "/server.key" }
    var clientCertificate: String { directory + "/client.crt" }
    var clientKey: String { directory + "/client.key" }
    var otherCACertificate: String { directory + "/other-ca.crt" }

    /// P-256 keys: generated in milliseconds, unlike RSA.
    private static let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    init(directory: String) throws {
        self.directory = directory
        let caExtensions = [
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ]
        for name in ["ca", "other-ca"] {
            try runTool(
                "openssl",
                ["req", "-x509"] + Self.newKey + [
                    "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).crt",
                    "-days", "2", "-subj", "/CN=tailtrace-test-\(name)",
                ] + caExtensions)
        }
        try issue(
            "server", subject: "/CN=kube-apiserver",
            extensions: "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        try issue(
            "client", subject: "/O=system:masters/CN=tailtrace-client",
            extensions: "extendedKeyUsage=clientAuth\n")
    }

    private func issue(_ name: String, subject: String, extensions: String) throws {
        let extFile = "\(directory)/\(name).ext"
        try ("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" + extensions)
            .write(toFile: extFile, atomically: true, encoding: .utf8)
        try runTool(
            "openssl",
            ["req"] + Self.newKey + [
                "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", subject,
            ])
        try runTool(
            "openssl",
            [
                "x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", caCertificate,
                "-CAkey", "\(directory)/ca.key", "-set_serial", "\(Int.random(in: 1000...999_999))",
                "-days", "2", "-out", "\(directory)/\(name).crt", "-extfile", extFile,
            ])
    }
}

/// Runs a tool from PATH and fails with its stderr when it exits non-zero.
func runTool(_ tool: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestFailure(
            "\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): "
                + String(decoding: message, as: UTF8.self))
    }
}

/// A fresh directory under the temp dir, removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("tailtrace-kube-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

func write(_ text: String, to path: String) throws {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

func contents(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}
