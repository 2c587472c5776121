// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tailtrace dispatcher: attached once, to the raw tracepoints sys_enter,
 * sys_exit, signal_deliver and sched_process_exit (and cgroup_attach_task,
 * see task_epoch), BTF-enabled (tp_btf, kernel 5.5; kprobes are not
 * available on every kernel). For each event it finds the task's container
 * key and, when the key has a recorder slot, tail-calls into that slot's
 * recorder module (entry `slot` of the tracepoint's recorders_* prog
 * array). Everything else returns after a per-CPU memo or one hash lookup.
 *
 * A container is its whole cgroup subtree: a task whose cgroup is a
 * descendant of a traced cgroup is recorded in the nearest traced ancestor's
 * ring. In mntns mode, where a mount namespace has no parent, a task in an
 * untraced namespace is recorded in the namespace of its nearest ancestor
 * process that is traced (a process in a container that runs `unshare -m`).
 * The walk happens once per key; its result is
 * cached (positive and negative) in "resolved" until user space or a claim
 * bumps "epoch", and the last answer on each CPU is kept in "last" under the
 * address of the syscall's pt_regs, which names the task (see dispatch): a
 * task that keeps its CPU pays three array lookups, which the verifier
 * inlines (no call), and does not read the task until it is traced; one
 * that shares it pays one hash lookup, traced or not.
 *
 * In pool mode (auto_claim) a task of an unknown key that lives in a mount
 * namespace other than the host's claims a preloaded slot from the free_slots
 * queue (BPF_MAP_TYPE_QUEUE, kernel 4.20) on its first syscall, so a container
 * started by a runtime that runs no hooks is recorded from its first syscall.
 */
#include "kernel.bpf.h"
#include "tailtrace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before load (rodata): how tasks are keyed, and pool-mode settings. */
const volatile __u32 key_mode = TT_KEY_CGROUP;
const volatile __u32 auto_claim = 0;
const volatile __u64 host_mntns = 0;

/* container key (cgroup v2 id or mntns inode) -> slot */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TT_MAX_SLOTS);
	__type(key, __u64);
	__type(value, struct tt_slot_ref);
} keys SEC(".maps");

/* recorder programs by slot, one array per tracepoint: a prog array takes
 * only programs compatible with its first user, and the kernel tells a
 * sys_enter tp_btf program from a sys_exit one */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, TT_MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} recorders_enter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, TT_MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} recorders_exit SEC(".maps");

/* and for the two events that are not syscalls: a signal delivered to a
 * task, and a process's last thread exiting */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, TT_MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} recorders_signal SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, TT_MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} recorders_proc_exit SEC(".maps");

/* key (cgroup id or mntns) -> its resolution; an LRU so that every cgroup
 * of a busy host fits and old ones drop out */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct tt_resolved);
} resolved SEC(".maps");

/* one counter: bumped on every change of "keys" (by claims here, and by user
 * space with an atomic add through mmap, hence mmapable); an array lookup
 * with a constant key is inlined by the verifier */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} epoch SEC(".maps");

/* one counter, bumped here only: whenever a pt_regs address may come to
 * name another task, or a task another cgroup (a thread exits, so its
 * kernel stack may be reused; a task moves to another cgroup). Apart from
 * "epoch", which also dates the "resolved" entries: a busy node's process
 * exits would make every key walk its cgroups again. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} task_epoch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tt_last);
} last SEC(".maps");

/* preloaded, reset slots waiting for a container */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, TT_MAX_SLOTS);
	__type(value, __u32);
} free_slots SEC(".maps");

/* slot -> what the dispatcher saw when it claimed the slot (for reconcile) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TT_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct tt_claim);
} claims SEC(".maps");

/* keys never to claim: cgroups that host-namespace tasks use (filled from
 * user space at install and by reconcile) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} refused SEC(".maps");

/* keys that already counted a pool miss or a refusal: each counts once per key */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} missed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TT_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &stat);
	if (v)
		*v += 1; /* per-CPU value: no other writer */
}

/* A miss or a refusal counts once per key, not once per syscall. */
static __always_inline void count_once(__u64 key, __u32 stat)
{
	__u8 one = 1;
	if (bpf_map_update_elem(&missed, &key, &one, BPF_NOEXIST) == 0)
		count(stat);
}

static __always_inline __u64 container_key(struct task_struct *task)
{
	if (key_mode == TT_KEY_MNTNS)
		return tt_task_mntns(task);
	/* cgroup v2 id of the task's cgroup (the root's id without cgroup v2) */
	return tt_task_cgroup_id(task);
}

/* Claims a slot for `key`, of a task in mount namespace `mntns` (not the
 * host's). */
static __noinline struct tt_slot_ref *claim_slot(__u64 key, __u64 mntns)
{
	if (bpf_map_lookup_elem(&refused, &key)) {
		count_once(key, TT_STAT_REFUSED); /* a refused key never claims */
		return NULL;
	}
	__u32 slot;
	if (bpf_map_pop_elem(&free_slots, &slot)) {
		count_once(key, TT_STAT_MISSES);
		return NULL;
	}
	struct tt_slot_ref ref = { .slot = slot };
	if (bpf_map_update_elem(&keys, &key, &ref, BPF_NOEXIST)) {
		/* another CPU claimed this key first: give ours back, use theirs */
		bpf_map_push_elem(&free_slots, &slot, BPF_ANY);
		count(TT_STAT_RACES);
		return bpf_map_lookup_elem(&keys, &key);
	}
	/* the task again only now: an unclaimed key whose pool is empty comes
	 * here at every syscall */
	struct tt_claim claim = {
		.key = key,
		.cgroup_id = tt_task_cgroup_id(tt_task()),
		.mntns = mntns,
		.ts_ns = bpf_ktime_get_ns(),
		.pid = bpf_get_current_pid_tgid() >> 32,
		.slot = slot,
	};
	bpf_get_current_comm(claim.comm, sizeof(claim.comm));
	bpf_map_update_elem(&claims, &slot, &claim, BPF_ANY);
	count(TT_STAT_CLAIMS);
	__u32 zero = 0;
	__u32 *e = bpf_map_lookup_elem(&epoch, &zero);
	if (e)
		__sync_fetch_and_add(e, 1); /* cached "untraced" answers are stale now */
	return bpf_map_lookup_elem(&keys, &key);
}

/* cgroup mode: the nearest traced ancestor of the current task's cgroup
 * `cg` (itself included), walked from the root down. */
static __always_inline void walk_cgroups(__u64 cg, struct tt_resolved *r)
{
	struct cgroup *cgrp = tt_task_cgroup(tt_task());
	int own = tt_cgroup_level(cgrp);
	for (int level = 0; level < TT_MAX_CGROUP_LEVEL; level++) {
		if (level > own)
			break;
		__u64 id = tt_cgroup_ancestor(cgrp, level);
		if (!id)
			break;
		struct tt_slot_ref *ref = bpf_map_lookup_elem(&keys, &id);
		if (ref) {
			r->key = id;
			r->slot = ref->slot;
		}
		if (id == cg)
			break;
	}
}

/* mntns mode: the nearest of the current task and its ancestor processes
 * whose mount namespace is traced. Orphans are reparented to the container's
 * init (its pid namespace's reaper), so the chain stays inside a container. */
static __always_inline void walk_processes(struct tt_resolved *r)
{
	/* a scalar task pointer: probe reads, in both variants (slow path) */
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	for (int i = 0; i < TT_MAX_ANCESTRY && t; i++) {
		__u64 ns = BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);
		struct tt_slot_ref *ref = ns ? bpf_map_lookup_elem(&keys, &ns) : 0;
		if (ref) {
			r->key = ns;
			r->slot = ref->slot;
			return;
		}
		struct task_struct *parent = BPF_CORE_READ(t, real_parent);
		if (parent == t)
			return; /* init and the idle task are their own parents */
		t = parent;
	}
}

/* What `key` resolves to, cached under `epoch_now`, read before the walk:
 * a change of "keys" during the walk leaves a stale entry, which the next
 * syscall walks again. */
static __noinline void resolve(__u64 key, __u32 epoch_now, struct tt_resolved *out)
{
	struct tt_resolved r = { .epoch = epoch_now };
	if (key_mode == TT_KEY_CGROUP)
		walk_cgroups(key, &r);
	else
		walk_processes(&r);
	bpf_map_update_elem(&resolved, &key, &r, BPF_ANY);
	*out = r;
}

/* A key without a slot: in pool mode, at enter, claim one for it. Host
 * tasks are not containers. runc moves its init into the container cgroup
 * before it unshares the mount namespace, so a key is judged by the task
 * making the syscall, and never cached as "host"; what the CPU's memo `l`
 * keeps is that its task is the host's (no_claim), until that task may have
 * changed namespace (a bump at the exit of unshare and setns). */
static __always_inline int claim_for(struct tt_last *l, struct task_struct **task, __u64 key, int may_claim,
				     __u32 *slot)
{
	if (!may_claim || !auto_claim || l->no_claim)
		return 0;
	if (!*task)
		*task = tt_task();
	__u64 mntns = tt_task_mntns(*task);
	if (mntns == 0 || mntns == host_mntns || key == 0) {
		l->no_claim = 1;
		return 0;
	}
	struct tt_slot_ref *ref = claim_slot(key, mntns);
	if (!ref)
		return 0;
	*slot = ref->slot;
	return 1;
}

static __always_inline void bump_task_epoch(void)
{
	__u32 zero = 0;
	__u32 *t = bpf_map_lookup_elem(&task_epoch, &zero);
	if (t)
		__sync_fetch_and_add(t, 1);
}

/*
 * Leaves what the recorder needs of the task in `cur`. Its ids and cgroup
 * id stay from the event that wrote them while the CPU's memo holds since
 * (`noted`, `hit`): only that task ran the dispatcher on this CPU
 * meanwhile (another task's syscall, a signal or a process exit rewrites
 * the memo), and a task's pid and tid change only in an exec by another of
 * its threads, whose old leader's exit bumps task_epoch first. What changes
 * from one syscall to the next is read at every event. In the core variant
 * the ids are a helper call, and so is the task, whose address the memo
 * keeps: two calls (~20 ns each here) less per traced event.
 */
static __always_inline void note_current(struct tt_current *cur, struct tt_last *l, int hit,
					 struct task_struct *task, __u64 key, int with_comm)
{
	int noted = hit && l->noted;
#ifdef TT_VARIANT_CORE
	if (!task && noted)
		task = (struct task_struct *)l->task;
#endif
	if (!task)
		task = tt_task();
	if (!noted) {
		cur->cgroup_id = key_mode == TT_KEY_CGROUP ? key : tt_task_cgroup_id(task);
		tt_task_ids(task, &cur->pid, &cur->tid);
		l->noted = 1;
	}
	tt_note_task_changes(cur, task, with_comm);
}

/*
 * Both syscall tracepoints pass (struct pt_regs *regs, long id_or_ret);
 * `regs` is 0 for the other events. Claims happen at enter only: an exit
 * always follows an enter of the same task. `with_comm`: the recorder
 * writes the task's name, at every event but a syscall's exit (an exit cell
 * holds no name: the decoder takes its thread's from an enter); in the core
 * variant the name is a helper call. Returns 1 with the slot whose recorder
 * to tail-call, 0 for an untraced task.
 *
 * A syscall's pt_regs sit at the top of its task's kernel stack, so their
 * address names the task while it lives, and getting the task is a helper
 * call (~10 ns here) followed by four dependent loads to its cgroup's id. So
 * in cgroup mode the CPU's memo is taken by that address while task_epoch
 * holds: the task's exit (sched_process_exit, before its stack can be
 * freed and reused) and every cgroup move (cgroup_attach_task, which the
 * kernel emits once the tasks have moved) bump it. A syscall made between
 * a move and that event still counts for the old cgroup. In mntns mode a
 * task changes its key by itself (unshare, setns): the memo is taken by key.
 */
static __always_inline int dispatch(__u64 regs, int may_claim, int with_comm, __u32 *slot)
{
	__u32 zero = 0;
	__u32 *e = bpf_map_lookup_elem(&epoch, &zero);
	__u32 *tasks = bpf_map_lookup_elem(&task_epoch, &zero);
	struct tt_last *l = bpf_map_lookup_elem(&last, &zero);
	if (!e || !tasks || !l)
		return 0;
	struct task_struct *task = 0;
	__u64 key;
	struct tt_resolved r;
	int hit = key_mode == TT_KEY_CGROUP && regs && l->regs == regs && l->tasks == *tasks && l->r.epoch == *e;
	if (hit) {
		key = l->key;
		r = l->r;
	} else {
		/* before the task's cgroup: a move after this read is a bump */
		__u32 tasks_now = *tasks;
		barrier();
		task = tt_task();
		key = container_key(task);
		if (l->key == key && l->r.epoch == *e) {
			r = l->r;
		} else {
			struct tt_resolved *hit = bpf_map_lookup_elem(&resolved, &key);
			if (hit && hit->epoch == *e)
				r = *hit;
			else
				resolve(key, *e, &r);
		}
		/* no_claim is the task's in cgroup mode, the key's in mntns mode */
		if (key_mode == TT_KEY_CGROUP || l->key != key)
			l->no_claim = 0;
		/* programs do not nest on a CPU: no other writer of this entry */
		l->regs = regs;
		l->key = key;
		l->tasks = tasks_now;
		l->r = r;
		l->noted = 0;
#ifdef TT_VARIANT_CORE
		l->task = (__u64)task;
#endif
	}
	*slot = r.slot;
	if (!r.key && !claim_for(l, &task, key, may_claim, slot))
		return 0;
	if (*slot >= TT_MAX_SLOTS)
		return 0;
	/* programs do not nest on a CPU: the recorder reads what this wrote */
	struct tt_current *cur = bpf_map_lookup_elem(&current, &zero);
	if (!cur)
		return 0;
	note_current(cur, l, hit, task, key, with_comm);
	return 1;
}

/*
 * The tail call of every traced syscall's enter and exit. When the verifier
 * sees the same constant key at a tail call on every path, the x86 JIT (5.5)
 * makes it a direct jump, patched whenever that prog array entry changes;
 * any other key is an indirect jump, through a retpoline on kernels that use
 * them. On the development VM (retpolines) that was 20 ns per call against 5
 * ns, the search below included (bpf_stats, empty recorder). So the first
 * TT_DIRECT_SLOTS slots have a call site each with its key a constant: inline
 * asm, as clang would merge calls that differ only in a constant into one
 * call with a variable key. The kernel allows 1024 direct call sites
 * (poke descriptors) per program; higher slots take the indirect call.
 */
#define TT_DIRECT_SLOTS 1024

#define TT_TAIL_CALL_AT(ctx, map, n)                                                         \
	asm volatile("r1 = %[c]\n\tr2 = %[m] ll\n\tr3 = %[k]\n\tcall %[tail_call]" ::[c] "r"(ctx), \
		     [m] "i"(&map), [k] "i"(n), [tail_call] "i"(BPF_FUNC_tail_call)               \
		     : "r0", "r1", "r2", "r3", "r4", "r5", "memory")
#define TT_CASE1(ctx, map, n) \
	case n:                 \
		TT_TAIL_CALL_AT(ctx, map, n); \
		break;
#define TT_CASE4(c, m, n) TT_CASE1(c, m, n) TT_CASE1(c, m, n + 1) TT_CASE1(c, m, n + 2) TT_CASE1(c, m, n + 3)
#define TT_CASE16(c, m, n) TT_CASE4(c, m, n) TT_CASE4(c, m, n + 4) TT_CASE4(c, m, n + 8) TT_CASE4(c, m, n + 12)
#define TT_CASE64(c, m, n) TT_CASE16(c, m, n) TT_CASE16(c, m, n + 16) TT_CASE16(c, m, n + 32) TT_CASE16(c, m, n + 48)
#define TT_CASE256(c, m, n) TT_CASE64(c, m, n) TT_CASE64(c, m, n + 64) TT_CASE64(c, m, n + 128) TT_CASE64(c, m, n + 192)
#define TT_CASE1024(c, m) TT_CASE256(c, m, 0) TT_CASE256(c, m, 256) TT_CASE256(c, m, 512) TT_CASE256(c, m, 768)
_Static_assert(TT_DIRECT_SLOTS == 1024 && TT_DIRECT_SLOTS <= TT_MAX_SLOTS, "TT_CASE1024 spells the direct slots out");

#define TT_TAIL_CALL_SLOT(ctx, map, slot)                 \
	do {                                              \
		switch (slot) {                           \
			TT_CASE1024(ctx, map)             \
		default:                                  \
			bpf_tail_call(ctx, &map, slot);   \
		}                                         \
	} while (0)

SEC("tp_btf/sys_enter")
int tt_dispatch_enter(__u64 *ctx)
{
	__u32 slot;
	if (!dispatch(ctx[0], 1, 1, &slot))
		return 0;
	TT_TAIL_CALL_SLOT(ctx, recorders_enter, slot);
	count(TT_STAT_TAILCALL_FAIL);
	return 0;
}

/* x86_64 unshare and setns, and their i386 numbers (x86_64 310 is
 * process_vm_readv, which bumps for nothing; 346 is no x86_64 syscall) */
#define TT_NR_UNSHARE 272
#define TT_NR_SETNS 308
#define TT_NR_UNSHARE_32 310
#define TT_NR_SETNS_32 346

SEC("tp_btf/sys_exit")
int tt_dispatch_exit(__u64 *ctx)
{
	if (auto_claim) {
		/* the task may be in another mount namespace now: its memo's
		 * no_claim may be wrong on every CPU */
		__u32 nr = ((struct pt_regs *)ctx[0])->orig_ax;
		if (nr == TT_NR_UNSHARE || nr == TT_NR_SETNS || nr == TT_NR_UNSHARE_32 || nr == TT_NR_SETNS_32)
			bump_task_epoch();
	}
	__u32 slot;
	if (!dispatch(ctx[0], 0, 0, &slot))
		return 0;
	TT_TAIL_CALL_SLOT(ctx, recorders_exit, slot);
	count(TT_STAT_TAILCALL_FAIL);
	return 0;
}

/* signal_deliver runs in the task that takes the signal (get_signal), and
 * sched_process_exit in the exiting task before it leaves its cgroup and
 * namespaces: the current task's key is the container's in both. Rare
 * events: one indirect tail call each. */
SEC("tp_btf/signal_deliver")
int tt_dispatch_signal(__u64 *ctx)
{
	__u32 slot;
	if (!dispatch(0, 0, 1, &slot))
		return 0;
	bpf_tail_call(ctx, &recorders_signal, slot);
	count(TT_STAT_TAILCALL_FAIL);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int tt_dispatch_proc_exit(__u64 *ctx)
{
	/* a thread exits (this runs for every one): its stack may be reused */
	bump_task_epoch();
	__u32 slot;
	if (!dispatch(0, 0, 1, &slot))
		return 0;
	bpf_tail_call(ctx, &recorders_proc_exit, slot);
	count(TT_STAT_TAILCALL_FAIL);
	return 0;
}

/* cgroup_attach_task(dst_cgrp, path, task, threadgroup): after a task, or a
 * whole process, moved to another cgroup (cgroup.procs, cgroup.threads; a
 * new task's cgroup is set at fork, before its first syscall). */
SEC("tp_btf/cgroup_attach_task")
int tt_dispatch_cgroup_move(__u64 *ctx)
{
	bump_task_epoch();
	return 0;
}
