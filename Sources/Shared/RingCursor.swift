/// Where a follower's passes over a live ring stand (`RingDecoder.trace`
/// with `since`): per CPU the positions decoded, and the enter decoded
/// before its call returned that may still get its exit in place.
///
/// One record per syscall (`TT_SEQ_DONE`): the recorder writes an exit into
/// its enter's cell only while that enter is its CPU's newest record, so
/// per CPU at most one enter already decoded can still change: the last
/// record of the last window, when nothing came after it. The next pass
/// reads that cell again and, once it holds the exit, returns the exit as
/// an item of its own (an exit whose enter came in an earlier pass).
public struct RingCursor: Sendable, Equatable {
    /// Per CPU: positions below this were decoded.
    public var read: [UInt64]
    /// Per CPU: position + 1 of an enter decoded without its exit that is
    /// still its CPU's newest record (0: none).
    public var open: [UInt64]

    /// Some CPU's last window ended with an open enter: its exit may come
    /// in place, without moving a head.
    public var hasOpen: Bool { open.contains { $0 != 0 } }

    public init(read: [UInt64], open: [UInt64]? = nil) {
        self.read = read
        self.open = open ?? [UInt64](repeating: 0, count: read.count)
    }
}
