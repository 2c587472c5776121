// More real `sys_enter_*/format` files from /sys/kernel/tracing on Linux
// 6.18 (x86_64): sockets, vectors, signals, descriptors.
@testable import TraceFormat

extension TracefsFixtures {
    static let socketCall = """
        name: sys_enter_socket
        ID: 2242
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int family;	offset:16;	size:8;	signed:0;
        	field:int type;	offset:24;	size:8;	signed:0;
        	field:int protocol;	offset:32;	size:8;	signed:0;

        print fmt: "family: 0x%08lx, type: 0x%08lx, protocol: 0x%08lx", ((unsigned long)(REC->family)), ((unsigned long)(REC->type)), ((unsigned long)(REC->protocol))
        """

    static let socketpair = """
        name: sys_enter_socketpair
        ID: 2240
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int family;	offset:16;	size:8;	signed:0;
        	field:int type;	offset:24;	size:8;	signed:0;
        	field:int protocol;	offset:32;	size:8;	signed:0;
        	field:int * usockvec;	offset:40;	size:8;	signed:0;

        print fmt: "family: 0x%08lx, type: 0x%08lx, protocol: 0x%08lx, usockvec: 0x%08lx", ((unsigned long)(REC->family)), ((unsigned long)(REC->type)), ((unsigned long)(REC->protocol)), ((unsigned long)(REC->usockvec))
        """

    static let connect = """
        name: sys_enter_connect
        ID: 2230
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int fd;	offset:16;	size:8;	signed:0;
        	field:struct sockaddr * uservaddr;	offset:24;	size:8;	signed:0;
        	field:int addrlen;	offset:32;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, uservaddr: 0x%08lx, addrlen: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->uservaddr)), ((unsigned long)(REC->addrlen))
        """

    static let bind = """
        name: sys_enter_bind
        ID: 2238
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int fd;	offset:16;	size:8;	signed:0;
        	field:struct sockaddr * umyaddr;	offset:24;	size:8;	signed:0;
        	field:int addrlen;	offset:32;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, umyaddr: 0x%08lx, addrlen: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->umyaddr)), ((unsigned long)(REC->addrlen))
        """

    static let accept = """
        name: sys_enter_accept
        ID: 2232
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int fd;	offset:16;	size:8;	signed:0;
        	field:struct sockaddr * upeer_sockaddr;	offset:24;	size:8;	signed:0;
        	field:int * upeer_addrlen;	offset:32;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, upeer_sockaddr: 0x%08lx, upeer_addrlen: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->upeer_sockaddr)), ((unsigned long)(REC->upeer_addrlen))
        """

    static let accept4 = """
        name: sys_enter_accept4
        ID: 2234
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int fd;	offset:16;	size:8;	signed:0;
        	field:struct sockaddr * upeer_sockaddr;	offset:24;	size:8;	signed:0;
        	field:int * upeer_addrlen;	offset:32;	size:8;	signed:0;
        	field:int flags;	offset:40;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, upeer_sockaddr: 0x%08lx, upeer_addrlen: 0x%08lx, flags: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->upeer_sockaddr)), ((unsigned long)(REC->upeer_addrlen)), ((unsigned long)(REC->flags))
        """

    static let getsockname = """
        name: sys_enter_getsockname
        ID: 2228
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int fd;	offset:16;	size:8;	signed:0;
        	field:struct sockaddr * usockaddr;	offset:24;	size:8;	signed:0;
        	field:int * usockaddr_len;	offset:32;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, usockaddr: 0x%08lx, usockaddr_len: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->usockaddr)), ((unsigned long)(REC->usockaddr_len))
        """

    static let recvfrom = """
        name: sys_enter_recvfrom
        ID: 2222
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int fd;	offset:16;	size:8;	signed:0;
        	field:void * ubuf;	offset:24;	size:8;	signed:0;
        	field:size_t size;	offset:32;	size:8;	signed:0;
        	field:unsigned int flags;	offset:40;	size:8;	signed:0;
        	field:struct sockaddr * addr;	offset:48;	size:8;	signed:0;
        	field:int * addr_len;	offset:56;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, ubuf: 0x%08lx, size: 0x%08lx, flags: 0x%08lx, addr: 0x%08lx, addr_len: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->ubuf)), ((unsigned long)(REC->size)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->addr)), ((unsigned long)(REC->addr_len))
        """

    static let sendto = """
        name: sys_enter_sendto
        ID: 2224
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int fd;	offset:16;	size:8;	signed:0;
        	field:void * buff;	offset:24;	size:8;	signed:0;
        	field:size_t len;	offset:32;	size:8;	signed:0;
        	field:unsigned int flags;	offset:40;	size:8;	signed:0;
        	field:struct sockaddr * addr;	offset:48;	size:8;	signed:0;
        	field:int addr_len;	offset:56;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, buff: 0x%08lx, len: 0x%08lx, flags: 0x%08lx, addr: 0x%08lx, addr_len: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->buff)), ((unsigned long)(REC->len)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->addr)), ((unsigned long)(REC->addr_len))
        """

    static let writev = """
        name: sys_enter_writev
        ID: 832
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:unsigned long fd;	offset:16;	size:8;	signed:0;
        	field:const struct iovec * vec;	offset:24;	size:8;	signed:0;
        	field:unsigned long vlen;	offset:32;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, vec: 0x%08lx, vlen: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->vec)), ((unsigned long)(REC->vlen))
        """

    static let readv = """
        name: sys_enter_readv
        ID: 834
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:unsigned long fd;	offset:16;	size:8;	signed:0;
        	field:const struct iovec * vec;	offset:24;	size:8;	signed:0;
        	field:unsigned long vlen;	offset:32;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, vec: 0x%08lx, vlen: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->vec)), ((unsigned long)(REC->vlen))
        """

    static let sendmsg = """
        name: sys_enter_sendmsg
        ID: 2214
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int fd;	offset:16;	size:8;	signed:0;
        	field:struct user_msghdr * msg;	offset:24;	size:8;	signed:0;
        	field:unsigned int flags;	offset:32;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, msg: 0x%08lx, flags: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->msg)), ((unsigned long)(REC->flags))
        """

    static let recvmsg = """
        name: sys_enter_recvmsg
        ID: 2210
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int fd;	offset:16;	size:8;	signed:0;
        	field:struct user_msghdr * msg;	offset:24;	size:8;	signed:0;
        	field:unsigned int flags;	offset:32;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, msg: 0x%08lx, flags: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->msg)), ((unsigned long)(REC->flags))
        """

    static let setsockopt = """
        name: sys_enter_setsockopt
        ID: 2220
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int fd;	offset:16;	size:8;	signed:0;
        	field:int level;	offset:24;	size:8;	signed:0;
        	field:int optname;	offset:32;	size:8;	signed:0;
        	field:char * optval;	offset:40;	size:8;	signed:0;
        	field:int optlen;	offset:48;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, level: 0x%08lx, optname: 0x%08lx, optval: 0x%08lx, optlen: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->level)), ((unsigned long)(REC->optname)), ((unsigned long)(REC->optval)), ((unsigned long)(REC->optlen))
        """

    static let getsockopt = """
        name: sys_enter_getsockopt
        ID: 2218
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int fd;	offset:16;	size:8;	signed:0;
        	field:int level;	offset:24;	size:8;	signed:0;
        	field:int optname;	offset:32;	size:8;	signed:0;
        	field:char * optval;	offset:40;	size:8;	signed:0;
        	field:int * optlen;	offset:48;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, level: 0x%08lx, optname: 0x%08lx, optval: 0x%08lx, optlen: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->level)), ((unsigned long)(REC->optname)), ((unsigned long)(REC->optval)), ((unsigned long)(REC->optlen))
        """

    static let killCall = """
        name: sys_enter_kill
        ID: 251
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:pid_t pid;	offset:16;	size:8;	signed:0;
        	field:int sig;	offset:24;	size:8;	signed:0;

        print fmt: "pid: 0x%08lx, sig: 0x%08lx", ((unsigned long)(REC->pid)), ((unsigned long)(REC->sig))
        """

    static let tgkill = """
        name: sys_enter_tgkill
        ID: 247
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:pid_t tgid;	offset:16;	size:8;	signed:0;
        	field:pid_t pid;	offset:24;	size:8;	signed:0;
        	field:int sig;	offset:32;	size:8;	signed:0;

        print fmt: "tgid: 0x%08lx, pid: 0x%08lx, sig: 0x%08lx", ((unsigned long)(REC->tgid)), ((unsigned long)(REC->pid)), ((unsigned long)(REC->sig))
        """

    static let rtSigprocmask = """
        name: sys_enter_rt_sigprocmask
        ID: 257
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int how;	offset:16;	size:8;	signed:0;
        	field:sigset_t * nset;	offset:24;	size:8;	signed:0;
        	field:sigset_t * oset;	offset:32;	size:8;	signed:0;
        	field:size_t sigsetsize;	offset:40;	size:8;	signed:0;

        print fmt: "how: 0x%08lx, nset: 0x%08lx, oset: 0x%08lx, sigsetsize: 0x%08lx", ((unsigned long)(REC->how)), ((unsigned long)(REC->nset)), ((unsigned long)(REC->oset)), ((unsigned long)(REC->sigsetsize))
        """

    static let rtSigaction = """
        name: sys_enter_rt_sigaction
        ID: 237
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int sig;	offset:16;	size:8;	signed:0;
        	field:const struct sigaction * act;	offset:24;	size:8;	signed:0;
        	field:struct sigaction * oact;	offset:32;	size:8;	signed:0;
        	field:size_t sigsetsize;	offset:40;	size:8;	signed:0;

        print fmt: "sig: 0x%08lx, act: 0x%08lx, oact: 0x%08lx, sigsetsize: 0x%08lx", ((unsigned long)(REC->sig)), ((unsigned long)(REC->act)), ((unsigned long)(REC->oact)), ((unsigned long)(REC->sigsetsize))
        """

    static let fcntl = """
        name: sys_enter_fcntl
        ID: 896
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:unsigned int fd;	offset:16;	size:8;	signed:0;
        	field:unsigned int cmd;	offset:24;	size:8;	signed:0;
        	field:unsigned long arg;	offset:32;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, cmd: 0x%08lx, arg: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->cmd)), ((unsigned long)(REC->arg))
        """

    static let ioctl = """
        name: sys_enter_ioctl
        ID: 898
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:unsigned int fd;	offset:16;	size:8;	signed:0;
        	field:unsigned int cmd;	offset:24;	size:8;	signed:0;
        	field:unsigned long arg;	offset:32;	size:8;	signed:0;

        print fmt: "fd: 0x%08lx, cmd: 0x%08lx, arg: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->cmd)), ((unsigned long)(REC->arg))
        """

    static let mprotect = """
        name: sys_enter_mprotect
        ID: 705
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:unsigned long start;	offset:16;	size:8;	signed:0;
        	field:size_t len;	offset:24;	size:8;	signed:0;
        	field:unsigned long prot;	offset:32;	size:8;	signed:0;

        print fmt: "start: 0x%08lx, len: 0x%08lx, prot: 0x%08lx", ((unsigned long)(REC->start)), ((unsigned long)(REC->len)), ((unsigned long)(REC->prot))
        """

    static let wait4 = """
        name: sys_enter_wait4
        ID: 212
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:pid_t upid;	offset:16;	size:8;	signed:0;
        	field:int * stat_addr;	offset:24;	size:8;	signed:0;
        	field:int options;	offset:32;	size:8;	signed:0;
        	field:struct rusage * ru;	offset:40;	size:8;	signed:0;

        print fmt: "upid: 0x%08lx, stat_addr: 0x%08lx, options: 0x%08lx, ru: 0x%08lx", ((unsigned long)(REC->upid)), ((unsigned long)(REC->stat_addr)), ((unsigned long)(REC->options)), ((unsigned long)(REC->ru))
        """

    static let fchownat = """
        name: sys_enter_fchownat
        ID: 792
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int dfd;	offset:16;	size:8;	signed:0;
        	field:const char * filename;	offset:24;	size:8;	signed:0;
        	field:uid_t user;	offset:32;	size:8;	signed:0;
        	field:gid_t group;	offset:40;	size:8;	signed:0;
        	field:int flag;	offset:48;	size:8;	signed:0;

        print fmt: "dfd: 0x%08lx, filename: 0x%08lx, user: 0x%08lx, group: 0x%08lx, flag: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->user)), ((unsigned long)(REC->group)), ((unsigned long)(REC->flag))
        """

    static let linkat = """
        name: sys_enter_linkat
        ID: 876
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
        	field:int flags;	offset:48;	size:8;	signed:0;

        print fmt: "olddfd: 0x%08lx, oldname: 0x%08lx, newdfd: 0x%08lx, newname: 0x%08lx, flags: 0x%08lx", ((unsigned long)(REC->olddfd)), ((unsigned long)(REC->oldname)), ((unsigned long)(REC->newdfd)), ((unsigned long)(REC->newname)), ((unsigned long)(REC->flags))
        """

    static let statx = """
        name: sys_enter_statx
        ID: 846
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int dfd;	offset:16;	size:8;	signed:0;
        	field:const char * filename;	offset:24;	size:8;	signed:0;
        	field:unsigned flags;	offset:32;	size:8;	signed:0;
        	field:unsigned int mask;	offset:40;	size:8;	signed:0;
        	field:struct statx * buffer;	offset:48;	size:8;	signed:0;

        print fmt: "dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mask: 0x%08lx, buffer: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->mask)), ((unsigned long)(REC->buffer))
        """

    static let faccessat2 = """
        name: sys_enter_faccessat2
        ID: 810
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int dfd;	offset:16;	size:8;	signed:0;
        	field:const char * filename;	offset:24;	size:8;	signed:0;
        	field:int mode;	offset:32;	size:8;	signed:0;
        	field:int flags;	offset:40;	size:8;	signed:0;

        print fmt: "dfd: 0x%08lx, filename: 0x%08lx, mode: 0x%08lx, flags: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->mode)), ((unsigned long)(REC->flags))
        """

    static let utimensat = """
        name: sys_enter_utimensat
        ID: 1033
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int dfd;	offset:16;	size:8;	signed:0;
        	field:const char * filename;	offset:24;	size:8;	signed:0;
        	field:struct __kernel_timespec * utimes;	offset:32;	size:8;	signed:0;
        	field:int flags;	offset:40;	size:8;	signed:0;

        print fmt: "dfd: 0x%08lx, filename: 0x%08lx, utimes: 0x%08lx, flags: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->utimes)), ((unsigned long)(REC->flags))
        """

    static let dupCall = """
        name: sys_enter_dup
        ID: 916
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:unsigned int fildes;	offset:16;	size:8;	signed:0;

        print fmt: "fildes: 0x%08lx", ((unsigned long)(REC->fildes))
        """

    static let dup2 = """
        name: sys_enter_dup2
        ID: 918
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:unsigned int oldfd;	offset:16;	size:8;	signed:0;
        	field:unsigned int newfd;	offset:24;	size:8;	signed:0;

        print fmt: "oldfd: 0x%08lx, newfd: 0x%08lx", ((unsigned long)(REC->oldfd)), ((unsigned long)(REC->newfd))
        """

    static let dup3 = """
        name: sys_enter_dup3
        ID: 920
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:unsigned int oldfd;	offset:16;	size:8;	signed:0;
        	field:unsigned int newfd;	offset:24;	size:8;	signed:0;
        	field:int flags;	offset:32;	size:8;	signed:0;

        print fmt: "oldfd: 0x%08lx, newfd: 0x%08lx, flags: 0x%08lx", ((unsigned long)(REC->oldfd)), ((unsigned long)(REC->newfd)), ((unsigned long)(REC->flags))
        """

    static let openCall = """
        name: sys_enter_open
        ID: 784
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:const char * filename;	offset:16;	size:8;	signed:0;
        	field:int flags;	offset:24;	size:8;	signed:0;
        	field:umode_t mode;	offset:32;	size:8;	signed:0;

        print fmt: "filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx", ((unsigned long)(REC->filename)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->mode))
        """

    static let creat = """
        name: sys_enter_creat
        ID: 778
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

    static let futex = """
        name: sys_enter_futex
        ID: 522
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:u32 * uaddr;	offset:16;	size:8;	signed:0;
        	field:int op;	offset:24;	size:8;	signed:0;
        	field:u32 val;	offset:32;	size:8;	signed:0;
        	field:const struct __kernel_timespec * utime;	offset:40;	size:8;	signed:0;
        	field:u32 * uaddr2;	offset:48;	size:8;	signed:0;
        	field:u32 val3;	offset:56;	size:8;	signed:0;

        print fmt: "uaddr: 0x%08lx, op: 0x%08lx, val: 0x%08lx, utime: 0x%08lx, uaddr2: 0x%08lx, val3: 0x%08lx", ((unsigned long)(REC->uaddr)), ((unsigned long)(REC->op)), ((unsigned long)(REC->val)), ((unsigned long)(REC->utime)), ((unsigned long)(REC->uaddr2)), ((unsigned long)(REC->val3))
        """

    static let pipe2 = """
        name: sys_enter_pipe2
        ID: 866
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int * fildes;	offset:16;	size:8;	signed:0;
        	field:int flags;	offset:24;	size:8;	signed:0;

        print fmt: "fildes: 0x%08lx, flags: 0x%08lx", ((unsigned long)(REC->fildes)), ((unsigned long)(REC->flags))
        """

    static let exitGroup = """
        name: sys_enter_exit_group
        ID: 216
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
        	field:int error_code;	offset:16;	size:8;	signed:0;

        print fmt: "error_code: 0x%08lx", ((unsigned long)(REC->error_code))
        """

    static let more: [(String, String)] = [
        ("socket", socketCall),
        ("socketpair", socketpair),
        ("connect", connect),
        ("bind", bind),
        ("accept", accept),
        ("accept4", accept4),
        ("getsockname", getsockname),
        ("recvfrom", recvfrom),
        ("sendto", sendto),
        ("writev", writev),
        ("readv", readv),
        ("sendmsg", sendmsg),
        ("recvmsg", recvmsg),
        ("setsockopt", setsockopt),
        ("getsockopt", getsockopt),
        ("kill", killCall),
        ("tgkill", tgkill),
        ("rt_sigprocmask", rtSigprocmask),
        ("rt_sigaction", rtSigaction),
        ("fcntl", fcntl),
        ("ioctl", ioctl),
        ("mprotect", mprotect),
        ("wait4", wait4),
        ("fchownat", fchownat),
        ("linkat", linkat),
        ("statx", statx),
        ("faccessat2", faccessat2),
        ("utimensat", utimensat),
        ("dup", dupCall),
        ("dup2", dup2),
        ("dup3", dup3),
        ("open", openCall),
        ("creat", creat),
        ("futex", futex),
        ("pipe2", pipe2),
        ("exit_group", exitGroup),
    ]
}
