/* SPDX-License-Identifier: Apache-2.0 */
/*
 * array.c: array-indexed maps: array, percpu_array, prog_array, array_of_maps. A value is
 * values + index * stride (per-CPU: (index * ncpus + cpu) * stride); keys are u32 indexes.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "maps/map.h"
#include "maps/shm.h"

#define ARRAY_MAX_BYTES (1ull << 32)  /* beyond: -E2BIG */
#define PERCPU_MAX_VALUE (32u * 1024) /* Linux's PCPU_MIN_UNIT_SIZE */

static struct userbpf_map *array_alloc_kind(struct userbpf_env *env,
					    const struct userbpf_map_opts *o, int percpu, int slot8)
{
	const char *name = o->name ? o->name : "";
	struct ub_array *a;
	uint64_t stride, bytes;
	uint32_t ncpus = percpu ? ub_num_possible_cpus() : 1;

	if (o->key_size != 4 || !o->max_entries || (!slot8 && !o->value_size)) {
		ub_err(&env->log,
		       "map '%s': an array needs key_size 4 (got %u), value_size > 0 "
		       "(got %u) and max_entries > 0 (got %u)",
		       name, o->key_size, o->value_size, o->max_entries);
		errno = EINVAL;
		return NULL;
	}
	if (slot8 && o->value_size != 4) {
		ub_err(&env->log,
		       "map '%s': prog_array and array_of_maps need value_size 4 (an id "
		       "or fd), got %u",
		       name, o->value_size);
		errno = EINVAL;
		return NULL;
	}
	if (o->map_flags & USERBPF_F_NO_PREALLOC) {
		ub_err(&env->log, "map '%s': arrays are always preallocated (BPF_F_NO_PREALLOC)",
		       name);
		errno = EINVAL;
		return NULL;
	}
	if ((o->map_flags & USERBPF_F_MMAPABLE) && (percpu || slot8)) {
		ub_err(&env->log, "map '%s': BPF_F_MMAPABLE is only for plain arrays", name);
		errno = EINVAL;
		return NULL;
	}
	if (percpu && o->value_size > PERCPU_MAX_VALUE) {
		ub_err(&env->log, "map '%s': per-CPU value_size %u exceeds %u", name, o->value_size,
		       PERCPU_MAX_VALUE);
		errno = E2BIG;
		return NULL;
	}
	stride = slot8 ? 8 : ub_round8(o->value_size);
	bytes = stride * o->max_entries * ncpus;
	if (bytes > ARRAY_MAX_BYTES) {
		ub_err(&env->log, "map '%s': %llu bytes of values is too large", name,
		       (unsigned long long)bytes);
		errno = E2BIG;
		return NULL;
	}
	a = ub_zalloc(env, sizeof(*a));
	if (!a) {
		errno = ENOMEM;
		return NULL;
	}
	ub_map_init_common(&a->map, env, o);
	a->map.value_stride = (uint32_t)stride;
	if (!percpu)
		a->map.ncpus = 1;
	if (o->shared) {
		if (slot8) {
			ub_err(&env->log,
			       "map '%s': prog_array/array_of_maps hold pointers and "
			       "cannot be shared",
			       name);
			ub_free(env, a);
			errno = EINVAL;
			return NULL;
		}
		a->values = ub_shm_create(&a->map, bytes);
	} else {
		a->values = ub_zalloc(env, bytes);
	}
	if (!a->values) {
		int e = errno ? errno : ENOMEM;

		ub_free(env, a);
		errno = e;
		return NULL;
	}
	a->index_mask = o->max_entries - 1;
	return &a->map;
}

static void array_free(struct userbpf_map *map)
{
	struct ub_array *a = (struct ub_array *)map;

	if (map->shm)
		ub_shm_destroy(map);
	else
		ub_free(map->env, a->values);
	ub_free(map->env, a);
}

static inline uint8_t *slot(struct userbpf_map *map, uint32_t idx, uint32_t cpu)
{
	return ((struct ub_array *)map)->values +
	       ((size_t)idx * map->ncpus + cpu) * map->value_stride;
}

static int check_index(struct userbpf_map *map, const void *key, uint32_t *idx)
{
	memcpy(idx, key, 4);
	return *idx < map->max_entries ? 0 : -E2BIG;
}

static int check_flags(uint64_t flags)
{
	if (flags > USERBPF_EXIST && flags != 4 /* BPF_F_LOCK */)
		return -EINVAL;
	if (flags == USERBPF_NOEXIST)
		return -EEXIST; /* every element exists */
	return 0;
}

static void *array_lookup(struct userbpf_map *map, const void *key)
{
	uint32_t idx;

	memcpy(&idx, key, 4);
	return idx < map->max_entries ? slot(map, idx, 0) : NULL;
}

static int array_update(struct userbpf_map *map, const void *key, const void *value, uint64_t flags)
{
	uint32_t idx;
	int err = check_flags(flags);

	if (err || (err = check_index(map, key, &idx)))
		return err;
	memcpy(slot(map, idx, 0), value, map->value_size);
	return 0;
}

static int array_delete(struct userbpf_map *map, const void *key)
{
	return -EINVAL; /* Linux: array elements cannot be deleted */
}

static int array_get_next_key(struct userbpf_map *map, const void *key, void *next)
{
	uint32_t idx, n;

	if (!key) {
		n = 0;
	} else {
		memcpy(&idx, key, 4);
		if (idx >= map->max_entries)
			n = 0;
		else if (idx == map->max_entries - 1)
			return -ENOENT;
		else
			n = idx + 1;
	}
	memcpy(next, &n, 4);
	return 0;
}

static long array_for_each(struct userbpf_map *map, ub_map_each_fn fn, void *ctx)
{
	long n = 0;

	for (uint32_t i = 0; i < map->max_entries; i++) {
		uint32_t k = i;

		n++;
		if (fn(map, &k, map->ops->lookup(map, &k), ctx))
			break;
	}
	return n;
}

static struct userbpf_map *array_alloc(struct userbpf_env *env, const struct userbpf_map_opts *o)
{
	return array_alloc_kind(env, o, 0, 0);
}

const struct ub_map_ops ub_array_ops = {
    .alloc = array_alloc,
    .free = array_free,
    .lookup = array_lookup,
    .update = array_update,
    .delete = array_delete,
    .for_each = array_for_each,
    .get_next_key = array_get_next_key,
};

/* ---- percpu_array --------------------------------------------------------------------- */

static struct userbpf_map *pcpu_array_alloc(struct userbpf_env *env,
					    const struct userbpf_map_opts *o)
{
	return array_alloc_kind(env, o, 1, 0);
}

static void *pcpu_array_lookup(struct userbpf_map *map, const void *key)
{
	uint32_t idx;

	memcpy(&idx, key, 4);
	return idx < map->max_entries ? slot(map, idx, ub_map_this_cpu(map)) : NULL;
}

static int pcpu_array_update(struct userbpf_map *map, const void *key, const void *value,
			     uint64_t flags)
{
	uint32_t idx;
	int err = check_flags(flags);

	if (err || (err = check_index(map, key, &idx)))
		return err;
	memcpy(slot(map, idx, ub_map_this_cpu(map)), value, map->value_size);
	return 0;
}

static int pcpu_array_user_lookup(struct userbpf_map *map, const void *key, void *value)
{
	uint32_t idx;
	int err = check_index(map, key, &idx);

	if (err)
		return -ENOENT;
	memcpy(value, slot(map, idx, 0), (size_t)map->ncpus * map->value_stride);
	return 0;
}

static int pcpu_array_user_update(struct userbpf_map *map, const void *key, const void *value,
				  uint64_t flags)
{
	uint32_t idx;
	int err = check_flags(flags);

	if (err || (err = check_index(map, key, &idx)))
		return err;
	for (uint32_t c = 0; c < map->ncpus; c++)
		memcpy(slot(map, idx, c), (const uint8_t *)value + (size_t)c * map->value_stride,
		       map->value_size);
	return 0;
}

const struct ub_map_ops ub_percpu_array_ops = {
    .alloc = pcpu_array_alloc,
    .free = array_free,
    .lookup = pcpu_array_lookup,
    .update = pcpu_array_update,
    .delete = array_delete,
    .for_each = array_for_each,
    .user_lookup = pcpu_array_user_lookup,
    .user_update = pcpu_array_user_update,
    .get_next_key = array_get_next_key,
};

/* ---- prog_array: slots hold program pointers, read lock-free by tail calls --------------- */

static struct userbpf_map *prog_array_alloc(struct userbpf_env *env,
					    const struct userbpf_map_opts *o)
{
	return array_alloc_kind(env, o, 0, 1);
}

const struct userbpf_prog *ub_prog_array_get(struct userbpf_map *map, uint64_t index)
{
	if (map->type != USERBPF_MAP_TYPE_PROG_ARRAY || index >= map->max_entries)
		return NULL;
	return atomic_load_explicit((_Atomic(const struct userbpf_prog *) *)slot(map, index, 0),
				    memory_order_acquire);
}

USERBPF_API int userbpf_prog_array_set(struct userbpf_map *map, uint32_t index,
				       struct userbpf_prog *prog)
{
	if (!map || map->type != USERBPF_MAP_TYPE_PROG_ARRAY)
		return -EINVAL;
	if (index >= map->max_entries)
		return -E2BIG;
	if (prog && prog->env != map->env)
		return -EINVAL;
	atomic_store_explicit((_Atomic(const struct userbpf_prog *) *)slot(map, index, 0), prog,
			      memory_order_release);
	return 0;
}

static int prog_array_user_update(struct userbpf_map *map, const void *key, const void *value,
				  uint64_t flags)
{
	ub_err(&map->env->log, "map '%s': set prog_array slots with userbpf_prog_array_set()",
	       map->name);
	return -EINVAL;
}

static int prog_array_user_lookup(struct userbpf_map *map, const void *key, void *value)
{
	uint32_t idx, one = 1;

	if (check_index(map, key, &idx) || !ub_prog_array_get(map, idx))
		return -ENOENT;
	memcpy(value, &one, 4); /* Linux reports the program id; here: "occupied" */
	return 0;
}

static int prog_array_delete(struct userbpf_map *map, const void *key)
{
	uint32_t idx;

	if (check_index(map, key, &idx))
		return -E2BIG;
	if (!ub_prog_array_get(map, idx))
		return -ENOENT;
	return userbpf_prog_array_set(map, idx, NULL);
}

const struct ub_map_ops ub_prog_array_ops = {
    .alloc = prog_array_alloc,
    .free = array_free,
    .delete = prog_array_delete,
    .user_lookup = prog_array_user_lookup,
    .user_update = prog_array_user_update,
    .get_next_key = array_get_next_key,
};

/* ---- array_of_maps -------------------------------------------------------------------- */

/* An inner map being replaced: its reference is dropped after readers are done with it. */
struct inner_put {
	struct ub_epoch_node node;
	struct userbpf_map *map;
};

static void inner_put_fn(struct ub_epoch_node *n)
{
	struct inner_put *p = (struct inner_put *)n;
	struct userbpf_env *env = p->map->env;

	ub_map_put(p->map);
	ub_free(env, p);
}

/* Shared by hash_of_maps: is `inner` compatible with the template of `outer`? */
int ub_inner_map_check(struct userbpf_map *outer, struct userbpf_map *inner)
{
	struct userbpf_map *t = outer->inner;

	if (inner->type != t->type || inner->key_size != t->key_size ||
	    inner->value_size != t->value_size ||
	    (!(t->flags & USERBPF_F_INNER_MAP) && inner->max_entries != t->max_entries) ||
	    ((inner->flags ^ t->flags) & ~USERBPF_F_INNER_MAP)) {
		ub_err(&outer->env->log,
		       "map '%s': inner map '%s' does not match the template "
		       "(type, key/value size, max_entries, flags)",
		       outer->name, inner->name);
		return -EINVAL;
	}
	if (inner->type == USERBPF_MAP_TYPE_ARRAY_OF_MAPS ||
	    inner->type == USERBPF_MAP_TYPE_HASH_OF_MAPS ||
	    inner->type == USERBPF_MAP_TYPE_PROG_ARRAY) {
		ub_err(&outer->env->log, "map '%s': inner maps cannot be map-in-map or prog_array",
		       outer->name);
		return -EINVAL;
	}
	return 0;
}

/* Drop a reference once no reader can still be using the map (deferred put). */
void ub_inner_map_release(struct userbpf_map *outer, struct userbpf_map *inner)
{
	struct inner_put *p = ub_alloc(outer->env, sizeof(*p));

	if (!p) {
		ub_map_put(inner); /* no memory: put now (readers are rare at this point) */
		return;
	}
	p->map = inner;
	ub_epoch_retire(&p->node, outer, inner_put_fn);
}

/* Take the template's reference for a map-in-map outer map. */
int ub_inner_template(struct userbpf_env *env, struct userbpf_map *outer,
		      const struct userbpf_map_opts *o)
{
	if (!o->inner_map) {
		ub_err(&env->log, "map '%s': a map-in-map needs inner_map (the template)",
		       o->name ? o->name : "");
		return -EINVAL;
	}
	if (o->inner_map->type == USERBPF_MAP_TYPE_ARRAY_OF_MAPS ||
	    o->inner_map->type == USERBPF_MAP_TYPE_HASH_OF_MAPS ||
	    o->inner_map->type == USERBPF_MAP_TYPE_PROG_ARRAY) {
		ub_err(&env->log, "map '%s': inner maps cannot be map-in-map or prog_array",
		       o->name ? o->name : "");
		return -EINVAL;
	}
	ub_map_get(o->inner_map);
	outer->inner = o->inner_map;
	return 0;
}

static struct userbpf_map *aom_alloc(struct userbpf_env *env, const struct userbpf_map_opts *o)
{
	struct userbpf_map *m = array_alloc_kind(env, o, 0, 1);
	int err;

	if (!m)
		return NULL;
	err = ub_inner_template(env, m, o);
	if (err) {
		array_free(m);
		errno = -err;
		return NULL;
	}
	return m;
}

static void aom_free(struct userbpf_map *map)
{
	for (uint32_t i = 0; i < map->max_entries; i++) {
		struct userbpf_map *in = *(struct userbpf_map **)slot(map, i, 0);

		if (in)
			ub_map_put(in);
	}
	ub_map_put(map->inner);
	array_free(map);
}

static void *aom_lookup(struct userbpf_map *map, const void *key)
{
	uint32_t idx;

	memcpy(&idx, key, 4);
	if (idx >= map->max_entries)
		return NULL;
	return atomic_load_explicit((_Atomic(struct userbpf_map *) *)slot(map, idx, 0),
				    memory_order_acquire);
}

static int aom_user_update(struct userbpf_map *map, const void *key, const void *value,
			   uint64_t flags)
{
	struct userbpf_map *in, *old;
	uint32_t idx, id;
	int err = check_flags(flags);

	if (err || (err = check_index(map, key, &idx)))
		return err;
	memcpy(&id, value, 4);
	in = ub_map_by_id(map->env, id);
	if (!in) {
		ub_err(&map->env->log, "map '%s': no map with id %u", map->name, id);
		return -EBADF;
	}
	err = ub_inner_map_check(map, in);
	if (err)
		return err;
	ub_map_get(in);
	old = atomic_exchange((_Atomic(struct userbpf_map *) *)slot(map, idx, 0), in);
	if (old)
		ub_inner_map_release(map, old);
	return 0;
}

static int aom_delete(struct userbpf_map *map, const void *key)
{
	struct userbpf_map *old;
	uint32_t idx;

	if (check_index(map, key, &idx))
		return -E2BIG;
	old = atomic_exchange((_Atomic(struct userbpf_map *) *)slot(map, idx, 0), NULL);
	if (!old)
		return -ENOENT;
	ub_inner_map_release(map, old);
	return 0;
}

static int aom_user_lookup(struct userbpf_map *map, const void *key, void *value)
{
	struct userbpf_map *in;
	uint32_t id;
	int err = 0;

	ub_epoch_enter();
	in = aom_lookup(map, key);
	if (in) {
		id = in->id;
		memcpy(value, &id, 4);
	} else {
		err = -ENOENT;
	}
	ub_epoch_exit();
	return err;
}

const struct ub_map_ops ub_array_of_maps_ops = {
    .alloc = aom_alloc,
    .free = aom_free,
    .lookup = aom_lookup,
    .delete = aom_delete,
    .user_lookup = aom_user_lookup,
    .user_update = aom_user_update,
    .get_next_key = array_get_next_key,
};

/* ---- shared arrays opened from another process ---------------------------------------- */

struct userbpf_map *ub_array_open_shared(struct userbpf_env *env, const struct ub_shm_hdr *h,
					 int fd)
{
	struct userbpf_map_opts o = {.sz = sizeof(o),
				     .type = h->type,
				     .key_size = h->key_size,
				     .value_size = h->value_size,
				     .max_entries = h->max_entries,
				     .map_flags = h->flags,
				     .name = h->name};
	uint64_t stride = ub_round8(h->value_size);
	uint64_t need =
	    stride * h->max_entries * (h->type == USERBPF_MAP_TYPE_PERCPU_ARRAY ? h->ncpus : 1);
	struct ub_array *a;
	int myfd;

	if (h->key_size != 4 || !h->max_entries || !h->ncpus || h->data_off != UB_PAGE ||
	    h->data_size < need) {
		ub_err(&env->log, "shared map '%s': inconsistent header", h->name);
		errno = EINVAL;
		return NULL;
	}
	a = ub_zalloc(env, sizeof(*a));
	if (!a) {
		errno = ENOMEM;
		return NULL;
	}
	ub_map_init_common(&a->map, env, &o);
	a->map.ncpus = h->type == USERBPF_MAP_TYPE_PERCPU_ARRAY ? h->ncpus : 1;
	myfd = dup(fd);
	a->map.shm_size = UB_PAGE + ((h->data_size + UB_PAGE - 1) & ~(uint64_t)(UB_PAGE - 1));
	a->map.shm = myfd < 0
			 ? MAP_FAILED
			 : mmap(NULL, a->map.shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, myfd, 0);
	if (a->map.shm == MAP_FAILED) {
		int e = errno;

		if (myfd >= 0)
			close(myfd);
		ub_free(env, a);
		errno = e;
		return NULL;
	}
	a->map.shm_fd = myfd;
	a->values = (uint8_t *)a->map.shm + UB_PAGE;
	a->index_mask = h->max_entries - 1;
	return ub_map_publish(&a->map, h->type == USERBPF_MAP_TYPE_ARRAY ? &ub_array_ops
									 : &ub_percpu_array_ops);
}
