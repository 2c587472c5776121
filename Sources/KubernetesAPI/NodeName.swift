/// Node names are DNS-1123 subdomains: the apiserver refuses any other name
/// for a Node object, so anything else cannot match a pod and is refused here
/// before it reaches a URL.
enum NodeName {
    static func validate(_ name: String) throws {
        let operation = "list pods of node \"\(name)\""
        guard !name.isEmpty, name.utf8.count <= 253 else {
            throw KubeError(.invalidNodeName, operation, "a node name has 1 to 253 characters")
        }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            let bytes = Array(label.utf8)
            let valid =
                !bytes.isEmpty && bytes.count <= 63
                && bytes.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
                && bytes.first.map(isLowerAlnum) == true && bytes.last.map(isLowerAlnum) == true
            guard valid else {
                throw KubeError(
                    .invalidNodeName, operation,
                    "not a DNS-1123 subdomain (lowercase letters, digits, '-' and '.'; "
                        + "each part starts and ends with a letter or digit)")
            }
        }
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
