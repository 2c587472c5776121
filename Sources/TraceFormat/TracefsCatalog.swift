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
            let text = readSmallFile("\(root)/events/syscalls/sys_enter_\(syscall)/format")
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
        if let mountinfo = readSmallFile("/proc/self/mountinfo", limit: 4 << 20) {
            candidates = rootCandidates(mountinfo: mountinfo)
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
        for line in mountinfo.split(separator: "\n") {
            // ID parent major:minor root mountpoint options [optional...] - fstype source super
            let fields = line.split(separator: " ")
            guard fields.count >= 7, let dash = fields.firstIndex(of: "-"), dash >= 6,
                dash + 1 < fields.count, fields[3] == "/"
            else { continue }
            let mountPoint = unescapeMountinfo(fields[4])
            switch fields[dash + 1] {
            case "tracefs": tracefs.append(mountPoint)
            case "debugfs": debugfs.append(mountPoint == "/" ? "/tracing" : mountPoint + "/tracing")
            default: break
            }
        }
        // The conventional path wins among several mounts.
        tracefs.sort { ($0 == "/sys/kernel/tracing" ? 0 : 1) < ($1 == "/sys/kernel/tracing" ? 0 : 1) }
        return tracefs + debugfs
    }

    /// mountinfo writes space, tab, newline and backslash in paths as `\ooo`.
    static func unescapeMountinfo(_ s: Substring) -> String {
        guard s.contains("\\") else { return String(s) }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count {
                let digits = b[(i + 1)...(i + 3)]
                if digits.allSatisfy({ (48...55).contains($0) }) {
                    let v = digits.reduce(0) { $0 * 8 + Int($1 - 48) }
                    out.append(UInt8(truncatingIfNeeded: v))
                    i += 4
                    continue
                }
            }
            out.append(b[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Reads a small (pseudo-)file whole. tracefs and procfs files report size 0
/// to stat, so this reads until EOF rather than trusting the size.
func readSmallFile(_ path: String, limit: Int = 1 << 20) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16384)
    while data.count < limit {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if n == 0 { break }
        data.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: data, as: UTF8.self)
}
