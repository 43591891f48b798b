/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fixups.c: rewrites after a successful proof: context field accesses move from the
 * BPF-visible layout (struct xdp_md, struct __sk_buff) to the runtime struct the context
 * register really points to (progtypes.def), e.g. `r2 = *(u32 *)(r1 + 0)` of xdp_md->data
 * becomes `r2 = *(u64 *)(r1 + offsetof(struct ub_xdp_buff, data))`. The loaded form is kept
 * in prog->orig_insns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/vstate.h"

static uint8_t size_code(unsigned size)
{
	switch (size) {
	case 1: return USERBPF_B;
	case 2: return USERBPF_H;
	case 4: return USERBPF_W;
	default: return USERBPF_DW;
	}
}

int ub_fixups(struct ub_verifier *v)
{
	struct userbpf_prog *prog = v->prog;
	struct userbpf_insn *orig = NULL;

	for (int i = 0; i < v->cnt; i++) {
		const struct ub_ctx_field *f = v->aux[i].field;
		struct userbpf_insn *in = &prog->insns[i];
		unsigned size = ub_isa_mem_size(v->aux[i].id), nsize = size;
		int32_t noff;

		if (!f)
			continue;
		if (!orig) {
			orig = ub_alloc(prog->env, (size_t)v->cnt * sizeof(*orig));
			if (!orig)
				return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
			memcpy(orig, prog->insns, (size_t)v->cnt * sizeof(*orig));
		}
		if (f->kind != UB_FK_SCALAR) {
			/* Pointer fields are whole 64-bit pointers in the runtime struct. */
			noff = f->real_off;
			nsize = f->real_size;
		} else {
			/* Narrow loads read the low bytes (little-endian) of the real field. */
			noff = (int32_t)f->real_off + (in->off - (int32_t)f->off);
			if (size > f->real_size) {
				v->insn = i;
				return ub_reject_err(v, -EFAULT, UB_E_INTERNAL, "ctx field rewrite");
			}
		}
		in->off = (int16_t)noff;
		in->code = (uint8_t)((in->code & ~0x18) | size_code(nsize));
	}
	if (orig) {
		ub_free(prog->env, prog->orig_insns);
		prog->orig_insns = orig;
	}
	return 0;
}
