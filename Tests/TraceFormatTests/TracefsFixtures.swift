// Real `events/syscalls/sys_enter_*/format` files, copied from
// /sys/kernel/tracing on Linux 6.18 (x86_64), so the parser and the
// formatter are tested on what the kernel actually writes.
import Shared

@testable import TraceFormat

enum TracefsFixtures {
    static let openat = """
        name: sys_enter_openat
        ID: 782
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int dfd;	offset:16;	size:8;	signed:0;
        	field:const char * filename;	offset:24;	size:8;	signed:0;
        	field:int flags;	offset:32;	size:8;	signed:0;
        	field:umode_t mode;	offset:40;	size:8;	signed:0;

        print fmt: "dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->mode))
        """

    static let read = """
        name: sys_enter_read
        ID: 842
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:unsigned int fd;	offset:16;	size:8;	signed:0;
        	field:char * buf;	offset:24;	size:8;	signed:0;
        	field:size_t count;	offset:32;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, buf: 0x%08lx, count: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->buf)), ((unsigned long)(REC->count))
        """

    static let write = """
        name: sys_enter_write
        ID: 840
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:unsigned int fd;	offset:16;	size:8;	signed:0;
        	field:const char * buf;	offset:24;	size:8;	signed:0;
        	field:size_t count;	offset:32;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, buf: 0x%08lx, count: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->buf)), ((unsigned long)(REC->count))
        """

    static let execve = """
        name: sys_enter_execve
        ID: 862
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:const char * filename;	offset:16;	size:8;	signed:0;
        	field:const char *const * argv;	offset:24;	size:8;	signed:0;
        	field:const char *const * envp;	offset:32;	size:8;	signed:0;

        print fmt: "filename: 0x%08lx, argv: 0x%08lx, envp: 0x%08lx", ((unsigned long)(REC->filename)), ((unsigned long)(REC->argv)), ((unsigned long)(REC->envp))
        """

    static let execveat = """
        name: sys_enter_execveat
        ID: 860
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int fd;	offset:16;	size:8;	signed:0;
        	field:const char * filename;	offset:24;	size:8;	signed:0;
        	field:const char *const * argv;	offset:32;	size:8;	signed:0;
        	field:const char *const * envp;	offset:40;	size:8;	signed:0;
        	field:int flags;	offset:48;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, filename: 0x%08lx, argv: 0x%08lx, envp: 0x%08lx, flags: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->argv)), ((unsigned long)(REC->envp)), ((unsigned long)(REC->flags))
        """

    static let renameat2 = """
        name: sys_enter_renameat2
        ID: 872
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int olddfd;	offset:16;	size:8;	signed:0;
        	field:const char * oldname;	offset:24;	size:8;	signed:0;
        	field:int newdfd;	offset:32;	size:8;	signed:0;
        	field:const char * newname;	offset:40;	size:8;	signed:0;
        	field:unsigned int flags;	offset:48;	size:8;	signed:0;

        print fmt: "olddfd: 0x%08lx, oldname: 0x%08lx, newdfd: 0x%08lx, newname: 0x%08lx, flags: 0x%08lx", ((unsigned long)(REC->olddfd)), ((unsigned long)(REC->oldname)), ((unsigned long)(REC->newdfd)), ((unsigned long)(REC->newname)), ((unsigned long)(REC->flags))
        """

    static let mmap = """
        name: sys_enter_mmap
        ID: 174
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:unsigned long addr;	offset:16;	size:8;	signed:0;
        	field:unsigned long len;	offset:24;	size:8;	signed:0;
        	field:unsigned long prot;	offset:32;	size:8;	signed:0;
        	field:unsigned long flags;	offset:40;	size:8;	signed:0;
        	field:unsigned long fd;	offset:48;	size:8;	signed:0;
        	field:unsigned long off;	offset:56;	size:8;	signed:0;

        print fmt: "addr: 0x%08lx, len: 0x%08lx, prot: 0x%08lx, flags: 0x%08lx, fd: 0x%08lx, off: 0x%08lx", ((unsigned long)(REC->addr)), ((unsigned long)(REC->len)), ((unsigned long)(REC->prot)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->fd)), ((unsigned long)(REC->off))
        """

    static let newfstatat = """
        name: sys_enter_newfstatat
        ID: 854
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int dfd;	offset:16;	size:8;	signed:0;
        	field:const char * filename;	offset:24;	size:8;	signed:0;
        	field:struct stat * statbuf;	offset:32;	size:8;	signed:0;
        	field:int flag;	offset:40;	size:8;	signed:0;

        print fmt: "dfd: 0x%08lx, filename: 0x%08lx, statbuf: 0x%08lx, flag: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->statbuf)), ((unsigned long)(REC->flag))
        """

    static let clone = """
        name: sys_enter_clone
        ID: 196
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:unsigned long clone_flags;	offset:16;	size:8;	signed:0;
        	field:unsigned long newsp;	offset:24;	size:8;	signed:0;
        	field:int * parent_tidptr;	offset:32;	size:8;	signed:0;
        	field:int * child_tidptr;	offset:40;	size:8;	signed:0;
        	field:unsigned long tls;	offset:48;	size:8;	signed:0;

        print fmt: "clone_flags: 0x%08lx, newsp: 0x%08lx, parent_tidptr: 0x%08lx, child_tidptr: 0x%08lx, tls: 0x%08lx", ((unsigned long)(REC->clone_flags)), ((unsigned long)(REC->newsp)), ((unsigned long)(REC->parent_tidptr)), ((unsigned long)(REC->child_tidptr)), ((unsigned long)(REC->tls))
        """

    static let getppid = """
        name: sys_enter_getppid
        ID: 305
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;

        print fmt: ""
        """

    static let unlinkat = """
        name: sys_enter_unlinkat
        ID: 884
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int dfd;	offset:16;	size:8;	signed:0;
        	field:const char * pathname;	offset:24;	size:8;	signed:0;
        	field:int flag;	offset:32;	size:8;	signed:0;

        print fmt: "dfd: 0x%08lx, pathname: 0x%08lx, flag: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->pathname)), ((unsigned long)(REC->flag))
        """

    static let close = """
        name: sys_enter_close
        ID: 776
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:unsigned int fd;	offset:16;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx", ((unsigned long)(REC->fd))
        """

    static let mkdir = """
        name: sys_enter_mkdir
        ID: 888
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:const char * pathname;	offset:16;	size:8;	signed:0;
        	field:umode_t mode;	offset:24;	size:8;	signed:0;

        print fmt: "pathname: 0x%08lx, mode: 0x%08lx", ((unsigned long)(REC->pathname)), ((unsigned long)(REC->mode))
        """

    /// A catalog with all fixtures, as if read from tracefs.
    static var catalog: TracefsCatalog {
        var formats: [String: TracefsFormat] = [:]
        for (name, text) in all + more {
            formats[name] = TracefsFormat.parse(text)
        }
        return TracefsCatalog(formats: formats)
    }

    static let all: [(String, String)] = [
        ("openat", openat),
        ("read", read),
        ("write", write),
        ("execve", execve),
        ("execveat", execveat),
        ("renameat2", renameat2),
        ("mmap", mmap),
        ("newfstatat", newfstatat),
        ("clone", clone),
        ("getppid", getppid),
        ("unlinkat", unlinkat),
        ("close", close),
        ("mkdir", mkdir),
    ]
}
