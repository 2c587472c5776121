import CTailtrace
import XCTest

@testable import Shared

/// The ring decoder on hand-made rings: what the kernel writes, torn and
/// foreign cells, and garbage from an untrusted traced process.
final class RingDecoderTests: XCTestCase {
    let cellsPerCPU = 64
    let ncpus = 2
    let gen: UInt32 = 7

    /// A ring being written as the recorder writes it.
    struct Ring {
        var cells: [UInt8]
        var heads: [UInt64]
        let cellsPerCPU: Int

        init(cellsPerCPU: Int, ncpus: Int) {
            self.cellsPerCPU = cellsPerCPU
            cells = [UInt8](repeating: 0, count: cellsPerCPU * ncpus * Int(TT_CELL_SIZE))
            heads = [UInt64](repeating: 0, count: ncpus)
        }

        mutating func put<T>(_ value: T, cpu: Int, pos: UInt64) {
            let index = cpu * cellsPerCPU + Int(pos % UInt64(cellsPerCPU))
            cells.withUnsafeMutableBytes { raw in
                raw.baseAddress!.advanced(by: index * Int(TT_CELL_SIZE)).storeBytes(of: value, as: T.self)
            }
        }

        func header(
            gen: UInt32, kind: tt_kind, cpu: Int, pos: UInt64, ts: UInt64, tid: UInt32, nr: UInt32, flags: Int32 = 0
        )
            -> tt_header
        {
            var h = tt_header()
            h.seq = pos + 1
            h.gen = gen
            h.kind = UInt16(kind.rawValue)
            h.flags = UInt16(flags)
            h.ts_ns = ts
            h.pid = tid
            h.tid = tid
            h.nr = nr
            h.cpu = UInt16(cpu)
            return h
        }

        /// An enter (with payloads) or exit record at the CPU's head.
        mutating func event(
            gen: UInt32, cpu: Int, ts: UInt64, tid: UInt32, nr: UInt32, exit: Bool = false, ret: Int64 = 0,
            args: [UInt64] = [1, 2, 3, 4, 5, 6],
            payload: (arg: UInt8, bytes: [UInt8], flags: Int32, kind: tt_payload_kind)? = nil
        ) {
            let pos = heads[cpu]
            let parts = payload.map { Self.parts($0.bytes) } ?? 0
            if exit {
                var x = tt_exit()
                x.h = header(gen: gen, kind: TT_KIND_EXIT, cpu: cpu, pos: pos, ts: ts, tid: tid, nr: nr)
                x.ret = ret
                x.payload_cells = UInt32(parts)
                put(x, cpu: cpu, pos: pos)
            } else {
                var e = tt_enter()
                e.h = header(gen: gen, kind: TT_KIND_ENTER, cpu: cpu, pos: pos, ts: ts, tid: tid, nr: nr)
                withUnsafeMutableBytes(of: &e.args) { raw in
                    for (i, a) in args.prefix(6).enumerated() {
                        raw.storeBytes(of: a, toByteOffset: i * 8, as: UInt64.self)
                    }
                }
                withUnsafeMutableBytes(of: &e.comm) { raw in
                    for (i, b) in "work".utf8.enumerated() { raw[i] = b }
                }
                e.payload_cells = UInt16(parts)
                put(e, cpu: cpu, pos: pos)
            }
            if let payload { putPayload(payload, gen: gen, cpu: cpu, at: pos + 1, ts: ts, tid: tid, nr: nr) }
            heads[cpu] = pos + 1 + UInt64(parts)
        }

        static func parts(_ bytes: [UInt8]) -> Int {
            max(1, (bytes.count + Int(TT_PAYLOAD_DATA) - 1) / Int(TT_PAYLOAD_DATA))
        }

        /// A payload's cells from `first` on, owned by the event of time `ts`.
        mutating func putPayload(
            _ payload: (arg: UInt8, bytes: [UInt8], flags: Int32, kind: tt_payload_kind), gen: UInt32, cpu: Int,
            at first: UInt64, ts: UInt64, tid: UInt32, nr: UInt32
        ) {
            let dataPerCell = Int(TT_PAYLOAD_DATA)
            let parts = Self.parts(payload.bytes)
            for part in 0..<parts {
                var p = tt_payload()
                let p0 = first + UInt64(part)
                p.h = header(
                    gen: gen, kind: TT_KIND_PAYLOAD, cpu: cpu, pos: p0, ts: ts, tid: tid, nr: nr, flags: payload.flags)
                let chunk = payload.bytes.dropFirst(part * dataPerCell).prefix(dataPerCell)
                p.h.len = UInt16(chunk.count)
                p.arg = payload.arg
                p.part = UInt8(part)
                p.parts = UInt8(parts)
                p.kind = UInt8(payload.kind.rawValue)
                p.total = UInt32(payload.bytes.count)
                withUnsafeMutableBytes(of: &p.data) { raw in
                    for (i, b) in chunk.enumerated() { raw[i] = b }
                }
                put(p, cpu: cpu, pos: p0)
            }
        }

        func enter(cpu: Int, pos: UInt64) -> tt_enter {
            let index = cpu * cellsPerCPU + Int(pos % UInt64(cellsPerCPU))
            return cells.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index * Int(TT_CELL_SIZE), as: tt_enter.self) }
        }

        /// The exit of the enter at `pos`, the CPU's newest record, written
        /// into its cell as the recorder does it (`TT_SEQ_DONE`): the exit's
        /// payload cells after the enter's, then the fields, the done bit
        /// last; `done: false` stops before the bit (an exit being written).
        mutating func complete(
            cpu: Int, at pos: UInt64, ts: UInt64, ret: Int64,
            payload: (arg: UInt8, bytes: [UInt8], flags: Int32, kind: tt_payload_kind)? = nil, done: Bool = true
        ) {
            var e = enter(cpu: cpu, pos: pos)
            precondition(heads[cpu] == pos + 1 + UInt64(e.payload_cells), "not the CPU's newest record")
            let parts = payload.map { Self.parts($0.bytes) } ?? 0
            if let payload {
                putPayload(payload, gen: e.h.gen, cpu: cpu, at: heads[cpu], ts: e.h.ts_ns, tid: e.h.tid, nr: e.h.nr)
            }
            heads[cpu] += UInt64(parts)
            guard done else { return }
            e.exit_payload_cells = UInt16(parts)
            e.exit_dt_ns = UInt32(ts - e.h.ts_ns)
            e.ret = ret
            e.h.seq |= UInt64(TT_SEQ_DONE)
            put(e, cpu: cpu, pos: pos)
        }
    }

    func decode(_ ring: Ring) -> ([TraceItem], RingDecoder.Counts) {
        let low = ring.heads.map { $0 > UInt64(cellsPerCPU) ? $0 - UInt64(cellsPerCPU) : 0 }
        return RingDecoder(generation: gen, cellsPerCPU: cellsPerCPU, ncpus: ncpus)
            .decode(cells: ring.cells, low: low, high: ring.heads)
    }

    func calls(_ items: [TraceItem]) -> [SyscallEvent] {
        items.compactMap { if case .syscall(let e) = $0 { e } else { nil } }
    }

    func testEnterAndExitPairAcrossCPUsOldestFirst() {
        var ring = Ring(cellsPerCPU: cellsPerCPU, ncpus: ncpus)
        let path = Array("/etc/hostname".utf8)
        ring.event(gen: gen, cpu: 0, ts: 100, tid: 5, nr: 257, payload: (1, path, 0, TT_PAYLOAD_STRING))
        ring.event(gen: gen, cpu: 1, ts: 150, tid: 5, nr: 257, exit: true, ret: 3)  // migrated
        ring.event(gen: gen, cpu: 1, ts: 120, tid: 9, nr: 39)
        ring.event(gen: gen, cpu: 0, ts: 130, tid: 9, nr: 39, exit: true, ret: 9)
        ring.event(gen: gen, cpu: 1, ts: 200, tid: 5, nr: 231)  // exit_group: never returns
        let (items, counts) = decode(ring)
        XCTAssertEqual(counts, RingDecoder.Counts())
        let events = calls(items)
        XCTAssertEqual(events.map(\.nr), [257, 39, 231])
        XCTAssertEqual(events[0].ret, 3)
        XCTAssertEqual(events[0].payloads, [Payload(arg: 1, bytes: path, isString: true)])
        XCTAssertEqual(events[0].comm, "work")
        XCTAssertEqual(events[1].ret, 9)
        XCTAssertNil(events[2].ret)
        XCTAssertEqual(events.map(\.exitTsNs), [150, 130, nil], "the exit's own time, for call durations")
    }

    func testLongPayloadSpansCellsAndKeepsFlags() {
        var ring = Ring(cellsPerCPU: cellsPerCPU, ncpus: ncpus)
        let buffer = (0..<300).map { UInt8($0 & 0xff) }
        ring.event(gen: gen, cpu: 0, ts: 1, tid: 1, nr: 1, payload: (1, buffer, TT_FLAG_TRUNCATED, TT_PAYLOAD_BUFFER))
        let events = calls(decode(ring).0)
        XCTAssertEqual(events.first?.payloads.first?.bytes, buffer)
        XCTAssertEqual(events.first?.payloads.first?.truncated, true)
        XCTAssertEqual(events.first?.payloads.first?.isString, false)
    }

    /// Archives of the previous release (install magic ttr2, `ring.bin`)
    /// hold payload cells of the first layout: a 16-bit `parts` where
    /// `kind` is now, no `size`, 80 data bytes from offset 48, flag 0x8 for
    /// a string. UpgradeTests dumps a real one.
    func testPayloadsOfTheFirstLayoutDecode() {
        var ring = Ring(cellsPerCPU: cellsPerCPU, ncpus: ncpus)
        let path = Array("/nonexistent-first/file".utf8)
        let buffer = (0..<100).map { UInt8($0) }
        func firstLayout(_ bytes: [UInt8], arg: UInt8, flags: Int32, at pos: UInt64, ts: UInt64) -> Int {
            let parts = (bytes.count + 79) / 80
            for part in 0..<parts {
                var cell = [UInt8](repeating: 0, count: Int(TT_CELL_SIZE))
                var h = ring.header(
                    gen: gen, kind: TT_KIND_PAYLOAD, cpu: 0, pos: pos + UInt64(part), ts: ts, tid: 3, nr: 257,
                    flags: flags)
                let chunk = Array(bytes.dropFirst(part * 80).prefix(80))
                h.len = UInt16(chunk.count)
                withUnsafeBytes(of: h) { cell.replaceSubrange(0..<40, with: $0) }
                cell[40] = arg
                cell[41] = UInt8(part)
                withUnsafeBytes(of: UInt16(parts).littleEndian) { cell.replaceSubrange(42..<44, with: $0) }
                withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { cell.replaceSubrange(44..<48, with: $0) }
                cell.replaceSubrange(48..<48 + chunk.count, with: chunk)
                let index = Int(pos) + part
                ring.cells.replaceSubrange(index * Int(TT_CELL_SIZE)..<(index + 1) * Int(TT_CELL_SIZE), with: cell)
            }
            return parts
        }
        var e = tt_enter()
        e.h = ring.header(gen: gen, kind: TT_KIND_ENTER, cpu: 0, pos: 0, ts: 10, tid: 3, nr: 257)
        let stringCells = firstLayout(path, arg: 1, flags: 0x8, at: 1, ts: 10)
        let bufferCells = firstLayout(buffer, arg: 2, flags: TT_FLAG_TRUNCATED, at: 1 + UInt64(stringCells), ts: 10)
        e.payload_cells = UInt16(stringCells + bufferCells)
        ring.put(e, cpu: 0, pos: 0)
        ring.heads[0] = 1 + UInt64(stringCells + bufferCells)
        let events = calls(decode(ring).0)
        XCTAssertEqual(bufferCells, 2)
        XCTAssertEqual(events.first?.payloads.map(\.bytes), [path, buffer])
        XCTAssertEqual(events.first?.payloads.map(\.isString), [true, false])
        XCTAssertEqual(events.first?.payloads.map(\.atExit), [false, false], "0x8 was the string flag then")
        XCTAssertEqual(events.first?.payloads.map(\.truncated), [false, true])
    }

    func testOverwrittenRingCountsLossAndKeepsNewest() {
        var ring = Ring(cellsPerCPU: cellsPerCPU, ncpus: ncpus)
        for i in 0..<100 {
            ring.event(gen: gen, cpu: 0, ts: UInt64(10 * i), tid: 1, nr: 110)
            ring.event(gen: gen, cpu: 0, ts: UInt64(10 * i + 5), tid: 1, nr: 110, exit: true, ret: 1)
        }
        let (items, counts) = decode(ring)
        XCTAssertEqual(counts.overwritten, 200 - 64)
        XCTAssertEqual(items.first, .lost(count: 136))
        XCTAssertEqual(calls(items).count, 32)
        XCTAssertEqual(calls(items).last?.tsNs, 990)
    }

    func testTornAndForeignCellsAreSkippedAndCounted() {
        var ring = Ring(cellsPerCPU: cellsPerCPU, ncpus: ncpus)
        ring.event(gen: gen, cpu: 0, ts: 1, tid: 1, nr: 0)
        ring.event(gen: gen - 1, cpu: 0, ts: 2, tid: 1, nr: 1)  // left by the slot's previous container
        ring.event(gen: gen, cpu: 0, ts: 3, tid: 1, nr: 2)
        // A cell whose sequence number does not match its position: torn.
        var torn = tt_enter()
        torn.h = ring.header(gen: gen, kind: TT_KIND_ENTER, cpu: 0, pos: 99, ts: 4, tid: 1, nr: 3)
        ring.put(torn, cpu: 0, pos: 3)
        ring.heads[0] = 4
        let (items, counts) = decode(ring)
        XCTAssertEqual(calls(items).map(\.nr), [0, 2])
        XCTAssertEqual(counts.foreign, 1)
        XCTAssertEqual(counts.torn, 1)
    }

    /// Signals and process exits are items of their own, in time order
    /// among the syscalls; the exit scan finds exits from headers alone.
    func testSignalsAndProcessExitsKeepTheirPlace() {
        var ring = Ring(cellsPerCPU: cellsPerCPU, ncpus: ncpus)
        ring.event(gen: gen, cpu: 0, ts: 10, tid: 5, nr: 62)  // kill
        ring.event(gen: gen, cpu: 0, ts: 11, tid: 5, nr: 62, exit: true, ret: 0)
        var s = tt_signal()
        s.h = ring.header(gen: gen, kind: TT_KIND_SIGNAL, cpu: 1, pos: 0, ts: 12, tid: 6, nr: 0)
        s.signo = 11
        s.code = 1  // SEGV_MAPERR
        withUnsafeMutableBytes(of: &s.fields) { $0.storeBytes(of: UInt64(0xdead), toByteOffset: 0, as: UInt64.self) }
        ring.put(s, cpu: 1, pos: 0)
        var x = tt_proc_exit()
        x.h = ring.header(gen: gen, kind: TT_KIND_PROC_EXIT, cpu: 1, pos: 1, ts: 13, tid: 6, nr: 0)
        x.exit_code = 11 | 0x80
        ring.put(x, cpu: 1, pos: 1)
        ring.heads[1] = 2
        ring.event(gen: gen, cpu: 0, ts: 14, tid: 5, nr: 61)  // wait4
        let (items, _) = decode(ring)
        XCTAssertEqual(items.count, 4)
        guard items.count == 4, case .signal(let signal) = items[1], case .processExit(let exit) = items[2] else {
            return XCTFail("\(items)")
        }
        XCTAssertEqual(signal.signo, 11)
        XCTAssertEqual(signal.code, 1)
        XCTAssertEqual(signal.field64(at: 0), 0xdead)
        XCTAssertEqual(exit.killedBy, 11)
        XCTAssertTrue(exit.coreDumped)
        XCTAssertNil(exit.exitCode)
        let low = ring.heads.map { _ in UInt64(0) }
        let exits = RingDecoder(generation: gen, cellsPerCPU: cellsPerCPU, ncpus: ncpus)
            .processExits(cells: ring.cells, low: low, high: ring.heads)
        XCTAssertEqual(exits, [exit])
    }

    /// A payload read again at exit (it faulted at enter) takes the place
    /// of the faulted one; other exit payloads are added.
    func testPayloadReadAgainAtExitReplacesTheFaultedOne() {
        var ring = Ring(cellsPerCPU: cellsPerCPU, ncpus: ncpus)
        ring.event(gen: gen, cpu: 0, ts: 1, tid: 3, nr: 257, payload: (1, [], TT_FLAG_FAULT, TT_PAYLOAD_STRING))
        let path = Array("/cold/path".utf8)
        ring.event(
            gen: gen, cpu: 0, ts: 2, tid: 3, nr: 257, exit: true, ret: -2,
            payload: (1, path, TT_FLAG_AT_EXIT, TT_PAYLOAD_STRING))
        let events = calls(decode(ring).0)
        XCTAssertEqual(events.count, 1)
        XCTAssertEqual(events.first?.payloads, [Payload(arg: 1, bytes: path, kind: .string, atExit: true)])
    }

    func testOrphanExitTakesTheThreadsArchitecture() {
        var ring = Ring(cellsPerCPU: cellsPerCPU, ncpus: ncpus)
        ring.event(gen: gen, cpu: 0, ts: 1, tid: 4, nr: 7, exit: true, ret: 0)  // its enter predates the claim
        var e = tt_enter()
        e.h = ring.header(gen: gen, kind: TT_KIND_ENTER, cpu: 0, pos: 1, ts: 2, tid: 4, nr: 20, flags: TT_FLAG_COMPAT)
        ring.put(e, cpu: 0, pos: 1)
        ring.heads[0] = 2
        let events = calls(decode(ring).0)
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(events[0].args, [], "an exit without its enter has no args")
        XCTAssertEqual(events[0].exitTsNs, 1)
        XCTAssertTrue(events[0].compat)
    }

    /// Random bytes and lying headers never crash the decoder, and nothing
    /// it returns exceeds the ring's bounds.
    /// One record per syscall: an exit written into its enter's cell
    /// decodes as the pair it stands for, with the exit's payloads after
    /// the enter's and its own time; a cell with the bit that is not an
    /// enter is corrupt.
    func testExitWrittenIntoItsEnterDecodesAsThePair() {
        var ring = Ring(cellsPerCPU: cellsPerCPU, ncpus: ncpus)
        let path = Array("/etc/hostname".utf8)
        let data = (0..<100).map { UInt8($0) }
        ring.event(gen: gen, cpu: 0, ts: 100, tid: 5, nr: 257, payload: (1, path, 0, TT_PAYLOAD_STRING))
        ring.complete(cpu: 0, at: 0, ts: 140, ret: 3)
        ring.event(gen: gen, cpu: 0, ts: 200, tid: 5, nr: 0)
        ring.complete(cpu: 0, at: 2, ts: 260, ret: 100, payload: (1, data, 0, TT_PAYLOAD_BUFFER))
        ring.event(gen: gen, cpu: 0, ts: 300, tid: 5, nr: 39)
        let (items, counts) = decode(ring)
        XCTAssertEqual(counts, RingDecoder.Counts())
        let events = calls(items)
        XCTAssertEqual(events.map(\.nr), [257, 0, 39])
        XCTAssertEqual(events.map(\.ret), [3, 100, nil])
        XCTAssertEqual(events.map(\.exitTsNs), [140, 260, nil])
        XCTAssertEqual(events[0].payloads, [Payload(arg: 1, bytes: path, isString: true)])
        XCTAssertEqual(events[1].payloads.map(\.bytes), [data])
        XCTAssertEqual(events[1].args, [1, 2, 3, 4, 5, 6])

        var bad = ring
        var p = tt_payload()
        p.h = ring.header(gen: gen, kind: TT_KIND_PAYLOAD, cpu: 1, pos: 0, ts: 1, tid: 1, nr: 1)
        p.h.seq |= UInt64(TT_SEQ_DONE)
        bad.put(p, cpu: 1, pos: 0)
        bad.heads[1] = 1
        XCTAssertEqual(decode(bad).1.torn, 1)
    }

    func testGarbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            var ring = Ring(cellsPerCPU: cellsPerCPU, ncpus: ncpus)
            for i in ring.cells.indices { ring.cells[i] = UInt8.random(in: 0...255, using: &generator) }
            // Make some cells look valid so the decoder reaches payload parsing.
            for pos in 0..<UInt64(cellsPerCPU) where Bool.random() {
                var h = ring.header(
                    gen: gen, kind: tt_kind(rawValue: UInt32.random(in: 0...6)), cpu: 0, pos: pos, ts: pos, tid: 1,
                    nr: UInt32.random(in: 0...UInt32.max))
                h.len = UInt16.random(in: 0...UInt16.max)
                ring.put(h, cpu: 0, pos: pos)
            }
            ring.heads = [UInt64.random(in: 0...1000), round % 2 == 0 ? UInt64.max : 5]
            let low = [UInt64.random(in: 0...2000), 0]
            let (items, _) = RingDecoder(generation: gen, cellsPerCPU: cellsPerCPU, ncpus: ncpus)
                .decode(cells: ring.cells, low: low, high: ring.heads)
            _ = RingDecoder(generation: gen, cellsPerCPU: cellsPerCPU, ncpus: ncpus)
                .processExits(cells: ring.cells, low: low, high: ring.heads)
            for case .signal(let s) in items { XCTAssertEqual(s.fields.count, 32) }
            for case .syscall(let e) in items {
                XCTAssertLessThanOrEqual(e.args.count, 6)
                for p in e.payloads { XCTAssertLessThanOrEqual(p.bytes.count, Int(TT_MAX_CAPTURE) + 128) }
            }
        }
        // Bad geometry is refused, not trusted.
        XCTAssertTrue(
            RingDecoder(generation: 1, cellsPerCPU: 3, ncpus: 1).decode(cells: [], low: [0], high: [9]).0.isEmpty)
        XCTAssertTrue(
            RingDecoder(generation: 1, cellsPerCPU: 64, ncpus: 2).decode(cells: [1, 2], low: [0], high: [9]).0.isEmpty)
    }
}
