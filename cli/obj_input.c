/* SPDX-License-Identifier: Apache-2.0 */
/* obj_input.c: ELF object input for the CLI: open an object, pick a program, disassemble, load. */
#include <errno.h>
#include <string.h>

#include "obj_input.h"

int cli_is_elf(const char *path)
{
	unsigned char magic[4] = { 0 };
	FILE *f;
	size_t n;

	if (!path || !strcmp(path, "-"))
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return 0;
	n = fread(magic, 1, 4, f);
	fclose(f);
	return n == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

int cli_obj_open(struct userbpf_env *env, const char *path, const char *prog_name,
		 const char *btf_path, struct userbpf_object **obj,
		 struct userbpf_object_prog **prog)
{
	struct userbpf_object_opts o = { .sz = sizeof(o), .btf_path = btf_path };
	struct userbpf_object *ob;
	struct userbpf_object_prog *p;
	int err;

	*obj = NULL;
	if (prog)
		*prog = NULL;
	ob = userbpf_object_open_file(env, path, &o);
	if (!ob) {
		err = -errno;
		fprintf(stderr, "userbpf: %s: cannot open the object: %s\n", path, strerror(errno));
		return err;
	}
	if (prog) {
		p = prog_name ? userbpf_object_find_prog(ob, prog_name) :
				userbpf_object_prog_at(ob, 0);
		if (!p) {
			if (prog_name)
				fprintf(stderr, "userbpf: %s: no program '%s'; it has:", path,
					prog_name);
			else
				fprintf(stderr, "userbpf: %s: the object has no programs", path);
			for (size_t i = 0; prog_name && i < userbpf_object_prog_cnt(ob); i++)
				fprintf(stderr, " %s",
					userbpf_object_prog_name(userbpf_object_prog_at(ob, i)));
			fputc('\n', stderr);
			userbpf_object_free(ob);
			return -ENOENT;
		}
		*prog = p;
	}
	*obj = ob;
	return 0;
}

static int file_write(void *user, const char *text, size_t len)
{
	return fwrite(text, 1, len, user) == len ? 0 : -EIO;
}

int cli_obj_disasm(struct userbpf_env *env, const char *path, const char *prog_name,
		   const struct userbpf_disasm_opts *opts, FILE *out)
{
	struct userbpf_object *obj;
	struct userbpf_object_prog *p;
	int err = cli_obj_open(env, path, prog_name, NULL, &obj, prog_name ? &p : NULL);

	if (err)
		return err;
	for (size_t i = 0; i < userbpf_object_prog_cnt(obj) && !err; i++) {
		struct userbpf_object_prog *cur = userbpf_object_prog_at(obj, i);

		if (prog_name && cur != p)
			continue;
		if (!prog_name)
			fprintf(out, "%s; program %s, section %s\n", i ? "\n" : "",
				userbpf_object_prog_name(cur), userbpf_object_prog_section(cur));
		err = userbpf_object_prog_disasm(cur, opts, file_write, out);
	}
	userbpf_object_free(obj);
	return err;
}

struct userbpf_prog *cli_obj_load(struct userbpf_env *env, const char *path,
				  const char *prog_name, const struct userbpf_object_load_opts *lo,
				  struct userbpf_object **obj)
{
	struct userbpf_object_prog *p;
	int err = cli_obj_open(env, path, prog_name, NULL, obj, &p);

	if (err)
		return NULL;
	err = userbpf_object_load(*obj, lo);
	if (err) {
		fprintf(stderr, "userbpf: %s: cannot load: %s\n", path, strerror(-err));
		userbpf_object_free(*obj);
		*obj = NULL;
		errno = -err;
		return NULL;
	}
	return userbpf_object_prog_loaded(p);
}
