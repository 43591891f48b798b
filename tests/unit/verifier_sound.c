/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verifier_sound.c: whole-program soundness of the scalar analysis. Random straight-line and
 * branching ALU programs are verified with USERBPF_VERIFY_F_RECORD, then executed by a small
 * reference evaluator here for many inputs; before every instruction the concrete registers
 * must lie inside what the verifier recorded (ub_verifier_check_concrete), and every stack
 * read the verifier accepted must be inside the stack.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/core.h"
#include "test.h"
#include "userbpf/userbpf.h"
#include "verifier/verifier.h"

static uint64_t rs = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static const uint8_t regs_used[] = { 0, 2, 3, 4, 5 };
static const uint8_t alu_ops[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
				   0x90, 0xa0, 0xb0, 0xc0 };
static const uint8_t jmp_ops[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
				   0x70, 0xa0, 0xb0, 0xc0, 0xd0 };

static int32_t rimm(void)
{
	static const int32_t edges[] = { 0, 1, -1, 2, 7, 31, 32, 63, 255, 0x7fffffff, INT32_MIN,
					 0x10000, -4096 };

	return rnd() & 1 ? edges[rnd() % (sizeof(edges) / sizeof(edges[0]))] :
			   (int32_t)(rnd() % 200) - 100;
}

static bool with_mem;

static size_t gen(struct userbpf_insn *p, size_t n)
{
	size_t i = 0;

	/* r0, r3, r4, r5 start as mixes of the unknown length in r2. */
	for (int k = 0; k < 4; k++) {
		uint8_t d = regs_used[k == 0 ? 0 : k + 1];

		p[i++] = (struct userbpf_insn){ .code = 0xbf, .dst_reg = d, .src_reg = 2 };
		p[i++] = (struct userbpf_insn){ .code = (uint8_t)(0x07 | alu_ops[rnd() % 4]),
						.dst_reg = d, .imm = rimm() };
		if (p[i - 1].code == 0x37 && p[i - 1].imm == 0)
			p[i - 1].imm = 3;
	}
	while (i < n - 2) {
		uint8_t d = regs_used[rnd() % 5], s = regs_used[rnd() % 5];
		bool is64 = rnd() & 1, isx = rnd() & 1;

		if (rnd() % 8 == 0 && i + 4 < n - 2) {
			/*
			 * A stack read at fp - 256 + rS: accepted only when the verifier proved
			 * rS in [0, 255] from earlier branches and ALU (and its pruning).
			 */
			p[i++] = (struct userbpf_insn){ .code = 0xbf, .dst_reg = 9, .src_reg = 10 };
			p[i++] = (struct userbpf_insn){ .code = 0x07, .dst_reg = 9, .imm = -256 };
			p[i++] = (struct userbpf_insn){ .code = 0x0f, .dst_reg = 9, .src_reg = s };
			p[i++] = (struct userbpf_insn){ .code = 0x71, .dst_reg = 0, .src_reg = 9 };
			with_mem = true;
			continue;
		}
		if (rnd() % 6 == 0) {
			/* Masks and small constants make bounded values common. */
			p[i++] = (struct userbpf_insn){ .code = (uint8_t)(is64 ? 0x57 : 0x54),
							.dst_reg = d, .imm = (int32_t)(rnd() % 512) };
			continue;
		}

		if (rnd() % 4 == 0) {
			/* Forward conditional jump, somewhere before the exit. */
			uint8_t op = jmp_ops[rnd() % sizeof(jmp_ops)];
			size_t room = n - 2 - i;

			p[i] = (struct userbpf_insn){ .code = (uint8_t)((is64 ? 0x05 : 0x06) | op |
									  (isx ? 0x08 : 0)),
						      .dst_reg = d, .src_reg = isx ? s : 0,
						      .off = (int16_t)(rnd() % room),
						      .imm = isx ? 0 : rimm() };
			i++;
			continue;
		}
		{
			uint8_t op = alu_ops[rnd() % sizeof(alu_ops)];
			struct userbpf_insn in = { .code = (uint8_t)((is64 ? 0x07 : 0x04) | op |
								     (isx ? 0x08 : 0)),
						   .dst_reg = d, .src_reg = isx ? s : 0,
						   .imm = isx ? 0 : rimm() };

			if ((op == 0x60 || op == 0x70 || op == 0xc0) && !isx)
				in.imm = (int32_t)(rnd() % (is64 ? 64 : 32));
			if ((op == 0x30 || op == 0x90) && !isx && !in.imm)
				in.imm = 7;
			if ((op == 0x30 || op == 0x90) && rnd() % 3 == 0)
				in.off = 1; /* signed division */
			p[i++] = in;
		}
	}
	p[i++] = (struct userbpf_insn){ .code = 0xbf, .dst_reg = 0, .src_reg = 0 };
	p[i++] = (struct userbpf_insn){ .code = 0x95 };
	return i;
}

static uint64_t alu(uint64_t a, uint64_t b, unsigned op, int is64, int sgn)
{
	if (!is64) {
		uint32_t x = (uint32_t)a, y = (uint32_t)b;

		switch (op) {
		case 0x00: return (uint32_t)(x + y);
		case 0x10: return (uint32_t)(x - y);
		case 0x20: return (uint32_t)(x * y);
		case 0x30:
			if (sgn)
				return !y ? 0 : (int32_t)y == -1 ? (uint32_t)(0 - x) :
					    (uint32_t)((int32_t)x / (int32_t)y);
			return y ? x / y : 0;
		case 0x40: return x | y;
		case 0x50: return x & y;
		case 0x60: return (uint32_t)(x << (y & 31));
		case 0x70: return x >> (y & 31);
		case 0x90:
			if (sgn)
				return !y ? x : (int32_t)y == -1 ? 0 :
					    (uint32_t)((int32_t)x % (int32_t)y);
			return y ? x % y : x;
		case 0xa0: return x ^ y;
		case 0xb0: return y;
		case 0xc0: return (uint32_t)((int32_t)x >> (y & 31));
		}
		return 0;
	}
	switch (op) {
	case 0x00: return a + b;
	case 0x10: return a - b;
	case 0x20: return a * b;
	case 0x30:
		if (sgn)
			return !b ? 0 : (int64_t)b == -1 ? 0 - a : (uint64_t)((int64_t)a / (int64_t)b);
		return b ? a / b : 0;
	case 0x40: return a | b;
	case 0x50: return a & b;
	case 0x60: return a << (b & 63);
	case 0x70: return a >> (b & 63);
	case 0x90:
		if (sgn)
			return !b ? a : (int64_t)b == -1 ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
		return b ? a % b : a;
	case 0xa0: return a ^ b;
	case 0xb0: return b;
	case 0xc0: return (uint64_t)((int64_t)a >> (b & 63));
	}
	return 0;
}

static int cond(uint64_t a, uint64_t b, unsigned op, int is32)
{
	if (is32) {
		a = (uint32_t)a;
		b = (uint32_t)b;
		switch (op) {
		case 0x60: return (int32_t)a > (int32_t)b;
		case 0x70: return (int32_t)a >= (int32_t)b;
		case 0xc0: return (int32_t)a < (int32_t)b;
		case 0xd0: return (int32_t)a <= (int32_t)b;
		}
	}
	switch (op) {
	case 0x10: return a == b;
	case 0x20: return a > b;
	case 0x30: return a >= b;
	case 0x40: return (a & b) != 0;
	case 0x50: return a != b;
	case 0x60: return (int64_t)a > (int64_t)b;
	case 0x70: return (int64_t)a >= (int64_t)b;
	case 0xa0: return a < b;
	case 0xb0: return a <= b;
	case 0xc0: return (int64_t)a < (int64_t)b;
	case 0xd0: return (int64_t)a <= (int64_t)b;
	}
	return 0;
}

/* Run from the start with r2 = len; returns the number of out-of-abstraction events. */
static unsigned run_checked(struct userbpf_prog *prog, const struct userbpf_insn *p, size_t n,
			    uint64_t len, char *msg, size_t msg_size)
{
	uint64_t r[11] = { 0 };
	size_t pc = 0;

	r[1] = 0x10000; /* a pointer: never checked */
	r[2] = len;
	r[10] = 0x20000;
	while (pc < n) {
		const struct userbpf_insn *in = &p[pc];
		unsigned cls = in->code & 7, op = in->code & 0xf0;
		uint64_t src;

		if (ub_verifier_check_concrete(prog, pc, r, msg, msg_size))
			return 1;
		if (in->code == 0x95)
			return 0;
		src = (in->code & 0x08) ? r[in->src_reg] :
		      cls == 0x07 || cls == 0x05 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm;
		if (in->code == 0x71) {
			/* The stack is [fp - 512, fp): anything else would be an unsafe accept. */
			if (r[in->src_reg] + in->off < r[10] - 512 || r[in->src_reg] + in->off >= r[10]) {
				snprintf(msg, msg_size, "insn %zu: stack read at fp%+lld", pc,
					 (long long)(r[in->src_reg] + in->off - r[10]));
				return 1;
			}
			r[in->dst_reg] = 0;
			pc++;
		} else if (cls == 0x07 || cls == 0x04) {
			r[in->dst_reg] = alu(r[in->dst_reg], src, op, cls == 0x07, in->off == 1);
			pc++;
		} else {
			pc += cond(r[in->dst_reg], src, op, cls == 0x06) ? (size_t)in->off + 1 : 1;
		}
	}
	return 0;
}

int main(void)
{
	struct userbpf_env *env = userbpf_env_new(NULL);
	unsigned accepted = 0, runs = 0, bad = 0, shown = 0, mem_accepted = 0;
	struct userbpf_insn prog_insns[64];
	char msg[512];

	if (!CHECK(env != NULL, "env"))
		return ub_test_done("verifier_sound");
	for (int iter = 0; iter < 20000; iter++) {
		size_t n;

		with_mem = false;
		n = gen(prog_insns, 12 + rnd() % 36);
		struct userbpf_prog_opts o = { .sz = sizeof(o) };
		struct userbpf_prog *p;

		o.prog_type = USERBPF_PROG_TYPE_UNSPEC;
		o.verify_flags = USERBPF_VERIFY_F_RECORD;
		o.engine = USERBPF_ENGINE_INTERP;
		p = userbpf_prog_load(env, prog_insns, n, &o);
		if (!p)
			continue;
		accepted++;
		mem_accepted += with_mem;
		for (int k = 0; k < 24; k++) {
			static const uint64_t lens[] = { 0, 1, 2, 7, 8, 0xff, 0x7fffffff, 0x80000000,
							 0xffffffff, 0x100000000ull, ~0ull,
							 0x8000000000000000ull };
			uint64_t len = k < 12 ? lens[k] : rnd();

			runs++;
			if (run_checked(p, prog_insns, n, len, msg, sizeof(msg))) {
				bad++;
				if (shown++ < 3)
					printf("FAIL soundness (len %#llx): %s\n",
					       (unsigned long long)len, msg);
			}
		}
		userbpf_prog_free(p);
	}
	printf("%u programs accepted (%u with a bounds-proved stack read), %u checked runs\n",
	       accepted, mem_accepted, runs);
	CHECK(accepted > 1000, "only %u random programs accepted", accepted);
	CHECK(mem_accepted > 100, "only %u accepted programs read the stack", mem_accepted);
	CHECK(bad == 0, "%u runs left the abstract state", bad);
	userbpf_env_free(env);
	return ub_test_done("verifier_sound");
}
