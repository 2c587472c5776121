import Glibc

/// Input that tailtrace refuses: malformed or oversized JSON, an id or name
/// that must not touch a path, a cgroup path of an unknown shape.
public struct ContainerInputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was being read, e.g. "OCI state", "config.json", "container id".
    public var input: String
    public var message: String

    public init(input: String, message: String) {
        self.input = input
        self.message = message
    }

    public var description: String { "\(input): \(message)" }
}

/// A failed system call on a file or directory: the operation, the path and
/// the errno, as swift-system reports them.
public struct FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
