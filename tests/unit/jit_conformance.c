/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jit_conformance.c: every bpf_conformance case (shared/conformance), in process, on the
 * interpreter AND the JIT: both must give the expected r0 and leave identical memory behind.
 * (tests/data/isa cases, some with maps, run on both engines in tests/data_isa.c.)
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>

#include <userbpf/userbpf.h>

#include "data_format.h"
#include "test.h"

static struct userbpf_env *env;
static char firstlog[512];

static void logfn(void *user, int level, const char *msg)
{
	(void)user, (void)level;
	if (!firstlog[0])
		snprintf(firstlog, sizeof(firstlog), "%s", msg);
}

struct outcome {
	int err;
	uint64_t r0;
	unsigned char *mem;
};

static int run_on(const struct userbpf_insn *insns, size_t cnt, const struct ub_case *t,
		  enum userbpf_engine engine, struct outcome *out)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o), .engine = engine,
				       .flags = engine == USERBPF_ENGINE_JIT ?
						USERBPF_PROG_F_TRUSTED : USERBPF_PROG_F_UNVERIFIED,
				       .insn_budget = t->budget };
	struct userbpf_prog *p;

	out->mem = malloc(t->mem_len ? t->mem_len : 1);
	if (!out->mem)
		return -ENOMEM;
	if (t->mem_len)
		memcpy(out->mem, t->mem, t->mem_len);
	firstlog[0] = 0;
	p = userbpf_prog_load(env, insns, cnt, &o);
	if (!p)
		return -errno;
	out->err = userbpf_prog_run(p, t->mem_len ? out->mem : NULL, t->mem_len, &out->r0);
	userbpf_prog_free(p);
	return 0;
}

static void run_dir(const char *dir, int extended, unsigned *files, unsigned *skipped)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0) {
		SKIP("%s: %s", dir, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);
		struct outcome oi = { 0 }, oj = { 0 };
		struct userbpf_insn *insns = NULL;
		struct ub_case t;
		char path[2048], why[256];
		size_t cnt = 0;

		if (len < 6 || strcmp(name + len - 5, ".data")) {
			free(names[i]);
			continue;
		}
		if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
			CHECK(0, "%s/%s: path too long", dir, name);
			free(names[i]);
			continue;
		}
		free(names[i]);
		if (!CHECK(ub_case_parse(path, &t, extended, why, sizeof(why)) == 0, "%s: %s", path,
			   why))
			continue;
		if (t.error[0]) {
			/* Error cases need the interpreter's run-time checks; the JIT has none. */
			(*skipped)++;
			ub_case_free(&t);
			continue;
		}
		if (t.raw_cnt) {
			insns = malloc(t.raw_cnt * sizeof(*insns));
			if (insns)
				memcpy(insns, t.raw, t.raw_cnt * sizeof(*insns));
			cnt = t.raw_cnt;
		} else if (userbpf_asm(env, t.asm_text ? t.asm_text : "", USERBPF_SYNTAX_CONFORMANCE,
				       &insns, &cnt)) {
			CHECK(0, "%s: does not assemble: %s", path, firstlog);
			ub_case_free(&t);
			continue;
		}
		(*files)++;
		if (CHECK(run_on(insns, cnt, &t, USERBPF_ENGINE_INTERP, &oi) == 0, "%s: interp load: %s",
			  path, firstlog) &&
		    CHECK(run_on(insns, cnt, &t, USERBPF_ENGINE_JIT, &oj) == 0, "%s: jit load: %s", path,
			  firstlog)) {
			CHECK(oi.err == 0 && oj.err == 0, "%s: run errors interp %d jit %d", path, oi.err,
			      oj.err);
			CHECK(oi.r0 == oj.r0, "%s: r0 interp 0x%llx jit 0x%llx", path,
			      (unsigned long long)oi.r0, (unsigned long long)oj.r0);
			if (t.has_result)
				CHECK(oj.r0 == t.result, "%s: jit r0 0x%llx, expected 0x%llx", path,
				      (unsigned long long)oj.r0, (unsigned long long)t.result);
			CHECK(!t.mem_len || !memcmp(oi.mem, oj.mem, t.mem_len),
			      "%s: memory differs after the run", path);
		}
		free(oi.mem);
		free(oj.mem);
		userbpf_insns_free(insns);
		ub_case_free(&t);
	}
	free(names);
}

int main(void)
{
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = logfn };
	const char *shared = getenv("UB_SHARED");
	unsigned files = 0, skipped = 0;
	char dir[1024];

	env = userbpf_env_new(&eo);
	if (!CHECK(env, "env"))
		return ub_test_done("jit_conformance");
	snprintf(dir, sizeof(dir), "%s/conformance", shared ? shared : "../shared");
	run_dir(dir, 0, &files, &skipped);
	printf("NOTE jit_conformance: %u conformance files run on interpreter and JIT, %u error "
	       "cases left to the checked interpreter\n", files, skipped);
	CHECK(files >= 300, "the suite is there (%u files)", files);
	userbpf_env_free(env);
	return ub_test_done("jit_conformance");
}
