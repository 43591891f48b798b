/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_verify.c: `userbpf verify`: run the verifier on a program and report the verdict, the
 * reason (with instruction and source line) and the statistics, as text or as one JSON object.
 * Exit status: 0 accepted, 1 rejected, 2 usage or input error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_MAPS 64

static const char *prog_type_name(uint32_t type)
{
	const char *n = userbpf_prog_type_name(type);

	return n ? n : "unknown";
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: userbpf verify [options] PROG\n"
		"\n"
		"Run the verifier on PROG (.bin raw instructions, .s assembly, hex text, or a BPF ELF\n"
		"object from clang) and say whether it is accepted. An ELF object gives each program\n"
		"its type, license and maps; every program is verified unless --prog names one.\n"
		"Exit status: 0 accepted (all), 1 rejected (any), 2 usage or input error.\n"
		"\n"
		"  -t, --type T          program type, Linux name (socket_filter, xdp, sched_cls,\n"
		"                        sched_act, kprobe, tracing, syscall, unspec; aliases socket,\n"
		"                        tc, raw) or number; default socket_filter\n"
		"  -L, --license L       license string (default \"GPL\")\n"
		"  -u, --unpriv          verify as Linux does for a loader without CAP_PERFMON and\n"
		"                        CAP_SYS_ADMIN (no pointer leaks, no uninitialised stack reads)\n"
		"  -m, --map T:K:V:N     a map (type name or number, key size, value size, max\n"
		"                        entries); repeat in order: lddw map reference imm=i is the\n"
		"                        i-th --map\n"
		"  -l, --log-level N     verifier log: 1 errors and summary, 2 every instruction\n"
		"  -p, --prog NAME       ELF: verify only this program (function or section name)\n"
		"  -j, --json            print one JSON object (one line per program) instead of text\n"
		"  -h, --help            this text\n"
		"\n"
		"program types:");
	for (uint32_t t = 0; t < 64; t++)
		if (userbpf_prog_type_name(t))
			fprintf(f, " %s", userbpf_prog_type_name(t));
	fprintf(f, "\n");
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > UINT32_MAX || s[0] == '-')
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_type(const char *s, uint32_t *type)
{
	if (!userbpf_prog_type_by_name(s, type))
		return 0;
	return parse_u32(s, type);
}

/* A map type by name ("hash", "array", "ringbuf"...) through the library, or a number. */
static int parse_map_type(const char *s, size_t len, uint32_t *type)
{
	char buf[64];

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	for (uint32_t t = 1; t < 64; t++) {
		const char *n = userbpf_map_type_name(t);

		if (n && !strcmp(n, buf)) {
			*type = t;
			return 0;
		}
	}
	return parse_u32(buf, type);
}

/* "hash:8:16:1024" -> a new map. Errors are printed. */
static struct userbpf_map *map_from_spec(struct userbpf_env *env, const char *spec, size_t idx)
{
	struct userbpf_map_opts o = { .sz = sizeof(o) };
	const char *colon = strchr(spec, ':');
	char rest[128], *f[3], *save = NULL;
	struct userbpf_map *map;
	char name[16];

	if (!colon || parse_map_type(spec, (size_t)(colon - spec), &o.type)) {
		cli_error("verify", "--map %s: expected TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES with a "
			  "known map type (hash, array, ringbuf, ... or a number)", spec);
		return NULL;
	}
	snprintf(rest, sizeof(rest), "%s", colon + 1);
	f[0] = strtok_r(rest, ":", &save);
	f[1] = strtok_r(NULL, ":", &save);
	f[2] = strtok_r(NULL, ":", &save);
	if (!f[2] || strtok_r(NULL, ":", &save) || parse_u32(f[0], &o.key_size) ||
	    parse_u32(f[1], &o.value_size) || parse_u32(f[2], &o.max_entries)) {
		cli_error("verify", "--map %s: expected TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES", spec);
		return NULL;
	}
	snprintf(name, sizeof(name), "map%u", (unsigned)idx); /* idx < MAX_MAPS */
	o.name = name;
	map = userbpf_map_create(env, &o);
	if (!map)
		cli_error("verify", "--map %s: cannot create the map: %s", spec, strerror(errno));
	return map;
}

/* Print s as a JSON string (with quotes). */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

struct verify_args {
	uint32_t type;
	const char *license;
	int unpriv, json;
	uint32_t log_level;
	int license_set;
	const char *maps[MAX_MAPS];
	size_t map_cnt;
	const char *prog;
	const char *path;
};

static int parse_args(int argc, char **argv, struct verify_args *a)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "license", required_argument, NULL, 'L' },
		{ "unpriv", no_argument, NULL, 'u' },
		{ "map", required_argument, NULL, 'm' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "prog", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->type = USERBPF_PROG_TYPE_SOCKET_FILTER;
	a->license = "GPL";
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:L:um:l:jp:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_type(optarg, &a->type)) {
				cli_error(argv[0], "unknown program type '%s' (see --help)", optarg);
				return 2;
			}
			break;
		case 'L':
			a->license = optarg;
			a->license_set = 1;
			break;
		case 'p':
			a->prog = optarg;
			break;
		case 'u':
			a->unpriv = 1;
			break;
		case 'm':
			if (a->map_cnt == MAX_MAPS) {
				cli_error(argv[0], "at most %d --map options", MAX_MAPS);
				return 2;
			}
			a->maps[a->map_cnt++] = optarg;
			break;
		case 'l':
			if (parse_u32(optarg, &a->log_level) || a->log_level > 2) {
				cli_error(argv[0], "--log-level must be 0, 1 or 2, not '%s'", optarg);
				return 2;
			}
			break;
		case 'j':
			a->json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		cli_error(argv[0], optind == argc ? "no program given" : "one program at a time");
		usage(stderr);
		return 2;
	}
	a->path = argv[optind];
	return -1;
}

static void print_result(const struct verify_args *a, const char *name, uint32_t type,
			 int verdict_err, const struct userbpf_verify_stats *st, const char *log)
{
	int accepted = !verdict_err;

	if (a->json) {
		printf("{\"verdict\":\"%s\",\"error\":", accepted ? "accept" : "reject");
		json_str(stdout, accepted ? "" : st->error[0] ? st->error : strerror(verdict_err));
		printf(",\"insn\":%" PRId64 ",\"source\":", accepted ? (int64_t)-1 : st->error_insn);
		json_str(stdout, st->source);
		printf(",\"processed_insns\":%" PRIu64 ",\"total_states\":%" PRIu64
		       ",\"peak_states\":%" PRIu64 ",\"time_ns\":%" PRIu64 ",\"prog\":",
		       st->processed_insns, st->total_states, st->peak_states, st->time_ns);
		json_str(stdout, name);
		printf(",\"prog_type\":");
		json_str(stdout, prog_type_name(type));
		printf(",\"mode\":\"%s\"", a->unpriv ? "unprivileged" : "privileged");
		if (a->log_level) {
			printf(",\"log\":");
			json_str(stdout, log);
		}
		printf("}\n");
		return;
	}
	if (a->log_level && log[0])
		fputs(log, stdout), fputs(log[strlen(log) - 1] == '\n' ? "" : "\n", stdout);
	if (accepted) {
		printf("%s: accepted (%s, %s)\n", name, prog_type_name(type),
		       a->unpriv ? "unprivileged" : "privileged");
	} else {
		printf("%s: rejected", name);
		if (st->error_insn >= 0)
			printf(" at insn %" PRId64, st->error_insn);
		if (st->source[0])
			printf(" (%s)", st->source);
		printf(": %s\n", st->error[0] ? st->error : strerror(verdict_err));
	}
	printf("processed %" PRIu64 " insns, %" PRIu64 " states (peak %" PRIu64 "), %.3f ms\n",
	       st->processed_insns, st->total_states, st->peak_states, st->time_ns / 1e6);
}

/*
 * Verify one program. Returns 0 accepted, 1 rejected, 2 when the verifier could not give a
 * verdict (ENOTSUP, ENOMEM...): then the reason is printed.
 */
static int verify_one(struct userbpf_env *env, const struct verify_args *a, const char *name,
		      const struct userbpf_insn *insns, size_t cnt, struct userbpf_prog_opts *po)
{
	struct userbpf_verify_stats st = { .sz = sizeof(st), .error_insn = -1 };
	size_t log_size = a->log_level ? 1 << 24 : 0;
	char *log = NULL;
	struct userbpf_prog *prog;
	int err, rc;

	if (log_size) {
		log = calloc(1, log_size);
		if (!log) {
			cli_error("verify", "out of memory for the log");
			return 2;
		}
	}
	po->name = name;
	po->verify_flags = a->unpriv ? USERBPF_VERIFY_F_UNPRIV : 0;
	po->log_level = a->log_level;
	po->log_buf = log;
	po->log_size = log_size;
	po->verify_stats = &st;
	prog = userbpf_prog_load(env, insns, cnt, po);
	err = prog ? 0 : errno;
	if (!prog && err != EACCES && err != EINVAL && err != E2BIG) {
		/* Not a verdict: the verifier could not run. */
		cli_error("verify", "%s: cannot verify: %s%s%s", name, strerror(err),
			  st.error[0] ? ": " : "", st.error);
		if (a->json) {
			printf("{\"verdict\":\"error\",\"error\":");
			json_str(stdout, st.error[0] ? st.error : strerror(err));
			printf(",\"prog\":");
			json_str(stdout, name);
			printf("}\n");
		}
		rc = 2;
	} else {
		print_result(a, name, po->prog_type, err, &st, log ? log : "");
		rc = prog ? 0 : 1;
	}
	userbpf_prog_free(prog);
	free(log);
	return rc;
}

/* An object map (and its inner template) as a live map, with global data's initial value. */
static struct userbpf_map *object_map_create(struct userbpf_env *env,
					     const struct userbpf_object_map *m)
{
	struct userbpf_map_desc d = { .sz = sizeof(d) };
	struct userbpf_map_opts o = { .sz = sizeof(o) };
	struct userbpf_map *map, *inner = NULL;

	if (userbpf_object_map_desc(m, &d)) {
		errno = EINVAL;
		return NULL;
	}
	if (d.inner) {
		inner = object_map_create(env, d.inner);
		if (!inner)
			return NULL;
	}
	o.type = d.type;
	o.key_size = d.key_size;
	o.value_size = d.value_size;
	o.max_entries = d.max_entries;
	o.map_flags = d.flags;
	o.name = d.name;
	o.inner_map = inner;
	map = userbpf_map_create(env, &o);
	if (map && d.init_data) {
		uint32_t key = 0;
		int err = userbpf_map_update(map, &key, d.init_data, USERBPF_ANY);

		if (err) {
			userbpf_map_free(map);
			map = NULL;
			errno = -err;
		}
	}
	if (!map)
		cli_error("verify", "cannot create map '%s' (type %u, key %u, value %u, %u entries): "
			  "%s", d.name ? d.name : "?", d.type, d.key_size, d.value_size,
			  d.max_entries, strerror(errno));
	if (!map)
		userbpf_map_free(inner);
	/* On success the inner template lives on with the env, as the outer map may use it. */
	return map;
}

/* Every program of an ELF object (or the one --prog names), with the object's maps. */
static int verify_object(struct userbpf_env *env, struct verify_args *a)
{
	struct userbpf_object *obj = userbpf_object_open_file(env, a->path, NULL);
	struct userbpf_map **maps = NULL;
	size_t nmap, nprog, done = 0;
	int rc = 2, worst = 0;

	if (!obj) {
		cli_error("verify", "%s: cannot open the ELF object: %s", a->path, strerror(errno));
		return 2;
	}
	nmap = userbpf_object_map_cnt(obj);
	nprog = userbpf_object_prog_cnt(obj);
	if (nmap) {
		maps = calloc(nmap, sizeof(*maps));
		if (!maps)
			goto out;
	}
	for (size_t i = 0; i < nmap; i++) {
		maps[i] = object_map_create(env, userbpf_object_map_at(obj, i));
		if (!maps[i])
			goto out;
	}
	for (size_t i = 0; i < nprog; i++) {
		struct userbpf_object_prog *p = userbpf_object_prog_at(obj, i);
		const char *lic = userbpf_object_license(obj);
		struct userbpf_prog_opts po = { .sz = sizeof(po) };
		const struct userbpf_insn *insns;
		size_t cnt;
		int r;

		if (a->prog && strcmp(a->prog, userbpf_object_prog_name(p)) &&
		    strcmp(a->prog, userbpf_object_prog_section(p)))
			continue;
		insns = userbpf_object_prog_insns(p, &cnt);
		po.prog_type = userbpf_object_prog_type(p);
		/* As the loader does: an object without a license section gets the default. */
		po.license = a->license_set ? a->license : lic && lic[0] ? lic : NULL;
		po.maps = maps;
		po.map_cnt = nmap;
		po.line_info = userbpf_object_prog_line_info(p, &po.line_info_cnt);
		po.func_info = userbpf_object_prog_func_info(p, &po.func_info_cnt);
		r = verify_one(env, a, userbpf_object_prog_name(p), insns, cnt, &po);
		if (r > worst)
			worst = r;
		done++;
	}
	if (!done) {
		cli_error("verify", "%s: %s", a->path,
			  a->prog ? "no program of that name or section" : "no programs");
		goto out;
	}
	rc = worst;
out:
	for (size_t i = 0; i < nmap && maps; i++)
		userbpf_map_free(maps[i]);
	free(maps);
	userbpf_object_free(obj);
	return rc;
}

static int is_elf(const char *path)
{
	unsigned char m[4] = { 0 };
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : NULL;
	int elf;

	if (!f)
		return 0;
	elf = fread(m, 1, 4, f) == 4 && !memcmp(m, "\x7f" "ELF", 4);
	fclose(f);
	return elf;
}

int cmd_verify(int argc, char **argv)
{
	struct userbpf_map *maps[MAX_MAPS] = { 0 };
	struct userbpf_prog_opts po = { .sz = sizeof(po) };
	struct verify_args a;
	struct userbpf_env *env;
	struct cli_prog cp = { 0 };
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	/* Library messages (load errors) go to stderr; the verdict goes to stdout. */
	env = cli_env_new(USERBPF_LOG_WARN);
	if (!env)
		return 2;
	if (is_elf(a.path)) {
		if (a.map_cnt)
			cli_error(argv[0], "--map is ignored for ELF objects: their maps come from "
				  "the object");
		rc = verify_object(env, &a);
		userbpf_env_free(env);
		return rc;
	}
	rc = 2;
	if (a.prog) {
		cli_error(argv[0], "--prog applies to ELF objects only");
		goto out;
	}
	if (cli_prog_read(env, a.path, &cp))
		goto out;
	for (size_t i = 0; i < a.map_cnt; i++) {
		maps[i] = map_from_spec(env, a.maps[i], i);
		if (!maps[i])
			goto out;
	}
	po.prog_type = a.type;
	po.license = a.license;
	po.maps = maps;
	po.map_cnt = a.map_cnt;
	rc = verify_one(env, &a, a.path, cp.insns, cp.cnt, &po);
out:
	for (size_t i = 0; i < a.map_cnt; i++)
		userbpf_map_free(maps[i]);
	userbpf_insns_free(cp.insns);
	userbpf_env_free(env);
	return rc;
}
