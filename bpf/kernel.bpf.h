/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The few kernel types tailtrace reads, declared minimally with
 * preserve_access_index so that libbpf relocates every field offset against
 * the running kernel's BTF (CO-RE): no vmlinux.h is committed.
 */
#ifndef TAILTRACE_KERNEL_BPF_H
#define TAILTRACE_KERNEL_BPF_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tailtrace.h"

/* keeps the compiler from moving memory accesses across it */
#define barrier() asm volatile("" ::: "memory")

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
struct ns_common {
	unsigned int inum;
};
struct mnt_namespace {
	struct ns_common ns;
};
struct nsproxy {
	struct mnt_namespace *mnt_ns;
};
struct kernfs_node {
	__u64 id;
};
struct cgroup {
	struct kernfs_node *kn;
	int level; /* the root is 0 */
};
/* A cgroup's ancestry (itself included, by level), two shapes: ids up to
 * 5.19, cgroup pointers from 6.0 ("cgroup: Replace cgroup->ancestor_ids[]
 * with ->ancestors[]"). Only the field names matter to CO-RE. */
struct cgroup___ids {
	int level;
	__u64 ancestor_ids[];
};
struct cgroup___ptrs {
	int level;
	struct cgroup *ancestors[];
};
struct css_set {
	struct cgroup *dfl_cgrp;
};
struct thread_info {
	__u32 status;
};
struct signal_struct {
	struct {
		int counter;
	} live; /* threads not yet in do_exit */
};
struct upid {
	int nr;
};
struct pid {
	unsigned int level; /* depth of its pid namespace; numbers[level] is the innermost */
	struct upid numbers[];
};
struct sched_entity {
	__u64 nr_migrations; /* times the task moved to another CPU */
};
struct task_struct {
	struct thread_info thread_info;
	struct sched_entity se;
	int pid;
	int tgid;
	int exit_code;
	char comm[16];
	struct nsproxy *nsproxy;
	struct css_set *cgroups;
	struct task_struct *real_parent;
	struct signal_struct *signal;
	struct pid *thread_pid;
};
#if defined(__TARGET_ARCH_x86)
/* x86_64 syscall entry frame */
struct pt_regs {
	unsigned long bx, bp, r10, r9, r8, ax, cx, dx, si, di, orig_ax;
};
#endif
#pragma clang attribute pop

/*
 * Two compiled variants of every program, one source (Plugins/BPFCompiler
 * builds both; `tailtrace install` picks one from probes of the running
 * kernel, see Sources/TailcallPool/KernelFeatures.swift):
 *
 * - "btf" (default): the current task is a typed kernel pointer
 *   (bpf_get_current_task_btf, kernel 5.11), so its fields are direct loads
 *   that the verifier turns into exception-handled PROBE_MEM loads, with no
 *   helper calls; payload chunks are written with bpf_loop (5.17). On a VM with
 *   retpolines and SRSO "Safe RET" mitigations every helper call costs
 *   40-70 ns, so this path makes almost none.
 * - "core" (TT_VARIANT_CORE, kernels 5.10-5.16): the task is read with
 *   bpf_probe_read_kernel through CO-RE relocations, pid/comm/cgroup come
 *   from their helpers, payload chunks from a bounded loop (5.3).
 *
 * Both are BTF-enabled raw tracepoints (tp_btf, 5.5): the context's pt_regs
 * is a typed pointer and is read with direct loads in both.
 */
#ifdef TT_VARIANT_CORE
static __always_inline struct task_struct *tt_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}
#define TT_TASK_READ(task, ...) BPF_CORE_READ(task, __VA_ARGS__)
#else
static __always_inline struct task_struct *tt_task(void)
{
	/* kernel 5.11; inlined by the x86 JIT on recent kernels */
	return bpf_get_current_task_btf();
}
#define TT_TASK_READ(task, ...) ((task)->__VA_ARGS__)
#endif

#if defined(__TARGET_ARCH_x86)
/* TS_COMPAT in thread_info.status: the task is in a 32-bit (i386) syscall. */
#define TT_TS_COMPAT 0x0002

static __always_inline void tt_syscall_args(const struct pt_regs *r, int compat, __u64 a[6])
{
	if (compat) {
		/* i386 syscall convention: ebx, ecx, edx, esi, edi, ebp. */
		a[0] = (__u32)r->bx; a[1] = (__u32)r->cx; a[2] = (__u32)r->dx;
		a[3] = (__u32)r->si; a[4] = (__u32)r->di; a[5] = (__u32)r->bp;
	} else {
		a[0] = r->di; a[1] = r->si; a[2] = r->dx;
		a[3] = r->r10; a[4] = r->r8; a[5] = r->r9;
	}
}

static __always_inline int tt_task_compat(struct task_struct *task)
{
	return (TT_TASK_READ(task, thread_info.status) & TT_TS_COMPAT) != 0;
}
#else
#error "tailtrace's recorder decodes syscall registers for x86_64 only so far"
#endif

static __always_inline __u64 tt_task_mntns(struct task_struct *task)
{
#ifdef TT_VARIANT_CORE
	/* a NULL nsproxy (task leaving its namespaces) faults the read: 0 */
	return BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
#else
	struct nsproxy *ns = task->nsproxy;
	/* NULL once the task has left its namespaces on exit */
	if (!ns)
		return 0;
	return ns->mnt_ns->ns.inum;
#endif
}

/* cgroup v2 id of the current task (the root's id without cgroup v2) */
static __always_inline __u64 tt_task_cgroup_id(struct task_struct *task)
{
#ifdef TT_VARIANT_CORE
	return bpf_get_current_cgroup_id(); /* kernel 4.18 */
#else
	/* what bpf_get_current_cgroup_id() returns, without the call */
	return task->cgroups->dfl_cgrp->kn->id;
#endif
}

/* The task's cgroup v2 cgroup, its level, and the id of its ancestor at
 * `level` (its own at its level), 0 above it. Probe reads in both variants: this runs only when
 * the dispatcher's cache misses, and bpf_get_current_ancestor_cgroup_id()
 * is a helper tracing programs get only from 5.14. */
static __always_inline struct cgroup *tt_task_cgroup(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp);
}

static __always_inline int tt_cgroup_level(struct cgroup *cgrp)
{
	return BPF_CORE_READ(cgrp, level);
}

static __always_inline __u64 tt_cgroup_ancestor(struct cgroup *cgrp, __u32 level)
{
	__u64 cg = (__u64)cgrp;
	if (bpf_core_field_exists(struct cgroup___ptrs, ancestors)) {
		struct cgroup *anc = 0;
		__u64 at = cg + bpf_core_field_offset(struct cgroup___ptrs, ancestors) + level * sizeof(anc);
		if (bpf_probe_read_kernel(&anc, sizeof(anc), (void *)at) || !anc)
			return 0;
		return BPF_CORE_READ(anc, kn, id);
	}
	__u64 id = 0;
	__u64 at = cg + bpf_core_field_offset(struct cgroup___ids, ancestor_ids) + level * sizeof(id);
	bpf_probe_read_kernel(&id, sizeof(id), (void *)at);
	return id;
}

/* The task's pid in its own (innermost) pid namespace. Probe reads. */
static __always_inline __u32 tt_task_ns_pid(struct task_struct *task)
{
	struct pid *p = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(p, level);
	if (!p || level > 32)
		return 0;
	__u64 at = (__u64)p + bpf_core_field_offset(struct pid, numbers) + level * bpf_core_type_size(struct upid) +
		   bpf_core_field_offset(struct upid, nr);
	int nr = 0;
	bpf_probe_read_kernel(&nr, sizeof(nr), (void *)at);
	return nr;
}

/* thread group id and thread id as the host pid namespace sees them */
static __always_inline void tt_task_ids(struct task_struct *task, __u32 *pid, __u32 *tid)
{
#ifdef TT_VARIANT_CORE
	__u64 id = bpf_get_current_pid_tgid();
	*pid = id >> 32;
	*tid = (__u32)id;
#else
	*pid = task->tgid;
	*tid = task->pid;
#endif
}

/* How many times the task moved to another CPU (low 32 bits): an exit that
 * sees the count of its enter ran on the enter's CPU all along. A probe
 * read in the core variant. */
static __always_inline __u32 tt_task_migrations(struct task_struct *task)
{
	return (__u32)TT_TASK_READ(task, se.nr_migrations);
}

static __always_inline void tt_task_comm(struct task_struct *task, char comm[TT_COMM_LEN])
{
#ifdef TT_VARIANT_CORE
	bpf_get_current_comm(comm, TT_COMM_LEN);
#else
	/* via the task, not bpf_get_current_comm(): no helper call */
	__builtin_memcpy(comm, task->comm, TT_COMM_LEN);
#endif
}

/* What changes from one syscall of a task to the next: its CPU migrations,
 * its syscall ABI, and with `with_comm` its name (an exec, a prctl), for
 * the recorder (struct tt_current). */
static __always_inline void tt_note_task_changes(struct tt_current *cur, struct task_struct *task, int with_comm)
{
	cur->migrations = tt_task_migrations(task);
	cur->flags = tt_task_compat(task) ? TT_FLAG_COMPAT : 0;
	if (with_comm)
		tt_task_comm(task, cur->comm);
}

/* What the dispatcher learned of the current task, written for the recorder
 * its tail call enters (struct tt_current). Declared here, alike in both
 * objects: a recorder's is replaced at load by the dispatcher's pinned map. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tt_current);
} current SEC(".maps");

#endif /* TAILTRACE_KERNEL_BPF_H */
