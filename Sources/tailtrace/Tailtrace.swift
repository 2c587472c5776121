import ArgumentParser
import CommandLineSupport
import Glibc

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
        if var command = QuickCommand.parse(CommandLine.arguments) {
            do {
                try command.run()
                Glibc.exit(0)
            } catch {
                exit(withError: error)
            }
        }
        main(nil)
    }
}

/// `attach` and `detach` of a plain command line (`PlainArguments`)
/// without swift-argument-parser's parse: the values go into the commands'
/// own properties, and their `run` is the one the parser calls. The
/// parser's first parse in a process was ~9 of a `detach`'s 15 million
/// instructions (callgrind), mostly the Swift runtime scanning the
/// binary's ~3,900 protocol conformances for its Mirror-based lookups.
/// Every other line, and every error in one, is the parser's.
enum QuickCommand {
    static let globalOptions: Set<String> = ["pin-root", "state-dir", "archive-dir"]

    static func parse(_ arguments: [String]) -> (any ParsableCommand)? {
        let words = arguments.dropFirst()
        switch words.first {
        case Attach.configuration.commandName:
            guard
                let plain = PlainArguments(
                    words.dropFirst(), options: globalOptions.union(["cgroup", "name"]), positionals: 0),
                let cgroup = plain.options["cgroup"]
            else { return nil }
            var attach = Attach()
            attach.global = global(plain)
            attach.cgroup = cgroup
            attach.name = plain.options["name"]
            return attach
        case Detach.configuration.commandName:
            guard let plain = PlainArguments(words.dropFirst(), options: globalOptions, positionals: 1) else {
                return nil
            }
            var detach = Detach()
            detach.global = global(plain)
            detach.container = plain.positionals[0]
            return detach
        default:
            return nil
        }
    }

    private static func global(_ plain: PlainArguments) -> GlobalOptions {
        var global = GlobalOptions()
        global.pinRoot = plain.options["pin-root"]
        global.stateDir = plain.options["state-dir"]
        global.archiveDir = plain.options["archive-dir"]
        return global
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
