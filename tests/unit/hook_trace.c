/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hook_trace.c: `userbpf trace` end to end on examples/trace: the traced app prints exactly
 * what it prints alone and exits with the same status; the maps printed at exit hold the call
 * count; fmod_ret changes the app's answer; ls traced for malloc still lists the same files.
 * Needs cc and clang (skipped without them) and a build without sanitizers (the agent is
 * preloaded into uninstrumented programs).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

int main(void)
{
	const char *cli = getenv("UB_CLI"), *san = getenv("SAN");
	char base_out[1 << 12], cli_abs[1024];
	int st_alone, st_traced;

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
	CHECK(sh("cd %s && %s trace count.bpf.o -- ./no-such-cmd 2> nocmd.err", dir, cli_abs) == 127,
	      "missing command: exit 127");

	sh("rm -rf %s", dir);
	return ub_test_done("hook_trace");
}
