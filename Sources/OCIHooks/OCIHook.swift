import Glibc
import Shared
import TailcallPool

/// The two OCI hooks, `ocihook-prestart` and `ocihook-poststop`. Both read the
/// runtime's state JSON on stdin and fail open: on any internal error they log
/// one line and exit 0, because a tracer must never stop a workload from
/// starting. Only a container annotated `io.tailtrace.required=true` gets a
/// failing prestart (and so does not start) when tracing cannot be set up.
///
/// Options, parsed by hand to keep start-up small: `--pin-root DIR`,
/// `--state-dir DIR`, `--archive-dir DIR` (or the TAILTRACE_* variables), and
/// `--always` to trace containers without the opt-in annotation (plain runc
/// `config.json` hooks have no `when` filter); `--help` prints the usage.
public struct OCIHook {
    public enum Stage: String { case prestart, poststop }

    let stage: Stage
    var pinRoot: String?
    var stateDir: String?
    var archiveDir: String?
    var always = false
    var program: String { "ocihook-\(stage.rawValue)" }

    /// Runs the hook and returns its exit status.
    public static func main(_ stage: Stage, arguments: [String] = CommandLine.arguments) -> Int32 {
        var hook = OCIHook(stage: stage)
        // Asked by a person, not a runtime: an answer, and nothing written
        // (the hook log would be the default state dir's, made for it).
        if helpRequested(Array(arguments.dropFirst())) {
            let usage = Array(hook.usage.utf8)
            usage.withUnsafeBytes { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
            return 0
        }
        var log = HookLog(path: TailtracePaths.defaultStateDirectory + "/" + TailtracePaths.logFileName)
        do {
            try hook.parse(Array(arguments.dropFirst()))
            let paths = try TailtracePaths(
                pinRoot: hook.pinRoot, stateDirectory: hook.stateDir, archiveDirectory: hook.archiveDir)
            log = paths.hookLog
            let state = try OCIState.read()
            return hook.run(state, paths: paths, log: log)
        } catch {
            log.write("\(error); container left untraced", program: hook.program)
            return 0
        }
    }

    static func helpRequested(_ args: [String]) -> Bool { args.contains("--help") || args.contains("-h") }

    var usage: String {
        """
        usage: \(program) [--pin-root DIR] [--state-dir DIR] [--archive-dir DIR] [--always]
        The OCI \(stage.rawValue) hook of tailtrace, run by the container runtime from hooks.d
        (`tailtrace install --hooks-dir DIR` writes the file) with the container's state on stdin.

        """
    }

    mutating func parse(_ args: [String]) throws {
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < args.count else { throw ContainerInputError(input: args[i - 1], message: "needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--pin-root": pinRoot = try value()
            case "--state-dir": stateDir = try value()
            case "--archive-dir": archiveDir = try value()
            case "--always": always = true
            default: throw ContainerInputError(input: args[i], message: "unknown option")
            }
            i += 1
        }
    }

    func run(_ state: OCIState, paths: TailtracePaths, log: HookLog) -> Int32 {
        let policy = TracePolicy(annotations: state.annotations)
        do {
            switch stage {
            case .prestart:
                guard policy.trace || always else { return 0 }
                try prestart(state, paths: paths, log: log)
            case .poststop:
                try poststop(state, paths: paths)
            }
            return 0
        } catch let said where said is ArchivePendingError || said is TraceLostError {
            log.write("\(said)", program: program)  // traced all the same: nothing to say "untraced" about
            return 0
        } catch {
            let id = ContainerID.isValid(state.id) ? state.id : "(invalid id)"
            if stage == .prestart && policy.required {
                log.write("\(id): \(error); io.tailtrace.required=true: refusing to start it", program: program)
                return 1
            }
            log.write("\(id): \(error); container left untraced", program: program)
            return 0
        }
    }

    /// Claims a recorder for the container's cgroup (or mount namespace) and
    /// writes its metadata. runc runs prestart/createRuntime hooks after the
    /// container's init exists in its cgroup and namespaces, and passes its
    /// host pid.
    func prestart(_ state: OCIState, paths: TailtracePaths, log: HookLog) throws {
        let id = try ContainerID.validate(state.id)
        guard let pid = state.pid, pid > 0 else {
            throw ContainerInputError(input: "state", message: "no pid (is this a prestart or createRuntime hook?)")
        }
        var recorder = try FlightRecorder(paths: paths)
        recorder.fault = HookFault.fromEnvironment()
        let config = try? OCIBundleConfig.load(bundle: state.bundle)
        var annotations = config?.annotations ?? [:]
        annotations.merge(state.annotations) { _, fromState in fromState }

        var cgroupPath: String?
        var cgroupID: UInt64?
        if let mount = try? CgroupMount.current(cachedIn: paths.stateDirectory), let cgroup = try? mount.cgroup(ofProcess: pid) {
            (cgroupPath, cgroupID) = (cgroup.path, cgroup.id)
        }
        let key: UInt64
        switch recorder.keyMode {
        case .cgroup:
            guard let cgroupID else {
                throw ContainerInputError(input: "/proc/\(pid)/cgroup", message: "no cgroup v2 for the container")
            }
            // Never key a container on the cgroup2 root: that records the host.
            guard cgroupPath != "/" else {
                throw ContainerInputError(input: "/proc/\(pid)/cgroup", message: "the container is in the root cgroup")
            }
            key = cgroupID
        case .mntns:
            key = try MountNamespace.inode(ofProcess: String(pid))
            guard key != recorder.installation.hostMntns else {
                throw ContainerInputError(
                    input: "/proc/\(pid)/ns/mnt", message: "the container shares the host's mount namespace")
            }
        }
        let metadata = ContainerMetadata.derive(
            id: id, annotations: annotations, bundle: state.bundle,
            cgroupPath: cgroupPath ?? config?.cgroupsPath.flatMap(CgroupPath.fromCgroupsPath))
        let record = ContainerRecord(
            id: id, metadata: metadata, source: .hook, key: key, keyMode: recorder.keyMode, slot: -1,
            generation: 0, cgroupPath: cgroupPath, cgroupID: cgroupID, pid: pid, bundle: state.bundle)
        let (_, claim) = try recorder.plug(record)
        if claim.loadedFresh {
            log.write(
                "\(id): the pool was empty; loaded recorder \(claim.slot)", program: program, toStandardError: false)
        }
    }

    /// Unplugs the container and archives its trace. The state has no pid at
    /// poststop and the cgroup may be gone: everything comes from the record
    /// prestart wrote. A container never traced, or a second call, does nothing.
    func poststop(_ state: OCIState, paths: TailtracePaths) throws {
        let id = try ContainerID.validate(state.id)
        guard let record = try paths.stateStore.load(id: id) else { return }
        var recorder: FlightRecorder
        do {
            recorder = try FlightRecorder(paths: paths)
        } catch {
            // Uninstalled meanwhile, or a reboot emptied bpffs: nothing to
            // unplug, and its ring is gone.
            try FlightRecorder.archiveWithoutRing(id: id, paths: paths)
            throw TraceLostError(name: record.name, reason: error)
        }
        recorder.fault = HookFault.fromEnvironment()
        try recorder.unplug(record)
        // a stop is when disk space comes back: archives that failed before
        // (one stat when there are none)
        if (try? paths.stateStore.pendingArchives().isEmpty) == false { _ = try? recorder.retryPendingArchives() }
    }
}
