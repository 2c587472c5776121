import Glibc

/// Where tailtrace keeps its pins, state, archives and hook log. Each comes
/// from the command-line option when given, else the environment variable
/// (shared by the CLI and the hooks), else the default.
public struct TailtracePaths: Sendable, Equatable {
    public static let defaultPinRoot = "/sys/fs/bpf/tailtrace"
    public static let defaultStateDirectory = "/run/tailtrace"
    public static let defaultArchiveDirectory = "/var/lib/tailtrace/archive"

    public static let pinRootVariable = "TAILTRACE_PIN_ROOT"
    public static let stateDirectoryVariable = "TAILTRACE_STATE_DIR"
    public static let archiveDirectoryVariable = "TAILTRACE_ARCHIVE_DIR"

    public static let logFileName = "hooks.log"

    /// bpffs directory holding the dispatcher, pool and recorder pins.
    public var pinRoot: String
    /// One `<id>.json` per traced container (`StateStore`), and the hook log.
    public var stateDirectory: String
    /// Archives of stopped containers (`ContainerArchive`).
    public var archiveDirectory: String

    /// `environment` answers a variable's value; the default reads the
    /// process environment. An empty value counts as unset.
    public init(
        pinRoot: String? = nil, stateDirectory: String? = nil, archiveDirectory: String? = nil,
        environment: (String) -> String? = { getenv($0).map { String(cString: $0) } }
    ) throws {
        func pick(_ option: String?, _ variable: String, _ fallback: String) throws -> String {
            if let option { return try Self.validate(option, from: "option for \(variable)") }
            if let value = environment(variable), !value.isEmpty {
                return try Self.validate(value, from: variable)
            }
            return fallback
        }
        self.pinRoot = try pick(pinRoot, Self.pinRootVariable, Self.defaultPinRoot)
        self.stateDirectory = try pick(
            stateDirectory, Self.stateDirectoryVariable, Self.defaultStateDirectory)
        self.archiveDirectory = try pick(
            archiveDirectory, Self.archiveDirectoryVariable, Self.defaultArchiveDirectory)
    }

    /// `<state dir>/hooks.log`: the hooks' one-line errors.
    public var logFile: String { stateDirectory + "/" + Self.logFileName }
    public var stateStore: StateStore { StateStore(directory: stateDirectory) }
    public var archive: ContainerArchive { ContainerArchive(directory: archiveDirectory) }
    public var hookLog: HookLog { HookLog(path: logFile) }

    /// An absolute path without `.`/`..` components or control characters,
    /// with a trailing `/` removed; `/` itself is refused.
    static func validate(_ path: String, from origin: String) throws -> String {
        func reject(_ why: String) -> ContainerInputError {
            ContainerInputError(input: origin, message: "\(why): \(ContainerID.quoted(path))")
        }
        guard path.hasPrefix("/") else { throw reject("not an absolute path") }
        guard !path.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw reject("contains a control character")
        }
        let (normalized, dotted) = StateFiles.normalized(path)
        guard !normalized.isEmpty else { throw reject("is the root directory") }
        guard !dotted else { throw reject("has a '.' or '..' component") }
        return normalized
    }
}
