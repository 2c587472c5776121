/// Which program runs (or ran) the container, as tailtrace names it. Open
/// ended: a record written by a newer tailtrace may name another runtime.
public struct ContainerRuntime: RawRepresentable, Codable, Sendable, Hashable,
    CustomStringConvertible
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue }

    public static let podman = ContainerRuntime(rawValue: "podman")
    public static let crio = ContainerRuntime(rawValue: "cri-o")
    public static let containerd = ContainerRuntime(rawValue: "containerd")
    public static let docker = ContainerRuntime(rawValue: "docker")
    public static let runc = ContainerRuntime(rawValue: "runc")
    /// `tailtrace attach --cgroup`: a cgroup traced by hand.
    public static let attach = ContainerRuntime(rawValue: "attach")
    /// Started by an OCI runtime (runc, crun) with no manager we recognise.
    public static let oci = ContainerRuntime(rawValue: "oci")
}

/// How a container got its recorder.
public enum ContainerSource: String, Codable, Sendable, CaseIterable {
    /// `ocihook-prestart` claimed a slot.
    case hook
    /// The dispatcher claimed a slot at the first syscall (auto-claim).
    case pool
    /// `tailtrace attach`.
    case attach
}

public enum ContainerState: String, Codable, Sendable, CaseIterable {
    case running
    case exited
    /// Recorded as running by an installation that is gone (uninstalled
    /// without archiving it, or its pins went with a reboot): nothing traces
    /// it any more and its ring is lost. Only shown, never saved.
    case untraced
}

/// What identifies a container to the dispatcher (its key → slot map), in
/// the installation, in every record and on the command line.
public enum KeyMode: String, Codable, Sendable, CaseIterable {
    /// The cgroup v2 id; a container is that cgroup and its descendants.
    case cgroup
    /// The mount-namespace inode, where no cgroup v2 hierarchy is usable.
    case mntns
}

/// One traced container: the metadata file in the state dir, the metadata
/// of an archive, and one element of `tailtrace list --output json`.
///
/// JSON keys are snake_case. Every key is always written, `null` when the
/// value is unknown, so scripts can rely on the shape. Times are RFC 3339 in
/// UTC with nanoseconds (`2026-11-27T16:21:30.061646935Z`), the format podman
/// and CRI-O use for `created`; see `RFC3339Time`.
public struct ContainerRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var runtime: ContainerRuntime
    public var source: ContainerSource
    public var state: ContainerState
    /// Path below the cgroup2 mount, e.g. `/libpod_parent/libpod-<id>`.
    public var cgroupPath: String?
    /// Inode of the cgroup directory; nil when keyed by mount namespace and
    /// the cgroup is unknown.
    public var cgroupID: UInt64?
    /// The BPF map key: the cgroup id or the mount-namespace inode.
    public var key: UInt64
    public var keyMode: KeyMode
    public var slot: Int
    /// Changes on every claim of a slot, so a reused slot never mixes two
    /// containers' records.
    public var generation: UInt32
    /// Kubernetes namespace, pod name, pod uid and container name.
    public var namespace: String?
    public var pod: String?
    public var podUID: String?
    public var container: String?
    public var labels: [String: String]
    /// The `io.tailtrace.*` annotations the container was started with.
    public var annotations: [String: String]
    /// The container's init in the host pid namespace when it was claimed.
    public var pid: Int32?
    public var bundle: String?
    public var startedAt: String?
    public var stoppedAt: String?
    /// Where the ring and this record were archived after the container stopped.
    public var archive: String?
    /// The container stopped but its trace could not be archived (why): its
    /// ring is kept in its slot, read live, until an archive succeeds
    /// (reconcile and later poststops try again).
    public var archivePending: String?
    /// CLOCK_REALTIME − CLOCK_MONOTONIC on the recording host when the ring
    /// was archived: an archive read after a reboot or on another machine
    /// still shows wall-clock times.
    public var clockOffsetNs: Int64?
    /// How the container's init ended (its wait status), when its ring
    /// recorded the exit. JSON: `exit_code`, or `killed_by` (a signal
    /// number) and `core_dumped`.
    public var exitStatus: Int32?

    public init(
        id: String, name: String, runtime: ContainerRuntime, source: ContainerSource,
        state: ContainerState = .running, cgroupPath: String? = nil, cgroupID: UInt64? = nil,
        key: UInt64, keyMode: KeyMode, slot: Int, generation: UInt32,
        namespace: String? = nil, pod: String? = nil, podUID: String? = nil, container: String? = nil,
        labels: [String: String] = [:], annotations: [String: String] = [:], pid: Int32? = nil,
        bundle: String? = nil, startedAt: String? = nil, stoppedAt: String? = nil,
        archive: String? = nil, exitStatus: Int32? = nil
    ) {
        self.id = id
        self.name = name
        self.runtime = runtime
        self.source = source
        self.state = state
        self.cgroupPath = cgroupPath
        self.cgroupID = cgroupID
        self.key = key
        self.keyMode = keyMode
        self.slot = slot
        self.generation = generation
        self.namespace = namespace
        self.pod = pod
        self.podUID = podUID
        self.container = container
        self.labels = labels
        self.annotations = annotations
        self.pid = pid
        self.bundle = bundle
        self.startedAt = startedAt
        self.stoppedAt = stoppedAt
        self.archive = archive
        self.exitStatus = exitStatus
    }

    /// Fills name, runtime and the Kubernetes fields from derived metadata.
    public init(
        id: String, metadata: ContainerMetadata, source: ContainerSource, key: UInt64,
        keyMode: KeyMode, slot: Int, generation: UInt32, cgroupPath: String? = nil,
        cgroupID: UInt64? = nil, pid: Int32? = nil, bundle: String? = nil, startedAt: String? = nil
    ) {
        self.init(
            id: id, name: metadata.name, runtime: metadata.runtime, source: source,
            cgroupPath: cgroupPath,
            cgroupID: cgroupID, key: key, keyMode: keyMode, slot: slot, generation: generation,
            namespace: metadata.namespace, pod: metadata.pod, podUID: metadata.podUID,
            container: metadata.container, labels: metadata.labels,
            annotations: metadata.tailtraceAnnotations,
            pid: pid, bundle: bundle, startedAt: startedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, runtime, source, state
        case cgroupPath = "cgroup_path"
        case cgroupID = "cgroup_id"
        case key
        case keyMode = "key_mode"
        case slot, generation, namespace, pod
        case podUID = "pod_uid"
        case container, labels, annotations, pid, bundle
        case startedAt = "started_at"
        case stoppedAt = "stopped_at"
        case archive
        case exitCode = "exit_code"
        case killedBy = "killed_by"
        case coreDumped = "core_dumped"
        case archivePending = "archive_pending"
        case clockOffsetNs = "clock_offset_ns"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try ContainerID.validate(c.decode(String.self, forKey: .id))
        name = try ContainerID.validateName(c.decode(String.self, forKey: .name))
        runtime = try c.decode(ContainerRuntime.self, forKey: .runtime)
        source = try c.decode(ContainerSource.self, forKey: .source)
        state = try c.decode(ContainerState.self, forKey: .state)
        cgroupPath = try c.decodeIfPresent(String.self, forKey: .cgroupPath)
        cgroupID = try c.decodeIfPresent(UInt64.self, forKey: .cgroupID)
        key = try c.decode(UInt64.self, forKey: .key)
        keyMode = try c.decode(KeyMode.self, forKey: .keyMode)
        slot = try c.decode(Int.self, forKey: .slot)
        generation = try c.decode(UInt32.self, forKey: .generation)
        namespace = try c.decodeIfPresent(String.self, forKey: .namespace)
        pod = try c.decodeIfPresent(String.self, forKey: .pod)
        podUID = try c.decodeIfPresent(String.self, forKey: .podUID)
        container = try c.decodeIfPresent(String.self, forKey: .container)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations) ?? [:]
        pid = try c.decodeIfPresent(Int32.self, forKey: .pid)
        bundle = try c.decodeIfPresent(String.self, forKey: .bundle)
        startedAt = try c.decodeIfPresent(String.self, forKey: .startedAt)
        stoppedAt = try c.decodeIfPresent(String.self, forKey: .stoppedAt)
        archive = try c.decodeIfPresent(String.self, forKey: .archive)
        archivePending = try c.decodeIfPresent(String.self, forKey: .archivePending)
        clockOffsetNs = try c.decodeIfPresent(Int64.self, forKey: .clockOffsetNs)
        if let code = try c.decodeIfPresent(Int32.self, forKey: .exitCode) {
            exitStatus = (code & 0xff) << 8
        } else if let signal = try c.decodeIfPresent(Int32.self, forKey: .killedBy) {
            let core = try c.decodeIfPresent(Bool.self, forKey: .coreDumped) ?? false
            exitStatus = (signal & 0x7f) | (core ? 0x80 : 0)
        }
    }

    /// How the container's init ended, as strace says it: `exited 1`,
    /// `killed by signal 11` (the CLI names the signal).
    public var end: ProcessExit? {
        exitStatus.map { ProcessExit(tsNs: 0, cpu: 0, pid: UInt32(bitPattern: pid ?? 0), tid: 0, comm: "", status: $0) }
    }

    /// Writes every key; an unknown value is an explicit `null`.
    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    /// The record as JSON: what `encode(to:)` writes through any encoder,
    /// and the state and archive files, built without the Encoder protocols
    /// (`JSONObject` says why: every hook writes one).
    var json: JSONValue {
        func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        func number(_ n: (some BinaryInteger)?) -> JSONValue { n.map { .number(String($0)) } ?? .null }
        let end = self.end
        let members: [(CodingKeys, JSONValue)] = [
            (.id, .string(id)), (.name, .string(name)), (.runtime, .string(runtime.rawValue)),
            (.source, .string(source.rawValue)), (.state, .string(state.rawValue)), (.cgroupPath, text(cgroupPath)),
            (.cgroupID, number(cgroupID)), (.key, number(key)), (.keyMode, .string(keyMode.rawValue)),
            (.slot, number(slot)), (.generation, number(generation)), (.namespace, text(namespace)),
            (.pod, text(pod)), (.podUID, text(podUID)), (.container, text(container)),
            (.labels, .object(labels.mapValues(JSONValue.string))),
            (.annotations, .object(annotations.mapValues(JSONValue.string))), (.pid, number(pid)),
            (.bundle, text(bundle)), (.startedAt, text(startedAt)), (.stoppedAt, text(stoppedAt)),
            (.archive, text(archive)), (.archivePending, text(archivePending)), (.clockOffsetNs, number(clockOffsetNs)),
            (.exitCode, number(end?.exitCode)), (.killedBy, number(end?.killedBy)),
            (.coreDumped, end.map { .bool($0.coreDumped) } ?? .null),
        ]
        return .object(Dictionary(uniqueKeysWithValues: members.lazy.map { ($0.0.rawValue, $0.1) }))
    }
}
