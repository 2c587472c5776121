import CTailtrace
import XCTest

@testable import TailcallPool

/// Archive form of a ring and the ring geometry; no kernel needed.
final class RingSnapshotTests: XCTestCase {
    func snapshot() -> RingSnapshot {
        RingSnapshot(
            generation: 3, cellsPerCPU: 64, ncpus: 2, low: [0, 10], high: [40, 74], drops: 2,
            cells: (0..<(64 * 2 * Int(TT_CELL_SIZE))).map { UInt8($0 % 251) })
    }

    func testArchiveRoundTrip() throws {
        let original = snapshot()
        let copy = try RingSnapshot(serialized: original.serialized())
        XCTAssertEqual(copy.generation, 3)
        XCTAssertEqual(copy.cellsPerCPU, 64)
        XCTAssertEqual(copy.ncpus, 2)
        XCTAssertEqual(copy.low, [0, 10])
        XCTAssertEqual(copy.high, [40, 74])
        XCTAssertEqual(copy.drops, 2)
        XCTAssertEqual(copy.cells, original.cells)
        XCTAssertEqual(copy.overwritten, 10)
    }

    /// Archives are files: a truncated, foreign or lying one is refused.
    func testCorruptArchivesAreRefused() {
        let bytes = snapshot().serialized()
        XCTAssertThrowsError(try RingSnapshot(serialized: []))
        XCTAssertThrowsError(try RingSnapshot(serialized: Array(bytes.dropLast())))
        XCTAssertThrowsError(try RingSnapshot(serialized: bytes + [0]))
        var wrongMagic = bytes
        wrongMagic[0] ^= 0xff
        XCTAssertThrowsError(try RingSnapshot(serialized: wrongMagic))
        var hugeGeometry = bytes
        hugeGeometry[8] = 0xff  // cellsPerCPU
        hugeGeometry[11] = 0x7f
        XCTAssertThrowsError(try RingSnapshot(serialized: hugeGeometry))
        var notPowerOfTwo = bytes
        notPowerOfTwo[8] = 63
        XCTAssertThrowsError(try RingSnapshot(serialized: notPowerOfTwo))
    }

    func testCellsPerCPUIsAPowerOfTwoWithinTheRingSize() {
        XCTAssertEqual(Installation.cellsPerCPU(ringBytes: 256 << 10, ncpus: 2), 1024)
        XCTAssertEqual(Installation.cellsPerCPU(ringBytes: 256 << 10, ncpus: 3), 512)
        XCTAssertEqual(Installation.cellsPerCPU(ringBytes: 16 << 10, ncpus: 64), 64, "at least 64 cells")
        for bytes in [16 << 10, 100_000, 1 << 20, 3 << 20] {
            for cpus in [1, 2, 6, 128] {
                let cells = Installation.cellsPerCPU(ringBytes: bytes, ncpus: cpus)
                XCTAssertEqual(cells & (cells - 1), 0)
                XCTAssertTrue(cells == 64 || cells * cpus * Int(TT_CELL_SIZE) <= bytes)
            }
        }
    }
}
