import ArgumentParser
import Glibc
import Shared
import TailcallPool
import TraceFormat

/// Where an installation and its state live; every command takes these.
public struct GlobalOptions: ParsableArguments {
    @Option(help: "bpffs directory of the installation (default /sys/fs/bpf/tailtrace, env TAILTRACE_PIN_ROOT).")
    public var pinRoot: String?

    @Option(help: "Directory of the running containers' metadata (default /run/tailtrace, env TAILTRACE_STATE_DIR).")
    public var stateDir: String?

    @Option(
        help: "Directory of stopped containers' traces (default /var/lib/tailtrace/archive, env TAILTRACE_ARCHIVE_DIR)."
    )
    public var archiveDir: String?

    public init() {}

    /// Every command starts here. Pins, the state dir and the archive are
    /// made 0700 by root: another user would find nothing and take an empty
    /// listing for "nothing traced", so it is told instead.
    public func paths() throws -> TailtracePaths {
        guard geteuid() == 0 else {
            throw UserError(
                "tailtrace needs root: it loads BPF programs, and its pins, container state and archived traces are root's only"
            )
        }
        return try TailtracePaths(pinRoot: pinRoot, stateDirectory: stateDir, archiveDirectory: archiveDir)
    }

    /// The installation, for commands that change or follow what is traced.
    public func recorder() throws -> FlightRecorder {
        try FlightRecorder(paths: paths())
    }

    /// What was recorded, with or without an installation (`list`, `dump`).
    public func traces() throws -> RecordedTraces {
        try RecordedTraces(paths: paths())
    }
}

/// `--output text|json` of every command: the formatter's two styles.
public typealias OutputFormat = TraceFormatter.Style
extension TraceFormatter.Style: ExpressibleByArgument, CaseIterable {
    public static var allCases: [TraceFormatter.Style] { [.text, .json] }
}

/// A failure the user can act on: printed as one line, exit status 1.
public struct UserError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

public func writeOut(_ bytes: [UInt8]) { bytes.withUnsafeBufferPointer { writeOut($0) } }

public func writeOut(_ out: borrowing OutputBuffer) { out.withBytes { writeOut($0) } }

public func writeOut(_ bytes: UnsafeBufferPointer<UInt8>) {
    var offset = 0
    while offset < bytes.count {
        let n = write(1, bytes.baseAddress! + offset, bytes.count - offset)
        if n <= 0 { return }
        offset += n
    }
}

public func writeOut(_ text: String) { writeOut(Array(text.utf8)) }

/// One line on stderr, prefixed with the program name.
public func printError(_ message: String) {
    let line = Array("tailtrace: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
