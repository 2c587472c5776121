import Glibc

/// The hooks' error log: one line per event, to stderr (which the runtime
/// may or may not keep) and to a size-bounded file under the state dir.
/// When the file reaches `maximumBytes` it is renamed to `<file>.1`
/// (replacing the previous one), so the log never holds more than twice
/// that. Logging never fails the hook: errors here are ignored.
public struct HookLog: Sendable {
    public static let defaultMaximumBytes = 1 << 20
    /// A line longer than this is cut; it is an error message, not a dump.
    public static let maximumLineBytes = 4096

    public let path: String
    public let maximumBytes: Int

    public init(path: String, maximumBytes: Int = defaultMaximumBytes) {
        self.path = path
        self.maximumBytes = maximumBytes
    }

    /// Logs `<RFC 3339 time> <program>[<pid>]: <message>`. Control characters
    /// in the message (which may quote container input) are escaped so one
    /// event stays one line.
    public func write(_ message: String, program: String, toStandardError: Bool = true) {
        let text = Self.oneLine(message)
        if toStandardError {
            let line = Array("\(program): \(text)\n".utf8)
            line.withUnsafeBytes { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
        let line = Array("\(RFC3339Time.now()) \(program)[\(getpid())]: \(text)\n".utf8)
        guard let fd = openForAppend() else { return }
        defer { close(fd) }
        // One write() on an O_APPEND file: lines from concurrent hooks do not interleave.
        line.withUnsafeBytes { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    private func openForAppend() -> Int32? {
        let flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW
        var fd = open(path, flags, StateFiles.fileMode)
        if fd < 0, errno == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            // The state dir is missing (tailtrace not installed yet): create
            // it, one level only, so nothing is written outside it.
            mkdir(String(path[..<slash]), StateFiles.directoryMode)
            fd = open(path, flags, StateFiles.fileMode)
        }
        guard fd >= 0 else { return nil }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size >= maximumBytes {
            close(fd)
            rename(path, path + ".1")
            fd = open(path, flags, StateFiles.fileMode)
            guard fd >= 0 else { return nil }
        }
        return fd
    }

    static func oneLine(_ message: String) -> String {
        var out = ""
        for scalar in message.unicodeScalars {
            if out.utf8.count >= maximumLineBytes {
                out += "..."
                break
            }
            if scalar.value < 0x20 || scalar.value == 0x7f {
                out +=
                    scalar == "\n" ? "\\n" : scalar == "\t" ? "\\t" : "\\x" + String(scalar.value, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
