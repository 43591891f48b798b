/* SPDX-License-Identifier: Apache-2.0 */
/* log.h: the diagnostic sink every module writes to; the library never prints to stderr. */
#ifndef UB_LOG_H
#define UB_LOG_H

#include <stdarg.h>

#include "userbpf/userbpf.h"

/* A caller's sink: where text goes, and how much of it. fn == NULL drops everything. */
struct ub_log {
	userbpf_log_fn fn;
	void *user;
	int level; /* messages above this level are dropped */
};

/* Format and deliver one message (no trailing newline needed). */
void ub_log(struct ub_log *log, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ub_vlog(struct ub_log *log, int level, const char *fmt, va_list ap);

/* Is anything at this level delivered? Lets callers skip building expensive text. */
static inline int ub_log_on(const struct ub_log *log, int level)
{
	return log && log->fn && level <= log->level;
}

#define ub_err(log, ...) ub_log((log), USERBPF_LOG_ERROR, __VA_ARGS__)
#define ub_warn(log, ...) ub_log((log), USERBPF_LOG_WARN, __VA_ARGS__)
#define ub_info(log, ...) ub_log((log), USERBPF_LOG_INFO, __VA_ARGS__)
#define ub_debug(log, ...) ub_log((log), USERBPF_LOG_DEBUG, __VA_ARGS__)

/* A broken internal invariant: logs "BUG: ..." and evaluates to -EFAULT. */
#define UB_BUG(log, ...) (ub_err((log), "BUG: " __VA_ARGS__), -EFAULT)

#endif /* UB_LOG_H */
