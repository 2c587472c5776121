import Foundation
import XCTest

@testable import TestSupport

/// Issue 13's fault d: two `tailtrace reconcile` loops and a `reconcile
/// --watch` run while 64 hook-driven containers start and stop on a pool of
/// 16, in waves of 24 plugged in at once (the pool runs dry and loads more)
/// and then stopped at once, every eighth without its poststop (a runtime
/// killed before it: reconcile archives it).
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
        // line-buffered: SIGTERM ends it without flushing stdio
        watch.executableURL = URL(fileURLWithPath: "/usr/bin/stdbuf")
        watch.arguments = ["-oL", TestSystem.product("tailtrace"), "reconcile", "--watch", "--interval", "1"]
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
        let race = Race()
        let loops = DispatchGroup()
        for _ in 0..<2 {
            loops.enter()
            Thread {
                defer { loops.leave() }
                while !race.workersDone {
                    guard let r = try? t.tailtrace(["reconcile"], check: false) else {
                        return race.fail("reconcile: no run")
                    }
                    if r.status != 0 || !r.stderr.isEmpty { race.fail("reconcile exited \(r.status): \(r.stderr)") }
                    race.countReconcile()
                }
            }.start()
        }
        // Waves of `concurrency`: all of a wave plugged in at once (more
        // than the pool holds), then all stopped at once.
        func inParallel(_ indices: Range<Int>, _ body: @escaping @Sendable (Int, HookDrivenContainer) throws -> Void) {
            let wave = DispatchGroup()
            for i in indices {
                wave.enter()
                Thread {
                    defer { wave.leave() }
                    do { try body(i, all[i]) } catch { race.fail("c\(i): \(error)") }
                }.start()
            }
            wave.wait()
        }
        var peaks: [Int] = []
        var loadedAtPeaks: [Int] = []
        for first in stride(from: 0, to: count, by: concurrency) {
            let wave = first..<min(first + concurrency, count)
            inParallel(wave) { i, c in
                let pre = try t.hook(.prestart, c)
                if pre.status != 0 || !pre.stderr.isEmpty { race.fail("c\(i) prestart \(pre.status): \(pre.stderr)") }
            }
            let peak = try t.statusJSON()
            peaks.append(peak["claimed"] as? Int ?? -1)
            loadedAtPeaks.append(peak["loaded"] as? Int ?? -1)
            inParallel(wave) { i, c in
                usleep(UInt32.random(in: 0...200_000))
                try t.stop(c)
                if i % 8 == 7 { return }  // the runtime died: no poststop
                let post = try t.hook(.poststop, c)
                if post.status != 0 || !post.stderr.isEmpty {
                    race.fail("c\(i) poststop \(post.status): \(post.stderr)")
                }
            }
        }
        race.workersDone = true
        loops.wait()
        sleep(1)  // at least one more pass of --watch
        kill(watch.processIdentifier, SIGTERM)
        watch.waitUntilExit()
        let (failures, reconciles) = (race.failures, race.reconciles)
        XCTAssertEqual(peaks, [24, 24, 16], "every container of a wave plugged in at once, beyond the pool")
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(reconciles, 2, "the reconcile loops ran while containers came and went")
        let watched = (try? String(contentsOfFile: watchLog, encoding: .utf8)) ?? ""
        XCTAssertFalse(watched.isEmpty, "reconcile --watch ran its passes")
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
        // modules loaded beyond the pool: by a prestart on an empty pool, or
        // by a reconcile's refill racing the wave
        print(
            "\(count) containers in waves of \(concurrency) on a pool of 16: claimed at the peaks \(peaks), "
                + "loaded \(loadedAtPeaks); \(reconciles) reconcile runs, "
                + "\(watched.split(separator: "\n").count) lines from --watch")
        XCTAssertEqual(try t.statusJSON()["loaded"] as? Int, 16, "reconcile shrank the pool back")
        try t.checkNothingLeaked(probe: "probe")
    }
}

/// What the threads of the race share, behind one lock.
private final class Race: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    private var runs = 0
    private var problems: [String] = []

    var workersDone: Bool {
        get { lock.withLock { done } }
        set { lock.withLock { done = newValue } }
    }
    var failures: [String] { lock.withLock { problems } }
    var reconciles: Int { lock.withLock { runs } }

    func fail(_ message: String) { lock.withLock { problems.append(message) } }
    func countReconcile() { lock.withLock { runs += 1 } }
}
