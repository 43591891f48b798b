/* SPDX-License-Identifier: Apache-2.0 */
/* asm.c: placeholder until the assembler lands. */
#include <errno.h>
#include <stdlib.h>

#include "core/core.h"

USERBPF_API int userbpf_asm(struct userbpf_env *env, const char *text, enum userbpf_syntax syntax,
			    struct userbpf_insn **insns, size_t *cnt)
{
	(void)env, (void)text, (void)syntax, (void)insns, (void)cnt;
	return -ENOTSUP;
}

USERBPF_API void userbpf_insns_free(struct userbpf_insn *insns)
{
	free(insns);
}
