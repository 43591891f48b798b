/* SPDX-License-Identifier: Apache-2.0 */
/* probe.h: fault-safe reads of arbitrary user addresses (probe_read_user and friends). */
#ifndef UB_PROBE_H
#define UB_PROBE_H

#include <stddef.h>
#include <stdint.h>

/* Copy size bytes from src; on a fault zero dst and return -EFAULT. Returns 0. */
int ub_probe_read(void *dst, const void *src, size_t size);
/*
 * Copy a NUL-terminated string of at most size - 1 characters plus NUL. Returns the length
 * copied including the NUL, or -EFAULT (dst zeroed). size 0 returns 0.
 */
long ub_probe_read_str(char *dst, const void *src, size_t size);

#endif /* UB_PROBE_H */
