/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alu.c: ALU instructions on abstract registers: scalar arithmetic through the bounds domain,
 * copies (which link scalars so a later check on one refines both), and pointer arithmetic
 * rules (which pointers may move, by what, and when the result stops being usable).
 */
#include <errno.h>
#include <string.h>

#include "verifier/vstate.h"

bool ub_is_pointer(const struct ub_reg *r)
{
	return r->type != UB_NOT_INIT && r->type != UB_SCALAR;
}

bool ub_is_pkt(const struct ub_reg *r)
{
	return r->type == UB_PTR_PKT || r->type == UB_PTR_PKT_META;
}

int ub_check_reg_read(struct ub_verifier *v, int regno)
{
	if (ub_reg(v, regno)->type == UB_NOT_INIT)
		return ub_reject(v, UB_E_READ_OK, regno);
	return 0;
}

static const char *op_name(unsigned op)
{
	switch (op) {
	case USERBPF_ADD: return "+=";
	case USERBPF_SUB: return "-=";
	case USERBPF_MUL: return "*=";
	case USERBPF_DIV: return "/=";
	case USERBPF_OR: return "|=";
	case USERBPF_AND: return "&=";
	case USERBPF_LSH: return "<<=";
	case USERBPF_RSH: return ">>=";
	case USERBPF_MOD: return "%=";
	case USERBPF_XOR: return "^=";
	case USERBPF_ARSH: return "s>>=";
	}
	return "?";
}

/*
 * ptr OP scalar (op ADD or SUB), result in dst. The attack this prevents: a pointer moved by
 * an unchecked amount would let a later load read anywhere; so moves must be bounded here and
 * every access re-checks the whole range of possible offsets against its object.
 */
static int ptr_alu(struct ub_verifier *v, int dstno, struct ub_reg *dst, const struct ub_reg *ptr,
		   const struct ub_reg *off, unsigned op)
{
	const char *tn = ub_rtype_name(ptr->type, ptr->flags);
	struct ub_reg r = *ptr;

	if (ptr->flags & UB_RF_NULL)
		return ub_reject(v, UB_E_PTR_ARITH_NULL, dstno, tn);
	switch (ptr->type) {
	case UB_PTR_CTX:
	case UB_PTR_STACK:
	case UB_PTR_MAP_VALUE:
	case UB_PTR_PKT:
	case UB_PTR_PKT_META:
	case UB_PTR_MEM:
		break;
	default:
		return ub_reject(v, UB_E_PTR_ARITH, dstno, tn);
	}
	/* Linux refuses it even by a constant (JITs rely on it): use r10 + (-8) instead. */
	if (ptr->type == UB_PTR_STACK && op == USERBPF_SUB)
		return ub_reject(v, UB_E_STACK_SUB, dstno);
	if (ub_scalar_is_const(&off->s)) {
		int64_t k = (int64_t)off->s.var.value, no;

		if (k <= -UB_MAX_VAR_OFF || k >= UB_MAX_VAR_OFF)
			return ub_reject(v, UB_E_PTR_OOB, (long long)k, tn);
		no = op == USERBPF_ADD ? (int64_t)ptr->off + k : (int64_t)ptr->off - k;
		if (no <= -UB_MAX_VAR_OFF || no >= UB_MAX_VAR_OFF)
			return ub_reject(v, UB_E_PTR_OFF_RANGE, tn, (int)no);
		r.off = (int32_t)no;
		*dst = r;
		return 0;
	}
	if (off->s.smin == INT64_MIN)
		return ub_reject(v, UB_E_PTR_UNBOUNDED, tn);
	if (ptr->type == UB_PTR_STACK && v->unpriv)
		return ub_reject(v, UB_E_STACK_VAR_UNPRIV, dstno);
	/* The sum's bounds are checked against the object at each access. */
	ub_scalar_alu(&r.s, &off->s, op, true, false);
	if (ub_is_pkt(&r)) {
		/* A new variable position: what was proven readable is no longer known. */
		r.id = ++v->id_gen;
		r.range = 0;
	}
	*dst = r;
	return 0;
}

/*
 * Unprivileged: a moved stack or map value pointer must still point inside its object
 * (Linux's sanitize_check_bounds), so it cannot be used to probe memory speculatively.
 */
static int unpriv_bounds(struct ub_verifier *v, int regno, const struct ub_reg *r)
{
	if (!v->unpriv)
		return 0;
	if (r->s.smin <= -UB_MAX_VAR_OFF || r->s.umax >= UB_MAX_VAR_OFF)
		return ub_reject(v, r->type == UB_PTR_STACK ? UB_E_STACK_ARITH_UNPRIV :
				 UB_E_MAP_ARITH_UNPRIV, regno, r->off);
	if (r->type == UB_PTR_STACK) {
		int64_t off = (int64_t)r->off + r->s.smin;

		if (off >= 0 || off < -UB_STACK)
			return ub_reject(v, UB_E_STACK_ARITH_UNPRIV, regno, (int)off);
	}
	if (r->type == UB_PTR_MAP_VALUE &&
	    ((int64_t)r->off + r->s.smin < 0 ||
	     (int64_t)r->off + (int64_t)r->s.umax + 1 > (int64_t)r->mem_size))
		return ub_reject(v, UB_E_MAP_ARITH_UNPRIV, regno);
	return 0;
}

static int alu_pointer(struct ub_verifier *v, const struct userbpf_insn *in, struct ub_reg *dst,
		       const struct ub_reg *src, unsigned op, bool is64)
{
	bool dp = ub_is_pointer(dst), sp = ub_is_pointer(src);
	int err;

	if (!is64) {
		if (op == USERBPF_SUB && !v->unpriv) {
			ub_mark_unknown(dst);
			ub_scalar_zext32(&dst->s);
			return 0;
		}
		return ub_reject(v, UB_E_PTR_ARITH32, in->dst_reg);
	}
	if (dp && sp) {
		if (op != USERBPF_SUB)
			return ub_reject(v, UB_E_PTR_FROM_SCALAR, in->dst_reg, "add");
		if (v->unpriv && !(ub_is_pkt(dst) && ub_is_pkt(src)))
			return ub_reject(v, UB_E_PTR_SUB_PTR, in->dst_reg);
		ub_mark_unknown(dst);
		return 0;
	}
	if (op == USERBPF_AND || op == USERBPF_OR || op == USERBPF_XOR)
		return ub_reject(v, UB_E_PTR_BITWISE, in->dst_reg, op_name(op));
	if (op != USERBPF_ADD && op != USERBPF_SUB)
		return ub_reject(v, UB_E_PTR_OP, in->dst_reg, op_name(op));
	/*
	 * Unprivileged (no CAP_PERFMON): Linux sanitises pointer arithmetic with a register
	 * only for stack and map value pointers, and refuses it for the others.
	 */
	if (v->unpriv && USERBPF_SRC(in->code) == USERBPF_X) {
		const struct ub_reg *p = dp ? dst : src;

		if (p->type != UB_PTR_STACK && p->type != UB_PTR_MAP_VALUE)
			return ub_reject(v, UB_E_PTR_ALU_UNPRIV, dp ? in->dst_reg : in->src_reg);
	}
	if (sp) { /* scalar + pointer */
		struct ub_reg s = *dst;

		if (op == USERBPF_SUB)
			return ub_reject(v, UB_E_SUB_PTR_FROM_SCALAR, in->dst_reg);
		err = ptr_alu(v, in->dst_reg, dst, src, &s, op);
	} else {
		struct ub_reg p = *dst;

		err = ptr_alu(v, in->dst_reg, dst, &p, src, op);
	}
	return err ? err : unpriv_bounds(v, in->dst_reg, dst);
}

static int check_mov(struct ub_verifier *v, const struct userbpf_insn *in, int id, bool is64)
{
	struct ub_reg *dst = ub_reg(v, in->dst_reg), *src;
	int err;

	if (ub_insn_table[id].fmt == UB_F_ALU_K) {
		ub_mark_const(dst, is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm);
		return 0;
	}
	err = ub_check_reg_read(v, in->src_reg);
	if (err)
		return err;
	src = ub_reg(v, in->src_reg);
	if (ub_insn_table[id].fmt == UB_F_MOVSX) {
		if (ub_is_pointer(src))
			return ub_reject(v, UB_E_SEXT_PTR, in->src_reg);
		*dst = *src;
		dst->id = 0;
		ub_scalar_sext(&dst->s, (unsigned)in->off / 8);
		if (!is64)
			ub_scalar_zext32(&dst->s);
		return 0;
	}
	if (!is64) {
		if (ub_is_pointer(src)) {
			if (v->unpriv)
				return ub_reject(v, UB_E_PARTIAL_COPY, in->src_reg);
			ub_mark_unknown(dst);
			ub_scalar_zext32(&dst->s);
			return 0;
		}
		*dst = *src;
		dst->id = 0;
		ub_scalar_zext32(&dst->s);
		return 0;
	}
	/* A 64-bit copy of an unknown scalar links the two: checks on one refine the other. */
	if (src->type == UB_SCALAR && !src->id && !ub_scalar_is_const(&src->s))
		src->id = ++v->id_gen;
	if (in->dst_reg != in->src_reg)
		*dst = *src;
	return 0;
}

int ub_check_alu(struct ub_verifier *v, const struct userbpf_insn *in, int id)
{
	unsigned op = USERBPF_OP(in->code), fmt = ub_insn_table[id].fmt;
	bool is64 = USERBPF_CLASS(in->code) == USERBPF_ALU64;
	struct ub_reg *dst = ub_reg(v, in->dst_reg), src;
	int err;

	if (op == USERBPF_MOV)
		return check_mov(v, in, id, is64);
	err = ub_check_reg_read(v, in->dst_reg);
	if (err)
		return err;
	if (fmt == UB_F_NEG || fmt == UB_F_END) {
		if (ub_is_pointer(dst))
			return ub_reject(v, UB_E_PTR_ARITH, in->dst_reg,
					 ub_rtype_name(dst->type, dst->flags));
		dst->id = 0;
		if (fmt == UB_F_NEG) {
			struct ub_scalar z;

			ub_scalar_const(&z, 0);
			ub_scalar_alu(&z, &dst->s, USERBPF_SUB, is64, false);
			dst->s = z;
		} else {
			ub_scalar_end(&dst->s, is64 || USERBPF_SRC(in->code) == USERBPF_TO_BE,
				      (unsigned)in->imm);
		}
		return 0;
	}
	if (fmt == UB_F_ALU_K) {
		if ((op == USERBPF_DIV || op == USERBPF_MOD) && in->imm == 0)
			return ub_reject(v, UB_E_DIV_ZERO);
		if ((op == USERBPF_LSH || op == USERBPF_RSH || op == USERBPF_ARSH) &&
		    (in->imm < 0 || in->imm >= (is64 ? 64 : 32)))
			return ub_reject(v, UB_E_BAD_SHIFT, in->imm);
		ub_mark_const(&src, is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm);
	} else {
		err = ub_check_reg_read(v, in->src_reg);
		if (err)
			return err;
		src = *ub_reg(v, in->src_reg);
	}
	if (ub_is_pointer(dst) || ub_is_pointer(&src))
		return alu_pointer(v, in, dst, &src, op, is64);
	ub_scalar_alu(&dst->s, &src.s, op, is64, in->off == 1);
	dst->id = 0;
	return 0;
}
