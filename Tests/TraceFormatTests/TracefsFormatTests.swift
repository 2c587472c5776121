import Shared
import Testing

@testable import TraceFormat

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct TracefsFormatTests {
    @Test func parsesOpenat() throws {
        let format = try #require(TracefsFormat.parse(TracefsFixtures.openat))
        #expect(format.event == "sys_enter_openat")
        #expect(format.id == 782)
        #expect(format.args.map(\.name) == ["dfd", "filename", "flags", "mode"])
        #expect(format.args.map(\.type) == ["int", "const char *", "int", "umode_t"])
    }

    @Test func parsesEveryFixture() throws {
        let expected: [String: [String]] = [
            "read": ["fd", "buf", "count"],
            "write": ["fd", "buf", "count"],
            "execve": ["filename", "argv", "envp"],
            "execveat": ["fd", "filename", "argv", "envp", "flags"],
            "renameat2": ["olddfd", "oldname", "newdfd", "newname", "flags"],
            "mmap": ["addr", "len", "prot", "flags", "fd", "off"],
            "getppid": [],
        ]
        for (name, args) in expected {
            let text = try #require(TracefsFixtures.all.first { $0.0 == name }?.1)
            let format = try #require(TracefsFormat.parse(text))
            #expect(format.args.map(\.name) == args, "\(name)")
        }
        let execve = try #require(TracefsFormat.parse(TracefsFixtures.execve))
        #expect(execve.args[1].type == "const char *const *")
    }

    @Test func rejectsNonSyscallFormats() {
        #expect(TracefsFormat.parse("") == nil)
        #expect(
            TracefsFormat.parse(
                "name: sched_switch\nID: 3\nformat:\n\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n")
                == nil)
        #expect(TracefsFormat.parse("\u{0}\u{1}garbage;;field:;") == nil)
    }

    /// Newer kernels may append fields carrying user strings to syscall
    /// events; they are not registers.
    @Test func skipsDataLocFields() throws {
        let text = """
            name: sys_enter_openat
            format:
            \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
            \tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
            \tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
            \tfield:__data_loc char[] __filename_val;\toffset:48;\tsize:4;\tsigned:0;
            """
        let format = try #require(TracefsFormat.parse(text))
        #expect(format.args.map(\.name) == ["dfd", "filename"])
    }

    @Test func classifiesTypes() {
        #expect(ArgType.classify(cType: "int") == .signed(bits: 32))
        #expect(ArgType.classify(cType: "const clockid_t") == .signed(bits: 32))
        #expect(ArgType.classify(cType: "unsigned int") == .unsigned(bits: 32))
        #expect(ArgType.classify(cType: "umode_t") == .unsigned(bits: 16))
        #expect(ArgType.classify(cType: "size_t") == .unsigned(bits: 64))
        #expect(ArgType.classify(cType: "loff_t") == .signed(bits: 64))
        #expect(ArgType.classify(cType: "const char *const *") == .pointer(bits: 64))
        #expect(ArgType.classify(cType: "cap_user_header_t") == .pointer(bits: 64))
        #expect(ArgType.classify(cType: "const enum landlock_rule_type") == .signed(bits: 32))
        #expect(ArgType.classify(cType: "some_new_typedef_t") == .unsigned(bits: 64))
    }

    @Test func readsRegistersByType() {
        let int = ArgType.signed(bits: 32)
        #expect(int.signedValue(0xffff_ffff_ffff_ff9c) == -100)
        #expect(int.signedValue(0x0000_0000_ffff_ff9c) == -100)
        #expect(ArgType.unsigned(bits: 32).unsignedValue(0xdead_beef_0000_0003) == 3)
        #expect(ArgType.signed(bits: 64).signedValue(UInt64.max) == -1)
        #expect(ArgType.pointer(bits: 64).narrowed(compat: true) == .pointer(bits: 32))
        #expect(ArgType.signed(bits: 64).narrowed(compat: true).signedValue(0xffff_fffe) == -2)
    }

    @Test func findsTracefsInMountinfo() {
        let mountinfo = """
            22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw
            30 22 0:7 / /sys/kernel/debug rw,relatime shared:12 - debugfs debugfs rw
            43 23 0:13 / /mnt/my\\040trace rw,relatime - tracefs tracefs rw
            44 23 0:13 / /sys/kernel/tracing rw,relatime - tracefs tracefs rw
            45 23 0:13 /instances/x /mnt/sub rw,relatime - tracefs tracefs rw
            """
        #expect(
            TracefsCatalog.rootCandidates(mountinfo: mountinfo) == [
                "/sys/kernel/tracing", "/mnt/my trace", "/sys/kernel/debug/tracing",
            ])
        #expect(TracefsCatalog.rootCandidates(mountinfo: "garbage\n- -\n1 2 3") == [])
    }

    @Test func fixedCatalogReadsNothing() {
        var catalog = TracefsCatalog(formats: [:])
        #expect(catalog.root == nil)
        #expect(catalog.format(forSyscall: "openat") == nil)
        #expect(catalog.format(forSyscall: "../../etc/passwd") == nil)
    }

    /// On this machine tracefs is mounted (tests run as root): the real
    /// formats must load, and match the fixture copied from them.
    @Test func loadsRealFormats() {
        guard access("/sys/kernel/tracing/events/syscalls/sys_enter_openat/format", R_OK) == 0 else {
            return  // no tracefs here (not root, or not mounted): nothing to compare
        }
        var catalog = TracefsCatalog()
        #expect(catalog.root != nil)
        let openat = catalog.format(forSyscall: "openat")
        #expect(openat != nil)
        #expect(openat?.args == TracefsFormat.parse(TracefsFixtures.openat)?.args)
        #expect(catalog.format(forSyscall: "_llseek") == nil)
        #expect(catalog.format(forSyscall: "syscall/../x") == nil)
    }
}

/// Against the running kernel's tracefs (skipped where it is not readable).
@Suite struct TracefsKernelTests {
    static let available = access("/sys/kernel/tracing/events/syscalls/sys_enter_openat/format", R_OK) == 0

    /// Every alias must name an event this kernel has: a typo in the table
    /// would silently fall back to generic arguments.
    @Test(.enabled(if: available)) func aliasTargetsExist() {
        var catalog = TracefsCatalog()
        for (from, to) in SyscallAliases.native.sorted(by: { $0.key < $1.key }) {
            #expect(catalog.format(forSyscall: to) != nil, "\(from) → \(to)")
        }
        #if arch(x86_64)
            for (from, to) in SyscallAliases.i386.sorted(by: { $0.key < $1.key }) {
                #expect(catalog.format(forSyscall: to) != nil, "\(from) → \(to)")
            }
        #endif
    }

    /// Every number of both tables formats, in both styles, with the real
    /// formats; most native calls resolve to tracefs arguments.
    @Test(.enabled(if: available)) func everySyscallFormats() throws {
        var signatures = SyscallSignatures(table: SyscallTable(), catalog: TracefsCatalog())
        var generic: [String] = []
        for nr in 0..<470 {
            let sig = signatures.signature(nr: nr, compat: false)
            if sig.args.first?.name == "arg0" && !sig.name.hasPrefix("syscall_") { generic.append(sig.name) }
            #expect(sig.args.count <= 6)
        }
        // The x86_64 calls without an event here are obsolete or unimplemented
        // ones (create_module, tuxcall...) and module/kexec loading.
        #expect(generic.count < 40, "\(generic)")
        #expect(!generic.contains("openat") && !generic.contains("stat") && !generic.contains("uname"))

        let items: [TraceItem] = (0..<470).flatMap { nr in
            [false, true].map { compat in
                .syscall(
                    SyscallEvent(
                        tsNs: UInt64(nr), cpu: 0, pid: 1, tid: 1, comm: "t", nr: nr, compat: compat,
                        args: [0xffff_ffff_ffff_ff9c, 0x7fff_0000_1000, 0o101, 0o644, UInt64.max, 1 << 63],
                        ret: -Int64(nr % 140), payloads: [path(1, "p"), path(8, "a")]))
            }
        }
        _ = try jsonObjects(items, catalog: TracefsCatalog())
        var text = TraceFormatter(style: .text)
        let out = text.formatted(items)
        #expect(out.filter { $0 == UInt8(ascii: "\n") }.count == items.count)
    }
}
