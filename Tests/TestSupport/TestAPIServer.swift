import Foundation
import XCTest

/// testdata/kube-apiserver.py, started for one test and stopped by pid when the
/// test ends (pass or fail), or when its owner calls `stop()` (no test given:
/// a fixture shared by the tests of a class).
final class TestAPIServer: @unchecked Sendable {
    let process = Process()
    let port: Int
    let log: String
    /// Held open until stopped; if this test process dies first, the kernel
    /// closes it and the server exits on EOF instead of lingering.
    private let lifeline = Pipe()
    var server: String { "https://127.0.0.1:\(port)" }

    static var script: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("testdata/kube-apiserver.py").path
    }

    /// Starts the server and waits for the port line on its stdout.
    init(_ test: XCTestCase?, pki: TestPKI, token: String, pods: String, arguments: [String] = []) throws {
        log = pods + ".server.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        // Any python3 ≥ 3.7 does; the system one starts faster than a pyenv shim.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = []
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3"]
        }
        process.arguments! +=
            [
                Self.script, "--cert", pki.serverCertificate, "--key", pki.serverKey,
                "--token", token, "--pods", pods, "--port", "0", "--exit-on-stdin-eof",
            ] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardInput = lifeline
        try process.run()

        let (process, lifeline) = (self.process, self.lifeline)
        test?.addTeardownBlock {
            TestAPIServer.stop(process)
            try? lifeline.fileHandleForWriting.close()
        }

        // Read the first line off the main path so a server that never prints
        // fails the test after a bound instead of hanging it.
        final class Line: @unchecked Sendable { var text = "" }
        let line = Line()
        let done = DispatchSemaphore(value: 0)
        let reader = output.fileHandleForReading
        Thread.detachNewThread {
            var bytes = Data()
            while !bytes.contains(UInt8(ascii: "\n")) {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                bytes.append(chunk)
            }
            line.text = String(decoding: bytes, as: UTF8.self)
            done.signal()
        }
        guard done.wait(timeout: .now() + 30) == .success,
            let port = Int(line.text.split(separator: "\n").first ?? "")
        else {
            Self.stop(process)
            let errors = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw TestFailure("kube-apiserver.py did not report a port: \(line.text) \(errors)")
        }
        self.port = port
    }

    /// SIGTERM by pid (SIGKILL if it is still there after 5 s), then reap it.
    func stop() {
        Self.stop(process)
        try? lifeline.fileHandleForWriting.close()
    }

    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}
