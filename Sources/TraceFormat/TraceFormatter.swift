import Shared

/// Turns trace items into output lines: strace-like text, or one JSON object
/// per line (the `dump`/`follow` contract in DESIGN.md).
///
/// A formatter is a value with caches (syscall names, tracefs formats,
/// per-syscall output templates): keep one for a whole dump and feed it the
/// items oldest first. Output is appended to a caller-owned byte buffer so
/// that a dump can be written with one `write(2)` per batch and no
/// allocation per record.
///
///     var formatter = TraceFormatter(style: .json)
///     var out: [UInt8] = []
///     formatter.format(items, into: &out)
///     // write(1, out, out.count)
public struct TraceFormatter: Sendable {
    public enum Style: String, Sendable {
        /// `00:00.000123 cpu#1 pid 42 [cat] openat(dfd=AT_FDCWD, filename="/etc/hostname", flags=O_RDONLY) = 3`
        case text
        /// `{"ts_ns":…,"cpu":1,"pid":42,"tid":42,"comm":"cat","syscall":"openat","nr":257,"arch":"x86_64","args":{…},"ret":3}`
        case json
    }

    public let style: Style
    var signatures: SyscallSignatures
    /// Text timestamps are relative to this: the first event formatted
    /// unless given at init.
    public private(set) var startNs: UInt64?
    /// The traced container's own cgroup v2 id: JSON records of tasks in
    /// another (descendant) cgroup carry theirs as `cgroup_id`.
    public var containerCgroupID: UInt64?

    public enum TimeStyle: String, Sendable {
        /// `MM:SS.micros` since the first record.
        case relative
        /// Local wall-clock time of day, `HH:MM:SS.micros` (strace -tt).
        case absolute
    }

    /// How text lines show time; absolute needs `wallClockOffsetNs`.
    public var timeStyle = TimeStyle.relative
    /// CLOCK_REALTIME − CLOCK_MONOTONIC in ns (see `WallClock.offsetNowNs`),
    /// to turn record times into wall-clock times: JSON records then carry
    /// `"time"` (RFC 3339, UTC, microseconds). Nil: unknown, no wall clock.
    public var wallClockOffsetNs: Int64?
    var wallClockTimes = RFC3339Writer()
    /// The local time zone's offset east of UTC for absolute text times.
    public var utcOffsetSeconds = 0
    /// strace -y: when set, the first fd argument and returned fds are
    /// named (`fd=3</etc/app.conf>`, JSON `fd_path`) from the calls that
    /// made them. Every item must then pass through `format` or `track`,
    /// oldest first, also those a filter leaves out.
    public var descriptorNames: DescriptorNames?

    /// - Parameters:
    ///   - catalog: tracefs formats; the default finds tracefs through
    ///     /proc/self/mountinfo and reads formats lazily.
    ///   - startNs: the time text timestamps count from (default: the
    ///     first event formatted).
    public init(
        style: Style, catalog: TracefsCatalog = TracefsCatalog(), syscalls: SyscallTable = SyscallTable(),
        startNs: UInt64? = nil
    ) {
        self.style = style
        self.signatures = SyscallSignatures(table: syscalls, catalog: catalog)
        self.startNs = startNs
    }

    /// Appends one line (with its trailing newline) per item.
    public mutating func format(_ items: some Sequence<TraceItem>, into out: inout OutputBuffer) {
        for item in items { format(item, into: &out) }
    }

    /// The lines of `items` as bytes (tests, small outputs).
    public mutating func formatted(_ items: some Sequence<TraceItem>) -> [UInt8] {
        var out = OutputBuffer()
        format(items, into: &out)
        return out.bytes
    }

    /// Appends one line, with its trailing newline.
    public mutating func format(_ item: TraceItem, into out: inout OutputBuffer) {
        if startNs == nil, let ts = item.tsNs { startNs = ts }
        switch item {
        case .syscall(let event):
            let sig = signatures.signature(nr: event.nr, compat: event.compat)
            var names = DescriptorNamesOfCall()
            if descriptorNames != nil {
                if let i = sig.fdIndex, !event.args.isEmpty {
                    names.argument = descriptorNames?.name(
                        pid: event.pid, fd: Int32(truncatingIfNeeded: event.register(i)))
                }
                names.returned = descriptorNames?.observe(event, syscall: sig.name)
            }
            switch style {
            case .text: appendText(event, sig, names, into: &out)
            case .json: appendJSON(event, sig, names, into: &out)
            }
        case .signal(let signal):
            switch style {
            case .text: appendText(signal, into: &out)
            case .json: appendJSON(signal, into: &out)
            }
        case .processExit(let exit):
            descriptorNames?.processExited(pid: exit.pid)
            switch style {
            case .text: appendText(exit, into: &out)
            case .json: appendJSON(exit, into: &out)
            }
        case .lost(let count):
            switch style {
            case .text:
                out.appendASCII("--- ")
                out.appendDecimal(count)
                out.appendASCII(count == 1 ? " record lost" : " records lost")
                out.appendASCII(" (overwritten or torn) ---")
            case .json:
                out.appendASCII("{\"lost\":")
                out.appendDecimal(count)
                out.appendASCII("}")
            }
        }
        out.append(UInt8(ascii: "\n"))
    }

    /// Learns from an item that is not printed (left out by a filter), so
    /// that `descriptorNames` stays right.
    public mutating func track(_ item: TraceItem) {
        guard descriptorNames != nil else { return }
        switch item {
        case .syscall(let event):
            descriptorNames?.observe(event, syscall: signatures.signature(nr: event.nr, compat: event.compat).name)
        case .processExit(let exit):
            descriptorNames?.processExited(pid: exit.pid)
        case .signal, .lost:
            break
        }
    }

    /// One line as a String, without the trailing newline (tests, messages).
    public mutating func line(_ item: TraceItem) -> String {
        var out = OutputBuffer()
        format(item, into: &out)
        var bytes = out.bytes
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// strace -y's names for one call: of its first fd argument before the
/// call, and of the fd it returned.
struct DescriptorNamesOfCall {
    var argument: [UInt8]?
    var returned: [UInt8]?
}

/// What the formatters share about an event's arguments.
extension SyscallEvent {
    @inline(__always)
    func register(_ i: Int) -> UInt64 { i < args.count ? args[i] : 0 }

    /// The payload captured for argument `i` (0...5), if any.
    @inline(__always)
    func payload(forArg i: Int) -> Payload? {
        for p in payloads where p.arg == i { return p }
        return nil
    }

    /// Whether any argv entry was captured. Entries are shown in the order
    /// the recorder wrote them, which is argv order.
    var hasArgv: Bool {
        payloads.contains { $0.isArgvEntry }
    }
}

extension Payload {
    /// argv[i] of execve/execveat (the numbers between argvBase and iovBase).
    var isArgvEntry: Bool { arg >= Payload.argvBase && arg < Payload.iovBase }
}
