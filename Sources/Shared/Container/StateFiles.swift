import Glibc

/// The raw file operations behind the state dir and the archive, with EINTR
/// handled and errors naming the path. This state is root-only: files are
/// created 0600 and directories 0700, whatever the umask.
public enum StateFiles {
    public static let fileMode: mode_t = 0o600
    static let directoryMode: mode_t = 0o700

    /// Reads `fd` to EOF, refusing more than `limit` bytes.
    /// The chunk is not zero-filled first: read() writes only what it reads,
    /// so a state of a few hundred bytes touches one page of it, not 16
    /// (and skips a 64 KiB memset, a tenth of a prestart's instructions).
    static func readAll(fd: Int32, limit: Int, input: String, path: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let count = read(fd, chunk.baseAddress, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "read", path: path, errno: errno)
            }
            if count == 0 { return bytes }
            if bytes.count + count > limit {
                throw ContainerInputError(input: input, message: "larger than \(limit) bytes")
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
        }
    }

    /// Reads a regular file of at most `limit` bytes. O_NONBLOCK keeps a FIFO
    /// planted in place of a file from blocking the open; it is then refused.
    public static func readFile(
        _ path: String, limit: Int, input: String, followSymlinks: Bool = true
    ) throws -> [UInt8] {
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followSymlinks ? 0 : O_NOFOLLOW)
        let fd = open(path, flags)
        guard fd >= 0 else { throw FileSystemError(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw FileSystemError(operation: "fstat", path: path, errno: errno)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw ContainerInputError(input: input, message: "\(path) is not a regular file")
        }
        // /proc files report size 0 and are read to EOF instead.
        if info.st_size > limit {
            throw ContainerInputError(input: input, message: "\(path) is larger than \(limit) bytes")
        }
        return try readAll(fd: fd, limit: limit, input: input, path: path)
    }

    /// The first `count` bytes of `fd` (fewer at its end), by pread from 0.
    static func readPrefix(fd: Int32, count: Int, path: String) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "read", path: path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        bytes.removeLast(count - done)
        return bytes
    }

    static func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let count = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "write", path: path, errno: errno)
            }
            offset += count
        }
    }

    /// Creates `directory/name` holding exactly `bytes`, or leaves the old file
    /// untouched: the bytes go to a temp file in the same directory (so the
    /// rename stays on one filesystem), which is fsynced and renamed over the
    /// target; the directory is fsynced so the rename survives a crash.
    /// `durable: false` skips both fsyncs (the rename alone still keeps
    /// readers from seeing half a file), for state that does not outlive a
    /// reboot anyway.
    static func writeAtomically(
        directory: String, name: String, durable: Bool = true, mode: mode_t = fileMode,
        body: (_ fd: Int32, _ path: String) throws -> Void
    ) throws {
        let target = directory + "/" + name
        let temp = directory + "/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw FileSystemError(operation: "open", path: temp, errno: errno) }
        do {
            guard fchmod(fd, mode) == 0 else {
                throw FileSystemError(operation: "fchmod", path: temp, errno: errno)
            }
            try body(fd, temp)
            guard !durable || fsync(fd) == 0 else {
                throw FileSystemError(operation: "fsync", path: temp, errno: errno)
            }
            close(fd)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        guard rename(temp, target) == 0 else {
            let saved = errno
            unlink(temp)
            throw FileSystemError(operation: "rename", path: target, errno: saved)
        }
        if durable { try syncDirectory(directory) }
    }

    /// Creates `path`, which must not exist, holding exactly `bytes`, and
    /// fsyncs it; a failed write removes it. For files in a directory no
    /// reader sees yet (an archive entry before its rename), where a temp
    /// file and a rename each would add nothing.
    static func createSynced(_ path: String, bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, fileMode)
        guard fd >= 0 else { throw FileSystemError(operation: "open", path: path, errno: errno) }
        do {
            guard fchmod(fd, fileMode) == 0 else {
                throw FileSystemError(operation: "fchmod", path: path, errno: errno)
            }
            try bytes.withUnsafeBytes { try writeAll(fd: fd, $0, path: path) }
            guard fsync(fd) == 0 else { throw FileSystemError(operation: "fsync", path: path, errno: errno) }
            close(fd)
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
    }

    /// `mode`: state files are root-only (the default); files other programs
    /// read (hooks.d, hook executables) pass their own.
    public static func writeAtomically(
        directory: String, name: String, bytes: [UInt8], durable: Bool = true, mode: mode_t = fileMode
    ) throws {
        try writeAtomically(directory: directory, name: name, durable: durable, mode: mode) { fd, path in
            try bytes.withUnsafeBytes { try writeAll(fd: fd, $0, path: path) }
        }
    }

    /// The same, for a file named by its path (a bare name: in the current directory).
    public static func writeAtomically(path: String, bytes: [UInt8], mode: mode_t = fileMode) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        try writeAtomically(directory: directory, name: name, bytes: bytes, mode: mode)
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw FileSystemError(operation: "fsync", path: path, errno: errno)
        }
    }

    /// `path` with repeated and trailing `/` dropped (`//a/b/` → `/a/b`;
    /// `/` → ``), and whether a component is `.` or `..`. Over the bytes:
    /// String's split and joined cost a hook ~150,000 instructions each at
    /// their first use in a process (generic metadata; callgrind).
    public static func normalized(_ path: String) -> (path: String, hasDotComponent: Bool) {
        var out: [UInt8] = []
        out.reserveCapacity(path.utf8.count)
        var dotted = false
        var text = path
        text.makeContiguousUTF8()  // native strings are already
        _ = text.utf8.withContiguousStorageIfAvailable { bytes in
            let slash = UInt8(ascii: "/")
            let dot = UInt8(ascii: ".")
            var i = 0
            while i < bytes.count {
                while i < bytes.count && bytes[i] == slash { i += 1 }
                let start = i
                while i < bytes.count && bytes[i] != slash { i += 1 }
                let length = i - start
                guard length > 0 else { break }
                if bytes[start] == dot && (length == 1 || (length == 2 && bytes[start + 1] == dot)) { dotted = true }
                out.append(slash)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
            }
        }
        return (String(decoding: out, as: UTF8.self), dotted)
    }

    /// `mkdir -p`; the directories it creates get `directoryMode`. An existing
    /// final directory is kept as it is (the admin may have chosen its mode).
    static func makeDirectory(_ path: String) throws {
        guard path.hasPrefix("/") else {
            throw FileSystemError(operation: "mkdir", path: path, errno: EINVAL)
        }
        // Almost always there already (every hook asks): one stat, where a
        // mkdir of each component would take each parent's inode lock for
        // writing (/tmp, /run: directories other programs keep busy).
        var existing = stat()
        if stat(path, &existing) == 0 && existing.st_mode & S_IFMT == S_IFDIR { return }
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, directoryMode) == 0 {
                guard chmod(prefix, directoryMode) == 0 else {
                    throw FileSystemError(operation: "chmod", path: prefix, errno: errno)
                }
                continue
            }
            let saved = errno
            var info = stat()
            guard saved == EEXIST, stat(prefix, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw FileSystemError(
                    operation: "mkdir", path: prefix, errno: saved == EEXIST ? ENOTDIR : saved)
            }
        }
    }

    /// Names in a directory, without "." and "..".
    public static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            throw FileSystemError(operation: "opendir", path: path, errno: errno)
        }
        return names(in: dir)
    }

    /// Names in a directory with their inode numbers (`d_ino`), without "." and "..".
    static func listWithInodes(_ path: String) throws -> [(name: String, inode: UInt64)] {
        guard let dir = opendir(path) else {
            throw FileSystemError(operation: "opendir", path: path, errno: errno)
        }
        defer { closedir(dir) }
        var entries: [(name: String, inode: UInt64)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { entries.append((name, UInt64(entry.pointee.d_ino))) }
        }
        return entries
    }

    /// Names in an open directory; `fd` stays open.
    static func list(fd: Int32, path: String) throws -> [String] {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else {
            let saved = errno
            if copy >= 0 { close(copy) }
            throw FileSystemError(operation: "fdopendir", path: path, errno: saved)
        }
        return names(in: dir)
    }

    /// Reads and closes `dir`.
    private static func names(in dir: OpaquePointer) -> [String] {
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func lstatInfo(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    /// Removes a directory that holds only files (an archive entry), without
    /// following a symlink at any level. A missing directory is not an error:
    /// two hooks may apply retention at the same time.
    static func removeFlatDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return }
            throw FileSystemError(operation: "open", path: path, errno: errno)
        }
        defer { close(fd) }
        for name in try list(fd: fd, path: path) {
            if unlinkat(fd, name, 0) != 0 && errno != ENOENT {
                throw FileSystemError(operation: "unlink", path: path + "/" + name, errno: errno)
            }
        }
        if rmdir(path) != 0 && errno != ENOENT {
            throw FileSystemError(operation: "rmdir", path: path, errno: errno)
        }
    }
}
