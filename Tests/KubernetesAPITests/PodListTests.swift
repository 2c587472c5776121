import Foundation
import XCTest

@testable import KubernetesAPI
@testable import TestSupport

final class PodListTests: XCTestCase {
    func testDecodesContainersOfEveryKindAndRuntime() throws {
        let list = try PodList(json: PodFixtures.twoNodes())
        XCTAssertEqual(list.resourceVersion, "12345")
        XCTAssertEqual(list.podCount, 3)
        // nginx, sidecar, sidecar's previous instance, migrate, debugger, redis,
        // postgres; "starting" has no id yet.
        XCTAssertEqual(list.containers.count, 7)

        let nginx = try XCTUnwrap(list.container(id: PodFixtures.containerID(1)))
        XCTAssertEqual(
            nginx,
            PodContainer(
                runtime: "containerd", containerID: PodFixtures.containerID(1), namespace: "shop", pod: "web-7d9f",
                podUID: "11111111-aaaa-4bbb-8ccc-000000000001", container: "nginx", node: "node-a",
                labels: ["app": "web", "tier": "frontend"]))

        XCTAssertEqual(list.container(id: PodFixtures.containerID(3))?.kind, .initContainer)
        XCTAssertEqual(list.container(id: PodFixtures.containerID(4))?.kind, .ephemeral)
        XCTAssertEqual(list.container(id: PodFixtures.containerID(6))?.runtime, "cri-o")
        XCTAssertEqual(list.container(id: PodFixtures.containerID(6))?.pod, "cache-0")
        XCTAssertEqual(list.container(id: PodFixtures.containerID(8))?.runtime, "docker")

        let previous = try XCTUnwrap(list.container(id: PodFixtures.containerID(5)))
        XCTAssertEqual(previous.container, "sidecar")
        XCTAssertFalse(previous.current)
        XCTAssertEqual(list.container(id: PodFixtures.containerID(2))?.current, true)
    }

    func testLookupAcceptsTheStatusFormAndMissesUnknownIDs() throws {
        let list = try PodList(json: PodFixtures.twoNodes())
        XCTAssertEqual(list.container(id: "containerd://" + PodFixtures.containerID(1))?.container, "nginx")
        XCTAssertNil(list.container(id: PodFixtures.containerID(99)))
        XCTAssertNil(list.container(id: ""))
    }

    func testNodeFilterDropsPodsOfOtherNodes() throws {
        let list = try PodList(json: PodFixtures.twoNodes(), node: "node-b")
        XCTAssertEqual(list.podCount, 1)
        XCTAssertEqual(list.containers.map(\.pod), ["db-0"])
    }

    func testToleratesMissingAndNullFields() throws {
        let json = """
            {"kind":"PodList","apiVersion":"v1","metadata":{},"items":[
              {"metadata":{"name":"pending","namespace":"ns","uid":"u"},"spec":{},"status":{"phase":"Pending"}},
              {"metadata":{"name":"bare"},"status":{"containerStatuses":[{"name":"c","containerID":"containerd://abc","newField":{"x":[1,2]}}]}},
              {}
            ],"unknownTopLevel":true}
            """
        let list = try PodList(json: Data(json.utf8))
        XCTAssertNil(list.resourceVersion)
        XCTAssertEqual(list.podCount, 3)
        XCTAssertEqual(list.containers.count, 1)
        XCTAssertEqual(list.container(id: "abc")?.pod, "bare")
        XCTAssertEqual(list.container(id: "abc")?.labels, [:])

        let empty = try PodList(
            json: Data(#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"9"},"items":null}"#.utf8))
        XCTAssertEqual(empty.containers, [])
    }

    func testMalformedJSONIsAnError() {
        for body in ["{\"kind\":\"PodList\",\"items\":[", "<html>502 Bad Gateway</html>", "", #"{"items":{"a":1}}"#] {
            XCTAssertThrowsError(try PodList(json: Data(body.utf8)), body) { error in
                XCTAssertEqual((error as? KubeError)?.kind, .malformedResponse, "\(error)")
            }
        }
    }

    func testAStatusIsNotAPodList() {
        let status = #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"x","code":500}"#
        XCTAssertThrowsError(try PodList(json: Data(status.utf8))) { error in
            XCTAssertEqual((error as? KubeError)?.kind, .malformedResponse)
            XCTAssertTrue("\(error)".contains("Status"), "\(error)")
        }
    }

    func testSplitsContainerReferences() {
        XCTAssertTrue(PodList.split("containerd://abc")! == ("containerd", "abc"))
        XCTAssertTrue(PodList.split("CRI-O://abc")! == ("cri-o", "abc"))
        XCTAssertTrue(PodList.split("abc")! == ("", "abc"))
        XCTAssertNil(PodList.split("docker://"))
        XCTAssertNil(PodList.split(""))
    }

    /// A big cluster node list: 10,000 real-shaped pods (two containers each,
    /// ~25 MiB of JSON) must decode in well under the reconcile interval.
    func testTenThousandPodsDecodeQuickly() throws {
        let json = try PodFixtures.manyPods(10_000, node: "node-a")

        let clock = ContinuousClock()
        var list: PodList?
        let elapsed = try clock.measure { list = try PodList(json: json, node: "node-a") }
        let decoded = try XCTUnwrap(list)
        print("decoded \(decoded.podCount) pods (\(json.count / 1024) KiB of JSON) in \(elapsed)")

        XCTAssertEqual(decoded.podCount, 10_000)
        XCTAssertEqual(decoded.containers.count, 20_000)
        XCTAssertLessThan(elapsed, .seconds(5))

        let lookups = clock.measure {
            for n in stride(from: 0, to: 20_000, by: 7) {
                XCTAssertNotNil(decoded.container(id: PodFixtures.containerID(n)))
            }
        }
        XCTAssertLessThan(lookups, .seconds(1))
        XCTAssertEqual(decoded.container(id: PodFixtures.containerID(19_999))?.pod, "pod-9999")
        XCTAssertEqual(decoded.container(id: PodFixtures.containerID(19_999))?.container, "sidecar")
    }
}
