import CTailtrace
import XCTest

@testable import Shared

/// `follow`'s passes over a ring: decoded in windows cut where the heads
/// were at some moment, and held until final, they print what one decode
/// of the whole ring prints.
final class FollowedTraceTests: XCTestCase {
    let gen: UInt32 = 7
    typealias Ring = RingDecoderTests.Ring

    /// Two threads across two CPUs: a call whose exit is on the other CPU,
    /// a read-like call with an exit payload, and exit_group, which never
    /// returns. `cuts`: per record in time order, the heads after it.
    func ring() -> (Ring, cuts: [[UInt64]]) {
        var ring = Ring(cellsPerCPU: 64, ncpus: 2)
        var cuts: [[UInt64]] = [ring.heads]
        func at(
            _ cpu: Int, _ ts: UInt64, _ tid: UInt32, _ nr: UInt32, exit: Bool = false, ret: Int64 = 0,
            payload: (arg: UInt8, bytes: [UInt8], flags: Int32, kind: tt_payload_kind)? = nil
        ) {
            ring.event(gen: gen, cpu: cpu, ts: ts, tid: tid, nr: nr, exit: exit, ret: ret, payload: payload)
            cuts.append(ring.heads)
        }
        at(0, 100, 5, 257, payload: (1, Array("/etc/hostname".utf8), 0, TT_PAYLOAD_STRING))
        at(1, 110, 6, 0)
        at(1, 150, 5, 257, exit: true, ret: 3)
        at(0, 160, 7, 110)
        at(0, 170, 7, 110, exit: true, ret: 1)
        at(0, 200, 6, 0, exit: true, ret: 5, payload: (1, Array("hello".utf8), 0, TT_PAYLOAD_BUFFER))
        at(1, 210, 5, 231)
        return (ring, cuts)
    }

    func trace(_ ring: Ring, since: RingCursor?, upTo high: [UInt64], _ body: (RingTrace) -> Void) {
        ring.cells.withUnsafeBytes { raw in
            body(
                RingDecoder(generation: gen, cellsPerCPU: ring.cellsPerCPU, ncpus: 2)
                    .trace(cells: raw, low: since?.read ?? [0, 0], high: high, since: since, waitingForWrites: true))
        }
    }

    func testPassesCutAnywherePrintWhatOneDecodePrints() {
        let (ring, cuts) = ring()
        var whole: [TraceItem] = []
        trace(ring, since: nil, upTo: ring.heads) { whole = $0.items().0 }
        XCTAssertEqual(whole.count, 4)
        for cut in cuts {
            var followed = FollowedTrace()
            var printed: [TraceItem] = []
            var seen: RingCursor?
            for high in [cut, ring.heads] {
                trace(ring, since: seen, upTo: high) { t in
                    for item in t { followed.add(item) }
                    seen = t.cursor
                }
                printed += followed.takeFinal(settledBeforeNs: 0, ended: high == ring.heads)
            }
            XCTAssertEqual(printed, whole, "cut at \(cut)")
        }
    }

    /// A call is held until it returns or its thread moves on; calls that
    /// started before the settle time are printed without their return,
    /// which is then not printed again.
    func testCallsWaitUntilFinal() {
        let (ring, cuts) = ring()
        var followed = FollowedTrace()
        trace(ring, since: nil, upTo: cuts[2]) { t in for item in t { followed.add(item) } }
        XCTAssertTrue(followed.takeFinal(settledBeforeNs: 0).isEmpty, "openat has not returned yet")
        let old = followed.takeFinal(settledBeforeNs: 105)
        XCTAssertEqual(old.count, 1)
        guard case .syscall(let openat) = old.first else { return XCTFail("\(old)") }
        XCTAssertNil(openat.ret)
        trace(ring, since: RingCursor(read: cuts[2]), upTo: ring.heads) { t in for item in t { followed.add(item) } }
        let rest = followed.takeFinal(settledBeforeNs: 0, ended: true)
        XCTAssertEqual(rest.compactMap { if case .syscall(let e) = $0 { e.nr } else { nil } }, [0, 110, 231])
    }

    /// A record whose cells are reserved but not written yet ends the
    /// window: the next pass reads it, nothing is counted lost.
    func testRecordBeingWrittenWaitsForTheNextPass() {
        let (ring, cuts) = ring()
        var partial = ring
        // The openat's payload cell is reserved, not written yet.
        partial.put(tt_header(), cpu: 0, pos: 1)
        trace(partial, since: nil, upTo: cuts[1]) { t in
            XCTAssertEqual(t.cursor.read, [0, 0])
            XCTAssertEqual(t.count, 0)
            XCTAssertEqual(t.counts.lost, 0)
        }
        trace(ring, since: RingCursor(read: [0, 0]), upTo: cuts[1]) { t in
            XCTAssertEqual(t.cursor.read, cuts[1])
            XCTAssertEqual(t.count, 1)
        }
    }

    /// An exit written in place into an enter a pass decoded open comes
    /// in the next pass as the exit of its own (the heads may not move);
    /// its payload cells are the enter's, not a torn record; while they
    /// are written and the bit is not set, the window waits.
    func testExitWrittenInPlaceAfterAPassCompletesTheCall() {
        var ring = Ring(cellsPerCPU: 64, ncpus: 2)
        ring.event(gen: gen, cpu: 0, ts: 100, tid: 5, nr: 0)
        ring.event(gen: gen, cpu: 1, ts: 110, tid: 6, nr: 39)
        ring.complete(cpu: 1, at: 0, ts: 120, ret: 6)
        var followed = FollowedTrace()
        var seen: RingCursor?
        func pass(_ ring: Ring) -> RingTrace.Iterator {
            var counts: RingTrace.Iterator?
            trace(ring, since: seen, upTo: ring.heads) { t in
                var it = t.makeIterator()
                while let item = it.next() { followed.add(item) }
                seen = t.cursor
                counts = it
            }
            return counts!
        }
        _ = pass(ring)
        XCTAssertEqual(seen?.open, [1, 0], "the read on CPU 0 may still complete in place")
        XCTAssertEqual(followed.takeFinal(settledBeforeNs: 0).count, 0, "held: the read has not returned")

        var writing = ring
        writing.complete(cpu: 0, at: 0, ts: 150, ret: 5, payload: (1, Array("hello".utf8), 0, TT_PAYLOAD_BUFFER), done: false)
        XCTAssertEqual(pass(writing).counts, RingDecoder.Counts())
        XCTAssertEqual(seen?.read, [1, 1], "its payload cell waits for the bit")
        XCTAssertEqual(followed.takeFinal(settledBeforeNs: 0).count, 0)

        ring.complete(cpu: 0, at: 0, ts: 150, ret: 5, payload: (1, Array("hello".utf8), 0, TT_PAYLOAD_BUFFER))
        ring.event(gen: gen, cpu: 0, ts: 200, tid: 5, nr: 231)
        XCTAssertEqual(pass(ring).counts, RingDecoder.Counts())
        XCTAssertEqual(seen?.read, [3, 1])
        let printed = followed.takeFinal(settledBeforeNs: 0, ended: true)
        var whole: [TraceItem] = []
        trace(ring, since: nil, upTo: ring.heads) { whole = $0.items().0 }
        XCTAssertEqual(printed, whole)
        guard case .syscall(let read) = printed.first else { return XCTFail("\(printed)") }
        XCTAssertEqual(read.ret, 5)
        XCTAssertEqual(read.payloads.map(\.bytes), [Array("hello".utf8)])
    }

    /// An open enter that records came after on its CPU will get its exit
    /// as a record of its own: the cursor lets it go.
    func testOpenEnterWithRecordsAfterItIsLetGo() {
        var ring = Ring(cellsPerCPU: 64, ncpus: 1)
        ring.event(gen: gen, cpu: 0, ts: 100, tid: 5, nr: 0)
        var seen: RingCursor?
        var items: [TraceItem] = []
        func pass() {
            ring.cells.withUnsafeBytes { raw in
                let t = RingDecoder(generation: gen, cellsPerCPU: 64, ncpus: 1)
                    .trace(cells: raw, low: seen?.read ?? [0], high: ring.heads, since: seen, waitingForWrites: true)
                items += t.items().0
                seen = t.cursor
            }
        }
        pass()
        XCTAssertEqual(seen?.open, [1])
        ring.event(gen: gen, cpu: 0, ts: 120, tid: 6, nr: 39)
        ring.event(gen: gen, cpu: 0, ts: 150, tid: 5, nr: 0, exit: true, ret: 2)
        pass()
        XCTAssertEqual(seen?.open, [0])
        XCTAssertEqual(items.count, 3, "the read, getpid, the read's exit")
    }

    /// The heads were read before the exit reserved its payload cell, the
    /// cell was read after the bit was set: the exit is whole, and the next
    /// pass starts after its payload, not at it.
    func testExitCompletedPastTheHeadsReadBefore() {
        var ring = Ring(cellsPerCPU: 64, ncpus: 1)
        ring.event(gen: gen, cpu: 0, ts: 100, tid: 5, nr: 0)
        var seen: RingCursor?
        func pass(upTo high: [UInt64]) -> [TraceItem] {
            ring.cells.withUnsafeBytes { raw in
                let t = RingDecoder(generation: gen, cellsPerCPU: 64, ncpus: 1)
                    .trace(cells: raw, low: seen?.read ?? [0], high: high, since: seen, waitingForWrites: true)
                defer { seen = t.cursor }
                XCTAssertEqual(t.counts, RingDecoder.Counts())
                return t.items().0
            }
        }
        XCTAssertEqual(pass(upTo: ring.heads).count, 1)
        let before = ring.heads
        ring.complete(cpu: 0, at: 0, ts: 150, ret: 5, payload: (1, Array("hello".utf8), 0, TT_PAYLOAD_BUFFER))
        let exit = pass(upTo: before)
        guard case .syscall(let e) = exit.first, exit.count == 1 else { return XCTFail("\(exit)") }
        XCTAssertEqual(e.ret, 5)
        XCTAssertEqual(e.payloads.map(\.bytes), [Array("hello".utf8)])
        XCTAssertEqual(seen, RingCursor(read: [2], open: [0]))
        XCTAssertEqual(pass(upTo: ring.heads).count, 0, "nothing new, nothing lost")
    }
}
