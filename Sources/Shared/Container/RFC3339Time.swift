import Glibc

/// Wall-clock times for container records and trace lines: RFC 3339 in
/// UTC. The calendar arithmetic is done here (proleptic Gregorian, Howard
/// Hinnant's days-from-civil), not with gmtime_r/timegm, so formatting a
/// dump's millions of times takes no lock and the hooks need no date library.
public enum RFC3339Time {
    /// CLOCK_REALTIME in nanoseconds since the Unix epoch.
    public static func nowNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// A moment in UTC, broken down.
    public struct Civil: Equatable, Sendable {
        public var year: Int64
        public var month: Int
        public var day: Int
        public var hour: Int
        public var minute: Int
        public var second: Int
    }

    /// The UTC date and time of `seconds` since the epoch.
    public static func civil(seconds: Int64) -> Civil {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rest = Int(seconds - days * 86400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return Civil(
            year: yoe + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day, hour: rest / 3600,
            minute: rest / 60 % 60, second: rest % 60)
    }

    /// Days since the epoch of a date (month 1...12).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `2026-11-27T16:21:30.061646935Z`
    public static func format(nanoseconds: UInt64) -> String {
        let c = civil(seconds: Int64(nanoseconds / 1_000_000_000))
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(c.year, 4) + "-" + pad(Int64(c.month), 2) + "-" + pad(Int64(c.day), 2) + "T"
            + pad(Int64(c.hour), 2) + ":" + pad(Int64(c.minute), 2) + ":" + pad(Int64(c.second), 2) + "."
            + pad(Int64(nanoseconds % 1_000_000_000), 9) + "Z"
    }

    public static func now() -> String { format(nanoseconds: nowNanoseconds()) }

    /// Nanoseconds since the epoch of an RFC 3339 date-time:
    /// `2026-12-01T11:52:00Z`, `2026-12-01T11:52:00.123456+01:00` (a space
    /// or lower-case `t`/`z` too, as RFC 3339 allows). Nil for anything else.
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ width: Int) -> Int64? {
            guard i + width <= b.count else { return nil }
            var v: Int64 = 0
            for k in i..<i + width {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[k] - 0x30)
            }
            i += width
            return v
        }
        func expect(_ c: UInt8...) -> Bool {
            guard i < b.count, c.contains(b[i]) else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(0x2d), let month = number(2), expect(0x2d), let day = number(2),
            expect(0x54, 0x74, 0x20), let hour = number(2), expect(0x3a), let minute = number(2), expect(0x3a),
            let second = number(2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var nanos: Int64 = 0
        if i < b.count && b[i] == 0x2e {
            i += 1
            var digits = 0
            while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int64(b[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        var offset: Int64 = 0
        if expect(0x5a, 0x7a) {
            offset = 0
        } else if i < b.count && (b[i] == 0x2b || b[i] == 0x2d) {
            let sign: Int64 = b[i] == 0x2d ? -1 : 1
            i += 1
            guard let h = number(2), expect(0x3a), let m = number(2), h < 24, m < 60 else { return nil }
            offset = sign * (h * 3600 + m * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let seconds = days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second - offset
        return seconds * 1_000_000_000 + nanos
    }

    /// CLOCK_REALTIME − CLOCK_MONOTONIC now, in nanoseconds: turns the
    /// records' monotonic times into wall-clock times.
    public static func monotonicOffsetNs() -> Int64 {
        var real = timespec()
        var mono = timespec()
        clock_gettime(CLOCK_MONOTONIC, &mono)
        clock_gettime(CLOCK_REALTIME, &real)
        return (Int64(real.tv_sec) - Int64(mono.tv_sec)) * 1_000_000_000 + Int64(real.tv_nsec) - Int64(mono.tv_nsec)
    }
}
