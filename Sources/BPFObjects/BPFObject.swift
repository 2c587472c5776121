/// A BPF ELF object compiled from `bpf/<name>.bpf.c` at build time and embedded
/// in the binary (see Plugins/BPFCompiler). Decoded on use; the hooks touch it
/// only on the slow path (pool empty), so start-up pays nothing for it.
public struct BPFObject: Sendable {
    public let name: String
    private let base64: String

    public init(name: String, base64: String) {
        self.name = name
        self.base64 = base64
    }

    /// The ELF bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(base64.utf8.count / 4 * 3)
        var acc: UInt32 = 0
        var bits = 0
        for c in base64.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            default: continue  // '=' padding
            }
            acc = (acc << 6) | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xff))
            }
        }
        return out
    }
}
