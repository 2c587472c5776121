/* i386 workload (gcc -m32 -static): getppid is i386 syscall 64, which is
 * semget on x86_64; a decoder that ignores TS_COMPAT names it wrongly. */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	syscall(SYS_getppid);
	int fd = open("/nonexistent-i386", O_RDONLY);
	(void)fd;
	return 0;
}
