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

    func trace(_ ring: Ring, since: [UInt64]?, upTo high: [UInt64], _ body: (RingTrace) -> Void) {
        ring.cells.withUnsafeBytes { raw in
            body(
                RingDecoder(generation: gen, cellsPerCPU: ring.cellsPerCPU, ncpus: 2)
                    .trace(cells: raw, low: since ?? [0, 0], high: high, since: since, waitingForWrites: true))
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
            var seen: [UInt64]?
            for high in [cut, ring.heads] {
                trace(ring, since: seen, upTo: high) { t in
                    for item in t { followed.add(item) }
                    seen = t.end
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
        trace(ring, since: cuts[2], upTo: ring.heads) { t in for item in t { followed.add(item) } }
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
            XCTAssertEqual(t.end, [0, 0])
            XCTAssertEqual(t.count, 0)
            XCTAssertEqual(t.counts.lost, 0)
        }
        trace(ring, since: [0, 0], upTo: cuts[1]) { t in
            XCTAssertEqual(t.end, cuts[1])
            XCTAssertEqual(t.count, 1)
        }
    }
}
