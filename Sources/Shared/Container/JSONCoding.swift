import FoundationEssentials

/// JSON for the hooks' path: the OCI state, config.json and the records
/// in the state dir and archives, through the types' own Codable
/// conformances. FoundationEssentials' JSONDecoder and JSONEncoder are
/// correct but costly to start: their first use in a process instantiates
/// generic metadata and scans protocol conformances (~0.6 ms of CPU each
/// in a static hook binary here, a third of a hook's own work), and a hook
/// is a fresh process on every container start and stop. This is a small
/// RFC 8259 reader into a value tree, and a Decoder and Encoder over that
/// tree; it throws the same `DecodingError`s as JSONDecoder, so
/// `JSONInput.describe` words errors the same, and writes what JSONEncoder
/// writes with `.sortedKeys` and `.withoutEscapingSlashes`
/// (Tests/SharedTests/Container/JSONCodingTests.swift compares both).
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    /// The number's text as written (integers keep every digit).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

// MARK: - Reading

struct JSONReader {
    /// JSONDecoder's nesting limit.
    static let maximumDepth = 512
    private let bytes: [UInt8]
    private var i = 0
    private var depth = 0

    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        var reader = JSONReader(bytes: bytes)
        let value = try reader.value()
        reader.skipSpace()
        guard reader.i == bytes.count else { throw reader.invalid("unexpected text after the value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func invalid(_ why: String) -> DecodingError {
        DecodingError.dataCorrupted(
            .init(codingPath: [], debugDescription: "The given data was not valid JSON (\(why) at byte \(i))."))
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0a || bytes[i] == 0x0d || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ word: String) throws {
        for byte in word.utf8 {
            guard i < bytes.count, bytes[i] == byte else { throw invalid("expected \(word)") }
            i += 1
        }
    }

    private mutating func value() throws -> JSONValue {
        skipSpace()
        guard i < bytes.count else { throw invalid("unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try nested { try $0.object() }
        case UInt8(ascii: "["): return try nested { try $0.array() }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default: return .number(try number())
        }
    }

    private mutating func nested(_ body: (inout JSONReader) throws -> JSONValue) throws -> JSONValue {
        depth += 1
        guard depth <= Self.maximumDepth else { throw invalid("too deeply nested") }
        defer { depth -= 1 }
        i += 1  // the opening bracket
        return try body(&self)
    }

    /// Consumes `close` right after an opening bracket: the container is empty.
    private mutating func isEmpty(closingWith close: Unicode.Scalar) -> Bool {
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: close) else { return false }
        i += 1
        return true
    }

    /// After a member or element: true at the closing `close`, false at a comma.
    private mutating func ends(with close: Unicode.Scalar) throws -> Bool {
        skipSpace()
        guard i < bytes.count else { throw invalid("unexpected end") }
        i += 1
        if bytes[i - 1] == UInt8(ascii: close) { return true }
        guard bytes[i - 1] == UInt8(ascii: ",") else { throw invalid("expected , or \(close)") }
        return false
    }

    private mutating func object() throws -> JSONValue {
        var members: [String: JSONValue] = [:]
        if isEmpty(closingWith: "}") { return .object(members) }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw invalid("expected a key") }
            let key = try string()
            skipSpace()
            try expect(":")
            let member = try value()
            if members[key] == nil { members[key] = member }  // a repeated key: the first wins, as with JSONDecoder
            if try ends(with: "}") { return .object(members) }
        }
    }

    private mutating func array() throws -> JSONValue {
        var elements: [JSONValue] = []
        if isEmpty(closingWith: "]") { return .array(elements) }
        while true {
            elements.append(try value())
            if try ends(with: "]") { return .array(elements) }
        }
    }

    /// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func number() throws -> String {
        let start = i
        func digits() -> Int {
            let from = i
            while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
            return i - from
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let leadingZero = i < bytes.count && bytes[i] == 0x30
        let integer = digits()
        guard integer > 0, !(leadingZero && integer > 1) else { throw invalid("bad number") }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw invalid("bad number") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw invalid("bad number") }
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    private mutating func string() throws -> String {
        i += 1  // the opening quote
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw invalid("unterminated string") }
            let byte = bytes[i]
            i += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else { throw invalid("invalid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                guard i < bytes.count else { throw invalid("unterminated string") }
                let escape = bytes[i]
                i += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): out += try unicodeEscape()
                default: throw invalid("bad escape")
                }
            case 0..<0x20: throw invalid("control character in a string")
            default: out.append(byte)
            }
        }
    }

    /// After `\u`: four hex digits, a UTF-16 pair for code points above U+FFFF.
    private mutating func unicodeEscape() throws -> [UInt8] {
        func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16)
            else { throw invalid("bad \\u escape") }
            i += 4
            return v
        }
        var code = try hex4()
        if code >= 0xD800 && code < 0xDC00 {
            guard i + 2 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                throw invalid("unpaired surrogate")
            }
            i += 2
            let low = try hex4()
            guard low >= 0xDC00 && low < 0xE000 else { throw invalid("unpaired surrogate") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if code >= 0xDC00 && code < 0xE000 {
            throw invalid("unpaired surrogate")
        }
        return Array(String(Character(Unicode.Scalar(code)!)).utf8)
    }
}

// MARK: - Decoding

/// Decodes a `Decodable` from JSON bytes (see `JSONValue`).
struct TreeJSONDecoder {
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try T(from: ValueDecoder(value: try JSONReader.parse(bytes), codingPath: []))
    }
}

/// An object's members read by name, for the types the hooks decode at
/// every container start and stop (the OCI state): the same values and the
/// same `DecodingError`s as their Decodable conformances through
/// `TreeJSONDecoder`, without the Decoder protocols, whose generic
/// containers cost a fresh process ~150,000 instructions of metadata
/// instantiation and conformance lookups per type (callgrind).
struct JSONObject {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]

    init(parsing bytes: [UInt8]) throws { try self.init(JSONReader.parse(bytes), codingPath: []) }

    init(_ value: JSONValue, codingPath: [any CodingKey]) throws {
        guard case .object(let members) = value else {
            throw ValueDecoder(value: value, codingPath: codingPath).mismatch([String: Any].self)
        }
        self.members = members
        self.codingPath = codingPath
    }

    private func member(_ key: some CodingKey) throws -> ValueDecoder {
        try KeyedValues<AnyKey>(members: members, codingPath: codingPath).member(key)
    }

    /// nil when the key is missing or null, as `decodeIfPresent`.
    private func present(_ key: some CodingKey) -> ValueDecoder? {
        guard let value = members[key.stringValue], value != .null else { return nil }
        return ValueDecoder(value: value, codingPath: codingPath + [key])
    }

    func string(_ key: some CodingKey) throws -> String { try member(key).decode(String.self) }
    func stringIfPresent(_ key: some CodingKey) throws -> String? { try present(key)?.decode(String.self) }
    func integerIfPresent<T: FixedWidthInteger>(_ key: some CodingKey, as type: T.Type) throws -> T? {
        try present(key)?.integer(type)
    }
    /// A `[String: String]` member.
    func stringsIfPresent(_ key: some CodingKey) throws -> [String: String]? {
        guard let value = present(key) else { return nil }
        let object = try JSONObject(value.value, codingPath: value.codingPath)
        var strings: [String: String] = [:]
        strings.reserveCapacity(object.members.count)
        for name in object.members.keys { strings[name] = try object.string(AnyKey(stringValue: name)) }
        return strings
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        stringValue = "Index \(intValue)"
        self.intValue = intValue
    }
}

private struct ValueDecoder: Decoder, SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch([String: Any].self) }
        return KeyedDecodingContainer(KeyedValues<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch([Any].self) }
        return UnkeyedValues(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func mismatch(_ type: Any.Type) -> DecodingError {
        if value == .null {
            return .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "Found null."))
        }
        return .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "Found \(value) instead."))
    }

    func decodeNil() -> Bool { value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch(type) }
        return b
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let s) = value else { throw mismatch(type) }
        return s
    }

    func decode(_ type: Double.Type) throws -> Double {
        guard case .number(let text) = value, let d = Double(text) else { throw mismatch(type) }
        return d
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard case .number(let text) = value else { throw mismatch(type) }
        if let exact = T(text) { return exact }
        // 1e3 or 5.0: JSONDecoder takes what is an exact integer in range
        if let d = Double(text), d.rounded() == d, let exact = T(exactly: d) { return exact }
        throw DecodingError.dataCorrupted(
            .init(codingPath: codingPath, debugDescription: "Parsed JSON number <\(text)> does not fit in \(T.self)."))
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }
}

private struct KeyedValues<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]
    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    func member(_ key: any CodingKey) throws -> ValueDecoder {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key,
                .init(codingPath: codingPath, debugDescription: "No value associated with key \(key.stringValue)."))
        }
        return ValueDecoder(value: value, codingPath: codingPath + [key])
    }

    func decodeNil(forKey key: Key) throws -> Bool { try member(key).decodeNil() }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try member(key).decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try member(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try member(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try member(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try member(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try member(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try member(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try member(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try member(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try member(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try member(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try member(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try member(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try member(key).decode(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try member(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    { try member(key).container(keyedBy: type) }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try member(key).unkeyedContainer()
    }
    // "super" need not be one of Key's cases (a CodingKeys enum has none)
    func superDecoder() throws -> any Decoder { try member(AnyKey(stringValue: "super")) }
    func superDecoder(forKey key: Key) throws -> any Decoder { try member(key) }
}

private struct UnkeyedValues: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func next(_ type: Any.Type) throws -> ValueDecoder {
        let path = codingPath + [AnyKey(intValue: currentIndex)]
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "Unkeyed container is at end."))
        }
        defer { currentIndex += 1 }
        return ValueDecoder(value: elements[currentIndex], codingPath: path)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next(type).decode(type) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    { try next(type).container(keyedBy: type) }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next([JSONValue].self).unkeyedContainer()
    }
    mutating func superDecoder() throws -> any Decoder { try next(JSONValue.self) }
}

// MARK: - Encoding

/// Encodes an `Encodable` as JSONEncoder with `[.sortedKeys,
/// .withoutEscapingSlashes]` does.
struct TreeJSONEncoder {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let root = Node()
        try value.encode(to: ValueEncoder(node: root, codingPath: []))
        var out: [UInt8] = []
        root.value.write(into: &out)
        return out
    }
}

/// What an encoder is building: set once, or filled as an object or array.
private final class Node {
    enum Content {
        case empty
        case scalar(JSONValue)
        case object([String: Node])
        case array([Node])
    }
    var content = Content.empty

    /// What was built, as a value (an unfilled container is `{}`, as JSONEncoder writes it).
    var value: JSONValue {
        switch content {
        case .empty: return .object([:])
        case .scalar(let v): return v
        case .object(let members): return .object(members.mapValues(\.value))
        case .array(let elements): return .array(elements.map(\.value))
        }
    }
}

extension JSONValue {
    /// The value as JSONEncoder with `[.sortedKeys, .withoutEscapingSlashes]`
    /// writes it: members ordered by their keys' UTF-8 bytes.
    func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .number(let text): out += Array(text.utf8)
        case .string(let s):
            out.append(UInt8(ascii: "\""))
            for byte in s.utf8 {
                switch byte {
                case UInt8(ascii: "\""): out += Array(#"\""#.utf8)
                case UInt8(ascii: "\\"): out += Array(#"\\"#.utf8)
                case 0x08: out += Array(#"\b"#.utf8)
                case 0x0c: out += Array(#"\f"#.utf8)
                case 0x0a: out += Array(#"\n"#.utf8)
                case 0x0d: out += Array(#"\r"#.utf8)
                case 0x09: out += Array(#"\t"#.utf8)
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    out += Array(#"\u00"#.utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
                default: out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (n, key) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.string(key).write(into: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (n, element) in elements.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
    }
}

/// Through any Encoder (JSONEncoder for `list --output json`), as the
/// tree says: a number as the integer or double its text is.
extension JSONValue: Encodable {
    func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .number(let text):
            var c = encoder.singleValueContainer()
            if let u = UInt64(text) {
                try c.encode(u)
            } else if let i = Int64(text) {
                try c.encode(i)
            } else {
                try c.encode(Double(text) ?? .nan)
            }
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let elements):
            var c = encoder.unkeyedContainer()
            for element in elements { try c.encode(element) }
        case .object(let members):
            var c = encoder.container(keyedBy: AnyKey.self)
            for (key, value) in members { try c.encode(value, forKey: AnyKey(stringValue: key)) }
        }
    }
}

extension Node {
    func member(_ key: String) -> Node {
        var members: [String: Node] = [:]
        if case .object(let m) = content { members = m }
        if let existing = members[key] { return existing }
        let node = Node()
        members[key] = node
        content = .object(members)
        return node
    }

    func appended() -> Node {
        var elements: [Node] = []
        if case .array(let e) = content { elements = e }
        let node = Node()
        elements.append(node)
        content = .array(elements)
        return node
    }
}

private struct ValueEncoder: Encoder, SingleValueEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.content {} else { node.content = .object([:]) }
        return KeyedEncodingContainer(KeyedNodes<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return UnkeyedNodes(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    func encodeNil() { node.content = .scalar(.null) }
    func encode(_ value: Bool) { node.content = .scalar(.bool(value)) }
    func encode(_ value: String) { node.content = .scalar(.string(value)) }
    func encode(_ value: Double) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "not finite"))
        }
        // JSONEncoder writes whole doubles without a fraction ("3", not "3.0")
        let text = value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
        node.content = .scalar(.number(text))
    }
    func encode(_ value: Float) throws { try encode(Double(value)) }
    func integer<T: FixedWidthInteger>(_ value: T) { node.content = .scalar(.number(String(value))) }
    func encode(_ value: Int) { integer(value) }
    func encode(_ value: Int8) { integer(value) }
    func encode(_ value: Int16) { integer(value) }
    func encode(_ value: Int32) { integer(value) }
    func encode(_ value: Int64) { integer(value) }
    func encode(_ value: UInt) { integer(value) }
    func encode(_ value: UInt8) { integer(value) }
    func encode(_ value: UInt16) { integer(value) }
    func encode(_ value: UInt32) { integer(value) }
    func encode(_ value: UInt64) { integer(value) }
    func encode<T: Encodable>(_ value: T) throws { try value.encode(to: self) }
}

private struct KeyedNodes<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let codingPath: [any CodingKey]

    func encoder(_ key: any CodingKey) -> ValueEncoder {
        ValueEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
    }

    mutating func encodeNil(forKey key: Key) { encoder(key).encodeNil() }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try encoder(key).encode(value) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    { encoder(key).container(keyedBy: keyType) }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        encoder(key).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { encoder(AnyKey(stringValue: "super")) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { encoder(key) }
}

private struct UnkeyedNodes: UnkeyedEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    var count: Int {
        if case .array(let e) = node.content { return e.count }
        return 0
    }

    func next() -> ValueEncoder {
        ValueEncoder(node: node.appended(), codingPath: codingPath + [AnyKey(intValue: count)])
    }

    mutating func encodeNil() { next().encodeNil() }
    mutating func encode<T: Encodable>(_ value: T) throws { try next().encode(value) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    { next().container(keyedBy: keyType) }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { next().unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { next() }
}
