import Shared

/// strace -c: calls, errors and time per syscall, as a table sorted by time
/// (most first) with a `total` row, or one JSON object per syscall and a
/// total object.
///
/// The time of a call is from its enter to its exit record: wall-clock time
/// in the kernel, what strace -c -w shows (plain strace -c shows system CPU
/// time, which the recorder does not see). A call counts when it returned,
/// as strace counts at syscall exit; an exit whose enter was not recorded
/// counts as a call of unknown (zero) time. i386 calls get their own table,
/// as strace gives each personality one.
public struct TraceSummary: Sendable {
    struct Row {
        var calls: UInt64 = 0
        var errors: UInt64 = 0
        var ns: UInt64 = 0
    }

    private var rows: [Bool: [String: Row]] = [:]  // compat → name → counts
    private var table: SyscallTable

    public init(syscalls: SyscallTable = SyscallTable()) {
        self.table = syscalls
    }

    public mutating func add(_ item: TraceItem) {
        guard case .syscall(let e) = item, let ret = e.ret else { return }
        let name = table.name(nr: e.nr, compat: e.compat)
        let compat = e.compat
        var row = rows[compat, default: [:]][name, default: Row()]
        row.calls += 1
        if Errno.failure(ret: ret) != nil { row.errors += 1 }
        if !e.args.isEmpty, let exit = e.exitTsNs, exit >= e.tsNs { row.ns += exit - e.tsNs }
        rows[compat, default: [:]][name] = row
    }

    public mutating func add(_ items: some Sequence<TraceItem>) {
        for item in items { add(item) }
    }

    /// Rows by time, most first (then by calls, then name).
    private func sorted(_ compat: Bool) -> [(name: String, row: Row)] {
        (rows[compat] ?? [:]).map { ($0.key, $0.value) }.sorted {
            ($0.row.ns, $0.row.calls, $1.name) > ($1.row.ns, $1.row.calls, $0.name)
        }
    }

    private var tables: [Bool] {
        let compat = !(rows[true] ?? [:]).isEmpty
        let native = !(rows[false] ?? [:]).isEmpty || !compat
        return (native ? [false] : []) + (compat ? [true] : [])
    }

    /// strace -c's table; a second one after `System call usage summary
    /// for 32 bit mode:` for i386 calls.
    public func text() -> [UInt8] {
        var out: [UInt8] = []
        for compat in tables {
            if compat { out.appendASCII("System call usage summary for 32 bit mode:\n") }
            appendTable(sorted(compat), into: &out)
        }
        return out
    }

    /// `{"syscall":"read","arch":"x86_64","calls":3,"errors":0,"seconds":0.000123,"usecs_per_call":41,"percent_time":45.45}`
    /// per syscall, then `{"total":true,"arch":"x86_64","calls":…,"errors":…,"seconds":…,"usecs_per_call":…}`.
    public func json() -> [UInt8] {
        var out: [UInt8] = []
        for compat in tables {
            let arch = SyscallArch.of(compat: compat)
            let list = sorted(compat)
            let total = list.reduce(into: Row()) {
                $0.calls += $1.row.calls
                $0.errors += $1.row.errors
                $0.ns += $1.row.ns
            }
            for (name, row) in list {
                out.appendASCII("{\"syscall\":")
                out.appendJSONString(name)
                appendJSONCounts(arch, row, into: &out)
                out.appendASCII(",\"percent_time\":")
                out.append(contentsOf: Self.fixed(Self.hundredths(row.ns, of: total.ns), decimals: 2).utf8)
                out.appendASCII("}\n")
            }
            out.appendASCII("{\"total\":true")
            appendJSONCounts(arch, total, into: &out)
            out.appendASCII("}\n")
        }
        return out
    }

    private func appendJSONCounts(_ arch: SyscallArch, _ row: Row, into out: inout [UInt8]) {
        out.appendASCII(",\"arch\":")
        out.appendJSONString(arch.rawValue)
        out.appendASCII(",\"calls\":")
        out.appendDecimal(row.calls)
        out.appendASCII(",\"errors\":")
        out.appendDecimal(row.errors)
        out.appendASCII(",\"seconds\":")
        out.append(contentsOf: Self.seconds(row.ns).utf8)
        out.appendASCII(",\"usecs_per_call\":")
        out.appendDecimal(row.calls == 0 ? 0 : row.ns / row.calls / 1000)
    }

    /// strace's columns: `% time` (6), `seconds` (11), `usecs/call` (11),
    /// `calls` (9), `errors` (9, blank for none), `syscall` (16, left
    /// aligned, unpadded as the last column); wider when a value needs it.
    private func appendTable(_ list: [(name: String, row: Row)], into out: inout [UInt8]) {
        let total = list.reduce(into: Row()) {
            $0.calls += $1.row.calls
            $0.errors += $1.row.errors
            $0.ns += $1.row.ns
        }
        let maxAverage = list.map { $0.row.ns / max($0.row.calls, 1) / 1000 }.max() ?? 0
        let widths = [
            6, max(11, Self.seconds(total.ns).count), max(11, String(maxAverage).count),
            max(9, String(total.calls).count), max(9, String(total.errors).count),
            max(16, (list.map(\.name.utf8.count).max() ?? 0) + 1),
        ]
        func line(_ cells: [String]) {
            for (i, cell) in cells.enumerated() {
                if i > 0 { out.append(UInt8(ascii: " ")) }
                let pad = max(0, widths[i] - cell.utf8.count)
                if i < cells.count - 1 { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: pad)) }
                out.append(contentsOf: cell.utf8)
            }
            out.append(UInt8(ascii: "\n"))
        }
        func divider() {
            line(widths.map { String(repeating: "-", count: $0) })
        }
        line(["% time", "seconds", "usecs/call", "calls", "errors", "syscall"])
        divider()
        for (name, row) in list {
            line([
                Self.fixed(Self.hundredths(row.ns, of: total.ns), decimals: 2), Self.seconds(row.ns),
                String(row.ns / row.calls / 1000), String(row.calls), row.errors == 0 ? "" : String(row.errors), name,
            ])
        }
        divider()
        line([
            "100.00", Self.seconds(total.ns), String(total.calls == 0 ? 0 : total.ns / total.calls / 1000),
            String(total.calls), total.errors == 0 ? "" : String(total.errors), "total",
        ])
    }

    /// `part` as a percentage of `whole`, in hundredths (0 when whole is 0).
    private static func hundredths(_ part: UInt64, of whole: UInt64) -> UInt64 {
        whole == 0 ? 0 : UInt64((Double(part) * 10_000 / Double(whole)).rounded())
    }

    /// Nanoseconds as seconds with six decimals (`%.6f`).
    private static func seconds(_ ns: UInt64) -> String {
        fixed((ns + 500) / 1000, decimals: 6)
    }

    /// `value` / 10^decimals with that many decimals.
    private static func fixed(_ value: UInt64, decimals: Int) -> String {
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let fraction = String(value % scale)
        return "\(value / scale)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}
