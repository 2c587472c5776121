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
};
struct css_set {
	struct cgroup *dfl_cgrp;
};
struct thread_info {
	__u32 status;
};
struct task_struct {
	struct thread_info thread_info;
	int pid;
	int tgid;
	char comm[16];
	struct nsproxy *nsproxy;
	struct css_set *cgroups;
};
#if defined(__TARGET_ARCH_x86)
/* x86_64 syscall entry frame */
struct pt_regs {
	unsigned long bx, bp, r10, r9, r8, ax, cx, dx, si, di, orig_ax;
};
#endif
#pragma clang attribute pop

/*
 * The programs are BTF-enabled raw tracepoints (tp_btf, kernel 5.5): the
 * context's pt_regs and the current task are typed kernel pointers, so their
 * fields are read with direct loads (the verifier turns them into
 * exception-handled PROBE_MEM loads) instead of bpf_probe_read_kernel()
 * helper calls. On a VM with retpolines and SRSO "Safe RET" mitigations each
 * helper call costs 40-70 ns; this path makes almost none.
 */
static __always_inline struct task_struct *tt_task(void)
{
	/* bpf_get_current_task_btf: kernel 5.11; inlined by the x86 JIT on recent kernels */
	return bpf_get_current_task_btf();
}

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
	return (task->thread_info.status & TT_TS_COMPAT) != 0;
}
#else
#error "tailtrace's recorder decodes syscall registers for x86_64 only so far"
#endif

static __always_inline __u64 tt_task_mntns(struct task_struct *task)
{
	struct nsproxy *ns = task->nsproxy;
	/* NULL once the task has left its namespaces on exit */
	if (!ns)
		return 0;
	return ns->mnt_ns->ns.inum;
}

/* cgroup v2 id, what bpf_get_current_cgroup_id() returns, without the call */
static __always_inline __u64 tt_task_cgroup_id(struct task_struct *task)
{
	return task->cgroups->dfl_cgrp->kn->id;
}

#endif /* TAILTRACE_KERNEL_BPF_H */
