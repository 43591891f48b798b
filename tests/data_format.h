/* SPDX-License-Identifier: Apache-2.0 */
/*
 * data_format.h: the parser of .data test files (the bpf_conformance format), shared by the
 * conformance runner and the ISA data-test runner.
 *
 * A file is a list of sections; a line starting with "--" opens one, '#' starts a comment:
 *   -- asm      the program, conformance syntax, one instruction per line
 *   -- raw      the program as 64-bit little-endian words (hex with 0x, else decimal)
 *   -- mem      input memory, hex bytes
 *   -- result   expected r0 (hex when it contains 0x, else decimal)
 *   -- error    expected error: the exact plugin output (conformance), or a substring of the
 *               first error logged (tests/data/isa)
 *   -- c, -- no register offset: notes, ignored
 * Extension sections (tests/data/isa only, with extended != 0):
 *   -- budget   instruction budget of the run (unverified programs)
 * Anything else makes the file unreadable, which the runners count as a failure.
 */
#ifndef UB_TEST_DATA_FORMAT_H
#define UB_TEST_DATA_FORMAT_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ub_case {
	char *asm_text;     /* -- asm lines, '\n'-separated, NULL if none */
	size_t asm_len;
	uint64_t *raw;      /* -- raw words */
	size_t raw_cnt;
	unsigned char *mem; /* -- mem bytes */
	size_t mem_len;
	int has_result;
	uint64_t result;
	char error[256];    /* -- error line, "" if none */
	uint64_t budget;    /* -- budget, 0 if none */
};

static inline void ub_case_free(struct ub_case *t)
{
	free(t->asm_text);
	free(t->raw);
	free(t->mem);
	memset(t, 0, sizeof(*t));
}

static inline int ub_case_append(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	char *nb = realloc(*buf, *len + n + 2);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + *len, s, n);
	nb[*len + n] = '\n';
	nb[*len + n + 1] = 0;
	*buf = nb;
	*len += n + 1;
	return 0;
}

static inline char *ub_case_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = 0;
	return s;
}

/* One number of a -- result / -- budget line. */
static inline int ub_case_number(char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, strstr(s, "0x") ? 16 : 10);
	return errno || end == s || *ub_case_trim(end) ? -EINVAL : 0;
}

/* Tokens of a -- mem or -- raw line. */
static inline int ub_case_tokens(struct ub_case *t, char *s, int mem)
{
	char *save, *tok;

	for (tok = strtok_r(s, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		unsigned long long v;
		char *end;

		errno = 0;
		v = strtoull(tok, &end, mem || strstr(tok, "0x") ? 16 : 10);
		if (errno || *end || (mem && v > 0xff))
			return -EINVAL;
		if (mem) {
			unsigned char *nm = realloc(t->mem, t->mem_len + 1);

			if (!nm)
				return -ENOMEM;
			t->mem = nm;
			t->mem[t->mem_len++] = (unsigned char)v;
		} else {
			uint64_t *nr = realloc(t->raw, (t->raw_cnt + 1) * sizeof(*nr));

			if (!nr)
				return -ENOMEM;
			t->raw = nr;
			t->raw[t->raw_cnt++] = v;
		}
	}
	return 0;
}

/* Parse one file. Returns 0, or -EINVAL / -ENOMEM with the reason (and line) in why. */
static inline int ub_case_parse(const char *path, struct ub_case *t, int extended, char *why,
				size_t why_len)
{
	enum { S_NONE, S_NOTE, S_ASM, S_RAW, S_MEM, S_RESULT, S_ERROR, S_BUDGET } st = S_NONE;
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned lineno = 0;
	int err = 0;

	memset(t, 0, sizeof(*t));
	if (!f) {
		snprintf(why, why_len, "cannot open: %s", strerror(errno));
		return -EINVAL;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#'), *s;

		lineno++;
		if (hash)
			*hash = 0;
		s = ub_case_trim(line);
		if (!strncmp(s, "--", 2)) {
			char *name = ub_case_trim(s + 2);

			if (!strcmp(name, "asm"))
				st = S_ASM;
			else if (!strcmp(name, "raw"))
				st = S_RAW;
			else if (!strcmp(name, "mem"))
				st = S_MEM;
			else if (!strcmp(name, "result"))
				st = S_RESULT;
			else if (!strcmp(name, "error"))
				st = S_ERROR;
			else if (extended && !strcmp(name, "budget"))
				st = S_BUDGET;
			else if (!strcmp(name, "c") || !strcmp(name, "no register offset"))
				st = S_NOTE;
			else {
				snprintf(why, why_len, "line %u: unknown section '-- %s'", lineno,
					 name);
				err = -EINVAL;
			}
			continue;
		}
		if (!*s)
			continue;
		switch (st) {
		case S_NONE:
			snprintf(why, why_len, "line %u: text before any section: '%s'", lineno, s);
			err = -EINVAL;
			break;
		case S_NOTE:
			break;
		case S_ASM:
			err = ub_case_append(&t->asm_text, &t->asm_len, s);
			break;
		case S_RESULT:
			if (ub_case_number(s, &t->result)) {
				snprintf(why, why_len, "line %u: bad result '%s'", lineno, s);
				err = -EINVAL;
			}
			t->has_result = 1;
			break;
		case S_BUDGET:
			if (ub_case_number(s, &t->budget) || !t->budget) {
				snprintf(why, why_len, "line %u: bad budget '%s'", lineno, s);
				err = -EINVAL;
			}
			break;
		case S_ERROR:
			snprintf(t->error, sizeof(t->error), "%s", s);
			break;
		case S_MEM:
		case S_RAW:
			err = ub_case_tokens(t, s, st == S_MEM);
			if (err == -EINVAL)
				snprintf(why, why_len, "line %u: bad %s line", lineno,
					 st == S_MEM ? "mem" : "raw");
			break;
		}
	}
	fclose(f);
	if (!err && !t->asm_text && !t->raw_cnt) {
		snprintf(why, why_len, "no -- asm or -- raw section");
		err = -EINVAL;
	}
	if (!err && !t->has_result && !t->error[0]) {
		snprintf(why, why_len, "no -- result or -- error section");
		err = -EINVAL;
	}
	if (err == -ENOMEM)
		snprintf(why, why_len, "out of memory");
	return err;
}

#endif /* UB_TEST_DATA_FORMAT_H */
