/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_validate.c: libFuzzer target for the validator and disassembler. The input bytes are
 * raw instructions (a trailing partial slot is dropped). The validator must answer cleanly;
 * every slot must disassemble in every flavour (unknown encodings as .insn); and whatever the
 * verdict, disassembling and assembling again gives the same bytes in both syntaxes.
 *
 *   make BUILD=build-fuzz fuzz && build-fuzz/fuzz/fuzz_validate -max_total_time=60
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "isa/isa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cnt = size / sizeof(struct userbpf_insn);
	struct userbpf_insn *insns;
	int v;

	if (!cnt)
		return 0;
	insns = malloc(cnt * sizeof(*insns));
	if (!insns)
		return 0;
	memcpy(insns, data, cnt * sizeof(*insns));
	v = userbpf_insns_validate(NULL, insns, cnt);
	if (v != 0 && v != -EINVAL)
		abort();
	for (size_t pc = 0; pc < cnt; pc++) {
		static const unsigned flavours[] = {0, UB_DIS_KERNEL, UB_DIS_CONF};
		char buf[200];

		for (int f = 0; f < 3; f++) {
			struct ub_disasm_ctx ctx = {.flags = flavours[f]};
			unsigned slots = 0;
			int len = ub_disasm_insn(&insns[pc], cnt - pc, pc, &ctx, buf, sizeof(buf),
						 &slots);

			if (len <= 0 || (size_t)len >= sizeof(buf) || strlen(buf) != (size_t)len ||
			    slots < 1 || slots > 2 || pc + slots > cnt)
				abort();
		}
	}
	fz_round_trip(insns, cnt, USERBPF_SYNTAX_LLVM, v ? 0 : USERBPF_DISASM_F_LABELS);
	fz_round_trip(insns, cnt, USERBPF_SYNTAX_CONFORMANCE, v ? USERBPF_DISASM_F_LABELS : 0);
	free(insns);
	return 0;
}
