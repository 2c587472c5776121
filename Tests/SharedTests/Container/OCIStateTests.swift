import Glibc
import Testing

@testable import Shared

@Suite struct OCIStateTests {
    @Test func podmanPrestartState() throws {
        let state = try OCIState(json: bytes(Fixtures.podmanPrestartState))
        #expect(state.ociVersion == "1.0.2-dev")
        #expect(state.id == Fixtures.podmanID)
        #expect(state.status == .creating)
        #expect(state.pid == 4585)
        #expect(
            state.bundle == "/var/lib/containers/storage/overlay-containers/\(Fixtures.podmanID)/userdata"
        )
        #expect(state.annotations["io.container.manager"] == "libpod")
        #expect(
            TracePolicy(annotations: state.annotations)
                == TracePolicy(annotations: ["io.tailtrace.trace": "true"]))
    }

    @Test func podmanPoststopStateHasNoPid() throws {
        let state = try OCIState(json: bytes(Fixtures.podmanPoststopState))
        #expect(state.status == .stopped)
        #expect(state.pid == nil)
        #expect(state.annotations["io.container.manager"] == nil)
    }

    @Test func minimalAndExtraFields() throws {
        let state = try OCIState(
            json: bytes(#"{"id":"myctr","status":"running","bundle":"/b","future":{"x":[1,2]},"pid":0}"#))
        #expect(state.ociVersion == nil)
        #expect(state.pid == nil)
        #expect(state.annotations.isEmpty)
        let nullAnnotations = try OCIState(
            json: bytes(#"{"id":"a","status":"created","pid":7,"bundle":"/b","annotations":null}"#))
        #expect(nullAnnotations.pid == 7)
    }

    @Test(arguments: [
        (#"{"status":"running","bundle":"/b"}"#, "field \"id\": missing"),
        (#"{"id":42,"status":"running","bundle":"/b"}"#, "field \"id\": expected String"),
        (#"{"id":"a","status":"running","bundle":"/b","pid":"12"}"#, "field \"pid\": expected Int64"),
        (
            #"{"id":"a","status":"running","bundle":"/b","pid":99999999999}"#,
            "pid 99999999999 out of range"
        ),
        (#"{"id":"a","status":"running","bundle":"/b","pid":-2147483649}"#, "negative pid"),
        (
            #"{"id":"a","status":"running","bundle":"/b","annotations":{"k":1}}"#,
            "field \"annotations.k\""
        ),
        (#"{"id":"a","status":"running","bundle":"/b","pid":-3}"#, "negative pid"),
        (#"{"id":"../etc","status":"running","bundle":"/b"}"#, "contains '/'"),
        (#"{"id":"a..b","status":"running","bundle":"/b"}"#, "contains '..'"),
        (#"{"id":"a\u0001","status":"running","bundle":"/b"}"#, "control character"),
        (#"{"id":"a","status":"running","bundle":"relative/b"}"#, "not an absolute path"),
        (#"{"id":"a","status":"running","bundle":"/x/../etc"}"#, "'..' component"),
        (#"{"id":"a","status":"","bundle":"/b"}"#, "bad status"),
        (#"{"id":"a","status":"running","bundle":"/b""#, "OCI state"),
        ("[]", "expected"),
    ])
    func rejectsWithAClearMessage(json: String, expected: String) {
        do {
            _ = try OCIState(json: bytes(json))
            Issue.record("accepted \(json)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
            #expect("\(error)".hasPrefix("OCI state") || "\(error)".hasPrefix("container id"))
        }
    }

    @Test func readsStdinWithABound() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let state = Array(Fixtures.podmanPrestartState.utf8)
        #expect(write(fds[1], state, state.count) == state.count)
        close(fds[1])
        #expect(try OCIState.read(fd: fds[0]).pid == 4585)
        close(fds[0])

        #expect(pipe(&fds) == 0)
        let huge = [UInt8](repeating: UInt8(ascii: " "), count: 8192)
        #expect(write(fds[1], huge, huge.count) == huge.count)
        close(fds[1])
        #expect(throws: ContainerInputError.self) { try OCIState.read(fd: fds[0], limit: 4096) }
        close(fds[0])
    }
}
