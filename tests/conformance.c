/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conformance.c: runs the bpf_conformance suite (every .data file of $UB_SHARED/conformance)
 * through `$UB_CLI conformance-plugin` over pipes, the way the official runner drives a
 * plugin, on the interpreter and on the JIT, and counts passed/failed/skipped per engine.
 *
 * Per test: parse the file (sections -- asm, -- raw, -- mem, -- result, -- error; -- c and
 * -- no register offset are notes), assemble with userbpf_asm(CONFORMANCE) unless -- raw gives
 * the words, start the plugin with the memory as one argument of "xx  " bytes (only when there
 * is memory, as newer runners do) followed by the engine option, write the program as one line
 * of the same format on its stdin, then compare: exit 0 and stdout parsed as hex == -- result,
 * or exit != 0 and stdout (trailing space removed) == -- error. A file that cannot be parsed or
 * assembled is a failure. The interpreter also runs every test the way older runners call a
 * plugin (memory argument always present, possibly empty; options as one argument).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <userbpf/userbpf.h>

#include "data_format.h"
#include "test.h"

#define NO_JIT_STATUS 3 /* the plugin's "JIT unavailable" exit status */

/* Bytes as the protocol writes them: two hex digits and two spaces each. */
static char *base16(const unsigned char *b, size_t n)
{
	char *s = malloc(n * 4 + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		sprintf(s + i * 4, "%02x  ", b[i]);
	s[n * 4] = 0;
	return s;
}

/*
 * Run the plugin: argv as given, `input` + "\n" on its stdin, its stdout into out.
 * quiet sends its stderr to /dev/null. Returns the exit status (or 128 + signal), -1 if it
 * could not be started.
 */
static int run_plugin(char *const argv[], const char *input, char *out, size_t out_len,
		      int quiet)
{
	int in_pipe[2], out_pipe[2], status;
	size_t got = 0;
	pid_t pid;

	if (pipe(in_pipe))
		return -1;
	if (pipe(out_pipe)) {
		close(in_pipe[0]);
		close(in_pipe[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(in_pipe[0], 0);
		dup2(out_pipe[1], 1);
		close(in_pipe[0]);
		close(in_pipe[1]);
		close(out_pipe[0]);
		close(out_pipe[1]);
		if (quiet) {
			int null = open("/dev/null", O_WRONLY);

			if (null >= 0)
				dup2(null, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	/* The program is a few KB at most: it fits the pipe buffer, so write it all first. */
	if (write(in_pipe[1], input, strlen(input)) >= 0) {
		/* A failed write means the plugin exited early: its status tells why. */
		if (write(in_pipe[1], "\n", 1) < 0)
			out[0] = 0;
	}
	close(in_pipe[1]);
	for (;;) {
		ssize_t n = read(out_pipe[0], out + got, out_len - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == out_len - 1)
			break;
	}
	out[got] = 0;
	close(out_pipe[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

struct engine {
	const char *name;
	const char *option;  /* passed to the plugin */
	int old_argv;        /* older runners: memory argument always, "" when none */
	unsigned passed, failed, skipped;
};

/* One test on one engine: 1 passed, 0 failed, -1 skipped (no JIT). */
static int run_one(const char *cli, const char *file, const struct ub_case *t, const char *prog_hex,
		   const char *mem_hex, const struct engine *e)
{
	char out[4096];
	char *argv[6];
	int argc = 0, rc;
	char *s, *end;

	argv[argc++] = (char *)cli;
	argv[argc++] = (char *)"conformance-plugin";
	if (t->mem_len || e->old_argv)
		argv[argc++] = (char *)mem_hex;
	argv[argc++] = (char *)e->option;
	argv[argc] = NULL;
	/* The older-argv engine passes --debug: its stderr is noise here. */
	rc = run_plugin(argv, prog_hex, out, sizeof(out), e->old_argv);
	s = ub_case_trim(out);
	if (rc == NO_JIT_STATUS && !strncmp(s, "JIT unavailable", 15))
		return -1;
	if (rc < 0)
		return CHECK(0, "%s [%s]: cannot start %s: %s", file, e->name, cli,
			     strerror(errno));
	if (rc != 0) {
		if (t->error[0])
			return CHECK(!strcmp(s, t->error), "%s [%s]: error '%s', want '%s'", file,
				     e->name, s, t->error);
		return CHECK(0, "%s [%s]: plugin exited %d: %s", file, e->name, rc, s);
	}
	if (t->error[0])
		return CHECK(0, "%s [%s]: returned %s, want error '%s'", file, e->name, s,
			     t->error);
	errno = 0;
	uint64_t got = strtoull(s, &end, 16);

	if (errno || end == s || *ub_case_trim(end))
		return CHECK(0, "%s [%s]: unparsable output '%s'", file, e->name, s);
	return CHECK(got == t->result, "%s [%s]: r0 = 0x%" PRIx64 ", want 0x%" PRIx64, file,
		     e->name, got, t->result);
}

static int is_data(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && !strcmp(d->d_name + n - 5, ".data");
}

int main(void)
{
	const char *shared = getenv("UB_SHARED"), *cli = getenv("UB_CLI");
	struct engine engines[] = {
		{ "interp", "--interp", 0, 0, 0, 0 },
		{ "interp, older runner argv", "--interp --debug", 1, 0, 0, 0 },
		{ "jit", "--jit", 0, 0, 0, 0 },
	};
	const size_t n_eng = sizeof(engines) / sizeof(engines[0]);
	struct userbpf_env *env;
	struct dirent **list = NULL;
	char dir[4096];
	int n;

	if (!shared || !cli) {
		CHECK(0, "UB_SHARED and UB_CLI must be set (tests/run.sh sets them)");
		return ub_test_done("conformance");
	}
	snprintf(dir, sizeof(dir), "%s/conformance", shared);
	n = scandir(dir, &list, is_data, alphasort);
	if (!CHECK(n > 0, "no .data files in %s", dir))
		return ub_test_done("conformance");
	env = userbpf_env_new(NULL);
	if (!CHECK(env != NULL, "userbpf_env_new"))
		return ub_test_done("conformance");
	for (int i = 0; i < n; i++) {
		char path[8192], why[512] = "";
		const char *name = list[i]->d_name;
		struct userbpf_insn *insns = NULL;
		char *prog_hex = NULL, *mem_hex = NULL;
		size_t cnt = 0;
		struct ub_case t;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (ub_case_parse(path, &t, 0, why, sizeof(why))) {
			for (size_t e = 0; e < n_eng; e++)
				engines[e].failed++;
			CHECK(0, "%s: cannot parse: %s", name, why);
			ub_case_free(&t);
			free(list[i]);
			continue;
		}
		if (t.raw_cnt) {
			prog_hex = base16((const unsigned char *)t.raw, t.raw_cnt * 8);
		} else {
			int err = userbpf_asm(env, t.asm_text, USERBPF_SYNTAX_CONFORMANCE, &insns,
					      &cnt);

			if (err) {
				for (size_t e = 0; e < n_eng; e++)
					engines[e].failed++;
				CHECK(0, "%s: cannot assemble: %s", name, strerror(-err));
				ub_case_free(&t);
				free(list[i]);
				continue;
			}
			prog_hex = base16((const unsigned char *)insns, cnt * 8);
		}
		mem_hex = base16(t.mem, t.mem_len);
		if (!CHECK(prog_hex && mem_hex, "%s: out of memory", name)) {
			for (size_t e = 0; e < n_eng; e++)
				engines[e].failed++;
		} else {
			for (size_t e = 0; e < n_eng; e++) {
				int r = run_one(cli, name, &t, prog_hex, mem_hex, &engines[e]);

				if (r > 0)
					engines[e].passed++;
				else if (r == 0)
					engines[e].failed++;
				else
					engines[e].skipped++;
			}
		}
		userbpf_insns_free(insns);
		free(prog_hex);
		free(mem_hex);
		ub_case_free(&t);
		free(list[i]);
	}
	free(list);
	userbpf_env_free(env);
	for (size_t e = 0; e < n_eng; e++) {
		if (engines[e].skipped) {
			ub_test_skipped += engines[e].skipped;
			printf("SKIP conformance [%s]: %u cases, the plugin reports the JIT "
			       "unavailable\n", engines[e].name, engines[e].skipped);
		}
		printf("NOTE conformance [%s]: %u passed, %u failed, %u skipped of %d files\n",
		       engines[e].name, engines[e].passed, engines[e].failed, engines[e].skipped,
		       n);
	}
	return ub_test_done("conformance");
}
