import CTailtrace

/// Turns the cells of a recorder ring into syscalls, oldest first.
///
/// Ring contents come from traced, untrusted processes and may be torn by a
/// concurrent write: every cell is checked (sequence number = its position,
/// generation = the slot's current one, kind, lengths) before use, and what
/// fails a check is counted, never trusted.
public struct RingDecoder {
    public struct Counts: Sendable, Equatable {
        /// Cells overwritten by newer records before the dump.
        public var overwritten: UInt64 = 0
        /// Cells that failed a check: torn, half-written, or corrupt.
        public var torn: UInt64 = 0
        /// Cells left from the slot's previous container (older generation).
        public var foreign: UInt64 = 0
        /// Events the recorder dropped in the kernel.
        public var dropped: UInt64 = 0

        public var lost: UInt64 { overwritten &+ torn &+ dropped }
        public init() {}
    }

    public let generation: UInt32
    public let cellsPerCPU: Int
    public let ncpus: Int

    static let cellSize = Int(TT_CELL_SIZE)
    /// In an enter's seq: the cell holds the call's exit too.
    static let seqDone = UInt64(TT_SEQ_DONE)

    /// An enter whose cell holds its exit too.
    static func holdsExit(_ h: tt_header) -> Bool { h.seq & seqDone != 0 }
    static let payloadData = Int(TT_PAYLOAD_DATA)
    /// Most payload cells one event can reserve.
    static let maxPayloadCells = Int(TT_MAX_PAYLOADS) * ((Int(TT_MAX_CAPTURE) + payloadData - 1) / payloadData)

    public init(generation: UInt32, cellsPerCPU: Int, ncpus: Int) {
        self.generation = generation
        self.cellsPerCPU = cellsPerCPU
        self.ncpus = ncpus
    }

    /// Decodes `cells` (cellsPerCPU * ncpus cells); per CPU only positions in
    /// [low, high) are read.
    public func decode(cells: [UInt8], low: [UInt64], high: [UInt64], dropped: UInt64 = 0) -> ([TraceItem], Counts) {
        cells.withUnsafeBytes { trace(cells: $0, low: low, high: high, dropped: dropped).items() }
    }

    /// Reads every cell header in [low, high) per CPU once (checks, loss
    /// counts, the CPUs merged by time, enters paired with exits) and keeps
    /// 16 bytes per item; the items themselves are decoded from `cells` when
    /// the trace is iterated, so a dump writes as it decodes. `cells` must
    /// stay valid while the trace is used.
    ///
    /// `oldestIntact(cpu)`, for a ring the kernel writes meanwhile, tells
    /// the lowest position of a CPU not overwritten yet: records read from
    /// lower positions may mix two writes and are dropped (and counted),
    /// checked once after the headers are read and again after each item.
    /// `since`: where a follower's earlier passes stopped (not lost;
    /// default none): the window is then [low, high) with low at or above
    /// `since.read`, and the enters it holds open that got their exit in
    /// place come first, as exits of their own (`RingCursor`).
    /// `waitingForWrites`: a record whose cells are reserved but not all
    /// written yet (a sequence number of an earlier lap) ends its CPU's
    /// window (`RingTrace.cursor`), to be read next time, instead of being
    /// counted torn.
    public func trace(
        cells: UnsafeRawBufferPointer, low: [UInt64], high: [UInt64], since: RingCursor? = nil, dropped: UInt64 = 0,
        waitingForWrites: Bool = false, oldestIntact: ((Int) -> UInt64)? = nil
    ) -> RingTrace {
        var counts = Counts()
        counts.dropped = dropped
        guard fits(cellBytes: cells.count, low: low, high: high),
            (since?.read.count ?? ncpus) >= ncpus, (since?.open.count ?? ncpus) >= ncpus
        else {
            return RingTrace(decoder: self, cells: cells, first: [], high: [], counts: counts)
        }
        var first = (0..<ncpus).map { firstPosition(low: low[$0], high: high[$0]) }
        var keys: [RingTrace.Key] = []
        keys.reserveCapacity(min(cells.count / Self.cellSize, 1 << 22))
        var end = high
        var open = [UInt64](repeating: 0, count: ncpus)
        var completed: [RingTrace.Completion] = []
        for cpu in 0..<ncpus {
            let read = since?.read[cpu] ?? 0
            counts.overwritten &+= low[cpu] > read ? low[cpu] - read : 0
            var stop = high[cpu]
            var completedEnd: UInt64 = 0
            if let held = since?.open[cpu], held != 0 {
                switch reopen(cells, cpu: cpu, pos: held - 1, windowStart: first[cpu], high: high[cpu]) {
                case .completed(let completion):
                    completed.append(completion)
                    // its exit's payload cells, right after the enter's, are
                    // its own (and may lie past the heads read before)
                    completedEnd = completion.end
                    first[cpu] = max(first[cpu], min(completion.end, high[cpu]))
                case .open(let waiting):
                    open[cpu] = held
                    if waiting { stop = first[cpu] }
                case .gone:
                    break
                }
            }
            let (stopped, lastOpen) = indexRegion(
                cells, cpu: cpu, from: first[cpu], to: stop, waitingForWrites: waitingForWrites, into: &keys,
                counts: &counts)
            end[cpu] = max(stopped, completedEnd)
            if stopped > first[cpu] { open[cpu] = lastOpen }
        }
        if let oldestIntact {
            let valid = (0..<ncpus).map(oldestIntact)
            let before = keys.count
            keys.removeAll { first[$0.cpu] &+ $0.offset < valid[$0.cpu] }
            counts.overwritten &+= UInt64(before - keys.count)
        }
        // Each CPU's region is in time order already: the sort merges runs.
        keys.sort { ($0.tsNs, $0.ref) < ($1.tsNs, $1.ref) }
        var trace = RingTrace(decoder: self, cells: cells, first: first, high: end, counts: counts)
        trace.oldestIntact = oldestIntact
        trace.open = open
        trace.completed = completed
        trace.pair(keys)
        return trace
    }

    enum Reopened {
        /// It holds its exit now.
        case completed(RingTrace.Completion)
        /// Still open and its CPU's newest record; `waiting`: its exit is
        /// being written in place (its payload cells start the window).
        case open(waiting: Bool)
        /// Overwritten, or records came after it: its exit is a record of
        /// its own.
        case gone
    }

    /// What became of an enter a follower decoded open at `pos`.
    private func reopen(_ raw: UnsafeRawBufferPointer, cpu: Int, pos: UInt64, windowStart: UInt64, high: UInt64)
        -> Reopened
    {
        let h = cell(raw, cpu: cpu, pos: pos).loadUnaligned(as: tt_header.self)
        guard h.gen == generation, h.seq & ~Self.seqDone == pos &+ 1, Int32(h.kind) == TT_KIND_ENTER.rawValue,
            let n = payloadCells(raw, cpu: cpu, pos: pos, h)
        else { return .gone }
        let end = pos + 1 + UInt64(n.own)
        if Self.holdsExit(h) { return .completed(.init(cpu: cpu, pos: pos, end: end + UInt64(n.exit))) }
        guard windowStart == end else { return .gone }
        if windowStart >= high { return .open(waiting: false) }
        let next = cell(raw, cpu: cpu, pos: windowStart).loadUnaligned(as: tt_header.self)
        let ownPayload = Int32(next.kind) == TT_KIND_PAYLOAD.rawValue && next.tid == h.tid && next.ts_ns == h.ts_ns
        return ownPayload ? .open(waiting: true) : .gone
    }

    /// Pass one over a CPU's region: the records' keys and what is lost;
    /// returns where it stopped (see `waitingForWrites`) and, when the
    /// window ends with an enter still without its exit, its position + 1
    /// (else 0).
    private func indexRegion(
        _ raw: UnsafeRawBufferPointer, cpu: Int, from: UInt64, to high: UInt64, waitingForWrites: Bool,
        into keys: inout [RingTrace.Key], counts: inout Counts
    ) -> (stopped: UInt64, open: UInt64) {
        // The kernel stores a cell's sequence number last.
        func written(_ pos: UInt64) -> Bool {
            cell(raw, cpu: cpu, pos: pos).loadUnaligned(as: tt_header.self).seq & ~Self.seqDone > pos
        }
        var pos = from
        var open: (pos: UInt64, end: UInt64) = (0, 0)
        while pos < high {
            if waitingForWrites && !written(pos) { return (pos, open.end == pos ? open.pos : 0) }
            let h = cell(raw, cpu: cpu, pos: pos).loadUnaligned(as: tt_header.self)
            let key = RingTrace.Key(tsNs: h.ts_ns, cpu: cpu, offset: pos - from)
            guard check(h, pos: pos, counts: &counts) else {
                pos += 1
                continue
            }
            let kind = Int32(h.kind)
            if kind == TT_KIND_SIGNAL.rawValue || kind == TT_KIND_PROC_EXIT.rawValue {
                keys.append(key)
                pos += 1
                continue
            }
            guard kind == TT_KIND_ENTER.rawValue || kind == TT_KIND_EXIT.rawValue else {
                // A payload whose event cell was overwritten, or garbage.
                counts.overwritten &+= kind == TT_KIND_PAYLOAD.rawValue ? 1 : 0
                counts.torn &+= kind == TT_KIND_PAYLOAD.rawValue ? 0 : 1
                pos += 1
                continue
            }
            let payloadCells = payloadCells(raw, cpu: cpu, pos: pos, h)
            let total = UInt64(payloadCells.map { $0.own + $0.exit } ?? 0)
            let end = min(pos + 1 + total, high)
            if waitingForWrites && !(pos + 1..<max(end, pos + 1)).allSatisfy(written) {
                return (pos, open.end == pos ? open.pos : 0)
            }
            keys.append(key)
            let stillOpen = kind == TT_KIND_ENTER.rawValue && !Self.holdsExit(h)
            open = stillOpen ? (pos + 1, pos + 1 + total) : (0, 0)
            pos += 1
            guard payloadCells != nil else {
                counts.torn &+= 1
                continue
            }
            for p in pos..<max(end, pos) {
                let c = cell(raw, cpu: cpu, pos: p).loadUnaligned(as: tt_header.self)
                _ = check(c, pos: p, counts: &counts)
            }
            pos += total
        }
        let stopped = max(pos, high)  // past high: a done enter's exit cells, reserved after the heads were read
        return (stopped, open.end == stopped ? open.pos : 0)
    }

    /// The payload cells an enter or exit record says follow it: its own
    /// and, for an enter holding its exit, the exit's after them; nil when
    /// more than one event can reserve (corrupt).
    func payloadCells(_ raw: UnsafeRawBufferPointer, cpu: Int, pos: UInt64, _ h: tt_header) -> (own: Int, exit: Int)? {
        let p = cell(raw, cpu: cpu, pos: pos)
        let n: (own: Int, exit: Int)
        if Int32(h.kind) == TT_KIND_EXIT.rawValue {
            n = (Int(p.loadUnaligned(as: tt_exit.self).payload_cells), 0)
        } else {
            let e = p.loadUnaligned(as: tt_enter.self)
            n = (Int(e.payload_cells), Self.holdsExit(h) ? Int(e.exit_payload_cells) : 0)
        }
        return n.own > Self.maxPayloadCells || n.exit > Self.maxPayloadCells ? nil : n
    }

    /// The process exits in the ring, oldest first, found from the cell
    /// headers alone (what a stopping container's record keeps: how its init
    /// ended), without decoding the syscalls.
    public func processExits(cells: [UInt8], low: [UInt64], high: [UInt64]) -> [ProcessExit] {
        guard fits(cellBytes: cells.count, low: low, high: high) else { return [] }
        var exits: [ProcessExit] = []
        var counts = Counts()
        cells.withUnsafeBytes { raw in
            for cpu in 0..<ncpus {
                var pos = firstPosition(low: low[cpu], high: high[cpu])
                while pos < high[cpu] {
                    defer { pos += 1 }
                    let p = cell(raw, cpu: cpu, pos: pos)
                    let h = p.loadUnaligned(as: tt_header.self)
                    guard Int32(h.kind) == TT_KIND_PROC_EXIT.rawValue, check(h, pos: pos, counts: &counts),
                        case .processExit(let x) = Self.other(p, h)
                    else { continue }
                    exits.append(x)
                }
            }
        }
        return exits.sorted { $0.tsNs < $1.tsNs }
    }

    /// The geometry is sane (a power-of-two region per CPU) and `cells`
    /// and the windows cover it: nothing from an archive is trusted.
    private func fits(cellBytes: Int, low: [UInt64], high: [UInt64]) -> Bool {
        cellsPerCPU > 0 && cellsPerCPU & (cellsPerCPU - 1) == 0 && cellBytes >= cellsPerCPU * ncpus * Self.cellSize
            && low.count >= ncpus && high.count >= ncpus
    }

    /// Where a CPU's window [low, high) starts; a window wider than the
    /// region can only come from a corrupt archive: its newest region only.
    private func firstPosition(low: UInt64, high: UInt64) -> UInt64 {
        high > low && high - low > UInt64(cellsPerCPU) ? high - UInt64(cellsPerCPU) : low
    }

    func cell(_ raw: UnsafeRawBufferPointer, cpu: Int, pos: UInt64) -> UnsafeRawPointer {
        let index = cpu * cellsPerCPU + Int(pos & UInt64(cellsPerCPU - 1))
        return raw.baseAddress!.advanced(by: index * Self.cellSize)
    }

    /// A cell is usable when it holds the position it is read at and the
    /// current generation (only an enter may hold its exit too).
    func check(_ h: tt_header, pos: UInt64, counts: inout Counts) -> Bool {
        let seq = h.seq & ~Self.seqDone
        if seq != pos &+ 1 || (seq != h.seq && Int32(h.kind) != TT_KIND_ENTER.rawValue) {
            counts.torn &+= 1
            return false
        }
        if h.gen != generation {
            counts.foreign &+= 1
            return false
        }
        return true
    }

    /// The payload cell of the first layout (install magic `ttr2`, kept in
    /// archives as `ring.bin`): after the header `arg`, `part`, a 16-bit
    /// `parts` where `kind` is now (so 0 there: fewer than 256 parts),
    /// `total`, then 80 data bytes; no `size`; flag 0x8 marked a string
    /// (it means "read again at exit" now).
    enum FirstLayoutPayload {
        static let dataOffset = MemoryLayout<tt_header>.size + 8
        static let data = cellSize - dataOffset
        static let stringFlag: Int32 = 0x8
    }

    func readPayloads(
        _ raw: UnsafeRawBufferPointer, cpu: Int, from: UInt64, to: UInt64, owner: tt_header, counts: inout Counts
    ) -> [Payload] {
        var payloads: [Payload] = []
        var current: Payload?
        var pos = from
        while pos < to {
            let p = cell(raw, cpu: cpu, pos: pos)
            let c = p.loadUnaligned(as: tt_payload.self)
            pos += 1
            guard check(c.h, pos: pos - 1, counts: &counts), Int32(c.h.kind) == TT_KIND_PAYLOAD.rawValue,
                c.h.tid == owner.tid, c.h.ts_ns == owner.ts_ns
            else {
                current = nil
                continue
            }
            // Every payload the recorder writes has a kind; a 0 there is the
            // first layout's (FirstLayoutPayload), in archives of earlier versions.
            let first = c.kind == 0
            let n = min(Int(c.h.len), first ? FirstLayoutPayload.data : Self.payloadData)
            let flags = Int32(c.h.flags)
            if c.part == 0 {
                if let done = current { payloads.append(done) }
                let kind =
                    first
                    ? (flags & FirstLayoutPayload.stringFlag != 0 ? .string : .buffer)
                    : Payload.Kind(rawValue: c.kind) ?? .buffer
                current = Payload(
                    arg: Int(c.arg), bytes: [], kind: kind, size: first ? 0 : c.size,
                    truncated: flags & TT_FLAG_TRUNCATED != 0, fault: flags & TT_FLAG_FAULT != 0,
                    atExit: !first && flags & TT_FLAG_AT_EXIT != 0)
            }
            guard current != nil, current!.arg == Int(c.arg) else { continue }
            // The recorder captures at most TT_MAX_CAPTURE bytes per payload.
            let room = max(0, Int(TT_MAX_CAPTURE) - current!.bytes.count)
            if first {
                let data = UnsafeRawBufferPointer(
                    start: p + FirstLayoutPayload.dataOffset, count: FirstLayoutPayload.data)
                current!.bytes.append(contentsOf: data.prefix(min(n, room)))
            } else {
                withUnsafeBytes(of: c.data) { current!.bytes.append(contentsOf: $0.prefix(min(n, room))) }
            }
        }
        if let done = current { payloads.append(done) }
        return payloads
    }

    /// A signal or process-exit cell as an item.
    static func other(_ p: UnsafeRawPointer, _ h: tt_header) -> TraceItem {
        if Int32(h.kind) == TT_KIND_SIGNAL.rawValue {
            let s = p.loadUnaligned(as: tt_signal.self)
            return .signal(
                SignalEvent(
                    tsNs: h.ts_ns, cpu: Int(h.cpu), pid: h.pid, tid: h.tid,
                    comm: withUnsafeBytes(of: s.comm) { cString($0) }, signo: s.signo, errno: s.errno_,
                    code: s.code, disposition: SignalEvent.Disposition(rawValue: s.handler) ?? .default,
                    fields: withUnsafeBytes(of: s.fields) { Array($0) }, cgroupID: s.cgroup_id))
        }
        let x = p.loadUnaligned(as: tt_proc_exit.self)
        return .processExit(
            ProcessExit(
                tsNs: h.ts_ns, cpu: Int(h.cpu), pid: h.pid, tid: h.tid,
                comm: withUnsafeBytes(of: x.comm) { cString($0) }, status: x.exit_code, nsPid: x.ns_pid,
                cgroupID: x.cgroup_id))
    }

    static func cString(_ raw: UnsafeRawBufferPointer) -> String {
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}
