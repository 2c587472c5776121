import Shared

/// One argument of a syscall as the kernel declares it in its tracepoint
/// format: `field:const char * filename;` → name `filename`, type `const char *`.
public struct TracefsField: Sendable, Equatable {
    public var name: String
    /// The C type as written by the kernel (`const char *`, `unsigned int`, `umode_t`).
    public var type: String

    public init(name: String, type: String) {
        self.name = name
        self.type = type
    }
}

/// The parsed `events/syscalls/sys_enter_<name>/format` file: the syscall's
/// arguments in register order.
public struct TracefsFormat: Sendable, Equatable {
    /// The event name, e.g. `sys_enter_openat`.
    public var event: String
    public var id: Int?
    /// At most six arguments (the x86_64/arm64 syscall ABIs pass six registers).
    public var args: [TracefsField]

    public init(event: String, id: Int? = nil, args: [TracefsField]) {
        self.event = event
        self.id = id
        self.args = args
    }

    /// Parses the text of a format file. Returns nil when it is not a syscall
    /// enter format (no `__syscall_nr` field).
    ///
    /// Every field written in the syscall enter event is 8 bytes wide and
    /// marked `signed:0` whatever its C type (the kernel stores each
    /// argument as an unsigned long), so signedness comes from the type
    /// name, see `ArgType`. Fields that are not registers are skipped:
    /// `common_*`, `__syscall_nr`, and `__data_loc` / `__`-prefixed fields
    /// that newer kernels may add to carry user strings.
    public static func parse(_ text: String) -> TracefsFormat? {
        var event = ""
        var id: Int?
        var args: [TracefsField] = []
        var sawSyscallNr = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.drop(while: { $0 == " " || $0 == "\t" })
            if line.hasPrefix("name:") {
                event = String(line.dropFirst(5).trimmingSpaces())
            } else if line.hasPrefix("ID:") {
                id = Int(line.dropFirst(3).trimmingSpaces())
            } else if line.hasPrefix("field:") {
                guard let semicolon = line.firstIndex(of: ";") else { continue }
                let decl = line[line.index(line.startIndex, offsetBy: 6)..<semicolon].trimmingSpaces()
                guard let field = splitDeclaration(decl) else { continue }
                if field.name == "__syscall_nr" {
                    sawSyscallNr = true
                    continue
                }
                guard sawSyscallNr, args.count < 6 else { continue }
                if field.name.hasPrefix("__") || field.type.contains("__data_loc") { continue }
                args.append(field)
            }
        }
        guard sawSyscallNr else { return nil }
        return TracefsFormat(event: event, id: id, args: args)
    }

    /// `const char * filename` → (`filename`, `const char *`); nil for arrays
    /// or declarations without a type.
    static func splitDeclaration(_ decl: Substring) -> TracefsField? {
        var nameStart = decl.endIndex
        while nameStart > decl.startIndex {
            let before = decl.index(before: nameStart)
            let c = decl[before]
            guard c == "_" || c.isASCII && (c.isLetter || c.isNumber) else { break }
            nameStart = before
        }
        let name = decl[nameStart...]
        let type = decl[..<nameStart].trimmingSpaces()
        guard !name.isEmpty, !type.isEmpty else { return nil }
        return TracefsField(name: String(name), type: String(type))
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

/// How an argument's register value is read: the kernel's syscall wrappers
/// (SYSCALL_DEFINEn) cast each 64-bit register to the declared type, so an
/// `int dfd` holding 0x00000000ffffff9c or 0xffffffffffffff9c is -100.
enum ArgType: Sendable, Equatable {
    case signed(bits: Int)
    case unsigned(bits: Int)
    case pointer(bits: Int)

    static func classify(cType: String) -> ArgType {
        if cType.contains("*") { return .pointer(bits: 64) }
        let words = cType.split(separator: " ").filter {
            $0 != "const" && $0 != "volatile" && $0 != "__user"
        }
        if words.first == "enum" { return .signed(bits: 32) }
        switch words.joined(separator: " ") {
        case "cap_user_header_t", "cap_user_data_t", "compat_uptr_t":
            return .pointer(bits: 64)
        case "int", "signed", "signed int", "pid_t", "clockid_t", "timer_t", "mqd_t", "key_t",
            "rwf_t", "key_serial_t", "s32", "__s32", "compat_int_t", "compat_pid_t":
            return .signed(bits: 32)
        case "unsigned", "unsigned int", "u32", "__u32", "uid_t", "gid_t", "qid_t",
            "compat_uint_t", "compat_size_t", "compat_ulong_t":
            return .unsigned(bits: 32)
        // umode_t is `unsigned short` in the kernel; old_uid_t/old_gid_t are
        // 16-bit on x86 (the pre-32-bit-uid calls).
        case "umode_t", "unsigned short", "u16", "__u16", "old_uid_t", "old_gid_t":
            return .unsigned(bits: 16)
        case "short", "s16", "__s16":
            return .signed(bits: 16)
        case "long", "long long", "loff_t", "off_t", "ssize_t", "time_t", "__kernel_old_time_t",
            "s64", "__s64":
            return .signed(bits: 64)
        default:
            // unsigned long, size_t, u64, aio_context_t, and any typedef this
            // list does not know: show the full register, unsigned.
            return .unsigned(bits: 64)
        }
    }

    /// i386 passes every argument in a 32-bit register: longs, size_t and
    /// pointers are 32 bits wide there.
    func narrowed(compat: Bool) -> ArgType {
        guard compat else { return self }
        switch self {
        case .signed(let bits): return .signed(bits: min(bits, 32))
        case .unsigned(let bits): return .unsigned(bits: min(bits, 32))
        case .pointer(let bits): return .pointer(bits: min(bits, 32))
        }
    }

    var isSigned: Bool {
        if case .signed = self { return true }
        return false
    }

    /// The register truncated to the type's width (zero-extended).
    @inline(__always)
    func unsignedValue(_ raw: UInt64) -> UInt64 {
        switch self {
        case .signed(let bits), .unsigned(let bits), .pointer(let bits):
            return bits >= 64 ? raw : raw & ((1 << UInt64(bits)) &- 1)
        }
    }

    /// The register truncated to the type's width and sign-extended.
    @inline(__always)
    func signedValue(_ raw: UInt64) -> Int64 {
        switch self {
        case .signed(let bits), .unsigned(let bits), .pointer(let bits):
            guard bits < 64 else { return Int64(bitPattern: raw) }
            let shift = UInt64(64 - bits)
            return Int64(bitPattern: raw << shift) >> shift
        }
    }
}
