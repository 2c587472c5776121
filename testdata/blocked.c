/*
 * A write whose buffer is not mapped yet at its sys_enter, and that blocks:
 *   blocked DIR
 * writes 8 KiB (starting "blocked payload <pid>") to DIR/blocked-<pid>,
 * maps that file afresh (its pages in the page cache, not yet in this
 * process's page tables, so the recorder's read at enter faults), and
 * writes the mapping into a pipe of one page: the kernel copies the first
 * 4 KiB, faulting that page in, and blocks for the rest until SIGUSR1 ends
 * the write (4096 written). Exits 0 then, 1 on any other outcome.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void wake(int sig) { (void)sig; }

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	static char data[8192];
	char path[4096];
	snprintf(path, sizeof(path), "%s/blocked-%d", argv[1], getpid());
	memset(data, '.', sizeof(data));
	int n = snprintf(data, sizeof(data), "blocked payload %d\n", getpid());
	data[n] = '.';
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data))
		return 1;
	char *map = mmap(NULL, sizeof(data), PROT_READ, MAP_SHARED, fd, 0);
	int p[2];
	if (map == MAP_FAILED || pipe(p) != 0 || fcntl(p[1], F_SETPIPE_SZ, 4096) < 0)
		return 1;
	struct sigaction sa = { .sa_handler = wake }; /* no SA_RESTART: the signal ends the write */
	sigaction(SIGUSR1, &sa, NULL);
	return write(p[1], map, sizeof(data)) == 4096 ? 0 : 1;
}
