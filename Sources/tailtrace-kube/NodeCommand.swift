import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import Glibc
import Reconcile
import Shared
import TailcallPool
import TraceFormat

/// The DaemonSet pod's entry point (deploy/kubernetes/daemonset.yaml): makes
/// this node traced and keeps it so until SIGTERM.
///
/// Idempotent: an installation already pinned under the host's bpffs is kept
/// as it is, with its rings, so a pod restart or a rollout loses no trace
/// (the pins outlive the pod; nothing here uninstalls). Pins of another
/// tailtrace version cannot be read by this one and are replaced.
struct Node: ParsableCommand {
    static let configuration = KubernetesCommands.node

    @OptionGroup var settings: NodeOptions

    func run() throws {
        let started = Date()
        let paths = try settings.global.paths()
        let host = settings.hostRoot == "/" ? "" : settings.hostRoot
        guard var mode = NodeMode.choose(asked: settings.runtime, exists: { access(host + $0, F_OK) == 0 }) else {
            throw UserError(
                "no container runtime found under \(settings.hostRoot) (looked for \(NodeRuntime.sockets.flatMap(\.1).joined(separator: ", "))); give --runtime"
            )
        }
        mode.node = settings.nodeName ?? ProcessInfo.processInfo.environment["NODE_NAME"] ?? KubernetesLookup.hostName()
        mode.since = RFC3339Time.now()
        log("runtime \(mode.runtime.rawValue): \(mode.reason)")

        // A bpffs this pod mounted itself would be the pod's own, and its
        // pins would go with the pod: the host's must be there already.
        if paths.pinRoot.hasPrefix("/sys/fs/bpf/") && !KernelMounts.isMounted("/sys/fs/bpf", magic: KernelMounts.bpfMagic) {
            throw UserError(
                "no bpffs at /sys/fs/bpf: mount it on the host (systemd does) and give it to this pod (hostPath, HostToContainer)"
            )
        }
        let installation = try ensureInstalled(paths, pool: mode.pool)
        if installation.autoClaim != mode.pool {
            log(
                "kept the running installation although it was made \(installation.autoClaim ? "with" : "without") pool mode: reinstalling would lose its traces; `tailtrace uninstall` and restart this pod to change it"
            )
        }
        if mode.runtime.runsHooks {
            for dir in settings.hooksDirs {
                try HookFiles.install(
                    hooksDir: dir, libexec: settings.hookPath, paths: paths, always: false, hostRoot: settings.hostRoot)
            }
            log("hooks written to \(settings.hooksDirs.joined(separator: ", ")), executables in \(settings.hookPath)")
        }
        try paths.stateStore.prepare()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try StateFiles.writeAtomically(
            directory: paths.stateDirectory, name: NodeMode.fileName, bytes: Array(try encoder.encode(mode)),
            durable: false)
        log("ready in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
        if settings.once { return }
        try reconcileUntilTerminated(FlightRecorder(paths: paths), node: mode.node)
    }

    /// The installation under the pin root: kept when it is this version's,
    /// made when there is none or another version's.
    func ensureInstalled(_ paths: TailtracePaths, pool usePool: Bool) throws -> Installation {
        let root = PinRoot(paths.pinRoot)
        do {
            if root.isInstalled {
                let kept = try Installation.open(root)
                let claimed = (try? Pool(kept).claimedKeys().count) ?? 0
                log("kept the installation at \(root.path) (\(claimed) containers traced)")
                return kept
            }
        } catch let other as OtherVersionError {
            log("\(other.path): installed by another tailtrace version; replacing it (traces still in its rings are lost, archives are kept)")
            try Installation.uninstall(root)
        }
        var options = InstallOptions()
        options.poolSize = settings.pool
        options.ringBytes = ByteSize.parse(settings.ringSize)!
        options.autoClaim = usePool
        options.plans = CapturePlan.resolvedTable()
        switch try Installation.install(root, options: options) {
        case .installed(let installation, let notes):
            log("installed at \(root.path): \(installation.poolSize) recorders, key \(installation.keyMode.rawValue)")
            for note in notes { log(note) }
            return installation
        case .alreadyInstalled(let installation):
            return installation
        }
    }

    /// Reconcile passes every `--interval` seconds until SIGTERM or SIGINT,
    /// which are blocked and waited for (no handler runs Swift code).
    func reconcileUntilTerminated(_ recorder: FlightRecorder, node: String?) throws {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let reconciler = Reconciler(recorder: recorder)
        let kubernetes = KubernetesLookup(kubeconfig: settings.kubeconfig, node: node)
        while true {
            let pods = kubernetes.fetch()
            do {
                var report = try reconciler.run(kubernetes: pods.lookup)
                report.problems = pods.problems + report.problems
                let summary = Reconcile.summary(report)
                if summary != "nothing to do" { log(summary) }
                for problem in report.problems { log(problem) }
            } catch {
                log("reconcile: \(error)")
            }
            var wait = timespec(tv_sec: settings.interval, tv_nsec: 0)
            let signal = sigtimedwait(&signals, nil, &wait)
            if signal == SIGTERM || signal == SIGINT {
                log("\(signal == SIGTERM ? "SIGTERM" : "SIGINT"): stopping; the recorder stays installed")
                return
            }
        }
    }

    func log(_ message: String) {
        writeOut("\(RFC3339Time.now()) tailtrace node: \(message)\n")
    }
}
