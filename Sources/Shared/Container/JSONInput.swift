import FoundationEssentials

/// Decodes untrusted JSON and turns a `DecodingError` into one readable line
/// naming the field, e.g. `config.json: field linux.cgroupsPath: expected String`.
enum JSONInput {
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], input: String) throws -> T {
        do {
            return try TreeJSONDecoder.decode(type, from: bytes)
        } catch let error as DecodingError {
            throw ContainerInputError(input: input, message: describe(error))
        }
    }

    /// An object read by hand (`JSONObject`), its errors worded the same.
    static func decode<T>(from bytes: [UInt8], input: String, _ read: (JSONObject) throws -> T) throws -> T {
        do {
            return try read(JSONObject(parsing: bytes))
        } catch let error as DecodingError {
            throw ContainerInputError(input: input, message: describe(error))
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func field(_ path: [any CodingKey]) -> String {
            let joined = path.reduce(into: "") { text, key in
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return joined.isEmpty ? "top level" : "field \(ContainerID.quoted(joined, limit: 120))"
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(field(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(field(context.codingPath)): expected \(type), found null"
        case .keyNotFound(let key, let context):
            return "\(field(context.codingPath + [key])): missing"
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            return "\(field(context.codingPath)): \(context.debugDescription)\(underlying)"
        @unknown default:
            return "\(error)"
        }
    }
}
