import Glibc
import Testing

@testable import TraceFormat

/// The byte writers every line goes through, against Swift's own text.
@Suite struct OutputBytesTests {
    @Test func decimalsAreSwiftsText() {
        var values: [UInt64] = [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 12_345, 46_176_117_678_384, .max, .max - 1]
        for p in 1...19 { values += [pow10(p) - 1, pow10(p), pow10(p) + 1] }
        for v in values {
            var out: [UInt8] = [UInt8(ascii: "<")]
            out.appendDecimal(v)
            #expect(String(decoding: out, as: UTF8.self) == "<\(v)")
            var signed: [UInt8] = []
            signed.appendDecimal(-Int64(clamping: v))
            #expect(String(decoding: signed, as: UTF8.self) == (v == 0 ? "0" : "-\(Int64(clamping: v))"))
            // OutputBuffer's own, which writes in place
            var buffer = OutputBuffer(capacity: 1)
            buffer.append(UInt8(ascii: "<"))
            buffer.appendDecimal(v)
            buffer.appendDecimal(-Int64(clamping: v))
            #expect(String(decoding: buffer.bytes, as: UTF8.self) == "<\(v)" + (v == 0 ? "0" : "-\(Int64(clamping: v))"))
        }
        for bits in 0..<64 {  // every bit length, at and beside the estimate's edges
            for v in [UInt64(1) << bits, (UInt64(1) << bits) &- 1, (UInt64(1) << bits) | 1] {
                #expect(decimalLength(v) == String(v).count, "\(v)")
            }
        }
        #expect({ var o: [UInt8] = []; o.appendDecimal(Int64.min); return String(decoding: o, as: UTF8.self) }() == "\(Int64.min)")
    }

    /// An OutputBuffer holds what an [UInt8] given the same appends holds,
    /// across its growth (from the smallest capacity, by single bytes and by
    /// copies larger than it), and is empty but usable after removeAll.
    @Test func outputBufferGrowsAndKeepsEveryByte() {
        var buffer = OutputBuffer(capacity: 1)
        var array: [UInt8] = []
        let block = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        for round in 0..<40 {
            buffer.append(UInt8(truncatingIfNeeded: round))
            array.append(UInt8(truncatingIfNeeded: round))
            buffer.appendDecimal(UInt64(round) * 1_000_003)
            array.appendDecimal(UInt64(round) * 1_000_003)
            buffer.append(contentsOf: Array(block.prefix(round * 7)))
            array.append(contentsOf: block.prefix(round * 7))
            buffer.appendASCII("\",\"key\":")
            array.appendASCII("\",\"key\":")
            buffer.appendJSONString("caf\u{e9}\n")
            array.appendJSONString("caf\u{e9}\n")
        }
        #expect(buffer.count == array.count)
        #expect(buffer.bytes == array)
        buffer.removeAll()
        #expect(buffer.count == 0 && buffer.bytes.isEmpty)
        buffer.append(contentsOf: block)
        #expect(buffer.bytes == block)
    }

    @Test func widthPadsWithZerosAndNeverCuts() {
        for (value, width, text) in [
            (UInt64(0), 6, "000000"), (7, 2, "07"), (42, 2, "42"), (123, 2, "123"), (5, 1, "5"), (5, 0, "5"),
            (999_999, 6, "999999"), (1, 20, "00000000000000000001"), (.max, 20, "18446744073709551615"),
            (3, 25, "00000000000000000003"),
        ] as [(UInt64, Int, String)] {
            var out: [UInt8] = []
            out.appendDecimal(value, width: width)
            #expect(String(decoding: out, as: UTF8.self) == text, "\(value) width \(width)")
            var buffer = OutputBuffer(capacity: 1)
            buffer.appendDecimal(value, width: width)
            #expect(String(decoding: buffer.bytes, as: UTF8.self) == text, "OutputBuffer: \(value) width \(width)")
        }
    }

    /// Times against gmtime_r, microseconds truncated toward the past; in
    /// one second and across seconds, so that no digit of an earlier time
    /// in the same second stays behind.
    @Test func rfc3339TimesAreGmtimes() {
        var writer = RFC3339Writer()
        let times: [Int64] = [
            1_796_160_337_796_027_331, 1_796_160_337_000_000_999, 1_796_160_337_999_999_000, 1_796_160_338_000_001_000,
            0, 999, -1, -1_000_001, 951_782_400_123_456_789,
        ]
        for ns in times {
            var buffer = OutputBuffer()
            writer.append(ns, to: &buffer)
            let out = buffer.bytes
            let micros = ns >= 0 ? ns / 1000 : (ns - 999) / 1000
            var seconds = time_t(micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000)
            var tm = Glibc.tm()
            gmtime_r(&seconds, &tm)
            let us = micros - Int64(seconds) * 1_000_000
            let pad = { (v: Int32, w: Int) in String(repeating: "0", count: Swift.max(0, w - String(v).count)) + String(v) }
            let expected =
                "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
                + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2)).\(pad(Int32(us), 6))Z"
            #expect(String(decoding: out, as: UTF8.self) == expected, "\(ns)")
        }
    }

    private func pow10(_ p: Int) -> UInt64 { (0..<p).reduce(1) { acc, _ in acc * 10 } }
}
