/* SPDX-License-Identifier: Apache-2.0 */
/* map_types.c: every map type through the public API: Linux's flags, errors and iteration. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <userbpf/userbpf.h>

#include "maps/map.h"
#include "test.h"

static struct userbpf_env *env;
static char last_log[512];

static void log_fn(void *user, int level, const char *msg)
{
	(void)user, (void)level;
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

static struct userbpf_map *mk(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags,
			      const char *name)
{
	struct userbpf_map_opts o = {.sz = sizeof(o),
				     .type = type,
				     .key_size = ks,
				     .value_size = vs,
				     .max_entries = max,
				     .map_flags = flags,
				     .name = name};

	last_log[0] = 0;
	return userbpf_map_create(env, &o);
}

static void test_array(void)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_ARRAY, 4, 12, 4, 0, "arr");
	uint32_t k = 2, next;
	uint8_t v[12], out[12];
	uint64_t addr;

	CHECK(m != NULL, "array created");
	CHECK(!strcmp(userbpf_map_name(m), "arr"), "name");
	CHECK_EQ_U64(userbpf_map_type(m), USERBPF_MAP_TYPE_ARRAY, "type");
	memset(v, 0xab, sizeof(v));
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, out), 0, "elements exist from the start");
	CHECK(!memcmp(out, (uint8_t[12]){0}, 12), "zero initialised");
	CHECK_EQ_U64(userbpf_map_update(m, &k, v, USERBPF_ANY), 0, "update");
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, out), 0, "lookup");
	CHECK(!memcmp(out, v, 12), "value round trip");
	CHECK_EQ_U64(userbpf_map_update(m, &k, v, USERBPF_NOEXIST), -EEXIST, "NOEXIST on array");
	CHECK_EQ_U64(userbpf_map_update(m, &k, v, 7), -EINVAL, "bad flags");
	k = 4;
	CHECK_EQ_U64(userbpf_map_update(m, &k, v, USERBPF_ANY), -E2BIG, "index out of range");
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, out), -ENOENT, "lookup out of range");
	CHECK_EQ_U64(userbpf_map_delete(m, &k), -EINVAL, "array delete");
	CHECK_EQ_U64(userbpf_map_get_next_key(m, NULL, &next), 0, "first key");
	CHECK_EQ_U64(next, 0, "first key is 0");
	k = 3;
	CHECK_EQ_U64(userbpf_map_get_next_key(m, &k, &next), -ENOENT, "last key");
	k = 99;
	CHECK_EQ_U64(userbpf_map_get_next_key(m, &k, &next), 0, "bad key restarts");
	CHECK_EQ_U64(next, 0, "restart at 0");
	CHECK_EQ_U64(ub_map_direct_value_addr(m, 4, &addr), 0, "direct value address");
	k = 0;
	CHECK(addr == (uint64_t)(uintptr_t)ub_map_lookup_elem(m, &k) + 4, "address of value 0 + 4");
	CHECK_EQ_U64(ub_map_direct_value_addr(m, 12, &addr), -EINVAL, "offset past the value");
	userbpf_map_free(m);

	CHECK(!mk(USERBPF_MAP_TYPE_ARRAY, 8, 4, 4, 0, "badkey") && errno == EINVAL,
	      "array key_size must be 4");
	CHECK(strstr(last_log, "key_size 4") != NULL, "message names the rule: %s", last_log);
	CHECK(!mk(USERBPF_MAP_TYPE_ARRAY, 4, 4, 4, USERBPF_F_NO_PREALLOC, "np") && errno == EINVAL,
	      "arrays refuse NO_PREALLOC");
	CHECK(!mk(USERBPF_MAP_TYPE_ARRAY, 4, 4, 0, 0, "zero") && errno == EINVAL, "max_entries 0");
	CHECK(!mk(999, 4, 4, 1, 0, "t") && errno == ENOTSUP, "unknown type");
	CHECK(!mk(USERBPF_MAP_TYPE_ARRAY, 4, 4, 1, 1u << 20, "f") && errno == EINVAL,
	      "unknown flags");
	m = mk(USERBPF_MAP_TYPE_ARRAY, 4, 4, 1, USERBPF_F_RDONLY, "ro");
	k = 0;
	CHECK_EQ_U64(userbpf_map_update(m, &k, &k, 0), -EPERM, "BPF_F_RDONLY refuses updates");
	userbpf_map_free(m);
}

static void test_percpu_array(void)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2, 0, "pcpu");
	int n = userbpf_num_possible_cpus();
	size_t vs = userbpf_map_value_size_user(m);
	uint32_t *vals = calloc((size_t)n, 8), *out = calloc((size_t)n, 8), k = 1, one = 7;
	uint32_t *mine;

	CHECK(m && n >= 1, "percpu array created, %d cpus", n);
	CHECK_EQ_U64(vs, (size_t)n * 8, "user value = cpus * round8(value_size)");
	for (int c = 0; c < n; c++)
		vals[c * 2] = 100 + c;
	CHECK_EQ_U64(userbpf_map_update(m, &k, vals, 0), 0, "update all cpus");
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, out), 0, "lookup all cpus");
	CHECK(!memcmp(vals, out, vs), "every cpu's slot round trips");
	mine = ub_map_lookup_elem(m, &k);
	CHECK(mine && *mine >= 100 && *mine < 100u + n, "program view is this cpu's slot (%u)",
	      mine ? *mine : 0);
	CHECK_EQ_U64(ub_map_update_elem(m, &k, &one, 0), 0, "program update of this cpu");
	userbpf_map_lookup(m, &k, out);
	{
		int sevens = 0;

		for (int c = 0; c < n; c++)
			sevens += out[c * 2] == 7;
		CHECK_EQ_U64(sevens, 1, "exactly one cpu slot took the program's write");
	}
	/* Pinned to the last CPU, a program's write lands in that CPU's slot. */
	{
		cpu_set_t set, old;
		uint32_t v = 1234;

		sched_getaffinity(0, sizeof(old), &old);
		CPU_ZERO(&set);
		CPU_SET(n - 1, &set);
		if (!sched_setaffinity(0, sizeof(set), &set)) {
			ub_map_update_elem(m, &k, &v, 0);
			userbpf_map_lookup(m, &k, out);
			CHECK_EQ_U64(out[(n - 1) * 2], 1234, "slot of the CPU the thread runs on");
			sched_setaffinity(0, sizeof(old), &old);
		} else {
			SKIP("cannot pin the thread to CPU %d", n - 1);
		}
	}
	free(vals);
	free(out);
	userbpf_map_free(m);
}

static void test_hash(uint32_t type, uint32_t flags)
{
	struct userbpf_map *m = mk(type, 8, 8, 16, flags, "h");
	uint64_t k, v, out, next;
	int seen[16] = {0}, cnt = 0;
	const char *tn = userbpf_map_type_name(type);

	CHECK(m != NULL, "%s created (flags 0x%x)", tn, flags);
	if (!m)
		return;
	k = 1;
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, &out), -ENOENT, "empty");
	CHECK_EQ_U64(userbpf_map_update(m, &k, &k, USERBPF_EXIST), -ENOENT, "EXIST on missing");
	CHECK_EQ_U64(userbpf_map_delete(m, &k), -ENOENT, "delete missing");
	for (k = 0; k < 16; k++) {
		v = k * 10;
		CHECK_EQ_U64(userbpf_map_update(m, &k, &v, USERBPF_NOEXIST), 0, "insert");
	}
	k = 3;
	CHECK_EQ_U64(userbpf_map_update(m, &k, &v, USERBPF_NOEXIST), -EEXIST,
		     "NOEXIST on existing");
	v = 333;
	CHECK_EQ_U64(userbpf_map_update(m, &k, &v, USERBPF_EXIST), 0, "EXIST replaces");
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, &out), 0, "lookup");
	CHECK_EQ_U64(out, 333, "replaced value");
	k = 100;
	if (type == USERBPF_MAP_TYPE_HASH)
		CHECK_EQ_U64(userbpf_map_update(m, &k, &v, USERBPF_ANY), -E2BIG, "full hash");
	for (int err = userbpf_map_get_next_key(m, NULL, &next); !err;
	     err = userbpf_map_get_next_key(m, &next, &next)) {
		if (next < 16)
			seen[next]++;
		if (++cnt > 40)
			break;
	}
	CHECK_EQ_U64(cnt, 16, "get_next_key visits every key once");
	for (int i = 0; i < 16; i++)
		CHECK_EQ_U64(seen[i], 1, "key seen once");
	k = 5;
	CHECK_EQ_U64(userbpf_map_delete(m, &k), 0, "delete");
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, &out), -ENOENT, "deleted");
	CHECK_EQ_U64(userbpf_map_update(m, &k, &k, USERBPF_NOEXIST), 0, "reinsert after delete");
	/* Churn: replacing the same key many times must not exhaust the preallocated pool. */
	for (int i = 0; i < 5000; i++) {
		v = (uint64_t)i;
		if (userbpf_map_update(m, &k, &v, USERBPF_ANY))
			break;
	}
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, &out), 0, "after churn");
	CHECK_EQ_U64(out, 4999, "last write wins");
	userbpf_map_free(m);
}

static void test_lru(void)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_LRU_HASH, 4, 4, 8, 0, "lru");
	uint32_t k, v;

	for (k = 0; k < 8; k++)
		CHECK_EQ_U64(userbpf_map_update(m, &k, &k, 0), 0, "fill");
	k = 0;
	CHECK(ub_map_lookup_elem(m, &k) != NULL, "touch key 0");
	k = 100;
	CHECK_EQ_U64(userbpf_map_update(m, &k, &k, 0), 0, "insert into a full LRU evicts");
	k = 0;
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, &v), 0, "recently used key 0 survives");
	k = 1;
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, &v), -ENOENT, "oldest untouched key 1 evicted");
	k = 100;
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, &v), 0, "new key present");
	for (k = 200; k < 260; k++)
		CHECK_EQ_U64(userbpf_map_update(m, &k, &k, 0), 0, "keeps inserting");
	userbpf_map_free(m);
	CHECK(!mk(USERBPF_MAP_TYPE_LRU_HASH, 4, 4, 8, USERBPF_F_NO_PREALLOC, "x") &&
		  errno == EINVAL,
	      "LRU refuses NO_PREALLOC");
}

static void test_percpu_hash(void)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_PERCPU_HASH, 4, 4, 4, 0, "ph");
	int n = userbpf_num_possible_cpus();
	uint64_t *vals = calloc((size_t)n, 8), *out = calloc((size_t)n, 8);
	uint32_t k = 9, v = 5, *p;

	CHECK_EQ_U64(ub_map_update_elem(m, &k, &v, 0), 0, "program insert");
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, out), 0, "user lookup");
	{
		uint64_t sum = 0;

		for (int c = 0; c < n; c++)
			sum += (uint32_t)out[c];
		CHECK_EQ_U64(sum, 5, "only this cpu's slot was set");
	}
	for (int c = 0; c < n; c++)
		vals[c] = (uint64_t)c + 1;
	CHECK_EQ_U64(userbpf_map_update(m, &k, vals, USERBPF_EXIST), 0, "user update all cpus");
	p = ub_map_lookup_elem(m, &k);
	CHECK(p && *p >= 1 && *p <= (uint32_t)n, "program sees its cpu's slot");
	free(vals);
	free(out);
	userbpf_map_free(m);
}

static void test_queue_stack(void)
{
	struct userbpf_map *q = mk(USERBPF_MAP_TYPE_QUEUE, 0, 4, 3, 0, "q");
	struct userbpf_map *s = mk(USERBPF_MAP_TYPE_STACK, 0, 4, 3, 0, "s");
	uint32_t v, out;

	CHECK(q && s, "queue and stack");
	for (v = 1; v <= 3; v++) {
		CHECK_EQ_U64(userbpf_map_update(q, NULL, &v, 0), 0, "push q");
		CHECK_EQ_U64(userbpf_map_update(s, NULL, &v, 0), 0, "push s");
	}
	v = 4;
	CHECK_EQ_U64(userbpf_map_update(q, NULL, &v, 0), -E2BIG, "full queue");
	CHECK_EQ_U64(userbpf_map_update(q, NULL, &v, USERBPF_EXIST), 0, "BPF_EXIST drops oldest");
	CHECK_EQ_U64(userbpf_map_lookup(q, NULL, &out), 0, "peek");
	CHECK_EQ_U64(out, 2, "oldest is now 2");
	CHECK_EQ_U64(userbpf_map_lookup_and_delete(q, NULL, &out), 0, "pop");
	CHECK_EQ_U64(out, 2, "FIFO");
	CHECK_EQ_U64(userbpf_map_lookup_and_delete(s, NULL, &out), 0, "pop stack");
	CHECK_EQ_U64(out, 3, "LIFO");
	userbpf_map_lookup_and_delete(s, NULL, &out);
	userbpf_map_lookup_and_delete(s, NULL, &out);
	CHECK_EQ_U64(userbpf_map_lookup_and_delete(s, NULL, &out), -ENOENT, "empty stack");
	userbpf_map_free(q);
	userbpf_map_free(s);
	CHECK(!mk(USERBPF_MAP_TYPE_QUEUE, 4, 4, 3, 0, "k") && errno == EINVAL, "queue key_size 0");
}

static void test_bloom(void)
{
	struct userbpf_map_opts o = {.sz = sizeof(o),
				     .type = USERBPF_MAP_TYPE_BLOOM_FILTER,
				     .value_size = 8,
				     .max_entries = 1000,
				     .map_extra = 3};
	struct userbpf_map *b = userbpf_map_create(env, &o);
	uint64_t v;
	int fp = 0;

	CHECK(b != NULL, "bloom created");
	for (v = 0; v < 1000; v++)
		userbpf_map_update(b, NULL, &v, 0);
	for (v = 0; v < 1000; v++)
		if (userbpf_map_lookup(b, NULL, &v))
			break;
	CHECK_EQ_U64(v, 1000, "no false negatives");
	for (v = 1000000; v < 1010000; v++)
		fp += !userbpf_map_lookup(b, NULL, &v);
	CHECK(fp < 1000, "false positive rate below 10%% (%d / 10000)", fp);
	userbpf_map_free(b);
}

static void test_lpm(void)
{
	struct userbpf_map *m =
	    mk(USERBPF_MAP_TYPE_LPM_TRIE, 8, 4, 16, USERBPF_F_NO_PREALLOC, "lpm");
	struct {
		uint32_t plen;
		uint8_t a[4];
	} k;
	uint32_t v, out;

	CHECK(m != NULL, "lpm created");
	k.plen = 8;
	memcpy(k.a, (uint8_t[]){10, 0, 0, 0}, 4);
	v = 8;
	CHECK_EQ_U64(userbpf_map_update(m, &k, &v, 0), 0, "10/8");
	k.plen = 24;
	memcpy(k.a, (uint8_t[]){10, 1, 2, 0}, 4);
	v = 24;
	CHECK_EQ_U64(userbpf_map_update(m, &k, &v, 0), 0, "10.1.2/24");
	k.plen = 16;
	memcpy(k.a, (uint8_t[]){10, 1, 99, 99}, 4);
	v = 16; /* host bits ignored */
	CHECK_EQ_U64(userbpf_map_update(m, &k, &v, 0), 0, "10.1/16");
	k.plen = 32;
	memcpy(k.a, (uint8_t[]){10, 1, 2, 3}, 4);
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, &out), 0, "match");
	CHECK_EQ_U64(out, 24, "longest prefix wins");
	memcpy(k.a, (uint8_t[]){10, 1, 9, 3}, 4);
	userbpf_map_lookup(m, &k, &out);
	CHECK_EQ_U64(out, 16, "then /16");
	memcpy(k.a, (uint8_t[]){10, 7, 9, 3}, 4);
	userbpf_map_lookup(m, &k, &out);
	CHECK_EQ_U64(out, 8, "then /8");
	memcpy(k.a, (uint8_t[]){11, 7, 9, 3}, 4);
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, &out), -ENOENT, "no match");
	k.plen = 24;
	memcpy(k.a, (uint8_t[]){10, 1, 2, 0}, 4);
	CHECK_EQ_U64(userbpf_map_delete(m, &k), 0, "delete /24");
	k.plen = 32;
	memcpy(k.a, (uint8_t[]){10, 1, 2, 3}, 4);
	userbpf_map_lookup(m, &k, &out);
	CHECK_EQ_U64(out, 16, "after delete: /16");
	k.plen = 33;
	CHECK_EQ_U64(userbpf_map_update(m, &k, &v, 0), -EINVAL, "prefixlen too long");
	userbpf_map_free(m);
	CHECK(!mk(USERBPF_MAP_TYPE_LPM_TRIE, 8, 4, 16, 0, "x") && errno == EINVAL,
	      "lpm needs NO_PREALLOC");
}

static void test_map_in_map(void)
{
	struct userbpf_map *tmpl = mk(USERBPF_MAP_TYPE_ARRAY, 4, 4, 2, 0, "tmpl");
	struct userbpf_map *in1 = mk(USERBPF_MAP_TYPE_ARRAY, 4, 4, 2, 0, "in1");
	struct userbpf_map *bad = mk(USERBPF_MAP_TYPE_ARRAY, 4, 8, 2, 0, "bad");
	struct userbpf_map_opts o = {.sz = sizeof(o),
				     .type = USERBPF_MAP_TYPE_ARRAY_OF_MAPS,
				     .key_size = 4,
				     .value_size = 4,
				     .max_entries = 4,
				     .inner_map = tmpl,
				     .name = "outer"};
	struct userbpf_map *outer = userbpf_map_create(env, &o), *houter;
	uint32_t k = 1, id = userbpf_map_id(in1), id_in1 = id, out;

	CHECK(outer != NULL, "array_of_maps created");
	CHECK_EQ_U64(userbpf_map_update(outer, &k, &id, 0), 0, "store inner by id");
	CHECK(ub_map_lookup_elem(outer, &k) == in1, "program lookup yields the inner map");
	CHECK_EQ_U64(userbpf_map_lookup(outer, &k, &out), 0, "user lookup");
	CHECK_EQ_U64(out, id, "user lookup yields the id");
	id = userbpf_map_id(bad);
	CHECK_EQ_U64(userbpf_map_update(outer, &k, &id, 0), -EINVAL,
		     "mismatched inner map refused");
	id = 12345;
	CHECK_EQ_U64(userbpf_map_update(outer, &k, &id, 0), -EBADF, "unknown id");
	userbpf_map_free(in1); /* the outer map still holds it */
	CHECK(ub_map_lookup_elem(outer, &k) != NULL, "inner kept alive by the outer map");
	{
		uint32_t in1_id = id_in1;

		CHECK_EQ_U64(userbpf_map_delete(outer, &k), 0, "remove the inner map");
		/* The outer map's reference is dropped after a grace period; the inner map then
		 * dies inside reclamation (which must not deadlock on itself). */
		for (int i = 0; i < 4; i++)
			ub_epoch_reclaim(1);
		CHECK(userbpf_map_by_id(env, in1_id) == NULL, "inner map freed after grace period");
	}
	o.type = USERBPF_MAP_TYPE_HASH_OF_MAPS;
	o.name = "houter";
	houter = userbpf_map_create(env, &o);
	CHECK(houter != NULL, "hash_of_maps created");
	id = userbpf_map_id(tmpl);
	k = 77;
	CHECK_EQ_U64(userbpf_map_update(houter, &k, &id, 0), 0, "hash of maps insert");
	CHECK(ub_map_lookup_elem(houter, &k) == tmpl, "hash of maps lookup");
	CHECK_EQ_U64(userbpf_map_delete(houter, &k), 0, "delete inner");
	o.inner_map = NULL;
	CHECK(!userbpf_map_create(env, &o) && errno == EINVAL, "map-in-map needs a template");
	userbpf_map_free(outer);
	userbpf_map_free(houter);
	userbpf_map_free(tmpl);
	userbpf_map_free(bad);
}

static int rb_count(void *user, void *data, size_t size)
{
	uint64_t *sum = user;

	*sum += size == 8 ? *(uint64_t *)data : 1000000;
	return 0;
}

static void test_ringbuf(void)
{
	struct userbpf_map *rb = mk(USERBPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, "rb");
	uint64_t sum = 0, v;
	void *s;
	int n;

	CHECK(rb != NULL, "ringbuf created");
	for (v = 1; v <= 3; v++)
		CHECK_EQ_U64(ub_ringbuf_output(rb, &v, 8, 0), 0, "output");
	s = ub_ringbuf_reserve(rb, 8, 0);
	CHECK(s != NULL, "reserve");
	*(uint64_t *)s = 100;
	n = userbpf_ringbuf_consume(rb, rb_count, &sum);
	CHECK_EQ_U64(n, 3, "consumer stops at the busy record");
	ub_ringbuf_commit(s, 0, 0);
	s = ub_ringbuf_reserve(rb, 8, 0);
	ub_ringbuf_commit(s, 0, 1); /* discarded: skipped */
	n = userbpf_ringbuf_consume(rb, rb_count, &sum);
	CHECK_EQ_U64(n, 1, "submitted record consumed, discarded skipped");
	CHECK_EQ_U64(sum, 106, "record contents");
	CHECK_EQ_U64(ub_ringbuf_query(rb, 1), 4096, "BPF_RB_RING_SIZE");
	CHECK_EQ_U64(ub_ringbuf_query(rb, 0), 0, "BPF_RB_AVAIL_DATA after consuming");
	CHECK(ub_ringbuf_reserve(rb, 4096, 0) == NULL, "too large a record");
	/* Wrap around many times with odd sizes: records stay contiguous (double mapping). */
	for (int i = 0; i < 2000; i++) {
		uint8_t *p = ub_ringbuf_reserve(rb, 100 + (i % 7), 0);

		if (!p)
			break;
		memset(p, 0x5a, 100 + (i % 7));
		ub_ringbuf_commit(p, 0, 0);
		if (i % 10 == 9)
			userbpf_ringbuf_consume(rb, rb_count, &sum);
	}
	userbpf_ringbuf_consume(rb, rb_count, &sum);
	CHECK_EQ_U64(ub_ringbuf_query(rb, 0), 0, "everything consumed across wraps");
	CHECK(ub_ringbuf_query(rb, 3) > 4096 * 10, "producer position wrapped many times");
	CHECK(!mk(USERBPF_MAP_TYPE_RINGBUF, 0, 0, 5000, 0, "x") && errno == EINVAL,
	      "ring size must be a power of 2");
	userbpf_map_free(rb);
}

/* A freed program leaves every prog_array slot that held it. */
static void test_prog_array(void)
{
	struct userbpf_insn ret0[2] = {{.code = 0xb7}, {.code = 0x95}};
	struct userbpf_prog_opts po = {.sz = sizeof(po), .flags = USERBPF_PROG_F_UNVERIFIED};
	struct userbpf_prog *p = userbpf_prog_load(env, ret0, 2, &po);
	struct userbpf_map *pa = mk(USERBPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0, "pa");
	uint32_t k = 2, v;

	CHECK(p && pa, "program and prog_array");
	if (!p || !pa)
		return;
	CHECK_EQ_U64(userbpf_prog_array_set(pa, 2, p), 0, "set");
	CHECK(ub_prog_array_get(pa, 2) == p, "slot holds the program");
	CHECK_EQ_U64(userbpf_map_lookup(pa, &k, &v), 0, "user view: occupied");
	CHECK_EQ_U64(userbpf_map_update(pa, &k, &v, 0), -EINVAL, "update needs prog_array_set");
	userbpf_prog_free(p);
	CHECK(ub_prog_array_get(pa, 2) == NULL, "slot cleared when the program is freed");
	CHECK_EQ_U64(userbpf_map_lookup(pa, &k, &v), -ENOENT, "user view: empty");
	userbpf_map_free(pa);
}

static void test_lru_percpu(void)
{
	struct userbpf_map *m = mk(USERBPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 4, 0, "lpc");
	int n = userbpf_num_possible_cpus();
	uint64_t *vals = calloc((size_t)n, 8);
	uint32_t k;

	CHECK(m != NULL, "lru_percpu_hash created");
	for (k = 0; m && k < 10; k++) {
		vals[0] = k;
		CHECK_EQ_U64(userbpf_map_update(m, &k, vals, 0), 0, "insert, evicting when full");
	}
	k = 9;
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, vals), 0, "newest present");
	CHECK_EQ_U64(vals[0], 9, "cpu 0 slot");
	k = 0;
	CHECK_EQ_U64(userbpf_map_lookup(m, &k, vals), -ENOENT, "oldest evicted");
	free(vals);
	userbpf_map_free(m);
}

static int dump_cb(void *user, const void *key, const void *value)
{
	(*(int *)user)++;
	return 0;
}

int main(void)
{
	struct userbpf_env_opts eo = {.sz = sizeof(eo), .log_fn = log_fn};
	int cnt = 0;
	struct userbpf_map *keep;

	env = userbpf_env_new(&eo);
	test_array();
	test_percpu_array();
	test_hash(USERBPF_MAP_TYPE_HASH, 0);
	test_hash(USERBPF_MAP_TYPE_HASH, USERBPF_F_NO_PREALLOC);
	test_hash(USERBPF_MAP_TYPE_LRU_HASH, 0);
	test_lru();
	test_percpu_hash();
	test_queue_stack();
	test_bloom();
	test_lpm();
	test_map_in_map();
	test_ringbuf();
	test_prog_array();
	test_lru_percpu();
	keep = mk(USERBPF_MAP_TYPE_HASH, 4, 4, 8, 0, "dump");
	for (uint32_t k = 0; k < 5; k++)
		userbpf_map_update(keep, &k, &k, 0);
	CHECK_EQ_U64(userbpf_map_dump(keep, dump_cb, &cnt), 5, "dump visits 5");
	CHECK_EQ_U64(cnt, 5, "callback called 5 times");
	/* keep is not freed: the env frees it (no leak under ASan). */
	userbpf_env_free(env);
	return ub_test_done("map_types");
}
