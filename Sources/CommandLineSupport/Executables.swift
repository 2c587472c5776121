import Glibc

/// tailtrace's executables are installed side by side (a build's products,
/// /usr/local/bin of the node image): the CLI finds tailtrace-kube, and
/// `install` the hook executables, in its own directory.
public enum Executables {
    /// The directory of the running executable, symlinks resolved.
    public static func directory() -> String {
        let exe = realpath("/proc/self/exe") ?? CommandLine.arguments[0]
        return String(exe[..<(exe.lastIndex(of: "/") ?? exe.endIndex)])
    }

    public static func realpath(_ path: String) -> String? {
        guard let p = Glibc.realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
