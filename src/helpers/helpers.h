/* SPDX-License-Identifier: Apache-2.0 */
/* helpers.h: the built-in helper table (Linux helper ids), installed into every environment. */
#ifndef UB_HELPERS_H
#define UB_HELPERS_H

#include "core/core.h"

/* Fill env->helpers with the built-in helpers of helpers.def. */
void ub_helpers_install(struct userbpf_env *env);

#endif /* UB_HELPERS_H */
