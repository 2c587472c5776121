/// One line of `/proc/<pid>/mountinfo` (proc(5)), with the octal escapes
/// the kernel uses for space, tab, newline and backslash (`\040`...) decoded.
public struct MountInfoEntry: Sendable, Equatable {
    public var mountID: Int
    public var parentID: Int
    /// The directory of the filesystem that is mounted (`/` for a whole fs;
    /// a cgroup path for a cgroup2 mount seen from a cgroup namespace).
    public var root: String
    public var mountPoint: String
    public var fsType: String
    public var source: String

    /// nil for a line that does not have the mountinfo shape.
    public init?(line: Substring) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
        guard fields.count >= 9, let separator = fields[6...].firstIndex(of: "-"),
            separator + 2 < fields.count, let mountID = Int(fields[0]), let parentID = Int(fields[1])
        else { return nil }
        self.mountID = mountID
        self.parentID = parentID
        root = Self.unescape(fields[3])
        mountPoint = Self.unescape(fields[4])
        fsType = Self.unescape(fields[separator + 1])
        source = Self.unescape(fields[separator + 2])
    }

    public static func parse(_ text: String) -> [MountInfoEntry] {
        text.split(separator: "\n").compactMap { MountInfoEntry(line: $0) }
    }

    static func unescape(_ field: Substring) -> String {
        let bytes = Array(field.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\"), index + 3 < bytes.count,
                let value = octal(bytes[(index + 1)...(index + 3)])
            {
                out.append(value)
                index += 4
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }
}

/// Where the cgroup v2 hierarchy is mounted. Found from mountinfo, never
/// assumed: a unified host has it on `/sys/fs/cgroup`, a hybrid one (this
/// machine) on `/sys/fs/cgroup/unified`.
public struct CgroupMount: Sendable, Equatable {
    public var mountPoint: String
    /// The cgroup the mount shows as its top, `/` outside a cgroup namespace.
    public var root: String

    public init(mountPoint: String, root: String = "/") {
        self.mountPoint = mountPoint
        self.root = root
    }

    /// The first cgroup2 mount showing the whole hierarchy (root `/`), else
    /// the first cgroup2 mount; nil when there is none (a pure v1 host).
    public static func find(mountInfo text: String) -> CgroupMount? {
        let mounts = MountInfoEntry.parse(text).filter { $0.fsType == "cgroup2" }
        guard let mount = mounts.first(where: { $0.root == "/" }) ?? mounts.first else { return nil }
        return CgroupMount(mountPoint: mount.mountPoint, root: mount.root)
    }

    /// Reads `/proc/self/mountinfo`.
    public static func current(mountInfoPath: String = "/proc/self/mountinfo") throws -> CgroupMount {
        let bytes = try StateFiles.readFile(mountInfoPath, limit: 16 << 20, input: "mountinfo")
        guard let mount = find(mountInfo: String(decoding: bytes, as: UTF8.self)) else {
            throw ContainerInputError(input: "mountinfo", message: "no cgroup2 filesystem is mounted")
        }
        return mount
    }

    /// The directory of a cgroup given as a path in the hierarchy (as in
    /// `/proc/<pid>/cgroup`), checked so that it stays below the mount.
    public func directory(ofCgroup path: String) throws -> String {
        let path = try CgroupPath.validate(path)
        var relative = path
        if root != "/" {
            guard path == root || path.hasPrefix(root + "/") else {
                throw ContainerInputError(
                    input: "cgroup path", message: "\(path) is outside the cgroup2 mount's root \(root)")
            }
            relative = String(path.dropFirst(root.count))
        }
        let base = mountPoint == "/" ? "" : mountPoint
        return relative == "/" || relative.isEmpty ? mountPoint : base + relative
    }

    /// The cgroup id of a cgroup given as a path in the hierarchy.
    public func cgroupID(ofCgroup path: String) throws -> UInt64 {
        try CgroupPath.cgroupID(directory: directory(ofCgroup: path))
    }

    /// The cgroup v2 path and id of a running process.
    public func cgroup(ofProcess pid: Int32, procRoot: String = "/proc") throws -> (
        path: String, id: UInt64
    ) {
        let path = try CgroupPath.ofProcess(pid, procRoot: procRoot)
        return (path, try cgroupID(ofCgroup: path))
    }
}
