/* SPDX-License-Identifier: Apache-2.0 */
/*
 * refs.c: reference tracking for helpers that acquire and release (ringbuf reserve, then
 * submit or discard): each acquired reference must be released exactly once on every path;
 * after release every copy of the pointer is dead (no use after free, no double release).
 */
#include <errno.h>

#include "verifier/vstate.h"

int ub_ref_acquire(struct ub_verifier *v, int insn, uint32_t *id)
{
	struct ub_vstate *st = v->cur;

	if (st->nrefs >= UB_MAX_REFS)
		return ub_reject_err(v, -E2BIG, UB_E_TOO_COMPLEX, st->nrefs);
	*id = ++v->id_gen;
	st->refs[st->nrefs].id = *id;
	st->refs[st->nrefs].insn = insn;
	st->nrefs++;
	return 0;
}

int ub_ref_release(struct ub_verifier *v, uint32_t id)
{
	struct ub_vstate *st = v->cur;
	int i;

	for (i = 0; i < st->nrefs; i++)
		if (st->refs[i].id == id)
			break;
	if (i == st->nrefs)
		return ub_reject_err(v, -EFAULT, UB_E_INTERNAL, "release of an unknown reference");
	st->refs[i] = st->refs[--st->nrefs];
	/* Every copy of the released pointer dies (use after release becomes a type error). */
	UB_FOR_EACH_REG(st, r, {
		if (r->ref_obj_id == id) {
			if (v->unpriv)
				ub_mark_not_init(r);
			else
				ub_mark_unknown(r);
		}
	});
	return 0;
}

int ub_refs_check_exit(struct ub_verifier *v)
{
	struct ub_vstate *st = v->cur;

	if (st->nrefs)
		return ub_reject(v, UB_E_UNRELEASED, st->refs[0].id, st->refs[0].insn);
	return 0;
}
