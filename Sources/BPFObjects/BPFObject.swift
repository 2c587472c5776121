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

/// The compiled variants of every program (bpf/kernel.bpf.h says what each
/// needs); `tailtrace install` picks one for the running kernel.
public enum BPFVariant: String, Sendable, CaseIterable {
    /// Typed task pointer (bpf_get_current_task_btf, 5.11), bpf_loop (5.17),
    /// atomic fetch-and-add (5.12): the fast path.
    case btf
    /// CO-RE probe reads, bounded loops, plain adds: kernels 5.10 to 5.16.
    case core
}

/// A map or program name of a BPF object, as the generated enums spell it.
public protocol BPFName: RawRepresentable<String>, Sendable, CaseIterable, Hashable {}

/// The `const volatile` settings of a BPF object, written into its .rodata
/// before load at the offsets the build found in the object.
public protocol BPFSettings: Sendable {
    static var rodataSize: Int { get }
    func write(to rodata: UnsafeMutableRawBufferPointer)
}

/// What bpf-embed generates for each `bpf/<name>.bpf.c`: the embedded objects
/// of every variant and the typed names of their maps, programs and settings.
public protocol BPFObjectSpec {
    associatedtype Map: BPFName
    associatedtype Program: BPFName
    associatedtype Settings: BPFSettings
    static var name: String { get }
    static var elf: [BPFVariant: BPFObject] { get }
}
