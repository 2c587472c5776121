import ArgumentParser
import CommandLineSupport

@main
struct Tailtrace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tailtrace",
        abstract: "A syscall flight recorder for containers: the last syscalls of every traced container, kept in the kernel.",
        discussion: """
            tailtrace keeps an overwritable ring of syscall records per container, filled by BPF \
            and read only when asked. It runs no daemon: the BPF state is pinned under bpffs, \
            and OCI hooks (or the BPF dispatcher itself, with --auto-claim) plug containers in.
            """,
        subcommands: [
            Install.self, Uninstall.self, Status.self, Attach.self, Detach.self, List.self, Dump.self,
            Follow.self, Why.self, Export.self, Reconcile.self, Node.self,
        ]
    )

    /// `node` and `reconcile` run in tailtrace-kube, handed over before
    /// anything is parsed (KubernetesCommands).
    static func main() {
        KubernetesCommands.handOver(CommandLine.arguments)
        main(nil)
    }
}

/// In tailtrace's own list of commands, with their options, for its help,
/// completion scripts and manual; their command lines never reach these
/// (`main`).
struct Node: ParsableCommand {
    static let configuration = KubernetesCommands.node
    @OptionGroup var settings: NodeOptions
}

struct Reconcile: ParsableCommand {
    static let configuration = KubernetesCommands.reconcile
    @OptionGroup var settings: ReconcileOptions
}
