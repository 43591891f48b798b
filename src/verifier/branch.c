/* SPDX-License-Identifier: Apache-2.0 */
/*
 * branch.c: conditional jumps. Each side of a branch learns what its condition implies:
 * scalar ranges (and every linked copy), NULL or not for nullable pointers (and their copies),
 * the readable packet range from a comparison with data_end. Impossible sides are not walked.
 */
#include <errno.h>
#include <string.h>

#include "verifier/vstate.h"

static void pkt_range(struct ub_vstate *st, unsigned type, uint32_t id, int32_t range)
{
	UB_FOR_EACH_REG(st, r, {
		if (r->type == type && r->id == id && r->range < range)
			r->range = range;
	});
}

/* Copies of a refined scalar get the same facts. */
static void sync_linked(struct ub_vstate *st, const struct ub_reg *src)
{
	if (!src->id || src->type != UB_SCALAR)
		return;
	UB_FOR_EACH_REG(st, r, {
		if (r->type == UB_SCALAR && r->id == src->id)
			r->s = src->s;
	});
	/* Raw memory: what is known of the length is what may be read from r1's family. */
	if (src->id == UB_LEN_ID) {
		uint64_t n = src->s.umin > UB_MAX_PKT_OFF ? UB_MAX_PKT_OFF : src->s.umin;

		pkt_range(st, UB_PTR_PKT, 0, (int32_t)n);
	}
}

/* Nullable pointers of group `id` are now known NULL (is_null) or known valid. */
static int mark_null(struct ub_verifier *v, struct ub_vstate *st, uint32_t id, bool is_null)
{
	uint32_t ref = 0;

	UB_FOR_EACH_REG(st, r, {
		if (ub_is_pointer(r) && (r->flags & UB_RF_NULL) && r->id == id) {
			if (is_null) {
				ref = r->ref_obj_id ? r->ref_obj_id : ref;
				ub_mark_const(r, 0);
			} else {
				r->flags &= (uint8_t)~UB_RF_NULL;
			}
		}
	});
	/* A NULL record holds nothing: its reference is gone on this side. */
	if (ref) {
		for (int i = 0; i < st->nrefs; i++)
			if (st->refs[i].id == ref) {
				st->refs[i] = st->refs[--st->nrefs];
				break;
			}
	}
	(void)v;
	return 0;
}

/* The packet start itself: data, not moved. */
static bool is_pkt_start(const struct ub_reg *r)
{
	return r->type == UB_PTR_PKT && !r->off && !r->id && ub_scalar_is_const(&r->s) &&
	       !r->s.var.value;
}

/* Does `a OP b` (pointer a, end b) being `taken` prove a <= end? */
static bool pkt_cmp_proves(unsigned op, bool ptr_is_dst, bool taken)
{
	/* Normalise to "ptr OP end". */
	if (!ptr_is_dst) {
		switch (op) {
		case USERBPF_JGT: op = USERBPF_JLT; break;
		case USERBPF_JLT: op = USERBPF_JGT; break;
		case USERBPF_JGE: op = USERBPF_JLE; break;
		case USERBPF_JLE: op = USERBPF_JGE; break;
		}
	}
	switch (op) {
	case USERBPF_JGT: return !taken; /* ptr <= end on fall-through */
	case USERBPF_JGE: return !taken; /* ptr < end */
	case USERBPF_JLT: return taken;
	case USERBPF_JLE: return taken;
	}
	return false;
}

/*
 * Apply what `dst OP src` being `taken` implies to state st. Returns 1 if that side is
 * possible, 0 if not, <0 on error.
 */
static int refine(struct ub_verifier *v, struct ub_vstate *st, const struct userbpf_insn *in,
		  bool taken)
{
	struct ub_frame *f = st->frames[st->curframe];
	unsigned op = USERBPF_OP(in->code);
	bool is32 = USERBPF_CLASS(in->code) == USERBPF_JMP32, isx = USERBPF_SRC(in->code);
	struct ub_reg *dst = &f->regs[in->dst_reg], imm, *src;

	if (isx) {
		src = &f->regs[in->src_reg];
	} else {
		ub_mark_const(&imm, is32 ? (uint32_t)in->imm : (uint64_t)(int64_t)in->imm);
		src = &imm;
	}
	if (dst->type == UB_SCALAR && src->type == UB_SCALAR) {
		unsigned o = taken ? op : ub_cond_negate(op);
		struct ub_scalar a = dst->s, b = src->s;

		if (!ub_scalar_cond(&a, &b, o, is32))
			return 0;
		dst->s = a;
		sync_linked(st, dst);
		if (isx && src != dst) {
			src->s = b;
			sync_linked(st, src);
		}
		return 1;
	}
	/* NULL checks: pointer ==/!= 0. */
	if ((op == USERBPF_JEQ || op == USERBPF_JNE) && !is32) {
		struct ub_reg *p = ub_is_pointer(dst) ? dst : src, *z = p == dst ? src : dst;

		if (ub_is_pointer(p) && z->type == UB_SCALAR && ub_scalar_is_const(&z->s) &&
		    z->s.var.value == 0) {
			bool is_null = (op == USERBPF_JEQ) == taken;

			if (p->flags & UB_RF_NULL) {
				mark_null(v, st, p->id, is_null);
				return 1;
			}
			/*
			 * Checked map values, records and maps are never NULL. Other pointers
			 * (ctx, stack, packet) are not assumed non-NULL, as in Linux: raw
			 * memory can be NULL, and both sides stay explored.
			 */
			if (p->type == UB_PTR_MAP_VALUE || p->type == UB_PTR_MEM ||
			    p->type == UB_CONST_MAP)
				return !is_null;
			return 1;
		}
	}
	/* Packet bounds: pkt vs pkt_end, pkt_meta vs pkt. */
	if (!is32 && ub_is_pointer(dst) && ub_is_pointer(src)) {
		struct ub_reg *p = NULL;
		bool ptr_is_dst = false;

		/*
		 * The bound side must be the bound itself: data_end, or for metadata the
		 * unmoved data pointer (meta + 8 <= data + 8 proves nothing about data).
		 */
		if ((dst->type == UB_PTR_PKT && src->type == UB_PTR_PKT_END) ||
		    (dst->type == UB_PTR_PKT_META && is_pkt_start(src)))
			p = dst, ptr_is_dst = true;
		else if ((src->type == UB_PTR_PKT && dst->type == UB_PTR_PKT_END) ||
			 (src->type == UB_PTR_PKT_META && is_pkt_start(dst)))
			p = src;
		if (p && pkt_cmp_proves(op, ptr_is_dst, taken) && p->off > 0 &&
		    p->s.umax <= UB_MAX_PKT_OFF && p->s.umax + (uint64_t)p->off <= UB_MAX_PKT_OFF)
			pkt_range(st, p->type, p->id, p->off);
	}
	return 1;
}

/*
 * Unprivileged programs may compare a pointer only to learn something the verifier tracks:
 * a nullable pointer against 0 (64-bit, immediate), or packet pointers against each other.
 * Anything else would let the program learn an address bit by bit.
 */
static int cmp_allowed(struct ub_verifier *v, const struct userbpf_insn *in)
{
	struct ub_reg *dst = ub_reg(v, in->dst_reg);
	struct ub_reg *src = USERBPF_SRC(in->code) ? ub_reg(v, in->src_reg) : NULL;
	bool dp = ub_is_pointer(dst), sp = src && ub_is_pointer(src);
	bool is32 = USERBPF_CLASS(in->code) == USERBPF_JMP32;
	unsigned op = USERBPF_OP(in->code);

	if (!v->unpriv || (!dp && !sp))
		return 0;
	if (sp && !is32 && dp &&
	    ((dst->type == UB_PTR_PKT && src->type == UB_PTR_PKT_END) ||
	     (src->type == UB_PTR_PKT && dst->type == UB_PTR_PKT_END) ||
	     (dst->type == UB_PTR_PKT_META && src->type == UB_PTR_PKT) ||
	     (src->type == UB_PTR_PKT_META && dst->type == UB_PTR_PKT)))
		return 0;
	if (!src && !is32 && in->imm == 0 && (op == USERBPF_JEQ || op == USERBPF_JNE) &&
	    (dst->flags & UB_RF_NULL))
		return 0;
	return ub_reject(v, UB_E_PTR_CMP, sp ? in->src_reg : in->dst_reg);
}

int ub_check_cond_jmp(struct ub_verifier *v, const struct userbpf_insn *in, int *next)
{
	int i = v->insn, target = i + in->off + 1, err, ok_taken, ok_fall;
	struct ub_vstate *taken;

	if (v->aux[i].id == UB_I_MAY_GOTO) {
		/* Both ways: the loop may go on, or its budget may run out and jump away. */
		err = ub_push_branch(v, target, i);
		if (err)
			return err;
		v->cur->may_goto_depth++;
		*next = i + 1;
		return 0;
	}
	err = ub_check_reg_read(v, in->dst_reg);
	if (!err && USERBPF_SRC(in->code))
		err = ub_check_reg_read(v, in->src_reg);
	if (!err)
		err = cmp_allowed(v, in);
	if (err)
		return err;
	err = ub_push_branch(v, target, i);
	if (err)
		return err;
	taken = &v->stack[v->nstack - 1].st;
	ok_taken = refine(v, taken, in, true);
	ok_fall = refine(v, v->cur, in, false);
	if (ok_taken < 0 || ok_fall < 0)
		return ok_taken < 0 ? ok_taken : ok_fall;
	if (ok_taken != ok_fall && !v->aux[i].decided) {
		/* The values decide this branch: they matter here; the walk is redone. */
		v->aux[i].decided = 1;
		v->rerun = true;
	}
	if (!ok_taken) {
		/* Drop the impossible side (its branch count goes with it). */
		v->nstack--;
		if (v->cur->parent)
			v->cur->parent->branches--;
	}
	if (!ok_fall) {
		if (!ok_taken) {
			*next = -1;
			return 0;
		}
		/* Only the jump is possible: continue there directly. */
		*next = -1;
		return 0;
	}
	*next = i + 1;
	return 0;
}
