/* SPDX-License-Identifier: Apache-2.0 */
/* format.h: Linux's bpf printf subset (trace_printk, trace_vprintk, snprintf). */
#ifndef UB_FORMAT_H
#define UB_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Format fmt (NUL-terminated within fmt_size) with nargs u64 arguments into out (size bytes,
 * always NUL-terminated when size > 0). Returns the length the whole output needs, NUL
 * included, or -EINVAL (unterminated format, unknown conversion, too few arguments).
 */
long ub_bpf_format(char *out, size_t size, const char *fmt, size_t fmt_size, const uint64_t *args,
		   uint32_t nargs);

#endif /* UB_FORMAT_H */
