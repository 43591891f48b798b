/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cbpf.c: classic BPF (tcpdump / SO_ATTACH_FILTER / seccomp filters) to eBPF, with Linux's
 * meaning: A is w0, X is w7, the 16 scratch words M[] live at r10 - 64 (zeroed first), the
 * context stays in r6. Every classic instruction becomes a short eBPF sequence; jumps are
 * resolved once every sequence's start is known.
 *
 * Socket filters read packet bytes with explicit bounds checks instead of LD_ABS/LD_IND:
 *     r2 = data + k; r3 = r2 + size; if r3 > data_end goto ret0; w0 = be(*(uN *)r2)
 * which is what Linux's LD_ABS does (a load past the end makes the filter return 0) and what
 * the verifier can prove safe. data and data_end come from struct __sk_buff, so the result is
 * an ordinary socket_filter / sched_cls program. Seccomp filters load 32-bit words of
 * struct seccomp_data (host byte order, aligned, inside its 64 bytes), as Linux allows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* Classic opcode fields (linux/bpf_common.h, linux/filter.h). */
#define C_CLASS(c) ((c)&0x07)
#define C_LD 0x00
#define C_LDX 0x01
#define C_ST 0x02
#define C_STX 0x03
#define C_ALU 0x04
#define C_JMP 0x05
#define C_RET 0x06
#define C_MISC 0x07
#define C_SIZE(c) ((c)&0x18)
#define C_W 0x00
#define C_H 0x08
#define C_B 0x10
#define C_MODE(c) ((c)&0xe0)
#define C_IMM 0x00
#define C_ABS 0x20
#define C_IND 0x40
#define C_MEM 0x60
#define C_LEN 0x80
#define C_MSH 0xa0
#define C_OP(c) ((c)&0xf0)
#define C_SRC(c) ((c)&0x08)
#define C_RVAL(c) ((c)&0x18)
#define C_RET_K 0x00
#define C_RET_A 0x10
#define C_MISCOP(c) ((c)&0xf8)
#define C_TAX 0x00
#define C_TXA 0x80
#define C_MEMWORDS 16
#define C_MAXINSNS 4096

#define R_A 0
#define R_CTX 6
#define R_X 7
#define R_DATA 8
#define R_END 9
#define SCRATCH_OFF (-64)
#define SKB_LEN_OFF 0
#define SKB_DATA_OFF 76
#define SKB_DATA_END_OFF 80
#define SECCOMP_DATA_SIZE 64
#define MAX_PKT_OFF 0xffff

struct tr {
	struct userbpf_env *env;
	struct userbpf_insn *out;
	size_t n, cap;
	int kind;
	size_t *start; /* eBPF index where each classic instruction starts */
	struct fix {
		size_t at;     /* eBPF jump to patch */
		size_t target; /* classic index, or SIZE_MAX for ret0 */
	} * fixes;
	size_t nfix;
};

static void emit(struct tr *t, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct userbpf_insn *i = &t->out[t->n++];

	i->code = code;
	i->dst_reg = dst & 0xf;
	i->src_reg = src & 0xf;
	i->off = off;
	i->imm = imm;
}

#define ALU32(op, d, k) emit(t, USERBPF_ALU | (op) | USERBPF_K, d, 0, 0, (int32_t)(k))
#define ALU32X(op, d, s) emit(t, USERBPF_ALU | (op) | USERBPF_X, d, s, 0, 0)
#define ALU64(op, d, k) emit(t, USERBPF_ALU64 | (op) | USERBPF_K, d, 0, 0, (int32_t)(k))
#define ALU64X(op, d, s) emit(t, USERBPF_ALU64 | (op) | USERBPF_X, d, s, 0, 0)
#define LDX(sz, d, s, o) emit(t, USERBPF_LDX | USERBPF_MEM | (sz), d, s, (int16_t)(o), 0)
#define STX(sz, d, s, o) emit(t, USERBPF_STX | USERBPF_MEM | (sz), d, s, (int16_t)(o), 0)
#define EXIT() emit(t, USERBPF_JMP | USERBPF_EXIT, 0, 0, 0, 0)

/* A jump whose offset is patched later to reach classic instruction `target`. */
static void jump_to(struct tr *t, uint8_t code, uint8_t dst, uint8_t src, int32_t imm,
		    size_t target)
{
	t->fixes[t->nfix++] = (struct fix){t->n, target};
	emit(t, code, dst, src, 0, imm);
}

#define RET0 SIZE_MAX

/* r2 = pointer to `size` packet bytes at data + r2(offset already added), else goto ret0. */
static void bounds(struct tr *t, uint8_t preg, int size)
{
	ALU64X(USERBPF_MOV, 3, preg);
	ALU64(USERBPF_ADD, 3, size);
	jump_to(t, USERBPF_JMP | USERBPF_JGT | USERBPF_X, 3, R_END, 0, RET0);
}

static uint8_t bpf_size(int size)
{
	return size == 4 ? USERBPF_W : size == 2 ? USERBPF_H : USERBPF_B;
}

/* dst = be(size bytes at preg). */
static void load_pkt(struct tr *t, uint8_t dst, uint8_t preg, int size)
{
	LDX(bpf_size(size), dst, preg, 0);
	if (size > 1)
		emit(t, USERBPF_ALU | USERBPF_END | USERBPF_TO_BE, dst, 0, 0, size * 8);
}

static int csize(uint16_t code)
{
	switch (C_SIZE(code)) {
	case C_W:
		return 4;
	case C_H:
		return 2;
	case C_B:
		return 1;
	default:
		return 0;
	}
}

static int fail(struct tr *t, size_t i, const char *why)
{
	ub_err(&t->env->log, "classic insn %zu: %s", i, why);
	return -EINVAL;
}

static int tr_load(struct tr *t, size_t i, const struct userbpf_cbpf_insn *c, uint8_t dst)
{
	int size = csize(c->code);

	switch (C_MODE(c->code)) {
	case C_IMM:
		ALU32(USERBPF_MOV, dst, c->k);
		return 0;
	case C_MEM:
		if (c->k >= C_MEMWORDS)
			return fail(t, i, "scratch memory index out of range (M[0..15])");
		LDX(USERBPF_W, dst, 10, SCRATCH_OFF + 4 * (int)c->k);
		return 0;
	case C_LEN:
		if (t->kind == USERBPF_CBPF_SECCOMP)
			ALU32(USERBPF_MOV, dst, SECCOMP_DATA_SIZE);
		else
			LDX(USERBPF_W, dst, R_CTX, SKB_LEN_OFF);
		return 0;
	case C_ABS:
		if (!size)
			return fail(t, i, "bad load size");
		if (t->kind == USERBPF_CBPF_SECCOMP) {
			if (size != 4 || (c->k & 3) || c->k >= SECCOMP_DATA_SIZE)
				return fail(t, i,
					    "seccomp loads are aligned 32-bit words of "
					    "struct seccomp_data");
			LDX(USERBPF_W, dst, R_CTX, c->k);
			return 0;
		}
		if ((int32_t)c->k < 0)
			return fail(t, i,
				    "ancillary and negative-offset loads (SKF_AD_*, "
				    "SKF_NET_OFF, SKF_LL_OFF) are not supported");
		if (c->k > MAX_PKT_OFF) {
			jump_to(t, USERBPF_JMP | USERBPF_JA, 0, 0, 0, RET0);
			return 0;
		}
		ALU64X(USERBPF_MOV, 2, R_DATA);
		ALU64(USERBPF_ADD, 2, c->k);
		bounds(t, 2, size);
		load_pkt(t, dst, 2, size);
		return 0;
	case C_IND:
		if (!size)
			return fail(t, i, "bad load size");
		if (t->kind == USERBPF_CBPF_SECCOMP)
			return fail(t, i, "seccomp filters cannot use indirect loads");
		ALU32X(USERBPF_MOV, 2, R_X);
		ALU32(USERBPF_ADD, 2, c->k);
		jump_to(t, USERBPF_JMP | USERBPF_JGT | USERBPF_K, 2, 0, MAX_PKT_OFF, RET0);
		ALU64X(USERBPF_MOV, 4, R_DATA);
		ALU64X(USERBPF_ADD, 4, 2);
		bounds(t, 4, size);
		load_pkt(t, dst, 4, size);
		return 0;
	case C_MSH:
		if (dst != R_X || size != 1 || t->kind == USERBPF_CBPF_SECCOMP)
			return fail(t, i, "MSH is only ldxb 4*([k]&0xf) in socket filters");
		if (c->k > MAX_PKT_OFF) {
			jump_to(t, USERBPF_JMP | USERBPF_JA, 0, 0, 0, RET0);
			return 0;
		}
		ALU64X(USERBPF_MOV, 2, R_DATA);
		ALU64(USERBPF_ADD, 2, c->k);
		bounds(t, 2, 1);
		LDX(USERBPF_B, R_X, 2, 0);
		ALU32(USERBPF_AND, R_X, 0xf);
		ALU32(USERBPF_LSH, R_X, 2);
		return 0;
	default:
		return fail(t, i, "unknown load mode");
	}
}

static int tr_one(struct tr *t, size_t i, const struct userbpf_cbpf_insn *c, size_t cnt)
{
	uint16_t code = c->code;

	switch (C_CLASS(code)) {
	case C_LD:
		if (C_MODE(code) == C_MSH)
			return fail(t, i, "MSH loads only into X");
		return tr_load(t, i, c, R_A);
	case C_LDX:
		if (C_MODE(code) == C_ABS || C_MODE(code) == C_IND)
			return fail(t, i, "ldx has no absolute or indirect mode");
		return tr_load(t, i, c, R_X);
	case C_ST:
	case C_STX:
		if (code != C_ST && code != C_STX)
			return fail(t, i, "unknown store");
		if (c->k >= C_MEMWORDS)
			return fail(t, i, "scratch memory index out of range (M[0..15])");
		STX(USERBPF_W, 10, C_CLASS(code) == C_ST ? R_A : R_X, SCRATCH_OFF + 4 * (int)c->k);
		return 0;
	case C_ALU: {
		uint8_t op = C_OP(code);

		if (op == USERBPF_NEG) {
			ALU32(USERBPF_NEG, R_A, 0);
			return 0;
		}
		if (op != USERBPF_ADD && op != USERBPF_SUB && op != USERBPF_MUL &&
		    op != USERBPF_DIV && op != USERBPF_OR && op != USERBPF_AND &&
		    op != USERBPF_LSH && op != USERBPF_RSH && op != USERBPF_MOD &&
		    op != USERBPF_XOR)
			return fail(t, i, "unknown ALU operation");
		if (C_SRC(code)) {
			if (op == USERBPF_DIV || op == USERBPF_MOD)
				/* Classic: dividing by X == 0 makes the filter return 0. */
				jump_to(t, USERBPF_JMP | USERBPF_JEQ | USERBPF_K, R_X, 0, 0, RET0);
			ALU32X(op, R_A, R_X);
		} else {
			if ((op == USERBPF_DIV || op == USERBPF_MOD) && !c->k)
				return fail(t, i, "division by constant zero");
			if ((op == USERBPF_LSH || op == USERBPF_RSH) && c->k >= 32)
				return fail(t, i, "shift by 32 or more");
			ALU32(op, R_A, c->k);
		}
		return 0;
	}
	case C_JMP: {
		uint8_t op = C_OP(code);
		size_t tt, ft;

		if (op == USERBPF_JA) {
			if (C_SRC(code) || c->k >= cnt - i - 1)
				return fail(t, i, "jump out of the program");
			jump_to(t, USERBPF_JMP | USERBPF_JA, 0, 0, 0, i + 1 + c->k);
			return 0;
		}
		if (op != USERBPF_JEQ && op != USERBPF_JGT && op != USERBPF_JGE &&
		    op != USERBPF_JSET)
			return fail(t, i, "unknown jump");
		tt = i + 1 + c->jt;
		ft = i + 1 + c->jf;
		if (tt >= cnt || ft >= cnt)
			return fail(t, i, "jump out of the program");
		if (C_SRC(code))
			jump_to(t, USERBPF_JMP32 | op | USERBPF_X, R_A, R_X, 0, tt);
		else
			jump_to(t, USERBPF_JMP32 | op | USERBPF_K, R_A, 0, (int32_t)c->k, tt);
		if (c->jf)
			jump_to(t, USERBPF_JMP | USERBPF_JA, 0, 0, 0, ft);
		return 0;
	}
	case C_RET:
		if (C_RVAL(code) == C_RET_K)
			ALU32(USERBPF_MOV, R_A, c->k);
		else if (C_RVAL(code) != C_RET_A)
			return fail(t, i, "ret takes k or a");
		EXIT();
		return 0;
	case C_MISC:
		if (C_MISCOP(code) == C_TAX)
			ALU32X(USERBPF_MOV, R_X, R_A);
		else if (C_MISCOP(code) == C_TXA)
			ALU32X(USERBPF_MOV, R_A, R_X);
		else
			return fail(t, i, "unknown misc operation");
		return 0;
	}
	return fail(t, i, "unknown class");
}

USERBPF_API int userbpf_cbpf_to_ebpf(struct userbpf_env *env, const struct userbpf_cbpf_insn *in,
				     size_t cnt, int kind, struct userbpf_insn **out,
				     size_t *out_cnt)
{
	struct tr tr = {.env = env, .kind = kind}, *t = &tr;
	size_t ret0;
	int err = 0;

	if (!env || !in || !out || !out_cnt ||
	    (kind != USERBPF_CBPF_SOCKET && kind != USERBPF_CBPF_SECCOMP))
		return -EINVAL;
	if (!cnt || cnt > C_MAXINSNS) {
		ub_err(&env->log, "classic program: %zu instructions (1..%d allowed)", cnt,
		       C_MAXINSNS);
		return -EINVAL;
	}
	if (C_CLASS(in[cnt - 1].code) != C_RET) {
		ub_err(&env->log, "classic insn %zu: the last instruction must be ret", cnt - 1);
		return -EINVAL;
	}
	t->cap = cnt * 12 + 32;
	t->out = calloc(t->cap, sizeof(*t->out));
	t->start = calloc(cnt, sizeof(*t->start));
	t->fixes = calloc(cnt * 4 + 4, sizeof(*t->fixes));
	if (!t->out || !t->start || !t->fixes) {
		err = -ENOMEM;
		goto out;
	}
	/* Prologue: ctx, A = X = 0, M[] = 0, packet bounds. */
	ALU64X(USERBPF_MOV, R_CTX, 1);
	ALU32(USERBPF_MOV, R_A, 0);
	ALU32(USERBPF_MOV, R_X, 0);
	for (int w = 0; w < C_MEMWORDS / 2; w++)
		emit(t, USERBPF_ST | USERBPF_MEM | USERBPF_DW, 10, 0,
		     (int16_t)(SCRATCH_OFF + 8 * w), 0);
	if (kind == USERBPF_CBPF_SOCKET) {
		LDX(USERBPF_W, R_DATA, R_CTX, SKB_DATA_OFF);
		LDX(USERBPF_W, R_END, R_CTX, SKB_DATA_END_OFF);
	}
	for (size_t i = 0; i < cnt && !err; i++) {
		t->start[i] = t->n;
		err = tr_one(t, i, &in[i], cnt);
	}
	if (err)
		goto out;
	ret0 = t->n;
	for (size_t f = 0; f < t->nfix; f++) {
		if (t->fixes[f].target == RET0) {
			/* The shared "return 0" (emitted only when reachable: no dead code). */
			ALU32(USERBPF_MOV, R_A, 0);
			EXIT();
			break;
		}
	}
	for (size_t f = 0; f < t->nfix; f++) {
		size_t to = t->fixes[f].target == RET0 ? ret0 : t->start[t->fixes[f].target];
		int64_t off = (int64_t)to - (int64_t)t->fixes[f].at - 1;

		if (off > INT16_MAX) {
			ub_err(&env->log, "classic program too large to translate (jump of %lld)",
			       (long long)off);
			err = -E2BIG;
			goto out;
		}
		t->out[t->fixes[f].at].off = (int16_t)off;
	}
	*out = t->out;
	*out_cnt = t->n;
	t->out = NULL;
out:
	free(t->out);
	free(t->start);
	free(t->fixes);
	return err;
}
