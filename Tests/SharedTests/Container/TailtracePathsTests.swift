import Foundation
import Testing

@testable import Shared

@Suite struct TailtracePathsTests {
    @Test func defaults() throws {
        let paths = try TailtracePaths(environment: { _ in nil })
        #expect(paths.pinRoot == "/sys/fs/bpf/tailtrace")
        #expect(paths.stateDirectory == "/run/tailtrace")
        #expect(paths.archiveDirectory == "/var/lib/tailtrace/archive")
        #expect(paths.logFile == "/run/tailtrace/hooks.log")
    }

    @Test func optionBeatsEnvironmentBeatsDefault() throws {
        let environment = [
            "TAILTRACE_PIN_ROOT": "/sys/fs/bpf/test", "TAILTRACE_STATE_DIR": "/tmp/state/",
            "TAILTRACE_ARCHIVE_DIR": "",
        ]
        let paths = try TailtracePaths(stateDirectory: "/tmp/option", environment: { environment[$0] })
        #expect(paths.pinRoot == "/sys/fs/bpf/test")
        #expect(paths.stateDirectory == "/tmp/option")
        #expect(paths.archiveDirectory == "/var/lib/tailtrace/archive")
        #expect(try TailtracePaths(environment: { environment[$0] }).stateDirectory == "/tmp/state")
        #expect(paths.stateStore.directory == "/tmp/option")
        #expect(paths.archive.directory == "/var/lib/tailtrace/archive")
    }

    @Test(arguments: ["relative", "/", "/a/../b", "/a\nb"])
    func rejectsBadDirectories(path: String) {
        #expect(throws: ContainerInputError.self) {
            try TailtracePaths(stateDirectory: path, environment: { _ in nil })
        }
        #expect(throws: ContainerInputError.self) {
            try TailtracePaths(environment: { $0 == "TAILTRACE_PIN_ROOT" ? path : nil })
        }
    }
}

@Suite struct HookLogTests {
    @Test func oneLinePerEventRotatedAtTheBound() throws {
        let temp = TemporaryDirectory()
        let log = HookLog(path: temp.path + "/state/hooks.log", maximumBytes: 2000)
        log.write("claim failed for \"a\nb\"", program: "ocihook-prestart", toStandardError: false)
        let text = try String(contentsOfFile: log.path, encoding: .utf8)
        #expect(text.hasSuffix(#"ocihook-prestart[\#(getpid())]: claim failed for "a\nb""# + "\n"))
        #expect(text.split(separator: "\n").count == 1)
        #expect(fileMode(log.path) == 0o600)
        #expect(fileMode(temp.path + "/state") == 0o700)

        for index in 0..<100 {
            log.write("line \(index)", program: "ocihook-poststop", toStandardError: false)
        }
        let current = try Data(contentsOf: URL(fileURLWithPath: log.path)).count
        let previous = try Data(contentsOf: URL(fileURLWithPath: log.path + ".1")).count
        #expect(current <= 2000 + 200 && previous <= 2000 + 200)
        #expect(try String(contentsOfFile: log.path, encoding: .utf8).contains("line 99"))
    }

    @Test func longMessagesAreCut() {
        #expect(
            HookLog.oneLine(String(repeating: "x", count: 10_000)).utf8.count <= HookLog.maximumLineBytes
                + 3)
        #expect(HookLog.oneLine("a\tb\u{1b}") == "a\\tb\\x1b")
    }

    @Test func aMissingParentIsNotCreated() {
        let temp = TemporaryDirectory()
        let log = HookLog(path: temp.path + "/no/such/dir/hooks.log")
        log.write("x", program: "t", toStandardError: false)
        #expect(!FileManager.default.fileExists(atPath: temp.path + "/no"))
    }
}
