import FoundationEssentials
import Glibc

/// Archives of stopped containers: one directory per stop,
/// `<archive>/<stop time, ns since the epoch, 20 digits>-<id>/` holding
/// `record.json` and `ring.bin` (the raw ring bytes, decoded by the ring
/// reader). The fixed-width time makes names sort oldest first, and keeps a
/// reused id (`ctr run --rm` twice with one name) from overwriting the first
/// archive. An entry appears whole or not at all: it is written under a
/// dot-named temp directory and renamed into place.
public struct ContainerArchive: Sendable {
    public static let recordFileName = "record.json"
    public static let ringFileName = "ring.bin"

    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Archives `record` (marked exited, with its stop time and archive path)
    /// and the ring bytes. Returns the new entry.
    @discardableResult
    public func store(
        _ record: ContainerRecord, ring: some ContiguousBytes,
        stoppedAt nanoseconds: UInt64 = RFC3339Time.nowNanoseconds()
    ) throws -> ArchiveEntry {
        try ContainerID.validateName(record.name)
        let name = Self.entryName(id: try ContainerID.validate(record.id), stoppedAt: nanoseconds)
        let final = directory + "/" + name
        var archived = record
        archived.state = .exited
        archived.stoppedAt = archived.stoppedAt ?? RFC3339Time.format(nanoseconds: nanoseconds)
        archived.archive = final
        let recordBytes = try StateStore.encode(archived)

        try StateFiles.makeDirectory(directory)
        let temp = directory + "/." + name + ".tmp"
        guard mkdir(temp, StateFiles.directoryMode) == 0, chmod(temp, StateFiles.directoryMode) == 0
        else {
            throw FileSystemError(operation: "mkdir", path: temp, errno: errno)
        }
        do {
            try StateFiles.writeAtomically(directory: temp, name: Self.recordFileName, bytes: recordBytes)
            try StateFiles.writeAtomically(directory: temp, name: Self.ringFileName) { fd, path in
                try ring.withUnsafeBytes { try StateFiles.writeAll(fd: fd, $0, path: path) }
            }
            guard rename(temp, final) == 0 else {
                throw FileSystemError(operation: "rename", path: final, errno: errno)
            }
        } catch {
            try? StateFiles.removeFlatDirectory(temp)
            throw error
        }
        try StateFiles.syncDirectory(directory)
        return ArchiveEntry(
            name: name, path: final, record: archived, stoppedAtNanoseconds: nanoseconds,
            sizeBytes: UInt64(recordBytes.count + ring.withUnsafeBytes(\.count)))
    }

    /// All entries, newest first. Unreadable entries are reported and skipped.
    public func entries() throws -> ArchiveListing {
        try scan().listing
    }

    /// The listing, plus the stop times of unreadable entries so retention
    /// can still age them out.
    private func scan() throws -> (
        listing: ArchiveListing, unreadable: [(path: String, stoppedAt: UInt64)]
    ) {
        let names: [String]
        do {
            names = try StateFiles.list(directory)
        } catch let error as FileSystemError where error.errno == ENOENT {
            return (ArchiveListing(entries: [], problems: []), [])
        }
        var listing = ArchiveListing(entries: [], problems: [])
        var unreadable: [(path: String, stoppedAt: UInt64)] = []
        for name in names.sorted(by: >) {
            guard let (stoppedAt, id) = Self.parse(entryName: name) else { continue }
            let path = directory + "/" + name
            do {
                let bytes = try StateFiles.readFile(
                    path + "/" + Self.recordFileName, limit: StateStore.maximumRecordSize,
                    input: "archive record", followSymlinks: false)
                let record = try JSONInput.decode(ContainerRecord.self, from: bytes, input: path)
                guard record.id == id else {
                    throw ContainerInputError(input: path, message: "holds container \(record.id)")
                }
                listing.entries.append(
                    ArchiveEntry(
                        name: name, path: path, record: record, stoppedAtNanoseconds: stoppedAt,
                        sizeBytes: Self.size(ofEntry: path)))
            } catch {
                listing.problems.append(StateFileProblem(path: path, message: "\(error)"))
                unreadable.append((path, stoppedAt))
            }
        }
        return (listing, unreadable)
    }

    /// The archived ring bytes of `entry`.
    public func ring(of entry: ArchiveEntry, limit: Int = 1 << 30) throws -> [UInt8] {
        try StateFiles.readFile(
            entry.path + "/" + Self.ringFileName, limit: limit, input: "archived ring",
            followSymlinks: false)
    }

    /// Deletes what the retention policy does not keep, and returns it. The
    /// newest entries are kept: walking from the newest, an entry stays while
    /// it is younger than `maximumAge` and the running total fits in
    /// `maximumBytes`; it and everything older go. The newest entry always
    /// stays, so the container that just stopped can be dumped. Unreadable
    /// entries go once older than `maximumAge`, temp directories a crashed
    /// hook left behind after an hour.
    @discardableResult
    public func applyRetention(
        _ retention: ArchiveRetention, now: UInt64 = RFC3339Time.nowNanoseconds()
    ) throws -> [ArchiveEntry] {
        // Every poststop calls this: decide from names and sizes alone, and
        // read the records only when something has to go.
        guard try mayNeedRetention(retention, now: now) else { return [] }
        let (listing, unreadable) = try scan()
        func age(_ stoppedAt: UInt64) -> UInt64 {
            now > stoppedAt ? (now - stoppedAt) / 1_000_000_000 : 0
        }
        var total: UInt64 = 0
        var removed: [ArchiveEntry] = []
        for (index, entry) in listing.entries.enumerated() {
            total += entry.sizeBytes
            if index > 0
                && (!removed.isEmpty || age(entry.stoppedAtNanoseconds) > retention.maximumAge
                    || total > retention.maximumBytes)
            {
                try StateFiles.removeFlatDirectory(entry.path)
                removed.append(entry)
            }
        }
        // An entry whose record cannot be read is kept for inspection until
        // it is too old.
        for (path, stoppedAt) in unreadable where age(stoppedAt) > retention.maximumAge {
            try? StateFiles.removeFlatDirectory(path)
        }
        removeStaleTemporaries(now: now)
        return removed
    }

    /// False when every entry is young enough and all fit in the budget,
    /// and no temp directory is left over: nothing for retention to do.
    private func mayNeedRetention(_ retention: ArchiveRetention, now: UInt64) throws -> Bool {
        let names: [String]
        do {
            names = try StateFiles.list(directory)
        } catch let error as FileSystemError where error.errno == ENOENT {
            return false
        }
        var total: UInt64 = 0
        for name in names {
            guard let (stoppedAt, _) = Self.parse(entryName: name) else {
                if name.hasPrefix(".") && name.hasSuffix(".tmp") { return true }
                continue
            }
            if now > stoppedAt && (now - stoppedAt) / 1_000_000_000 > retention.maximumAge { return true }
            total += Self.size(ofEntry: directory + "/" + name)
            if total > retention.maximumBytes { return true }
        }
        return false
    }

    private func removeStaleTemporaries(now: UInt64) {
        guard let names = try? StateFiles.list(directory) else { return }
        for name in names where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            let path = directory + "/" + name
            guard let info = StateFiles.lstatInfo(path), info.st_mode & S_IFMT == S_IFDIR,
                UInt64(max(0, info.st_mtim.tv_sec)) + 3600 < now / 1_000_000_000
            else { continue }
            try? StateFiles.removeFlatDirectory(path)
        }
    }

    static func entryName(id: String, stoppedAt nanoseconds: UInt64) -> String {
        let digits = String(nanoseconds)
        return String(repeating: "0", count: 20 - digits.count) + digits + "-" + id
    }

    static func parse(entryName name: String) -> (UInt64, String)? {
        let bytes = name.utf8
        guard bytes.count > 21, bytes.prefix(20).allSatisfy({ (48...57).contains($0) }),
            bytes.dropFirst(20).first == UInt8(ascii: "-"), let stoppedAt = UInt64(name.prefix(20))
        else { return nil }
        let id = String(name.dropFirst(21))
        return ContainerID.isValid(id) ? (stoppedAt, id) : nil
    }

    /// Bytes of the files in an entry (lstat: a symlink counts as itself).
    private static func size(ofEntry path: String) -> UInt64 {
        guard let names = try? StateFiles.list(path) else { return 0 }
        return names.reduce(0) { total, name in
            total + UInt64(max(0, StateFiles.lstatInfo(path + "/" + name)?.st_size ?? 0))
        }
    }
}

public struct ArchiveEntry: Sendable, Equatable {
    /// `<20-digit stop time>-<id>`
    public var name: String
    public var path: String
    public var record: ContainerRecord
    public var stoppedAtNanoseconds: UInt64
    public var sizeBytes: UInt64
}

public struct ArchiveListing: Sendable {
    /// Newest first.
    public var entries: [ArchiveEntry]
    public var problems: [StateFileProblem]
}

/// How much of the archive to keep.
public struct ArchiveRetention: Sendable, Equatable {
    public var maximumBytes: UInt64
    /// Seconds since the container stopped.
    public var maximumAge: UInt64

    /// 1 GiB and 7 days.
    public init(maximumBytes: UInt64 = 1 << 30, maximumAge: UInt64 = 7 * 24 * 3600) {
        self.maximumBytes = maximumBytes
        self.maximumAge = maximumAge
    }
}
