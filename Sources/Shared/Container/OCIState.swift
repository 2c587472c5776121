import FoundationEssentials
import Glibc

/// The OCI runtime-spec state a runtime writes to a hook's stdin.
///
/// runc passes the host pid of the container's init at `createRuntime` and
/// `prestart`; at `poststop` the status is `stopped` and there is no pid
/// (podman 4.3 + runc, checked on this machine), and the annotations are
/// only the ones podman keeps on the stopped container.
public struct OCIState: Sendable, Equatable {
    /// stdin is bounded: a state is a few hundred bytes plus annotations.
    public static let maximumSize = 1 << 20

    public struct Status: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let creating = Status(rawValue: "creating")
        public static let created = Status(rawValue: "created")
        public static let running = Status(rawValue: "running")
        public static let stopped = Status(rawValue: "stopped")
        public var description: String { rawValue }
    }

    /// Missing in a state is tolerated: nothing here depends on it.
    public var ociVersion: String?
    /// Validated with `ContainerID.validate`.
    public var id: String
    public var status: Status
    /// The container's init in the host pid namespace; nil at poststop.
    public var pid: Int32?
    /// Absolute path of the bundle directory (holding `config.json`).
    public var bundle: String
    public var annotations: [String: String]

    public init(
        ociVersion: String? = nil, id: String, status: Status, pid: Int32? = nil, bundle: String,
        annotations: [String: String] = [:]
    ) throws {
        self.ociVersion = ociVersion
        self.id = try ContainerID.validate(id)
        self.status = status
        self.pid = pid
        self.bundle = try OCIState.validateBundle(bundle)
        self.annotations = annotations
        try validateStatusAndPid()
    }

    /// Decodes and validates a state; unknown fields are ignored.
    public init(json bytes: [UInt8]) throws {
        let wire = try JSONInput.decode(from: bytes, input: "OCI state") { try Wire($0) }
        // Decoded as Int64 so that an out-of-range pid gets its own message
        // rather than the decoder's "not valid JSON".
        if let pid = wire.pid, pid > Int32.max {
            throw ContainerInputError(input: "OCI state", message: "pid \(pid) out of range")
        }
        try self.init(
            ociVersion: wire.ociVersion, id: wire.id, status: Status(rawValue: wire.status),
            // Some runtimes report pid 0 for a container that has no process.
            pid: wire.pid.flatMap { $0 == 0 ? nil : Int32(clamping: $0) }, bundle: wire.bundle,
            annotations: wire.annotations ?? [:])
    }

    /// Reads the state from stdin (or `fd`), at most `limit` bytes.
    public static func read(fd: Int32 = STDIN_FILENO, limit: Int = maximumSize) throws -> OCIState {
        let bytes = try StateFiles.readAll(fd: fd, limit: limit, input: "OCI state", path: "stdin")
        return try OCIState(json: bytes)
    }

    private func validateStatusAndPid() throws {
        let raw = status.rawValue
        guard !raw.isEmpty, raw.utf8.count <= 32, raw.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw ContainerInputError(
                input: "OCI state", message: "bad status \(ContainerID.quoted(raw))")
        }
        if let pid, pid < 0 {
            throw ContainerInputError(input: "OCI state", message: "negative pid \(pid)")
        }
    }

    /// The bundle is joined with `config.json` and read as root, so it must
    /// be an absolute, normalized path.
    static func validateBundle(_ bundle: String) throws -> String {
        func reject(_ why: String) -> ContainerInputError {
            ContainerInputError(
                input: "OCI state", message: "bundle \(why): \(ContainerID.quoted(bundle))")
        }
        guard bundle.hasPrefix("/") else { throw reject("is not an absolute path") }
        guard bundle.utf8.count < PATH_MAX else { throw reject("is longer than PATH_MAX") }
        guard !bundle.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw reject("contains a control character")
        }
        guard !StateFiles.normalized(bundle).hasDotComponent else {
            throw reject("has a '.' or '..' component")
        }
        return bundle
    }

    /// Read by hand (`JSONObject`): every hook reads one.
    private struct Wire {
        var ociVersion: String?
        var id: String
        var status: String
        var pid: Int64?
        var bundle: String
        var annotations: [String: String]?

        enum Key: String, CodingKey { case ociVersion, id, status, pid, bundle, annotations }

        init(_ object: JSONObject) throws {
            ociVersion = try object.stringIfPresent(Key.ociVersion)
            id = try object.string(Key.id)
            status = try object.string(Key.status)
            pid = try object.integerIfPresent(Key.pid, as: Int64.self)
            bundle = try object.string(Key.bundle)
            annotations = try object.stringsIfPresent(Key.annotations)
        }
    }
}
