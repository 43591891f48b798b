/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hook_trace.c: `userbpf trace` end to end on examples/trace: the traced app prints exactly
 * what it prints alone and exits with the same status; the maps printed at exit hold the call
 * count; fmod_ret changes the app's answer; ls traced for malloc still lists the same files.
 * `trace -p PID` attaches to a running process, counts while attached, detaches on SIGINT and
 * leaves the process running with its normal output.
 * Needs cc and clang (skipped without them) and a build without sanitizers (the agent is
 * preloaded into uninstrumented programs).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

static char dir[] = "/tmp/ub_hook_trace_XXXXXX";
static char cmd[4096];

/* Run a shell command; return its exit status (or -1). */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static char *slurp(const char *name)
{
	static char buf[1 << 16];
	char path[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return strcpy(buf, "");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* Wait up to 10 s for `what` to appear in file `name` of dir. */
static int wait_for(const char *name, const char *what)
{
	for (int i = 0; i < 1000; i++) {
		struct timespec ts = { 0, 10000000 };

		if (strstr(slurp(name), what))
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* A process that calls work(n) for each line n of its stdin, then attach to it with -p. */
static void test_pid(const char *cli)
{
	static const char src[] =
		"#include <stdio.h>\n#include <stdlib.h>\n"
		"__attribute__((noinline)) long work(long n) { volatile long a = 0;\n"
		"  for (long i = 0; i < n * 100; i++) a += i; return a; }\n"
		"int main(void) { char line[64];\n"
		"  setvbuf(stdout, NULL, _IONBF, 0);\n"
		"  while (fgets(line, sizeof(line), stdin) && line[0] != 'q')\n"
		"    printf(\"work(%ld) = %ld\\n\", atol(line), work(atol(line)));\n"
		"  return 0; }\n";
	char path[256], out[256], err[256];
	int in[2], st;
	pid_t app, tr;
	FILE *f;

	snprintf(path, sizeof(path), "%s/pidapp.c", dir);
	f = fopen(path, "w");
	if (!f || fputs(src, f) < 0 || fclose(f))
		return;
	if (!CHECK(sh("cd %s && cc -O2 -o app pidapp.c", dir) == 0, "build the -p target"))
		return;
	if (pipe(in))
		return;
	snprintf(out, sizeof(out), "%s/pid.out", dir);
	snprintf(err, sizeof(err), "%s/pid.err", dir);
	app = fork();
	if (!app) {
		dup2(in[0], 0);
		close(in[1]);
		if (!freopen(out, "w", stdout) || chdir(dir))
			_exit(126);
		execl("./app", "./app", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	CHECK(write(in[1], "5\n", 2) == 2, "feed the target");
	CHECK(wait_for("pid.out", "work(5) = 124750\n"), "target runs before the attach");
	tr = fork();
	if (!tr) {
		char pid[16];

		snprintf(pid, sizeof(pid), "%d", (int)app);
		if (!freopen(err, "w", stderr) || chdir(dir))
			_exit(126);
		execl(cli, cli, "trace", "count.bpf.o", "-p", pid, (char *)NULL);
		_exit(127);
	}
	if (!CHECK(wait_for("pid.err", "2 programs attached"), "attached: %s", slurp("pid.err"))) {
		kill(tr, SIGKILL);
		kill(app, SIGKILL);
		waitpid(tr, NULL, 0);
		waitpid(app, NULL, 0);
		return;
	}
	CHECK(write(in[1], "7\n7\n7\n", 6) == 6, "feed the target");
	CHECK(wait_for("pid.out", "work(7) = 244650\nwork(7) = 244650\nwork(7) = 244650\n"),
	      "three calls while attached");
	kill(tr, SIGINT);
	CHECK(waitpid(tr, &st, 0) == tr && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "trace -p exits 0 on SIGINT");
	CHECK(strstr(slurp("pid.err"), "2 programs detached") != NULL, "detached: %s",
	      slurp("pid.err"));
	CHECK(strstr(slurp("pid.err"), "@calls:\n  0: 3\n") != NULL, "3 calls counted: %s",
	      slurp("pid.err"));
	CHECK(write(in[1], "9\nq\n", 4) == 4, "feed the target");
	close(in[1]);
	CHECK(waitpid(app, &st, 0) == app && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the target runs on and exits 0 after the detach");
	CHECK(!strcmp(slurp("pid.out"), "work(5) = 124750\nwork(7) = 244650\nwork(7) = 244650\n"
				       "work(7) = 244650\nwork(9) = 404550\n"),
	      "target output untouched: %s", slurp("pid.out"));
}

int main(void)
{
	const char *cli = getenv("UB_CLI"), *san = getenv("SAN");
	char base_out[1 << 12], cli_abs[1024];
	int st_alone, st_traced;

	alarm(300); /* a hang is a failure, never a stuck test run */
	if (san && *san) {
		SKIP("trace: sanitizer build (the agent cannot be preloaded into plain programs)");
		return ub_test_done("hook_trace");
	}
	if (!cli || !realpath(cli, cli_abs)) {
		SKIP("trace: UB_CLI not set (run through tests/run.sh)");
		return ub_test_done("hook_trace");
	}
	if (sh("command -v clang >/dev/null && command -v cc >/dev/null")) {
		SKIP("trace: cc or clang missing");
		return ub_test_done("hook_trace");
	}
	if (!mkdtemp(dir))
		return 1;
	CHECK(sh("cc -O2 -o %s/app examples/trace/app.c", dir) == 0, "build app");
	for (int i = 0; i < 3; i++) {
		static const char *p[] = { "count", "malloc", "override" };

		CHECK(sh("clang -O2 -g -target bpf -D__TARGET_ARCH_x86 "
			 "-I/usr/include/x86_64-linux-gnu -c examples/trace/%s.bpf.c -o %s/%s.bpf.o",
			 p[i], dir, p[i]) == 0, "build %s.bpf.o", p[i]);
	}

	st_alone = sh("cd %s && ./app 100 > alone.out 2> alone.err", dir);
	snprintf(base_out, sizeof(base_out), "%s", slurp("alone.out"));
	st_traced = sh("cd %s && %s trace count.bpf.o -- ./app 100 > traced.out 2> traced.err", dir,
		       cli_abs);
	CHECK(st_alone == 3 && st_traced == 3, "exit status untouched (%d alone, %d traced)",
	      st_alone, st_traced);
	CHECK(!strcmp(base_out, slurp("traced.out")), "stdout untouched: '%s' vs '%s'", base_out,
	      slurp("traced.out"));
	{
		const char *err = slurp("traced.err");

		CHECK(strstr(err, "2 programs attached") != NULL, "both probes attached: %s", err);
		CHECK(strstr(err, "@calls:\n  0: 100\n") != NULL, "100 calls counted: %s", err);
		CHECK(strstr(err, "@latency_ns_hist:") && strstr(err, "|@"),
		      "latency histogram drawn: %s", err);
	}

	st_traced = sh("cd %s && %s trace --unverified override.bpf.o -- ./app 10 > ovr.out "
		       "2> ovr.err", dir, cli_abs);
	CHECK(st_traced == 0, "fmod_ret turned the app's exit 3 into 0 (got %d): %s", st_traced,
	      slurp("ovr.err"));
	CHECK(strstr(slurp("ovr.out"), "access granted") != NULL, "app says granted: %s",
	      slurp("ovr.out"));

	sh("cd %s && ls -l /usr/bin > ls_alone.out", dir);
	snprintf(base_out, sizeof(base_out), "%.4000s", slurp("ls_alone.out"));
	st_traced = sh("cd %s && %s trace malloc.bpf.o -- ls -l /usr/bin > ls_traced.out "
		       "2> ls.err", dir, cli_abs);
	CHECK(st_traced == 0, "ls traced exits 0 (%d): %s", st_traced, slurp("ls.err"));
	CHECK(!strncmp(base_out, slurp("ls_traced.out"), strlen(base_out)),
	      "ls output untouched");
	CHECK(strstr(slurp("ls.err"), "@malloc_size_hist:") != NULL, "malloc histogram printed");

	CHECK(sh("%s trace /nonexistent.o -- true 2> %s/bad.err", cli_abs, dir) == 2,
	      "missing object: exit 2");
	CHECK(strstr(slurp("bad.err"), "nonexistent") != NULL, "message names the file: %s",
	      slurp("bad.err"));
	CHECK(sh("cd %s && %s trace count.bpf.o -- ./no-such-cmd 2> nocmd.err", dir,
		 cli_abs) == 127,
	      "missing command: exit 127");

	test_pid(cli_abs);
	sh("rm -rf %s", dir);
	return ub_test_done("hook_trace");
}
