# shellcheck shell=bash
# Case 1: ns per getppid syscall (bench/loop.c) under each tracer, every
# case in a cgroup of its own, cases alternated within a round.

LOOP_CASES_BARE="untraced floor floor-clock strace perf" # nothing of tailtrace installed
LOOP_CASES_TT="passive active"                 # dispatcher attached
# The same with the programs' core variant (the 5.10-5.16 one, forced with
# --bpf-variant core), and, with BENCH_BASELINE=/path/to/an/older/tailtrace,
# that build's programs: all measured in the same rounds as the others.
LOOP_CASES_VARIANTS="passive-core active-core"
LOOP_CASES_BASE="passive-base active-base"
# Pool mode (--auto-claim, as `tailtrace node` installs where the runtime runs no hooks):
# a host task's untraced syscalls, where each may claim a slot.
LOOP_CASES_POOL="passive-pool"
LOOP_CASES_POOL_BASE="passive-pool-base"

# Iterations per run: strace stops the task twice per syscall (~35 us each
# here), perf trace copies every event to user space (~12 us), so they get
# fewer calls to keep a round short; ns per call does not depend on N.
loop_iterations() {
	case $1 in
	strace) echo $((LOOP_N / 100)) ;;
	perf) echo $((LOOP_N / 20)) ;;
	*) echo "$LOOP_N" ;;
	esac
}

# Runs the loop once for CASE in cgroup DIR; prints "wall cpu" ns/syscall
# (see loop.c) or nothing.
loop_once() {
	local case=$1 dir=$2 n out
	n=$(loop_iterations "$case")
	local -a cmd=("$BENCH_DIR/in-cgroup" "$dir" "$LOOP" "$n")
	case $case in
	floor) cmd=("$FLOOR" "$FLOOR_OBJ" -- "${cmd[@]}") ;;
	floor-clock) cmd=("$FLOOR" "$FLOOR_OBJ" --clock -- "${cmd[@]}") ;;
	strace) cmd=(strace -f -qq -o /dev/null -- "${cmd[@]}") ;;
	perf) cmd=(perf trace -o /dev/null -- "${cmd[@]}") ;;
	esac
	if ! out=$("${cmd[@]}" 2>>"$WORK/loop.err") || [[ ! $out =~ ^[0-9.]+\ [0-9.]+$ ]]; then
		note loop "$case run failed: $(tail -n 1 "$WORK/loop.err")"
		return 0
	fi
	printf '%s\n' "$out"
}

# Measures CASE in DIR and records it under SECTION with the round number.
loop_measure() {
	local section=$1 case=$2 dir=$3 wall cpu
	read -r wall cpu < <(loop_once "$case" "$dir")
	[[ -n $wall ]] || return 0
	record "$section" "$case" "$ROUND" "$wall" ns/syscall
	record "$section-cpu" "$case" "$ROUND" "$cpu" ns/syscall
	return 0
}

loop_available() {
	case $1 in
	floor | floor-clock) [[ -n ${FLOOR:-} ]] ;;
	perf) [[ -n ${PERF_TRACE_OK:-} ]] ;;
	passive | active | passive-core | active-core | passive-pool) [[ -n ${TAILTRACE_OK:-} ]] ;;
	passive-base | active-base | passive-pool-base) [[ -n ${TAILTRACE_OK:-} && -x ${BENCH_BASELINE:-} ]] ;;
	*) true ;;
	esac
}

# One installation (binary $1, install flags after it) measured for the
# passive and active cases named with suffix $2 (a pool-mode one, suffix
# -pool*, for its passive case only).
loop_measure_install() {
	local binary=$1 suffix=$2 name="bench-$TOKEN-loop$2" c active=""
	shift 2
	local saved=$TAILTRACE
	TAILTRACE=$binary
	[[ $suffix == -pool* ]] || active=active$suffix
	if ! tt_install --pool 4 "$@" || { [[ -n $active ]] && ! tt_attach "${cg[$active]}" "$name"; }; then
		note loop "round $ROUND: install/attach ($binary $*) failed: $(tail -n 2 "$WORK/install.log" "$WORK/attach.log" | tr '\n' ' ')"
		tt_uninstall
		TAILTRACE=$saved
		return 0
	fi
	for c in $(rotate "passive$suffix" $active); do loop_measure loop "$c" "${cg[$c]}"; done
	loop_attribution "$suffix" "$active"
	if ((ROUND == 1)) && [[ -n $active ]]; then
		# The active case must really record, or its figure means nothing.
		local lines
		lines=$(tt dump "$name" --output json 2>>"$WORK/loop.err" | wc -l)
		record loop-check "$active-dump-lines" 1 "$lines" lines
		((lines > 0)) || note loop "$active: dump of the attached cgroup printed nothing; the figure may not be traced"
	fi
	tt_uninstall
	TAILTRACE=$saved
}

# The dispatcher programs' run time per event from the kernel's bpf_stats
# (run_time_ns / run_cnt; a tail-called recorder counts in its dispatcher),
# in untimed extra runs: getppid passive and, with an active case $2,
# getppid and pread of 16 KiB blocks active (a buffer payload at exit, as
# sysbench's sync reads).
loop_attribution() {
	local suffix=$1 active=$2 label work was c
	was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null) || { note attribution "no kernel.bpf_stats_enabled"; return 0; }
	[[ -f $WORK/pread.dat ]] || head -c 1048576 /dev/urandom >"$WORK/pread.dat"
	local -a runs=("passive$suffix getppid")
	[[ -n $active ]] && runs+=("$active getppid" "$active pread")
	for c in "${runs[@]}"; do
		read -r label work <<<"$c"
		local -A before=()
		local name t n
		while read -r name t n; do before[$name]="$t $n"; done < <(dispatcher_stats)
		BPF_STATS_WAS=$was  # for cleanup, if interrupted here
		sysctl -qw kernel.bpf_stats_enabled=1
		local -a args=("$((LOOP_N / 4))")
		[[ $work == pread ]] && args+=("$WORK/pread.dat")
		"$BENCH_DIR/in-cgroup" "${cg[$label]}" "$LOOP" "${args[@]}" >/dev/null 2>>"$WORK/loop.err"
		sysctl -qw kernel.bpf_stats_enabled="$was"
		BPF_STATS_WAS=""
		while read -r name t n; do
			local t0=0 n0=0
			[[ -n ${before[$name]:-} ]] && read -r t0 n0 <<<"${before[$name]}"
			((n > n0)) && record attribution "$label-$work:$name" "$ROUND" "$(awk -v t=$((t - t0)) -v n=$((n - n0)) 'BEGIN { printf "%.1f", t / n }')" ns/run
		done < <(dispatcher_stats)
	done
}

# "name run_time_ns run_cnt" of this installation's dispatcher programs,
# found through the links pinned under its pin root: programs of the same
# name from other installations (tests running meanwhile) are not ours.
dispatcher_stats() {
	local link id
	for link in link_sys_enter link_sys_exit; do
		id=$(bpftool link show pinned "$PINROOT/$link" -j 2>/dev/null | jq -r '.prog_id // empty') || continue
		[[ -n $id ]] || continue
		bpftool prog show id "$id" -j 2>/dev/null |
			jq -r '"\(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"'
	done
}

bench_loop() {
	say "== 1. getppid loop: $LOOP_N calls (strace $((LOOP_N / 100)), perf trace $((LOOP_N / 20))), $ROUNDS rounds"
	local c dir name="bench-$TOKEN-loop"
	declare -A cg=()
	for c in $LOOP_CASES_BARE $LOOP_CASES_TT $LOOP_CASES_VARIANTS $LOOP_CASES_BASE $LOOP_CASES_POOL $LOOP_CASES_POOL_BASE; do
		cg[$c]=$(make_cgroup "loop-$c")
	done
	for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
		local foreign
		foreign=$(foreign_syscall_progs)
		((foreign == 0)) || note loop "round $ROUND: $foreign foreign programs on raw_syscalls (other tracers) slow every case"
		for c in $(rotate $LOOP_CASES_BARE); do
			loop_available "$c" && loop_measure loop "$c" "${cg[$c]}"
		done
		[[ -n ${TAILTRACE_OK:-} ]] || continue
		# A fresh install each round: untraced and floor above ran with no
		# dispatcher attached, as on a machine without tailtrace. The
		# installations take turns, rotated like the cases.
		local install
		for install in $(rotate btf core pool ${BENCH_BASELINE:+base pool-base}); do
			case $install in
			btf) loop_measure_install "$TAILTRACE" "" ;;
			core) loop_measure_install "$TAILTRACE" -core --bpf-variant core ;;
			pool) loop_measure_install "$TAILTRACE" -pool --auto-claim ;;
			base) loop_measure_install "$BENCH_BASELINE" -base ;;
			pool-base) loop_measure_install "$BENCH_BASELINE" -pool-base --auto-claim ;;
			esac
		done
	done
	for c in $LOOP_CASES_BARE $LOOP_CASES_TT $LOOP_CASES_VARIANTS $LOOP_CASES_POOL \
		${BENCH_BASELINE:+$LOOP_CASES_BASE $LOOP_CASES_POOL_BASE}; do
		loop_available "$c" || note loop "$c: skipped: $(skip_reason "$c")"
	done
}

skip_reason() {
	case $1 in
	floor | floor-clock) echo "${FLOOR_WHY:-floor loader not built}" ;;
	perf) echo "${PERF_TRACE_WHY:-perf trace does not work here}" ;;
	passive | active | passive-core | active-core | passive-pool) echo "${TAILTRACE_WHY:-tailtrace CLI not available}" ;;
	passive-base | active-base | passive-pool-base) echo "BENCH_BASELINE is not an executable" ;;
	*) echo "not available" ;;
	esac
}
