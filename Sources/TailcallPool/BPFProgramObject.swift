import BPFObjects
import CTailtrace
import Glibc

/// One opened BPF ELF object (libbpf `bpf_object`), configured before load
/// and closed exactly once: open → set rodata / map sizes → load → use.
final class BPFProgramObject {
    let handle: OpaquePointer
    let name: String

    init(_ object: BPFObject) throws {
        tt_libbpf_set_verbosity(0)
        let elf = object.bytes
        name = object.name
        var opts = bpf_object_open_opts()
        opts.sz = MemoryLayout<bpf_object_open_opts>.size
        // libbpf copies the ELF image and the name during open.
        let h: OpaquePointer? = object.name.withCString { cname in
            opts.object_name = cname
            return elf.withUnsafeBytes { raw in
                bpf_object__open_mem(raw.baseAddress, raw.count, &opts)
            }
        }
        let err = libbpf_get_error(UnsafeRawPointer(h))
        guard let h, err == 0 else {
            throw BPFError("open BPF object \(object.name)", errno: Int32(truncatingIfNeeded: -err))
        }
        handle = h
    }

    deinit { bpf_object__close(handle) }

    func setConstant<T: BitwiseCopyable>(_ variable: String, _ value: T) throws {
        var value = value
        let rc = tt_set_rodata(handle, variable, &value, MemoryLayout<T>.size)
        try BPFError.check(rc, "set \(name).\(variable)")
    }

    func map(_ mapName: String) throws -> OpaquePointer {
        guard let m = bpf_object__find_map_by_name(handle, mapName) else {
            throw BPFError("find map \(mapName) in \(name)", errno: ENOENT)
        }
        return m
    }

    func program(_ progName: String) throws -> OpaquePointer {
        guard let p = bpf_object__find_program_by_name(handle, progName) else {
            throw BPFError("find program \(progName) in \(name)", errno: ENOENT)
        }
        return p
    }

    func setMaxEntries(_ mapName: String, _ n: UInt32) throws {
        try BPFError.check(bpf_map__set_max_entries(try map(mapName), n), "size map \(mapName)")
    }

    /// Makes this object use an existing map (e.g. a scratch map shared by all slots).
    func reuse(_ mapName: String, fd: Int32) throws {
        try BPFError.check(bpf_map__reuse_fd(try map(mapName), fd), "reuse map \(mapName)")
    }

    func load() throws {
        let rc = bpf_object__load(handle)
        if rc != 0 {
            let last = String(cString: tt_libbpf_last_message())
            throw BPFError(
                "load BPF object \(name)", errno: -rc,
                hint: last.isEmpty ? BPFError.hint(for: -rc) : last.split(separator: "\n").first.map(String.init))
        }
    }

    func mapFD(_ mapName: String) throws -> Int32 { bpf_map__fd(try map(mapName)) }
    func programFD(_ progName: String) throws -> Int32 { bpf_program__fd(try program(progName)) }

    func pinMap(_ mapName: String, at path: String) throws {
        try BPFError.check(bpf_map__pin(try map(mapName), path), "pin map \(mapName) at \(path)")
    }

    func pinProgram(_ progName: String, at path: String) throws {
        try BPFError.check(bpf_program__pin(try program(progName), path), "pin program \(progName) at \(path)")
    }

    /// Attaches a BTF-enabled raw tracepoint program (tp_btf: the tracepoint
    /// is named by its section) and pins the link, so the attachment
    /// outlives this process until the pin is removed.
    func attachTracepoint(_ progName: String, pinAt path: String) throws {
        let prog = try program(progName)
        guard let link = bpf_program__attach_trace(prog), libbpf_get_error(UnsafeRawPointer(link)) == 0 else {
            throw BPFError("attach \(progName) to its tracepoint", errno: errno)
        }
        defer { bpf_link__destroy(link) }  // the pin keeps the link alive
        try BPFError.check(bpf_link__pin(link, path), "pin link at \(path)")
    }
}
