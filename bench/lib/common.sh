# shellcheck shell=bash
# Shared by every bench/lib/*.sh case: where things live, raw results,
# statistics, cgroups, tailtrace wrappers and the one cleanup path.
# Sourced by bench/run; expects BENCH_DIR, REPO, OUT set.

# ---------------------------------------------------------------- results
# One line per measurement: section case round value unit. The report and
# RESULTS.md are computed from this file only.
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$RAW"; }
# Something a reader of the results must know (skips, failed runs).
note() {
	printf '%s\t%s\n' "$1" "$2" >>"$NOTES"
	printf '  note [%s]: %s\n' "$1" "$2" >&2
}
say() { printf '%s\n' "$*" >&2; }

# Values of one section/case, one per line.
values() { awk -F'\t' -v s="$1" -v c="$2" '$1 == s && $2 == c { print $4 }' "$RAW"; }

# Median of numbers on stdin (empty when none).
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.12g\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# Nearest-rank percentile P (0-100) of numbers on stdin.
percentile() {
	sort -g | awk -v p="$1" '{ v[NR] = $1 } END { if (NR) { i = int((p * NR + 99) / 100); if (i < 1) i = 1; printf "%.12g\n", v[i] } }'
}
med() { values "$1" "$2" | median; }
# a / b with 3 significant digits, empty when either is missing.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b + 0 != 0) printf "%.3g\n", a / b }'; }
diff_of() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "") printf "%.4g\n", a - b }'; }

# Rotates the words "$@" left by $ROUND so no case always runs first.
rotate() {
	local n=$# k
	((n)) || return 0
	local -a a=("$@")
	for ((k = 0; k < n; k++)); do printf '%s\n' "${a[$(((k + ROUND) % n))]}"; done
}

# ---------------------------------------------------------------- cgroups
# The cgroup v2 mount from mountinfo (hybrid hosts mount it at
# /sys/fs/cgroup/unified, unified ones at /sys/fs/cgroup): field 5 is the
# mount point, the type is the first field after the " - " separator.
cgroup2_mount() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo
}

# Creates cgroup NAME under the bench's parent and prints its path.
make_cgroup() {
	local path="$CGROOT/$1"
	mkdir -p "$path"
	printf '%s\n' "$path"
}
# Path relative to the cgroup2 mount, the form `tailtrace attach` takes.
cgroup_rel() { printf '%s\n' "${1#"$CG2"/}"; }


# Removes the bench's cgroups, children first. Processes still inside are
# ones the bench started; they are killed by pid first.
remove_cgroups() {
	[[ -n ${CGROOT:-} && -d $CGROOT ]] || return 0
	local dir pid
	while IFS= read -r dir; do
		if [[ -r $dir/cgroup.procs ]]; then
			while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$dir/cgroup.procs"
		fi
	done < <(find "$CGROOT" -depth -type d)
	find "$CGROOT" -depth -type d -exec rmdir {} + 2>/dev/null || true
	[[ ! -d $CGROOT ]] || say "warning: could not remove $CGROOT"
}

# ---------------------------------------------------------------- processes
# Background processes the bench started, killed by pid at cleanup.
declare -a BENCH_PIDS=()
track_pid() { BENCH_PIDS+=("$1"); }

# ---------------------------------------------------------------- tailtrace
# Every call names the bench's own pin root and state dir, never the default
# /sys/fs/bpf/tailtrace: a real install on the machine stays untouched.
tt() { "$TAILTRACE" "$@" --pin-root "$PINROOT" --state-dir "$STATE"; }

tt_install() {
	rm -rf "$STATE" && mkdir -p "$STATE"
	if ! tt install "$@" >"$WORK/install.log" 2>&1; then
		say "tailtrace install $* failed: $(tail -n 3 "$WORK/install.log")"
		return 1
	fi
}
tt_uninstall() {
	[[ -n ${PINROOT:-} ]] || return 0
	if [[ -e $PINROOT ]]; then
		[[ -x ${TAILTRACE:-} ]] && "$TAILTRACE" uninstall --pin-root "$PINROOT" >/dev/null 2>&1
		# Unpinning detaches the dispatcher even when the CLI could not.
		[[ ! -e $PINROOT ]] || rm -rf "$PINROOT"
	fi
	# the baseline's installation of the hook case
	[[ ! -e $PINROOT-base ]] || rm -rf "$PINROOT-base"
	return 0
}
# Claims a recorder for cgroup DIR under NAME.
tt_attach() { tt attach --cgroup "$(cgroup_rel "$1")" --name "$2" >>"$WORK/attach.log" 2>&1; }

# Number of BPF programs on raw_syscalls that are not the bench's: other
# tracers attached during the run make every case slower, untraced too.
foreign_syscall_progs() {
	bpftool link show 2>/dev/null | grep -cE "tp '(sys_enter|sys_exit)'" || true
}

# ---------------------------------------------------------------- cleanup
cleanup() {
	local status=$? pid
	trap - EXIT INT TERM
	for pid in "${BENCH_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	for pid in "${BENCH_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	hooks_cleanup 2>/dev/null || true
	# interrupted during the attribution: the kernel-wide switch back as it was
	[[ -n ${BPF_STATS_WAS:-} ]] && sysctl -qw kernel.bpf_stats_enabled="$BPF_STATS_WAS"
	tt_uninstall
	remove_cgroups
	if [[ -n ${FIO_DIR:-} ]] && mountpoint -q "$FIO_DIR"; then umount "$FIO_DIR" || say "warning: could not unmount $FIO_DIR"; fi
	[[ -n ${WORK:-} && -d $WORK ]] && rm -rf "$WORK"
	exit "$status"
}
