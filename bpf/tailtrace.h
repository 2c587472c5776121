/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tailtrace record layout, shared by the BPF programs (the bpf directory) and by
 * Swift (imported through Sources/CTailtrace). Fixed-width types only: the
 * same bytes are written by the kernel and read through mmap in user space.
 *
 * A recorder's ring is a BPF_F_MMAPABLE array of TT_CELL_SIZE-byte cells,
 * cut into one region per possible CPU. A writer reserves cells in its CPU's
 * region by bumping that region's head, writes them, and stores the cell's
 * sequence number last. The reader (Sources/TailcallPool) accepts a cell only
 * when its sequence number equals the position it expects and the generation
 * equals the slot's current one: anything else was overwritten, torn by a
 * concurrent write, or left over from the slot's previous container.
 */
#ifndef TAILTRACE_H
#define TAILTRACE_H

#include <linux/types.h>

#define TT_CELL_SIZE 128
#define TT_MAX_CPUS 256
/* Upper bound on slots (recorder modules) per pin root. */
#define TT_MAX_SLOTS 4096
/* Largest payload capture the recorder supports (install --capture-bytes). */
#define TT_MAX_CAPTURE 1024
/* Payloads captured for one event at most (execve: filename and argv[0..3];
 * sendmsg: the msghdr, its name and TT_IOV_MAX vectors). */
#define TT_MAX_PAYLOADS 6
/* tt_payload.arg beyond the six arguments: */
#define TT_ARG_ARGV 8      /* + i: argv[i] of execve/execveat */
#define TT_ARGV_MAX 4
#define TT_ARG_IOV 16      /* + i: vector i of an iovec array (readv, writev, msghdr's msg_iov) */
#define TT_IOV_MAX 4
#define TT_ARG_MSG_NAME 24 /* the msg_name sockaddr of a msghdr */
#define TT_COMM_LEN 16

enum tt_kind {
	TT_KIND_ENTER = 1,
	TT_KIND_EXIT = 2,
	TT_KIND_PAYLOAD = 3,
	TT_KIND_SIGNAL = 4,     /* struct tt_signal: a signal delivered to a traced task */
	TT_KIND_PROC_EXIT = 5,  /* struct tt_proc_exit: the last thread of a process exited */
};

/* tt_header.flags */
#define TT_FLAG_COMPAT 0x1    /* i386 syscall on x86_64 (TS_COMPAT): nr is an i386 number */
#define TT_FLAG_TRUNCATED 0x2 /* payload: the user buffer was longer than the capture size */
#define TT_FLAG_FAULT 0x4     /* payload: reading user memory failed; no bytes */
#define TT_FLAG_AT_EXIT 0x8   /* payload: faulted at enter, read again at exit */

/* What a payload holds (tt_payload.kind). */
enum tt_payload_kind {
	TT_PAYLOAD_STRING = 1,   /* NUL-terminated string (path, argv entry); the NUL not kept */
	TT_PAYLOAD_BUFFER = 2,   /* bytes of a buffer */
	TT_PAYLOAD_SOCKADDR = 3, /* a struct sockaddr; size: its length (addrlen) */
	TT_PAYLOAD_IOV = 4,      /* bytes of one iovec; size: its iov_len */
	TT_PAYLOAD_MSGHDR = 5,   /* a struct msghdr as the task passed it */
};

/*
 * The capture plan: what the recorder reads from user memory for a syscall,
 * declared by syscall name in Sources/Shared/CapturePlan.swift and written
 * by `tailtrace install` into the shared "plans" array, one entry per
 * syscall number (i386 numbers from TT_PLAN_COMPAT_BASE).
 */
enum tt_capture_kind {
	TT_CAP_NONE = 0,
	TT_CAP_STRING = 1,   /* a NUL-terminated string */
	TT_CAP_BUFFER = 2,   /* bytes, length from `len` */
	TT_CAP_ARGV = 3,     /* a NULL-terminated array of strings: its first TT_ARGV_MAX */
	TT_CAP_SOCKADDR = 4, /* a sockaddr, length from `len` */
	TT_CAP_IOVEC = 5,    /* an iovec array, count from `len` */
	TT_CAP_MSGHDR = 6,   /* a msghdr: itself, its msg_name and its msg_iov */
};

/* tt_capture_spec.len: where a capture's length (or count) comes from */
#define TT_LEN_ARG(n) (n)            /* argument n's value */
#define TT_LEN_RET 6                 /* the return value (at exit) */
#define TT_LEN_ARG_PTR(n) (8 + (n))  /* the socklen_t argument n points to (at exit) */
#define TT_LEN_NONE 15

#define TT_PLAN_CAPTURES 3
struct tt_capture_spec {
	__u8 kind; /* enum tt_capture_kind */
	__u8 arg;  /* argument index 0..5 */
	__u8 len;  /* TT_LEN_* */
	__u8 _pad;
};

struct tt_plan {
	struct tt_capture_spec enter[TT_PLAN_CAPTURES];
	struct tt_capture_spec exit[TT_PLAN_CAPTURES];
};

#define TT_PLAN_COMPAT_BASE 1024
#define TT_PLAN_ENTRIES 2048

/* Common head of every cell: 40 bytes. */
struct tt_header {
	__u64 seq;   /* 1-based position in its CPU region; stored last, 0 while written */
	__u32 gen;   /* slot generation at write time; changes on every claim */
	__u16 kind;  /* enum tt_kind */
	__u16 flags; /* TT_FLAG_* */
	__u64 ts_ns; /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u32 pid;   /* thread group id, as seen from the host pid namespace */
	__u32 tid;
	__u32 nr;    /* syscall number in the table of the record's architecture */
	__u16 cpu;
	__u16 len;   /* payload: bytes of data in this cell */
};

/*
 * One record per syscall: when a syscall's exit runs on the CPU of its
 * enter and the enter is still that CPU's newest record, the recorder
 * writes the exit into the enter's cell (ret, its time, the exit's payload
 * cells, which follow the enter's) and then sets TT_SEQ_DONE in the cell's
 * seq; otherwise the exit is a cell of its own (struct tt_exit). Readers
 * ignore the exit fields of a cell without the bit. The fields were
 * padding (zero) in earlier layouts, so their archives read unchanged.
 */
#define TT_SEQ_DONE (1ULL << 63)

struct tt_enter {
	struct tt_header h;
	__u64 args[6];
	char comm[TT_COMM_LEN];
	__u16 payload_cells; /* cells reserved right after this one for the enter's payloads */
	__u16 exit_payload_cells; /* TT_SEQ_DONE: cells after those, for the exit's payloads */
	__u32 exit_dt_ns;    /* TT_SEQ_DONE: exit time - enter time (below 2^32 ns, else no merge);
			      * before: the task's CPU migrations at enter (see the recorder) */
	__u64 cgroup_id;     /* the task's own cgroup v2 id (a container's subtree shares its ring) */
	__s64 ret;           /* TT_SEQ_DONE: the return value */
};
_Static_assert(sizeof(struct tt_enter) == TT_CELL_SIZE, "an enter is one cell");

struct tt_exit {
	struct tt_header h;
	__s64 ret;
	__u32 payload_cells;
	__u32 _pad;
	__u64 cgroup_id;     /* as in tt_enter: a new task's first record is an exit (of clone) */
};

/* Bytes of payload data in one cell (TT_CELL_SIZE - 40-byte header - 16). */
#define TT_PAYLOAD_DATA 72

/* One chunk of a captured string or buffer. Chunks of one payload follow
 * the event cell they belong to, in order (part 0, 1, ...). */
struct tt_payload {
	struct tt_header h;
	__u8 arg;     /* argument index 0..5, or TT_ARG_* + i */
	__u8 part;    /* chunk index */
	__u8 parts;   /* number of chunks of this payload */
	__u8 kind;    /* enum tt_payload_kind */
	__u32 total;  /* bytes captured over all chunks */
	__u64 size;   /* the object's own length where it has one (iov_len, addrlen) */
	__u8 data[TT_PAYLOAD_DATA];
};
_Static_assert(sizeof(struct tt_payload) == TT_CELL_SIZE, "a payload chunk is one cell");

/* A signal the kernel delivers to a traced task (tracepoint signal_deliver:
 * it runs in the receiving task, for handled, ignored and fatal signals). */
struct tt_signal {
	struct tt_header h;  /* nr: 0 */
	__s32 signo;
	__s32 errno_;        /* si_errno */
	__s32 code;          /* si_code */
	__u32 handler;       /* 0: default action, 1: ignored, 2: a handler runs */
	__u8 fields[32];     /* kernel_siginfo's _sifields union, as the kernel holds it */
	char comm[TT_COMM_LEN];
	__u64 cgroup_id;
};
_Static_assert(sizeof(struct tt_signal) <= TT_CELL_SIZE, "a signal is one cell");

/* A process ended: its last thread exited (tracepoint sched_process_exit). */
struct tt_proc_exit {
	struct tt_header h;  /* nr: 0 */
	__s32 exit_code;     /* wait status: (code << 8), or the signal | 0x80 for a core dump */
	__u32 ns_pid;        /* its pid in its own pid namespace: 1 for a container's init */
	char comm[TT_COMM_LEN];
	__u64 cgroup_id;
};
_Static_assert(sizeof(struct tt_proc_exit) <= TT_CELL_SIZE, "an exit is one cell");

/* Per-CPU head of a ring region, one cache line each so CPUs do not share. */
struct tt_head {
	__u64 head;     /* cells reserved in this region since the slot was claimed */
	__u64 payloads; /* payloads written from this CPU */
	__u64 faults;   /* of those, payloads that could not be read (at enter nor at exit) */
	__u64 open;     /* position + 1 of the newest enter written here (0: none): where an exit may merge */
	__u64 _pad[4];
};

/* Control block of one recorder (array map "ring_ctl", one entry, mmapable). */
struct tt_ring_ctl {
	__u32 gen;        /* current generation; user space bumps it on claim */
	__u32 enabled;    /* 0: recorder drops everything (slot free) */
	__u64 key;        /* container key the slot is claimed for */
	__u64 drops;      /* events dropped inside BPF (scratch or ring lookup failed) */
	__u64 retries;    /* syscalls whose enter payloads faulted, waiting for their exit */
	__u64 _pad[4];
	struct tt_head heads[TT_MAX_CPUS];
};

/* Value of the dispatcher's key -> slot hash map. */
struct tt_slot_ref {
	__u32 slot;
	__u32 gen;
};

/* Value of the dispatcher's "resolved" cache: what a cgroup id resolved to
 * (the key of its nearest traced ancestor, itself included, and that key's
 * slot; key 0: none), valid while epoch equals the "epoch" map's value. */
struct tt_resolved {
	__u64 key;
	__u32 slot;
	__u32 epoch;
};

/* The dispatcher's per-CPU memo of the last task it resolved there, by the
 * address of the syscall's pt_regs (the top of that task's kernel stack):
 * a syscall loop, or any task running alone on a CPU, finds its answer
 * without reading the task, while neither epoch nor task_epoch moved. */
struct tt_last {
	__u64 regs;  /* 0: not a syscall's (signal, process exit) */
	__u64 key;
	__u32 tasks; /* task_epoch when written */
	__u32 no_claim; /* pool mode: the task is the host's (see the dispatcher's claim_for) */
	struct tt_resolved r;
	/* "current" holds this task's ids and cgroup id: the dispatcher wrote
	 * them for it since this entry was (see the dispatcher's note_current) */
	__u32 noted;
	__u32 _pad;
	__u64 task;  /* core variant: the task's address, read on the miss */
};

/* What the dispatcher learned of the current task, left for the recorder it
 * tail-calls (per-CPU array "current", declared alike in both objects and
 * pinned once under the pin root, so every recorder shares the
 * dispatcher's). The dispatcher reads the task at every traced event anyway
 * (its CPU migrations and syscall ABI; its ids and cgroup id stay here
 * while its memo holds, see note_current), so a recorder takes everything
 * it knows of the task from here and never reads the task itself:
 * - one helper call less per event (bpf_get_current_task_btf is a call, ~10
 *   ns on the development VM: 77 against 67 ns for an empty program in
 *   bpf_stats);
 * - less verification per recorder module: on recent kernels every load of
 *   a pointer through a trusted task pointer (task->cgroups->dfl_cgrp->kn)
 *   costs the verifier up to four linear searches of the kernel's BTF by
 *   name (btf_nested_type_is_trusted, ~0.3 ms each here), which was most of
 *   a recorder's load time. */
struct tt_current {
	__u64 cgroup_id;  /* the task's own cgroup v2 id */
	__u32 pid;        /* thread group id, as seen from the host pid namespace */
	__u32 tid;
	__u32 migrations; /* times the task moved to another CPU (low 32 bits) */
	__u16 flags;      /* TT_FLAG_COMPAT: the task is in an i386 syscall */
	__u16 _pad;
	char comm[TT_COMM_LEN]; /* not written for a syscall's exit, which does not use it */
};

/* Ancestors (parent processes) the dispatcher walks in mntns key mode. */
#define TT_MAX_ANCESTRY 16

/* Deepest cgroup level the dispatcher walks up from (the root is level 0). */
#define TT_MAX_CGROUP_LEVEL 32

/* What the dispatcher records when it claims a slot by itself (pool mode). */
struct tt_claim {
	__u64 key;
	__u64 cgroup_id;
	__u64 mntns;
	__u64 ts_ns;
	__u32 pid;
	__u32 slot;
	char comm[TT_COMM_LEN];
};

/* Dispatcher counters (per-CPU array "stats", index = enum tt_stat). */
enum tt_stat {
	TT_STAT_MISSES = 0,      /* auto-claim found the pool empty */
	TT_STAT_CLAIMS = 1,      /* auto-claims made */
	TT_STAT_REFUSED = 2,     /* auto-claims refused: key shared with host tasks */
	TT_STAT_RACES = 3,       /* auto-claims lost to a concurrent claim */
	TT_STAT_TAILCALL_FAIL = 4, /* key known, but no program in the prog array */
	TT_STAT_COUNT = 8,
};

/* What `tailtrace install` set up, pinned as the one-entry array "install"
 * under the pin root so every later command reads the same settings. */
#define TT_INSTALL_MAGIC 0x74747238u /* "ttr8": bump on layout changes (pins, structs, cells, shared maps) */
struct tt_install {
	__u32 magic;
	__u32 key_mode;       /* enum tt_key_mode */
	__u32 auto_claim;
	__u32 pool_size;      /* slots loaded at install (the pool's target size) */
	__u32 cells_per_cpu;  /* power of two */
	__u32 ncpus;          /* possible CPUs: ring regions */
	__u32 capture_bytes;
	__u32 variant;        /* enum tt_variant: the programs' compiled variant */
	__u64 host_mntns;
	__u64 installed_ns;   /* CLOCK_REALTIME */
};

/* Compiled variants of the programs (bpf/kernel.bpf.h), chosen at install. */
enum tt_variant {
	TT_VARIANT_ID_BTF = 0,  /* typed task pointer, bpf_loop: 5.17+ */
	TT_VARIANT_ID_CORE = 1, /* CO-RE probe reads, bounded loops: 5.10+ */
};

enum tt_key_mode {
	TT_KEY_CGROUP = 0,
	TT_KEY_MNTNS = 1,
};

#endif /* TAILTRACE_H */
