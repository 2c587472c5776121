/*
 * Wall-clock time of one command, for latencies too short to time from bash
 * (hooks take a few ms; `date +%s%N` around them would add a fork and exec):
 *   timeit [-i STDIN_FILE] [-o STDOUT_FILE] -- COMMAND [ARG...]
 * runs COMMAND with stdin and stdout redirected (default /dev/null; stderr
 * is inherited) and prints "<elapsed ns> <exit status>" on its own stdout.
 * The clock starts just before fork and stops when waitpid returns, so the
 * figure includes fork+exec, as a runtime calling a hook pays them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "timeit: open %s: %s\n", path, strerror(errno));
		_exit(2);
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *in = "/dev/null", *out = "/dev/null";
	int opt;
	while ((opt = getopt(argc, argv, "+i:o:")) != -1) {
		switch (opt) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		default: goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	/* Opened before the clock starts: only the command is timed. */
	int infd = open_or_die(in, O_RDONLY);
	int outfd = open_or_die(out, O_WRONLY | O_CREAT | O_TRUNC);
	fflush(stdout);

	long long t0 = now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 2;
	}
	if (pid == 0) {
		if (dup2(infd, 0) < 0 || dup2(outfd, 1) < 0)
			_exit(126);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "timeit: exec %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("timeit: waitpid");
			return 2;
		}
	long long t1 = now_ns();
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("%lld %d\n", t1 - t0, code);
	return 0;
usage:
	fprintf(stderr, "usage: %s [-i STDIN_FILE] [-o STDOUT_FILE] -- COMMAND [ARG...]\n", argv[0]);
	return 2;
}
