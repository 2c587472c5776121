#ifndef CTAILTRACE_H
#define CTAILTRACE_H
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <bpf/btf.h>
#include <zlib.h>
#include "tailtrace.h"

/* libbpf's print callback takes a va_list, which Swift cannot receive:
 * route libbpf's messages through here. Starts a new capture of libbpf's
 * warnings (a failed load's verifier log among them); messages up to `level`
 * (0 warn, 1 info, 2 debug) also go to stderr. */
void tt_libbpf_capture(int level);
/* A copy (free it) of the warnings captured since tt_libbpf_capture (the
 * last 64 KiB), or NULL without memory. */
char *tt_libbpf_log(void);
/* Atomically adds 1 to the first u32 of a BPF_F_MMAPABLE array. */
int tt_bump_epoch(int array_fd);
/* BPF_MAP_TYPE_QUEUE pop/push of a u32 (no key). */
int tt_pop_u32(int queue_fd, __u32 *value);
int tt_push_u32(int queue_fd, __u32 value);
#endif
