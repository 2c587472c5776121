/// What `follow` holds between its passes over a live ring: the items
/// decoded but not printed yet, oldest first. Each pass decodes only the
/// cells new since the last (`RingDecoder.trace` with `since`), so a call
/// whose exit comes in a later pass arrives as an exit without its enter:
/// it completes the held call instead of printing on its own.
///
/// A call is printed once its result is final: it returned, its thread
/// moved on, it started before `settledBeforeNs` (exit_group never
/// returns), or the trace ended; a call that is not final holds back the
/// items after it, so lines stay in time order.
public struct FollowedTrace {
    private var held: [TraceItem] = []
    /// Index in `held` of the oldest item not taken yet; `taken` counts the
    /// items taken before `held[0]`, so item numbers survive compaction.
    private var front = 0
    private var taken = 0
    /// tid → number of its unanswered call among the held items.
    private var open: [UInt32: Int] = [:]
    /// tid → number of its newest syscall among the held items.
    private var newest: [UInt32: Int] = [:]
    /// tid → syscall number of a call printed before it returned: its exit,
    /// when it comes, is not printed again.
    private var printedUnanswered: [UInt32: Int] = [:]

    public init() {}

    /// True when nothing is held.
    public var isEmpty: Bool { front == held.count }

    /// Takes the next item of a pass, oldest first.
    public mutating func add(_ item: TraceItem) {
        guard case .syscall(let e) = item else {
            held.append(item)
            return
        }
        if e.args.isEmpty, let ret = e.ret {  // an exit whose enter came in an earlier pass, or was lost
            if let n = open[e.tid], case .syscall(var call) = held[n - taken], call.nr == e.nr {
                call.returned(ret, atNs: e.exitTsNs ?? e.tsNs, payloads: e.payloads)
                held[n - taken] = .syscall(call)
                open[e.tid] = nil
                return
            }
            if printedUnanswered[e.tid] == e.nr {
                printedUnanswered[e.tid] = nil
                return
            }
        } else {
            printedUnanswered[e.tid] = nil
            open[e.tid] = e.ret == nil ? taken + held.count : nil
        }
        newest[e.tid] = taken + held.count
        held.append(item)
    }

    /// Removes and returns the items that are final now, oldest first;
    /// `ended`: the trace ended, everything is.
    public mutating func takeFinal(settledBeforeNs: UInt64, ended: Bool = false) -> [TraceItem] {
        var final: [TraceItem] = []
        while front < held.count {
            let n = taken + front
            if case .syscall(let e) = held[front] {
                let isFinal = ended || e.ret != nil || newest[e.tid] != n || e.tsNs < settledBeforeNs
                guard isFinal else { break }
                if open[e.tid] == n {
                    open[e.tid] = nil
                    printedUnanswered[e.tid] = e.nr
                }
                if newest[e.tid] == n { newest[e.tid] = nil }
            }
            final.append(held[front])
            front += 1
        }
        if front > 1024 && front * 2 > held.count {
            held.removeFirst(front)
            taken += front
            front = 0
        }
        return final
    }
}
