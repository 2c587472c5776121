import CommandLineSupport
import Foundation
import XCTest

@testable import TestSupport

/// `attach` and `detach` of a plain command line run without
/// swift-argument-parser (`QuickCommand`); every other line is the parser's.
final class QuickCommandTests: XCTestCase {
    func testOnlyPlainLinesAreTakenWithoutTheParser() {
        let options: Set<String> = ["cgroup", "name", "pin-root"]
        func plain(_ words: [String], positionals: Int = 0) -> PlainArguments? {
            PlainArguments(words, options: options, positionals: positionals)
        }
        XCTAssertEqual(
            plain(["--cgroup", "/a", "--name=web", "--pin-root=/p=q"]),
            PlainArguments(options: ["cgroup": "/a", "name": "web", "pin-root": "/p=q"], positionals: []))
        XCTAssertEqual(plain(["--name", ""]), PlainArguments(options: ["name": ""], positionals: []))
        XCTAssertEqual(plain(["web-1", "--name", "x"], positionals: 1)?.positionals, ["web-1"])
        for refused in [
            ["--help"], ["-h"], ["--cgroup"], ["--cgroup", "--name", "x"], ["--cgroup", "-x"], ["--bogus", "1"],
            ["--name", "a", "--name", "b"], ["--name=a", "--name", "b"], ["--"], ["-n", "x"], ["stray"],
        ] {
            XCTAssertNil(plain(refused), "\(refused)")
        }
        XCTAssertNil(plain([], positionals: 1), "a positional missing")
        XCTAssertNil(plain(["a", "b"], positionals: 1), "one too many")
    }

    /// A line taken without the parser fails as the same line through the
    /// parser does (a repeated option, whose last value the parser takes,
    /// sends a line there).
    func testErrorsReadTheSameEitherWay() throws {
        let tailtrace = TestSystem.product("tailtrace")
        let missing = NSTemporaryDirectory() + "tailtrace-test-quick-\(UUID().uuidString)"
        let dirs = ["--state-dir", missing + "/state", "--archive-dir", missing + "/archive"]
        for (quick, parsed) in [
            (
                ["attach", "--cgroup", "/x", "--pin-root", missing + "/pins"] + dirs,
                ["attach", "--cgroup", "/y", "--cgroup", "/x", "--pin-root", missing + "/pins"] + dirs
            ),
            (
                ["detach", "web", "--pin-root=" + missing + "/pins"] + dirs,
                ["detach", "web", "--pin-root", "/elsewhere", "--pin-root", missing + "/pins"] + dirs
            ),
        ] {
            let a = try TestSystem.run(tailtrace, quick)
            let b = try TestSystem.run(tailtrace, parsed)
            XCTAssertNotEqual(a.status, 0, a.stdout)
            XCTAssertEqual(a.status, b.status, "\(quick)")
            XCTAssertEqual(a.stdout, b.stdout, "\(quick)")
            XCTAssertEqual(a.stderr, b.stderr, "\(quick)")
            XCTAssertTrue(a.stderr.hasPrefix("Error: "), a.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing), "a failed attach made nothing")
    }

    /// Lines that are not plain get the parser's answers.
    func testOtherLinesAreTheParsers() throws {
        let tailtrace = TestSystem.product("tailtrace")
        for (args, expected) in [
            (["attach"], "Missing expected argument '--cgroup <cgroup>'"),
            (["attach", "--cgroup"], "Missing value for '--cgroup <cgroup>'"),
            (["detach", "--bogus", "x"], "Unknown option '--bogus'"),
            (["detach", "a", "b"], "Unexpected argument 'b'"),
        ] {
            let r = try TestSystem.run(tailtrace, args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
        }
        let help = try TestSystem.run(tailtrace, ["detach", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("USAGE: tailtrace detach"), help.stdout)
    }
}
