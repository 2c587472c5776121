import BPFObjects
import CTailtrace
import Glibc
import Shared

/// A slot claimed for one container key.
public struct Claim: Sendable, Equatable {
    public let slot: Int
    public let generation: UInt32
    /// The key already had a slot (claimed by the dispatcher or an earlier
    /// hook); that claim was adopted.
    public let adopted: Bool
    /// The pool was empty and a fresh recorder module was loaded.
    public let loadedFresh: Bool
}

public struct PoolStatus: Sendable {
    public var poolSize: Int
    public var loaded: Int
    public var claimed: Int
    public var free: Int
    public var misses: UInt64
    public var autoClaims: UInt64
    public var refused: UInt64
    public var races: UInt64
    /// Events the dispatcher could not run because another one was running
    /// on the same CPU (kernel recursion guard), plus records dropped in BPF.
    public var lost: UInt64
    public var memoryBytes: Int
    /// Payloads (paths, buffers, addresses) the slots' current containers
    /// recorded, and those that could not be read from user memory, at
    /// enter nor again at exit (a slot's counts restart when it is freed).
    public var payloads: UInt64
    public var payloadFaults: UInt64
}

/// The pool of preloaded recorder modules. Claiming is user-space map work
/// only (pop a slot, insert key → slot): no BPF load and no verifier run on a
/// container's start path, unless the pool is empty.
public struct Pool: Sendable {
    public let installation: Installation
    /// The pinned maps the pool logic runs against (a dictionary in tests).
    let maps: any PoolMaps
    var root: PinRoot { installation.root }

    public init(_ installation: Installation) {
        self.init(installation, maps: PinnedPoolMaps(installation: installation))
    }

    init(_ installation: Installation, maps: any PoolMaps) {
        self.installation = installation
        self.maps = maps
    }

    /// Loads recorder module `slot`, pins it, and puts its programs in the
    /// dispatcher's prog array. The slot is not free until `free(slot:)`.
    func loadRecorder(slot: Int) throws {
        try maps.loadRecorder(slot: slot)
    }

    /// Loads the modules of `slots` as `loadRecorder` does: the first
    /// through libbpf, the others as copies of it (BPFObjectImage), on one
    /// thread per CPU (4 at most), since the kernel verifies each program
    /// load in the calling thread, most of install's time. The first error
    /// is thrown once every thread stopped; modules loaded stay loaded.
    func loadRecorders(_ slots: Range<Int>) throws {
        guard let first = slots.first else { return }
        let loads = ConcurrentLoads(try maps.loadRecorderToCopy(slot: first), slots: (first + 1)..<slots.upperBound)
        let threads = min(max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1), 4, max(slots.count - 1, 1))
        var started: [pthread_t] = []
        for _ in 1..<threads {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(loads).toOpaque()
            let rc = pthread_create(
                &thread, nil,
                { context in
                    Unmanaged<ConcurrentLoads>.fromOpaque(context!).takeRetainedValue().run()
                    return nil
                }, context)
            if rc == 0 {
                started.append(thread)
            } else {
                Unmanaged<ConcurrentLoads>.fromOpaque(context).release()  // this thread does its share
            }
        }
        loads.run()
        for thread in started { pthread_join(thread, nil) }
        if let error = loads.firstError { throw error }
    }
}

/// The slots `Pool.loadRecorders` has left to load, taken one at a time by
/// its threads; its state is behind `lock`.
private final class ConcurrentLoads: @unchecked Sendable {
    let load: @Sendable (_ slot: Int) throws -> Void
    private var next: Int
    private let end: Int
    private var error: (any Error)?
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init(_ load: @escaping @Sendable (_ slot: Int) throws -> Void, slots: Range<Int>) {
        self.load = load
        next = slots.lowerBound
        end = slots.upperBound
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    var firstError: (any Error)? { locked { error } }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return body()
    }

    /// Loads slots until none is left or one failed.
    func run() {
        while let slot = locked({ () -> Int? in
            guard error == nil, next < end else { return nil }
            defer { next += 1 }
            return next
        }) {
            do {
                try load(slot)
            } catch {
                locked { if self.error == nil { self.error = error } }
            }
        }
    }
}

/// What the pool does to the pinned maps, and nothing else: the narrow
/// interface its logic (claim, adopt, unplug, free, refill) is written
/// against, so that logic is unit-tested without BPF
/// (Tests/TailcallPoolTests/PoolTests.swift) as well as on the kernel.
protocol PoolMaps: Sendable {
    /// `keys`: container key → slot.
    func slot(ofKey key: UInt64) -> tt_slot_ref?
    /// Inserts with BPF_NOEXIST: false when the key has a slot already.
    func insert(key: UInt64, _ ref: tt_slot_ref) throws -> Bool
    func remove(key: UInt64) throws -> Bool
    func claimedKeys() throws -> [(key: UInt64, slot: Int)]
    /// `free_slots`, the queue of reset slots.
    func popFree() throws -> Int?
    func pushFree(_ slot: Int) throws
    /// A slot's `ring_ctl` (nil: no such slot).
    func control(ofSlot slot: Int) -> tt_ring_ctl?
    func setControl(ofSlot slot: Int, _ ctl: tt_ring_ctl) throws
    /// Forgets the dispatcher's record of claiming `slot` (`claims`).
    func forgetClaim(ofSlot slot: Int) throws
    /// Bumps `epoch`: the dispatcher's cached resolutions are stale.
    func keysChanged() throws
    func loadedSlots() -> [Int]
    /// Loads and pins recorder module `slot` and puts it in the prog arrays.
    func loadRecorder(slot: Int) throws
    /// Loads module `slot` as `loadRecorder` does, and returns what loads
    /// more modules (given their slots) as copies of it, from several
    /// threads at once.
    func loadRecorderToCopy(slot: Int) throws -> @Sendable (_ slot: Int) throws -> Void
    /// Takes a free slot's module out of the prog arrays and unpins it: the
    /// kernel frees it once nothing holds it.
    func unloadRecorder(slot: Int) throws
    /// What the dispatcher recorded for the slots it claimed by itself (`claims`).
    func autoClaims() throws -> [tt_claim]
    /// The dispatcher never claims `key` again (`refused`).
    func refuse(key: UInt64) throws
    /// A consistent copy of slot `slot`'s ring.
    func snapshot(ofSlot slot: Int) throws -> RingSnapshot
    /// Zeroes slot `slot`'s cells (no program writes them: no key has it).
    func clearRing(ofSlot slot: Int) throws
}

/// The pool's maps as pinned under an installation's root.
struct PinnedPoolMaps: PoolMaps {
    let installation: Installation
    var root: PinRoot { installation.root }

    func slot(ofKey key: UInt64) -> tt_slot_ref? {
        (try? BPFMap.open(pinned: root.pin(.keys)))?.lookup(key, as: tt_slot_ref.self)
    }

    func insert(key: UInt64, _ ref: tt_slot_ref) throws -> Bool {
        do {
            try BPFMap.open(pinned: root.pin(.keys)).update(key, ref, flags: UInt64(BPF_NOEXIST))
            return true
        } catch let e as BPFError where e.errno == EEXIST {
            return false
        }
    }

    func remove(key: UInt64) throws -> Bool { try BPFMap.open(pinned: root.pin(.keys)).delete(key) }

    func claimedKeys() throws -> [(key: UInt64, slot: Int)] {
        let keys = try BPFMap.open(pinned: root.pin(.keys))
        return keys.keys(UInt64.self).compactMap { key in
            keys.lookup(key, as: tt_slot_ref.self).map { (key, Int($0.slot)) }
        }
    }

    func popFree() throws -> Int? { try BPFMap.open(pinned: root.pin(.freeSlots)).pop().map(Int.init) }
    func pushFree(_ slot: Int) throws { try BPFMap.open(pinned: root.pin(.freeSlots)).push(UInt32(slot)) }

    func control(ofSlot slot: Int) -> tt_ring_ctl? {
        (try? BPFMap.open(pinned: root.slotPin(slot, .ringCtl)))?.lookup(UInt32(0), as: tt_ring_ctl.self)
    }

    func setControl(ofSlot slot: Int, _ ctl: tt_ring_ctl) throws {
        try BPFMap.open(pinned: root.slotPin(slot, .ringCtl)).update(UInt32(0), ctl)
    }

    func forgetClaim(ofSlot slot: Int) throws { try BPFMap.open(pinned: root.pin(.claims)).delete(UInt32(slot)) }

    func keysChanged() throws {
        let epoch = try BPFMap.open(pinned: root.pin(.epoch))
        try BPFError.check(tt_bump_epoch(epoch.fd), "bump \(root.pin(.epoch))")
    }

    func loadedSlots() -> [Int] { root.loadedSlots() }

    func autoClaims() throws -> [tt_claim] {
        let claims = try BPFMap.open(pinned: root.pin(.claims))
        return claims.keys(UInt32.self).compactMap { claims.lookup($0, as: tt_claim.self) }
    }

    func refuse(key: UInt64) throws { try BPFMap.open(pinned: root.pin(.refused)).update(key, UInt8(1)) }

    func snapshot(ofSlot slot: Int) throws -> RingSnapshot { try RingSnapshot.capture(installation, slot: slot) }

    /// Through a writable mapping: one memset, no syscall per cell. Timed
    /// here with strace, mapping and unmapping included: ~0.15 ms for
    /// 256 KiB, ~15-25 ms for a 64 MiB ring, at each container stop.
    func clearRing(ofSlot slot: Int) throws {
        let length = installation.ringCells * Int(TT_CELL_SIZE)
        let ring = try MappedRegion(map: try BPFMap.open(pinned: root.slotPin(slot, .ring)), length: length, writable: true)
        ring.base.initializeMemory(as: UInt8.self, repeating: 0, count: length)
    }

    func unloadRecorder(slot: Int) throws {
        for (_, array) in Self.progArrays { _ = try BPFMap.open(pinned: root.pin(array)).delete(UInt32(slot)) }
        try PinRoot.removeTree(root.slotDir(slot))
    }

    func loadRecorder(slot: Int) throws { _ = try loadModule(slot: slot) }

    func loadRecorderToCopy(slot: Int) throws -> @Sendable (_ slot: Int) throws -> Void {
        let image = try BPFObjectImage(of: loadModule(slot: slot), own: Self.slotMaps)
        return { slot in try self.place(image.load(), inSlot: slot) }
    }

    /// Loads a module through libbpf as slot `slot`; the first module of an
    /// installation also makes the maps all share.
    private func loadModule(slot: Int) throws -> BPFProgramObject<RecorderBPF> {
        try Self.check(slot)
        let object = try BPFProgramObject<RecorderBPF>(installation.variant)
        let cells = installation.cellsPerCPU
        try object.configure(
            .init(
                cellsPerCpu: UInt32(cells), cellMask: UInt32(cells - 1), captureBytes: UInt32(installation.captureBytes)
            ))
        try object.setMaxEntries(.ring, UInt32(installation.ringCells))
        var made: [RecorderBPF.Map] = []
        for name in Self.sharedMaps {
            if let shared = try? BPFMap.open(pinned: root.sharedPin(name)) {
                try object.reuse(name, fd: shared.fd)
            } else {
                made.append(name)
            }
        }
        try object.load()
        for name in made { try object.pin(name, at: root.sharedPin(name)) }
        try place(object, inSlot: slot)
        return object
    }

    /// Pins a loaded module's own maps and its programs as slot `slot`, and
    /// puts the programs in the dispatcher's prog arrays.
    private func place(_ module: some LoadedBPFObject<RecorderBPF>, inSlot slot: Int) throws {
        try Self.check(slot)
        let dir = root.slotDir(slot)
        if mkdir(dir, 0o700) != 0 && errno != EEXIST {
            throw FileSystemError(operation: "mkdir", path: dir, errno: errno)
        }
        for map in Self.slotMaps { try module.pin(map, at: root.slotPin(slot, map)) }
        for program in RecorderBPF.Program.allCases { try module.pin(program, at: root.slotPin(slot, program)) }
        for (program, array) in Self.progArrays {
            try BPFMap.open(pinned: root.pin(array)).update(UInt32(slot), module.programFD(program))
        }
    }

    private static func check(_ slot: Int) throws {
        guard slot >= 0, slot < Int(TT_MAX_SLOTS) else {
            throw BPFError("load recorder \(slot)", errno: ENOSPC, hint: "at most \(TT_MAX_SLOTS) slots")
        }
    }

    /// Recorder maps one per slot; the others every slot shares: the
    /// per-CPU scratch (programs never nest on a CPU), the capture plan,
    /// the threads waiting to read a faulted payload again, and the
    /// dispatcher's "current" (pinned by the dispatcher, so reused by all).
    static let slotMaps: [RecorderBPF.Map] = [.ring, .ringCtl]
    static let sharedMaps = RecorderBPF.Map.allCases.filter { !slotMaps.contains($0) }
    /// Each recorder program and the dispatcher prog array that calls it.
    static let progArrays: [(RecorderBPF.Program, DispatcherBPF.Map)] = [
        (.ttRecordEnter, .recordersEnter), (.ttRecordExit, .recordersExit),
        (.ttRecordSignal, .recordersSignal), (.ttRecordProcExit, .recordersProcExit),
    ]

}

extension Pool {
    /// Resets a slot's ring (cells zeroed, new generation, empty heads) and
    /// returns it to the free queue. The caller has removed its key first
    /// (and archived the ring). The cells are zeroed, not only left behind
    /// a new generation: the next container's archive and export carry the
    /// whole ring, and must not carry the cells of the container before it.
    public func free(slot: Int) throws {
        let old = maps.control(ofSlot: slot) ?? tt_ring_ctl()
        if old.gen != 0 { try maps.clearRing(ofSlot: slot) }  // gen 0: freshly loaded, all zero
        var c = tt_ring_ctl()
        // A freshly loaded slot (gen 0) starts at a random generation: a
        // record left in the state dir by an installation that is gone (its
        // pins removed, or replaced by another version) names a slot and a
        // generation, and must not match the new installation's slot.
        let gen = old.gen == 0 ? UInt32.random(in: 1...UInt32.max) : old.gen &+ 1
        c.gen = gen == 0 ? 1 : gen  // 0 is never a generation: records of it would match a zeroed ring
        c.enabled = 1
        try maps.setControl(ofSlot: slot, c)
        try maps.pushFree(slot)
    }

    /// Claims a slot for `key`, or adopts the slot the key already has.
    public func claim(key: UInt64) throws -> Claim {
        if let ref = maps.slot(ofKey: key) {
            return Claim(
                slot: Int(ref.slot), generation: generation(of: Int(ref.slot)), adopted: true, loadedFresh: false)
        }
        var fresh = false
        var slot: Int
        if let s = try maps.popFree() {
            slot = s
        } else {
            // Slow path: the pool is empty; load one more module.
            slot = (maps.loadedSlots().last ?? -1) + 1
            try loadRecorder(slot: slot)
            try free(slot: slot)
            guard let s = try maps.popFree() else {
                throw BPFError("claim a slot", errno: EAGAIN, hint: "the pool was emptied concurrently")
            }
            slot = s
            fresh = true
        }
        let gen = generation(of: slot)
        var ref = tt_slot_ref()
        ref.slot = UInt32(slot)
        ref.gen = gen
        guard try maps.insert(key: key, ref) else {
            // The dispatcher claimed this key meanwhile: keep its claim.
            try maps.pushFree(slot)
            guard let theirs = maps.slot(ofKey: key) else {
                throw BPFError("claim a slot for key \(key)", errno: EAGAIN, hint: "its claim vanished while adopting it")
            }
            return Claim(
                slot: Int(theirs.slot), generation: generation(of: Int(theirs.slot)), adopted: true, loadedFresh: false)
        }
        try maps.keysChanged()
        return Claim(slot: slot, generation: gen, adopted: false, loadedFresh: fresh)
    }

    /// Unplugs `key`: removes key → slot so the dispatcher stops recording
    /// it, and forgets the dispatcher's claim. The ring keeps its records
    /// until `free(slot:)`. Returns the slot, or nil when the key had none
    /// (or another slot than `expected`).
    public func unplug(key: UInt64, expectedSlot expected: Int? = nil) throws -> Int? {
        guard let ref = maps.slot(ofKey: key) else { return nil }
        if let expected, Int(ref.slot) != expected { return nil }
        guard try maps.remove(key: key) else { return nil }
        try maps.keysChanged()
        try maps.forgetClaim(ofSlot: Int(ref.slot))
        return Int(ref.slot)
    }

    /// Unplugs `key` and returns its slot to the pool at once (records lost).
    @discardableResult
    public func release(key: UInt64) throws -> Bool {
        guard let slot = try unplug(key: key) else { return false }
        try free(slot: slot)
        return true
    }

    public func generation(of slot: Int) -> UInt32 { maps.control(ofSlot: slot)?.gen ?? 0 }

    /// Key → slot for every claimed slot.
    public func claimedKeys() throws -> [(key: UInt64, slot: Int)] { try maps.claimedKeys() }

    /// What the dispatcher recorded for slots it claimed by itself.
    public func autoClaims() throws -> [tt_claim] { try maps.autoClaims() }

    /// A consistent copy of slot `slot`'s ring.
    public func snapshot(slot: Int) throws -> RingSnapshot { try maps.snapshot(ofSlot: slot) }

    public func status() throws -> PoolStatus {
        let loaded = maps.loadedSlots()
        let claimed = try claimedKeys().count
        let stats = try BPFMap.open(pinned: root.pin(.stats))
        let ncpu = Int(libbpf_num_possible_cpus())
        func stat(_ s: tt_stat) -> UInt64 {
            var values = [UInt64](repeating: 0, count: ncpu)
            var key = UInt32(s.rawValue)
            guard bpf_map_lookup_elem(stats.fd, &key, &values) == 0 else { return 0 }
            return values.reduce(0, &+)
        }
        var memory = 0
        var drops: UInt64 = 0
        for name in DispatcherBPF.Map.allCases {
            memory += (try? BPFMap.open(pinned: root.pin(name)))?.memlock ?? 0
        }
        // "current" is the dispatcher's, counted above
        for name in PinnedPoolMaps.sharedMaps where DispatcherBPF.Map(rawValue: name.rawValue) == nil {
            memory += (try? BPFMap.open(pinned: root.sharedPin(name)))?.memlock ?? 0
        }
        var payloads: UInt64 = 0
        var faults: UInt64 = 0
        for slot in loaded {
            for name in PinnedPoolMaps.slotMaps {
                memory += (try? BPFMap.open(pinned: root.slotPin(slot, name)))?.memlock ?? 0
            }
            if let ctl = try? BPFMap.open(pinned: root.slotPin(slot, .ringCtl)),
                let c = ctl.lookup(UInt32(0), as: tt_ring_ctl.self)
            {
                drops &+= c.drops
                withUnsafeBytes(of: c.heads) { raw in
                    for head in raw.bindMemory(to: tt_head.self).prefix(installation.ncpus) {
                        payloads &+= head.payloads
                        faults &+= head.faults
                    }
                }
            }
        }
        return PoolStatus(
            poolSize: installation.poolSize, loaded: loaded.count, claimed: claimed,
            free: max(loaded.count - claimed, 0), misses: stat(TT_STAT_MISSES),
            autoClaims: stat(TT_STAT_CLAIMS), refused: stat(TT_STAT_REFUSED), races: stat(TT_STAT_RACES),
            lost: drops &+ dispatcherRecursionMisses(), memoryBytes: memory, payloads: payloads,
            payloadFaults: faults)
    }

    /// bpf_prog_info.recursion_misses of the dispatcher programs (kernel 5.12):
    /// syscalls the kernel did not run them for because one was already
    /// running on that CPU.
    func dispatcherRecursionMisses() -> UInt64 {
        var total: UInt64 = 0
        for (_, name) in PinRoot.dispatcherLinks {
            let fd = bpf_obj_get(root.pin(name))
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var link = bpf_link_info()
            var len = UInt32(MemoryLayout<bpf_link_info>.size)
            guard bpf_obj_get_info_by_fd(fd, &link, &len) == 0 else { continue }
            let pfd = bpf_prog_get_fd_by_id(link.prog_id)
            guard pfd >= 0 else { continue }
            defer { close(pfd) }
            var prog = bpf_prog_info()
            var plen = UInt32(MemoryLayout<bpf_prog_info>.size)
            if bpf_obj_get_info_by_fd(pfd, &prog, &plen) == 0 { total &+= prog.recursion_misses }
        }
        return total
    }
}

extension Pool {
    /// The dispatcher will never claim `key` again (reconcile found it is no container).
    public func refuse(key: UInt64) throws { try maps.refuse(key: key) }

    /// Unloads free modules beyond `poolSize` (left by a burst of containers
    /// that loaded more on an empty pool), so the pool returns to its size.
    /// `held` as for `refill`. Returns how many were unloaded.
    public func shrink(held: Int = 0) throws -> Int {
        var surplus = maps.loadedSlots().count - (try claimedKeys().count) - held - installation.poolSize
        var unloaded = 0
        while surplus > 0, let slot = try maps.popFree() {
            try maps.unloadRecorder(slot: slot)
            surplus -= 1
            unloaded += 1
        }
        return unloaded
    }

    /// Loads recorder modules until `poolSize` slots are free, the first
    /// through libbpf and the others as copies of it, each freed once
    /// loaded. `held`: slots neither claimed nor free (rings kept for a
    /// pending archive). Returns how many were loaded.
    public func refill(held: Int = 0) throws -> Int {
        let loaded = maps.loadedSlots()
        let free = loaded.count - (try claimedKeys().count) - held
        let first = (loaded.last ?? -1) + 1
        let slots = first..<Swift.max(first, Swift.min(first + installation.poolSize - free, Int(TT_MAX_SLOTS)))
        guard !slots.isEmpty else { return 0 }
        let copy = try maps.loadRecorderToCopy(slot: first)
        try self.free(slot: first)
        for slot in slots.dropFirst() {
            try copy(slot)
            try self.free(slot: slot)
        }
        return slots.count
    }
}
