import Glibc

/// A failed kernel or libbpf operation: what was attempted, the errno, and a
/// message a user can act on.
public struct BPFError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let errno: Int32
    public let hint: String?

    public init(_ operation: String, errno: Int32, hint: String? = nil) {
        self.operation = operation
        self.errno = errno < 0 ? -errno : errno
        self.hint = hint
    }

    public var description: String {
        var text = "\(operation): \(String(cString: strerror(errno)))"
        if let hint { text += " (\(hint))" }
        return text
    }

    /// Checks a libbpf-style return (negative errno, or -1 with errno set).
    @discardableResult
    static func check(_ rc: Int32, _ operation: @autoclosure () -> String, hint: String? = nil) throws -> Int32 {
        if rc >= 0 { return rc }
        let err = rc == -1 ? Glibc.errno : -rc
        throw BPFError(operation(), errno: err, hint: hint ?? BPFError.hint(for: err))
    }

    static func hint(for err: Int32) -> String? {
        switch err {
        case EPERM: return "tailtrace needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)"
        default: return nil
        }
    }
}
