#ifndef CTAILTRACE_H
#define CTAILTRACE_H
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <seccomp.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <bpf/btf.h>
#include "tailtrace.h"

/* libbpf's print callback takes a va_list, which Swift cannot receive:
 * route libbpf's messages through here (level filter: 0 warn, 1 info, 2 debug). */
void tt_libbpf_set_verbosity(int level);
/* Last libbpf warning/error message, for error reports. */
const char *tt_libbpf_last_message(void);
/* Set a `const volatile` global of a BPF object before load (by BTF name). */
int tt_set_rodata(struct bpf_object *obj, const char *var, const void *val, size_t size);
/* BPF_MAP_TYPE_QUEUE pop/push of a u32 (no key). */
int tt_pop_u32(int queue_fd, __u32 *value);
int tt_push_u32(int queue_fd, __u32 value);
#endif
