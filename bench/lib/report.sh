# shellcheck shell=bash
# Turns $RAW into the markdown report (printed and written to RESULTS.md)
# and the chart. Medians everywhere; every figure comes from this run.

ms() { awk -v v="$1" 'BEGIN { if (v != "") printf "%.2f", v / 1e6 }'; }
fmt() { awk -v v="$1" -v d="${2:-1}" 'BEGIN { if (v != "") printf "%.*f", d, v }'; }
runs() { values "$1" "$2" | wc -l; }
mib() { awk -v v="$1" 'BEGIN { if (v != "") printf "%.1f MiB", v / 1048576 }'; }
# "met" / "not met" for VALUE OP LIMIT, "n/a" without a value.
target() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "") { print "n/a"; exit }
		ok = (op == "<=") ? (v + 0 <= l + 0) : (v + 0 >= l + 0)
		print ok ? "met" : "not met" }'
}

report_loop() {
	local u f uc fc c m mc
	u=$(med loop untraced); f=$(med loop floor)
	uc=$(med loop-cpu untraced); fc=$(med loop-cpu floor)
	echo "### 1. getppid loop (ns per syscall, median of $ROUNDS rounds)"
	echo
	echo "Wall = elapsed time per call; CPU = the thread's own CPU time per call, which"
	echo "leaves out preemption by other load (steadier on a busy machine) but also"
	echo "what strace and perf's reader do in their own processes."
	echo
	echo "| case | wall ns | x untraced | above floor | CPU ns | x untraced | above floor | runs |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	for c in untraced floor floor-clock passive active passive-core active-core passive-pool passive-base active-base \
		passive-pool-base strace perf; do
		m=$(med loop "$c")
		[[ $c == *-base && -z ${BENCH_BASELINE:-} ]] && continue
		mc=$(med loop-cpu "$c")
		[[ -n $m ]] || { echo "| $c | skipped | | | | | | 0 |"; continue; }
		echo "| $c | $(fmt "$m") | $(ratio "$m" "$u") | $(fmt "$(diff_of "$m" "$f")") |" \
			"$(fmt "$mc") | $(ratio "$mc" "$uc") | $(fmt "$(diff_of "$mc" "$fc")") | $(runs loop "$c") |"
	done
	echo
}

report_attribution() {
	[[ -n $(awk -F'\t' '$1 == "attribution"' "$RAW") ]] || return 0
	local label
	echo "#### Per-program run time (kernel bpf_stats, ns per run, median of $ROUNDS rounds)"
	echo
	echo "Extra untimed runs with \`kernel.bpf_stats_enabled=1\` (which itself adds two clock reads"
	echo "per run). A dispatcher's figure includes the recorder it tail-calls; *pread* reads"
	echo "16 KiB blocks (a buffer payload at exit, as sysbench's sync reads)."
	echo
	echo "| case | tt_dispatch_enter | tt_dispatch_exit |"
	echo "|---|---:|---:|"
	for label in passive-getppid active-getppid active-pread passive-core-getppid active-core-getppid active-core-pread \
		passive-pool-getppid passive-base-getppid active-base-getppid active-base-pread passive-pool-base-getppid; do
		[[ -n $(values attribution "$label:tt_dispatch_enter") ]] || continue
		echo "| $label | $(fmt "$(med attribution "$label:tt_dispatch_enter")") | $(fmt "$(med attribution "$label:tt_dispatch_exit")") |"
	done
	echo
}

report_fileio() {
	local c s m us um
	us=$(med fileio-sync untraced)
	um=$(med fileio-mmap untraced)
	echo "### 2. sysbench fileio seqrd, tmpfs, 1 thread, 1 GiB (MiB/s, median of $FIO_ROUNDS rounds of ${FIO_TIME}s)"
	echo
	echo "| case | sync MiB/s | sync x untraced | mmap MiB/s | mmap x untraced |"
	echo "|---|---:|---:|---:|---:|"
	for c in untraced floor passive active active-base strace perf; do
		[[ $c == active-base && -z ${BENCH_BASELINE:-} ]] && continue
		s=$(med fileio-sync "$c")
		m=$(med fileio-mmap "$c")
		[[ -n $s$m ]] || { echo "| $c | skipped | | | |"; continue; }
		echo "| $c | $(fmt "$s") | $(ratio "$s" "$us") | $(fmt "$m") | $(ratio "$m" "$um") |"
	done
	echo
	echo "Reference (LPC 2020, a BPF recorder of this shape, sync): active ~0.55x, strace ~0.13x, perf trace ~0.53x."
	echo
}

report_hooks() {
	local c
	echo "### 3. Hook latency"
	echo
	if [[ -z $(values hooks prestart) ]]; then
		echo "skipped (see notes)."
		echo
	else
		echo "| hook | p50 ms | p99 ms | runs |"
		echo "|---|---:|---:|---:|"
		for c in prestart poststop prestart-base poststop-base prestart-mounts poststop-mounts \
			prestart-base-mounts poststop-base-mounts; do
			[[ -n $(values hooks "$c") ]] || continue
			echo "| $c | $(ms "$(values hooks "$c" | percentile 50)") | $(ms "$(values hooks "$c" | percentile 99)") | $(runs hooks "$c") |"
		done
		echo
	fi
	if [[ -n $(values cli attach) ]]; then
		echo "| CLI, one cgroup (fork+exec+wait) | p50 ms | p99 ms | runs |"
		echo "|---|---:|---:|---:|"
		for c in attach attach-base detach detach-base; do
			[[ -n $(values cli "$c") ]] || continue
			echo "| $c | $(ms "$(values cli "$c" | percentile 50)") | $(ms "$(values cli "$c" | percentile 99)") | $(runs cli "$c") |"
		done
		echo
	fi
	if [[ -n $(values podman with) ]]; then
		local w wo
		wo=$(med podman without)
		w=$(med podman with)
		echo "| podman run --rm (busybox rootfs) | p50 ms | p99 ms | runs |"
		echo "|---|---:|---:|---:|"
		for c in without with; do
			echo "| $c hooks | $(ms "$(values podman "$c" | percentile 50)") | $(ms "$(values podman "$c" | percentile 99)") | $(runs podman "$c") |"
		done
		echo
		echo "Hooks add $(ms "$(diff_of "$w" "$wo")") ms to the median podman run ($(ratio "$w" "$wo")x)."
		echo
	fi
}

# True when the run recorded figures of SECTION; else says it was skipped.
recorded_or_skipped() {
	[[ -n $(awk -F'\t' -v s="$1" '$1 == s' "$RAW") ]] && return 0
	echo "skipped (see notes)."
	echo
	return 1
}

report_dump() {
	local k lines t
	echo "### 4. Dump speed (median of $DUMP_RUNS runs, whole process: start-up + read + decode + format)"
	echo
	recorded_or_skipped dump || return
	echo "| output-ring bytes | records (lines) | seconds | records/s |"
	echo "|---|---:|---:|---:|"
	for k in $(awk -F'\t' '$1 == "dump-lines" { print $2 }' "$RAW"); do
		lines=$(med dump-lines "$k")
		t=$(med dump "$k")
		echo "| $k | $lines | $(awk -v t="$t" 'BEGIN { if (t != "") printf "%.3f", t / 1e9 }') | $(awk -v n="$lines" -v t="$t" 'BEGIN { if (t > 0) printf "%.0f", n / (t / 1e9) }') |"
	done
	echo
}

report_follow() {
	echo "### 4b. Follow (one run: $FOLLOW_CALLS marked calls $FOLLOW_EVERY ms apart, after $FOLLOW_IDLE s without calls)"
	echo
	recorded_or_skipped follow || return
	echo "| figure | value |"
	echo "|---|---:|"
	echo "| call to printed line, p50 | $(ms "$(values follow latency | percentile 50)") ms |"
	echo "| call to printed line, p99 | $(ms "$(values follow latency | percentile 99)") ms |"
	echo "| call to printed line, max | $(ms "$(values follow latency | percentile 100)") ms |"
	echo "| follower CPU time while idle | $(fmt "$(med follow-idle cpu)" 3) % of one CPU |"
	echo
}

report_memory() {
	echo "### 5. Kernel memory and scale"
	echo
	if [[ -z $(awk -F'\t' '$1 == "memory"' "$RAW") ]]; then
		echo "memory: skipped (see notes)."
		echo
	else
		local k p16 p32 a16
		echo "| installation | figure | bytes | |"
		echo "|---|---|---:|---:|"
		for k in $(awk -F'\t' '$1 == "memory" { print $2 }' "$RAW"); do
			local v
			v=$(med memory "$k")
			echo "| ${k%%:*} | ${k#*:} | $v | $(mib "$v") |"
		done
		p16=$(med memory pool16:status_memory_bytes)
		p32=$(med memory pool32:status_memory_bytes)
		a16=$(med memory pool16+attached:status_memory_bytes)
		echo
		[[ -n $p16 && -n $p32 ]] && echo "One more preloaded recorder (pool 32 - pool 16, / 16): $(mib "$(awk -v a="$p32" -v b="$p16" 'BEGIN { print (a - b) / 16 }')")."
		[[ -n $p16 && -n $a16 ]] && echo "Attaching one container to a preloaded slot adds: $(mib "$(diff_of "$a16" "$p16")")."
		echo
	fi
	if [[ -n $(values scale-1 active) ]]; then
		local c one many onec manyc
		echo "| case (ns/syscall) | 1 attached, wall | $SCALE_N attached, wall | ratio | 1 attached, CPU | $SCALE_N attached, CPU | ratio |"
		echo "|---|---:|---:|---:|---:|---:|---:|"
		for c in passive active; do
			one=$(med scale-1 "$c"); many=$(med scale-N "$c")
			onec=$(med scale-1-cpu "$c"); manyc=$(med scale-N-cpu "$c")
			echo "| $c | $(fmt "$one") | $(fmt "$many") | $(ratio "$many" "$one") |" \
				"$(fmt "$onec") | $(fmt "$manyc") | $(ratio "$manyc" "$onec") |"
		done
		echo
		echo "install --pool $((SCALE_N + 1)): $(ms "$(med scale-install "pool$((SCALE_N + 1))")") ms;" \
			"attach p50/p99 (first $SCALE_TIMED, one at a time): $(ms "$(values attach-latency attach | percentile 50)")/$(ms "$(values attach-latency attach | percentile 99)") ms;" \
			"detach p50/p99 (first $SCALE_TIMED): $(ms "$(values attach-latency detach | percentile 50)")/$(ms "$(values attach-latency detach | percentile 99)") ms."
		echo
	fi
}

# The issue's targets next to what this run measured; not assertions. Loop
# targets are given on wall time and on the thread's CPU time.
report_targets() {
	local s k r rc sa ss json1
	sa=$(med fileio-sync active); ss=$(med fileio-sync untraced)
	json1=$(for k in $(awk -F'\t' '$1 == "dump-lines" && $2 ~ /^json/ { print $2 }' "$RAW"); do
		awk -v n="$(med dump-lines "$k")" -v t="$(med dump "$k")" 'BEGIN { if (t > 0) printf "%.0f\n", n / (t / 1e9) }'
	done | sort -g | tail -n 1)
	# milliseconds of percentile $3 of section $1 case $2
	pms() { ms "$(values "$1" "$2" | percentile "$3")"; }
	echo "### Targets of issue 14 (reported, not asserted)"
	echo
	echo "| target | measured (wall) | | measured (CPU) | |"
	echo "|---|---:|---|---:|---|"
	local -a rw=()
	for s in loop loop-cpu; do
		r=$(diff_of "$(med "$s" passive)" "$(med "$s" floor)"); rw+=("${r:++$(fmt "$r") ns}" "$(target "$r" '<=' 20)")
	done
	echo "| getppid passive <= floor + 20 ns | ${rw[0]} | ${rw[1]} | ${rw[2]} | ${rw[3]} |"
	rw=()
	for s in loop loop-cpu; do
		r=$(diff_of "$(med "$s" passive-pool)" "$(med "$s" floor)"); rw+=("${r:++$(fmt "$r") ns}" "$(target "$r" '<=' 20)")
	done
	echo "| getppid passive, pool mode <= floor + 20 ns | ${rw[0]} | ${rw[1]} | ${rw[2]} | ${rw[3]} |"
	rw=()
	for s in loop loop-cpu; do
		r=$(diff_of "$(med "$s" active)" "$(med "$s" floor)"); rw+=("${r:++$(fmt "$r") ns}" "$(target "$r" '<=' 100)")
	done
	echo "| getppid active <= floor + 100 ns | ${rw[0]} | ${rw[1]} | ${rw[2]} | ${rw[3]} |"
	r=$(ratio "$sa" "$ss"); echo "| sysbench sync active >= 0.85x untraced | ${r:+${r}x} | $(target "$r" '>=' 0.85) | | |"
	r=$(pms hooks prestart 50); echo "| prestart p50 <= 2.5 ms | ${r:+$r ms} | $(target "$r" '<=' 2.5) | | |"
	r=$(pms hooks prestart 99); echo "| prestart p99 <= 4 ms | ${r:+$r ms} | $(target "$r" '<=' 4) | | |"
	r=$(pms hooks poststop 50); echo "| poststop p50 <= 4 ms | ${r:+$r ms} | $(target "$r" '<=' 4) | | |"
	r=$(pms attach-latency attach 50); echo "| attach p50 <= 5 ms | ${r:+$r ms} | $(target "$r" '<=' 5) | | |"
	r=$(pms attach-latency detach 50); echo "| detach p50 <= 10 ms | ${r:+$r ms} | $(target "$r" '<=' 10) | | |"
	r=$(awk -v v="$(med scale-install "pool$((SCALE_N + 1))")" 'BEGIN { if (v != "") printf "%.1f", v / 1e9 }')
	echo "| install --pool $((SCALE_N + 1)) <= 8 s | ${r:+$r s} | $(target "$r" '<=' 8) | | |"
	echo "| dump JSON >= 2,500,000 records/s | $json1 | $(target "$json1" '>=' 2500000) | | |"
	r=$(pms follow latency 99); echo "| follow: syscall to line p99 <= 100 ms | ${r:+$r ms} | $(target "$r" '<=' 100) | | |"
	r=$(med follow-idle cpu); echo "| follow: idle followed container ~0 CPU | ${r:+$r %} | | | |"
	echo
}

report_notes() {
	echo "### Checks that the traced cases really traced"
	echo
	awk -F'\t' '$1 ~ /-check$/ || $1 == "dump-lost" { printf "- %s %s: %s %s\n", $1, $2, $4, $5 }' "$RAW"
	echo
	echo "### Notes from this run"
	echo
	if [[ -s $NOTES ]]; then
		awk -F'\t' '{ printf "- [%s] %s\n", $1, $2 }' "$NOTES" | sort -u
	else
		echo "- none"
	fi
	echo
}

# Case 1 slowdown (log scale) and case 2 throughput ratios, side by side.
report_chart() {
	local out=$1 c m
	command -v gnuplot >/dev/null || { note chart "skipped: gnuplot not installed"; return 0; }
	local u us um
	u=$(med loop untraced); us=$(med fileio-sync untraced); um=$(med fileio-mmap untraced)
	: >"$WORK/c1.dat"
	: >"$WORK/c2.dat"
	for c in floor passive active strace perf; do
		m=$(ratio "$(med loop "$c")" "$u")
		[[ -n $m ]] && echo "$c $m" >>"$WORK/c1.dat"
		local s mm
		s=$(ratio "$(med fileio-sync "$c")" "$us"); mm=$(ratio "$(med fileio-mmap "$c")" "$um")
		[[ -n $s$mm ]] && echo "$c ${s:-0} ${mm:-0}" >>"$WORK/c2.dat"
	done
	[[ -s $WORK/c1.dat || -s $WORK/c2.dat ]] || return 0
	local term="svg size 1100,460 dynamic font \"sans,12\""
	[[ $out == *.png ]] && term="pngcairo size 1100,460 font \"sans,10\""
	gnuplot 2>"$WORK/gnuplot.err" <<EOF || note chart "gnuplot failed: $(tail -n 1 "$WORK/gnuplot.err")"
set terminal $term
set output "$out"
set multiplot layout 1,2 title "tailtrace overhead, $(uname -r), $(date -u +%F)"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set grid ytics
set title "getppid: time per syscall / untraced (log)"
unset key
set logscale y
set yrange [0.5:*]
plot "$WORK/c1.dat" using 2:xtic(1) title "x untraced" lc rgb "#4477aa", 1 with lines dt 2 lc rgb "black" notitle
unset logscale y
set key top right vertical
set title "sysbench fileio seqrd: throughput / untraced"
set yrange [0:1.35]
set style histogram clustered gap 1
plot "$WORK/c2.dat" using 2:xtic(1) title "sync" lc rgb "#4477aa", "" using 3 title "mmap" lc rgb "#ee6677", 1 with lines dt 2 lc rgb "black" notitle
unset multiplot
EOF
}

report_all() {
	echo "## Results"
	echo
	echo "- machine: $(uname -r), $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "- date: $(date -u '+%F %T UTC'); load average at start: $LOAD_START; duration: $(( $(date +%s) - START_TIME )) s"
	echo "- seconds per part: $(awk -F'\t' '$1 == "duration" { printf "%s%s %s", (n++ ? ", " : ""), $2, $4 }' "$RAW")"
	echo "- tailtrace: $(if [[ -n ${TAILTRACE_OK:-} ]]; then echo "built from $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null) + working tree"; else echo "not available: $TAILTRACE_WHY"; fi)"
	# Mitigations decide what an indirect call or return (every BPF program
	# run, every tail call) costs; stats on would add two clock reads per run.
	local v vuln=/sys/devices/system/cpu/vulnerabilities
	v=$(for f in spectre_v2 spec_rstack_overflow retbleed; do [[ -r $vuln/$f ]] && printf '%s: %s; ' "$f" "$(cat "$vuln/$f")"; done)
	echo "- kernel: ${v}bpf_stats_enabled=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo '?'), bpf_jit_enable=$(cat /proc/sys/net/core/bpf_jit_enable 2>/dev/null || echo '?')"
	echo "- tools: $(sysbench --version 2>/dev/null), $(strace -V 2>/dev/null | head -n 1), $(perf version 2>/dev/null)"
	echo
	report_loop
	report_attribution
	report_fileio
	report_hooks
	report_dump
	report_follow
	report_memory
	report_targets
	report_notes
}

report_header() {
	cat <<'MD'
# tailtrace benchmark results

Written by `make bench` (`bench/run`); every figure below comes from one run
on the machine named under Results, with the cases alternated within each
round (rotated so none always runs first) and medians reported. Raw figures
of each run are in `bench/out/<time>/raw.tsv` (not committed). Benchmarks,
not tests: nothing asserts a timing; the targets table only reports.

## What each case means

1. **getppid loop** (`bench/loop.c`): N `syscall(SYS_getppid)` calls timed
   inside the process (`CLOCK_MONOTONIC` around the loop only; start-up, the
   move into the cgroup and a tracer's attach are outside). Every case runs the
   loop in a cgroup of its own under `<cgroup2>/tailtrace-bench-<r>`.
   - *untraced*: nothing attached to `raw_syscalls`.
   - *floor*: `bench/floor.bpf.c`, two empty programs on the raw tracepoints
     `sys_enter`/`sys_exit`, loaded by `bench/floor.c` (libbpf) around the
     command: what the kernel charges for any program there at all.
   - *floor-clock*: the same two programs each reading the clock once
     (`bpf_ktime_get_ns`), as the recorder does at enter and exit.
   - *passive*: tailtrace installed (dispatcher attached, small pool), this
     cgroup not attached: the per-CPU memo of the last task resolved, by its
     pt_regs (three inlined array lookups, no read of the task), a hash
     lookup when it changed.
   - *active*: the loop's cgroup attached (`tailtrace attach`): dispatcher
     lookup, tail calls (direct jumps for slots 0-1023), and one record per call in the ring (the exit written into its enter's cell).
   - *passive-core*, *active-core*: the same with `install --bpf-variant
     core`, the programs kernels 5.10-5.16 get (probe reads, helper calls).
   - *passive-pool*: installed with `--auto-claim` (pool mode, as `tailtrace
     node` installs on a containerd node): this host-namespace task's syscalls, each of which
     could claim a slot.
   - *passive-base*, *active-base*, *passive-pool-base* (with
     `BENCH_BASELINE=/path/to/tailtrace` of another build): that build's
     programs, in the same rounds.
   - *strace*: `strace -f -qq -o /dev/null` (ptrace stops; N/100 calls).
   - *perf*: `perf trace -o /dev/null` (perf ring buffer; N/20 calls).
   Columns: ns per call, ratio to untraced, ns above the floor.
   *Attribution*: after each installation's timed runs, untimed runs with
   `kernel.bpf_stats_enabled=1` give the dispatcher programs' own run time
   per event (a tail-called recorder counts in its dispatcher), for
   getppid and for `pread` of 16 KiB blocks (`bench/loop.c N FILE`).
2. **sysbench fileio**: `sysbench fileio --file-num=1 --file-total-size=1G
   --file-test-mode=seqrd --threads=1` on a private tmpfs, file prepared
   once. *sync*: one `pread` per 16 KiB block, so syscall cost shows;
   *mmap*: reads are copies from a mapping, almost no syscalls, so every
   tracer should stay near 1x. Ratio = throughput / untraced throughput.
3. **Hooks**: `ocihook-prestart` and `ocihook-poststop` run one at a time
   (fork+exec+wait, timed by `bench/timeit.c`) with a real OCI state on
   stdin for a real cgroup holding a live process; p50/p99. *-mounts*:
   the same in a mount namespace holding `HOOK_MOUNTS` (1000) more tmpfs
   mounts, as a node's host namespace holds a mount or more per container
   (one namespace for all those runs, as the host's is). *CLI*: `tailtrace
   attach` and `detach` of one cgroup, timed the same way, `CLI_RUNS` (50)
   times on that installation, and the baseline's CLI in the same rounds. Then
   `podman run --rm --runtime runc` of a busybox-static rootfs with the
   hooks (`--hooks-dir`, annotation `io.tailtrace.trace=true`) and without,
   alternated.
4. **Dump**: a cgroup's ring filled past capacity by one getppid loop per
   CPU, then `tailtrace dump --output json|text > /dev/null` timed as a whole
   process; records = output lines (one per syscall).
   **Follow** (4b): `tailtrace follow --output json` of a cgroup that makes
   no calls (the follower's time on CPU meanwhile, `/proc/<pid>/task/*/schedstat`), then
   `bench/marker.c` in the cgroup: openat calls of a path holding their
   CLOCK_MONOTONIC time; `bench/follow-latency.py` reads follow's lines as
   they come and takes each line's arrival minus that time.
5. **Memory and scale**: `tailtrace status --output json` `memory_bytes`,
   and an independent sum of `memlock` (fdinfo, via bpftool) of the maps and
   programs pinned under the pin root, for pools of 16 and 32 recorders,
   with one cgroup attached, and with the large dump ring. Scale: the loop's
   passive and active cost with 1 cgroup attached (measured before the others
   are attached and again after they are detached) and with SCALE_N attached
   (16 KiB rings), plus attach/detach latency of the first SCALE_TIMED.

MD
}
