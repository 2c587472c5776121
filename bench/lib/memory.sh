# shellcheck shell=bash
# Case 5: kernel memory of an installation (pool) and per traced container,
# and the syscall cost with SCALE_N cgroups attached against one.

# Sums the kernel memory charged to the maps and programs pinned under the
# pin root, each object once (fdinfo "memlock", via bpftool). Independent of
# what `tailtrace status` reports about itself. Prints "maps progs".
memlock_sum() {
	local f j kind id bytes maps=0 progs=0
	declare -A seen=()
	while IFS= read -r f; do
		for kind in map prog; do
			j=$(bpftool -j "$kind" show pinned "$f" 2>/dev/null) || continue
			id=$(jq -r '.id' <<<"$j")
			bytes=$(jq -r '.bytes_memlock // 0' <<<"$j")
			[[ -n ${seen[$kind$id]:-} ]] && break
			seen[$kind$id]=1
			if [[ $kind == map ]]; then maps=$((maps + bytes)); else progs=$((progs + bytes)); fi
			break
		done
	done < <(find "$PINROOT" -type f 2>/dev/null)
	echo "$maps $progs"
}

# Records the status memory figure and the bpftool sums under LABEL.
memory_snapshot() {
	local label=$1 status mem maps progs
	status=$(tt status --output json 2>>"$WORK/memory.err")
	mem=$(jq -r '.memory_bytes // empty' <<<"$status" 2>/dev/null)
	if [[ -n $mem ]]; then
		record memory "$label:status_memory_bytes" 1 "$mem" bytes
	else
		note memory "$label: status --output json has no memory_bytes: $(tail -c 200 <<<"$status$(tail -n 1 "$WORK/memory.err")")"
	fi
	[[ ${2:-} == status-only ]] && return 0
	read -r maps progs < <(memlock_sum)
	record memory "$label:memlock_maps" 1 "$maps" bytes
	record memory "$label:memlock_progs" 1 "$progs" bytes
}

bench_memory() {
	say "== 5a. kernel memory"
	if [[ -z ${TAILTRACE_OK:-} ]]; then
		note memory "skipped: ${TAILTRACE_WHY:-tailtrace CLI not available}"
		return 0
	fi
	local pool dir
	# Two pool sizes: the difference divided by the extra slots is what one
	# more preloaded recorder costs, whatever the pin layout.
	for pool in 16 32; do
		tt_install --pool "$pool" || { note memory "install --pool $pool failed"; continue; }
		memory_snapshot "pool$pool"
		if ((pool == 16)); then
			dir=$(make_cgroup memory)
			if tt_attach "$dir" "bench-$TOKEN-memory"; then
				memory_snapshot "pool16+attached"
			else
				note memory "attach failed: $(tail -n 1 "$WORK/attach.log")"
			fi
		fi
		tt_uninstall
	done
}

bench_scale() {
	say "== 5b. cost with $SCALE_N attached cgroups vs 1"
	if [[ -z ${TAILTRACE_OK:-} ]]; then
		note scale "skipped: ${TAILTRACE_WHY:-tailtrace CLI not available}"
		return 0
	fi
	local v code i dir c
	# Small rings: the ring size does not enter the per-syscall cost, and
	# SCALE_N default rings would take SCALE_N x 256 KiB of kernel memory.
	read -r v code < <("$TIMEIT" -- "$TAILTRACE" install --pool $((SCALE_N + 1)) --ring-size 16384 \
		--pin-root "$PINROOT" --state-dir "$STATE" 2>"$WORK/install.log")
	if [[ $code != 0 ]]; then
		note scale "skipped: install --pool $((SCALE_N + 1)) failed: $(tail -n 1 "$WORK/install.log")"
		tt_uninstall
		return 0
	fi
	record scale-install "pool$((SCALE_N + 1))" 1 "$v" ns
	local passive active
	passive=$(make_cgroup scale-passive)
	active=$(make_cgroup scale-active)
	tt_attach "$active" "bench-$TOKEN-scale" || note scale "attach of the measured cgroup failed"
	for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
		for c in $(rotate passive active); do loop_measure scale-1 "$c" "${!c}"; done
	done
	mkdir -p "$CGROOT/scale"
	for ((i = 1; i < SCALE_N; i++)); do mkdir "$CGROOT/scale/c$i"; done
	# The first SCALE_TIMED attaches one at a time, timed (latency); the rest
	# NCPU at a time, untimed, to keep the run short.
	for ((i = 1; i < SCALE_N && i <= SCALE_TIMED; i++)); do
		read -r v code < <("$TIMEIT" -- "$TAILTRACE" attach --cgroup "$(cgroup_rel "$CGROOT")/scale/c$i" \
			--name "bench-$TOKEN-s$i" --pin-root "$PINROOT" --state-dir "$STATE" 2>>"$WORK/attach.log")
		[[ $code == 0 ]] && record attach-latency attach "$i" "$v" ns
	done
	scale_parallel $((SCALE_TIMED + 1)) $((SCALE_N - 1)) attach --cgroup "$(cgroup_rel "$CGROOT")/scale/c{}" --name "bench-$TOKEN-s{}"
	local attached
	attached=$(tt status --output json 2>/dev/null | jq -r '.claimed // empty')
	record scale-check claimed "$SCALE_N" "${attached:-?}" slots
	[[ $attached == "$SCALE_N" ]] || note scale "status says claimed=${attached:-?} with $SCALE_N cgroups attached"
	memory_snapshot "pool$((SCALE_N + 1))+${attached:-?}attached" status-only
	for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
		for c in $(rotate passive active); do loop_measure scale-N "$c" "${!c}"; done
	done
	for ((i = 1; i < SCALE_N && i <= SCALE_TIMED; i++)); do
		read -r v code < <("$TIMEIT" -- "$TAILTRACE" detach "bench-$TOKEN-s$i" \
			--pin-root "$PINROOT" --state-dir "$STATE" 2>>"$WORK/detach.log")
		[[ $code == 0 ]] && record attach-latency detach "$i" "$v" ns
	done
	scale_parallel $((SCALE_TIMED + 1)) $((SCALE_N - 1)) detach "bench-$TOKEN-s{}"
	# The 1-attached figure again, after: before and after together bracket
	# any drift of the machine during the run.
	for ((ROUND = ROUNDS + 1; ROUND <= 2 * ROUNDS; ROUND++)); do
		for c in $(rotate passive active); do loop_measure scale-1 "$c" "${!c}"; done
	done
	for ((i = 1; i < SCALE_N; i++)); do rmdir "$CGROOT/scale/c$i" 2>/dev/null; done
	tt_uninstall
}

# Runs `tailtrace ARGS...` for i = FROM..TO, NCPU at a time, {} in ARGS
# replaced by i.
scale_parallel() {
	local from=$1 to=$2
	shift 2
	((from <= to)) || return 0
	seq "$from" "$to" | xargs -P "$NCPU" -I{} "$TAILTRACE" "$@" \
		--pin-root "$PINROOT" --state-dir "$STATE" >/dev/null 2>>"$WORK/scale-parallel.log" ||
		note scale "some parallel tailtrace $1 runs failed: $(tail -n 1 "$WORK/scale-parallel.log")"
}
