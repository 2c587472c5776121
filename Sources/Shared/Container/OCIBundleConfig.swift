import FoundationEssentials

/// The parts of a bundle's `config.json` tailtrace uses. The rest (mounts,
/// seccomp, capabilities: most of a podman config's 11 KB) is skipped.
public struct OCIBundleConfig: Sendable, Equatable {
    /// A config with a large seccomp profile is ~15 KB; 4 MiB is generous.
    public static let maximumSize = 4 << 20

    public var annotations: [String: String]
    /// `linux.cgroupsPath` as the runtime was given it: an absolute cgroupfs
    /// path (`/libpod_parent/libpod-<id>`) or, with the systemd cgroup
    /// driver, `slice:prefix:name`. See `CgroupPath.fromCgroupsPath`.
    public var cgroupsPath: String?
    public var hostname: String?
    /// `process.args`; empty when the config has no process.
    public var args: [String]

    public init(
        annotations: [String: String] = [:], cgroupsPath: String? = nil, hostname: String? = nil,
        args: [String] = []
    ) throws {
        if let cgroupsPath, cgroupsPath.utf8.contains(0) || cgroupsPath.utf8.count >= 4096 {
            throw ContainerInputError(
                input: "config.json", message: "bad linux.cgroupsPath \(ContainerID.quoted(cgroupsPath))")
        }
        self.annotations = annotations
        self.cgroupsPath = cgroupsPath?.isEmpty == true ? nil : cgroupsPath
        self.hostname = hostname
        self.args = args
    }

    /// Decodes a config; unknown fields are ignored, wrong types are errors.
    public init(json bytes: [UInt8]) throws {
        let wire = try JSONInput.decode(Wire.self, from: bytes, input: "config.json")
        try self.init(
            annotations: wire.annotations ?? [:], cgroupsPath: wire.linux?.cgroupsPath,
            hostname: wire.hostname, args: wire.process?.args ?? [])
    }

    /// Reads `<bundle>/config.json`; `bundle` comes from a validated `OCIState`.
    public static func load(bundle: String, limit: Int = maximumSize) throws -> OCIBundleConfig {
        let path = try OCIState.validateBundle(bundle) + "/config.json"
        return try OCIBundleConfig(json: StateFiles.readFile(path, limit: limit, input: "config.json"))
    }

    private struct Wire: Decodable {
        struct Linux: Decodable { var cgroupsPath: String? }
        struct Process: Decodable { var args: [String]? }
        var annotations: [String: String]?
        var linux: Linux?
        var hostname: String?
        var process: Process?
    }
}
