/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_trace.c: `userbpf trace PROG.o -- CMD ARGS...`: run CMD with the userbpf agent preloaded;
 * the agent attaches PROG.o's uprobe/uretprobe programs inside CMD, streams their bpf_printk
 * and ringbuf output here (on stderr), and prints the maps when CMD exits. CMD's own stdin,
 * stdout, stderr and exit status are untouched: this command exits with CMD's status.
 *
 * `userbpf trace PROG.o -p PID` attaches to a running process instead: it stops one thread
 * with ptrace, makes it call dlopen(agent) (libc's, at the same offset from libc's base as in
 * this process: same file), restores the thread and lets it go. The agent reads its settings
 * from /tmp/userbpf-agent-PID.conf and connects back over a unix socket; on Ctrl-C this command
 * closes the socket and the agent detaches every program and prints the maps; the process runs
 * on. Like gdb's `call dlopen(...)`, the injected call runs wherever the thread was stopped: a
 * thread stopped inside the allocator could deadlock it (the thread is stopped while it waits
 * in a system call when possible).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: userbpf trace [--unverified] [--agent PATH] PROG.o -- CMD [ARGS...]\n"
		"       userbpf trace [--unverified] [--agent PATH] PROG.o -p PID\n"
		"\n"
		"Run CMD with PROG.o's programs attached inside it, like `bpftrace -c`, or attach\n"
		"them to the running process PID until Ctrl-C (the process runs on afterwards):\n"
		"  SEC(\"uprobe/BINARY:FUNC\")     runs at FUNC's entry (ctx: struct pt_regs)\n"
		"  SEC(\"uretprobe/BINARY:FUNC\")  runs when FUNC returns (PT_REGS_RC(ctx))\n"
		"  SEC(\"fentry/[BINARY:]FUNC\")   at entry, BPF_PROG() arguments\n"
		"  SEC(\"fmod_ret/[BINARY:]FUNC\") at entry; non-zero return replaces FUNC's result\n"
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

/* The start address of the first mapping of a file whose path contains `lib` in pid's maps. */
static unsigned long map_base(pid_t pid, const char *lib, char *path, size_t path_len)
{
	char file[64], line[4352];
	unsigned long lo = 0, off;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/maps", (int)pid);
	f = fopen(file, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (!p || sscanf(line, "%lx-%*x %*s %lx", &lo, &off) != 2 || off ||
		    !strstr(p, lib)) {
			lo = 0;
			continue;
		}
		p[strcspn(p, "\n")] = 0;
		snprintf(path, path_len, "%s", p);
		break;
	}
	fclose(f);
	return lo;
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Write len bytes into pid's memory at addr. */
static int poke(pid_t pid, unsigned long addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len }, remote = { (void *)addr, len };

	return process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -errno;
}

/* Make pid call dlopen(agent, RTLD_NOW) on its main thread; 0 or -errno (message printed). */
static int inject(pid_t pid, const char *agent)
{
	struct user_regs_struct saved, r;
	unsigned long my_libc, its_libc, dlopen_at, sp;
	char my_path[4096], its_path[4096];
	int status, err = 0;

	my_libc = map_base(getpid(), "libc.so", my_path, sizeof(my_path));
	its_libc = map_base(pid, "libc.so", its_path, sizeof(its_path));
	if (!my_libc || !its_libc) {
		cli_error("trace", "cannot find libc in process %d (statically linked?)", (int)pid);
		return -ENOENT;
	}
	if (strcmp(my_path, its_path)) {
		cli_error("trace", "process %d uses %s, not this system's %s", (int)pid, its_path,
			  my_path);
		return -ENOTSUP;
	}
	dlopen_at = (unsigned long)(uintptr_t)dlsym(RTLD_DEFAULT, "dlopen") - my_libc + its_libc;
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) || ptrace(PTRACE_INTERRUPT, pid, 0, 0)) {
		cli_error("trace", "ptrace(%d): %s", (int)pid, strerror(errno));
		return -errno;
	}
	if (waitpid(pid, &status, __WALL) < 0 || ptrace(PTRACE_GETREGS, pid, 0, &saved)) {
		err = -errno;
		goto out;
	}
	/* The path below the red zone, then a return address of 0: dlopen returns into a fault. */
	r = saved;
	sp = ((saved.rsp - 4096 - strlen(agent) - 1) & ~15ul);
	err = poke(pid, sp, agent, strlen(agent) + 1);
	if (!err) {
		unsigned long zero = 0;

		r.rsp = sp - 8;
		err = poke(pid, r.rsp, &zero, sizeof(zero));
	}
	if (err) {
		cli_error("trace", "cannot write into process %d: %s", (int)pid, strerror(-err));
		goto out;
	}
	r.rip = dlopen_at;
	r.rdi = sp;
	r.rsi = RTLD_NOW;
	r.rax = 0;
	r.orig_rax = (unsigned long)-1; /* no system call restart for this frame */
	if (ptrace(PTRACE_SETREGS, pid, 0, &r) || ptrace(PTRACE_CONT, pid, 0, 0)) {
		err = -errno;
		goto out;
	}
	for (;;) {
		int sig;

		if (waitpid(pid, &status, __WALL) < 0) {
			err = -errno;
			goto out;
		}
		if (!WIFSTOPPED(status)) {
			cli_error("trace", "process %d ended during the injection", (int)pid);
			return -ESRCH;
		}
		sig = WSTOPSIG(status);
		if (sig == SIGSEGV && !ptrace(PTRACE_GETREGS, pid, 0, &r) && r.rip == 0)
			break;
		/* Anything else (a signal for the process, a ptrace event): let it through. */
		if (ptrace(PTRACE_CONT, pid, 0, status >> 16 ? 0 : sig)) {
			err = -errno;
			goto out;
		}
	}
	if (!r.rax) {
		cli_error("trace", "dlopen(%s) failed inside process %d", agent, (int)pid);
		err = -ENOENT;
	}
	if (ptrace(PTRACE_SETREGS, pid, 0, &saved))
		err = -errno;
out:
	ptrace(PTRACE_DETACH, pid, 0, 0);
	if (err && err != -ENOENT)
		cli_error("trace", "injecting the agent into %d: %s", (int)pid, strerror(-err));
	return err;
}

static int trace_pid(pid_t pid, const char *obj, const char *agent, int unverified)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char conf[64], buf[4096];
	int lfd, cfd, fd, err;
	FILE *f;
	ssize_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/userbpf-trace-%d.sock", (int)getpid());
	unlink(sa.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1)) {
		cli_error("trace", "socket %s: %s", sa.sun_path, strerror(errno));
		return 1;
	}
	snprintf(conf, sizeof(conf), "/tmp/userbpf-agent-%d.conf", (int)pid);
	unlink(conf);
	fd = open(conf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		cli_error("trace", "%s: %s", conf, strerror(errno));
		close(lfd);
		return 1;
	}
	fprintf(f, "obj=%s\nsock=%s\nunverified=%d\n", obj, sa.sun_path, unverified);
	fclose(f);
	err = inject(pid, agent);
	if (err) {
		unlink(conf);
		unlink(sa.sun_path);
		close(lfd);
		return 1;
	}
	cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(lfd);
	unlink(sa.sun_path);
	if (cfd < 0) {
		cli_error("trace", "the agent did not connect: %s", strerror(errno));
		return 1;
	}
	fprintf(stderr, "userbpf: tracing process %d; Ctrl-C to detach\n", (int)pid);
	{
		/* No SA_RESTART: the read below returns on Ctrl-C. */
		struct sigaction sa_int = { .sa_handler = on_sigint };

		sigemptyset(&sa_int.sa_mask);
		sigaction(SIGINT, &sa_int, NULL);
		sigaction(SIGTERM, &sa_int, NULL);
	}
	while (!interrupted && (n = read(cfd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		fwrite(buf, 1, (size_t)n, stderr);
	}
	/* Tell the agent to detach, then print what it sends until it closes (at most 10 s). */
	shutdown(cfd, SHUT_WR);
	{
		struct timeval tv = { 10, 0 };

		setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	while ((n = read(cfd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stderr);
	if (n < 0)
		cli_error("trace", "the agent in process %d did not finish: %s", (int)pid,
			  strerror(errno));
	close(cfd);
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	char agent[PATH_MAX], obj[PATH_MAX], fdbuf[16];
	const char *agent_arg = NULL, *prog = NULL;
	int unverified = 0, i, status, trace_fd;
	pid_t pid, pid_arg = 0;
	char *preload;

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
		} else if (!strcmp(argv[i], "-p") && i + 1 < argc) {
			char *end;

			pid_arg = (pid_t)strtol(argv[++i], &end, 10);
			if (*end || pid_arg <= 0) {
				cli_error("trace", "-p: '%s' is not a process id", argv[i]);
				return 2;
			}
		} else if (argv[i][0] == '-' || prog) {
			cli_error("trace", "unexpected argument '%s'", argv[i]);
			usage(stderr);
			return 2;
		} else {
			prog = argv[i];
		}
	}
	if (!prog || (i >= argc) == !pid_arg) {
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
	if (pid_arg)
		return trace_pid(pid_arg, obj, agent, unverified);
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
