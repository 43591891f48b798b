/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_asm.c: libFuzzer target for the assembler. The first byte picks the syntax (and the
 * disassembler's label flag), the rest is text. Assembling must never crash, hang or leak;
 * when the text assembles, the validator must answer cleanly, and disassembling the result
 * and assembling that text again must give the same instructions, in both syntaxes.
 *
 *   make BUILD=build-fuzz fuzz && build-fuzz/fuzz/fuzz_asm -max_total_time=60
 * tests/fuzz/seeds/fuzz_asm
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Diagnostics are formatted (that code is fuzzed too) and dropped. */
static void drop_log(void *user, int level, const char *msg)
{
	(void)user, (void)level;
	if (!msg[0])
		abort(); /* an error must say something */
}

static struct userbpf_env *fuzz_env(void)
{
	static struct userbpf_env *env;

	if (!env) {
		struct userbpf_env_opts o = { .sz = sizeof(o), .log_fn = drop_log };

		env = userbpf_env_new(&o);
	}
	return env;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct userbpf_insn *insns = NULL;
	size_t cnt = 0;
	char *text;
	int syntax;

	if (size < 1)
		return 0;
	syntax = data[0] & 1;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	if (userbpf_asm(fuzz_env(), text, syntax, &insns, &cnt) == 0) {
		int v = userbpf_insns_validate(fuzz_env(), insns, cnt);

		if (v != 0 && v != -EINVAL && v != -E2BIG)
			abort();
		fz_round_trip(insns, cnt, USERBPF_SYNTAX_LLVM,
			      (data[0] & 2) ? USERBPF_DISASM_F_LABELS : 0);
		fz_round_trip(insns, cnt, USERBPF_SYNTAX_CONFORMANCE,
			      (data[0] & 4) ? USERBPF_DISASM_F_LABELS : 0);
		userbpf_insns_free(insns);
	}
	free(text);
	return 0;
}
