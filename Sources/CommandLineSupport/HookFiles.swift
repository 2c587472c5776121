import FoundationEssentials
import Glibc
import Shared

/// The OCI hooks.d (1.0.0) files of the two hook executables, for CRI-O and
/// podman (`/usr/share/containers/oci/hooks.d`, or `--hooks-dir`).
public enum HookFiles {
    public static let defaultLibexec = "/usr/local/libexec/tailtrace"
    static let executables = ["ocihook-prestart", "ocihook-poststop"]

    /// One hooks.d file (OCI hooks 1.0.0, as CRI-O and podman read it).
    struct Config: Encodable {
        struct Hook: Encodable {
            var path: String
            var args: [String]
            var timeout = 10
        }
        struct When: Encodable {
            var always: Bool?
            var annotations: [String: String]?
        }
        var version = "1.0.0"
        var hook: Hook
        var when: When
        var stages: [String]
    }

    /// hooks.d JSON for one stage. Conditions in 1.0.0 are AND-ed; the one
    /// annotation pattern opts in with either tailtrace annotation.
    static func json(executable: String, path: String, stage: String, args: [String], always: Bool) throws -> [UInt8] {
        let when =
            always
            ? Config.When(always: true) : Config.When(annotations: [#"^io\.tailtrace\.(trace|required)$"#: "^true$"])
        let config = Config(hook: .init(path: path, args: [executable] + args), when: when, stages: [stage])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(config)) + [UInt8(ascii: "\n")]
    }

    /// Copies the hook executables next to this tailtrace into `libexec`
    /// (unless they are already there) and writes the hooks.d files into
    /// `hooksDir`, passing the installation's paths to the hooks. `hostRoot`:
    /// where the host's `/` is mounted when run in a pod (`tailtrace node`);
    /// files go below it, the paths written into them are the host's.
    public static func install(
        hooksDir: String, libexec: String, paths: TailtracePaths, always: Bool, hostRoot: String = "/"
    ) throws {
        // beside this tailtrace (a build), or in libexec (the node image)
        let candidates = [Executables.directory(), defaultLibexec]
        guard let here = candidates.first(where: { access($0 + "/" + executables[0], X_OK) == 0 }) else {
            throw UserError("the hook executables are in none of \(candidates.joined(separator: ", "))")
        }
        let base = hostRoot == "/" ? "" : hostRoot
        try makeDirectory(base + libexec, mode: 0o755)
        try makeDirectory(base + hooksDir, mode: 0o755)
        var args = ["--pin-root", paths.pinRoot, "--state-dir", paths.stateDirectory, "--archive-dir", paths.archiveDirectory]
        if always { args.append("--always") }
        // The hooks are static executables (Package.swift): the host runs
        // them as they are, libbpf or not.
        for (executable, stage) in zip(executables, ["prestart", "poststop"]) {
            let source = here + "/" + executable
            let target = libexec + "/" + executable
            if Executables.realpath(source) != Executables.realpath(base + target) {
                try copyFile(source, to: base + target, mode: 0o755)
            }
            let text = try json(executable: executable, path: target, stage: stage, args: args, always: always)
            try StateFiles.writeAtomically(
                directory: base + hooksDir, name: "tailtrace-\(stage).json", bytes: text, mode: 0o644)
        }
    }

    static func makeDirectory(_ path: String, mode: mode_t) throws {
        var st = stat()
        if stat(path, &st) == 0 { return }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectory(String(path[..<slash]), mode: mode)
        }
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw UserError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func copyFile(_ source: String, to target: String, mode: mode_t) throws {
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw UserError("cannot read \(source): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 { throw UserError("cannot read \(source): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[..<n])
        }
        try StateFiles.writeAtomically(path: target, bytes: bytes, mode: mode)
    }
}
