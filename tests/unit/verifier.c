/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verifier.c: the verifier through userbpf_prog_load: errno of each verdict, the Linux-style
 * log at levels 1 and 2, the stats, the C source line of a rejection, the context rewrite,
 * and that accepted programs run on the interpreter with the expected result.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/core.h"
#include "test.h"
#include "userbpf/userbpf.h"

static char logbuf[1 << 16];

static struct userbpf_prog *load(struct userbpf_env *env, const char *text, uint32_t type,
				 uint32_t level, uint32_t vflags, struct userbpf_verify_stats *st,
				 const struct userbpf_line_info *li, size_t nli)
{
	struct userbpf_insn *insns = NULL;
	struct userbpf_prog_opts o = { .sz = sizeof(o) };
	struct userbpf_prog *p;
	size_t cnt = 0;
	int err = userbpf_asm(env, text, USERBPF_SYNTAX_LLVM, &insns, &cnt);

	if (!CHECK(err == 0, "assemble: %d", err))
		return NULL;
	o.prog_type = type;
	o.log_level = level;
	o.log_buf = logbuf;
	o.log_size = sizeof(logbuf);
	o.verify_stats = st;
	o.verify_flags = vflags;
	o.line_info = li;
	o.line_info_cnt = nli;
	o.engine = USERBPF_ENGINE_INTERP;
	logbuf[0] = '\0';
	p = userbpf_prog_load(env, insns, cnt, &o);
	userbpf_insns_free(insns);
	return p;
}

static void test_accept_and_run(struct userbpf_env *env)
{
	struct userbpf_verify_stats st = { .sz = sizeof(st) };
	struct userbpf_prog *p;
	uint64_t ret = 0;
	uint8_t mem[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

	/* Raw memory: sum of the first 8 bytes when at least 8 are there. */
	p = load(env,
		 "r0 = 0\n"
		 "if r2 < 8 goto out\n"
		 "r3 = 0\n"
		 "loop:\n"
		 "r4 = r1\n"
		 "r4 += r3\n"
		 "r5 = *(u8 *)(r1 + 0)\n"
		 "r0 += r5\n"
		 "r1 += 1\n"
		 "r3 += 1\n"
		 "if r3 < 8 goto loop\n"
		 "out:\n"
		 "exit\n",
		 USERBPF_PROG_TYPE_UNSPEC, 2, 0, &st, NULL, 0);
	if (!CHECK(p != NULL, "sum loop rejected: %s (insn %lld)\n%s", st.error,
		   (long long)st.error_insn, logbuf))
		return;
	CHECK(st.verdict == 0 && st.error_insn == -1 && st.error[0] == '\0', "accept stats");
	CHECK(st.processed_insns > 8, "processed %llu", (unsigned long long)st.processed_insns);
	CHECK(strstr(logbuf, "0: (b7) r0 = 0") != NULL, "level 2 shows insns in Linux form");
	CHECK(strstr(logbuf, "processed ") && strstr(logbuf, "insns (limit 1000000)"),
	      "stats line");
	CHECK(userbpf_prog_run(p, mem, sizeof(mem), &ret) == 0 && ret == 1 + 2 + 3 + 4 + 5 + 6 +
								      7 + 8,
	      "run: %llu", (unsigned long long)ret);
	userbpf_prog_free(p);
}

static void test_reject(struct userbpf_env *env)
{
	struct userbpf_verify_stats st = { .sz = sizeof(st) };
	struct userbpf_line_info li[2] = {
		{ .insn = 0, .line = 10, .file = "prog.c", .text = "int x = 0;" },
		{ .insn = 1, .line = 11, .file = "prog.c", .text = "return y;" },
	};
	struct userbpf_prog *p;

	p = load(env, "r0 = 0\nr0 = r3\nexit\n", USERBPF_PROG_TYPE_SOCKET_FILTER, 1, 0, &st, li, 2);
	CHECK(p == NULL && errno == EACCES, "rejection errno %d", errno);
	CHECK(st.verdict == -EACCES, "verdict %d", st.verdict);
	CHECK(st.error_insn == 1, "error insn %lld", (long long)st.error_insn);
	CHECK(!strcmp(st.error, "R3 !read_ok"), "error '%s'", st.error);
	CHECK(!strcmp(st.source, "prog.c:11"), "source '%s'", st.source);
	CHECK(strstr(logbuf, "R3 !read_ok\n") != NULL, "log has the sentence");
	CHECK(strstr(logbuf, "; return y; @ prog.c:11") != NULL, "log has the source line:\n%s",
	      logbuf);
	CHECK(strstr(logbuf, "hint: ") != NULL, "log has the explanation");
	CHECK(strstr(logbuf, "1: (bf) r0 = r3") != NULL, "level 1 shows the failing path:\n%s",
	      logbuf);
	userbpf_prog_free(p);

	/* No log requested: still rejected, stats still filled. */
	memset(&st, 0, sizeof(st));
	st.sz = sizeof(st);
	p = load(env, "exit\n", USERBPF_PROG_TYPE_SOCKET_FILTER, 0, 0, &st, NULL, 0);
	CHECK(p == NULL && errno == EACCES && !strcmp(st.error, "R0 !read_ok"), "no log: %s",
	      st.error);
	CHECK(logbuf[0] == '\0', "level 0 writes nothing");
}

static void test_budget(struct userbpf_env *env)
{
	struct userbpf_verify_stats st = { .sz = sizeof(st) };
	struct userbpf_prog *p;

	p = load(env, "r0 = 0\nr1 = 0\nl:\nr1 += 1\nif r1 < 3000000 goto l\nexit\n",
		 USERBPF_PROG_TYPE_SOCKET_FILTER, 1, 0, &st, NULL, 0);
	CHECK(p == NULL && errno == E2BIG, "budget errno %d", errno);
	CHECK(st.processed_insns == 1000001, "processed %llu",
	      (unsigned long long)st.processed_insns);
	CHECK(strstr(st.error, "BPF program is too large. Processed 1000000 insn") != NULL,
	      "error '%s'", st.error);
	CHECK(strstr(logbuf, "processed 1000001 insns") != NULL, "stats line survives a long log");
}

static void test_rewrite(struct userbpf_env *env)
{
	struct userbpf_verify_stats st = { .sz = sizeof(st) };
	struct userbpf_prog *p;
	const struct userbpf_insn *orig;
	size_t n;

	p = load(env,
		 "r2 = *(u32 *)(r1 + 0)\n"
		 "r3 = *(u32 *)(r1 + 4)\n"
		 "r4 = *(u8 *)(r1 + 12)\n"
		 "r0 = 2\n"
		 "exit\n",
		 USERBPF_PROG_TYPE_XDP, 0, 0, &st, NULL, 0);
	if (!CHECK(p != NULL, "xdp ctx program rejected: %s", st.error))
		return;
	orig = userbpf_prog_insns(p, &n);
	CHECK(n == 5 && orig[0].code == 0x61 && orig[0].off == 0 && orig[1].off == 4,
	      "userbpf_prog_insns returns the loaded form");
	/* The engines run loads of the runtime struct: 64-bit pointers at their offsets. */
	CHECK(p->insns[0].code == 0x79 && p->insns[0].off == 0, "data -> u64 at 0: %02x %d",
	      p->insns[0].code, p->insns[0].off);
	CHECK(p->insns[1].code == 0x79 && p->insns[1].off == 8, "data_end -> u64 at 8: %02x %d",
	      p->insns[1].code, p->insns[1].off);
	CHECK(p->insns[2].code == 0x71 && p->insns[2].off == 40, "ingress_ifindex narrow: %02x %d",
	      p->insns[2].code, p->insns[2].off);
	userbpf_prog_free(p);
}

static void test_modes(struct userbpf_env *env)
{
	struct userbpf_verify_stats st = { .sz = sizeof(st) };
	const char *leak = "r0 = r10\nexit\n";
	struct userbpf_prog *p;

	p = load(env, leak, USERBPF_PROG_TYPE_SOCKET_FILTER, 0, 0, &st, NULL, 0);
	CHECK(p != NULL, "privileged: pointer return allowed (%s)", st.error);
	userbpf_prog_free(p);
	p = load(env, leak, USERBPF_PROG_TYPE_SOCKET_FILTER, 0, USERBPF_VERIFY_F_UNPRIV, &st, NULL,
		 0);
	CHECK(p == NULL && strstr(st.error, "leaks addr as return value"), "unprivileged: '%s'",
	      st.error);
	/* Unverified loads skip the verifier (and get run-time checks instead). */
	{
		struct userbpf_insn *insns = NULL;
		struct userbpf_prog_opts o = { .sz = sizeof(o) };
		size_t cnt;

		CHECK(userbpf_asm(env, "r0 = r3\nexit\n", USERBPF_SYNTAX_LLVM, &insns, &cnt) == 0,
		      "asm");
		o.flags = USERBPF_PROG_F_UNVERIFIED;
		p = userbpf_prog_load(env, insns, cnt, &o);
		CHECK(p != NULL, "unverified load");
		userbpf_prog_free(p);
		userbpf_insns_free(insns);
	}
}

int main(void)
{
	struct userbpf_env *env = userbpf_env_new(NULL);

	if (!CHECK(env != NULL, "env"))
		return ub_test_done("verifier");
	test_accept_and_run(env);
	test_reject(env);
	test_budget(env);
	test_rewrite(env);
	test_modes(env);
	userbpf_env_free(env);
	return ub_test_done("verifier");
}
