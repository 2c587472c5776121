import BPFObjects
import CTailtrace
import Glibc
import Shared

/// The bpffs directory that holds one installation's pinned objects:
///
///     <root>/install                      settings (array map, struct tt_install)
///     <root>/link_<tracepoint>            dispatcher links, one per tracepoint (keep it attached)
///     <root>/<map>                        each map of bpf/dispatcher.bpf.c (DispatcherBPF.Map)
///     <root>/{scratch,plans,retries}      recorder maps every slot shares (Pool.sharedMaps;
///                                         also "current", the dispatcher's map of that name)
///     <root>/slots/<n>/{ring,ring_ctl,tt_record_*}   recorder module n
///
/// Tests use their own root; nothing here touches another root's pins.
public struct PinRoot: Sendable {
    public let path: String
    public static let defaultPath = "/sys/fs/bpf/tailtrace"

    public init(_ path: String) { self.path = path }

    /// Pins the installation makes itself, beside the maps of its objects.
    public enum InstallPin: String, Sendable {
        case install
        case linkSysEnter = "link_sys_enter"
        case linkSysExit = "link_sys_exit"
        case linkSignalDeliver = "link_signal_deliver"
        case linkProcessExit = "link_sched_process_exit"
        case linkCgroupMove = "link_cgroup_attach_task"
    }

    /// Each dispatcher program and the pin of the link that attaches it.
    public static let dispatcherLinks: [(program: DispatcherBPF.Program, link: InstallPin)] = [
        (.ttDispatchEnter, .linkSysEnter), (.ttDispatchExit, .linkSysExit),
        (.ttDispatchSignal, .linkSignalDeliver), (.ttDispatchProcExit, .linkProcessExit),
        (.ttDispatchCgroupMove, .linkCgroupMove),
    ]

    public func pin(_ name: InstallPin) -> String { "\(path)/\(name.rawValue)" }
    public func pin(_ name: DispatcherBPF.Map) -> String { "\(path)/\(name.rawValue)" }
    /// A recorder map every slot's module shares (scratch, plans, retries).
    public func sharedPin(_ name: RecorderBPF.Map) -> String { "\(path)/\(name.rawValue)" }
    public var slotsDir: String { "\(path)/slots" }
    public func slotDir(_ slot: Int) -> String { "\(slotsDir)/\(slot)" }
    public func slotPin(_ slot: Int, _ name: RecorderBPF.Map) -> String { "\(slotDir(slot))/\(name.rawValue)" }
    public func slotPin(_ slot: Int, _ name: RecorderBPF.Program) -> String { "\(slotDir(slot))/\(name.rawValue)" }

    public var isInstalled: Bool { access(pin(.install), F_OK) == 0 }

    /// Slot numbers that have a recorder module pinned, ascending.
    public func loadedSlots() -> [Int] {
        let names = (try? StateFiles.list(slotsDir)) ?? []
        return names.compactMap { Int($0) }.filter { $0 >= 0 }.sorted()
    }

    /// Creates the root and its slots directory, root-only.
    func create() throws {
        for dir in [path, slotsDir] where mkdir(dir, 0o700) != 0 && errno != EEXIST {
            throw FileSystemError(operation: "mkdir", path: dir, errno: errno)
        }
    }

    /// Removes every pin under the root and the root itself. Unpinning the
    /// links detaches the dispatcher; unpinning maps and programs frees them
    /// once no process holds them.
    public func removeAll() throws {
        try Self.removeTree(path)
    }

    static func removeTree(_ path: String) throws {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT { return }
            throw FileSystemError(operation: "stat", path: path, errno: errno)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in (try? StateFiles.list(path)) ?? [] { try removeTree("\(path)/\(name)") }
            if rmdir(path) != 0 && errno != ENOENT { throw FileSystemError(operation: "rmdir", path: path, errno: errno) }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw FileSystemError(operation: "unlink", path: path, errno: errno)
        }
    }
}

/// Kernel file systems tailtrace needs: bpffs for pins, tracefs for the
/// syscall argument formats. Neither is mounted on a fresh Debian 12 VM.
public enum KernelMounts {
    public static let bpfMagic: Int = 0xcafe_4a11
    static let tracefsMagic: Int = 0x7472_6163

    public static func isMounted(_ path: String, magic: Int) -> Bool {
        var fs = statfs()
        return statfs(path, &fs) == 0 && Int(fs.f_type) == magic
    }

    /// Mounts bpffs on the parent of `pinRoot` when it lives under /sys/fs/bpf
    /// and nothing is mounted there, and tracefs on /sys/kernel/tracing.
    public static func ensure(pinRoot: PinRoot) throws {
        let bpffs = "/sys/fs/bpf"
        if pinRoot.path.hasPrefix(bpffs + "/") && !isMounted(bpffs, magic: bpfMagic) {
            if mount("bpf", bpffs, "bpf", 0, "mode=0700") != 0 {
                throw BPFError(
                    "mount bpffs on \(bpffs)", errno: errno, hint: "tailtrace needs bpffs to pin its programs")
            }
        }
        let tracefs = "/sys/kernel/tracing"
        if !isMounted(tracefs, magic: tracefsMagic) {
            // Not fatal: without tracefs, dumps show arg0..arg5 instead of names.
            _ = mount("tracefs", tracefs, "tracefs", 0, nil)
        }
    }

}
