/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_verify.c: `userbpf verify` end to end: exit status (0 accept, 1 reject, 2 usage or input
 * error), the text and JSON reports (verdict, error, insn, counts), --type, --unpriv, --map,
 * and bad input of each kind (missing file, bad size, unknown type, bad map spec).
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

static char out[65536];

/*
 * Run the CLI with args through the shell; capture stdout (and stderr unless quiet); return the
 * exit status.
 */
static int run_q(const char *args, int quiet)
{
	const char *cli = getenv("UB_CLI") ? getenv("UB_CLI") : "build/userbpf";
	char cmd[4096];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' verify %s %s", cli, args, quiet ? "2>/dev/null" : "2>&1");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < sizeof(out) && fgets(out + n, (int)(sizeof(out) - n), p))
		n += strlen(out + n);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run(const char *args)
{
	return run_q(args, 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

int main(void)
{
	char dir[] = "/tmp/ub-cli-verify-XXXXXX", args[1024], ok[256], bad[256], mapp[256],
	     odd[256], uninit[256];
	const char *cli = getenv("UB_CLI") ? getenv("UB_CLI") : "build/userbpf";

	if (access(cli, X_OK)) {
		SKIP("no CLI at %s", cli);
		return ub_test_done("cli_verify");
	}
	if (!CHECK(mkdtemp(dir) != NULL, "mkdtemp"))
		return ub_test_done("cli_verify");
	snprintf(ok, sizeof(ok), "%s/ok.s", dir);
	snprintf(bad, sizeof(bad), "%s/bad.s", dir);
	snprintf(uninit, sizeof(uninit), "%s/uninit.s", dir);
	snprintf(mapp, sizeof(mapp), "%s/map.s", dir);
	snprintf(odd, sizeof(odd), "%s/odd.bin", dir);
	write_file(ok, "r0 = 0\nexit\n");
	/* Reads 8 bytes below the stack: rejected by any verifier. */
	write_file(bad, "r0 = *(u64 *)(r10 + 8)\nexit\n");
	write_file(uninit, "r0 = r2\nexit\n");
	/* Looks a key up in map 0 and dereferences the result without a NULL check. */
	write_file(mapp, "r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\n"
			 "r1 = map[idx:0]\ncall 1\nr0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit\n");
	write_file(odd, "123");

	CHECK(run(ok) == 0, "accept: exit 0\n%s", out);
	CHECK(strstr(out, "accepted") != NULL, "accept: says accepted\n%s", out);
	CHECK(strstr(out, "processed 2 insns") != NULL, "accept: processed count\n%s", out);

	CHECK(run(bad) == 1, "reject: exit 1\n%s", out);
	CHECK(strstr(out, "rejected at insn 0") != NULL, "reject: names the insn\n%s", out);

	snprintf(args, sizeof(args), "--json %s", bad);
	CHECK(run_q(args, 1) == 1, "json reject: exit 1\n%s", out);
	CHECK(!strncmp(out, "{\"verdict\":\"reject\"", strlen("{\"verdict\":\"reject\"")),
	      "json: verdict first\n%s", out);
	CHECK(strstr(out, "\"insn\":0") != NULL, "json: insn\n%s", out);
	CHECK(strstr(out, "\"error\":\"\"") == NULL, "json: a reason\n%s", out);
	CHECK(strstr(out, "\"processed_insns\":") != NULL, "json: processed\n%s", out);

	snprintf(args, sizeof(args), "--json --type xdp %s", ok);
	CHECK(run_q(args, 1) == 0, "json accept xdp: exit 0\n%s", out);
	CHECK(strstr(out, "\"prog_type\":\"xdp\"") != NULL, "json: type\n%s", out);
	CHECK(strstr(out, "\"verdict\":\"accept\"") != NULL, "json: accept\n%s", out);

	CHECK(run(uninit) == 1, "r2 is not an argument of a socket filter: reject\n%s", out);

	snprintf(args, sizeof(args), "--unpriv --json %s", ok);
	CHECK(run(args) == 0 && strstr(out, "\"mode\":\"unprivileged\""), "unpriv\n%s", out);

	snprintf(args, sizeof(args), "--map hash:4:8:16 %s", mapp);
	CHECK(run(args) == 1, "map value used without a NULL check: reject\n%s", out);
	snprintf(args, sizeof(args), "%s", mapp);
	CHECK(run(args) == 1, "map reference without --map: reject\n%s", out);

	/* Usage and input errors: exit 2 with a message. */
	snprintf(args, sizeof(args), "--map hash:4:8 %s", mapp);
	CHECK(run(args) == 2 && strstr(out, "--map"), "short map spec\n%s", out);
	snprintf(args, sizeof(args), "--map nosuch:4:8:1 %s", mapp);
	CHECK(run(args) == 2 && strstr(out, "map type"), "unknown map type\n%s", out);
	snprintf(args, sizeof(args), "--type nosuch %s", ok);
	CHECK(run(args) == 2 && strstr(out, "nosuch"), "unknown program type\n%s", out);
	snprintf(args, sizeof(args), "--log-level 7 %s", ok);
	CHECK(run(args) == 2, "bad log level\n%s", out);
	CHECK(run("") == 2 && strstr(out, "no program"), "no program\n%s", out);
	snprintf(args, sizeof(args), "%s/missing.bin", dir);
	CHECK(run(args) == 2 && strstr(out, "No such file"), "missing file\n%s", out);
	CHECK(run(odd) == 2 && strstr(out, "multiple of 8"), "odd size\n%s", out);
	snprintf(args, sizeof(args), "--prog x %s", ok);
	CHECK(run(args) == 2 && strstr(out, "ELF"), "--prog on a raw program\n%s", out);
	CHECK(run("--help") == 0 && strstr(out, "usage: userbpf verify"), "help\n%s", out);

	snprintf(args, sizeof(args), "--log-level 2 %s", ok);
	CHECK(run(args) == 0 && strstr(out, "exit"), "log level 2 shows instructions\n%s", out);

	snprintf(args, sizeof(args), "rm -rf '%s'", dir);
	CHECK(system(args) == 0, "cleanup");
	return ub_test_done("cli_verify");
}
