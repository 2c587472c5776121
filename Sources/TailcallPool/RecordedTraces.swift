import Glibc
import Shared

/// What tailtrace recorded, read only: the traced containers (state dir and
/// archive) and their syscalls. Opens no installation when none is there, so
/// `list` and `dump` still read the archive after `uninstall`, or after a
/// reboot: pins live in bpffs, which is memory only, while the archive is on
/// disk. Decoding an archive touches no BPF object.
public struct RecordedTraces {
    public let paths: TailtracePaths
    /// nil when nothing is installed at the pin root.
    public let installation: Installation?

    public init(paths: TailtracePaths) throws {
        let root = PinRoot(paths.pinRoot)
        // No `install` pin, or no bpffs at all: never installed, uninstalled,
        // or rebooted. A root that is there but unreadable still fails.
        // Another version's pins (not yet replaced after an upgrade) hold
        // rings this version cannot read: as if there were none.
        var installation: Installation?
        if root.isInstalled {
            do {
                installation = try Installation.open(root)
            } catch is OtherVersionError {
                installation = nil
            }
        }
        self.init(paths: paths, installation: installation)
    }

    init(paths: TailtracePaths, installation: Installation?) {
        self.paths = paths
        self.installation = installation
    }

    /// Running containers (state dir) and stopped ones (archive), running first.
    public func containers() throws -> (records: [ContainerRecord], problems: [String]) {
        let live = try liveRecords()
        var problems = live.problems.map(\.description)
        var records = live.records.sorted { ($0.startedAt ?? "", $0.id) < ($1.startedAt ?? "", $1.id) }
        if let archived = try? paths.archive.entries() {
            problems += archived.problems.map(\.description)
            records += archived.entries.map(\.record)
        }
        return (records, problems)
    }

    /// Finds `ID|NAME` among running containers first, then the archive
    /// (newest first).
    public func find(_ query: String) throws -> ContainerRecord {
        // First only the records the query can match, not every record of a
        // state dir of 1000 containers (`detach NAME`). Then, as the archive
        // is read anyway, every record: the name cache could only miss a
        // record whose id came back under another name in a file that got
        // the old file's inode (`StateNameCache`), but then it finds it.
        let matching = liveStates(of: try paths.stateStore.records(matching: query))
        if let found = try? ContainerLookup.find(query, in: matching) { return found }
        let live = try liveRecords().records
        if let found = try? ContainerLookup.find(query, in: live) { return found }
        // A name or id can have several archives (`ctr run --rm` twice with
        // one id): the newest wins. Entries come newest first.
        let archived = (try? paths.archive.entries().entries) ?? []
        if let exact = archived.first(where: { $0.record.id == query || $0.record.name == query }) {
            return exact.record
        }
        var newestPerID: [ContainerRecord] = []
        for entry in archived where !newestPerID.contains(where: { $0.id == entry.record.id }) {
            newestPerID.append(entry.record)
        }
        return try ContainerLookup.find(query, in: live + newestPerID)
    }

    /// The container's syscalls, oldest first: from its live ring while it
    /// runs and owns its slot (read in place), else from its archive. nil
    /// when no ring was kept.
    public func trace(of record: ContainerRecord) throws -> ([TraceItem], RingDecoder.Counts)? {
        try withTrace(of: record) { $0.items() }
    }

    /// The container's trace as `trace(of:)` finds it, decoded while `body`
    /// iterates it (a dump streams); nil when no ring was kept. `since` and
    /// `dropsSince`: what a follower read before (see `LiveRing.withTrace`).
    public func withTrace<R>(
        of record: ContainerRecord, since: RingCursor? = nil, dropsSince: UInt64 = 0, _ body: (RingTrace) throws -> R
    ) throws -> R? {
        switch record.state {
        case .running:
            return try liveTrace(of: record, since: since, dropsSince: dropsSince, body)
        case .untraced:
            return nil
        case .exited where record.archive == nil && record.archivePending != nil:
            // not archived yet: still in its slot
            return try liveTrace(of: record, since: since, dropsSince: dropsSince, body)
        case .exited:
            guard let entry = try archiveEntry(of: record) else { return nil }
            let bytes = try paths.archive.ring(of: entry)
            return bytes.isEmpty
                ? nil : try RingSnapshot(serialized: bytes).withTrace(since: since, dropsSince: dropsSince, body)
        }
    }

    /// The record's ring read in place, while its slot still holds it (the
    /// record's generation).
    private func liveTrace<R>(
        of record: ContainerRecord, since: RingCursor?, dropsSince: UInt64, _ body: (RingTrace) throws -> R
    ) throws -> R? {
        guard let installation, Pool(installation).generation(of: record.slot) == record.generation else {
            return nil
        }
        let live = try LiveRing(installation, slot: record.slot)
        return try live.withTrace(since: since, upTo: live.heads(), dropsSince: dropsSince, body)
    }

    /// The archive entry a stopped record names, if it is still there.
    public func archiveEntry(of record: ContainerRecord) throws -> ArchiveEntry? {
        guard let path = record.archive else { return nil }
        return try paths.archive.entries().entries.first { $0.path == path }
    }

    /// The state dir's records. Without an installation a running one's
    /// recorder is gone, and its ring with it (a BPF map lives only while
    /// pinned or held): it is shown untraced, never running.
    private func liveRecords() throws -> StateListing {
        var listing = try paths.stateStore.loadAll()
        listing.records = liveStates(of: listing.records)
        return listing
    }

    /// State-dir records with each running one's state as `liveRecords` says it.
    private func liveStates(of records: [ContainerRecord]) -> [ContainerRecord] {
        var records = records
        if let installation {
            // A record whose slot has another generation now lost its ring
            // (its container was unplugged without its record): not running.
            let pool = Pool(installation)
            for i in records.indices where records[i].state == .running {
                if pool.generation(of: records[i].slot) != records[i].generation {
                    records[i].state = .untraced
                }
            }
        } else {
            for i in records.indices where records[i].state == .running {
                records[i].state = .untraced
            }
        }
        return records
    }
}

extension RingSnapshot {
    /// How a container ended: the exit of its init, the last process that
    /// was pid 1 of its pid namespace, or else of host pid `pid` (a
    /// container in the host's pid namespace), if the ring holds it.
    public func initExit(pid: Int32?) -> ProcessExit? {
        let exits = RingDecoder(generation: generation, cellsPerCPU: cellsPerCPU, ncpus: ncpus)
            .processExits(cells: cells, low: low, high: high)
        return exits.last { $0.nsPid == 1 } ?? exits.last { pid != nil && Int32(bitPattern: $0.pid) == pid }
    }

    /// Decodes the snapshot into syscalls, oldest first, with loss counts.
    public func decode() -> ([TraceItem], RingDecoder.Counts) { withTrace { $0.items() } }

    /// The snapshot's trace, decoded while `body` iterates it; `since`:
    /// per CPU, the positions a follower read before (from the live ring).
    public func withTrace<R>(
        since: RingCursor? = nil, dropsSince: UInt64 = 0, _ body: (RingTrace) throws -> R
    ) rethrows -> R {
        var low = low
        if let since, since.read.count == low.count { low = zip(low, since.read).map { max($0, $1) } }
        return try cells.withUnsafeBytes { raw in
            try body(
                RingDecoder(generation: generation, cellsPerCPU: cellsPerCPU, ncpus: ncpus)
                    .trace(cells: raw, low: low, high: high, since: since, dropped: drops &- dropsSince))
        }
    }
}
