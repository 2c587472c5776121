import Glibc
import Shared

/// Cgroups that host tasks use. In pool mode the dispatcher must never claim
/// one of these: a claim keyed on a cgroup that host processes share (the
/// cgroup2 root, a runtime's or shim's own cgroup) would record the host.
public enum HostCgroups {
    /// Cgroup ids of every cgroup holding a task of the host mount namespace,
    /// and of all their ancestors.
    static func ids(hostMntns: UInt64, mount: CgroupMount) -> Set<UInt64> {
        var paths = Set<String>()
        for pid in processIDs() {
            guard (try? MountNamespace.inode(ofProcess: String(pid))) == hostMntns,
                let path = try? CgroupPath.ofProcess(pid)
            else { continue }
            var p = path
            while true {
                paths.insert(p)
                guard p != "/", let slash = p.lastIndex(of: "/") else { break }
                p = slash == p.startIndex ? "/" : String(p[..<slash])
            }
        }
        return Set(paths.compactMap { try? mount.cgroupID(ofCgroup: $0) })
    }

    static func processIDs() -> [Int32] {
        ((try? StateFiles.list("/proc")) ?? []).compactMap { Int32($0) }
    }

    /// Every cgroup of the hierarchy by id (the inode of its directory), for
    /// mapping a claim's key back to a path. Bounded in depth and count.
    public static func index(mount: CgroupMount) -> [UInt64: String] {
        var out: [UInt64: String] = [:]
        var stack: [(dir: String, path: String, depth: Int)] = [(mount.mountPoint, mount.root, 0)]
        while let (dir, path, depth) = stack.popLast(), out.count < 1 << 20 {
            var st = stat()
            guard lstat(dir, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { continue }
            out[UInt64(st.st_ino)] = path
            guard depth < 64, let d = opendir(dir) else { continue }
            while let entry = readdir(d) {
                guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name == "." || name == ".." { continue }
                stack.append((dir + "/" + name, (path == "/" ? "" : path) + "/" + name, depth + 1))
            }
            closedir(d)
        }
        return out
    }
}
