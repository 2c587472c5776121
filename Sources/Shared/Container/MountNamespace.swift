import Glibc

/// A process's mount namespace, by the inode of `/proc/<pid>/ns/mnt`: the
/// key of mntns mode, and how host processes are told from containers'.
public enum MountNamespace {
    /// `pid` "self" or a number.
    public static func inode(ofProcess pid: String) throws -> UInt64 {
        let path = "/proc/\(pid)/ns/mnt"
        var st = stat()
        guard stat(path, &st) == 0 else { throw FileSystemError(operation: "stat", path: path, errno: errno) }
        return UInt64(st.st_ino)
    }

    /// The host's: pid 1's, or where its namespace links are not readable
    /// (some sandboxes deny it even to root) the caller's own.
    public static func host() -> UInt64 {
        (try? inode(ofProcess: "1")) ?? (try? inode(ofProcess: "self")) ?? 0
    }
}
