import CTailtrace
import Glibc

/// A BPF map file descriptor, closed exactly once.
public final class BPFMap {
    public let fd: Int32
    public let name: String

    init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    /// Opens a pinned map.
    public static func open(pinned path: String) throws -> BPFMap {
        let fd = bpf_obj_get(path)
        try BPFError.check(fd, "open pinned map \(path)")
        return BPFMap(fd: fd, name: path)
    }

    /// Takes a duplicate of a map fd owned by a libbpf object (which closes its own).
    static func dup(_ fd: Int32, name: String) throws -> BPFMap {
        let copy = Glibc.dup(fd)
        try BPFError.check(copy, "dup map fd \(name)")
        return BPFMap(fd: copy, name: name)
    }

    deinit { close(fd) }

    public func lookup<K: BitwiseCopyable, V: BitwiseCopyable>(_ key: K, as: V.Type) -> V? {
        var key = key
        let value = UnsafeMutablePointer<V>.allocate(capacity: 1)
        defer { value.deallocate() }
        let rc = bpf_map_lookup_elem(fd, &key, value)
        return rc == 0 ? value.pointee : nil
    }

    public func update<K: BitwiseCopyable, V: BitwiseCopyable>(_ key: K, _ value: V, flags: UInt64 = UInt64(BPF_ANY)) throws {
        var key = key
        var value = value
        try BPFError.check(bpf_map_update_elem(fd, &key, &value, flags), "update map \(name)")
    }

    /// Returns false when the key was not there.
    @discardableResult
    public func delete<K: BitwiseCopyable>(_ key: K) throws -> Bool {
        var key = key
        let rc = bpf_map_delete_elem(fd, &key)
        if rc < 0 && (rc == -ENOENT || Glibc.errno == ENOENT) { return false }
        try BPFError.check(rc, "delete from map \(name)")
        return true
    }

    /// All keys of a hash map (snapshot; concurrent changes may be missed).
    public func keys<K: BitwiseCopyable>(_: K.Type) -> [K] {
        var out: [K] = []
        let cur = UnsafeMutablePointer<K>.allocate(capacity: 1)
        let next = UnsafeMutablePointer<K>.allocate(capacity: 1)
        defer { cur.deallocate(); next.deallocate() }
        var rc = bpf_map_get_next_key(fd, nil, next)
        while rc == 0 && out.count < 1 << 20 {
            out.append(next.pointee)
            cur.pointee = next.pointee
            rc = bpf_map_get_next_key(fd, cur, next)
        }
        return out
    }

    /// Pops a u32 from a BPF_MAP_TYPE_QUEUE; nil when empty.
    public func pop() -> UInt32? {
        var value: UInt32 = 0
        return tt_pop_u32(fd, &value) == 0 ? value : nil
    }

    public func push(_ value: UInt32) throws {
        try BPFError.check(tt_push_u32(fd, value), "push to queue \(name)")
    }

    /// Kernel memory charged to this map (fdinfo "memlock").
    public var memlock: Int {
        let path = "/proc/self/fdinfo/\(fd)"
        guard let f = fopen(path, "r") else { return 0 }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, 256, f) != nil {
            let s = String(cString: line)
            if s.hasPrefix("memlock:") {
                return Int(s.dropFirst(8).filter { $0.isNumber }) ?? 0
            }
        }
        return 0
    }
}

/// A read-only (or read-write) mmap of a BPF_F_MMAPABLE array's values,
/// unmapped exactly once.
public final class MappedRegion {
    public let base: UnsafeMutableRawPointer
    public let length: Int

    public init(map: BPFMap, length: Int, writable: Bool = false) throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let size = (length + page - 1) / page * page
        let prot = PROT_READ | (writable ? PROT_WRITE : 0)
        // MAP_POPULATE: one call maps every page instead of a fault per page
        // (a 64 MiB ring is 16,384 faults otherwise).
        let p = mmap(nil, size, prot, MAP_SHARED | MAP_POPULATE, map.fd, 0)
        if p == MAP_FAILED || p == nil { throw BPFError("mmap map \(map.name)", errno: errno) }
        base = p!
        self.length = size
    }

    deinit { munmap(base, length) }
}
