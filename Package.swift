// swift-tools-version: 6.0
import PackageDescription

// The hooks run at every container start and stop: fully static executables
// (glibc, libstdc++, libbpf, libelf and zlib too, from their .a files). The
// dynamic loader then has nothing to map, resolve or relocate: with only the
// Swift runtime static, ld.so loaded six libraries and applied ~20,000
// relocations at every run, a third of a hook's CPU time. Measured here, a
// hook that returns at once takes 0.5 instead of 1.6 ms of CPU (0.8 instead
// of 2.1 ms from fork to exit), and the host needs none of these libraries.
// Not static-pie: relocating itself at every start cost 0.4 ms of CPU more
// (ld.gold cannot link it; lld can), for address randomization of code that
// parses only the runtime's state and the bundle's config.json.
let staticExecutable: [LinkerSetting] = [
    .unsafeFlags(["-static-executable"]),
    // FoundationEssentials links statically only with its helper libraries named.
    .linkedLibrary("_FoundationCollections"), .linkedLibrary("_FoundationCShims"),
    .linkedLibrary("swiftSynchronization"),
]

// The CLI: the Swift runtime static (and Foundation, below); libbpf & co. stay shared.
let staticStdlib: [LinkerSetting] = [
    .unsafeFlags(["-static-stdlib"]),
    .linkedLibrary("_FoundationCollections"), .linkedLibrary("_FoundationCShims"),
    .linkedLibrary("swiftSynchronization"),
]

// tailtrace-kube links all of Foundation (the Kubernetes client needs it):
// static too, it starts in 5.5 ms of CPU instead of 11.7 ms with Foundation
// and ICU loaded and relocated at every run (measured, see DESIGN.md). The libraries
// swiftc -static-stdlib names for `import Foundation`:
let staticFoundation: [LinkerSetting] = [
    .unsafeFlags(
        ["-Xlinker", "--start-group"]
            + ["Foundation", "FoundationInternationalization", "_FoundationICU", "CoreFoundation", "swiftDispatch",
                "dispatch", "BlocksRuntime"].flatMap { ["-Xlinker", "-l\($0)"] }
            + ["-Xlinker", "--end-group"])
]

// The CLI's executables are PIEs with tens of thousands of relative
// relocations (~114,000 when one binary held the Kubernetes client too: 2.7
// MB of RELA entries that ld.so read and applied at every run): packed as
// RELR (glibc 2.36+, linked by lld; gold cannot) those were 22 KB, and an
// `attach` or `detach` started with ~0.8 ms less CPU here (measured side by
// side). Not non-PIE, which would save more: tailtrace parses files from
// anywhere (`dump --file`, zlib included) and tailtrace-kube the API
// server's TLS, and both keep their addresses randomized.
let packedRelocations: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"])
]

let package = Package(
    name: "tailtrace",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "tailtrace", targets: ["tailtrace"]),
        .executable(name: "tailtrace-kube", targets: ["tailtrace-kube"]),
        .executable(name: "ocihook-prestart", targets: ["ocihook-prestart"]),
        .executable(name: "ocihook-poststop", targets: ["ocihook-poststop"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Kubernetes API access for `tailtrace reconcile` only; the hooks never link these.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // libbpf, libelf and bpf/tailtrace.h (the record layout).
        .target(
            name: "CTailtrace",
            linkerSettings: [.linkedLibrary("bpf"), .linkedLibrary("elf"), .linkedLibrary("z")]
        ),
        // libseccomp's syscall tables, for the decoder only.
        .target(name: "CSeccomp", linkerSettings: [.linkedLibrary("seccomp")]),
        // Turns a compiled BPF object into a Swift source that embeds it.
        // Compiles each bpf/*.bpf.c per kernel variant and generates its typed Swift interface.
        .executableTarget(name: "bpf-embed", dependencies: ["CTailtrace"], path: "Sources/bpf-embed"),
        .plugin(
            name: "BPFCompiler",
            capability: .buildTool(),
            dependencies: ["bpf-embed"]
        ),
        // The BPF objects compiled from bpf/*.bpf.c during `swift build`.
        .target(name: "BPFObjects", plugins: ["BPFCompiler"]),
        // What every executable needs: container state, records, archives, ring → events.
        .target(name: "Shared", dependencies: ["CTailtrace"]),
        // Events → strace-like text and JSON (libseccomp names, tracefs formats): the CLI only.
        .target(name: "TraceFormat", dependencies: ["Shared", "CSeccomp", "CTailtrace"]),
        // The BPF side: kernel probes, typed objects, pins, installation, the pool, ring capture.
        .target(name: "TailcallPool", dependencies: ["CTailtrace", "Shared", "BPFObjects"]),
        // The hooks' policy and option parsing (OCI state on stdin → a claim).
        .target(name: "OCIHooks", dependencies: ["Shared", "TailcallPool"]),
        // Pool mode: claims named from runtime state and the Kubernetes identity.
        .target(name: "Reconcile", dependencies: ["CTailtrace", "Shared", "TailcallPool", "KubernetesAPI"]),
        // Pods of this node from the Kubernetes API (kubeconfig or in-cluster).
        .target(
            name: "KubernetesAPI",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // What the CLI's two executables share: the options every command
        // takes, its output, the hook files, and the Kubernetes commands'
        // definitions and hand-over.
        .target(
            name: "CommandLineSupport",
            dependencies: [
                "Shared", "TraceFormat", "TailcallPool",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The CLI, without the Kubernetes API client (KubernetesCommands):
        // start-up, which every attach, detach and dump pays, is 4-4.5 instead
        // of 7.5-7.9 ms of CPU here.
        .executableTarget(
            name: "tailtrace",
            dependencies: [
                "CTailtrace", "Shared", "TraceFormat", "TailcallPool", "BPFObjects", "CommandLineSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: staticStdlib + packedRelocations
        ),
        // `tailtrace node` and `tailtrace reconcile`, handed over by the CLI:
        // the API client, with Foundation, which async-http-client and Yams
        // pull in (its libraries named): start-up is 7.5 instead of 15 ms here.
        .executableTarget(
            name: "tailtrace-kube",
            dependencies: [
                "Shared", "TraceFormat", "TailcallPool", "Reconcile", "KubernetesAPI", "CommandLineSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: staticStdlib + staticFoundation + packedRelocations
        ),
        .executableTarget(
            name: "ocihook-prestart", dependencies: ["OCIHooks"],
            linkerSettings: staticExecutable),
        .executableTarget(
            name: "ocihook-poststop", dependencies: ["OCIHooks"],
            linkerSettings: staticExecutable),
        // What the test targets share: running programs, the busybox rootfs,
        // the test PKI and API server, test failures.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SharedTests", dependencies: ["Shared", "CTailtrace"]),
        .testTarget(name: "TraceFormatTests", dependencies: ["TraceFormat", "Shared"]),
        .testTarget(
            name: "TailcallPoolTests", dependencies: ["TailcallPool", "Reconcile", "KubernetesAPI", "Shared", "BPFObjects", "CTailtrace"]),
        .testTarget(name: "OCIHooksTests", dependencies: ["OCIHooks", "Shared"]),
        .testTarget(name: "TailtraceCLITests", dependencies: ["Shared", "TestSupport", "CommandLineSupport"]),
        .testTarget(name: "KubernetesAPITests", dependencies: ["KubernetesAPI", "TestSupport"]),
    ]
)
