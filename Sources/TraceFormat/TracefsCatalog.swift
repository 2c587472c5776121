import Shared

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Syscall argument names and types from the kernel's own tracepoint
/// formats, `<tracefs>/events/syscalls/sys_enter_<name>/format`, loaded on
/// first use and cached per syscall name (misses too).
///
/// The formats describe the running kernel, so a new syscall or a renamed
/// argument needs no table update here. They need tracefs: when it is not
/// mounted or not readable (no root), every lookup returns nil and the
/// formatter falls back to generic `arg0`...`arg5`.
public struct TracefsCatalog: Sendable {
    /// The tracefs root in use (`/sys/kernel/tracing`, or
    /// `/sys/kernel/debug/tracing` on older setups), nil when none was found.
    public let root: String?
    private var cache: [String: TracefsFormat?]

    /// Finds tracefs through /proc/self/mountinfo.
    public init() {
        self.init(root: Self.discoverRoot())
    }

    /// Reads formats below `root` (a tracefs mount point); nil reads nothing.
    public init(root: String?) {
        self.root = root
        self.cache = [:]
    }

    /// A fixed set of formats keyed by syscall name (`openat`), for tests and
    /// for machines without tracefs: nothing is read from disk.
    public init(formats: [String: TracefsFormat]) {
        self.root = nil
        self.cache = formats.mapValues { Optional($0) }
    }

    /// The format of `sys_enter_<syscall>`, or nil when the kernel has no
    /// such event (e.g. the i386-only `_llseek`, or a syscall the kernel
    /// does not trace).
    public mutating func format(forSyscall syscall: String) -> TracefsFormat? {
        if let hit = cache[syscall] { return hit }
        var loaded: TracefsFormat?
        if let root, Self.isPlainName(syscall),
            let bytes = try? StateFiles.readFile(
                "\(root)/events/syscalls/sys_enter_\(syscall)/format", limit: 1 << 20, input: "tracefs format"),
            case let text = String(decoding: bytes, as: UTF8.self)
        {
            loaded = TracefsFormat.parse(text)
        }
        cache[syscall] = loaded
        return loaded
    }

    /// Syscall names are C identifiers; anything else must never reach a path.
    static func isPlainName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64
            && s.utf8.allSatisfy {
                $0 == UInt8(ascii: "_") || (48...57).contains($0) || (97...122).contains($0) || (65...90).contains($0)
            }
    }

    /// The first tracefs root that has syscall events: mounts listed in
    /// /proc/self/mountinfo first, then the two conventional paths (the
    /// kernel automounts tracefs on `debug/tracing` since 4.1 when debugfs
    /// is mounted, and on `/sys/kernel/tracing` only when someone mounted it).
    public static func discoverRoot() -> String? {
        var candidates: [String] = []
        if let mountinfo = try? StateFiles.readFile("/proc/self/mountinfo", limit: 16 << 20, input: "mountinfo") {
            candidates = rootCandidates(mountinfo: String(decoding: mountinfo, as: UTF8.self))
        }
        candidates += ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        return candidates.first { access("\($0)/events/syscalls", R_OK | X_OK) == 0 }
    }

    /// Tracefs roots named by a mountinfo text, best first: tracefs mounts,
    /// then `<debugfs>/tracing`. Only mounts of the filesystem's root (`/`)
    /// count; a bind mount of a sub-directory is not a tracefs root.
    public static func rootCandidates(mountinfo: String) -> [String] {
        var tracefs: [String] = []
        var debugfs: [String] = []
        for mount in MountInfoEntry.parse(mountinfo) where mount.root == "/" {
            switch mount.fsType {
            case "tracefs": tracefs.append(mount.mountPoint)
            case "debugfs": debugfs.append(mount.mountPoint == "/" ? "/tracing" : mount.mountPoint + "/tracing")
            default: break
            }
        }
        // The conventional path wins among several mounts.
        tracefs.sort { ($0 == "/sys/kernel/tracing" ? 0 : 1) < ($1 == "/sys/kernel/tracing" ? 0 : 1) }
        return tracefs + debugfs
    }
}
