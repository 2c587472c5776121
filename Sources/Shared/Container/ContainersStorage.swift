import FoundationEssentials

/// Names from containers/storage, the store podman and CRI-O share.
///
/// podman passes no name in the OCI state or `config.json`; the bundle is
/// `<root>/overlay-containers/<id>/userdata` and the names are in
/// `<root>/overlay-containers/containers.json`, an array of
/// `{"id", "names": [...], ...}` (podman 4.3, checked on this machine). The
/// storage replaces that file by rename, so reading it without the storage
/// lock sees a whole file.
public enum ContainersStorage {
    /// containers.json grows with every container on the host.
    public static let maximumSize = 64 << 20

    /// `<root>/<driver>-containers/containers.json` when `bundle` is
    /// `<root>/<driver>-containers/<id>/userdata`, else nil. Computed from the
    /// string, never by following `..`.
    public static func containersJSONPath(bundle: String, id: String) -> String? {
        var components = bundle.split(separator: "/", omittingEmptySubsequences: true)
        guard components.count >= 3, components.removeLast() == "userdata",
            components.removeLast() == id,
            components.last?.hasSuffix("-containers") == true
        else { return nil }
        return "/" + components.joined(separator: "/") + "/containers.json"
    }

    /// The first name of container `id`, or nil when the bundle is not in
    /// containers/storage, the file is unreadable or too large, or the name
    /// is not a valid name. Never throws: the name is a nicety.
    public static func name(ofContainer id: String, bundle: String, limit: Int = maximumSize)
        -> String?
    {
        guard let path = containersJSONPath(bundle: bundle, id: id),
            let bytes = try? StateFiles.readFile(path, limit: limit, input: "containers.json")
        else { return nil }
        return name(ofContainer: id, containersJSON: bytes)
    }

    public static func name(ofContainer id: String, containersJSON bytes: [UInt8]) -> String? {
        struct Entry: Decodable {
            var id: String
            var names: [String]?
        }
        guard let entries = try? TreeJSONDecoder.decode([Entry].self, from: bytes),
            let name = entries.first(where: { $0.id == id })?.names?.first,
            ContainerID.isValidName(name)
        else { return nil }
        return name
    }
}
