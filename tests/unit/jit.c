/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jit.c: unit tests of the x86-64 JIT: every opcode row compiles (or fails cleanly where
 * documented), atomics with r0 in every role, helper/bpf-to-bpf/callx calls and the frame limit,
 * ld_abs/ld_ind bounds, may_goto, long jumps, register zeroing, W^X, constant blinding, and the
 * errors a malformed program gets.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <userbpf/userbpf.h>

#include "core/core.h"
#include "isa/isa.h"
#include "jit/jit.h"
#include "jit/jit_int.h"
#include "test.h"

#define I(c, d, s, o, i) ((struct userbpf_insn){ (c), (d), (s), (o), (i) })
#define MOV64I(d, i) I(0xb7, d, 0, 0, i)
#define MOV64R(d, s) I(0xbf, d, s, 0, 0)
#define EXIT I(0x95, 0, 0, 0, 0)
#define LDDW(d, v) I(0x18, d, 0, 0, (int32_t)(uint32_t)(uint64_t)(v)), \
		   I(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(v) >> 32))
#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct userbpf_env *env;
static char lastlog[512];

static void logfn(void *user, int level, const char *msg)
{
	(void)user, (void)level;
	snprintf(lastlog, sizeof(lastlog), "%s", msg);
}

static struct userbpf_prog *load(const struct userbpf_insn *insns, size_t cnt)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o), .engine = USERBPF_ENGINE_JIT,
				       .flags = USERBPF_PROG_F_TRUSTED };

	lastlog[0] = 0;
	return userbpf_prog_load(env, insns, cnt, &o);
}

/* Load, run on mem, free; returns r0 (or 0xdead... when the load failed). */
static uint64_t run(const struct userbpf_insn *insns, size_t cnt, void *mem, size_t len)
{
	struct userbpf_prog *p = load(insns, cnt);
	uint64_t r0 = 0xdeadbeefdeadbeefull;

	if (!CHECK(p, "load failed: %s", lastlog))
		return r0;
	CHECK(userbpf_prog_engine(p) == USERBPF_ENGINE_JIT, "engine is the JIT");
	CHECK(userbpf_prog_run(p, mem, len, &r0) == 0, "run");
	userbpf_prog_free(p);
	return r0;
}

static void test_basics(void)
{
	struct userbpf_insn ret0[] = { MOV64I(0, 0), EXIT };
	struct userbpf_insn ret64[] = { LDDW(0, 0x123456789abcdef0ull), EXIT };
	struct userbpf_insn args[] = { MOV64R(0, 2), I(0x71, 3, 1, 3, 0), I(0x0f, 0, 3, 0, 0), EXIT };
	struct userbpf_insn stack[] = {
		I(0x7a, 10, 0, -8, 0x11223344), I(0x72, 10, 0, -512, 0x55),
		I(0x79, 0, 10, -8, 0), I(0x71, 1, 10, -512, 0), I(0x0f, 0, 1, 0, 0), EXIT,
	};
	/* r0 = r3|r4|r5|r6|r7|r8|r9: registers the program never wrote must read 0. */
	struct userbpf_insn zero[] = {
		MOV64R(0, 3), I(0x4f, 0, 4, 0, 0), I(0x4f, 0, 5, 0, 0), I(0x4f, 0, 6, 0, 0),
		I(0x4f, 0, 7, 0, 0), I(0x4f, 0, 8, 0, 0), I(0x4f, 0, 9, 0, 0), EXIT,
	};
	uint8_t mem[8] = { 1, 2, 3, 40 };

	CHECK_EQ_U64(run(ret0, N(ret0), NULL, 0), 0, "return 0");
	CHECK_EQ_U64(run(ret64, N(ret64), NULL, 0), 0x123456789abcdef0ull, "lddw");
	CHECK_EQ_U64(run(args, N(args), mem, sizeof(mem)), 48, "r1 = mem, r2 = len");
	CHECK_EQ_U64(run(stack, N(stack), NULL, 0), 0x11223344 + 0x55, "stack");
	CHECK_EQ_U64(run(zero, N(zero), NULL, 0), 0, "unwritten registers are 0");
}

/* ---- atomics ----------------------------------------------------------------------------- */

/* The model: a register file R and one memory word, exactly as the instruction defines them. */
static void model_atomic(int imm, int w, uint64_t *R, int d, int s, uint64_t *m)
{
	uint64_t old = w ? *m : (uint32_t)*m, v = w ? R[s] : (uint32_t)R[s], nv = old;

	(void)d;
	switch (imm & ~USERBPF_FETCH) {
	case USERBPF_ADD: nv = old + v; break;
	case USERBPF_OR: nv = old | v; break;
	case USERBPF_AND: nv = old & v; break;
	case USERBPF_XOR: nv = old ^ v; break;
	}
	if (imm == USERBPF_XCHG) {
		nv = v;
		R[s] = old;
	} else if (imm == USERBPF_CMPXCHG) {
		nv = (w ? R[0] : (uint32_t)R[0]) == old ? v : old;
		R[0] = old;
	} else if (imm & USERBPF_FETCH) {
		R[s] = old;
	}
	*m = w ? nv : (*m & ~0xffffffffull) | (uint32_t)nv;
}

static void test_atomics(void)
{
	static const int ops[] = { 0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1 };
	static const uint8_t regs[][2] = { { 1, 2 }, { 1, 0 }, { 0, 2 }, { 0, 0 }, { 3, 4 },
					   { 4, 3 }, { 5, 5 } };
	static const uint64_t mvals[] = { 0x00000000ffffffffull, 0xf0f0f0f0a5a5a5a5ull, 7 };
	char what[96];

	for (size_t o = 0; o < N(ops); o++)
		for (int w = 0; w <= 1; w++)
			for (size_t rg = 0; rg < N(regs); rg++)
				for (size_t mv = 0; mv < N(mvals); mv++) {
					int d = regs[rg][0], s = regs[rg][1];
					uint64_t mem[2] = { 0x1111111111111111ull, mvals[mv] };
					uint64_t R[11] = { 0 }, mm = mvals[mv], out[3] = { 0 };
					uint64_t ptr = (uint64_t)(uintptr_t)&mem[1];
					struct userbpf_insn p[] = {
						MOV64R(9, 1),
						LDDW(0, 0xa5a5a5a5a5a5a5a5ull),
						LDDW(s, 0x0f0f0f0f12345678ull),
						LDDW(d, ptr),
						I(w ? 0xdb : 0xc3, d, s, 0, ops[o]),
						I(0x7b, 9, 0, 0, 0), I(0x7b, 9, s, 8, 0),
						I(0x7b, 9, d, 16, 0), MOV64I(0, 0), EXIT,
					};

					R[0] = 0xa5a5a5a5a5a5a5a5ull;
					R[s] = 0x0f0f0f0f12345678ull;
					R[d] = ptr;
					/* cmpxchg with r0 equal to memory half the time */
					if (ops[o] == 0xf1 && mv == 2 && d != 0 && s != 0) {
						R[0] = 7;
						p[1].imm = 7;
						p[2].imm = 0;
					}
					model_atomic(ops[o], w, R, d, s, &mm);
					snprintf(what, sizeof(what), "atomic 0x%02x %s r%d,r%d m=%zu",
						 ops[o], w ? "64" : "32", d, s, mv);
					run(p, N(p), out, sizeof(out));
					CHECK(mem[1] == mm, "%s: mem 0x%llx want 0x%llx", what,
					      (unsigned long long)mem[1], (unsigned long long)mm);
					CHECK(mem[0] == 0x1111111111111111ull, "%s: neighbour", what);
					CHECK(out[0] == R[0], "%s: r0 0x%llx want 0x%llx", what,
					      (unsigned long long)out[0], (unsigned long long)R[0]);
					CHECK(out[1] == R[s], "%s: src 0x%llx want 0x%llx", what,
					      (unsigned long long)out[1], (unsigned long long)R[s]);
					CHECK(out[2] == R[d], "%s: dst 0x%llx want 0x%llx", what,
					      (unsigned long long)out[2], (unsigned long long)R[d]);
				}
}

static void test_acquire_release(void)
{
	uint64_t m[2] = { 0x8877665544332211ull, 0 };
	static const int codes[] = { 0xd3, 0xcb, 0xc3, 0xdb };
	static const uint64_t want[] = { 0x11, 0x2211, 0x44332211, 0x8877665544332211ull };

	for (int k = 0; k < 4; k++) {
		struct userbpf_insn p[] = {
			I(codes[k], 0, 1, 0, USERBPF_LOAD_ACQ), I(codes[k], 1, 0, 8, USERBPF_STORE_REL),
			EXIT,
		};

		m[1] = 0;
		CHECK_EQ_U64(run(p, N(p), m, sizeof(m)), want[k], "load-acquire");
		CHECK_EQ_U64(m[1], want[k], "store-release");
	}
}

/* ---- calls ------------------------------------------------------------------------------- */

static uint64_t sum_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e;
}

static void test_calls(void)
{
	struct userbpf_insn helper[] = {
		MOV64I(1, 1), MOV64I(2, 10), MOV64I(3, 100), MOV64I(4, 1000), MOV64I(5, 10000),
		MOV64I(6, 7), I(0x85, 0, 0, 0, 200), I(0x0f, 0, 6, 0, 0), EXIT,
	};
	struct userbpf_insn unknown[] = { I(0x85, 0, 0, 0, 777), EXIT };
	/*
	 * main: r6 = 5; *(r10-8) = 99; call f(3); r0 += r6 + *(r10-8)
	 * f: *(r10-8) = 1; r6 = 1000; r0 = r1 * 2; exit   (its own stack, r6 saved for main)
	 */
	struct userbpf_insn local[] = {
		MOV64I(6, 5), I(0x7a, 10, 0, -8, 99), MOV64I(1, 3), I(0x85, 0, 1, 0, 4),
		I(0x0f, 0, 6, 0, 0), I(0x79, 1, 10, -8, 0), I(0x0f, 0, 1, 0, 0), EXIT,
		I(0x7a, 10, 0, -8, 1), MOV64I(6, 1000), MOV64R(0, 1), I(0x27, 0, 0, 0, 2), EXIT,
	};
	/* f(n): n == 0 ? 1000 : f(n - 1) + 1; main returns f(r1 = depth). */
	struct userbpf_insn rec[] = {
		MOV64I(1, 0), I(0x85, 0, 1, 0, 1), EXIT,
		I(0x55, 1, 0, 2, 0), MOV64I(0, 1000), EXIT,
		I(0x17, 1, 0, 0, 1), I(0x85, 0, 1, 0, -5), I(0x07, 0, 0, 0, 1), EXIT,
	};
	struct userbpf_insn callx[] = { MOV64I(8, 200), MOV64I(1, 4), I(0x8d, 8, 0, 0, 0), EXIT };
	struct userbpf_insn callx_bad[] = { MOV64I(0, 5), LDDW(8, 1ull << 40),
					    I(0x8d, 8, 0, 0, 0), MOV64I(0, 7), EXIT };
	struct userbpf_insn callx_none[] = { MOV64I(0, 5), MOV64I(8, 999), I(0x8d, 8, 0, 0, 0),
					     MOV64I(0, 7), EXIT };
	struct userbpf_insn func[] = { I(0x18, 0, 4, 0, 2), I(0, 0, 0, 0, 0), EXIT, EXIT };
	struct userbpf_prog *p;

	CHECK(userbpf_env_add_helper(env, 200, "sum", sum_helper) == 0, "add helper");
	CHECK_EQ_U64(run(helper, N(helper), NULL, 0), 1 + 20 + 300 + 4000 + 50000 + 7, "helper");
	p = load(unknown, N(unknown));
	CHECK(!p && errno == EINVAL, "unknown helper rejected");
	CHECK(strstr(lastlog, "insn 0") && strstr(lastlog, "unknown helper 777"),
	      "message names insn and helper: '%s'", lastlog);
	userbpf_prog_free(p);
	CHECK_EQ_U64(run(local, N(local), NULL, 0), 6 + 5 + 99, "bpf-to-bpf call");
	/* Depth d needs d + 2 frames (main + f(d)..f(0)): 6 fits in 8, 7 does not. */
	rec[0].imm = 6;
	CHECK_EQ_U64(run(rec, N(rec), NULL, 0), 1006, "8 frames");
	rec[0].imm = 7;
	CHECK_EQ_U64(run(rec, N(rec), NULL, 0), 0, "9th frame ends the run with 0");
	CHECK_EQ_U64(run(callx, N(callx), NULL, 0), 4, "callx");
	CHECK_EQ_U64(run(callx_bad, N(callx_bad), NULL, 0), 0, "callx id out of range -> 0");
	CHECK_EQ_U64(run(callx_none, N(callx_none), NULL, 0), 0, "callx unregistered -> 0");
	p = load(func, N(func));
	if (CHECK(p, "lddw func: %s", lastlog)) {
		uint64_t r0 = 0;
		struct ub_jit_image *img = p->jit;

		userbpf_prog_run(p, NULL, 0, &r0);
		CHECK(r0 >= (uint64_t)(uintptr_t)img->mem &&
		      r0 < (uint64_t)(uintptr_t)img->mem + img->code_len, "lddw func points into the image");
		userbpf_prog_free(p);
	}
}

/*
 * Two helpers more than 2 GiB apart: the image cannot reach both with call rel32, so the driver
 * must fall back to indirect calls. One helper is a page of code mapped far from everything.
 */
static void test_far_helpers(void)
{
	static const uint8_t ret42[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 }; /* mov eax, 42; ret */
	struct userbpf_insn p[] = { I(0x85, 0, 0, 0, 201), MOV64R(6, 0), I(0x85, 0, 0, 0, 200),
				    I(0x0f, 0, 6, 0, 0), EXIT };
	void *far = mmap((void *)0x300000000000ull, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t (*fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

	if (far == MAP_FAILED) {
		SKIP("cannot map a far page");
		return;
	}
	memcpy(far, ret42, sizeof(ret42));
	if (mprotect(far, 4096, PROT_READ | PROT_EXEC)) {
		SKIP("cannot make the far page executable");
		munmap(far, 4096);
		return;
	}
	memcpy(&fn, &far, sizeof(fn));
	CHECK(userbpf_env_add_helper(env, 201, "far", fn) == 0, "add far helper");
	/* helper 200 (sum_helper, in this binary) gets r1..r5 = 0: returns 0 */
	CHECK_EQ_U64(run(p, N(p), NULL, 0), 42, "helpers out of rel32 reach of each other");
	{
		struct userbpf_prog *prog = load(p, N(p));
		const struct ub_jit_image *img = prog ? prog->jit : NULL;
		int indirect = 0;

		for (size_t i = 0; img && i + 3 <= img->code_len; i++)
			if (!memcmp((const uint8_t *)img->mem + i, "\x41\xff\xd3", 3))
				indirect = 1;
		CHECK(indirect, "the far helper is called through movabs r11 + call r11");
		userbpf_prog_free(prog);
	}
	munmap(far, 4096);
}

/* ---- packets, loops, jumps --------------------------------------------------------------- */

static void test_ld_pkt(void)
{
	uint8_t pkt[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99 };
	struct userbpf_insn abs[] = { I(0x20, 0, 0, 0, 2), EXIT };
	struct userbpf_insn absh[] = { I(0x28, 0, 0, 0, 14), EXIT };
	struct userbpf_insn ind[] = { MOV64I(3, 4), I(0x50, 0, 3, 0, 1), EXIT };
	struct userbpf_insn ind_wrap[] = { LDDW(3, 0x100000004ull), I(0x48, 0, 3, 0, 1), EXIT };
	struct userbpf_insn oob[] = { MOV64I(0, 9), I(0x20, 0, 0, 0, 13), EXIT };
	struct userbpf_insn neg[] = { MOV64I(3, -1), I(0x30, 0, 0, 0, 0), I(0x50, 0, 3, 0, 0), EXIT };

	CHECK_EQ_U64(run(abs, N(abs), pkt, sizeof(pkt)), 0x33445566, "ldabsw");
	CHECK_EQ_U64(run(absh, N(absh), pkt, sizeof(pkt)), 0, "ldabsh last two bytes");
	CHECK_EQ_U64(run(ind, N(ind), pkt, sizeof(pkt)), 0x66, "ldindb");
	CHECK_EQ_U64(run(ind_wrap, N(ind_wrap), pkt, sizeof(pkt)), 0x6677, "ldind 32-bit offset");
	CHECK_EQ_U64(run(oob, N(oob), pkt, sizeof(pkt)), 0, "ldabs out of bounds returns 0");
	CHECK_EQ_U64(run(abs, N(abs), NULL, 0), 0, "ldabs with no packet returns 0");
	CHECK_EQ_U64(run(neg, N(neg), pkt, sizeof(pkt)), 0, "ldind negative offset returns 0");
}

static void test_may_goto(void)
{
	/* r0 = 0; loop: may_goto +2; r0 += 1; goto loop; exit -> Linux's 8M iterations. */
	struct userbpf_insn p[] = { MOV64I(0, 0), I(0xe5, 0, 0, 2, 0), I(0x07, 0, 0, 0, 1),
				    I(0x05, 0, 0, -3, 0), EXIT };

	CHECK_EQ_U64(run(p, N(p), NULL, 0), 8u * 1024 * 1024, "may_goto counter");
}

static void test_long_jumps(void)
{
	/* r0 = 0; 100 times: forward jump over 300 adds; backward loop of 5 rounds over 300 adds. */
	struct userbpf_insn *p = calloc(1000, sizeof(*p));
	size_t n = 0;

	if (!p)
		return;
	p[n++] = MOV64I(0, 0);
	p[n++] = MOV64I(6, 5);
	p[n++] = I(0x05, 0, 0, 300, 0); /* ja over 300 */
	for (int i = 0; i < 300; i++)
		p[n++] = I(0x07, 0, 0, 0, 1000);
	for (int i = 0; i < 300; i++)         /* loop body */
		p[n++] = I(0x07, 0, 0, 0, 1);
	p[n++] = I(0x17, 6, 0, 0, 1);
	p[n] = I(0x55, 6, 0, 0, 0);
	p[n].off = (int16_t)-(302);
	n++;
	p[n++] = I(0x06, 0, 0, 0, 1); /* gotol +1 */
	p[n++] = I(0x07, 0, 0, 0, 1000000);
	p[n++] = EXIT;
	CHECK_EQ_U64(run(p, n, NULL, 0), 1500, "long forward and backward jumps, gotol");
	free(p);
}

/* ---- memory protection, blinding ---------------------------------------------------------- */

/* mov + add fused into lea: every register class, and never across a jump target. */
static void test_fusion(void)
{
	static const uint8_t regs[] = { 0, 1, 3, 4, 6, 7, 10 };
	char what[64];

	for (size_t a = 0; a < N(regs); a++)
		for (size_t b = 0; b < N(regs); b++) {
			int d = regs[a], s = regs[b];
			uint64_t base = 1000, got, want;

			if (d == 10 || d == s)
				continue;
			for (int form = 0; form < 3; form++) {
				int x = form == 2 ? (d == 3 ? 4 : 3) : 0;
				struct userbpf_insn p[] = {
					MOV64I(3, 300), MOV64I(4, 40), MOV64I(0, 5), MOV64I(1, 7),
					MOV64I(6, 11), MOV64I(7, 13), MOV64R(d, s),
					form == 0 ? I(0x07, d, 0, 0, -77) : I(0x0f, d, form == 1 ? 10 : x, 0, 0),
					MOV64R(0, d), EXIT,
				};
				uint64_t R[11] = { 5, 7, 0, 300, 40, 0, 11, 13, 0, 0, 0 };
				struct userbpf_prog *prog = load(p, N(p));
				uint64_t fp;

				(void)base;
				if (!CHECK(prog, "load"))
					continue;
				fp = 0;
				got = 0;
				userbpf_prog_run(prog, NULL, 0, &got);
				/* r10 is not known here: compute relative to the r10 form separately. */
				if (s == 10 || (form == 1)) {
					struct userbpf_insn q[] = { MOV64R(0, 10), EXIT };

					fp = run(q, N(q), NULL, 0);
				}
				R[10] = fp;
				want = R[s] + (form == 0 ? (uint64_t)-77 : form == 1 ? fp : R[x]);
				snprintf(what, sizeof(what), "fused r%d = r%d + %s", d, s,
					 form == 0 ? "imm" : form == 1 ? "r10" : "reg");
				if (s != 10 && form != 1)
					CHECK_EQ_U64(got, want, what);
				else /* frame addresses differ per run only if the stack moves: compare offsets */
					CHECK(got - want + 0x10000 < 0x20000, "%s: 0x%llx vs 0x%llx", what,
					      (unsigned long long)got, (unsigned long long)want);
				userbpf_prog_free(prog);
			}
		}
	{
		/* The add is a jump target: r0 = r1 (when r2 != 0); r0 += 5. */
		struct userbpf_insn p[] = { MOV64I(0, 100), MOV64I(1, 1), I(0x15, 2, 0, 1, 0),
					    MOV64R(0, 1), I(0x07, 0, 0, 0, 5), EXIT };

		CHECK_EQ_U64(run(p, N(p), NULL, 0), 105, "jump onto the add: not fused");
		uint8_t one = 0;

		CHECK_EQ_U64(run(p, N(p), &one, 1), 6, "fall-through path");
	}
}

/* bpf_loop with a real callback, and with a number that is no function of the image. */
static void test_callbacks(void)
{
	/* r6 = bpf_loop(3, cb, r10 - 8, 0) with cb adding 10 to *ctx; then bpf_loop(3, 0x1234) */
	struct userbpf_insn p[] = {
		I(0x7a, 10, 0, -8, 0), MOV64I(1, 3), I(0x18, 2, 4, 0, 16), I(0, 0, 0, 0, 0),
		MOV64R(3, 10), I(0x07, 3, 0, 0, -8), MOV64I(4, 0), I(0x85, 0, 0, 0, 181),
		MOV64R(6, 0), MOV64I(1, 3), MOV64I(2, 0x1234), MOV64I(3, 0), MOV64I(4, 0),
		I(0x85, 0, 0, 0, 181), I(0x27, 6, 0, 0, 1000), I(0x0f, 6, 0, 0, 0),
		I(0x79, 0, 10, -8, 0), I(0x0f, 0, 6, 0, 0), EXIT,
		/* cb(index, ctx): *ctx += 10; return 0 */
		I(0x79, 3, 2, 0, 0), I(0x07, 3, 0, 0, 10), I(0x7b, 2, 3, 0, 0), MOV64I(0, 0), EXIT,
	};

	/* 3 iterations (3000), the bogus one stops after its first (1), *ctx = 30 */
	CHECK_EQ_U64(run(p, N(p), NULL, 0), 3000 + 1 + 30, "bpf_loop callbacks on the JIT");
}

static void test_wx(void)
{
	struct userbpf_insn ret0[] = { MOV64I(0, 42), EXIT };
	struct userbpf_prog *p = load(ret0, N(ret0));
	char line[512];
	int found = 0, rwx = 0;
	FILE *f;

	if (!CHECK(p, "load"))
		return;
	f = fopen("/proc/self/maps", "r");
	if (!f) {
		SKIP("no /proc/self/maps");
		userbpf_prog_free(p);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perm[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) != 3)
			continue;
		if ((uintptr_t)p->jit_fn >= lo && (uintptr_t)p->jit_fn < hi)
			found = !strcmp(perm, "r-xp");
		if (perm[1] == 'w' && perm[2] == 'x')
			rwx = 1;
	}
	fclose(f);
	CHECK(found, "image is mapped r-x");
	CHECK(!rwx, "no writable+executable mapping exists");
	userbpf_prog_free(p);
}

static int contains(const uint8_t *hay, size_t n, uint32_t v)
{
	for (size_t i = 0; i + 4 <= n; i++)
		if (!memcmp(hay + i, &v, 4))
			return 1;
	return 0;
}

static void test_blinding(void)
{
	struct userbpf_insn p[] = {
		MOV64I(0, 0x5eed1234), I(0x07, 0, 0, 0, 0x0bad0bad), I(0xa7, 0, 0, 0, 0x7a7a1111),
		I(0x15, 0, 0, 1, 0x61616161), I(0x07, 0, 0, 0, 3), I(0x7a, 10, 0, -8, 0x4c4c4c4c),
		I(0x79, 1, 10, -8, 0), I(0x0f, 0, 1, 0, 0), LDDW(2, 0x1357924680aceb0dull),
		I(0xaf, 0, 2, 0, 0), I(0x37, 0, 0, 0, 0), EXIT,
	};
	uint64_t want = 0, got = 1;
	struct userbpf_prog *prog = load(p, N(p));
	struct ub_jit_image *img;

	if (!CHECK(prog, "load"))
		return;
	userbpf_prog_run(prog, NULL, 0, &want);
	img = prog->jit;
	CHECK(contains(img->mem, img->code_len, 0x0bad0bad), "unblinded image holds the constant");
	ub_jit_release(prog);
	prog->flags |= USERBPF_PROG_F_JIT_BLIND;
	if (CHECK(ub_jit_compile(prog) == 0, "blinded compile: %s", lastlog)) {
		img = prog->jit;
		CHECK(img->blinded, "image is blinded");
		userbpf_prog_run(prog, NULL, 0, &got);
		CHECK_EQ_U64(got, want, "blinded result");
		CHECK(!contains(img->mem, img->code_len, 0x5eed1234) &&
		      !contains(img->mem, img->code_len, 0x0bad0bad) &&
		      !contains(img->mem, img->code_len, 0x7a7a1111) &&
		      !contains(img->mem, img->code_len, 0x61616161) &&
		      !contains(img->mem, img->code_len, 0x4c4c4c4c) &&
		      !contains(img->mem, img->code_len, 0x80aceb0d),
		      "no program constant appears in the blinded image");
	}
	userbpf_prog_free(prog);
}

/* ---- every opcode row, and bad programs ------------------------------------------------- */

static void test_every_row(void)
{
	unsigned ok = 0, refused = 0;

	for (int id = 0; id < UB_I_COUNT; id++) {
		const struct ub_insn_info *r = &ub_insn_table[id];
		uint8_t uses = ub_fmt_info[r->fmt].uses;
		struct userbpf_insn p[8] = { MOV64I(1, 0), MOV64I(2, 0) };
		struct userbpf_insn *in = &p[2];
		size_t n = 3;
		struct userbpf_prog *prog;

		*in = I(r->code, (uses & UB_U_DST) ? 1 : 0, (uses & UB_U_SRC) ? 2 : 0, 0, 0);
		switch (r->match) {
		case UB_M_OFF: in->off = (int16_t)r->mval; break;
		case UB_M_IMM: in->imm = r->mval; break;
		case UB_M_SRC: in->src_reg = (uint8_t)r->mval; break;
		}
		if (r->fmt == UB_F_CALL)
			in->imm = 5;
		if (r->fmt == UB_F_CALL_LOCAL)
			in->imm = 3; /* the function at p[6] */
		if (r->fmt == UB_F_LDDW) {
			p[n++] = I(0, 0, 0, 0, 0);
			if (r->mval == USERBPF_PSEUDO_FUNC)
				in->imm = 3;
		}
		if (r->fmt == UB_F_LDX || r->fmt == UB_F_LOAD_ACQ || r->fmt == UB_F_ST ||
		    r->fmt == UB_F_STX || r->fmt == UB_F_ATOMIC || r->fmt == UB_F_STORE_REL) {
			/* Point the address register at the stack so that the program can run. */
			p[0] = MOV64R(1, 10);
			p[1] = MOV64R(2, 10);
			in->off = -16;
		}
		while (n < 5)
			p[n++] = MOV64I(0, 0);
		p[n++] = EXIT;
		if (r->fmt == UB_F_CALL_LOCAL || id == UB_I_LDDW_FUNC)
			p[n++] = EXIT;
		prog = load(p, n);
		if (r->fmt == UB_F_CALL_KFUNC || id == UB_I_LDDW_MAP_FD || id == UB_I_LDDW_MAP_VALUE ||
		    id == UB_I_LDDW_BTF_ID || id == UB_I_LDDW_MAP_IDX || id == UB_I_LDDW_MAP_IDX_VALUE) {
			/* No host functions and no maps in this program: a clean refusal. */
			CHECK(!prog && strstr(lastlog, "insn 2"), "%s: refused with the insn index ('%s')",
			      r->name, lastlog);
			refused++;
		} else if (CHECK(prog, "%s: compiles (%s)", r->name, lastlog)) {
			uint64_t r0;

			CHECK(userbpf_prog_run(prog, NULL, 0, &r0) == 0, "%s runs", r->name);
			ok++;
		}
		userbpf_prog_free(prog);
	}
	printf("NOTE jit: %u opcode rows compiled and ran, %u refused without maps/kfuncs, of %d\n",
	       ok, refused, UB_I_COUNT);
}

static struct userbpf_prog *load_maps(const struct userbpf_insn *insns, size_t cnt,
				      struct userbpf_map **maps, size_t map_cnt)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o), .engine = USERBPF_ENGINE_JIT,
				       .flags = USERBPF_PROG_F_TRUSTED, .maps = maps,
				       .map_cnt = map_cnt };

	lastlog[0] = 0;
	return userbpf_prog_load(env, insns, cnt, &o);
}

static uint64_t run_prog(struct userbpf_prog *p)
{
	uint64_t r0 = 0xdead;

	CHECK(userbpf_prog_run(p, NULL, 0, &r0) == 0, "run");
	return r0;
}

static void test_maps(void)
{
	struct userbpf_map_opts ao = { .sz = sizeof(ao), .type = USERBPF_MAP_TYPE_ARRAY,
				       .key_size = 4, .value_size = 16, .max_entries = 4 };
	struct userbpf_map_opts po = { .sz = sizeof(po), .type = USERBPF_MAP_TYPE_PROG_ARRAY,
				       .key_size = 4, .value_size = 4, .max_entries = 2 };
	/* r1 = &value[0] + 8; r0 = *(u64 *)r1; *(u64 *)r1 = 77 */
	struct userbpf_insn direct[] = { I(0x18, 1, 6, 0, 0), I(0, 0, 0, 0, 8), I(0x79, 0, 1, 0, 0),
					 I(0x7a, 1, 0, 0, 77), EXIT };
	/* r0 = map_lookup_elem(map, &key 2) ? *(u64 *)r0 : 1 */
	struct userbpf_insn lookup[] = {
		I(0x62, 10, 0, -4, 2), I(0x18, 1, 5, 0, 0), I(0, 0, 0, 0, 0), MOV64R(2, 10),
		I(0x07, 2, 0, 0, -4), I(0x85, 0, 0, 0, 1), I(0x55, 0, 0, 2, 0), MOV64I(0, 1), EXIT,
		I(0x79, 0, 0, 0, 0), EXIT,
	};
	/* A: tail_call(ctx, prog_array, 0); r0 = 99 */
	struct userbpf_insn a[] = { MOV64I(6, 7), I(0x18, 2, 5, 0, 1), I(0, 0, 0, 0, 0),
				    MOV64I(3, 0), I(0x85, 0, 0, 0, 12), MOV64I(0, 99), EXIT };
	struct userbpf_insn b[] = { I(0x55, 1, 0, 2, 0), MOV64I(0, 42), EXIT, MOV64I(0, 43), EXIT };
	/* C: value[0] += 1 (map 0), tail_call(ctx, map 1, 1) to itself; r0 = value[0] */
	struct userbpf_insn c[] = {
		I(0x18, 6, 6, 0, 0), I(0, 0, 0, 0, 0), MOV64I(7, 1), I(0xdb, 6, 7, 0, 0),
		I(0x18, 2, 5, 0, 1), I(0, 0, 0, 0, 0), MOV64I(3, 1), I(0x85, 0, 0, 0, 12),
		I(0x79, 0, 6, 0, 0), EXIT,
	};
	struct userbpf_map *arr = userbpf_map_create(env, &ao);
	struct userbpf_map *pa = userbpf_map_create(env, &po);
	struct userbpf_map *both[2] = { arr, pa };
	struct userbpf_prog *p, *pb, *pc;
	uint8_t val[16] = { 0 };
	uint64_t v = 1234;
	uint32_t k = 0;

	if (!CHECK(arr && pa, "maps: %s", lastlog))
		goto out;
	memcpy(val + 8, &v, 8);
	CHECK(userbpf_map_update(arr, &k, val, USERBPF_ANY) == 0, "update");
	p = load_maps(direct, N(direct), &arr, 1);
	if (CHECK(p, "direct value: %s", lastlog)) {
		CHECK_EQ_U64(run_prog(p), 1234, "lddw map value reads the value");
		CHECK(userbpf_map_lookup(arr, &k, val) == 0 && !memcmp(val + 8, &(uint64_t){ 77 }, 8),
		      "and writes it");
		userbpf_prog_free(p);
	}
	k = 2;
	v = 0xabcdef;
	memcpy(val, &v, 8);
	userbpf_map_update(arr, &k, val, USERBPF_ANY);
	p = load_maps(lookup, N(lookup), &arr, 1);
	if (CHECK(p, "lookup: %s", lastlog)) {
		CHECK_EQ_U64(run_prog(p), 0xabcdef, "map_lookup_elem from JITed code");
		userbpf_prog_free(p);
	}
	p = load_maps(a, N(a), both, 2);
	pb = load_maps(b, N(b), NULL, 0);
	if (CHECK(p && pb, "tail call progs: %s", lastlog)) {
		CHECK_EQ_U64(run_prog(p), 99, "empty slot: the tail call falls through");
		CHECK(userbpf_prog_array_set(pa, 0, pb) == 0, "prog_array_set");
		CHECK_EQ_U64(run_prog(p), 42, "tail call runs the target, ctx in r1");
		CHECK_EQ_U64(run_prog(p), 42, "again (the run context resets)");
	}
	userbpf_prog_free(pb);
	userbpf_prog_free(p);
	k = 0;
	memset(val, 0, sizeof(val));
	userbpf_map_update(arr, &k, val, USERBPF_ANY);
	pc = load_maps(c, N(c), both, 2);
	if (CHECK(pc, "self tail call: %s", lastlog)) {
		userbpf_prog_array_set(pa, 1, pc);
		/* 1 run + 33 tail calls, Linux's MAX_TAIL_CALL_CNT */
		CHECK_EQ_U64(run_prog(pc), 34, "tail call limit");
		userbpf_prog_free(pc);
	}
out:
	userbpf_map_free(arr);
	userbpf_map_free(pa);
}

static int collect(void *user, const char *text, size_t len)
{
	char *buf = user;
	size_t have = strlen(buf);

	if (have + len >= 8192)
		return 0;
	memcpy(buf + have, text, len);
	buf[have + len] = 0;
	return 0;
}

static void test_disasm(void)
{
	static const struct userbpf_line_info li[] = { { 0, 3, 1, "x.c", "int x = 41;" },
						       { 2, 4, 1, "x.c", "return x + 1;" } };
	struct userbpf_insn p[] = { LDDW(0, 41), I(0x07, 0, 0, 0, 1), I(0x85, 0, 1, 0, 1), EXIT,
				    MOV64I(0, 2), EXIT };
	struct userbpf_prog_opts o = { .sz = sizeof(o), .engine = USERBPF_ENGINE_JIT,
				       .flags = USERBPF_PROG_F_TRUSTED, .line_info = li,
				       .line_info_cnt = 2 };
	struct userbpf_disasm_opts d = { .sz = sizeof(d), .flags = USERBPF_DISASM_F_RAW };
	struct userbpf_prog *prog = userbpf_prog_load(env, p, N(p), &o);
	static char buf[8192];

	if (!CHECK(prog, "load: %s", lastlog))
		return;
	buf[0] = 0;
	CHECK(userbpf_prog_disasm_jited(prog, &d, collect, buf) == 0, "disasm");
	CHECK(strstr(buf, "; x.c:3: int x = 41;") && strstr(buf, "; x.c:4: return x + 1;"),
	      "source lines: %s", buf);
	CHECK(strstr(buf, "r0 += 1") && strstr(buf, "add rax, 1"), "eBPF and x86 lines: %s", buf);
	CHECK(strstr(buf, "function  (insn 5): prologue") && strstr(buf, "stub"),
	      "prologue and stub marked: %s", buf);
	CHECK(strstr(buf, "48 83 c0 01"), "raw bytes");
	CHECK(!strstr(buf, "undecodable"), "every byte decodes");
	CHECK(userbpf_prog_disasm_jited(NULL, NULL, collect, buf) == -EINVAL, "NULL prog");
	userbpf_prog_free(prog);
}

static void test_bad_programs(void)
{
	/* main jumps into the subprogram's body. */
	struct userbpf_insn cross[] = { I(0x85, 0, 1, 0, 2), I(0x05, 0, 0, 2, 0), EXIT,
					MOV64I(0, 1), EXIT };
	/* main falls through into the subprogram. */
	struct userbpf_insn fall[] = { I(0x85, 0, 1, 0, 1), MOV64I(0, 1), MOV64I(0, 2), EXIT };
	struct userbpf_prog *p;

	p = load(cross, N(cross));
	CHECK(!p && strstr(lastlog, "insn 1") && strstr(lastlog, "leaves its function"),
	      "jump across functions: '%s'", lastlog);
	userbpf_prog_free(p);
	p = load(fall, N(fall));
	CHECK(!p && strstr(lastlog, "falls through"), "fall-through into a function: '%s'", lastlog);
	userbpf_prog_free(p);
}

int main(void)
{
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = logfn };
	struct userbpf_insn probe[] = { MOV64I(0, 0), EXIT };
	struct userbpf_prog *p;

	env = userbpf_env_new(&eo);
	if (!CHECK(env, "env"))
		return ub_test_done("jit");
	p = load(probe, N(probe));
	if (!p && errno == ENOTSUP) {
		SKIP("jit: no JIT for this machine");
		userbpf_env_free(env);
		return ub_test_done("jit");
	}
	userbpf_prog_free(p);
	test_basics();
	test_atomics();
	test_acquire_release();
	test_calls();
	test_far_helpers();
	test_ld_pkt();
	test_may_goto();
	test_long_jumps();
	test_fusion();
	test_callbacks();
	test_wx();
	test_blinding();
	test_every_row();
	test_bad_programs();
	test_disasm();
	test_maps();
	userbpf_env_free(env);
	return ub_test_done("jit");
}
