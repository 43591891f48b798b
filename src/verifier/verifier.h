/* SPDX-License-Identifier: Apache-2.0 */
/* verifier.h: the verifier's interface to the program object. */
#ifndef UB_VERIFIER_H
#define UB_VERIFIER_H

#include "core/core.h"

/* Prove prog safe. 0 = accepted; -EACCES = rejected (reason in log); -ENOTSUP, -ENOMEM, -E2BIG. */
int ub_verifier_run(struct userbpf_prog *prog, struct ub_log *log);

#endif /* UB_VERIFIER_H */
