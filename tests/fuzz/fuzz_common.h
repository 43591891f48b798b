/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_common.h: what the ISA fuzzers share: a disassemble-then-assemble round trip that must
 * give back the same bytes, with a loud abort (a libFuzzer crash) when it does not.
 */
#ifndef UB_FUZZ_COMMON_H
#define UB_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userbpf/userbpf.h"

struct fz_text {
	char *buf;
	size_t len, cap;
};

static int fz_write(void *user, const char *text, size_t len)
{
	struct fz_text *t = user;

	if (t->len + len + 1 > t->cap) {
		size_t cap = (t->len + len + 1) * 2;
		char *nb = realloc(t->buf, cap);

		if (!nb)
			return -1;
		t->buf = nb;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, text, len);
	t->len += len;
	t->buf[t->len] = 0;
	return 0;
}

/* clang 14's callx (register in imm) prints like the standard one (in dst): compare as such. */
static void fz_canon(struct userbpf_insn *in, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++)
		if (in[i].code == 0x8d && !in[i].dst_reg && in[i].imm >= 0 && in[i].imm <= 15 &&
		    !in[i].src_reg && !in[i].off) {
			in[i].dst_reg = (uint8_t)in[i].imm;
			in[i].imm = 0;
		}
}

/* disasm(insns) in `syntax`, then asm: must be the same program. Aborts otherwise. */
static void fz_round_trip(const struct userbpf_insn *insns, size_t cnt, int syntax, uint32_t flags)
{
	struct userbpf_disasm_opts o = {
	    .sz = sizeof(o),
	    .syntax = syntax,
	    .flags = flags | USERBPF_DISASM_F_NO_INDEX,
	};
	struct fz_text t = {0};
	struct userbpf_insn *back = NULL, *want;
	size_t n = 0;
	int err;

	if (userbpf_disasm(insns, cnt, &o, fz_write, &t) || !t.buf) {
		free(t.buf);
		return; /* out of memory in the sink: nothing to compare */
	}
	err = userbpf_asm(NULL, t.buf, syntax, &back, &n);
	want = malloc(cnt * sizeof(*want));
	if (!want)
		abort();
	memcpy(want, insns, cnt * sizeof(*want));
	fz_canon(want, cnt);
	if (!err)
		fz_canon(back, n);
	if (err || n != cnt || memcmp(want, back, cnt * sizeof(*want))) {
		fprintf(stderr,
			"round trip failed (syntax %d, flags %u, err %d, %zu -> %zu):\n%s\n",
			syntax, flags, err, cnt, n, t.buf);
		abort();
	}
	free(want);
	userbpf_insns_free(back);
	free(t.buf);
}

#endif /* UB_FUZZ_COMMON_H */
