import Glibc
import XCTest

@testable import Shared

/// Generated bad input for the two parsers that read what a runtime hands a
/// hook: 100,000 inputs, each fed to both. Deterministic (fixed seed) so a
/// failure can be replayed; set TAILTRACE_FUZZ_SEED and TAILTRACE_FUZZ_COUNT
/// to explore further, e.g.
/// `TAILTRACE_FUZZ_SEED=7 TAILTRACE_FUZZ_COUNT=2000000 swift test --filter ParserFuzzTests`.
///
/// An XCTest rather than a swift-testing test: swift-testing records a
/// backtrace for every thrown error, and nearly every input here throws;
/// that alone made the run ~70% slower.
final class ParserFuzzTests: XCTestCase {
    func testStateAndConfigParsersSurviveGeneratedInput() {
        let environment = { (name: String) in getenv(name).map { String(cString: $0) } }
        let seed = environment("TAILTRACE_FUZZ_SEED").flatMap { UInt64($0) } ?? 0x7a11_7ace
        let count = environment("TAILTRACE_FUZZ_COUNT").flatMap { Int($0) } ?? 100_000
        var generator = JSONMutator(seed: seed)
        var acceptedStates = 0
        var acceptedConfigs = 0
        var violations: [String] = []
        for _ in 0..<count {
            let input = generator.next()
            if let state = try? OCIState(json: input) {
                acceptedStates += 1
                if !ContainerID.isValid(state.id) || !state.bundle.hasPrefix("/") || (state.pid ?? 1) <= 0 {
                    violations.append(String(decoding: input.prefix(300), as: UTF8.self))
                }
            }
            if let config = try? OCIBundleConfig(json: input) {
                acceptedConfigs += 1
                if config.cgroupsPath?.utf8.contains(0) == true {
                    violations.append(String(decoding: input.prefix(300), as: UTF8.self))
                }
            }
        }
        XCTAssert(violations.isEmpty, "accepted invalid input: \(violations.prefix(3))")
        // The generator must reach the accepting paths, not only the errors.
        XCTAssertGreaterThan(acceptedStates, count / 50, "too few states accepted")
        XCTAssertGreaterThan(acceptedConfigs, count / 50, "too few configs accepted")
    }
}

/// Makes JSON-ish inputs: random bytes, truncated and bit-flipped seeds,
/// states assembled from good and bad field values (type swaps, nasty ids,
/// huge strings), and deep nesting.
struct JSONMutator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// SplitMix64.
    private mutating func random() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private mutating func below(_ bound: Int) -> Int { Int(random() % UInt64(bound)) }
    private mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }

    static let seeds: [[UInt8]] = [
        Fixtures.podmanPrestartState, Fixtures.podmanPoststopState, Fixtures.crioConfig,
        Fixtures.containerdConfig,
        Fixtures.containerdSandboxConfig,
        #"{"ociVersion":"1.0.2","id":"myctr","status":"created","pid":42,"bundle":"/run/b"}"#,
    ].map { Array($0.utf8) }

    static let podmanConfig = Array(Fixtures.podmanConfig.utf8)

    static let nastyIDs = [
        #""../../etc/passwd""#, #""a/b""#, #""..""#, #"".""#, #""""#, #""-rf""#, #"".hidden""#,
        #""a\u0000b""#,
        #""a\nb""#, #""a\u001bb""#, #""caf\u00e9""#, #""\ud800""#, #""a..b""#, #""ok-id""#,
        #""ok_id.1""#,
        #""k8s_app_pod_ns_uid_0""#, "42", "null", "true", "[]", "{}", #"["a"]"#, "1e400", "-0",
    ]
    static let pids = [
        "4585", "0", "-1", "2147483648", "99999999999999999999", "1.5", #""12""#, "null", "[]", "1e3",
    ]
    static let bundles = [
        #""/var/lib/containers/storage/overlay-containers/x/userdata""#, #""relative""#, #""/a/../b""#,
        #""/""#,
        #""""#, #""/a\u0000b""#, "7", "null", #"{"p":"/"}"#,
    ]
    static let annotationValues = [
        #"{"io.tailtrace.trace":"true"}"#, "{}", "null", "[]", #"{"k":1}"#, #"{"k":null}"#,
        #"{"k":{"n":"v"}}"#,
        #"{"io.kubernetes.cri-o.Labels":"{\"a\":\"b\"}"}"#, #"{"":""}"#,
    ]

    mutating func next() -> [UInt8] {
        switch below(400) {
        case 0..<40: return (0..<below(256)).map { _ in UInt8(truncatingIfNeeded: random()) }
        case 40..<100:
            let seed = pick(Self.seeds)
            return Array(seed.prefix(below(seed.count + 1)))
        case 100..<160: return flipped(pick(Self.seeds))
        case 160..<200: return spliced(pick(Self.seeds))
        // Big inputs are built once (building is what costs in a debug
        // build) and are rare: each takes milliseconds to scan.
        case 200: return pick(Self.deeplyNested)
        case 201: return pick(Self.hugeStrings)
        // podman's real 11 KB config (seccomp profile included), less often.
        case 202..<212:
            let config = Self.podmanConfig
            return below(2) == 0 ? Array(config.prefix(below(config.count + 1))) : flipped(config)
        default: return assembled()
        }
    }

    private mutating func flipped(_ seed: [UInt8]) -> [UInt8] {
        var bytes = seed
        for _ in 0..<(1 + below(8)) where !bytes.isEmpty {
            bytes[below(bytes.count)] = pick([
                UInt8(truncatingIfNeeded: random()), 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x00, 0x2f,
            ])
        }
        return bytes
    }

    private mutating func spliced(_ seed: [UInt8]) -> [UInt8] {
        var bytes = seed
        let fragment = Array(
            pick(Self.nastyIDs + Self.pids + Self.annotationValues + [",", ":", "\"", "{", "]"]).utf8)
        bytes.insert(contentsOf: fragment, at: below(bytes.count + 1))
        return bytes
    }

    /// Arrays or objects nested 10 to 100,000 deep, closed or not, alone or
    /// as the value of an unknown field of a valid state.
    static let deeplyNested: [[UInt8]] = [10, 100, 511, 512, 513, 5_000, 100_000].flatMap { depth in
        [true, false].flatMap { objects in
            [true, false].flatMap { closed in
                var value = [UInt8]()
                for _ in 0..<depth { value += objects ? Array(#"{"a":"#.utf8) : [UInt8(ascii: "[")] }
                value.append(UInt8(ascii: "1"))
                if closed { value += Array(repeating: UInt8(ascii: objects ? "}" : "]"), count: depth) }
                return [
                    value,
                    Array(#"{"id":"deep","status":"running","bundle":"/b","x":"#.utf8) + value + [
                        UInt8(ascii: "}")
                    ],
                ]
            }
        }
    }

    /// Ids, annotation values, hostnames and cgroup paths of 129 bytes to
    /// 600 KB, made of path characters, escaped NULs and non-ASCII.
    static let hugeStrings: [[UInt8]] = [129, 256, 4096, 100_000, 600_000].flatMap { length in
        ["a", "/", ".", "\\u0000", "é"].flatMap { unit in
            let text = String(repeating: unit, count: length)
            return [
                #"{"id":"\#(text)","status":"running","bundle":"/b"}"#,
                #"{"id":"a","status":"running","bundle":"/b","annotations":{"k":"\#(text)"}}"#,
                #"{"hostname":"\#(text)","linux":{"cgroupsPath":"/\#(text)"}}"#,
            ].map { Array($0.utf8) }
        }
    }

    /// A state or config with each field drawn from good and bad values.
    private mutating func assembled() -> [UInt8] {
        var fields: [String] = []
        func maybe(_ probability: Int, _ field: @autoclosure () -> String) {
            if below(100) < probability { fields.append(field()) }
        }
        let goodID = below(2) == 0
        maybe(80, #""ociVersion":"# + pick([#""1.0.2-dev""#, "1", "null"]))
        maybe(95, #""id":"# + (goodID ? #""c\#(below(1_000_000))""# : pick(Self.nastyIDs)))
        maybe(95, #""status":"# + pick([#""creating""#, #""stopped""#, #""""#, "0", #""a b""#]))
        maybe(60, #""pid":"# + (below(2) == 0 ? String(1 + below(4_000_000)) : pick(Self.pids)))
        maybe(95, #""bundle":"# + (below(2) == 0 ? #""/run/b\#(below(100))""# : pick(Self.bundles)))
        maybe(70, #""annotations":"# + pick(Self.annotationValues))
        maybe(
            40,
            #""linux":"#
                + pick([
                    #"{"cgroupsPath":"/a/b"}"#, #"{"cgroupsPath":7}"#, "[]", #"{"cgroupsPath":"/a\u0000"}"#,
                ]))
        maybe(
            40, #""process":"# + pick([#"{"args":["sh"]}"#, #"{"args":"sh"}"#, #"{"args":[1]}"#, "null"]))
        maybe(30, #""hostname":"# + pick([#""h""#, "1", "null"]))
        maybe(
            30, #""unknown\#(below(10))":"# + pick(["{}", "[1,{\"x\":[]}]", "\"\\u0000\"", "1e999", "-"]))
        for _ in 0..<below(3) where !fields.isEmpty {
            fields.swapAt(below(fields.count), below(fields.count))
        }
        return Array(("{" + fields.joined(separator: ",") + "}").utf8)
    }
}
