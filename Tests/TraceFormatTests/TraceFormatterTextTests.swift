import Shared
import Testing

@testable import TraceFormat

/// The time of the first event in these tests; text timestamps count from it.
let t0: UInt64 = 5_000_000_000_000

/// A syscall by name in this machine's table (or the i386 one).
func nr(_ name: String, compat: Bool = false) -> Int {
    SyscallTable.number(named: name, arch: .of(compat: compat)) ?? -1
}

func call(
    _ name: String, _ args: [UInt64], ret: Int64? = 0, payloads: [Payload] = [], compat: Bool = false,
    after micros: UInt64 = 0, pid: UInt32 = 42, tid: UInt32 = 42, comm: String = "cat", cpu: Int = 1
) -> TraceItem {
    .syscall(
        SyscallEvent(
            tsNs: t0 + micros * 1000, cpu: cpu, pid: pid, tid: tid, comm: comm, nr: nr(name, compat: compat),
            compat: compat, args: args + Array(repeating: 0, count: max(0, 6 - args.count)), ret: ret,
            payloads: payloads))
}

func path(_ arg: Int, _ s: String, truncated: Bool = false) -> Payload {
    Payload(arg: arg, bytes: Array(s.utf8), isString: true, truncated: truncated)
}

let atFdcwd: UInt64 = 0xffff_ffff_ffff_ff9c

/// Text lines for `items`, formatted in order by one formatter.
func textLines(_ items: [TraceItem]) -> [String] {
    var formatter = TraceFormatter(style: .text, catalog: TracefsFixtures.catalog)
    return items.map { formatter.line($0) }
}

@Suite struct TraceFormatterTextTests {
    @Test func openatLikeStrace() {
        let lines = textLines([
            call("openat", [atFdcwd, 0x7ffd_0000_1000, 0o2000000, 0], ret: 3, payloads: [path(1, "/etc/hostname")]),
            call("openat", [atFdcwd, 0x7ffd_0000_1000, 0, 0], ret: -2, payloads: [path(1, "/nope")], after: 123),
        ])
        #expect(
            lines == [
                "00:00.000000 cpu#1 pid 42 [cat] openat(dfd=AT_FDCWD, filename=\"/etc/hostname\", flags=O_RDONLY|O_CLOEXEC) = 3",
                "00:00.000123 cpu#1 pid 42 [cat] openat(dfd=AT_FDCWD, filename=\"/nope\", flags=O_RDONLY) = -1 ENOENT (No such file or directory)",
            ])
    }

    @Test func openFlagsAndMode() {
        let lines = textLines([
            call("openat", [5, 0x1000, 0o1101, 0o644], ret: 4, payloads: [path(1, "out")]),
            call("openat", [atFdcwd, 0x1000, 0o20200002, 0o600], ret: 4, payloads: [path(1, "/tmp")]),
            call("mkdir", [0x1000, 0o755], ret: -17, payloads: [path(0, "/tmp/x")]),
        ])
        #expect(lines[0].hasSuffix("openat(dfd=5, filename=\"out\", flags=O_WRONLY|O_CREAT|O_TRUNC, mode=0644) = 4"))
        #expect(lines[1].hasSuffix("flags=O_RDWR|O_TMPFILE, mode=0600) = 4"))
        #expect(lines[2].hasSuffix("mkdir(pathname=\"/tmp/x\", mode=0755) = -1 EEXIST (File exists)"))
    }

    @Test func unreturnedAndLost() {
        let lines = textLines([
            call("getppid", [], ret: nil),
            .lost(count: 37),
            .lost(count: 1),
        ])
        #expect(lines[0].hasSuffix("[cat] getppid() = ?"))
        #expect(lines[1] == "--- 37 records lost (overwritten or torn) ---")
        #expect(lines[2] == "--- 1 record lost (overwritten or torn) ---")
    }

    @Test func buffersAreEscaped() {
        let data: [UInt8] = Array("root:x:0\n\t\"q\"\\".utf8) + [0x01, 0xff, 0x7f]
        let lines = textLines([
            call("read", [3, 0x5000, 4096], ret: 17, payloads: [Payload(arg: 1, bytes: data, isString: false)]),
            call(
                "write", [1, 0x5000, 2000], ret: 2000,
                payloads: [Payload(arg: 1, bytes: Array("abc".utf8), isString: false, truncated: true)]),
        ])
        #expect(lines[0].hasSuffix(#"read(fd=3, buf="root:x:0\n\t\"q\"\\\1\377\177", count=4096) = 17"#))
        #expect(lines[1].hasSuffix(#"write(fd=1, buf="abc"..., count=2000) = 2000"#))
    }

    @Test func faultedAndNullPointers() {
        let lines = textLines([
            call(
                "openat", [atFdcwd, 0x10, 0, 0], ret: -14,
                payloads: [Payload(arg: 1, bytes: [], isString: true, fault: true)]),
            call(
                "openat", [atFdcwd, 0, 0, 0], ret: -14,
                payloads: [Payload(arg: 1, bytes: [], isString: true, fault: true)]),
            call("read", [3, 0, 10], ret: -14),
        ])
        #expect(lines[0].contains("filename=<fault 0x10>, flags=O_RDONLY) = -1 EFAULT (Bad address)"))
        #expect(lines[1].contains("filename=NULL,"))
        #expect(lines[2].contains("read(fd=3, buf=NULL, count=10)"))
    }

    @Test func execveArgv() {
        let argv = [path(8, "sh"), path(9, "-c"), path(10, "echo \"hi\"", truncated: true)]
        let lines = textLines([
            call("execve", [0x1000, 0x2000, 0x3000], ret: 0, payloads: [path(0, "/bin/sh")] + argv),
            call("execveat", [3, 0x1000, 0x2000, 0x3000, 0x1000], ret: nil, payloads: [path(1, "")] + argv),
            call("execve", [0x1000, 0x2000, 0x3000], ret: -2, payloads: [path(0, "/x")]),
        ])
        #expect(
            lines[0].hasSuffix(#"execve(filename="/bin/sh", argv=["sh", "-c", "echo \"hi\""...], envp=0x3000) = 0"#))
        #expect(
            lines[1].hasSuffix(
                #"execveat(fd=3, filename="", argv=["sh", "-c", "echo \"hi\""...], envp=0x3000, flags=AT_EMPTY_PATH) = ?"#
            ))
        #expect(lines[2].contains("argv=0x2000,"))
    }

    @Test func memoryAndProcessFlags() {
        let lines = textLines([
            call("mmap", [0, 8192, 3, 0x22, UInt64.max, 0], ret: 0x7f12_3456_0000),
            call("mmap", [0x7f00_0000_0000, 4096, 0, 0x100012, 3, 4096], ret: -12),
            call("clone", [0x1200011, 0, 0, 0x7f00_0000_0a10, 0], ret: 43),
            call("renameat2", [atFdcwd, 0x10, 5, 0x20, 1], ret: 0, payloads: [path(1, "a"), path(3, "b")]),
            call("unlinkat", [atFdcwd, 0x10, 0x200], ret: 0, payloads: [path(1, "d")]),
            call("newfstatat", [3, 0x10, 0x20, 0x1100], ret: 0, payloads: [path(1, "")]),
        ])
        #expect(
            lines[0].hasSuffix(
                "mmap(addr=NULL, len=8192, prot=PROT_READ|PROT_WRITE, flags=MAP_PRIVATE|MAP_ANONYMOUS, fd=-1, off=0) = 0x7f1234560000"
            ))
        #expect(
            lines[1].hasSuffix(
                "prot=PROT_NONE, flags=MAP_PRIVATE|MAP_FIXED|MAP_FIXED_NOREPLACE, fd=3, off=4096) = -1 ENOMEM (Cannot allocate memory)"
            ))
        #expect(
            lines[2].hasSuffix(
                "clone(clone_flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, newsp=0, parent_tidptr=NULL, child_tidptr=0x7f0000000a10, tls=0) = 43"
            ))
        #expect(
            lines[3].hasSuffix(
                "renameat2(olddfd=AT_FDCWD, oldname=\"a\", newdfd=5, newname=\"b\", flags=RENAME_NOREPLACE) = 0"))
        #expect(lines[4].hasSuffix("unlinkat(dfd=AT_FDCWD, pathname=\"d\", flag=AT_REMOVEDIR) = 0"))
        #expect(lines[5].hasSuffix("flag=AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) = 0"))
    }

    @Test func headerFields() {
        let lines = textLines([
            call("getppid", [], ret: 1),
            call("getppid", [], ret: 1, after: 61_500_000, pid: 7, tid: 9, comm: "a\tb]", cpu: 12),
            call("getppid", [], ret: 1, after: 3_600_000_001),
        ])
        #expect(lines[0] == "00:00.000000 cpu#1 pid 42 [cat] getppid() = 1")
        #expect(lines[1] == #"01:01.500000 cpu#12 pid 7 tid 9 [a\tb]] getppid() = 1"#)
        #expect(lines[2].hasPrefix("60:00.000001 "))
    }

    /// An exit whose enter was not recorded has no arguments to show.
    @Test func unrecordedEnter() {
        var formatter = TraceFormatter(style: .text, catalog: TracefsCatalog(formats: [:]))
        let line = formatter.line(
            .syscall(
                SyscallEvent(
                    tsNs: t0, cpu: 0, pid: 1, tid: 1, comm: "x", nr: 0, compat: false, args: [], ret: 5, payloads: [])))
        #expect(line.hasSuffix("read(<unrecorded>) = 5"))
    }

    /// A syscall with no tracefs format: six registers in hex.
    @Test func genericArguments() {
        var formatter = TraceFormatter(style: .text, catalog: TracefsCatalog(formats: [:]))
        let line = formatter.line(call("exit_group", [1], ret: nil))
        #expect(line.hasSuffix("exit_group(arg0=0x1, arg1=0x0, arg2=0x0, arg3=0x0, arg4=0x0, arg5=0x0) = ?"))
        let unknown = formatter.line(
            .syscall(
                SyscallEvent(
                    tsNs: t0, cpu: 0, pid: 1, tid: 1, comm: "x", nr: 99999, compat: false, args: [0, 0, 0, 0, 0, 0],
                    ret: -38, payloads: [])))
        #expect(
            unknown.hasSuffix(
                "syscall_99999(arg0=0x0, arg1=0x0, arg2=0x0, arg3=0x0, arg4=0x0, arg5=0x0) = -1 ENOSYS (Function not implemented)"
            ))
    }

    #if arch(x86_64)
        @Test func i386Calls() {
            let lines = textLines([
                call("getppid", [], ret: 1, compat: true),
                // i386 registers are 32 bits: AT_FDCWD arrives zero-extended.
                call(
                    "openat", [0xffff_ff9c, 0xffd0_1000, 0o100000, 0], ret: 3, payloads: [path(1, "/etc/passwd")],
                    compat: true),
                call("_llseek", [3, 0, 100, 0xffd0_2000, 0], ret: 0, compat: true),
                call("mmap2", [0, 4096, 1, 2, 0xffff_ffff, 0], ret: 0xf7f0_0000, compat: true),
                call("stat64", [0xffd0_1000, 0xffd0_2000], ret: -2, payloads: [path(0, "/x")], compat: true),
            ])
            #expect(lines[0].hasSuffix("[cat] [i386] getppid() = 1"))
            #expect(
                lines[1].hasSuffix(
                    "[i386] openat(dfd=AT_FDCWD, filename=\"/etc/passwd\", flags=O_RDONLY|O_LARGEFILE) = 3"))
            #expect(
                lines[2].hasSuffix(
                    "[i386] _llseek(fd=3, offset_high=0, offset_low=100, result=0xffd02000, whence=0) = 0"))
            #expect(
                lines[3].hasSuffix(
                    "[i386] mmap2(addr=NULL, len=4096, prot=PROT_READ, flags=MAP_PRIVATE, fd=-1, pgoff=0) = 0xf7f00000")
            )
            #expect(
                lines[4].hasSuffix(
                    "[i386] stat64(filename=\"/x\", statbuf=0xffd02000) = -1 ENOENT (No such file or directory)"))
        }
    #endif
}
