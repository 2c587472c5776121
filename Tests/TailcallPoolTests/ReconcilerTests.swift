import CTailtrace
import Foundation
import KubernetesAPI
import Shared
import Testing

@testable import Reconcile
@testable import TailcallPool

/// Reconcile's phases (archive the gone, retry pending archives, name the
/// dispatcher's claims, enrich from Kubernetes, refill) over the pool's maps
/// held in memory (`MemoryPoolMaps`), with a real state dir, archive dir and
/// runc state on disk: no root, no BPF. ContainerdPoolTests and
/// HookLifecycleTests run the same passes on the kernel.
final class ReconcileFixture {
    let dir: String
    let paths: TailtracePaths
    let maps: MemoryPoolMaps
    let recorder: FlightRecorder
    /// The cgroup hierarchy as the pass sees it: id → path.
    var cgroups: [UInt64: String] = [:]
    var runcRoot: String { dir + "/runc" }

    init(poolSize: Int = 2) throws {
        dir = NSTemporaryDirectory() + "tailtrace-reconcile-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        paths = try TailtracePaths(
            pinRoot: "/nonexistent", stateDirectory: dir + "/state", archiveDirectory: dir + "/archive")
        let pool: Pool
        (pool, maps) = try PoolTests.pool(size: poolSize)
        recorder = FlightRecorder(paths: paths, pool: pool)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// `hierarchy`: false as on a host with no cgroup2 mount.
    func pass(hierarchy: Bool = true, kubernetes: ((String) -> PodContainer?)? = nil) throws -> ReconcileReport {
        var reconciler = Reconciler(recorder: recorder)
        reconciler.runcRoots = [runcRoot]
        let cgroups = hierarchy ? self.cgroups : nil
        reconciler.hostCgroups = { cgroups }
        return try reconciler.run(kubernetes: kubernetes)
    }

    /// A running container as a prestart hook leaves it: its slot claimed,
    /// its record saved.
    func plugged(id: String, key: UInt64, cgroupPath: String) throws -> ContainerRecord {
        cgroups[key] = cgroupPath
        let record = ContainerRecord(
            id: id, name: ContainerID.short(id), runtime: .oci, source: .hook, cgroupPath: cgroupPath, cgroupID: key,
            key: key, keyMode: .cgroup, slot: 0, generation: 0, pid: 4242)
        return try recorder.plug(record).0
    }

    /// runc's state for `id` in containerd's namespace `namespace`, its
    /// bundle's config.json holding `annotations`.
    func runcState(id: String, namespace: String, annotations: [String: String]) throws {
        let bundle = dir + "/bundles/" + id
        let state = "\(runcRoot)/\(namespace)/\(id)"
        for d in [bundle, state] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try JSONSerialization.data(withJSONObject: ["ociVersion": "1.0.2", "annotations": annotations])
            .write(to: URL(fileURLWithPath: bundle + "/config.json"))
        try JSONSerialization.data(withJSONObject: ["id": id, "config": ["labels": ["bundle=\(bundle)"]]])
            .write(to: URL(fileURLWithPath: state + "/state.json"))
    }

    var records: [ContainerRecord] { get throws { try paths.stateStore.loadAll().records } }
    var archived: [ContainerRecord] { get throws { try paths.archive.entries().entries.map(\.record) } }
    var free: [Int] { maps.state.withLock { $0.free } }
}

@Suite struct ReconcilerTests {
    static let id = String(repeating: "ab", count: 32)
    static let podUID = "5d0c9d37-7b5f-4c39-9b0e-0f2b6a8d1e44"
    static let criPath =
        "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod5d0c9d37_7b5f_4c39_9b0e_0f2b6a8d1e44.slice/cri-containerd-\(id).scope"

    /// A runtime killed before poststop: the cgroup is gone, so the trace is
    /// archived and the slot freed; a container still in its cgroup stays.
    @Test func aContainerWhoseCgroupIsGoneIsArchivedAndItsSlotFreed() throws {
        let f = try ReconcileFixture()
        let gone = try f.plugged(id: "gone", key: 11, cgroupPath: "/ctr/gone")
        let alive = try f.plugged(id: "alive", key: 12, cgroupPath: "/ctr/alive")
        f.cgroups[11] = nil
        let report = try f.pass()
        #expect(report.archived.map(\.id) == ["gone"])
        #expect(try f.records.map(\.id) == ["alive"])
        #expect(try f.archived.map(\.id) == ["gone"])
        #expect(f.free.contains(gone.slot) && !f.free.contains(alive.slot))
        #expect(f.maps.slot(ofKey: 11) == nil && f.maps.slot(ofKey: 12) != nil)
        #expect(try f.pass().archived.isEmpty, "a second pass finds nothing more")
    }

    /// Without a cgroup2 hierarchy no record is judged gone by its cgroup;
    /// a record whose key lost its slot still is.
    @Test func withoutACgroupHierarchyOnlyALostSlotMeansGone() throws {
        let f = try ReconcileFixture()
        _ = try f.plugged(id: "kept", key: 21, cgroupPath: "/ctr/kept")
        _ = try f.plugged(id: "lost", key: 22, cgroupPath: "/ctr/lost")
        _ = try f.recorder.pool.unplug(key: 22)
        let report = try f.pass(hierarchy: false)
        #expect(report.archived.map(\.id) == ["lost"])
        #expect(try f.records.map(\.id) == ["kept"])
    }

    /// A dispatcher claim in a CRI container's cgroup is named from runc's
    /// state and its bundle's annotations, then given its pod by Kubernetes.
    @Test func aDispatcherClaimIsNamedFromRuncStateAndKubernetes() throws {
        let f = try ReconcileFixture()
        f.cgroups[31] = Self.criPath
        f.maps.dispatcherClaims(key: 31, cgroupID: 31, pid: 777)
        try f.runcState(
            id: Self.id, namespace: "k8s.io",
            annotations: [
                "io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.container-name": "web",
                "io.kubernetes.cri.sandbox-name": "shop-1", "io.kubernetes.cri.sandbox-namespace": "prod",
                "io.tailtrace.trace": "true",
            ])
        let report = try f.pass { id in
            id == Self.id
                ? PodContainer(
                    runtime: "containerd", containerID: id, namespace: "prod", pod: "shop-1", podUID: Self.podUID,
                    container: "web", labels: ["app": "shop"])
                : nil
        }
        #expect(report.named.map(\.id) == [Self.id])
        #expect(report.problems.isEmpty, "\(report.problems)")
        let record = try #require(try f.records.first)
        #expect(record.source == .pool && record.slot == 0 && record.pid == 777)
        #expect(record.runtime == .containerd && record.name == "web" && record.cgroupPath == Self.criPath)
        #expect(record.namespace == "prod" && record.pod == "shop-1" && record.container == "web")
        #expect(record.podUID == Self.podUID && record.labels == ["app": "shop"])
        #expect(record.bundle == f.dir + "/bundles/" + Self.id)
        #expect(report.enriched.map(\.id) == [Self.id])
        let again = try f.pass { _ in
            PodContainer(
                runtime: "containerd", containerID: Self.id, namespace: "prod", pod: "shop-1", podUID: Self.podUID,
                container: "web", labels: ["app": "shop"])
        }
        #expect(again.named.isEmpty && again.enriched.isEmpty, "an unchanged record is not saved again")
    }

    /// A claim in a cgroup of no container shape (a service with a private
    /// mount namespace): freed and refused from now on.
    @Test func aClaimThatIsNoContainerIsFreedAndRefused() throws {
        let f = try ReconcileFixture()
        f.cgroups[41] = "/system.slice/chronyd.service"
        f.maps.dispatcherClaims(key: 41, cgroupID: 41, pid: 99)
        let report = try f.pass()
        #expect(report.refused == ["/system.slice/chronyd.service"])
        #expect(f.maps.slot(ofKey: 41) == nil)
        #expect(f.maps.state.withLock { $0.refused } == [41])
        #expect(try f.records.isEmpty && f.archived.isEmpty)
        #expect(f.free.count == 2, "the slot is free again")
    }

    /// A claim whose cgroup is already gone: exited before anyone named it;
    /// its trace is archived all the same, under the pool's name.
    @Test func aClaimWhoseCgroupIsGoneIsArchived() throws {
        let f = try ReconcileFixture()
        f.maps.dispatcherClaims(key: 51, cgroupID: 51, pid: 5)
        let report = try f.pass()
        #expect(report.archived.map(\.id) == ["pool-51"])
        #expect(try f.archived.map(\.id) == ["pool-51"])
        #expect(try f.records.isEmpty && f.free.count == 2)
    }

    /// An archive that cannot be written keeps the slot and the record
    /// (pending); the pool refills around it, and a later pass archives it.
    @Test func aPendingArchiveHoldsItsSlotUntilAPassCanWriteIt() throws {
        let f = try ReconcileFixture(poolSize: 1)
        let record = try f.plugged(id: "full", key: 61, cgroupPath: "/ctr/full")
        // A file where the archive dir should be: every archive write fails.
        FileManager.default.createFile(atPath: f.paths.archiveDirectory, contents: Data())
        f.cgroups[61] = nil
        let first = try f.pass()
        #expect(first.archived.isEmpty)
        #expect(first.problems.contains { $0.contains("full") }, "\(first.problems)")
        let pending = try #require(try f.records.first)
        #expect(pending.state == .exited && pending.archivePending != nil && pending.slot == record.slot)
        #expect(!f.free.contains(record.slot), "the ring is kept")
        #expect(first.loaded == 1, "the pool refilled around the held slot")
        #expect(try f.pass().loaded == 0, "a held slot is not counted free twice")

        try FileManager.default.removeItem(atPath: f.paths.archiveDirectory)
        let second = try f.pass()
        #expect(second.archived.map(\.id) == ["full"])
        #expect(try f.records.isEmpty && f.archived.map(\.id) == ["full"])
        #expect(f.free.contains(record.slot))
        #expect(second.unloaded == 1, "back to a pool of one free slot")
    }
}
