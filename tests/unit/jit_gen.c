/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jit_gen.c: generated exhaustive tests of the x86-64 JIT against a plain-C model of Linux's
 * semantics: every ALU operation and every conditional jump x operand form (imm/reg) x width
 * (32/64) x edge values (0, 1, -1, INT_MIN, INT_MAX, shift amounts 0/31/32/63/64, ...) x the
 * register pairs that hit the back end's special cases (rax/rdx for div, rcx for shifts).
 * One program per (operation, form, width, register pair) computes every value pair and stores
 * each result into memory; the test then compares memory with the model.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <userbpf/userbpf.h>

#include "test.h"

#define INSN(c, d, s, o, i) ((struct userbpf_insn){ (c), (d), (s), (o), (i) })

static const uint64_t vals[] = {
	0, 1, 2, 7, 31, 32, 63, 64, UINT64_MAX, UINT64_MAX - 6 /* -7 */, INT64_MIN, INT64_MAX,
	(uint64_t)(int64_t)INT32_MIN, INT32_MAX, 0x80000000u, 0xffffffffu, 0x123456789abcdef0ull,
};
#define NV (sizeof(vals) / sizeof(vals[0]))

static const int32_t imms[] = { 0, 1, 2, 7, 31, 32, 63, 64, -1, -7, INT32_MIN, INT32_MAX,
				0x1234567 };
#define NI (sizeof(imms) / sizeof(imms[0]))

/* Register pairs (dst, src): r7 holds the output pointer and is never used. */
static const uint8_t pairs[][2] = { { 1, 2 }, { 0, 3 }, { 3, 0 }, { 4, 1 }, { 1, 4 },
				    { 0, 4 }, { 3, 4 }, { 4, 3 }, { 6, 6 }, { 9, 5 } };
#define NP (sizeof(pairs) / sizeof(pairs[0]))

/* ---- the model --------------------------------------------------------------------------- */

static uint64_t model_alu(int op, int w, int sgn, uint64_t a, uint64_t b)
{
	if (!w) {
		uint32_t x = (uint32_t)a, y = (uint32_t)b, r;

		switch (op) {
		case USERBPF_ADD: r = x + y; break;
		case USERBPF_SUB: r = x - y; break;
		case USERBPF_MUL: r = x * y; break;
		case USERBPF_OR: r = x | y; break;
		case USERBPF_AND: r = x & y; break;
		case USERBPF_XOR: r = x ^ y; break;
		case USERBPF_MOV: r = y; break;
		case USERBPF_LSH: r = x << (y & 31); break;
		case USERBPF_RSH: r = x >> (y & 31); break;
		case USERBPF_ARSH: r = (uint32_t)((int32_t)x >> (y & 31)); break;
		case USERBPF_DIV:
			if (!sgn)
				r = y ? x / y : 0;
			else
				r = !y ? 0 : y == UINT32_MAX ? -x : (uint32_t)((int32_t)x / (int32_t)y);
			break;
		default: /* MOD */
			if (!sgn)
				r = y ? x % y : x;
			else
				r = !y ? x : y == UINT32_MAX ? 0 : (uint32_t)((int32_t)x % (int32_t)y);
			break;
		}
		return r;
	}
	switch (op) {
	case USERBPF_ADD: return a + b;
	case USERBPF_SUB: return a - b;
	case USERBPF_MUL: return a * b;
	case USERBPF_OR: return a | b;
	case USERBPF_AND: return a & b;
	case USERBPF_XOR: return a ^ b;
	case USERBPF_MOV: return b;
	case USERBPF_LSH: return a << (b & 63);
	case USERBPF_RSH: return a >> (b & 63);
	case USERBPF_ARSH: return (uint64_t)((int64_t)a >> (b & 63));
	case USERBPF_DIV:
		if (!sgn)
			return b ? a / b : 0;
		return !b ? 0 : b == UINT64_MAX ? -a : (uint64_t)((int64_t)a / (int64_t)b);
	default:
		if (!sgn)
			return b ? a % b : a;
		return !b ? a : b == UINT64_MAX ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
	}
}

static int model_jmp(int op, int w, uint64_t a, uint64_t b)
{
	int64_t sa = (int64_t)a, sb = (int64_t)b;

	if (!w) {
		a = (uint32_t)a, b = (uint32_t)b;
		sa = (int32_t)a, sb = (int32_t)b;
	}
	switch (op) {
	case USERBPF_JEQ: return a == b;
	case USERBPF_JNE: return a != b;
	case USERBPF_JGT: return a > b;
	case USERBPF_JGE: return a >= b;
	case USERBPF_JLT: return a < b;
	case USERBPF_JLE: return a <= b;
	case USERBPF_JSET: return (a & b) != 0;
	case USERBPF_JSGT: return sa > sb;
	case USERBPF_JSGE: return sa >= sb;
	case USERBPF_JSLT: return sa < sb;
	default: return sa <= sb;
	}
}

/* ---- program building --------------------------------------------------------------------- */

struct pb {
	struct userbpf_insn *v;
	size_t n, cap;
};

static void put(struct pb *p, struct userbpf_insn in)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 1024;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		if (!p->v)
			abort();
	}
	p->v[p->n++] = in;
}

static void lddw(struct pb *p, int reg, uint64_t v)
{
	put(p, INSN(0x18, reg, 0, 0, (int32_t)(uint32_t)v));
	put(p, INSN(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32)));
}

static struct userbpf_env *env;
static uint64_t out[NV * NV];
static unsigned progs_run;

/* Load, run with r1 = out, free. Returns 0 when the run happened. */
static int run(struct pb *p, const char *what)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o), .engine = USERBPF_ENGINE_JIT,
				       .flags = USERBPF_PROG_F_TRUSTED };
	struct userbpf_prog *prog;
	uint64_t r0 = 0;
	int err;

	put(p, INSN(0xb7, 0, 0, 0, 0));
	put(p, INSN(0x95, 0, 0, 0, 0));
	prog = userbpf_prog_load(env, p->v, p->n, &o);
	if (!CHECK(prog, "%s: load failed: errno %d", what, errno))
		return -1;
	err = userbpf_prog_run(prog, out, sizeof(out), &r0);
	userbpf_prog_free(prog);
	progs_run++;
	return CHECK(err == 0, "%s: run: %d", what, err) ? 0 : -1;
}

static const struct {
	int op, sgn;
	const char *name;
} alu_ops[] = {
	{ USERBPF_ADD, 0, "add" }, { USERBPF_SUB, 0, "sub" }, { USERBPF_MUL, 0, "mul" },
	{ USERBPF_DIV, 0, "div" }, { USERBPF_DIV, 1, "sdiv" }, { USERBPF_OR, 0, "or" },
	{ USERBPF_AND, 0, "and" }, { USERBPF_LSH, 0, "lsh" }, { USERBPF_RSH, 0, "rsh" },
	{ USERBPF_MOD, 0, "mod" }, { USERBPF_MOD, 1, "smod" }, { USERBPF_XOR, 0, "xor" },
	{ USERBPF_MOV, 0, "mov" }, { USERBPF_ARSH, 0, "arsh" },
};

static const struct {
	int op;
	const char *name;
} jmp_ops[] = {
	{ USERBPF_JEQ, "jeq" }, { USERBPF_JGT, "jgt" }, { USERBPF_JGE, "jge" },
	{ USERBPF_JSET, "jset" }, { USERBPF_JNE, "jne" }, { USERBPF_JSGT, "jsgt" },
	{ USERBPF_JSGE, "jsge" }, { USERBPF_JLT, "jlt" }, { USERBPF_JLE, "jle" },
	{ USERBPF_JSLT, "jslt" }, { USERBPF_JSLE, "jsle" },
};

/* Compare out[] with the model; report only the first few mismatches of one program. */
static unsigned mismatches;

static void expect(const char *what, size_t k, uint64_t a, uint64_t b, uint64_t want)
{
	if (out[k] == want) {
		CHECK(1, "ok");
		return;
	}
	if (mismatches++ < 20)
		CHECK(0, "%s a=0x%llx b=0x%llx: got 0x%llx want 0x%llx", what, (unsigned long long)a,
		      (unsigned long long)b, (unsigned long long)out[k], (unsigned long long)want);
	else
		ub_test_failed++;
}

static void test_alu(void)
{
	char what[96];

	for (size_t o = 0; o < sizeof(alu_ops) / sizeof(alu_ops[0]); o++)
		for (int w = 0; w <= 1; w++)
			for (int x = 0; x <= 1; x++)
				for (size_t pr = 0; pr < NP; pr++) {
					int d = pairs[pr][0], s = pairs[pr][1];
					uint8_t code = (uint8_t)((w ? USERBPF_ALU64 : USERBPF_ALU) |
								 alu_ops[o].op |
								 (x ? USERBPF_X : USERBPF_K));
					struct pb p = { 0 };
					size_t k = 0, na = NV, nb = x ? NV : NI;

					if (!x && pr)
						continue; /* imm forms: one register suffices */
					put(&p, INSN(0xbf, 7, 1, 0, 0));
					for (size_t ia = 0; ia < na; ia++)
						for (size_t ib = 0; ib < nb; ib++, k++) {
							lddw(&p, d, vals[ia]);
							if (x && s != d)
								lddw(&p, s, vals[ib]);
							put(&p, INSN(code, d, x ? s : 0,
								     (int16_t)alu_ops[o].sgn,
								     x ? 0 : imms[ib]));
							put(&p, INSN(0x7b, 7, d, (int16_t)(8 * k), 0));
						}
					snprintf(what, sizeof(what), "%s%s %s r%d,r%d", alu_ops[o].name,
						 w ? "64" : "32", x ? "reg" : "imm", d, s);
					memset(out, 0xa5, sizeof(out));
					if (run(&p, what) == 0) {
						k = 0;
						for (size_t ia = 0; ia < na; ia++)
							for (size_t ib = 0; ib < nb; ib++, k++) {
								uint64_t a = vals[ia];
								uint64_t b = x ? (s == d ? a : vals[ib]) :
									     w ? (uint64_t)(int64_t)imms[ib] :
									     (uint32_t)imms[ib];

								expect(what, k, a, b,
								       model_alu(alu_ops[o].op, w,
										 alu_ops[o].sgn, a, b));
							}
					}
					free(p.v);
				}
}

static void test_neg(void)
{
	for (int w = 0; w <= 1; w++) {
		struct pb p = { 0 };

		put(&p, INSN(0xbf, 7, 1, 0, 0));
		for (size_t ia = 0; ia < NV; ia++) {
			lddw(&p, 4, vals[ia]);
			put(&p, INSN(w ? 0x87 : 0x84, 4, 0, 0, 0));
			put(&p, INSN(0x7b, 7, 4, (int16_t)(8 * ia), 0));
		}
		if (run(&p, "neg") == 0)
			for (size_t ia = 0; ia < NV; ia++)
				expect(w ? "neg64" : "neg32", ia, vals[ia], 0,
				       w ? -vals[ia] : (uint32_t)-(uint32_t)vals[ia]);
		free(p.v);
	}
}

static void test_jmp(void)
{
	char what[96];

	for (size_t o = 0; o < sizeof(jmp_ops) / sizeof(jmp_ops[0]); o++)
		for (int w = 0; w <= 1; w++)
			for (int x = 0; x <= 1; x++)
				for (size_t pr = 0; pr < NP; pr++) {
					int d = pairs[pr][0], s = pairs[pr][1];
					uint8_t code = (uint8_t)((w ? USERBPF_JMP : USERBPF_JMP32) |
								 jmp_ops[o].op |
								 (x ? USERBPF_X : USERBPF_K));
					struct pb p = { 0 };
					size_t k = 0, nb = x ? NV : NI;

					if (!x && pr > 1)
						continue;
					put(&p, INSN(0xbf, 7, 1, 0, 0));
					for (size_t ia = 0; ia < NV; ia++)
						for (size_t ib = 0; ib < nb; ib++, k++) {
							lddw(&p, d, vals[ia]);
							if (x && s != d)
								lddw(&p, s, vals[ib]);
							put(&p, INSN(0x7a, 7, 0, (int16_t)(8 * k), 1));
							put(&p, INSN(code, d, x ? s : 0, 1,
								     x ? 0 : imms[ib]));
							put(&p, INSN(0x7a, 7, 0, (int16_t)(8 * k), 0));
						}
					snprintf(what, sizeof(what), "%s%s %s r%d,r%d", jmp_ops[o].name,
						 w ? "" : "32", x ? "reg" : "imm", d, s);
					memset(out, 0xa5, sizeof(out));
					if (run(&p, what) == 0) {
						k = 0;
						for (size_t ia = 0; ia < NV; ia++)
							for (size_t ib = 0; ib < nb; ib++, k++) {
								uint64_t a = vals[ia];
								uint64_t b = x ? (s == d ? a : vals[ib]) :
									     (uint64_t)(int64_t)imms[ib];

								expect(what, k, a, b,
								       (uint64_t)model_jmp(jmp_ops[o].op,
											   w, a, b));
							}
					}
					free(p.v);
				}
}

/* movsx, byte swaps and memsx loads over every value. */
static uint64_t model_unary(int kind, uint64_t a)
{
	switch (kind) {
	case 0: return (uint64_t)(int64_t)(int8_t)a;                /* movsx64 8 */
	case 1: return (uint64_t)(int64_t)(int16_t)a;
	case 2: return (uint64_t)(int64_t)(int32_t)a;
	case 3: return (uint32_t)(int32_t)(int8_t)a;                /* movsx32 8 */
	case 4: return (uint32_t)(int32_t)(int16_t)a;
	case 5: return (uint16_t)a;                                  /* le16 */
	case 6: return (uint32_t)a;
	case 7: return a;
	case 8: return __builtin_bswap16((uint16_t)a);               /* be16 */
	case 9: return __builtin_bswap32((uint32_t)a);
	case 10: return __builtin_bswap64(a);
	case 11: return __builtin_bswap16((uint16_t)a);              /* bswap16 */
	case 12: return __builtin_bswap32((uint32_t)a);
	default: return __builtin_bswap64(a);
	}
}

static void test_unary(void)
{
	static const struct userbpf_insn ops[] = {
		INSN(0xbf, 0, 0, 8, 0), INSN(0xbf, 0, 0, 16, 0), INSN(0xbf, 0, 0, 32, 0),
		INSN(0xbc, 0, 0, 8, 0), INSN(0xbc, 0, 0, 16, 0), INSN(0xd4, 0, 0, 0, 16),
		INSN(0xd4, 0, 0, 0, 32), INSN(0xd4, 0, 0, 0, 64), INSN(0xdc, 0, 0, 0, 16),
		INSN(0xdc, 0, 0, 0, 32), INSN(0xdc, 0, 0, 0, 64), INSN(0xd7, 0, 0, 0, 16),
		INSN(0xd7, 0, 0, 0, 32), INSN(0xd7, 0, 0, 0, 64),
	};

	for (int kind = 0; kind < 14; kind++)
		for (size_t pr = 0; pr < NP; pr++) {
			struct pb p = { 0 };
			struct userbpf_insn in = ops[kind];
			int d = pairs[pr][0], s = pairs[pr][1];

			in.dst_reg = (uint8_t)(d & 0xf);
			if (kind <= 4)
				in.src_reg = (uint8_t)(s & 0xf);
			put(&p, INSN(0xbf, 7, 1, 0, 0));
			for (size_t ia = 0; ia < NV; ia++) {
				lddw(&p, kind <= 4 ? s : d, vals[ia]);
				put(&p, in);
				put(&p, INSN(0x7b, 7, d, (int16_t)(8 * ia), 0));
			}
			memset(out, 0xa5, sizeof(out));
			if (run(&p, "unary") == 0)
				for (size_t ia = 0; ia < NV; ia++) {
					char what[64];

					snprintf(what, sizeof(what), "unary kind %d r%d,r%d", kind, d, s);
					expect(what, ia, vals[ia], 0, model_unary(kind, vals[ia]));
				}
			free(p.v);
		}
}

/* Loads of every size and signedness, at every alignment of an 8-byte window. */
static void test_loads(void)
{
	static const uint8_t codes[] = { 0x71, 0x69, 0x61, 0x79, 0x91, 0x89, 0x81 };
	static uint8_t data[64];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0x81 + i * 37);
	for (size_t c = 0; c < sizeof(codes); c++)
		for (size_t pr = 0; pr < NP; pr++) {
			struct pb p = { 0 };
			int d = pairs[pr][0], s = pairs[pr][1];

			if (s == 7 || d == 7)
				continue;
			put(&p, INSN(0xbf, 7, 1, 0, 0));
			lddw(&p, s, (uint64_t)(uintptr_t)data);
			for (int off = 0; off < 16; off++) {
				put(&p, INSN(codes[c], d, s, (int16_t)off, 0));
				put(&p, INSN(0x7b, 7, d, (int16_t)(8 * off), 0));
				if (d == s)
					lddw(&p, s, (uint64_t)(uintptr_t)data);
			}
			memset(out, 0xa5, sizeof(out));
			if (run(&p, "load") == 0)
				for (int off = 0; off < 16; off++) {
					uint64_t v = 0, want;
					char what[64];

					memcpy(&v, data + off, 8);
					switch (codes[c]) {
					case 0x71: want = (uint8_t)v; break;
					case 0x69: want = (uint16_t)v; break;
					case 0x61: want = (uint32_t)v; break;
					case 0x79: want = v; break;
					case 0x91: want = (uint64_t)(int64_t)(int8_t)v; break;
					case 0x89: want = (uint64_t)(int64_t)(int16_t)v; break;
					default: want = (uint64_t)(int64_t)(int32_t)v; break;
					}
					snprintf(what, sizeof(what), "load 0x%02x r%d,[r%d+%d]", codes[c],
						 d, s, off);
					expect(what, (size_t)off, v, 0, want);
				}
			free(p.v);
		}
}

int main(void)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o), .engine = USERBPF_ENGINE_JIT,
				       .flags = USERBPF_PROG_F_TRUSTED };
	struct userbpf_insn probe[] = { INSN(0xb7, 0, 0, 0, 0), INSN(0x95, 0, 0, 0, 0) };
	struct userbpf_prog *prog;

	env = userbpf_env_new(NULL);
	if (!CHECK(env, "env"))
		return ub_test_done("jit_gen");
	prog = userbpf_prog_load(env, probe, 2, &o);
	if (!prog && errno == ENOTSUP) {
		SKIP("jit_gen: no JIT for this machine");
		userbpf_env_free(env);
		return ub_test_done("jit_gen");
	}
	userbpf_prog_free(prog);
	test_alu();
	test_neg();
	test_jmp();
	test_unary();
	test_loads();
	printf("NOTE jit_gen: %u generated programs run\n", progs_run);
	userbpf_env_free(env);
	return ub_test_done("jit_gen");
}
