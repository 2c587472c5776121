import Foundation
import XCTest

@testable import TestSupport

/// What a post-mortem reads, against strace on the same program
/// (testdata/fidelity.c): where strace decodes a value, tailtrace's decoded
/// value equals it. Real kernel, real BPF, strace run beside it.
final class CaptureFidelityTests: InstallationTestCase {

    /// One run of the program under strace: its lines without the pid column.
    func straceLines(_ program: String, dir: String) throws -> [String] {
        let out = t.tempDir + "/strace.txt"
        let run = try TestSystem.run("/usr/bin/strace", ["-f", "-q", "-s", "256", "-o", out, program, "s", dir])
        XCTAssertEqual(run.status, 0, run.stderr)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        return text.split(separator: "\n").map { line in
            String(line.drop { $0 != " " }.drop { $0 == " " })
        }
    }

    func first(_ lines: [String], _ prefix: String, containing part: String = "") throws -> String {
        try XCTUnwrap(
            lines.first { $0.hasPrefix(prefix) && (part.isEmpty || $0.contains(part)) },
            "strace printed no line starting with \(prefix) with \(part)")
    }

    /// The text of strace's `{...}` (or `"..."`) argument after `prefix`.
    func straceArgument(_ line: String, after prefix: String) throws -> String {
        let rest = try XCTUnwrap(line.range(of: prefix)).upperBound
        var depth = 0
        var inString = false
        var escaped = false
        var end = rest
        for i in line[rest...].indices {
            let c = line[i]
            end = line.index(after: i)
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                if !inString && depth == 0 { break }
                continue
            }
            if c == "\"" { inString = true } else if c == "{" || c == "[" { depth += 1 } else if c == "}" || c == "]" {
                depth -= 1
                if depth == 0 { break }
            }
        }
        return String(line[rest..<end])
    }

    func testDecodedValuesEqualStrace() throws {
        let program = try TestSystem.workload("fidelity")
        try t.install(["--pool", "2", "--capture-bytes", "256"])
        let cg = try t.makeCgroup("fidelity")
        try t.tailtrace("attach", "--cgroup", cg, "--name", "fid")
        let dir = t.tempDir + "/work"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        XCTAssertEqual(try t.run(inCgroup: cg, [program, "t", dir]).status, 0)
        let strace = try straceLines(program, dir: dir)

        let events = try t.dumpJSON("fid")
        let calls = events.filter { $0["syscall"] != nil }
        func call(_ name: String, _ match: ([String: Any]) -> Bool = { _ in true }) throws -> [String: Any] {
            try XCTUnwrap(
                calls.first { $0["syscall"] as? String == name && match(($0["args"] as? [String: Any]) ?? [:]) },
                "no \(name) recorded")
        }
        func args(_ e: [String: Any]) -> [String: Any] { (e["args"] as? [String: Any]) ?? [:] }

        // 1. paths and buffers in pages not yet faulted in, read again at exit
        for path in ["/nonexistent-cold/fidelity", "/nonexistent-edge"] {
            let open = try call("openat") { $0["filename"] as? String == path }
            XCTAssertNil(open["faulted"], "\(path): \(open)")
            XCTAssertTrue(strace.contains { $0.contains("openat(AT_FDCWD, \"\(path)\"") })
        }
        let mapped = calls.filter { $0["syscall"] as? String == "write" && args($0)["count"] as? Int == 13 }
        XCTAssertEqual(mapped.count, 2, "the file write and the write from the mapping")
        for w in mapped { XCTAssertEqual(args(w)["buf"] as? String, "mapped bytes\n", "\(w)") }
        let status = try t.tailtrace("status", "--output", "json").stdout
        let counts = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any], status)
        XCTAssertEqual(counts["payload_faults"] as? Int, 0, "no payload stayed unreadable: \(status)")
        XCTAssertGreaterThan(counts["payloads"] as? Int ?? 0, 20)

        // 2. socket addresses, as strace shows them
        let inet = try first(strace, "connect(", containing: "sa_family=AF_INET,")
        XCTAssertTrue(inet.contains(#"sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")"#), inet)
        let c4 = try call("connect") { ($0["uservaddr"] as? [String: Any])?["family"] as? String == "AF_INET" }
        XCTAssertEqual(args(c4)["uservaddr"] as? NSDictionary, ["family": "AF_INET", "addr": "127.0.0.1", "port": 9])
        let c6 = try call("connect") { ($0["uservaddr"] as? [String: Any])?["family"] as? String == "AF_INET6" }
        let a6 = try XCTUnwrap(args(c6)["uservaddr"] as? [String: Any])
        XCTAssertEqual(a6["addr"] as? String, "::1")
        XCTAssertEqual(a6["port"] as? Int, 5432)
        XCTAssertTrue(try first(strace, "connect(", containing: #"inet_pton(AF_INET6, "::1""#).contains("htons(5432)"))
        let unix = try call("connect") {
            ($0["uservaddr"] as? [String: Any])?["path"] as? String == dir + "/missing.sock"
        }
        XCTAssertEqual((args(unix)["uservaddr"] as? [String: Any])?["family"] as? String, "AF_UNIX")
        let abstract = try call("connect") { ($0["uservaddr"] as? [String: Any])?["abstract"] as? Bool == true }
        XCTAssertEqual((args(abstract)["uservaddr"] as? [String: Any])?["path"] as? String, "tailtrace-abstract")
        _ = try first(strace, "connect(", containing: #"sun_path=@"tailtrace-abstract""#)
        let sendto = try call("sendto")
        XCTAssertEqual(args(sendto)["addr"] as? NSDictionary, ["family": "AF_INET", "addr": "127.0.0.53", "port": 5353])
        XCTAssertEqual(args(sendto)["buff"] as? String, "ping")
        let name = try call("getsockname")
        let got = try XCTUnwrap(args(name)["usockaddr"] as? [String: Any], "\(name)")
        XCTAssertEqual(got["addr"] as? String, "127.0.0.1")
        XCTAssertGreaterThan(got["port"] as? Int ?? 0, 0, "the port bind chose, read at exit")

        // 3. vectors
        let writev = try call("writev")
        let vectors = try XCTUnwrap(args(writev)["vec"] as? [[String: Any]], "\(writev)")
        XCTAssertEqual(vectors.map { $0["base"] as? String }, ["hello", " world\n"])
        XCTAssertEqual(vectors.map { $0["len"] as? Int }, [5, 7])
        XCTAssertTrue(try first(strace, "writev(").contains(#"[{iov_base="hello", iov_len=5}, {iov_base=" world\n", iov_len=7}]"#))
        let sendmsg = try call("sendmsg")
        let msg = try XCTUnwrap(args(sendmsg)["msg"] as? [String: Any], "\(sendmsg)")
        XCTAssertEqual(msg["name"] as? NSDictionary, ["family": "AF_INET", "addr": "127.0.0.53", "port": 5353])
        XCTAssertEqual((msg["iov"] as? [[String: Any]])?.first?["base"] as? String, "query")

        // 4. control bytes are escaped in text exactly as strace escapes them
        let text = try t.tailtrace("dump", "fid").stdout.split(separator: "\n").map(String.init)
        let ctlText = try XCTUnwrap(text.first { $0.contains("write(fd=") && $0.contains("count=15") }, "no write of 15")
        let ctlStrace = try first(strace, "write(", containing: "\\33[31m")
        let fd = ctlStrace.dropFirst("write(".count).prefix { $0 != "," }
        XCTAssertEqual(try straceArgument(ctlText, after: "buf="), try straceArgument(ctlStrace, after: "write(\(fd), "))
        XCTAssertFalse(text.joined().unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" }, "no raw control byte")

        // 5. signals and process exits, as strace's --- and +++ lines
        for prefix in ["--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER", "--- SIGSEGV {", "+++ killed by SIGSEGV"] {
            let ours = try XCTUnwrap(text.first { $0.contains(prefix) }, "no \(prefix) in the dump")
            let theirs = try first(strace, prefix)
            if prefix.hasPrefix("--- SIGSEGV") || prefix.hasPrefix("+++") {
                XCTAssertTrue(ours.hasSuffix(theirs), "\(ours)\nstrace: \(theirs)")
            }
        }
        // the handler's return: rt_sigreturn's result is the interrupted
        // code's restored ax (its exit has no syscall number), as strace shows it
        let sigreturn = try first(strace, "rt_sigreturn(")
        let ourSigreturn = try XCTUnwrap(text.first { $0.contains("rt_sigreturn(") }, "no rt_sigreturn in the dump")
        XCTAssertEqual(
            ourSigreturn.components(separatedBy: " = ").last, sigreturn.components(separatedBy: " = ").last,
            "\(ourSigreturn)\nstrace: \(sigreturn)")
        XCTAssertTrue(text.contains { $0.hasSuffix("+++ exited with 7 +++") })
        XCTAssertTrue(text.last?.hasSuffix("+++ exited with 0 +++") == true, "the program's own end is last")
        let signals = events.filter { $0["event"] as? String == "signal" }
        XCTAssertEqual(signals.map { $0["signal"] as? String }, ["SIGUSR1", "SIGSEGV"], "SIGCHLD is ignored: not delivered")
        let exits = events.filter { $0["event"] as? String == "exit" }
        XCTAssertEqual(exits.count, 3)
        XCTAssertEqual(exits.compactMap { $0["exit_code"] as? Int }, [7, 0])
        XCTAssertEqual(exits.compactMap { $0["killed_by"] as? String }, ["SIGSEGV"])
    }

    /// A payload that faulted at enter is read again at exit only while its
    /// ring counts a waiting thread, and the `retries` entries are shared by
    /// every ring, keyed by tid. A thread that faulted in container A,
    /// blocked, and returns in container B (A was detached, the thread
    /// moved; a reused tid is the same case) must not take B's count: B's
    /// own waiting thread would then not be read again. testdata/blocked.c
    /// blocks in a write from a fresh file mapping, which the kernel faults
    /// in before it blocks.
    func testARetryLeftByAnotherRingDoesNotTakeThisRingsCount() throws {
        let program = try TestSystem.workload("blocked")
        try t.install("--pool", "2")
        let a = try t.makeCgroup("a")
        let b = try t.makeCgroup("b")
        try t.tailtrace("attach", "--cgroup", a, "--name", "ra")
        try t.tailtrace("attach", "--cgroup", b, "--name", "rb")
        let dir = t.tempDir + "/blocked"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func startBlocked(in cg: String) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "echo $$ > '\(t.cgroup2)/\(cg)/cgroup.procs' && exec '\(program)' '\(dir)'"]
            try process.run()
            let pid = process.processIdentifier
            for _ in 0..<200 {  // until it blocks in write (x86_64 nr 1)
                let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
                let call = (try? String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8)) ?? ""
                if comm == "blocked\n" && call.hasPrefix("1 ") { return process }
                usleep(10_000)
            }
            process.terminate()
            throw TestFailure("blocked (pid \(pid)) did not block in its write")
        }
        func wake(_ process: Process) {
            kill(process.processIdentifier, SIGUSR1)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, "the write returned 4096")
        }
        let moved = try startBlocked(in: a)
        try t.tailtrace("detach", "ra")
        try "\(moved.processIdentifier)\n".write(
            toFile: "\(t.cgroup2)/\(b)/cgroup.procs", atomically: false, encoding: .utf8)
        let waiting = try startBlocked(in: b)
        wake(moved)  // returns in b, with a's entry
        wake(waiting)

        let events = try t.dumpJSON("rb")
        XCTAssertTrue(
            events.contains { $0["pid"] as? Int == Int(moved.processIdentifier) }, "the moved thread returned in rb")
        let write = try XCTUnwrap(
            events.last {  // the pipe's write; the file's came first
                $0["syscall"] as? String == "write" && $0["pid"] as? Int == Int(waiting.processIdentifier)
                    && ($0["args"] as? [String: Any])?["count"] as? Int == 8192
            }, "\(events)")
        XCTAssertNil(write["faulted"], "rb's waiting thread was read again at exit: \(write)")
        let buf = try XCTUnwrap((write["args"] as? [String: Any])?["buf"] as? String, "\(write)")
        XCTAssertTrue(buf.hasPrefix("blocked payload \(waiting.processIdentifier)\n"), buf)
        XCTAssertEqual(write["ret"] as? Int, 4096)
    }
}
