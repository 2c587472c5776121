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
/* Payloads captured for one event at most (execve: filename and argv[0..3]). */
#define TT_MAX_PAYLOADS 5
/* tt_payload.arg >= TT_ARG_ARGV: entry (arg - TT_ARG_ARGV) of the argv argument. */
#define TT_ARG_ARGV 8
#define TT_ARGV_MAX 4
#define TT_COMM_LEN 16

enum tt_kind {
	TT_KIND_ENTER = 1,
	TT_KIND_EXIT = 2,
	TT_KIND_PAYLOAD = 3,
};

/* tt_header.flags */
#define TT_FLAG_COMPAT 0x1    /* i386 syscall on x86_64 (TS_COMPAT): nr is an i386 number */
#define TT_FLAG_TRUNCATED 0x2 /* payload: the user buffer was longer than the capture size */
#define TT_FLAG_FAULT 0x4     /* payload: reading user memory failed; no bytes */
#define TT_FLAG_STRING 0x8    /* payload: NUL-terminated string (path, argv entry) */

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

struct tt_enter {
	struct tt_header h;
	__u64 args[6];
	char comm[TT_COMM_LEN];
	__u32 payload_cells; /* cells reserved right after this one for payloads */
	__u32 _pad;
	__u64 cgroup_id;     /* the task's own cgroup v2 id (a container's subtree shares its ring) */
	__u64 _reserved;
};

struct tt_exit {
	struct tt_header h;
	__s64 ret;
	__u32 payload_cells;
	__u32 _pad;
	__u64 cgroup_id;     /* as in tt_enter: a new task's first record is an exit (of clone) */
};

#define TT_PAYLOAD_DATA (TT_CELL_SIZE - sizeof(struct tt_header) - 8)

/* One chunk of a captured string or buffer. Chunks of one payload follow
 * the event cell they belong to, in order (part 0, 1, ...). */
struct tt_payload {
	struct tt_header h;
	__u8 arg;     /* argument index 0..5, or TT_ARG_ARGV + i for argv[i] */
	__u8 part;    /* chunk index */
	__u16 parts;  /* number of chunks of this payload */
	__u32 total;  /* bytes captured over all chunks */
	__u8 data[TT_CELL_SIZE - sizeof(struct tt_header) - 8];
};

/* Per-CPU head of a ring region, one cache line each so CPUs do not share. */
struct tt_head {
	__u64 head; /* cells reserved in this region since the slot was claimed */
	__u64 _pad[7];
};

/* Control block of one recorder (array map "ring_ctl", one entry, mmapable). */
struct tt_ring_ctl {
	__u32 gen;        /* current generation; user space bumps it on claim */
	__u32 enabled;    /* 0: recorder drops everything (slot free) */
	__u64 key;        /* container key the slot is claimed for */
	__u64 drops;      /* events dropped inside BPF (scratch or ring lookup failed) */
	__u64 _pad[5];
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

/* The dispatcher's per-CPU memo of the last cgroup it resolved there: a
 * syscall loop, or any task running alone on a CPU, skips the hash lookup. */
struct tt_last {
	__u64 key;
	struct tt_resolved r;
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
#define TT_INSTALL_MAGIC 0x74747232u /* "ttr2": bump on layout changes (pins, structs) */
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
