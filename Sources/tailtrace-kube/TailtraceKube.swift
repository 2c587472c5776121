import ArgumentParser
import CommandLineSupport

/// The commands of tailtrace that reach the Kubernetes API, which tailtrace
/// hands over to this executable (KubernetesCommands): their usage and
/// errors name them as tailtrace's.
@main
struct TailtraceKube: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tailtrace",
        abstract: "tailtrace's commands that reach the Kubernetes API (run by tailtrace).",
        subcommands: [Node.self, Reconcile.self]
    )
}
