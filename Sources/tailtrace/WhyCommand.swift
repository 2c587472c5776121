import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import Shared
import TraceFormat

/// One screen on how a container ended, from its trace: what `dump` would
/// show, cut down to what a crash report needs (see `TraceEnding`).
struct Why: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "why",
        abstract: "Why a container stopped: how its processes ended, the fatal signals, its last failed calls and "
            + "its last syscalls.",
        discussion: """
            Text: one section each, the lines as `dump` prints them. JSON: one object, \
            {"container": <as in list>, "ended": [...], "clean_exits": N, "signals": [...], \
            "failed": [...], "failed_total": N, "last": [...]}, with the objects of `dump --output json` \
            in the arrays. "ended" holds the processes killed by a signal or exiting non-zero and the \
            container's init; "clean_exits" counts the other processes, which exited with 0.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Container id, unique id prefix, or name (or select one with the options below).")
    var container: String?

    @OptionGroup var selection: Selection

    @Option(help: "text or json (one object).")
    var output = OutputFormat.text

    @Option(help: "How many syscalls before the end to show.")
    var tail = 20

    @Option(help: "How many of the last failed calls to show.")
    var failures = 5

    @Option(help: "Text times: relative (since the first record) or absolute (local time of day, strace -tt).")
    var time = TraceReading.TimeColumn.relative

    func validate() throws {
        if tail < 0 { throw ValidationError("--tail must be 0 or more") }
        if failures < 0 { throw ValidationError("--failures must be 0 or more") }
        if container == nil && selection.isEmpty {
            throw ValidationError("name a container, or select one with --namespace, --pod, --container or --label")
        }
    }

    func run() throws {
        let (record, items) = try recordedTrace(container, selection: selection, global: global)
        let ending = TraceEnding(items, tail: tail, failures: failures)
        let clock = record.clockOffsetNs ?? WallClock.offsetNowNs()
        var formatter = TraceFormatter(
            style: output == .json ? .json : .text, startNs: items.lazy.compactMap(\.tsNs).first)
        formatter.containerCgroupID = record.cgroupID
        formatter.wallClockOffsetNs = clock
        formatter.utcOffsetSeconds = WallClock.localUTCOffsetSeconds()
        formatter.timeStyle = time == .absolute ? .absolute : .relative
        let lastItems = ending.last.map { items[$0] }
        switch output {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var out = "{\"container\":" + String(decoding: try encoder.encode(record), as: UTF8.self)
            func array(_ key: String, _ section: [TraceItem]) {
                out += ",\"\(key)\":[" + section.map { formatter.line($0) }.joined(separator: ",") + "]"
            }
            array("ended", ending.ends.map { .processExit($0) })
            out += ",\"clean_exits\":\(ending.cleanExits)"
            array("signals", ending.fatalSignals.map { .signal($0) })
            array("failed", ending.failed.map { .syscall($0) })
            out += ",\"failed_total\":\(ending.failedTotal)"
            array("last", lastItems)
            writeOut(out + "}\n")
        case .text:
            var lines = [Self.headline(record)]
            func section(_ title: String, _ body: [String], none: String) {
                lines.append("")
                lines.append(title + ":")
                lines += (body.isEmpty ? [none] : body).map { "  " + $0 }
            }
            var ends = ending.ends.map(TraceEnding.describe)
            if ending.cleanExits > 0 {
                ends.append("\(ending.cleanExits) other process\(ending.cleanExits == 1 ? "" : "es") exited with 0")
            }
            section("How its processes ended", ends, none: "no process ended in the trace")
            section(
                "Fatal signals", ending.fatalSignals.map { formatter.line(.signal($0)) },
                none: "none delivered in the trace")
            section(
                "Last failed calls (\(ending.failed.count) of \(ending.failedTotal))",
                ending.failed.map { formatter.line(.syscall($0)) }, none: "none")
            let calls = lastItems.filter { if case .syscall = $0 { true } else { false } }.count
            section(
                "Last \(calls) syscall\(calls == 1 ? "" : "s")", lastItems.map { formatter.line($0) },
                none: "none recorded")
            writeOut(lines.joined(separator: "\n") + "\n")
        }
    }

    /// `web-1 (3f2a1b4c5d6e): killed by SIGSEGV (core dumped)`; a running
    /// container has not ended, and the sections say what happened so far.
    static func headline(_ record: ContainerRecord) -> String {
        let who = "\(record.name) (\(ContainerID.short(record.id)))"
        switch record.state {
        case .running: return "\(who): still running; its trace so far"
        case .exited, .untraced: return "\(who): \(List.state(record))"
        }
    }
}
