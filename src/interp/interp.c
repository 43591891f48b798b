/* SPDX-License-Identifier: Apache-2.0 */
/* interp.c: placeholder until the interpreter lands (issue 2). */
#include <errno.h>

#include "interp/interp.h"

int ub_interp_prepare(struct userbpf_prog *prog)
{
	(void)prog;
	return 0;
}

void ub_interp_release(struct userbpf_prog *prog)
{
	(void)prog;
}

int ub_interp_run(const struct userbpf_prog *prog, void *mem, size_t len, uint64_t *retval)
{
	(void)prog, (void)mem, (void)len, (void)retval;
	return -ENOTSUP;
}
