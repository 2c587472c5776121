import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import Shared
import TailcallPool
import TraceFormat

/// kubectl-like selection of containers.
struct Selection: ParsableArguments {
    @Option(help: "Only containers of this Kubernetes namespace.")
    var namespace: String?

    @Option(help: "Only containers of this pod.")
    var pod: String?

    @Option(help: "Only the containers with this container name (Kubernetes) or name.")
    var container: String?

    @Option(name: .customLong("label"), help: "Only containers with this label, as KEY=VALUE; repeatable.")
    var labels: [String] = []

    func validate() throws {
        for label in labels where !label.contains("=") {
            throw ValidationError("--label takes KEY=VALUE, got \(label)")
        }
    }

    /// The one container `query` (if given) and the selection name; running
    /// containers first, then the newest archive of each id.
    func pick(_ query: String?, from traces: RecordedTraces) throws -> ContainerRecord {
        if let query {
            let record = try traces.find(query)
            guard matches(record) else { throw UserError("\(record.name) does not match the selection") }
            return record
        }
        var seen = Set<String>()
        let matching = try traces.containers().records.filter { seen.insert($0.id).inserted && matches($0) }
        guard let first = matching.first else { throw UserError("no traced container matches the selection") }
        guard matching.count == 1 else {
            let names = matching.prefix(10).map { "\($0.name) (\(ContainerID.short($0.id)))" }.joined(separator: ", ")
            throw UserError("\(matching.count) containers match the selection: \(names); name one")
        }
        return first
    }

    var isEmpty: Bool { namespace == nil && pod == nil && container == nil && labels.isEmpty }

    func matches(_ r: ContainerRecord) -> Bool {
        if let namespace, r.namespace != namespace { return false }
        if let pod, r.pod != pod { return false }
        if let container, r.container != container && r.name != container { return false }
        for label in labels {
            let parts = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if r.labels[String(parts[0])] != String(parts[1]) { return false }
        }
        return true
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Traced containers, running and stopped.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: Selection

    @Option(help: "text or json.")
    var output = OutputFormat.text

    func run() throws {
        var (records, problems) = try global.traces().containers()
        records = records.filter(selection.matches)
        for problem in problems { printError(problem) }
        switch output {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(records), as: UTF8.self))
        case .text:
            print(Self.table(records))
        }
    }

    /// `running`, `exited 1`, `killed by SIGSEGV (core dumped)`, as strace ends a process.
    static func state(_ r: ContainerRecord) -> String {
        let pending = r.archivePending != nil ? ", archive pending" : ""
        guard r.state == .exited, let end = r.end else { return r.state.rawValue + pending }
        if let signal = end.killedBy {
            return "killed by \(SignalName.of(signal))" + (end.coreDumped ? " (core dumped)" : "") + pending
        }
        return "exited \(end.exitCode ?? 0)" + pending
    }

    static func table(_ records: [ContainerRecord]) -> String {
        let header = ["ID", "NAME", "RUNTIME", "SOURCE", "STATE", "SLOT", "POD"]
        let rows = records.map { r in
            [
                ContainerID.short(r.id), r.name, r.runtime.rawValue, r.source.rawValue, state(r),
                r.state == .running || r.archivePending != nil ? String(r.slot) : "-",
                r.pod.map { "\(r.namespace ?? "")/\($0)" } ?? "-",
            ]
        }
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i == cells.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count + 2)
            }.joined()
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
