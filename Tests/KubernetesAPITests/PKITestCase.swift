import Foundation
import XCTest

@testable import TestSupport

/// Test cases that need certificates share one PKI per class (openssl takes
/// a few hundred milliseconds for the whole set).
class PKITestCase: XCTestCase {
    nonisolated(unsafe) private static var shared: TestPKI?
    nonisolated(unsafe) private static var sharedError: Error?

    override class func setUp() {
        super.setUp()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tailtrace-kube-pki-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            shared = try TestPKI(directory: directory)
            sharedError = nil
        } catch {
            shared = nil
            sharedError = error
        }
    }

    override class func tearDown() {
        if let directory = shared?.directory { try? FileManager.default.removeItem(atPath: directory) }
        shared = nil
        super.tearDown()
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        if let error = Self.sharedError { throw TestFailure("could not make the test PKI: \(error)") }
    }

    var pki: TestPKI { Self.shared! }
}
