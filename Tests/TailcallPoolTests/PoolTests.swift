import CTailtrace
import Synchronization
import Testing

@testable import TailcallPool

/// The pool's logic (claim, adopt, race, unplug, free, refill) through its
/// narrow map interface, against maps held in memory: no root, no BPF. The
/// same logic runs against the pinned maps in TailtraceCLITests.
final class MemoryPoolMaps: PoolMaps, @unchecked Sendable {
    struct State {
        var keys: [UInt64: tt_slot_ref] = [:]
        var free: [Int] = []
        var controls: [Int: tt_ring_ctl] = [:]
        /// The dispatcher's own claims (`claims`), by slot.
        var claims: [Int: tt_claim] = [:]
        var refused: Set<UInt64> = []
        var epoch = 0
        var loads = 0
        /// Slots whose rings were zeroed, in order.
        var cleared: [Int] = []
        /// Runs inside the next insert, as a dispatcher claim racing it would.
        var beforeInsert: ((inout State) -> Void)?
    }
    let state = Mutex(State())

    func slot(ofKey key: UInt64) -> tt_slot_ref? { state.withLock { $0.keys[key] } }
    func insert(key: UInt64, _ ref: tt_slot_ref) throws -> Bool {
        state.withLock { s in
            if let race = s.beforeInsert {
                s.beforeInsert = nil
                race(&s)
            }
            guard s.keys[key] == nil else { return false }
            s.keys[key] = ref
            return true
        }
    }
    func remove(key: UInt64) throws -> Bool { state.withLock { $0.keys.removeValue(forKey: key) != nil } }
    func claimedKeys() throws -> [(key: UInt64, slot: Int)] {
        state.withLock { $0.keys.map { ($0.key, Int($0.value.slot)) } }
    }
    func popFree() throws -> Int? { state.withLock { $0.free.isEmpty ? nil : $0.free.removeFirst() } }
    func pushFree(_ slot: Int) throws { state.withLock { $0.free.append(slot) } }
    func control(ofSlot slot: Int) -> tt_ring_ctl? { state.withLock { $0.controls[slot] } }
    func setControl(ofSlot slot: Int, _ ctl: tt_ring_ctl) throws { state.withLock { $0.controls[slot] = ctl } }
    func forgetClaim(ofSlot slot: Int) throws { _ = state.withLock { $0.claims.removeValue(forKey: slot) } }
    func keysChanged() throws { state.withLock { $0.epoch += 1 } }
    func loadedSlots() -> [Int] { state.withLock { $0.controls.keys.sorted() } }
    func loadRecorder(slot: Int) throws {
        state.withLock { s in
            s.controls[slot] = tt_ring_ctl()
            s.loads += 1
        }
    }
    func loadRecorderToCopy(slot: Int) throws -> @Sendable (_ slot: Int) throws -> Void {
        try loadRecorder(slot: slot)
        return { try self.loadRecorder(slot: $0) }
    }
    func unloadRecorder(slot: Int) throws { _ = state.withLock { $0.controls.removeValue(forKey: slot) } }
    func autoClaims() throws -> [tt_claim] { state.withLock { Array($0.claims.values) } }
    func refuse(key: UInt64) throws { _ = state.withLock { $0.refused.insert(key) } }
    /// An empty ring of the slot's generation (the rings' contents are the
    /// kernel tests' business).
    func snapshot(ofSlot slot: Int) throws -> RingSnapshot {
        RingSnapshot(
            generation: control(ofSlot: slot)?.gen ?? 0, cellsPerCPU: 64, ncpus: 1, low: [0], high: [0], drops: 0,
            cells: [UInt8](repeating: 0, count: 64 * Int(TT_CELL_SIZE)))
    }

    func clearRing(ofSlot slot: Int) throws { state.withLock { $0.cleared.append(slot) } }

    /// The dispatcher claims `key` by itself for a task of `pid` in cgroup `cgroupID`.
    func dispatcherClaims(key: UInt64, cgroupID: UInt64, pid: UInt32) {
        state.withLock { s in
            let slot = s.free.removeFirst()
            var ref = tt_slot_ref()
            ref.slot = UInt32(slot)
            ref.gen = s.controls[slot]?.gen ?? 0
            s.keys[key] = ref
            var claim = tt_claim()
            claim.key = key
            claim.slot = UInt32(slot)
            claim.cgroup_id = cgroupID
            claim.pid = pid
            s.claims[slot] = claim
        }
    }
}

@Suite struct PoolTests {
    /// A pool of `size` loaded and freed slots, as install leaves it.
    static func pool(size: Int) throws -> (Pool, MemoryPoolMaps) {
        var info = tt_install()
        info.magic = TT_INSTALL_MAGIC
        info.pool_size = UInt32(size)
        info.cells_per_cpu = 64
        info.ncpus = 1
        let maps = MemoryPoolMaps()
        let pool = Pool(Installation(root: PinRoot("/nonexistent"), info: info), maps: maps)
        for slot in 0..<size {
            try pool.loadRecorder(slot: slot)
            try pool.free(slot: slot)
        }
        return (pool, maps)
    }

    @Test func claimTakesAFreeSlotWithItsNewGeneration() throws {
        let (pool, maps) = try Self.pool(size: 2)
        let claim = try pool.claim(key: 41)
        let gen = pool.generation(of: 0)
        #expect(gen != 0)
        #expect(claim == Claim(slot: 0, generation: gen, adopted: false, loadedFresh: false))
        #expect(maps.slot(ofKey: 41)?.slot == 0)
        #expect(maps.slot(ofKey: 41)?.gen == gen)
        #expect(maps.state.withLock { $0.epoch } == 1, "the dispatcher's cache is told")
        #expect(try pool.claim(key: 42).slot == 1)
    }

    @Test func aKeyWithASlotIsAdoptedNotClaimedTwice() throws {
        let (pool, maps) = try Self.pool(size: 2)
        let first = try pool.claim(key: 7)
        let again = try pool.claim(key: 7)
        #expect(again.adopted && again.slot == first.slot)
        #expect(maps.state.withLock { $0.free } == [1], "no second slot taken")
    }

    @Test func anEmptyPoolLoadsOneMoreModule() throws {
        let (pool, maps) = try Self.pool(size: 1)
        _ = try pool.claim(key: 1)
        let claim = try pool.claim(key: 2)
        #expect(claim.loadedFresh && claim.slot == 1)
        #expect(maps.state.withLock { $0.loads } == 2)
    }

    /// The dispatcher claims the key between our pop and our insert: our
    /// slot goes back to the queue, and its claim is the one kept.
    @Test func aDispatcherClaimThatWinsTheRaceIsAdopted() throws {
        let (pool, maps) = try Self.pool(size: 2)
        maps.state.withLock { s in
            s.beforeInsert = { s in
                var theirs = tt_slot_ref()
                theirs.slot = UInt32(s.free.removeFirst())
                s.keys[9] = theirs
            }
        }
        let claim = try pool.claim(key: 9)
        #expect(claim.adopted && claim.slot == 1)
        #expect(maps.state.withLock { $0.free } == [0], "our slot is free again")
    }

    @Test func unplugOnlyTheExpectedSlotAndFreeBumpsTheGeneration() throws {
        let (pool, maps) = try Self.pool(size: 2)
        let claim = try pool.claim(key: 5)
        #expect(try pool.unplug(key: 5, expectedSlot: claim.slot + 1) == nil, "another container's slot now")
        #expect(maps.slot(ofKey: 5) != nil)
        #expect(try pool.unplug(key: 5, expectedSlot: claim.slot) == claim.slot)
        #expect(try pool.unplug(key: 5) == nil, "a second poststop finds nothing")
        #expect(maps.state.withLock { $0.cleared }.isEmpty, "freshly loaded rings are not zeroed again")
        try pool.free(slot: claim.slot)
        #expect(pool.generation(of: claim.slot) == claim.generation + 1)
        #expect(maps.control(ofSlot: claim.slot)?.enabled == 1)
        #expect(maps.state.withLock { $0.cleared } == [claim.slot], "a used ring is zeroed before its reuse")
    }

    /// Records of an installation that is gone name slot 0..n with the
    /// generations their slots had: a new installation's slots start
    /// elsewhere (random; equal by chance once in 2^32).
    @Test func aFreshSlotStartsAtARandomGeneration() throws {
        let generations = try (0..<4).map { _ in try Self.pool(size: 1).0.generation(of: 0) }
        #expect(!generations.contains(0))
        #expect(Set(generations).count > 1, "\(generations)")
    }

    @Test func aGenerationNeverWrapsToZero() throws {
        let (pool, maps) = try Self.pool(size: 1)
        var ctl = tt_ring_ctl()
        ctl.gen = UInt32.max
        try maps.setControl(ofSlot: 0, ctl)
        try pool.free(slot: 0)
        #expect(pool.generation(of: 0) == 1)
    }

    /// A burst that loaded modules on an empty pool: once the containers
    /// are gone, the surplus is unloaded, never a claimed or held slot.
    @Test func shrinkReturnsThePoolToItsSize() throws {
        let (pool, maps) = try Self.pool(size: 2)
        for key in 1...5 { _ = try pool.claim(key: UInt64(key)) }
        #expect(maps.loadedSlots().count == 5)
        for key in 1...4 { _ = try pool.release(key: UInt64(key)) }
        #expect(try pool.shrink(held: 1) == 1, "5 loaded - 1 claimed - 1 held - 2 pool")
        #expect(try pool.shrink() == 1)
        #expect(try pool.shrink() == 0)
        #expect(maps.loadedSlots().count == 3)
        #expect(maps.slot(ofKey: 5) != nil && maps.control(ofSlot: Int(maps.slot(ofKey: 5)!.slot)) != nil)
    }

    @Test func refillLoadsUntilThePoolSizeIsFree() throws {
        let (pool, maps) = try Self.pool(size: 3)
        for key in 1...3 { _ = try pool.claim(key: UInt64(key)) }
        #expect(try pool.refill() == 3)
        #expect(maps.state.withLock { $0.free } == [3, 4, 5])
        #expect(try pool.refill() == 0, "already full")
    }
}
