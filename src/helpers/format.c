/* SPDX-License-Identifier: Apache-2.0 */
/*
 * format.c: the printf subset of bpf_trace_printk, bpf_trace_vprintk and bpf_snprintf.
 * Linux's rules: conversions d i u x X o c s p, with flags, width, precision and the l / ll
 * modifiers; each conversion takes one u64 argument; %s reads the string through a fault-safe
 * probe; %% prints %. Anything else is refused (-EINVAL), as Linux refuses it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helpers/format.h"
#include "helpers/probe.h"

long ub_bpf_format(char *out, size_t size, const char *fmt, size_t fmt_size, const uint64_t *args,
		   uint32_t nargs)
{
	size_t pos = 0, flen;
	uint32_t used = 0;
	const char *end;

	end = memchr(fmt, 0, fmt_size);
	if (!end)
		return -EINVAL; /* the format must be NUL-terminated within its size */
	flen = (size_t)(end - fmt);
	if (size)
		out[0] = 0;
	for (size_t i = 0; i < flen;) {
		char spec[32], tmp[512];
		size_t s = 0;
		int n, lmod = 0;
		char conv;

		if (fmt[i] != '%') {
			if (pos + 1 < size)
				out[pos] = fmt[i];
			pos++;
			i++;
			continue;
		}
		if (i + 1 < flen && fmt[i + 1] == '%') {
			if (pos + 1 < size)
				out[pos] = '%';
			pos++;
			i += 2;
			continue;
		}
		spec[s++] = fmt[i++];
		while (i < flen && strchr("-+ #0", fmt[i]) && s < 8)
			spec[s++] = fmt[i++];
		while (i < flen && fmt[i] >= '0' && fmt[i] <= '9' && s < 14)
			spec[s++] = fmt[i++];
		if (i < flen && fmt[i] == '.') {
			spec[s++] = fmt[i++];
			while (i < flen && fmt[i] >= '0' && fmt[i] <= '9' && s < 20)
				spec[s++] = fmt[i++];
		}
		while (i < flen && fmt[i] == 'l' && lmod < 2) {
			lmod++;
			i++;
		}
		if (i >= flen)
			return -EINVAL;
		conv = fmt[i++];
		if (!strchr("diuxXocsp", conv))
			return -EINVAL;
		if (used >= nargs)
			return -EINVAL;
		if (conv == 's') {
			char str[256];
			uint64_t a = args[used++];

			if (ub_probe_read_str(str, (const void *)(uintptr_t)a, sizeof(str)) < 0)
				strcpy(str, "(fault)");
			spec[s++] = 's';
			spec[s] = 0;
			n = snprintf(tmp, sizeof(tmp), spec, str);
		} else if (conv == 'c') {
			spec[s++] = 'c';
			spec[s] = 0;
			n = snprintf(tmp, sizeof(tmp), spec, (int)(char)args[used++]);
		} else if (conv == 'p') {
			/* %p, %px and %pK print the address (no kernel pointer hashing here). */
			if (i < flen && (fmt[i] == 'x' || fmt[i] == 'K'))
				i++;
			n = snprintf(tmp, sizeof(tmp), "0x%llx", (unsigned long long)args[used++]);
		} else {
			uint64_t a = args[used++];

			spec[s++] = 'l';
			spec[s++] = 'l';
			spec[s++] = conv;
			spec[s] = 0;
			if (conv == 'd' || conv == 'i') {
				long long v = lmod ? (long long)a : (long long)(int32_t)a;

				n = snprintf(tmp, sizeof(tmp), spec, v);
			} else {
				unsigned long long v = lmod ? a : (uint32_t)a;

				n = snprintf(tmp, sizeof(tmp), spec, v);
			}
		}
		if (n < 0)
			return -EINVAL;
		if ((size_t)n >= sizeof(tmp))
			n = sizeof(tmp) - 1;
		for (int k = 0; k < n; k++, pos++)
			if (pos + 1 < size)
				out[pos] = tmp[k];
	}
	if (size)
		out[pos < size ? pos : size - 1] = 0;
	return (long)pos + 1;
}
