/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lpm_trie.c: BPF_MAP_TYPE_LPM_TRIE: longest-prefix match on keys { u32 prefixlen; u8 data[] }.
 *
 * Readers see an immutable snapshot: the entries sorted by prefix length, longest first, so the
 * first entry that matches is the longest prefix. Writers (serialized by a mutex) build a new
 * snapshot, publish it with one atomic store and retire the old one through epoch.c, so
 * lookups take no lock. Values live in their own blocks, shared between snapshots, so a program
 * writing through a looked-up value pointer is never lost to a later update of another key.
 * Lookups cost O(entries); fine for the rule tables LPM maps usually hold.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "maps/map.h"

struct lpm_value {
	struct ub_epoch_node rcu;
	uint64_t data[];
};

struct lpm_entry {
	uint32_t prefixlen;
	struct lpm_value *value;
	uint8_t *key; /* data bytes (data_size), masked to prefixlen */
};

struct lpm_snap {
	struct ub_epoch_node rcu;
	uint32_t n;
	struct lpm_entry *e;
	uint8_t *keys;
};

struct lpm {
	struct userbpf_map map;
	uint32_t data_size;
	pthread_mutex_t lock;
	_Atomic(struct lpm_snap *) snap;
};

#define LPM_DATA_MAX 256

static int prefix_match(const uint8_t *a, const uint8_t *b, uint32_t bits)
{
	uint32_t full = bits / 8, rem = bits % 8;

	if (memcmp(a, b, full))
		return 0;
	if (rem) {
		uint8_t m = (uint8_t)(0xff << (8 - rem));

		return (a[full] & m) == (b[full] & m);
	}
	return 1;
}

static void mask_key(uint8_t *d, uint32_t size, uint32_t bits)
{
	for (uint32_t i = 0; i < size; i++) {
		if (bits >= 8) {
			bits -= 8;
		} else {
			d[i] &= (uint8_t)(0xff << (8 - bits));
			bits = 0;
		}
	}
}

static struct lpm_snap *snap_new(struct lpm *t, uint32_t n)
{
	struct lpm_snap *s = ub_zalloc(t->map.env, sizeof(*s));

	if (!s)
		return NULL;
	s->e = ub_zalloc(t->map.env, (n ? n : 1) * sizeof(*s->e));
	s->keys = ub_zalloc(t->map.env, (size_t)(n ? n : 1) * t->data_size);
	if (!s->e || !s->keys) {
		ub_free(t->map.env, s->e);
		ub_free(t->map.env, s->keys);
		ub_free(t->map.env, s);
		return NULL;
	}
	s->n = n;
	for (uint32_t i = 0; i < n; i++)
		s->e[i].key = s->keys + (size_t)i * t->data_size;
	return s;
}

static void snap_free_now(struct userbpf_env *env, struct lpm_snap *s)
{
	ub_free(env, s->e);
	ub_free(env, s->keys);
	ub_free(env, s);
}

static void snap_free_rcu(struct ub_epoch_node *n)
{
	struct lpm_snap *s = (struct lpm_snap *)n;

	snap_free_now(((struct lpm *)n->owner)->map.env, s);
}

static void value_free_rcu(struct ub_epoch_node *n)
{
	ub_free(((struct lpm *)n->owner)->map.env, n);
}

static struct userbpf_map *lpm_alloc(struct userbpf_env *env, const struct userbpf_map_opts *o)
{
	const char *name = o->name ? o->name : "";
	struct lpm *t;

	if (o->key_size <= 4 || o->key_size > 4 + LPM_DATA_MAX || !o->value_size ||
	    o->value_size > (1u << 20) || !o->max_entries ||
	    !(o->map_flags & USERBPF_F_NO_PREALLOC)) {
		ub_err(&env->log,
		       "map '%s': an lpm_trie needs key_size 5..%u (u32 prefixlen + data), "
		       "value_size > 0, max_entries > 0 and BPF_F_NO_PREALLOC (got %u, %u, %u, "
		       "0x%x)",
		       name, 4 + LPM_DATA_MAX, o->key_size, o->value_size, o->max_entries,
		       o->map_flags);
		errno = EINVAL;
		return NULL;
	}
	t = ub_zalloc(env, sizeof(*t));
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	ub_map_init_common(&t->map, env, o);
	t->map.ncpus = 1;
	t->data_size = o->key_size - 4;
	pthread_mutex_init(&t->lock, NULL);
	return &t->map;
}

static void lpm_free(struct userbpf_map *map)
{
	struct lpm *t = (struct lpm *)map;
	struct lpm_snap *s = atomic_load(&t->snap);

	if (s) {
		for (uint32_t i = 0; i < s->n; i++)
			ub_free(map->env, s->e[i].value);
		snap_free_now(map->env, s);
	}
	pthread_mutex_destroy(&t->lock);
	ub_free(map->env, t);
}

/* Index of the entry matching (prefixlen, data) exactly, or -1. */
static int64_t find_exact(struct lpm *t, struct lpm_snap *s, uint32_t plen, const uint8_t *d)
{
	for (uint32_t i = 0; s && i < s->n; i++)
		if (s->e[i].prefixlen == plen && !memcmp(s->e[i].key, d, t->data_size))
			return i;
	return -1;
}

static void *lpm_lookup(struct userbpf_map *map, const void *key)
{
	struct lpm *t = (struct lpm *)map;
	struct lpm_snap *s = atomic_load_explicit(&t->snap, memory_order_acquire);
	const uint8_t *d = (const uint8_t *)key + 4;
	uint32_t plen;

	memcpy(&plen, key, 4);
	if (!s)
		return NULL;
	if (plen > t->data_size * 8)
		plen = t->data_size * 8;
	for (uint32_t i = 0; i < s->n; i++)
		if (s->e[i].prefixlen <= plen && prefix_match(s->e[i].key, d, s->e[i].prefixlen))
			return s->e[i].value->data;
	return NULL;
}

static int parse_key(struct lpm *t, const void *key, uint32_t *plen, uint8_t *d)
{
	memcpy(plen, key, 4);
	if (*plen > t->data_size * 8)
		return -EINVAL;
	memcpy(d, (const uint8_t *)key + 4, t->data_size);
	mask_key(d, t->data_size, *plen);
	return 0;
}

static int lpm_update(struct userbpf_map *map, const void *key, const void *value, uint64_t flags)
{
	struct lpm *t = (struct lpm *)map;
	uint8_t d[LPM_DATA_MAX];
	struct lpm_snap *old, *s;
	struct lpm_value *v;
	uint32_t plen, j = 0;
	int64_t at;
	int err;

	if (flags > USERBPF_EXIST)
		return -EINVAL;
	err = parse_key(t, key, &plen, d);
	if (err)
		return err;
	v = ub_alloc(map->env, sizeof(*v) + ub_round8(map->value_size));
	if (!v)
		return -ENOMEM;
	memcpy(v->data, value, map->value_size);
	pthread_mutex_lock(&t->lock);
	old = atomic_load(&t->snap);
	at = find_exact(t, old, plen, d);
	if (at >= 0 && flags == USERBPF_NOEXIST) {
		err = -EEXIST;
		goto fail;
	}
	if (at < 0 && flags == USERBPF_EXIST) {
		err = -ENOENT;
		goto fail;
	}
	if (at < 0 && old && old->n >= map->max_entries) {
		err = -ENOSPC;
		goto fail;
	}
	s = snap_new(t, (old ? old->n : 0) + (at < 0));
	if (!s) {
		err = -ENOMEM;
		goto fail;
	}
	/* Copy all but the replaced entry, add the new one where it keeps longest first. */
	for (uint32_t i = 0; old && i < old->n; i++) {
		if ((int64_t)i == at)
			continue;
		s->e[j].prefixlen = old->e[i].prefixlen;
		memcpy(s->e[j].key, old->e[i].key, t->data_size);
		s->e[j++].value = old->e[i].value;
	}
	while (j > 0 && s->e[j - 1].prefixlen < plen) {
		s->e[j].prefixlen = s->e[j - 1].prefixlen;
		memcpy(s->e[j].key, s->e[j - 1].key, t->data_size);
		s->e[j].value = s->e[j - 1].value;
		j--;
	}
	s->e[j].prefixlen = plen;
	memcpy(s->e[j].key, d, t->data_size);
	s->e[j].value = v;
	atomic_store_explicit(&t->snap, s, memory_order_release);
	pthread_mutex_unlock(&t->lock);
	if (old) {
		if (at >= 0)
			ub_epoch_retire(&old->e[at].value->rcu, t, value_free_rcu);
		ub_epoch_retire(&old->rcu, t, snap_free_rcu);
	}
	return 0;
fail:
	pthread_mutex_unlock(&t->lock);
	ub_free(map->env, v);
	return err;
}

static int lpm_delete(struct userbpf_map *map, const void *key)
{
	struct lpm *t = (struct lpm *)map;
	uint8_t d[LPM_DATA_MAX];
	struct lpm_snap *old, *s;
	uint32_t plen, j = 0;
	int64_t at;
	int err = parse_key(t, key, &plen, d);

	if (err)
		return err;
	pthread_mutex_lock(&t->lock);
	old = atomic_load(&t->snap);
	at = find_exact(t, old, plen, d);
	if (at < 0) {
		pthread_mutex_unlock(&t->lock);
		return -ENOENT;
	}
	s = snap_new(t, old->n - 1);
	if (!s) {
		pthread_mutex_unlock(&t->lock);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < old->n; i++) {
		if ((int64_t)i == at)
			continue;
		s->e[j].prefixlen = old->e[i].prefixlen;
		memcpy(s->e[j].key, old->e[i].key, t->data_size);
		s->e[j++].value = old->e[i].value;
	}
	atomic_store_explicit(&t->snap, s, memory_order_release);
	pthread_mutex_unlock(&t->lock);
	ub_epoch_retire(&old->e[at].value->rcu, t, value_free_rcu);
	ub_epoch_retire(&old->rcu, t, snap_free_rcu);
	return 0;
}

static int lpm_get_next_key(struct userbpf_map *map, const void *key, void *next)
{
	struct lpm *t = (struct lpm *)map;
	struct lpm_snap *s = atomic_load_explicit(&t->snap, memory_order_acquire);
	uint8_t d[LPM_DATA_MAX];
	uint32_t plen, i = 0;

	if (!s || !s->n)
		return -ENOENT;
	if (key && !parse_key(t, key, &plen, d)) {
		int64_t at = find_exact(t, s, plen, d);

		if (at >= 0)
			i = (uint32_t)at + 1;
	}
	if (i >= s->n)
		return -ENOENT;
	memcpy(next, &s->e[i].prefixlen, 4);
	memcpy((uint8_t *)next + 4, s->e[i].key, t->data_size);
	return 0;
}

static long lpm_for_each(struct userbpf_map *map, ub_map_each_fn fn, void *ctx)
{
	struct lpm *t = (struct lpm *)map;
	struct lpm_snap *s = atomic_load_explicit(&t->snap, memory_order_acquire);
	uint8_t k[4 + LPM_DATA_MAX];
	long n = 0;

	for (uint32_t i = 0; s && i < s->n; i++) {
		memcpy(k, &s->e[i].prefixlen, 4);
		memcpy(k + 4, s->e[i].key, t->data_size);
		n++;
		if (fn(map, k, s->e[i].value->data, ctx))
			break;
	}
	return n;
}

const struct ub_map_ops ub_lpm_ops = {
    .alloc = lpm_alloc,
    .free = lpm_free,
    .lookup = lpm_lookup,
    .update = lpm_update,
    .delete = lpm_delete,
    .for_each = lpm_for_each,
    .get_next_key = lpm_get_next_key,
};
