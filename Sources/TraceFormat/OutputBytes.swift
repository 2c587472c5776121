import Shared

// Appending numbers and escaped strings to a byte buffer without going
// through String: the formatter writes every line into one [UInt8] so that a
// dump of millions of records makes no allocation per field.

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendASCII(_ s: StaticString) {
        // Byte by byte: these are a few bytes each, and the generic
        // append(contentsOf:) costs more than the copy itself.
        let p = s.utf8Start
        for i in 0..<s.utf8CodeUnitCount { append(p[i]) }
    }

    mutating func appendDecimal(_ value: UInt64) {
        if value < 10 {
            append(UInt8(truncatingIfNeeded: 48 &+ value))
            return
        }
        // Digits are produced last-first into a stack buffer (20 digits
        // hold UInt64.max), then appended in one copy.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var i = 20
            var v = value
            repeat {
                i -= 1
                digits[i] = UInt8(truncatingIfNeeded: 48 &+ v % 10)
                v /= 10
            } while v != 0
            append(contentsOf: UnsafeBufferPointer(rebasing: digits[i...]))
        }
    }

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

    /// `value` in decimal, left-padded with zeros to `width` digits.
    mutating func appendDecimal(_ value: UInt64, width: Int) {
        var digits = 1
        var v = value
        while v >= 10 {
            v /= 10
            digits += 1
        }
        if digits < width { append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits)) }
        appendDecimal(value)
    }

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

    /// strace-style escaping: printable ASCII as is, `\"` `\\`, C escapes for
    /// tab/newline/etc., `\xHH` for every other byte (including non-ASCII, so
    /// a terminal never receives raw control or partial UTF-8 sequences).
    mutating func appendTextEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b >= 0x20 && b < 0x7f && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
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
                append(UInt8(ascii: "x"))
                append(hexDigits[Int(b >> 4)])
                append(hexDigits[Int(b & 0xf)])
            }
            i += 1
            runStart = i
        }
        if runStart < bytes.count { append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
    }

    /// The contents of a JSON string (without quotes). Valid UTF-8 passes
    /// through; each byte that is not part of a valid UTF-8 sequence becomes
    /// `\u00XX` (so the output is always valid JSON, and such a byte reads back
    /// as the Latin-1 character of the same value).
    mutating func appendJSONEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b >= 0x20 && b < 0x80 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            if b >= 0x80 {
                let len = validUTF8SequenceLength(bytes, at: i)
                if len > 0 {
                    i += len
                    continue
                }
            }
            if runStart < i { append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
            append(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): append(b)
            case 0x08: append(UInt8(ascii: "b"))
            case 0x09: append(UInt8(ascii: "t"))
            case 0x0a: append(UInt8(ascii: "n"))
            case 0x0c: append(UInt8(ascii: "f"))
            case 0x0d: append(UInt8(ascii: "r"))
            default:
                appendASCII("u00")
                append(hexDigits[Int(b >> 4)])
                append(hexDigits[Int(b & 0xf)])
            }
            i += 1
            runStart = i
        }
        if runStart < n { append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
    }

    mutating func appendJSONString(_ bytes: [UInt8]) {
        append(UInt8(ascii: "\""))
        bytes.withUnsafeBufferPointer { appendJSONEscaped($0) }
        append(UInt8(ascii: "\""))
    }

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
