/* SPDX-License-Identifier: Apache-2.0 */
/* jit.h: the JIT's interface to the program object. */
#ifndef UB_JIT_H
#define UB_JIT_H

#include "core/core.h"

/* Compile prog->insns; on success sets prog->jit and prog->jit_fn. -ENOTSUP, -ENOMEM, -EINVAL. */
int ub_jit_compile(struct userbpf_prog *prog);
/* Free the JIT image. NULL-safe. */
void ub_jit_release(struct userbpf_prog *prog);

#endif /* UB_JIT_H */
