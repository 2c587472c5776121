import Foundation
import XCTest

// Running programs, finding built products and test programs, and the
// system facts the real-kernel tests need (mounts, cgroups), shared by
// every test target.

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum TestSystem {
    /// Directory of the built products (the test bundle sits beside them).
    static var productsDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("").standardizedFileURL
    }

    static func product(_ name: String) -> String {
        for candidate in [Bundle.main.bundleURL, productsDirectory] {
            let path = candidate.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return productsDirectory.appendingPathComponent(name).path
    }

    static func run(_ executable: String, _ args: [String], environment: [String: String]? = nil, stdin: Data? = nil)
        throws -> CommandResult
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if let environment { p.environment = environment }
        let out = Pipe()
        // stderr goes to a file: reading two pipes needs two readers.
        let errPath = NSTemporaryDirectory() + "tailtrace-test-stderr-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try p.run()
        try? err.close()
        if let stdin {
            // The child may stop reading (a hook bounds its input): no SIGPIPE here.
            signal(SIGPIPE, SIG_IGN)
            try? input.fileHandleForWriting.write(contentsOf: stdin)
            try? input.fileHandleForWriting.close()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        return CommandResult(
            status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// bpffs and tracefs are not mounted on a fresh machine.
    static func ensureMounts() throws {
        for (type, dir) in [("bpf", "/sys/fs/bpf"), ("tracefs", "/sys/kernel/tracing")] {
            if try run("/bin/mountpoint", ["-q", dir]).status != 0 {
                _ = try run("/bin/mount", ["-t", type, type, dir])
            }
        }
    }

    /// The cgroup2 mount point, from /proc/self/mountinfo.
    static func cgroup2Mount() throws -> String {
        let info = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        for line in info.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard let dash = parts.firstIndex(of: "-"), dash + 1 < parts.count else { continue }
            if parts[dash + 1] == "cgroup2" && parts[3] == "/" { return String(parts[4]) }
        }
        throw XCTSkip("no cgroup v2 hierarchy is mounted on this machine")
    }

    /// The directory of the workloads of this test process, removed when it exits.
    static let workloadDirectory: String = {
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "tailtrace-test-bin-\(getpid())") }
        return NSTemporaryDirectory() + "tailtrace-test-bin-\(getpid())"
    }()

    /// Test workloads compiled from testdata/ once per test run.
    static func workload(_ name: String = "workload", flags: [String] = []) throws -> String {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("testdata/\(name).c").path
        // In a directory of its own so the process name (comm) is the workload's.
        let dir = workloadDirectory
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let binary = dir + "/" + name
        if !FileManager.default.isExecutableFile(atPath: binary) {
            let r = try run("/usr/bin/gcc", ["-O2"] + flags + ["-o", binary, source])
            guard r.status == 0 else { throw TestFailure("gcc \(name): \(r.stderr)") }
        }
        return binary
    }

    /// Mount points of every cgroup hierarchy, v1 and v2, from mountinfo.
    static func cgroupMounts() -> [String] {
        guard let info = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return info.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard let dash = parts.firstIndex(of: "-"), dash + 1 < parts.count,
                parts[dash + 1] == "cgroup" || parts[dash + 1] == "cgroup2"
            else { return nil }
            return String(parts[4])
        }
    }

    /// Removes an empty cgroup tree, deepest first (cgroups are removed with rmdir).
    static func removeEmptyCgroups(_ dir: String) {
        guard let children = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for child in children {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + child, isDirectory: &isDir), isDir.boolValue {
                removeEmptyCgroups(dir + "/" + child)
            }
        }
        rmdir(dir)
    }

    static func killProcesses(inCgroup dir: String) {
        guard let procs = try? String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8) else { return }
        for pid in procs.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        usleep(50_000)
    }

    static func removeTree(_ path: String) {
        _ = try? run("/bin/rm", ["-rf", path])
    }
}

extension TestSystem {
    /// A minimal rootfs: busybox-static and a few applet links.
    static func makeBusyboxRootfs(at dir: String) throws {
        let fm = FileManager.default
        for sub in ["bin", "etc", "tmp", "proc", "sys", "dev"] {
            try fm.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true)
        }
        let busybox = ["/bin/busybox", "/usr/bin/busybox"].first { fm.isExecutableFile(atPath: $0) }
        guard let busybox else { throw TestFailure("busybox-static is not installed (scripts/deps installs it)") }
        if !fm.fileExists(atPath: dir + "/bin/busybox") {
            try fm.copyItem(atPath: busybox, toPath: dir + "/bin/busybox")
        }
        for applet in ["sh", "cat", "echo", "ls", "sleep", "true", "mkdir", "mount"] where !fm.fileExists(atPath: dir + "/bin/" + applet) {
            try fm.createSymbolicLink(atPath: dir + "/bin/" + applet, withDestinationPath: "busybox")
        }
    }
}
