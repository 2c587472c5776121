# shellcheck shell=bash
# Case 4: dump speed. Fill a recorder's ring with getppid calls, then time
# `tailtrace dump --output json|text` to /dev/null. Records = output lines
# (one per syscall, plus any "lost" line), counted from one extra run.

# Ring sizes to try: the default and one large enough that the dump, not
# process start-up, dominates.
DUMP_RINGS=${DUMP_RINGS:-"262144 67108864"}

bench_dump() {
	say "== 4. dump speed"
	if [[ -z ${TAILTRACE_OK:-} ]]; then
		note dump "skipped: ${TAILTRACE_WHY:-tailtrace CLI not available}"
		return 0
	fi
	local ring
	for ring in $DUMP_RINGS; do dump_ring "$ring"; done
}

dump_ring() {
	local ring=$1 dir name="bench-$TOKEN-dump-$1" calls fmt lines v code
	if ! tt_install --pool 2 --ring-size "$ring"; then
		note dump "ring $ring: install failed: $(tail -n 1 "$WORK/install.log")"
		return 0
	fi
	dir=$(make_cgroup "dump-$ring")
	if ! tt_attach "$dir" "$name"; then
		note dump "ring $ring: attach failed: $(tail -n 1 "$WORK/attach.log")"
		tt_uninstall
		return 0
	fi
	# Two cells per syscall (enter and exit) of 128 bytes: twice the ring's
	# capacity in calls overwrites it completely.
	# One writer per CPU: each CPU has its own region of the ring.
	calls=$((ring / 128 / NCPU + 1000))
	local cpu pid
	local -a writers=()
	for ((cpu = 0; cpu < NCPU; cpu++)); do
		taskset -c "$cpu" "$BENCH_DIR/in-cgroup" "$dir" "$LOOP" "$calls" >/dev/null &
		writers+=($!)
		track_pid $!
	done
	for pid in "${writers[@]}"; do wait "$pid"; done
	memory_snapshot "ring-$ring"
	for fmt in json text; do
		tt dump "$name" --output "$fmt" >"$WORK/dump.$fmt" 2>>"$WORK/dump.err"
		lines=$(wc -l <"$WORK/dump.$fmt")
		record dump-lines "$fmt-$ring" 1 "$lines" lines
		((lines > 0)) || note dump "ring $ring: dump --output $fmt printed nothing: $(tail -n 1 "$WORK/dump.err")"
		for ((ROUND = 1; ROUND <= DUMP_RUNS; ROUND++)); do
			read -r v code < <("$TIMEIT" -- "$TAILTRACE" dump "$name" --output "$fmt" \
				--pin-root "$PINROOT" --state-dir "$STATE" 2>>"$WORK/dump.err")
			[[ $code == 0 ]] && record dump "$fmt-$ring" "$ROUND" "$v" ns
		done
	done
	if [[ -s $WORK/dump.json ]]; then
		# What a reader meets in the ring: lost/torn notices, first record.
		record dump-lost "json-$ring" 1 "$(jq -s '[.[] | .lost // empty] | add // 0' "$WORK/dump.json" 2>/dev/null || echo '?')" records
		grep -m 2 -v "\"lost\"" "$WORK/dump.json" >"$OUT/dump-sample-$ring.json"
		grep -m 2 -iv "lost" "$WORK/dump.text" >"$OUT/dump-sample-$ring.txt"
	fi
	rm -f "$WORK/dump.json" "$WORK/dump.text"
	tt_uninstall
	rmdir "$dir" 2>/dev/null
}
