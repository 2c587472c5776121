import BPFObjects
import CTailtrace
import Glibc
import Shared

extension KeyMode {
    /// enum tt_key_mode, as the dispatcher's settings and `install` hold it.
    var raw: UInt32 { self == .cgroup ? UInt32(TT_KEY_CGROUP.rawValue) : UInt32(TT_KEY_MNTNS.rawValue) }
}

public struct InstallOptions: Sendable {
    public var poolSize = 16
    public var ringBytes = 256 * 1024
    public var captureBytes = 128
    /// nil: cgroup where a cgroup2 hierarchy is mounted, else mntns.
    public var keyMode: KeyMode?
    public var autoClaim = false
    /// nil: the variant the kernel's features allow that is fastest.
    public var variant: BPFVariant?
    /// What the recorders capture, by index in their "plans" map
    /// (`CapturePlan.resolvedTable()`: libseccomp resolves the names, which
    /// the hooks, refilling the pool, never need).
    public var plans: [Int: tt_plan] = [:]

    public init() {}
}

/// The pins under a root were made by another tailtrace version (another
/// `TT_INSTALL_MAGIC`): their layout cannot be read by this one.
public struct OtherVersionError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public var description: String {
        "\(path): installed by another tailtrace version; uninstall and install again "
            + "(`tailtrace uninstall` keeps the state dir and the archives; traces still in its rings are lost)"
    }
}

/// One installation under a pin root: the attached dispatcher, its maps, and
/// the settings every later command reads back from the pinned `install` map.
public struct Installation: Sendable {
    public let root: PinRoot
    public let keyMode: KeyMode
    public let autoClaim: Bool
    public let poolSize: Int
    public let cellsPerCPU: Int
    public let ncpus: Int
    public let captureBytes: Int
    public let hostMntns: UInt64
    /// The compiled variant of the programs loaded here (same for every slot).
    public let variant: BPFVariant

    public var ringCells: Int { cellsPerCPU * ncpus }
    public var ringBytes: Int { ringCells * Int(TT_CELL_SIZE) }

    /// Reads the settings of an existing installation.
    public static func open(_ root: PinRoot) throws -> Installation {
        let map: BPFMap
        do {
            map = try BPFMap.open(pinned: root.pin(.install))
        } catch let e as BPFError where e.errno == ENOENT {
            throw BPFError(
                "open \(root.path)", errno: ENOENT, hint: "tailtrace is not installed there; run `tailtrace install`")
        }
        guard let info = map.lookup(UInt32(0), as: tt_install.self), info.magic == TT_INSTALL_MAGIC else {
            throw OtherVersionError(path: root.pin(.install))
        }
        return Installation(root: root, info: info)
    }

    init(root: PinRoot, info: tt_install) {
        self.root = root
        keyMode = info.key_mode == TT_KEY_MNTNS.rawValue ? .mntns : .cgroup
        autoClaim = info.auto_claim != 0
        poolSize = Int(info.pool_size)
        cellsPerCPU = Int(info.cells_per_cpu)
        ncpus = Int(info.ncpus)
        captureBytes = Int(info.capture_bytes)
        hostMntns = info.host_mntns
        variant = info.variant == TT_VARIANT_ID_CORE.rawValue ? .core : .btf
    }

    public enum InstallResult: Sendable {
        /// With the lines that say what was chosen for this kernel and host, and why.
        case installed(Installation, notes: [String])
        case alreadyInstalled(Installation)
    }

    /// Key mode for this host: what was asked, or cgroup where a cgroup2
    /// hierarchy is mounted and mntns where there is none (cgroup v1 only:
    /// every task then has the root's cgroup v2 id).
    static func keyMode(asked: KeyMode?, cgroup2Mounted: Bool) throws -> (KeyMode, note: String?) {
        switch (asked, cgroup2Mounted) {
        case (.some(.cgroup), false):
            throw BPFError(
                "install with --key cgroup", errno: ENOENT,
                hint: "no cgroup2 hierarchy is mounted (cgroup v1 only); use --key mntns")
        case (.some(let mode), _): return (mode, nil)
        case (nil, true): return (.cgroup, nil)
        case (nil, false):
            return (
                .mntns,
                "key mntns: no cgroup2 hierarchy is mounted (cgroup v1 only), so containers are told apart by mount namespace"
            )
        }
    }

    /// Loads and attaches the dispatcher, preloads the pool, and pins it all
    /// under `root`. On failure everything made so far is removed again.
    public static func install(_ root: PinRoot, options: InstallOptions) throws -> InstallResult {
        guard geteuid() == 0 else {
            throw BPFError(
                "install", errno: EPERM, hint: "run as root: loading BPF needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN")
        }
        let choice: VariantChoice
        switch KernelFeatures.probe().choice(asked: options.variant) {
        case .success(let c): choice = c
        case .failure(let tooOld): throw tooOld
        }
        try KernelMounts.ensure(pinRoot: root)
        if root.isInstalled { return .alreadyInstalled(try open(root)) }
        if access(root.path, F_OK) == 0 {
            throw BPFError(
                "install at \(root.path)", errno: EEXIST,
                hint: "the directory exists but holds no tailtrace installation; remove it or pick another --pin-root")
        }
        let ncpus = Int(libbpf_num_possible_cpus())
        guard ncpus > 0, ncpus <= Int(TT_MAX_CPUS) else {
            throw BPFError(
                "count possible CPUs", errno: EINVAL, hint: "\(ncpus) CPUs; tailtrace supports up to \(TT_MAX_CPUS)")
        }
        let (keyMode, keyNote) = try Self.keyMode(
            asked: options.keyMode, cgroup2Mounted: (try? CgroupMount.current()) != nil)
        var info = tt_install()
        info.magic = TT_INSTALL_MAGIC
        info.variant = choice.variant == .core ? TT_VARIANT_ID_CORE.rawValue : TT_VARIANT_ID_BTF.rawValue
        info.key_mode = keyMode.raw
        info.auto_claim = options.autoClaim ? 1 : 0
        info.pool_size = UInt32(options.poolSize)
        info.cells_per_cpu = UInt32(cellsPerCPU(ringBytes: options.ringBytes, ncpus: ncpus))
        info.ncpus = UInt32(ncpus)
        info.capture_bytes = UInt32(options.captureBytes)
        info.host_mntns = MountNamespace.host()
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        info.installed_ns = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        let installation = Installation(root: root, info: info)

        try root.create()
        do {
            try installation.loadDispatcher()
            if options.autoClaim && keyMode == .cgroup {
                try installation.refuseHostCgroups()
            }
            let pool = Pool(installation)
            // The first module loads through libbpf, alone: it makes the
            // shared maps (the plans among them), and a verifier rejection
            // is reported with libbpf's log. The others are copies of it.
            try pool.loadRecorders(0..<options.poolSize)
            try installation.writePlans(options.plans)
            for slot in 0..<options.poolSize { try pool.free(slot: slot) }
            // Written last: a root with `install` pinned is complete.
            let fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "tt_install", 4, UInt32(MemoryLayout<tt_install>.size), 1, nil)
            try BPFError.check(fd, "create install map")
            let map = BPFMap(fd: fd, name: "install")
            try map.update(UInt32(0), info)
            try BPFError.check(bpf_obj_pin(fd, root.pin(.install)), "pin \(root.pin(.install))")
        } catch {
            try? root.removeAll()
            throw error
        }
        let notes = ["programs: \(choice.variant.rawValue) variant (\(choice.reason))"] + [keyNote].compactMap { $0 }
        return .installed(installation, notes: notes)
    }

    /// Detaches the dispatcher and removes every pin of the installation.
    public static func uninstall(_ root: PinRoot) throws {
        guard access(root.path, F_OK) == 0 else {
            throw BPFError("uninstall \(root.path)", errno: ENOENT, hint: "nothing is installed there")
        }
        try root.removeAll()
    }

    /// Loads the dispatcher, pins every map of it under the root by its
    /// name, and attaches it.
    private func loadDispatcher() throws {
        let object = try BPFProgramObject<DispatcherBPF>(variant)
        try object.configure(.init(keyMode: keyMode.raw, autoClaim: autoClaim ? 1 : 0, hostMntns: hostMntns))
        try object.load()
        for name in DispatcherBPF.Map.allCases {
            try object.pin(name, at: root.pin(name))
        }
        for (program, link) in PinRoot.dispatcherLinks {
            try object.attachTracepoint(program, pinAt: root.pin(link))
        }
    }

    /// Fills the recorders' shared "plans" map (made by the first module).
    func writePlans(_ plans: [Int: tt_plan]) throws {
        let map = try BPFMap.open(pinned: root.sharedPin(.plans))
        for (index, plan) in plans where index >= 0 && index < Int(TT_PLAN_ENTRIES) {
            try map.update(UInt32(index), plan)
        }
    }

    /// Pool mode: the dispatcher must not claim cgroups host tasks live in.
    /// (In mntns mode the host's own namespace is the only key to refuse,
    /// and the dispatcher compares it directly.)
    func refuseHostCgroups() throws {
        let refused = try BPFMap.open(pinned: root.pin(.refused))
        let mount = try CgroupMount.current()
        for id in HostCgroups.ids(hostMntns: hostMntns, mount: mount) {
            try refused.update(id, UInt8(1))
        }
    }

    /// Ring cells per CPU: the ring size split over the possible CPUs, rounded
    /// down to a power of two (the recorder masks positions), at least 64.
    static func cellsPerCPU(ringBytes: Int, ncpus: Int) -> Int {
        let cells = max(ringBytes / Int(TT_CELL_SIZE) / max(ncpus, 1), 64)
        var p = 64
        while p * 2 <= cells { p *= 2 }
        return p
    }
}
