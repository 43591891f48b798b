/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_run.c: `userbpf run`: load a program, run it once on given memory, print r0. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "obj_input.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: userbpf run [--mem HEX|@FILE] [--json] [--interp|--jit] [--budget N] PROG\n"
		"\n"
		"Run PROG once and print its return value r0.\n"
		"PROG is raw instructions (.bin), assembly (.s) or hex text; '-' reads stdin;\n"
		"or an ELF object (.o) from clang: its maps are created and one program run.\n"
		"The program gets r1 = a copy of the memory (or 0 without --mem),\n"
		"r2 = its length, r10 = the top of a 512-byte stack.\n"
		"\n"
		"  --mem HEX     input memory as hex bytes (\"de ad be ef\" or \"deadbeef\")\n"
		"  --mem @FILE   input memory: the bytes of FILE\n"
		"  --json        print {\"retval\": N} instead of \"r0 = N (0xN)\"\n"
		"  --interp      run on the interpreter (default); the program is not verified,\n"
		"                so every memory access is checked at run time\n"
		"  --jit         run on the JIT; the program is trusted (no checks at all)\n"
		"  --budget N    stop an unverified program after N instructions (default 2^26)\n"
		"  --prog NAME   ELF object: the program to run (function or section name;\n"
		"                default: the first)\n"
		"\n"
		"usage: userbpf run --type TYPE (--data PKT | --data-list FILE) [--json]\n"
		"                   [--prog NAME] [--interp|--jit] PROG\n"
		"  TYPE xdp, socket_filter, sched_cls, sched_act, syscall or raw: PROG (an\n"
		"  ELF object's first program of that type, or --prog NAME; or raw\n"
		"  instructions, then verified) runs like Linux's BPF_PROG_TEST_RUN on each\n"
		"  packet file (raw bytes or hex) in order, maps persisting; --json prints\n"
		"  {\"retval\": N, \"data_out\": \"hex\"} per packet.\n"
		"\n"
		"Exit status: 0 on success, 1 if the program cannot be loaded or faults,\n"
		"2 on usage errors.\n");
}

/* Read --mem: hex text, or @FILE for raw bytes. Returns 0 or -errno (message printed). */
static int read_mem(const char *arg, unsigned char **mem, size_t *len)
{
	if (arg[0] == '@') {
		char *buf = cli_file_read(arg + 1, len);

		if (!buf) {
			cli_error("run", "--mem %s: %s", arg, strerror(errno));
			return -errno;
		}
		*mem = (unsigned char *)buf;
		return 0;
	}
	if (cli_hex_parse(arg, mem, len)) {
		cli_error("run", "--mem: '%s' is not hex bytes (use @FILE for a file)", arg);
		return -EINVAL;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct userbpf_prog_opts opts = { .sz = sizeof(opts), .name = "run" };
	const char *mem_arg = NULL, *path = NULL, *prog_name = NULL;
	struct userbpf_object *obj = NULL;
	unsigned char *mem = NULL;
	struct userbpf_env *env = NULL;
	struct userbpf_prog *prog;
	struct cli_prog cp = { 0 };
	size_t mem_len = 0;
	uint64_t r0 = 0;
	int json = 0, jit = 0, ret = 1, err;

	/* With a program type: contexts and packets (cli_run_typed, cmd_xdp.c). */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--type"))
			return cli_run_typed(argc, argv);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--interp")) {
			jit = 0;
		} else if (!strcmp(a, "--jit")) {
			jit = 1;
		} else if (!strcmp(a, "--prog") && i + 1 < argc) {
			prog_name = argv[++i];
		} else if (!strcmp(a, "--mem") || !strcmp(a, "--budget")) {
			if (i + 1 >= argc) {
				cli_error(argv[0], "%s needs a value", a);
				return 2;
			}
			if (!strcmp(a, "--mem")) {
				mem_arg = argv[++i];
			} else {
				char *end;

				errno = 0;
				opts.insn_budget = strtoull(argv[++i], &end, 0);
				if (errno || *end || !opts.insn_budget || argv[i][0] == '-') {
					cli_error(argv[0], "--budget '%s' is not a positive number",
						  argv[i]);
					return 2;
				}
			}
		} else if (a[0] == '-' && a[1]) {
			cli_error(argv[0], "unknown option '%s' (see --help)", a);
			return 2;
		} else if (path) {
			cli_error(argv[0], "more than one program given ('%s', '%s')", path, a);
			return 2;
		} else {
			path = a;
		}
	}
	if (!path) {
		usage(stderr);
		return 2;
	}
	if (mem_arg && read_mem(mem_arg, &mem, &mem_len))
		return 2;
	env = cli_env_new(USERBPF_LOG_INFO);
	if (!env)
		goto out;
	opts.engine = jit ? USERBPF_ENGINE_JIT : USERBPF_ENGINE_INTERP;
	opts.flags = jit ? USERBPF_PROG_F_TRUSTED : USERBPF_PROG_F_UNVERIFIED;
	if (cli_is_elf(path)) {
		/* An ELF object: its maps are created and the program (--prog, or the first) loaded. */
		struct userbpf_object_load_opts lo = {
			.sz = sizeof(lo), .flags = opts.flags, .engine = opts.engine,
			.insn_budget = opts.insn_budget,
		};

		prog = cli_obj_load(env, path, prog_name, &lo, &obj);
		if (!prog)
			goto out;
	} else if (prog_name) {
		cli_error(argv[0], "--prog applies to ELF objects; %s is not one", path);
		ret = 2;
		goto out;
	} else {
		if (cli_prog_read(env, path, &cp))
			goto out;
		prog = userbpf_prog_load(env, cp.insns, cp.cnt, &opts);
	}
	if (!prog) {
		cli_error(argv[0], "%s: cannot load: %s%s", path, strerror(errno),
			  jit && errno == ENOTSUP ? " (no JIT in this build?)" : "");
		goto out;
	}
	err = userbpf_prog_run(prog, mem, mem_len, &r0);
	if (err) {
		cli_error(argv[0], "%s: run failed: %s", path, strerror(-err));
		goto out;
	}
	if (json)
		printf("{\"retval\": %" PRIu64 "}\n", r0);
	else
		printf("r0 = %" PRIu64 " (0x%" PRIx64 ")\n", r0, r0);
	ret = 0;
out:
	userbpf_object_free(obj);
	userbpf_insns_free(cp.insns);
	userbpf_env_free(env);
	free(mem);
	return ret;
}
