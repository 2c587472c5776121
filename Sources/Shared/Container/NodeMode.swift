/// A Kubernetes node's container runtime, as `tailtrace node` finds it.
public enum NodeRuntime: String, Codable, Sendable, CaseIterable {
    case crio = "cri-o"
    case containerd
    case podman

    /// Where each runtime's API socket is on a host, in the order looked at:
    /// a node whose kubelet talks to CRI-O may also have containerd
    /// installed (for image builds), never the other way round.
    public static let sockets: [(NodeRuntime, [String])] = [
        (.crio, ["/run/crio/crio.sock", "/var/run/crio/crio.sock"]),
        (.containerd, ["/run/containerd/containerd.sock", "/run/k3s/containerd/containerd.sock"]),
        (.podman, ["/run/podman/podman.sock", "/usr/bin/podman"]),
    ]

    /// CRI-O and podman run OCI hooks from hooks.d; containerd runs none
    /// (unless NRI's hook injector is set up), so its containers are claimed
    /// by the dispatcher (pool mode) and named by reconcile.
    public var runsHooks: Bool { self != .containerd }
}

/// What `tailtrace node` chose for this node and why: written to the state
/// dir (`node.mode`) for `status`, and logged.
public struct NodeMode: Codable, Sendable, Equatable {
    public var runtime: NodeRuntime
    /// Pool mode: the dispatcher claims a recorder for every new container.
    public var pool: Bool
    public var reason: String
    public var node: String?
    public var since: String?

    public static let fileName = "node.mode"

    public init(runtime: NodeRuntime, pool: Bool, reason: String, node: String? = nil, since: String? = nil) {
        self.runtime = runtime
        self.pool = pool
        self.reason = reason
        self.node = node
        self.since = since
    }

    /// The runtime asked for, or the first whose socket is on the host
    /// (`exists` answers for host paths); nil when none is found.
    public static func choose(asked: NodeRuntime?, exists: (String) -> Bool) -> NodeMode? {
        if let asked {
            return NodeMode(runtime: asked, pool: !asked.runsHooks, reason: "--runtime \(asked.rawValue)" + why(asked))
        }
        for (runtime, paths) in NodeRuntime.sockets {
            if let found = paths.first(where: exists) {
                return NodeMode(runtime: runtime, pool: !runtime.runsHooks, reason: "found \(found)" + why(runtime))
            }
        }
        return nil
    }

    private static func why(_ runtime: NodeRuntime) -> String {
        runtime.runsHooks
            ? "; it runs OCI hooks from hooks.d, so containers annotated io.tailtrace.trace=true are traced"
            : "; it runs no OCI hooks, so the dispatcher claims a recorder for every new container (pool mode)"
    }
}
