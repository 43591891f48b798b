/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_jit_diff.c: differential libFuzzer target: the interpreter and the x86-64 JIT must agree.
 *
 * The fuzz input is not a program but a recipe for one, so that nearly every input is a valid,
 * terminating program: straight-line code and forward jumps over every ALU, jump, byte-order,
 * sign-extension, load/store and atomic row, with r9 pointing at a 64-byte buffer and r10 at a
 * zeroed 64-byte window of the stack (both the only memory touched), ld_abs/ld_ind in and out
 * of the packet, calls to a deterministic helper and bpf-to-bpf calls to a subprogram. Both engines run the program on identical copies of the buffer; any
 * difference in r0 or in the buffer aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <userbpf/userbpf.h>

#define MAX_INSNS 256
#define MEM_SIZE  64

struct gen {
	const uint8_t *p;
	size_t n;
	struct userbpf_insn v[MAX_INSNS + 32];
	size_t cnt;
};

static uint8_t take(struct gen *g)
{
	if (!g->n)
		return 0;
	g->n--;
	return *g->p++;
}

static int32_t take_imm(struct gen *g)
{
	static const int32_t interesting[] = { 0, 1, -1, 2, 7, 8, 16, 31, 32, 63, 64,
					       INT32_MIN, INT32_MAX, 0xff, 0xffff, -0x8000 };
	uint8_t k = take(g);

	if (k < 128)
		return interesting[k % 16];
	return (int32_t)((uint32_t)take(g) | (uint32_t)take(g) << 8 | (uint32_t)take(g) << 16 |
			 (uint32_t)take(g) << 24);
}

static void put(struct gen *g, uint8_t code, int dst, int src, int16_t off, int32_t imm)
{
	g->v[g->cnt++] = (struct userbpf_insn){ code, (uint8_t)dst, (uint8_t)src, off, imm };
}

static uint64_t helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return (a * 3) ^ (b + 5) ^ (c << 7) ^ (d >> 3) ^ (e * 0x9e3779b97f4a7c15ull);
}

/* A register the program may write: r0..r8 (r9 = buffer, r10 = frame pointer). */
#define WREG(b) ((b) % 9)
/* Registers the program reads are the same: r9 and r10 hold addresses that differ per engine. */
#define RREG(b) ((b) % 9)

static void gen_program(struct gen *g)
{
	static const uint8_t alu_ops[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
					   0x90, 0xa0, 0xb0, 0xc0 };
	static const uint8_t jmp_ops[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0,
					   0xb0, 0xc0, 0xd0 };
	static const uint8_t sizes[] = { 0x00, 0x08, 0x10, 0x18 }; /* W H B DW */
	static const int atomics[] = { 0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1 };

	put(g, 0xbf, 9, 1, 0, 0); /* r9 = buffer */
	put(g, 0xb7, 1, 0, 0, 0); /* r1 no longer holds an engine-specific address */
	for (int i = 1; i <= 8; i++)
		put(g, 0x7a, 10, 0, (int16_t)(-8 * i), 0); /* zero the stack window */
	while (g->n && g->cnt < MAX_INSNS) {
		uint8_t k = take(g), a = take(g), b = take(g);
		int d = WREG(a), s = RREG(b);
		int w = k & 1;

		switch ((k >> 1) % 14) {
		case 0: /* ALU imm */
		case 1: {
			uint8_t op = alu_ops[a % 12];

			put(g, (uint8_t)((w ? 0x07 : 0x04) | op), WREG(b), 0,
			    (op == 0x30 || op == 0x90) ? (int16_t)(a >> 7) : 0, take_imm(g));
			break;
		}
		case 2: /* ALU reg */
		case 3: {
			uint8_t op = alu_ops[take(g) % 12];

			put(g, (uint8_t)((w ? 0x0f : 0x0c) | op), d, s,
			    (op == 0x30 || op == 0x90) ? (int16_t)(k >> 7) : 0, 0);
			break;
		}
		case 4: /* neg, movsx, byte order */
			switch (b % 6) {
			case 0:
				put(g, w ? 0x87 : 0x84, d, 0, 0, 0);
				break;
			case 1:
				put(g, w ? 0xbf : 0xbc, d, s, (int16_t)(8 << (k >> 7)), 0);
				break;
			case 2:
				put(g, 0xbf, d, s, 32, 0);
				break;
			default:
				put(g, (uint8_t)(b % 3 == 0 ? 0xd4 : b % 3 == 1 ? 0xdc : 0xd7), d, 0, 0,
				    16 << ((k >> 6) % 3));
				break;
			}
			break;
		case 5: { /* conditional jump forward */
			uint8_t op = jmp_ops[take(g) % 11];
			int16_t off = (int16_t)(take(g) % 8);

			if (b & 1)
				put(g, (uint8_t)((w ? 0x05 : 0x06) | op | 0x08), d, s, off, 0);
			else
				put(g, (uint8_t)((w ? 0x05 : 0x06) | op), d, 0, off, take_imm(g));
			break;
		}
		case 6: { /* load: base r9 or r10 */
			uint8_t sz = sizes[b & 3], bytes = (uint8_t)(sz == 0x10 ? 1 : sz == 0x08 ? 2 :
								    sz == 0 ? 4 : 8);
			int sx = (k >> 7) && sz != 0x18;
			int16_t off = (int16_t)((take(g) % (MEM_SIZE / bytes)) * bytes);

			if (b & 4)
				off = (int16_t)(off - MEM_SIZE);
			put(g, (uint8_t)((sx ? 0x81 : 0x61) | sz), d, (b & 4) ? 10 : 9, off, 0);
			break;
		}
		case 7: { /* store reg or imm */
			uint8_t sz = sizes[b & 3], bytes = (uint8_t)(sz == 0x10 ? 1 : sz == 0x08 ? 2 :
								    sz == 0 ? 4 : 8);
			int16_t off = (int16_t)((take(g) % (MEM_SIZE / bytes)) * bytes);

			if (b & 4)
				off = (int16_t)(off - MEM_SIZE);
			if (k >> 7)
				put(g, (uint8_t)(0x63 | sz), (b & 4) ? 10 : 9, RREG(a), off, 0);
			else
				put(g, (uint8_t)(0x62 | sz), (b & 4) ? 10 : 9, 0, off, take_imm(g));
			break;
		}
		case 8: { /* atomic: src must not be the base */
			int16_t off = (int16_t)((take(g) % (MEM_SIZE / 8)) * 8);
			int base = (b & 4) ? 10 : 9;

			if (base == 10)
				off = (int16_t)(off - MEM_SIZE);
			put(g, w ? 0xdb : 0xc3, base, WREG(a), off, atomics[take(g) % 10]);
			break;
		}
		case 9: /* lddw */
			put(g, 0x18, d, 0, 0, take_imm(g));
			put(g, 0, 0, 0, 0, take_imm(g));
			break;
		case 10: /* helper call, then redefine r1..r5 (clobbered by the call) */
			put(g, 0x85, 0, 0, 0, 200);
			for (int r = 1; r <= 5; r++)
				put(g, 0xb7, r, 0, 0, r * 11);
			break;
		case 11: { /* ld_abs / ld_ind: the offset may leave the packet (the run returns 0) */
			static const uint8_t ld[] = { 0x20, 0x28, 0x30, 0x40, 0x48, 0x50 };
			uint8_t c = ld[b % 6];

			put(g, c, 0, c >= 0x40 ? RREG(a) : 0, 0, (int32_t)(take(g) % 72) - 4);
			break;
		}
		case 12: /* bpf-to-bpf call: r0 = sub(r1..r5); r1..r5 redefined */
			put(g, 0x85, 0, 1, 0, 0x7fff); /* target patched when the subprogram exists */
			for (int r = 1; r <= 5; r++)
				put(g, 0xb7, r, 0, 0, r * 13);
			break;
		default: /* mov imm */
			put(g, w ? 0xb7 : 0xb4, d, 0, 0, take_imm(g));
			break;
		}
	}
	/* Forward jumps may reach up to 7 past the end: pad with moves, then exit. */
	for (int i = 0; i < 8; i++)
		put(g, 0x07, 0, 0, 0, 1);
	put(g, 0x95, 0, 0, 0, 0);
	/* The subprogram: its own stack, r6 saved for the caller. r0 = (r1 * 3 + r2) ^ r6. */
	size_t sub = g->cnt;

	put(g, 0xb7, 6, 0, 0, 0x55);
	put(g, 0x7b, 10, 1, -8, 0);
	put(g, 0x79, 0, 10, -8, 0);
	put(g, 0x27, 0, 0, 0, 3);
	put(g, 0x0f, 0, 2, 0, 0);
	put(g, 0xaf, 0, 6, 0, 0);
	put(g, 0x95, 0, 0, 0, 0);
	for (size_t i = 0; i < sub; i++)
		if (g->v[i].code == 0x85 && g->v[i].src_reg == 1)
			g->v[i].imm = (int32_t)(sub - i - 1);
	/* A jump into the second slot of an lddw goes one further. */
	uint8_t second[MAX_INSNS + 32] = { 0 };

	for (size_t i = 0; i < g->cnt; i++)
		if (g->v[i].code == 0x18)
			second[++i] = 1;
	for (size_t i = 0; i < g->cnt; i++) {
		uint8_t cls = g->v[i].code & 7;

		if (second[i] || (cls != 5 && cls != 6) || g->v[i].code == 0x85 ||
		    g->v[i].code == 0x95)
			continue;
		if (second[i + 1 + (size_t)g->v[i].off])
			g->v[i].off++;
	}
}

static struct userbpf_env *env;

static void log_stderr(void *user, int level, const char *msg)
{
	(void)user, (void)level;
	fprintf(stderr, "userbpf: %s\n", msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen *g = calloc(1, sizeof(*g));
	struct userbpf_prog_opts oi = { .sz = sizeof(oi), .engine = USERBPF_ENGINE_INTERP,
					.flags = USERBPF_PROG_F_UNVERIFIED };
	struct userbpf_prog_opts oj = { .sz = sizeof(oj), .engine = USERBPF_ENGINE_JIT,
					.flags = USERBPF_PROG_F_TRUSTED };
	struct userbpf_prog *pi, *pj;
	uint8_t mi[MEM_SIZE], mj[MEM_SIZE];
	uint64_t ri = 0, rj = 0;
	int ei, ej;

	if (!g)
		return 0;
	if (!env) {
		struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = log_stderr,
					       .log_level = USERBPF_LOG_ERROR };

		env = userbpf_env_new(&eo);
		if (!env || userbpf_env_add_helper(env, 200, "fuzz_mix", helper))
			abort();
	}
	g->p = data;
	g->n = size;
	gen_program(g);
	for (size_t i = 0; i < MEM_SIZE; i++)
		mi[i] = mj[i] = (uint8_t)(i * 29 + (size ? data[i % size] : 0));
	pi = userbpf_prog_load(env, g->v, g->cnt, &oi);
	pj = userbpf_prog_load(env, g->v, g->cnt, &oj);
	if (!pi || !pj) {
		/* The generator only makes valid programs: a refusal is a bug in one engine. */
		fprintf(stderr, "load failed: interp %p jit %p\n", (void *)pi, (void *)pj);
		abort();
	}
	ei = userbpf_prog_run(pi, mi, sizeof(mi), &ri);
	ej = userbpf_prog_run(pj, mj, sizeof(mj), &rj);
	if (ei || ej || ri != rj || memcmp(mi, mj, sizeof(mi))) {
		fprintf(stderr, "MISMATCH: interp err %d r0 0x%llx, jit err %d r0 0x%llx, memory %s\n",
			ei, (unsigned long long)ri, ej, (unsigned long long)rj,
			memcmp(mi, mj, sizeof(mi)) ? "differs" : "same");
		for (size_t i = 0; i < g->cnt; i++)
			fprintf(stderr, "%4zu: %02x %u %u %d %d\n", i, g->v[i].code, g->v[i].dst_reg,
				g->v[i].src_reg, g->v[i].off, g->v[i].imm);
		abort();
	}
	userbpf_prog_free(pi);
	userbpf_prog_free(pj);
	free(g);
	return 0;
}
