/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_obj.c: `userbpf obj show prog.o [--json]`: the programs and maps of a BPF ELF object. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "obj_input.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: userbpf obj show OBJECT.o [--json] [--btf TARGET]\n\n"
		   "List the programs (name, section, type, attach target, instructions, license)\n"
		   "and maps (name, type, key/value size, entries, flags) of a BPF ELF object.\n"
		   "  --json         one JSON document on stdout\n"
		   "  --btf TARGET   apply CO-RE relocations against this BTF (pahole -J output\n"
		   "                 or raw BTF) instead of the object's own\n");
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void show_json(struct userbpf_object *obj, FILE *f)
{
	fprintf(f, "{\"object\":");
	json_str(f, userbpf_object_name(obj));
	fprintf(f, ",\"license\":");
	json_str(f, userbpf_object_license(obj));
	fprintf(f, ",\"programs\":[");
	for (size_t i = 0; i < userbpf_object_prog_cnt(obj); i++) {
		struct userbpf_object_prog *p = userbpf_object_prog_at(obj, i);
		size_t cnt;

		userbpf_object_prog_insns(p, &cnt);
		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_str(f, userbpf_object_prog_name(p));
		fprintf(f, ",\"section\":");
		json_str(f, userbpf_object_prog_section(p));
		fprintf(f, ",\"type\":");
		json_str(f, userbpf_object_prog_type_name(p));
		fprintf(f, ",\"type_id\":%u,\"attach\":", userbpf_object_prog_type(p));
		json_str(f, userbpf_object_prog_attach_kind(p));
		fprintf(f, ",\"target\":");
		if (userbpf_object_prog_attach_target(p))
			json_str(f, userbpf_object_prog_attach_target(p));
		else
			fprintf(f, "null");
		fprintf(f, ",\"insns\":%zu}", cnt);
	}
	fprintf(f, "],\"maps\":[");
	for (size_t i = 0; i < userbpf_object_map_cnt(obj); i++) {
		struct userbpf_map_desc d = { .sz = sizeof(d) };

		userbpf_object_map_desc(userbpf_object_map_at(obj, i), &d);
		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_str(f, d.name);
		fprintf(f, ",\"type\":");
		json_str(f, userbpf_map_type_name(d.type));
		fprintf(f, ",\"type_id\":%u,\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u,"
			   "\"flags\":%u,\"section\":", d.type, d.key_size, d.value_size,
			d.max_entries, d.flags);
		json_str(f, d.section);
		if (d.inner) {
			struct userbpf_map_desc in = { .sz = sizeof(in) };

			userbpf_object_map_desc(d.inner, &in);
			fprintf(f, ",\"inner\":{\"type\":");
			json_str(f, userbpf_map_type_name(in.type));
			fprintf(f, ",\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u}",
				in.key_size, in.value_size, in.max_entries);
		}
		fputc('}', f);
	}
	fprintf(f, "]}\n");
}

static void show_text(struct userbpf_object *obj, FILE *f)
{
	fprintf(f, "object %s, license \"%s\"\n\n", userbpf_object_name(obj),
		userbpf_object_license(obj));
	fprintf(f, "%-20s %-24s %-15s %6s  %s\n", "PROGRAM", "SECTION", "TYPE", "INSNS", "ATTACH");
	for (size_t i = 0; i < userbpf_object_prog_cnt(obj); i++) {
		struct userbpf_object_prog *p = userbpf_object_prog_at(obj, i);
		const char *t = userbpf_object_prog_attach_target(p);
		size_t cnt;

		userbpf_object_prog_insns(p, &cnt);
		fprintf(f, "%-20s %-24s %-15s %6zu  %s%s%s\n", userbpf_object_prog_name(p),
			userbpf_object_prog_section(p), userbpf_object_prog_type_name(p), cnt,
			userbpf_object_prog_attach_kind(p), t ? " " : "", t ? t : "");
	}
	if (!userbpf_object_map_cnt(obj))
		return;
	fprintf(f, "\n%-20s %-16s %5s %6s %8s %7s  %s\n", "MAP", "TYPE", "KEY", "VALUE", "ENTRIES",
		"FLAGS", "SECTION");
	for (size_t i = 0; i < userbpf_object_map_cnt(obj); i++) {
		struct userbpf_map_desc d = { .sz = sizeof(d) };

		userbpf_object_map_desc(userbpf_object_map_at(obj, i), &d);
		fprintf(f, "%-20s %-16s %5u %6u %8u %#7x  %s", d.name, userbpf_map_type_name(d.type),
			d.key_size, d.value_size, d.max_entries, d.flags, d.section);
		if (d.inner) {
			struct userbpf_map_desc in = { .sz = sizeof(in) };

			userbpf_object_map_desc(d.inner, &in);
			fprintf(f, "  inner: %s %u/%u x%u", userbpf_map_type_name(in.type),
				in.key_size, in.value_size, in.max_entries);
		}
		fputc('\n', f);
	}
}

int cmd_obj(int argc, char **argv)
{
	const char *path = NULL, *btf = NULL;
	struct userbpf_object *obj;
	struct userbpf_env *env;
	int json = 0, err;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "show")) {
		cli_error(argv[0], "unknown verb '%s' (try: userbpf obj show OBJECT.o)", argv[1]);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--btf") && i + 1 < argc) {
			btf = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || path) {
			cli_error(argv[0], "unexpected argument '%s'", argv[i]);
			return 2;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		cli_error(argv[0], "no object file given");
		return 2;
	}
	env = cli_env_new(USERBPF_LOG_WARN);
	if (!env)
		return 1;
	err = cli_obj_open(env, path, NULL, btf, &obj, NULL);
	if (!err) {
		if (json)
			show_json(obj, stdout);
		else
			show_text(obj, stdout);
		userbpf_object_free(obj);
	}
	userbpf_env_free(env);
	return err ? 1 : 0;
}
