import CTailtrace
import Glibc
import Shared

/// A consistent copy of one recorder ring: the cells, and per CPU the window
/// of positions whose cells were not being written while they were copied.
/// Taken from a live ring (`capture`) or read back from an archive.
public struct RingSnapshot: Sendable {
    public var generation: UInt32
    public var cellsPerCPU: Int
    public var ncpus: Int
    /// Per CPU: positions [low, high) are readable; positions below low were
    /// overwritten (or are being overwritten) by newer records.
    public var low: [UInt64]
    public var high: [UInt64]
    public var drops: UInt64
    public var cells: [UInt8]

    public init(
        generation: UInt32, cellsPerCPU: Int, ncpus: Int, low: [UInt64], high: [UInt64], drops: UInt64, cells: [UInt8]
    ) {
        self.generation = generation
        self.cellsPerCPU = cellsPerCPU
        self.ncpus = ncpus
        self.low = low
        self.high = high
        self.drops = drops
        self.cells = cells
    }

    /// Records overwritten before the snapshot, over all CPUs.
    public var overwritten: UInt64 { zip(low, high).reduce(0) { $0 &+ $1.0 } }

    /// Copies slot `slot`'s ring. Positions written while copying are left
    /// out: a cell at position p shares its memory with p ± cellsPerCPU.
    public static func capture(_ installation: Installation, slot: Int) throws -> RingSnapshot {
        let live = try LiveRing(installation, slot: slot)
        let before = live.heads()
        let count = live.cellBytes
        let cells = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: live.ring.base, byteCount: count)
            initialized = count
        }
        let after = zip(live.heads(), before).map { max($0, $1) }
        let valid = live.oldestIntact(after: after)
        let (gen, drops) = live.generationAndDrops()
        return RingSnapshot(
            generation: gen, cellsPerCPU: live.cellsPerCPU, ncpus: live.ncpus,
            low: zip(valid, before).map { min($0, $1) }, high: before, drops: drops, cells: cells)
    }
}

/// A slot's ring and control block, mapped from the kernel while it writes:
/// what `follow` watches (heads and generation are plain loads, no syscall).
public final class LiveRing {
    let ring: MappedRegion
    let ctl: MappedRegion
    let cellsPerCPU: Int
    public let ncpus: Int
    /// Bytes of cells (the mapping is rounded up to whole pages).
    let cellBytes: Int

    public init(_ installation: Installation, slot: Int) throws {
        let root = installation.root
        cellBytes = installation.ringCells * Int(TT_CELL_SIZE)
        ring = try MappedRegion(map: try BPFMap.open(pinned: root.slotPin(slot, .ring)), length: cellBytes)
        ctl = try MappedRegion(
            map: try BPFMap.open(pinned: root.slotPin(slot, .ringCtl)), length: MemoryLayout<tt_ring_ctl>.size)
        cellsPerCPU = installation.cellsPerCPU
        ncpus = installation.ncpus
    }

    /// Cells reserved per CPU region since the claim.
    public func heads() -> [UInt64] { (0..<ncpus).map(head) }

    func head(cpu: Int) -> UInt64 {
        let headsOffset = MemoryLayout<tt_ring_ctl>.offset(of: \tt_ring_ctl.heads)!
        // The kernel bumps heads with atomic adds; an aligned 8-byte load is atomic on x86_64.
        return ctl.base.advanced(by: headsOffset + cpu * MemoryLayout<tt_head>.stride).load(as: UInt64.self)
    }

    /// The ring's trace up to `high` (per CPU), read in place while `body`
    /// runs; `since`: what a follower read before, not decoded again, and
    /// `dropsSince` the drops it already counted; `waitingForWrites`:
    /// records still being written end the window (`RingTrace.cursor`).
    /// Whatever the kernel overwrites meanwhile is dropped and counted
    /// (`RingDecoder.trace`).
    public func withTrace<R>(
        since: RingCursor? = nil, upTo high: [UInt64], dropsSince: UInt64 = 0, waitingForWrites: Bool = false,
        _ body: (RingTrace) throws -> R
    ) rethrows -> R {
        let (gen, drops) = generationAndDrops()
        let decoder = RingDecoder(generation: gen, cellsPerCPU: cellsPerCPU, ncpus: ncpus)
        let cells = UnsafeRawBufferPointer(start: ring.base, count: cellBytes)
        var low = oldestIntact(after: high)
        if let since { low = zip(low, since.read).map { max($0, $1) } }
        let trace = decoder.trace(
            cells: cells, low: low, high: high, since: since, dropped: drops &- dropsSince,
            waitingForWrites: waitingForWrites
        ) { [self] in oldestIntact(cpu: $0) }  // keeps the mapping while the trace is read
        return try body(trace)
    }

    /// Drops the kernel counted since the claim.
    public var drops: UInt64 { generationAndDrops().1 }

    /// Per CPU, the oldest position whose cell `heads` have not overwritten.
    func oldestIntact(after heads: [UInt64]) -> [UInt64] { heads.map(oldestIntact(head:)) }

    /// A CPU's oldest position not overwritten now.
    func oldestIntact(cpu: Int) -> UInt64 { oldestIntact(head: head(cpu: cpu)) }

    private func oldestIntact(head: UInt64) -> UInt64 {
        let cpc = UInt64(cellsPerCPU)
        return head > cpc ? head - cpc : 0
    }

    /// The slot's generation: a new one once the container is unplugged.
    public var generation: UInt32 { generationAndDrops().0 }

    func generationAndDrops() -> (UInt32, UInt64) {
        (
            ctl.base.load(fromByteOffset: MemoryLayout<tt_ring_ctl>.offset(of: \tt_ring_ctl.gen)!, as: UInt32.self),
            ctl.base.load(fromByteOffset: MemoryLayout<tt_ring_ctl>.offset(of: \tt_ring_ctl.drops)!, as: UInt64.self)
        )
    }
}

// MARK: - Archive form

extension RingSnapshot {
    static let magic: UInt32 = 0x7474_7261  // "ttra"

    /// Serialized form kept in archives: a small header, the windows, the cells.
    public func serialized() -> [UInt8] { serializedHeader() + cells }

    /// The serialized form's bytes before the cells.
    public func serializedHeader() -> [UInt8] {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        put(Self.magic)
        put(generation)
        put(UInt32(cellsPerCPU))
        put(UInt32(ncpus))
        put(drops)
        for i in 0..<ncpus {
            put(low[i])
            put(high[i])
        }
        return out
    }

    /// Parses an archive; every size is checked against the bytes present.
    public init(serialized b: [UInt8]) throws {
        var off = 0
        func get<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let n = MemoryLayout<T>.size
            guard off + n <= b.count else { throw ContainerInputError(input: "ring archive", message: "truncated") }
            var v: T = 0
            withUnsafeMutableBytes(of: &v) { $0.copyBytes(from: b[off..<off + n]) }
            off += n
            return T(littleEndian: v)
        }
        guard try get(UInt32.self) == Self.magic else {
            throw ContainerInputError(input: "ring archive", message: "not a tailtrace ring archive")
        }
        generation = try get(UInt32.self)
        cellsPerCPU = Int(try get(UInt32.self))
        ncpus = Int(try get(UInt32.self))
        drops = try get(UInt64.self)
        guard (1...Int(TT_MAX_CPUS)).contains(ncpus), (1...(1 << 24)).contains(cellsPerCPU),
            cellsPerCPU & (cellsPerCPU - 1) == 0
        else { throw ContainerInputError(input: "ring archive", message: "bad geometry") }
        low = []
        high = []
        for _ in 0..<ncpus {
            low.append(try get(UInt64.self))
            high.append(try get(UInt64.self))
        }
        let size = cellsPerCPU * ncpus * Int(TT_CELL_SIZE)
        guard b.count - off == size else {
            throw ContainerInputError(input: "ring archive", message: "expected \(size) bytes of cells")
        }
        cells = Array(b[off...])
    }
}
