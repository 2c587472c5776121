import BPFObjects
import CTailtrace
import Glibc

/// A loaded object's maps and programs, by the names of its generated
/// interface: a libbpf object, or a copy loaded from its image.
protocol LoadedBPFObject<Spec> {
    associatedtype Spec: BPFObjectSpec
    func mapFD(_ name: Spec.Map) -> Int32
    func programFD(_ name: Spec.Program) -> Int32
}

extension LoadedBPFObject {
    func pin(_ name: Spec.Map, at path: String) throws {
        try BPFError.check(bpf_obj_pin(mapFD(name), path), "pin map \(name.rawValue) at \(path)")
    }

    func pin(_ name: Spec.Program, at path: String) throws {
        try BPFError.check(bpf_obj_pin(programFD(name), path), "pin program \(name.rawValue) at \(path)")
    }
}

/// What libbpf handed the kernel when it loaded an object — each program's
/// final instructions (CO-RE-relocated, subprograms appended, map fds
/// embedded), type, attach point and functions — and the shapes of the maps
/// a copy makes for itself, so that more copies of the object load with one
/// BPF_MAP_CREATE per such map and one BPF_PROG_LOAD per program.
///
/// libbpf's share of a load is then paid once: the ELF, the object's BTF,
/// and the kernel's BTF (5.5 MB on 6.18), read, parsed and searched again
/// for every object, which libbpf 1.1 has no way to share. A recorder
/// module took 25 ms to load through libbpf and 8.8 ms as a copy, on one
/// thread here (a C loader timing 50 of each). The kernel verifies every
/// copy in full, as it did the object; a copy's maps other than its own
/// are the object's (shared maps and the frozen .rodata, whose settings
/// every copy has the same).
final class BPFObjectImage<Spec: BPFObjectSpec>: @unchecked Sendable {  // immutable once made
    private struct Program {
        let name: Spec.Program
        let type: bpf_prog_type
        /// The kernel keeps only whether the license is GPL-compatible.
        let license: String
        let instructions: [bpf_insn]
        let functions: [bpf_func_info]
        /// The template's attach point, flags and BTF; the function info is
        /// pointed at `functions` at each load.
        let opts: bpf_prog_load_opts
    }

    private struct MapShape {
        let name: Spec.Map
        let templateFD: Int32
        let type: bpf_map_type
        let keySize: UInt32
        let valueSize: UInt32
        let maxEntries: UInt32
        /// Flags, BTF types, NUMA node and extra as the template's.
        let opts: bpf_map_create_opts
    }

    /// Holds the fds the instructions embed and the BTF the functions name.
    private let template: BPFProgramObject<Spec>
    private let programs: [Program]
    private let ownMaps: [MapShape]

    /// `template` must be loaded; each copy makes maps `own` for itself.
    init(of template: BPFProgramObject<Spec>, own: [Spec.Map]) throws {
        self.template = template
        let btfFD = UInt32(bitPattern: bpf_object__btf_fd(template.handle))
        ownMaps = own.map { name in
            let m = template.map(name)
            var opts = bpf_map_create_opts()
            opts.sz = MemoryLayout<bpf_map_create_opts>.size
            opts.btf_fd = btfFD
            opts.btf_key_type_id = bpf_map__btf_key_type_id(m)
            opts.btf_value_type_id = bpf_map__btf_value_type_id(m)
            opts.map_flags = bpf_map__map_flags(m)
            opts.numa_node = bpf_map__numa_node(m)
            opts.map_extra = bpf_map__map_extra(m)
            return MapShape(
                name: name, templateFD: bpf_map__fd(m), type: bpf_map__type(m), keySize: bpf_map__key_size(m),
                valueSize: bpf_map__value_size(m), maxEntries: bpf_map__max_entries(m), opts: opts)
        }
        programs = try Spec.Program.allCases.map { name in
            let p = template.program(name)
            let instructions = Array(UnsafeBufferPointer(start: bpf_program__insns(p), count: bpf_program__insn_cnt(p)))
            let info = try Self.info(ofProgram: bpf_program__fd(p), name: name)
            var opts = bpf_prog_load_opts()
            opts.sz = MemoryLayout<bpf_prog_load_opts>.size
            opts.expected_attach_type = bpf_program__expected_attach_type(p)
            opts.attach_btf_id = try Self.attachBTFID(p, name: name)
            opts.prog_flags = bpf_program__flags(p)
            opts.prog_btf_fd = btfFD
            return Program(
                name: name, type: bpf_program__type(p), license: info.gplCompatible ? "GPL" : "Proprietary",
                instructions: instructions,
                functions: try Self.functions(info.functions, startingIn: instructions, name: name), opts: opts)
        }
    }

    /// Loads one more copy: its own maps, then every program, verified.
    func load() throws -> BPFObjectCopy<Spec> {
        let copy = BPFObjectCopy<Spec>()
        var replace: [Int32: Int32] = [:]
        for m in ownMaps {
            var opts = m.opts
            let fd = bpf_map_create(m.type, m.name.rawValue, m.keySize, m.valueSize, m.maxEntries, &opts)
            try BPFError.check(fd, "create map \(m.name.rawValue)")
            copy.maps[m.name] = fd
            replace[m.templateFD] = fd
        }
        for p in programs {
            var instructions = p.instructions
            Self.replaceMapFDs(in: &instructions, replace)
            copy.programs[p.name] = try load(p, instructions)
        }
        return copy
    }

    private func load(_ p: Program, _ instructions: [bpf_insn]) throws -> Int32 {
        var opts = p.opts
        let license = p.license
        return try p.functions.withUnsafeBufferPointer { functions in
            opts.func_info = UnsafeRawPointer(functions.baseAddress)
            opts.func_info_cnt = UInt32(functions.count)
            opts.func_info_rec_size = UInt32(MemoryLayout<bpf_func_info>.stride)
            let fd = bpf_prog_load(p.type, p.name.rawValue, license, instructions, instructions.count, &opts)
            if fd >= 0 { return fd }
            // Once more with the verifier's log, for the report.
            let err = fd == -1 ? errno : -fd
            var log = [CChar](repeating: 0, count: 1 << 20)
            return try log.withUnsafeMutableBufferPointer { buffer in
                opts.log_buf = buffer.baseAddress
                opts.log_size = UInt32(buffer.count)
                opts.log_level = 1
                let again = bpf_prog_load(p.type, p.name.rawValue, license, instructions, instructions.count, &opts)
                if again >= 0 { return again }
                throw BPFLoadError(
                    object: Spec.name, variant: template.variant, errno: err, program: p.name.rawValue,
                    verifierLog: String(cString: buffer.baseAddress!))
            }
        }
    }

    /// Points the instructions' map references (ld_imm64 of a map fd, or of
    /// an address in a map's value) at other maps.
    private static func replaceMapFDs(in instructions: inout [bpf_insn], _ replace: [Int32: Int32]) {
        var i = 0
        while i < instructions.count {
            if instructions[i].code == ldImm64 {
                let src = Int32(instructions[i].src_reg)
                if src == BPF_PSEUDO_MAP_FD || src == BPF_PSEUDO_MAP_VALUE,
                    let fd = replace[instructions[i].imm]
                {
                    instructions[i].imm = fd
                }
                i += 1  // its second half
            }
            i += 1
        }
    }

    private static var ldImm64: UInt8 { UInt8(BPF_LD | BPF_IMM | BPF_DW) }

    /// The kernel's BTF id of a program's attach point, found as libbpf found
    /// it for the object (for tp_btf/NAME: the typedef btf_trace_NAME).
    private static func attachBTFID(_ p: OpaquePointer, name: Spec.Program) throws -> UInt32 {
        guard bpf_program__type(p) == BPF_PROG_TYPE_TRACING else { return 0 }
        let section = String(cString: bpf_program__section_name(p))
        guard let slash = section.firstIndex(of: "/") else {
            throw BPFError(
                "copy program \(name.rawValue)", errno: EINVAL, hint: "section \(section) names no attach point")
        }
        let id = libbpf_find_vmlinux_btf_id(
            String(section[section.index(after: slash)...]), bpf_program__expected_attach_type(p))
        return UInt32(try BPFError.check(id, "find the attach point of \(name.rawValue) in the kernel's BTF"))
    }

    /// What the kernel says of a loaded program: whether its license is
    /// GPL-compatible, and its functions' BTF types, in order.
    private static func info(ofProgram fd: Int32, name: Spec.Program) throws -> (
        gplCompatible: Bool, functions: [bpf_func_info]
    ) {
        var info = bpf_prog_info()
        var size = UInt32(MemoryLayout<bpf_prog_info>.size)
        try BPFError.check(bpf_obj_get_info_by_fd(fd, &info, &size), "read program \(name.rawValue)")
        var functions = [bpf_func_info](repeating: bpf_func_info(), count: Int(info.nr_func_info))
        if !functions.isEmpty {
            try functions.withUnsafeMutableBytes { buffer in
                var ask = bpf_prog_info()
                ask.nr_func_info = info.nr_func_info
                ask.func_info_rec_size = UInt32(MemoryLayout<bpf_func_info>.stride)
                ask.func_info = UInt64(UInt(bitPattern: buffer.baseAddress))
                size = UInt32(MemoryLayout<bpf_prog_info>.size)
                try BPFError.check(bpf_obj_get_info_by_fd(fd, &ask, &size), "read functions of \(name.rawValue)")
            }
        }
        return (info.gpl_compatible != 0, functions)
    }

    /// The functions at the offsets where they start in `instructions`. The
    /// kernel reports each function's start in the instructions as it
    /// rewrote them while verifying, and takes starts in the instructions it
    /// is given; the order is the same. A function starts at 0 and at the
    /// target of each BPF-to-BPF call and callback reference (ld_imm64 of a
    /// function, as bpf_loop takes): the verifier's own rule
    /// (add_subprog_and_kfunc), which also refuses a load whose function
    /// info does not match.
    static func functions(
        _ kernel: [bpf_func_info], startingIn instructions: [bpf_insn], name: Spec.Program
    ) throws -> [bpf_func_info] {
        guard !kernel.isEmpty else { return [] }
        var starts: Set<Int> = [0]
        let call = UInt8(BPF_JMP | BPF_CALL)
        for (i, insn) in instructions.enumerated() {
            let src = Int32(insn.src_reg)
            if (insn.code == call && src == BPF_PSEUDO_CALL) || (insn.code == ldImm64 && src == BPF_PSEUDO_FUNC) {
                starts.insert(i + Int(insn.imm) + 1)
            }
        }
        guard starts.count == kernel.count else {
            throw BPFError(
                "copy program \(name.rawValue)", errno: EINVAL,
                hint: "\(starts.count) functions in its instructions, the kernel has \(kernel.count)")
        }
        return zip(starts.sorted(), kernel).map { bpf_func_info(insn_off: UInt32($0), type_id: $1.type_id) }
    }
}

/// One copy loaded from a `BPFObjectImage`: the fds of its own maps and of
/// its programs, closed exactly once (pins and prog arrays keep them).
final class BPFObjectCopy<Spec: BPFObjectSpec>: LoadedBPFObject {
    fileprivate(set) var maps: [Spec.Map: Int32] = [:]
    fileprivate(set) var programs: [Spec.Program: Int32] = [:]

    deinit {
        for fd in maps.values { close(fd) }
        for fd in programs.values { close(fd) }
    }

    /// A map the copy does not own is the image's object's, not reached here.
    func mapFD(_ name: Spec.Map) -> Int32 { maps[name] ?? -1 }
    func programFD(_ name: Spec.Program) -> Int32 { programs[name] ?? -1 }
}
