/*
 * What a post-mortem needs to read, each in a form strace decodes, run by
 * the capture-fidelity tests once under tailtrace and once under strace:
 *
 *   - a path in a page the program never touched (its first read by the
 *     recorder at sys_enter faults; the kernel faults it in during the call)
 *   - a write from a fresh private file mapping, same thing for a buffer
 *   - a path whose NUL is the last byte before a PROT_NONE page
 *   - connects to AF_INET, AF_INET6, AF_UNIX (path and abstract) addresses,
 *     a UDP sendto, a bind and getsockname
 *   - writev of two vectors, sendmsg with a name and one vector
 *   - a buffer of control bytes and invalid UTF-8
 *   - a child that exits 7, a child killed by SIGSEGV, a signal handled
 *
 * Usage: fidelity TAG DIR (TAG keeps paths unique; DIR is a scratch directory).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Alone in a 64 KiB-aligned block of the file, so the kernel's fault-around
 * (which maps up to 64 KiB of page-cache pages around a fault) never maps it
 * before the open below: the recorder's first read of it faults. */
__attribute__((aligned(65536), section(".cold"))) const char cold[65536] = "/nonexistent-cold/fidelity";

static void on_usr1(int sig) { (void)sig; }

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *dir = argv[2];
	char path[512];

	/* 1. a cold path, read by the recorder only at exit */
	open(cold, O_RDONLY);

	/* 2. a write from a page of a private file mapping never touched */
	snprintf(path, sizeof(path), "%s/mapped", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	const char text[] = "mapped bytes\n";
	if (write(fd, text, sizeof(text) - 1) < 0 || ftruncate(fd, 4096) < 0)
		return 1;
	char *map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	/* to a file: the kernel reads the buffer (/dev/null would not) */
	snprintf(path, sizeof(path), "%s/copy", dir);
	int copy = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (write(copy, map, sizeof(text) - 1) < 0)
		return 1;
	int out = open("/dev/null", O_WRONLY);

	/* 3. a path ending right before a PROT_NONE page */
	long page = sysconf(_SC_PAGESIZE);
	char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const char edge[] = "/nonexistent-edge";
	memcpy(two + page - sizeof(edge), edge, sizeof(edge));
	mprotect(two + page, page, PROT_NONE);
	open(two + page - sizeof(edge), O_RDONLY);

	/* 4. socket addresses */
	int s4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	struct sockaddr_in in4 = { .sin_family = AF_INET, .sin_port = htons(9) };
	inet_pton(AF_INET, "127.0.0.1", &in4.sin_addr);
	connect(s4, (struct sockaddr *)&in4, sizeof(in4));
	int s6 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(5432) };
	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	connect(s6, (struct sockaddr *)&in6, sizeof(in6));
	int su = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	snprintf(un.sun_path, sizeof(un.sun_path), "%s/missing.sock", dir);
	connect(su, (struct sockaddr *)&un, sizeof(un));
	int sa = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un abs = { .sun_family = AF_UNIX };
	memcpy(abs.sun_path, "\0tailtrace-abstract", 19);
	connect(sa, (struct sockaddr *)&abs, offsetof(struct sockaddr_un, sun_path) + 19);
	int su4 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in bound = { .sin_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.1", &bound.sin_addr);
	bind(su4, (struct sockaddr *)&bound, sizeof(bound));
	struct sockaddr_in got;
	socklen_t len = sizeof(got);
	getsockname(su4, (struct sockaddr *)&got, &len);
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(5353) };
	inet_pton(AF_INET, "127.0.0.53", &dst.sin_addr);
	sendto(su4, "ping", 4, 0, (struct sockaddr *)&dst, sizeof(dst));

	/* 5. vectors */
	struct iovec iov[2] = { { "hello", 5 }, { " world\n", 7 } };
	writev(out, iov, 2);
	struct iovec one = { "query", 5 };
	struct msghdr msg = { .msg_name = &dst, .msg_namelen = sizeof(dst), .msg_iov = &one, .msg_iovlen = 1 };
	sendmsg(su4, &msg, 0);

	/* 6. control bytes and invalid UTF-8 */
	const char ctl[] = "\033[31mred\r\n\t\001\377\"\\";
	write(out, ctl, sizeof(ctl) - 1);

	/* 7. signals and process exits */
	signal(SIGUSR1, on_usr1);
	kill(getpid(), SIGUSR1);
	pid_t a = fork();
	if (a == 0)
		_exit(7);
	waitpid(a, NULL, 0);
	pid_t b = fork();
	if (b == 0) {
		signal(SIGSEGV, SIG_DFL);
		*(volatile int *)0 = 1;
		_exit(0);
	}
	waitpid(b, NULL, 0);
	return 0;
}
