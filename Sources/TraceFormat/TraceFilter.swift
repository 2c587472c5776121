import Shared

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Which items of a trace a dump shows, as strace users select them:
/// syscalls by name or class (`-e trace=`), failed calls only (`-Z`),
/// processes and threads (`-p`), and a time window.
///
/// Signals and process exits are kept whatever the syscall selection, as
/// strace shows `--- SIG… ---` and `+++ exited +++` lines under any
/// `-e trace=`; `failedOnly` drops them (they are not failed calls). Gaps
/// (`lost`) are always kept: they say the trace is incomplete.
public struct TraceFilter: Sendable {
    /// Syscalls shown, by name; with `classes` a union. Both empty: all.
    public var syscalls: Set<String> = [] { didSet { decided = [:] } }
    /// Syscalls never shown (`!name`).
    public var excludedSyscalls: Set<String> = [] { didSet { decided = [:] } }
    public var classes: Set<SyscallClass> = [] { didSet { decided = [:] } }
    public var failedOnly = false
    /// Thread group ids (what `pid` shows); empty: all.
    public var pids: Set<UInt32> = []
    public var tids: Set<UInt32> = []
    /// The window, in the records' clock (CLOCK_MONOTONIC ns), inclusive.
    public var sinceNs: UInt64?
    public var untilNs: UInt64?

    private var table = SyscallTable()
    /// Whether a (compat, nr) passes the name selection, decided once.
    private var decided: [Int: Bool] = [:]

    public init() {}

    /// True when it lets everything through.
    public var isEmpty: Bool {
        syscalls.isEmpty && excludedSyscalls.isEmpty && classes.isEmpty && !failedOnly && pids.isEmpty
            && tids.isEmpty && sinceNs == nil && untilNs == nil
    }

    public mutating func admits(_ item: TraceItem) -> Bool {
        guard let ts = item.tsNs, let (pid, tid) = item.ids else { return true }  // a gap
        if !pids.isEmpty && !pids.contains(pid) { return false }
        if !tids.isEmpty && !tids.contains(tid) { return false }
        if let sinceNs, ts < sinceNs { return false }
        if let untilNs, ts > untilNs { return false }
        guard case .syscall(let e) = item else { return !failedOnly }
        if failedOnly && (e.ret.flatMap { Errno.failure(ret: $0) } == nil) { return false }
        return selects(nr: e.nr, compat: e.compat)
    }

    public mutating func apply(_ items: [TraceItem]) -> [TraceItem] {
        if isEmpty { return items }
        return items.filter { admits($0) }
    }

    private mutating func selects(nr: Int, compat: Bool) -> Bool {
        if syscalls.isEmpty && excludedSyscalls.isEmpty && classes.isEmpty { return true }
        let key = nr << 1 | (compat ? 1 : 0)
        if let known = decided[key] { return known }
        let name = table.name(nr: nr, compat: compat)
        let chosen =
            (syscalls.isEmpty && classes.isEmpty) || syscalls.contains(name)
            || !classes.isDisjoint(with: SyscallClass.classes(of: name))
        let answer = chosen && !excludedSyscalls.contains(name)
        if decided.count < 8192 { decided[key] = answer }
        return answer
    }

    /// `--tail N` over the items `kept` marks: the gaps, the last `n`
    /// syscalls, and the signals and exits among them (from the first of
    /// those syscalls on). Returns the new marks.
    public static func tail(_ n: Int, of items: [TraceItem], kept: [Bool]) -> [Bool] {
        var keptSyscalls = 0
        for (item, keep) in zip(items, kept) where keep {
            if case .syscall = item { keptSyscalls += 1 }
        }
        var cut = TailCut(n, keptSyscalls: keptSyscalls)
        return zip(items, kept).map { $1 && cut.shows($0) }
    }
}

/// `--tail N` as the kept items go by, oldest first, once their syscalls
/// are counted: the gaps, and everything from the first of the last `n`
/// syscalls on.
public struct TailCut: Sendable {
    /// Kept syscalls before the last n (negative: fewer than n, all shown).
    private let skipped: Int
    private var seen = 0

    public init(_ n: Int, keptSyscalls: Int) { skipped = keptSyscalls - n }

    /// Whether the next kept item is shown.
    public mutating func shows(_ item: TraceItem) -> Bool {
        if case .lost = item { return true }
        if case .syscall = item { seen += 1 }
        return seen > skipped
    }
}

/// A `--since`/`--until` time: from the trace's start (`1.5s`, `200ms`),
/// a local time of day (`11:52:00.5`, what `--time absolute` shows), or an
/// RFC 3339 date-time.
public enum TimeBound: Equatable, Sendable {
    case sinceStart(nanoseconds: UInt64)
    /// Nanoseconds since local midnight: the first such moment at or after
    /// the trace's start (a trace that runs past midnight reaches the next
    /// day's).
    case timeOfDay(nanoseconds: UInt64)
    /// Nanoseconds since the Unix epoch.
    case wallClock(nanoseconds: Int64)

    public init?(_ text: String) {
        if let ns = RFC3339Time.parse(text) {
            self = .wallClock(nanoseconds: ns)
        } else if text.contains(":") {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 || parts.count == 3, let h = UInt64(parts[0]), let m = UInt64(parts[1]),
                parts[0].count == 2, parts[1].count == 2, h < 24, m < 60
            else { return nil }
            var ns = (h * 3600 + m * 60) * 1_000_000_000
            if parts.count == 3 {
                guard parts[2].split(separator: ".", omittingEmptySubsequences: false)[0].count == 2,
                    let s = Self.decimal(parts[2], scale: 1_000_000_000), s < 60 * 1_000_000_000
                else { return nil }
                ns += s
            }
            self = .timeOfDay(nanoseconds: ns)
        } else {
            let units: [(String, UInt64)] = [
                ("ns", 1), ("us", 1000), ("µs", 1000), ("ms", 1_000_000), ("s", 1_000_000_000),
                ("m", 60_000_000_000), ("h", 3_600_000_000_000),
            ]
            let unit = units.first { text.hasSuffix($0.0) && !text.dropLast($0.0.count).isEmpty }
            let number = unit.map { text.dropLast($0.0.count) } ?? Substring(text)
            guard let ns = Self.decimal(number, scale: unit?.1 ?? 1_000_000_000) else { return nil }
            self = .sinceStart(nanoseconds: ns)
        }
    }

    /// The bound in the records' clock (CLOCK_MONOTONIC ns); nil for a wall
    /// clock bound when the wall clock is unknown.
    public func monotonicNs(traceStartNs: UInt64, wallClockOffsetNs: Int64?, utcOffsetSeconds: Int) -> UInt64? {
        switch self {
        case .sinceStart(let ns):
            return traceStartNs &+ ns
        case .wallClock(let ns):
            guard let offset = wallClockOffsetNs else { return nil }
            return UInt64(clamping: ns - offset)
        case .timeOfDay(let ns):
            guard let offset = wallClockOffsetNs else { return nil }
            let day: Int64 = 86_400_000_000_000
            let startLocal = Int64(clamping: traceStartNs) + offset + Int64(utcOffsetSeconds) * 1_000_000_000
            let midnight = startLocal - ((startLocal % day) + day) % day
            var local = midnight + Int64(ns)
            if local < startLocal { local += day }
            return UInt64(clamping: local - offset - Int64(utcOffsetSeconds) * 1_000_000_000)
        }
    }

    /// `1.5` at `scale` 1e9 → 1_500_000_000; digits only, one optional point.
    private static func decimal(_ text: Substring, scale: UInt64) -> UInt64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty || parts.count == 2,
            whole.allSatisfy({ $0.isASCII && $0.isNumber }), whole.count < 12
        else { return nil }
        var value = (UInt64(whole) ?? 0) * scale
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            var unit = scale
            for digit in fraction.prefix(18) {
                unit /= 10
                value += UInt64(digit.wholeNumberValue ?? 0) * unit
            }
        }
        return value
    }
}

/// How the records' CLOCK_MONOTONIC times (bpf_ktime_get_ns) map to wall
/// clock time, read when the dump runs.
public enum WallClock {
    /// CLOCK_REALTIME − CLOCK_MONOTONIC now, in nanoseconds. Approximate for
    /// older records: CLOCK_MONOTONIC stops while the machine is suspended
    /// and NTP steps move only CLOCK_REALTIME, so a record from before a
    /// suspend or a step is shown off by that much. An archived ring carries
    /// the offset taken when it was archived (`ContainerRecord.clockOffsetNs`).
    public static func offsetNowNs() -> Int64 { RFC3339Time.monotonicOffsetNs() }

    /// The local time zone's offset east of UTC now (seconds), for times
    /// of day; one offset for the whole dump, so a dump across a DST change
    /// shows one side of it an hour off.
    public static func localUTCOffsetSeconds() -> Int {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        return parts.tm_gmtoff
    }
}
