/// A test precondition that failed outside an assertion (a tool that did not
/// run, a server that did not start).
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
