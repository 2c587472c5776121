import ArgumentParser
import Shared
import TailcallPool

/// Where an installation and its state live; every command takes these.
struct GlobalOptions: ParsableArguments {
    @Option(help: "bpffs directory of the installation (default /sys/fs/bpf/tailtrace, env TAILTRACE_PIN_ROOT).")
    var pinRoot: String?

    @Option(help: "Directory of the running containers' metadata (default /run/tailtrace, env TAILTRACE_STATE_DIR).")
    var stateDir: String?

    @Option(help: "Directory of stopped containers' traces (default /var/lib/tailtrace/archive, env TAILTRACE_ARCHIVE_DIR).")
    var archiveDir: String?

    func paths() throws -> TailtracePaths {
        try TailtracePaths(pinRoot: pinRoot, stateDirectory: stateDir, archiveDirectory: archiveDir)
    }

    func recorder() throws -> FlightRecorder {
        try FlightRecorder(paths: paths())
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// A failure the user can act on: printed as one line, exit status 1.
struct UserError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

func writeOut(_ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        if n <= 0 { return }
        offset += n
    }
}

func writeOut(_ text: String) { writeOut(Array(text.utf8)) }

/// One line on stderr, prefixed with the program name.
func printError(_ message: String) {
    let line = Array("tailtrace: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

#if canImport(Glibc)
    import Glibc
#endif
