/* SPDX-License-Identifier: Apache-2.0 */
/*
 * calls.c: helper calls (arguments checked against the prototype in helpers.def, program-type
 * allowlists, GPL-only and privilege gating, map compatibility, return types, callbacks),
 * calls between BPF functions (frames, argument passing, caller-saved clobbering) and exit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/vstate.h"

/* What the arguments of one helper call told us. */
struct call_meta {
	int map;            /* index of the map argument, -1 */
	int mem_regno;      /* the pending memory argument (before its size), 0 none */
	unsigned mem_kind;
	bool mem_null;      /* it is NULL (OR_NULL kinds) */
	uint64_t alloc_size;
	uint32_t release_ref;
	int cb_subprog;     /* PTR_TO_FUNC argument, -1 */
	struct ub_reg cb_ctx; /* the callback's context argument */
};

static const char *hname(const struct ub_helper_proto *p, char *buf, size_t n)
{
	snprintf(buf, n, "bpf_%s", p->name);
	return buf;
}

/* Linux's check_map_func_compatibility, both directions, for the helpers userbpf has. */
static int map_compat(struct ub_verifier *v, const struct ub_helper_proto *p, int map)
{
	uint32_t t;
	bool ok = true;
	char b[64];

	if (map < 0)
		return 0;
	t = v->maps[map].type;
	switch (p->id) {
	case 1: case 2: case 3: /* lookup, update, delete */
		ok = t != USERBPF_MAP_TYPE_RINGBUF && t != USERBPF_MAP_TYPE_PROG_ARRAY &&
		     t != USERBPF_MAP_TYPE_QUEUE && t != USERBPF_MAP_TYPE_STACK &&
		     t != USERBPF_MAP_TYPE_PERF_EVENT_ARRAY && t != USERBPF_MAP_TYPE_BLOOM_FILTER &&
		     (p->id == 1 || v->maps[map].inner < 0);
		break;
	case 12:
		ok = t == USERBPF_MAP_TYPE_PROG_ARRAY;
		break;
	case 25:
		ok = t == USERBPF_MAP_TYPE_PERF_EVENT_ARRAY;
		break;
	case 87: /* push */
		ok = t == USERBPF_MAP_TYPE_QUEUE || t == USERBPF_MAP_TYPE_STACK ||
		     t == USERBPF_MAP_TYPE_BLOOM_FILTER;
		break;
	case 88: case 89: /* pop, peek */
		ok = t == USERBPF_MAP_TYPE_QUEUE || t == USERBPF_MAP_TYPE_STACK ||
		     (p->id == 89 && t == USERBPF_MAP_TYPE_BLOOM_FILTER);
		break;
	case 130: case 131: case 134:
		ok = t == USERBPF_MAP_TYPE_RINGBUF;
		break;
	case 164:
		ok = t == USERBPF_MAP_TYPE_HASH || t == USERBPF_MAP_TYPE_ARRAY ||
		     t == USERBPF_MAP_TYPE_PERCPU_HASH || t == USERBPF_MAP_TYPE_PERCPU_ARRAY ||
		     t == USERBPF_MAP_TYPE_LRU_HASH || t == USERBPF_MAP_TYPE_LRU_PERCPU_HASH;
		break;
	}
	/* Maps that only work through their own helpers. */
	if (ok && (t == USERBPF_MAP_TYPE_RINGBUF || t == USERBPF_MAP_TYPE_PROG_ARRAY ||
		   t == USERBPF_MAP_TYPE_QUEUE || t == USERBPF_MAP_TYPE_STACK ||
		   t == USERBPF_MAP_TYPE_PERF_EVENT_ARRAY)) {
		static const uint32_t ring[] = { 130, 131, 134 }, stackq[] = { 87, 88, 89 };
		bool found = false;

		if (t == USERBPF_MAP_TYPE_RINGBUF)
			for (size_t i = 0; i < 3; i++)
				found |= p->id == ring[i];
		else if (t == USERBPF_MAP_TYPE_QUEUE || t == USERBPF_MAP_TYPE_STACK)
			for (size_t i = 0; i < 3; i++)
				found |= p->id == stackq[i];
		else
			found = p->id == (t == USERBPF_MAP_TYPE_PROG_ARRAY ? 12u : 25u);
		ok = found;
	}
	if (!ok)
		return ub_reject(v, UB_E_MAP_TYPE, (int)t, hname(p, b, sizeof(b)), (int)p->id);
	return 0;
}

static bool is_null_const(const struct ub_reg *r)
{
	return r->type == UB_SCALAR && ub_scalar_is_const(&r->s) && r->s.var.value == 0;
}

static int arg_type_err(struct ub_verifier *v, int regno, const char *expected)
{
	struct ub_reg *r = ub_reg(v, regno);

	return ub_reject(v, UB_E_ARG_TYPE, regno, ub_rtype_name(r->type, r->flags), expected);
}

static int check_arg(struct ub_verifier *v, const struct ub_helper_proto *p, int regno,
		     unsigned kind, struct call_meta *m)
{
	struct ub_reg *r = ub_reg(v, regno);
	int err = ub_check_reg_read(v, regno);

	if (err)
		return err;
	switch (kind) {
	case UB_ARG_ANYTHING:
		if (v->unpriv && ub_is_pointer(r))
			return ub_reject(v, UB_E_PTR_LEAK_HELPER, regno);
		return 0;
	case UB_ARG_CONST_MAP_PTR:
		if (r->type != UB_CONST_MAP || (r->flags & UB_RF_NULL))
			return arg_type_err(v, regno, "map_ptr");
		m->map = r->map;
		return map_compat(v, p, m->map);
	case UB_ARG_PTR_TO_MAP_KEY:
	case UB_ARG_PTR_TO_MAP_VALUE:
	case UB_ARG_PTR_TO_UNINIT_MAP_VALUE: {
		const struct ub_vmap *mp;

		if (m->map < 0)
			return ub_reject(v, UB_E_NO_MAP, regno);
		mp = &v->maps[m->map];
		if (r->type != UB_PTR_STACK && r->type != UB_PTR_MAP_VALUE &&
		    r->type != UB_PTR_PKT && r->type != UB_PTR_MEM)
			return arg_type_err(v, regno, "fp");
		if (r->flags & UB_RF_NULL)
			return ub_reject(v, UB_E_ARG_NULL, regno);
		return ub_check_helper_mem(v, regno, NULL,
					   kind == UB_ARG_PTR_TO_MAP_KEY ? mp->key_size :
									   mp->value_size,
					   kind == UB_ARG_PTR_TO_UNINIT_MAP_VALUE, false,
					   kind == UB_ARG_PTR_TO_UNINIT_MAP_VALUE);
	}
	case UB_ARG_PTR_TO_MEM:
	case UB_ARG_PTR_TO_MEM_OR_NULL:
	case UB_ARG_PTR_TO_RDWR_MEM_OR_NULL:
	case UB_ARG_PTR_TO_UNINIT_MEM:
		m->mem_regno = regno;
		m->mem_kind = kind;
		m->mem_null = false;
		if ((kind == UB_ARG_PTR_TO_MEM_OR_NULL || kind == UB_ARG_PTR_TO_RDWR_MEM_OR_NULL) &&
		    is_null_const(r)) {
			m->mem_null = true;
			return 0;
		}
		if (r->type != UB_PTR_STACK && r->type != UB_PTR_MAP_VALUE &&
		    r->type != UB_PTR_PKT && r->type != UB_PTR_PKT_META && r->type != UB_PTR_MEM)
			return arg_type_err(v, regno, "fp");
		if (r->flags & UB_RF_NULL)
			return ub_reject(v, UB_E_ARG_NULL, regno);
		return 0;
	case UB_ARG_CONST_SIZE:
	case UB_ARG_CONST_SIZE_OR_ZERO: {
		bool write = m->mem_kind == UB_ARG_PTR_TO_UNINIT_MEM ||
			     m->mem_kind == UB_ARG_PTR_TO_RDWR_MEM_OR_NULL;

		if (r->type != UB_SCALAR)
			return arg_type_err(v, regno, "scalar");
		if (!m->mem_regno)
			return ub_reject_err(v, -EFAULT, UB_E_INTERNAL, "size without memory");
		if (m->mem_null) {
			if (!ub_scalar_is_const(&r->s) || r->s.var.value)
				return ub_reject(v, UB_E_ARG_NULL, m->mem_regno);
			return 0;
		}
		return ub_check_helper_mem(v, m->mem_regno, r, 0, write,
					   kind == UB_ARG_CONST_SIZE_OR_ZERO,
					   m->mem_kind == UB_ARG_PTR_TO_UNINIT_MEM);
	}
	case UB_ARG_CONST_ALLOC_SIZE_OR_ZERO:
		if (r->type != UB_SCALAR || !ub_scalar_is_const(&r->s))
			return ub_reject(v, UB_E_NOT_CONST, regno);
		m->alloc_size = r->s.var.value;
		if (m->alloc_size >= UB_MAX_VAR_OFF)
			return ub_reject(v, UB_E_SIZE_UNBOUNDED, regno);
		return 0;
	case UB_ARG_PTR_TO_CTX:
		if (r->type != UB_PTR_CTX)
			return arg_type_err(v, regno, "ctx");
		if (r->off || !ub_scalar_is_const(&r->s) || r->s.var.value)
			return ub_reject(v, UB_E_CTX_MODIFIED, regno, r->off);
		return 0;
	case UB_ARG_PTR_TO_FUNC:
		if (r->type != UB_PTR_FUNC)
			return arg_type_err(v, regno, "func");
		m->cb_subprog = r->map;
		return 0;
	case UB_ARG_PTR_TO_STACK_OR_NULL:
		if (!is_null_const(r) && r->type != UB_PTR_STACK)
			return arg_type_err(v, regno, "fp");
		m->cb_ctx = *r;
		return 0;
	case UB_ARG_PTR_TO_CONST_STR:
		return ub_reject(v, UB_E_CONST_STR, regno);
	case UB_ARG_PTR_TO_LONG:
		if ((r->type != UB_PTR_STACK && r->type != UB_PTR_MAP_VALUE) ||
		    (r->flags & UB_RF_NULL))
			return arg_type_err(v, regno, "fp");
		if ((r->off % 8) || !ub_tnum_is_aligned(r->s.var, 8)) {
			char t[64];

			ub_tnum_str(t, sizeof(t), r->s.var);
			return ub_reject(v, UB_E_MISALIGNED, "", t, r->off, 0, 8);
		}
		return ub_check_helper_mem(v, regno, NULL, 8, true, false, true);
	case UB_ARG_PTR_TO_RINGBUF_MEM:
		if (r->type != UB_PTR_MEM || !r->ref_obj_id || (r->flags & UB_RF_NULL))
			return ub_reject(v, UB_E_RELEASE_UNREF, regno);
		if (r->off || !ub_scalar_is_const(&r->s) || r->s.var.value)
			return ub_reject(v, UB_E_RELEASE_OFF, regno);
		m->release_ref = r->ref_obj_id;
		return 0;
	}
	return ub_reject_err(v, -EFAULT, UB_E_INTERNAL, "unknown argument kind");
}

/* Helpers that change packet data leave every packet pointer stale. */
static void clear_pkt_pointers(struct ub_verifier *v)
{
	UB_FOR_EACH_REG(v->cur, r, {
		if (ub_is_pkt(r) || r->type == UB_PTR_PKT_END) {
			if (v->unpriv)
				ub_mark_not_init(r);
			else
				ub_mark_unknown(r);
		}
	});
}

static void clobber_caller_saved(struct ub_frame *f)
{
	for (int r = 1; r <= 5; r++)
		ub_mark_not_init(&f->regs[r]);
}

static int set_ret(struct ub_verifier *v, struct ub_frame *f, const struct ub_helper_proto *p,
		   const struct call_meta *m)
{
	struct ub_reg *r0 = &f->regs[0];
	int err;

	switch (p->ret) {
	case UB_RET_VOID:
		ub_mark_not_init(r0);
		return 0;
	case UB_RET_PTR_TO_MAP_VALUE_OR_NULL:
		if (m->map < 0)
			return ub_reject_err(v, -EFAULT, UB_E_INTERNAL, "map value without map");
		memset(r0, 0, sizeof(*r0));
		ub_scalar_const(&r0->s, 0);
		/* Map-in-map: the value is an inner map, shaped like the template. */
		if (v->maps[m->map].inner >= 0) {
			r0->type = UB_CONST_MAP;
			r0->flags = UB_RF_NULL;
			r0->map = v->maps[m->map].inner;
			r0->id = ++v->id_gen;
			return 0;
		}
		r0->type = UB_PTR_MAP_VALUE;
		r0->flags = UB_RF_NULL;
		if (v->maps[m->map].flags & USERBPF_F_RDONLY_PROG)
			r0->flags |= UB_RF_RDONLY;
		if (v->maps[m->map].flags & USERBPF_F_WRONLY_PROG)
			r0->flags |= UB_RF_WRONLY;
		r0->map = m->map;
		r0->mem_size = v->maps[m->map].value_size;
		r0->id = ++v->id_gen;
		return 0;
	case UB_RET_PTR_TO_RINGBUF_MEM_OR_NULL:
		memset(r0, 0, sizeof(*r0));
		ub_scalar_const(&r0->s, 0);
		r0->type = UB_PTR_MEM;
		r0->flags = UB_RF_NULL;
		r0->mem_size = (uint32_t)m->alloc_size;
		r0->id = ++v->id_gen;
		err = ub_ref_acquire(v, v->insn, &r0->ref_obj_id);
		return err;
	default:
		ub_mark_unknown(r0);
		return 0;
	}
}

/* Enter callback `m->cb_subprog` of helper `p` in a new frame (bpf_loop, for_each_map_elem). */
static int enter_callback(struct ub_verifier *v, const struct ub_helper_proto *p,
			  const struct call_meta *m, int *next)
{
	struct ub_vstate *st = v->cur;
	struct ub_frame *f;
	int fi = st->curframe + 1;

	if (m->cb_subprog < 0)
		return ub_reject(v, UB_E_CALLBACK, "callback helper without a function argument");
	if (fi >= UB_MAX_FRAMES)
		return ub_reject(v, UB_E_CALL_DEPTH, fi + 1);
	f = ub_frame_new();
	if (!f)
		return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
	for (int i = 0; i < USERBPF_NREGS; i++)
		ub_mark_not_init(&f->regs[i]);
	f->regs[10].type = UB_PTR_STACK;
	ub_scalar_const(&f->regs[10].s, 0);
	f->regs[10].frameno = (uint8_t)fi;
	if (p->id == 181) { /* long (*cb)(u64 index, void *ctx) */
		ub_mark_unknown(&f->regs[1]);
		ub_scalar_range(&f->regs[1].s, UINT32_MAX);
		f->regs[2] = m->cb_ctx;
	} else { /* for_each_map_elem: long (*cb)(map, key, value, ctx) */
		const struct ub_vmap *mp = &v->maps[m->map];

		f->regs[1].type = UB_CONST_MAP;
		f->regs[1].map = m->map;
		ub_scalar_const(&f->regs[1].s, 0);
		f->regs[2].type = UB_PTR_MEM;
		f->regs[2].flags = UB_RF_RDONLY;
		f->regs[2].mem_size = mp->key_size;
		ub_scalar_const(&f->regs[2].s, 0);
		f->regs[3].type = UB_PTR_MAP_VALUE;
		f->regs[3].map = m->map;
		f->regs[3].mem_size = mp->value_size;
		ub_scalar_const(&f->regs[3].s, 0);
		f->regs[4] = m->cb_ctx;
	}
	f->callsite = v->insn;
	f->cb_callsite = v->insn;
	f->in_callback = true;
	f->subprog = m->cb_subprog;
	f->nslots = 0;
	st->frames[fi] = f;
	st->curframe = fi;
	v->subprogs[m->cb_subprog].is_callback = true;
	/* The call instruction is re-entered after each callback run: a checkpoint. */
	v->aux[v->insn].prune = 1;
	*next = v->subprogs[m->cb_subprog].start;
	/* Record the references held at entry, to find leaks at the callback's exit. */
	f->cb_nrefs = st->nrefs;
	return 0;
}

static int check_helper(struct ub_verifier *v, const struct userbpf_insn *in, int *next)
{
	const struct ub_helper_proto *p = ub_helper_proto((uint32_t)in->imm);
	struct call_meta m;
	struct ub_frame *f;
	char b[64];
	int err;

	if (!p || in->imm < 0)
		return ub_reject(v, UB_E_UNKNOWN_FUNC, in->imm);
	if (!ub_prog_type_allows(v->ptype, p))
		return ub_reject(v, UB_E_FUNC_PROG_TYPE, hname(p, b, sizeof(b)), in->imm);
	if ((p->flags & UB_HF_GPL) && !v->gpl)
		return ub_reject(v, UB_E_GPL_ONLY);
	if ((p->flags & UB_HF_PERFMON) && v->unpriv)
		return ub_reject(v, UB_E_FUNC_UNPRIV, hname(p, b, sizeof(b)), in->imm);
	memset(&m, 0, sizeof(m));
	m.map = -1;
	m.cb_subprog = -1;
	ub_mark_const(&m.cb_ctx, 0);
	for (int i = 0; i < 5 && p->args[i] != UB_ARG_NONE; i++) {
		bool tail = true;

		/*
		 * A trailing run of "anything" arguments is variadic in C (bpf_printk passes
		 * only what its format uses): Linux does not require those registers set.
		 */
		for (int k = i; k < 5 && p->args[k] != UB_ARG_NONE; k++)
			tail &= p->args[k] == UB_ARG_ANYTHING;
		if (tail && ub_reg(v, i + 1)->type == UB_NOT_INIT)
			continue;
		err = check_arg(v, p, i + 1, p->args[i], &m);
		if (err)
			return err;
	}
	/* A tail call that succeeds never comes back: nothing may be held across it. */
	if ((p->flags & UB_HF_TAIL_CALL) && v->cur->nrefs)
		return ub_reject(v, UB_E_TAIL_CALL_REFS);
	if (m.release_ref) {
		err = ub_ref_release(v, m.release_ref);
		if (err)
			return err;
	}
	if (p->flags & UB_HF_PKT_CHANGE)
		clear_pkt_pointers(v);
	if (p->flags & UB_HF_CALLBACK) {
		/*
		 * The callback runs zero or more times: the path after the call is pushed now
		 * (as after the last run), and this path runs the callback once more.
		 */
		struct ub_frame *pf;

		err = ub_push_branch(v, v->insn + 1, v->insn);
		if (err)
			return err;
		pf = v->stack[v->nstack - 1].st.frames[v->cur->curframe];
		clobber_caller_saved(pf);
		ub_mark_unknown(&pf->regs[0]);
		return enter_callback(v, p, &m, next);
	}
	f = ub_cur_frame(v);
	clobber_caller_saved(f);
	return set_ret(v, f, p, &m);
}

static int check_local_call(struct ub_verifier *v, const struct userbpf_insn *in, int *next)
{
	struct ub_vstate *st = v->cur;
	int target = v->insn + in->imm + 1, fi = st->curframe + 1;
	struct ub_frame *caller = ub_cur_frame(v), *f;

	if (fi >= UB_MAX_FRAMES)
		return ub_reject(v, UB_E_CALL_DEPTH, fi + 1);
	f = ub_frame_new();
	if (!f)
		return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
	for (int i = 0; i < USERBPF_NREGS; i++)
		ub_mark_not_init(&f->regs[i]);
	/* Arguments pass in r1-r5 (whatever the callee reads must have been set). */
	for (int i = 1; i <= 5; i++)
		f->regs[i] = caller->regs[i];
	f->regs[10].type = UB_PTR_STACK;
	ub_scalar_const(&f->regs[10].s, 0);
	f->regs[10].frameno = (uint8_t)fi;
	f->callsite = v->insn;
	f->subprog = ub_subprog_of(v, target);
	st->frames[fi] = f;
	st->curframe = fi;
	clobber_caller_saved(caller);
	*next = target;
	return 0;
}

int ub_check_call(struct ub_verifier *v, const struct userbpf_insn *in, int id, int *next)
{
	switch (id) {
	case UB_I_CALL_HELPER:
		return check_helper(v, in, next);
	case UB_I_CALL_LOCAL:
		return check_local_call(v, in, next);
	case UB_I_CALL_KFUNC:
		return ub_reject(v, UB_E_KFUNC);
	default:
		return ub_reject(v, UB_E_CALLX);
	}
}

/* Pointers into a frame that is going away must not outlive it. */
static void kill_frame_pointers(struct ub_vstate *st, int frameno)
{
	UB_FOR_EACH_REG(st, r, {
		if (r->type == UB_PTR_STACK && r->frameno >= frameno)
			ub_mark_not_init(r);
	});
}

int ub_check_exit(struct ub_verifier *v, int *next, bool *done)
{
	struct ub_vstate *st = v->cur;
	struct ub_frame *f = ub_cur_frame(v);
	struct ub_reg *r0 = &f->regs[0];
	char s[320];
	int err;

	/* A BPF function may return nothing (void): its caller then cannot read r0. */
	if (st->curframe > 0 && !f->in_callback) {
		struct ub_frame *caller = st->frames[st->curframe - 1];

		if (r0->type == UB_PTR_STACK && r0->frameno == st->curframe)
			return ub_reject(v, UB_E_RET_STACK);
		caller->regs[0] = *r0;
		*next = f->callsite + 1;
		goto pop_frame;
	}
	err = ub_check_reg_read(v, 0);
	if (err)
		return err;
	if (st->curframe > 0) {
		struct ub_frame *caller = st->frames[st->curframe - 1];

		(void)caller;
		if (r0->type != UB_SCALAR || r0->s.smin < 0 || r0->s.smax > 1) {
			ub_scalar_str(s, sizeof(s), &r0->s);
			return ub_reject(v, UB_E_RET_CB_RANGE,
					 r0->type == UB_SCALAR ? s :
					 ub_rtype_name(r0->type, r0->flags));
		}
		if (st->nrefs > f->cb_nrefs)
			return ub_reject(v, UB_E_CB_REFS, st->refs[st->nrefs - 1].id);
		*next = f->cb_callsite;
pop_frame:
		st->frames[st->curframe] = NULL;
		free(f->slots);
		free(f);
		st->curframe--;
		kill_frame_pointers(st, st->curframe + 1);
		return 0;
	}
	err = ub_refs_check_exit(v);
	if (err)
		return err;
	if (v->ptype->ret_min <= v->ptype->ret_max) {
		if (r0->type != UB_SCALAR)
			return ub_reject(v, UB_E_RET_NOT_SCALAR, ub_rtype_name(r0->type, r0->flags));
		if (r0->s.smin < v->ptype->ret_min || r0->s.smax > v->ptype->ret_max) {
			/* Linux's wording: "has smin=2 smax=2", or the constant. */
			if (ub_scalar_is_const(&r0->s))
				snprintf(s, sizeof(s), "%lld", (long long)r0->s.smin);
			else
				snprintf(s, sizeof(s), "smin=%lld smax=%lld", (long long)r0->s.smin,
					 (long long)r0->s.smax);
			return ub_reject(v, UB_E_RET_RANGE, s, (long long)v->ptype->ret_min,
					 (long long)v->ptype->ret_max);
		}
	}
	if (v->unpriv && ub_is_pointer(r0))
		return ub_reject(v, UB_E_PTR_LEAK_RET, 0);
	*done = true;
	return 0;
}
