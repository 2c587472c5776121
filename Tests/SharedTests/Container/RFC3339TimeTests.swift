import Glibc
import Testing

@testable import Shared

@Suite struct RFC3339TimeTests {
    /// The calendar arithmetic agrees with the C library's gmtime_r, leap
    /// days and centuries included.
    @Test func civilMatchesGmtime() {
        var seconds: Int64 = -86400 * 366 * 3
        while seconds < 4_200_000_000 {
            var t = time_t(seconds)
            var parts = tm()
            gmtime_r(&t, &parts)
            let c = RFC3339Time.civil(seconds: seconds)
            #expect(
                [c.year, Int64(c.month), Int64(c.day), Int64(c.hour), Int64(c.minute), Int64(c.second)]
                    == [
                        Int64(parts.tm_year) + 1900, Int64(parts.tm_mon) + 1, Int64(parts.tm_mday),
                        Int64(parts.tm_hour),
                        Int64(parts.tm_min), Int64(parts.tm_sec),
                    ], "\(seconds)")
            seconds += 86400 * 17 + 3607
        }
        #expect(
            RFC3339Time.civil(seconds: 951_782_400)
                == .init(year: 2000, month: 2, day: 29, hour: 0, minute: 0, second: 0))
    }

    @Test func parsesWhatItFormats() {
        let ns: UInt64 = 1_795_796_490_061_646_935
        #expect(RFC3339Time.parse(RFC3339Time.format(nanoseconds: ns)) == Int64(ns))
        #expect(RFC3339Time.parse("2026-11-27T16:21:30Z") == 1_795_796_490_000_000_000)
        #expect(RFC3339Time.parse("2026-11-27t16:21:30.5z") == 1_795_796_490_500_000_000)
        #expect(RFC3339Time.parse("2026-11-27 17:21:30.25+01:00") == 1_795_796_490_250_000_000)
        #expect(RFC3339Time.parse("2026-11-27T11:51:30-04:30") == 1_795_796_490_000_000_000)
        #expect(RFC3339Time.parse("1970-01-01T00:00:00.000000001Z") == 1)
    }

    @Test func rejectsOtherText() {
        for text in [
            "", "2026-11-27", "2026-11-27T16:21:30", "2026-13-01T00:00:00Z", "2026-11-27T24:00:00Z",
            "2026-11-27T16:21:30.Z", "2026-11-27T16:21:30Zjunk", "26-11-27T16:21:30Z", "2026-11-27T16:21:30+0100",
            "１９７０-01-01T00:00:00Z",
        ] {
            #expect(RFC3339Time.parse(text) == nil, "\(text)")
        }
    }
}
