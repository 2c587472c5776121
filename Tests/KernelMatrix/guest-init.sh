#!/bin/sh
# /init of the kernel matrix's initramfs (busybox sh, run as pid 1 by the
# kernel). Mounts what a node has, runs tailtrace's steps, prints one line
# `TT-STEP <step> pass|fail|skip <detail>` per step and the outputs the host
# checks between `TT-BEGIN <name>` / `TT-END <name>`, then powers off.
# `tt.cgroup=v2` (pure cgroup2 on /sys/fs/cgroup, like current nodes) or
# `tt.cgroup=v1` (v1 hierarchies on a tmpfs, no cgroup2 anywhere) on the
# kernel command line picks the cgroup layout.

export PATH=/usr/bin:/usr/sbin:/bin:/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
# Kernel messages on the serial line would cut into the JSON blocks: they
# stay in the ring buffer (printed at the end) and off the console.
echo 1 >/proc/sys/kernel/printk
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
# JITed programs then show in /proc/kallsyms: evidence, without bpftool,
# that uninstall unloaded them.
echo 1 >/proc/sys/net/core/bpf_jit_kallsyms 2>/dev/null
hostname tt-matrix

OUT=/tmp/tt-out
mkdir -p $OUT /var/lib
CG=/sys/fs/cgroup
MODE=v2
for arg in $(cat /proc/cmdline); do
	case $arg in tt.cgroup=*) MODE=${arg#tt.cgroup=} ;; esac
done

# --- helpers -----------------------------------------------------------------

# step NAME pass|fail|skip DETAIL, after the guest's uptime (per-step seconds).
step() {
	echo "TT-UPTIME $(cut -d' ' -f1 /proc/uptime) $1"
	echo "TT-STEP $1 $2${3:+ $3}"
}

# block NAME FILE: the file between markers, newline-terminated.
block() {
	echo "TT-BEGIN $1"
	cat "$2"
	[ -z "$(tail -c1 "$2")" ] || echo
	echo "TT-END $1"
}

# run NAME CMD...: runs CMD with stdin from $IN (default /dev/null), prints
# its stdout as block NAME and its stderr (if any) as block NAME.stderr.
# RC holds its exit status.
run() {
	name=$1
	shift
	"$@" >$OUT/$name 2>$OUT/$name.stderr <"${IN:-/dev/null}"
	RC=$?
	block $name $OUT/$name
	[ -s $OUT/$name.stderr ] && block $name.stderr $OUT/$name.stderr
	echo "TT-RC $name $RC"
	return $RC
}

# why NAME: a command's error for a detail: its first `Error:` line, else
# its last line. (The verifier's own last lines come from install_debug.)
why() {
	f=$OUT/$1.stderr
	[ -s $f ] || f=$OUT/$1
	line=$(grep -m1 -E '^(Error|tailtrace|ocihook-[a-z]+):' $f)
	[ -n "$line" ] || line=$(tail -n1 $f)
	echo "$line" | cut -c1-300
}

# jnum FILE KEY / jstr FILE KEY: a field of a one-line JSON object.
jnum() { sed -n "s/.*\"$2\":\(-\{0,1\}[0-9][0-9]*\).*/\1/p" "$1" | head -n1; }
jstr() { sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1" | head -n1; }

# inv1 PID NAME: puts PID into cgroup NAME of every v1 hierarchy, as a
# runtime on a v1 host does.
inv1() {
	for h in $V1; do
		mkdir -p $CG/$h/$2 && echo $1 >$CG/$h/$2/cgroup.procs
	done
}

# install_debug OPTIONS...: after a failed install, the same install with
# TAILTRACE_DEBUG=1, which prints libbpf's and the verifier's whole log; its
# last lines (from the failing program's log on) name the rejected
# instruction.
install_debug() {
	TAILTRACE_DEBUG=1 tailtrace install --pool 1 "$@" >$OUT/install-debug.full 2>&1
	r=$?
	[ $r = 0 ] && tailtrace uninstall >/dev/null 2>&1
	if grep -q 'BEGIN PROG LOAD LOG' $OUT/install-debug.full; then
		sed -n '/BEGIN PROG LOAD LOG/,$p' $OUT/install-debug.full | tail -n 60 >$OUT/install-debug
	else
		tail -n 60 $OUT/install-debug.full >$OUT/install-debug
	fi
	block install-debug $OUT/install-debug
	echo "TT-RC install-debug $r"
}

# rmdirs DIR...: removes each cgroup directory in turn (give the deepest
# first), retrying for up to a second while an exited task is still counted.
rmdirs() {
	for d in "$@"; do
		i=0
		while [ -d $d ] && ! rmdir $d 2>/dev/null && [ $i -lt 50 ]; do
			usleep 20000
			i=$((i + 1))
		done
		if [ -d $d ]; then return 1; fi
	done
	return 0
}

tt_progs() { grep -c 'bpf_prog_[0-9a-f]*_tt_' /proc/kallsyms; }

use_install() {
	export TAILTRACE_PIN_ROOT=/sys/fs/bpf/tailtrace-test-matrix$1
	export TAILTRACE_STATE_DIR=/run/tt-state$1
	export TAILTRACE_ARCHIVE_DIR=/var/lib/tt-archive$1
}

# --- set-up --------------------------------------------------------------------

if [ $MODE = v1 ]; then
	# No cgroup2 mount at all, as on a host booted with
	# systemd.unified_cgroup_hierarchy=0 and no hybrid unified mount. 6.12's
	# Debian config has no CONFIG_MEMCG_V1: memory is then missing, and said so.
	mount -t tmpfs -o mode=755 cgroup $CG
	V1=
	for h in cpu,cpuacct memory pids freezer; do
		mkdir -p $CG/$h
		if mount -t cgroup -o $h cgroup $CG/$h 2>/dev/null; then V1="$V1 $h"; else rmdir $CG/$h; fi
	done
	echo "TT-CGROUP v1:$V1"
else
	mount -t cgroup2 cgroup2 $CG
	echo "TT-CGROUP v2: $(cat $CG/cgroup.controllers)"
fi
echo "TT-UPTIME $(cut -d' ' -f1 /proc/uptime) boot"
echo "TT-KERNEL $(uname -r)"
printf 'tailtrace-matrix\n' >/tmp/tt-matrix-input
use_install ""

# --- 1. install, status ------------------------------------------------------------

INSTALLED=0
KEYOPT=
if run install tailtrace install --pool 4; then
	INSTALLED=1
	step install pass "$(head -n1 $OUT/install)"
	PROGS=$(tt_progs)
else
	step install fail "exit $RC: $(why install)"
	install_debug
fi

if [ $INSTALLED = 1 ]; then
	if run status tailtrace status --output json; then
		step status pass "pool_size $(jnum $OUT/status pool_size), free $(jnum $OUT/status free)"
	else
		step status fail "exit $RC: $(why status)"
	fi
	# A v1-only host has no cgroup v2 ids to key on: install should choose
	# the mount namespace there by itself.
	key=$(jstr $OUT/status key_mode)
	want=cgroup
	[ $MODE = v1 ] && want=mntns
	if [ "$key" = $want ]; then
		step key-mode pass "key $key"
	else
		step key-mode fail "install chose key '$key' on a cgroup $MODE host, expected $want"
		if [ $MODE = v1 ]; then
			KEYOPT="--key mntns"
			echo "TT-NOTE reinstalling with --key mntns for the remaining steps"
			run reinstall-uninstall tailtrace uninstall
			run reinstall tailtrace install --pool 4 $KEYOPT || {
				INSTALLED=0
				echo "TT-NOTE install --key mntns failed: $(why reinstall)"
			}
		fi
	fi
else
	step status fail "(needs install)"
	step key-mode fail "(needs install)"
fi

# --- 2-4. attach, workload, dump ---------------------------------------------------

ATTACHED=0
if [ $INSTALLED = 0 ]; then
	step attach fail "(needs install)"
elif [ $MODE = v1 ]; then
	# Nothing to attach to: the unit of tracing is the mount namespace.
	if run attach-v1 tailtrace attach --cgroup $CG/mx --name mx; then
		step attach fail "attach succeeded on a host without cgroup2"
	else
		step attach skip "(v1: no cgroup2; attach says: $(why attach-v1))"
	fi
else
	mkdir $CG/mx
	if run attach tailtrace attach --cgroup $CG/mx --name mx; then
		ATTACHED=1
		step attach pass "$(head -n1 $OUT/attach)"
	else
		step attach fail "exit $RC: $(why attach)"
	fi
fi

if [ $MODE = v1 ]; then
	step workload skip "(v1: no attach)"
	step dump skip "(v1: no attach)"
elif [ $ATTACHED = 0 ]; then
	step workload fail "(needs install and attach)"
	step dump fail "(needs install and attach)"
else
	run workload sh -c "echo \$\$ >$CG/mx/cgroup.procs && exec /workload attach"
	if [ $RC = 3 ]; then step workload pass "exit 3"; else step workload fail "exit $RC, expected 3"; fi
	run dump-text tailtrace dump mx
	r1=$RC
	run dump-json tailtrace dump mx --output json
	r2=$RC
	if [ $r1 = 0 ] && [ $r2 = 0 ]; then
		step dump pass "$(wc -l <$OUT/dump-json) records"
	else
		step dump fail "exit $r1 (text), $r2 (json): $(why dump-text)"
	fi
fi

# --- 5. OCI hooks ----------------------------------------------------------------

# A hand-made container: a process in its own mount namespace (and cgroup)
# that waits on a fifo, so prestart sees it before it runs the workload,
# as runc's init waits for `runc start`.
hooks() {
	ID=mxhook0123456789
	mkdir -p /tmp/bundle
	cat >/tmp/bundle/config.json <<-EOF
		{"ociVersion":"1.0.2","hostname":"mxhook","process":{"args":["/workload","hook"]},
		 "linux":{"cgroupsPath":"/hookct"},"annotations":{"io.tailtrace.trace":"true"}}
	EOF
	mkfifo /tmp/hookfifo
	unshare -m sh -c 'read go </tmp/hookfifo; exec /workload hook' >$OUT/hook-workload 2>&1 &
	hpid=$!
	if [ $MODE = v1 ]; then
		inv1 $hpid hookct
	else
		mkdir $CG/hookct && echo $hpid >$CG/hookct/cgroup.procs
	fi
	i=0
	while [ "$(readlink /proc/$hpid/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ] && [ $i -lt 250 ]; do
		usleep 20000
		i=$((i + 1))
	done
	printf '{"ociVersion":"1.0.2","id":"%s","status":"creating","pid":%s,"bundle":"/tmp/bundle","annotations":{"io.tailtrace.trace":"true"}}\n' \
		$ID $hpid >/tmp/state-creating
	printf '{"ociVersion":"1.0.2","id":"%s","status":"stopped","bundle":"/tmp/bundle","annotations":{"io.tailtrace.trace":"true"}}\n' \
		$ID >/tmp/state-stopped
	IN=/tmp/state-creating run hook-prestart ocihook-prestart
	pre=$RC
	IN=
	run hook-list tailtrace list --output json
	# Opened read-write, the fifo never blocks the writer, even if the
	# container is gone; its reader already counts, so the data stays.
	echo go 1<>/tmp/hookfifo
	wait $hpid
	wrc=$?
	block hook-workload $OUT/hook-workload
	IN=/tmp/state-stopped run hook-poststop ocihook-poststop
	post=$RC
	IN=
	run hook-dump tailtrace dump $ID --output json
	drc=$RC
	run hook-list-after tailtrace list --output json
	if [ -s $TAILTRACE_STATE_DIR/hooks.log ]; then block hooks-log $TAILTRACE_STATE_DIR/hooks.log; fi
	[ $MODE = v2 ] && rmdir $CG/hookct

	problem=
	[ $pre = 0 ] || problem="prestart exit $pre"
	[ -s $OUT/hook-prestart.stderr ] && problem="${problem:+$problem; }prestart: $(why hook-prestart)"
	grep -q "\"id\":\"$ID\"" $OUT/hook-list || problem="${problem:+$problem; }not listed after prestart"
	[ $wrc = 3 ] || problem="${problem:+$problem; }container exit $wrc, expected 3"
	[ $post = 0 ] || problem="${problem:+$problem; }poststop exit $post"
	[ -s $OUT/hook-poststop.stderr ] && problem="${problem:+$problem; }poststop: $(why hook-poststop)"
	[ $drc = 0 ] || problem="${problem:+$problem; }dump exit $drc: $(why hook-dump)"
	[ -s $TAILTRACE_STATE_DIR/hooks.log ] && problem="${problem:+$problem; }hooks.log: $(tail -n1 $TAILTRACE_STATE_DIR/hooks.log | cut -c1-200)"
	if [ -z "$problem" ]; then step hooks pass "$(wc -l <$OUT/hook-dump) records archived"; else step hooks fail "$problem"; fi
}
if [ $INSTALLED = 1 ]; then hooks; else step hooks fail "(needs install)"; fi

# --- 5b. nested cgroups -----------------------------------------------------------

# A container is its whole cgroup subtree: the workload moves itself from
# the shell's cgroup into mxnest (its calls right after the move must be
# there: the dispatcher's per-CPU memo is outdated by cgroup_attach_task),
# then the shell moves itself into mxnest/child and runs it again, then
# into child/grand. One slot for the subtree; records from the descendants
# carry their cgroup's id (the directory's inode number), records from
# mxnest itself none (check.py tells the runs apart by their write).
nested() {
	N=$CG/mxnest
	run nest-status-before tailtrace status --output json
	before=$(jnum $OUT/nest-status-before claimed)
	if ! mkdir -p $N/child/grand; then
		step nested fail "mkdir $N/child/grand failed"
		return
	fi
	printf '{"top":%s,"child":%s,"grand":%s}\n' "$(stat -c %i $N)" "$(stat -c %i $N/child)" \
		"$(stat -c %i $N/child/grand)" >$OUT/nest-cgroups
	block nest-cgroups $OUT/nest-cgroups
	problem=
	if run nest-attach tailtrace attach --cgroup $N --name mxnest; then
		run nest-workload sh -c "/workload move $N/cgroup.procs nest-top; echo rc \$?
			echo \$\$ >$N/child/cgroup.procs || exit 11; /workload nest-child; echo rc \$?
			echo \$\$ >$N/child/grand/cgroup.procs || exit 12; /workload nest-grand; echo rc \$?"
		[ $RC = 0 ] || problem="shell exit $RC (11-12: could not enter child, grand)"
		n=$(grep -c '^rc 3$' $OUT/nest-workload)
		[ "$n" = 3 ] || problem="${problem:+$problem; }$n of 3 workloads exited 3: $(grep '^rc' $OUT/nest-workload | tr '\n' ' ')"
		run nest-dump tailtrace dump mxnest --output json || problem="${problem:+$problem; }dump exit $RC: $(why nest-dump)"
		run nest-status tailtrace status --output json
		after=$(jnum $OUT/nest-status claimed)
		[ -n "$before" ] && [ "$after" = $((before + 1)) ] ||
			problem="${problem:+$problem; }claimed ${before:-?} before attach, ${after:-?} after, expected one more"
		run nest-detach tailtrace detach mxnest || problem="${problem:+$problem; }detach exit $RC: $(why nest-detach)"
	else
		problem="attach exit $RC: $(why nest-attach)"
	fi
	rmdirs $N/child/grand $N/child $N || problem="${problem:+$problem; }could not remove $(ls -d $N/child/grand $N/child $N 2>/dev/null | head -n1)"
	if [ -z "$problem" ]; then
		step nested pass "claimed $before -> $after, $(wc -l <$OUT/nest-dump) records; cgroups $(cat $OUT/nest-cgroups)"
	else
		step nested fail "$problem"
	fi
}
if [ $MODE = v1 ]; then
	step nested skip "(v1: no cgroup2, no cgroup subtree to attach)"
elif [ $INSTALLED = 0 ]; then
	step nested fail "(needs install)"
else
	nested
fi

# --- 7a. detach, uninstall ------------------------------------------------------------

if [ $MODE = v1 ]; then
	step detach skip "(v1: no attach)"
elif [ $ATTACHED = 0 ]; then
	step detach fail "(needs install and attach)"
elif run detach tailtrace detach mx; then
	step detach pass "$(head -n1 $OUT/detach)"
else
	step detach fail "exit $RC: $(why detach)"
fi
[ -d $CG/mx ] && rmdir $CG/mx

if [ $INSTALLED = 0 ]; then
	step uninstall fail "(needs install)"
elif run uninstall tailtrace uninstall; then
	step uninstall pass "$(head -n1 $OUT/uninstall)"
else
	step uninstall fail "exit $RC: $(why uninstall)"
fi

# --- 6. auto-claim (pool mode), a second installation ------------------------------------

# The dispatcher claims a slot at the first syscall of a task outside the
# host's mount namespace in a cgroup no host task uses: a cgroup made after
# install, entered from the host namespace, then `unshare -m` and exec.
autoclaim() {
	use_install -pool
	if ! run pool-install tailtrace install --pool 2 --auto-claim $KEYOPT; then
		step auto-claim fail "install --auto-claim: exit $RC: $(why pool-install)"
		[ $INSTALLED = 1 ] || install_debug --auto-claim $KEYOPT
		return
	fi
	POOL_INSTALLED=1
	if [ $MODE = v1 ]; then
		run pool-workload sh -c "for h in $V1; do mkdir -p $CG/\$h/mxpool && echo \$\$ >$CG/\$h/mxpool/cgroup.procs; done; exec unshare -m /workload pool"
	else
		# /<namespace>/<id> is containerd's cgroup shape: reconcile names it.
		mkdir -p $CG/mxpool/mxpool0
		run pool-workload sh -c "echo \$\$ >$CG/mxpool/mxpool0/cgroup.procs && exec unshare -m /workload pool"
	fi
	wrc=$RC
	run pool-status tailtrace status --output json
	src=$RC
	claims=$(jnum $OUT/pool-status auto_claims)
	claimed=$(jnum $OUT/pool-status claimed)
	run pool-list-unnamed tailtrace list --output json
	run pool-reconcile tailtrace reconcile
	rrc=$RC
	if [ $MODE = v1 ]; then
		# No cgroup path to name it by: reconcile archives the exited claim
		# as pool-<key>.
		NAME=$(grep -o '"id":"pool-[0-9]*"' $OUT/pool-reconcile $OUT/pool-list-unnamed 2>/dev/null | head -n1 | cut -d'"' -f4)
		run pool-list tailtrace list --output json
		[ -n "$NAME" ] || NAME=$(grep -o '"id":"pool-[0-9]*"' $OUT/pool-list | head -n1 | cut -d'"' -f4)
	else
		NAME=mxpool0
		run pool-list tailtrace list --output json
		rmdir $CG/mxpool/mxpool0 $CG/mxpool
		run pool-reconcile-gone tailtrace reconcile
		rrc=$((rrc + RC))
	fi
	drc=1
	if [ -n "$NAME" ]; then
		run pool-dump tailtrace dump $NAME --output json
		drc=$RC
	fi
	run pool-list-after tailtrace list --output json

	problem=
	[ $wrc = 3 ] || problem="workload exit $wrc, expected 3"
	[ $src = 0 ] || problem="${problem:+$problem; }status exit $src"
	[ "${claims:-0}" -ge 1 ] || problem="${problem:+$problem; }auto_claims ${claims:-?}, expected >= 1"
	[ "${claimed:-0}" -ge 1 ] || problem="${problem:+$problem; }claimed ${claimed:-?}, expected >= 1"
	[ $rrc = 0 ] || problem="${problem:+$problem; }reconcile failed: $(why pool-reconcile)"
	[ -n "$NAME" ] || problem="${problem:+$problem; }no claim named after reconcile"
	[ $drc = 0 ] || problem="${problem:+$problem; }dump ${NAME:-?} exit $drc: $(why pool-dump)"
	if [ -z "$problem" ]; then
		step auto-claim pass "auto_claims $claims, claimed $claimed, dumped $NAME ($(wc -l <$OUT/pool-dump) records)"
	else
		step auto-claim fail "$problem"
	fi
}
# A claim is a cgroup subtree too: a task that moves into a descendant of a
# claimed cgroup stays in that claim (no second claim, no miss).
poolnested() {
	P=$CG/mxpoolnest
	run poolnest-status-before tailtrace status --output json
	c0=$(jnum $OUT/poolnest-status-before auto_claims)
	m0=$(jnum $OUT/poolnest-status-before misses)
	mkdir $P
	run poolnest-workload sh -c "echo \$\$ >$P/cgroup.procs && exec unshare -m sh -c '/workload pool-nest-top; echo rc \$?
		mkdir $P/child && echo \$\$ >$P/child/cgroup.procs && /workload pool-nest-child; echo rc \$?'"
	wrc=$RC
	run poolnest-status tailtrace status --output json
	src=$RC
	c1=$(jnum $OUT/poolnest-status auto_claims)
	m1=$(jnum $OUT/poolnest-status misses)
	problem=
	n=$(grep -c '^rc 3$' $OUT/poolnest-workload)
	[ $wrc = 0 ] && [ "$n" = 2 ] || problem="shell exit $wrc, $n of 2 workloads exited 3: $(grep '^rc' $OUT/poolnest-workload | tr '\n' ' ')"
	[ $src = 0 ] || problem="${problem:+$problem; }status exit $src"
	[ -n "$c0" ] && [ "$c1" = $((c0 + 1)) ] ||
		problem="${problem:+$problem; }auto_claims ${c0:-?} -> ${c1:-?}, expected exactly one more"
	[ -n "$m0" ] && [ "$m1" = "$m0" ] || problem="${problem:+$problem; }misses ${m0:-?} -> ${m1:-?}, expected unchanged"
	rmdirs $P/child $P || problem="${problem:+$problem; }could not remove $(ls -d $P/child $P 2>/dev/null | head -n1)"
	if [ -z "$problem" ]; then
		step pool-nested pass "auto_claims $c0 -> $c1, misses $m0 -> $m1"
	else
		step pool-nested fail "$problem"
	fi
}
POOL_INSTALLED=0
autoclaim
if [ $MODE = v1 ]; then
	step pool-nested skip "(v1: claims are keyed by mount namespace, which has no subtree)"
elif [ $POOL_INSTALLED = 0 ]; then
	step pool-nested fail "(needs the pool installation)"
else
	poolnested
fi
if [ $POOL_INSTALLED = 1 ] && ! run pool-uninstall tailtrace uninstall; then
	POOL_UNINSTALL_FAILED="uninstall of the pool installation: exit $RC: $(why pool-uninstall)"
fi

# --- 7b. nothing left --------------------------------------------------------------------

left=$(ls /sys/fs/bpf | grep '^tailtrace-test-' | tr '\n' ' ')
# Programs are freed after an RCU grace period: allow a moment.
i=0
n=$(tt_progs)
while [ "$n" != 0 ] && [ $i -lt 50 ]; do
	usleep 100000
	i=$((i + 1))
	n=$(tt_progs)
done
echo "TT-BEGIN bpffs"
ls -la /sys/fs/bpf
echo "TT-END bpffs"
if [ -n "$left" ]; then
	step cleanup fail "pins left in /sys/fs/bpf: $left"
elif [ -n "$POOL_UNINSTALL_FAILED" ]; then
	step cleanup fail "$POOL_UNINSTALL_FAILED"
elif [ "$n" != 0 ]; then
	step cleanup fail "$n tt_* programs still in /proc/kallsyms 5 s after uninstall"
elif [ "${PROGS:-0}" = 0 ]; then
	step cleanup pass "no pins left (no JITed programs in kallsyms to check)"
else
	step cleanup pass "no pins, no tt_* programs left (were $PROGS)"
fi

dmesg >$OUT/dmesg
block dmesg $OUT/dmesg
echo TT-DONE
sync
poweroff -f
