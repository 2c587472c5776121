import Foundation
import Shared
import Testing

@testable import OCIHooks

/// The hooks' option parsing and fail-open policy, without root: with no
/// installation under the pin root every claim fails, which is what the
/// policy must turn into "start untraced" (or, when required, "refuse").
/// HookLifecycleTests and PodmanHookTests run the hooks on the kernel.
@Suite struct OCIHookTests {
    final class Dirs {
        let dir = NSTemporaryDirectory() + "tailtrace-hook-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let paths: TailtracePaths
        init() throws {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            paths = try TailtracePaths(
                pinRoot: dir + "/pins", stateDirectory: dir + "/state", archiveDirectory: dir + "/archive")
        }
        deinit { try? FileManager.default.removeItem(atPath: dir) }
        var log: String { (try? String(contentsOfFile: paths.hookLog.path, encoding: .utf8)) ?? "" }
    }

    static func state(_ id: String = "web-1", pid: Int32? = 1, annotations: [String: String]) throws -> OCIState {
        try OCIState(id: id, status: pid == nil ? .stopped : .creating, pid: pid, bundle: "/nonexistent", annotations: annotations)
    }

    @Test func optionsAreParsed() throws {
        var hook = OCIHook(stage: .prestart)
        try hook.parse(["--pin-root", "/p", "--state-dir", "/s", "--archive-dir", "/a", "--always"])
        #expect(hook.pinRoot == "/p" && hook.stateDir == "/s" && hook.archiveDir == "/a" && hook.always)
        #expect(throws: ContainerInputError.self) { try hook.parse(["--pin-root"]) }
        #expect(throws: ContainerInputError.self) { try hook.parse(["--verbose"]) }
    }

    /// A person's `--help` gets the usage, and the hook writes nothing
    /// (its log would be the default state dir's).
    @Test func helpIsAnAnswerNotAnError() {
        #expect(OCIHook.helpRequested(["--help"]) && OCIHook.helpRequested(["--pin-root", "/p", "-h"]))
        #expect(!OCIHook.helpRequested(["--pin-root", "/p", "--always"]) && !OCIHook.helpRequested([]))
        #expect(OCIHook(stage: .poststop).usage.hasPrefix("usage: ocihook-poststop [--pin-root DIR]"))
    }

    @Test func anUnannotatedContainerIsLeftAloneWithoutAWord() throws {
        let d = try Dirs()
        let status = OCIHook(stage: .prestart).run(try Self.state(annotations: [:]), paths: d.paths, log: d.paths.hookLog)
        #expect(status == 0)
        #expect(d.log.isEmpty)
    }

    @Test func aFailedClaimStartsTheContainerUntracedAndSaysSo() throws {
        let d = try Dirs()
        let status = OCIHook(stage: .prestart).run(
            try Self.state(annotations: ["io.tailtrace.trace": "true"]), paths: d.paths, log: d.paths.hookLog)
        #expect(status == 0, "fail open")
        #expect(d.log.contains("ocihook-prestart[") && d.log.contains("web-1: "))
        #expect(d.log.contains("not installed") && d.log.hasSuffix("container left untraced\n"), "\(d.log)")
        #expect(try d.paths.stateStore.loadAll().records.isEmpty)
    }

    @Test func alwaysTracesWithoutTheAnnotation() throws {
        let d = try Dirs()
        var hook = OCIHook(stage: .prestart)
        hook.always = true
        #expect(hook.run(try Self.state(annotations: [:]), paths: d.paths, log: d.paths.hookLog) == 0)
        #expect(d.log.contains("container left untraced"), "it tried, and said it failed")
    }

    @Test func aRequiredContainerIsRefusedWhenTracingFails() throws {
        let d = try Dirs()
        let status = OCIHook(stage: .prestart).run(
            try Self.state(annotations: ["io.tailtrace.trace": "true", "io.tailtrace.required": "true"]),
            paths: d.paths, log: d.paths.hookLog)
        #expect(status == 1)
        #expect(d.log.contains("io.tailtrace.required=true: refusing to start it"), "\(d.log)")
    }

    @Test func aPrestartWithoutAPidIsRefusedInWords() throws {
        let d = try Dirs()
        let status = OCIHook(stage: .prestart).run(
            try OCIState(id: "web-1", status: .created, pid: nil, bundle: "/b", annotations: ["io.tailtrace.trace": "true"]),
            paths: d.paths, log: d.paths.hookLog)
        #expect(status == 0)
        #expect(d.log.contains("no pid (is this a prestart or createRuntime hook?)"), "\(d.log)")
    }

    @Test func poststopOfANeverTracedContainerDoesNothing() throws {
        let d = try Dirs()
        #expect(OCIHook(stage: .poststop).run(try Self.state(pid: nil, annotations: [:]), paths: d.paths, log: d.paths.hookLog) == 0)
        #expect(d.log.isEmpty)
    }

    /// Uninstalled while the container ran: poststop drops its record (the
    /// slot went with the installation) and says why.
    @Test func poststopAfterUninstallDropsTheStaleRecord() throws {
        let d = try Dirs()
        let record = ContainerRecord(
            id: "web-1", name: "web-1", runtime: .oci, source: .hook, cgroupID: 9, key: 9, keyMode: .cgroup, slot: 0,
            generation: 1)
        try d.paths.stateStore.prepare()
        try d.paths.stateStore.save(record)
        #expect(OCIHook(stage: .poststop).run(try Self.state(pid: nil, annotations: [:]), paths: d.paths, log: d.paths.hookLog) == 0)
        #expect(try d.paths.stateStore.load(id: "web-1") == nil)
        #expect(d.log.contains("web-1: ") && d.log.contains("not installed"), "\(d.log)")
    }
}
