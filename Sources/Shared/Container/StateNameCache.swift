import Glibc

/// `<state dir>/.names`: the id and name of each record file as last read,
/// one line `<inode> <id> <name>` per file, so that a lookup by name
/// (`detach NAME`, `attach` checking that a name is free) reads the records
/// it can match instead of every record: with 1000 traced containers,
/// decoding each state file was most of a `detach`.
///
/// A cache that readers keep, not an index that writers keep: a hook writes
/// nothing to it, so a container start pays no inode for it (a new inode in
/// an ext4 directory with many recent deletions took ~0.2 ms here). A line
/// counts only while the directory has a record file of that id with that
/// inode (readdir gives it; a save replaces the file, so a saved record has
/// a new inode): a record without a valid line is read and its line written
/// back. So the cache is right whoever wrote the records (a hook of an
/// earlier version too), and any reader may rewrite it without the state
/// lock (temp file and rename): every version of it is checked the same way.
/// It can be wrong only if a removed record's id comes back under another
/// name in a file given the old file's inode (tmpfs numbers inodes up, ext4
/// may reuse one): a match is always read and checked, and
/// `RecordedTraces.find` reads every record before it gives up.
struct StateNameCache {
    static let fileName = ".names"
    /// The cache holds a line per record: 1000 records are ~100 KiB.
    static let maximumSize = 16 << 20

    let stateDirectory: String
    var path: String { stateDirectory + "/" + Self.fileName }

    /// Every record file's id and name, in file-name order (`loadAll`'s);
    /// `loaded`: the records that had to be read to learn theirs.
    func entries(load: (String) -> ContainerRecord?) throws
        -> (entries: [(id: String, name: String)], loaded: [String: ContainerRecord])
    {
        let files: [(name: String, inode: UInt64)]
        do {
            files = try StateFiles.listWithInodes(stateDirectory)
        } catch let error as FileSystemError where error.errno == ENOENT {
            return ([], [:])
        }
        let cached = read()
        var lines: [(inode: UInt64, id: String, name: String)] = []
        var loaded: [String: ContainerRecord] = [:]
        for file in files.sorted(by: { $0.name < $1.name }) where file.name.hasSuffix(".json") && !file.name.hasPrefix(".") {
            let id = String(file.name.dropLast(5))
            if let line = cached[file.inode], line.id == id {
                lines.append((file.inode, id, line.name))
            } else if let record = load(id) {  // unreadable ones are `loadAll`'s problems
                loaded[id] = record
                lines.append((file.inode, id, record.name))
            }
        }
        // lines of removed records are never taken (their inodes are gone):
        // rewritten only when something new was learnt
        if !loaded.isEmpty { write(lines) }
        return (lines.map { ($0.id, $0.name) }, loaded)
    }

    /// inode → (id, name); lines that do not parse are dropped.
    private func read() -> [UInt64: (id: String, name: String)] {
        guard
            let bytes = try? StateFiles.readFile(
                path, limit: Self.maximumSize, input: "state name cache", followSymlinks: false)
        else { return [:] }
        var cached: [UInt64: (id: String, name: String)] = [:]
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 3, let inode = UInt64(String(decoding: fields[0], as: UTF8.self)) else { continue }
            let id = String(decoding: fields[1], as: UTF8.self)
            let name = String(decoding: fields[2], as: UTF8.self)
            guard ContainerID.isValid(id), ContainerID.isValidName(name) else { continue }
            cached[inode] = (id, name)
        }
        return cached
    }

    /// Best effort: a cache that cannot be written is read around next time.
    private func write(_ lines: [(inode: UInt64, id: String, name: String)]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines.count * 100)
        for line in lines { bytes += Array("\(line.inode) \(line.id) \(line.name)\n".utf8) }
        try? StateFiles.writeAtomically(directory: stateDirectory, name: Self.fileName, bytes: bytes, durable: false)
    }
}
