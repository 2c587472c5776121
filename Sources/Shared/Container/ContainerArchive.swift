import CTailtrace
import FoundationEssentials
import Glibc

/// Archives of stopped containers: one directory per stop,
/// `<archive>/<stop time, ns since the epoch, 20 digits>-<id>/` holding
/// `record.json` and `ring.z` (the ring bytes, zlib-compressed: a ring of
/// records compresses 5-10x, so the retention budget keeps that many more
/// traces; `ring.bin`, uncompressed, in archives of earlier versions). The fixed-width time makes names sort oldest first, and keeps a
/// reused id (`ctr run --rm` twice with one name) from overwriting the first
/// archive. An entry appears whole or not at all: it is written under a
/// dot-named temp directory and renamed into place.
public struct ContainerArchive: Sendable {
    public static let recordFileName = "record.json"
    public static let ringFileName = "ring.z"
    public static let rawRingFileName = "ring.bin"

    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Archives `record` (marked exited, with its stop time and archive path)
    /// and the ring bytes: `ringHeader` then `ring`, packed as one, so that
    /// a snapshot's cells need not be copied behind its header first (a
    /// fresh 256 KiB buffer is 64 page faults, at every container stop).
    /// Returns the new entry.
    @discardableResult
    public func store(
        _ record: ContainerRecord, ringHeader: [UInt8] = [], ring: some ContiguousBytes,
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
        let packed = try ringHeader.withUnsafeBytes { header in
            try ring.withUnsafeBytes { try CompressedRing.pack([header, $0]) }
        }

        try StateFiles.makeDirectory(directory)
        let temp = directory + "/." + name + ".tmp"
        guard mkdir(temp, StateFiles.directoryMode) == 0, chmod(temp, StateFiles.directoryMode) == 0
        else {
            throw FileSystemError(operation: "mkdir", path: temp, errno: errno)
        }
        // Once this returns the slot is freed: the archive is the trace's
        // only copy and must survive a crash of the node. Three fsyncs, each
        // a device cache flush (~0.5 ms here on a quiet disk, ~4 ms on a busy
        // one): each file's data, and the archive directory after the
        // rename. The entry directory needs none of its own: ext4 with a
        // journal and XFS commit metadata in order, so the commit that makes
        // the rename durable makes the names made before it durable too, and
        // ext4 without one (this machine's) writes the directories of a new
        // file out with the file's fsync (ext4_sync_parent). The files go
        // straight into the temp directory, which no reader lists (a temp
        // file and a rename per file, with a directory fsync each, cost six
        // fsyncs, most of a poststop).
        do {
            try StateFiles.createSynced(temp + "/" + Self.recordFileName, bytes: recordBytes)
            try StateFiles.createSynced(temp + "/" + Self.ringFileName, bytes: packed)
            guard rename(temp, final) == 0 else {
                throw FileSystemError(operation: "rename", path: final, errno: errno)
            }
        } catch {
            try? StateFiles.removeFlatDirectory(temp)
            throw error
        }
        try StateFiles.syncDirectory(directory)
        let size = UInt64(recordBytes.count + packed.count)
        if let usage = readUsage() {
            writeUsage(
                entries: usage.entries + 1, bytes: usage.bytes + size,
                oldest: usage.entries == 0 ? nanoseconds : usage.oldest.map { min($0, nanoseconds) })
        }
        return ArchiveEntry(
            name: name, path: final, record: archived, stoppedAtNanoseconds: nanoseconds, sizeBytes: size)
    }

    /// `.usage`: "<entries> <bytes> <oldest>", the entries, their bytes and
    /// the oldest one's stop time (ns) as last counted, so that the
    /// retention check of every poststop need not stat every entry (six
    /// syscalls each: 1 GiB keeps ~20,000 of them), nor list them while the
    /// directory's link count says it holds that many (`mayNeedRetention`).
    /// Trusted only while the directory holds exactly that many entries; any
    /// other count (an entry removed by hand) makes the next check count
    /// again. Writers hold the state lock. (Earlier versions wrote two
    /// fields and count again on three: the oldest is then nil here.)
    private static let usageFileName = ".usage"

    private func readUsage() -> (entries: Int, bytes: UInt64, oldest: UInt64?)? {
        guard
            let bytes = try? StateFiles.readFile(
                directory + "/" + Self.usageFileName, limit: 64, input: "archive usage", followSymlinks: false)
        else { return nil }
        let fields = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard fields.count == 2 || fields.count == 3, let entries = Int(fields[0]), let total = UInt64(fields[1])
        else { return nil }
        return (entries, total, fields.count == 3 ? UInt64(fields[2]) : nil)
    }

    /// Rewritten in place (truncated, then written), not as a temp file
    /// renamed over it: that cost an inode at every poststop (~0.2 ms in a
    /// busy ext4 directory here). Its readers hold the state lock too, so
    /// none sees it half written; a process killed in between leaves it
    /// empty, which does not parse: counted again.
    private func writeUsage(entries: Int, bytes: UInt64, oldest: UInt64?) {
        let path = directory + "/" + Self.usageFileName
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, StateFiles.fileMode)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let text = "\(entries) \(bytes)" + (oldest.map { " \($0)" } ?? "") + "\n"
        try? Array(text.utf8).withUnsafeBytes { try StateFiles.writeAll(fd: fd, $0, path: path) }
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
            do {
                listing.entries.append(try entry(named: name, stoppedAt: stoppedAt, id: id))
            } catch {
                listing.problems.append(StateFileProblem(path: directory + "/" + name, message: "\(error)"))
                unreadable.append((directory + "/" + name, stoppedAt))
            }
        }
        return (listing, unreadable)
    }

    private func entry(named name: String, stoppedAt: UInt64, id: String) throws -> ArchiveEntry {
        let path = directory + "/" + name
        let bytes = try StateFiles.readFile(
            path + "/" + Self.recordFileName, limit: StateStore.maximumRecordSize,
            input: "archive record", followSymlinks: false)
        let record = try JSONInput.decode(ContainerRecord.self, from: bytes, input: path)
        guard record.id == id else {
            throw ContainerInputError(input: path, message: "holds container \(record.id)")
        }
        return ArchiveEntry(
            name: name, path: path, record: record, stoppedAtNanoseconds: stoppedAt,
            sizeBytes: Self.size(ofEntry: path))
    }

    /// The entry already archived for this run of the container (same id,
    /// same start time), if any: a stop killed after its archive was
    /// written leaves one. Reads only the records of entries of that id.
    public func entry(archiving record: ContainerRecord) throws -> ArchiveEntry? {
        let names: [String]
        do {
            names = try StateFiles.list(directory)
        } catch let error as FileSystemError where error.errno == ENOENT {
            return nil
        }
        for name in names {
            guard let (stoppedAt, id) = Self.parse(entryName: name), id == record.id,
                let entry = try? entry(named: name, stoppedAt: stoppedAt, id: id),
                entry.record.startedAt == record.startedAt
            else { continue }
            return entry
        }
        return nil
    }

    /// The archived ring bytes of `entry`, uncompressed.
    public func ring(of entry: ArchiveEntry, limit: Int = 1 << 30) throws -> [UInt8] {
        try Self.ring(inEntry: entry.path, limit: limit)
    }

    static func ring(inEntry path: String, limit: Int = 1 << 30) throws -> [UInt8] {
        switch try storedRing(inEntry: path, limit: limit) {
        case .packed(let packed): return try CompressedRing.unpack(packed, limit: limit)
        case .raw(let raw): return raw
        }
    }

    /// The ring as `CompressedRing` stores it (an earlier version's raw
    /// ring packed now), for `ArchiveFile`.
    static func packedRing(inEntry path: String, limit: Int = 1 << 30) throws -> [UInt8] {
        switch try storedRing(inEntry: path, limit: limit) {
        case .packed(let packed): return packed
        case .raw(let raw): return try raw.withUnsafeBytes { try CompressedRing.pack([$0]) }
        }
    }

    private enum StoredRing {
        case packed([UInt8])
        case raw([UInt8])
    }

    /// `ring.z`, or `ring.bin` in archives of earlier versions.
    private static func storedRing(inEntry path: String, limit: Int) throws -> StoredRing {
        do {
            return .packed(
                try StateFiles.readFile(
                    path + "/" + ringFileName, limit: limit, input: "archived ring", followSymlinks: false))
        } catch let e as FileSystemError where e.errno == ENOENT {
            return .raw(
                try StateFiles.readFile(
                    path + "/" + rawRingFileName, limit: limit, input: "archived ring", followSymlinks: false))
        }
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
        if !removed.isEmpty { unlink(directory + "/" + Self.usageFileName) }  // counted again next time
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
        func tooOld(_ stoppedAt: UInt64) -> Bool {
            now > stoppedAt && (now - stoppedAt) / 1_000_000_000 > retention.maximumAge
        }
        // Entries are the only directories here; a directory's link count
        // is 2 + its subdirectories on ext4, XFS and tmpfs (btrfs says 1).
        // While it is what `.usage` counted, the count holds without a
        // listing (a temp directory or an entry removed by hand changes it).
        var info = stat()
        if let usage = readUsage(), let oldest = usage.oldest, stat(directory, &info) == 0,
            info.st_nlink == 2 + UInt64(usage.entries)
        {
            return usage.bytes > retention.maximumBytes || (usage.entries > 0 && tooOld(oldest))
        }
        let names: [String]
        do {
            names = try StateFiles.list(directory)
        } catch let error as FileSystemError where error.errno == ENOENT {
            return false
        }
        var entries: [String] = []
        var oldest = UInt64.max
        for name in names {
            guard let (stoppedAt, _) = Self.parse(entryName: name) else {
                if name.hasPrefix(".") && name.hasSuffix(".tmp") { return true }
                continue
            }
            if tooOld(stoppedAt) { return true }
            entries.append(name)
            oldest = min(oldest, stoppedAt)
        }
        let usage = readUsage()
        if let usage, usage.entries == entries.count {
            if usage.oldest != oldest { writeUsage(entries: usage.entries, bytes: usage.bytes, oldest: oldest) }
            return usage.bytes > retention.maximumBytes
        }
        let total = entries.reduce(UInt64(0)) { $0 + Self.size(ofEntry: directory + "/" + $1) }
        writeUsage(entries: entries.count, bytes: total, oldest: oldest)
        return total > retention.maximumBytes
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

/// A ring in an archive: `TTZ1`, the uncompressed size (u64, little
/// endian), then one zlib stream (RFC 1950). Level 1: the hooks compress at
/// every container stop, and it is most of the gain.
enum CompressedRing {
    static let magic: [UInt8] = Array("TTZ1".utf8)

    /// `parts` one after the other, as one zlib stream.
    static func pack(_ parts: [UnsafeRawBufferPointer]) throws -> [UInt8] {
        let total = parts.reduce(0) { $0 + $1.count }
        let header = magic + withUnsafeBytes(of: UInt64(total).littleEndian) { Array($0) }
        let bound = Int(compressBound(uLong(total)))
        var rc = Z_OK
        // Not zero-filled first: zlib writes only as far as the stream goes,
        // so the pages of the bound beyond it are never touched (a 256 KiB
        // ring of mostly empty cells packs into a few KiB, at every poststop).
        let out = [UInt8](unsafeUninitializedCapacity: header.count + bound) { buffer, count in
            _ = UnsafeMutableBufferPointer(rebasing: buffer[..<header.count]).initialize(from: header)
            var stream = z_stream()
            rc = deflateInit_(&stream, 1, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else {
                count = 0
                return
            }
            defer { deflateEnd(&stream) }
            stream.next_out = buffer.baseAddress! + header.count
            stream.avail_out = uInt(bound)
            // The bound holds the whole stream, so each part is taken whole
            // (an empty one would be "no progress", Z_BUF_ERROR).
            for part in parts where part.count > 0 {
                stream.next_in = UnsafeMutablePointer(mutating: part.baseAddress!.assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(part.count)
                rc = deflate(&stream, Z_NO_FLUSH)
                guard rc == Z_OK, stream.avail_in == 0 else {
                    if rc == Z_OK { rc = Z_BUF_ERROR }
                    count = 0
                    return
                }
            }
            rc = deflate(&stream, Z_FINISH)
            rc = rc == Z_STREAM_END ? Z_OK : (rc == Z_OK ? Z_BUF_ERROR : rc)
            count = rc == Z_OK ? header.count + Int(stream.total_out) : 0
        }
        guard rc == Z_OK else { throw ContainerInputError(input: "ring archive", message: "zlib compress failed (\(rc))") }
        return out
    }

    /// Refuses what is not ours, claims more than `limit`, or does not
    /// inflate to exactly the size it claims (archives are untrusted input).
    static func unpack(_ packed: [UInt8], limit: Int) throws -> [UInt8] {
        guard packed.count >= magic.count + 8, Array(packed.prefix(magic.count)) == magic else {
            throw ContainerInputError(input: "ring archive", message: "not a compressed tailtrace ring")
        }
        let size = packed[magic.count..<magic.count + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard size <= UInt64(limit) else {
            throw ContainerInputError(input: "ring archive", message: "claims \(size) bytes, more than \(limit)")
        }
        var out = [UInt8](repeating: 0, count: Int(size))
        var length = uLong(size)
        let rc = packed.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                uncompress(output.baseAddress, &length, input.baseAddress! + magic.count + 8, uLong(input.count - magic.count - 8))
            }
        }
        guard rc == Z_OK, length == uLong(size) else {
            throw ContainerInputError(input: "ring archive", message: "corrupt compressed ring (zlib \(rc))")
        }
        return out
    }
}

/// One archive entry as one file (`tailtrace export`), to read on another
/// machine or after the archive dir is gone (`tailtrace dump --file`): the
/// line `tailtrace-archive 1`, a line with the record's length in bytes,
/// the record (JSON), then the ring as `CompressedRing` stores it.
/// Versioned by that first line.
public enum ArchiveFile {
    static let header = Array("tailtrace-archive 1\n".utf8)

    public static func bytes(of entry: ArchiveEntry) throws -> [UInt8] {
        let packed = try ContainerArchive.packedRing(inEntry: entry.path)
        let record = try StateStore.encode(entry.record)
        return header + Array("\(record.count)\n".utf8) + record + packed
    }

    /// The record and the uncompressed ring of an exported file.
    public static func read(_ path: String, limit: Int = 1 << 30) throws -> (record: ContainerRecord, ring: [UInt8]) {
        let bytes = try StateFiles.readFile(path, limit: limit, input: "exported archive")
        guard bytes.starts(with: header) else {
            throw ContainerInputError(input: path, message: "not a tailtrace archive file (or of another version)")
        }
        let rest = bytes[header.count...]
        guard let newline = rest.prefix(12).firstIndex(of: UInt8(ascii: "\n")),
            let length = Int(String(decoding: rest[..<newline], as: UTF8.self)),
            length > 0, length <= StateStore.maximumRecordSize, newline + 1 + length <= rest.endIndex
        else { throw ContainerInputError(input: path, message: "no record length") }
        let start = newline + 1
        let record = try JSONInput.decode(ContainerRecord.self, from: Array(rest[start..<start + length]), input: path)
        let ring = try CompressedRing.unpack(Array(rest[(start + length)...]), limit: limit)
        return (record, ring)
    }
}
