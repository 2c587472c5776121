/// Checks for container ids and names before they name a file.
///
/// The runtime gives us the id (OCI state) and we derive the name from
/// annotations or containers/storage; both end up in file names under the
/// state dir and the archive, and in terminal output. So they must be one
/// path component, printable and free of traversal: the first character is
/// `[A-Za-z0-9]`, the rest `[A-Za-z0-9_.-]`, and `..` never appears.
///
/// Length limits: ids are at most 128 characters (podman, CRI-O and docker
/// use 64 hex digits; containerd caps ids at 76); names at most 255, the
/// filename limit (NAME_MAX), because CRI-O names such as
/// `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>` embed a pod name of
/// up to 253 characters and can pass 128.
public enum ContainerID {
    public static let maximumIDLength = 128
    public static let maximumNameLength = 255
    /// The short id, as docker and podman print it.
    public static let shortIDLength = 12

    /// Returns `id` when it may name a file, or throws saying why not.
    @discardableResult
    public static func validate(_ id: String) throws -> String {
        try check(id, kind: "container id", maximumLength: maximumIDLength)
        return id
    }

    /// The same checks as `validate`, for names (longer limit).
    @discardableResult
    public static func validateName(_ name: String) throws -> String {
        try check(name, kind: "container name", maximumLength: maximumNameLength)
        return name
    }

    public static func isValid(_ id: String) -> Bool { (try? validate(id)) != nil }
    public static func isValidName(_ name: String) -> Bool { (try? validateName(name)) != nil }

    /// The first 12 characters of the id (all of it when shorter).
    public static func short(_ id: String) -> String { String(id.prefix(shortIDLength)) }

    private static func check(_ value: String, kind: String, maximumLength: Int) throws {
        func reject(_ why: String) -> ContainerInputError {
            ContainerInputError(input: kind, message: "\(why): \(quoted(value))")
        }
        let bytes = value.utf8
        guard let first = bytes.first else { throw reject("empty") }
        guard bytes.count <= maximumLength else {
            throw reject("longer than \(maximumLength) characters")
        }
        // ".." looked for in the same pass: String.contains("..") is a
        // generic search, most of the time a lookup spends reading the
        // state dir's name cache (two checks per record)
        var previous: UInt8 = 0
        var twoDots = false
        for byte in bytes {
            switch byte {
            case 0: throw reject("contains NUL")
            case 1..<0x20, 0x7f: throw reject("contains a control character")
            case UInt8(ascii: "/"): throw reject("contains '/'")
            default: break
            }
            if byte == UInt8(ascii: ".") && previous == UInt8(ascii: ".") { twoDots = true }
            previous = byte
        }
        if twoDots { throw reject("contains '..'") }
        if first == UInt8(ascii: ".") || first == UInt8(ascii: "-") {
            throw reject("starts with '\(Character(Unicode.Scalar(first)))'")
        }
        guard isAlphanumeric(first), bytes.allSatisfy({ isAlphanumeric($0) || isPunctuation($0) })
        else {
            throw reject("has a character outside [A-Za-z0-9_.-]")
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default: return false
        }
    }

    private static func isPunctuation(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }

    /// Quotes untrusted text for one log line: control characters and
    /// non-ASCII bytes are escaped, long values cut.
    static func quoted(_ value: String, limit: Int = 80) -> String {
        var out = "\""
        for (index, byte) in value.utf8.enumerated() {
            if index == limit {
                out += "...(\(value.utf8.count) bytes)"
                break
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += "\\" + String(Unicode.Scalar(byte))
            case 0x20..<0x7f: out.append(Character(Unicode.Scalar(byte)))
            default: out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return out + "\""
    }
}
