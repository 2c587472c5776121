import FoundationEssentials
import Testing

@testable import Shared

func sampleRecord(
    id: String = Fixtures.podmanID, name: String = "tt-capture", slot: Int = 3,
    source: ContainerSource = .hook
) -> ContainerRecord {
    ContainerRecord(
        id: id, name: name, runtime: .podman, source: source, cgroupPath: "/libpod_parent/libpod-\(id)",
        cgroupID: 8123, key: 8123, keyMode: .cgroup, slot: slot, generation: 7, labels: ["app": "web"],
        annotations: ["io.tailtrace.trace": "true"], pid: 4585,
        startedAt: "2026-11-27T16:21:30.061646935Z")
}

@Suite struct ContainerRecordTests {
    /// `tailtrace list --output json` relies on every key being present.
    @Test func everyKeyIsWrittenInSnakeCase() throws {
        let json = String(decoding: try StateStore.encode(sampleRecord()), as: UTF8.self)
        let object = try JSONDecoder().decode([String: JSONValue].self, from: Data(json.utf8))
        let required = [
            "id", "name", "runtime", "source", "state", "cgroup_id", "slot", "namespace", "pod",
            "container", "labels",
            "cgroup_path", "key", "key_mode", "generation", "pod_uid", "annotations", "pid", "bundle",
            "started_at",
            "stopped_at", "archive", "exit_code", "killed_by", "core_dumped", "archive_pending", "clock_offset_ns",
        ]
        #expect(Set(object.keys) == Set(required))
        #expect(object["exit_code"] == .null, "running: no end yet")
        #expect(object["namespace"] == .null)
        #expect(object["stopped_at"] == .null)
        #expect(object["runtime"] == .string("podman"))
        #expect(object["source"] == .string("hook"))
        #expect(object["state"] == .string("running"))
        #expect(object["key_mode"] == .string("cgroup"))
        #expect(object["cgroup_id"] == .number(8123))
        #expect(json.contains(#""cgroup_path":"/libpod_parent/libpod-"#))  // slashes unescaped
    }

    /// How a container ended survives the JSON round trip, in both forms.
    @Test func endRoundTrips() throws {
        for status: Int32 in [3 << 8, 11 | 0x80, 9] {
            var record = sampleRecord()
            record.state = .exited
            record.exitStatus = status
            let back = try JSONDecoder().decode(ContainerRecord.self, from: Data(try StateStore.encode(record)))
            #expect(back.exitStatus == status)
        }
        var killed = sampleRecord()
        killed.exitStatus = 11 | 0x80
        let json = String(decoding: try StateStore.encode(killed), as: UTF8.self)
        #expect(json.contains(#""killed_by":11"#) && json.contains(#""core_dumped":true"#) && json.contains(#""exit_code":null"#))
    }

    @Test func roundTripAndLargeKeys() throws {
        var record = sampleRecord()
        record.key = UInt64.max
        record.namespace = "shop"
        let decoded = try JSONDecoder().decode(
            ContainerRecord.self, from: Data(try StateStore.encode(record)))
        #expect(decoded == record)
    }

    @Test func decodingRejectsUnsafeIDsAndNames() throws {
        var object = String(decoding: try StateStore.encode(sampleRecord()), as: UTF8.self)
        object = object.replacingOccurrences(of: #""name":"tt-capture""#, with: #""name":"../x""#)
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(ContainerRecord.self, from: Data(object.utf8))
        }
    }

    @Test func timestamps() {
        #expect(RFC3339Time.format(nanoseconds: 0) == "1970-01-01T00:00:00.000000000Z")
        #expect(
            RFC3339Time.format(nanoseconds: 1_795_796_490_061_646_935) == "2026-11-27T16:21:30.061646935Z"
        )
        #expect(RFC3339Time.now().hasSuffix("Z"))
    }
}

/// Just enough JSON to check shapes without Foundation's JSONSerialization.
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }
}
