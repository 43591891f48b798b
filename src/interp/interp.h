/* SPDX-License-Identifier: Apache-2.0 */
/* interp.h: the interpreter's interface to the program object. */
#ifndef UB_INTERP_H
#define UB_INTERP_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* Prepare prog->interp from prog->insns (already validated). Returns 0 or -ENOMEM. */
int ub_interp_prepare(struct userbpf_prog *prog);
/* Free prog->interp. NULL-safe. */
void ub_interp_release(struct userbpf_prog *prog);
/* Run once: r1 = mem, r2 = len. See userbpf_prog_run() for errors. Allocates nothing. */
int ub_interp_run(const struct userbpf_prog *prog, void *mem, size_t len, uint64_t *retval);

#endif /* UB_INTERP_H */
