import ArgumentParser
import Glibc
import Shared
import TailcallPool
import TraceFormat

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a container's last syscalls, oldest first (also after it stopped).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Container id, unique id prefix, or name (or select one with the options below).")
    var container: String?

    @OptionGroup var selection: Selection

    @Option(help: "text (strace-like) or json (one object per line).")
    var output = OutputFormat.text

    @Option(help: "Only the last N syscalls.")
    var tail: Int?

    func validate() throws {
        if let tail, tail < 0 { throw ValidationError("--tail must be 0 or more") }
        if container == nil && selection.isEmpty {
            throw ValidationError("name a container, or select one with --namespace, --pod, --container or --label")
        }
    }

    func run() throws {
        let traces = try global.traces()
        let record = try selection.pick(container, from: traces)
        if record.state == .untraced {
            throw UserError(
                "\(record.name) is not traced any more and its trace is lost: the installation at "
                    + "\(traces.paths.pinRoot) that recorded it is gone (uninstalled, or a reboot emptied bpffs)")
        }
        guard var (items, _) = try traces.trace(of: record) else {
            throw UserError("no trace is kept for \(record.name)")
        }
        if let tail {
            let lost = items.filter { if case .lost = $0 { true } else { false } }
            let calls = items.filter { if case .syscall = $0 { true } else { false } }
            items = lost + calls.suffix(tail)
        }
        // Written in batches: a 64 MiB ring is half a million lines.
        var formatter = TraceFormatter(style: output == .json ? .json : .text)
        formatter.containerCgroupID = record.cgroupID
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        for item in items {
            formatter.format(item, into: &out)
            if out.count >= 1 << 20 {
                writeOut(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        writeOut(out)
    }
}

struct Follow: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a container's syscalls as they happen, until it stops or you interrupt.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Container id, unique id prefix, or name.")
    var container: String

    @Option(help: "text or json.")
    var output = OutputFormat.text

    @Option(help: "Milliseconds between reads of the ring.")
    var interval = 200

    func run() throws {
        let recorder = try global.recorder()
        let traces = recorder.traces
        var record = try traces.find(container)
        guard record.state == .running else {
            throw UserError("\(record.name) has stopped; use `tailtrace dump \(record.name)`")
        }
        var formatter = TraceFormatter(style: output == .json ? .json : .text)
        formatter.containerCgroupID = record.cgroupID
        var printedUpTo: UInt64 = 0  // ts_ns of the newest syscall printed
        var lostSeen: UInt64 = 0
        var awaitedUnplug = false
        while true {
            let current = (try? traces.paths.stateStore.load(id: record.id)) ?? nil
            if current == nil {
                // Stopped (or detached): the last pass reads its archive.
                record = (try? traces.find(record.id)) ?? record
            }
            guard let (items, counts) = try traces.trace(of: record) else {
                // Unplugging frees the slot (new generation) before it writes
                // the archive and removes the state file, all under the state
                // lock: a running record without its ring is being unplugged.
                // Once the lock is ours, its archive is there to read.
                if current != nil && !awaitedUnplug {
                    awaitedUnplug = true
                    try recorder.withStateLock { _ in }
                    continue
                }
                break
            }
            var out: [UInt8] = []
            if counts.lost > lostSeen {
                formatter.format(.lost(count: counts.lost - lostSeen), into: &out)
                lostSeen = counts.lost
            }
            // A call is printed once its result is final: it returned, its
            // thread moved on, it is a second old (exit_group never returns),
            // or the container is gone.
            var newestPerThread: [UInt32: UInt64] = [:]
            for case .syscall(let e) in items { newestPerThread[e.tid] = e.tsNs }
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)  // bpf_ktime_get_ns's clock
            let settled = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec) - 1_000_000_000
            var newest = printedUpTo
            for case .syscall(let e) in items where e.tsNs > printedUpTo {
                let final = e.ret != nil || newestPerThread[e.tid] != e.tsNs || e.tsNs < settled || current == nil
                guard final else { break }
                formatter.format(.syscall(e), into: &out)
                newest = e.tsNs
            }
            printedUpTo = newest
            writeOut(out)
            guard let current else { break }
            record = current
            usleep(UInt32(max(interval, 10)) * 1000)
        }
    }
}
