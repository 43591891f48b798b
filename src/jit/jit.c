/* SPDX-License-Identifier: Apache-2.0 */
/* jit.c: placeholder until the x86-64 JIT lands (issue 4): reports that no JIT is built. */
#include <errno.h>

#include "jit/jit.h"

int ub_jit_compile(struct userbpf_prog *prog)
{
	(void)prog;
	return -ENOTSUP;
}

void ub_jit_release(struct userbpf_prog *prog)
{
	(void)prog;
}
