/* i386 workload (gcc -m32 -static): getppid is i386 syscall 64, which is
 * semget on x86_64; a decoder that ignores TS_COMPAT names it wrongly. The
 * writev and the execve of itself (which then returns at once) check the
 * i386 layouts of an iovec array and of argv: 32-bit words. */
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 1)
		return 0;
	syscall(SYS_getppid);
	int fd = open("/nonexistent-i386", O_RDONLY);
	(void)fd;
	int null = open("/dev/null", O_WRONLY);
	struct iovec iov[2] = { { "hello ", 6 }, { "world-i386", 10 } };
	writev(null, iov, 2);
	char *args[] = { argv[0], "arg-one", "arg-two", 0 };
	execv(argv[0], args);
	return 1;
}
