/// Resolves the `ID|NAME` argument of `dump`, `follow` and `detach`.
///
/// In order: an exact id; an exact name; a unique id prefix of at least
/// `minimumPrefixLength` characters. Docker and podman show 12-character
/// short ids, which therefore always work when unique; shorter prefixes
/// down to 4 are accepted too, as docker does, and an ambiguous one is an
/// error listing the candidates rather than a guess.
public enum ContainerLookup {
    public static let minimumPrefixLength = 4

    /// `records` in order of preference (e.g. newest archive first): when
    /// several records share the matching id (a `ctr` id reused after an
    /// exit), the first one wins.
    public static func find(_ query: String, in records: [ContainerRecord]) throws -> ContainerRecord {
        if let exact = records.first(where: { $0.id == query }) { return exact }
        let named = records.filter { $0.name == query }
        if !named.isEmpty { return try unique(query, named) }
        guard query.utf8.count >= minimumPrefixLength else {
            throw ContainerLookupError(query: query, candidates: [])
        }
        return try unique(query, records.filter { $0.id.hasPrefix(query) })
    }

    private static func unique(_ query: String, _ matches: [ContainerRecord]) throws
        -> ContainerRecord
    {
        guard let first = matches.first else {
            throw ContainerLookupError(query: query, candidates: [])
        }
        var seen = Set<String>()
        let ids = matches.map(\.id).filter { seen.insert($0).inserted }
        guard ids.count == 1 else {
            let candidates = ids.map { id in "\(id) (\(matches.first { $0.id == id }!.name))" }
            throw ContainerLookupError(query: query, candidates: candidates)
        }
        return first
    }
}

/// No container, or more than one, matches an `ID|NAME` argument.
public struct ContainerLookupError: Error, Sendable, Equatable, CustomStringConvertible {
    public var query: String
    /// Empty when nothing matched; `<id> (<name>)` for each match otherwise.
    public var candidates: [String]

    public var description: String {
        if candidates.isEmpty { return "no traced container matches \(ContainerID.quoted(query))" }
        return "\(ContainerID.quoted(query)) matches \(candidates.count) containers: "
            + candidates.joined(separator: ", ")
    }
}
