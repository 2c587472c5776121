import ArgumentParser
import CommandLineSupport
import Glibc
import Reconcile
import Shared
import TailcallPool

struct Reconcile: ParsableCommand {
    static let configuration = KubernetesCommands.reconcile

    @OptionGroup var settings: ReconcileOptions

    func run() throws {
        let recorder = try settings.global.recorder()
        let reconciler = Reconciler(recorder: recorder)
        let kubernetes = KubernetesLookup(kubeconfig: settings.kubeconfig, node: settings.node)
        repeat {
            let pods = kubernetes.fetch()
            var report = try reconciler.run(kubernetes: pods.lookup)
            report.problems = pods.problems + report.problems
            print(Self.summary(report))
            for problem in report.problems { printError(problem) }
            if !settings.watch { return }
            sleep(UInt32(settings.interval))
        } while true
    }

    static func summary(_ r: ReconcileReport) -> String {
        var lines: [String] = []
        for c in r.named {
            lines.append("named slot \(c.slot): \(c.runtime.rawValue) container \(c.name) (\(c.cgroupPath ?? "?"))")
        }
        for c in r.enriched {
            lines.append("\(c.name): pod \(c.namespace ?? "")/\(c.pod ?? ""), container \(c.container ?? "")")
        }
        for c in r.archived { lines.append("\(c.name) is gone: trace archived, slot \(c.slot) freed") }
        for p in r.refused { lines.append("not a container, refused from now on: \(p)") }
        if r.loaded > 0 { lines.append("loaded \(r.loaded) recorders to refill the pool") }
        if r.unloaded > 0 { lines.append("unloaded \(r.unloaded) free recorders beyond the pool's size") }
        if lines.isEmpty { lines.append("nothing to do") }
        return lines.joined(separator: "\n")
    }
}
