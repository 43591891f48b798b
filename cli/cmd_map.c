/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_map.c: `userbpf map dump`: print the contents of maps, from a BPF object (after
 * loading it: global data and initial values) or from a shared map another process created
 * (its memfd, e.g. /proc/PID/fd/N), as a human table, JSON, or log2 histogram bars.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: userbpf map dump OBJ.o [MAP] [--json] [--hist]\n"
	    "       userbpf map dump --shared PATH [--json] [--hist]\n"
	    "\n"
	    "Print every element of the maps of OBJ.o (or only MAP) once the object is loaded,\n"
	    "or of a shared map created by another process with opts.shared (PATH is its\n"
	    "memfd, e.g. /proc/PID/fd/N). Keys and values of 1, 2, 4 or 8 bytes print as\n"
	    "numbers, others as hex; per-CPU values print per CPU (JSON) or summed (table).\n"
	    "  --json  one JSON object per map: {\"name\", \"type\", \"elements\": [{key, "
	    "value}]}\n"
	    "  --hist  array maps of 4- or 8-byte counters as a log2 histogram: element 0 counts\n"
	    "          the value 0, element k >= 1 counts values in [2^(k-1), 2^k)\n"
	    "Exit status: 0 on success, 1 on errors, 2 on usage errors.\n");
}

struct dump {
	struct userbpf_map *map;
	int json, first;
	uint32_t ks, vs, ncpu, percpu;
	uint64_t *hist;
	uint32_t nhist;
};

static int is_num(uint32_t n)
{
	return n == 1 || n == 2 || n == 4 || n == 8;
}

static uint64_t num(const void *p, uint32_t n)
{
	uint64_t v = 0;

	memcpy(&v, p, n); /* little-endian host */
	return v;
}

static void put(FILE *f, const uint8_t *p, uint32_t n, int json)
{
	if (is_num(n)) {
		fprintf(f, "%llu", (unsigned long long)num(p, n));
		return;
	}
	if (json)
		fputc('"', f);
	for (uint32_t i = 0; i < n; i++)
		fprintf(f, "%02x%s", p[i], !json && i + 1 < n ? " " : "");
	if (json)
		fputc('"', f);
}

static int each(void *user, const void *key, const void *value)
{
	struct dump *d = user;
	const uint8_t *v = value;
	uint32_t stride = (d->vs + 7) & ~7u;

	if (d->hist) {
		uint32_t idx = (uint32_t)num(key, 4);

		if (idx < d->nhist)
			for (uint32_t c = 0; c < (d->percpu ? d->ncpu : 1); c++)
				d->hist[idx] += num(v + (size_t)c * stride, d->vs);
		return 0;
	}
	if (d->json) {
		printf("%s{\"key\": ", d->first ? "" : ", ");
		put(stdout, key, d->ks, 1);
		printf(", \"value\": ");
		if (d->percpu) {
			printf("[");
			for (uint32_t c = 0; c < d->ncpu; c++) {
				printf(c ? ", " : "");
				put(stdout, v + (size_t)c * stride, d->vs, 1);
			}
			printf("]");
		} else {
			put(stdout, v, d->vs, 1);
		}
		printf("}");
	} else {
		printf("  ");
		if (d->ks)
			put(stdout, key, d->ks, 0);
		printf(" => ");
		if (d->percpu && is_num(d->vs)) {
			uint64_t sum = 0;

			for (uint32_t c = 0; c < d->ncpu; c++)
				sum += num(v + (size_t)c * stride, d->vs);
			printf("%llu (sum over %u CPUs)", (unsigned long long)sum, d->ncpu);
		} else {
			put(stdout, v, d->percpu ? stride * d->ncpu : d->vs, 0);
		}
		printf("\n");
	}
	d->first = 0;
	return 0;
}

static void print_hist(const uint64_t *h, uint32_t n)
{
	uint64_t max = 0;
	uint32_t last = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (h[i] > max)
			max = h[i];
		if (h[i])
			last = i;
	}
	for (uint32_t i = 0; i <= last; i++) {
		char range[48];
		int bars = max ? (int)(h[i] * 40 / max) : 0;

		if (i == 0)
			snprintf(range, sizeof(range), "[0]");
		else if (i == 1)
			snprintf(range, sizeof(range), "[1]");
		else
			snprintf(range, sizeof(range), "[%llu, %llu)", 1ull << (i - 1), 1ull << i);
		printf("%-26s %10llu |", range, (unsigned long long)h[i]);
		for (int b = 0; b < 40; b++)
			putchar(b < bars ? '@' : ' ');
		printf("|\n");
	}
}

static int dump_map(struct userbpf_map *map, int json, int hist)
{
	uint32_t type = userbpf_map_type(map);
	const char *tn = userbpf_map_type_name(type);
	struct dump d = {.map = map,
			 .json = json,
			 .first = 1,
			 .ks = userbpf_map_key_size(map),
			 .vs = userbpf_map_value_size(map),
			 .ncpu = (uint32_t)userbpf_num_possible_cpus(),
			 .percpu = type == USERBPF_MAP_TYPE_PERCPU_ARRAY ||
				   type == USERBPF_MAP_TYPE_PERCPU_HASH ||
				   type == USERBPF_MAP_TYPE_LRU_PERCPU_HASH};
	long n;

	if (type == USERBPF_MAP_TYPE_RINGBUF || type == USERBPF_MAP_TYPE_QUEUE ||
	    type == USERBPF_MAP_TYPE_STACK || type == USERBPF_MAP_TYPE_BLOOM_FILTER ||
	    type == USERBPF_MAP_TYPE_PROG_ARRAY) {
		if (json)
			printf("{\"name\": \"%s\", \"type\": \"%s\", \"elements\": null}\n",
			       userbpf_map_name(map), tn ? tn : "?");
		else
			printf("%s (%s): elements cannot be listed\n", userbpf_map_name(map),
			       tn ? tn : "?");
		return 0;
	}
	if (hist) {
		if ((type != USERBPF_MAP_TYPE_ARRAY && type != USERBPF_MAP_TYPE_PERCPU_ARRAY) ||
		    (d.vs != 4 && d.vs != 8)) {
			fprintf(stderr,
				"userbpf map: %s: --hist needs an array of 4- or 8-byte "
				"counters\n",
				userbpf_map_name(map));
			return 1;
		}
		d.nhist = userbpf_map_max_entries(map) < 65 ? userbpf_map_max_entries(map) : 65;
		d.hist = calloc(d.nhist, sizeof(*d.hist));
		if (!d.hist)
			return 1;
	}
	if (json)
		printf("{\"name\": \"%s\", \"type\": \"%s\", \"key_size\": %u, \"value_size\": %u, "
		       "\"elements\": [",
		       userbpf_map_name(map), tn ? tn : "?", d.ks, d.vs);
	else
		printf("%s (%s, key %u, value %u, max %u):\n", userbpf_map_name(map), tn ? tn : "?",
		       d.ks, d.vs, userbpf_map_max_entries(map));
	n = userbpf_map_dump(map, each, &d);
	if (hist && n >= 0)
		print_hist(d.hist, d.nhist);
	if (json)
		printf("]}\n");
	else if (n >= 0 && !hist)
		printf("  (%ld elements)\n", n);
	free(d.hist);
	if (n < 0) {
		fprintf(stderr, "userbpf map: %s: %s\n", userbpf_map_name(map), strerror((int)-n));
		return 1;
	}
	return 0;
}

int cmd_map(int argc, char **argv)
{
	const char *obj_path = NULL, *mapname = NULL, *shared = NULL;
	struct userbpf_object *obj = NULL;
	struct userbpf_env *env;
	int json = 0, hist = 0, rc = 0;

	if (argc < 2 || strcmp(argv[1], "dump")) {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--hist")) {
			hist = 1;
		} else if (!strcmp(argv[i], "--shared") && i + 1 < argc) {
			shared = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] != '-' && !obj_path && !shared) {
			obj_path = argv[i];
		} else if (argv[i][0] != '-' && !mapname) {
			mapname = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!obj_path == !shared) {
		usage(stderr);
		return 2;
	}
	env = cli_env_new(USERBPF_LOG_WARN);
	if (!env)
		return 1;
	if (shared) {
		int fd = open(shared, O_RDWR | O_CLOEXEC);
		struct userbpf_map *m = fd < 0 ? NULL : userbpf_map_open_shared(env, fd);

		if (!m) {
			cli_error("map", "%s: %s", shared, strerror(errno));
			rc = 1;
		} else {
			rc = dump_map(m, json, hist);
		}
		if (fd >= 0)
			close(fd);
		userbpf_env_free(env);
		return rc;
	}
	obj = userbpf_object_open_file(env, obj_path, NULL);
	if (!obj || userbpf_object_load(obj, NULL)) {
		cli_error("map", "%s: cannot load: %s", obj_path, strerror(errno));
		userbpf_object_free(obj);
		userbpf_env_free(env);
		return 1;
	}
	for (size_t i = 0; i < userbpf_object_map_cnt(obj); i++) {
		struct userbpf_map *m = userbpf_object_map_loaded(userbpf_object_map_at(obj, i));

		if (!m || (mapname && strcmp(userbpf_map_name(m), mapname)))
			continue;
		rc |= dump_map(m, json, hist);
	}
	userbpf_object_free(obj);
	userbpf_env_free(env);
	return rc;
}
