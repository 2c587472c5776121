import Shared

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Linux errno numbers as a syscall returns them (negated) from the kernel.
///
/// The numbers are the asm-generic ones (include/uapi/asm-generic/errno-base.h
/// and errno.h), shared by x86_64, i386 and arm64. A raw return value can
/// also carry kernel-internal codes (include/linux/errno.h, 512 and up) that
/// user space never sees as errno: ERESTARTSYS and friends appear at
/// sys_exit when a signal interrupts a call that the kernel then restarts.
public enum Errno {
    /// The errno of a failed call, or nil when `ret` is a success.
    /// The kernel returns -1...-4095 (-MAX_ERRNO) for errors; anything else,
    /// even negative (e.g. a large address from mmap), is a result.
    @inline(__always)
    public static func failure(ret: Int64) -> Int? {
        ret < 0 && ret >= -4095 ? Int(-ret) : nil
    }

    /// `ENOENT` for 2; nil when the number has no name.
    public static func name(_ code: Int) -> String? {
        if code > 0 && code < errnoNames.count { return errnoNames[code] }
        if let known = kernelInternal[code] { return known.name }
        return nil
    }

    /// The name, or `E<code>` for numbers without one (JSON needs a string).
    public static func nameOrNumber(_ code: Int) -> String {
        name(code) ?? "E\(code)"
    }

    /// `No such file or directory` for 2: the C library's message
    /// (strerror, C locale) for user-visible codes, strace's wording for the
    /// kernel-internal ones.
    public static func message(_ code: Int) -> String {
        if code > 0 && code < errnoMessages.count { return errnoMessages[code] }
        if let known = kernelInternal[code] { return known.message }
        return "Unknown error \(code)"
    }
}

/// Index = errno; nil where Linux defines no code (41, 58 are unused;
/// EWOULDBLOCK and EDEADLOCK are aliases of EAGAIN and EDEADLK).
private let errnoNames: [String?] = [
    nil, "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO",  // 0
    "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD", "EAGAIN",  // 6
    "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST",  // 12
    "EXDEV", "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE",  // 18
    "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE",  // 24
    "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK",  // 30
    "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP", nil,  // 36
    "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC", "EL3HLT", "EL3RST",  // 42
    "ELNRNG", "EUNATCH", "ENOCSI", "EL2HLT", "EBADE", "EBADR",  // 48
    "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", nil, "EBFONT",  // 54
    "ENOSTR", "ENODATA", "ETIME", "ENOSR", "ENONET", "ENOPKG",  // 60
    "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM", "EPROTO",  // 66
    "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD",  // 72
    "EREMCHG", "ELIBACC", "ELIBBAD", "ELIBSCN", "ELIBMAX", "ELIBEXEC",  // 78
    "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS", "ENOTSOCK", "EDESTADDRREQ",  // 84
    "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT", "EOPNOTSUPP",  // 90
    "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH",  // 96
    "ENETRESET", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN",  // 102
    "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT", "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH",  // 108
    "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN", "ENOTNAM", "ENAVAIL",  // 114
    "EISNAM", "EREMOTEIO", "EDQUOT", "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED",  // 120
    "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED", "EOWNERDEAD", "ENOTRECOVERABLE",  // 126
    "ERFKILL", "EHWPOISON",  // 132
]

private let errnoMessages: [String] = (0..<errnoNames.count).map { code in
    // strerror's answer for a valid code is a static string in glibc, and
    // this table is built once, under Swift's lazy-global lock.
    guard code > 0, let text = strerror(Int32(code)) else { return "Success" }
    return String(cString: text)
}

/// include/linux/errno.h: never returned to user space, but visible in a
/// raw sys_exit return value.
private let kernelInternal: [Int: (name: String, message: String)] = [
    512: ("ERESTARTSYS", "To be restarted if SA_RESTART is set"),
    513: ("ERESTARTNOINTR", "To be restarted"),
    514: ("ERESTARTNOHAND", "To be restarted if no handler"),
    515: ("ENOIOCTLCMD", "No ioctl command"),
    516: ("ERESTART_RESTARTBLOCK", "Interrupted by signal"),
    517: ("EPROBE_DEFER", "Driver requests probe retry"),
    518: ("EOPENSTALE", "Open found a stale dentry"),
    519: ("ENOPARAM", "Parameter not supported"),
    521: ("EBADHANDLE", "Illegal NFS file handle"),
    522: ("ENOTSYNC", "Update synchronization mismatch"),
    523: ("EBADCOOKIE", "Cookie is stale"),
    524: ("ENOTSUPP", "Operation is not supported"),
    525: ("ETOOSMALL", "Buffer or request is too small"),
    526: ("ESERVERFAULT", "An untranslatable error occurred"),
    527: ("EBADTYPE", "Type not supported by server"),
    528: ("EJUKEBOX", "Request initiated, but will not complete before timeout"),
    529: ("EIOCBQUEUED", "iocb queued, will get completion event"),
    530: ("ERECALLCONFLICT", "Conflict with recalled state"),
    531: ("ENOGRACE", "NFS file lock reclaim refused"),
]
