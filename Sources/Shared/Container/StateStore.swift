import FoundationEssentials
import Glibc

/// The state dir: one `<id>.json` (a `ContainerRecord`) per traced
/// container, plus `.lock` and the readers' name cache `.names` (`StateNameCache`).
/// Only root reads it: the dir is 0700 when we create it, files are 0600,
/// and a file is always replaced whole (temp file + rename), so a reader
/// never sees half a record.
public struct StateStore: Sendable {
    public static let maximumRecordSize = 1 << 20
    public static let lockFileName = ".lock"
    /// Present while a stopped container's archive is pending: a poststop
    /// then learns there is nothing to retry without reading every record.
    static let pendingMarkerName = ".archive-pending"

    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Creates the directory (and missing parents) with mode 0700.
    public func prepare() throws {
        try StateFiles.makeDirectory(directory)
    }

    /// `<dir>/<id>.json`, after checking the id may name a file.
    public func path(ofID id: String) throws -> String {
        directory + "/" + (try ContainerID.validate(id)) + ".json"
    }

    /// Writes the record of `record.id`, replacing any previous one. The id
    /// and name are checked here so that a record that would not load back
    /// (`ContainerRecord` decoding checks them too) is never written.
    public func save(_ record: ContainerRecord) throws {
        try ContainerID.validateName(record.name)
        let name = try ContainerID.validate(record.id) + ".json"
        try prepare()
        // The state dir is /run/tailtrace: gone at reboot, so fsync buys no
        // durability there and would cost every container start milliseconds
        // where /run is disk-backed. The rename alone keeps readers safe.
        try StateFiles.writeAtomically(directory: directory, name: name, bytes: Self.encode(record), durable: false)
    }

    /// The record of `id`, or nil when there is none.
    public func load(id: String) throws -> ContainerRecord? {
        let path = try path(ofID: id)
        let bytes: [UInt8]
        do {
            bytes = try StateFiles.readFile(
                path, limit: Self.maximumRecordSize, input: "state file", followSymlinks: false)
        } catch let error as FileSystemError where error.errno == ENOENT {
            return nil
        }
        let record = try JSONInput.decode(ContainerRecord.self, from: bytes, input: path)
        guard record.id == id else {
            throw ContainerInputError(
                input: path, message: "holds container \(ContainerID.quoted(record.id))")
        }
        return record
    }

    /// The records named `name`; only they are read, the others' names
    /// come from the name cache.
    public func records(named name: String) throws -> [ContainerRecord] {
        guard ContainerID.isValidName(name) else { return [] }  // no record can bear it
        return try records { _, recordName in recordName == name }
    }

    /// The records `ContainerLookup.find(query, in:)` chooses from: those
    /// whose id is `query` or, from `ContainerLookup.minimumPrefixLength`
    /// characters, starts with it, and those named `query`; only they are
    /// read. In `loadAll`'s order.
    public func records(matching query: String) throws -> [ContainerRecord] {
        guard ContainerID.isValidName(query) else { return [] }  // nor an id nor a prefix of one
        let byPrefix = query.utf8.count >= ContainerLookup.minimumPrefixLength
        return try records { id, name in name == query || (byPrefix ? id.hasPrefix(query) : id == query) }
    }

    /// The records whose id and name satisfy `matches`, the names as the
    /// cache says and checked again on the records read.
    private func records(where matches: (_ id: String, _ name: String) -> Bool) throws -> [ContainerRecord] {
        let (entries, loaded) = try names.entries { try? load(id: $0) }
        return entries.compactMap { entry in
            guard matches(entry.id, entry.name), let record = loaded[entry.id] ?? (try? load(id: entry.id)),
                matches(record.id, record.name)
            else { return nil }
            return record
        }
    }

    /// Every record; a file that cannot be read or decoded is reported in
    /// `problems` and skipped, so one corrupt file never hides the others.
    /// A missing directory is an empty listing (nothing traced yet).
    public func loadAll() throws -> StateListing {
        let names: [String]
        do {
            names = try StateFiles.list(directory)
        } catch let error as FileSystemError where error.errno == ENOENT {
            return StateListing(records: [], problems: [])
        }
        var listing = StateListing(records: [], problems: [])
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let id = String(name.dropLast(5))
            do {
                if let record = try load(id: id) { listing.records.append(record) }
            } catch {
                listing.problems.append(StateFileProblem(path: directory + "/" + name, message: "\(error)"))
            }
        }
        return listing
    }

    /// Removes the record of `id`; false when there was none.
    @discardableResult
    public func remove(id: String) throws -> Bool {
        let path = try path(ofID: id)
        guard unlink(path) == 0 else {
            if errno == ENOENT { return false }
            throw FileSystemError(operation: "unlink", path: path, errno: errno)
        }
        // No directory fsync, as `save` makes none: the state dir does not
        // outlive a reboot (nor do the pins its records name).
        return true
    }

    var names: StateNameCache { StateNameCache(stateDirectory: directory) }

    /// Stopped containers whose archive failed, their rings still in their
    /// slots (`ContainerRecord.archivePending`).
    public func pendingArchives() throws -> [ContainerRecord] {
        guard access(directory + "/" + Self.pendingMarkerName, F_OK) == 0 else { return [] }
        return try loadAll().records.filter { $0.archivePending != nil }
    }

    /// Sets or clears the pending-archive marker (under the state lock).
    public func markPendingArchives(_ pending: Bool) throws {
        let path = directory + "/" + Self.pendingMarkerName
        if !pending {
            guard unlink(path) == 0 || errno == ENOENT else {
                throw FileSystemError(operation: "unlink", path: path, errno: errno)
            }
            return
        }
        try StateFiles.writeAtomically(directory: directory, name: Self.pendingMarkerName, bytes: [], durable: false)
    }

    /// Runs `body` holding an exclusive flock on `<dir>/.lock`, so hooks,
    /// reconcile and the CLI never claim or free the same slot twice. Not
    /// reentrant: a nested call from the same process deadlocks (flock locks
    /// belong to the open file, and this opens it again).
    public func withLock<T>(_ body: () throws -> T) throws -> T {
        try prepare()
        let path = directory + "/" + Self.lockFileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, StateFiles.fileMode)
        guard fd >= 0 else { throw FileSystemError(operation: "open", path: path, errno: errno) }
        defer { close(fd) }  // closing the last descriptor releases the lock
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw FileSystemError(operation: "flock", path: path, errno: errno)
            }
        }
        return try body()
    }

    /// As JSONEncoder with `.sortedKeys` and `.withoutEscapingSlashes`
    /// writes it (`ContainerRecord.json`: cheaper to start in a hook).
    static func encode(_ record: ContainerRecord) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        record.json.write(into: &out)
        out.append(UInt8(ascii: "\n"))
        return out
    }
}

public struct StateListing: Sendable {
    public var records: [ContainerRecord]
    public var problems: [StateFileProblem]
}

/// A state or archive file skipped because it could not be read or decoded.
public struct StateFileProblem: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}
