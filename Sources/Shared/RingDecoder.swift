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
    static let payloadData = Int(TT_PAYLOAD_DATA)
    /// Most payload cells one event can reserve.
    static let maxPayloadCells = Int(TT_MAX_PAYLOADS) * ((Int(TT_MAX_CAPTURE) + payloadData - 1) / payloadData)

    public init(generation: UInt32, cellsPerCPU: Int, ncpus: Int) {
        self.generation = generation
        self.cellsPerCPU = cellsPerCPU
        self.ncpus = ncpus
    }

    /// One enter or exit record with its payloads, or a signal or process exit.
    struct Record {
        var exit: Bool
        var header: tt_header
        /// A signal or process exit: not part of a syscall.
        var other: TraceItem? = nil
        var args: [UInt64] = []
        var comm = ""
        var cgroupID: UInt64 = 0
        var ret: Int64 = 0
        var payloads: [Payload] = []
        var order: Int  // position in the CPU's region, for stable sorting
    }

    /// Decodes `cells` (cellsPerCPU * ncpus cells); per CPU only positions in
    /// [low, high) are read.
    public func decode(cells: [UInt8], low: [UInt64], high: [UInt64], dropped: UInt64 = 0) -> ([TraceItem], Counts) {
        cells.withUnsafeBytes { decode(cells: $0, low: low, high: high, dropped: dropped) }
    }

    /// Decodes cells in place, e.g. a ring mapped from the kernel while it is
    /// written. `validAfterRead`, called once every cell is read, tells per
    /// CPU the lowest position not overwritten meanwhile: records read from
    /// lower positions may mix two writes and are dropped (and counted).
    public func decode(
        cells: UnsafeRawBufferPointer, low: [UInt64], high: [UInt64], dropped: UInt64 = 0,
        validAfterRead: (() -> [UInt64])? = nil
    ) -> ([TraceItem], Counts) {
        var counts = Counts()
        counts.dropped = dropped
        var records: [Record] = []
        guard fits(cellBytes: cells.count, low: low, high: high) else { return ([], counts) }
        records.reserveCapacity(min(cells.count / Self.cellSize, 1 << 22))
        for cpu in 0..<ncpus {
            decodeRegion(cells, cpu: cpu, low: low[cpu], high: high[cpu], into: &records, counts: &counts)
        }
        if let valid = validAfterRead?(), valid.count >= ncpus {
            let before = records.count
            records.removeAll { UInt64($0.order) < valid[Int($0.header.cpu) < ncpus ? Int($0.header.cpu) : 0] }
            counts.overwritten &+= UInt64(before - records.count)
        }
        // Merge the CPUs' records by time: sort plain keys, not the records
        // (moving records costs a retain and release of their arrays).
        var keys = records.indices.map { i in
            (ts: records[i].header.ts_ns, cpu: records[i].header.cpu, order: records[i].order, index: i)
        }
        keys.sort { ($0.ts, $0.cpu, $0.order) < ($1.ts, $1.cpu, $1.order) }
        var items: [TraceItem] = []
        items.reserveCapacity(records.count / 2 + 2)
        if counts.lost > 0 { items.append(.lost(count: counts.lost)) }
        items.append(contentsOf: pair(records, inOrder: keys.lazy.map(\.index)))
        return (items, counts)
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

    private func cell(_ raw: UnsafeRawBufferPointer, cpu: Int, pos: UInt64) -> UnsafeRawPointer {
        let index = cpu * cellsPerCPU + Int(pos & UInt64(cellsPerCPU - 1))
        return raw.baseAddress!.advanced(by: index * Self.cellSize)
    }

    /// A cell is usable when it holds the position it is read at and the
    /// current generation.
    private func check(_ h: tt_header, pos: UInt64, counts: inout Counts) -> Bool {
        if h.seq != pos &+ 1 {
            counts.torn &+= 1
            return false
        }
        if h.gen != generation {
            counts.foreign &+= 1
            return false
        }
        return true
    }

    private func decodeRegion(
        _ raw: UnsafeRawBufferPointer, cpu: Int, low: UInt64, high: UInt64, into records: inout [Record],
        counts: inout Counts
    ) {
        counts.overwritten &+= low
        var pos = firstPosition(low: low, high: high)
        while pos < high {
            let p = cell(raw, cpu: cpu, pos: pos)
            let h = p.loadUnaligned(as: tt_header.self)
            guard check(h, pos: pos, counts: &counts) else {
                pos += 1
                continue
            }
            let kind = Int32(h.kind)
            if kind == TT_KIND_SIGNAL.rawValue || kind == TT_KIND_PROC_EXIT.rawValue {
                var r = Record(exit: false, header: h, order: Int(truncatingIfNeeded: pos))
                r.other = Self.other(p, h)
                records.append(r)
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
            var r = Record(exit: kind == TT_KIND_EXIT.rawValue, header: h, order: Int(truncatingIfNeeded: pos))
            let payloadCells: Int
            if r.exit {
                let x = p.loadUnaligned(as: tt_exit.self)
                r.ret = x.ret
                r.cgroupID = x.cgroup_id
                payloadCells = Int(x.payload_cells)
            } else {
                let e = p.loadUnaligned(as: tt_enter.self)
                r.args = withUnsafeBytes(of: e.args) { Array($0.bindMemory(to: UInt64.self)) }
                r.comm = withUnsafeBytes(of: e.comm) { Self.cString($0) }
                r.cgroupID = e.cgroup_id
                payloadCells = Int(e.payload_cells)
            }
            pos += 1
            if payloadCells > Self.maxPayloadCells {
                counts.torn &+= 1
                records.append(r)
                continue
            }
            let end = min(pos + UInt64(payloadCells), high)
            r.payloads = readPayloads(raw, cpu: cpu, from: pos, to: end, owner: h, counts: &counts)
            pos = max(pos + UInt64(payloadCells), pos)
            records.append(r)
        }
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

    private func readPayloads(
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

    /// Joins each exit to the latest unanswered enter of the same thread and
    /// syscall. An exit whose enter was lost becomes an event with no args.
    /// Signals and process exits keep their place in time among the syscalls.
    private func pair(_ records: [Record], inOrder order: some Sequence<Int>) -> [TraceItem] {
        let order = Array(order)
        var events: [SyscallEvent] = []
        var others: [(before: Int, item: TraceItem)] = []
        var open: [UInt32: Int] = [:]  // tid -> index of its unanswered enter
        // tid -> whether its enter records are i386 calls (orphan exits carry no reliable flag)
        var threadCompat: [UInt32: Bool] = [:]
        var threadComm: [UInt32: String] = [:]  // for exits whose enter was not recorded
        // In time order: an exit without its enter (a new thread's return
        // from clone) takes the comm of the thread's next enter, not of
        // whichever CPU region is stored first.
        for index in order where !records[index].exit && records[index].other == nil {
            let r = records[index]
            if Int32(r.header.flags) & TT_FLAG_COMPAT != 0 { threadCompat[r.header.tid] = true }
            if threadComm[r.header.tid] == nil { threadComm[r.header.tid] = r.comm }
        }
        events.reserveCapacity(records.count / 2 + 1)
        for index in order {
            let r = records[index]
            let h = r.header
            if let other = r.other {
                others.append((events.count, other))
                continue
            }
            let compat = Int32(h.flags) & TT_FLAG_COMPAT != 0
            if !r.exit {
                open[h.tid] = events.count
                events.append(
                    SyscallEvent(
                        tsNs: h.ts_ns, cpu: Int(h.cpu), pid: h.pid, tid: h.tid, comm: r.comm, nr: Int(h.nr),
                        compat: compat, args: r.args, ret: nil, payloads: r.payloads, cgroupID: r.cgroupID))
                continue
            }
            if let i = open[h.tid], events[i].nr == Int(h.nr), events[i].ret == nil {
                events[i].ret = r.ret
                events[i].exitTsNs = h.ts_ns
                for p in r.payloads {
                    // read again at exit: replaces what faulted at enter
                    if p.atExit, let at = events[i].payloads.firstIndex(where: { $0.arg == p.arg }) {
                        events[i].payloads[at] = p
                    } else {
                        events[i].payloads.append(p)
                    }
                }
                open[h.tid] = nil
            } else {
                // The recorder reads TS_COMPAT at exit only for calls with an
                // exit payload: take the architecture from the thread's last enter.
                events.append(
                    SyscallEvent(
                        tsNs: h.ts_ns, cpu: Int(h.cpu), pid: h.pid, tid: h.tid, comm: threadComm[h.tid] ?? "",
                        nr: Int(h.nr), compat: compat || threadCompat[h.tid] == true, args: [], ret: r.ret,
                        payloads: r.payloads, cgroupID: r.cgroupID, exitTsNs: h.ts_ns))
            }
        }
        guard !others.isEmpty else { return events.map { .syscall($0) } }
        var items: [TraceItem] = []
        items.reserveCapacity(events.count + others.count)
        var next = 0
        for (i, event) in events.enumerated() {
            while next < others.count && others[next].before == i {
                items.append(others[next].item)
                next += 1
            }
            items.append(.syscall(event))
        }
        items.append(contentsOf: others[next...].map(\.item))
        return items
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
