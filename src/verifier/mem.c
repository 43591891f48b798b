/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mem.c: loads, stores and atomics through abstract pointers: the stack (per-byte state,
 * spills and fills of registers), the context (per program type, rewritten later), map
 * values, packets (readable range from data_end checks) and helper memory; 64-bit immediates
 * (maps, map values, callbacks) and legacy packet loads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/vstate.h"

struct ub_slot *ub_stack_slot(struct ub_frame *f, int byte_off, bool grow)
{
	int i = (-byte_off - 1) / 8;

	if (byte_off >= 0 || byte_off < -UB_STACK)
		return NULL;
	if (i >= f->nslots) {
		struct ub_slot *s;

		if (!grow)
			return NULL;
		s = realloc(f->slots, (size_t)(i + 1) * sizeof(*s));
		if (!s)
			return NULL;
		memset(s + f->nslots, 0, (size_t)(i + 1 - f->nslots) * sizeof(*s));
		f->slots = s;
		f->nslots = i + 1;
	}
	return &f->slots[i];
}

/* Type of the stack byte at byte_off (negative); bytes never touched are invalid. */
static uint8_t stack_byte(struct ub_frame *f, int byte_off, const struct ub_slot **slot)
{
	struct ub_slot *s = ub_stack_slot(f, byte_off, false);

	if (slot)
		*slot = s;
	return s ? s->type[byte_off + ((-byte_off - 1) / 8 + 1) * 8] : UB_ST_INVALID;
}

static void note_depth(struct ub_verifier *v, struct ub_frame *f, int lowest)
{
	struct ub_subprog *sp = &v->subprogs[f->subprog];

	if (-lowest > sp->stack_depth)
		sp->stack_depth = -lowest;
}

/*
 * Bytes [lo, hi) become plain data (or zero). A spill partly overwritten stops being a
 * register: its other bytes become plain data too.
 */
static int stack_write_bytes(struct ub_verifier *v, struct ub_frame *f, int lo, int hi, bool zero)
{
	for (int o = lo; o < hi; o++) {
		struct ub_slot *s = ub_stack_slot(f, o, true);
		int b;

		if (!s)
			return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
		b = o + ((-o - 1) / 8 + 1) * 8;
		if (s->type[0] == UB_ST_SPILL) {
			if (v->unpriv && s->spill.type != UB_SCALAR)
				return ub_reject(v, UB_E_SPILL_PTR_CORRUPT);
			for (int k = 0; k < 8; k++)
				s->type[k] = UB_ST_MISC;
		}
		s->type[b] = zero ? UB_ST_ZERO : UB_ST_MISC;
	}
	note_depth(v, f, lo);
	return 0;
}

void ub_stack_mark_written(struct ub_verifier *v, struct ub_frame *f, int lo, int hi)
{
	stack_write_bytes(v, f, lo, hi, false);
}

static const char *tnum_s(char *buf, size_t n, struct ub_tnum t)
{
	ub_tnum_str(buf, n, t);
	return buf;
}

/* Result of a load of `size` bytes that yields no tracked value. */
static void mark_loaded(struct ub_reg *dst, unsigned size, bool sext)
{
	ub_mark_unknown(dst);
	if (sext)
		ub_scalar_sext(&dst->s, size);
	else if (size < 8)
		ub_scalar_range(&dst->s, size == 4 ? UINT32_MAX : (1ull << (size * 8)) - 1);
}

/* The stack access [reg + off, + size) must lie in [-512, 0). Returns lowest/highest bytes. */
static int stack_bounds(struct ub_verifier *v, int regno, const struct ub_reg *reg, int off,
			int size, bool write, int64_t *lo, int64_t *hi)
{
	bool wild = reg->s.smin < -UB_STACK || reg->s.smax > UB_STACK;

	/* A wild variable part is refused before any arithmetic on it (no overflow). */
	*lo = (int64_t)reg->off + off + (wild ? 0 : reg->s.smin);
	*hi = (int64_t)reg->off + off + (wild ? 0 : reg->s.smax) + size;
	if (wild || *lo < -UB_STACK || *hi > 0) {
		if (!ub_scalar_is_const(&reg->s)) {
			char t[64];

			return ub_reject(v, UB_E_STACK_VAR, write ? "write to" : "read from", regno,
					 tnum_s(t, sizeof(t), reg->s.var), off, size);
		}
		return ub_reject(v, UB_E_STACK_BOUNDS, write ? "write to" : "read from", regno,
				 (int)*lo, size);
	}
	return 0;
}

static int check_stack(struct ub_verifier *v, int regno, const struct ub_reg *reg, int off,
		       int size, bool write, const struct ub_reg *val, struct ub_reg *dst, bool sext)
{
	struct ub_frame *f = v->cur->frames[reg->frameno];
	int64_t lo, hi;
	int err;

	err = stack_bounds(v, regno, reg, off, size, write, &lo, &hi);
	if (err)
		return err;
	if (ub_scalar_is_const(&reg->s) && (lo % size)) {
		char t[64];

		return ub_reject(v, UB_E_MISALIGNED, "stack ", tnum_s(t, sizeof(t), reg->s.var),
				 reg->off, off, size);
	}
	if (write) {
		struct ub_slot *s;

		if (val && ub_is_pointer(val) && size != 8)
			return ub_reject(v, UB_E_SPILL_WRITE_SIZE);
		if (!ub_scalar_is_const(&reg->s))
			return stack_write_bytes(v, f, (int)lo, (int)hi, false);
		if (val && val->type == UB_PTR_STACK && reg->frameno != v->cur->curframe)
			return ub_reject(v, UB_E_SPILL_CALLER);
		/* A whole aligned 8-byte store of a register (or constant) is a spill. */
		if (size == 8 && val) {
			s = ub_stack_slot(f, (int)lo, true);
			if (!s)
				return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
			if (s->type[0] == UB_ST_SPILL && v->unpriv && s->spill.type != UB_SCALAR &&
			    val->type == UB_SCALAR)
				return ub_reject(v, UB_E_SPILL_PTR_CORRUPT);
			/* Like a 64-bit copy, a spill links the scalar with its later fills. */
			if (val->type == UB_SCALAR && !val->id && !ub_scalar_is_const(&val->s) &&
			    val >= ub_cur_frame(v)->regs &&
			    val < ub_cur_frame(v)->regs + USERBPF_NREGS)
				((struct ub_reg *)val)->id = ++v->id_gen;
			memset(s->type, UB_ST_SPILL, 8);
			s->spill = *val;
			note_depth(v, f, (int)lo);
			return 0;
		}
		return stack_write_bytes(v, f, (int)lo, (int)hi,
					 val && val->type == UB_SCALAR &&
						 ub_scalar_is_const(&val->s) &&
						 val->s.var.value == 0);
	}
	/* Read. */
	if (ub_scalar_is_const(&reg->s)) {
		const struct ub_slot *s;
		uint8_t t = stack_byte(f, (int)lo, &s);

		if (t == UB_ST_SPILL && s->type[0] == UB_ST_SPILL) {
			if (size == 8) {
				if (dst) {
					*dst = s->spill;
					if (sext)
						ub_scalar_sext(&dst->s, 8);
				}
				return 0;
			}
			if (s->spill.type != UB_SCALAR)
				return ub_reject(v, UB_E_SPILL_SIZE);
			if (dst)
				mark_loaded(dst, (unsigned)size, sext);
			return 0;
		}
	}
	{
		bool all_zero = true;

		for (int64_t o = lo; o < hi; o++) {
			const struct ub_slot *s;
			uint8_t t = stack_byte(f, (int)o, &s);

			if (t == UB_ST_SPILL && s->spill.type != UB_SCALAR)
				return ub_reject(v, UB_E_SPILL_SIZE);
			if (t == UB_ST_INVALID && v->unpriv)
				return ub_reject(v, UB_E_STACK_READ, (int)lo, (int)(o - lo), size);
			if (t != UB_ST_ZERO)
				all_zero = false;
		}
		if (dst) {
			if (all_zero)
				ub_mark_const(dst, 0);
			else
				mark_loaded(dst, (unsigned)size, sext);
		}
	}
	return 0;
}

/* [min, max] offsets into an object of `limit` bytes; reports the failing rule. */
static int region_bounds(struct ub_verifier *v, int regno, const struct ub_reg *reg, int off,
			 int size, int64_t limit, int err_key)
{
	int64_t fixed = (int64_t)reg->off + off;

	if (reg->s.smin < 0 && !ub_scalar_is_const(&reg->s))
		return ub_reject(v, UB_E_MAP_MIN_NEG, regno);
	if (reg->s.umax >= UB_MAX_VAR_OFF)
		return ub_reject(v, UB_E_UNBOUNDED_ACCESS, regno);
	if (fixed + reg->s.smin < 0 || fixed + (int64_t)reg->s.umax + size > limit) {
		int64_t bad = fixed + reg->s.smin < 0 ? fixed + reg->s.smin :
			      fixed + (int64_t)reg->s.umax;

		if (err_key == UB_E_MAP_VALUE_ACCESS)
			return ub_reject(v, err_key, (int)limit, (long long)bad, size);
		return ub_reject(v, err_key, (unsigned)limit, (long long)bad, size);
	}
	return 0;
}

static int check_pkt(struct ub_verifier *v, int regno, const struct ub_reg *reg, int off,
		     int size, bool write)
{
	/*
	 * The range of a packet pointer family (same id) counts from the family's base, which
	 * includes its variable part: only the fixed offset is compared with it.
	 */
	int64_t lo = (int64_t)reg->off + off;
	int64_t hi = (int64_t)reg->off + off + size;

	if (write && v->ptype->ctx_access == UB_CA_REWRITE && v->ptype->num == 1)
		return ub_reject(v, UB_E_PKT_WRITE);
	if (reg->s.smin < 0 || reg->s.umax > UB_MAX_PKT_OFF)
		return ub_reject(v, UB_E_PKT_VAR_OFF, regno);
	if (lo < 0 || hi > reg->range)
		return ub_reject(v, UB_E_PKT_ACCESS, (int)(reg->off + off), size, regno, reg->id,
				 reg->off, reg->range);
	return 0;
}

static int check_ctx(struct ub_verifier *v, int regno, const struct ub_reg *reg, int off,
		     int size, bool write, const struct ub_reg *val, struct ub_reg *dst, bool sext)
{
	const struct ub_prog_type_info *t = v->ptype;
	struct ub_insn_aux *aux = &v->aux[v->insn];

	if (reg->off)
		return ub_reject(v, UB_E_CTX_MODIFIED, regno, reg->off);
	if (!ub_scalar_is_const(&reg->s) || reg->s.var.value) {
		char b[64];

		return ub_reject(v, UB_E_CTX_VAR, tnum_s(b, sizeof(b), reg->s.var));
	}
	if (sext && t->ctx_access != UB_CA_RAW_RW)
		return ub_reject(v, UB_E_MEMSX_CTX);
	if (write && val && ub_is_pointer(val) && (v->unpriv || t->ctx_access != UB_CA_RAW_RW))
		return ub_reject(v, UB_E_LEAK_CTX, (int)(val - ub_cur_frame(v)->regs));
	if (t->ctx_access == UB_CA_RAW_RW) {
		/*
		 * The caller's memory, of a size known only at run time: fixed offsets only; the
		 * largest end is recorded and each run must supply at least that much (prog.c).
		 */
		if (off < 0 || off + size > UB_MAX_CTX_RW)
			return ub_reject(v, UB_E_CTX_ACCESS, off, size);
		if ((uint32_t)(off + size) > v->max_ctx_end)
			v->max_ctx_end = (uint32_t)(off + size);
		if (dst)
			mark_loaded(dst, (unsigned)size, sext);
		return 0;
	}
	if (t->ctx_access == UB_CA_RAW_RO) {
		if (write || off < 0 || off + size > t->ctx_size || off % size)
			return ub_reject(v, UB_E_CTX_ACCESS, off, size);
		if (dst)
			mark_loaded(dst, (unsigned)size, false);
		return 0;
	}
	{
		const struct ub_ctx_field *fld = off >= 0 ? ub_ctx_field_find(t, (uint32_t)off,
									    (uint32_t)size) : NULL;

		if (!fld || (write && !ub_ctx_field_writable(t, fld)) ||
		    (write && size != fld->size) ||
		    (fld->kind != UB_FK_SCALAR && (size != fld->size || off != fld->off)))
			return ub_reject(v, UB_E_CTX_ACCESS, off, size);
		if (aux->field && aux->field != fld)
			return ub_reject(v, UB_E_MIXED_PTR);
		aux->field = fld;
		if (!dst)
			return 0;
		switch (fld->kind) {
		case UB_FK_PKT:
		case UB_FK_PKT_END:
		case UB_FK_PKT_META:
			memset(dst, 0, sizeof(*dst));
			ub_scalar_const(&dst->s, 0);
			dst->type = fld->kind == UB_FK_PKT ? UB_PTR_PKT :
				    fld->kind == UB_FK_PKT_END ? UB_PTR_PKT_END : UB_PTR_PKT_META;
			break;
		default:
			mark_loaded(dst, (unsigned)size, false);
		}
	}
	return 0;
}

/*
 * One access through register `regno`: [reg + off, + size). val: the stored value (NULL for
 * loads); dst: where a load lands (NULL for stores and helper checks).
 */
static int check_mem(struct ub_verifier *v, int regno, int off, int size, bool write,
		     const struct ub_reg *val, struct ub_reg *dst, bool sext, bool atomic)
{
	struct ub_reg *reg = ub_reg(v, regno);
	struct ub_insn_aux *aux = &v->aux[v->insn];
	int err;

	if (reg->flags & UB_RF_NULL || !ub_is_pointer(reg) || reg->type == UB_PTR_PKT_END ||
	    reg->type == UB_CONST_MAP || reg->type == UB_PTR_FUNC)
		return ub_reject(v, UB_E_MEM_ACCESS, regno, ub_rtype_name(reg->type, reg->flags));
	/* Context loads are rewritten per instruction: one instruction, one kind of pointer. */
	if ((dst || val) && aux->ptr_type && aux->ptr_type != reg->type &&
	    (aux->ptr_type == UB_PTR_CTX || reg->type == UB_PTR_CTX))
		return ub_reject(v, UB_E_MIXED_PTR);
	if (dst || val)
		aux->ptr_type = reg->type;
	if (atomic && reg->type != UB_PTR_STACK && reg->type != UB_PTR_MAP_VALUE)
		return ub_reject(v, UB_E_ATOMIC_TYPE, regno, ub_rtype_name(reg->type, reg->flags));
	if (atomic && ((reg->off + off) % size || !ub_tnum_is_aligned(reg->s.var, (uint64_t)size))) {
		char t[64];

		return ub_reject(v, UB_E_MISALIGNED, "", tnum_s(t, sizeof(t), reg->s.var),
				 reg->off, off, size);
	}
	if (write && val && ub_is_pointer(val) && v->unpriv && reg->type != UB_PTR_STACK) {
		int vr = (int)(val - ub_cur_frame(v)->regs);

		return ub_reject(v, reg->type == UB_PTR_MAP_VALUE ? UB_E_PTR_LEAK_MAP :
				 UB_E_PTR_LEAK_MEM, vr >= 0 && vr < USERBPF_NREGS ? vr : 0);
	}
	switch (reg->type) {
	case UB_PTR_STACK:
		return check_stack(v, regno, reg, off, size, write, val, dst, sext);
	case UB_PTR_CTX:
		return check_ctx(v, regno, reg, off, size, write, val, dst, sext);
	case UB_PTR_MAP_VALUE:
		if (!write && (reg->flags & UB_RF_WRONLY))
			return ub_reject(v, UB_E_MAP_WRONLY, (int)reg->mem_size, reg->off + off,
					 size);
		if (write && (reg->flags & UB_RF_RDONLY))
			return ub_reject(v, UB_E_MAP_RDONLY, (int)reg->mem_size, reg->off + off,
					 size);
		err = region_bounds(v, regno, reg, off, size, reg->mem_size,
				    UB_E_MAP_VALUE_ACCESS);
		break;
	case UB_PTR_MEM:
		if (write && (reg->flags & UB_RF_RDONLY))
			return ub_reject(v, UB_E_MEM_RDONLY, regno,
					 ub_rtype_name(reg->type, reg->flags));
		err = region_bounds(v, regno, reg, off, size, reg->mem_size,
				    UB_E_MEM_ACCESS_RANGE);
		break;
	case UB_PTR_PKT:
	case UB_PTR_PKT_META:
		err = check_pkt(v, regno, reg, off, size, write);
		break;
	default:
		return ub_reject(v, UB_E_MEM_ACCESS, regno, ub_rtype_name(reg->type, reg->flags));
	}
	if (!err && dst)
		mark_loaded(dst, (unsigned)size, sext);
	return err;
}

int ub_check_load_store(struct ub_verifier *v, const struct userbpf_insn *in, int id)
{
	unsigned fmt = ub_insn_table[id].fmt, size = ub_isa_mem_size(id);
	struct ub_reg val, out;
	int err;

	switch (fmt) {
	case UB_F_LDX:
	case UB_F_LOAD_ACQ:
		err = ub_check_reg_read(v, in->src_reg);
		if (err)
			return err;
		err = check_mem(v, in->src_reg, in->off, (int)size, false, NULL, &out,
				USERBPF_MODE(in->code) == USERBPF_MEMSX, false);
		if (err)
			return err;
		*ub_reg(v, in->dst_reg) = out;
		return 0;
	case UB_F_ST:
		err = ub_check_reg_read(v, in->dst_reg);
		if (err)
			return err;
		ub_mark_const(&val, size == 8 ? (uint64_t)(int64_t)in->imm :
				    (uint64_t)(uint32_t)in->imm & (size == 4 ? 0xffffffffull :
								   (1ull << (size * 8)) - 1));
		return check_mem(v, in->dst_reg, in->off, (int)size, true, &val, NULL, false,
				 false);
	case UB_F_STX:
	case UB_F_STORE_REL:
		err = ub_check_reg_read(v, in->dst_reg);
		if (!err)
			err = ub_check_reg_read(v, in->src_reg);
		if (err)
			return err;
		return check_mem(v, in->dst_reg, in->off, (int)size, true, ub_reg(v, in->src_reg),
				 NULL, false, false);
	case UB_F_ATOMIC: {
		bool fetch = in->imm & USERBPF_FETCH, cmpxchg = in->imm == USERBPF_CMPXCHG;
		struct ub_reg *src;

		err = ub_check_reg_read(v, in->dst_reg);
		if (!err)
			err = ub_check_reg_read(v, in->src_reg);
		if (!err && cmpxchg)
			err = ub_check_reg_read(v, 0);
		if (err)
			return err;
		src = ub_reg(v, in->src_reg);
		if (v->unpriv && (ub_is_pointer(src) || (cmpxchg && ub_is_pointer(ub_reg(v, 0)))))
			return ub_reject(v, UB_E_PTR_LEAK_MEM, ub_is_pointer(src) ? in->src_reg : 0);
		/* Read then write: the memory must be readable (initialised) and writable. */
		err = check_mem(v, in->dst_reg, in->off, (int)size, false, NULL, &out, false, true);
		if (!err)
			err = check_mem(v, in->dst_reg, in->off, (int)size, true, NULL, NULL, false,
					true);
		if (err)
			return err;
		/* The fetched value is the memory's old value, as a load would have read it. */
		if (fetch)
			*ub_reg(v, cmpxchg ? 0 : in->src_reg) = out;
		return 0;
	}
	}
	return ub_reject(v, UB_E_INSN, ub_insn_table[id].name);
}

int ub_check_lddw(struct ub_verifier *v, const struct userbpf_insn *in, int id)
{
	struct ub_reg *dst = ub_reg(v, in->dst_reg);
	uint32_t idx = (uint32_t)in->imm;
	const struct ub_vmap *m;

	memset(dst, 0, sizeof(*dst));
	ub_scalar_const(&dst->s, 0);
	switch (in->src_reg) {
	case USERBPF_PSEUDO_IMM64:
		ub_mark_const(dst, ub_isa_imm64(in));
		return 0;
	case USERBPF_PSEUDO_FUNC:
		dst->type = UB_PTR_FUNC;
		dst->map = ub_subprog_of(v, v->insn + in->imm + 1);
		return 0;
	case USERBPF_PSEUDO_MAP_FD:
	case USERBPF_PSEUDO_MAP_IDX:
	case USERBPF_PSEUDO_MAP_VALUE:
	case USERBPF_PSEUDO_MAP_IDX_VALUE:
		break;
	default:
		return ub_reject(v, UB_E_LDDW_PSEUDO, in->src_reg);
	}
	if (idx >= v->prog->map_cnt || !v->maps[idx].known)
		return ub_reject(v, UB_E_BAD_MAP, (int)idx);
	m = &v->maps[idx];
	dst->map = (int32_t)idx;
	if (in->src_reg == USERBPF_PSEUDO_MAP_FD || in->src_reg == USERBPF_PSEUDO_MAP_IDX) {
		dst->type = UB_CONST_MAP;
		return 0;
	}
	/* Direct value address: arrays only (the value of key 0). */
	if (m->type != USERBPF_MAP_TYPE_ARRAY)
		return ub_reject(v, UB_E_MAP_TYPE, (int)m->type, "ldimm64 map_value", 0);
	if ((uint32_t)in[1].imm >= m->value_size)
		return ub_reject(v, UB_E_MAP_VALUE_OFF, m->value_size, (uint32_t)in[1].imm);
	dst->type = UB_PTR_MAP_VALUE;
	dst->off = in[1].imm;
	dst->mem_size = m->value_size;
	if (m->flags & USERBPF_F_RDONLY_PROG)
		dst->flags |= UB_RF_RDONLY;
	if (m->flags & USERBPF_F_WRONLY_PROG)
		dst->flags |= UB_RF_WRONLY;
	return 0;
}

int ub_check_ld_abs(struct ub_verifier *v, const struct userbpf_insn *in, int id)
{
	struct ub_frame *f = ub_cur_frame(v);
	unsigned size = ub_isa_mem_size(id);
	int err;

	if (!ub_ctx_is_skb(v->ptype->ctx))
		return ub_reject(v, UB_E_LD_ABS_TYPE);
	/* An out-of-range legacy load ends the whole program: only from the main function. */
	if (v->cur->curframe)
		return ub_reject(v, UB_E_LD_ABS_SUBPROG);
	if (f->regs[6].type != UB_PTR_CTX || f->regs[6].off)
		return ub_reject(v, UB_E_LD_ABS_CTX);
	if (v->cur->nrefs)
		return ub_reject(v, UB_E_LD_ABS_REFS);
	if (ub_insn_table[id].fmt == UB_F_LDIND) {
		err = ub_check_reg_read(v, in->src_reg);
		if (err)
			return err;
		if (ub_is_pointer(&f->regs[in->src_reg]))
			return ub_reject(v, UB_E_ARG_TYPE, in->src_reg,
					 ub_rtype_name(f->regs[in->src_reg].type, 0), "scalar");
	}
	/* Like a helper call: r1-r5 are clobbered, r0 gets the (host-order) value. */
	for (int r = 1; r <= 5; r++)
		ub_mark_not_init(&f->regs[r]);
	mark_loaded(&f->regs[0], size, false);
	if (ub_is_pkt(&f->regs[0]))
		return ub_reject_err(v, -EFAULT, UB_E_INTERNAL, "ld_abs");
	(void)id;
	return 0;
}

/* Memory a helper reads or writes: [reg, reg + size). */
int ub_check_helper_mem(struct ub_verifier *v, int regno, const struct ub_reg *size_reg,
			uint64_t size, bool write, bool zero_ok, bool uninit_ok)
{
	struct ub_reg *reg = ub_reg(v, regno);
	int64_t lo, hi;
	int err;

	if (size_reg) {
		if (size_reg->s.smin < 0)
			return ub_reject(v, UB_E_SIZE_NEG, regno + 1);
		if (size_reg->s.umax >= UB_MAX_VAR_OFF)
			return ub_reject(v, UB_E_SIZE_UNBOUNDED, regno + 1);
		if (size_reg->s.umin == 0 && !zero_ok)
			return ub_reject(v, UB_E_SIZE_ZERO, regno + 1);
		size = size_reg->s.umax;
	}
	if (size == 0)
		return 0;
	if (reg->type == UB_PTR_CTX)
		return ub_reject(v, UB_E_ARG_TYPE, regno, "ctx", "mem");
	if (reg->type != UB_PTR_STACK)
		return check_mem(v, regno, 0, (int)size, write, NULL, NULL, false, false);
	/* Stack: bounds, then initialisation unless the helper only writes. */
	{
		struct ub_frame *f = v->cur->frames[reg->frameno];

		err = stack_bounds(v, regno, reg, 0, (int)size, write, &lo, &hi);
		if (err)
			return err;
		if (!ub_scalar_is_const(&reg->s) && v->unpriv)
			return ub_reject(v, UB_E_STACK_VAR_UNPRIV, regno);
		if (!uninit_ok) {
			/* Variable offsets: every byte any offset could cover must be set. */
			for (int64_t o = lo; o < hi; o++) {
				const struct ub_slot *s;
				uint8_t t = stack_byte(f, (int)o, &s);

				if (t == UB_ST_INVALID && v->unpriv)
					return ub_reject(v, UB_E_STACK_INDIRECT, regno, (int)lo,
							 (int)(o - lo), (int)size);
				if (t == UB_ST_SPILL && s->spill.type != UB_SCALAR && v->unpriv)
					return ub_reject(v, UB_E_PTR_LEAK_HELPER, regno);
			}
		}
		if (write)
			return stack_write_bytes(v, f, (int)lo, (int)hi, false);
		note_depth(v, f, (int)lo);
	}
	return 0;
}
