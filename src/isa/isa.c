/* SPDX-License-Identifier: Apache-2.0 */
/* isa.c: the instruction table from opcodes.def, decoding by (code, match field), validation. */
#include <errno.h>
#include <pthread.h>

#include "core/core.h"
#include "isa/isa.h"

const struct ub_insn_info ub_insn_table[UB_I_COUNT] = {
#define UB_INSN(id, code, match, mval, fmt, cname, op) \
	[UB_I_##id] = { #id, code, UB_M_##match, mval, UB_F_##fmt, cname, op },
#include "isa/opcodes.def"
#undef UB_INSN
};

/* Which fields each format uses; all others must be zero. One row per format. */
const struct ub_fmt_info ub_fmt_info[UB_F_COUNT] = {
	[UB_F_ALU_K] = { "alu_imm", UB_U_DST | UB_U_IMM | UB_U_WDST },
	[UB_F_ALU_X] = { "alu_reg", UB_U_DST | UB_U_SRC | UB_U_WDST },
	[UB_F_NEG] = { "neg", UB_U_DST | UB_U_WDST },
	[UB_F_MOVSX] = { "movsx", UB_U_DST | UB_U_SRC | UB_U_WDST },
	[UB_F_END] = { "end", UB_U_DST | UB_U_WDST },
	[UB_F_JA] = { "ja", UB_U_OFF | UB_U_JUMP },
	[UB_F_JA32] = { "ja32", UB_U_IMM | UB_U_JUMP },
	[UB_F_JMP_K] = { "jmp_imm", UB_U_DST | UB_U_IMM | UB_U_OFF | UB_U_JUMP },
	[UB_F_JMP_X] = { "jmp_reg", UB_U_DST | UB_U_SRC | UB_U_OFF | UB_U_JUMP },
	[UB_F_CALL] = { "call", UB_U_IMM },
	[UB_F_CALL_LOCAL] = { "call_local", UB_U_IMM },
	[UB_F_CALL_KFUNC] = { "call_kfunc", UB_U_IMM | UB_U_OFF },
	[UB_F_CALLX] = { "callx", UB_U_DST },
	[UB_F_EXIT] = { "exit", 0 },
	[UB_F_MAY_GOTO] = { "may_goto", UB_U_OFF | UB_U_JUMP },
	[UB_F_LDX] = { "ldx", UB_U_DST | UB_U_SRC | UB_U_OFF | UB_U_WDST },
	[UB_F_ST] = { "st", UB_U_DST | UB_U_OFF | UB_U_IMM },
	[UB_F_STX] = { "stx", UB_U_DST | UB_U_SRC | UB_U_OFF },
	[UB_F_ATOMIC] = { "atomic", UB_U_DST | UB_U_SRC | UB_U_OFF },
	[UB_F_LOAD_ACQ] = { "load_acquire", UB_U_DST | UB_U_SRC | UB_U_OFF | UB_U_WDST },
	[UB_F_STORE_REL] = { "store_release", UB_U_DST | UB_U_SRC | UB_U_OFF },
	[UB_F_LDDW] = { "lddw", UB_U_DST | UB_U_IMM | UB_U_WDST },
	[UB_F_LDABS] = { "ld_abs", UB_U_IMM },
	[UB_F_LDIND] = { "ld_ind", UB_U_SRC | UB_U_IMM },
};

/* Rows by opcode byte, built once: a pure function of the constant table above. */
#define UB_ROWS_PER_CODE 16
static struct {
	uint8_t n[256];
	uint16_t rows[256][UB_ROWS_PER_CODE];
} by_code;
static pthread_once_t by_code_once = PTHREAD_ONCE_INIT;

static void build_by_code(void)
{
	for (int i = 0; i < UB_I_COUNT; i++) {
		uint8_t c = ub_insn_table[i].code;

		if (by_code.n[c] < UB_ROWS_PER_CODE)
			by_code.rows[c][by_code.n[c]++] = (uint16_t)i;
	}
}

static int match_value(const struct userbpf_insn *insn, int match)
{
	switch (match) {
	case UB_M_OFF:
		return insn->off;
	case UB_M_IMM:
		return insn->imm;
	case UB_M_SRC:
		return insn->src_reg;
	default:
		return 0;
	}
}

int ub_isa_decode(const struct userbpf_insn *insn)
{
	pthread_once(&by_code_once, build_by_code);
	for (unsigned i = 0; i < by_code.n[insn->code]; i++) {
		int id = by_code.rows[insn->code][i];
		const struct ub_insn_info *r = &ub_insn_table[id];

		if (match_value(insn, r->match) == r->mval)
			return id;
	}
	return UB_I_INVALID;
}

unsigned ub_isa_mem_size(int id)
{
	const struct ub_insn_info *r;

	if (id < 0 || id >= UB_I_COUNT)
		return 0;
	r = &ub_insn_table[id];
	switch (r->fmt) {
	case UB_F_LDX:
	case UB_F_ST:
	case UB_F_STX:
	case UB_F_ATOMIC:
	case UB_F_LOAD_ACQ:
	case UB_F_STORE_REL:
	case UB_F_LDABS:
	case UB_F_LDIND:
		switch (USERBPF_SIZE(r->code)) {
		case USERBPF_B:
			return 1;
		case USERBPF_H:
			return 2;
		case USERBPF_W:
			return 4;
		default:
			return 8;
		}
	default:
		return 0;
	}
}

/* Jump target of insns[pc] (a row with UB_U_JUMP), as an absolute index (may be out of range). */
static int64_t jump_target(const struct userbpf_insn *insn, size_t pc, int fmt)
{
	if (fmt == UB_F_JA32)
		return (int64_t)pc + insn->imm + 1;
	return (int64_t)pc + insn->off + 1;
}

static int check_fields(const struct userbpf_insn *insn, size_t pc, int id, struct ub_log *log)
{
	const struct ub_insn_info *r = &ub_insn_table[id];
	uint8_t uses = ub_fmt_info[r->fmt].uses;

	if (r->fmt == UB_F_CALLX) {
		/* Standard: register in dst, imm 0. LLVM before 19 (clang 14): in imm, dst 0. */
		if (insn->dst_reg && insn->imm) {
			ub_err(log,
			       "insn %zu (callx): target register given twice "
			       "(dst r%u, imm %d)",
			       pc,
			       insn->dst_reg, insn->imm);
			return -EINVAL;
		}
		if (ub_isa_callx_reg(insn) >= USERBPF_REG_10) {
			ub_err(log, "insn %zu (callx): invalid call target register r%d", pc,
			       insn->dst_reg ? insn->dst_reg : insn->imm);
			return -EINVAL;
		}
		if (insn->src_reg || insn->off) {
			ub_err(log, "insn %zu (callx): reserved field %s must be 0", pc,
			       insn->src_reg ? "src_reg" : "off");
			return -EINVAL;
		}
		return 0;
	}
	if (insn->dst_reg > 10) {
		ub_err(log, "insn %zu: invalid register r%u (dst)", pc, insn->dst_reg);
		return -EINVAL;
	}
	if (insn->src_reg > 10 && r->match != UB_M_SRC) {
		ub_err(log, "insn %zu: invalid register r%u (src)", pc, insn->src_reg);
		return -EINVAL;
	}
	if (!(uses & UB_U_DST) && insn->dst_reg) {
		ub_err(log, "insn %zu (%s): reserved field dst_reg must be 0, is %u", pc, r->cname,
		       insn->dst_reg);
		return -EINVAL;
	}
	if (!(uses & UB_U_SRC) && r->match != UB_M_SRC && insn->src_reg) {
		ub_err(log, "insn %zu (%s): reserved field src_reg must be 0, is %u", pc, r->cname,
		       insn->src_reg);
		return -EINVAL;
	}
	if (!(uses & UB_U_OFF) && r->match != UB_M_OFF && insn->off) {
		ub_err(log, "insn %zu (%s): reserved field off must be 0, is %d", pc, r->cname,
		       insn->off);
		return -EINVAL;
	}
	if (!(uses & UB_U_IMM) && r->match != UB_M_IMM && insn->imm) {
		ub_err(log, "insn %zu (%s): reserved field imm must be 0, is %d", pc, r->cname,
		       insn->imm);
		return -EINVAL;
	}
	if ((uses & UB_U_WDST) && insn->dst_reg == USERBPF_REG_10) {
		ub_err(log, "insn %zu (%s): frame pointer r10 is read only", pc, r->cname);
		return -EINVAL;
	}
	/* Fetching atomics write the old value into src. */
	if (r->fmt == UB_F_ATOMIC && (r->mval & USERBPF_FETCH) && r->mval != USERBPF_CMPXCHG &&
	    insn->src_reg == USERBPF_REG_10) {
		ub_err(log, "insn %zu (%s): frame pointer r10 is read only", pc, r->cname);
		return -EINVAL;
	}
	return 0;
}

int ub_isa_validate(const struct userbpf_insn *insns, size_t cnt, struct ub_log *log)
{
	size_t pc;

	if (cnt == 0) {
		ub_err(log, "empty program: at least one instruction is needed");
		return -EINVAL;
	}
	if (cnt > UB_MAX_INSNS) {
		ub_err(log, "program too large: %zu instructions, the limit is %u", cnt,
		       UB_MAX_INSNS);
		return -E2BIG;
	}
	for (pc = 0; pc < cnt; pc++) {
		const struct userbpf_insn *insn = &insns[pc];
		int id = ub_isa_decode(insn);
		int err;

		if (id == UB_I_INVALID) {
			int known = 0;

			pthread_once(&by_code_once, build_by_code);
			known = by_code.n[insn->code] != 0;
			if (known)
				ub_err(log,
				       "insn %zu: opcode 0x%02x with off=%d imm=%d src=r%u is a "
				       "reserved encoding",
				       pc, insn->code, insn->off, insn->imm, insn->src_reg);
			else
				ub_err(log, "insn %zu: unknown opcode 0x%02x", pc, insn->code);
			return -EINVAL;
		}
		err = check_fields(insn, pc, id, log);
		if (err)
			return err;
		if (ub_insn_table[id].fmt == UB_F_LDDW) {
			const struct userbpf_insn *hi = insn + 1;

			if (pc + 1 >= cnt) {
				ub_err(log,
				       "insn %zu (lddw): second half missing at the end of the "
				       "program",
				       pc);
				return -EINVAL;
			}
			if (hi->code || hi->dst_reg || hi->src_reg || hi->off) {
				ub_err(log,
				       "insn %zu (lddw): second half at insn %zu must have code, "
				       "registers and off 0",
				       pc, pc + 1);
				return -EINVAL;
			}
			if ((insn->src_reg == USERBPF_PSEUDO_MAP_FD ||
			     insn->src_reg == USERBPF_PSEUDO_MAP_IDX ||
			     insn->src_reg == USERBPF_PSEUDO_FUNC) && hi->imm) {
				ub_err(log, "insn %zu (lddw %s): upper imm must be 0, is %d", pc,
				       ub_insn_table[id].op, hi->imm);
				return -EINVAL;
			}
			pc++;
		}
	}
	/* Second pass: control-flow targets, now that lddw halves are known. */
	for (pc = 0; pc < cnt; pc += ub_isa_slots(&insns[pc])) {
		const struct userbpf_insn *insn = &insns[pc];
		int id = ub_isa_decode(insn);
		int fmt = ub_insn_table[id].fmt;
		int64_t t;

		if (ub_fmt_info[fmt].uses & UB_U_JUMP)
			t = jump_target(insn, pc, fmt);
		else if (fmt == UB_F_CALL_LOCAL)
			t = (int64_t)pc + insn->imm + 1;
		else if (fmt == UB_F_LDDW && insn->src_reg == USERBPF_PSEUDO_FUNC)
			t = (int64_t)pc + insn->imm + 1;
		else
			continue;
		if (t < 0 || t >= (int64_t)cnt) {
			ub_err(log, "insn %zu (%s): target %lld is outside the program (0..%zu)",
			       pc, ub_insn_table[id].cname, (long long)t, cnt - 1);
			return -EINVAL;
		}
		/*
		 * Slot t-1 holding code 0x18 must start an lddw: the first pass proved that every
		 * second half has code 0, so a 0x18 is never itself a second half.
		 */
		if (t > 0 && insns[t - 1].code == 0x18) {
			ub_err(log,
			       "insn %zu (%s): target %lld is the second half of the lddw "
			       "at insn %lld",
			       pc, ub_insn_table[id].cname, (long long)t, (long long)t - 1);
			return -EINVAL;
		}
	}
	{
		/* The last instruction must not fall through past the end. */
		size_t last = 0;

		for (pc = 0; pc < cnt; pc += ub_isa_slots(&insns[pc]))
			last = pc;
		int fmt = ub_insn_table[ub_isa_decode(&insns[last])].fmt;

		if (fmt != UB_F_EXIT && fmt != UB_F_JA && fmt != UB_F_JA32) {
			ub_err(log, "insn %zu (%s): the last instruction falls off the end of the "
			       "program (end with exit or a jump)", last,
			       ub_insn_table[ub_isa_decode(&insns[last])].cname);
			return -EINVAL;
		}
	}
	return 0;
}

USERBPF_API int userbpf_insns_validate(struct userbpf_env *env, const struct userbpf_insn *insns,
				       size_t cnt)
{
	if (!insns && cnt)
		return -EINVAL;
	return ub_isa_validate(insns, cnt, env ? &env->log : NULL);
}
