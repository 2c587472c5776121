#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctailtrace.h"

/* install loads recorder modules on several threads: the capture is shared. */
static pthread_mutex_t tt_log_lock = PTHREAD_MUTEX_INITIALIZER;

static int tt_verbosity = 0;
/* The tail of libbpf's warnings since the last tt_libbpf_capture(): a failed
 * load's verifier log can be long, and its last lines say why. */
static char tt_log[64 * 1024];
static size_t tt_log_len = 0;

static void tt_log_append(const char *text, size_t n)
{
	if (n >= sizeof(tt_log)) {
		text += n - (sizeof(tt_log) - 1);
		n = sizeof(tt_log) - 1;
	}
	if (tt_log_len + n >= sizeof(tt_log)) {
		size_t drop = tt_log_len + n - (sizeof(tt_log) - 1);
		memmove(tt_log, tt_log + drop, tt_log_len - drop);
		tt_log_len -= drop;
	}
	memcpy(tt_log + tt_log_len, text, n);
	tt_log_len += n;
	tt_log[tt_log_len] = 0;
}

static int tt_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN) {
		/* libbpf prints a whole verifier log as one message: format it
		 * whole, so its tail (the reason) is what the capture keeps */
		va_list copy;
		va_copy(copy, ap);
		int n = vsnprintf(NULL, 0, fmt, copy);
		va_end(copy);
		char *text = n > 0 ? malloc((size_t)n + 1) : NULL;
		if (text) {
			va_copy(copy, ap);
			vsnprintf(text, (size_t)n + 1, fmt, copy);
			va_end(copy);
			pthread_mutex_lock(&tt_log_lock);
			tt_log_append(text, (size_t)n);
			pthread_mutex_unlock(&tt_log_lock);
			free(text);
		}
	}
	if ((int)level > tt_verbosity)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void tt_libbpf_capture(int level)
{
	pthread_mutex_lock(&tt_log_lock);
	tt_verbosity = level;
	tt_log_len = 0;
	tt_log[0] = 0;
	pthread_mutex_unlock(&tt_log_lock);
	libbpf_set_print(tt_print);
}

char *tt_libbpf_log(void)
{
	pthread_mutex_lock(&tt_log_lock);
	char *copy = strdup(tt_log);
	pthread_mutex_unlock(&tt_log_lock);
	return copy;
}

int tt_bump_epoch(int array_fd)
{
	/* user space and BPF both add: only an atomic add through the mapping
	 * keeps every change visible (a lookup+update could undo one) */
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, array_fd, 0);
	if (page == MAP_FAILED)
		return -errno;
	__atomic_fetch_add((__u32 *)page, 1, __ATOMIC_SEQ_CST);
	munmap(page, 4096);
	return 0;
}

int tt_pop_u32(int queue_fd, __u32 *value)
{
	return bpf_map_lookup_and_delete_elem(queue_fd, NULL, value);
}

int tt_push_u32(int queue_fd, __u32 value)
{
	return bpf_map_update_elem(queue_fd, NULL, &value, BPF_ANY);
}
