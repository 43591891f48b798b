/* SPDX-License-Identifier: Apache-2.0 */
/*
 * data_isa.c: runs the ISA data tests (the .data files of tests/data/isa, format in data_format.h)
 * in-process on the checked interpreter, the unchecked interpreter and the JIT, and checks that
 * every row of opcodes.def appears in at least one of them.
 *
 * A case with -- result must give that r0 on every engine. A case with -- error must fail to
 * load or to run on the checked interpreter, the first error logged containing the -- error
 * text: run-time faults of unverified programs are the checked loop's job, so these cases run
 * there only (one NOTE line counts them). Test helpers, registered here (ids above Linux's):
 *   1000 sum:  r0 = r1 + 2*r2 + 3*r3 + 4*r4 + 5*r5   (argument order is visible)
 *   1001 seven: r0 = 7
 * Every run gets fresh maps (lddw map_idx N):
 *   0: array, key 4, value 16, 4 entries       1: hash, key 8, value 8, 16 entries
 *   2: array_of_maps, 2 entries, slot 0 = map 3 3: array, key 4, value 16, 4 entries (inner)
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <userbpf/userbpf.h>

#include "interp/interp.h"
#include "isa/isa.h"

#include "data_format.h"
#include "test.h"

#define DATA_DIR "tests/data/isa"

static uint64_t helper_sum(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e;
}

static uint64_t helper_seven(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	(void)a, (void)b, (void)c, (void)d, (void)e;
	return 7;
}

/* The first error the library logged for the current case. */
static char first_error[1024];

static void log_first(void *user, int level, const char *msg)
{
	(void)user;
	if (level == USERBPF_LOG_ERROR && !first_error[0])
		snprintf(first_error, sizeof(first_error), "%s", msg);
}

#define N_MAPS 4

static void maps_free(struct userbpf_map **m)
{
	for (int i = 0; i < N_MAPS; i++)
		userbpf_map_free(m[i]);
}

static int maps_new(struct userbpf_env *env, struct userbpf_map **m)
{
	struct userbpf_map_opts arr = { .sz = sizeof(arr), .type = USERBPF_MAP_TYPE_ARRAY,
					.key_size = 4, .value_size = 16, .max_entries = 4 };
	struct userbpf_map_opts hash = { .sz = sizeof(hash), .type = USERBPF_MAP_TYPE_HASH,
					 .key_size = 8, .value_size = 8, .max_entries = 16 };
	struct userbpf_map_opts aom = { .sz = sizeof(aom), .type = USERBPF_MAP_TYPE_ARRAY_OF_MAPS,
					.key_size = 4, .value_size = 4, .max_entries = 2 };
	uint32_t key = 0, id;

	memset(m, 0, N_MAPS * sizeof(*m));
	m[0] = userbpf_map_create(env, &arr);
	m[1] = userbpf_map_create(env, &hash);
	m[3] = userbpf_map_create(env, &arr);
	aom.inner_map = m[3];
	m[2] = m[3] ? userbpf_map_create(env, &aom) : NULL;
	if (!m[0] || !m[1] || !m[2] || !m[3])
		goto fail;
	id = userbpf_map_id(m[3]);
	if (userbpf_map_update(m[2], &key, &id, USERBPF_ANY))
		goto fail;
	return 0;
fail:
	maps_free(m);
	return -ENOMEM;
}

enum engine { E_CHECKED, E_UNCHECKED, E_JIT, E_COUNT };
static const char *const engine_name[E_COUNT] = { "interp", "interp-unchecked", "jit" };
static unsigned eng_pass[E_COUNT], eng_fail[E_COUNT], jit_unavailable, error_cases;

/*
 * Load on one engine. Returns the program, or NULL with *err set (a load failure, which the
 * caller compares with -- error) or *skip set (the JIT is not available here).
 */
static struct userbpf_prog *load(struct userbpf_env *env, const struct userbpf_insn *insns,
				 size_t cnt, const struct ub_case *t, enum engine e,
				 struct userbpf_map **maps, int *err, int *skip)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o), .name = "data" };
	struct userbpf_prog *prog;

	o.maps = maps;
	o.map_cnt = N_MAPS;
	o.insn_budget = t->budget;
	o.engine = e == E_JIT ? USERBPF_ENGINE_JIT : USERBPF_ENGINE_INTERP;
	o.flags = e == E_JIT ? USERBPF_PROG_F_TRUSTED : USERBPF_PROG_F_UNVERIFIED;
	prog = userbpf_prog_load(env, insns, cnt, &o);
	if (!prog) {
		*err = -errno;
		*skip = e == E_JIT && errno == ENOTSUP;
		return NULL;
	}
	if (e == E_UNCHECKED) {
		/* What a verified program runs on: the same code without checks. */
		*err = ub_interp_prepare_as(prog, 0);
		if (*err) {
			userbpf_prog_free(prog);
			return NULL;
		}
	}
	return prog;
}

static void run_case(struct userbpf_env *env, const char *name, const struct ub_case *t,
		     const struct userbpf_insn *insns, size_t cnt, enum engine e)
{
	struct userbpf_map *maps[N_MAPS];
	struct userbpf_prog *prog;
	unsigned char *mem = NULL;
	uint64_t r0 = 0;
	int err = 0, skip = 0, ok;

	if (!CHECK(maps_new(env, maps) == 0, "%s: cannot create the test maps", name))
		return;
	first_error[0] = 0;
	prog = load(env, insns, cnt, t, e, maps, &err, &skip);
	maps_free(maps); /* the program holds its own references */
	if (skip) {
		jit_unavailable++;
		return;
	}
	if (prog) {
		/* A fresh copy per run: programs write to their memory. */
		if (t->mem_len) {
			mem = malloc(t->mem_len);
			if (mem)
				memcpy(mem, t->mem, t->mem_len);
		}
		if (t->mem_len && !mem)
			err = -ENOMEM;
		else
			err = userbpf_prog_run(prog, mem, t->mem_len, &r0);
		userbpf_prog_free(prog);
		free(mem);
	}
	if (t->error[0])
		ok = CHECK(err && strstr(first_error, t->error), "%s [%s]: %s (\"%s\"), want an "
			   "error containing \"%s\"", name, engine_name[e],
			   err ? strerror(-err) : "no error", first_error, t->error);
	else if (err)
		ok = CHECK(0, "%s [%s]: %s: %s", name, engine_name[e], strerror(-err), first_error);
	else
		ok = CHECK(r0 == t->result, "%s [%s]: r0 = 0x%" PRIx64 ", want 0x%" PRIx64, name,
			   engine_name[e], r0, t->result);
	if (ok)
		eng_pass[e]++;
	else
		eng_fail[e]++;
}

static int is_data(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && !strcmp(d->d_name + n - 5, ".data");
}

int main(void)
{
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = log_first };
	const char *dir = getenv("UB_DATA_ISA") ? getenv("UB_DATA_ISA") : DATA_DIR;
	static unsigned char seen[UB_I_COUNT];
	struct userbpf_env *env = userbpf_env_new(&eo);
	struct dirent **list = NULL;
	int n;

	setvbuf(stdout, NULL, _IOLBF, 0); /* keep the lines printed before a crash */
	if (!CHECK(env, "userbpf_env_new"))
		return ub_test_done("data_isa");
	CHECK(userbpf_env_add_helper(env, 1000, "test_sum", helper_sum) == 0, "add helper 1000");
	CHECK(userbpf_env_add_helper(env, 1001, "test_seven", helper_seven) == 0, "add helper");
	n = scandir(dir, &list, is_data, alphasort);
	if (!CHECK(n > 0, "no .data files in %s (run from the source tree)", dir)) {
		userbpf_env_free(env);
		return ub_test_done("data_isa");
	}
	for (int i = 0; i < n; i++) {
		char path[4096], why[512] = "";
		const char *name = list[i]->d_name;
		struct userbpf_insn *insns = NULL;
		size_t cnt = 0;
		struct ub_case t;
		int err;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (ub_case_parse(path, &t, 1, why, sizeof(why))) {
			CHECK(0, "%s: cannot parse: %s", name, why);
			goto next;
		}
		if (t.raw_cnt) {
			insns = malloc(t.raw_cnt * sizeof(*insns));
			if (!CHECK(insns, "%s: out of memory", name))
				goto next;
			memcpy(insns, t.raw, t.raw_cnt * sizeof(*insns));
			cnt = t.raw_cnt;
			err = 0;
		} else {
			first_error[0] = 0;
			err = userbpf_asm(env, t.asm_text, USERBPF_SYNTAX_CONFORMANCE, &insns,
					  &cnt);
			if (!CHECK(!err, "%s: cannot assemble: %s", name, first_error))
				goto next;
		}
		/* Coverage: which opcodes.def rows this file uses. */
		for (size_t pc = 0; pc < cnt; pc += ub_isa_slots(&insns[pc])) {
			int id = ub_isa_decode(&insns[pc]);

			if (id != UB_I_INVALID)
				seen[id] = 1;
		}
		if (t.error[0]) {
			error_cases++;
			run_case(env, name, &t, insns, cnt, E_CHECKED);
		} else {
			for (int e = 0; e < E_COUNT; e++)
				run_case(env, name, &t, insns, cnt, (enum engine)e);
		}
next:
		if (t.raw_cnt)
			free(insns);
		else
			userbpf_insns_free(insns);
		ub_case_free(&t);
		free(list[i]);
	}
	free(list);
	userbpf_env_free(env);

	for (int id = 0; id < UB_I_COUNT; id++)
		CHECK(seen[id], "opcodes.def row %s (%s) appears in no file of %s",
		      ub_insn_table[id].name, ub_insn_table[id].cname, dir);
	for (int e = 0; e < E_COUNT; e++)
		printf("NOTE data_isa [%s]: %u passed, %u failed\n", engine_name[e], eng_pass[e],
		       eng_fail[e]);
	printf("NOTE data_isa: %u error cases run on the checked interpreter only\n", error_cases);
	if (jit_unavailable) {
		ub_test_skipped += jit_unavailable;
		printf("SKIP data_isa [jit]: %u cases, the JIT is not available here\n",
		       jit_unavailable);
	}
	return ub_test_done("data_isa");
}
