/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record.c: the runtime soundness hook. With USERBPF_VERIFY_F_RECORD the walk keeps, per
 * instruction and register, the join of every abstract scalar seen there; a test run then
 * checks that each concrete register value that still matters (relevance, cfg.c) lies inside
 * it (a verifier bug shows up as a value the proof said was impossible). Pruned paths are
 * covered: a pruned state matches, in every register that matters, one whose continuation
 * was recorded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "verifier/vstate.h"

struct ub_rec_insn {
	uint16_t seen;      /* registers recorded at least once */
	uint16_t relevant;  /* registers whose value still matters here (pruning relied on it) */
	uint16_t unchecked; /* registers that were a pointer or unset on some path */
	struct ub_scalar r[USERBPF_NREGS];
};

struct ub_record {
	size_t cnt;
	struct ub_rec_insn insn[];
};

static void join(struct ub_scalar *a, const struct ub_scalar *b)
{
	a->var = ub_tnum_union(a->var, b->var);
	a->umin = a->umin < b->umin ? a->umin : b->umin;
	a->umax = a->umax > b->umax ? a->umax : b->umax;
	a->smin = a->smin < b->smin ? a->smin : b->smin;
	a->smax = a->smax > b->smax ? a->smax : b->smax;
	a->u32_min = a->u32_min < b->u32_min ? a->u32_min : b->u32_min;
	a->u32_max = a->u32_max > b->u32_max ? a->u32_max : b->u32_max;
	a->s32_min = a->s32_min < b->s32_min ? a->s32_min : b->s32_min;
	a->s32_max = a->s32_max > b->s32_max ? a->s32_max : b->s32_max;
}

int ub_record_init(struct ub_verifier *v)
{
	struct ub_record *rec;

	if (!(v->opts->flags & USERBPF_VERIFY_F_RECORD))
		return 0;
	rec = calloc(1, sizeof(*rec) + (size_t)v->cnt * sizeof(rec->insn[0]));
	if (!rec)
		return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
	rec->cnt = (size_t)v->cnt;
	v->record = rec;
	return 0;
}

void ub_record_state(struct ub_verifier *v, int insn)
{
	struct ub_rec_insn *ri;
	struct ub_frame *f;

	if (!v->record)
		return;
	ri = &v->record->insn[insn];
	f = ub_cur_frame(v);
	for (int r = 0; r < USERBPF_NREGS; r++) {
		const struct ub_reg *reg = &f->regs[r];

		if (reg->type != UB_SCALAR) {
			ri->unchecked |= (uint16_t)(1u << r);
			continue;
		}
		if (!(ri->seen & (1u << r)))
			ri->r[r] = reg->s;
		else
			join(&ri->r[r], &reg->s);
		ri->seen |= (uint16_t)(1u << r);
	}
}

/* Hand the record to the program on success; drop it otherwise. */
void ub_record_finish(struct ub_verifier *v, bool keep)
{
	if (keep && v->record) {
		/*
		 * Pruning treated scalars that cannot matter any more as interchangeable, so
		 * only the others are promised to stay inside the recorded values.
		 */
		for (int i = 0; i < v->cnt; i++)
			v->record->insn[i].relevant = v->aux[i].relevant;
		ub_verifier_record_free(v->prog);
		v->prog->vrecord = v->record;
	} else {
		free(v->record);
	}
	v->record = NULL;
}

void ub_verifier_record_free(struct userbpf_prog *prog)
{
	if (!prog)
		return;
	free(prog->vrecord);
	prog->vrecord = NULL;
}

int ub_verifier_check_concrete(const struct userbpf_prog *prog, size_t insn,
			       const uint64_t regs[11], char *msg, size_t msg_size)
{
	const struct ub_record *rec = prog ? prog->vrecord : NULL;
	const struct ub_rec_insn *ri;

	if (!rec || insn >= rec->cnt)
		return 0;
	ri = &rec->insn[insn];
	for (int r = 0; r < USERBPF_NREGS; r++) {
		char s[320];

		if (!(ri->seen & ri->relevant & (1u << r)) || (ri->unchecked & (1u << r)) ||
		    ub_scalar_contains(&ri->r[r], regs[r]))
			continue;
		if (msg && msg_size) {
			ub_scalar_str(s, sizeof(s), &ri->r[r]);
			snprintf(msg, msg_size, "insn %zu: R%d=%#llx outside %s", insn, r,
				 (unsigned long long)regs[r], s);
		}
		return -EFAULT;
	}
	return 0;
}
