import CTailtrace
import Glibc
import Shared

/// The traced containers of one installation: plugs a container's recorder
/// in (claim a slot, save its metadata), unplugs it (stop recording, archive
/// the ring with the metadata, return the slot). Used by the CLI and by the
/// hooks alike; reading traces is `RecordedTraces`, which needs no
/// installation.
public struct FlightRecorder {
    public let paths: TailtracePaths
    public let pool: Pool
    public var installation: Installation { pool.installation }
    public var retention = ArchiveRetention()
    /// The step at which to kill this process (a test's fault injection, set by the hooks only).
    public var fault: HookFault?

    public init(paths: TailtracePaths) throws {
        self.init(paths: paths, pool: Pool(try Installation.open(PinRoot(paths.pinRoot))))
    }

    /// Over another pool's maps (in memory, in tests).
    init(paths: TailtracePaths, pool: Pool) {
        self.paths = paths
        self.pool = pool
    }

    public var keyMode: KeyMode { installation.keyMode }

    /// The containers and traces, live ones read through this installation.
    public var traces: RecordedTraces { RecordedTraces(paths: paths, installation: installation) }

    /// Claims (or adopts) a slot for `record.key` and saves the record with
    /// its slot and generation. With `uniqueName`, a record of another key
    /// bearing the same name refuses the plug (`NameInUse`): checked under
    /// the state lock, so two plugs of one name at once cannot both pass.
    public func plug(_ record: ContainerRecord, uniqueName: Bool = false) throws -> (ContainerRecord, Claim) {
        let store = paths.stateStore
        try store.prepare()
        return try store.withLock {
            if uniqueName, let other = try store.records(named: record.name).first(where: { $0.key != record.key }) {
                throw NameInUse(name: record.name, usedBy: other.id)
            }
            let claim = try pool.claim(key: record.key)
            HookFault.afterClaim.reached(armed: fault)
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
            HookFault.afterSave.reached(armed: fault)
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

        /// Tries again to archive the traces whose archive failed: those
        /// archived now, and why the others are still pending.
        public func retryPendingArchives() throws -> (archived: [ContainerRecord], problems: [String]) {
            let store = recorder.paths.stateStore
            var archived: [ContainerRecord] = []
            var problems: [String] = []
            let pending = try store.pendingArchives()
            for record in pending {
                do {
                    try unplug(record)
                    archived.append(record)
                } catch {
                    problems.append("\(record.name): archive still pending: \(error)")
                }
            }
            // also when none is left: a process killed after archiving the
            // last one, before clearing the marker, left it behind
            if archived.count == pending.count { try store.markPendingArchives(false) }
            return (archived, problems)
        }
    }

    /// Stops recording the container and archives its ring. When the
    /// archive cannot be written (a full disk), nothing is lost: the slot is
    /// not freed, the record is saved `exited` with `archivePending` (why),
    /// and the ring is read live until a later try (`retryPendingArchives`)
    /// succeeds; the error says so. Each step is safe to repeat when an
    /// earlier stop was killed part-way (`HookFault` names the steps).
    @discardableResult
    private func unplugHoldingLock(_ record: ContainerRecord) throws -> ArchiveEntry? {
        let store = paths.stateStore
        guard let record = try store.load(id: record.id) else { return nil }
        let fromKey = try pool.unplug(key: record.key, expectedSlot: record.slot)
        HookFault.afterUnplug.reached(armed: fault)
        let slot = try fromKey ?? heldSlot(of: record)
        // Its key unplugged before (a pending archive, or a stop killed
        // after that): its archive may be written already.
        let archived = fromKey == nil ? try paths.archive.entry(archiving: record) : nil
        let entry: ArchiveEntry
        if let archived {
            entry = archived
        } else {
            var snapshot: RingSnapshot?
            var stopped = Self.stopped(record)
            if let slot, pool.generation(of: slot) == record.generation {
                snapshot = try pool.snapshot(slot: slot)
                // how the container's init ended, for `list`
                stopped.exitStatus = snapshot?.initExit(pid: record.pid)?.status
            }
            do {
                entry = try paths.archive.store(
                    stopped, ringHeader: snapshot?.serializedHeader() ?? [], ring: snapshot?.cells ?? [])
            } catch {
                // Saved as pending either way: never left "running" with a slot
                // that someone else may get (without its ring it holds no slot).
                stopped.archivePending = "\(error)"
                try store.save(stopped)
                try store.markPendingArchives(true)
                throw ArchivePendingError(record: stopped, reason: error)
            }
        }
        HookFault.afterArchive.reached(armed: fault)
        if let slot { try pool.free(slot: slot) }
        HookFault.afterFree.reached(armed: fault)
        _ = try store.remove(id: record.id)
        _ = try? paths.archive.applyRetention(retention)
        return entry
    }

    /// `record` as archived when it stops.
    static func stopped(_ record: ContainerRecord) -> ContainerRecord {
        var stopped = record
        stopped.state = .exited
        stopped.stoppedAt = record.stoppedAt ?? RFC3339Time.now()
        stopped.clockOffsetNs = RFC3339Time.monotonicOffsetNs()
        stopped.archivePending = nil
        return stopped
    }

    /// Archives the record of `id` without a ring when its installation is
    /// gone (uninstalled, or a reboot emptied bpffs: the ring went with the
    /// pins), so `list` still shows the container stopped and `dump` says
    /// no trace is kept. Nil when there was no record.
    @discardableResult
    public static func archiveWithoutRing(id: String, paths: TailtracePaths) throws -> ArchiveEntry? {
        let store = paths.stateStore
        return try store.withLock {
            guard let record = try store.load(id: id) else { return nil }
            let entry =
                try paths.archive.entry(archiving: record) ?? paths.archive.store(stopped(record), ring: [UInt8]())
            _ = try store.remove(id: id)
            return entry
        }
    }

    /// The slot of a record whose key has none any more (its archive is
    /// pending, or a stop was killed after unplugging it) while it still
    /// holds the record's ring: its generation is the record's (`free`
    /// changes it, so it was not freed since the claim) and no key has it.
    private func heldSlot(of record: ContainerRecord) throws -> Int? {
        guard record.slot >= 0, pool.generation(of: record.slot) == record.generation,
            try !pool.claimedKeys().contains(where: { $0.slot == record.slot })
        else { return nil }
        return record.slot
    }

    /// `Locked.retryPendingArchives`, taking the state lock.
    @discardableResult
    public func retryPendingArchives() throws -> (archived: [ContainerRecord], problems: [String]) {
        try withStateLock { try $0.retryPendingArchives() }
    }
}

/// A container stopped after its installation went: its record is
/// archived, its trace is lost.
public struct TraceLostError: Error, CustomStringConvertible {
    public let name: String
    public let reason: any Error
    public init(name: String, reason: any Error) {
        self.name = name
        self.reason = reason
    }
    public var description: String { "\(name): its trace is lost (\(reason)); its record is archived without it" }
}

/// A stopped container's trace could not be archived; it is kept in its
/// slot (`archivePending`) and archived by a later try.
public struct ArchivePendingError: Error, CustomStringConvertible {
    public let record: ContainerRecord
    public let reason: any Error
    public var description: String {
        "\(record.name): could not archive its trace (\(reason)); it stays in recorder \(record.slot), "
            + "readable with `tailtrace dump`, until reconcile or a later poststop archives it"
    }
}

/// `FlightRecorder.plug(_:uniqueName:)` refused: the name belongs to another
/// traced or stopped container.
public struct NameInUse: Error, CustomStringConvertible {
    public let name: String
    public let usedBy: String
    public var description: String { "the name \(name) is already used by \(usedBy)" }
}
