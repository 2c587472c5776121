// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tailtrace recorder module: one loaded copy per slot, with its own ring.
 * Never attached: the dispatcher tail-calls tt_record_enter/tt_record_exit
 * (tp_btf programs for sys_enter/sys_exit like the dispatcher's: a prog
 * array only takes programs of the caller's type and prototype).
 *
 * Writing an event: plan the payloads the syscall carries, read them from
 * user memory into per-CPU scratch, then reserve all cells of the event at
 * once (one atomic add on this CPU's head) so the event cell and its payload
 * cells are contiguous even if another task's syscall on this CPU runs
 * in between, and write them. The sequence number of a cell is stored last;
 * x86 keeps stores in order, barrier() keeps the compiler from reordering.
 */
#include "kernel.bpf.h"
#include "tailtrace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define barrier() asm volatile("" ::: "memory")

/* Set before load. cells_per_cpu is a power of two; cell_mask = cells_per_cpu - 1. */
const volatile __u32 cells_per_cpu = 1024;
const volatile __u32 cell_mask = 1023;
const volatile __u32 capture_bytes = 128;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2048); /* cells_per_cpu * possible CPUs, set at load */
	__type(key, __u32);
	__type(value, struct tt_enter);
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tt_ring_ctl);
} ring_ctl SEC(".maps");

struct capture {
	__u32 len;   /* bytes in scratch */
	__u16 flags; /* TT_FLAG_* */
	__u8 arg;
	__u8 cells;
};

struct event {
	struct capture cap[TT_MAX_PAYLOADS];
	__u32 ncap;
	__u32 cells; /* payload cells */
};

/* Room for TT_MAX_PAYLOADS captures; each stride has one cell of slack so a
 * chunk copy of TT_PAYLOAD_DATA bytes never leaves the value. */
#define STRIDE (TT_MAX_CAPTURE + TT_PAYLOAD_DATA)
struct scratch {
	/* the core variant hands the event to write_payloads_core() here */
	struct event ev;
	struct tt_header proto;
	__u8 data[TT_MAX_PAYLOADS][STRIDE];
};

/* Separate scratch for enter and exit: the kernel does not nest a program
 * on one CPU (bpf_prog->active), but sys_exit of another task may run
 * while this task's sys_enter program is preempted. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

enum cap_kind { CAP_NONE = 0, CAP_STR = 1, CAP_BUF = 2, CAP_ARGV = 3 };
/* A plan is up to three captures, one byte each: kind:2 arg:3 len_arg:3. */
#define CAP(kind, arg, len_arg) ((__u32)(((kind) << 6) | ((arg) << 3) | (len_arg)))
#define STR(arg) CAP(CAP_STR, arg, 0)
#define BUF(arg, len_arg) CAP(CAP_BUF, arg, len_arg)
#define ARGV(arg) CAP(CAP_ARGV, arg, 0)
#define P2(a, b) ((a) | ((b) << 8))

/* Payloads at enter: paths and argv (strings), write-like buffers (length in
 * another argument). x86_64 numbers, then i386 numbers for compat calls. */
static __always_inline __u32 enter_plan(__u32 nr, int compat)
{
	if (compat) {
		switch (nr) {
		case 4: return BUF(1, 2);                  /* write */
		case 5: case 8: case 10: case 12: case 15: /* open creat unlink chdir chmod */
		case 33: case 39: case 40: case 106: case 107: case 195: case 196: /* access mkdir rmdir stat lstat stat64 lstat64 */
			return STR(0);
		case 11: return P2(STR(0), ARGV(1));       /* execve */
		case 38: return P2(STR(0), STR(1));        /* rename */
		case 295: case 296: case 300: case 301: case 307: /* openat mkdirat fstatat64 unlinkat faccessat */
			return STR(1);
		}
		return 0;
	}
	switch (nr) {
	case 1: case 18: case 44: return BUF(1, 2);    /* write pwrite64 sendto */
	case 2: case 4: case 6: case 21: case 76: case 80: case 83: case 84: case 85: case 87:
	case 89: case 90: case 92: case 94: case 161: case 166:
		/* open stat lstat access truncate chdir mkdir rmdir creat unlink
		 * readlink chmod chown lchown chroot umount2 */
		return STR(0);
	case 59: return P2(STR(0), ARGV(1));           /* execve */
	case 322: return P2(STR(1), ARGV(2));          /* execveat */
	case 82: case 86: case 88: case 165: return P2(STR(0), STR(1)); /* rename link symlink mount */
	case 257: case 258: case 259: case 260: case 262: case 263: case 267: case 268:
	case 269: case 280: case 332: case 437: case 439:
		/* openat mkdirat mknodat fchownat newfstatat unlinkat readlinkat
		 * fchmodat faccessat utimensat statx openat2 faccessat2 */
		return STR(1);
	case 264: case 265: case 316: return P2(STR(1), STR(3)); /* renameat linkat renameat2 */
	case 266: return P2(STR(0), STR(2));           /* symlinkat */
	}
	return 0;
}

/* Payloads at exit: read-like buffers, as many bytes as the call returned. */
static __always_inline __u32 exit_plan(__u32 nr, int compat)
{
	if (compat)
		return nr == 3 ? BUF(1, 0) : 0; /* read */
	switch (nr) {
	case 0: case 17: case 45: return BUF(1, 0); /* read pread64 recvfrom */
	}
	return 0;
}

static __always_inline __u32 cells_for(__u32 len)
{
	return len == 0 ? 1 : (len + TT_PAYLOAD_DATA - 1) / TT_PAYLOAD_DATA;
}

static __always_inline void take_string(struct event *ev, struct scratch *s, __u8 arg, __u64 uptr)
{
	__u32 i = ev->ncap;
	if (i >= TT_MAX_PAYLOADS)
		return;
	__u32 cap = capture_bytes;
	if (cap > TT_MAX_CAPTURE)
		cap = TT_MAX_CAPTURE;
	/* read one byte more than captured to learn whether it was truncated */
	long n = bpf_probe_read_user_str(s->data[i], cap + 1 <= STRIDE ? cap + 1 : STRIDE, (void *)uptr);
	struct capture *c = &ev->cap[i];
	c->arg = arg;
	c->flags = 0; /* transitional */
	if (n <= 0) {
		c->len = 0;
		c->flags |= TT_FLAG_FAULT;
	} else {
		__u32 len = n - 1; /* without the NUL */
		if (len > cap) {
			len = cap;
			c->flags |= TT_FLAG_TRUNCATED;
		}
		c->len = len;
	}
	c->cells = cells_for(c->len);
	ev->cells += c->cells;
	ev->ncap = i + 1;
}

static __always_inline void take_buffer(struct event *ev, struct scratch *s, __u8 arg, __u64 uptr, __s64 size)
{
	__u32 i = ev->ncap;
	if (i >= TT_MAX_PAYLOADS || size <= 0)
		return;
	__u32 cap = capture_bytes;
	if (cap > TT_MAX_CAPTURE)
		cap = TT_MAX_CAPTURE;
	struct capture *c = &ev->cap[i];
	c->arg = arg;
	c->flags = 0;
	__u32 len = size > cap ? cap : (__u32)size;
	if (size > cap)
		c->flags |= TT_FLAG_TRUNCATED;
	if (len > TT_MAX_CAPTURE)
		len = TT_MAX_CAPTURE;
	if (bpf_probe_read_user(s->data[i], len, (void *)uptr)) {
		len = 0;
		c->flags |= TT_FLAG_FAULT;
	}
	c->len = len;
	c->cells = cells_for(len);
	ev->cells += c->cells;
	ev->ncap = i + 1;
}

static __always_inline void take_argv(struct event *ev, struct scratch *s, __u64 uargv, int compat)
{
	for (int j = 0; j < TT_ARGV_MAX; j++) {
		__u64 p = 0;
		if (compat) {
			__u32 p32 = 0;
			if (bpf_probe_read_user(&p32, 4, (void *)(uargv + 4 * j)))
				return;
			p = p32;
		} else if (bpf_probe_read_user(&p, 8, (void *)(uargv + 8 * j))) {
			return;
		}
		if (!p)
			return;
		take_string(ev, s, TT_ARG_ARGV + j, p);
	}
}

static __always_inline void plan_captures(struct event *ev, struct scratch *s, __u32 plan,
					  const __u64 args[6], __s64 ret, int compat)
{
	for (int k = 0; k < 3; k++) {
		__u8 c = (plan >> (8 * k)) & 0xff;
		__u8 kind = c >> 6, arg = (c >> 3) & 7, len_arg = c & 7;
		if (arg > 5 || len_arg > 5)
			return;
		if (kind == CAP_STR)
			take_string(ev, s, arg, args[arg]);
		else if (kind == CAP_ARGV)
			take_argv(ev, s, args[arg], compat);
		else if (kind == CAP_BUF)
			/* at exit the length is the return value (plan sets len_arg 0 and
			 * passes ret); at enter it is the length argument */
			take_buffer(ev, s, arg, args[arg], ret >= 0 ? ret : (__s64)args[len_arg]);
	}
}

/* Reserve n cells on this CPU; returns the first position (0-based). */
static __always_inline __u64 reserve(struct tt_ring_ctl *ctl, __u32 cpu, __u32 n)
{
	/* The caller checked cpu < TT_MAX_CPUS, so clang drops the mask below;
	 * but the 6.1 verifier loses that bound when cpu is spilled to the stack
	 * as 32 bits ("unbounded memory access"). The empty asm hides what the
	 * compiler knows, so the mask stays right before the access. */
	asm volatile("" : "+r"(cpu));
	struct tt_head *h = &ctl->heads[cpu & (TT_MAX_CPUS - 1)];
#ifdef TT_VARIANT_CORE
	/* No BPF_FETCH before kernel 5.12. A plain add is safe: the region is
	 * this CPU's, and syscall tracepoints run their programs with preemption
	 * disabled on these kernels, so no other writer of this head runs. */
	__u64 pos = h->head;
	h->head = pos + n;
	return pos;
#else
	return __sync_fetch_and_add(&h->head, n);
#endif
}

static __always_inline void *cell_at(__u32 cpu, __u64 pos)
{
	__u32 idx = cpu * cells_per_cpu + (__u32)(pos & cell_mask);
	return bpf_map_lookup_elem(&ring, &idx);
}

static __always_inline void fill_header(struct tt_header *h, __u32 gen, __u16 kind, __u16 flags,
					__u64 ts, __u32 pid, __u32 tid, __u32 nr, __u32 cpu)
{
	h->gen = gen;
	h->kind = kind;
	h->flags = flags;
	h->ts_ns = ts;
	h->pid = pid;
	h->tid = tid;
	h->nr = nr;
	h->cpu = cpu;
	h->len = 0;
}

struct chunk_ctx {
	struct scratch *s;
	struct tt_header proto; /* header fields every payload cell repeats */
	__u64 pos;   /* ring position of the next cell */
	__u32 cpu;
	__u32 cap;   /* capture index */
	__u32 len;   /* bytes of this capture */
	__u16 parts;
	__u16 flags;
	__u8 arg;
};

/* Cells one capture needs at most. */
#define MAX_PARTS ((TT_MAX_CAPTURE + TT_PAYLOAD_DATA - 1) / TT_PAYLOAD_DATA)

#ifdef TT_VARIANT_CORE
static __always_inline
#else
static
#endif
long write_chunk(__u64 part, struct chunk_ctx *x)
{
	struct tt_payload *p = cell_at(x->cpu, x->pos + part);
	if (!p)
		return 1;
	__u32 cap = x->cap;
	__u32 off = (__u32)part * TT_PAYLOAD_DATA;
	if (cap >= TT_MAX_PAYLOADS || off > TT_MAX_CAPTURE)
		return 1;
	__u32 n = x->len > off ? x->len - off : 0;
	if (n > TT_PAYLOAD_DATA)
		n = TT_PAYLOAD_DATA;
	p->h.seq = 0;
	barrier();
	p->h = x->proto;
	p->h.seq = 0;
	p->h.len = n;
	p->h.flags = x->flags;
	p->arg = x->arg;
	p->part = part;
	p->parts = x->parts;
	p->total = x->len;
	bpf_probe_read_kernel(p->data, TT_PAYLOAD_DATA, &x->s->data[cap][off]);
	barrier();
	p->h.seq = x->pos + part + 1;
	return 0;
}

/* Points the chunk writer at capture i of the event. */
static __always_inline void select_capture(struct chunk_ctx *x, const struct capture *c, __u32 i)
{
	x->cap = i;
	x->len = c->len;
	x->parts = c->cells;
	x->flags = c->flags;
	x->arg = c->arg;
}

#ifdef TT_VARIANT_CORE
/*
 * No bpf_loop before 5.17, and bounded loops inlined into record() make the
 * verifier walk them once for every way of reaching them (each syscall's
 * plan, each capture length): it gives up at a million instructions. A
 * global function is verified once, on its own, with unknown arguments
 * (5.6; only scalars and the context as arguments before 5.12): the event
 * waits in the per-CPU scratch map.
 */
__noinline int write_payloads_core(__u32 which, __u32 cpu, __u64 pos)
{
	struct scratch *s = bpf_map_lookup_elem(&scratch, &which);
	if (!s)
		return 0;
	struct chunk_ctx x = { .s = s, .proto = s->proto, .pos = pos, .cpu = cpu };
	__u32 ncap = s->ev.ncap;
	for (__u32 i = 0; i < TT_MAX_PAYLOADS; i++) {
		if (i >= ncap)
			break;
		struct capture *c = &s->ev.cap[i];
		select_capture(&x, c, i);
		for (__u32 part = 0; part < MAX_PARTS; part++)
			if (part >= c->cells || write_chunk(part, &x))
				break;
		x.pos += c->cells;
	}
	return 0;
}
#endif

static __always_inline void write_payloads(struct event *ev, struct chunk_ctx *x, __u32 which)
{
#ifdef TT_VARIANT_CORE
	x->s->ev = *ev;
	x->s->proto = x->proto;
	write_payloads_core(which, x->cpu, x->pos);
#else
	for (int i = 0; i < TT_MAX_PAYLOADS; i++) {
		if (i >= ev->ncap)
			break;
		struct capture *c = &ev->cap[i];
		select_capture(x, c, i);
		bpf_loop(c->cells, write_chunk, x, 0); /* kernel 5.17 */
		x->pos += c->cells;
	}
#endif
}

static __always_inline int record(__u64 *ctx, int is_exit)
{
	__u32 zero = 0;
	struct tt_ring_ctl *ctl = bpf_map_lookup_elem(&ring_ctl, &zero);
	if (!ctl || !ctl->enabled)
		return 0;
	__u32 cpu = bpf_get_smp_processor_id();
	if (cpu >= TT_MAX_CPUS)
		return 0;

	struct pt_regs *regs = (struct pt_regs *)ctx[0];
	struct task_struct *task = tt_task();
	/* at exit the tracepoint's second argument is the return value; the
	 * syscall number is then only in orig_ax */
	__u32 nr = is_exit ? (__u32)regs->orig_ax : (__u32)ctx[1];
	__s64 ret = is_exit ? (__s64)ctx[1] : -1;
	/* -1: no syscall, e.g. the exit of rt_sigreturn, which restores the
	 * interrupted registers with orig_ax = -1; the kernel's own syscall
	 * trace events skip these too. */
	if ((int)nr < 0)
		return 0;
	int compat = tt_task_compat(task);

	struct event ev = {};
	__u32 plan = is_exit ? exit_plan(nr, compat) : enter_plan(nr, compat);
	struct scratch *s = 0;
	__u64 args[6];
	tt_syscall_args(regs, compat, args);
	if (plan && (!is_exit || ret > 0)) {
		__u32 which = is_exit;
		s = bpf_map_lookup_elem(&scratch, &which);
		if (!s) {
			__sync_fetch_and_add(&ctl->drops, 1);
			return 0;
		}
		plan_captures(&ev, s, plan, args, is_exit ? ret : -1, compat);
	}

	__u32 gen = ctl->gen;
	__u64 ts = bpf_ktime_get_ns();
	__u32 pid, tid;
	tt_task_ids(task, &pid, &tid);
	__u16 flags = compat ? TT_FLAG_COMPAT : 0;
	__u64 pos = reserve(ctl, cpu, 1 + ev.cells);

	struct tt_enter *e = cell_at(cpu, pos);
	if (!e) {
		__sync_fetch_and_add(&ctl->drops, 1);
		return 0;
	}
	e->h.seq = 0;
	barrier();
	fill_header(&e->h, gen, is_exit ? TT_KIND_EXIT : TT_KIND_ENTER, flags, ts, pid, tid, nr, cpu);
	if (is_exit) {
		struct tt_exit *x = (struct tt_exit *)e;
		x->ret = ret;
		x->payload_cells = ev.cells;
		x->cgroup_id = tt_task_cgroup_id(task);
	} else {
		__builtin_memcpy(e->args, args, sizeof(args));
		tt_task_comm(task, e->comm);
		e->cgroup_id = tt_task_cgroup_id(task);
		e->payload_cells = ev.cells;
	}
	barrier();
	e->h.seq = pos + 1;

	if (ev.ncap && s) {
		struct chunk_ctx x = { .s = s, .pos = pos + 1, .cpu = cpu };
		fill_header(&x.proto, gen, TT_KIND_PAYLOAD, flags, ts, pid, tid, nr, cpu);
		write_payloads(&ev, &x, is_exit);
	}
	return 0;
}

SEC("tp_btf/sys_enter")
int tt_record_enter(__u64 *ctx)
{
	return record(ctx, 0);
}

SEC("tp_btf/sys_exit")
int tt_record_exit(__u64 *ctx)
{
	return record(ctx, 1);
}
