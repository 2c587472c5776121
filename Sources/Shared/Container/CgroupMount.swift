import CTailtrace
import Glibc

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
    public static func find(mountInfo text: String) -> CgroupMount? { find(mountInfo: Array(text.utf8)) }

    /// Only the lines of cgroup2 mounts are parsed: " - cgroup2 " is in a
    /// line exactly when its type is cgroup2 (" - " ends the optional
    /// fields, and a space in a path is written \040). A node's host has a
    /// mount or more per container; splitting every line into fields took
    /// ~3 µs a line here.
    static func find(mountInfo bytes: [UInt8]) -> CgroupMount? {
        let marker = Array(" - cgroup2 ".utf8)
        var mounts: [MountInfoEntry] = []
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            if contains(bytes[start..<end], marker),
                let entry = MountInfoEntry(line: Substring(String(decoding: bytes[start..<end], as: UTF8.self))),
                entry.fsType == "cgroup2"
            {
                mounts.append(entry)
            }
            start = end + 1
        }
        guard let mount = mounts.first(where: { $0.root == "/" }) ?? mounts.first else { return nil }
        return CgroupMount(mountPoint: mount.mountPoint, root: mount.root)
    }

    private static func contains(_ line: ArraySlice<UInt8>, _ marker: [UInt8]) -> Bool {
        guard line.count >= marker.count else { return false }
        var i = line.startIndex
        while i <= line.endIndex - marker.count {
            if line[i] == marker[0] && line[i..<i + marker.count].elementsEqual(marker) { return true }
            i += 1
        }
        return false
    }

    /// Reads `/proc/self/mountinfo`.
    public static func current(mountInfoPath: String = "/proc/self/mountinfo") throws -> CgroupMount {
        let bytes = try StateFiles.readFile(mountInfoPath, limit: 16 << 20, input: "mountinfo")
        guard let mount = find(mountInfo: bytes) else {
            throw ContainerInputError(input: "mountinfo", message: "no cgroup2 filesystem is mounted")
        }
        return mount
    }

    /// `current()`, remembered in `directory` (the state dir) for the
    /// caller's mount and cgroup namespaces. For the prestart hook: the
    /// kernel writes mountinfo anew at each read, a line per mount, and a
    /// node's host has a mount or more per container (rootfs, shm, each
    /// secret and token volume); measured here, a prestart took 2.4 ms with
    /// 20 mounts, 4.8 ms with 500 and 12.3 ms with 2,000. The remembered
    /// mount is taken while its mount point is still a cgroup2 filesystem
    /// showing the same cgroup directory (its inode, which the kernel never
    /// gives another cgroup); otherwise mountinfo is read and the cache
    /// written again (temp file and rename: any reader may, without a lock).
    public static func current(cachedIn directory: String, mountInfoPath: String = "/proc/self/mountinfo") throws
        -> CgroupMount
    {
        let cache = CgroupMountCache(directory: directory)
        let namespaces = CgroupMountCache.namespaces()
        if let namespaces, let cached = cache.read(namespaces: namespaces) { return cached }
        let mount = try current(mountInfoPath: mountInfoPath)
        if let namespaces, let inode = CgroupMountCache.inode(ofMountPoint: mount.mountPoint) {
            cache.write(mount, namespaces: namespaces, inode: inode)
        }
        return mount
    }

    /// Whether `path` is on a cgroup2 filesystem (statfs: CGROUP2_SUPER_MAGIC).
    public static func isCgroup2(_ path: String) -> Bool {
        var fs = statfs()
        return statfs(path, &fs) == 0 && UInt(fs.f_type) == 0x6367_7270
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

/// `<state dir>/.cgroup2`: the line `<mntns> <cgroupns> <inode> <root>
/// <mount point>` (paths escaped as mountinfo escapes them) of the last
/// `CgroupMount.current(cachedIn:)` that read mountinfo.
struct CgroupMountCache {
    static let fileName = ".cgroup2"
    let directory: String
    var path: String { directory + "/" + Self.fileName }

    /// The caller's mount and cgroup namespace inodes: mountinfo shows this
    /// mount namespace's mounts, and cgroup paths are relative to this
    /// cgroup namespace's root.
    static func namespaces() -> (mnt: UInt64, cgroup: UInt64)? {
        var mnt = stat()
        var cgroup = stat()
        guard stat("/proc/self/ns/mnt", &mnt) == 0, stat("/proc/self/ns/cgroup", &cgroup) == 0 else { return nil }
        return (UInt64(mnt.st_ino), UInt64(cgroup.st_ino))
    }

    /// The inode of the cgroup directory a cgroup2 mount point shows; nil
    /// when it is no cgroup2 filesystem.
    static func inode(ofMountPoint mountPoint: String) -> UInt64? {
        var st = stat()
        guard CgroupMount.isCgroup2(mountPoint), stat(mountPoint, &st) == 0 else { return nil }
        return UInt64(st.st_ino)
    }

    func read(namespaces: (mnt: UInt64, cgroup: UInt64)) -> CgroupMount? {
        guard let bytes = try? StateFiles.readFile(path, limit: 8192, input: "cgroup2 cache", followSymlinks: false)
        else { return nil }
        let fields = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first?.split(separator: " ") ?? []
        guard fields.count == 5, UInt64(fields[0]) == namespaces.mnt, UInt64(fields[1]) == namespaces.cgroup,
            let inode = UInt64(fields[2])
        else { return nil }
        let mount = CgroupMount(mountPoint: MountInfoEntry.unescape(fields[4]), root: MountInfoEntry.unescape(fields[3]))
        guard mount.mountPoint.hasPrefix("/"), mount.root.hasPrefix("/"),
            Self.inode(ofMountPoint: mount.mountPoint) == inode
        else { return nil }
        return mount
    }

    /// Best effort: a cache not written is read from mountinfo next time.
    func write(_ mount: CgroupMount, namespaces: (mnt: UInt64, cgroup: UInt64), inode: UInt64) {
        let line = "\(namespaces.mnt) \(namespaces.cgroup) \(inode) \(Self.escape(mount.root)) \(Self.escape(mount.mountPoint))\n"
        try? StateFiles.writeAtomically(directory: directory, name: Self.fileName, bytes: Array(line.utf8), durable: false)
    }

    /// mountinfo's escapes: space, tab, newline and backslash as \ooo.
    static func escape(_ s: String) -> String {
        var out: [UInt8] = []
        for byte in s.utf8 {
            switch byte {
            case 0x20, 0x09, 0x0a, 0x5c:
                out += [UInt8(ascii: "\\"), 0x30 + byte >> 6, 0x30 + (byte >> 3) & 7, 0x30 + byte & 7]
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
