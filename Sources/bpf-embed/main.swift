// Build tool: bpf-embed OUTPUT.swift STEM WORKDIR CLANG [--variant NAME[=FLAG,FLAG...]]... -- CLANG-ARGS...
//
// Compiles bpf/STEM.bpf.c once per kernel variant (clang CLANG-ARGS FLAG...
// -o WORKDIR/STEM.NAME.bpf.o), opens each object with libbpf to
// read what the loader will see (maps, programs, `const volatile` settings
// with the offsets libbpf fixes up from the ELF symbols), refuses variants
// that differ in any of those, and writes one Swift type for the source:
//
//     public enum RecorderBPF: BPFObjectSpec {
//         static let elf: [BPFVariant: String]      // base64 of each variant
//         enum Map: String { case ring, ringCtl = "ring_ctl", ... }
//         enum Program: String { case ttRecordEnter = "tt_record_enter", ... }
//         struct Settings: BPFSettings { var cellsPerCpu: UInt32; ... }
//     }
//
// so the Swift side names maps, programs and settings through one generated
// interface (like a libbpf skeleton) instead of strings, for every variant.
// Base64 in a string literal compiles fast; a [UInt8] literal of 100 KB does not.
import CTailtrace
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("bpf-embed: \(message)\n".utf8))
    exit(1)
}

var args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 5, let separator = args.firstIndex(of: "--") else {
    fail("usage: bpf-embed OUTPUT.swift STEM WORKDIR CLANG [--variant NAME[=FLAG,FLAG...]]... -- CLANG-ARGS...")
}
let (output, stem, workdir, clang) = (args[0], args[1], args[2], args[3])
var variants: [(name: String, flags: [String])] = []
var i = 4
while i < separator {
    guard args[i] == "--variant", i + 1 < separator else { fail("unexpected \(args[i])") }
    let spec = args[i + 1].split(separator: "=", maxSplits: 1).map(String.init)
    variants.append((spec[0], spec.count > 1 ? spec[1].split(separator: ",").map(String.init) : []))
    i += 2
}
if variants.isEmpty { variants = [("btf", [])] }
let clangArgs = Array(args[(separator + 1)...])

/// What one compiled variant offers the loader.
struct Interface: Equatable {
    struct Setting: Equatable {
        var name: String
        var offset: Int
        var size: Int
        var signed: Bool
    }
    var maps: [String] = []
    var programs: [String] = []
    var settings: [Setting] = []
    var rodataSize = 0
}

func compile(_ variant: (name: String, flags: [String])) -> String {
    let object = "\(workdir)/\(stem).\(variant.name).bpf.o"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: clang)
    process.arguments = clangArgs + variant.flags + ["-o", object]
    do { try process.run() } catch { fail("run \(clang): \(error)") }
    process.waitUntilExit()
    if process.terminationStatus != 0 { exit(process.terminationStatus) }
    return object
}

func interface(of bytes: [UInt8], name: String) -> Interface {
    var opts = bpf_object_open_opts()
    opts.sz = MemoryLayout<bpf_object_open_opts>.size
    guard let obj = bytes.withUnsafeBytes({ bpf_object__open_mem($0.baseAddress, $0.count, &opts) }),
        libbpf_get_error(UnsafeRawPointer(obj)) == 0
    else { fail("libbpf cannot open \(name)") }
    defer { bpf_object__close(obj) }
    var out = Interface()
    var map = bpf_object__next_map(obj, nil)
    while let m = map {
        let mapName = String(cString: bpf_map__name(m))
        if mapName.hasSuffix(".rodata") {
            out.rodataSize = Int(bpf_map__value_size(m))
        } else if !mapName.contains(".") {  // .bss, .data, .kconfig are libbpf's own
            out.maps.append(mapName)
        }
        map = bpf_object__next_map(obj, m)
    }
    var prog = bpf_object__next_program(obj, nil)
    while let p = prog {
        out.programs.append(String(cString: bpf_program__name(p)))
        prog = bpf_object__next_program(obj, p)
    }
    // libbpf has fixed the .rodata DATASEC's offsets from the ELF symbols.
    if let btf = bpf_object__btf(obj), case let sec = btf__find_by_name(btf, ".rodata"), sec > 0,
        let t = btf__type_by_id(btf, UInt32(sec)), btf_is_datasec(t)
    {
        let infos = btf_var_secinfos(t)!
        for k in 0..<Int(btf_vlen(t)) {
            let v = infos[k]
            guard let varType = btf__type_by_id(btf, v.type) else { continue }
            let varName = String(cString: btf__name_by_offset(btf, varType.pointee.name_off))
            // const volatile __u32 x: VAR -> VOLATILE -> CONST -> TYPEDEF... -> INT
            let resolved = btf__resolve_type(btf, varType.pointee.type)
            guard resolved > 0, let intType = btf__type_by_id(btf, UInt32(resolved)), btf_is_int(intType),
                [1, 2, 4, 8].contains(v.size)
            else { fail("\(name): setting \(varName) is not an integer; only integers are supported") }
            let signed = btf_int_encoding(intType) & UInt8(BTF_INT_SIGNED) != 0
            out.settings.append(.init(name: varName, offset: Int(v.offset), size: Int(v.size), signed: signed))
        }
    }
    out.maps.sort()
    out.programs.sort()
    out.settings.sort { $0.offset < $1.offset }
    return out
}

func camel(_ cName: String) -> String {
    let parts = cName.split(separator: "_")
    guard let first = parts.first else { return cName }
    return ([String(first)] + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }).joined()
}

func cases(_ names: [String]) -> String {
    names.map { camel($0) == $0 ? "case \($0)" : "case \(camel($0)) = \"\($0)\"" }.joined(separator: "\n        ")
}

var base64: [String: String] = [:]
var shared: Interface?
for variant in variants {
    let object = compile(variant)
    guard let bytes = FileManager.default.contents(atPath: object) else { fail("read \(object)") }
    let found = interface(of: [UInt8](bytes), name: "\(stem).\(variant.name)")
    if let shared, shared != found {
        fail(
            "variant \(variant.name) of \(stem) differs from \(variants[0].name) in maps, programs or settings: \(found) vs \(shared)"
        )
    }
    shared = found
    base64[variant.name] = bytes.base64EncodedString()
}
let face = shared!
let typeName = stem.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() + "BPF"
let settings = face.settings.map { s in
    (name: camel(s.name), cName: s.name, offset: s.offset, type: (s.signed ? "Int" : "UInt") + "\(s.size * 8)")
}
let source = """
    // Generated by bpf-embed from bpf/\(stem).bpf.c (variants \(variants.map(\.name).joined(separator: ", "))). Do not edit.

    /// Typed interface of bpf/\(stem).bpf.c: its maps, programs and
    /// load-time settings, the same in every compiled variant.
    public enum \(typeName): BPFObjectSpec {
        public static let name = "\(stem)"
        public static let elf: [BPFVariant: BPFObject] = [
            \(variants.map { ".\($0.name): BPFObject(name: \"\(stem)\", base64: \"\(base64[$0.name]!)\")" }.joined(separator: ",\n        "))
        ]

        public enum Map: String, BPFName {
            \(cases(face.maps))
        }

        public enum Program: String, BPFName {
            \(cases(face.programs))
        }

        /// The `const volatile` globals (.rodata), written before load.
        public struct Settings: BPFSettings {
            public static let rodataSize = \(face.rodataSize)
            \(settings.map { "public var \($0.name): \($0.type)" }.joined(separator: "\n        "))

            public init(\(settings.map { "\($0.name): \($0.type)" }.joined(separator: ", "))) {
                \(settings.map { "self.\($0.name) = \($0.name)" }.joined(separator: "\n            "))
            }

            public func write(to rodata: UnsafeMutableRawBufferPointer) {
                \(settings.map { "rodata.storeBytes(of: \($0.name), toByteOffset: \($0.offset), as: \($0.type).self)  // \($0.cName)" }.joined(separator: "\n            "))
            }
        }
    }

    """
do {
    try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
} catch {
    fail("write \(output): \(error)")
}
