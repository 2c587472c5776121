import Foundation
import XCTest

@testable import TestSupport

/// Issue 13's fault d: two `tailtrace reconcile` loops and a `reconcile
/// --watch` run while 64 hook-driven containers start and stop on a pool of
/// 16, up to 24 at once (so the pool runs dry and loads more), every eighth
/// without its poststop (a runtime killed before it: reconcile archives it).
final class ConcurrentReconcileTests: InstallationTestCase {
    let count = 64
    let concurrency = 24

    func testReconcilesRacingHooksLoseNothing() throws {
        try t.install("--pool", "16")
        // every init first (TestInstallation's bookkeeping is not thread-safe)
        var containers: [HookDrivenContainer] = []
        for i in 0..<count { containers.append(try t.startContainer("c\(i)", exitCode: Int32(i + 1))) }

        let watchLog = t.tempDir + "/watch.log"
        FileManager.default.createFile(atPath: watchLog, contents: nil)
        let watch = Process()
        watch.executableURL = URL(fileURLWithPath: TestSystem.product("tailtrace"))
        watch.arguments = ["reconcile", "--watch", "--interval", "1"]
        watch.environment = t.environment
        watch.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: watchLog))
        watch.standardError = watch.standardOutput
        try watch.run()
        defer {
            if watch.isRunning {
                kill(watch.processIdentifier, SIGKILL)
                watch.waitUntilExit()
            }
        }

        // Read-only from the threads: the hooks and the CLI run as processes.
        nonisolated(unsafe) let t = self.t!
        nonisolated(unsafe) let all = containers
        let race = Race(count: count)
        let loops = DispatchGroup()
        for _ in 0..<2 {
            loops.enter()
            Thread {
                defer { loops.leave() }
                while !race.workersDone {
                    guard let r = try? t.tailtrace(["reconcile"], check: false) else { return race.fail("reconcile: no run") }
                    if r.status != 0 || !r.stderr.isEmpty { race.fail("reconcile exited \(r.status): \(r.stderr)") }
                    race.countReconcile()
                }
            }.start()
        }
        let workers = DispatchGroup()
        for _ in 0..<concurrency {
            workers.enter()
            Thread {
                defer { workers.leave() }
                while let i = race.nextContainer() {
                    let c = all[i]
                    do {
                        let pre = try t.hook(.prestart, c)
                        if pre.status != 0 || !pre.stderr.isEmpty { race.fail("c\(i) prestart \(pre.status): \(pre.stderr)") }
                        usleep(UInt32.random(in: 0...50_000))
                        try t.stop(c)
                        if i % 8 == 7 { continue }  // the runtime died: no poststop
                        let post = try t.hook(.poststop, c)
                        if post.status != 0 || !post.stderr.isEmpty { race.fail("c\(i) poststop \(post.status): \(post.stderr)") }
                    } catch {
                        race.fail("c\(i): \(error)")
                    }
                }
            }.start()
        }
        workers.wait()
        race.workersDone = true
        loops.wait()
        sleep(1)  // at least one more pass of --watch
        kill(watch.processIdentifier, SIGTERM)
        watch.waitUntilExit()
        let (failures, reconciles) = (race.failures, race.reconciles)
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(reconciles, 2, "the reconcile loops ran while containers came and went")
        let watched = (try? String(contentsOfFile: watchLog, encoding: .utf8)) ?? ""
        XCTAssertFalse(watched.contains("could not"), watched)

        let final = try t.tailtrace("reconcile")
        XCTAssertEqual(final.stderr, "")
        let byID = Dictionary(grouping: try t.listJSON(), by: { $0["id"] as? String ?? "" })
        for (i, c) in containers.enumerated() {
            let records = byID[c.id] ?? []
            XCTAssertEqual(records.count, 1, "c\(i): \(records)")
            XCTAssertEqual(records.first?["state"] as? String, "exited", "c\(i)")
            XCTAssertNotNil(records.first?["archive"] as? String, "c\(i): \(records)")
            XCTAssertEqual(records.first?["exit_code"] as? Int, i + 1, "c\(i): \(records)")
            XCTAssertEqual(try t.tracePIDs(c.id), [Int(c.pid)], "c\(i): its trace is its own")
        }
        XCTAssertEqual(byID.keys.filter { $0.hasPrefix("pool-") }, [], "every claim had its record")
        let log = (try? String(contentsOfFile: t.tempDir + "/state/hooks.log", encoding: .utf8)) ?? ""
        let loads = log.split(separator: "\n").filter { $0.contains("the pool was empty") }.count
        print(
            "\(count) containers, \(concurrency) at once on a pool of 16: \(reconciles) reconcile runs, "
                + "\(loads) recorders loaded on an empty pool, \(watched.split(separator: "\n").count) lines from --watch")
        try t.checkNothingLeaked(probe: "probe")
    }
}

/// What the threads of the race share, behind one lock.
private final class Race: @unchecked Sendable {
    private let lock = NSLock()
    private let count: Int
    private var next = 0
    private var done = false
    private var runs = 0
    private var problems: [String] = []

    init(count: Int) { self.count = count }

    var workersDone: Bool {
        get { lock.withLock { done } }
        set { lock.withLock { done = newValue } }
    }
    var failures: [String] { lock.withLock { problems } }
    var reconciles: Int { lock.withLock { runs } }

    func fail(_ message: String) { lock.withLock { problems.append(message) } }
    func countReconcile() { lock.withLock { runs += 1 } }

    /// The index of the next container to start, nil once all have been.
    func nextContainer() -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            next += 1
            return next - 1
        }
    }
}
