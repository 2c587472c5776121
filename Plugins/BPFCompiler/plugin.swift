import Foundation
import PackagePlugin

/// Compiles every `bpf/*.bpf.c` of the package with the toolchain's clang
/// (`-target bpf -O2 -g`, BTF included for CO-RE) and embeds each object in
/// the target as a generated Swift source, so `swift build` needs nothing else
/// and no compiled object is committed.
@main
struct BPFCompiler: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let bpfDir = context.package.directoryURL.appending(path: "bpf")
        let files = try FileManager.default.contentsOfDirectory(atPath: bpfDir.path)
        let headers = files.filter { $0.hasSuffix(".h") }.map { bpfDir.appending(path: $0) }
        let sources = files.filter { $0.hasSuffix(".bpf.c") }.sorted()
        let clang = try context.tool(named: "clang").url
        let embed = try context.tool(named: "bpf-embed").url
        #if arch(x86_64)
            let (arch, triple) = ("x86", "x86_64-linux-gnu")
        #elseif arch(arm64)
            let (arch, triple) = ("arm64", "aarch64-linux-gnu")
        #endif
        var commands: [Command] = []
        for source in sources {
            let stem = String(source.dropLast(".bpf.c".count))
            let input = bpfDir.appending(path: source)
            let swift = context.pluginWorkDirectoryURL.appending(path: "\(stem)_bpf.swift")
            // One command compiles every variant and embeds them: an object
            // file listed as a build output would become a resource of the
            // target, and a resource bundle pulls Foundation into every binary.
            commands.append(
                .buildCommand(
                    displayName: "Compiling BPF \(source)",
                    executable: embed,
                    arguments: [swift.path, stem, context.pluginWorkDirectoryURL.path, clang.path]
                        // Kernel variants (bpf/kernel.bpf.h): names match BPFVariant.
                        // clang 20+ emits BPF ISA v3 by default, whose atomics
                        // 5.10 rejects ("BPF_STX uses reserved fields"): core is v2.
                        + ["--variant", "btf", "--variant", "core=-DTT_VARIANT_CORE,-mcpu=v2", "--"]
                        + [
                            "-target", "bpf", "-O2", "-g", "-Wall", "-Werror",
                            "-D__TARGET_ARCH_\(arch)",
                            // asm/types.h lives in the multiarch include directory.
                            "-I", bpfDir.path, "-I", "/usr/include/\(triple)", "-I", "/usr/include",
                            "-c", input.path,
                        ],
                    inputFiles: [input] + headers,
                    outputFiles: [swift]))
        }
        return commands
    }
}
