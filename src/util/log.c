/* SPDX-License-Identifier: Apache-2.0 */
/* log.c: formatting into the caller's log sink, bounded and allocation-free. */
#include <stdio.h>

#include "util/log.h"

void ub_vlog(struct ub_log *log, int level, const char *fmt, va_list ap)
{
	char buf[1024];

	if (!ub_log_on(log, level))
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	log->fn(log->user, level, buf);
}

void ub_log(struct ub_log *log, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ub_vlog(log, level, fmt, ap);
	va_end(ap);
}
