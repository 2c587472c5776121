import Shared

/// Where a syscall's argument list comes from when libseccomp's name is not
/// the name of a tracefs event, or when the tracefs event (which always
/// describes the native syscall) does not match the compat one.
enum SyscallAliases {
    /// libseccomp name → tracefs event name on x86_64 and arm64: the kernel
    /// defines these with SYSCALL_DEFINE(newstat, ...) etc., so the event is
    /// `sys_enter_newstat` while the syscall table calls it `stat`.
    static let native: [String: String] = [
        "stat": "newstat", "fstat": "newfstat", "lstat": "newlstat", "uname": "newuname",
        "sendfile": "sendfile64", "umount2": "umount",
    ]

    /// i386 name → the native tracefs event whose arguments mean the same
    /// (the i386 entry points are compat_sys_* or ia32 wrappers with the
    /// same parameter list; only the register width differs, which the
    /// decoder handles by reading every i386 argument as 32 bits).
    static let i386: [String: String] = [
        "stat": "newstat", "fstat": "newfstat", "lstat": "newlstat", "uname": "newuname",
        "sendfile": "sendfile64", "umount2": "umount", "_newselect": "select",
        "ugetrlimit": "getrlimit", "fcntl64": "fcntl",
        // The 32-bit uid/gid calls of i386 (the plain names take 16-bit ids).
        "lchown32": "lchown", "fchown32": "fchown", "chown32": "chown",
        "getuid32": "getuid", "getgid32": "getgid", "geteuid32": "geteuid", "getegid32": "getegid",
        "setreuid32": "setreuid", "setregid32": "setregid", "getgroups32": "getgroups",
        "setgroups32": "setgroups", "setresuid32": "setresuid", "getresuid32": "getresuid",
        "setresgid32": "setresgid", "getresgid32": "getresgid", "setuid32": "setuid",
        "setgid32": "setgid", "setfsuid32": "setfsuid", "setfsgid32": "setfsgid",
        // y2038 variants with a 64-bit time_t: same parameters as the native call.
        "clock_gettime64": "clock_gettime", "clock_settime64": "clock_settime",
        "clock_adjtime64": "clock_adjtime", "clock_getres_time64": "clock_getres",
        "clock_nanosleep_time64": "clock_nanosleep", "timer_gettime64": "timer_gettime",
        "timer_settime64": "timer_settime", "timerfd_gettime64": "timerfd_gettime",
        "timerfd_settime64": "timerfd_settime", "utimensat_time64": "utimensat",
        "pselect6_time64": "pselect6", "ppoll_time64": "ppoll",
        "io_pgetevents_time64": "io_pgetevents", "recvmmsg_time64": "recvmmsg",
        "mq_timedsend_time64": "mq_timedsend", "mq_timedreceive_time64": "mq_timedreceive",
        "semtimedop_time64": "semtimedop", "rt_sigtimedwait_time64": "rt_sigtimedwait",
        "futex_time64": "futex", "sched_rr_get_interval_time64": "sched_rr_get_interval",
    ]

    /// i386 syscalls whose parameters differ from the native event of the
    /// same name, or that have no native event at all. From
    /// arch/x86/kernel/sys_ia32.c, kernel/compat.c and the i386 syscall
    /// table; a 64-bit value is split into two 32-bit registers there.
    static let i386Signatures: [String: [TracefsField]] = [
        // old_mmap and old_select take one pointer to a struct of the arguments.
        "mmap": fields("struct mmap_arg_struct32 * arg"),
        "select": fields("struct sel_arg_struct * arg"),
        // CONFIG_CLONE_BACKWARDS: tls comes before child_tidptr on i386.
        "clone": fields(
            "unsigned long clone_flags", "unsigned long newsp", "int * parent_tidptr",
            "unsigned long tls", "int * child_tidptr"),
        "mmap2": fields(
            "unsigned long addr", "unsigned long len", "unsigned long prot", "unsigned long flags",
            "int fd", "unsigned long pgoff"),
        "_llseek": fields(
            "unsigned int fd", "unsigned long offset_high", "unsigned long offset_low",
            "loff_t * result", "unsigned int whence"),
        "socketcall": fields("int call", "u32 * args"),
        "ipc": fields("u32 call", "int first", "int second", "u32 third", "void * ptr", "u32 fifth"),
        "waitpid": fields("pid_t pid", "int * stat_addr", "int options"),
        "sigaction": fields("int sig", "const struct old_sigaction * act", "struct old_sigaction * oact"),
        "sigprocmask": fields("int how", "old_sigset_t * nset", "old_sigset_t * oset"),
        "sigsuspend": fields("old_sigset_t mask"),
        "sigpending": fields("old_sigset_t * uset"),
        "sigreturn": [],
        "signal": fields("int sig", "void * handler"),
        "stat64": fields("const char * filename", "struct stat64 * statbuf"),
        "lstat64": fields("const char * filename", "struct stat64 * statbuf"),
        "fstat64": fields("unsigned int fd", "struct stat64 * statbuf"),
        "fstatat64": fields("int dfd", "const char * filename", "struct stat64 * statbuf", "int flag"),
        "statfs64": fields("const char * pathname", "size_t sz", "struct statfs64 * buf"),
        "fstatfs64": fields("unsigned int fd", "size_t sz", "struct statfs64 * buf"),
        "truncate64": fields("const char * filename", "u32 offset_low", "u32 offset_high"),
        "ftruncate64": fields("unsigned int fd", "u32 offset_low", "u32 offset_high"),
        "pread64": fields("unsigned int fd", "char * buf", "u32 count", "u32 pos_low", "u32 pos_high"),
        "pwrite64": fields(
            "unsigned int fd", "const char * buf", "u32 count", "u32 pos_low", "u32 pos_high"),
        "readahead": fields("int fd", "u32 offset_low", "u32 offset_high", "size_t count"),
        "fadvise64": fields("int fd", "u32 offset_low", "u32 offset_high", "size_t len", "int advice"),
        "fadvise64_64": fields(
            "int fd", "u32 offset_low", "u32 offset_high", "u32 len_low", "u32 len_high", "int advice"),
        "fallocate": fields(
            "int fd", "int mode", "u32 offset_low", "u32 offset_high", "u32 len_low", "u32 len_high"),
        "sync_file_range": fields(
            "int fd", "u32 offset_low", "u32 offset_high", "u32 nbytes_low", "u32 nbytes_high",
            "unsigned int flags"),
        "set_thread_area": fields("struct user_desc * u_info"),
        "get_thread_area": fields("struct user_desc * u_info"),
        "readdir": fields("unsigned int fd", "struct old_linux_dirent * dirent", "unsigned int count"),
        "nice": fields("int increment"),
        "olduname": fields("struct oldold_utsname * name"),
    ]

    private static func fields(_ declarations: String...) -> [TracefsField] {
        declarations.compactMap { TracefsFormat.splitDeclaration(Substring($0)) }
    }
}
