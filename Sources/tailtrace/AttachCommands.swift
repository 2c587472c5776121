import ArgumentParser
import CommandLineSupport
import CTailtrace
import Shared
import TailcallPool

struct Attach: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Trace an existing cgroup v2 by hand: claim a recorder for it.")

    @OptionGroup var global: GlobalOptions

    @Option(
        help:
            "The cgroup: a directory under the cgroup2 mount, a path in the hierarchy as /proc/<pid>/cgroup shows it (/a/b), or a path relative to the mount."
    )
    var cgroup: String

    @Option(help: "Name to dump it by (default: the cgroup's last path component).")
    var name: String?

    func run() throws {
        let recorder = try global.recorder()
        guard recorder.keyMode == .cgroup else {
            throw UserError("attach --cgroup needs an installation keyed by cgroup (installed with --key mntns)")
        }
        let mount = try CgroupMount.current(cachedIn: recorder.paths.stateDirectory)
        let path = try cgroupPath(in: mount)
        let directory = try mount.directory(ofCgroup: path)
        guard CgroupMount.isCgroup2(directory) else {
            throw UserError("\(cgroup) is not a cgroup v2 directory (cgroup2 is mounted at \(mount.mountPoint))")
        }
        let cgroupID = try CgroupPath.cgroupID(directory: directory)
        let chosen = name ?? String(path.split(separator: "/").last ?? "root")
        let displayName = try ContainerID.validateName(chosen)
        let record = ContainerRecord(
            id: "cgroup-\(cgroupID)", name: displayName, runtime: .attach, source: .attach, cgroupPath: path,
            cgroupID: cgroupID, key: cgroupID, keyMode: .cgroup, slot: -1, generation: 0)
        let (saved, claim) = try recorder.plug(record, uniqueName: true)
        print(
            "attached \(saved.name) (cgroup \(path), id \(cgroupID)) to recorder \(saved.slot)"
                + (claim.adopted ? " (already traced)" : ""))
    }

    /// The cgroup as a path in the hierarchy ("/a/b"), from an absolute
    /// directory under the mount or a path relative to it.
    private func cgroupPath(in mount: CgroupMount) throws -> String {
        var path = cgroup
        if path.hasPrefix("/") {
            let base = mount.mountPoint
            if path == base { return "/" }
            // Not under the mount: a path in the hierarchy, the form
            // /proc/<pid>/cgroup and `list` show ("/mx" for <mount>/mx).
            if path.hasPrefix(base + "/") { path = String(path.dropFirst(base.count)) }
        } else {
            path = "/" + path
        }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return mount.root == "/" ? path : mount.root + path
    }
}

struct Detach: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detach",
        abstract: "Stop tracing a container: archive its trace and return its recorder to the pool.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Container id, unique id prefix, or name.")
    var container: String

    func run() throws {
        let recorder = try global.recorder()
        let record = try recorder.traces.find(container)
        guard record.state == .running else {
            throw UserError("\(record.name) is not traced any more (stopped at \(record.stoppedAt ?? "?"))")
        }
        guard let entry = try recorder.unplug(record) else {
            throw UserError("\(record.name) was detached meanwhile")
        }
        print("detached \(record.name); its trace is kept in \(entry.path)")
    }
}
