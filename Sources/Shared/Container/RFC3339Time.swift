import Glibc

/// Wall-clock times for container records: RFC 3339 in UTC with nanoseconds,
/// formatted with gmtime_r so the hooks need no date library.
public enum RFC3339Time {
    /// CLOCK_REALTIME in nanoseconds since the Unix epoch.
    public static func nowNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// `2026-11-27T16:21:30.061646935Z`
    public static func format(nanoseconds: UInt64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let fraction = String(nanoseconds % 1_000_000_000)
        return pad(parts.tm_year + 1900, 4) + "-" + pad(parts.tm_mon + 1, 2) + "-"
            + pad(parts.tm_mday, 2)
            + "T" + pad(parts.tm_hour, 2) + ":" + pad(parts.tm_min, 2) + ":" + pad(parts.tm_sec, 2) + "."
            + String(repeating: "0", count: 9 - fraction.count) + fraction + "Z"
    }

    public static func now() -> String { format(nanoseconds: nowNanoseconds()) }
}
