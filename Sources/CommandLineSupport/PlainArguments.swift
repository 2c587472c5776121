/// A command line of the plainest shape, read without swift-argument-parser:
/// after the command's name, `--option value` or `--option=value` of the
/// options named, each at most once, and exactly `positionals` words that
/// do not start with `-`. Anything else (`--help`, an unknown or repeated
/// option, a missing value or one starting with `-`, `--`, another count of
/// positionals) is nil: the caller hands that line to the parser, which
/// answers as it always does. For the commands scripts run once per
/// container (`attach`, `detach`): the parser's first parse in a process is
/// most of their start-up (see `QuickCommand` in the tailtrace executable).
public struct PlainArguments: Equatable {
    public var options: [String: String] = [:]
    public var positionals: [String] = []

    public init?(_ words: some Collection<String>, options names: Set<String>, positionals count: Int) {
        var iterator = words.makeIterator()
        while let word = iterator.next() {
            guard word.hasPrefix("-") else {
                positionals.append(word)
                continue
            }
            guard word.hasPrefix("--") else { return nil }
            let body = word.dropFirst(2)
            let name: String
            let value: String
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                value = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
                guard let next = iterator.next(), !next.hasPrefix("-") else { return nil }
                value = next
            }
            guard names.contains(name), options[name] == nil else { return nil }
            options[name] = value
        }
        guard positionals.count == count else { return nil }
    }

    public init(options: [String: String], positionals: [String]) {
        self.options = options
        self.positionals = positionals
    }
}
