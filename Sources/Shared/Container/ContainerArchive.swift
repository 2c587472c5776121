import CTailtrace
import FoundationEssentials
import Glibc

/// Archives of stopped containers: one directory per stop,
/// `<archive>/<stop time, ns since the epoch, 20 digits>-<id>/` holding one
/// file, `trace`, laid out as an exported file (`ArchiveFile`): the record
/// and the ring, zlib-compressed (`CompressedRing`: a ring of records
/// compresses 5-10x, so the retention budget keeps that many more traces).
/// Archives of earlier versions hold `record.json` and `ring.z` (or
/// `ring.bin`, uncompressed) instead; both are read. The fixed-width time
/// makes names sort oldest first, and keeps a reused id (`ctr run --rm`
/// twice with one name) from overwriting the first archive. An entry
/// appears whole or not at all: it is written under a dot-named temp
/// directory and renamed into place.
public struct ContainerArchive: Sendable {
    public static let traceFileName = "trace"
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

        let file = ArchiveFile.layout(record: recordBytes, packedRing: packed)

        try StateFiles.makeDirectory(directory)
        let temp = directory + "/." + name + ".tmp"
        guard mkdir(temp, StateFiles.directoryMode) == 0, chmod(temp, StateFiles.directoryMode) == 0
        else {
            throw FileSystemError(operation: "mkdir", path: temp, errno: errno)
        }
        // Once this returns the slot is freed: the archive is the trace's
        // only copy and must survive a crash of the node. Two fsyncs, each a
        // device cache flush (~0.5 ms here on a quiet disk, ~4 ms on a busy
        // one): the file's data, and the archive directory after the
        // rename; the record and the ring in a file each took three. The
        // entry directory needs none of its own: ext4 with a journal and XFS
        // commit metadata in order, so the commit that makes the rename
        // durable makes the names made before it durable too, and ext4
        // without one (this machine's) writes the directories of a new file
        // out with the file's fsync (ext4_sync_parent). The file goes
        // straight into the temp directory, which no reader lists.
        do {
            try StateFiles.createSynced(temp + "/" + Self.traceFileName, bytes: file)
            guard rename(temp, final) == 0 else {
                throw FileSystemError(operation: "rename", path: final, errno: errno)
            }
        } catch {
            try? StateFiles.removeFlatDirectory(temp)
            throw error
        }
        try StateFiles.syncDirectory(directory)
        let size = UInt64(file.count)
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
                directory + "/" + Self.usageFileName, limit: Self.usageFileSize, input: "archive usage",
                followSymlinks: false)
        else { return nil }
        let fields = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard fields.count == 2 || fields.count == 3, let entries = Int(fields[0]), let total = UInt64(fields[1])
        else { return nil }
        return (entries, total, fields.count == 3 ? UInt64(fields[2]) : nil)
    }

    /// Rewritten in place, not as a temp file renamed over it: that cost an
    /// inode at every poststop (~0.2 ms in a busy ext4 directory here). Nor
    /// truncated first: ext4 then allocates the blocks of a file emptied and
    /// rewritten at its close (auto_da_alloc), and a truncate frees them, at
    /// every poststop. Always 64 bytes, the fields padded with spaces, in
    /// one pwrite over the old ones. Its readers hold the state lock too, so
    /// none sees it half written; a torn or short file does not parse (or
    /// names a count the directory does not have): counted again.
    private func writeUsage(entries: Int, bytes: UInt64, oldest: UInt64?) {
        let path = directory + "/" + Self.usageFileName
        let fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, StateFiles.fileMode)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var text = Array(("\(entries) \(bytes)" + (oldest.map { " \($0)" } ?? "")).utf8)
        guard text.count < Self.usageFileSize else { return }
        text += repeatElement(UInt8(ascii: " "), count: Self.usageFileSize - 1 - text.count) + [UInt8(ascii: "\n")]
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// `.usage`'s size: three numbers of at most 20 digits, and room.
    private static let usageFileSize = 64

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
        let record = try Self.record(inEntry: path)
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

    /// `trace`'s record, or an earlier version's `record.json`.
    private static func record(inEntry path: String) throws -> ContainerRecord {
        do {
            return try ArchiveFile.record(in: path + "/" + traceFileName)
        } catch let e as FileSystemError where e.errno == ENOENT {
            let bytes = try StateFiles.readFile(
                path + "/" + recordFileName, limit: StateStore.maximumRecordSize, input: "archive record",
                followSymlinks: false)
            return try JSONInput.decode(ContainerRecord.self, from: bytes, input: path)
        }
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

    /// `trace`'s ring, or `ring.z` or `ring.bin` in archives of earlier versions.
    private static func storedRing(inEntry path: String, limit: Int) throws -> StoredRing {
        do {
            let file = path + "/" + traceFileName
            let bytes = try StateFiles.readFile(file, limit: limit, input: "archived trace", followSymlinks: false)
            return .packed(Array(try ArchiveFile.parts(bytes, input: file).packedRing))
        } catch let e as FileSystemError where e.errno == ENOENT {}
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

/// A ring in an archive: `TTZ2`, the uncompressed size (u64, little
/// endian), one bit per 4 KiB page of it (least significant first; set:
/// the page holds a byte that is not zero), then one zlib stream (RFC 1950)
/// of the set pages, in order; the pages not set are zeros. A freed slot's
/// ring is cleared, so a container that stopped soon leaves most of its
/// ring zero: deflate still read, hashed and checksummed every byte of it
/// (5.4 of a poststop's 8.0 million instructions for an empty 256 KiB ring,
/// callgrind), and now skips it. Level 1: the hooks compress at every
/// container stop, and it is most of the gain. Earlier versions wrote
/// `TTZ1`: the size, then one zlib stream of every byte; still read.
enum CompressedRing {
    static let magic: [UInt8] = Array("TTZ2".utf8)
    static let wholeMagic: [UInt8] = Array("TTZ1".utf8)
    static let pageSize = 4096

    /// `parts` one after the other, as one ring.
    static func pack(_ parts: [UnsafeRawBufferPointer]) throws -> [UInt8] {
        let total = parts.reduce(0) { $0 + $1.count }
        let pages = (total + pageSize - 1) / pageSize
        var bitmap = [UInt8](repeating: 0, count: (pages + 7) / 8)
        // Each page's pieces (a page may straddle two parts); the set pages' go to deflate.
        var pieces: [(page: Int, bytes: UnsafeRawBufferPointer)] = []
        var offset = 0
        for part in parts {
            var i = 0
            while i < part.count {
                let page = (offset + i) / pageSize
                let end = Swift.min(part.count, i + pageSize - (offset + i) % pageSize)
                let piece = UnsafeRawBufferPointer(rebasing: part[i..<end])
                if !isZero(piece) { bitmap[page >> 3] |= 1 << UInt8(page & 7) }
                pieces.append((page, piece))
                i = end
            }
            offset += part.count
        }
        let kept = pieces.filter { bitmap[$0.page >> 3] & (1 << UInt8($0.page & 7)) != 0 }.map(\.bytes)
        let header = magic + withUnsafeBytes(of: UInt64(total).littleEndian) { Array($0) } + bitmap
        return try deflated(kept, after: header)
    }

    /// Whether every byte is zero, eight at a time.
    private static func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i + 8 <= bytes.count {
            if bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) != 0 { return false }
            i += 8
        }
        while i < bytes.count {
            if bytes[i] != 0 { return false }
            i += 1
        }
        return true
    }

    /// `header`, then `parts` one after the other as one zlib stream.
    private static func deflated(_ parts: [UnsafeRawBufferPointer], after header: [UInt8]) throws -> [UInt8] {
        let total = parts.reduce(0) { $0 + $1.count }
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
        func refuse(_ why: String) -> ContainerInputError { ContainerInputError(input: "ring archive", message: why) }
        let head = Array(packed.prefix(magic.count))
        guard packed.count >= magic.count + 8, head == magic || head == wholeMagic else {
            throw refuse("not a compressed tailtrace ring")
        }
        let size = packed[magic.count..<magic.count + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard size <= UInt64(limit) else { throw refuse("claims \(size) bytes, more than \(limit)") }
        let total = Int(size)
        let pages = (total + pageSize - 1) / pageSize
        let bitmapStart = magic.count + 8
        let bitmapEnd = head == magic ? bitmapStart + (pages + 7) / 8 : bitmapStart
        guard packed.count >= bitmapEnd else { throw refuse("its page map is cut short") }
        // TTZ1 holds every page
        let keptPages =
            head == magic ? (0..<pages).filter { packed[bitmapStart + $0 >> 3] & (1 << UInt8($0 & 7)) != 0 } : []
        let keptBytes =
            head == magic ? keptPages.reduce(0) { $0 + Swift.min(pageSize, total - $1 * pageSize) } : total
        // Inflated to the front, then each kept page moved to its place, the last first.
        var out = [UInt8](repeating: 0, count: total)
        var length = uLong(keptBytes)
        let rc = packed.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                uncompress(output.baseAddress, &length, input.baseAddress! + bitmapEnd, uLong(input.count - bitmapEnd))
            }
        }
        guard rc == Z_OK, length == uLong(keptBytes) else { throw refuse("corrupt compressed ring (zlib \(rc))") }
        guard head == magic else { return out }
        out.withUnsafeMutableBytes { ring in
            var from = keptBytes
            for page in keptPages.reversed() {
                let count = Swift.min(pageSize, total - page * pageSize)
                from -= count
                let to = page * pageSize
                guard to != from else { continue }
                (ring.baseAddress! + to).copyMemory(from: ring.baseAddress! + from, byteCount: count)
                (ring.baseAddress! + from).initializeMemory(
                    as: UInt8.self, repeating: 0, count: Swift.min(count, to - from))
            }
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

    /// The file: the header, the record's length, the record, the packed ring.
    static func layout(record: [UInt8], packedRing: [UInt8]) -> [UInt8] {
        var file = header + Array("\(record.count)\n".utf8)
        file.reserveCapacity(file.count + record.count + packedRing.count)
        file += record
        file += packedRing
        return file
    }

    public static func bytes(of entry: ArchiveEntry) throws -> [UInt8] {
        let packed = try ContainerArchive.packedRing(inEntry: entry.path)
        return layout(record: try StateStore.encode(entry.record), packedRing: packed)
    }

    /// The record and the uncompressed ring of an exported file.
    public static func read(_ path: String, limit: Int = 1 << 30) throws -> (record: ContainerRecord, ring: [UInt8]) {
        let bytes = try StateFiles.readFile(path, limit: limit, input: "exported archive")
        let (record, packed) = try parts(bytes, input: path)
        return (
            try JSONInput.decode(ContainerRecord.self, from: Array(record), input: path),
            try CompressedRing.unpack(Array(packed), limit: limit)
        )
    }

    /// Where a file's record and packed ring are.
    static func parts(_ bytes: [UInt8], input: String) throws -> (
        record: ArraySlice<UInt8>, packedRing: ArraySlice<UInt8>
    ) {
        let (start, length) = try recordPlace(bytes, input: input)
        guard start + length <= bytes.count else {
            throw ContainerInputError(input: input, message: "no record length")
        }
        return (bytes[start..<start + length], bytes[(start + length)...])
    }

    /// The record alone, from the file's first bytes: listing an archive
    /// reads every entry's, and a ring may be megabytes.
    static func record(in path: String) throws -> ContainerRecord {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw FileSystemError(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var head = try StateFiles.readPrefix(fd: fd, count: 4096, path: path)
        let (start, length) = try recordPlace(head, input: path)
        if start + length > head.count { head = try StateFiles.readPrefix(fd: fd, count: start + length, path: path) }
        guard start + length <= head.count else { throw ContainerInputError(input: path, message: "no record length") }
        return try JSONInput.decode(ContainerRecord.self, from: Array(head[start..<start + length]), input: path)
    }

    /// The record's offset and length, from the header and the length line.
    private static func recordPlace(_ bytes: [UInt8], input: String) throws -> (start: Int, length: Int) {
        guard bytes.starts(with: header) else {
            throw ContainerInputError(input: input, message: "not a tailtrace archive file (or of another version)")
        }
        let rest = bytes[header.count...]
        guard let newline = rest.prefix(12).firstIndex(of: UInt8(ascii: "\n")),
            let length = Int(String(decoding: rest[..<newline], as: UTF8.self)),
            length > 0, length <= StateStore.maximumRecordSize
        else { throw ContainerInputError(input: input, message: "no record length") }
        return (newline + 1, length)
    }
}
