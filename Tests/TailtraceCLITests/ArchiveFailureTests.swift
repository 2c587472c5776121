import Foundation
import XCTest

@testable import TestSupport

/// No trace is lost because the archive could not be written: with the
/// archive dir on a full 64 KiB tmpfs, a stopped container's ring stays in
/// its slot (readable, counted as pending), and the next reconcile archives
/// it once there is room.
final class ArchiveFailureTests: XCTestCase {
    var t: TestInstallation!
    var mounted: String?

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "loading BPF and mounting tmpfs need root")
        t = try TestInstallation()
    }

    override func tearDown() {
        if let mounted { umount(mounted) }
        t?.tearDown()
    }

    func json(_ args: String...) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(t.tailtrace(args + ["--output", "json"]).stdout.utf8))
    }

    func testFullArchiveDiskKeepsTheTraceUntilItCanBeWritten() throws {
        let archive = try XCTUnwrap(t.environment["TAILTRACE_ARCHIVE_DIR"])
        try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
        XCTAssertEqual(mount("tailtrace-test", archive, "tmpfs", 0, "size=64k,mode=0700"), 0, "mount tmpfs")
        mounted = archive
        // full: archives are compressed, so even a small one would fit otherwise
        let filler = archive + "/filler"
        FileManager.default.createFile(atPath: filler, contents: Data(count: 64 << 10))

        let workload = try TestSystem.workload()
        try t.install("--pool", "2")
        let cg = try t.makeCgroup("full")
        try t.tailtrace("attach", "--cgroup", cg, "--name", "full")
        XCTAssertEqual(try t.run(inCgroup: cg, [workload, "full"]).status, 3)

        let detach = try t.tailtrace(["detach", "full"], check: false)
        XCTAssertNotEqual(detach.status, 0)
        XCTAssertTrue(detach.stderr.contains("could not archive its trace"), detach.stderr)
        XCTAssertTrue(detach.stderr.contains("No space left on device"), detach.stderr)
        XCTAssertFalse(detach.stderr.contains("untraced"), "it was traced: \(detach.stderr)")

        let pending = try XCTUnwrap((try json("list") as? [[String: Any]])?.first { $0["name"] as? String == "full" })
        XCTAssertEqual(pending["state"] as? String, "exited", "\(pending)")
        XCTAssertNotNil(pending["archive_pending"] as? String)
        XCTAssertTrue(try t.tailtrace("list").stdout.contains("exited, archive pending"))
        let status = try XCTUnwrap(try json("status") as? [String: Any])
        XCTAssertEqual(status["archive_pending"] as? Int, 1)
        XCTAssertEqual(status["claimed"] as? Int, 0)
        XCTAssertEqual(status["free"] as? Int, 1, "the pending ring's slot is not free")
        XCTAssertTrue(
            try t.tailtrace("dump", "full").stdout.contains(#"buf="hello from full\n""#), "the ring is read live")

        // Room again: reconcile archives it and frees the slot.
        try FileManager.default.removeItem(atPath: filler)
        let reconcile = try t.tailtrace("reconcile").stdout
        XCTAssertTrue(reconcile.contains("full is gone: trace archived"), reconcile)
        let archived = try XCTUnwrap((try json("list") as? [[String: Any]])?.first { $0["name"] as? String == "full" })
        XCTAssertTrue(archived["archive_pending"] is NSNull, "\(archived)")
        XCTAssertNotNil(archived["archive"] as? String)
        let after = try XCTUnwrap(try json("status") as? [String: Any])
        XCTAssertEqual(after["archive_pending"] as? Int, 0)
        XCTAssertEqual(after["free"] as? Int, 2)
        XCTAssertTrue(try t.tailtrace("dump", "full").stdout.contains(#"buf="hello from full\n""#), "from the archive")
    }
}
