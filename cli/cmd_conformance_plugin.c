/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_conformance_plugin.c: `userbpf conformance-plugin`, the bpf_conformance plugin protocol.
 *
 * The protocol, as the official runner (github.com/Alan-Jowett/bpf_conformance) speaks it:
 *  - argv: the input memory first, when the test has any, as ONE argument of bytes written as
 *    two hex digits each followed by spaces ("00  01  ff  "; older runners always pass it, empty
 *    when there is no memory), then the plugin options. Older runners pass all options as one
 *    argument ("--jit --debug"), newer ones one per argument; both are accepted here.
 *  - stdin: the program, one line of bytes in the same format (8 bytes per instruction).
 *  - success: r0 in hex (no 0x) and a newline on stdout, exit 0. The runner parses it with
 *    stoull(..., 16).
 *  - failure: exit non-zero with ONE line of error text on stdout; the runner compares it with
 *    the test's `-- error` line (newer runners fall back to stderr when stdout is empty).
 * Execution contract: r1 = a copy of the memory (or 0), r2 = its length, r10 = the top of a
 * 512-byte stack, helper 5 exists and returns normally (here: ktime_get_ns, built in).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Exit status when the JIT is not available, so runners can count the case as skipped. */
#define PLUGIN_EXIT_NO_JIT 3

static void usage(FILE *f)
{
	fprintf(f,
		"usage: userbpf conformance-plugin [MEM] [--interp|--interpret|--jit] [--debug]\n"
		"                                  [--program HEX] [--help]\n"
		"\n"
		"Speak the bpf_conformance plugin protocol: MEM is the input memory as hex bytes\n"
		"(\"00  01  ff  \"); the program arrives on stdin as one line of hex bytes.\n"
		"Prints r0 in hex and exits 0, or prints one line of error text and exits 1.\n"
		"\n"
		"  --interp, --interpret  run on the interpreter (default), with run-time checks\n"
		"  --jit                  run on the JIT (the program is trusted); exit status %d\n"
		"                         and \"JIT unavailable: ...\" when there is no JIT\n"
		"  --program HEX          take the program from this argument instead of stdin\n"
		"  --debug                print the decoded program and memory on stderr\n"
		"\n"
		"Use it with the official runner through a two-line wrapper script:\n"
		"  #!/bin/sh\n"
		"  exec userbpf conformance-plugin \"$@\"\n",
		PLUGIN_EXIT_NO_JIT);
}

/* The first error the library logs: the one line the runner compares. */
struct first_error {
	char msg[512];
	int debug;
};

static void log_first(void *user, int level, const char *msg)
{
	struct first_error *fe = user;

	if (fe->debug)
		fprintf(stderr, "userbpf: %s\n", msg);
	if (level == USERBPF_LOG_ERROR && !fe->msg[0])
		snprintf(fe->msg, sizeof(fe->msg), "%s", msg);
}

/* Print the failure line on stdout and return the exit status. */
static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return status;
}

/* Option words of one argument: "--jit", or a whole "--jit --debug" from older runners. */
static int parse_options(const char *arg, int *jit, int *debug, const char **bad)
{
	char word[64];
	const char *p = arg;

	while (*p) {
		size_t n = 0;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		while (p[n] && !isspace((unsigned char)p[n]))
			n++;
		if (n >= sizeof(word)) {
			*bad = arg;
			return -EINVAL;
		}
		memcpy(word, p, n);
		word[n] = 0;
		p += n;
		if (!strcmp(word, "--jit"))
			*jit = 1;
		else if (!strcmp(word, "--interp") || !strcmp(word, "--interpret"))
			*jit = 0;
		else if (!strcmp(word, "--debug"))
			*debug = 1;
		else {
			*bad = arg;
			return -EINVAL;
		}
	}
	return 0;
}

int cmd_conformance_plugin(int argc, char **argv)
{
	struct first_error fe = { { 0 }, 0 };
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = log_first, .log_user = &fe };
	struct userbpf_prog_opts po = { .sz = sizeof(po), .name = "conformance" };
	const char *mem_text = NULL, *prog_text = NULL, *bad = NULL;
	unsigned char *mem = NULL, *code = NULL;
	size_t mem_len = 0, code_len = 0;
	char *stdin_text = NULL;
	struct userbpf_env *env = NULL;
	struct userbpf_prog *prog;
	int jit = 0, i = 1, ret = 1, err;
	uint64_t r0;

	/* The memory comes first, when present: any first argument that is not an option. */
	if (i < argc && strncmp(argv[i], "--", 2)) {
		mem_text = argv[i++];
	}
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--program")) {
			if (i + 1 >= argc)
				return fail(2, "Invalid arguments: --program needs a value");
			prog_text = argv[++i];
			continue;
		}
		if (!strcmp(argv[i], "--elf"))
			return fail(2, "Invalid arguments: --elf: ELF input is not supported by "
				    "this plugin; pass raw instructions");
		if (parse_options(argv[i], &jit, &fe.debug, &bad))
			return fail(2, "Invalid arguments: %s", bad);
	}
	if (mem_text && cli_hex_parse(mem_text, &mem, &mem_len))
		return fail(2, "Invalid arguments: memory '%s' is not hex bytes", mem_text);
	if (!prog_text) {
		stdin_text = cli_file_read("-", NULL);
		if (!stdin_text) {
			ret = fail(1, "cannot read the program from stdin: %s", strerror(errno));
			goto out;
		}
		/* One line: the runner ends it with a newline. */
		stdin_text[strcspn(stdin_text, "\r\n")] = 0;
		prog_text = stdin_text;
	}
	if (cli_hex_parse(prog_text, &code, &code_len)) {
		ret = fail(1, "the program is not hex bytes");
		goto out;
	}
	if (code_len == 0 || code_len % sizeof(struct userbpf_insn)) {
		ret = fail(1, "program of %zu bytes: not a non-zero multiple of 8 bytes", code_len);
		goto out;
	}
	if (fe.debug) {
		fprintf(stderr, "userbpf conformance-plugin: %zu instructions, %zu bytes of "
			"memory, %s\n", code_len / 8, mem_len, jit ? "jit" : "interpreter");
		for (size_t k = 0; k < code_len / 8; k++) {
			const struct userbpf_insn *in = (const struct userbpf_insn *)code + k;

			fprintf(stderr, "  %4zu: code 0x%02x dst r%u src r%u off %d imm %d\n", k,
				in->code, in->dst_reg, in->src_reg, in->off, in->imm);
		}
	}
	env = userbpf_env_new(&eo);
	if (!env) {
		ret = fail(1, "cannot create an environment: %s", strerror(errno));
		goto out;
	}
	po.engine = jit ? USERBPF_ENGINE_JIT : USERBPF_ENGINE_INTERP;
	po.flags = jit ? USERBPF_PROG_F_TRUSTED : USERBPF_PROG_F_UNVERIFIED;
	prog = userbpf_prog_load(env, (const struct userbpf_insn *)code,
				 code_len / sizeof(struct userbpf_insn), &po);
	if (!prog) {
		if (jit && errno == ENOTSUP)
			ret = fail(PLUGIN_EXIT_NO_JIT, "JIT unavailable: %s",
				   fe.msg[0] ? fe.msg : strerror(ENOTSUP));
		else
			ret = fail(1, "%s", fe.msg[0] ? fe.msg : strerror(errno));
		goto out;
	}
	/* r1 = a copy of the memory (cli_hex_parse made one), or 0 without memory. */
	err = userbpf_prog_run(prog, mem_len ? mem : NULL, mem_len, &r0);
	if (err) {
		ret = fail(1, "%s", fe.msg[0] ? fe.msg : strerror(-err));
		goto out;
	}
	printf("%" PRIx64 "\n", r0);
	ret = 0;
out:
	userbpf_env_free(env);
	free(stdin_text);
	free(code);
	free(mem);
	return ret;
}
