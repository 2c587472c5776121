import Glibc

/// `<state dir>/.names/<name>/<id>`: an empty file per record, so that a
/// container is found by its name (`detach NAME`, `attach` checking that a
/// name is free) by reading its own record instead of every record: with
/// 1000 traced containers, decoding each state file was most of a `detach`.
///
/// `StateStore.save` adds the entry before it writes the record and
/// `StateStore.remove` takes it away after the record, both under the state
/// lock, so while `.names` exists every record has its entry. An entry can
/// outlive its record (a process killed between the two steps): a lookup
/// reads the records its entries name and keeps those that bear the name.
/// A state dir without `.names` (one an earlier version wrote) gets it whole
/// at its first save, built under a temp name and renamed into place; until
/// then a lookup by name reads every record.
struct StateNameIndex {
    static let directoryName = ".names"

    let stateDirectory: String
    var directory: String { stateDirectory + "/" + Self.directoryName }

    /// The ids with an entry under `name`; nil when there is no index.
    func ids(named name: String) throws -> [String]? {
        do {
            return try StateFiles.list(directory + "/" + name)
        } catch let error as FileSystemError where error.errno == ENOENT {
            return access(directory, F_OK) == 0 ? [] : nil
        }
    }

    /// Adds the entry of record `id` under `name`; with no index yet, builds
    /// it first from `existing` (every record). The caller holds the state lock.
    func add(name: String, id: String, existing: () throws -> [ContainerRecord]) throws {
        if access(directory, F_OK) != 0 { try build(existing()) }
        try Self.add(name: name, id: id, under: directory)
    }

    /// Removes the entry of record `id` under `name`, and the name's
    /// directory once it is empty. The caller holds the state lock.
    func remove(name: String, id: String) throws {
        let dir = directory + "/" + name
        guard unlink(dir + "/" + id) == 0 || errno == ENOENT else {
            throw FileSystemError(operation: "unlink", path: dir + "/" + id, errno: errno)
        }
        guard rmdir(dir) == 0 || errno == ENOTEMPTY || errno == ENOENT else {
            throw FileSystemError(operation: "rmdir", path: dir, errno: errno)
        }
    }

    private func build(_ records: [ContainerRecord]) throws {
        // A build killed part-way left its temp dir; no other build runs
        // while the caller holds the lock.
        for name in try StateFiles.list(stateDirectory)
        where name.hasPrefix(Self.directoryName + ".") && name.hasSuffix(".tmp") {
            try Self.removeIndex(stateDirectory + "/" + name)
        }
        let temp = directory + ".\(getpid()).tmp"
        try Self.makeDirectory(temp)
        do {
            for record in records { try Self.add(name: record.name, id: record.id, under: temp) }
            guard rename(temp, directory) == 0 else {
                throw FileSystemError(operation: "rename", path: directory, errno: errno)
            }
        } catch {
            try? Self.removeIndex(temp)
            throw error
        }
    }

    private static func add(name: String, id: String, under root: String) throws {
        let dir = root + "/" + name
        try makeDirectory(dir)
        let path = dir + "/" + id
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, StateFiles.fileMode)
        guard fd >= 0 else { throw FileSystemError(operation: "open", path: path, errno: errno) }
        close(fd)
    }

    /// One directory, kept when it exists (a name already in use).
    private static func makeDirectory(_ path: String) throws {
        if mkdir(path, StateFiles.directoryMode) == 0 {
            guard chmod(path, StateFiles.directoryMode) == 0 else {
                throw FileSystemError(operation: "chmod", path: path, errno: errno)
            }
        } else if errno != EEXIST {
            throw FileSystemError(operation: "mkdir", path: path, errno: errno)
        }
    }

    /// An index's two levels: name directories holding empty files.
    private static func removeIndex(_ path: String) throws {
        for name in try StateFiles.list(path) { try StateFiles.removeFlatDirectory(path + "/" + name) }
        guard rmdir(path) == 0 || errno == ENOENT else {
            throw FileSystemError(operation: "rmdir", path: path, errno: errno)
        }
    }
}
