/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h: what the subcommands share: reading programs, printing errors. Public API only. */
#ifndef UB_CLI_H
#define UB_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <userbpf/userbpf.h>

#define UB_CMD(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef UB_CMD

/* An environment whose log goes to stderr as "userbpf: <msg>", at the given level. */
struct userbpf_env *cli_env_new(int log_level);

/* A program read from a file: instructions, and what kind of file it was. */
struct cli_prog {
	struct userbpf_insn *insns; /* free with userbpf_insns_free() */
	size_t cnt;
	const char *kind;           /* "bin", "asm", "hex" */
};

/*
 * Read PROG: raw instructions (.bin, or any file whose size is a multiple of 8 and is not text),
 * assembly (.s: pseudo-C, or conformance syntax when it uses %rN registers), or hex text
 * (bytes as hex digits, whitespace ignored). "-" reads stdin. Errors are printed; returns 0 or
 * -errno.
 */
int cli_prog_read(struct userbpf_env *env, const char *path, struct cli_prog *out);

/* Read a whole file ("-" = stdin) into a NUL-terminated buffer. Returns NULL on error. */
char *cli_file_read(const char *path, size_t *len);

/* Parse hex text ("de ad be ef", "deadbeef", "00  01  ff  ") into bytes. -EINVAL on bad text. */
int cli_hex_parse(const char *text, unsigned char **bytes, size_t *len);

/* Print "userbpf <cmd>: <message>" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- packet runs (cmd_xdp.c) ---- */
struct userbpf_object;
/*
 * Open and load the object at path and return its first program of `type` (or the one named
 * `name`); *objp receives the object (free it, then the env). NULL after printing the error.
 */
struct userbpf_prog *cli_object_prog(struct userbpf_env *env, const char *cmd, const char *path,
				     const char *name, uint32_t type,
				     struct userbpf_object **objp);
/*
 * Test-run prog on one packet file (`data`) or on every packet file named in `list` (one path
 * per line, # comments), in order, on the same loaded program (maps persist). Packet files
 * are raw bytes or hex text. Prints one line per packet: with json, {"retval": N,
 * "data_out": "hex"}. Returns 0, or 1 after printing an error. For `userbpf run --type xdp`.
 */
int cli_run_packets(struct userbpf_prog *prog, const char *cmd, const char *data,
		    const char *list, int json);
/*
 * `userbpf run --type T [--data PKT | --data-list FILE] [--json] [--prog NAME] PROG`: PROG
 * is an ELF object (its first program of type T, or --prog NAME) or raw instructions loaded
 * as type T; each packet runs through userbpf_prog_test_run(). Exit status as cmd_run.
 */
int cli_run_typed(int argc, char **argv);

#endif /* UB_CLI_H */
