import Shared

// Appending numbers and escaped strings to bytes without going through
// String: the formatter writes every line into one OutputBuffer, so that a
// dump of millions of records makes no allocation per field. The same
// appends build small [UInt8] values (names, JSON keys) once.

/// What the appends below write to: an OutputBuffer, or an [UInt8].
protocol ByteSink: ~Copyable {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>)
    /// `value` in decimal, left-padded with zeros to `width` digits (at
    /// most 20, UInt64.max's). A requirement, so that the appends of this
    /// protocol's extension reach OutputBuffer's own.
    mutating func appendDecimal(_ value: UInt64, width: Int)
}

extension Array: ByteSink where Element == UInt8 {}

/// Where a formatter writes its lines: bytes at the end of memory of its
/// own, grown by doubling, handed out by `withBytes`. Not an [UInt8]: an
/// array's appends go through its uniqueness and capacity checks and
/// generic copying at every call, and in a dump of a 64 MiB ring they were
/// a fifth of all instructions (callgrind); here an append is a compare
/// and a store or one copy.
public struct OutputBuffer: ~Copyable, ByteSink {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    public private(set) var count = 0

    public init(capacity: Int = 1 << 16) {
        self.capacity = Swift.max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count &+= 1
    }

    @inline(__always)
    public mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        guard n > 0, let source = bytes.baseAddress else { return }
        if capacity - count < n { grow(to: count + n) }
        (base + count).initialize(from: source, count: n)
        count &+= n
    }

    public mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    /// One copy: here, unlike an array's, a copy costs no more than the
    /// byte loop ByteSink's appendASCII uses.
    @inline(__always)
    mutating func appendASCII(_ s: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(never)
    private mutating func grow(to needed: Int) {
        var c = capacity
        while c < needed { c *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        bigger.initialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = c
    }

    /// Written in place: the length first (`decimalLength`), then the
    /// digits (`writeDecimal`). The default fills a stack buffer and copies
    /// it (a memcpy call per number); a dump writes half a dozen numbers per
    /// record, and this took them from ~74 to ~30 instructions each
    /// (callgrind).
    @inline(__always)
    mutating func appendDecimal(_ value: UInt64, width: Int) {
        if value < 10 && width <= 1 {
            append(UInt8(truncatingIfNeeded: 48 &+ value))
            return
        }
        let length = decimalLength(value, atLeast: width)
        if capacity - count < length { grow(to: count + length) }
        writeDecimal(value, length: length, at: base + count)
        count &+= length
    }

    /// Empties the buffer, keeping its memory.
    public mutating func removeAll() { count = 0 }

    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// A copy of the bytes written so far.
    public var bytes: [UInt8] { withBytes { Array($0) } }
}

/// `value`'s last `length` decimal digits at `start`, zeros before them: two
/// digits at a time from a table of pairs, last first.
@inline(__always)
func writeDecimal(_ value: UInt64, length: Int, at start: UnsafeMutablePointer<UInt8>) {
    var p = start + length
    var v = value
    let pairs = digitPairs.utf8Start
    while v >= 100 {
        let k = Int(truncatingIfNeeded: v % 100) &* 2
        v /= 100
        p -= 2
        p[0] = pairs[k]
        p[1] = pairs[k + 1]
    }
    if v >= 10 {
        let k = Int(truncatingIfNeeded: v) &* 2
        p -= 2
        p[0] = pairs[k]
        p[1] = pairs[k + 1]
    } else {
        p -= 1
        p[0] = UInt8(truncatingIfNeeded: 48 &+ v)
    }
    while p > start {
        p -= 1
        p[0] = UInt8(ascii: "0")
    }
}

/// How many decimal digits `value` has (1 for 0), or `width` when more
/// (at most 20, UInt64.max's): about log10 from the bit length (1233/4096
/// ≈ log10 2), one less when below that power of ten.
@inline(__always)
func decimalLength(_ value: UInt64, atLeast width: Int = 1) -> Int {
    let estimate = ((64 &- value.leadingZeroBitCount) &* 1233) >> 12  // 0...19
    let digits = value < powersOfTen[estimate] ? Swift.max(estimate, 1) : estimate &+ 1
    return Swift.max(digits, Swift.min(width, 20))
}

// A literal: the optimizer lays it out as constant data (no lazy initialization).
private let powersOfTen: [UInt64] = [
    1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
    10_000_000_000, 100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000,
    1_000_000_000_000_000, 10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000,
    10_000_000_000_000_000_000,
]

/// Writes `2026-12-01T11:52:00.123456Z` for nanoseconds since the epoch
/// (UTC, microseconds, truncated like the relative times), keeping the text
/// of the last second: a dump's records share it by the thousand.
struct RFC3339Writer: Sendable {
    private var second = Int64.min
    /// The last second's text, up to its `.`.
    private var text: [UInt8] = []

    mutating func append(_ ns: Int64, to out: inout OutputBuffer) {
        let micros = ns >= 0 ? ns / 1000 : (ns - 999) / 1000
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        if seconds != second {
            text.removeAll(keepingCapacity: true)
            text.appendRFC3339Second(seconds)
            second = seconds
        }
        out.append(contentsOf: text)
        out.appendDecimal(UInt64(micros - seconds * 1_000_000), width: 6)  // 0...999_999
        out.append(UInt8(ascii: "Z"))
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// "00" to "99", for two decimal digits at a time.
private let digitPairs: StaticString = """
    00010203040506070809101112131415161718192021222324252627282930313233343536373839\
    40414243444546474849505152535455565758596061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899
    """

/// The lower-case hex digit of 0...15.
@inline(__always)
func hexDigit(_ value: UInt8) -> UInt8 { hexDigits[Int(value & 0xf)] }

extension ByteSink where Self: ~Copyable {
    @inline(__always)
    mutating func appendASCII(_ s: StaticString) {
        // Byte by byte: these are a few bytes each, and the generic
        // append(contentsOf:) costs more than the copy itself.
        let p = s.utf8Start
        for i in 0..<s.utf8CodeUnitCount { append(p[i]) }
    }

    /// Into a stack buffer, then appended in one copy.
    mutating func appendDecimal(_ value: UInt64, width: Int) {
        let length = decimalLength(value, atLeast: width)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            writeDecimal(value, length: length, at: digits.baseAddress!)
            append(contentsOf: UnsafeBufferPointer(rebasing: digits[..<length]))
        }
    }

    @inline(__always)
    mutating func appendDecimal(_ value: UInt64) { appendDecimal(value, width: 1) }

    mutating func appendDecimal(_ value: Int64) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            appendDecimal(value.magnitude)
        } else {
            appendDecimal(UInt64(value))
        }
    }

    @inline(__always)
    mutating func appendDecimal(_ value: Int) { appendDecimal(Int64(value)) }

    /// `0x` and lower-case hex digits, as strace prints pointers.
    mutating func appendHex(_ value: UInt64) {
        appendASCII("0x")
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { digits in
            var i = 16
            var v = value
            repeat {
                i -= 1
                digits[i] = hexDigits[Int(v & 0xf)]
                v >>= 4
            } while v != 0
            append(contentsOf: UnsafeBufferPointer(rebasing: digits[i...]))
        }
    }

    /// `2026-12-01T11:52:00.` for seconds since the epoch (UTC): the part of
    /// an RFC 3339 time that `RFC3339Writer` keeps from record to record.
    mutating func appendRFC3339Second(_ seconds: Int64) {
        let c = RFC3339Time.civil(seconds: seconds)
        appendDecimal(UInt64(clamping: c.year), width: 4)
        append(UInt8(ascii: "-"))
        appendDecimal(UInt64(c.month), width: 2)
        append(UInt8(ascii: "-"))
        appendDecimal(UInt64(c.day), width: 2)
        append(UInt8(ascii: "T"))
        appendDecimal(UInt64(c.hour), width: 2)
        append(UInt8(ascii: ":"))
        appendDecimal(UInt64(c.minute), width: 2)
        append(UInt8(ascii: ":"))
        appendDecimal(UInt64(c.second), width: 2)
        append(UInt8(ascii: "."))
    }

    /// C octal notation (`0644`, `0`), as file modes are written.
    mutating func appendOctal(_ value: UInt64) {
        append(UInt8(ascii: "0"))
        if value == 0 { return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 22) { digits in
            var i = 22
            var v = value
            while v != 0 {
                i -= 1
                digits[i] = UInt8(truncatingIfNeeded: 48 &+ v & 7)
                v >>= 3
            }
            append(contentsOf: UnsafeBufferPointer(rebasing: digits[i...]))
        }
    }

    /// strace's escaping (string_quote in its util.c): printable ASCII as
    /// is, `\"` `\\`, C escapes for tab, newline, vertical tab, form feed and
    /// carriage return, and octal for every other byte, including NUL, ESC
    /// and all bytes >= 0x7f, so a terminal never receives raw control bytes
    /// or partial UTF-8 sequences. The octal has as few digits as it needs
    /// (`\33[1m`) unless the next byte is an octal digit (`\0001`).
    /// `escapingAngleBrackets`: `<` and `>` in octal too (strace -y's `<path>`).
    mutating func appendTextEscaped(_ bytes: UnsafeBufferPointer<UInt8>, escapingAngleBrackets: Bool = false) {
        var runStart = 0
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b >= 0x20 && b < 0x7f && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\")
                && !(escapingAngleBrackets && (b == UInt8(ascii: "<") || b == UInt8(ascii: ">")))
            {
                i += 1
                continue
            }
            if runStart < i { append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
            append(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): append(b)
            case 0x09: append(UInt8(ascii: "t"))
            case 0x0a: append(UInt8(ascii: "n"))
            case 0x0b: append(UInt8(ascii: "v"))
            case 0x0c: append(UInt8(ascii: "f"))
            case 0x0d: append(UInt8(ascii: "r"))
            default:
                let nextIsOctalDigit = i + 1 < bytes.count && bytes[i + 1] >= 0x30 && bytes[i + 1] <= 0x37
                if nextIsOctalDigit || b >= 0o100 { append(0x30 + (b >> 6)) }
                if nextIsOctalDigit || b >= 0o10 { append(0x30 + ((b >> 3) & 7)) }
                append(0x30 + (b & 7))
            }
            i += 1
            runStart = i
        }
        if runStart < bytes.count { append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
    }

    /// Captured bytes as a JSON string, quotes included. Returns whether it
    /// is written as Latin-1.
    ///
    /// Bytes that are valid UTF-8 are written as that text (so the string's
    /// UTF-8 encoding is the bytes). Anything else is written one character
    /// per byte, the character of the same value (Latin-1: 0xff is U+00FF),
    /// and the caller marks the string as such ("latin1" in the record), so
    /// every string reads back to its exact bytes either way. Either way,
    /// control characters, DEL and the C1 controls U+0080...U+009F (which
    /// some terminals obey as escape sequences) are written as `\u00XX`.
    @discardableResult
    mutating func appendJSONBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        append(UInt8(ascii: "\""))
        let latin1 = !isValidUTF8(bytes)
        if latin1 {
            appendJSONLatin1(bytes)
        } else {
            appendJSONEscaped(bytes)
        }
        append(UInt8(ascii: "\""))
        return latin1
    }

    @discardableResult
    mutating func appendJSONBytes(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { appendJSONBytes($0) }
    }

    /// The contents of a JSON string (without quotes) from valid UTF-8.
    private mutating func appendJSONEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b >= 0x20 && b < 0x7f && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            // U+0080...U+009F are C2 80...C2 9F; the rest of a multi-byte
            // sequence passes as it is.
            if b >= 0x80 && !(b == 0xc2 && i + 1 < n && bytes[i + 1] < 0xa0) {
                i += 1
                continue
            }
            if runStart < i { append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
            if b == 0xc2 {
                i += 1
                appendJSONEscape(bytes[i])
            } else {
                appendJSONEscape(b)
            }
            i += 1
            runStart = i
        }
        if runStart < n { append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
    }

    /// The contents of a JSON string (without quotes), one character per byte.
    private mutating func appendJSONLatin1(_ bytes: UnsafeBufferPointer<UInt8>) {
        for b in bytes {
            if b >= 0x20 && b < 0x7f && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
                append(b)
            } else {
                appendJSONEscape(b)
            }
        }
    }

    /// `\n`, `\"`... or `\u00XX` for the character U+00XX.
    private mutating func appendJSONEscape(_ c: UInt8) {
        append(UInt8(ascii: "\\"))
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): append(c)
        case 0x08: append(UInt8(ascii: "b"))
        case 0x09: append(UInt8(ascii: "t"))
        case 0x0a: append(UInt8(ascii: "n"))
        case 0x0c: append(UInt8(ascii: "f"))
        case 0x0d: append(UInt8(ascii: "r"))
        default:
            appendASCII("u00")
            append(hexDigits[Int(c >> 4)])
            append(hexDigits[Int(c & 0xf)])
        }
    }

    /// A String (always valid UTF-8) as a JSON string.
    mutating func appendJSONString(_ s: String) {
        append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { appendJSONEscaped($0) }
        append(UInt8(ascii: "\""))
    }

    mutating func appendTextEscaped(_ s: String) {
        var s = s
        s.withUTF8 { appendTextEscaped($0) }
    }

    /// A String's UTF-8 as it is (text that needs no escaping).
    mutating func appendUTF8(_ s: String) {
        var s = s
        s.withUTF8 { append(contentsOf: $0) }
    }
}

/// Whether all of `b` is well-formed UTF-8.
private func isValidUTF8(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    while i < b.count {
        if b[i] < 0x80 {
            i += 1
            continue
        }
        let len = validUTF8SequenceLength(b, at: i)
        if len == 0 { return false }
        i += len
    }
    return true
}

/// Length (2...4) of the well-formed UTF-8 sequence starting at `i` (whose
/// first byte is >= 0x80), or 0 when it is not well formed (RFC 3629:
/// no overlong forms, no surrogates, nothing above U+10FFFF).
@inline(__always)
private func validUTF8SequenceLength(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
    let b0 = b[i]
    let n = b.count
    @inline(__always) func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xbf) -> Bool {
        k < n && b[k] >= lo && b[k] <= hi
    }
    switch b0 {
    case 0xc2...0xdf:
        return cont(i + 1) ? 2 : 0
    case 0xe0:
        return cont(i + 1, 0xa0) && cont(i + 2) ? 3 : 0
    case 0xed:
        return cont(i + 1, 0x80, 0x9f) && cont(i + 2) ? 3 : 0
    case 0xe1...0xef:
        return cont(i + 1) && cont(i + 2) ? 3 : 0
    case 0xf0:
        return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0
    case 0xf1...0xf3:
        return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0
    case 0xf4:
        return cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3) ? 4 : 0
    default:
        return 0
    }
}
