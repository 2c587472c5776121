# shellcheck shell=bash
# Case 3: hook latency. ocihook-prestart and ocihook-poststop timed one run
# at a time (bench/timeit.c: fork+exec+wait, as a runtime pays it) on a real
# cgroup with a live process in it; then `podman run --rm` of a busybox
# rootfs with and without the hooks, alternated.

PRESTART=$REPO/.build-bench/release/ocihook-prestart
POSTSTOP=$REPO/.build-bench/release/ocihook-poststop
# With BENCH_BASELINE, the hooks beside that build's tailtrace run in the
# same rounds (prestart-base, poststop-base) on an installation of its own.
BASE_DIR=$(dirname "${BENCH_BASELINE:-/nonexistent/x}")

# OCI state as runtimes pass it on stdin (podman 4.3, runc): the poststop
# state has status "stopped" and no pid.
hook_state() {
	local id=$1 status=$2 pid=$3 bundle=$4
	if [[ $status == stopped ]]; then
		jq -cn --arg id "$id" --arg b "$bundle" \
			'{ociVersion: "1.0.2", id: $id, status: "stopped", bundle: $b, annotations: {"io.tailtrace.trace": "true"}}'
	else
		jq -cn --arg id "$id" --argjson pid "$pid" --arg b "$bundle" \
			'{ociVersion: "1.0.2", id: $id, status: "creating", pid: $pid, bundle: $b, annotations: {"io.tailtrace.trace": "true"}}'
	fi
}

# Times one hook run; records ns under hooks/CASE. Prints the exit status.
# With HOOK_NS set, the hook runs in that mount namespace (nsenter).
hook_time() {
	local case=$1 hook=$2 state=$3 pins=${4:-$PINROOT} statedir=${5:-$STATE} out ns code
	local -a enter=()
	[[ -n ${HOOK_NS:-} ]] && enter=(nsenter "--mount=$HOOK_NS")
	out=$("${enter[@]}" "$TIMEIT" -i "$state" -- "$hook" --pin-root "$pins" --state-dir "$statedir" 2>>"$WORK/hooks.err")
	read -r ns code <<<"$out"
	[[ $ns =~ ^[0-9]+$ ]] && record hooks "$case" "$ROUND" "$ns" ns
	printf '%s\n' "${code:-1}"
}

bench_hooks() {
	say "== 3. hook latency"
	if [[ ! -x $PRESTART || ! -x $POSTSTOP ]]; then
		note hooks "skipped: $PRESTART or $POSTSTOP not built yet"
		return 0
	fi
	if [[ -z ${TAILTRACE_OK:-} ]] || ! tt_install --pool 8; then
		note hooks "skipped: tailtrace install not available (${TAILTRACE_WHY:-see install.log})"
		return 0
	fi
	local base=
	if [[ -x $BASE_DIR/ocihook-prestart && -x $BASE_DIR/ocihook-poststop ]]; then
		mkdir -p "$STATE-base"
		if "$BENCH_BASELINE" install --pool 8 --pin-root "$PINROOT-base" --state-dir "$STATE-base" \
			>"$WORK/install-base.log" 2>&1; then
			base=1
		else
			note hooks "baseline hooks skipped: its install failed: $(tail -n 1 "$WORK/install-base.log")"
		fi
	fi
	hooks_direct "$base"
	cli_direct "$base"
	hooks_busy_node "$base"
	if [[ -n $base ]]; then
		"$BENCH_BASELINE" uninstall --pin-root "$PINROOT-base" >/dev/null 2>&1
		[[ ! -e $PINROOT-base ]] || rm -rf "$PINROOT-base"
	fi
	hooks_podman
	tt_uninstall
}

# `tailtrace attach` and `detach` of one cgroup, one run at a time as a
# person or a script runs them (fork+exec+wait), CLI_RUNS times on the
# hooks' installation; with $1 set, the baseline's CLI on its own
# installation in the same rounds, order rotated. Most of what they take is
# the CLI's start-up.
cli_direct() {
	local with_base=$1 dir rel i build bin pins state sfx v code bad=0
	dir=$(make_cgroup cli)
	rel=$(cgroup_rel "$dir")
	for ((i = 1; i <= CLI_RUNS; i++)); do
		for build in $(rotate cur ${with_base:+base}); do
			bin=$TAILTRACE pins=$PINROOT state=$STATE sfx=""
			[[ $build == base ]] && bin=$BENCH_BASELINE pins=$PINROOT-base state=$STATE-base sfx=-base
			read -r v code < <("$TIMEIT" -- "$bin" attach --cgroup "$rel" --name "bench-$TOKEN-cli$i$sfx" \
				--pin-root "$pins" --state-dir "$state" 2>>"$WORK/cli.err")
			if [[ $code == 0 ]]; then record cli "attach$sfx" "$i" "$v" ns; else bad=$((bad + 1)); fi
			read -r v code < <("$TIMEIT" -- "$bin" detach "bench-$TOKEN-cli$i$sfx" \
				--pin-root "$pins" --state-dir "$state" 2>>"$WORK/cli.err")
			if [[ $code == 0 ]]; then record cli "detach$sfx" "$i" "$v" ns; else bad=$((bad + 1)); fi
		done
	done
	((bad == 0)) || note cli "$bad attach/detach runs failed: $(tail -n 1 "$WORK/cli.err")"
}

# A node's host mount namespace holds a mount or more per container (rootfs,
# shm, each secret and token volume), and prestart looks up the cgroup2
# mount. The hook rounds again (cases *-mounts, HOOK_RUNS/4 rounds) in a
# mount namespace with HOOK_MOUNTS more tmpfs mounts, one namespace for
# every run as the host's is (kept by a bind of its nsfs file).
hooks_busy_node() {
	local with_base=$1 nsdir=$WORK/mountns
	mkdir -p "$nsdir"
	if ! mount -t tmpfs -o size=1m,mode=700 tailtrace-bench "$nsdir" || ! mount --make-private "$nsdir"; then
		note hooks "busy-node rounds skipped: no private tmpfs for the namespace file"
		return 0
	fi
	: >"$nsdir/mnt"
	if unshare --mount="$nsdir/mnt" --propagation private sh -c '
		d=$1; n=$2; mkdir -p "$d" && mount -t tmpfs -o size=64k tailtrace-bench "$d" || exit 1
		i=0; while [ "$i" -lt "$n" ]; do i=$((i + 1)); mkdir "$d/m$i" && mount -t tmpfs -o size=4k "m$i" "$d/m$i" || exit 1; done
	' sh "$WORK/mounts" "$HOOK_MOUNTS"; then
		record hooks-check mounts-in-namespace "$HOOK_MOUNTS" \
			"$(nsenter --mount="$nsdir/mnt" cat /proc/self/mountinfo | wc -l)" lines
		HOOK_NS=$nsdir/mnt HOOK_SUFFIX=-mounts HOOK_ROUNDS=$((HOOK_RUNS / 4)) hooks_direct "$with_base"
	else
		note hooks "busy-node rounds skipped: could not make $HOOK_MOUNTS mounts"
	fi
	umount "$nsdir/mnt" 2>/dev/null
	umount "$nsdir" || say "warning: could not unmount $nsdir"
}

# prestart then poststop, HOOK_RUNS times (HOOK_ROUNDS if set), on one
# cgroup holding a sleeper; with $1 set, the baseline's hooks too, in the
# same rounds, order rotated. Cases get HOOK_SUFFIX.
hooks_direct() {
	local with_base=$1 dir bundle sleeper i id code bad=0 build sfx=${HOOK_SUFFIX:-}
	dir=$(make_cgroup hook)
	bundle=$WORK/bundle
	mkdir -p "$bundle"
	jq -n --arg cg "/$(cgroup_rel "$dir")" \
		'{ociVersion: "1.0.2", annotations: {"io.tailtrace.trace": "true"}, linux: {cgroupsPath: $cg}}' \
		>"$bundle/config.json"
	"$BENCH_DIR/in-cgroup" "$dir" sleep 3600 &
	sleeper=$!
	track_pid "$sleeper"
	sleep 0.2 # let the sleeper reach its cgroup
	for ((ROUND = 1; ROUND <= ${HOOK_ROUNDS:-$HOOK_RUNS}; ROUND++)); do
		id=tailtrace-bench-$TOKEN-$ROUND$sfx
		hook_state "$id" creating "$sleeper" "$bundle" >"$WORK/state-pre.json"
		hook_state "$id" stopped 0 "$bundle" >"$WORK/state-post.json"
		for build in $(rotate cur ${with_base:+base}); do
			if [[ $build == base ]]; then
				code=$(hook_time "prestart-base$sfx" "$BASE_DIR/ocihook-prestart" "$WORK/state-pre.json" "$PINROOT-base" "$STATE-base")
			else
				code=$(hook_time "prestart$sfx" "$PRESTART" "$WORK/state-pre.json")
			fi
			((code == 0)) || bad=$((bad + 1))
			if ((ROUND == 1)) && [[ $build == cur && -z $sfx ]]; then
				# A hook that fails open exits 0 even when it claimed nothing.
				local claimed
				claimed=$(tt status --output json 2>/dev/null | jq -r '.claimed // empty')
				record hooks-check claimed-after-prestart 1 "${claimed:-?}" slots
				[[ $claimed == 1 ]] || note hooks "after the first prestart, status says claimed=${claimed:-?} (expected 1): the hook may not have claimed"
			fi
			if [[ $build == base ]]; then
				code=$(hook_time "poststop-base$sfx" "$BASE_DIR/ocihook-poststop" "$WORK/state-post.json" "$PINROOT-base" "$STATE-base")
			else
				code=$(hook_time "poststop$sfx" "$POSTSTOP" "$WORK/state-post.json")
			fi
			((code == 0)) || bad=$((bad + 1))
		done
	done
	((bad == 0)) || note hooks "$bad hook runs exited non-zero: $(tail -n 1 "$WORK/hooks.err")"
	kill -KILL "$sleeper" 2>/dev/null
	wait "$sleeper" 2>/dev/null
}

# Same podman command with and without tailtrace's hooks. Both runs get the
# annotation and a --hooks-dir, so podman never reads the system hooks.d.
hooks_podman() {
	if ! command -v podman >/dev/null; then
		note podman "skipped: podman not installed"
		return 0
	fi
	local rootfs=$WORK/rootfs with=$WORK/hooks.d without=$WORK/hooks-none v
	mkdir -p "$rootfs/bin" "$with" "$without"
	cp "$(command -v busybox)" "$rootfs/bin/busybox" && ln -s busybox "$rootfs/bin/true"
	local stage hook
	for stage in prestart poststop; do
		hook=$PRESTART
		[[ $stage == poststop ]] && hook=$POSTSTOP
		jq -n --arg path "$hook" --arg stage "$stage" --arg pin "$PINROOT" --arg st "$STATE" \
			--arg ar "TAILTRACE_ARCHIVE_DIR=$ARCHIVE" \
			'{version: "1.0.0", hook: {path: $path, args: [($path | split("/") | last), "--pin-root", $pin, "--state-dir", $st], env: [$ar]},
			  when: {annotations: {"^io\\.tailtrace\\.trace$": "^true$"}}, stages: [$stage]}' \
			>"$with/tailtrace-bench-$stage.json"
	done
	# Flags go before --rootfs: podman takes everything after the rootfs
	# path as the container's command.
	local -a base=(podman run --rm --runtime runc --annotation io.tailtrace.trace=true
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
	if ! "${base[@]}" --hooks-dir "$without" --rootfs "$rootfs" /bin/true >/dev/null 2>"$WORK/podman.err"; then
		note podman "skipped: podman run failed: $(tail -n 1 "$WORK/podman.err")"
		return 0
	fi
	local variant dir code archived
	archived=$(find "$ARCHIVE" -mindepth 1 -maxdepth 1 | wc -l)
	for ((ROUND = 1; ROUND <= PODMAN_RUNS; ROUND++)); do
		for variant in $(rotate without with); do
			dir=$without
			[[ $variant == with ]] && dir=$with
			read -r v code < <("$TIMEIT" -- "${base[@]}" --name "tailtrace-bench-$TOKEN-$variant-$ROUND" \
				--hooks-dir "$dir" --rootfs "$rootfs" /bin/true 2>>"$WORK/podman.err")
			if [[ $code == 0 ]]; then
				record podman "$variant" "$ROUND" "$v" ns
			else
				note podman "$variant run $ROUND failed: $(tail -n 1 "$WORK/podman.err")"
			fi
		done
	done
	# poststop archives each container it unplugged: one archive per run
	# with hooks shows the hooks really ran (they fail open, exit 0 anyway).
	archived=$(($(find "$ARCHIVE" -mindepth 1 -maxdepth 1 | wc -l) - archived))
	record podman-check archived-by-hooks 1 "$archived" containers
	((archived > 0)) || note podman "no archive appeared in $ARCHIVE after the runs with hooks: the hooks may not have traced"
	local claimed
	claimed=$(tt status --output json 2>/dev/null | jq -r ".claimed // empty")
	[[ ${claimed:-0} == 0 ]] || note podman "after all podman runs status says claimed=$claimed: poststop left slots claimed"
}

# Containers of this bench that podman still knows about (a failed --rm).
hooks_cleanup() {
	# interrupted during the busy-node rounds
	if [[ -n ${WORK:-} ]] && mountpoint -q "$WORK/mountns"; then
		umount "$WORK/mountns/mnt" 2>/dev/null
		umount "$WORK/mountns"
	fi
	command -v podman >/dev/null || return 0
	[[ -n ${TOKEN:-} ]] || return 0
	local id
	for id in $(podman ps -a -q --filter "name=tailtrace-bench-$TOKEN" 2>/dev/null); do
		podman rm -f "$id" >/dev/null 2>&1
	done
}
