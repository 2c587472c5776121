// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel floor for the syscall benchmark: programs that do nothing, on the
 * same raw tracepoints as the tailtrace dispatcher (sys_enter, sys_exit; raw
 * tracepoints need kernel 4.17). What a syscall pays with these attached is
 * what the kernel charges for having any BPF program on raw_syscalls at all:
 * the tracepoint becomes active, syscall entry takes the slow path
 * (SYSCALL_WORK_SYSCALL_TRACEPOINT) and each event runs one BPF program.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("raw_tracepoint/sys_enter")
int floor_enter(void *ctx)
{
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int floor_exit(void *ctx)
{
	return 0;
}

/* The same with one bpf_ktime_get_ns() each (floor --clock): what the
 * recorder's two clock reads per syscall (enter time, exit duration) cost
 * on their own. */
SEC("raw_tracepoint/sys_enter")
int clock_enter(void *ctx)
{
	return bpf_ktime_get_ns() == 0;
}

SEC("raw_tracepoint/sys_exit")
int clock_exit(void *ctx)
{
	return bpf_ktime_get_ns() == 0;
}
