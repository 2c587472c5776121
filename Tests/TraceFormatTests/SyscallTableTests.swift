import Shared
import Testing

@testable import TraceFormat

@Suite struct SyscallTableTests {
    @Test func namesNativeSyscalls() {
        var table = SyscallTable()
        #if arch(x86_64)
            #expect(table.name(nr: 0, compat: false) == "read")
            #expect(table.name(nr: 257, compat: false) == "openat")
            #expect(table.name(nr: 59, compat: false) == "execve")
            // 64 is semget on x86_64 but getppid on i386: the compat flag decides.
            #expect(table.name(nr: 64, compat: false) == "semget")
        #elseif arch(arm64)
            #expect(table.name(nr: 56, compat: false) == "openat")
        #endif
    }

    #if arch(x86_64)
        @Test func namesI386Syscalls() {
            var table = SyscallTable()
            #expect(table.name(nr: 64, compat: true) == "getppid")
            #expect(table.name(nr: 5, compat: true) == "open")
            #expect(table.name(nr: 295, compat: true) == "openat")
            #expect(table.name(nr: 140, compat: true) == "_llseek")
            #expect(table.name(nr: 195, compat: true) == "stat64")
            #expect(SyscallArch.of(compat: true) == .i386)
        }
    #endif

    /// The 32-bit arm table (compat on arm64) resolves on any host.
    @Test func namesArmSyscalls() {
        #expect(SyscallTable.resolve(nr: 322, arch: .arm) == "openat")
        #expect(SyscallTable.number(named: "openat", arch: .arm) == 322)
        #expect(SyscallTable.number(named: "openat", arch: .aarch64) == 56)
        #expect(SyscallTable.number(named: "no_such_call", arch: .x86_64) == nil)
        #expect(SyscallArch.arm.is32Bit && SyscallArch.i386.is32Bit && !SyscallArch.x86_64.is32Bit)
    }

    @Test func unknownNumbers() {
        var table = SyscallTable()
        #expect(table.name(nr: 99999, compat: false) == "syscall_99999")
        #expect(table.name(nr: -1, compat: false) == "syscall_-1")
        #expect(table.name(nr: Int.max, compat: true) == "syscall_\(Int.max)")
        #expect(SyscallTable.resolve(nr: 1 << 40, arch: .x86_64) == nil)
    }

    @Test func cachesConsistently() {
        var table = SyscallTable()
        for _ in 0..<3 {
            #expect(table.name(nr: 1, compat: false) == SyscallTable.resolve(nr: 1, arch: .native))
        }
    }
}

@Suite struct ErrnoTests {
    @Test func namesAndMessages() {
        #expect(Errno.name(1) == "EPERM")
        #expect(Errno.name(2) == "ENOENT")
        #expect(Errno.message(2) == "No such file or directory")
        #expect(Errno.name(11) == "EAGAIN")
        #expect(Errno.name(35) == "EDEADLK")
        #expect(Errno.name(95) == "EOPNOTSUPP")
        #expect(Errno.name(133) == "EHWPOISON")
        #expect(Errno.message(133) == "Memory page has hardware error")
        #expect(Errno.name(134) == nil)
        // 41 and 58 are holes in the Linux numbering.
        #expect(Errno.name(41) == nil)
        #expect(Errno.nameOrNumber(41) == "E41")
    }

    @Test func kernelInternalCodes() {
        #expect(Errno.name(512) == "ERESTARTSYS")
        #expect(Errno.name(516) == "ERESTART_RESTARTBLOCK")
        #expect(Errno.name(524) == "ENOTSUPP")
        #expect(Errno.message(512) == "To be restarted if SA_RESTART is set")
        #expect(Errno.message(4000) == "Unknown error 4000")
        #expect(Errno.name(0) == nil)
        #expect(Errno.name(-5) == nil)
    }

    @Test func failureRange() {
        #expect(Errno.failure(ret: -1) == 1)
        #expect(Errno.failure(ret: -2) == 2)
        #expect(Errno.failure(ret: -4095) == 4095)
        #expect(Errno.failure(ret: -4096) == nil)
        #expect(Errno.failure(ret: 0) == nil)
        #expect(Errno.failure(ret: 3) == nil)
        #expect(Errno.failure(ret: Int64.min) == nil)
    }
}
