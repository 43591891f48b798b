/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader_cli.c: the CLI on ELF objects: `userbpf obj show` (text and --json, --btf), and
 * `userbpf disasm` / `userbpf run` given a .o (--prog NAME; disasm prints every program by
 * default, run the first).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "test.h"

static char out[65536];

/* Run a shell command; capture stdout+stderr in `out`; return the exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	FILE *p;
	size_t n = 0;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < sizeof(out)) {
		size_t got = fread(out + n, 1, sizeof(out) - n - 1, p);

		if (!got)
			break;
		n += got;
	}
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define HAS(s) CHECK(strstr(out, (s)) != NULL, "output lacks \"%s\":\n%s", (s), out)

int main(void)
{
	const char *cli = getenv("UB_CLI") ?: "build/userbpf";
	const char *b = getenv("UB_BUILD") ?: "build";
	int rc;

	rc = sh("%s obj show %s/progs/maps.bpf.o", cli, b);
	CHECK(rc == 0, "obj show: exit %d\n%s", rc, out);
	HAS("count_packets");
	HAS("sched_cls");
	HAS("license \"GPL\"");
	HAS("events               hash");
	HAS("inner: array 4/4 x4");
	HAS("old_style");

	rc = sh("%s obj show %s/progs/sections.bpf.o --json", cli, b);
	CHECK(rc == 0, "obj show --json: exit %d\n%s", rc, out);
	HAS("\"name\":\"on_uprobe\",\"section\":\"uprobe//usr/bin/app:handle_request\","
	    "\"type\":\"kprobe\",\"type_id\":2,\"attach\":\"uprobe\","
	    "\"target\":\"/usr/bin/app:handle_request\",\"insns\":2}");
	HAS("\"license\":\"Apache-2.0\"");
	rc = sh("%s obj show %s/progs/sections.bpf.o --json | python3 -m json.tool >/dev/null",
		cli, b);
	CHECK(rc == 0, "--json output is valid JSON\n%s", out);

	rc = sh("%s obj show Makefile", cli);
	CHECK(rc == 1, "obj show of a non-ELF file exits 1 (got %d)", rc);
	HAS("not an ELF file");
	rc = sh("%s obj show %s/progs/core.bpf.o --btf /nonexistent.btf", cli, b);
	CHECK(rc == 1, "missing --btf exits 1 (got %d)", rc);
	HAS("/nonexistent.btf");
	/* disasm and run take objects: source lines, function and map names; --prog picks. */
	rc = sh("%s disasm %s/progs/subprogs.bpf.o", cli, b);
	CHECK(rc == 0, "disasm .o: exit %d\n%s", rc, out);
	HAS("; program compute, section syscall");
	HAS("; program only_fib, section syscall");
	HAS("sum_squares:");
	HAS("; call square");
	HAS("return sum_squares(ctx[1]); @ ");
	rc = sh("%s disasm --prog count_packets %s/progs/maps.bpf.o", cli, b);
	CHECK(rc == 0, "disasm --prog: exit %d\n%s", rc, out);
	HAS("; map counts");
	HAS("; map old_style");
	rc = sh("%s run --mem '01 04' %s/progs/subprogs.bpf.o", cli, b);
	CHECK(rc == 0, "run .o: exit %d\n%s", rc, out);
	HAS("r0 = 30 (0x1e)");
	rc = sh("%s run --prog only_fib --mem 07 %s/progs/subprogs.bpf.o", cli, b);
	CHECK(rc == 0, "run --prog: exit %d\n%s", rc, out);
	HAS("r0 = 13 (0xd)");
	rc = sh("%s run --prog no_such_prog %s/progs/subprogs.bpf.o", cli, b);
	CHECK(rc == 1, "run --prog unknown: exit %d", rc);
	HAS("no program 'no_such_prog'; it has: compute only_fib");

	rc = sh("%s obj frobnicate x.o", cli);
	CHECK(rc == 2, "unknown verb exits 2 (got %d)", rc);
	return ub_test_done("loader_cli");
}
