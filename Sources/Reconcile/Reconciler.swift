import CTailtrace
import FoundationEssentials
import Glibc
import KubernetesAPI
import Shared
import TailcallPool

/// What one reconcile pass did.
public struct ReconcileReport: Sendable {
    /// Slots the dispatcher claimed, now named after their container.
    public var named: [ContainerRecord] = []
    /// Containers found gone: their traces archived, their slots freed.
    public var archived: [ContainerRecord] = []
    /// Claims that were not containers (e.g. a service with a private mount
    /// namespace): freed, and their keys refused from now on.
    public var refused: [String] = []
    /// Records given Kubernetes namespace, pod and container.
    public var enriched: [ContainerRecord] = []
    /// Recorder modules loaded to bring the free pool back to its size.
    public var loaded = 0
    /// Free modules beyond the pool's size, unloaded.
    public var unloaded = 0
    public var problems: [String] = []
}

/// Pool-mode bookkeeping: names the slots the dispatcher claimed by itself
/// (cgroup path → container id → the runtime's own state → Kubernetes),
/// archives and frees the slots of containers that are gone (also those a
/// runtime left behind without running poststop), and refills the pool.
/// Runs under the state dir's lock, so two reconciles never double-free.
public struct Reconciler {
    public let recorder: FlightRecorder
    /// Roots of runc state dirs, `<root>/<namespace>/<id>/state.json`
    /// (containerd's runc shim keeps `/run/containerd/runc` whatever its
    /// `--state` is).
    public var runcRoots = ["/run/containerd/runc"]
    /// Every cgroup id of the cgroup2 hierarchy → its path; nil where none
    /// is mounted (then no record is judged gone by its cgroup).
    var hostCgroups: () -> [UInt64: String]? = {
        (try? CgroupMount.current()).map(HostCgroups.index)
    }

    public init(recorder: FlightRecorder) { self.recorder = recorder }

    /// One pass. `kubernetes` answers the pod container of a container id,
    /// from the API's pods of this node (`KubernetesLookup`).
    public func run(kubernetes: ((String) -> PodContainer?)? = nil) throws -> ReconcileReport {
        try recorder.withStateLock { locked in
            var pass = try Pass(locked, reconciler: self)
            try pass.archiveGone()
            try pass.retryPendingArchives()
            try pass.nameClaims()
            if let kubernetes { try pass.enrich(kubernetes) }
            pass.refill()
            return pass.report
        }
    }

    /// One pass, phase by phase, under the state lock.
    private struct Pass {
        let locked: FlightRecorder.Locked
        let reconciler: Reconciler
        /// Every cgroup id of the hierarchy → its path, read once per pass
        /// (nil: no cgroup2 hierarchy).
        let hostCgroups: [UInt64: String]?
        var cgroups: [UInt64: String] { hostCgroups ?? [:] }
        var report = ReconcileReport()

        var recorder: FlightRecorder { locked.recorder }
        var store: StateStore { recorder.paths.stateStore }
        var pool: Pool { recorder.pool }

        init(_ locked: FlightRecorder.Locked, reconciler: Reconciler) throws {
            self.locked = locked
            self.reconciler = reconciler
            hostCgroups = reconciler.hostCgroups()
        }

        /// Containers gone: their cgroup no longer exists, or their key lost
        /// its slot. A runtime killed before poststop ends up here too.
        mutating func archiveGone() throws {
            let listing = try store.loadAll()
            report.problems += listing.problems.map(\.description)
            let claimedKeys = Set(try pool.claimedKeys().map(\.key))
            for record in listing.records where record.state == .running {
                let cgroupGone = record.cgroupID.map { hostCgroups != nil && cgroups[$0] == nil } ?? false
                guard cgroupGone || !claimedKeys.contains(record.key) else { continue }
                do {
                    try locked.unplug(record)
                    report.archived.append(record)
                } catch {
                    report.problems.append("\(record.name): could not archive: \(error)")
                }
            }
        }

        /// Slots claimed with no record were claimed by the dispatcher: name
        /// them from their cgroup path and the runtime's state, archive those
        /// that already exited, free and refuse those that are no container.
        mutating func nameClaims() throws {
            let recordedKeys = Set(try store.loadAll().records.map(\.key))
            var autoClaims: [Int: tt_claim] = [:]
            for c in try pool.autoClaims() { autoClaims[Int(c.slot)] = c }
            for (key, slot) in try pool.claimedKeys() where !recordedKeys.contains(key) {
                let claim = autoClaims[slot]
                let cgroupID = recorder.keyMode == .cgroup ? key : claim?.cgroup_id
                let record = ContainerRecord(
                    id: "pool-\(key)", name: "pool-\(key)", runtime: .oci, source: .pool,
                    cgroupPath: cgroupID.flatMap { cgroups[$0] }, cgroupID: cgroupID, key: key,
                    keyMode: recorder.keyMode, slot: slot, generation: pool.generation(of: slot),
                    pid: claim.map { Int32(bitPattern: $0.pid) })
                name(record)
            }
        }

        private mutating func name(_ claimed: ContainerRecord) {
            let slot = claimed.slot
            guard let path = claimed.cgroupPath else {
                // Exited before anyone named it: keep its trace all the same.
                do {
                    try store.save(claimed)
                    try locked.unplug(claimed)
                    report.archived.append(claimed)
                } catch {
                    report.problems.append("slot \(slot): could not archive: \(error)")
                }
                return
            }
            guard let reference = CgroupPath.containerReference(fromPath: path) else {
                do {
                    try pool.release(key: claimed.key)
                    try pool.refuse(key: claimed.key)
                    report.refused.append(path)
                } catch {
                    report.problems.append("slot \(slot) (\(path)): could not free: \(error)")
                }
                return
            }
            let annotations = reconciler.runtimeAnnotations(reference)
            var metadata = ContainerMetadata.derive(
                id: reference.id, annotations: annotations.annotations, bundle: annotations.bundle,
                cgroupPath: path)
            // `ctr run ID` ids are names people choose: show them whole.
            if reference.containerdNamespace != nil && metadata.name == ContainerID.short(reference.id) {
                metadata.name = reference.id
            }
            var record = ContainerRecord(
                id: reference.id, metadata: metadata, source: .pool, key: claimed.key, keyMode: recorder.keyMode,
                slot: slot, generation: claimed.generation, cgroupPath: path, cgroupID: claimed.cgroupID,
                pid: claimed.pid, bundle: annotations.bundle, startedAt: RFC3339Time.now())
            if record.podUID == nil { record.podUID = reference.podUID }
            do {
                try store.save(record)
                report.named.append(record)
            } catch {
                report.problems.append("\(reference.id): could not save: \(error)")
            }
        }

        /// Namespace, pod, container and labels from the Kubernetes API.
        mutating func enrich(_ kubernetes: (String) -> PodContainer?) throws {
            for var record in try store.loadAll().records {
                guard let k8s = kubernetes(record.id) else { continue }
                let before = record
                record.namespace = k8s.namespace
                record.pod = k8s.pod
                record.podUID = k8s.podUID
                record.container = k8s.container
                record.labels = k8s.labels
                guard record != before else { continue }
                do {
                    try store.save(record)
                    report.enriched.append(record)
                } catch {
                    report.problems.append("\(record.name): could not save: \(error)")
                }
            }
        }

        /// Stopped containers whose archive failed (a full disk): try again.
        mutating func retryPendingArchives() throws {
            let (archived, problems) = try locked.retryPendingArchives()
            report.archived += archived
            report.problems += problems
        }

        /// Brings the free pool back to its size.
        mutating func refill() {
            do {
                let held = (try? store.pendingArchives().count) ?? 0
                report.loaded = try pool.refill(held: held)
                report.unloaded = try pool.shrink(held: held)
            } catch {
                report.problems.append("could not refill the pool: \(error)")
            }
        }
    }

    /// Annotations and bundle of a container from its runtime's state:
    /// runc's `state.json` lists `bundle=<dir>` among its config labels,
    /// and the bundle's `config.json` holds the annotations.
    func runtimeAnnotations(_ reference: CgroupContainerReference) -> (annotations: [String: String], bundle: String?) {
        let namespaces = [reference.containerdNamespace, "k8s.io", "default", "moby"].compactMap { $0 }
        for root in runcRoots {
            for ns in namespaces where ContainerID.isValidName(ns) {
                let path = "\(root)/\(ns)/\(reference.id)/state.json"
                guard let bytes = try? StateFiles.readFile(path, limit: 4 << 20, input: "runc state"),
                    let state = try? JSONDecoder().decode(RuncState.self, from: Data(bytes)),
                    let bundle = state.config.labels?.first(where: { $0.hasPrefix("bundle=") })?.dropFirst(7)
                else { continue }
                let config = try? OCIBundleConfig.load(bundle: String(bundle))
                return (config?.annotations ?? [:], String(bundle))
            }
        }
        return ([:], nil)
    }

    private struct RuncState: Decodable {
        struct Config: Decodable { var labels: [String]? }
        var config: Config
    }
}
