import FoundationEssentials

/// Name, runtime and Kubernetes identity of a container, derived from what
/// the runtime hands a hook: the annotations (state or `config.json`), the
/// bundle path, and, for podman, containers/storage's `containers.json`.
public struct ContainerMetadata: Sendable, Equatable {
    /// A valid container name (`ContainerID.validateName`); the short id
    /// when nothing better is known.
    public var name: String
    public var runtime: ContainerRuntime
    public var namespace: String?
    public var pod: String?
    public var podUID: String?
    /// The Kubernetes container name.
    public var container: String?
    public var labels: [String: String]
    /// A pod sandbox (pause) container rather than a workload container.
    public var isSandbox: Bool
    /// The `io.tailtrace.*` annotations, kept in the record.
    public var tailtraceAnnotations: [String: String]

    public init(
        name: String, runtime: ContainerRuntime, namespace: String? = nil, pod: String? = nil,
        podUID: String? = nil, container: String? = nil, labels: [String: String] = [:],
        isSandbox: Bool = false, tailtraceAnnotations: [String: String] = [:]
    ) {
        self.name = name
        self.runtime = runtime
        self.namespace = namespace
        self.pod = pod
        self.podUID = podUID
        self.container = container
        self.labels = labels
        self.isSandbox = isSandbox
        self.tailtraceAnnotations = tailtraceAnnotations
    }

    /// Derives the metadata of container `id` (already validated).
    ///
    /// - `bundle`: when it has the containers/storage shape, the name is looked
    ///   up in `containers.json` (podman passes no name anywhere else).
    /// - `cgroupPath`: its shape names the runtime when annotations do not
    ///   (`ctr run` gives neither annotations nor a name).
    public static func derive(
        id: String, annotations: [String: String], bundle: String? = nil, cgroupPath: String? = nil
    ) -> ContainerMetadata {
        var metadata = ContainerMetadata(name: ContainerID.short(id), runtime: .oci)
        metadata.tailtraceAnnotations = annotations.filter {
            $0.key.hasPrefix(AnnotationKey.tailtracePrefix)
        }
        var name: String?
        let manager = annotations[AnnotationKey.manager]
        // podman also sets io.kubernetes.cri-o.Created and .TTY (seen with
        // podman 4.3), so io.container.manager must be checked first.
        if manager == "libpod" {
            metadata.runtime = .podman
        } else if manager == "cri-o" || annotations[AnnotationKey.crioContainerType] != nil
            || annotations[AnnotationKey.crioName] != nil
            || annotations[AnnotationKey.crioContainerName] != nil
        {
            metadata.fillCRIO(annotations)
            // k8s_<container>_<pod>_<namespace>_<pod uid>_<attempt>: CRI-O
            // sets .Name on every container, .ContainerName on sandboxes.
            name =
                validName(annotations[AnnotationKey.crioName])
                ?? validName(annotations[AnnotationKey.crioContainerName]) ?? validName(metadata.container)
        } else if annotations[AnnotationKey.criContainerType] != nil
            || annotations[AnnotationKey.criContainerName] != nil
        {
            metadata.fillContainerdCRI(annotations)
            name = validName(metadata.isSandbox ? metadata.pod : metadata.container)
        } else if let cgroupPath, let reference = CgroupPath.containerReference(fromPath: cgroupPath),
            reference.id == id, let runtime = reference.runtime
        {
            metadata.runtime = runtime
        }
        // The name is the one piece of metadata podman keeps only in
        // containers/storage; at poststop podman no longer passes
        // io.container.manager, so try the lookup whenever the bundle has the
        // storage shape and no annotation gave a name.
        if name == nil, let bundle, let stored = ContainersStorage.name(ofContainer: id, bundle: bundle) {
            name = stored
            if metadata.runtime == .oci { metadata.runtime = .podman }
        }
        if let name { metadata.name = name }
        return metadata
    }

    /// CRI-O: kubelet's container labels come as a JSON object inside the
    /// `io.kubernetes.cri-o.Labels` annotation; the pod fields are also
    /// separate annotations.
    private mutating func fillCRIO(_ annotations: [String: String]) {
        runtime = .crio
        labels = Self.decodeLabels(annotations[AnnotationKey.crioLabels])
        isSandbox = annotations[AnnotationKey.crioContainerType] == "sandbox"
        namespace = Self.text(
            annotations[AnnotationKey.podNamespace] ?? labels[AnnotationKey.podNamespace])
        pod = Self.text(annotations[AnnotationKey.podName] ?? labels[AnnotationKey.podName])
        podUID = Self.text(annotations[AnnotationKey.podUID] ?? labels[AnnotationKey.podUID])
        if !isSandbox {
            container = Self.text(
                annotations[AnnotationKey.containerName] ?? labels[AnnotationKey.containerName])
        }
    }

    /// containerd's CRI plugin: sandbox-uid exists since containerd 1.6.11.
    private mutating func fillContainerdCRI(_ annotations: [String: String]) {
        runtime = .containerd
        isSandbox = annotations[AnnotationKey.criContainerType] == "sandbox"
        namespace = Self.text(annotations[AnnotationKey.criSandboxNamespace])
        pod = Self.text(annotations[AnnotationKey.criSandboxName])
        podUID = Self.text(annotations[AnnotationKey.criSandboxUID])
        if !isSandbox { container = Self.text(annotations[AnnotationKey.criContainerName]) }
    }

    private static func validName(_ candidate: String?) -> String? {
        guard let candidate, ContainerID.isValidName(candidate) else { return nil }
        return candidate
    }

    /// Display-only Kubernetes text: at most 253 characters (a DNS
    /// subdomain), no control characters; anything else is dropped.
    static func text(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= 253,
            !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        return value
    }

    /// A malformed Labels annotation is skipped, not fatal: labels are
    /// metadata, and a hook must not fail a container over them.
    static func decodeLabels(_ json: String?) -> [String: String] {
        guard let json,
            let labels = try? TreeJSONDecoder.decode([String: String].self, from: Array(json.utf8))
        else { return [:] }
        return labels.filter { text($0.key) != nil && (text($0.value) != nil || $0.value.isEmpty) }
    }
}

/// Whether a container asked to be traced, read from its annotations. Values
/// are compared case-insensitively with `true`.
public struct TracePolicy: Sendable, Equatable {
    /// `io.tailtrace.trace=true`
    public var trace: Bool
    /// `io.tailtrace.required=true`: the hook fails (and so the container
    /// does not start) when tracing cannot be set up. Implies `trace`.
    public var required: Bool

    public init(annotations: [String: String]) {
        func isTrue(_ key: String) -> Bool { annotations[key]?.lowercased() == "true" }
        required = isTrue(AnnotationKey.required)
        trace = required || isTrue(AnnotationKey.trace)
    }
}

/// Annotation keys, with the runtime that sets them.
public enum AnnotationKey {
    public static let tailtracePrefix = "io.tailtrace."
    public static let trace = "io.tailtrace.trace"
    public static let required = "io.tailtrace.required"
    /// podman: `libpod`; recent CRI-O: `cri-o`.
    public static let manager = "io.container.manager"
    // CRI-O
    public static let crioName = "io.kubernetes.cri-o.Name"
    public static let crioContainerName = "io.kubernetes.cri-o.ContainerName"
    public static let crioContainerType = "io.kubernetes.cri-o.ContainerType"
    public static let crioLabels = "io.kubernetes.cri-o.Labels"
    public static let podName = "io.kubernetes.pod.name"
    public static let podNamespace = "io.kubernetes.pod.namespace"
    public static let podUID = "io.kubernetes.pod.uid"
    public static let containerName = "io.kubernetes.container.name"
    // containerd CRI plugin
    public static let criContainerName = "io.kubernetes.cri.container-name"
    public static let criContainerType = "io.kubernetes.cri.container-type"
    public static let criSandboxName = "io.kubernetes.cri.sandbox-name"
    public static let criSandboxNamespace = "io.kubernetes.cri.sandbox-namespace"
    public static let criSandboxUID = "io.kubernetes.cri.sandbox-uid"
}
