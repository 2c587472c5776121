#!/usr/bin/env python3
"""Follow benchmark driver (bench/lib/follow.sh):

  follow-latency.py --idle S --calls N --every MS --cgroup DIR --marker BIN -- TAILTRACE_FOLLOW_COMMAND...

Starts the follow command (JSON output), reads its lines on a thread as they
come, measures its CPU time over S seconds while the
followed cgroup does nothing (its threads' schedstat), then runs `marker N MS` in the cgroup and takes,
per marked call, the line's arrival (CLOCK_MONOTONIC) minus the time the call
carries. Prints "idle <cpu ns> <wall ns>" and one "latency <ns>" per call seen.
"""
import argparse
import os
import re
import subprocess
import threading
import time

p = argparse.ArgumentParser()
p.add_argument("--idle", type=float, required=True)
p.add_argument("--calls", type=int, required=True)
p.add_argument("--every", type=int, required=True)
p.add_argument("--cgroup", required=True)
p.add_argument("--marker", required=True)
p.add_argument("--in-cgroup", required=True)
p.add_argument("command", nargs="+")
a = p.parse_args()

start = time.monotonic_ns()
follow = subprocess.Popen(a.command, stdout=subprocess.PIPE)
latencies = []
mark = re.compile(rb"/nonexistent-follow/(\d+)")


def read():
    for line in follow.stdout:
        now = time.monotonic_ns()
        m = mark.search(line)
        if m and int(m.group(1)) > start:
            latencies.append(now - int(m.group(1)))


reader = threading.Thread(target=read, daemon=True)
reader.start()


def cpu_ns():
    # schedstat's time on CPU is in ns (stat's utime+stime are 10 ms ticks)
    total = 0
    for task in os.listdir(f"/proc/{follow.pid}/task"):
        total += int(open(f"/proc/{follow.pid}/task/{task}/schedstat").read().split()[0])
    return total


try:
    time.sleep(2)  # the ring's earlier records are printed first
    c0, t0 = cpu_ns(), time.monotonic_ns()
    time.sleep(a.idle)
    c1, t1 = cpu_ns(), time.monotonic_ns()
    subprocess.run([a.in_cgroup, a.cgroup, a.marker, str(a.calls), str(a.every)], check=True)
    time.sleep(1.5)
finally:
    follow.terminate()
    follow.wait()
print(f"idle {c1 - c0} {t1 - t0}")
for ns in latencies:
    print(f"latency {ns}")
