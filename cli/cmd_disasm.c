/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_disasm.c: `userbpf disasm`: print a program's instructions as text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "obj_input.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: userbpf disasm PROG [--syntax llvm|conformance] [--raw] [--labels]\n"
		"                           [--no-index]\n"
		"\n"
		"Print the instructions of PROG: raw instructions (.bin), assembly (.s) or hex\n"
		"text; '-' reads stdin.\n"
		"\n"
		"  --syntax llvm         kernel/LLVM pseudo-C as llvm-objdump prints it (default)\n"
		"  --syntax conformance  bpf_conformance syntax (ldxw %%r0, [%%r1+4])\n"
		"  --raw                 also print each instruction's bytes\n"
		"  --labels              jump and call targets as labels (Ln:) instead of +off\n"
		"  --no-index            no instruction index: the output assembles back as is\n"
		"  --prog NAME           ELF object (.o): only this program (function or section);\n"
		"                        every program by default, with C source lines, function\n"
		"                        and map names interleaved\n"
		"  --jited               the x86-64 code the JIT makes, after each instruction (raw\n"
		"                        programs load as trusted; .o programs are verified first)\n"
		"\n"
		"Encodings no instruction matches print as `.insn 0x<16 hex digits>`.\n"
		"Exit status: 0 on success, 1 if PROG cannot be read, 2 on usage errors.\n");
}

/*
 * A program to print. Today the input file holds one; a source that yields several (an ELF
 * object's sections and functions) fills `name` and is printed one program after another.
 */
struct disasm_prog {
	const char *name; /* NULL: the file is the program */
	struct userbpf_insn *insns;
	size_t cnt;
};

/* Read every program of `path`; returns how many (>= 1) or -errno (message printed). */
static int read_progs(struct userbpf_env *env, const char *path, struct disasm_prog **out)
{
	struct cli_prog cp;
	struct disasm_prog *p;
	int err = cli_prog_read(env, path, &cp);

	if (err)
		return err;
	p = calloc(1, sizeof(*p));
	if (!p) {
		userbpf_insns_free(cp.insns);
		cli_error("disasm", "out of memory");
		return -ENOMEM;
	}
	p->insns = cp.insns;
	p->cnt = cp.cnt;
	*out = p;
	return 1;
}

static int write_stdout(void *user, const char *text, size_t len)
{
	(void)user;
	return fwrite(text, 1, len, stdout) == len ? 0 : -EIO;
}

/* --jited: JIT the program (trusted: it is shown, not run) and print its machine code. */
static int disasm_jited(struct userbpf_env *env, const struct disasm_prog *p,
			const struct userbpf_disasm_opts *opts)
{
	struct userbpf_prog_opts po = { .sz = sizeof(po), .name = p->name,
					.engine = USERBPF_ENGINE_JIT,
					.flags = USERBPF_PROG_F_TRUSTED };
	struct userbpf_prog *prog = userbpf_prog_load(env, p->insns, p->cnt, &po);
	int err;

	if (!prog)
		return -errno;
	err = userbpf_prog_disasm_jited(prog, opts, write_stdout, NULL);
	userbpf_prog_free(prog);
	return err;
}

/* --jited for an ELF object: load it (verified, on the JIT) and print one program. */
static int obj_disasm_jited(struct userbpf_env *env, const char *path, const char *prog_name,
			    const struct userbpf_disasm_opts *opts)
{
	struct userbpf_object_load_opts lo = { .sz = sizeof(lo), .engine = USERBPF_ENGINE_JIT };
	struct userbpf_object *obj = NULL;
	struct userbpf_prog *prog = cli_obj_load(env, path, prog_name, &lo, &obj);
	int err;

	if (!prog)
		return -EINVAL;
	err = userbpf_prog_disasm_jited(prog, opts, write_stdout, NULL);
	if (err)
		cli_error("disasm", "%s: %s", path, strerror(err < 0 ? -err : EIO));
	userbpf_object_free(obj);
	return err;
}

int cmd_disasm(int argc, char **argv)
{
	struct userbpf_disasm_opts opts = { .sz = sizeof(opts), .syntax = USERBPF_SYNTAX_LLVM };
	struct disasm_prog *progs = NULL;
	struct userbpf_env *env;
	const char *path = NULL, *prog_name = NULL;
	int n, ret = 0, jited = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--raw")) {
			opts.flags |= USERBPF_DISASM_F_RAW;
		} else if (!strcmp(a, "--labels")) {
			opts.flags |= USERBPF_DISASM_F_LABELS;
		} else if (!strcmp(a, "--no-index")) {
			opts.flags |= USERBPF_DISASM_F_NO_INDEX;
		} else if (!strcmp(a, "--jited")) {
			jited = 1;
		} else if (!strcmp(a, "--prog") && i + 1 < argc) {
			prog_name = argv[++i];
		} else if (!strcmp(a, "--syntax")) {
			const char *s = i + 1 < argc ? argv[++i] : "";

			if (!strcmp(s, "llvm") || !strcmp(s, "pseudo-c")) {
				opts.syntax = USERBPF_SYNTAX_LLVM;
			} else if (!strcmp(s, "conformance")) {
				opts.syntax = USERBPF_SYNTAX_CONFORMANCE;
			} else {
				cli_error(argv[0], "--syntax needs llvm or conformance");
				return 2;
			}
		} else if (a[0] == '-' && a[1]) {
			cli_error(argv[0], "unknown option '%s' (see --help)", a);
			return 2;
		} else if (path) {
			cli_error(argv[0], "one program only ('%s' and '%s')", path, a);
			return 2;
		} else {
			path = a;
		}
	}
	if (!path) {
		usage(stderr);
		return 2;
	}
	env = cli_env_new(USERBPF_LOG_INFO);
	if (!env)
		return 1;
	if (cli_is_elf(path)) {
		if (jited)
			ret = obj_disasm_jited(env, path, prog_name, &opts) ? 1 : 0;
		else
			ret = cli_obj_disasm(env, path, prog_name, &opts, stdout) ? 1 : 0;
		userbpf_env_free(env);
		return ret || fflush(stdout) ? 1 : 0;
	}
	if (prog_name) {
		cli_error(argv[0], "--prog applies to ELF objects; %s is not one", path);
		userbpf_env_free(env);
		return 2;
	}
	n = read_progs(env, path, &progs);
	if (n < 0) {
		userbpf_env_free(env);
		return 1;
	}
	for (int i = 0; i < n && !ret; i++) {
		int err;

		if (progs[i].name)
			printf("%s%s:\n", i ? "\n" : "", progs[i].name);
		if (jited)
			err = disasm_jited(env, &progs[i], &opts);
		else
			err = userbpf_disasm(progs[i].insns, progs[i].cnt, &opts, write_stdout, NULL);
		if (err) {
			cli_error(argv[0], "%s: %s", path, strerror(err < 0 ? -err : EIO));
			ret = 1;
		}
	}
	for (int i = 0; i < n; i++)
		userbpf_insns_free(progs[i].insns);
	free(progs);
	userbpf_env_free(env);
	if (!ret && fflush(stdout))
		ret = 1;
	return ret;
}
