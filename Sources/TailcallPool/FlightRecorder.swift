import CTailtrace
import Glibc
import Shared

/// The traced containers of one installation: plugs a container's recorder
/// in (claim a slot, save its metadata), unplugs it (stop recording, archive
/// the ring with the metadata, return the slot), and finds a container's
/// trace, live or archived. Used by the CLI and by the hooks alike.
public struct FlightRecorder {
    public let paths: TailtracePaths
    public let installation: Installation
    public var pool: Pool { Pool(installation) }
    public var retention = ArchiveRetention()

    public init(paths: TailtracePaths) throws {
        self.paths = paths
        installation = try Installation.open(PinRoot(paths.pinRoot))
    }

    public var keyMode: KeyMode { installation.keyMode }

    /// Claims (or adopts) a slot for `record.key` and saves the record with
    /// its slot and generation.
    public func plug(_ record: ContainerRecord) throws -> (ContainerRecord, Claim) {
        let store = paths.stateStore
        try store.prepare()
        return try store.withLock {
            let claim = try pool.claim(key: record.key)
            var saved = record
            saved.slot = claim.slot
            saved.generation = claim.generation
            saved.state = .running
            if saved.startedAt == nil { saved.startedAt = RFC3339Time.now() }
            do {
                try store.save(saved)
            } catch {
                if !claim.adopted { try? pool.release(key: record.key) }
                throw error
            }
            return (saved, claim)
        }
    }

    /// Stops recording `record`, archives its ring and metadata, returns the
    /// slot to the pool and removes the state file. A record whose slot was
    /// already given to someone else is archived without a ring. Returns nil
    /// when the record was already unplugged (a second poststop).
    @discardableResult
    public func unplug(_ record: ContainerRecord) throws -> ArchiveEntry? {
        try withStateLock { try $0.unplug(record) }
    }

    /// Runs `body` holding the state dir's lock (a non-reentrant flock);
    /// what must run under it is reached only through the `Locked` handle.
    public func withStateLock<T>(_ body: (Locked) throws -> T) throws -> T {
        let store = paths.stateStore
        try store.prepare()
        return try store.withLock { try body(Locked(recorder: self)) }
    }

    /// The recorder while the state lock is held.
    public struct Locked {
        public let recorder: FlightRecorder

        /// `unplug`, without taking the lock again.
        @discardableResult
        public func unplug(_ record: ContainerRecord) throws -> ArchiveEntry? {
            try recorder.unplugHoldingLock(record)
        }
    }

    @discardableResult
    private func unplugHoldingLock(_ record: ContainerRecord) throws -> ArchiveEntry? {
        let store = paths.stateStore
        guard let record = try store.load(id: record.id) else { return nil }
        let slot = try pool.unplug(key: record.key, expectedSlot: record.slot)
        var ring: [UInt8] = []
        if let slot, pool.generation(of: slot) == record.generation {
            ring = try RingSnapshot.capture(installation, slot: slot).serialized()
        }
        if let slot { try pool.free(slot: slot) }
        var stopped = record
        stopped.state = .exited
        stopped.stoppedAt = RFC3339Time.now()
        let entry = try paths.archive.store(stopped, ring: ring)
        _ = try store.remove(id: record.id)
        _ = try? paths.archive.applyRetention(retention)
        return entry
    }

    /// Running containers (state dir) and stopped ones (archive), running first.
    public func containers() throws -> (records: [ContainerRecord], problems: [String]) {
        let live = try paths.stateStore.loadAll()
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
        let live = try paths.stateStore.loadAll().records
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
        if record.state == .running {
            guard pool.generation(of: record.slot) == record.generation else { return nil }
            return try RingSnapshot.decodeLive(installation, slot: record.slot)
        }
        guard let path = record.archive,
            let entry = try paths.archive.entries().entries.first(where: { $0.path == path })
        else { return nil }
        let bytes = try paths.archive.ring(of: entry)
        return bytes.isEmpty ? nil : try RingSnapshot(serialized: bytes).decode()
    }
}

extension RingSnapshot {
    /// Decodes the snapshot into syscalls, oldest first, with loss counts.
    public func decode() -> ([TraceItem], RingDecoder.Counts) {
        RingDecoder(generation: generation, cellsPerCPU: cellsPerCPU, ncpus: ncpus)
            .decode(cells: cells, low: low, high: high, dropped: drops)
    }
}
