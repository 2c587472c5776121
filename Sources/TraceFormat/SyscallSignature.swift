import Shared

/// How an argument is shown in text beyond its plain number.
enum ArgDecoration: Sendable {
    case plain
    /// Generic `argN` of a syscall without a known format: shown in hex.
    case hex
    /// An address in an integer type: NULL or hex.
    case address
    /// -100 is AT_FDCWD (a directory fd argument of the *at() calls).
    case dirfd
    case openFlags
    /// Octal file mode.
    case fileMode
    /// open/openat `mode`: read by the kernel only with O_CREAT or
    /// O_TMPFILE, so text omits it otherwise (as strace does).
    case createMode
    case flags(FlagTable, zero: StaticString)
    case mmapFlags
    case cloneFlags(exitSignal: Bool)
    case signal
    /// The argv array of execve/execveat, filled from argv payloads.
    case argv
    /// A value from a table of named constants (hex when unnamed and `hex`).
    case constant(ConstantTable, hex: Bool)
    /// socket(2)'s family, type, and protocol (named per family, argument 0).
    case addressFamily
    case socketType
    case socketProtocol
    /// A sockopt name, named per level (argument 1).
    case socketOption
    /// The socklen_t pointer of accept, getsockname, recvfrom...: text shows
    /// the length the kernel wrote back, `[16]`, from the sockaddr payload.
    case socklenPointer
    /// An iovec array whose vectors are payloads; `count` is the argument
    /// holding the number of vectors.
    case iovec(count: Int)
    /// fcntl's third argument, read as its command (argument 1) says.
    case fcntlArgument
    case statxFlags
}

/// One argument with its output labels built once. A class: the formatter
/// walks these per record, and copying a reference is one retain where a
/// struct of strings and arrays would be four.
final class ArgSpec: Sendable {
    let name: String
    let type: ArgType
    let decoration: ArgDecoration
    /// `name=` for text.
    let textLabel: [UInt8]
    /// `"name":` for JSON.
    let jsonKey: [UInt8]

    init(name: String, type: ArgType, decoration: ArgDecoration) {
        self.name = name
        self.type = type
        self.decoration = decoration
        self.textLabel = Array("\(name)=".utf8)
        var key: [UInt8] = []
        key.appendJSONString(name)
        key.append(UInt8(ascii: ":"))
        self.jsonKey = key
    }
}

/// Everything the formatter needs about one (arch, nr), resolved once:
/// the name, the arguments, and the constant parts of its output lines.
final class SyscallSignature: Sendable {
    let name: String
    let arch: SyscallArch
    let nr: Int
    let args: [ArgSpec]
    let argvIndex: Int?
    let openFlagsIndex: Int?
    /// The first file descriptor argument (strace -y names it).
    let fdIndex: Int?
    /// mmap-like calls return an address: text shows it in hex.
    let returnsAddress: Bool
    /// `openat(` or `[i386] stat64(`.
    let textHead: [UInt8]
    /// `,"syscall":"openat","nr":257,"arch":"x86_64","args":{`.
    let jsonHead: [UInt8]

    init(name: String, arch: SyscallArch, nr: Int, fields: [TracefsField]?) {
        self.name = name
        self.arch = arch
        self.nr = nr
        let compat = arch.is32Bit
        if let fields {
            args = fields.map { field in
                let type = Self.effectiveType(syscall: name, field: field).narrowed(compat: compat)
                return ArgSpec(
                    name: field.name, type: type, decoration: Self.decoration(syscall: name, field: field))
            }
        } else {
            // No format: six registers in hex, strace's choice for unknown calls.
            args = (0..<6).map { i in
                let argv = (name == "execve" && i == 1) || (name == "execveat" && i == 2)
                return ArgSpec(
                    name: "arg\(i)", type: ArgType.unsigned(bits: 64).narrowed(compat: compat),
                    decoration: argv ? .argv : .hex)
            }
        }
        argvIndex = args.firstIndex { if case .argv = $0.decoration { return true } else { return false } }
        openFlagsIndex =
            ["open", "openat"].contains(name)
            ? args.firstIndex { if case .openFlags = $0.decoration { return true } else { return false } }
            : nil
        returnsAddress = ["mmap", "mmap2", "mremap", "brk", "shmat"].contains(name)
        fdIndex = args.firstIndex { arg in
            ["fd", "fildes", "oldfd", "epfd", "out_fd", "fd_in"].contains(arg.name) || arg.name.hasSuffix("dfd")
        }

        var text: [UInt8] = []
        if compat {
            text.append(UInt8(ascii: "["))
            text.append(contentsOf: arch.rawValue.utf8)
            text.appendASCII("] ")
        }
        text.appendTextEscaped(name)
        text.append(UInt8(ascii: "("))
        textHead = text

        var json: [UInt8] = []
        json.appendASCII(",\"syscall\":")
        json.appendJSONString(name)
        json.appendASCII(",\"nr\":")
        json.appendDecimal(nr)
        json.appendASCII(",\"arch\":")
        json.appendJSONString(arch.rawValue)
        if compat { json.appendASCII(",\"compat\":true") }
        json.appendASCII(",\"args\":{")
        jsonHead = json
    }

    /// The kernel declares mmap's fd `unsigned long`, but uses it as an int
    /// (-1 for anonymous maps): read it as one.
    private static func effectiveType(syscall: String, field: TracefsField) -> ArgType {
        if field.name == "fd" && (syscall == "mmap" || syscall == "mmap2") { return .signed(bits: 32) }
        return ArgType.classify(cType: field.type)
    }

    private static func decoration(syscall: String, field: TracefsField) -> ArgDecoration {
        let arg = field.name
        switch (syscall, arg) {
        case (_, "argv"):  // execve, execveat
            return .argv
        case ("open", "flags"), ("openat", "flags"):
            return .openFlags
        case ("pipe2", "flags"), ("dup3", "flags"):
            // O_CLOEXEC, O_NONBLOCK, O_DIRECT: open flag bits, no access mode.
            return .flags(OpenFlags.bits, zero: "0")
        case ("open", "mode"), ("openat", "mode"):
            return .createMode
        case ("umask", "mask"):
            return .fileMode
        case ("execveat", "fd"):
            return .dirfd
        case ("unlinkat", "flag"):
            return .flags(atFlagsUnlink, zero: "0")
        case ("faccessat2", "flags"):
            return .flags(atFlagsAccess, zero: "0")
        case ("newfstatat", "flag"), ("fstatat64", "flag"), ("fchownat", "flag"), ("linkat", "flags"),
            ("utimensat", "flags"), ("execveat", "flags"),
            ("name_to_handle_at", "flag"), ("fchmodat2", "flags"), (_, "at_flags"):
            return .flags(atFlags, zero: "0")
        case ("statx", "flags"):
            return .statxFlags
        case ("access", "mode"), ("faccessat", "mode"), ("faccessat2", "mode"):
            return .flags(accessModeBits, zero: "F_OK")
        case ("renameat2", "flags"):
            return .flags(renameFlagBits, zero: "0")
        case ("mmap", "prot"), ("mmap2", "prot"), ("mprotect", "prot"), ("pkey_mprotect", "prot"):
            return .flags(mmapProtBits, zero: "PROT_NONE")
        case ("mmap", "flags"), ("mmap2", "flags"):
            return .mmapFlags
        case ("mremap", "flags"):
            return .flags(mremapFlagBits, zero: "0")
        case ("clone", "clone_flags"):
            return .cloneFlags(exitSignal: true)
        case ("unshare", "unshare_flags"), ("setns", "nstype"):
            return .cloneFlags(exitSignal: false)
        case ("kill", "sig"), ("tkill", "sig"), ("tgkill", "sig"), ("rt_sigaction", "sig"),
            ("rt_sigqueueinfo", "sig"), ("rt_tgsigqueueinfo", "sig"), ("pidfd_send_signal", "sig"):
            return .signal
        case ("socket", "family"), ("socketpair", "family"):
            return .addressFamily
        case ("socket", "type"), ("socketpair", "type"):
            return .socketType
        case ("socket", "protocol"), ("socketpair", "protocol"):
            return .socketProtocol
        case ("accept4", "flags"):
            return .flags(SocketNames.typeFlags, zero: "0")
        case ("sendto", "flags"), ("recvfrom", "flags"), ("sendmsg", "flags"), ("recvmsg", "flags"),
            ("send", "flags"), ("recv", "flags"), ("sendmmsg", "flags"), ("recvmmsg", "flags"):
            return .flags(SocketNames.messageFlags, zero: "0")
        case ("setsockopt", "level"), ("getsockopt", "level"):
            return .constant(SocketNames.levels, hex: false)
        case ("setsockopt", "optname"), ("getsockopt", "optname"):
            return .socketOption
        case ("accept", "upeer_addrlen"), ("accept4", "upeer_addrlen"), ("getsockname", "usockaddr_len"),
            ("getpeername", "usockaddr_len"), ("recvfrom", "addr_len"):
            return .socklenPointer
        case ("rt_sigprocmask", "how"), ("sigprocmask", "how"):
            return .constant(sigprocmaskHows, hex: false)
        case ("wait4", "options"), ("waitid", "options"), ("waitpid", "options"):
            return .flags(waitOptionBits, zero: "0")
        case ("fcntl", "cmd"), ("fcntl64", "cmd"):
            return .constant(fcntlCommands, hex: true)
        case ("fcntl", "arg"), ("fcntl64", "arg"):
            return .fcntlArgument
        case ("ioctl", "cmd"):
            return .constant(ioctlRequests, hex: true)
        case ("ioctl", "arg"):
            return .hex
        // Addresses the kernel declares `unsigned long`: NULL or hex, as strace shows them.
        case ("mmap", "addr"), ("mmap2", "addr"), ("mprotect", "start"), ("pkey_mprotect", "start"),
            ("munmap", "addr"), ("madvise", "start"), ("mremap", "addr"), ("msync", "start"), ("mlock", "start"),
            ("munlock", "start"):
            return .address
        case ("readv", "vec"), ("writev", "vec"), ("preadv", "vec"), ("pwritev", "vec"), ("preadv2", "vec"),
            ("pwritev2", "vec"):
            return .iovec(count: 2)
        default:
            // umode_t is the kernel's type for file modes (mkdir, chmod, mknod, creat...).
            if arg == "mode" && field.type.hasSuffix("umode_t") { return .fileMode }
            if arg.hasSuffix("dfd") || arg == "dirfd" { return .dirfd }
            return .plain
        }
    }
}

/// Signatures per (arch, nr), resolved from libseccomp names, tracefs
/// formats and the compat tables on first use.
struct SyscallSignatures: Sendable {
    var table: SyscallTable
    var catalog: TracefsCatalog
    private var native: [SyscallSignature?] = []
    private var compat: [SyscallSignature?] = []
    /// Numbers up to this are cached in arrays; larger ones (only seen in
    /// corrupt records) are rebuilt each time so they cannot grow memory.
    private static let cachedRange = 0..<2048

    init(table: SyscallTable, catalog: TracefsCatalog) {
        self.table = table
        self.catalog = catalog
    }

    mutating func signature(nr: Int, compat isCompat: Bool) -> SyscallSignature {
        let arch = SyscallArch.of(compat: isCompat)
        let useCompat = arch.is32Bit
        guard Self.cachedRange.contains(nr) else { return build(nr: nr, arch: arch) }
        if useCompat {
            if nr < compat.count, let hit = compat[nr] { return hit }
        } else {
            if nr < native.count, let hit = native[nr] { return hit }
        }
        let sig = build(nr: nr, arch: arch)
        if useCompat {
            if compat.count <= nr { compat += repeatElement(nil, count: nr + 1 - compat.count) }
            compat[nr] = sig
        } else {
            if native.count <= nr { native += repeatElement(nil, count: nr + 1 - native.count) }
            native[nr] = sig
        }
        return sig
    }

    private mutating func build(nr: Int, arch: SyscallArch) -> SyscallSignature {
        let name = table.name(nr: nr, arch: arch)
        let fields: [TracefsField]?
        if arch == .i386, let builtIn = SyscallAliases.i386Signatures[name] {
            fields = builtIn
        } else if name.hasPrefix("syscall_") {
            // libseccomp does not know the number: there is no event to read.
            fields = nil
        } else {
            let aliases = arch == .i386 ? SyscallAliases.i386 : SyscallAliases.native
            fields = catalog.format(forSyscall: aliases[name] ?? name)?.args
        }
        return SyscallSignature(name: name, arch: arch, nr: nr, fields: fields)
    }
}
