import Foundation

/// One container of a pod, as the kubelet reports it in the pod status.
public struct PodContainer: Equatable, Sendable {
    /// Which list of the pod status the container came from.
    public enum Kind: String, Equatable, Sendable {
        case regular
        case initContainer = "init"
        case ephemeral
    }

    /// The scheme of `containerID`: "containerd", "cri-o", "docker".
    public var runtime: String
    /// The bare id the runtime uses (64 hex digits for CRI runtimes), the same id
    /// that appears in the container's cgroup path.
    public var containerID: String
    public var namespace: String
    public var pod: String
    public var podUID: String
    public var container: String
    /// `spec.nodeName` of the pod.
    public var node: String
    public var kind: Kind
    /// False for the previous instance of a restarted container: kubelet keeps its
    /// id in `lastState.terminated.containerID`, and that crashed instance is
    /// often the one whose recording someone wants.
    public var current: Bool
    public var labels: [String: String]

    public init(
        runtime: String, containerID: String, namespace: String, pod: String, podUID: String,
        container: String, node: String = "", kind: Kind = .regular, current: Bool = true,
        labels: [String: String] = [:]
    ) {
        self.runtime = runtime
        self.containerID = containerID
        self.namespace = namespace
        self.pod = pod
        self.podUID = podUID
        self.container = container
        self.node = node
        self.kind = kind
        self.current = current
        self.labels = labels
    }
}

/// The containers of a `PodList` answer, indexed by container id.
public struct PodList: Sendable {
    /// `metadata.resourceVersion` of the list, when the server sent one.
    public let resourceVersion: String?
    public let podCount: Int
    public let containers: [PodContainer]
    private let index: [String: Int]

    public init(containers: [PodContainer], podCount: Int? = nil, resourceVersion: String? = nil) {
        self.containers = containers
        self.podCount = podCount ?? Set(containers.map(\.podUID)).count
        self.resourceVersion = resourceVersion
        var index: [String: Int] = [:]
        index.reserveCapacity(containers.count)
        // A current container wins over a previous instance with the same id, and
        // the first occurrence wins otherwise.
        for (position, container) in containers.enumerated() {
            if let existing = index[container.containerID] {
                if !containers[existing].current && container.current { index[container.containerID] = position }
            } else {
                index[container.containerID] = position
            }
        }
        self.index = index
    }

    /// Decodes a `v1 PodList` JSON body. Only the fields reconcile needs are
    /// decoded; everything else (spec.containers, managedFields, conditions...)
    /// is skipped, which keeps a 10,000-pod list fast.
    ///
    /// With `node`, pods whose `spec.nodeName` differs are dropped: the
    /// apiserver applies the field selector, but checking again costs nothing and
    /// keeps a proxy that drops the query from naming other nodes' containers.
    public init(json: Data, node: String? = nil) throws {
        let list: PodListJSON
        do {
            list = try JSONDecoder().decode(PodListJSON.self, from: json)
        } catch {
            throw KubeError(.malformedResponse, "decode PodList", Self.describe(error))
        }
        if let kind = list.kind, kind != "PodList" {
            throw KubeError(.malformedResponse, "decode PodList", "the answer is a \(kind), not a PodList")
        }
        var containers: [PodContainer] = []
        containers.reserveCapacity((list.items?.count ?? 0) * 2)
        var podCount = 0
        for pod in list.items ?? [] {
            if let node, pod.spec?.nodeName != node { continue }
            podCount += 1
            let meta = pod.metadata
            let status = pod.status
            let lists: [(PodContainer.Kind, [ContainerStatusJSON]?)] = [
                (.regular, status?.containerStatuses),
                (.initContainer, status?.initContainerStatuses),
                (.ephemeral, status?.ephemeralContainerStatuses),
            ]
            for (kind, statuses) in lists {
                for status in statuses ?? [] {
                    let ids = [(status.containerID, true), (status.lastState?.terminated?.containerID, false)]
                    for case (let reference?, let current) in ids {
                        // A container still waiting to be created has no id yet.
                        guard let (runtime, id) = Self.split(reference) else { continue }
                        containers.append(
                            PodContainer(
                                runtime: runtime, containerID: id,
                                namespace: meta?.namespace ?? "", pod: meta?.name ?? "", podUID: meta?.uid ?? "",
                                container: status.name ?? "", node: pod.spec?.nodeName ?? "", kind: kind,
                                current: current,
                                labels: meta?.labels ?? [:]))
                    }
                }
            }
        }
        self.init(containers: containers, podCount: podCount, resourceVersion: list.metadata?.resourceVersion)
    }

    /// The container with this id, bare (`0123abcd...`) or as the pod status
    /// writes it (`containerd://0123abcd...`).
    public func container(id: String) -> PodContainer? {
        let bare = Self.split(id)?.id ?? id
        return index[bare].map { containers[$0] }
    }

    /// `containerd://<id>`, `cri-o://<id>`, `docker://<id>` → (runtime, id).
    static func split(_ reference: String) -> (runtime: String, id: String)? {
        guard let separator = reference.range(of: "://") else {
            return reference.isEmpty ? nil : ("", reference)
        }
        let id = String(reference[separator.upperBound...])
        guard !id.isEmpty else { return nil }
        return (String(reference[..<separator.lowerBound]).lowercased(), id)
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            let cause = context.underlyingError.map { " \($0)" } ?? ""
            return "not valid JSON (\(context.debugDescription)\(cause))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return "unexpected value at \(path.isEmpty ? "top level" : path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

// The JSON shapes, trimmed to what is read. Every field is optional so an
// apiserver that omits one (older versions, pods still pending) still decodes.
private struct PodListJSON: Decodable {
    struct ListMeta: Decodable { var resourceVersion: String? }
    var kind: String?
    var metadata: ListMeta?
    var items: [PodJSON]?
}

private struct PodJSON: Decodable {
    struct Meta: Decodable {
        var name: String?
        var namespace: String?
        var uid: String?
        var labels: [String: String]?
    }
    struct Status: Decodable {
        var containerStatuses: [ContainerStatusJSON]?
        var initContainerStatuses: [ContainerStatusJSON]?
        var ephemeralContainerStatuses: [ContainerStatusJSON]?
    }
    struct Spec: Decodable { var nodeName: String? }
    var metadata: Meta?
    var spec: Spec?
    var status: Status?
}

private struct ContainerStatusJSON: Decodable {
    struct State: Decodable {
        struct Terminated: Decodable { var containerID: String? }
        var terminated: Terminated?
    }
    var name: String?
    var containerID: String?
    var lastState: State?
}
