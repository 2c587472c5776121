import CSeccomp
import CTailtrace
import Shared

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The syscall table a record's `nr` belongs to.
public enum SyscallArch: String, Sendable {
    // swift-format-ignore: AlwaysUseLowerCamelCase
    // The kernel's and libseccomp's spelling; also the JSON "arch" value.
    case x86_64
    /// 32-bit x86 syscalls made through IA32 emulation on an x86_64 kernel
    /// (the recorder sets TT_FLAG_COMPAT when TS_COMPAT is set on the task).
    case i386
    case aarch64
    /// 32-bit arm (EABI) syscalls on an arm64 kernel. Untested here: it
    /// needs a recorder that flags compat tasks on arm64.
    case arm

    /// The table of native (non-compat) syscalls on this machine.
    public static var native: SyscallArch {
        #if arch(arm64)
            return .aarch64
        #else
            return .x86_64
        #endif
    }

    /// The table a record uses: the 32-bit one of the machine for compat
    /// records (i386 on x86_64, arm on arm64).
    public static func of(compat: Bool) -> SyscallArch {
        guard compat else { return native }
        return native == .aarch64 ? .arm : .i386
    }

    /// A 32-bit table: every argument register holds 32 bits.
    public var is32Bit: Bool { self == .i386 || self == .arm }

    /// libseccomp's name for the architecture (`seccomp_arch_resolve_name`).
    var seccompName: String {
        switch self {
        case .x86_64: return "x86_64"
        case .i386: return "x86"
        case .aarch64: return "aarch64"
        case .arm: return "arm"
        }
    }
}

/// Syscall number → name, from libseccomp's tables (the same ones
/// `scmp_sys_resolver` prints), cached per (arch, nr).
///
/// A value type: each formatter owns its own table, so no locking is needed.
public struct SyscallTable: Sendable {
    private var cache: [SyscallArch: [Int: String]] = [:]

    public init() {}

    /// The name, or `syscall_<nr>` when libseccomp does not know the number.
    public mutating func name(nr: Int, compat: Bool) -> String {
        name(nr: nr, arch: .of(compat: compat))
    }

    public mutating func name(nr: Int, arch: SyscallArch) -> String {
        if let hit = cache[arch]?[nr] { return hit }
        let name = Self.resolve(nr: nr, arch: arch) ?? "syscall_\(nr)"
        // Only plausible numbers are cached: a corrupt record must not grow
        // the cache without bound.
        if nr >= 0 && nr < 4096 { cache[arch, default: [:]][nr] = name }
        return name
    }

    /// The number of a syscall by name in one table (`openat` → 257 on
    /// x86_64, 295 on i386), or nil when that table has no such call.
    public static func number(named name: String, arch: SyscallArch) -> Int? {
        let token = seccomp_arch_resolve_name(arch.seccompName)
        guard token != 0 else { return nil }
        // libseccomp answers __NR_SCMP_ERROR (-1) for unknown names and
        // negative pseudo-numbers for calls the architecture lacks.
        let nr = seccomp_syscall_resolve_name_arch(token, name)
        return nr >= 0 ? Int(nr) : nil
    }

    /// One uncached lookup in libseccomp.
    public static func resolve(nr: Int, arch: SyscallArch) -> String? {
        guard nr >= 0, nr <= Int(Int32.max) else { return nil }
        let token = seccomp_arch_resolve_name(arch.seccompName)
        guard token != 0 else { return nil }
        guard let cName = seccomp_syscall_resolve_num_arch(token, Int32(nr)) else { return nil }
        defer { free(cName) }
        return String(cString: cName)
    }
}

extension CapturePlan {
    /// Every plan by its index in the recorders' "plans" map, its syscall
    /// names resolved with libseccomp's tables (what `install` writes).
    public static func resolvedTable() -> [Int: tt_plan] {
        table { SyscallTable.number(named: $0, arch: .of(compat: $1)) }
    }
}
