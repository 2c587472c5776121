import CTailtrace
import FoundationEssentials
import Glibc
import Shared

/// Where a container sits in Kubernetes, as the API server tells.
public struct KubernetesIdentity: Sendable, Equatable {
    public var namespace: String
    public var pod: String
    public var podUID: String
    public var container: String
    public var labels: [String: String]

    public init(namespace: String, pod: String, podUID: String, container: String, labels: [String: String]) {
        self.namespace = namespace
        self.pod = pod
        self.podUID = podUID
        self.container = container
        self.labels = labels
    }
}

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

    public init(recorder: FlightRecorder) { self.recorder = recorder }

    public func run(kubernetes: ((String) -> KubernetesIdentity?)? = nil) throws -> ReconcileReport {
        let store = recorder.paths.stateStore
        try store.prepare()
        return try store.withLock { try pass(kubernetes: kubernetes) }
    }

    private func pass(kubernetes: ((String) -> KubernetesIdentity?)?) throws -> ReconcileReport {
        var report = ReconcileReport()
        let pool = recorder.pool
        let mount = try? CgroupMount.current()
        let cgroups = mount.map(HostCgroups.index) ?? [:]
        let listing = try recorder.paths.stateStore.loadAll()
        report.problems += listing.problems.map(\.description)
        var records = listing.records
        let claimedKeys = Set(try pool.claimedKeys().map(\.key))
        var autoClaims: [Int: tt_claim] = [:]
        for c in try pool.autoClaims() { autoClaims[Int(c.slot)] = c }

        // Containers gone: their cgroup no longer exists, or their key lost
        // its slot. A runtime killed before poststop ends up here too.
        for record in records where record.state == .running {
            let cgroupGone = record.cgroupID.map { mount != nil && cgroups[$0] == nil } ?? false
            guard cgroupGone || !claimedKeys.contains(record.key) else { continue }
            do {
                try recorder.unplugBody(record)
                report.archived.append(record)
            } catch {
                report.problems.append("\(record.name): could not archive: \(error)")
            }
        }
        records = try recorder.paths.stateStore.loadAll().records
        let recordedKeys = Set(records.map(\.key))
        let claimed = try pool.claimedKeys()

        // Slots claimed with no record: claimed by the dispatcher.
        for (key, slot) in claimed where !recordedKeys.contains(key) {
            let claim = autoClaims[slot]
            let cgroupID = recorder.keyMode == .cgroup ? key : claim?.cgroup_id
            let path = cgroupID.flatMap { cgroups[$0] }
            var record = ContainerRecord(
                id: "pool-\(key)", name: "pool-\(key)", runtime: .oci, source: .pool, cgroupPath: path,
                cgroupID: cgroupID, key: key, keyMode: recorder.keyMode, slot: slot,
                generation: pool.generation(of: slot), pid: claim.map { Int32(bitPattern: $0.pid) })
            guard let path else {
                // Exited before anyone named it: keep its trace all the same.
                do {
                    try recorder.paths.stateStore.save(record)
                    try recorder.unplugBody(record)
                    report.archived.append(record)
                } catch {
                    report.problems.append("slot \(slot): could not archive: \(error)")
                }
                continue
            }
            guard let reference = CgroupPath.containerReference(fromPath: path) else {
                do {
                    try pool.release(key: key)
                    try pool.refuse(key: key)
                    report.refused.append(path)
                } catch {
                    report.problems.append("slot \(slot) (\(path)): could not free: \(error)")
                }
                continue
            }
            let annotations = runtimeAnnotations(reference)
            var metadata = ContainerMetadata.derive(
                id: reference.id, annotations: annotations.annotations, bundle: annotations.bundle,
                cgroupPath: path)
            // `ctr run ID` ids are names people choose: show them whole.
            if reference.containerdNamespace != nil && metadata.name == ContainerID.short(reference.id) {
                metadata.name = reference.id
            }
            record = ContainerRecord(
                id: reference.id, metadata: metadata, source: .pool, key: key, keyMode: recorder.keyMode,
                slot: slot, generation: record.generation, cgroupPath: path, cgroupID: cgroupID, pid: record.pid,
                bundle: annotations.bundle, startedAt: RFC3339Time.now())
            if record.podUID == nil { record.podUID = reference.podUID }
            do {
                try recorder.paths.stateStore.save(record)
                report.named.append(record)
            } catch {
                report.problems.append("\(reference.id): could not save: \(error)")
            }
        }

        if let kubernetes {
            for var record in try recorder.paths.stateStore.loadAll().records {
                guard let k8s = kubernetes(record.id) else { continue }
                let before = record
                record.namespace = k8s.namespace
                record.pod = k8s.pod
                record.podUID = k8s.podUID
                record.container = k8s.container
                record.labels = k8s.labels
                guard record != before else { continue }
                do {
                    try recorder.paths.stateStore.save(record)
                    report.enriched.append(record)
                } catch {
                    report.problems.append("\(record.name): could not save: \(error)")
                }
            }
        }

        do {
            report.loaded = try pool.refill()
        } catch {
            report.problems.append("could not refill the pool: \(error)")
        }
        return report
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

extension Pool {
    /// The dispatcher will never claim `key` again (reconcile found it is no container).
    public func refuse(key: UInt64) throws {
        try BPFMap.open(pinned: root.pin(.refused)).update(key, UInt8(1))
    }

    /// Loads recorder modules until `poolSize` slots are free. Returns how many.
    public func refill() throws -> Int {
        let loaded = root.loadedSlots()
        let free = loaded.count - (try claimedKeys().count)
        var added = 0
        var next = (loaded.last ?? -1) + 1
        while free + added < installation.poolSize && next < Int(TT_MAX_SLOTS) {
            try loadRecorder(slot: next)
            try self.free(slot: next)
            added += 1
            next += 1
        }
        return added
    }
}
