// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tailtrace recorder module: one loaded copy per slot, with its own ring.
 * Never attached: the dispatcher tail-calls tt_record_enter/tt_record_exit
 * (tp_btf programs for sys_enter/sys_exit like the dispatcher's: a prog
 * array only takes programs of the caller's type and prototype).
 *
 * Writing an event: plan the payloads the syscall carries, read them from
 * user memory into per-CPU scratch, then reserve all cells of the event at
 * once (one add on this CPU's head) so the event cell and its payload
 * cells are contiguous, and write them; an exit may go into its enter's
 * cell instead (open_enter). The sequence number of a cell is stored last;
 * x86 keeps stores in order, barrier() keeps the compiler from reordering.
 */
#include "kernel.bpf.h"
#include "tailtrace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

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

/* What record() learned from tt_plans: the captures of one event, in the
 * order their payloads follow the event cell. */
struct capture {
	__u64 size;  /* the object's own length (iov_len, addrlen), 0 if none */
	__u32 len;   /* bytes in scratch */
	__u16 flags; /* TT_FLAG_* */
	__u8 arg;
	__u8 kind;   /* enum tt_payload_kind */
	__u32 cells;
	__u32 _pad;
};

struct event {
	struct capture cap[TT_MAX_PAYLOADS];
	__u32 ncap;
	__u32 cells;       /* payload cells */
	__u32 retry_mask;  /* enter: plan entries that faulted, to read again at exit */
	__u32 faults;      /* payloads that stay faulted */
};

/* Room for TT_MAX_PAYLOADS captures; each stride has one cell of slack so a
 * chunk copy of TT_PAYLOAD_DATA bytes never leaves the value. */
#define STRIDE (TT_MAX_CAPTURE + TT_PAYLOAD_DATA)
struct scratch {
	struct event ev;
	struct tt_header proto;
	__u64 args[6];
	__u8 data[TT_MAX_PAYLOADS][STRIDE];
};

_Static_assert(STRIDE % 8 == 0 && __builtin_offsetof(struct scratch, data) % 8 == 0 &&
		       TT_MAX_CAPTURE + TT_PAYLOAD_DATA <= STRIDE,
	       "clear_past zeroes a capture's data by words, up to 72 bytes past TT_MAX_CAPTURE");

/* Scratch by side (`which`: 0 enter, 1 exit), per CPU; tracepoint programs
 * run with preemption disabled, so one event uses a CPU's entry at a time.
 * Shared by every slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* The current task as the dispatcher that tail-called this program read it
 * (see struct tt_current for why not here). */
static __always_inline struct tt_current *current_task(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&current, &zero);
}

/* The capture plan by syscall number (i386 numbers from
 * TT_PLAN_COMPAT_BASE), written by `tailtrace install` from
 * Sources/Shared/CapturePlan.swift. Shared by every slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TT_PLAN_ENTRIES);
	__type(key, __u32);
	__type(value, struct tt_plan);
} plans SEC(".maps");

/* A thread whose enter payloads faulted: the plan entries to read again at
 * its exit (the kernel faults the pages in during the call). Looked up only
 * while ring_ctl.retries says some thread of the slot waits. Shared by the
 * slots and keyed by tid, so an entry names the ring generation that
 * counted it: a thread unplugged while it blocked, moved to another
 * container, or whose tid was reused there, leaves an entry that the other
 * ring must not take off its own count (a waiting thread of that ring would
 * then not be looked up). */
struct retry {
	__u32 nr;
	__u32 mask;
	__u32 gen;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct retry);
} retries SEC(".maps");

static __always_inline __u32 cells_for(__u32 len)
{
	return len == 0 ? 1 : (len + TT_PAYLOAD_DATA - 1) / TT_PAYLOAD_DATA;
}

static __always_inline __u32 capture_limit(void)
{
	return capture_bytes > TT_MAX_CAPTURE ? TT_MAX_CAPTURE : capture_bytes;
}

/*
 * The capture functions are global (__noinline, not static): the verifier
 * checks each once on its own, with unknown scalar arguments, instead of
 * once for every way of reaching it (every plan entry, every kind, enter
 * and exit). Before 5.12 a global function takes scalars and the context
 * only, so each finds the event in the per-CPU scratch map by `which`
 * (0: enter, 1: exit). `desc` packs the payload's kind, arg and flags.
 */
#define DESC(kind, arg, flags) ((__u32)(kind) | ((__u32)(arg) << 8) | ((__u32)(flags) << 16))

static __always_inline struct capture *next_capture(struct scratch *s, __u32 desc, __u32 *i)
{
	*i = s->ev.ncap;
	if (*i >= TT_MAX_PAYLOADS)
		return 0;
	struct capture *c = &s->ev.cap[*i];
	c->kind = desc & 0xff;
	c->arg = (desc >> 8) & 0xff;
	c->flags = desc >> 16;
	c->size = 0;
	return c;
}

/* write_chunk copies whole chunks of TT_PAYLOAD_DATA bytes. Past a
 * capture's length the per-CPU scratch, which every slot shares, still
 * holds an older capture's bytes, maybe another container's: zero them to
 * the end of the capture's last chunk, so that a ring (and its archive and
 * export) holds nothing its own container did not pass. That end is under
 * 72 bytes past len: the word holding len keeps its bytes below len, and
 * the 8 words after it go (within the capture's stride: len <= 1024).
 * Straight-line stores, inline (+216 verified instructions per program
 * against a global function, whose call and map lookup cost ~10 ns per
 * capture); as a loop with bounds checks it cost +1,166 per module. */
static __always_inline void clear_past(struct scratch *s, __u64 i, __u64 len)
{
	if (i >= TT_MAX_PAYLOADS || len > TT_MAX_CAPTURE)
		return;
	__u64 *words = (__u64 *)&s->data[i][len & ~7u];
	words[0] &= (1ULL << ((len & 7) * 8)) - 1; /* little endian: the bytes below len */
#pragma unroll
	for (int k = 1; k <= TT_PAYLOAD_DATA / 8 - 1; k++)
		words[k] = 0;
}

static __always_inline void add_capture(struct scratch *s, struct capture *c, __u32 i)
{
	c->cells = cells_for(c->len);
	s->ev.cells += c->cells;
	s->ev.ncap = i + 1;
}

/* Returns 1 when the string could not be read. */
static __always_inline int string_into(struct scratch *s, __u32 which, __u32 desc, __u64 uptr)
{
	__u32 i;
	struct capture *c = next_capture(s, desc, &i);
	if (!c || i >= TT_MAX_PAYLOADS)
		return 0;
	__u32 cap = capture_limit();
	/* read one byte more than captured to learn whether it was truncated */
	long n = bpf_probe_read_user_str(s->data[i], cap + 1 <= STRIDE ? cap + 1 : STRIDE, (void *)uptr);
	int fault = n <= 0;
	__u32 len = fault ? 0 : n - 1; /* without the NUL */
	if (len > cap) {
		len = cap;
		c->flags |= TT_FLAG_TRUNCATED;
	}
	if (fault) {
		c->flags |= TT_FLAG_FAULT;
		s->ev.faults += which; /* at exit it stays faulted */
	}
	c->len = len;
	add_capture(s, c, i);
	clear_past(s, i, len);
	return fault;
}

/* `len` bytes at `uptr` (cut at the capture size), `size` the object's own
 * length. Returns 1 when they could not be read. */
static __always_inline int bytes_into(struct scratch *s, __u32 which, __u32 desc, __u64 uptr, __u32 len, __u64 size)
{
	__u32 i;
	struct capture *c = next_capture(s, desc, &i);
	if (!c || i >= TT_MAX_PAYLOADS)
		return 0;
	__u32 cap = capture_limit();
	if (len > cap) {
		len = cap;
		c->flags |= TT_FLAG_TRUNCATED;
	}
	if (len > TT_MAX_CAPTURE)
		len = TT_MAX_CAPTURE;
	int fault = len && bpf_probe_read_user(s->data[i], len, (void *)uptr) != 0;
	if (fault) {
		len = 0;
		c->flags |= TT_FLAG_FAULT;
		s->ev.faults += which; /* at exit it stays faulted */
	}
	c->len = len;
	c->size = size;
	add_capture(s, c, i);
	clear_past(s, i, len);
	return fault;
}

/*
 * The same as global functions, for the loops' steps and the msghdr's
 * parts. run_capture's own string and buffer cases, what most events
 * carry, take the inline bodies: a call and a map lookup less per capture
 * (~10 ns in bpf_stats here, where calls and returns go through retpolines
 * and SRSO "Safe RET") for +470 verified instructions per program.
 */
__noinline int take_string(__u32 which, __u32 desc, __u64 uptr)
{
	struct scratch *s = bpf_map_lookup_elem(&scratch, &which);
	return s ? string_into(s, which, desc, uptr) : 0;
}

__noinline int take_bytes(__u32 which, __u32 desc, __u64 uptr, __u32 len, __u64 size)
{
	struct scratch *s = bpf_map_lookup_elem(&scratch, &which);
	return s ? bytes_into(s, which, desc, uptr, len, size) : 0;
}

/*
 * run_capture's loops (iovec entries, argv strings) are steps of a
 * bpf_loop callback in the btf variant: a callback is verified once, where
 * the loops unrolled in run_capture were most of the instructions the
 * verifier walked for each recorder module (run_capture is verified once
 * per program). Kernels without bpf_loop (before 5.17, the core variant)
 * run the same steps in a bounded loop.
 */
#ifdef TT_VARIANT_CORE
#define TT_LOOP(n, step, ctx)                 \
	for (__u32 _j = 0; _j < (n); _j++)    \
		if (step(_j, ctx))            \
			break
#else
#define TT_LOOP(n, step, ctx) bpf_loop((n), step, ctx, 0)
#endif

struct iov_walk {
	__u64 uiov;
	__u64 count;
	__u64 budget; /* bytes left to take over all vectors */
	__u32 which;
	__u32 flags;
	int compat;
	int fault;
};

/* Entry j of a user array of `words`-word entries (1 or 2), the words
 * 32-bit for i386 (compat), else 64-bit, widened into out; nonzero when it
 * could not be read. (x86 is little endian: a compat entry's two words are
 * the low and high halves of one 64-bit load.) */
static __always_inline long read_user_entry(__u64 array, __u64 j, __u32 words, int compat, __u64 out[2])
{
	__u64 v[2] = {};
	if (compat) {
		long err = bpf_probe_read_user(v, words * 4, (void *)(array + words * 4 * j));
		out[0] = (__u32)v[0];
		out[1] = v[0] >> 32;
		return err;
	}
	out[1] = 0;
	return bpf_probe_read_user(out, words * 8, (void *)(array + words * 8 * j));
}

/* Vector j of an iovec array, cut at the capture size and the budget; 1
 * stops the walk. */
static long iov_step(__u64 j, struct iov_walk *w)
{
	if (j >= w->count || j >= TT_IOV_MAX)
		return 1;
	__u64 v[2]; /* base, len */
	if (read_user_entry(w->uiov, j, 2, w->compat, v)) {
		w->fault = 1;
		return 1;
	}
	__u64 n = v[1] < w->budget ? v[1] : w->budget;
	w->budget -= n;
	w->fault |= take_bytes(w->which, DESC(TT_PAYLOAD_IOV, TT_ARG_IOV + (__u32)j, w->flags), v[0],
			       n > TT_MAX_CAPTURE ? TT_MAX_CAPTURE + 1 : (__u32)n, v[1]);
	return 0;
}

/* The first TT_IOV_MAX vectors of an iovec array, each cut at the capture
 * size, at exit at most `budget` bytes in all (what the call read); i386
 * entries when `flags` has TT_FLAG_COMPAT. Global, so verified once on its
 * own rather than at each of run_capture's two uses (iovec, msghdr). */
__noinline int take_iovec(__u32 which, __u32 flags, __u64 uiov, __u64 count, __u64 budget)
{
	struct iov_walk w = {
		.uiov = uiov, .count = count, .budget = budget, .which = which, .flags = flags,
		.compat = (flags & TT_FLAG_COMPAT) != 0
	};
	TT_LOOP(TT_IOV_MAX, iov_step, &w);
	return w.fault;
}

struct argv_walk {
	__u64 uargv;
	__u32 which;
	__u32 flags;
	int compat;
	__u32 faults;
};

/* argv[j] of execve/execveat; 1 stops the walk (the NULL that ends argv,
 * or an unreadable entry). */
static long argv_step(__u64 j, struct argv_walk *w)
{
	if (j >= TT_ARGV_MAX)
		return 1;
	__u64 p[2];
	if (read_user_entry(w->uargv, j, 1, w->compat, p) || !p[0])
		return 1;
	/* argv is not read again at exit: a successful exec replaced it */
	if (take_string(w->which, DESC(TT_PAYLOAD_STRING, TT_ARG_ARGV + (__u32)j, w->flags), p[0]))
		w->faults++;
	return 0;
}

/* A length the plan names: an argument's value, the return value, or the
 * socklen_t an argument points to (at exit, what the kernel wrote back). */
static __always_inline __u64 plan_length(const struct scratch *s, __u8 len, __s64 ret)
{
	if (len < 6)
		return s->args[len];
	if (len == TT_LEN_RET)
		return ret > 0 ? ret : 0;
	if (len >= 8 && len < 14) {
		__u32 n = 0;
		bpf_probe_read_user(&n, sizeof(n), (void *)s->args[len - 8]);
		return n;
	}
	return 0;
}

/* Runs one plan entry (a struct tt_capture_spec packed in `spec`) against
 * the arguments in scratch. Returns 1 when something could not be read. */
__noinline int run_capture(__u32 which, __u32 spec, __s64 ret, __u32 flags)
{
	struct scratch *s = bpf_map_lookup_elem(&scratch, &which);
	if (!s)
		return 0;
	__u8 kind = spec & 0xff, arg = (spec >> 8) & 0xff, len = (spec >> 16) & 0xff;
	int compat = flags & TT_FLAG_COMPAT;
	int at_exit = which == 1;
	if (arg > 5)
		return 0;
	__u64 uptr = s->args[arg];
	/* at exit, a failed call filled nothing in; but what it was given
	 * (an enter capture read again) is still there */
	if (at_exit && ret < 0 && !(flags & TT_FLAG_AT_EXIT))
		return 0;
	__u64 n = plan_length(s, len, ret);
	/* what a read-like call returned bounds what it filled in */
	__u64 budget = at_exit && !(flags & TT_FLAG_AT_EXIT) ? (__u64)ret : ~0ULL;
	switch (kind) {
	case TT_CAP_STRING:
		return string_into(s, which, DESC(TT_PAYLOAD_STRING, arg, flags), uptr);
	case TT_CAP_BUFFER:
	case TT_CAP_SOCKADDR: {
		/* one inline copy of bytes_into for both */
		int sockaddr = kind == TT_CAP_SOCKADDR;
		if (n == 0 || (sockaddr && !uptr))
			return 0;
		return bytes_into(s, which, DESC(sockaddr ? TT_PAYLOAD_SOCKADDR : TT_PAYLOAD_BUFFER, arg, flags), uptr,
				  n > TT_MAX_CAPTURE ? TT_MAX_CAPTURE + 1 : (__u32)n, sockaddr ? n : 0);
	}
	case TT_CAP_IOVEC:
		return take_iovec(which, flags, uptr, n, budget);
	case TT_CAP_ARGV: {
		struct argv_walk w = { .uargv = uptr, .which = which, .flags = flags, .compat = compat };
		TT_LOOP(TT_ARGV_MAX, argv_step, &w);
		s->ev.faults += w.faults;
		return 0;
	}
	case TT_CAP_MSGHDR: {
		/* struct user_msghdr: name, namelen, iov, iovlen at 0, 8, 16, 24
		 * (compat_msghdr: 0, 4, 8, 12, all 32-bit) */
		__u32 size = compat ? 28 : 56;
		if (take_bytes(which, DESC(TT_PAYLOAD_MSGHDR, arg, flags), uptr, size, size))
			return 1;
		__u64 m[4] = {};
		__u32 i = s->ev.ncap - 1;
		if (i >= TT_MAX_PAYLOADS)
			return 0;
		if (compat) {
			__u32 m32[4];
			__builtin_memcpy(m32, s->data[i], sizeof(m32));
			m[0] = m32[0]; m[1] = m32[1]; m[2] = m32[2]; m[3] = m32[3];
		} else {
			__builtin_memcpy(m, s->data[i], sizeof(m));
		}
		int fault = 0;
		__u32 namelen = (__u32)m[1];
		if (m[0] && namelen)
			fault |= take_bytes(which, DESC(TT_PAYLOAD_SOCKADDR, TT_ARG_MSG_NAME, flags), m[0],
					    namelen > TT_MAX_CAPTURE ? TT_MAX_CAPTURE + 1 : namelen, namelen);
		return fault | take_iovec(which, flags, m[2], m[3], budget);
	}
	}
	return 0;
}

static __always_inline __u32 pack_spec(const struct tt_capture_spec *c)
{
	return c->kind | ((__u32)c->arg << 8) | ((__u32)c->len << 16);
}

/* Runs the plan entries in `mask` of one side of a plan; returns the mask
 * of those that faulted. */
static __always_inline __u32 run_plan(__u32 which, const struct tt_capture_spec *specs, __u32 mask, __s64 ret,
				      __u32 flags)
{
	__u32 faulted = 0;
	for (int k = 0; k < TT_PLAN_CAPTURES; k++) {
		if (!specs[k].kind || !(mask & (1u << k)))
			continue;
		if (run_capture(which, pack_spec(&specs[k]), ret, flags))
			faulted |= 1u << k;
	}
	return faulted;
}

/* This CPU's ring head. */
static __always_inline struct tt_head *head_of(struct tt_ring_ctl *ctl, __u32 cpu)
{
	/* The caller checked cpu < TT_MAX_CPUS, so clang drops the mask below;
	 * but the 5.10 and 6.1 verifiers lose that bound when cpu is spilled to
	 * the stack as 32 bits ("unbounded memory access"). The empty asm hides
	 * what the compiler knows, so the mask stays right before the access. */
	asm volatile("" : "+r"(cpu));
	return &ctl->heads[cpu & (TT_MAX_CPUS - 1)];
}

/* Reserve n cells on this CPU; returns the first position (0-based). A
 * plain add: the region is this CPU's, and the kernel runs tracepoint
 * programs with preemption disabled (syscall tracepoints, faultable since
 * 6.13, disable it for BPF probes themselves), so no other writer of this
 * head runs meanwhile; a locked add would cost for nothing. */
static __always_inline __u64 reserve(struct tt_ring_ctl *ctl, __u32 cpu, __u32 n)
{
	struct tt_head *h = head_of(ctl, cpu);
	__u64 pos = h->head;
	h->head = pos + n;
	return pos;
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
	__u64 size;
	__u16 parts;
	__u16 flags;
	__u8 arg;
	__u8 kind;
};

/* Cells one capture needs at most. */
#define MAX_PARTS ((TT_MAX_CAPTURE + TT_PAYLOAD_DATA - 1) / TT_PAYLOAD_DATA)

static __always_inline long write_chunk(__u64 part, struct chunk_ctx *x)
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
	p->kind = x->kind;
	p->total = x->len;
	p->size = x->size;
	/* map value to map value, bounds known: plain loads and stores, no
	 * helper call (on a VM with retpolines each costs tens of ns) */
	__builtin_memcpy(p->data, &x->s->data[cap][off], TT_PAYLOAD_DATA);
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
	x->kind = c->kind;
	x->size = c->size;
}

#ifndef TT_VARIANT_CORE
/* bpf_loop callback: chunk 1 + k of a capture (write_capture writes the
 * first itself). A callback is verified once; the verifier (6.0) inlines
 * the loop, which calls it. */
static long write_later_chunk(__u64 k, struct chunk_ctx *x)
{
	return write_chunk(k + 1, x);
}
#endif

/* Capture i's chunks: the first without a call (most captures are one
 * cell), the others by bpf_loop (a bounded loop in the core variant). */
static __always_inline long write_capture(__u64 i, struct chunk_ctx *x)
{
	if (i >= TT_MAX_PAYLOADS)
		return 1;
	struct capture *c = &x->s->ev.cap[i];
	select_capture(x, c, i);
	if (write_chunk(0, x) == 0 && c->cells > 1) {
#ifdef TT_VARIANT_CORE
		for (__u32 part = 1; part < MAX_PARTS; part++)
			if (part >= c->cells || write_chunk(part, x))
				break;
#else
		bpf_loop(c->cells - 1, write_later_chunk, x, 0);
#endif
	}
	x->pos += c->cells;
	return 0;
}

#ifndef TT_VARIANT_CORE
/* bpf_loop callback: capture 1 + k (write_payloads writes the first). A
 * callback is verified once, where a loop unrolled over TT_MAX_PAYLOADS
 * captures made the verifier walk each iteration's paths. */
static long write_later_capture(__u64 k, struct chunk_ctx *x)
{
	return write_capture(k + 1, x);
}
#endif

/*
 * The payload cells of the event in scratch `which` (header fields in its
 * proto), from ring position pos on. Global: verified once, on its own,
 * with unknown arguments (5.6; only scalars and the context as arguments
 * before 5.12: the event waits in the per-CPU scratch map). Inlined into
 * record() it was walked once for every way of reaching it: twice the
 * verified instructions per module in the btf variant, and bounded loops
 * there made the 5.10 verifier give up at a million. The call and the
 * lookup cost ~15 ns against inline; the first capture's first chunk is
 * written without another call, where bpf_loop for it made two (~30 ns:
 * bpf_stats of a 16 KiB pread's exit, side by side).
 */
__noinline int write_payloads(__u32 which, __u32 cpu, __u64 pos)
{
	struct scratch *s = bpf_map_lookup_elem(&scratch, &which);
	if (!s)
		return 0;
	struct chunk_ctx x = { .s = s, .proto = s->proto, .pos = pos, .cpu = cpu };
	__u32 ncap = s->ev.ncap;
	if (!ncap || write_capture(0, &x))
		return 0;
#ifdef TT_VARIANT_CORE
	for (__u32 i = 1; i < TT_MAX_PAYLOADS; i++)
		if (i >= ncap || write_capture(i, &x))
			break;
#else
	if (ncap > 1)
		bpf_loop(ncap - 1, write_later_capture, &x, 0); /* kernel 5.17 */
#endif
	return 0;
}

static __always_inline void count_payloads(struct tt_ring_ctl *ctl, __u32 cpu, const struct event *ev)
{
	struct tt_head *h = head_of(ctl, cpu);
	h->payloads += ev->ncap; /* this CPU's line; a rare lost count is harmless */
	h->faults += ev->faults;
}

/* Plans the payloads of this syscall into scratch `which`: at enter the
 * plan's enter side; at exit its exit side and, for a thread whose enter
 * payloads faulted, those entries again. Returns the scratch, or NULL
 * when the event has no payloads. */
static __always_inline struct scratch *plan_payloads(struct tt_ring_ctl *ctl, __u32 nr, int compat,
						     const struct pt_regs *regs, const __u64 args[6], __s64 ret,
						     __u32 tid, int is_exit)
{
	__u32 idx = nr + (compat ? TT_PLAN_COMPAT_BASE : 0);
	if (idx >= TT_PLAN_ENTRIES)
		return 0;
	struct tt_plan *plan = bpf_map_lookup_elem(&plans, &idx);
	if (!plan)
		return 0;
	__u32 retry = 0;
	if (is_exit && ctl->retries) {
		struct retry *r = bpf_map_lookup_elem(&retries, &tid);
		if (r) {
			if (r->gen == ctl->gen) {
				retry = r->nr == nr ? r->mask : 0;
				__sync_fetch_and_add(&ctl->retries, -1);
			}
			bpf_map_delete_elem(&retries, &tid);
		}
	}
	struct tt_capture_spec *side = is_exit ? plan->exit : plan->enter;
	if (!side[0].kind && !retry)
		return 0;
	__u32 which = is_exit;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &which);
	if (!s) {
		__sync_fetch_and_add(&ctl->drops, 1);
		return 0;
	}
	/* the counters only: a capture entry is written whole before it is read
	 * (next_capture, take_*, add_capture) */
	s->ev.ncap = 0;
	s->ev.cells = 0;
	s->ev.retry_mask = 0;
	s->ev.faults = 0;
	/* an exit reads the arguments only here, when it has payloads */
	if (is_exit)
		tt_syscall_args(regs, compat, s->args);
	else
		__builtin_memcpy(s->args, args, sizeof(s->args));
	__u32 flags = compat ? TT_FLAG_COMPAT : 0;
	if (retry)
		run_plan(which, plan->enter, retry, ret, flags | TT_FLAG_AT_EXIT);
	__u32 faulted = run_plan(which, side, ~0u, ret, flags);
	if (!is_exit && faulted) {
		struct retry r = { .nr = nr, .mask = faulted, .gen = ctl->gen };
		if (bpf_map_update_elem(&retries, &tid, &r, BPF_ANY) == 0)
			__sync_fetch_and_add(&ctl->retries, 1);
	}
	return s->ev.ncap ? s : 0;
}

/* This CPU's newest enter, when it is still intact (not overwritten, its
 * exit not written) and thread tid's; NULL otherwise. */
static __always_inline struct tt_enter *newest_enter(struct tt_head *hd, __u32 cpu, __u32 tid)
{
	__u64 open = hd->open;
	struct tt_enter *e = open ? cell_at(cpu, open - 1) : 0;
	if (!e || e->h.seq != open || e->h.tid != tid)
		return 0;
	return e;
}

/*
 * One record per syscall (see TT_SEQ_DONE): the exit of tid's syscall nr
 * goes into its enter's cell when that enter is still this CPU's newest
 * record (nothing reserved after its payloads), under 2^32 ns ago, and the
 * task has not moved to another CPU since it was written (its migration
 * count, kept in the cell's exit_dt_ns until the exit): a thread whose
 * earlier call returned on another CPU, and whose new call entered there
 * and came back here, must not complete its old enter. On one
 * CPU nothing else writes the region meanwhile: the kernel runs
 * syscall-tracepoint programs with preemption disabled (bpf_trace_run;
 * since 6.13, where these tracepoints may fault, the BPF probe disables it
 * itself). Returns that enter, or NULL: the exit is a cell of its own.
 */
static __always_inline struct tt_enter *open_enter(struct tt_ring_ctl *ctl, __u32 cpu, __u32 gen, __u32 tid,
						   __u32 nr, __u16 flags, __u64 ts, __u32 migrations)
{
	struct tt_head *hd = head_of(ctl, cpu);
	struct tt_enter *e = newest_enter(hd, cpu, tid);
	if (!e || e->h.gen != gen || e->h.nr != nr || (e->h.flags & TT_FLAG_COMPAT) != flags ||
	    hd->head != hd->open + e->payload_cells || e->exit_dt_ns != migrations || (ts - e->h.ts_ns) >> 32)
		return 0;
	hd->open = 0;
	return e;
}

/* x86_64 rt_sigreturn; i386 sigreturn and rt_sigreturn */
#define TT_NR_RT_SIGRETURN 15
#define TT_NR_SIGRETURN_32 119
#define TT_NR_RT_SIGRETURN_32 173

/* The sigreturn an exit without a syscall number ends: the syscall of the
 * thread's open enter on this CPU when it is one (0: none). */
static __always_inline __u32 sigreturn_nr(struct tt_ring_ctl *ctl, __u32 cpu, __u32 tid, int compat)
{
	struct tt_enter *e = newest_enter(head_of(ctl, cpu), cpu, tid);
	__u32 nr = e ? e->h.nr : 0;
	if (compat ? nr == TT_NR_SIGRETURN_32 || nr == TT_NR_RT_SIGRETURN_32 : nr == TT_NR_RT_SIGRETURN)
		return nr;
	return 0;
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

	struct tt_current *cur = current_task();
	if (!cur)
		return 0;
	struct pt_regs *regs = (struct pt_regs *)ctx[0];
	/* at exit the tracepoint's second argument is the return value; the
	 * syscall number is then only in orig_ax */
	__u32 nr = is_exit ? (__u32)regs->orig_ax : (__u32)ctx[1];
	__s64 ret = is_exit ? (__s64)ctx[1] : -1;
	__u16 flags = cur->flags;
	int compat = flags & TT_FLAG_COMPAT;
	__u32 pid = cur->pid, tid = cur->tid;
	/* -1: no syscall number, the exit of rt_sigreturn (or i386 sigreturn),
	 * which restored the interrupted registers, orig_ax included (the
	 * kernel's own syscall trace events skip it). Its enter, this thread's
	 * newest record, tells which; its result is the restored ax, what
	 * strace prints. Anything else without a number is skipped. */
	if ((int)nr < 0 && (!is_exit || !(nr = sigreturn_nr(ctl, cpu, tid, compat))))
		return 0;

	__u64 args[6];
	if (!is_exit)
		tt_syscall_args(regs, compat, args);
	struct scratch *s = plan_payloads(ctl, nr, compat, regs, args, ret, tid, is_exit);
	__u32 payload_cells = s ? s->ev.cells : 0;

	__u32 gen = ctl->gen;
	__u64 ts = bpf_ktime_get_ns();
	__u32 migrations = cur->migrations;
	struct tt_enter *merged = is_exit ? open_enter(ctl, cpu, gen, tid, nr, flags, ts, migrations) : 0;
	/* payload cells follow their event's cell; a merged exit's follow the
	 * enter's, and carry the enter's time (their owner's) */
	__u64 pos = reserve(ctl, cpu, (merged ? 0 : 1) + payload_cells);
	__u64 owner_ts = ts;
	__u64 first_payload = pos + 1;
	if (merged) {
		owner_ts = merged->h.ts_ns;
		first_payload = pos;
	} else {
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
			x->payload_cells = payload_cells;
			x->cgroup_id = cur->cgroup_id;
		} else {
			__builtin_memcpy(e->args, args, sizeof(args));
			__builtin_memcpy(e->comm, cur->comm, TT_COMM_LEN);
			e->cgroup_id = cur->cgroup_id;
			e->payload_cells = payload_cells;
			/* the other exit fields stay stale until TT_SEQ_DONE */
			e->exit_dt_ns = migrations;
		}
		barrier();
		e->h.seq = pos + 1;
		if (!is_exit)
			head_of(ctl, cpu)->open = pos + 1;
	}

	if (s) {
		fill_header(&s->proto, gen, TT_KIND_PAYLOAD, flags, owner_ts, pid, tid, nr, cpu);
		write_payloads(is_exit, cpu, first_payload);
		count_payloads(ctl, cpu, &s->ev);
	}
	if (merged) {
		/* after the payloads and every field a reader takes from a done
		 * cell: the done bit */
		merged->exit_payload_cells = payload_cells;
		merged->exit_dt_ns = ts - owner_ts;
		merged->ret = ret;
		barrier();
		merged->h.seq |= TT_SEQ_DONE;
	}
	return 0;
}

/* Reserves this CPU's next cell for a one-cell record and fills its header
 * (seq 0 until publish()). */
static __always_inline struct tt_header *begin_cell(struct tt_ring_ctl *ctl, __u32 cpu, __u16 kind,
						    const struct tt_current *cur, __u64 *pos)
{
	__u32 gen = ctl->gen;
	__u64 ts = bpf_ktime_get_ns();
	*pos = reserve(ctl, cpu, 1);
	struct tt_header *h = cell_at(cpu, *pos);
	if (!h) {
		__sync_fetch_and_add(&ctl->drops, 1);
		return 0;
	}
	h->seq = 0;
	barrier();
	fill_header(h, gen, kind, 0, ts, cur->pid, cur->tid, 0, cpu);
	return h;
}

static __always_inline void publish(struct tt_header *h, __u64 pos)
{
	barrier();
	h->seq = pos + 1;
}

static __always_inline struct tt_ring_ctl *enabled_ctl(__u32 *cpu)
{
	__u32 zero = 0;
	struct tt_ring_ctl *ctl = bpf_map_lookup_elem(&ring_ctl, &zero);
	if (!ctl || !ctl->enabled)
		return 0;
	*cpu = bpf_get_smp_processor_id();
	return *cpu < TT_MAX_CPUS ? ctl : 0;
}

/* signal_deliver(int sig, struct kernel_siginfo *info, struct k_sigaction *ka):
 * in the receiving task, as get_signal() takes the signal off its queue
 * (handled, ignored or fatal). */
SEC("tp_btf/signal_deliver")
int tt_record_signal(__u64 *ctx)
{
	__u32 cpu;
	struct tt_ring_ctl *ctl = enabled_ctl(&cpu);
	if (!ctl)
		return 0;
	/* kernel_siginfo has the layout of the ABI's siginfo_t head (signo,
	 * errno, code at 0, 4, 8; the _sifields union at 16 on 64-bit), so it
	 * is read raw. The group-exit SIGKILL comes with no info (NULL). */
	__u64 info = ctx[1], ka = ctx[2];
	struct {
		__s32 signo, errno_, code, _pad;
		__u8 fields[32];
	} si = {};
	if (info)
		bpf_probe_read_kernel(&si, sizeof(si), (void *)info);
	__u64 handler = 0; /* k_sigaction.sa.sa_handler, its first member */
	if (ka)
		bpf_probe_read_kernel(&handler, sizeof(handler), (void *)ka);
	struct tt_current *cur = current_task();
	__u64 pos;
	struct tt_signal *r = !cur ? 0 : (struct tt_signal *)begin_cell(ctl, cpu, TT_KIND_SIGNAL, cur, &pos);
	if (!r)
		return 0;
	r->signo = (int)ctx[0];
	r->errno_ = si.errno_;
	r->code = si.code;
	r->handler = handler == 0 ? 0 : handler == 1 ? 1 : 2; /* SIG_DFL, SIG_IGN */
	__builtin_memcpy(r->fields, si.fields, sizeof(r->fields));
	__builtin_memcpy(r->comm, cur->comm, TT_COMM_LEN);
	r->cgroup_id = cur->cgroup_id;
	publish(&r->h, pos);
	return 0;
}

/* sched_process_exit(struct task_struct *p), p the current task, in
 * do_exit() after it set exit_code and counted itself out of
 * signal->live: 0 there means the whole process has ended. */
SEC("tp_btf/sched_process_exit")
int tt_record_proc_exit(__u64 *ctx)
{
	__u32 cpu;
	struct tt_ring_ctl *ctl = enabled_ctl(&cpu);
	if (!ctl)
		return 0;
	struct task_struct *p = (struct task_struct *)ctx[0];
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	struct tt_current *cur = current_task();
	__u64 pos;
	struct tt_proc_exit *r = !cur ? 0 : (struct tt_proc_exit *)begin_cell(ctl, cpu, TT_KIND_PROC_EXIT, cur, &pos);
	if (!r)
		return 0;
	r->exit_code = BPF_CORE_READ(p, exit_code);
	r->ns_pid = tt_task_ns_pid(p);
	__builtin_memcpy(r->comm, cur->comm, TT_COMM_LEN);
	r->cgroup_id = cur->cgroup_id;
	publish(&r->h, pos);
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
