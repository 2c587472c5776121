import BPFObjects
import CTailtrace
import Glibc

/// One opened BPF ELF object (libbpf `bpf_object`) of the generated interface
/// `Spec`, in one kernel variant, configured before load and closed exactly
/// once: open → settings / map sizes → load → pin, attach.
final class BPFProgramObject<Spec: BPFObjectSpec>: LoadedBPFObject {
    let handle: OpaquePointer
    let variant: BPFVariant

    init(_ variant: BPFVariant) throws {
        BPFLog.start()
        guard let object = Spec.elf[variant] else {
            throw BPFError("open BPF object \(Spec.name)", errno: ENOENT, hint: "no \(variant.rawValue) variant built")
        }
        let elf = object.bytes
        var opts = bpf_object_open_opts()
        opts.sz = MemoryLayout<bpf_object_open_opts>.size
        // libbpf copies the ELF image and the name during open.
        let h: OpaquePointer? = Spec.name.withCString { cname in
            opts.object_name = cname
            return elf.withUnsafeBytes { raw in bpf_object__open_mem(raw.baseAddress, raw.count, &opts) }
        }
        let err = libbpf_get_error(UnsafeRawPointer(h))
        guard let h, err == 0 else {
            throw BPFError("open BPF object \(Spec.name)", errno: Int32(truncatingIfNeeded: -err))
        }
        handle = h
        self.variant = variant
    }

    deinit { bpf_object__close(handle) }

    /// Writes the `const volatile` settings into the object's .rodata.
    func configure(_ settings: Spec.Settings) throws {
        var map = bpf_object__next_map(handle, nil)
        while let m = map, !String(cString: bpf_map__name(m)).hasSuffix(".rodata") {
            map = bpf_object__next_map(handle, m)
        }
        var size = 0
        guard let m = map, let data = bpf_map__initial_value(m, &size), size == Spec.Settings.rodataSize else {
            throw BPFError(
                "configure \(Spec.name)", errno: EINVAL,
                hint: "the object's .rodata does not match its generated interface")
        }
        var rodata = [UInt8](UnsafeRawBufferPointer(start: data, count: size))
        rodata.withUnsafeMutableBytes { settings.write(to: $0) }
        try BPFError.check(bpf_map__set_initial_value(m, rodata, size), "configure \(Spec.name)")
    }

    func map(_ name: Spec.Map) -> OpaquePointer {
        // The generated interface lists exactly the object's maps.
        bpf_object__find_map_by_name(handle, name.rawValue)!
    }

    func program(_ name: Spec.Program) -> OpaquePointer {
        bpf_object__find_program_by_name(handle, name.rawValue)!
    }

    func setMaxEntries(_ name: Spec.Map, _ n: UInt32) throws {
        try BPFError.check(bpf_map__set_max_entries(map(name), n), "size map \(name.rawValue)")
    }

    /// Makes this object use an existing map (e.g. a scratch map shared by all slots).
    func reuse(_ name: Spec.Map, fd: Int32) throws {
        try BPFError.check(bpf_map__reuse_fd(map(name), fd), "reuse map \(name.rawValue)")
    }

    /// Loads every program; a verifier rejection becomes a `BPFLoadError`
    /// with the verifier's own last lines.
    func load() throws {
        let rc = bpf_object__load(handle)
        if rc != 0 { throw BPFLoadError(object: Spec.name, variant: variant, errno: -rc, log: BPFLog.captured()) }
    }

    func mapFD(_ name: Spec.Map) -> Int32 { bpf_map__fd(map(name)) }
    func programFD(_ name: Spec.Program) -> Int32 { bpf_program__fd(program(name)) }

    /// Attaches a BTF-enabled raw tracepoint program (tp_btf: the tracepoint
    /// is named by its section) and pins the link, so the attachment
    /// outlives this process until the pin is removed.
    func attachTracepoint(_ name: Spec.Program, pinAt path: String) throws {
        guard let link = bpf_program__attach_trace(program(name)), libbpf_get_error(UnsafeRawPointer(link)) == 0 else {
            throw BPFError("attach \(name.rawValue) to its tracepoint", errno: errno)
        }
        defer { bpf_link__destroy(link) }  // the pin keeps the link alive
        try BPFError.check(bpf_link__pin(link, path), "pin link at \(path)")
    }
}

/// libbpf's messages: kept (warnings and the verifier logs libbpf prints at a
/// failed load) for error reports, and printed in full with TAILTRACE_DEBUG=1.
enum BPFLog {
    static func start() {
        let debug = getenv("TAILTRACE_DEBUG").map { String(cString: $0) } ?? ""
        tt_libbpf_capture(debug.isEmpty || debug == "0" ? 0 : 2)
    }

    static func captured() -> String {
        guard let log = tt_libbpf_log() else { return "" }
        defer { free(log) }
        return String(cString: log)
    }
}

/// The kernel refused to load a program: which one, why (the verifier's last
/// lines), on which kernel, and how to see the whole log.
public struct BPFLoadError: Error, CustomStringConvertible, Sendable {
    public let object: String
    public let variant: BPFVariant
    public let errno: Int32
    public let program: String?
    /// The verifier's last lines: the reason, e.g. `R8 unbounded memory access`.
    public let reason: [String]

    init(object: String, variant: BPFVariant, errno: Int32, log: String) {
        self.object = object
        self.variant = variant
        self.errno = errno
        (program, reason) = Self.parse(log)
    }

    /// A load made without libbpf (a copy of a module): the verifier's own log.
    init(object: String, variant: BPFVariant, errno: Int32, program: String, verifierLog: String) {
        self.object = object
        self.variant = variant
        self.errno = errno
        self.program = program
        reason = Self.reason(verifier: verifierLog.split(separator: "\n").map(String.init))
    }

    /// Picks the failing program and the verifier's last lines out of
    /// libbpf's messages (`prog 'X': BPF program load failed: ...`,
    /// `-- BEGIN PROG LOAD LOG --` ... `-- END PROG LOAD LOG --`).
    static func parse(_ log: String) -> (program: String?, reason: [String]) {
        let lines = log.split(separator: "\n", omittingEmptySubsequences: true).map {
            $0.hasPrefix("libbpf: ") ? String($0.dropFirst(8)) : String($0)
        }
        var program: String?
        for line in lines where line.contains("BPF program load failed") || line.contains("failed to load program") {
            if let open = line.firstIndex(of: "'"), let close = line[line.index(after: open)...].firstIndex(of: "'") {
                program = String(line[line.index(after: open)..<close])
            }
        }
        guard let begin = lines.lastIndex(where: { $0.hasSuffix("-- BEGIN PROG LOAD LOG --") }) else {
            return (program, Array(lines.suffix(2)))
        }
        let end = lines[begin...].firstIndex(where: { $0.hasPrefix("-- END PROG LOAD LOG --") }) ?? lines.endIndex
        let reason = Self.reason(verifier: Array(lines[(begin + 1)..<end]))
        return (program, reason.isEmpty ? Array(lines.suffix(2)) : reason)
    }

    /// The verifier log's last lines but its statistics.
    static func reason(verifier lines: [String]) -> [String] {
        Array(
            lines.filter {
                !$0.isEmpty && !$0.hasPrefix("processed ") && !$0.hasPrefix("verification time")
                    && !$0.hasPrefix("stack depth")
            }.suffix(3))
    }

    public var description: String {
        var text = "the kernel (\(KernelFeatures.release)) refused BPF \(object)"
        if let program { text += " program \(program)" }
        text += " (\(variant.rawValue) variant): \(String(cString: strerror(errno)))"
        for line in reason { text += "\n  verifier: \(line)" }
        text += "\n  TAILTRACE_DEBUG=1 (or --verbose) prints the whole libbpf and verifier log"
        return text
    }
}
