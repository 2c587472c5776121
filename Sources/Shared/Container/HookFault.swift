import Glibc

/// The named steps of plugging a container in (prestart) and unplugging it
/// (poststop) at which a test can have a hook killed: with
/// `TAILTRACE_TEST_FAULT=<step>` in its environment, a hook raises SIGKILL on
/// itself there, as an OOM kill or a runtime's timeout would. Read by the
/// hooks only (`OCIHook`); the CLI never looks at the variable. FaultTests
/// runs every step and checks that the next `tailtrace reconcile` leaves no
/// slot leaked or shared and no record running.
public enum HookFault: String, CaseIterable, Sendable {
    /// prestart: the slot is claimed, no record saved yet
    case afterClaim = "after-claim"
    /// prestart: the record is saved
    case afterSave = "after-save"
    /// poststop: the key is unplugged, the ring not archived, the slot not freed
    case afterUnplug = "after-unplug"
    /// poststop: the archive is written, the slot not freed
    case afterArchive = "after-archive"
    /// poststop: the slot is freed, the record not removed
    case afterFree = "after-free"

    public static let variable = "TAILTRACE_TEST_FAULT"

    /// The step named in the environment, if any.
    public static func fromEnvironment() -> HookFault? {
        getenv(variable).flatMap { HookFault(rawValue: String(cString: $0)) }
    }

    /// Kills the process when `armed` is this step.
    public func reached(armed: HookFault?) {
        if armed == self { raise(SIGKILL) }
    }
}
