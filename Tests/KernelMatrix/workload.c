/* The kernel matrix's workload: a few known syscalls whose records check.py
 * looks for in each dump. Static (gcc -static -O1) so the initramfs needs
 * nothing for it; raw syscall(2)s so glibc adds or renames nothing.
 *
 *   workload TAG
 *     openat(AT_FDCWD, "/tmp/tt-matrix-input", O_RDONLY)  = fd  (the guest wrote it)
 *     read(fd, buf, 64)                                    = 17 ("tailtrace-matrix\n")
 *     close(fd)
 *     write(1, "tailtrace-matrix write TAG\n", n)          = n
 *     openat(AT_FDCWD, "/nonexistent/tt-matrix", O_RDONLY) = -1 ENOENT
 *     openat(AT_FDCWD, "/nonexistent/tt-matrix-cold", ...)  = -1 ENOENT (a path
 *                                                      in a page never touched)
 *     socket(AF_INET, SOCK_STREAM, 0); connect(fd, 127.0.0.1:9)
 *     a child killed by SIGSEGV, and wait4 for it
 *     getppid() x3
 *     exit_group(3)
 *
 * TAG names the run (attach, hook, pool) so that check.py can tell that no
 * trace holds another run's records.
 *
 *   workload move PROCS TAG
 *     first writes "0" into PROCS (a cgroup.procs: it moves itself into
 *     that cgroup, where its next calls must be recorded at once), then as
 *     above.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Alone in a 64 KiB-aligned block, so fault-around never maps it early:
 * the recorder's read at sys_enter faults and its read at sys_exit must not. */
__attribute__((aligned(65536), section(".cold"))) const char cold[65536] = "/nonexistent/tt-matrix-cold";

int main(int argc, char **argv)
{
	const char *tag = argc > 1 ? argv[1] : "none";
	char buf[64];
	char line[128];

	if (argc == 4 && strcmp(argv[1], "move") == 0) {
		long procs = syscall(SYS_openat, AT_FDCWD, argv[2], O_WRONLY);
		if (procs < 0 || syscall(SYS_write, procs, "0", 1) != 1)
			return 1;
		syscall(SYS_close, procs);
		tag = argv[3];
	}

	long fd = syscall(SYS_openat, AT_FDCWD, "/tmp/tt-matrix-input", O_RDONLY);
	if (fd >= 0) {
		syscall(SYS_read, fd, buf, sizeof(buf));
		syscall(SYS_close, fd);
	}

	size_t n = 0;
	const char *parts[] = { "tailtrace-matrix write ", tag, "\n" };
	for (unsigned i = 0; i < 3; i++) {
		size_t len = strlen(parts[i]);
		if (n + len >= sizeof(line))
			len = sizeof(line) - 1 - n;
		memcpy(line + n, parts[i], len);
		n += len;
	}
	syscall(SYS_write, 1, line, n);

	syscall(SYS_openat, AT_FDCWD, "/nonexistent/tt-matrix", O_RDONLY);
	syscall(SYS_openat, AT_FDCWD, cold, O_RDONLY);

	long s = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(0x7f000001) };
	syscall(SYS_connect, s, &in, sizeof(in));

	long child = syscall(SYS_fork);
	if (child == 0)
		*(volatile int *)0 = 0; /* SIGSEGV */
	syscall(SYS_wait4, child, 0, 0, 0);
	for (int i = 0; i < 3; i++)
		syscall(SYS_getppid);
	syscall(SYS_exit_group, 3);
	return 3;
}
