/*
 * Loader for floor.bpf.c:
 *   floor OBJECT [--clock] -- COMMAND [ARG...]
 * loads the empty programs (with --clock: the ones that read the clock
 * once), attaches them to the raw tracepoints sys_enter and
 * sys_exit, runs COMMAND, detaches and exits with COMMAND's status. Attached
 * for the whole run, system-wide, like the tailtrace dispatcher.
 * Built by bench/run at run time: cc -O2 floor.c -lbpf.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(char **argv)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "floor: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("waitpid");
			return 1;
		}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	int with_clock = argc > 2 && strcmp(argv[2], "--clock") == 0;
	int sep = with_clock ? 3 : 2;
	if (argc < sep + 2 || strcmp(argv[sep], "--") != 0) {
		fprintf(stderr, "usage: %s OBJECT [--clock] -- COMMAND [ARG...]\n", argv[0]);
		return 2;
	}
	/* Detach on Ctrl-C too: the links go away when the process exits. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);

	int status = 1;
	struct bpf_link *enter = NULL, *exit_link = NULL;
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "floor: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "floor: load %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	const char *enter_name = with_clock ? "clock_enter" : "floor_enter";
	const char *exit_name = with_clock ? "clock_exit" : "floor_exit";
	struct bpf_program *pe = bpf_object__find_program_by_name(obj, enter_name);
	struct bpf_program *px = bpf_object__find_program_by_name(obj, exit_name);
	if (!pe || !px) {
		fprintf(stderr, "floor: programs %s/%s missing in %s\n", enter_name, exit_name, argv[1]);
		goto out;
	}
	enter = bpf_program__attach_raw_tracepoint(pe, "sys_enter");
	if (!enter) {
		fprintf(stderr, "floor: attach sys_enter: %s\n", strerror(errno));
		goto out;
	}
	exit_link = bpf_program__attach_raw_tracepoint(px, "sys_exit");
	if (!exit_link) {
		fprintf(stderr, "floor: attach sys_exit: %s\n", strerror(errno));
		goto out;
	}
	status = run(argv + sep + 1);
out:
	bpf_link__destroy(exit_link);
	bpf_link__destroy(enter);
	bpf_object__close(obj);
	return status;
}
