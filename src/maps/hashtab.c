/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hashtab.c: hash maps: hash, percpu_hash, lru_hash, lru_percpu_hash, hash_of_maps.
 *
 * Buckets are singly-linked chains read without locks: a writer takes the bucket's spinlock,
 * builds a complete new element, then publishes it with one release store, so a reader sees
 * either the old element or the new one, never a half-written one. Replaced and deleted
 * elements are retired through epoch.c and reused only when no run can still hold them.
 * Elements come from a pool of max_entries + spare preallocated at creation (allocation-free
 * updates, like Linux's prealloc), or from the allocator with BPF_F_NO_PREALLOC.
 *
 * LRU maps keep elements on a list (newest first) under a map-wide lock taken by writers
 * only; lookups just set the element's "referenced" bit. Eviction walks from the oldest end,
 * giving referenced elements a second chance (the bit is cleared and they move to the front),
 * and evicts the first unreferenced one, as Linux's LRU approximates recency.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "maps/map.h"

struct htab_elem {
	struct ub_epoch_node rcu;
	_Atomic(struct htab_elem *) next;
	struct htab_elem *lru_prev, *lru_next; /* under lru_lock */
	struct htab_elem *free_next;	       /* pool freelist */
	uint32_t hash;
	atomic_uchar ref; /* LRU: looked up since last scan */
	uint8_t in_lru;
	uint8_t pad_[2];
	uint64_t data[]; /* key, then value (8-aligned) */
};

struct bucket {
	_Atomic(struct htab_elem *) head;
	pthread_spinlock_t lock;
};

struct pool_extra {
	struct pool_extra *next;
	uint64_t elem[];
};

struct htab {
	struct userbpf_map map;
	struct bucket *buckets;
	uint32_t mask;
	uint32_t key_stride;  /* key_size rounded to 8 */
	uint32_t value_bytes; /* stride, or ncpus * stride for per-CPU */
	size_t elem_size;
	atomic_uint count;
	uint32_t seed;
	uint8_t percpu, lru, prealloc, of_maps;
	/* pool */
	uint8_t *pool;
	struct htab_elem *free_list;
	struct pool_extra *extra; /* elements added by pool_grow() */
	pthread_spinlock_t free_lock;
	/* LRU list: lru_head.lru_next is the newest */
	pthread_spinlock_t lru_lock;
	struct htab_elem lru_head;
};

#define SPARE_ELEMS 64 /* replacements in flight (old ones wait for their grace period) */
#define HTAB_MAX_VALUE (1u << 20)
#define HTAB_MAX_KEY 512

static inline uint8_t *elem_key(struct htab_elem *e)
{
	return (uint8_t *)e->data;
}

static inline uint8_t *elem_value(struct htab *h, struct htab_elem *e)
{
	return (uint8_t *)e->data + h->key_stride;
}

/* Final mix of the hash (the finalizer of splitmix64). */
static inline uint32_t hash_fin(uint64_t x)
{
	x *= 0x94d049bb133111ebull;
	x ^= x >> 29;
	return (uint32_t)x;
}

/* A 64-bit multiply-xorshift hash over 8-byte words, finished to 32 bits. */
static inline uint32_t hash_key(const struct htab *h, const void *key, uint32_t size)
{
	const uint8_t *p = key;
	uint64_t x = h->seed ^ ((uint64_t)size * 0x9e3779b97f4a7c15ull);

	/* The common key sizes: one word, no loop, no variable-size copy. */
	if (size == 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		x = (x ^ w) * 0xbf58476d1ce4e5b9ull;
		return hash_fin(x ^ (x >> 31));
	}
	if (size == 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		x = (x ^ w) * 0xbf58476d1ce4e5b9ull;
		return hash_fin(x ^ (x >> 31));
	}

	while (size >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		x = (x ^ w) * 0xbf58476d1ce4e5b9ull;
		x ^= x >> 31;
		p += 8;
		size -= 8;
	}
	if (size) {
		uint64_t w = 0;

		memcpy(&w, p, size);
		x = (x ^ w) * 0xbf58476d1ce4e5b9ull;
		x ^= x >> 31;
	}
	return hash_fin(x);
}

static inline int key_eq(const void *a, const void *b, uint32_t size)
{
	if (size == 4)
		return *(const uint32_t *)a == *(const uint32_t *)b;
	if (size == 8)
		return !memcmp(a, b, 8);
	return !memcmp(a, b, size);
}

static struct htab_elem *chain_find(struct htab *h, struct bucket *b, const void *key,
				    uint32_t hash)
{
	struct htab_elem *e;

	for (e = atomic_load_explicit(&b->head, memory_order_acquire); e;
	     e = atomic_load_explicit(&e->next, memory_order_acquire))
		if (e->hash == hash && key_eq(elem_key(e), key, h->map.key_size))
			return e;
	return NULL;
}

static inline struct bucket *bucket_of(struct htab *h, uint32_t hash)
{
	return &h->buckets[hash & h->mask];
}

/* ---- element allocation ------------------------------------------------------------------ */

static struct htab_elem *pool_pop(struct htab *h)
{
	struct htab_elem *e;

	pthread_spin_lock(&h->free_lock);
	e = h->free_list;
	if (e)
		h->free_list = e->free_next;
	pthread_spin_unlock(&h->free_lock);
	return e;
}

static void elem_release(struct htab *h, struct htab_elem *e)
{
	if (h->of_maps) {
		struct userbpf_map *in;

		memcpy(&in, elem_value(h, e), sizeof(in));
		if (in)
			ub_map_put(in);
	}
	if (h->prealloc) {
		pthread_spin_lock(&h->free_lock);
		e->free_next = h->free_list;
		h->free_list = e;
		pthread_spin_unlock(&h->free_lock);
	} else {
		ub_free(h->map.env, e);
	}
}

static void elem_free_rcu(struct ub_epoch_node *n)
{
	struct htab_elem *e = (struct htab_elem *)n;

	elem_release((struct htab *)n->owner, e);
}

/*
 * Pool exhausted: every spare element is waiting for its grace period (many replacements
 * while long runs are in flight). Grow the pool by one element rather than fail the update;
 * it joins the pool for good and is freed with the map. Rare by construction, never lossy.
 */
static struct htab_elem *pool_grow(struct htab *h)
{
	struct pool_extra *x = ub_alloc(h->map.env, sizeof(*x) + h->elem_size);

	if (!x)
		return NULL;
	pthread_spin_lock(&h->free_lock);
	x->next = h->extra;
	h->extra = x;
	pthread_spin_unlock(&h->free_lock);
	return (struct htab_elem *)x->elem;
}

static struct htab_elem *elem_alloc(struct htab *h)
{
	struct htab_elem *e;

	if (!h->prealloc)
		return ub_alloc(h->map.env, h->elem_size);
	e = pool_pop(h);
	if (!e && ub_epoch_reclaim(1) > 0)
		e = pool_pop(h);
	if (!e)
		e = pool_grow(h);
	return e;
}

static void elem_retire(struct htab *h, struct htab_elem *e)
{
	ub_epoch_retire(&e->rcu, h, elem_free_rcu);
}

/* ---- LRU list ------------------------------------------------------------------------------ */

static void lru_unlink(struct htab_elem *e)
{
	e->lru_prev->lru_next = e->lru_next;
	e->lru_next->lru_prev = e->lru_prev;
	e->in_lru = 0;
}

static void lru_push_front(struct htab *h, struct htab_elem *e)
{
	e->lru_next = h->lru_head.lru_next;
	e->lru_prev = &h->lru_head;
	h->lru_head.lru_next->lru_prev = e;
	h->lru_head.lru_next = e;
	e->in_lru = 1;
}

/* Unlink e from its bucket chain if it is still there. Under the bucket lock. */
static int chain_unlink(struct bucket *b, struct htab_elem *e)
{
	_Atomic(struct htab_elem *) *pp = &b->head;
	struct htab_elem *cur;

	while ((cur = atomic_load_explicit(pp, memory_order_relaxed))) {
		if (cur == e) {
			atomic_store_explicit(pp,
					      atomic_load_explicit(&e->next, memory_order_relaxed),
					      memory_order_release);
			return 1;
		}
		pp = &cur->next;
	}
	return 0;
}

/* Evict one element (second chance). Returns 1 if something was evicted. */
static int lru_evict_one(struct htab *h)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		struct htab_elem *victim = NULL;
		struct bucket *b;
		uint32_t scanned = 0, limit = 2 * (h->map.max_entries + SPARE_ELEMS);

		pthread_spin_lock(&h->lru_lock);
		while (h->lru_head.lru_prev != &h->lru_head && scanned++ < limit) {
			struct htab_elem *e = h->lru_head.lru_prev;

			if (atomic_load_explicit(&e->ref, memory_order_relaxed)) {
				atomic_store_explicit(&e->ref, 0, memory_order_relaxed);
				lru_unlink(e);
				lru_push_front(h, e);
				continue;
			}
			victim = e;
			lru_unlink(e);
			break;
		}
		pthread_spin_unlock(&h->lru_lock);
		if (!victim)
			return 0;
		b = bucket_of(h, victim->hash);
		pthread_spin_lock(&b->lock);
		if (chain_unlink(b, victim)) {
			pthread_spin_unlock(&b->lock);
			atomic_fetch_sub(&h->count, 1);
			elem_retire(h, victim);
			return 1;
		}
		pthread_spin_unlock(&b->lock); /* deleted meanwhile: its deleter retires it */
	}
	return 0;
}

/* ---- operations ------------------------------------------------------------------------- */

static struct htab_elem *htab_find(struct htab *h, const void *key)
{
	uint32_t hash = hash_key(h, key, h->map.key_size);

	return chain_find(h, bucket_of(h, hash), key, hash);
}

static void *htab_lookup(struct userbpf_map *map, const void *key)
{
	struct htab *h = (struct htab *)map;
	struct htab_elem *e = htab_find(h, key);

	if (!e)
		return NULL;
	if (h->lru && !atomic_load_explicit(&e->ref, memory_order_relaxed))
		atomic_store_explicit(&e->ref, 1, memory_order_relaxed);
	if (h->percpu)
		return elem_value(h, e) + (size_t)ub_map_this_cpu(map) * map->value_stride;
	if (h->of_maps) {
		struct userbpf_map *in;

		memcpy(&in, elem_value(h, e), sizeof(in));
		return in;
	}
	return elem_value(h, e);
}

/* How the value argument of an update is laid out. */
enum val_src { VAL_ONE, VAL_ALL_CPUS, VAL_MAP_PTR };

static void fill_value(struct htab *h, uint8_t *dst, const void *value, enum val_src src, int fresh)
{
	uint32_t vs = h->map.value_size, st = h->map.value_stride;

	if (src == VAL_MAP_PTR) {
		memcpy(dst, value, sizeof(void *));
	} else if (src == VAL_ALL_CPUS) {
		for (uint32_t c = 0; c < h->map.ncpus; c++)
			memcpy(dst + (size_t)c * st, (const uint8_t *)value + (size_t)c * st, vs);
	} else if (h->percpu) {
		/* A program's update sets this CPU's slot; a new element's others start at 0. */
		uint32_t me = ub_map_this_cpu(&h->map);

		if (fresh)
			memset(dst, 0, h->value_bytes);
		memcpy(dst + (size_t)me * st, value, vs);
	} else {
		memcpy(dst, value, vs);
		if (st > vs)
			memset(dst + vs, 0, st - vs);
	}
}

static int htab_update_src(struct htab *h, const void *key, const void *value, uint64_t flags,
			   enum val_src src)
{
	struct userbpf_map *map = &h->map;
	uint32_t hash = hash_key(h, key, map->key_size);
	struct bucket *b = bucket_of(h, hash);
	struct htab_elem *old, *e;

	if (flags > USERBPF_EXIST)
		return -EINVAL;
	/* Per-CPU values are updated in place: no new element when the key exists. */
	if (h->percpu) {
		pthread_spin_lock(&b->lock);
		old = chain_find(h, b, key, hash);
		if (old) {
			int err = flags == USERBPF_NOEXIST ? -EEXIST : 0;

			if (!err)
				fill_value(h, elem_value(h, old), value, src, 0);
			pthread_spin_unlock(&b->lock);
			return err;
		}
		pthread_spin_unlock(&b->lock);
		if (flags == USERBPF_EXIST)
			return -ENOENT;
	}
	if (h->lru && atomic_load(&h->count) >= map->max_entries && !htab_find(h, key))
		lru_evict_one(h);
	e = elem_alloc(h);
	if (!e && h->lru && lru_evict_one(h))
		e = elem_alloc(h);
	if (!e)
		return h->prealloc ? -E2BIG : -ENOMEM;
	memcpy(elem_key(e), key, map->key_size);
	e->hash = hash;
	atomic_store_explicit(&e->ref, 0, memory_order_relaxed);
	e->in_lru = 0;
	fill_value(h, elem_value(h, e), value, src, 1);

	pthread_spin_lock(&b->lock);
	old = chain_find(h, b, key, hash);
	if (old && flags == USERBPF_NOEXIST)
		goto fail_locked_eexist;
	if (!old && flags == USERBPF_EXIST)
		goto fail_locked_enoent;
	if (old && h->percpu) {
		/* Inserted by another thread between our checks: update in place. */
		fill_value(h, elem_value(h, old), value, src, 0);
		pthread_spin_unlock(&b->lock);
		e->rcu.owner = h;
		if (h->of_maps)
			memset(elem_value(h, e), 0, sizeof(void *));
		elem_release(h, e);
		return 0;
	}
	if (!old) {
		if (atomic_fetch_add(&h->count, 1) >= map->max_entries) {
			atomic_fetch_sub(&h->count, 1);
			pthread_spin_unlock(&b->lock);
			if (h->of_maps)
				memset(elem_value(h, e), 0, sizeof(void *));
			elem_release(h, e);
			return -E2BIG;
		}
		atomic_store_explicit(&e->next,
				      atomic_load_explicit(&b->head, memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(&b->head, e, memory_order_release);
	} else {
		_Atomic(struct htab_elem *) *pp = &b->head;

		while (atomic_load_explicit(pp, memory_order_relaxed) != old)
			pp = &atomic_load_explicit(pp, memory_order_relaxed)->next;
		atomic_store_explicit(&e->next,
				      atomic_load_explicit(&old->next, memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(pp, e, memory_order_release);
	}
	if (h->lru) {
		pthread_spin_lock(&h->lru_lock);
		if (old && old->in_lru)
			lru_unlink(old);
		lru_push_front(h, e);
		pthread_spin_unlock(&h->lru_lock);
	}
	pthread_spin_unlock(&b->lock);
	if (old)
		elem_retire(h, old);
	return 0;

fail_locked_eexist:
	pthread_spin_unlock(&b->lock);
	if (h->of_maps)
		memset(elem_value(h, e), 0, sizeof(void *));
	elem_release(h, e);
	return -EEXIST;
fail_locked_enoent:
	pthread_spin_unlock(&b->lock);
	if (h->of_maps)
		memset(elem_value(h, e), 0, sizeof(void *));
	elem_release(h, e);
	return -ENOENT;
}

static int htab_update(struct userbpf_map *map, const void *key, const void *value, uint64_t flags)
{
	return htab_update_src((struct htab *)map, key, value, flags, VAL_ONE);
}

static int htab_delete(struct userbpf_map *map, const void *key)
{
	struct htab *h = (struct htab *)map;
	uint32_t hash = hash_key(h, key, map->key_size);
	struct bucket *b = bucket_of(h, hash);
	struct htab_elem *e;

	pthread_spin_lock(&b->lock);
	e = chain_find(h, b, key, hash);
	if (!e) {
		pthread_spin_unlock(&b->lock);
		return -ENOENT;
	}
	chain_unlink(b, e);
	if (h->lru) {
		pthread_spin_lock(&h->lru_lock);
		if (e->in_lru)
			lru_unlink(e);
		pthread_spin_unlock(&h->lru_lock);
	}
	pthread_spin_unlock(&b->lock);
	atomic_fetch_sub(&h->count, 1);
	elem_retire(h, e);
	return 0;
}

static int htab_get_next_key(struct userbpf_map *map, const void *key, void *next)
{
	struct htab *h = (struct htab *)map;
	struct htab_elem *e = NULL;
	uint32_t i = 0;

	if (key) {
		uint32_t hash = hash_key(h, key, map->key_size);

		e = chain_find(h, bucket_of(h, hash), key, hash);
		if (e) {
			e = atomic_load_explicit(&e->next, memory_order_acquire);
			i = (hash & h->mask) + 1;
		}
	}
	for (; !e && i <= h->mask; i++)
		e = atomic_load_explicit(&h->buckets[i].head, memory_order_acquire);
	if (!e)
		return -ENOENT;
	memcpy(next, elem_key(e), map->key_size);
	return 0;
}

static long htab_for_each(struct userbpf_map *map, ub_map_each_fn fn, void *ctx)
{
	struct htab *h = (struct htab *)map;
	long n = 0;

	for (uint32_t i = 0; i <= h->mask; i++) {
		struct htab_elem *e;

		for (e = atomic_load_explicit(&h->buckets[i].head, memory_order_acquire); e;
		     e = atomic_load_explicit(&e->next, memory_order_acquire)) {
			void *v = elem_value(h, e);

			if (h->percpu)
				v = (uint8_t *)v + (size_t)ub_map_this_cpu(map) * map->value_stride;
			n++;
			if (fn(map, elem_key(e), v, ctx))
				return n;
		}
	}
	return n;
}

static int htab_user_lookup(struct userbpf_map *map, const void *key, void *value)
{
	struct htab *h = (struct htab *)map;
	struct htab_elem *e;
	int err = 0;

	ub_epoch_enter();
	e = htab_find(h, key);
	if (!e) {
		err = -ENOENT;
	} else if (h->of_maps) {
		struct userbpf_map *in;
		uint32_t id;

		memcpy(&in, elem_value(h, e), sizeof(in));
		id = in ? in->id : 0;
		memcpy(value, &id, 4);
	} else if (h->percpu) {
		memcpy(value, elem_value(h, e), h->value_bytes);
	} else {
		memcpy(value, elem_value(h, e), map->value_size);
	}
	ub_epoch_exit();
	return err;
}

static int htab_user_update(struct userbpf_map *map, const void *key, const void *value,
			    uint64_t flags)
{
	struct htab *h = (struct htab *)map;
	int err;

	ub_epoch_enter();
	if (h->of_maps) {
		struct userbpf_map *in;
		uint32_t id;

		memcpy(&id, value, 4);
		in = ub_map_by_id(map->env, id);
		if (!in) {
			ub_err(&map->env->log, "map '%s': no map with id %u", map->name, id);
			err = -EBADF;
		} else if (!(err = ub_inner_map_check(map, in))) {
			ub_map_get(in);
			err = htab_update_src(h, key, &in, flags, VAL_MAP_PTR);
			if (err)
				ub_map_put(in);
		}
	} else {
		err = htab_update_src(h, key, value, flags, h->percpu ? VAL_ALL_CPUS : VAL_ONE);
	}
	ub_epoch_exit();
	return err;
}

/* ---- creation --------------------------------------------------------------------------- */

static uint32_t seed_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(ts.tv_nsec ^ (ts.tv_sec * 2654435761u));
}

static void htab_free(struct userbpf_map *map)
{
	struct htab *h = (struct htab *)map;

	if (h->buckets) {
		for (uint32_t i = 0; i <= h->mask; i++) {
			struct htab_elem *e = atomic_load(&h->buckets[i].head), *n;

			for (; e; e = n) {
				n = atomic_load(&e->next);
				if (h->of_maps) {
					struct userbpf_map *in;

					memcpy(&in, elem_value(h, e), sizeof(in));
					if (in)
						ub_map_put(in);
				}
				if (!h->prealloc)
					ub_free(map->env, e);
			}
			pthread_spin_destroy(&h->buckets[i].lock);
		}
	}
	if (h->of_maps && map->inner)
		ub_map_put(map->inner);
	pthread_spin_destroy(&h->free_lock);
	pthread_spin_destroy(&h->lru_lock);
	while (h->extra) {
		struct pool_extra *x = h->extra;

		h->extra = x->next;
		ub_free(map->env, x);
	}
	ub_free(map->env, h->pool);
	ub_free(map->env, h->buckets);
	ub_free(map->env, h);
}

static struct userbpf_map *htab_alloc_kind(struct userbpf_env *env,
					   const struct userbpf_map_opts *o, int percpu, int lru,
					   int of_maps)
{
	const char *name = o->name ? o->name : "";
	uint32_t nb = 1, pool_n;
	struct htab *h;

	if (!o->key_size || !o->value_size || !o->max_entries) {
		ub_err(&env->log,
		       "map '%s': a hash map needs key_size, value_size and max_entries "
		       "> 0 (got %u, %u, %u)",
		       name, o->key_size, o->value_size, o->max_entries);
		errno = EINVAL;
		return NULL;
	}
	if (o->key_size > HTAB_MAX_KEY || o->value_size > HTAB_MAX_VALUE ||
	    (percpu && o->value_size > 32768) || o->max_entries > (1u << 26)) {
		ub_err(&env->log,
		       "map '%s': key_size %u, value_size %u or max_entries %u too large", name,
		       o->key_size, o->value_size, o->max_entries);
		errno = E2BIG;
		return NULL;
	}
	if (lru && (o->map_flags & USERBPF_F_NO_PREALLOC)) {
		ub_err(&env->log, "map '%s': LRU maps are always preallocated", name);
		errno = EINVAL;
		return NULL;
	}
	if (of_maps && o->value_size != 4) {
		ub_err(&env->log, "map '%s': hash_of_maps needs value_size 4, got %u", name,
		       o->value_size);
		errno = EINVAL;
		return NULL;
	}
	if (o->map_flags & USERBPF_F_MMAPABLE) {
		ub_err(&env->log, "map '%s': BPF_F_MMAPABLE is only for arrays", name);
		errno = EINVAL;
		return NULL;
	}
	if (o->shared) {
		ub_err(&env->log, "map '%s': hash maps cannot live in shared memory yet", name);
		errno = ENOTSUP;
		return NULL;
	}
	h = ub_zalloc(env, sizeof(*h));
	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	ub_map_init_common(&h->map, env, o);
	if (!percpu)
		h->map.ncpus = 1;
	h->percpu = (uint8_t)percpu;
	h->lru = (uint8_t)lru;
	h->of_maps = (uint8_t)of_maps;
	h->prealloc = !(o->map_flags & USERBPF_F_NO_PREALLOC);
	h->seed = (o->map_flags & USERBPF_F_ZERO_SEED) ? 0 : seed_now();
	h->key_stride = ub_round8(o->key_size);
	h->value_bytes = of_maps ? 8 : h->map.value_stride * h->map.ncpus;
	h->elem_size = sizeof(struct htab_elem) + h->key_stride + h->value_bytes;
	while (nb < o->max_entries)
		nb <<= 1;
	h->mask = nb - 1;
	h->lru_head.lru_next = h->lru_head.lru_prev = &h->lru_head;
	pthread_spin_init(&h->free_lock, PTHREAD_PROCESS_PRIVATE);
	pthread_spin_init(&h->lru_lock, PTHREAD_PROCESS_PRIVATE);
	h->buckets = ub_zalloc(env, (size_t)nb * sizeof(*h->buckets));
	if (!h->buckets)
		goto nomem;
	for (uint32_t i = 0; i < nb; i++)
		pthread_spin_init(&h->buckets[i].lock, PTHREAD_PROCESS_PRIVATE);
	if (h->prealloc) {
		pool_n = o->max_entries + SPARE_ELEMS;
		h->pool = ub_zalloc(env, (size_t)pool_n * h->elem_size);
		if (!h->pool)
			goto nomem;
		for (uint32_t i = pool_n; i-- > 0;) {
			struct htab_elem *e =
			    (struct htab_elem *)(h->pool + (size_t)i * h->elem_size);

			e->free_next = h->free_list;
			h->free_list = e;
		}
	}
	if (of_maps) {
		int err = ub_inner_template(env, &h->map, o);

		if (err) {
			h->of_maps = 0; /* no template reference to drop */
			htab_free(&h->map);
			errno = -err;
			return NULL;
		}
	}
	return &h->map;
nomem:
	htab_free(&h->map);
	errno = ENOMEM;
	return NULL;
}

static struct userbpf_map *htab_alloc(struct userbpf_env *env, const struct userbpf_map_opts *o)
{
	return htab_alloc_kind(env, o, 0, 0, 0);
}

static struct userbpf_map *pcpu_htab_alloc(struct userbpf_env *env,
					   const struct userbpf_map_opts *o)
{
	return htab_alloc_kind(env, o, 1, 0, 0);
}

static struct userbpf_map *lru_htab_alloc(struct userbpf_env *env, const struct userbpf_map_opts *o)
{
	return htab_alloc_kind(env, o, 0, 1, 0);
}

static struct userbpf_map *lru_pcpu_htab_alloc(struct userbpf_env *env,
					       const struct userbpf_map_opts *o)
{
	return htab_alloc_kind(env, o, 1, 1, 0);
}

static struct userbpf_map *hom_alloc(struct userbpf_env *env, const struct userbpf_map_opts *o)
{
	return htab_alloc_kind(env, o, 0, 0, 1);
}

#define HTAB_OPS(nm, alloc_fn, upd)                                                                \
	const struct ub_map_ops nm = {                                                             \
	    .alloc = alloc_fn,                                                                     \
	    .free = htab_free,                                                                     \
	    .lookup = htab_lookup,                                                                 \
	    .update = upd,                                                                         \
	    .delete = htab_delete,                                                                 \
	    .for_each = htab_for_each,                                                             \
	    .user_lookup = htab_user_lookup,                                                       \
	    .user_update = htab_user_update,                                                       \
	    .get_next_key = htab_get_next_key,                                                     \
	}

HTAB_OPS(ub_htab_ops, htab_alloc, htab_update);
HTAB_OPS(ub_percpu_htab_ops, pcpu_htab_alloc, htab_update);
HTAB_OPS(ub_lru_htab_ops, lru_htab_alloc, htab_update);
HTAB_OPS(ub_lru_percpu_htab_ops, lru_pcpu_htab_alloc, htab_update);
/* Programs cannot update map-in-map maps (Linux: only from user space). */
HTAB_OPS(ub_hash_of_maps_ops, hom_alloc, NULL);
