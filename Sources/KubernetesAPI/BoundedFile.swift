import Foundation

/// Reads small credential files (kubeconfig, token, certificates) with a size
/// bound, so a path pointing at a huge file or a device never eats memory.
enum BoundedFile {
    /// Kubeconfigs, tokens and PEM files are a few KiB; 1 MiB is generous.
    static let defaultLimit = 1 << 20

    static func read(_ path: String, what: String, limit: Int = defaultLimit) throws -> [UInt8] {
        let operation = "read \(what) \(path)"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw KubeError(.configuration, operation, errnoText()) }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw KubeError(.configuration, operation, errnoText()) }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw KubeError(.configuration, operation, "is a directory")
        }

        // Read one byte past the limit to tell "exactly the limit" from "too large";
        // st_size is not trusted (procfs, pipes and FIFOs report 0).
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                Foundation.read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw KubeError(.configuration, operation, errnoText())
            }
            if n == 0 { break }
            filled += n
        }
        guard filled <= limit else {
            throw KubeError(.configuration, operation, "larger than \(limit) bytes")
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    private static func errnoText() -> String {
        let code = errno
        return "\(String(cString: strerror(code))) (errno \(code))"
    }
}
