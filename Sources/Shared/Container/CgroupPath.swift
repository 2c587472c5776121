import Glibc

/// What a cgroup path says about the container in it.
public struct CgroupContainerReference: Sendable, Equatable {
    /// nil when the shape does not name the runtime (cgroupfs kubepods paths).
    public var runtime: ContainerRuntime?
    public var id: String
    /// Kubernetes pod uid, with the dashes systemd slice names replace by `_`.
    public var podUID: String?
    /// The containerd namespace for `ctr` paths (`/default/<id>`).
    public var containerdNamespace: String?

    public init(
        runtime: ContainerRuntime?, id: String, podUID: String? = nil,
        containerdNamespace: String? = nil
    ) {
        self.runtime = runtime
        self.id = id
        self.podUID = podUID
        self.containerdNamespace = containerdNamespace
    }
}

/// Cgroup v2 paths: reading a task's, checking them, turning them into ids,
/// and recognising the shapes container runtimes give them.
public enum CgroupPath {
    /// The path of `pid` in the cgroup v2 hierarchy, from the `0::` line of
    /// `/proc/<pid>/cgroup`.
    public static func ofProcess(_ pid: Int32, procRoot: String = "/proc") throws -> String {
        let file = "\(procRoot)/\(pid)/cgroup"
        let bytes = try StateFiles.readFile(file, limit: 1 << 20, input: "cgroup")
        guard let path = unifiedPath(procCgroup: String(decoding: bytes, as: UTF8.self)) else {
            throw ContainerInputError(input: "cgroup", message: "\(file) has no cgroup v2 (0::) line")
        }
        return path
    }

    /// The path on the `0::` line. On a hybrid host that line is there
    /// beside the v1 controllers; a cgroup removed while the task still
    /// points at it is shown with a ` (deleted)` suffix, dropped here.
    public static func unifiedPath(procCgroup text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix("0::") {
            var path = line.dropFirst(3)
            if path.hasSuffix(" (deleted)") { path = path.dropLast(10) }
            return path.isEmpty ? nil : String(path)
        }
        return nil
    }

    /// Normalizes a path in the hierarchy (`//a/b/` → `/a/b`) and refuses
    /// what could leave the cgroup2 mount once joined to it: a relative
    /// path, `.`/`..` components, NUL or control characters.
    public static func validate(_ path: String) throws -> String {
        func reject(_ why: String) -> ContainerInputError {
            ContainerInputError(input: "cgroup path", message: "\(why): \(ContainerID.quoted(path))")
        }
        guard path.hasPrefix("/") else { throw reject("not absolute") }
        guard path.utf8.count < PATH_MAX else { throw reject("longer than PATH_MAX") }
        guard !path.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw reject("contains a control character")
        }
        let (normalized, dotted) = StateFiles.normalized(path)
        guard !dotted else { throw reject("has a '.' or '..' component") }
        return normalized.isEmpty ? "/" : normalized
    }

    /// The cgroup id: on cgroup2 the inode number of a cgroup's directory is
    /// its kernfs node id, which is what `bpf_get_current_cgroup_id()`
    /// returns (64-bit since Linux 5.5).
    public static func cgroupID(directory: String) throws -> UInt64 {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            throw FileSystemError(operation: "stat", path: directory, errno: errno)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw FileSystemError(operation: "stat", path: directory, errno: ENOTDIR)
        }
        return UInt64(info.st_ino)
    }

    /// The container a cgroup path belongs to, from the shapes runtimes use:
    ///
    /// | shape | runtime |
    /// |---|---|
    /// | `.../libpod-<id>`, `.../libpod-<id>.scope` | podman (cgroupfs, systemd) |
    /// | `.../crio-<id>.scope` | CRI-O |
    /// | `.../cri-containerd-<id>.scope` | containerd CRI, systemd driver |
    /// | `.../docker-<id>.scope`, `/docker/<id>` | docker |
    /// | `/kubepods[/<qos>]/pod<uid>/<id>` | Kubernetes, cgroupfs driver |
    /// | `/<namespace>/<id>` | `ctr run` (containerd namespace) |
    ///
    /// `libpod-conmon-<id>` and `crio-conmon-<id>.scope` hold the runtime's
    /// monitor, a host process, not the container: nil. A sub-cgroup of a
    /// container (`crio-<id>.scope/container`) belongs to that container.
    /// The `ctr` shape is a guess that reconcile confirms with the runtime.
    public static func containerReference(fromPath path: String) -> CgroupContainerReference? {
        guard let path = try? validate(path) else { return nil }
        let components = path.split(separator: "/").map(String.init)
        let pod = components.lazy.compactMap(podUID(ofComponent:)).last
        for index in components.indices.reversed() {
            let component = components[index]
            if component.hasPrefix("libpod-conmon-") || component.hasPrefix("crio-conmon-") { return nil }
            if let (runtime, id) = scopedContainer(component) {
                return CgroupContainerReference(runtime: runtime, id: id, podUID: pod)
            }
            if index > 0, podUID(ofComponent: components[index - 1]) != nil,
                ContainerID.isValid(component)
            {
                return CgroupContainerReference(runtime: nil, id: component, podUID: pod)
            }
        }
        guard components.count == 2, ContainerID.isValid(components[0]),
            ContainerID.isValid(components[1]),
            !components.contains(where: isSystemdUnit)
        else { return nil }
        switch components[0] {
        case "docker": return CgroupContainerReference(runtime: .docker, id: components[1])
        case "libpod_parent", "kubepods", "machine", "user", "system": return nil
        default:
            return CgroupContainerReference(
                runtime: .containerd, id: components[1], containerdNamespace: components[0])
        }
    }

    private static let scopePrefixes: [(prefix: String, runtime: ContainerRuntime, scopeOnly: Bool)] =
        [
            ("cri-containerd-", .containerd, true),
            ("crio-", .crio, true),
            ("docker-", .docker, true),
            // podman's cgroupfs driver names the cgroup without `.scope`.
            ("libpod-", .podman, false),
        ]

    private static func scopedContainer(_ component: String) -> (ContainerRuntime, String)? {
        for (prefix, runtime, scopeOnly) in scopePrefixes where component.hasPrefix(prefix) {
            var id = Substring(component.dropFirst(prefix.count))
            if id.hasSuffix(".scope") {
                id = id.dropLast(6)
            } else if scopeOnly {
                continue
            }
            return ContainerID.isValid(String(id)) ? (runtime, String(id)) : nil
        }
        return nil
    }

    /// `pod<uid>` (cgroupfs) or `kubepods[-<qos>]-pod<uid_with_underscores>.slice`
    /// (systemd; kubelet may sit in a parent slice, giving `kubelet-kubepods-...`).
    private static func podUID(ofComponent component: String) -> String? {
        let uid: Substring
        if component.hasPrefix("pod") {
            uid = component.dropFirst(3)
        } else if component.hasSuffix(".slice"),
            let last = component.dropLast(6).split(separator: "-").last, last.hasPrefix("pod")
        {
            uid = last.dropFirst(3)
        } else {
            return nil
        }
        let normalized = String(uid.map { $0 == "_" ? "-" : $0 })
        guard !normalized.isEmpty, normalized.utf8.count <= 64,
            normalized.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || isHexDigit($0) })
        else { return nil }
        return normalized
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    private static func isSystemdUnit(_ component: String) -> Bool {
        [".slice", ".scope", ".service", ".mount", ".socket"].contains { component.hasSuffix($0) }
    }

    /// The cgroup path a runtime derives from `linux.cgroupsPath`:
    ///
    /// - cgroupfs driver: an absolute path, used as is (`/libpod_parent/libpod-<id>`).
    /// - systemd driver: `slice:prefix:name` → `<expanded slice>/<prefix>-<name>.scope`,
    ///   e.g. CRI-O's `kubepods-besteffort-pod<uid>.slice:crio:<id>` →
    ///   `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<uid>.slice/crio-<id>.scope`.
    ///   An empty slice is `system.slice`, as in runc.
    ///
    /// nil for a relative cgroupfs path: runc puts it below its own cgroup,
    /// which only `/proc/<pid>/cgroup` tells for sure.
    public static func fromCgroupsPath(_ cgroupsPath: String) -> String? {
        if cgroupsPath.hasPrefix("/") { return try? validate(cgroupsPath) }
        let parts = cgroupsPath.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[2].isEmpty, !parts[2].hasSuffix(".slice"),
            let slice = expandSlice(parts[0].isEmpty ? "system.slice" : String(parts[0]))
        else { return nil }
        let unit = (parts[1].isEmpty ? "" : parts[1] + "-") + parts[2] + ".scope"
        guard !unit.contains("/") else { return nil }
        return try? validate((slice == "/" ? "" : slice) + "/" + unit)
    }

    /// systemd's slice naming: `a-b-c.slice` lives at
    /// `/a.slice/a-b.slice/a-b-c.slice`; `-.slice` is the root.
    public static func expandSlice(_ slice: String) -> String? {
        guard slice.hasSuffix(".slice"), !slice.contains("/") else { return nil }
        let name = slice.dropLast(6)
        if name == "-" { return "/" }
        var path = ""
        var prefix = ""
        for component in name.split(separator: "-", omittingEmptySubsequences: false) {
            guard !component.isEmpty else { return nil }
            path += "/" + prefix + component + ".slice"
            prefix += component + "-"
        }
        return path
    }
}
