/*
 * A program that crashes the way `tailtrace why` is meant to explain:
 *   crash TAG   opens /etc/crash-TAG/config.0 .. config.2 (missing:
 *               ENOENT), writes one line to stdout, then stores to NULL
 *               (SIGSEGV, SEGV_MAPERR at address 0).
 * Built static (gcc -static) so it runs in the tests' busybox rootfs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *tag = argc > 1 ? argv[1] : "x";
	char path[256];
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/etc/crash-%s/config.%d", tag, i);
		int fd = open(path, O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	const char msg[] = "no config found, going on\n";
	if (write(1, msg, strlen(msg)) < 0)
		return 1;
	*(volatile int *)0 = 0;
	return 0;
}
