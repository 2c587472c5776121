import ArgumentParser
import CommandLineSupport
import Glibc
import Shared
import TailcallPool
import TraceFormat

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print a container's last syscalls, oldest first (also after it stopped).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Container id, unique id prefix, or name (or select one with the options below).")
    var container: String?

    @OptionGroup var selection: Selection

    @Option(help: "text (strace-like) or json (one object per line).")
    var output = OutputFormat.text

    @Option(help: "Only the last N syscalls (of those the filters keep).")
    var tail: Int?

    @OptionGroup var reading: TraceReading

    @Flag(help: "A table of calls, errors and time per syscall instead of the calls (strace -c).")
    var summary = false

    @Option(help: "Read a file `tailtrace export` wrote instead of this host's traces (no root or installation needed).")
    var file: String?

    func validate() throws {
        if let tail, tail < 0 { throw ValidationError("--tail must be 0 or more") }
        if file != nil && (container != nil || !selection.isEmpty) {
            throw ValidationError("--file names the trace: give no container or selection with it")
        }
        if file == nil && container == nil && selection.isEmpty {
            throw ValidationError("name a container, or select one with --namespace, --pod, --container or --label")
        }
    }

    func run() throws {
        if let file {
            let (record, ring) = try ArchiveFile.read(file)
            guard !ring.isEmpty else { throw UserError("\(file) holds no trace of \(record.name)") }
            try RingSnapshot(serialized: ring).withTrace { try show(record, $0) }
            return
        }
        try withRecordedTrace(container, selection: selection, global: global) { try show($0, $1) }
    }

    /// Prints the trace as it is decoded, in batches: a 64 MiB ring is half
    /// a million lines, and only their places in the ring are held.
    func show(_ record: ContainerRecord, _ trace: RingTrace) throws {
        // the recording host's clock for an archive, else this one's now
        let clock = record.clockOffsetNs ?? WallClock.offsetNowNs()
        var filter = try reading.filter(traceStartNs: trace.startNs ?? 0, wallClockOffsetNs: clock)
        // --tail: one pass counts the calls the filters keep, the next prints.
        var cut: TailCut?
        if let tail {
            var keptSyscalls = 0
            for item in trace where filter.admits(item) {
                if case .syscall = item { keptSyscalls += 1 }
            }
            cut = TailCut(tail, keptSyscalls: keptSyscalls)
        }
        func shown(_ item: TraceItem) -> Bool { filter.admits(item) && (cut?.shows(item) ?? true) }
        if summary {
            var table = TraceSummary()
            for item in trace where shown(item) { table.add(item) }
            writeOut(output == .json ? table.json() : table.text())
            return
        }
        // Relative times count from the trace's first record, also when
        // the filters leave it out.
        var formatter = TraceFormatter(style: output, startNs: trace.startNs)
        reading.configure(&formatter, wallClockOffsetNs: clock)
        formatter.containerCgroupID = record.cgroupID
        var out = OutputBuffer(capacity: 1 << 20 + 4096)
        for item in trace {
            guard shown(item) else {
                formatter.track(item)
                continue
            }
            formatter.format(item, into: &out)
            if out.count >= 1 << 20 {
                writeOut(out)
                out.removeAll()
            }
        }
        writeOut(out)
    }
}

/// The one container that `ID|NAME` or the selection names (as `dump` and
/// `why` pick it) and its trace, oldest first; says why when none is kept.
func recordedTrace(_ query: String?, selection: Selection, global: GlobalOptions) throws -> (
    ContainerRecord, [TraceItem]
) {
    try withRecordedTrace(query, selection: selection, global: global) { ($0, $1.items().0) }
}

/// The container `recordedTrace` picks, and its trace decoded while `body`
/// iterates it.
func withRecordedTrace<R>(
    _ query: String?, selection: Selection, global: GlobalOptions, _ body: (ContainerRecord, RingTrace) throws -> R
) throws -> R {
    let traces = try global.traces()
    let record = try selection.pick(query, from: traces)
    if record.state == .untraced {
        throw UserError(
            "\(record.name) is not traced any more and its trace is lost: the installation at "
                + "\(traces.paths.pinRoot) that recorded it is gone (uninstalled, or a reboot emptied bpffs)")
    }
    guard let result = try traces.withTrace(of: record, { try body(record, $0) }) else {
        throw UserError("no trace is kept for \(record.name)")
    }
    return result
}

struct Follow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Print a container's syscalls as they happen, until it stops or you interrupt.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Container id, unique id prefix, or name.")
    var container: String

    @Option(help: "text or json.")
    var output = OutputFormat.text

    @Option(
        help:
            "Milliseconds between looks at the ring's heads while records come (nothing is decoded while they stand still; after a second without records, every 100 ms)."
    )
    var interval = 10

    @OptionGroup var reading: TraceReading

    func validate() throws {
        guard (1...10_000).contains(interval) else { throw ValidationError("--interval must be 1...10000 ms") }
    }

    func run() throws {
        let recorder = try global.recorder()
        let traces = recorder.traces
        var record = try traces.find(container)
        guard record.state == .running, let installation = traces.installation else {
            throw UserError("\(record.name) has stopped; use `tailtrace dump \(record.name)`")
        }
        var formatter = TraceFormatter(style: output)
        let clock = WallClock.offsetNowNs()
        reading.configure(&formatter, wallClockOffsetNs: clock)
        formatter.containerCgroupID = record.cgroupID
        var filter: TraceFilter?  // once the trace's first record is known
        var followed = FollowedTrace()
        func show(_ items: [TraceItem]) throws {
            var out = OutputBuffer()
            for item in items {
                if filter == nil, let start = item.tsNs {
                    filter = try reading.filter(traceStartNs: start, wallClockOffsetNs: clock)
                }
                if filter?.admits(item) ?? true {
                    formatter.format(item, into: &out)
                } else {
                    formatter.track(item)
                }
            }
            writeOut(out)
        }
        // Each pass decodes only the cells reserved since the last, and
        // looks again at the enters it left open (RingCursor); the heads
        // are plain loads from the mapped ring_ctl, so an idle container
        // costs a look at them (and at an open cell) per interval.
        let live = try LiveRing(installation, slot: record.slot)
        var seen: RingCursor?  // where the passes stand (nil: none yet, the whole ring first)
        var dropsSeen: UInt64 = 0
        let statePath = try traces.paths.stateStore.path(ofID: record.id)
        var stateCheckedNs = Self.nowNs()
        var movedNs = stateCheckedNs  // when records last came
        while live.generation == record.generation {
            let heads = live.heads()
            let moved = heads != seen?.read
            if moved || seen?.hasOpen == true {
                if moved { movedNs = Self.nowNs() }
                var pass = followed
                let (end, drops) = live.withTrace(
                    since: seen, upTo: heads, dropsSince: dropsSeen, waitingForWrites: true
                ) { trace in
                    for item in trace { pass.add(item) }
                    return (trace.cursor, trace.counts.dropped)
                }
                // Unplugged meanwhile: the cells may be the next container's;
                // the archive has this pass.
                guard live.generation == record.generation else { break }
                followed = pass
                seen = end
                dropsSeen &+= drops
            }
            let now = Self.nowNs()
            if !followed.isEmpty { try show(followed.takeFinal(settledBeforeNs: now &- 1_000_000_000)) }
            // Unplugging bumps the generation; a state file gone without
            // that (an unplug that failed half way) is looked for once a second.
            if now &- stateCheckedNs > 1_000_000_000 {
                stateCheckedNs = now
                if access(statePath, F_OK) != 0 && errno == ENOENT { break }
            }
            usleep(UInt32(now &- movedNs > 1_000_000_000 ? max(interval, 100) : interval) * 1000)
        }
        // Unplugging frees the slot (new generation) before it writes the
        // archive and removes the state file, all under the state lock:
        // once the lock is ours, the archive holds the rest of the trace.
        try recorder.withStateLock { _ in }
        record = (try? traces.find(record.id)) ?? record
        _ = try? traces.withTrace(of: record, since: seen, dropsSince: dropsSeen) { trace in
            for item in trace { followed.add(item) }
        }
        try show(followed.takeFinal(settledBeforeNs: 0, ended: true))
    }

    /// CLOCK_MONOTONIC, the records' clock (bpf_ktime_get_ns).
    private static func nowNs() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

/// How `dump` and `follow` select and show calls, as strace users do:
/// `--syscall` (-e trace=NAME), `--class` (-e trace=%CLASS), `--failed`
/// (-Z), `--pid`/`--tid` (-p), a time window, `--time absolute` (-tt).
struct TraceReading: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Only these syscalls, comma-separated or repeated; !NAME leaves one out (quote it for the shell).",
            valueName: "names"))
    var syscall: [String] = []

    @Option(
        name: .customLong("class"),
        help: ArgumentHelp(
            "Only syscalls of these strace classes: file, desc, network, process, signal, memory, ipc "
                + "(comma-separated or repeated; with --syscall, either matches).",
            valueName: "classes"))
    var classes: [String] = []

    @Flag(help: "Only syscalls that failed (strace -Z); leaves out signals and exits.")
    var failed = false

    @Option(help: ArgumentHelp("Only these processes (thread group ids), comma-separated.", valueName: "pids"))
    var pid: [String] = []

    @Option(help: ArgumentHelp("Only these threads, comma-separated.", valueName: "tids"))
    var tid: [String] = []

    @Option(
        help: ArgumentHelp(
            "From this time: after the trace's first record (1.5s, 200ms), a local time of day "
                + "(HH:MM:SS[.frac], as --time absolute shows), or RFC 3339 (2026-12-01T11:52:00Z).",
            valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Up to this time (the forms of --since).", valueName: "time"))
    var until: String?

    @Option(help: "Text times: relative (since the first record) or absolute (local time of day, strace -tt).")
    var time = TimeColumn.relative

    @Flag(
        help: ArgumentHelp(
            "Name file descriptors made in the trace, fd=3</etc/app.conf> (strace -y; JSON fd_path): "
                + "the paths and peers the calls gave, unnamed for fds made before the trace."))
    var decodeFds = false

    enum TimeColumn: String, ExpressibleByArgument, CaseIterable {
        case relative, absolute
    }

    func validate() throws {
        _ = try filter(traceStartNs: 0, wallClockOffsetNs: 0)
    }

    private static func list(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",").map { String($0) } }
    }

    /// The filter for a trace whose first record is at `traceStartNs`.
    func filter(traceStartNs: UInt64, wallClockOffsetNs: Int64) throws -> TraceFilter {
        var filter = TraceFilter()
        for name in Self.list(syscall) {
            let excluded = name.hasPrefix("!")
            let bare = excluded ? String(name.dropFirst()) : name
            guard
                SyscallTable.number(named: bare, arch: .native) != nil
                    || SyscallTable.number(named: bare, arch: .of(compat: true)) != nil
            else { throw ValidationError("--syscall: no syscall is named \(bare)") }
            if excluded { filter.excludedSyscalls.insert(bare) } else { filter.syscalls.insert(bare) }
        }
        for name in Self.list(classes) {
            guard let syscallClass = SyscallClass(name: name) else {
                throw ValidationError(
                    "--class: \(name) is not one of " + SyscallClass.allCases.map(\.rawValue).joined(separator: ", "))
            }
            filter.classes.insert(syscallClass)
        }
        filter.failedOnly = failed
        for (option, values) in [("--pid", pid), ("--tid", tid)] {
            for value in Self.list(values) {
                guard let id = UInt32(value) else { throw ValidationError("\(option) takes numbers, got \(value)") }
                if option == "--pid" { filter.pids.insert(id) } else { filter.tids.insert(id) }
            }
        }
        let utcOffset = WallClock.localUTCOffsetSeconds()
        for (option, value) in [("--since", since), ("--until", until)] {
            guard let value else { continue }
            guard let bound = TimeBound(value),
                let ns = bound.monotonicNs(
                    traceStartNs: traceStartNs, wallClockOffsetNs: wallClockOffsetNs, utcOffsetSeconds: utcOffset)
            else {
                throw ValidationError(
                    "\(option) takes a duration (1.5s, 200ms), HH:MM:SS[.frac] or an RFC 3339 time, got \(value)")
            }
            if option == "--since" { filter.sinceNs = ns } else { filter.untilNs = ns }
        }
        return filter
    }

    /// Time columns: wall-clock times from `wallClockOffsetNs`, the offset
    /// taken when the command runs (records carry CLOCK_MONOTONIC times).
    func configure(_ formatter: inout TraceFormatter, wallClockOffsetNs: Int64) {
        formatter.timeStyle = time == .absolute ? .absolute : .relative
        formatter.wallClockOffsetNs = wallClockOffsetNs
        formatter.utcOffsetSeconds = WallClock.localUTCOffsetSeconds()
        if decodeFds { formatter.descriptorNames = DescriptorNames() }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a stopped container's archived trace as one file, for `tailtrace dump --file` anywhere.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Container id, unique id prefix, or name.")
    var container: String

    @Option(help: "The file to write (created 0600: traces are sensitive).")
    var to: String

    func run() throws {
        let traces = try global.traces()
        let record = try traces.find(container)
        guard record.state == .exited, let entry = try traces.archiveEntry(of: record) else {
            throw UserError("\(record.name) has no archive yet (running, or its archive is pending)")
        }
        let bytes = try ArchiveFile.bytes(of: entry)
        try StateFiles.writeAtomically(path: to, bytes: bytes)
        print("exported \(record.name) to \(to) (\(bytes.count) bytes)")
    }
}
