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
struct thread_info {
	__u32 status;
};
struct task_struct {
	struct thread_info thread_info;
	struct nsproxy *nsproxy;
};
#pragma clang attribute pop

#if defined(__TARGET_ARCH_x86)
/*
 * x86_64 struct pt_regs: the first 16 words are the syscall entry frame,
 * the same layout as the ptrace ABI's user_regs_struct, so it is read as one
 * block with a single bpf_probe_read_kernel (one helper call instead of six
 * CO-RE reads on the hot path).
 */
struct tt_regs {
	__u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax;
};
/* TS_COMPAT in thread_info.status: the task is in a 32-bit (i386) syscall. */
#define TT_TS_COMPAT 0x0002

static __always_inline void tt_syscall_args(const struct tt_regs *r, int compat, __u64 a[6])
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

static __always_inline int tt_task_compat(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	return (BPF_CORE_READ(task, thread_info.status) & TT_TS_COMPAT) != 0;
}
#else
#error "tailtrace's recorder decodes syscall registers for x86_64 only so far"
#endif

static __always_inline __u64 tt_task_mntns(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
}

#endif /* TAILTRACE_KERNEL_BPF_H */
