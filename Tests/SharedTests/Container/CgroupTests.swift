import Glibc
import Testing

@testable import Shared

@Suite struct CgroupMountTests {
    @Test func hybridLayoutOfThisMachine() throws {
        let mount = try #require(CgroupMount.find(mountInfo: Fixtures.hybridMountInfo))
        #expect(mount == CgroupMount(mountPoint: "/sys/fs/cgroup/unified", root: "/"))
        #expect(try mount.directory(ofCgroup: "/") == "/sys/fs/cgroup/unified")
        #expect(
            try mount.directory(ofCgroup: "/libpod_parent/libpod-x")
                == "/sys/fs/cgroup/unified/libpod_parent/libpod-x")
    }

    @Test func unifiedLayoutAndOptionalFields() {
        let text = """
            22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
            35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 master:3 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
            """
        #expect(CgroupMount.find(mountInfo: text) == CgroupMount(mountPoint: "/sys/fs/cgroup"))
    }

    @Test func octalEscapesAreDecoded() throws {
        let line = #"99 35 0:30 /a\040b /mnt/with\040space\011tab\134back rw - cgroup2 my\040src rw"#
        let entry = try #require(MountInfoEntry(line: Substring(line)))
        #expect(entry.root == "/a b")
        #expect(entry.mountPoint == "/mnt/with space\ttab\\back")
        #expect(entry.source == "my src")
        #expect(entry.fsType == "cgroup2")
        #expect(MountInfoEntry(line: "garbage") == nil)
        #expect(MountInfoEntry(line: "1 2 3:4 / /x rw - ") == nil)
        #expect(MountInfoEntry.unescape(#"\04"#) == #"\04"#)
        #expect(MountInfoEntry.unescape(#"\089"#) == #"\089"#)
    }

    @Test func preferTheMountShowingTheWholeHierarchy() {
        let text = """
            50 40 0:30 /kubepods/pod1 /host/cg rw - cgroup2 cgroup2 rw
            51 40 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
            """
        #expect(CgroupMount.find(mountInfo: text)?.mountPoint == "/sys/fs/cgroup")
        #expect(
            CgroupMount.find(mountInfo: "41 31 0:38 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu")
                == nil)
    }

    @Test func nonRootMountMapsPathsBelowItsRoot() throws {
        let mount = CgroupMount(mountPoint: "/host/cg", root: "/kubepods/pod1")
        #expect(try mount.directory(ofCgroup: "/kubepods/pod1/abc") == "/host/cg/abc")
        #expect(try mount.directory(ofCgroup: "/kubepods/pod1") == "/host/cg")
        #expect(throws: ContainerInputError.self) { try mount.directory(ofCgroup: "/kubepods/pod10") }
    }

    @Test func refusesPathsThatLeaveTheMount() {
        let mount = CgroupMount(mountPoint: "/sys/fs/cgroup")
        for path in ["/../etc", "/a/./b", "relative", "/a\u{0}b", "/a\nb"] {
            #expect(throws: ContainerInputError.self) { try mount.directory(ofCgroup: path) }
        }
    }

    /// Real kernel: the id of our own cgroup and of a cgroup made for the test.
    @Test func cgroupIDsOnThisKernel() throws {
        let mount = try CgroupMount.current()
        let own = try mount.cgroup(ofProcess: getpid())
        #expect(own.id > 0)
        guard getuid() == 0 else { return }
        let path = "/tailtrace-test-\(getpid())"
        let directory = try mount.directory(ofCgroup: path)
        try #require(mkdir(directory, 0o755) == 0, "mkdir \(directory): errno \(errno)")
        defer { rmdir(directory) }
        let id = try mount.cgroupID(ofCgroup: path)
        var info = stat()
        #expect(stat(directory, &info) == 0)
        #expect(id == UInt64(info.st_ino))
        #expect(id != own.id)
        #expect(throws: FileSystemError.self) { try mount.cgroupID(ofCgroup: path + "/missing") }
    }
}

/// The prestart hook's cache of the cgroup2 mount, on this machine's mounts.
@Suite struct CgroupMountCacheTests {
    /// Written from mountinfo, then taken without reading it while the mount
    /// point still shows the same cgroup directory; any other cache is read
    /// again from mountinfo and written anew.
    @Test func aCachedMountIsTakenOnlyWhileItsMountPointStillShowsIt() throws {
        let temp = TemporaryDirectory()
        let real = try CgroupMount.current()
        #expect(try CgroupMount.current(cachedIn: temp.path) == real)
        let file = temp.path + "/" + CgroupMountCache.fileName
        let line = String(decoding: try StateFiles.readFile(file, limit: 8192, input: "test"), as: UTF8.self)
        var fields = line.dropLast().split(separator: " ").map(String.init)
        try #require(fields.count == 5, "\(line)")
        // mountinfo is not read while the cache holds: a path that does not exist
        #expect(try CgroupMount.current(cachedIn: temp.path, mountInfoPath: "/nonexistent") == real)

        let inode = try #require(UInt64(fields[2]))
        var stale: [String] = []
        fields[2] = String(inode + 1)  // another cgroup directory than the mount point shows
        stale.append(fields.joined(separator: " "))
        fields[2] = String(inode)
        fields[4] = "/tmp"  // not cgroup2
        stale.append(fields.joined(separator: " "))
        fields[4] = CgroupMountCache.escape(real.mountPoint)
        fields[0] = "1"  // another mount namespace
        stale.append(fields.joined(separator: " "))
        stale.append("garbage")
        for bad in stale {
            try StateFiles.writeAtomically(directory: temp.path, name: CgroupMountCache.fileName, bytes: Array((bad + "\n").utf8))
            #expect(throws: FileSystemError.self, "\(bad) was taken") {
                try CgroupMount.current(cachedIn: temp.path, mountInfoPath: "/nonexistent")
            }
            #expect(try CgroupMount.current(cachedIn: temp.path) == real)
            #expect(String(decoding: try StateFiles.readFile(file, limit: 8192, input: "test"), as: UTF8.self) == line)
        }
    }

    @Test func pathsAreEscapedAsMountinfoEscapesThem() {
        for path in ["/a b", "/tab\tand\\back", "/new\nline", "/ü/x"] {
            let escaped = CgroupMountCache.escape(path)
            #expect(!escaped.contains(" ") && !escaped.contains("\n"), "\(escaped)")
            #expect(MountInfoEntry.unescape(Substring(escaped)) == path)
        }
    }
}

@Suite struct CgroupPathTests {
    @Test func procCgroupOfAPodmanContainerOnAHybridHost() {
        #expect(
            CgroupPath.unifiedPath(procCgroup: Fixtures.podmanProcCgroup)
                == "/libpod_parent/libpod-\(Fixtures.podmanID)")
        #expect(CgroupPath.unifiedPath(procCgroup: "0::/a/b (deleted)\n") == "/a/b")
        #expect(CgroupPath.unifiedPath(procCgroup: "4:memory:/x\n1:cpu:/x\n") == nil)
    }

    @Test func missingProcessIsAnError() {
        #expect(throws: FileSystemError.self) { try CgroupPath.ofProcess(Int32.max) }
    }

    static let id = "3b0a3ee3a4a1c1e4e7b8d0f3a3c2f5e6d7c8b9a0f1e2d3c4b5a6978877665544"
    static let uid = "5d0c9d37-7b5f-4c39-9b0e-0f2b6a8d1e44"
    static let uidSystemd = "5d0c9d37_7b5f_4c39_9b0e_0f2b6a8d1e44"

    @Test(arguments: [
        (
            "/default/myctr",
            CgroupContainerReference(runtime: .containerd, id: "myctr", containerdNamespace: "default")
        ),
        (
            "/k8s.io/\(id)",
            CgroupContainerReference(runtime: .containerd, id: id, containerdNamespace: "k8s.io")
        ),
        ("/libpod_parent/libpod-\(id)", CgroupContainerReference(runtime: .podman, id: id)),
        ("/machine.slice/libpod-\(id).scope", CgroupContainerReference(runtime: .podman, id: id)),
        (
            "/machine.slice/libpod-\(id).scope/container",
            CgroupContainerReference(runtime: .podman, id: id)
        ),
        ("/system.slice/docker-\(id).scope", CgroupContainerReference(runtime: .docker, id: id)),
        ("/docker/\(id)", CgroupContainerReference(runtime: .docker, id: id)),
        (
            "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod\(uidSystemd).slice/crio-\(id).scope",
            CgroupContainerReference(runtime: .crio, id: id, podUID: uid)
        ),
        (
            "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod\(uidSystemd).slice/cri-containerd-\(id).scope",
            CgroupContainerReference(runtime: .containerd, id: id, podUID: uid)
        ),
        (
            "/kubepods.slice/kubepods-pod\(uidSystemd).slice/crio-\(id).scope/container",
            CgroupContainerReference(runtime: .crio, id: id, podUID: uid)
        ),
        (
            "/kubepods/besteffort/pod\(uid)/\(id)",
            CgroupContainerReference(runtime: nil, id: id, podUID: uid)
        ),
        ("/kubepods/pod\(uid)/\(id)", CgroupContainerReference(runtime: nil, id: id, podUID: uid)),
        (
            "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod\(uidSystemd).slice/cri-containerd-\(id).scope",
            CgroupContainerReference(runtime: .containerd, id: id, podUID: uid)
        ),
    ])
    func recognisesContainerCgroups(path: String, expected: CgroupContainerReference) {
        #expect(CgroupPath.containerReference(fromPath: path) == expected)
    }

    @Test(arguments: [
        "/", "/libpod_parent/libpod-conmon-\(id)", "/machine.slice/libpod-conmon-\(id).scope",
        "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod\(uidSystemd).slice/crio-conmon-\(id).scope",
        "/system.slice/cron.service", "/user.slice/user-0.slice/session-3.scope",
        "/libpod_parent/conmon",
        "/kubepods.slice/kubepods-besteffort.slice", "/kubepods/besteffort/pod\(uid)",
        "/system.slice/crio-\(id)",
        "/a/b/c", "/default/../etc", "/machine.slice/libpod-..scope", "/x/docker-a/b.scope",
    ])
    func ignoresHostAndMonitorCgroups(path: String) {
        #expect(CgroupPath.containerReference(fromPath: path) == nil)
    }

    @Test func cgroupsPathOfTheSystemdDriver() {
        #expect(
            CgroupPath.fromCgroupsPath("kubepods-besteffort-pod\(Self.uidSystemd).slice:crio:\(Self.id)")
                == "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod\(Self.uidSystemd).slice/crio-\(Self.id).scope"
        )
        #expect(
            CgroupPath.fromCgroupsPath("machine.slice:libpod:\(Self.id)")
                == "/machine.slice/libpod-\(Self.id).scope")
        #expect(CgroupPath.fromCgroupsPath(":runc:abc") == "/system.slice/runc-abc.scope")
        #expect(CgroupPath.fromCgroupsPath("-.slice::abc") == "/abc.scope")
        for bad in [
            "a.slice:p", "bad-.slice:p:n", "a--b.slice:p:n", "nota-slice:p:n", "a.slice:p:",
            "a.slice:p/x:n", "relative/path",
        ] {
            #expect(CgroupPath.fromCgroupsPath(bad) == nil, "\(bad)")
        }
    }

    @Test func cgroupsPathOfTheCgroupfsDriver() {
        #expect(
            CgroupPath.fromCgroupsPath("/libpod_parent/libpod-\(Self.id)")
                == "/libpod_parent/libpod-\(Self.id)")
        #expect(CgroupPath.fromCgroupsPath("//kubepods//pod1/abc/") == "/kubepods/pod1/abc")
        #expect(CgroupPath.fromCgroupsPath("/kubepods/../etc") == nil)
    }

    @Test func expandSlice() {
        #expect(CgroupPath.expandSlice("-.slice") == "/")
        #expect(CgroupPath.expandSlice("system.slice") == "/system.slice")
        #expect(CgroupPath.expandSlice("a-b-c.slice") == "/a.slice/a-b.slice/a-b-c.slice")
        #expect(CgroupPath.expandSlice("a-b") == nil)
        #expect(CgroupPath.expandSlice("a/b.slice") == nil)
    }
}
