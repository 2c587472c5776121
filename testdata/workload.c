/*
 * Test workload with known syscalls, run by the tests inside a traced cgroup:
 *   workload TAG      openat of a missing path (ENOENT), write of a known
 *                     buffer, read of a known file, rename, getppid x3,
 *                     then exit 3 (a "crash").
 *   workload loop N   N getppid calls (ring overflow, benchmarks).
 *   workload move PROCS TAG     1000 getppid calls where it starts, then it
 *                     writes "0" into PROCS (a cgroup.procs: it moves itself
 *                     into that cgroup) and makes TAG's calls at once.
 *   workload unshare TAG        1000 getppid calls, unshare(CLONE_NEWNS),
 *                     then TAG's calls at once.
 *   workload thread-exec TAG    a second thread makes 1000 getppid calls and
 *                     execs `workload TAG` while the first waits: the exec
 *                     ends the first thread, and the second goes on as the
 *                     process's leader, with the leader's tid. The first
 *                     thread runs on CPU 0 and the second on CPU 1, so the
 *                     first one's end leaves the second one's CPU alone.
 * TAG makes paths unique so two workloads never share a name.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *self;

static void getppid_calls(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static int run_on(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set); /* 0: the calling thread */
}

static void *exec_self(void *tag)
{
	if (run_on(1) != 0)
		return 0;
	getppid_calls(1000);
	char *args[] = { "workload", tag, 0 };
	execv(self, args);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "thread-exec") == 0) {
		pthread_t t;
		self = argv[0];
		if (run_on(0) != 0 || pthread_create(&t, 0, exec_self, argv[2]) != 0)
			return 1;
		pthread_join(t, 0); /* returns only if the exec failed */
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "loop") == 0) {
		getppid_calls(atol(argv[2]));
		return 0;
	}
	const char *tag = argc > 1 ? argv[1] : "x";
	if ((argc == 4 && strcmp(argv[1], "move") == 0) || (argc == 3 && strcmp(argv[1], "unshare") == 0)) {
		getppid_calls(1000);
		if (argc == 4) {
			int procs = open(argv[2], O_WRONLY);
			if (procs < 0 || write(procs, "0", 1) != 1)
				return 1;
			close(procs);
		} else if (unshare(CLONE_NEWNS) != 0) {
			return 1;
		}
		tag = argv[argc - 1];
	}
	char path[256], dir[256], moved[256];
	snprintf(path, sizeof(path), "/nonexistent-%s/file", tag);
	int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	(void)fd;

	char msg[128];
	int n = snprintf(msg, sizeof(msg), "hello from %s\n", tag);
	snprintf(dir, sizeof(dir), "/tmp/tailtrace-workload-%s", tag);
	int out = open(dir, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out >= 0) {
		if (write(out, msg, n) != n)
			return 1;
		close(out);
	}
	int in = openat(AT_FDCWD, dir, O_RDONLY);
	if (in >= 0) {
		char buf[64];
		if (read(in, buf, sizeof(buf)) < 0)
			return 1;
		close(in);
	}
	snprintf(moved, sizeof(moved), "%s.moved", dir);
	rename(dir, moved);
	unlink(moved);
	getppid_calls(3);
	return 3;
}
