# shellcheck shell=bash
# Case 4b: follow. A followed cgroup that makes no calls for FOLLOW_IDLE
# seconds (the follower's time on CPU then), then FOLLOW_CALLS marked calls
# FOLLOW_EVERY ms apart: per call, the time from the call to its line on
# follow's stdout (bench/follow-latency.py reads it as it comes).

FOLLOW_IDLE=${FOLLOW_IDLE:-10}
FOLLOW_CALLS=${FOLLOW_CALLS:-200}
FOLLOW_EVERY=${FOLLOW_EVERY:-50}

bench_follow() {
	say "== 4b. follow"
	if [[ -z ${TAILTRACE_OK:-} ]]; then
		note follow "skipped: ${TAILTRACE_WHY:-tailtrace CLI not available}"
		return 0
	fi
	command -v python3 >/dev/null || { note follow "skipped: no python3"; return 0; }
	local dir name="bench-$TOKEN-follow" kind v w
	if ! tt_install --pool 2; then
		note follow "install failed: $(tail -n 1 "$WORK/install.log")"
		return 0
	fi
	dir=$(make_cgroup follow)
	if ! tt_attach "$dir" "$name"; then
		note follow "attach failed: $(tail -n 1 "$WORK/attach.log")"
		tt_uninstall
		return 0
	fi
	python3 "$BENCH_DIR/follow-latency.py" --idle "$FOLLOW_IDLE" --calls "$FOLLOW_CALLS" --every "$FOLLOW_EVERY" \
		--cgroup "$dir" --marker "$MARKER" --in-cgroup "$BENCH_DIR/in-cgroup" -- \
		"$TAILTRACE" follow "$name" --output json --pin-root "$PINROOT" --state-dir "$STATE" \
		>"$WORK/follow.out" 2>>"$WORK/follow.err"
	local n=0
	while read -r kind v w; do
		case $kind in
		idle) record follow-idle cpu 1 "$(awk -v c="$v" -v t="$w" 'BEGIN { if (t > 0) printf "%.6f", c / t * 100 }')" "%" ;;
		latency) n=$((n + 1)); record follow latency "$n" "$v" ns ;;
		esac
	done <"$WORK/follow.out"
	((n > 0)) || note follow "no marked call reached follow's output: $(tail -n 1 "$WORK/follow.err")"
	((n == FOLLOW_CALLS)) || note follow "$n of $FOLLOW_CALLS marked calls printed"
	tt_uninstall
	rmdir "$dir" 2>/dev/null
}
