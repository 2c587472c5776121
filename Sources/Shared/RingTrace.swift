import CTailtrace

/// A ring's trace once `RingDecoder.trace` has read its cell headers: the
/// loss counts and, per item, where its cells are (16 bytes an item). The
/// items are decoded from the cells while the trace is iterated, one at a
/// time, so a dump of a 64 MiB ring writes as it decodes and never holds
/// the ring's half a million items. Valid while the cells it reads are.
public struct RingTrace: Sequence {
    /// A record's place, with its time for the merge of the CPUs: its
    /// CPU's region and its offset from the window's first position
    /// (below 2^32: regions hold at most 2^24 cells), so `ref` orders as
    /// (cpu, position).
    struct Key {
        var tsNs: UInt64
        var ref: UInt64

        init(tsNs: UInt64, cpu: Int, offset: UInt64) {
            self.tsNs = tsNs
            ref = UInt64(cpu) << 32 | offset
        }

        var cpu: Int { Int(ref >> 32) }
        var offset: UInt64 { ref & 0xffff_ffff }
    }

    /// One item: a signal or process exit (`first` alone), an enter with
    /// its exit (`exit`; `first` itself when the enter's cell holds it) or
    /// without (never returned), or an exit whose enter was not recorded.
    struct Entry {
        static let none = UInt64.max
        var first: UInt64
        var exit = Entry.none
    }

    let decoder: RingDecoder
    let cells: UnsafeRawBufferPointer
    /// Per CPU: the window's first position, and its end.
    let first: [UInt64]
    let high: [UInt64]

    /// An enter decoded open in an earlier pass that holds its exit now:
    /// at `pos`, its cells (the exit's payloads included) up to `end`.
    struct Completion {
        var cpu: Int
        var pos: UInt64
        var end: UInt64
    }

    /// Where the next pass of a follower starts: per CPU where the window
    /// ended (its high end, or the first record still being written,
    /// `waitingForWrites`) and the enter it leaves open.
    public var cursor: RingCursor { RingCursor(read: high, open: open) }
    var open: [UInt64] = []
    /// Exits written in place into enters of earlier passes: items first.
    var completed: [Completion] = []
    /// Loss counts from the headers (records found overwritten while the
    /// items are decoded come on top: see `Iterator.counts`).
    public let counts: RingDecoder.Counts
    var entries: [Entry] = []
    /// Of threads with an exit whose enter was lost (an orphan): tid → its
    /// first enter, for the orphan's comm, and the threads with i386 enters
    /// (orphan exits carry no reliable flag).
    var threadComm: [UInt32: UInt64] = [:]
    var compatThreads: Set<UInt32> = []
    let commNames = CommNames()
    /// For a ring written meanwhile: per CPU, the oldest position intact.
    var oldestIntact: ((Int) -> UInt64)?
    /// When the first item happened: what relative times count from.
    public private(set) var startNs: UInt64?

    init(
        decoder: RingDecoder, cells: UnsafeRawBufferPointer, first: [UInt64], high: [UInt64],
        counts: RingDecoder.Counts
    ) {
        self.decoder = decoder
        self.cells = cells
        self.first = first
        self.high = high
        self.counts = counts
    }

    /// Items in the trace, the gap at its start not counted.
    public var count: Int { completed.count + entries.count }

    /// Every item, decoded at once (for readers that go back and forth),
    /// and the counts with the records overwritten while they were read.
    public func items() -> ([TraceItem], RingDecoder.Counts) {
        var items: [TraceItem] = []
        items.reserveCapacity(entries.count + 1)
        var iterator = makeIterator()
        while let item = iterator.next() { items.append(item) }
        return (items, iterator.counts)
    }
    private func place(_ ref: UInt64) -> (cpu: Int, pos: UInt64) {
        let cpu = Int(ref >> 32)
        return (cpu, first[cpu] &+ (ref & 0xffff_ffff))
    }

    private func header(_ ref: UInt64) -> tt_header {
        let (cpu, pos) = place(ref)
        return decoder.cell(cells, cpu: cpu, pos: pos).loadUnaligned(as: tt_header.self)
    }

    /// Read after its cells: the kernel wrote none of them meanwhile. A
    /// record's payloads follow it, and a region is overwritten oldest
    /// first, so the record's own cell tells.
    func intact(_ entry: Entry, _ oldestIntact: (Int) -> UInt64) -> Bool {
        func intact(_ ref: UInt64) -> Bool {
            let (cpu, pos) = place(ref)
            return pos >= oldestIntact(cpu)
        }
        return intact(entry.first) && (entry.exit == Entry.none || intact(entry.exit))
    }

    /// Joins each exit to the latest unanswered enter of the same thread and
    /// syscall; `keys` are in time order. Signals and process exits keep
    /// their place in time among the syscalls.
    mutating func pair(_ keys: [Key]) {
        var open: [UInt32: (entry: Int, nr: UInt32)] = [:]  // tid -> its unanswered enter
        var orphans: Set<UInt32> = []  // threads with an exit whose enter was not recorded
        entries.reserveCapacity(keys.count / 2 + 1)
        for key in keys {
            let h = header(key.ref)
            switch UInt32(h.kind) {
            case TT_KIND_ENTER.rawValue where RingDecoder.holdsExit(h):
                // most enters hold their exit: no open enter to forget, and no hash
                if !open.isEmpty { open[h.tid] = nil }
                entries.append(Entry(first: key.ref, exit: key.ref))
            case TT_KIND_ENTER.rawValue:
                open[h.tid] = (entries.count, h.nr)
                entries.append(Entry(first: key.ref))
            case TT_KIND_EXIT.rawValue:
                if let enter = open.removeValue(forKey: h.tid) {
                    if enter.nr == h.nr {
                        entries[enter.entry].exit = key.ref
                        continue
                    }
                    open[h.tid] = enter
                }
                orphans.insert(h.tid)
                entries.append(Entry(first: key.ref))
            default:  // a signal or process exit
                entries.append(Entry(first: key.ref))
            }
        }
        startNs = entries.first.map { header($0.first).ts_ns }
        guard !orphans.isEmpty else { return }
        // In time order: an exit without its enter (a new thread's return
        // from clone) takes the comm of the thread's next enter, not of
        // whichever CPU region is stored first.
        for key in keys {
            let h = header(key.ref)
            guard Int32(h.kind) == TT_KIND_ENTER.rawValue, orphans.contains(h.tid) else { continue }
            if Int32(h.flags) & TT_FLAG_COMPAT != 0 { compatThreads.insert(h.tid) }
            if threadComm[h.tid] == nil { threadComm[h.tid] = key.ref }
        }
    }

    /// The item an entry stands for, decoded from its cells.
    func item(_ entry: Entry) -> TraceItem {
        let (cpu, pos) = place(entry.first)
        let p = decoder.cell(cells, cpu: cpu, pos: pos)
        let h = p.loadUnaligned(as: tt_header.self)
        let kind = Int32(h.kind)
        if kind == TT_KIND_SIGNAL.rawValue || kind == TT_KIND_PROC_EXIT.rawValue { return RingDecoder.other(p, h) }
        let compat = Int32(h.flags) & TT_FLAG_COMPAT != 0
        guard kind == TT_KIND_ENTER.rawValue else {
            let x = p.loadUnaligned(as: tt_exit.self)
            return .syscall(
                SyscallEvent(
                    tsNs: h.ts_ns, cpu: Int(h.cpu), pid: h.pid, tid: h.tid,
                    comm: threadComm[h.tid].map(comm(ofEnter:)) ?? "", nr: Int(h.nr),
                    compat: compat || compatThreads.contains(h.tid), args: [], ret: x.ret,
                    payloads: payloads(cpu: cpu, pos: pos, h), cgroupID: x.cgroup_id, exitTsNs: h.ts_ns))
        }
        let e = p.loadUnaligned(as: tt_enter.self)
        var event = SyscallEvent(
            tsNs: h.ts_ns, cpu: Int(h.cpu), pid: h.pid, tid: h.tid,
            comm: withUnsafeBytes(of: e.comm) { commNames.name($0) }, nr: Int(h.nr), compat: compat,
            args: withUnsafeBytes(of: e.args) { Array($0.bindMemory(to: UInt64.self)) }, ret: nil,
            payloads: payloads(cpu: cpu, pos: pos, h), cgroupID: e.cgroup_id)
        if entry.exit == entry.first {
            event.returned(e.ret, atNs: h.ts_ns &+ UInt64(e.exit_dt_ns), payloads: payloads(cpu: cpu, pos: pos, h, ofExit: true))
        } else if entry.exit != Entry.none {
            let (xcpu, xpos) = place(entry.exit)
            let xp = decoder.cell(cells, cpu: xcpu, pos: xpos)
            let xh = xp.loadUnaligned(as: tt_header.self)
            let ret = xp.loadUnaligned(as: tt_exit.self).ret
            event.returned(ret, atNs: xh.ts_ns, payloads: payloads(cpu: xcpu, pos: xpos, xh))
        }
        return .syscall(event)
    }

    /// The exit an enter of an earlier pass holds now, as an exit of its own.
    func item(_ c: Completion) -> TraceItem {
        let p = decoder.cell(cells, cpu: c.cpu, pos: c.pos)
        let h = p.loadUnaligned(as: tt_header.self)
        let e = p.loadUnaligned(as: tt_enter.self)
        let atNs = h.ts_ns &+ UInt64(e.exit_dt_ns)
        return .syscall(
            SyscallEvent(
                tsNs: atNs, cpu: Int(h.cpu), pid: h.pid, tid: h.tid,
                comm: withUnsafeBytes(of: e.comm) { commNames.name($0) }, nr: Int(h.nr),
                compat: Int32(h.flags) & TT_FLAG_COMPAT != 0, args: [], ret: e.ret,
                payloads: payloads(cpu: c.cpu, pos: c.pos, h, ofExit: true), cgroupID: e.cgroup_id, exitTsNs: atNs))
    }

    private func comm(ofEnter ref: UInt64) -> String {
        let (cpu, pos) = place(ref)
        let e = decoder.cell(cells, cpu: cpu, pos: pos).loadUnaligned(as: tt_enter.self)
        return withUnsafeBytes(of: e.comm) { commNames.name($0) }
    }

    /// The payloads that follow the record at `pos` (checked when the
    /// headers were read: counted there, not again); `ofExit`: those of the
    /// exit an enter's cell holds, after the enter's own.
    private func payloads(cpu: Int, pos: UInt64, _ h: tt_header, ofExit: Bool = false) -> [Payload] {
        guard let n = decoder.payloadCells(cells, cpu: cpu, pos: pos, h) else { return [] }
        let count = UInt64(ofExit ? n.exit : n.own)
        guard count > 0 else { return [] }
        let from = pos + 1 + (ofExit ? UInt64(n.own) : 0)
        var counted = RingDecoder.Counts()
        // The recorder writes an exit's payload cells before the done bit:
        // they are there even past a window cut before (each still checked).
        let end = ofExit ? from + count : Swift.min(from + count, high[cpu])
        return decoder.readPayloads(cells, cpu: cpu, from: from, to: end, owner: h, counts: &counted)
    }
}

extension RingTrace {
    /// The items oldest first, after a `.lost` item when records were
    /// lost. A record the kernel overwrote while it was read becomes a
    /// `.lost` item in its place, counted in `counts`.
    public struct Iterator: IteratorProtocol {
        let trace: RingTrace
        /// The next item: the completions first, then the entries; -1 the
        /// gap at the start.
        var index = -1
        var overwritten: UInt64 = 0
        public private(set) var counts: RingDecoder.Counts

        init(_ trace: RingTrace) {
            self.trace = trace
            counts = trace.counts
        }

        public mutating func next() -> TraceItem? {
            if index < 0 {
                index = 0
                if counts.lost > 0 { return .lost(count: counts.lost) }
            }
            while index < trace.count {
                let (item, intact, records) = decoded(index)
                index += 1
                if !intact {
                    overwritten += records
                    continue
                }
                if overwritten > 0 {
                    index -= 1  // this one again after the gap
                    return gap()
                }
                return item
            }
            return overwritten > 0 ? gap() : nil
        }

        /// Item `i`, whether the kernel left its cells alone while it was
        /// decoded, and how many records it stands for.
        private func decoded(_ i: Int) -> (TraceItem, intact: Bool, records: UInt64) {
            if i < trace.completed.count {
                let c = trace.completed[i]
                let item = trace.item(c)
                return (item, trace.oldestIntact.map { c.pos >= $0(c.cpu) } ?? true, 1)
            }
            let entry = trace.entries[i - trace.completed.count]
            let item = trace.item(entry)
            let intact = trace.oldestIntact.map { trace.intact(entry, $0) } ?? true
            return (item, intact, entry.exit == Entry.none || entry.exit == entry.first ? 1 : 2)
        }

        private mutating func gap() -> TraceItem {
            counts.overwritten &+= overwritten
            defer { overwritten = 0 }
            return .lost(count: overwritten)
        }
    }

    public func makeIterator() -> Iterator { Iterator(self) }
}

/// The last task name decoded, as its 16 bytes and as a String: a ring's
/// records come from few tasks, mostly in runs, and making a String of the
/// bytes (UTF-8 validation) was ~140 instructions a record in a dump.
final class CommNames {
    private var raw: (UInt64, UInt64) = (0, 0)
    private var decoded: String?

    func name(_ comm: UnsafeRawBufferPointer) -> String {
        guard comm.count == 16 else { return RingDecoder.cString(comm) }
        let key = (comm.loadUnaligned(as: UInt64.self), comm.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        if let decoded, key == raw { return decoded }
        let name = RingDecoder.cString(comm)
        (raw, decoded) = (key, name)
        return name
    }
}
