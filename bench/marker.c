/*
 * Marked calls for the follow benchmark:
 *   marker N MS   makes N openat calls of "/nonexistent-follow/<ns>", one
 * every MS milliseconds, <ns> the CLOCK_MONOTONIC time just before the call
 * (the clock the records carry): the reader of `tailtrace follow` takes the
 * line's arrival time minus <ns> as the call's latency to the screen.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3 || atoi(argv[1]) <= 0 || atoi(argv[2]) < 0) {
		fprintf(stderr, "usage: %s N MS\n", argv[0]);
		return 2;
	}
	int n = atoi(argv[1]), ms = atoi(argv[2]);
	for (int i = 0; i < n; i++) {
		struct timespec ts;
		char path[64];
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(path, sizeof path, "/nonexistent-follow/%lld", ts.tv_sec * 1000000000LL + ts.tv_nsec);
		openat(AT_FDCWD, path, O_RDONLY);
		usleep((useconds_t)ms * 1000);
	}
	return 0;
}
