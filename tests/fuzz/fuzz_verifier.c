/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_verifier.c: libFuzzer target for the verifier's soundness. Input bytes become a program
 * (mostly through a generator biased to well-formed code: initialised registers, bounds checks
 * against the memory length, forward and bounded backward jumps, helper calls; sometimes
 * verbatim as raw instructions). The verifier must answer without crashing, hanging or leaking;
 * when it accepts, the program runs on the interpreter (which trusts verified code: no run-time
 * checks) over a buffer of exactly the given length, so under ASan any out-of-bounds access,
 * and any run error, is an unsafe accept.
 *
 *   make BUILD=build-fuzz fuzz && build-fuzz/fuzz/fuzz_verifier -max_total_time=60 -timeout=10
 *
 * Built with -DUB_FUZZ_STANDALONE it has its own main(): N random inputs (argv[1], default
 * 10000) or the files named on the command line, for machines without libFuzzer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <userbpf/userbpf.h>

/* Bytes consumed one decision at a time; 0 once exhausted, so every input is a program. */
struct src {
	const uint8_t *p;
	size_t n, i;
};

static uint32_t take(struct src *s, uint32_t range)
{
	uint32_t v;

	if (!range)
		return 0;
	if (s->i >= s->n)
		return 0;
	v = s->p[s->i++];
	if (range > 256 && s->i < s->n)
		v = v << 8 | s->p[s->i++];
	return v % range;
}

static int32_t take_imm(struct src *s)
{
	static const int32_t edge[] = { 0, 1, -1, 2, 4, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256,
					4095, 0x7fff, 0x7fffffff, (int32_t)0x80000000, -8, -16 };
	uint32_t k = take(s, 4);

	if (k == 0 && s->i + 4 <= s->n) {
		int32_t v;

		memcpy(&v, s->p + s->i, 4);
		s->i += 4;
		return v;
	}
	return edge[take(s, sizeof(edge) / sizeof(edge[0]))];
}

#define INSN(c, d, sr, o, im)                                                                   \
	((struct userbpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (sr), .off = (o),       \
				.imm = (im) })

#define MAX_GEN 256

/*
 * The generator: r1 = memory, r2 = its length at entry (program type unspec). It keeps the
 * program well-formed (valid encodings, jump targets inside, ends in exit) and leaves safety
 * to the verifier: accesses through r1 are sometimes guarded by "if r2 < N goto out",
 * sometimes not; stack accesses are in and out of range, initialised or not.
 */
static size_t generate(struct src *s, struct userbpf_insn *p)
{
	static const uint8_t alu[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
				       0x80, 0x90, 0xa0, 0xb0, 0xc0 };
	static const uint8_t jmp[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
				       0xa0, 0xb0, 0xc0, 0xd0 };
	static const uint8_t sz[] = { USERBPF_W, USERBPF_H, USERBPF_B, USERBPF_DW };
	static const int32_t helpers[] = { 1, 2, 3, 5, 6, 7, 8, 14, 16, 35, 130, 181 };
	/* Mostly short programs: every instruction is a chance to be rejected. */
	size_t len = 12 + take(s, take(s, 4) ? 48 : MAX_GEN - 16), i = 0;
	uint32_t init = take(s, 4) ? 0x33d : take(s, 1024); /* registers set to 0 up front */

	/* Keep r1/r2 (memory, length) in r6/r7, callee-saved across helper calls. */
	p[i++] = INSN(USERBPF_ALU64 | USERBPF_MOV | USERBPF_X, 6, 1, 0, 0);
	p[i++] = INSN(USERBPF_ALU64 | USERBPF_MOV | USERBPF_X, 7, 2, 0, 0);
	for (uint8_t r = 0; r < 10; r++)
		if (init & (1u << r) && r != 1 && r != 2 && r != 6 && r != 7)
			p[i++] = INSN(USERBPF_ALU64 | USERBPF_MOV | USERBPF_K, r, 0, 0, 0);
	while (i < len - 2) {
		uint8_t d = (uint8_t)take(s, 10), r = (uint8_t)take(s, 11);
		uint8_t size = sz[take(s, 4)];
		int16_t off = (int16_t)(take(s, 2) ? -8 * (int)(1 + take(s, 64)) : (int)take(s, 1024) - 512);
		size_t room = len - 2 - i;

		switch (take(s, 16)) {
		case 0:
		case 1:
		case 2:
			p[i++] = INSN((take(s, 2) ? USERBPF_ALU64 : USERBPF_ALU) | alu[take(s, 13)],
				      d, 0, 0, take_imm(s));
			if (USERBPF_OP(p[i - 1].code) == USERBPF_NEG)
				p[i - 1].imm = 0;
			break;
		case 3:
		case 4:
			p[i++] = INSN((take(s, 2) ? USERBPF_ALU64 : USERBPF_ALU) | alu[take(s, 12)] |
					      USERBPF_X, d, r, 0, 0);
			break;
		case 5: /* guarded or unguarded memory access through r6 */
			if (take(s, 3) && room > 3) {
				uint32_t n = 1 + take(s, 64);

				p[i++] = INSN(USERBPF_JMP | USERBPF_JGE | USERBPF_K, 7, 0, 2, (int32_t)n);
				p[i++] = INSN(USERBPF_ALU64 | USERBPF_MOV | USERBPF_K, 0, 0, 0, 0);
				p[i++] = INSN(USERBPF_JMP | USERBPF_EXIT, 0, 0, 0, 0);
				off = (int16_t)take(s, n + 8);
			}
			if (take(s, 2))
				p[i++] = INSN(USERBPF_LDX | USERBPF_MEM | size, d, 6, off, 0);
			else
				p[i++] = INSN(USERBPF_STX | USERBPF_MEM | size, 6, r, off, 0);
			break;
		case 6: /* stack */
			if (take(s, 2))
				p[i++] = INSN(USERBPF_STX | USERBPF_MEM | size, 10, r, off, 0);
			else if (take(s, 2))
				p[i++] = INSN(USERBPF_ST | USERBPF_MEM | size, 10, 0, off, take_imm(s));
			else
				p[i++] = INSN(USERBPF_LDX | USERBPF_MEM | size, d, 10, off, 0);
			break;
		case 7: /* pointer copies and arithmetic */
			p[i++] = INSN(USERBPF_ALU64 | USERBPF_MOV | USERBPF_X, d,
				      take(s, 2) ? 10 : 6, 0, 0);
			if (room > 1)
				p[i++] = INSN(USERBPF_ALU64 | (take(s, 2) ? USERBPF_ADD : USERBPF_SUB) |
						      (take(s, 2) ? USERBPF_X : USERBPF_K), d,
					      r, 0, take_imm(s));
			if (USERBPF_SRC(p[i - 1].code) == USERBPF_X)
				p[i - 1].imm = 0;
			else
				p[i - 1].src_reg = 0;
			break;
		case 8:
		case 9: { /* forward conditional jump */
			int16_t t = (int16_t)take(s, (uint32_t)room);

			if (take(s, 2))
				p[i++] = INSN((take(s, 3) ? USERBPF_JMP : USERBPF_JMP32) | jmp[take(s, 11)],
					      d, 0, t, take_imm(s));
			else
				p[i++] = INSN((take(s, 3) ? USERBPF_JMP : USERBPF_JMP32) |
						      jmp[take(s, 11)] | USERBPF_X, d, r, t, 0);
			break;
		}
		case 10: /* a bounded or unbounded loop: counter in r9 */
			if (room > 4) {
				int32_t n = (int32_t)take(s, 40);

				p[i++] = INSN(USERBPF_ALU64 | USERBPF_MOV | USERBPF_K, 9, 0, 0, 0);
				p[i++] = INSN(USERBPF_ALU64 | USERBPF_ADD | USERBPF_K, 9, 0, 0,
					      take(s, 8) ? 1 : 0);
				p[i++] = INSN(USERBPF_JMP | USERBPF_JLT | USERBPF_K, 9, 0, -2, n);
			}
			break;
		case 11: /* helper call with whatever the argument registers hold */
			p[i++] = INSN(USERBPF_JMP | USERBPF_CALL, 0, 0, 0,
				      helpers[take(s, sizeof(helpers) / sizeof(helpers[0]))]);
			break;
		case 12: /* lddw */
			if (room > 1) {
				p[i++] = INSN(USERBPF_LD | USERBPF_DW | USERBPF_IMM, d, 0, 0, take_imm(s));
				p[i++] = INSN(0, 0, 0, 0, take_imm(s));
			}
			break;
		case 13: /* atomic add on the stack or memory */
			p[i++] = INSN(USERBPF_STX | USERBPF_ATOMIC | (take(s, 2) ? USERBPF_DW : USERBPF_W),
				      take(s, 2) ? 10 : 6, r % 10, off,
				      take(s, 2) ? USERBPF_ADD : (USERBPF_ADD | USERBPF_FETCH));
			break;
		case 14: /* conditional early exit (unconditional would leave dead code) */
			if (room > 3) {
				p[i++] = INSN(USERBPF_JMP | USERBPF_JNE | USERBPF_K, d, 0, 2, take_imm(s));
				p[i++] = INSN(USERBPF_ALU64 | USERBPF_MOV | USERBPF_K, 0, 0, 0, take_imm(s));
				p[i++] = INSN(USERBPF_JMP | USERBPF_EXIT, 0, 0, 0, 0);
			}
			break;
		default:
			p[i++] = INSN(USERBPF_ALU64 | USERBPF_MOV | USERBPF_K, d, 0, 0, take_imm(s));
			break;
		}
	}
	if (take(s, 8))
		p[i++] = INSN(USERBPF_ALU64 | USERBPF_MOV | USERBPF_K, 0, 0, 0, take_imm(s));
	p[i++] = INSN(USERBPF_JMP | USERBPF_EXIT, 0, 0, 0, 0);
	/* A jump may have been generated before the exits above moved the end: clamp targets. */
	for (size_t k = 0; k < i; k++) {
		uint8_t cls = USERBPF_CLASS(p[k].code);

		if ((cls == USERBPF_JMP || cls == USERBPF_JMP32) &&
		    USERBPF_OP(p[k].code) != USERBPF_CALL && USERBPF_OP(p[k].code) != USERBPF_EXIT &&
		    (int64_t)k + 1 + p[k].off >= (int64_t)i)
			p[k].off = (int16_t)(i - 1 - k - 1);
	}
	return i;
}

static struct userbpf_env *env;
static unsigned long n_accepted, n_rejected; /* for the standalone driver's summary */

static void quiet(void *user, int level, const char *msg)
{
	(void)user, (void)level, (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct userbpf_insn prog[MAX_GEN + 8];
	struct userbpf_insn *raw = NULL;
	const struct userbpf_insn *insns = prog;
	struct userbpf_verify_stats st = { .sz = sizeof(st) };
	struct userbpf_prog_opts o = { .sz = sizeof(o), .name = "fuzz", .verify_stats = &st };
	struct src s = { data, size, 0 };
	struct userbpf_prog *p;
	size_t cnt, memlen;
	uint8_t mode;
	char log[4096];

	if (!env) {
		struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = quiet };

		env = userbpf_env_new(&eo);
		if (!env)
			abort();
	}
	if (size < 2)
		return 0;
	mode = (uint8_t)take(&s, 256);
	memlen = take(&s, 129);
	o.prog_type = USERBPF_PROG_TYPE_UNSPEC;
	o.verify_flags = mode & 0x40 ? USERBPF_VERIFY_F_UNPRIV : 0;
	o.log_level = mode & 0x80 ? 2 : 0; /* the log writer is fuzzed too */
	o.log_buf = log;
	o.log_size = sizeof(log);
	if ((mode & 7) == 0) {
		/* Verbatim: the rest of the input is instructions (the validator's job, mostly). */
		cnt = (size - s.i) / sizeof(struct userbpf_insn);
		if (!cnt)
			return 0;
		raw = malloc(cnt * sizeof(*raw));
		if (!raw)
			return 0;
		memcpy(raw, data + s.i, cnt * sizeof(*raw));
		insns = raw;
	} else {
		cnt = generate(&s, prog);
	}
	p = userbpf_prog_load(env, insns, cnt, &o);
	if (p) {
		/* Exactly memlen bytes on the heap: ASan sees the first byte out of bounds. */
		uint8_t *mem = malloc(memlen ? memlen : 1);
		uint64_t r0 = 0;
		int err;

		if (!mem)
			abort();
		memset(mem, 0x5a, memlen ? memlen : 1);
		err = userbpf_prog_run(p, memlen ? mem : NULL, memlen, &r0);
		if (err) {
			fprintf(stderr, "UNSAFE ACCEPT: a verified program failed at run time: %s\n",
				strerror(-err));
			abort();
		}
		free(mem);
		userbpf_prog_free(p);
		n_accepted++;
	} else if (errno == EACCES || errno == EINVAL || errno == E2BIG || errno == ENOTSUP) {
		n_rejected++;
	} else {
		fprintf(stderr, "verifier returned an unexpected error: %s\n", strerror(errno));
		abort();
	}
	free(raw);
	return 0;
}

#ifdef UB_FUZZ_STANDALONE
/* Without libFuzzer: N pseudo-random inputs, or the files given. */
int main(int argc, char **argv)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
	uint8_t buf[2048];

	if (argc > 1 && n <= 0) {
		for (int a = 1; a < argc; a++) {
			FILE *f = fopen(argv[a], "rb");
			size_t len;

			if (!f) {
				perror(argv[a]);
				return 2;
			}
			len = fread(buf, 1, sizeof(buf), f);
			fclose(f);
			LLVMFuzzerTestOneInput(buf, len);
		}
		printf("fuzz_verifier: %d files, %lu accepted and run, %lu rejected, no crash\n",
		       argc - 1, n_accepted, n_rejected);
		userbpf_env_free(env);
		return 0;
	}
	for (long it = 0; it < n; it++) {
		size_t len = 2 + (size_t)(x % (sizeof(buf) - 2));

		for (size_t i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz_verifier: %ld inputs, %lu accepted and run, %lu rejected, no crash\n", n,
	       n_accepted, n_rejected);
	userbpf_env_free(env);
	return 0;
}
#endif
