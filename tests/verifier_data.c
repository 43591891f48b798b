/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verifier_data.c: runs the text cases of tests/data/verifier/ (*.txt) through userbpf_prog_load:
 * each case names its program type, license, mode, maps, the expected verdict and a substring
 * the verifier's error must contain. Format (one or more cases per file):
 *
 *   == case name
 *   type: xdp                      (Linux program type name; default socket_filter)
 *   license: GPL                   (default GPL)
 *   mode: unpriv                   (default priv)
 *   map: array:4:8:1               (TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES[:FLAGS]; repeatable,
 *                                   referenced in order as map[idx:N]; a map of maps takes
 *                                   the map before it as its inner template)
 *   result: accept | reject
 *   error: text                    (reject: a substring of the error sentence)
 *   -- asm
 *   r0 = 0                         (pseudo-C, as userbpf asm takes it)
 *   exit
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>

#include "helpers/progtypes.h"
#include "test.h"
#include "userbpf/userbpf.h"

#define MAX_MAPS 8

struct vcase {
	char name[128];
	char type[32];
	char license[64];
	int unpriv;
	int expect_accept;
	char error[256];
	char maps[MAX_MAPS][64];
	int nmaps;
	char *asm_text;
	size_t asm_len, asm_cap;
	const char *file;
	int line;
};

static const struct {
	const char *name;
	uint32_t type;
} map_types[] = {
	{ "hash", USERBPF_MAP_TYPE_HASH },
	{ "array", USERBPF_MAP_TYPE_ARRAY },
	{ "prog_array", USERBPF_MAP_TYPE_PROG_ARRAY },
	{ "percpu_hash", USERBPF_MAP_TYPE_PERCPU_HASH },
	{ "percpu_array", USERBPF_MAP_TYPE_PERCPU_ARRAY },
	{ "lru_hash", USERBPF_MAP_TYPE_LRU_HASH },
	{ "queue", USERBPF_MAP_TYPE_QUEUE },
	{ "stack", USERBPF_MAP_TYPE_STACK },
	{ "ringbuf", USERBPF_MAP_TYPE_RINGBUF },
	{ "array_of_maps", USERBPF_MAP_TYPE_ARRAY_OF_MAPS },
	{ "hash_of_maps", USERBPF_MAP_TYPE_HASH_OF_MAPS },
};

static unsigned ncases, naccept, nreject;

static void append(struct vcase *c, const char *s)
{
	size_t n = strlen(s);

	if (c->asm_len + n + 1 > c->asm_cap) {
		c->asm_cap = (c->asm_len + n + 1) * 2;
		c->asm_text = realloc(c->asm_text, c->asm_cap);
		if (!c->asm_text)
			abort();
	}
	memcpy(c->asm_text + c->asm_len, s, n + 1);
	c->asm_len += n;
}

static struct userbpf_map *make_map(struct userbpf_env *env, const char *spec,
				    struct userbpf_map *prev)
{
	char tname[32];
	unsigned k, val, n, flags = 0;
	struct userbpf_map_opts o = { .sz = sizeof(o) };

	if (sscanf(spec, "%31[^:]:%u:%u:%u:%u", tname, &k, &val, &n, &flags) < 4)
		return NULL;
	for (size_t i = 0; i < sizeof(map_types) / sizeof(map_types[0]); i++)
		if (!strcmp(map_types[i].name, tname))
			o.type = map_types[i].type;
	if (!o.type)
		o.type = (uint32_t)atoi(tname);
	o.key_size = k;
	o.value_size = val;
	o.max_entries = n;
	o.map_flags = flags;
	if (o.type == USERBPF_MAP_TYPE_ARRAY_OF_MAPS || o.type == USERBPF_MAP_TYPE_HASH_OF_MAPS)
		o.inner_map = prev;
	return userbpf_map_create(env, &o);
}

/* The environment's log: validation errors (before the verifier runs) land here. */
static char envlog[4096];

static void log_sink(void *user, int level, const char *msg)
{
	size_t n = strlen(envlog);

	(void)user, (void)level;
	if (n < sizeof(envlog) - 1)
		snprintf(envlog + n, sizeof(envlog) - n, "%s\n", msg);
}

/* Copy a header value, truncated to the field. */
static void setf(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void run_case(struct vcase *c)
{
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = log_sink };
	struct userbpf_env *env = userbpf_env_new(&eo);
	struct userbpf_map *maps[MAX_MAPS] = { 0 };
	const struct ub_prog_type_info *t = ub_prog_type_by_name(c->type);
	struct userbpf_prog_opts o = { .sz = sizeof(o) };
	struct userbpf_verify_stats st = { .sz = sizeof(st) };
	static char logbuf[1 << 20];
	struct userbpf_insn *insns = NULL;
	struct userbpf_prog *prog;
	size_t cnt = 0;
	int err, accepted;

	ncases++;
	envlog[0] = '\0';
	if (!env || !t) {
		CHECK(0, "%s:%d %s: bad env or program type '%s'", c->file, c->line, c->name,
		      c->type);
		goto out;
	}
	for (int i = 0; i < c->nmaps; i++) {
		maps[i] = make_map(env, c->maps[i], i ? maps[i - 1] : NULL);
		if (!maps[i]) {
			SKIP("%s:%d %s: map '%s' unavailable (%s)", c->file, c->line, c->name,
			     c->maps[i], strerror(errno));
			goto out;
		}
	}
	err = userbpf_asm(env, c->asm_text ? c->asm_text : "", USERBPF_SYNTAX_LLVM, &insns, &cnt);
	if (err) {
		CHECK(0, "%s:%d %s: does not assemble (%d)", c->file, c->line, c->name, err);
		goto out;
	}
	o.name = c->name;
	o.prog_type = t->num;
	o.license = c->license[0] ? c->license : "GPL";
	o.maps = maps;
	o.map_cnt = (size_t)c->nmaps;
	o.verify_flags = c->unpriv ? USERBPF_VERIFY_F_UNPRIV : 0;
	o.log_level = 2;
	o.log_buf = logbuf;
	o.log_size = sizeof(logbuf);
	o.verify_stats = &st;
	o.engine = USERBPF_ENGINE_INTERP;
	st.verdict = -1;
	prog = userbpf_prog_load(env, insns, cnt, &o);
	/* The verifier's verdict (stats), even when a later stage (engine) failed the load. */
	accepted = prog != NULL || st.verdict == 0;
	if (!prog && accepted)
		SKIP("%s:%d %s: verified, but the load failed after the verifier: %s", c->file,
		     c->line, c->name, envlog);
	if (c->expect_accept) {
		naccept++;
		if (!CHECK(accepted, "%s:%d %s: rejected: %s (insn %lld) %s", c->file, c->line,
			   c->name, st.error, (long long)st.error_insn, envlog) &&
		    getenv("UB_VERBOSE"))
			printf("%s\n", logbuf);
	} else {
		nreject++;
		if (CHECK(!accepted, "%s:%d %s: accepted, expected a rejection '%s'", c->file,
			  c->line, c->name, c->error))
			CHECK(strstr(st.error, c->error) || strstr(envlog, c->error),
			      "%s:%d %s: error '%s' (log '%s') does not contain '%s'", c->file,
			      c->line, c->name, st.error, envlog, c->error);
		else if (getenv("UB_VERBOSE"))
			printf("%s\n", logbuf);
	}
	/* Every verdict of the verifier comes with the stats line in the log. */
	if (accepted || st.error[0])
		CHECK(strstr(logbuf, "processed ") != NULL, "%s: no stats line in the log",
		      c->name);
	userbpf_prog_free(prog);
out:
	userbpf_insns_free(insns);
	for (int i = 0; i < c->nmaps; i++)
		userbpf_map_free(maps[i]);
	userbpf_env_free(env);
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
}

static void run_file(const char *path)
{
	FILE *f = fopen(path, "r");
	struct vcase c;
	char line[1024];
	int in_asm = 0, have = 0, lineno = 0;

	if (!CHECK(f != NULL, "cannot open %s", path))
		return;
	memset(&c, 0, sizeof(c));
	while (1) {
		char *ok = fgets(line, sizeof(line), f);

		lineno++;
		if (!ok || !strncmp(line, "== ", 3)) {
			if (have)
				run_case(&c);
			free(c.asm_text);
			memset(&c, 0, sizeof(c));
			if (!ok)
				break;
			have = 1;
			in_asm = 0;
			trim(line);
			setf(c.name, sizeof(c.name), line + 3);
			setf(c.type, sizeof(c.type), "socket_filter");
			c.file = path;
			c.line = lineno;
			continue;
		}
		if (in_asm) {
			append(&c, line);
			continue;
		}
		trim(line);
		if (!line[0] || line[0] == '#')
			continue;
		if (!strcmp(line, "-- asm"))
			in_asm = 1;
		else if (!strncmp(line, "type: ", 6))
			setf(c.type, sizeof(c.type), line + 6);
		else if (!strncmp(line, "license: ", 9))
			setf(c.license, sizeof(c.license), line + 9);
		else if (!strncmp(line, "mode: ", 6))
			c.unpriv = !strcmp(line + 6, "unpriv");
		else if (!strncmp(line, "map: ", 5) && c.nmaps < MAX_MAPS)
			setf(c.maps[c.nmaps++], sizeof(c.maps[0]), line + 5);
		else if (!strncmp(line, "result: ", 8))
			c.expect_accept = !strcmp(line + 8, "accept");
		else if (!strncmp(line, "error: ", 7))
			setf(c.error, sizeof(c.error), line + 7);
		else
			CHECK(0, "%s:%d: unknown header line '%s'", path, lineno, line);
	}
	fclose(f);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	const char *dir = "tests/data/verifier";
	char *names[256];
	int n = 0;
	DIR *d;
	struct dirent *e;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			run_file(argv[i]);
		printf("%u cases (%u accept, %u reject)\n", ncases, naccept, nreject);
		return ub_test_done("verifier_data");
	}
	d = opendir(dir);
	if (!CHECK(d != NULL, "cannot open %s", dir))
		return ub_test_done("verifier_data");
	while ((e = readdir(d)) && n < 256) {
		size_t l = strlen(e->d_name);

		if (l > 4 && !strcmp(e->d_name + l - 4, ".txt")) {
			names[n] = malloc(strlen(dir) + l + 2);
			sprintf(names[n++], "%s/%s", dir, e->d_name);
		}
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		run_file(names[i]);
		free(names[i]);
	}
	printf("%u cases (%u accept, %u reject)\n", ncases, naccept, nreject);
	CHECK(ncases >= 100, "only %u verifier cases", ncases);
	return ub_test_done("verifier_data");
}
