import BPFObjects
import CTailtrace
import Glibc
import Shared

public enum KeyMode: String, Sendable, CaseIterable {
    /// cgroup v2 id of the task (bpf_get_current_cgroup_id).
    case cgroup
    /// Mount-namespace inode, for hosts without a usable cgroup v2 hierarchy.
    case mntns

    var raw: UInt32 { self == .cgroup ? UInt32(TT_KEY_CGROUP.rawValue) : UInt32(TT_KEY_MNTNS.rawValue) }
}

public struct InstallOptions: Sendable {
    public var poolSize = 16
    public var ringBytes = 256 * 1024
    public var captureBytes = 128
    public var keyMode = KeyMode.cgroup
    public var autoClaim = false

    public init() {}
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

    public var ringCells: Int { cellsPerCPU * ncpus }
    public var ringBytes: Int { ringCells * Int(TT_CELL_SIZE) }

    /// Reads the settings of an existing installation.
    public static func open(_ root: PinRoot) throws -> Installation {
        let map: BPFMap
        do {
            map = try BPFMap.open(pinned: root.pin("install"))
        } catch let e as BPFError where e.errno == ENOENT {
            throw BPFError("open \(root.path)", errno: ENOENT, hint: "tailtrace is not installed there; run `tailtrace install`")
        }
        guard let info = map.lookup(UInt32(0), as: tt_install.self), info.magic == TT_INSTALL_MAGIC else {
            throw BPFError("read \(root.pin("install"))", errno: EINVAL, hint: "installed by another tailtrace version; uninstall and install again")
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
    }

    public enum InstallResult: Sendable {
        case installed(Installation)
        case alreadyInstalled(Installation)
    }

    /// Loads and attaches the dispatcher, preloads the pool, and pins it all
    /// under `root`. On failure everything made so far is removed again.
    public static func install(_ root: PinRoot, options: InstallOptions) throws -> InstallResult {
        guard geteuid() == 0 else {
            throw BPFError("install", errno: EPERM, hint: "run as root: loading BPF needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN")
        }
        try KernelMounts.checkBTF()
        try KernelMounts.ensure(pinRoot: root)
        if root.isInstalled { return .alreadyInstalled(try open(root)) }
        if access(root.path, F_OK) == 0 {
            throw BPFError("install at \(root.path)", errno: EEXIST, hint: "the directory exists but holds no tailtrace installation; remove it or pick another --pin-root")
        }
        let ncpus = Int(libbpf_num_possible_cpus())
        guard ncpus > 0, ncpus <= Int(TT_MAX_CPUS) else {
            throw BPFError("count possible CPUs", errno: EINVAL, hint: "\(ncpus) CPUs; tailtrace supports up to \(TT_MAX_CPUS)")
        }
        var info = tt_install()
        info.magic = TT_INSTALL_MAGIC
        info.key_mode = options.keyMode.raw
        info.auto_claim = options.autoClaim ? 1 : 0
        info.pool_size = UInt32(options.poolSize)
        info.cells_per_cpu = UInt32(cellsPerCPU(ringBytes: options.ringBytes, ncpus: ncpus))
        info.ncpus = UInt32(ncpus)
        info.capture_bytes = UInt32(options.captureBytes)
        info.host_mntns = hostMountNamespace()
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        info.installed_ns = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        let installation = Installation(root: root, info: info)

        try root.create()
        do {
            try installation.loadDispatcher()
            if options.autoClaim && options.keyMode == .cgroup {
                try installation.refuseHostCgroups()
            }
            let pool = Pool(installation)
            for slot in 0..<options.poolSize {
                try pool.loadRecorder(slot: slot)
                try pool.free(slot: slot)
            }
            // Written last: a root with `install` pinned is complete.
            let fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "tt_install", 4, UInt32(MemoryLayout<tt_install>.size), 1, nil)
            try BPFError.check(fd, "create install map")
            let map = BPFMap(fd: fd, name: "install")
            try map.update(UInt32(0), info)
            try BPFError.check(bpf_obj_pin(fd, root.pin("install")), "pin \(root.pin("install"))")
        } catch {
            try? root.removeAll()
            throw error
        }
        return .installed(installation)
    }

    /// Detaches the dispatcher and removes every pin of the installation.
    public static func uninstall(_ root: PinRoot) throws {
        guard access(root.path, F_OK) == 0 else {
            throw BPFError("uninstall \(root.path)", errno: ENOENT, hint: "nothing is installed there")
        }
        try root.removeAll()
    }

    /// Dispatcher maps, pinned by these names under the root.
    static let dispatcherMaps = ["keys", "recorders_enter", "recorders_exit", "free_slots", "claims", "refused", "missed", "stats"]

    private func loadDispatcher() throws {
        let object = try BPFProgramObject(.dispatcher)
        try object.setConstant("key_mode", keyMode.raw)
        try object.setConstant("auto_claim", UInt32(autoClaim ? 1 : 0))
        try object.setConstant("host_mntns", hostMntns)
        try object.load()
        for name in Self.dispatcherMaps {
            try object.pinMap(name, at: root.pin(name))
        }
        try object.attachTracepoint("tt_dispatch_enter", pinAt: root.pin("link_sys_enter"))
        try object.attachTracepoint("tt_dispatch_exit", pinAt: root.pin("link_sys_exit"))
    }

    /// Pool mode: the dispatcher must not claim cgroups host tasks live in.
    /// (In mntns mode the host's own namespace is the only key to refuse,
    /// and the dispatcher compares it directly.)
    func refuseHostCgroups() throws {
        let refused = try BPFMap.open(pinned: root.pin("refused"))
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

    /// Inode of init's mount namespace: tasks elsewhere are containerized.
    /// Where pid 1's namespace links are not readable (some sandboxes deny
    /// it even to root) the installer's own namespace stands in for it.
    static func hostMountNamespace() -> UInt64 {
        var st = stat()
        for path in ["/proc/1/ns/mnt", "/proc/self/ns/mnt"] where stat(path, &st) == 0 {
            return UInt64(st.st_ino)
        }
        return 0
    }
}
