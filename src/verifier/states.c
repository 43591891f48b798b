/* SPDX-License-Identifier: Apache-2.0 */
/*
 * states.c: verifier states: copy and free, and pruning: a path reaching an instruction in a
 * state contained in one already proven safe there stops ("from X to Y: safe"); a path
 * reaching a state equal to one still being explored on its own path loops forever.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/vstate.h"

struct ub_frame *ub_frame_new(void)
{
	struct ub_frame *f = calloc(1, sizeof(*f));

	if (f) {
		f->callsite = -1;
		f->cb_callsite = -1;
	}
	return f;
}

static void frame_free(struct ub_frame *f)
{
	if (!f)
		return;
	free(f->slots);
	free(f);
}

void ub_state_free_frames(struct ub_vstate *st)
{
	for (int i = 0; i < UB_MAX_FRAMES; i++) {
		frame_free(st->frames[i]);
		st->frames[i] = NULL;
	}
}

struct ub_vstate *ub_state_new(struct ub_verifier *v)
{
	struct ub_vstate *st = calloc(1, sizeof(*st));

	(void)v;
	if (!st)
		return NULL;
	st->frames[0] = ub_frame_new();
	if (!st->frames[0]) {
		free(st);
		return NULL;
	}
	return st;
}

static int frame_copy(struct ub_frame **dst, const struct ub_frame *src)
{
	struct ub_frame *f = *dst;

	if (!src) {
		frame_free(f);
		*dst = NULL;
		return 0;
	}
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return -ENOMEM;
		*dst = f;
	}
	if (f->nslots < src->nslots || !f->slots) {
		struct ub_slot *s = realloc(f->slots, (size_t)(src->nslots ? src->nslots : 1) *
						      sizeof(*s));

		if (!s)
			return -ENOMEM;
		f->slots = s;
	}
	{
		struct ub_slot *keep = f->slots;

		memcpy(f, src, sizeof(*f));
		f->slots = keep;
	}
	if (src->nslots)
		memcpy(f->slots, src->slots, (size_t)src->nslots * sizeof(*f->slots));
	return 0;
}

int ub_state_copy(struct ub_vstate *dst, const struct ub_vstate *src)
{
	struct ub_frame *frames[UB_MAX_FRAMES];

	memcpy(frames, dst->frames, sizeof(frames));
	for (int i = 0; i < UB_MAX_FRAMES; i++)
		if (frame_copy(&frames[i], i <= src->curframe ? src->frames[i] : NULL)) {
			memcpy(dst->frames, frames, sizeof(frames));
			return -ENOMEM;
		}
	memcpy(dst, src, sizeof(*dst));
	memcpy(dst->frames, frames, sizeof(frames));
	return 0;
}

/* ---- Equivalence --------------------------------------------------------------------------- */

#define IDMAP_MAX 64

/* A consistent renaming of the ids of the old state to those of the current one. */
struct idmap {
	uint32_t old[IDMAP_MAX], cur[IDMAP_MAX];
	int n;
};

static bool check_ids(struct idmap *m, uint32_t old_id, uint32_t cur_id)
{
	if (!old_id && !cur_id)
		return true;
	if (!old_id || !cur_id)
		return false;
	for (int i = 0; i < m->n; i++) {
		if (m->old[i] == old_id)
			return m->cur[i] == cur_id;
		if (m->cur[i] == cur_id)
			return false;
	}
	if (m->n >= IDMAP_MAX)
		return false;
	m->old[m->n] = old_id;
	m->cur[m->n++] = cur_id;
	return true;
}

/* Is every concrete value of cur also a value of old (so old's proof covers cur)? */
static bool regsafe(const struct ub_reg *old, const struct ub_reg *cur, struct idmap *m)
{
	if (old->type == UB_NOT_INIT)
		return true; /* old never read it: any value is fine */
	if (old->type != cur->type)
		return false;
	if (old->type == UB_SCALAR) {
		if (!ub_scalar_in(&old->s, &cur->s))
			return false;
		/* Old learned facts through a link: cur must have the same link. */
		return !old->id || check_ids(m, old->id, cur->id);
	}
	if (old->flags != cur->flags || old->off != cur->off || old->map != cur->map ||
	    old->mem_size != cur->mem_size || old->frameno != cur->frameno)
		return false;
	if (!ub_scalar_in(&old->s, &cur->s))
		return false;
	if ((old->type == UB_PTR_PKT || old->type == UB_PTR_PKT_META) && old->range > cur->range)
		return false;
	if (!check_ids(m, old->ref_obj_id, cur->ref_obj_id))
		return false;
	if (old->id || cur->id)
		return check_ids(m, old->id, cur->id);
	return true;
}

static bool byte_safe(uint8_t ot, uint8_t ct, const struct ub_slot *cs, bool unpriv)
{
	switch (ot) {
	case UB_ST_INVALID:
		/* Privileged reads of uninitialised bytes give an unknown scalar in old. */
		return unpriv || ct != UB_ST_SPILL || cs->spill.type == UB_SCALAR;
	case UB_ST_MISC:
		return ct == UB_ST_MISC || ct == UB_ST_ZERO ||
		       (ct == UB_ST_SPILL && cs->spill.type == UB_SCALAR);
	case UB_ST_ZERO:
		return ct == UB_ST_ZERO;
	}
	return false;
}

static bool stacksafe(const struct ub_frame *old, const struct ub_frame *cur, struct idmap *m,
		      bool unpriv)
{
	static const struct ub_slot invalid_slot;

	for (int s = 0; s < old->nslots; s++) {
		const struct ub_slot *os = &old->slots[s];
		const struct ub_slot *cs = s < cur->nslots ? &cur->slots[s] : &invalid_slot;

		if (os->type[0] == UB_ST_SPILL) {
			if (cs->type[0] != UB_ST_SPILL) {
				/* An unknown spilled scalar is no better than misc bytes. */
				if (os->spill.type == UB_SCALAR &&
				    ub_tnum_is_unknown(os->spill.s.var) &&
				    !os->spill.id) {
					for (int b = 0; b < 8; b++)
						if (!byte_safe(UB_ST_MISC, cs->type[b], cs, unpriv))
							return false;
					continue;
				}
				return false;
			}
			if (!regsafe(&os->spill, &cs->spill, m))
				return false;
			continue;
		}
		for (int b = 0; b < 8; b++)
			if (!byte_safe(os->type[b], cs->type[b], cs, unpriv))
				return false;
	}
	return true;
}

static bool refsafe(const struct ub_vstate *old, const struct ub_vstate *cur, struct idmap *m)
{
	if (old->nrefs != cur->nrefs)
		return false;
	for (int i = 0; i < old->nrefs; i++)
		if (!check_ids(m, old->refs[i].id, cur->refs[i].id))
			return false;
	return true;
}

/*
 * relevant: registers of the innermost frame whose scalar value may matter from here on;
 * two scalars in any other register are interchangeable.
 */
static bool states_contain(const struct ub_vstate *old, const struct ub_vstate *cur, bool unpriv,
			   uint16_t relevant)
{
	struct idmap m;

	m.n = 0;
	if (old->curframe != cur->curframe)
		return false;
	for (int fi = 0; fi <= old->curframe; fi++) {
		const struct ub_frame *of = old->frames[fi], *cf = cur->frames[fi];

		if (of->callsite != cf->callsite || of->in_callback != cf->in_callback)
			return false;
		for (int r = 0; r < USERBPF_NREGS; r++) {
			/*
			 * Skipped only when old's register was not linked: a link would have
			 * let old's branches on it refine a register that does matter.
			 */
			if (fi == old->curframe && !(relevant & (1u << r)) &&
			    of->regs[r].type == UB_SCALAR && cf->regs[r].type == UB_SCALAR &&
			    !of->regs[r].id)
				continue;
			if (!regsafe(&of->regs[r], &cf->regs[r], &m))
				return false;
		}
		if (!stacksafe(of, cf, &m, unpriv))
			return false;
	}
	return refsafe(old, cur, &m);
}

static bool states_equal(const struct ub_vstate *a, const struct ub_vstate *b, bool unpriv)
{
	return states_contain(a, b, unpriv, 0x7ff) && states_contain(b, a, unpriv, 0x7ff);
}

/*
 * Widening, for loops whose end the run time guarantees (may_goto, callback helpers): make
 * cur cover old too, by forgetting what differs (scalars become unknown, anything else becomes
 * unusable). Exploring a larger state is always sound; it lets the walk converge, because the
 * next round is contained in this one. Returns false when the shapes differ (no widening).
 */
static void widen_reg(struct ub_reg *cur, const struct ub_reg *old, struct idmap *m)
{
	if (regsafe(cur, old, m) && regsafe(old, cur, m))
		return;
	if (cur->type == UB_SCALAR && old->type == UB_SCALAR) {
		ub_mark_unknown(cur);
		return;
	}
	ub_mark_not_init(cur);
}

static bool widen(struct ub_vstate *cur, const struct ub_vstate *old)
{
	struct idmap m;

	m.n = 0;
	if (old->curframe != cur->curframe || old->nrefs != cur->nrefs)
		return false;
	for (int fi = 0; fi <= cur->curframe; fi++) {
		struct ub_frame *cf = cur->frames[fi];
		const struct ub_frame *of = old->frames[fi];

		if (of->callsite != cf->callsite)
			return false;
		for (int r = 0; r < USERBPF_NREGS; r++)
			widen_reg(&cf->regs[r], &of->regs[r], &m);
		for (int s = 0; s < cf->nslots; s++) {
			struct ub_slot *cs = &cf->slots[s];
			static const struct ub_slot invalid_slot;
			const struct ub_slot *os = s < of->nslots ? &of->slots[s] : &invalid_slot;

			if (cs->type[0] == UB_ST_SPILL && os->type[0] == UB_ST_SPILL) {
				widen_reg(&cs->spill, &os->spill, &m);
				continue;
			}
			for (int b = 0; b < 8; b++) {
				uint8_t ct = cs->type[b], ot = os->type[b];

				if (ct == ot && ct != UB_ST_SPILL)
					continue;
				/* Data in both: data; anything else: unknown bytes. */
				cs->type[b] = (ct != UB_ST_INVALID && ot != UB_ST_INVALID &&
					       (ct != UB_ST_SPILL || cs->spill.type == UB_SCALAR) &&
					       (ot != UB_ST_SPILL || os->spill.type == UB_SCALAR)) ?
						      UB_ST_MISC : UB_ST_INVALID;
			}
			if (cs->type[0] != UB_ST_SPILL)
				for (int b = 0; b < 8; b++)
					if (cs->type[b] == UB_ST_SPILL)
						cs->type[b] = UB_ST_MISC;
		}
	}
	return true;
}

void ub_update_branches(struct ub_verifier *v, struct ub_vstate *st)
{
	(void)v;
	while (st) {
		if (st->branches)
			st->branches--;
		if (st->branches)
			break;
		st = st->parent;
	}
}

/*
 * At a prune point: 1 if the current path can stop here (a completed state contains it),
 * 0 to go on (a checkpoint may have been stored), <0 on rejection.
 */
int ub_prune(struct ub_verifier *v, int insn)
{
	struct ub_vstate *cur = v->cur;
	uint64_t n = 0;
	bool may_goto = v->aux[insn].id == UB_I_MAY_GOTO;
	const struct ub_helper_proto *hp = v->aux[insn].id == UB_I_CALL_HELPER ?
		ub_helper_proto((uint32_t)v->insns[insn].imm) : NULL;
	bool cb_call = hp && (hp->flags & UB_HF_CALLBACK), widened = false;
	uint16_t rel = v->aux[insn].relevant;
	struct ub_sl *sl;

	struct ub_sl **link = &v->explored[insn];

	while ((sl = *link)) {
		n++;
		/*
		 * A state that keeps missing is unlikely to ever prune (a loop header sees a new
		 * counter value each time): drop it from the search. In-progress states stay
		 * alive (their descendants point to them) on the retired list.
		 */
		if (sl->misses > 8 + 4 * sl->hits) {
			*link = sl->next;
			v->cur_states--;
			if (sl->st.branches) {
				sl->next = v->retired;
				v->retired = sl;
			} else {
				ub_state_free_frames(&sl->st);
				free(sl);
			}
			continue;
		}
		link = &sl->next;
		if (sl->st.branches) {
			/* Still being explored, so on our own path: a repeat is a loop. */
			if (may_goto || cb_call) {
				/*
				 * A loop the run time bounds (may_goto budget, callback helper):
				 * a state already being explored covers this one, else widen so
				 * the walk converges. No infinite-loop verdict here.
				 */
				if (states_contain(&sl->st, cur, v->unpriv, rel))
					return 1;
				if (!widened && widen(cur, &sl->st))
					widened = true;
				sl->misses++;
				continue;
			}
			if (states_equal(&sl->st, cur, v->unpriv))
				return ub_reject(v, UB_E_INFINITE_LOOP, insn);
			sl->misses++;
			continue;
		}
		if (states_contain(&sl->st, cur, v->unpriv, rel)) {
			sl->hits++;
			return 1;
		}
		sl->misses++;
	}
	if (v->stored_states >= UB_MAX_STORED_STATES || n >= UB_MAX_STATES_PER_INSN)
		return 0;
	sl = calloc(1, sizeof(*sl));
	if (!sl || ub_state_copy(&sl->st, cur)) {
		if (sl) {
			ub_state_free_frames(&sl->st);
			free(sl);
		}
		return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
	}
	/* The checkpoint takes over the current path: cur now descends from it. */
	sl->st.branches = 1;
	sl->st.insn = insn;
	sl->st.parent = cur->parent;
	cur->parent = &sl->st;
	sl->next = v->explored[insn];
	v->explored[insn] = sl;
	v->stored_states++;
	v->total_states++;
	v->cur_states++;
	if (v->cur_states > v->peak_states)
		v->peak_states = v->cur_states;
	if (n + 1 > v->max_states_per_insn)
		v->max_states_per_insn = n + 1;
	return 0;
}

static void sl_list_free(struct ub_sl *sl)
{
	while (sl) {
		struct ub_sl *next = sl->next;

		ub_state_free_frames(&sl->st);
		free(sl);
		sl = next;
	}
}

void ub_explored_free(struct ub_verifier *v)
{
	sl_list_free(v->retired);
	v->retired = NULL;
	if (!v->explored)
		return;
	for (int i = 0; i < v->cnt; i++) {
		struct ub_sl *sl = v->explored[i];

		while (sl) {
			struct ub_sl *next = sl->next;

			ub_state_free_frames(&sl->st);
			free(sl);
			sl = next;
		}
	}
	free(v->explored);
	v->explored = NULL;
}
