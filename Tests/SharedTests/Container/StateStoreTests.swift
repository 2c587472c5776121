import Foundation
import Glibc
import Testing

@testable import Shared

@Suite struct StateStoreTests {
    @Test func roundTripWithRootOnlyPermissions() throws {
        let temp = TemporaryDirectory()
        let store = StateStore(directory: temp.path + "/run/tailtrace")
        let record = sampleRecord()
        try store.save(record)
        #expect(fileMode(store.directory) == 0o700)
        #expect(fileMode(temp.path + "/run") == 0o700)
        #expect(fileMode(try store.path(ofID: record.id)) == 0o600)
        #expect(try store.load(id: record.id) == record)
        #expect(try store.load(id: "absent") == nil)

        var exited = record
        exited.state = .exited
        try store.save(exited)
        #expect(try store.load(id: record.id)?.state == .exited)
        #expect(try store.remove(id: record.id))
        #expect(try !store.remove(id: record.id))
        #expect(try store.loadAll().records.isEmpty)
    }

    @Test func umaskDoesNotChangeModes() throws {
        let temp = TemporaryDirectory()
        let old = umask(0o277)
        defer { umask(old) }
        let store = StateStore(directory: temp.path + "/state")
        try store.save(sampleRecord())
        #expect(fileMode(store.directory) == 0o700)
        #expect(fileMode(try store.path(ofID: Fixtures.podmanID)) == 0o600)
    }

    @Test func refusesUnsafeIDs() {
        let store = StateStore(directory: "/tmp/never-created")
        #expect(throws: ContainerInputError.self) { try store.path(ofID: "../../etc/passwd") }
        #expect(throws: ContainerInputError.self) { try store.load(id: "a/b") }
        #expect(throws: ContainerInputError.self) { try store.remove(id: "..") }
        #expect(throws: ContainerInputError.self) { try store.save(sampleRecord(name: "a/b")) }
        #expect(!FileManager.default.fileExists(atPath: store.directory))
    }

    @Test func corruptFilesAreReportedAndSkipped() throws {
        let temp = TemporaryDirectory()
        let store = StateStore(directory: temp.path)
        try store.save(sampleRecord())
        try temp.write("{ not json", to: "broken.json")
        try temp.write(
            String(decoding: try StateStore.encode(sampleRecord(id: "other")), as: UTF8.self),
            to: "moved.json")
        try temp.write("ignored", to: "hooks.log")
        try temp.write("ignored", to: ".tmp.json")
        #expect(symlink("/etc/hostname", temp.path + "/link.json") == 0)
        let listing = try store.loadAll()
        #expect(listing.records.map(\.id) == [Fixtures.podmanID])
        #expect(
            Set(listing.problems.map { ($0.path as NSString).lastPathComponent }) == [
                "broken.json", "moved.json", "link.json",
            ])
        #expect(try StateStore(directory: temp.path + "/missing").loadAll().records.isEmpty)
    }

    /// A reader racing a writer always sees a whole record, and no temp
    /// files are left behind.
    @Test func writesAreAtomic() async throws {
        let temp = TemporaryDirectory()
        let store = StateStore(directory: temp.path)
        try store.save(sampleRecord())
        let path = try store.path(ofID: Fixtures.podmanID)
        let writer = Task.detached {
            for round in 0..<300 {
                var record = sampleRecord()
                record.labels = Dictionary(
                    uniqueKeysWithValues: (0..<(round % 40) * 20).map {
                        ("k\($0)", String(repeating: "v", count: 50))
                    })
                try store.save(record)
            }
        }
        var reads = 0
        while reads < 2000 {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(throws: Never.self) { try JSONDecoder().decode(ContainerRecord.self, from: data) }
            reads += 1
        }
        try await writer.value
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: temp.path).sorted() == [
                "\(Fixtures.podmanID).json"
            ])
    }

    /// `records(matching:)` reads only what the query can match (the
    /// others' names come from the cache), and `ContainerLookup` then
    /// chooses as it does from every record.
    @Test func lookupThroughTheNameCacheMatchesAFullScan() throws {
        let temp = TemporaryDirectory()
        let store = StateStore(directory: temp.path)
        for (id, name) in [
            ("aaaa1111bbbb2222", "web"), ("aaaa1111cccc3333", "db"), ("web", "confusing"), ("dddd4444", "twin"),
            ("eeee5555", "twin"), ("abc", "abcd"),
        ] {
            try store.save(sampleRecord(id: id, name: name))
        }
        for round in ["no cache yet", "from the cache"] {
            for query in [
                "aaaa1111bbbb2222", "web", "db", "aaaa1111c", "dddd", "aaaa1111", "twin", "aaa", "zzzz", "abc", "abcd",
                "a/b",
            ] {
                let all = Result { try ContainerLookup.find(query, in: store.loadAll().records) }
                let some = Result { try ContainerLookup.find(query, in: store.records(matching: query)) }
                #expect("\(all)" == "\(some)", "\(query), \(round)")
            }
            #expect(try store.records(matching: "twin").map(\.id) == ["dddd4444", "eeee5555"])
            #expect(try store.records(named: "twin").map(\.id) == ["dddd4444", "eeee5555"])
            #expect(FileManager.default.fileExists(atPath: temp.path + "/.names"))
        }
        #expect(try store.remove(id: "dddd4444"))
        #expect(try store.records(named: "twin").map(\.id) == ["eeee5555"])
    }

    /// A line counts only for the file it was read from: a record saved
    /// again (a new file) or written by something else (an earlier version's
    /// hook) is read again, and a cache that does not parse is read around.
    @Test func theNameCacheIsCheckedAgainstTheFiles() throws {
        let temp = TemporaryDirectory()
        let store = StateStore(directory: temp.path)
        try store.save(sampleRecord(id: "one", name: "first"))
        #expect(try store.records(named: "first").map(\.id) == ["one"])
        try store.save(sampleRecord(id: "one", name: "second"))
        #expect(try store.records(named: "first").isEmpty)
        #expect(try store.records(named: "second").map(\.id) == ["one"])

        try temp.write(String(decoding: try StateStore.encode(sampleRecord(id: "two", name: "first")), as: UTF8.self), to: "two.json")
        #expect(try store.records(named: "first").map(\.id) == ["two"])

        try temp.write("not a cache\n12 bad/id x\n", to: ".names")
        #expect(try store.records(matching: "second").map(\.id) == ["one"])
        #expect(try store.records(matching: "two").map(\.name) == ["first"])
        let lines = try String(contentsOfFile: temp.path + "/.names", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.split(separator: " ").count == 3 }, "\(lines)")
    }

    @Test func findByIDPrefixOrName() throws {
        let temp = TemporaryDirectory()
        let store = StateStore(directory: temp.path)
        try store.save(sampleRecord(id: "aaaa1111bbbb2222", name: "web"))
        try store.save(sampleRecord(id: "aaaa1111cccc3333", name: "db"))
        try store.save(sampleRecord(id: "web", name: "confusing"))
        try store.save(sampleRecord(id: "dddd4444", name: "twin"))
        try store.save(sampleRecord(id: "eeee5555", name: "twin"))

        #expect(try ContainerLookup.find("aaaa1111bbbb2222", in: store.loadAll().records).name == "web")
        #expect(try ContainerLookup.find("web", in: store.loadAll().records).id == "web")  // an exact id beats a name
        #expect(try ContainerLookup.find("db", in: store.loadAll().records).id == "aaaa1111cccc3333")
        #expect(try ContainerLookup.find("aaaa1111c", in: store.loadAll().records).id == "aaaa1111cccc3333")
        #expect(try ContainerLookup.find("dddd", in: store.loadAll().records).name == "twin")
        do {
            _ = try ContainerLookup.find("aaaa1111", in: store.loadAll().records)
            Issue.record("ambiguous prefix accepted")
        } catch let error as ContainerLookupError {
            #expect(error.candidates.sorted() == ["aaaa1111bbbb2222 (web)", "aaaa1111cccc3333 (db)"])
            #expect("\(error)".contains("matches 2 containers"))
        }
        #expect(throws: ContainerLookupError.self) { try ContainerLookup.find("twin", in: store.loadAll().records) }
        // Shorter than the 4-character minimum prefix.
        #expect(throws: ContainerLookupError(query: "aaa", candidates: [])) { try ContainerLookup.find("aaa", in: store.loadAll().records) }
        #expect(throws: ContainerLookupError(query: "zzzz", candidates: [])) { try ContainerLookup.find("zzzz", in: store.loadAll().records) }
    }

    @Test func lockIsExclusiveAcrossOpenFiles() async throws {
        let temp = TemporaryDirectory()
        let store = StateStore(directory: temp.path)
        let counter = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<50 {
                        try? store.withLock { counter.incrementNonAtomically() }
                    }
                }
            }
        }
        #expect(counter.value == 400)
        #expect(fileMode(temp.path + "/.lock") == 0o600)
    }
}

/// Increments with a deliberate read-yield-write gap that loses updates
/// unless the caller serializes (here: the flock).
final class Counter: @unchecked Sendable {
    private(set) var value = 0
    func incrementNonAtomically() {
        let read = value
        sched_yield()
        value = read + 1
    }
}
