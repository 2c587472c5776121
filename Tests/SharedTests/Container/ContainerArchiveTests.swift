import Foundation
import CTailtrace
import Glibc
import Testing

@testable import Shared

@Suite struct ContainerArchiveTests {
    static let second: UInt64 = 1_000_000_000
    static let start: UInt64 = 1_795_796_490 * second

    @Test func storeAndReadBack() throws {
        let temp = TemporaryDirectory()
        let archive = ContainerArchive(directory: temp.path + "/archive")
        let ring: [UInt8] = (0..<4096).map { UInt8($0 & 0xff) }
        let entry = try archive.store(sampleRecord(), ring: ring, stoppedAt: Self.start)
        #expect(entry.name == "01795796490000000000-\(Fixtures.podmanID)")
        #expect(entry.record.state == .exited)
        #expect(entry.record.stoppedAt == "2026-11-27T16:21:30.000000000Z")
        #expect(entry.record.archive == entry.path)
        #expect(fileMode(archive.directory) == 0o700)
        #expect(fileMode(entry.path) == 0o700)
        #expect(try FileManager.default.contentsOfDirectory(atPath: entry.path) == ["trace"])
        #expect(fileMode(entry.path + "/trace") == 0o600)
        #expect(entry.sizeBytes == UInt64(try ArchiveFile.bytes(of: entry).count), "the entry is an exported file")

        let listed = try archive.entries()
        #expect(listed.problems.isEmpty)
        #expect(listed.entries == [entry])
        #expect(try archive.ring(of: entry) == ring)
        #expect(try find(archive, "tt-capture") == entry)
        #expect(try find(archive, "979c5931c781") == entry)
        // Data works as well as [UInt8].
        try archive.store(
            sampleRecord(id: "other", name: "o"), ring: Data([1, 2, 3]), stoppedAt: Self.start + 1)
        #expect(try archive.ring(of: find(archive, "other")) == [1, 2, 3])
    }

    /// Rings are stored compressed; archives of earlier versions (ring.bin)
    /// still read; a compressed ring that lies about itself is refused.
    @Test func ringsAreCompressedAndOldArchivesStillRead() throws {
        let temp = TemporaryDirectory()
        let archive = ContainerArchive(directory: temp.path)
        let ring = [UInt8](repeating: 0, count: 256 << 10) + Array("tail".utf8)
        let entry = try archive.store(sampleRecord(), ring: ring, stoppedAt: Self.start)
        #expect(entry.sizeBytes < 8 << 10, "a mostly empty 256 KiB ring compresses: \(entry.sizeBytes)")
        #expect(try archive.ring(of: entry) == ring)

        // As earlier versions wrote it: record.json and ring.z, or ring.bin
        // before those (and listed alike).
        let packedRing = try ring.withUnsafeBytes { try CompressedRing.pack([$0]) }
        try FileManager.default.removeItem(atPath: entry.path + "/trace")
        try Data(try StateStore.encode(entry.record)).write(to: URL(fileURLWithPath: entry.path + "/record.json"))
        try Data(packedRing).write(to: URL(fileURLWithPath: entry.path + "/ring.z"))
        #expect(try archive.entries().entries.map(\.record) == [entry.record])
        #expect(try archive.ring(of: entry) == ring)
        try FileManager.default.removeItem(atPath: entry.path + "/ring.z")
        try Data([9, 8, 7]).write(to: URL(fileURLWithPath: entry.path + "/ring.bin"))
        #expect(try archive.ring(of: entry) == [9, 8, 7])
        let exported = temp.path + "/old.export"
        try Data(try ArchiveFile.bytes(of: entry)).write(to: URL(fileURLWithPath: exported))
        #expect(try ArchiveFile.read(exported).ring == [9, 8, 7], "an earlier version's archive exports too")

        var packed = try [UInt8](repeating: 1, count: 1000).withUnsafeBytes { try CompressedRing.pack([$0]) }
        #expect(try CompressedRing.unpack(packed, limit: 1000) == [UInt8](repeating: 1, count: 1000))
        #expect(throws: ContainerInputError.self) { try CompressedRing.unpack(packed, limit: 999) }
        packed[4] = 0xff  // claims a size it does not inflate to
        #expect(throws: ContainerInputError.self) { try CompressedRing.unpack(packed, limit: 1 << 20) }
        #expect(throws: ContainerInputError.self) { try CompressedRing.unpack(Array("TTZ1".utf8), limit: 10) }
    }

    /// A ring stored as a header and cells reads back as their concatenation,
    /// empty parts, random bytes (the bound just holds them) and a
    /// large ring alike.
    @Test func aRingPackedFromPartsReadsBackWhole() throws {
        let temp = TemporaryDirectory()
        let archive = ContainerArchive(directory: temp.path)
        var generator = SystemRandomNumberGenerator()
        let random = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let cases: [([UInt8], [UInt8])] = [
            (Array("head".utf8), [UInt8](repeating: 7, count: 256 << 10)), ([], Array("tail".utf8)),
            (Array("only a header".utf8), []), ([], []), (random, random.reversed()),
            ([1, 2, 3], [UInt8](repeating: 0, count: 8 << 20)),
            // zero pages between pages with data, one straddling the header and
            // the cells, a last page cut short: only the others are deflated
            ([UInt8](repeating: 0, count: 4000) + [5], Self.sparse), ([], Self.sparse), (Self.sparse, [9]),
        ]
        for (index, (header, cells)) in cases.enumerated() {
            let record = sampleRecord(id: "parts\(index)", name: "parts\(index)")
            let entry = try archive.store(record, ringHeader: header, ring: cells, stoppedAt: Self.start + UInt64(index))
            #expect(try archive.ring(of: entry) == header + cells, "case \(index)")
        }
    }

    /// 64 KiB + 100 bytes, zero but for a byte in pages 2, 3 and 9 and in the last, short one.
    static let sparse: [UInt8] = {
        var bytes = [UInt8](repeating: 0, count: (64 << 10) + 100)
        for at in [2 * 4096, 4 * 4096 - 1, 9 * 4096 + 17, bytes.count - 1] { bytes[at] = UInt8(at % 251 + 1) }
        return bytes
    }()

    /// Rings as earlier versions packed them (`TTZ1`: every byte in the
    /// stream) still read; a page map cut short or a stream longer than the
    /// pages it maps are refused.
    @Test func earlierAndDamagedPackingsAreTold() throws {
        let ring = Self.sparse + [UInt8](repeating: 3, count: 5000)
        var bound = compressBound(uLong(ring.count))
        var stream = [UInt8](repeating: 0, count: Int(bound))
        #expect(compress2(&stream, &bound, ring, uLong(ring.count), 1) == Z_OK)
        let size = withUnsafeBytes(of: UInt64(ring.count).littleEndian) { Array($0) }
        let whole = Array("TTZ1".utf8) + size + stream.prefix(Int(bound))
        #expect(try CompressedRing.unpack(whole, limit: 1 << 20) == ring)

        let packed = try ring.withUnsafeBytes { try CompressedRing.pack([$0]) }
        #expect(packed.starts(with: Array("TTZ2".utf8)))
        #expect(try CompressedRing.unpack(packed, limit: 1 << 20) == ring)
        #expect(throws: ContainerInputError.self) { try CompressedRing.unpack(Array(packed.prefix(14)), limit: 1 << 20) }
        var moreKept = packed
        moreKept[12] |= 0x01  // page 0 marked as kept: the stream is short of it
        #expect(throws: ContainerInputError.self) { try CompressedRing.unpack(moreKept, limit: 1 << 20) }
    }

    /// One file holds a whole entry and reads back with no archive dir.
    @Test func anExportedFileIsSelfContained() throws {
        let temp = TemporaryDirectory()
        let archive = ContainerArchive(directory: temp.path + "/archive")
        let ring: [UInt8] = (0..<5000).map { UInt8($0 % 7) }
        let entry = try archive.store(sampleRecord(), ring: ring, stoppedAt: Self.start)
        let file = temp.path + "/export"
        try Data(try ArchiveFile.bytes(of: entry)).write(to: URL(fileURLWithPath: file))
        try FileManager.default.removeItem(atPath: archive.directory)
        let (record, back) = try ArchiveFile.read(file)
        #expect(record == entry.record)
        #expect(back == ring)
        try Data("tailtrace-archive 2\n{}".utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: ContainerInputError.self) { try ArchiveFile.read(file) }
    }

    @Test func reusedIDsKeepEveryStopAndFindTheNewest() throws {
        let temp = TemporaryDirectory()
        let archive = ContainerArchive(directory: temp.path)
        try archive.store(sampleRecord(id: "myctr", name: "myctr"), ring: [1], stoppedAt: Self.start)
        try archive.store(
            sampleRecord(id: "myctr", name: "myctr"), ring: [2], stoppedAt: Self.start + Self.second)
        #expect(try archive.entries().entries.count == 2)
        #expect(try archive.ring(of: find(archive, "myctr")) == [2])
    }

    /// `count` containers `c0`, `c1`... (named `n0`, `n1`...) stopped `apart`
    /// ns after each other from `start`, each with `ring`.
    func storeStopped(_ count: Int, in archive: ContainerArchive, ring: [UInt8], apart: UInt64) throws {
        for index in 0..<count {
            try archive.store(
                sampleRecord(id: "c\(index)", name: "n\(index)"), ring: ring,
                stoppedAt: Self.start + UInt64(index) * apart)
        }
    }

    @Test func retentionKeepsTheNewestWithinSizeAndAge() throws {
        let temp = TemporaryDirectory()
        let archive = ContainerArchive(directory: temp.path)
        let ring = [UInt8](repeating: 0xab, count: 10_000)
        try storeStopped(6, in: archive, ring: ring, apart: 3600 * Self.second)
        let now = Self.start + 6 * 3600 * Self.second
        let entrySize = try #require(archive.entries().entries.first).sizeBytes
        #expect(entrySize > 0 && entrySize < 10_000, "the ring is stored compressed")

        // Room for three entries: the three newest stay.
        let removed = try archive.applyRetention(
            ArchiveRetention(maximumBytes: entrySize * 3 + 10, maximumAge: 86400), now: now)
        #expect(Set(removed.map(\.record.id)) == ["c0", "c1", "c2"])
        #expect(try archive.entries().entries.map(\.record.id) == ["c5", "c4", "c3"])

        // Age: older than 2.5 hours goes (c3 stopped 3 h before `now`).
        try archive.applyRetention(ArchiveRetention(maximumBytes: 1 << 40, maximumAge: 9000), now: now)
        #expect(try archive.entries().entries.map(\.record.id) == ["c5", "c4"])

        // The newest entry stays even when it alone is over the bound.
        try archive.applyRetention(
            ArchiveRetention(maximumBytes: 1, maximumAge: 0), now: now + 86400 * Self.second)
        #expect(try archive.entries().entries.map(\.record.id) == ["c5"])
    }

    /// The retention check counts the entries' bytes once and keeps the
    /// count in `.usage`, kept up by each store; a count that no longer
    /// matches the directory (an entry removed by hand) is counted again.
    @Test func retentionCountsTheBytesOnceAndAgainWhenEntriesChangeBehindIt() throws {
        let temp = TemporaryDirectory()
        let archive = ContainerArchive(directory: temp.path)
        let ring = [UInt8](repeating: 0xcd, count: 10_000)
        func store(_ index: Int) throws -> UInt64 {
            try archive.store(
                sampleRecord(id: "u\(index)", name: "u\(index)"), ring: ring, stoppedAt: Self.start + UInt64(index) * Self.second
            ).sizeBytes
        }
        // its fields: the file is 64 bytes, padded with spaces before its newline
        func usage() -> String? {
            guard let text = try? String(contentsOfFile: temp.path + "/.usage", encoding: .utf8) else { return nil }
            #expect(text.utf8.count == 64 && text.hasSuffix("\n"), "\(text)")
            return text.split(whereSeparator: \.isWhitespace).joined(separator: " ") + "\n"
        }
        let size = try store(0)
        let roomy = ArchiveRetention(maximumBytes: size * 4, maximumAge: 86400)
        let now = Self.start + 10 * Self.second
        #expect(try archive.applyRetention(roomy, now: now).isEmpty)
        #expect(usage() == "1 \(size) \(Self.start)\n", "counted by the first check")
        for index in 1...3 { _ = try store(index) }
        #expect(usage() == "4 \(4 * size) \(Self.start)\n", "kept up by each store, without a count")
        #expect(try archive.applyRetention(roomy, now: now).isEmpty)
        _ = try store(4)
        #expect(try archive.applyRetention(roomy, now: now).map(\.record.id) == ["u0"], "over by the kept count")
        #expect(usage() == nil, "counted again after a removal")
        // An entry removed by hand: the stale count is not trusted.
        try StateFiles.writeAtomically(directory: temp.path, name: ".usage", bytes: Array("4 999999999\n".utf8))
        try FileManager.default.removeItem(atPath: try #require(archive.entries().entries.last).path)
        #expect(try archive.applyRetention(roomy, now: now).isEmpty)
        #expect(usage() == "3 \(3 * size) \(Self.start + 2 * Self.second)\n")
    }

    /// While the directory's link count matches `.usage`, the check lists
    /// nothing, and still sees an entry grow too old.
    @Test func retentionTrustsTheLinkCountWhileItMatches() throws {
        let temp = TemporaryDirectory()
        let archive = ContainerArchive(directory: temp.path)
        let ring = [UInt8](repeating: 0xcd, count: 1000)
        try storeStopped(3, in: archive, ring: ring, apart: Self.second)
        let week = ArchiveRetention(maximumBytes: 1 << 30, maximumAge: 7 * 86400)
        #expect(try archive.applyRetention(week, now: Self.start + 10 * Self.second).isEmpty)
        #expect(
            try String(contentsOfFile: temp.path + "/.usage", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(" \(Self.start)"))
        let removed = try archive.applyRetention(week, now: Self.start + 7 * 86400 * Self.second + Self.second + Self.second / 2)
        #expect(removed.map(\.record.id) == ["c0"], "the oldest, too old by the kept stop time")
    }

    @Test func strayFilesAndStaleTemporaries() throws {
        let temp = TemporaryDirectory()
        let archive = ContainerArchive(directory: temp.path)
        try archive.store(sampleRecord(), ring: [1], stoppedAt: Self.start)
        try temp.write("x", to: "README")
        try temp.write("x", to: ".0001-crashed.tmp/ring.bin")
        try temp.write("{}", to: "00000000000000000001-broken/record.json")
        let listing = try archive.entries()
        #expect(listing.entries.count == 1)
        #expect(listing.problems.count == 1)
        try archive.applyRetention(
            ArchiveRetention(), now: RFC3339Time.nowNanoseconds() + 7200 * Self.second)
        #expect(!FileManager.default.fileExists(atPath: temp.path + "/.0001-crashed.tmp"))
        // The unreadable entry stopped in 1970: far older than 7 days.
        #expect(!FileManager.default.fileExists(atPath: temp.path + "/00000000000000000001-broken"))
        #expect(try archive.entries().problems.isEmpty)
        #expect(FileManager.default.fileExists(atPath: temp.path + "/README"))
    }

    @Test func refusesUnsafeIDs() {
        let archive = ContainerArchive(directory: "/tmp/never-created")
        var record = sampleRecord()
        record.id = "../../etc"
        #expect(throws: ContainerInputError.self) { try archive.store(record, ring: [UInt8]()) }
    }

    @Test func entryNames() {
        #expect(
            ContainerArchive.parse(entryName: ContainerArchive.entryName(id: "abc", stoppedAt: 42))! == (
                42, "abc"
            ))
        #expect(ContainerArchive.parse(entryName: "0000000000000000004-abc") == nil)
        #expect(ContainerArchive.parse(entryName: "00000000000000000042-..") == nil)
        #expect(ContainerArchive.parse(entryName: "00000000000000000042_abc") == nil)
    }
}

/// The newest archive entry an `ID|NAME` argument names, by the one lookup
/// rule the CLI uses (`ContainerLookup`).
func find(_ archive: ContainerArchive, _ query: String) throws -> ArchiveEntry {
    let entries = try archive.entries().entries
    let record = try ContainerLookup.find(query, in: entries.map(\.record))
    return try #require(entries.first { $0.record == record })
}
