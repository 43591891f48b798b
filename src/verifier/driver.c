/* SPDX-License-Identifier: Apache-2.0 */
/*
 * driver.c: the verifier's entry point and main loop: set up the first state from the program
 * type, walk every path instruction by instruction (depth first, pending branches on a stack),
 * prune at checkpoints, then check whole-program limits and apply the rewrites.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maps/map.h"
#include "verifier/vstate.h"

void ub_mark_not_init(struct ub_reg *r)
{
	memset(r, 0, sizeof(*r));
	ub_scalar_const(&r->s, 0);
	r->type = UB_NOT_INIT;
}

void ub_mark_unknown(struct ub_reg *r)
{
	memset(r, 0, sizeof(*r));
	ub_scalar_unknown(&r->s);
	r->type = UB_SCALAR;
}

void ub_mark_const(struct ub_reg *r, uint64_t val)
{
	memset(r, 0, sizeof(*r));
	ub_scalar_const(&r->s, val);
	r->type = UB_SCALAR;
}

static void mark_ptr(struct ub_reg *r, unsigned type)
{
	memset(r, 0, sizeof(*r));
	ub_scalar_const(&r->s, 0);
	r->type = (uint8_t)type;
}

static int init_state(struct ub_verifier *v)
{
	struct ub_frame *f;

	v->cur = ub_state_new(v);
	if (!v->cur)
		return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
	f = v->cur->frames[0];
	for (int i = 0; i < USERBPF_NREGS; i++)
		ub_mark_not_init(&f->regs[i]);
	mark_ptr(&f->regs[10], UB_PTR_STACK);
	switch (v->ptype->ctx_access) {
	case UB_CA_REWRITE:
	case UB_CA_RAW_RO:
	case UB_CA_RAW_RW:
		mark_ptr(&f->regs[1], UB_PTR_CTX);
		break;
	default:
		/*
		 * Raw memory (r1 = mem, r2 = len): r1 is a packet whose length is r2. Bounds
		 * learned on r2 (or its copies, id UB_LEN_ID) become r1's readable range.
		 */
		mark_ptr(&f->regs[1], UB_PTR_PKT);
		ub_mark_unknown(&f->regs[2]);
		f->regs[2].id = UB_LEN_ID;
		break;
	}
	v->id_gen = UB_LEN_ID + 1;
	return 0;
}

int ub_push_branch(struct ub_verifier *v, int insn, int prev)
{
	struct ub_branch *b;

	if (v->nstack >= UB_MAX_BRANCHES)
		return ub_reject_err(v, -E2BIG, UB_E_TOO_COMPLEX, v->nstack);
	if (v->nstack == v->capstack) {
		int cap = v->capstack ? v->capstack * 2 : 64;
		struct ub_branch *s = realloc(v->stack, (size_t)cap * sizeof(*s));

		if (!s)
			return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
		memset(s + v->capstack, 0, (size_t)(cap - v->capstack) * sizeof(*s));
		v->stack = s;
		v->capstack = cap;
	}
	b = &v->stack[v->nstack];
	if (ub_state_copy(&b->st, v->cur))
		return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
	b->insn = insn;
	b->prev_insn = prev;
	b->log_pos = v->log.len;
	v->nstack++;
	if (v->cur->parent)
		v->cur->parent->branches++;
	return 0;
}

/* Take the next pending branch; 0 when there is none left. */
static int pop_branch(struct ub_verifier *v)
{
	struct ub_branch *b;

	if (!v->nstack)
		return 0;
	b = &v->stack[--v->nstack];
	if (ub_state_copy(v->cur, &b->st))
		return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
	v->insn = b->insn;
	v->prev_insn = b->prev_insn;
	/* Level 1 keeps only the path that failed: drop the text of finished paths. */
	if (v->log.level == 1 && b->log_pos < v->log.len) {
		v->log.len = b->log_pos;
		if (v->log.buf && v->log.len < v->log.size)
			v->log.buf[v->log.len] = '\0';
	}
	return 1;
}

static int do_check(struct ub_verifier *v)
{
	bool state_shown = false;
	int err;

	for (;;) {
		int i = v->insn, next = i + 1, id, r;
		const struct userbpf_insn *in;
		bool done = false;

		if (i < 0 || i >= v->cnt)
			return ub_reject_err(v, -EFAULT, UB_E_INTERNAL, "insn index out of range");
		in = &v->insns[i];
		id = v->aux[i].id;
		if (++v->processed > UB_MAX_PROCESSED)
			return ub_reject_err(v, -E2BIG, UB_E_TOO_LARGE, (unsigned)v->processed - 1);
		if (v->aux[i].prune) {
			r = ub_prune(v, i);
			if (r < 0)
				return r;
			if (r == 1) {
				if (v->log.level >= 2)
					ub_vlog_printf(v, "from %d to %d: safe\n", v->prev_insn, i);
				done = true;
				goto path_end;
			}
		}
		if (v->log.level >= 2 && !state_shown)
			ub_vlog_state(v, v->cur);
		state_shown = false;
		ub_vlog_insn(v, i);
		ub_record_state(v, i);
		switch (ub_insn_table[id].fmt) {
		case UB_F_ALU_K:
		case UB_F_ALU_X:
		case UB_F_NEG:
		case UB_F_MOVSX:
		case UB_F_END:
			err = ub_check_alu(v, in, id);
			break;
		case UB_F_LDX:
		case UB_F_ST:
		case UB_F_STX:
		case UB_F_ATOMIC:
		case UB_F_LOAD_ACQ:
		case UB_F_STORE_REL:
			err = ub_check_load_store(v, in, id);
			break;
		case UB_F_LDDW:
			err = ub_check_lddw(v, in, id);
			next = i + 2;
			break;
		case UB_F_LDABS:
		case UB_F_LDIND:
			err = ub_check_ld_abs(v, in, id);
			break;
		case UB_F_JA:
			next = i + in->off + 1;
			err = 0;
			break;
		case UB_F_JA32:
			next = i + in->imm + 1;
			err = 0;
			break;
		case UB_F_JMP_K:
		case UB_F_JMP_X:
		case UB_F_MAY_GOTO:
			err = ub_check_cond_jmp(v, in, &next);
			if (next < 0) { /* the path is infeasible past here */
				done = true;
				goto path_end;
			}
			break;
		case UB_F_CALL:
		case UB_F_CALL_LOCAL:
		case UB_F_CALL_KFUNC:
		case UB_F_CALLX:
			err = ub_check_call(v, in, id, &next);
			break;
		case UB_F_EXIT:
			err = ub_check_exit(v, &next, &done);
			break;
		default:
			err = ub_reject(v, UB_E_INSN, ub_insn_table[id].name);
			break;
		}
		if (err)
			return err;
path_end:
		if (!done) {
			v->prev_insn = i;
			v->insn = next;
			continue;
		}
		ub_update_branches(v, v->cur->parent);
		r = pop_branch(v);
		if (r <= 0)
			return r;
		if (v->log.level >= 2) {
			ub_vlog_printf(v, "from %d to %d:", v->prev_insn, v->insn);
			ub_vlog_state(v, v->cur);
			state_shown = true;
		}
	}
}

/* Back to the entry state with nothing explored, for another walk. */
static int reset_walk(struct ub_verifier *v, size_t log_pos)
{
	for (int i = 0; i < v->nstack; i++)
		ub_state_free_frames(&v->stack[i].st);
	v->nstack = 0;
	ub_explored_free(v);
	v->explored = calloc((size_t)v->cnt + 1, sizeof(*v->explored));
	if (v->cur) {
		ub_state_free_frames(v->cur);
		free(v->cur);
		v->cur = NULL;
	}
	if (!v->explored)
		return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
	v->processed = v->total_states = v->peak_states = v->cur_states = 0;
	v->max_states_per_insn = v->stored_states = 0;
	if (v->log.len > log_pos) {
		v->log.len = log_pos;
		if (v->log.buf && log_pos < v->log.size)
			v->log.buf[log_pos] = '\0';
	}
	return init_state(v);
}

/*
 * Walk until the relevance the pruning relied on is confirmed: a walk that finds a branch
 * decided by values it had treated as irrelevant is redone with that branch counted (a few
 * rounds at most; then every branch counts, which is always sound).
 */
static int walk(struct ub_verifier *v)
{
	size_t log_pos = v->log.len;
	int err;

	for (int round = 0;; round++) {
		v->rerun = false;
		v->insn = 0;
		v->prev_insn = -1;
		err = do_check(v);
		if (err || !v->rerun)
			return err;
		if (round == 6)
			for (int i = 0; i < v->cnt; i++)
				v->aux[i].decided = 1;
		ub_compute_relevance(v);
		err = reset_walk(v, log_pos);
		if (err)
			return err;
	}
}

/* Deepest combined stack over every call chain (Linux's check_max_stack_depth). */
static int chain_depth(struct ub_verifier *v, int sp, int depth, int frames)
{
	int own = (v->subprogs[sp].stack_depth + 7) & ~7, err;

	depth += own;
	if (frames > UB_MAX_FRAMES)
		return ub_reject(v, UB_E_CALL_DEPTH, frames);
	if (depth > UB_STACK)
		return ub_reject(v, UB_E_STACK_SIZE, frames, depth);
	for (int i = v->subprogs[sp].start; i < v->subprogs[sp].end; i++) {
		if (v->aux[i].id != UB_I_CALL_LOCAL && v->aux[i].id != UB_I_LDDW_FUNC)
			continue;
		err = chain_depth(v, ub_subprog_of(v, i + v->insns[i].imm + 1), depth, frames + 1);
		if (err)
			return err;
	}
	return 0;
}

static int load_maps(struct ub_verifier *v);

int ub_verifier_run(struct userbpf_prog *prog, const struct ub_verify_opts *opts,
		    struct ub_log *log)
{
	struct ub_verify_opts none = { 0 };
	struct ub_verifier *v;
	struct timespec t0, t1;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!opts)
		opts = &none;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->prog = prog;
	v->insns = prog->insns;
	v->cnt = (int)prog->cnt;
	v->opts = opts;
	v->sink = log;
	v->unpriv = opts->flags & USERBPF_VERIFY_F_UNPRIV;
	v->insn = -1;
	v->log.buf = opts->log_buf;
	v->log.size = opts->log_size;
	v->log.level = opts->log_buf && opts->log_size ? opts->log_level : 0;
	if (v->log.level > 2)
		v->log.level = 2;
	if (v->log.buf && v->log.size)
		v->log.buf[0] = '\0';
	/* Linux's license_is_gpl_compatible(). */
	v->gpl = prog->license && (!strcmp(prog->license, "GPL") ||
				   !strcmp(prog->license, "GPL v2") ||
				   !strcmp(prog->license, "GPL and additional rights") ||
				   !strcmp(prog->license, "Dual BSD/GPL") ||
				   !strcmp(prog->license, "Dual MIT/GPL") ||
				   !strcmp(prog->license, "Dual MPL/GPL"));
	v->ptype = ub_prog_type(prog->type);
	v->aux = calloc((size_t)v->cnt + 1, sizeof(*v->aux));
	v->explored = calloc((size_t)v->cnt + 1, sizeof(*v->explored));
	if (!v->aux || !v->explored) {
		err = ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
		goto out;
	}
	if (!v->ptype) {
		err = ub_reject(v, UB_E_PROG_TYPE, prog->type);
		goto out;
	}
	err = load_maps(v);
	if (err)
		goto out;
	err = ub_check_cfg(v);
	if (err)
		goto out;
	err = init_state(v);
	if (!err)
		err = ub_record_init(v);
	if (err)
		goto out;
	err = walk(v);
	if (!err) {
		v->insn = -1;
		err = chain_depth(v, 0, 0, 1);
	}
	if (!err)
		err = ub_fixups(v);
	if (!err)
		prog->min_mem_len = v->max_ctx_end;
	ub_record_finish(v, !err);
out:
	if (err && !v->err) /* an error path that did not log: still say something */
		ub_reject_err(v, err, UB_E_INTERNAL, "unexplained failure");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ub_vlog_finish(v, (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull +
				  (uint64_t)(t1.tv_nsec - t0.tv_nsec));
	if (v->cur) {
		ub_state_free_frames(v->cur);
		free(v->cur);
	}
	for (int i = 0; i < v->capstack; i++)
		ub_state_free_frames(&v->stack[i].st);
	free(v->stack);
	ub_explored_free(v);
	free(v->aux);
	free(v->maps);
	free(v);
	return err;
}

/*
 * The facts of the program's maps, then of their inner-map templates (map-in-map), which a
 * lookup in the outer map yields; v->maps has room for both.
 */
static int load_maps(struct ub_verifier *v)
{
	size_t n = v->prog->map_cnt, total = n;

	v->maps = calloc(2 * n + 1, sizeof(*v->maps));
	if (!v->maps)
		return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
	for (size_t i = 0; i < n; i++) {
		const struct userbpf_map *m = v->prog->maps[i];

		v->maps[i] = (struct ub_vmap){ m->type, m->key_size, m->value_size, m->max_entries,
					       m->flags, true, -1 };
		if (m->inner) {
			const struct userbpf_map *t = m->inner;

			v->maps[total] = (struct ub_vmap){ t->type, t->key_size, t->value_size,
							   t->max_entries, t->flags, true, -1 };
			v->maps[i].inner = (int)total++;
		}
	}
	return 0;
}
