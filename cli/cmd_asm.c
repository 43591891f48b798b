/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_asm.c: `userbpf asm`: assemble a text file into raw instructions (a file or hex). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: userbpf asm FILE.s [-o OUT.bin] [--syntax llvm|conformance]\n"
		"\n"
		"Assemble FILE.s ('-' reads stdin) into eBPF instructions.\n"
		"Without -o, print the bytes as hex, one 8-byte instruction slot per line.\n"
		"\n"
		"  -o OUT.bin            write the raw instructions to OUT.bin\n"
		"  --syntax llvm         kernel/LLVM pseudo-C: r0 = *(u32 *)(r1 + 4)\n"
		"                        (the Linux verifier log forms are accepted too)\n"
		"  --syntax conformance  bpf_conformance syntax: ldxw %%r0, [%%r1+4]\n"
		"                        (default: conformance if the text has %%rN, else llvm)\n"
		"\n"
		"Both syntaxes take labels (name:), comments (#, ;, //), jump targets as\n"
		"+N, -N or a label, decimal, hex and negative immediates, and\n"
		"`.insn 0x<16 hex digits>` for any raw slot.\n"
		"\n"
		"Exit status: 0 on success, 1 if the text does not assemble or OUT cannot be\n"
		"written, 2 on usage errors.\n");
}

/* "llvm" / "conformance" -> syntax; -1 if unknown. */
static int parse_syntax(const char *s)
{
	if (!strcmp(s, "llvm") || !strcmp(s, "pseudo-c"))
		return USERBPF_SYNTAX_LLVM;
	if (!strcmp(s, "conformance"))
		return USERBPF_SYNTAX_CONFORMANCE;
	return -1;
}

static int write_out(const char *path, const struct userbpf_insn *insns, size_t cnt)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	int ok;

	if (!f) {
		cli_error("asm", "%s: %s", path, strerror(errno));
		return 1;
	}
	ok = fwrite(insns, sizeof(*insns), cnt, f) == cnt;
	if (f != stdout)
		ok &= fclose(f) == 0;
	else
		ok &= fflush(f) == 0;
	if (!ok) {
		cli_error("asm", "%s: write failed: %s", path, strerror(errno));
		return 1;
	}
	return 0;
}

int cmd_asm(int argc, char **argv)
{
	const char *path = NULL, *out = NULL;
	int syntax = -1, ret = 1, err;
	struct userbpf_insn *insns = NULL;
	struct userbpf_env *env;
	size_t cnt = 0;
	char *text;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--syntax")) {
			if (i + 1 >= argc) {
				cli_error(argv[0], "%s needs a value", a);
				return 2;
			}
			if (!strcmp(a, "-o")) {
				out = argv[++i];
			} else if ((syntax = parse_syntax(argv[++i])) < 0) {
				cli_error(argv[0], "unknown syntax '%s' (llvm or conformance)",
					  argv[i]);
				return 2;
			}
		} else if (a[0] == '-' && a[1]) {
			cli_error(argv[0], "unknown option '%s' (see --help)", a);
			return 2;
		} else if (path) {
			cli_error(argv[0], "one input file only ('%s' and '%s')", path, a);
			return 2;
		} else {
			path = a;
		}
	}
	if (!path) {
		usage(stderr);
		return 2;
	}
	text = cli_file_read(path, NULL);
	if (!text) {
		cli_error(argv[0], "%s: %s", path, strerror(errno));
		return 1;
	}
	if (syntax < 0)
		syntax = strstr(text, "%r") ? USERBPF_SYNTAX_CONFORMANCE : USERBPF_SYNTAX_LLVM;
	env = cli_env_new(USERBPF_LOG_INFO);
	if (!env) {
		free(text);
		return 1;
	}
	err = userbpf_asm(env, text, syntax, &insns, &cnt);
	if (err) {
		cli_error(argv[0], "%s: cannot assemble (%s)", path, strerror(-err));
	} else if (out) {
		ret = write_out(out, insns, cnt);
	} else {
		for (size_t i = 0; i < cnt; i++) {
			const unsigned char *b = (const unsigned char *)&insns[i];

			printf("%02x %02x %02x %02x %02x %02x %02x %02x\n", b[0], b[1], b[2], b[3],
			       b[4], b[5], b[6], b[7]);
		}
		ret = fflush(stdout) ? 1 : 0;
	}
	userbpf_insns_free(insns);
	userbpf_env_free(env);
	free(text);
	return ret;
}
