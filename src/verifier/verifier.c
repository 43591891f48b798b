/* SPDX-License-Identifier: Apache-2.0 */
/* verifier.c: placeholder until the verifier lands (issue 5): refuses to claim a proof. */
#include <errno.h>

#include "verifier/verifier.h"

int ub_verifier_run(struct userbpf_prog *prog, struct ub_log *log)
{
	ub_err(log, "%s: no verifier is built yet; load with USERBPF_PROG_F_UNVERIFIED "
	       "to run with run-time checks", prog->name);
	return -ENOTSUP;
}
