import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import BPFObjects
import CTailtrace
import Glibc
import Shared
import TailcallPool
import TraceFormat

struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Load the dispatcher and a pool of recorders, and pin them (stays attached after exit).")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Recorder modules to preload (1-\(TT_MAX_SLOTS)).")
    var pool = 16

    @Flag(
        help:
            "Let the dispatcher claim a recorder for every new container at its first syscall (runtimes without hooks)."
    )
    var autoClaim = false

    @Option(help: "Ring size per container in bytes; K, M and G suffixes allowed.")
    var ringSize = "256K"

    @Option(help: "Bytes captured per string or buffer argument (16-\(TT_MAX_CAPTURE)).")
    var captureBytes = 128

    @Option(
        help:
            "What identifies a container: its cgroup v2 (cgroup) or its mount namespace (mntns). Default: cgroup, or mntns where no cgroup2 hierarchy is mounted."
    )
    var key: KeyMode?

    @Option(help: "Program variant: btf (5.17+, fastest) or core (5.10+). Default: chosen from probes of the kernel.")
    var bpfVariant: BPFVariant?

    @Flag(help: "Print libbpf's and the verifier's whole log (also TAILTRACE_DEBUG=1).")
    var verbose = false

    @Option(help: "Also install the OCI hooks: hooks.d JSON files go here (e.g. /usr/share/containers/oci/hooks.d).")
    var hooksDir: String?

    @Option(help: "Where the hook executables are installed (with --hooks-dir).")
    var hookPath = HookFiles.defaultLibexec

    @Flag(help: "With --hooks-dir: trace every container, not only those annotated io.tailtrace.trace=true.")
    var traceAllContainers = false

    func validate() throws {
        if traceAllContainers && hooksDir == nil {
            throw ValidationError("--trace-all-containers goes with --hooks-dir")
        }
        for dir in [hooksDir, hookPath].compactMap({ $0 }) where !dir.hasPrefix("/") {
            throw ValidationError("\(dir): give an absolute path")
        }
        guard (1...Int(TT_MAX_SLOTS)).contains(pool) else {
            throw ValidationError("--pool must be 1...\(TT_MAX_SLOTS)")
        }
        guard let bytes = ByteSize.parse(ringSize), (16 << 10...1 << 30).contains(bytes) else {
            throw ValidationError("--ring-size must be 16K...1G (e.g. 256K, 4M)")
        }
        guard (16...Int(TT_MAX_CAPTURE)).contains(captureBytes) else {
            throw ValidationError("--capture-bytes must be 16...\(TT_MAX_CAPTURE)")
        }
    }

    func run() throws {
        let paths = try global.paths()
        var options = InstallOptions()
        options.poolSize = pool
        options.ringBytes = ByteSize.parse(ringSize)!
        options.captureBytes = captureBytes
        options.keyMode = key
        options.autoClaim = autoClaim
        options.variant = bpfVariant
        options.plans = CapturePlan.resolvedTable()
        if verbose { setenv("TAILTRACE_DEBUG", "1", 1) }
        switch try Installation.install(PinRoot(paths.pinRoot), options: options) {
        case .installed(let i, let notes):
            try paths.stateStore.prepare()
            print(
                "installed at \(paths.pinRoot): \(i.poolSize) recorders of \(ByteSize.format(i.ringBytes)), "
                    + "key \(i.keyMode.rawValue)\(i.autoClaim ? ", auto-claim" : "")")
            for note in notes { print(note) }
        case .alreadyInstalled(let i):
            print(
                "already installed at \(paths.pinRoot) (\(i.poolSize) recorders of \(ByteSize.format(i.ringBytes)), "
                    + "key \(i.keyMode.rawValue)); `tailtrace uninstall` first to change settings")
        }
        if let hooksDir {
            try HookFiles.install(hooksDir: hooksDir, libexec: hookPath, paths: paths, always: traceAllContainers)
            print("hooks: \(hooksDir)/tailtrace-prestart.json and tailtrace-poststop.json run \(hookPath)/ocihook-*")
        }
    }
}

extension BPFVariant: ExpressibleByArgument {}
extension KeyMode: ExpressibleByArgument {}

struct Uninstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Archive running traces, detach the dispatcher and remove every pin.",
        discussion: """
            On a Kubernetes node: delete the DaemonSet, then run `tailtrace uninstall --host-root /host \
            --hooks-dir /etc/containers/oci/hooks.d --hooks-dir /usr/share/containers/oci/hooks.d` \
            once per node (e.g. a one-off pod with the DaemonSet's mounts); archives stay in \
            /var/lib/tailtrace/archive.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("hooks-dir"), help: "Also remove tailtrace's hooks.d files from this directory (repeatable).")
    var hooksDirs: [String] = []

    @Option(help: "Where the host's / is mounted (with --hooks-dir), as for `tailtrace node`.")
    var hostRoot = "/"

    func run() throws {
        let paths = try global.paths()
        if let recorder = try? global.recorder() {
            for record in (try? paths.stateStore.loadAll().records) ?? [] {
                do {
                    try recorder.unplug(record)
                } catch {
                    printError("could not archive \(record.name): \(error)")
                }
            }
        }
        try Installation.uninstall(PinRoot(paths.pinRoot))
        print("uninstalled \(paths.pinRoot)")
        for dir in hooksDirs {
            let base = hostRoot == "/" ? "" : hostRoot
            for stage in ["prestart", "poststop"] where unlink(base + dir + "/tailtrace-\(stage).json") == 0 {
                print("removed \(dir)/tailtrace-\(stage).json")
            }
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Pool and memory figures of the installation.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "text or json.")
    var output = OutputFormat.text

    func run() throws {
        let recorder = try global.recorder()
        let i = recorder.installation
        let s = try recorder.pool.status()
        // Why this variant: the same probes install ran (a few ms).
        let reason =
            (try? KernelFeatures.probe().choice().get())
            .map {
                $0.variant == i.variant
                    ? $0.reason : "chosen at install; this kernel now would pick \($0.variant.rawValue)"
            } ?? "chosen at install"
        // slots holding the ring of a stopped container whose archive failed
        let pending = (try? recorder.paths.stateStore.pendingArchives().count) ?? 0
        let report = StatusReport(
            pinRoot: i.root.path, keyMode: i.keyMode.rawValue, bpfVariant: i.variant.rawValue,
            bpfVariantReason: reason, autoClaim: i.autoClaim, poolSize: s.poolSize, loaded: s.loaded,
            free: max(s.free - pending, 0), archivePending: pending,
            claimed: s.claimed, misses: s.misses, autoClaims: s.autoClaims, claimRaces: s.races,
            claimsRefused: s.refused, lost: s.lost, payloads: s.payloads, payloadFaults: s.payloadFaults,
            ringBytes: i.ringBytes, captureBytes: i.captureBytes, memoryBytes: s.memoryBytes,
            node: Self.nodeMode(try global.paths()))
        switch output {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        case .text:
            print("installed at \(i.root.path), key \(i.keyMode.rawValue)\(i.autoClaim ? ", auto-claim" : "")")
            print("programs: \(i.variant.rawValue) variant (\(reason))")
            if let node = report.node {
                print("node \(node.node ?? "?"): \(node.runtime.rawValue), \(node.pool ? "pool mode" : "OCI hooks") (\(node.reason))")
            }
            print(
                "recorders: \(s.loaded) loaded (pool size \(s.poolSize)), \(s.claimed) claimed, \(report.free) free"
                    + (pending > 0 ? ", \(pending) holding a trace whose archive is pending" : ""))
            print("ring: \(ByteSize.format(i.ringBytes)) per container, \(i.captureBytes) bytes per captured argument")
            print("memory: \(ByteSize.format(s.memoryBytes)) of kernel memory in use")
            print(
                "pool misses: \(s.misses), auto-claims: \(s.autoClaims), refused claims: \(s.refused), lost events: \(s.lost)"
            )
            // hundredths of a percent, without floating point formatting
            let basis = s.payloads == 0 ? 0 : s.payloadFaults * 10_000 / s.payloads
            let rate = "\(basis / 100).\(basis % 100 < 10 ? "0" : "")\(basis % 100)%"
            print("payloads: \(s.payloads) captured, \(s.payloadFaults) unreadable at enter and exit (\(rate))")
        }
    }
}

extension Status {
    /// `node.mode` in the state dir, written by `tailtrace node`.
    static func nodeMode(_ paths: TailtracePaths) -> NodeMode? {
        guard
            let bytes = try? StateFiles.readFile(
                paths.stateDirectory + "/" + NodeMode.fileName, limit: 1 << 16, input: "node mode")
        else { return nil }
        return try? JSONDecoder().decode(NodeMode.self, from: Data(bytes))
    }
}

/// `tailtrace status --output json` (keys in the shared contract, snake_case).
struct StatusReport: Encodable {
    var pinRoot: String
    var keyMode: String
    var bpfVariant: String
    var bpfVariantReason: String
    var autoClaim: Bool
    var poolSize, loaded, free: Int
    /// Stopped containers whose trace waits in its slot for an archive.
    var archivePending: Int
    var claimed: Int
    var misses, autoClaims, claimRaces, claimsRefused, lost, payloads, payloadFaults: UInt64
    var ringBytes, captureBytes, memoryBytes: Int
    /// What `tailtrace node` chose on this node, when it runs here.
    var node: NodeMode?

    enum CodingKeys: String, CodingKey {
        case pinRoot = "pin_root", keyMode = "key_mode", bpfVariant = "bpf_variant"
        case bpfVariantReason = "bpf_variant_reason", autoClaim = "auto_claim", poolSize = "pool_size"
        case loaded, free, archivePending = "archive_pending", claimed, misses, autoClaims = "auto_claims", claimRaces = "claim_races"
        case claimsRefused = "claims_refused", lost, payloads, payloadFaults = "payload_faults"
        case ringBytes = "ring_bytes", captureBytes = "capture_bytes", memoryBytes = "memory_bytes"
        case node
    }
}

