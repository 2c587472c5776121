/// Inputs captured from real runtimes on this machine (podman 4.3.1 with
/// runc 1.1.5, `--hooks-dir` with a hook that saved its stdin, the bundle's
/// config.json and containers.json), and real-shaped CRI-O and containerd
/// CRI configs (annotation keys as CRI-O and containerd's CRI plugin set
/// them). Kept as literals: SwiftPM resources would need Package.swift.
enum Fixtures {
    static let podmanID = "979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2"

    /// podman `createRuntime`/`prestart` state.
    static let podmanPrestartState = #"""
        {"ociVersion":"1.0.2-dev","id":"979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2","status":"creating","pid":4585,"bundle":"/var/lib/containers/storage/overlay-containers/979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2/userdata","annotations":{"io.container.manager":"libpod","io.kubernetes.cri-o.Created":"2026-11-27T16:21:30.061646935Z","io.kubernetes.cri-o.TTY":"false","io.podman.annotations.autoremove":"TRUE","io.podman.annotations.init":"FALSE","io.podman.annotations.privileged":"FALSE","io.podman.annotations.publish-all":"FALSE","io.tailtrace.trace":"true","org.opencontainers.image.stopSignal":"15"}}
        """#

    /// podman `poststop` state: no pid, and no io.container.manager either.
    static let podmanPoststopState = #"""
        {"ociVersion":"1.0.2-dev","id":"979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2","status":"stopped","bundle":"/var/lib/containers/storage/overlay-containers/979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2/userdata","annotations":{"io.kubernetes.cri-o.TTY":"false","io.podman.annotations.autoremove":"TRUE","io.podman.annotations.init":"FALSE","io.podman.annotations.privileged":"FALSE","io.podman.annotations.publish-all":"FALSE","io.tailtrace.trace":"true"}}
        """#

    /// `overlay-containers/containers.json` while that container existed.
    static let podmanContainersJSON = #"""
        [{"id":"979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2","names":["tt-capture"],"image":"","layer":"d16590d23ada092a43a2303cc77b0fa16664164ea1d49db7f955aed6161c9850","metadata":"{\"image-name\":\"\",\"image-id\":\"\",\"name\":\"tt-capture\",\"created-at\":1795796490}","created":"2026-11-27T16:21:30.067268846Z","flags":{"MountLabel":"","ProcessLabel":"","Volatile":true}}]
        """#

    /// The bundle's config.json for that container, unedited.
    static let podmanConfig = #"""
        {"ociVersion":"1.0.2-dev","process":{"user":{"uid":0,"gid":0,"umask":18},"args":["/bin/true"],"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","TERM=xterm","HOSTNAME=979c5931c781"],"cwd":"/","capabilities":{"bounding":["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_NET_BIND_SERVICE","CAP_SETFCAP","CAP_SETGID","CAP_SETPCAP","CAP_SETUID","CAP_SYS_CHROOT"],"effective":["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_NET_BIND_SERVICE","CAP_SETFCAP","CAP_SETGID","CAP_SETPCAP","CAP_SETUID","CAP_SYS_CHROOT"],"permitted":["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_NET_BIND_SERVICE","CAP_SETFCAP","CAP_SETGID","CAP_SETPCAP","CAP_SETUID","CAP_SYS_CHROOT"]},"rlimits":[{"type":"RLIMIT_NOFILE","hard":20000,"soft":20000},{"type":"RLIMIT_NPROC","hard":1000,"soft":1000}]},"root":{"path":"/tmp/ocicap.vy5r/rootfs"},"hostname":"979c5931c781","mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["nosuid","noexec","nodev"]},{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","noexec","strictatime","mode=755","size=65536k"]},{"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]},{"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620","gid=5"]},{"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]},{"destination":"/dev/shm","type":"bind","source":"/var/lib/containers/storage/overlay-containers/979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2/userdata/shm","options":["bind","rprivate","nosuid","noexec","nodev"]},{"destination":"/run/.containerenv","type":"bind","source":"/run/containers/storage/overlay-containers/979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2/userdata/.containerenv","options":["bind","rprivate"]},{"destination":"/etc/hostname","type":"bind","source":"/run/containers/storage/overlay-containers/979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2/userdata/hostname","options":["bind","rprivate"]},{"destination":"/etc/resolv.conf","type":"bind","source":"/run/containers/storage/overlay-containers/979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2/userdata/resolv.conf","options":["bind","rprivate"]},{"destination":"/etc/hosts","type":"bind","source":"/run/containers/storage/overlay-containers/979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2/userdata/hosts","options":["bind","rprivate"]},{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["rprivate","nosuid","noexec","nodev","relatime","ro"]}],"hooks":{"prestart":[{"path":"/tmp/ocicap.vy5r/cap.sh","args":["cap.sh","prestart"]}],"createRuntime":[{"path":"/tmp/ocicap.vy5r/cap.sh","args":["cap.sh","createRuntime"]}]},"annotations":{"io.container.manager":"libpod","io.kubernetes.cri-o.Created":"2026-11-27T16:21:30.061646935Z","io.kubernetes.cri-o.TTY":"false","io.podman.annotations.autoremove":"TRUE","io.podman.annotations.init":"FALSE","io.podman.annotations.privileged":"FALSE","io.podman.annotations.publish-all":"FALSE","io.tailtrace.trace":"true","org.opencontainers.image.stopSignal":"15"},"linux":{"sysctl":{"net.ipv4.ping_group_range":"0 0"},"resources":{"devices":[{"allow":false,"access":"rwm"}],"pids":{"limit":2048}},"cgroupsPath":"/libpod_parent/libpod-979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2","namespaces":[{"type":"pid"},{"type":"network","path":"/run/netns/netns-21d7624e-04fa-1ba5-11dd-2dadb32816cd"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}],"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],"syscalls":[{"names":["bdflush","io_pgetevents","kexec_file_load","kexec_load","migrate_pages","move_pages","nfsservctl","nice","oldfstat","oldlstat","oldolduname","oldstat","olduname","pciconfig_iobase","pciconfig_read","pciconfig_write","sgetmask","ssetmask","swapcontext","swapoff","swapon","sysfs","uselib","userfaultfd","ustat","vm86","vm86old","vmsplice"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["_llseek","_newselect","accept","accept4","access","adjtimex","alarm","bind","brk","capget","capset","chdir","chmod","chown","chown32","clock_adjtime","clock_adjtime64","clock_getres","clock_getres_time64","clock_gettime","clock_gettime64","clock_nanosleep","clock_nanosleep_time64","clone","clone3","close","close_range","connect","copy_file_range","creat","dup","dup2","dup3","epoll_create","epoll_create1","epoll_ctl","epoll_ctl_old","epoll_pwait","epoll_pwait2","epoll_wait","epoll_wait_old","eventfd","eventfd2","execve","execveat","exit","exit_group","faccessat","faccessat2","fadvise64","fadvise64_64","fallocate","fanotify_mark","fchdir","fchmod","fchmodat","fchown","fchown32","fchownat","fcntl","fcntl64","fdatasync","fgetxattr","flistxattr","flock","fork","fremovexattr","fsconfig","fsetxattr","fsmount","fsopen","fspick","fstat","fstat64","fstatat64","fstatfs","fstatfs64","fsync","ftruncate","ftruncate64","futex","futex_time64","futimesat","get_mempolicy","get_robust_list","get_thread_area","getcpu","getcwd","getdents","getdents64","getegid","getegid32","geteuid","geteuid32","getgid","getgid32","getgroups","getgroups32","getitimer","getpeername","getpgid","getpgrp","getpid","getppid","getpriority","getrandom","getresgid","getresgid32","getresuid","getresuid32","getrlimit","getrusage","getsid","getsockname","getsockopt","gettid","gettimeofday","getuid","getuid32","getxattr","inotify_add_watch","inotify_init","inotify_init1","inotify_rm_watch","io_cancel","io_destroy","io_getevents","io_setup","io_submit","ioctl","ioprio_get","ioprio_set","ipc","keyctl","kill","landlock_add_rule","landlock_create_ruleset","landlock_restrict_self","lchown","lchown32","lgetxattr","link","linkat","listen","listxattr","llistxattr","lremovexattr","lseek","lsetxattr","lstat","lstat64","madvise","mbind","membarrier","memfd_create","memfd_secret","mincore","mkdir","mkdirat","mknod","mknodat","mlock","mlock2","mlockall","mmap","mmap2","mount","mount_setattr","move_mount","mprotect","mq_getsetattr","mq_notify","mq_open","mq_timedreceive","mq_timedreceive_time64","mq_timedsend","mq_timedsend_time64","mq_unlink","mremap","msgctl","msgget","msgrcv","msgsnd","msync","munlock","munlockall","munmap","name_to_handle_at","nanosleep","newfstatat","open","open_tree","openat","openat2","pause","pidfd_getfd","pidfd_open","pidfd_send_signal","pipe","pipe2","pivot_root","pkey_alloc","pkey_free","pkey_mprotect","poll","ppoll","ppoll_time64","prctl","pread64","preadv","preadv2","prlimit64","process_mrelease","process_vm_readv","process_vm_writev","pselect6","pselect6_time64","ptrace","pwrite64","pwritev","pwritev2","read","readahead","readdir","readlink","readlinkat","readv","reboot","recv","recvfrom","recvmmsg","recvmmsg_time64","recvmsg","remap_file_pages","removexattr","rename","renameat","renameat2","restart_syscall","rmdir","rseq","rt_sigaction","rt_sigpending","rt_sigprocmask","rt_sigqueueinfo","rt_sigreturn","rt_sigsuspend","rt_sigtimedwait","rt_sigtimedwait_time64","rt_tgsigqueueinfo","sched_get_priority_max","sched_get_priority_min","sched_getaffinity","sched_getattr","sched_getparam","sched_getscheduler","sched_rr_get_interval","sched_rr_get_interval_time64","sched_setaffinity","sched_setattr","sched_setparam","sched_setscheduler","sched_yield","seccomp","select","semctl","semget","semop","semtimedop","semtimedop_time64","send","sendfile","sendfile64","sendmmsg","sendmsg","sendto","set_mempolicy","set_robust_list","set_thread_area","set_tid_address","setfsgid","setfsgid32","setfsuid","setfsuid32","setgid","setgid32","setgroups","setgroups32","setitimer","setns","setpgid","setpriority","setregid","setregid32","setresgid","setresgid32","setresuid","setresuid32","setreuid","setreuid32","setrlimit","setsid","setsockopt","setuid","setuid32","setxattr","shmat","shmctl","shmdt","shmget","shutdown","sigaction","sigaltstack","signal","signalfd","signalfd4","sigpending","sigprocmask","sigreturn","sigsuspend","socketcall","socketpair","splice","stat","stat64","statfs","statfs64","statx","symlink","symlinkat","sync","sync_file_range","syncfs","syscall","sysinfo","syslog","tee","tgkill","time","timer_create","timer_delete","timer_getoverrun","timer_gettime","timer_gettime64","timer_settime","timer_settime64","timerfd","timerfd_create","timerfd_gettime","timerfd_gettime64","timerfd_settime","timerfd_settime64","times","tkill","truncate","truncate64","ugetrlimit","umask","umount","umount2","uname","unlink","unlinkat","unshare","utime","utimensat","utimensat_time64","utimes","vfork","wait4","waitid","waitpid","write","writev"],"action":"SCMP_ACT_ALLOW"},{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]},{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":131072,"op":"SCMP_CMP_EQ"}]},{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":131080,"op":"SCMP_CMP_EQ"}]},{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":4294967295,"op":"SCMP_CMP_EQ"}]},{"names":["arch_prctl"],"action":"SCMP_ACT_ALLOW"},{"names":["modify_ldt"],"action":"SCMP_ACT_ALLOW"},{"names":["open_by_handle_at"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["bpf","fanotify_init","lookup_dcookie","perf_event_open","quotactl","setdomainname","sethostname","setns"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["chroot"],"action":"SCMP_ACT_ALLOW"},{"names":["delete_module","finit_module","init_module","query_module"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["acct"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["kcmp","process_madvise"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["ioperm","iopl"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["clock_settime","clock_settime64","settimeofday","stime"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["vhangup"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["socket"],"action":"SCMP_ACT_ERRNO","errnoRet":22,"args":[{"index":0,"value":16,"op":"SCMP_CMP_EQ"},{"index":2,"value":9,"op":"SCMP_CMP_EQ"}]},{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":9,"op":"SCMP_CMP_NE"}]},{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":16,"op":"SCMP_CMP_NE"}]},{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":9,"op":"SCMP_CMP_NE"}]}]},"maskedPaths":["/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware","/sys/fs/selinux","/sys/dev/block"],"readonlyPaths":["/proc/asound","/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]}}
        """#

    /// `/proc/<pid>/cgroup` of that container's init at prestart (hybrid host).
    static let podmanProcCgroup = """
        9:name=systemd:/libpod_parent/libpod-979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2
        8:pids:/libpod_parent/libpod-979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2
        7:blkio:/libpod_parent/libpod-979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2
        6:freezer:/libpod_parent/libpod-979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2
        5:devices:/libpod_parent/libpod-979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2
        4:memory:/libpod_parent/libpod-979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2
        3:cpuset:/libpod_parent/libpod-979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2
        2:cpuacct:/libpod_parent/libpod-979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2
        1:cpu:/libpod_parent/libpod-979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2
        0::/libpod_parent/libpod-979c5931c781c4f308fb539bf2647651f82cf2e2776267f9d0e719efc2b4b6a2
        """

    /// `grep cgroup /proc/self/mountinfo` on this machine: hybrid layout.
    static let hybridMountInfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
        37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """

    static let crioID = "3b0a3ee3a4a1c1e4e7b8d0f3a3c2f5e6d7c8b9a0f1e2d3c4b5a6978877665544"
    static let crioSandboxID = "8f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"
    static let crioPodUID = "5d0c9d37-7b5f-4c39-9b0e-0f2b6a8d1e44"

    /// A CRI-O workload container under kubelet with the systemd cgroup
    /// driver (process, mounts and seccomp trimmed).
    static let crioConfig = #"""
        {
          "ociVersion": "1.0.2-dev",
          "process": {
            "user": {"uid": 101, "gid": 101},
            "args": ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=web-7c5ddbdf54-2x8kq"],
            "cwd": "/",
            "oomScoreAdj": 1000
          },
          "root": {"path": "/var/lib/containers/storage/overlay/4c1e5b.../merged"},
          "hostname": "web-7c5ddbdf54-2x8kq",
          "mounts": [{"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]}],
          "annotations": {
            "io.container.manager": "cri-o",
            "io.kubernetes.container.hash": "6b2d7a1f",
            "io.kubernetes.container.restartCount": "0",
            "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
            "io.kubernetes.container.terminationMessagePolicy": "File",
            "io.kubernetes.cri-o.Annotations": "{\"io.kubernetes.container.hash\":\"6b2d7a1f\",\"io.kubernetes.container.restartCount\":\"0\"}",
            "io.kubernetes.cri-o.ContainerID": "3b0a3ee3a4a1c1e4e7b8d0f3a3c2f5e6d7c8b9a0f1e2d3c4b5a6978877665544",
            "io.kubernetes.cri-o.ContainerType": "container",
            "io.kubernetes.cri-o.Created": "2024-05-02T09:14:03.215771022Z",
            "io.kubernetes.cri-o.IP.0": "10.85.0.12",
            "io.kubernetes.cri-o.Image": "docker.io/library/nginx@sha256:32e76d4f34f80e479964a0fbd4c5b4f6967b5322c8d004e9cf0cb81c93510766",
            "io.kubernetes.cri-o.ImageName": "docker.io/library/nginx:1.25",
            "io.kubernetes.cri-o.Labels": "{\"io.kubernetes.container.name\":\"nginx\",\"io.kubernetes.pod.name\":\"web-7c5ddbdf54-2x8kq\",\"io.kubernetes.pod.namespace\":\"shop\",\"io.kubernetes.pod.uid\":\"5d0c9d37-7b5f-4c39-9b0e-0f2b6a8d1e44\"}",
            "io.kubernetes.cri-o.LogPath": "/var/log/pods/shop_web-7c5ddbdf54-2x8kq_5d0c9d37-7b5f-4c39-9b0e-0f2b6a8d1e44/nginx/0.log",
            "io.kubernetes.cri-o.Metadata": "{\"name\":\"nginx\"}",
            "io.kubernetes.cri-o.Name": "k8s_nginx_web-7c5ddbdf54-2x8kq_shop_5d0c9d37-7b5f-4c39-9b0e-0f2b6a8d1e44_0",
            "io.kubernetes.cri-o.ResolvPath": "/run/containers/storage/overlay-containers/8f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e/userdata/resolv.conf",
            "io.kubernetes.cri-o.SandboxID": "8f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e",
            "io.kubernetes.cri-o.SandboxName": "k8s_web-7c5ddbdf54-2x8kq_shop_5d0c9d37-7b5f-4c39-9b0e-0f2b6a8d1e44_0",
            "io.kubernetes.cri-o.Stdin": "false",
            "io.kubernetes.cri-o.StdinOnce": "false",
            "io.kubernetes.cri-o.TTY": "false",
            "io.kubernetes.pod.name": "web-7c5ddbdf54-2x8kq",
            "io.kubernetes.pod.namespace": "shop",
            "io.kubernetes.pod.terminationGracePeriod": "30",
            "io.kubernetes.pod.uid": "5d0c9d37-7b5f-4c39-9b0e-0f2b6a8d1e44",
            "io.tailtrace.trace": "true",
            "kubernetes.io/config.seen": "2024-05-02T09:13:58.104021519Z",
            "kubernetes.io/config.source": "api"
          },
          "linux": {
            "resources": {"cpu": {"shares": 2, "quota": 0, "period": 100000}, "pids": {"limit": 0}},
            "cgroupsPath": "kubepods-besteffort-pod5d0c9d37_7b5f_4c39_9b0e_0f2b6a8d1e44.slice:crio:3b0a3ee3a4a1c1e4e7b8d0f3a3c2f5e6d7c8b9a0f1e2d3c4b5a6978877665544",
            "namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/2f1d0e3c"}, {"type": "mount"}, {"type": "cgroup"}],
            "maskedPaths": ["/proc/acpi", "/proc/kcore"],
            "readonlyPaths": ["/proc/bus", "/proc/fs"]
          }
        }
        """#

    static let containerdID = "c4ae1a8a2b0f3d8ec1b86f5ad2c1f7e9b3a4d5c6e7f8091a2b3c4d5e6f708192"

    /// A containerd (CRI plugin) workload container, cgroupfs driver.
    static let containerdConfig = #"""
        {
          "ociVersion": "1.1.0-rc.1",
          "process": {
            "user": {"uid": 0, "gid": 0, "additionalGids": [0, 10]},
            "args": ["redis-server", "--appendonly", "yes"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=cache-0"],
            "cwd": "/data",
            "capabilities": {"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"]},
            "oomScoreAdj": -997
          },
          "root": {"path": "rootfs"},
          "mounts": [{"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]}],
          "annotations": {
            "io.kubernetes.cri.container-name": "redis",
            "io.kubernetes.cri.container-type": "container",
            "io.kubernetes.cri.image-name": "docker.io/library/redis:7.2",
            "io.kubernetes.cri.sandbox-id": "0e8d5bd3fbd15f8e1ad0c8dcb0d8a1bbd8f0e2a93c7a4bc1d3c5e7f9a1b3c5d7",
            "io.kubernetes.cri.sandbox-name": "cache-0",
            "io.kubernetes.cri.sandbox-namespace": "data",
            "io.kubernetes.cri.sandbox-uid": "0c3e0a9e-2b4b-4df1-8d9a-9e1c6b2f7a10"
          },
          "linux": {
            "resources": {"devices": [{"allow": false, "access": "rwm"}], "memory": {"limit": 268435456}},
            "cgroupsPath": "/kubepods/burstable/pod0c3e0a9e-2b4b-4df1-8d9a-9e1c6b2f7a10/c4ae1a8a2b0f3d8ec1b86f5ad2c1f7e9b3a4d5c6e7f8091a2b3c4d5e6f708192",
            "namespaces": [{"type": "pid"}, {"type": "ipc", "path": "/proc/31337/ns/ipc"}, {"type": "mount"}]
          }
        }
        """#

    /// The same pod's sandbox (pause) container, systemd driver.
    static let containerdSandboxConfig = #"""
        {
          "ociVersion": "1.1.0-rc.1",
          "process": {"user": {"uid": 65535, "gid": 65535}, "args": ["/pause"], "cwd": "/"},
          "hostname": "cache-0",
          "annotations": {
            "io.kubernetes.cri.container-type": "sandbox",
            "io.kubernetes.cri.sandbox-id": "0e8d5bd3fbd15f8e1ad0c8dcb0d8a1bbd8f0e2a93c7a4bc1d3c5e7f9a1b3c5d7",
            "io.kubernetes.cri.sandbox-log-directory": "/var/log/pods/data_cache-0_0c3e0a9e-2b4b-4df1-8d9a-9e1c6b2f7a10",
            "io.kubernetes.cri.sandbox-name": "cache-0",
            "io.kubernetes.cri.sandbox-namespace": "data",
            "io.kubernetes.cri.sandbox-uid": "0c3e0a9e-2b4b-4df1-8d9a-9e1c6b2f7a10"
          },
          "linux": {
            "cgroupsPath": "kubepods-burstable-pod0c3e0a9e_2b4b_4df1_8d9a_9e1c6b2f7a10.slice:cri-containerd:0e8d5bd3fbd15f8e1ad0c8dcb0d8a1bbd8f0e2a93c7a4bc1d3c5e7f9a1b3c5d7"
          }
        }
        """#
}
