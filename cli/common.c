/* SPDX-License-Identifier: Apache-2.0 */
/* common.c: file reading, hex parsing, program input and the stderr log sink for the CLI. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void log_stderr(void *user, int level, const char *msg)
{
	(void)user;
	fprintf(stderr, "userbpf: %s%s\n", level == USERBPF_LOG_WARN ? "warning: " : "", msg);
}

struct userbpf_env *cli_env_new(int log_level)
{
	struct userbpf_env_opts o = {
		.sz = sizeof(o), .log_fn = log_stderr, .log_level = log_level,
	};
	struct userbpf_env *env = userbpf_env_new(&o);

	if (!env)
		fprintf(stderr, "userbpf: cannot create an environment: %s\n", strerror(errno));
	return env;
}

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "userbpf %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

char *cli_file_read(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 4096, n = 0;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (n + 1 < cap) {
			if (ferror(f)) {
				free(buf);
				buf = NULL;
			}
			break;
		}
		char *nb = realloc(buf, cap * 2);

		if (!nb) {
			free(buf);
			buf = NULL;
			errno = ENOMEM;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	if (f != stdin)
		fclose(f);
	if (!buf)
		return NULL;
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int cli_hex_parse(const char *text, unsigned char **bytes, size_t *len)
{
	size_t n = 0, cap = strlen(text) / 2 + 1;
	unsigned char *out = malloc(cap);
	int hi = -1;

	if (!out)
		return -ENOMEM;
	for (const char *p = text; *p; p++) {
		int v;

		if (isspace((unsigned char)*p) || *p == ',')
			continue;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && hi < 0) {
			p++;
			continue;
		}
		v = hexval((unsigned char)*p);
		if (v < 0) {
			free(out);
			return -EINVAL;
		}
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		free(out);
		return -EINVAL;
	}
	*bytes = out;
	*len = n;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static int is_text(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!buf[i] || (!isprint((unsigned char)buf[i]) && !isspace((unsigned char)buf[i])))
			return 0;
	return 1;
}

/* Hex text: only hex digits, whitespace, commas and 0x prefixes. */
static int is_hex_text(const char *buf)
{
	for (const char *p = buf; *p; p++) {
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			p++;
			continue;
		}
		if (!isxdigit((unsigned char)*p) && !isspace((unsigned char)*p) && *p != ',')
			return 0;
	}
	return 1;
}

int cli_prog_read(struct userbpf_env *env, const char *path, struct cli_prog *out)
{
	size_t len;
	char *buf = cli_file_read(path, &len);
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!buf) {
		err = -errno;
		fprintf(stderr, "userbpf: %s: %s\n", path, strerror(errno));
		return err;
	}
	if (ends_with(path, ".bin") || !is_text(buf, len)) {
		if (len == 0 || len % sizeof(struct userbpf_insn)) {
			fprintf(stderr, "userbpf: %s: raw program size %zu is not a non-zero multiple "
				"of 8 bytes\n", path, len);
			err = -EINVAL;
		} else {
			out->insns = (struct userbpf_insn *)buf;
			out->cnt = len / sizeof(struct userbpf_insn);
			out->kind = "bin";
			return 0;
		}
	} else if (!ends_with(path, ".s") && is_hex_text(buf)) {
		unsigned char *bytes;
		size_t n;

		err = cli_hex_parse(buf, &bytes, &n);
		if (!err && (n == 0 || n % sizeof(struct userbpf_insn))) {
			fprintf(stderr, "userbpf: %s: hex program of %zu bytes is not a non-zero "
				"multiple of 8 bytes\n", path, n);
			free(bytes);
			err = -EINVAL;
		} else if (!err) {
			out->insns = (struct userbpf_insn *)bytes;
			out->cnt = n / sizeof(struct userbpf_insn);
			out->kind = "hex";
		} else {
			fprintf(stderr, "userbpf: %s: bad hex text\n", path);
		}
	} else {
		enum userbpf_syntax syn = strstr(buf, "%r") ? USERBPF_SYNTAX_CONFORMANCE
							    : USERBPF_SYNTAX_LLVM;

		err = userbpf_asm(env, buf, syn, &out->insns, &out->cnt);
		if (err)
			fprintf(stderr, "userbpf: %s: cannot assemble (%s)\n", path, strerror(-err));
		out->kind = "asm";
	}
	free(buf);
	return err;
}
