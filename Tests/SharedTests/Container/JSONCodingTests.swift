import FoundationEssentials
import Testing

@testable import Shared

/// TreeJSONDecoder and TreeJSONEncoder (the hooks' JSON) against
/// FoundationEssentials' JSONDecoder and JSONEncoder: the same values, the
/// same errors in words, the same bytes.
@Suite struct JSONCodingTests {
    struct Sample: Codable, Equatable {
        var id: String
        var pid: Int32?
        var big: UInt64
        var negative: Int64
        var flag: Bool
        var ratio: Double?
        var labels: [String: String]
        var list: [Int]
        var nested: [String: [String]]?
    }

    static let record = ContainerRecord(
        id: "web-1", name: "web-1.x_y", runtime: .podman, source: .hook, cgroupPath: "/a/b", cgroupID: 1 << 60,
        key: UInt64.max, keyMode: .cgroup, slot: 3, generation: 4_000_000_000, namespace: "prod-é💥", pod: nil,
        labels: ["app": "shop", "tier": "web", "a/b": "c\\d"], annotations: ["io.tailtrace.trace": "true", "io.tailtrace.note": "\"1\"\n\u{1}\u{7f}/\\"], pid: -1,
        startedAt: "2026-12-01T10:00:00.000000001Z", exitStatus: 139)

    @Test func aRecordIsWrittenAsJSONEncoderWritesIt() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let theirs = Array(try encoder.encode(Self.record))
        let ours = try TreeJSONEncoder.encode(Self.record)
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: theirs, as: UTF8.self))
        #expect(try TreeJSONDecoder.decode(ContainerRecord.self, from: ours) == Self.record)
        #expect(try JSONDecoder().decode(ContainerRecord.self, from: Data(ours)) == Self.record)
    }

    @Test func samplesRoundTripBothWays() throws {
        let sample = Sample(
            id: "x", pid: nil, big: UInt64.max, negative: Int64.min, flag: true, ratio: 0.25, labels: ["k": "v"],
            list: [1, -2, 3], nested: ["a": ["b", "c"], "d": []])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(
            String(decoding: try TreeJSONEncoder.encode(sample), as: UTF8.self)
                == String(decoding: try encoder.encode(sample), as: UTF8.self))
        #expect(try TreeJSONDecoder.decode(Sample.self, from: Array(try encoder.encode(sample))) == sample)
    }

    /// Valid and invalid documents: both decoders accept the same ones with
    /// the same value, and refuse the others with the same words.
    @Test(arguments: [
        #"{"id":"a","big":1,"negative":-1,"flag":false,"labels":{},"list":[]}"#,
        #" { "id" : "a\u00e9\ud83d\udca5\n\/" , "big" : 1e3, "negative" : -0, "flag" : true, "labels" : {"x":"y","x":"z"}, "list" : [ 1 , 2 ] , "ratio": 1.5E-3 } "#,
        #"{"id":"a","big":18446744073709551615,"negative":-9223372036854775808,"flag":true,"labels":{},"list":[],"nested":null,"pid":null}"#,
        #"{"id":"a","big":18446744073709551616,"negative":1,"flag":true,"labels":{},"list":[]}"#,
        #"{"id":"a","big":1.5,"negative":1,"flag":true,"labels":{},"list":[]}"#,
        #"{"id":"a","big":-1,"negative":1,"flag":true,"labels":{},"list":[]}"#,
        #"{"id":"a","big":1,"negative":1,"flag":true,"labels":{"k":1},"list":[]}"#,
        #"{"id":"a","big":1,"negative":1,"flag":"true","labels":{},"list":[]}"#,
        #"{"id":"a","big":1,"negative":1,"flag":true,"labels":{},"list":[1,"2"]}"#,
        #"{"id":null,"big":1,"negative":1,"flag":true,"labels":{},"list":[]}"#,
        #"{"big":1,"negative":1,"flag":true,"labels":{},"list":[]}"#,
        #"{"id":"a","big":1,"negative":1,"flag":true,"labels":{},"list":[],"pid":2147483648}"#,
        #"{"id":"a","big":01,"negative":1,"flag":true,"labels":{},"list":[]}"#,
        #"{"id":"a\ud800","big":1,"negative":1,"flag":true,"labels":{},"list":[]}"#,
        "{\"id\":\"a\tb\",\"big\":1,\"negative\":1,\"flag\":true,\"labels\":{},\"list\":[]}",
        #"{"id":"a","big":1,"negative":1,"flag":true,"labels":{},"list":[]} x"#,
        #"{"id":"a","big":1,"negative":1,"flag":true,"labels":{},"list":[],}"#,
        #"[1,2]"#, #""a""#, "", "nul", #"{"id":"a""#,
    ])
    func decodersAgree(document: String) {
        let bytes = Array(document.utf8)
        let theirs = Result { try JSONDecoder().decode(Sample.self, from: Data(bytes)) }
        let ours = Result { try TreeJSONDecoder.decode(Sample.self, from: bytes) }
        switch (theirs, ours) {
        case (.success(let a), .success(let b)): #expect(a == b)
        case (.failure(let a as DecodingError), .failure(let b as DecodingError)):
            // Invalid JSON is refused by both; where the data is, the words are the same.
            if case .dataCorrupted = a, case .dataCorrupted = b { break }
            #expect(JSONInput.describe(a) == JSONInput.describe(b))
        case (.success, .failure) where document.hasSuffix(",}"):
            break  // JSONDecoder takes a trailing comma; RFC 8259 does not, nor do we
        default: Issue.record("JSONDecoder: \(theirs), TreeJSONDecoder: \(ours)")
        }
    }

    /// superEncoder()/superDecoder() use the key "super", which a CodingKeys
    /// enum need not have.
    struct WithSuper: Codable, Equatable {
        var id: String
        var base: Int
        enum CodingKeys: String, CodingKey { case id }
        init(id: String, base: Int) {
            self.id = id
            self.base = base
        }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            base = try Int(from: c.superDecoder())
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try base.encode(to: c.superEncoder())
        }
    }

    @Test func superKeysNeedNoCaseOfTheirOwn() throws {
        let value = WithSuper(id: "a", base: 7)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let ours = try TreeJSONEncoder.encode(value)
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: try encoder.encode(value), as: UTF8.self))
        #expect(try TreeJSONDecoder.decode(WithSuper.self, from: ours) == value)
    }

    @Test func invalidUTF8AndDeepNestingAreRefused() {
        #expect(throws: DecodingError.self) { try TreeJSONDecoder.decode(String.self, from: [0x22, 0xff, 0x22]) }
        let deep = Array(String(repeating: "[", count: 600).utf8) + Array(String(repeating: "]", count: 600).utf8)
        #expect(throws: DecodingError.self) { try TreeJSONDecoder.decode([Int].self, from: deep) }
    }

    /// The fuzzer's inputs (ParserFuzzTests) through both decoders: the
    /// same acceptance, the same states and configs.
    @Test func generatedInputIsTakenAlikeByBoth() {
        var generator = JSONMutator(seed: 0x5eed)
        for _ in 0..<5000 {
            let input = generator.next()
            let ours = try? TreeJSONDecoder.decode(ContainerRecord.self, from: input)
            let theirs = try? JSONDecoder().decode(ContainerRecord.self, from: Data(input))
            #expect(ours == theirs, "\(String(decoding: input.prefix(200), as: UTF8.self))")
            let oursState = try? TreeJSONDecoder.decode([String: String].self, from: input)
            let theirsState = try? JSONDecoder().decode([String: String].self, from: Data(input))
            #expect(oursState == theirsState, "\(String(decoding: input.prefix(200), as: UTF8.self))")
        }
    }
}
