/* SPDX-License-Identifier: Apache-2.0 */
/* obj_input.h: ELF object input for the CLI commands (run, disasm, obj): open, pick, print. */
#ifndef UB_CLI_OBJ_INPUT_H
#define UB_CLI_OBJ_INPUT_H

#include <stdio.h>

#include <userbpf/userbpf.h>

/* Does the file start with the ELF magic? (0 for "-" and unreadable files) */
int cli_is_elf(const char *path);

/*
 * Open the object at `path` (CO-RE target BTF from btf_path when not NULL) and pick the program
 * named `prog_name` (function or section name), or the first when NULL. Errors are printed,
 * naming the available programs when the name is unknown. On success *obj must be freed with
 * userbpf_object_free(). Returns 0 or -errno.
 */
int cli_obj_open(struct userbpf_env *env, const char *path, const char *prog_name,
		 const char *btf_path, struct userbpf_object **obj,
		 struct userbpf_object_prog **prog);

/*
 * Print the annotated disassembly (source lines, function and map names) of `prog_name`, or of
 * every program when NULL, to `out`. Returns 0 or -errno (errors printed).
 */
int cli_obj_disasm(struct userbpf_env *env, const char *path, const char *prog_name,
		   const struct userbpf_disasm_opts *opts, FILE *out);

/*
 * Open the object, load it (maps and every program, with `lo`) and return the loaded program
 * `prog_name` (or the first). *obj owns it: free with userbpf_object_free(). NULL on error
 * (printed).
 */
struct userbpf_prog *cli_obj_load(struct userbpf_env *env, const char *path,
				  const char *prog_name, const struct userbpf_object_load_opts *lo,
				  struct userbpf_object **obj);

#endif /* UB_CLI_OBJ_INPUT_H */
