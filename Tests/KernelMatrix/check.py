#!/usr/bin/env python3
"""Reads the kernel matrix's serial logs, checks what the guests printed and
prints the report: each run's steps, a summary table, the total time and
`kernel-matrix: N passed, M failed` (over kernel x cgroup mode x step).

    check.py [--started EPOCH] [--phase NAME=SECONDS]... [--prune] MANIFEST

MANIFEST has one tab-separated line per boot: label, cgroup mode, package,
version, expected `uname -r`, qemu's exit status, seconds, serial log path.
A step passes when the guest printed `TT-STEP <step> pass` and the host's
checks of its JSON (below) pass too. Exit status 0 only if nothing failed.
"""

import argparse
import json
import os
import re
import sys
import time

STEPS = ["boot", "install", "status", "key-mode", "attach", "workload", "dump",
         "hooks", "nested", "detach", "uninstall", "auto-claim", "pool-nested", "cleanup"]
# Blocks whose stderr is worth showing when a step fails.
STEP_BLOCKS = {
    "install": ["install", "reinstall"], "status": ["status"], "attach": ["attach", "attach-v1"],
    "workload": ["workload"], "dump": ["dump-text", "dump-json"],
    "hooks": ["hook-prestart", "hook-list", "hook-poststop", "hook-dump", "hooks-log"],
    "nested": ["nest-status-before", "nest-attach", "nest-workload", "nest-dump", "nest-status",
               "nest-detach"],
    "detach": ["detach"], "uninstall": ["uninstall"],
    "auto-claim": ["pool-install", "pool-workload", "pool-status", "pool-reconcile",
                   "pool-reconcile-gone", "pool-dump"],
    "pool-nested": ["poolnest-status-before", "poolnest-workload", "poolnest-status"],
    "cleanup": ["pool-uninstall", "bpffs"],
}
INPUT = "tailtrace-matrix\n"  # what the guest wrote to /tmp/tt-matrix-input
HOOK_ID = "mxhook0123456789"
MARK = re.compile(r"TT-(STEP|BEGIN|END|RC|KERNEL|CGROUP|NOTE|DONE|UPTIME)\b ?(.*)$")


class Log:
    """What one guest printed: steps, blocks (name -> text), exit statuses."""

    def __init__(self, text):
        self.steps, self.blocks, self.rcs, self.notes = {}, {}, {}, []
        self.uptime = {}  # step -> the guest's uptime when it ended
        self.kernel = self.cgroup = None
        self.done = False
        self.tail = []
        current, buf = None, []
        lines = text.replace("\r", "").split("\n")
        self.tail = [l for l in lines if l.strip()][-15:]
        for line in lines:
            if current is not None:
                if line.rstrip() == "TT-END " + current:
                    self.blocks[current] = "\n".join(buf)
                    current, buf = None, []
                else:
                    buf.append(line)
                continue
            m = MARK.search(line)
            if not m:
                continue
            kind, rest = m.group(1), m.group(2).strip()
            if kind == "STEP":
                name, _, outcome = rest.partition(" ")
                result, _, detail = outcome.partition(" ")
                self.steps[name] = (result, detail)
            elif kind == "BEGIN":
                current = rest
            elif kind == "RC":
                name, _, rc = rest.partition(" ")
                self.rcs[name] = rc
            elif kind == "KERNEL":
                self.kernel = rest
            elif kind == "CGROUP":
                self.cgroup = rest
            elif kind == "NOTE":
                self.notes.append(rest)
            elif kind == "UPTIME":
                seconds, _, step = rest.partition(" ")
                try:
                    self.uptime[step] = float(seconds)
                except ValueError:
                    pass
            elif kind == "DONE":
                self.done = True
        self.stopped_in = current  # the guest stopped inside a block: that command hung
        if current is not None:
            self.blocks[current] = "\n".join(buf)

    def json_object(self, name):
        text = self.blocks.get(name, "").strip()
        try:
            return json.loads(text) if text else None
        except ValueError:
            return None

    def json_lines(self, name):
        """(objects, problems) of a dump --output json block."""
        objects, problems = [], []
        for n, line in enumerate(self.blocks.get(name, "").split("\n"), 1):
            if not line.strip():
                continue
            try:
                objects.append(json.loads(line))
            except ValueError:
                problems.append(f"{name} line {n} is not JSON: {line[:80]}")
        return objects, problems


def workload_problems(events, tag, lifecycle=True):
    """What is missing from a trace of `/workload TAG` (see workload.c);
    `lifecycle`: also its signal and process exits (not in a per-pid slice)."""
    calls = [e for e in events if "syscall" in e]
    mine = [e for e in calls if e.get("comm") == "workload"]
    if not calls:
        return ["no syscall records"]
    if not mine:
        return [f"no records of comm 'workload' among {len(calls)} records"]

    def find(name, test):
        return any(e.get("syscall") == name and test(e.get("args") or {}, e) for e in mine)

    want = f"tailtrace-matrix write {tag}\n"
    checks = [
        ("openat /tmp/tt-matrix-input = fd",
         find("openat", lambda a, e: a.get("filename") == "/tmp/tt-matrix-input"
              and isinstance(e.get("ret"), int) and e["ret"] >= 0)),
        ("read of the file's contents (buf, ret 17)",
         find("read", lambda a, e: a.get("buf") == INPUT and e.get("ret") == len(INPUT))),
        (f"write {want!r}",
         find("write", lambda a, e: a.get("buf") == want and e.get("ret") == len(want))),
        ("openat /nonexistent/tt-matrix = -2 ENOENT",
         find("openat", lambda a, e: a.get("filename") == "/nonexistent/tt-matrix"
              and e.get("ret") == -2 and e.get("errno") == "ENOENT")),
        ("openat of a path in an untouched page, read again at exit",
         find("openat", lambda a, e: a.get("filename") == "/nonexistent/tt-matrix-cold"
              and "faulted" not in e)),
        ("connect to AF_INET 127.0.0.1:9",
         find("connect", lambda a, e: a.get("uservaddr") == {"family": "AF_INET", "addr": "127.0.0.1", "port": 9})),
        ("3 getppid", sum(e.get("syscall") == "getppid" for e in mine) >= 3),
        ("exit_group(error_code=3) = null",
         find("exit_group", lambda a, e: a.get("error_code") == 3 and e.get("ret") is None)),
    ]
    others_ = [e for e in events if "event" in e and e.get("comm") == "workload"]
    checks += [] if not lifecycle else [
        ("SIGSEGV delivered (SEGV_MAPERR at NULL)",
         any(e["event"] == "signal" and e.get("signal") == "SIGSEGV" and e.get("code") == "SEGV_MAPERR"
             for e in others_)),
        ("the child killed by SIGSEGV",
         any(e["event"] == "exit" and e.get("killed_by") == "SIGSEGV" for e in others_)),
        ("the workload's own exit with 3",
         any(e["event"] == "exit" and e.get("exit_code") == 3 for e in others_)),
    ]
    problems = [f"missing {what}" for what, ok in checks if not ok]
    others = {e["args"]["buf"] for e in calls if e.get("syscall") == "write"
              and isinstance((e.get("args") or {}).get("buf"), str)
              and e["args"]["buf"].startswith("tailtrace-matrix write ") and e["args"]["buf"] != want}
    if others:
        problems.append(f"records of another run: {sorted(others)}")
    return problems


NEST_TAGS = ("nest-top", "nest-child", "nest-grand")


def nested_problems(log):
    """The nested step's dump: each tag's workload (the process whose write
    holds the tag) recorded whole, nest-top's records without `cgroup_id`,
    nest-child's and nest-grand's with their cgroup's inode number; and
    one more slot claimed for the subtree."""
    problems = []
    before, after = log.json_object("nest-status-before"), log.json_object("nest-status")
    if not isinstance(before, dict) or not isinstance(after, dict):
        problems.append("no status --output json before and after the attach")
    elif not isinstance(before.get("claimed"), int) or after.get("claimed") != before["claimed"] + 1:
        problems.append(f"claimed {before.get('claimed')!r} before attach, {after.get('claimed')!r} after,"
                        " expected exactly one more (one slot for the subtree)")
    ids = log.json_object("nest-cgroups")
    if not isinstance(ids, dict) or not all(isinstance(ids.get(k), int) for k in ("top", "child", "grand")):
        return problems + [f"nest-cgroups holds no inode numbers: {log.blocks.get('nest-cgroups', '')!r}"]
    if len({ids["top"], ids["child"], ids["grand"]}) != 3:
        problems.append(f"the three cgroups' inode numbers are not distinct: {ids}")
    events, bad = log.json_lines("nest-dump")
    problems += bad
    calls = [e for e in events if "syscall" in e]
    want = {"nest-top": None, "nest-child": ids["child"], "nest-grand": ids["grand"]}
    for tag, cgroup in want.items():
        line = f"tailtrace-matrix write {tag}\n"
        pids = sorted({e.get("pid") for e in calls if e.get("comm") == "workload" and e.get("syscall") == "write"
                       and (e.get("args") or {}).get("buf") == line})
        if len(pids) != 1:
            problems.append(f"{tag}: {len(pids)} workload processes wrote {line!r}, expected 1")
            continue
        mine = [e for e in calls if e.get("pid") == pids[0] and e.get("comm") == "workload"]
        problems += [f"{tag}: {p}" for p in workload_problems(mine, tag, lifecycle=False)]
        # `workload move`: recorded from the exit of the write that moved it
        first = [(e.get("syscall"), e.get("ret")) for e in mine[:2]]
        if tag == "nest-top" and first != [("write", 1), ("close", 0)]:
            problems.append(f"nest-top: first records {first},"
                            " expected the exit of the write that moved it (1), then close (0)")
        have = {e["cgroup_id"] if "cgroup_id" in e else None for e in mine}
        if have != {cgroup}:
            shown = ", ".join(sorted("no cgroup_id" if c is None else f"cgroup_id {c}" for c in have))
            expected = "no cgroup_id" if cgroup is None else f"cgroup_id {cgroup}"
            problems.append(f"{tag}: records carry {shown}, expected {expected} on every one")
    tags = {e["args"]["buf"][len("tailtrace-matrix write "):].strip() for e in calls
            if e.get("syscall") == "write" and isinstance((e.get("args") or {}).get("buf"), str)
            and e["args"]["buf"].startswith("tailtrace-matrix write ")}
    if tags - set(NEST_TAGS):
        problems.append(f"records of another run: {sorted(tags - set(NEST_TAGS))}")
    strays = sorted({e["cgroup_id"] for e in events if "cgroup_id" in e} - {ids["child"], ids["grand"]}, key=str)
    if strays:
        problems.append(f"records carry cgroup_id {strays}, neither child {ids['child']} nor grand {ids['grand']}"
                        + (" (mxnest's own records must carry none)" if ids["top"] in strays else ""))
    return problems


def listed(log, block, id_, **fields):
    """Problems with container `id_` in a `list --output json` block."""
    records = log.json_object(block)
    if not isinstance(records, list):
        return [f"{block}: not a JSON array"]
    found = [r for r in records if isinstance(r, dict) and r.get("id") == id_]
    if not found:
        return [f"{block}: {id_} not listed"]
    return [f"{block}: {id_} has {k}={found[0].get(k)!r}, expected {v!r}"
            for k, v in fields.items() if found[0].get(k) != v]


def host_checks(log, mode):
    """step -> problems found in the guest's output by the host."""
    out = {s: [] for s in STEPS}
    status = log.json_object("status")
    if "status" in log.blocks:
        if not isinstance(status, dict):
            out["status"].append("status --output json is not a JSON object")
        else:
            missing = [k for k in ("pool_size", "free", "claimed", "misses", "lost") if k not in status]
            if missing:
                out["status"].append(f"status lacks {', '.join(missing)}")
    if "dump-json" in log.blocks:
        events, bad = log.json_lines("dump-json")
        out["dump"] += bad + workload_problems(events, "attach")
        text = log.blocks.get("dump-text", "")
        if not re.search(r'openat\(.*"/nonexistent/tt-matrix".*\) = -1 ENOENT \(No such file or directory\)', text):
            out["dump"].append("text dump lacks openat(\"/nonexistent/tt-matrix\") = -1 ENOENT (No such file or directory)")
        if "[workload] exit_group(error_code=3) = ?" not in text:
            out["dump"].append("text dump lacks [workload] exit_group(error_code=3) = ?")
    if "hook-dump" in log.blocks:
        events, bad = log.json_lines("hook-dump")
        out["hooks"] += bad + workload_problems(events, "hook")
        out["hooks"] += listed(log, "hook-list", HOOK_ID, source="hook", state="running")
        out["hooks"] += listed(log, "hook-list-after", HOOK_ID, state="exited")
    if "pool-status" in log.blocks:
        s = log.json_object("pool-status") or {}
        for key in ("auto_claims", "claimed"):
            if not isinstance(s.get(key), int) or s[key] < 1:
                out["auto-claim"].append(f"status {key}={s.get(key)!r}, expected >= 1")
        if mode == "v2" and "pool-list" in log.blocks:
            out["auto-claim"] += listed(log, "pool-list", "mxpool0", source="pool", runtime="containerd",
                                        state="running")
        if "pool-dump" in log.blocks:
            events, bad = log.json_lines("pool-dump")
            problems = bad + workload_problems(events, "pool")
            if not any(e.get("syscall") == "execve" and (e.get("args") or {}).get("filename") == "/workload"
                       for e in events):
                problems.append("no execve of /workload (the claim should come before it)")
            out["auto-claim"] += problems
    if "nest-dump" in log.blocks:
        out["nested"] += nested_problems(log)
    if "poolnest-status" in log.blocks:
        s0, s1 = log.json_object("poolnest-status-before") or {}, log.json_object("poolnest-status") or {}
        c0, c1, m0, m1 = s0.get("auto_claims"), s1.get("auto_claims"), s0.get("misses"), s1.get("misses")
        if not isinstance(c0, int) or c1 != c0 + 1:
            out["pool-nested"].append(f"auto_claims {c0!r} -> {c1!r}, expected exactly one more"
                                      " (a child cgroup of a claim is no second claim)")
        if not isinstance(m0, int) or m1 != m0:
            out["pool-nested"].append(f"misses {m0!r} -> {m1!r}, expected unchanged")
    return out


class Run:
    def __init__(self, fields):
        (self.label, self.mode, self.package, self.version, self.release, rc, secs,
         self.path) = fields
        self.qemu_rc, self.seconds = int(rc), float(secs)
        try:
            with open(self.path, errors="replace") as f:
                self.log = Log(f.read())
        except OSError:
            self.log = Log("")
        self.results = self.judge()

    @property
    def name(self):
        return f"{self.label}/{self.mode}"

    def judge(self):
        log = self.log
        results = {}
        boot = []
        if self.qemu_rc in (124, 137):
            boot.append(f"timed out after {self.seconds:.0f} s")
        elif self.qemu_rc != 0:
            boot.append(f"qemu exit {self.qemu_rc}")
        if log.kernel != self.release:
            boot.append(f"kernel {log.kernel or '(none)'} booted, expected {self.release}")
        if not log.done:
            boot.append("no TT-DONE" + (f" (stopped during `{log.stopped_in}`)" if log.stopped_in else ""))
        results["boot"] = ("fail", "; ".join(boot)) if boot else ("pass", f"{log.kernel}, {log.cgroup}")
        checks = host_checks(log, self.mode)
        reason = self.verifier_reason()
        for step in STEPS[1:]:
            if step not in log.steps:
                results[step] = ("fail", "no result (the guest stopped before this step)")
                continue
            result, detail = log.steps[step]
            if result == "pass" and checks[step]:
                results[step] = ("fail", "host: " + "; ".join(checks[step]))
            elif result in ("pass", "skip"):
                results[step] = (result, detail)
            else:
                if reason and step in ("install", "auto-claim") and "refused" in detail:
                    detail += f" -- verifier: {reason}"
                results[step] = ("fail", detail)
        return results

    def verifier_reason(self):
        """The verifier's last word in the TAILTRACE_DEBUG=1 log, e.g.
        `R8 unbounded memory access` or `unknown func bpf_loop#181`."""
        lines = self.log.blocks.get("install-debug", "").split("\n")
        if "-- END PROG LOAD LOG --" not in lines:
            return None
        end = len(lines) - 1 - lines[::-1].index("-- END PROG LOAD LOG --")
        noise = ("processed ", "verification time", "stack depth", "max_states_per_insn", "-- BEGIN")
        said = [l.strip() for l in lines[:end] if l.strip() and not l.startswith(noise)]
        return said[-1] if said else None

    def failed(self):
        return [s for s, (r, _) in self.results.items() if r == "fail"]

    def variant(self):
        s = self.log.json_object("status") or self.log.json_object("pool-status")
        if isinstance(s, dict) and "bpf_variant" in s:
            reason = s.get("bpf_variant_reason")
            return f"{s['bpf_variant']}" + (f" ({reason})" if reason else "")
        if isinstance(s, dict):
            return "(status has no bpf_variant)"
        # No status: the variant install tried, from its error.
        m = re.search(r"\((\w+) variant\)", self.log.blocks.get("install.stderr", ""))
        return f"{m.group(1)} (tried; install failed)" if m else "(unknown: no status)"

    def report(self, keep):
        print(f"\n== {self.label} {self.mode}: {self.package} {self.version}, "
              f"{self.seconds:.0f} s boot+run")
        print(f"   bpf variant: {self.variant()}")
        previous = 0.0
        for step in STEPS:
            result, detail = self.results[step]
            took = ""
            if step in self.log.uptime:
                took = f"{self.log.uptime[step] - previous:5.1f}s"
                previous = self.log.uptime[step]
            print(f"   {step:<11} {result.upper() if result == 'fail' else result:<5} {took:>6}  {detail}")
        for note in self.log.notes:
            print(f"   note: {note}")
        failed = self.failed()
        if failed or keep:
            print(f"   serial log: {self.path}")
        if not failed:
            return
        shown = set()
        for step in failed:
            for block in STEP_BLOCKS.get(step, []):
                name = block if block == "hooks-log" else block + ".stderr"
                text = self.log.blocks.get(name, "").strip()
                if text and name not in shown:
                    shown.add(name)
                    print_tail(name, text, 8)
        if "install-debug" in self.log.blocks:
            print_tail("TAILTRACE_DEBUG=1 tailtrace install: the verifier's last lines",
                       self.log.blocks["install-debug"], 25)
        if "boot" in failed and self.log.tail:
            print_tail("console, last lines", "\n".join(self.log.tail), 15)


def print_tail(title, text, n):
    lines = text.rstrip("\n").split("\n")
    print(f"   --- {title}" + (f" (last {n} of {len(lines)} lines)" if len(lines) > n else ""))
    for line in lines[-n:]:
        print(f"   | {line[:300]}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("manifest")
    p.add_argument("--started", type=float)
    p.add_argument("--phase", action="append", default=[])
    p.add_argument("--keep", action="store_true", help="print every log's path")
    p.add_argument("--prune", action="store_true", help="remove the logs of runs that passed")
    args = p.parse_args()
    with open(args.manifest) as f:
        runs = [Run(line.rstrip("\n").split("\t")) for line in f if line.strip()]

    for run in runs:
        run.report(args.keep)

    print("\n== summary")
    width = max([len(r.name) for r in runs] + [7]) + 2
    print("   " + f"{'step':<12}" + "".join(f"{r.name:<{width}}" for r in runs))
    for step in STEPS:
        cells = "".join(f"{(r.results[step][0].upper() if r.results[step][0] == 'fail' else r.results[step][0]):<{width}}" for r in runs)
        print("   " + f"{step:<12}" + cells)
    print("   " + f"{'seconds':<12}" + "".join(f"{r.seconds:<{width}.0f}" for r in runs))
    for run in runs:
        print(f"   {run.name}: {run.package} {run.version}; bpf variant {run.variant()}")
    phases = ", ".join(f"{k} {float(v):.0f} s" for k, v in (x.split("=", 1) for x in args.phase))
    if args.started:
        total = time.time() - args.started
        print(f"   total {total // 60:.0f}m{total % 60:02.0f}s" + (f" ({phases})" if phases else ""))

    results = [r.results[s][0] for r in runs for s in STEPS]
    passed, failed, skipped = results.count("pass"), results.count("fail"), results.count("skip")
    if args.prune:
        for run in runs:
            if not run.failed() and os.path.exists(run.path):
                os.remove(run.path)
    if skipped:
        print(f"   {skipped} steps skipped (not applicable on cgroup v1)")
    print(f"kernel-matrix: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
