# shellcheck shell=bash
# Case 2: sysbench fileio sequential read of a 1 GiB file on tmpfs, one
# thread, in sync mode (one pread syscall per 16 KiB block: the syscall path
# dominates) and mmap mode (reads are memcpy from a mapping: almost no
# syscalls, so every tracer should be near 1x). Throughput, MiB/s.

FIO_CASES_BARE="untraced floor strace perf"
FIO_CASES_TT="passive active"

fio_args() {
	printf '%s\n' fileio --file-num=1 --file-total-size=1G --file-test-mode=seqrd \
		--file-io-mode="$1" --threads=1 --time="$FIO_TIME" --events=0
}

# Runs sysbench once for CASE in cgroup DIR and mode MODE; prints MiB/s.
fio_once() {
	local case=$1 dir=$2 mode=$3 out mib
	local -a args
	mapfile -t args < <(fio_args "$mode")
	local -a cmd=("$BENCH_DIR/in-cgroup" "$dir" sysbench "${args[@]}" run)
	case $case in
	floor) cmd=("$FLOOR" "$FLOOR_OBJ" -- "${cmd[@]}") ;;
	strace) cmd=(strace -f -qq -o /dev/null -- "${cmd[@]}") ;;
	perf) cmd=(perf trace -o /dev/null -- "${cmd[@]}") ;;
	esac
	# sysbench's working directory holds its test file (test_file.0).
	out=$(cd "$FIO_DIR" && "${cmd[@]}" 2>>"$WORK/fileio.err") || true
	mib=$(awk '/read, MiB\/s:/ { print $3 }' <<<"$out")
	if [[ ! $mib =~ ^[0-9.]+$ ]]; then
		note fileio "$case $mode run failed: $(tail -n 1 "$WORK/fileio.err")"
		return 0
	fi
	printf '%s\n' "$mib"
}

fio_measure() {
	local case=$1 dir=$2 mode v
	for mode in sync mmap; do
		v=$(fio_once "$case" "$dir" "$mode")
		[[ -n $v ]] && record "fileio-$mode" "$case" "$ROUND" "$v" MiB/s
	done
	return 0
}

bench_fileio() {
	say "== 2. sysbench fileio seqrd, tmpfs, 1 thread, 1 GiB, sync and mmap, ${FIO_TIME}s each, $FIO_ROUNDS rounds"
	FIO_DIR=$WORK/fileio
	mkdir -p "$FIO_DIR"
	if ! mount -t tmpfs -o size=1100m,mode=0700 tmpfs "$FIO_DIR"; then
		note fileio "skipped: cannot mount tmpfs on $FIO_DIR"
		return 0
	fi
	local -a args
	mapfile -t args < <(fio_args sync)
	if ! (cd "$FIO_DIR" && sysbench "${args[@]}" prepare >"$WORK/fileio-prepare.log" 2>&1); then
		note fileio "skipped: sysbench prepare failed: $(tail -n 1 "$WORK/fileio-prepare.log")"
		return 0
	fi
	local c name="bench-$TOKEN-fileio"
	declare -A cg=()
	local tt_cases=$FIO_CASES_TT
	# BENCH_BASELINE: another build's programs in the same rounds (before/after)
	[[ -x ${BENCH_BASELINE:-} ]] && tt_cases="$tt_cases active-base"
	for c in $FIO_CASES_BARE $tt_cases; do cg[$c]=$(make_cgroup "fileio-$c"); done
	for ((ROUND = 1; ROUND <= FIO_ROUNDS; ROUND++)); do
		for c in $(rotate $FIO_CASES_BARE); do
			loop_available "$c" && fio_measure "$c" "${cg[$c]}"
		done
		[[ -n ${TAILTRACE_OK:-} ]] || continue
		if ! tt_install --pool 4 || ! tt_attach "${cg[active]}" "$name"; then
			note fileio "round $ROUND: tailtrace install/attach failed"
			tt_uninstall
			continue
		fi
		for c in $(rotate $FIO_CASES_TT); do fio_measure "$c" "${cg[$c]}"; done
		tt_uninstall
		if [[ -x ${BENCH_BASELINE:-} ]]; then
			local saved=$TAILTRACE
			TAILTRACE=$BENCH_BASELINE
			if tt_install --pool 4 && tt_attach "${cg[active-base]}" "$name-base"; then
				fio_measure active-base "${cg[active-base]}"
			else
				note fileio "round $ROUND: baseline install/attach failed"
			fi
			tt_uninstall
			TAILTRACE=$saved
		fi
	done
	umount "$FIO_DIR" && rmdir "$FIO_DIR"
}
