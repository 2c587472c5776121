/*
 * getppid loop for the syscall-cost benchmark:
 *   loop N        makes N getppid syscalls and prints "<wall ns> <cpu ns>" per call.
 *   loop N FILE   N preads of 16 KiB blocks of FILE instead (sysbench fileio
 *                 seqrd's block size: a syscall with a buffer payload).
 * Only the loop is timed, so process start-up, the move into the benchmark
 * cgroup and a tracer's attach cost are left out.
 * wall: CLOCK_MONOTONIC, what the caller waits, whatever the tracer does.
 * cpu: CLOCK_THREAD_CPUTIME_ID, the thread's user+system time; it leaves out
 * time the thread was preempted by other load, so it is the steadier figure
 * for costs paid in the syscall's own context (BPF programs), and it misses
 * what another process does on the thread's behalf (strace, perf's reader).
 * syscall(SYS_getppid) rather than getppid(): one real syscall per call.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || atol(argv[1]) <= 0) {
		fprintf(stderr, "usage: %s N [FILE]\n", argv[0]);
		return 2;
	}
	long n = atol(argv[1]);
	static char block[16384];
	int fd = argc == 3 ? open(argv[2], O_RDONLY) : -1;
	if (argc == 3 && fd < 0) {
		perror(argv[2]);
		return 1;
	}
#define CALL(i) (fd >= 0 ? (void)pread(fd, block, sizeof(block), (off_t)((i) % 64) * sizeof(block)) \
			 : (void)syscall(SYS_getppid))
	/* Warm up caches and the tracer's per-task state outside the timing. */
	for (long i = 0; i < 1000; i++)
		CALL(i);
	long long w0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < n; i++)
		CALL(i);
	long long c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID), w1 = clock_ns(CLOCK_MONOTONIC);
	printf("%.2f %.2f\n", (double)(w1 - w0) / (double)n, (double)(c1 - c0) / (double)n);
	return 0;
}
