import ArgumentParser
import Glibc
import Shared

/// `tailtrace node` and `tailtrace reconcile`, the commands that reach the
/// Kubernetes API, run in a second executable beside tailtrace,
/// `tailtrace-kube`: the API client (async-http-client, SwiftNIO, TLS) and
/// the whole of Foundation it needs stay out of the tailtrace binary, whose
/// start-up every attach, detach, dump and list pays. With them linked in it
/// had 8,659 protocol conformances, which the Swift runtime scans at each
/// first cast (most of swift-argument-parser's first parse), against 3,876,
/// and three times the relocations: `detach` of nothing took 8.5-11.1 ms
/// from fork to exit and ~759 page faults, against 5.3-7.6 ms and ~456
/// (perf stat, 50 runs each, alternated, on a busy machine).
///
/// Their definitions and options are here, once: tailtrace's root command
/// lists both with them (help, completion scripts, the manual) and hands
/// their command lines over before parsing.
public enum KubernetesCommands {
    public static let executable = "tailtrace-kube"

    public static let node = CommandConfiguration(
        commandName: "node",
        abstract: "Run as a node's tailtrace pod: install or keep the recorder, the hooks, name containers until SIGTERM.",
        discussion: """
            The runtime is found from its socket under --host-root: CRI-O and podman run OCI \
            hooks, so the hooks go into their hooks.d directories; containerd runs none, so the \
            recorder is installed in pool mode (the dispatcher claims a recorder for every new \
            container) and reconcile names the claims from containerd's state and the Kubernetes \
            API (in-cluster credentials, node name from NODE_NAME). What was chosen and why is \
            logged and shown by `tailtrace status`. SIGTERM ends it without uninstalling; \
            `tailtrace uninstall` removes everything.
            """)

    public static let reconcile = CommandConfiguration(
        commandName: "reconcile",
        abstract:
            "Name the recorders the dispatcher claimed (pool mode), archive the traces of stopped containers, refill the pool.",
        discussion: """
            Each claimed slot's cgroup is mapped to a container id (ctr, containerd CRI, CRI-O, \
            docker and podman cgroup shapes), confirmed with the runtime's state, and, when \
            Kubernetes credentials are found (--kubeconfig, KUBECONFIG, ~/.kube/config or \
            in-cluster), given its namespace, pod, container and labels from the API.
            """)

    /// When `arguments` (a whole command line) name one of these commands,
    /// also as `help node`, replaces this process with tailtrace-kube, given
    /// the same arguments; returns otherwise. The executable is taken from
    /// this one's own directory, never from PATH.
    public static func handOver(_ arguments: [String]) {
        let words = Array(arguments.dropFirst())
        let names = [node.commandName, reconcile.commandName]
        guard let first = words.first,
            names.contains(first) || (first == "help" && words.count > 1 && names.contains(words[1]))
        else { return }
        let path = Executables.directory() + "/" + executable
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + words).map { strdup($0) } + [nil]
        execv(path, &argv)
        printError(
            "\(first) runs in \(executable), which belongs beside tailtrace: \(path): \(String(cString: strerror(errno)))")
        exit(1)
    }
}

/// `tailtrace node`'s options (Sources/tailtrace-kube/NodeCommand.swift).
public struct NodeOptions: ParsableArguments {
    @OptionGroup public var global: GlobalOptions

    @Option(help: "Where the host's / is mounted in this pod (runtime sockets, hooks.d, hook executables).")
    public var hostRoot = "/"

    @Option(help: "The node's runtime: cri-o, containerd or podman (default: found from its socket).")
    public var runtime: NodeRuntime?

    @Option(name: .customLong("hooks-dir"), help: "A host hooks.d directory to write the hooks into (repeatable).")
    public var hooksDirs: [String] = ["/etc/containers/oci/hooks.d", "/usr/share/containers/oci/hooks.d"]

    @Option(help: "Host directory for the hook executables.")
    public var hookPath = HookFiles.defaultLibexec

    @Option(help: "Recorder modules to preload.")
    public var pool = 16

    @Option(help: "Ring size per container (K, M, G suffixes).")
    public var ringSize = "256K"

    @Option(help: "kubeconfig for the Kubernetes API (default: in-cluster).")
    public var kubeconfig: String?

    @Option(help: "This node's name in Kubernetes (default: env NODE_NAME, else the host name).")
    public var nodeName: String?

    @Option(help: "Seconds between reconcile passes.")
    public var interval = 10

    @Flag(help: "Set the node up and exit, without the reconcile loop.")
    public var once = false

    public func validate() throws {
        for dir in [hostRoot, hookPath] + hooksDirs where !dir.hasPrefix("/") {
            throw ValidationError("\(dir): give an absolute path")
        }
        guard interval >= 1 else { throw ValidationError("--interval must be at least 1") }
        guard let bytes = ByteSize.parse(ringSize), (16 << 10...1 << 30).contains(bytes) else {
            throw ValidationError("--ring-size must be 16K...1G")
        }
    }

    public init() {}
}

extension NodeRuntime: ExpressibleByArgument {}

/// `tailtrace reconcile`'s options (Sources/tailtrace-kube/ReconcileCommand.swift).
public struct ReconcileOptions: ParsableArguments {
    @OptionGroup public var global: GlobalOptions

    @Option(help: "kubeconfig to reach the Kubernetes API (default: KUBECONFIG, ~/.kube/config, or in-cluster).")
    public var kubeconfig: String?

    @Option(help: "This node's name in Kubernetes (default: the host name).")
    public var node: String?

    @Flag(help: "Repeat until interrupted.")
    public var watch = false

    @Option(help: "Seconds between passes with --watch.")
    public var interval = 5

    public func validate() throws {
        guard interval >= 1 else { throw ValidationError("--interval must be at least 1") }
    }

    public init() {}
}
