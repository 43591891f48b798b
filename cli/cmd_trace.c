/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_trace.c: `userbpf trace PROG.o -- CMD ARGS...`: run CMD with the userbpf agent preloaded;
 * the agent attaches PROG.o's uprobe/uretprobe programs inside CMD, streams their bpf_printk
 * and ringbuf output here (on stderr), and prints the maps when CMD exits. CMD's own stdin,
 * stdout, stderr and exit status are untouched: this command exits with CMD's status.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: userbpf trace [--unverified] [--agent PATH] PROG.o -- CMD [ARGS...]\n"
		"\n"
		"Run CMD with PROG.o's programs attached inside it, like `bpftrace -c`:\n"
		"  SEC(\"uprobe/BINARY:FUNC\")     runs at FUNC's entry (ctx: struct pt_regs)\n"
		"  SEC(\"uretprobe/BINARY:FUNC\")  runs when FUNC returns (PT_REGS_RC(ctx))\n"
		"  SEC(\"fentry/[BINARY:]FUNC\")   at entry, BPF_PROG() arguments\n"
		"  SEC(\"fmod_ret/[BINARY:]FUNC\") at entry; a non-zero return replaces FUNC's result\n"
		"BINARY is a path (./app, /usr/bin/app) or a library name (libc.so.6).\n"
		"bpf_printk lines and ringbuf records are printed on this command's stderr as they\n"
		"come; the maps of .maps are printed when CMD exits (maps named *hist* with integer\n"
		"keys as log2 histograms). CMD's output and exit status are its own.\n"
		"\n"
		"  --unverified  load the programs without the verifier (trusted, as root in Linux)\n"
		"  --agent PATH  the agent library (default: libuserbpf-agent.so next to userbpf,\n"
		"                or $USERBPF_AGENT)\n"
		"\n"
		"Exit status: CMD's, or 2 on usage errors, 127 when CMD cannot be run.\n");
}

/* libuserbpf-agent.so next to this executable, else in ../lib. */
static int find_agent(char *buf, size_t size)
{
	const char *env = getenv("USERBPF_AGENT");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env) {
		snprintf(buf, size, "%s", env);
		return access(buf, R_OK) ? -errno : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = 0;
	if (snprintf(buf, size, "%s/libuserbpf-agent.so", exe) < (int)size && !access(buf, R_OK))
		return 0;
	if (snprintf(buf, size, "%s/../lib/libuserbpf-agent.so", exe) >= (int)size)
		return -ENAMETOOLONG;
	return access(buf, R_OK) ? -ENOENT : 0;
}

int cmd_trace(int argc, char **argv)
{
	char agent[PATH_MAX], obj[PATH_MAX], fdbuf[16];
	const char *agent_arg = NULL, *prog = NULL;
	int unverified = 0, i, status, trace_fd;
	char *preload;
	pid_t pid;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--unverified")) {
			unverified = 1;
		} else if (!strcmp(argv[i], "--agent") && i + 1 < argc) {
			agent_arg = argv[++i];
		} else if (!strcmp(argv[i], "-p")) {
			cli_error("trace", "-p PID (attaching to a running process) is not supported "
				  "yet; start the command under `userbpf trace ... -- CMD`");
			return 2;
		} else if (argv[i][0] == '-' || prog) {
			cli_error("trace", "unexpected argument '%s'", argv[i]);
			usage(stderr);
			return 2;
		} else {
			prog = argv[i];
		}
	}
	if (!prog || i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!realpath(prog, obj)) {
		cli_error("trace", "%s: %s", prog, strerror(errno));
		return 2;
	}
	if (agent_arg) {
		snprintf(agent, sizeof(agent), "%s", agent_arg);
	} else if (find_agent(agent, sizeof(agent))) {
		cli_error("trace", "cannot find libuserbpf-agent.so (use --agent PATH or "
			  "USERBPF_AGENT)");
		return 2;
	}
	{
		char abs[PATH_MAX];

		if (!realpath(agent, abs)) {
			cli_error("trace", "agent %s: %s", agent, strerror(errno));
			return 2;
		}
		snprintf(agent, sizeof(agent), "%s", abs);
	}
	/* The agent writes to a copy of our stderr, whatever CMD does with its own fd 2. */
	trace_fd = dup(2);
	if (trace_fd < 0) {
		cli_error("trace", "dup: %s", strerror(errno));
		return 2;
	}
	snprintf(fdbuf, sizeof(fdbuf), "%d", trace_fd);
	{
		const char *old = getenv("LD_PRELOAD");
		size_t n = strlen(agent) + (old ? strlen(old) + 2 : 1);

		preload = malloc(n);
		if (!preload)
			return 2;
		snprintf(preload, n, "%s%s%s", agent, old ? ":" : "", old ? old : "");
	}
	pid = fork();
	if (pid < 0) {
		cli_error("trace", "fork: %s", strerror(errno));
		free(preload);
		return 2;
	}
	if (!pid) {
		setenv("LD_PRELOAD", preload, 1);
		setenv("USERBPF_TRACE_OBJ", obj, 1);
		setenv("USERBPF_TRACE_FD", fdbuf, 1);
		if (unverified)
			setenv("USERBPF_TRACE_UNVERIFIED", "1", 1);
		execvp(argv[i], argv + i);
		cli_error("trace", "%s: %s", argv[i], strerror(errno));
		_exit(127);
	}
	free(preload);
	close(trace_fd);
	/* Ctrl-C goes to CMD (same process group); we wait for it to finish. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			cli_error("trace", "waitpid: %s", strerror(errno));
			return 2;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return 1;
}
