/* SPDX-License-Identifier: Apache-2.0 */
/* map.c: the map object: creation by type, reference counting, ids, the public map API. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <unistd.h>

#include "maps/map.h"

/* THE table of map types: Linux number, name, ops. */
static const struct {
	uint32_t type;
	const char *name;
	const struct ub_map_ops *ops;
} map_types[] = {
    {USERBPF_MAP_TYPE_HASH, "hash", &ub_htab_ops},
    {USERBPF_MAP_TYPE_ARRAY, "array", &ub_array_ops},
    {USERBPF_MAP_TYPE_PROG_ARRAY, "prog_array", &ub_prog_array_ops},
    {USERBPF_MAP_TYPE_PERCPU_HASH, "percpu_hash", &ub_percpu_htab_ops},
    {USERBPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array", &ub_percpu_array_ops},
    {USERBPF_MAP_TYPE_LRU_HASH, "lru_hash", &ub_lru_htab_ops},
    {USERBPF_MAP_TYPE_LRU_PERCPU_HASH, "lru_percpu_hash", &ub_lru_percpu_htab_ops},
    {USERBPF_MAP_TYPE_LPM_TRIE, "lpm_trie", &ub_lpm_ops},
    {USERBPF_MAP_TYPE_ARRAY_OF_MAPS, "array_of_maps", &ub_array_of_maps_ops},
    {USERBPF_MAP_TYPE_HASH_OF_MAPS, "hash_of_maps", &ub_hash_of_maps_ops},
    {USERBPF_MAP_TYPE_QUEUE, "queue", &ub_queue_ops},
    {USERBPF_MAP_TYPE_STACK, "stack", &ub_stack_ops},
    {USERBPF_MAP_TYPE_RINGBUF, "ringbuf", &ub_ringbuf_ops},
    {USERBPF_MAP_TYPE_BLOOM_FILTER, "bloom_filter", &ub_bloom_ops},
};
#define N_TYPES (sizeof(map_types) / sizeof(map_types[0]))

USERBPF_API const char *userbpf_map_type_name(uint32_t type)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (map_types[i].type == type)
			return map_types[i].name;
	return NULL;
}

static uint32_t possible_cpus;

/* Parse "0-3,5" style lists from /sys (the highest CPU + 1), like libbpf. */
static uint32_t read_possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	char buf[256];
	long hi = -1;

	if (f) {
		if (fgets(buf, sizeof(buf), f)) {
			char *p = buf;

			while (*p) {
				char *end;
				long a = strtol(p, &end, 10), b = a;

				if (end == p)
					break;
				if (*end == '-')
					b = strtol(end + 1, &end, 10);
				if (b > hi)
					hi = b;
				p = *end == ',' ? end + 1 : end;
				if (*p == '\n')
					break;
			}
		}
		fclose(f);
	}
	if (hi < 0) {
		long n = sysconf(_SC_NPROCESSORS_CONF);

		hi = n > 0 ? n - 1 : 0;
	}
	return (uint32_t)hi + 1;
}

uint32_t ub_num_possible_cpus(void)
{
	uint32_t n = __atomic_load_n(&possible_cpus, __ATOMIC_RELAXED);

	if (!n) {
		n = read_possible_cpus();
		__atomic_store_n(&possible_cpus, n, __ATOMIC_RELAXED);
	}
	return n;
}

USERBPF_API int userbpf_num_possible_cpus(void)
{
	return (int)ub_num_possible_cpus();
}

/*
 * The CPU the calling thread runs on. glibc registers every thread's struct rseq with the
 * kernel, which keeps its cpu_id current: reading it is one load (no syscall, no call).
 * Without rseq (glibc.pthread.rseq=0, old kernels) sched_getcpu() answers. The value may be
 * stale by the time it is used if the thread migrates: per-CPU slots are a sharding of
 * contention, not exclusive ownership (see userbpf.h).
 */
static inline int this_cpu(void)
{
	if (__builtin_expect(__rseq_size >= 8, 1)) {
		int cpu = (int)*(volatile uint32_t *)((char *)__builtin_thread_pointer() +
						      __rseq_offset + 4);

		if (cpu >= 0)
			return cpu;
	}
	return sched_getcpu();
}

uint32_t ub_map_this_cpu(const struct userbpf_map *map)
{
	int cpu = this_cpu();

	if (cpu < 0)
		cpu = 0;
	return (uint32_t)cpu < map->ncpus ? (uint32_t)cpu : (uint32_t)cpu % map->ncpus;
}

void ub_map_init_common(struct userbpf_map *map, struct userbpf_env *env,
			const struct userbpf_map_opts *o)
{
	map->env = env;
	map->type = o->type;
	map->key_size = o->key_size;
	map->value_size = o->value_size;
	map->max_entries = o->max_entries;
	map->flags = o->map_flags;
	map->value_stride = ub_round8(o->value_size);
	map->ncpus = ub_num_possible_cpus();
	map->map_extra = o->map_extra;
	map->shm_fd = -1;
	atomic_init(&map->refcnt, 1);
	if (o->name) {
		strncpy(map->name, o->name, UB_MAP_NAME_LEN - 1);
		map->name[UB_MAP_NAME_LEN - 1] = 0;
	}
}

static void map_link(struct userbpf_map *map);

struct userbpf_map *ub_map_publish(struct userbpf_map *map, const struct ub_map_ops *ops)
{
	map->ops = ops;
	map_link(map);
	return map;
}

static void map_link(struct userbpf_map *map)
{
	struct userbpf_env *env = map->env;

	pthread_mutex_lock(&env->lock);
	map->id = ++env->next_map_id;
	map->next = env->maps;
	if (env->maps)
		env->maps->prev = map;
	env->maps = map;
	pthread_mutex_unlock(&env->lock);
}

static void map_unlink(struct userbpf_map *map)
{
	struct userbpf_env *env = map->env;

	pthread_mutex_lock(&env->lock);
	if (map->prev)
		map->prev->next = map->next;
	else if (env->maps == map)
		env->maps = map->next;
	if (map->next)
		map->next->prev = map->prev;
	map->next = map->prev = NULL;
	pthread_mutex_unlock(&env->lock);
}

#define KNOWN_FLAGS                                                                                \
	(USERBPF_F_NO_PREALLOC | USERBPF_F_NO_COMMON_LRU | USERBPF_F_RDONLY | USERBPF_F_WRONLY |   \
	 USERBPF_F_ZERO_SEED | USERBPF_F_RDONLY_PROG | USERBPF_F_WRONLY_PROG |                     \
	 USERBPF_F_MMAPABLE | USERBPF_F_INNER_MAP)

USERBPF_API struct userbpf_map *userbpf_map_create(struct userbpf_env *env,
						   const struct userbpf_map_opts *opts)
{
	struct userbpf_map_opts o = {.sz = sizeof(o)};
	const struct ub_map_ops *ops = NULL;
	const char *tname = NULL;
	struct userbpf_map *map;

	if (!env || !opts || opts->sz < offsetof(struct userbpf_map_opts, inner_map)) {
		errno = EINVAL;
		return NULL;
	}
	memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	for (size_t i = 0; i < N_TYPES; i++)
		if (map_types[i].type == o.type) {
			ops = map_types[i].ops;
			tname = map_types[i].name;
		}
	if (!ops) {
		ub_err(&env->log, "map '%s': map type %u is not supported", o.name ? o.name : "",
		       o.type);
		errno = ENOTSUP;
		return NULL;
	}
	if (o.map_flags & ~KNOWN_FLAGS) {
		ub_err(&env->log, "map '%s' (%s): unknown map_flags 0x%x", o.name ? o.name : "",
		       tname, o.map_flags & ~KNOWN_FLAGS);
		errno = EINVAL;
		return NULL;
	}
	if ((o.map_flags & USERBPF_F_RDONLY_PROG) && (o.map_flags & USERBPF_F_WRONLY_PROG)) {
		ub_err(&env->log,
		       "map '%s': BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG exclude "
		       "each other",
		       o.name ? o.name : "");
		errno = EINVAL;
		return NULL;
	}
	if (o.inner_map && o.type != USERBPF_MAP_TYPE_ARRAY_OF_MAPS &&
	    o.type != USERBPF_MAP_TYPE_HASH_OF_MAPS) {
		ub_err(&env->log, "map '%s' (%s): inner_map is only for map-in-map types",
		       o.name ? o.name : "", tname);
		errno = EINVAL;
		return NULL;
	}
	map = ops->alloc(env, &o);
	if (!map)
		return NULL; /* errno and the reason set by the type */
	return ub_map_publish(map, ops);
}

static void map_destroy(struct userbpf_map *map)
{
	map_unlink(map);
	ub_epoch_drain(map);
	map->ops->free(map);
}

void ub_map_get(struct userbpf_map *map)
{
	if (map)
		atomic_fetch_add(&map->refcnt, 1);
}

void ub_map_put(struct userbpf_map *map)
{
	if (map && atomic_fetch_sub(&map->refcnt, 1) == 1)
		map_destroy(map);
}

USERBPF_API void userbpf_map_free(struct userbpf_map *map)
{
	ub_map_put(map);
}

static int holds_maps(const struct userbpf_map *m)
{
	return m->type == USERBPF_MAP_TYPE_ARRAY_OF_MAPS ||
	       m->type == USERBPF_MAP_TYPE_HASH_OF_MAPS;
}

/*
 * Env teardown: every map dies whatever its count. Counts are first made unreachable by the
 * puts that map-in-map maps do on their inner maps, and map-in-map maps die first, while the
 * maps they reference still exist (inner maps are never map-in-map themselves).
 */
void ub_maps_release_all(struct userbpf_env *env)
{
	struct userbpf_map *m, *next;

	for (m = env->maps; m; m = m->next)
		atomic_store(&m->refcnt, 1u << 30);
	for (m = env->maps; m; m = next) {
		next = m->next;
		if (holds_maps(m)) {
			map_destroy(m);
			next = env->maps; /* the list changed: start over */
		}
	}
	while (env->maps)
		map_destroy(env->maps);
}

struct userbpf_map *ub_map_by_id(struct userbpf_env *env, uint32_t id)
{
	struct userbpf_map *m;

	pthread_mutex_lock(&env->lock);
	for (m = env->maps; m; m = m->next)
		if (m->id == id)
			break;
	pthread_mutex_unlock(&env->lock);
	return m;
}

USERBPF_API struct userbpf_map *userbpf_map_by_id(struct userbpf_env *env, uint32_t id)
{
	return env ? ub_map_by_id(env, id) : NULL;
}

void ub_maps_forget_prog(struct userbpf_env *env, const struct userbpf_prog *prog)
{
	pthread_mutex_lock(&env->lock);
	for (struct userbpf_map *m = env->maps; m; m = m->next) {
		if (m->type != USERBPF_MAP_TYPE_PROG_ARRAY)
			continue;
		for (uint32_t i = 0; i < m->max_entries; i++) {
			_Atomic(const struct userbpf_prog *) *slot =
			    (void *)(((struct ub_array *)m)->values + (size_t)i * 8);

			if (atomic_load(slot) == prog)
				atomic_store(slot, NULL);
		}
	}
	pthread_mutex_unlock(&env->lock);
}

/* ---- Program view --------------------------------------------------------------------- */

int ub_map_update_elem(struct userbpf_map *map, const void *key, const void *value, uint64_t flags)
{
	if (!map->ops->update)
		return -EINVAL;
	return map->ops->update(map, key, value, flags);
}

int ub_map_delete_elem(struct userbpf_map *map, const void *key)
{
	if (!map->ops->delete)
		return -EINVAL;
	return map->ops->delete (map, key);
}

int ub_map_direct_value_addr(struct userbpf_map *map, uint32_t off, uint64_t *addr)
{
	if (map->type != USERBPF_MAP_TYPE_ARRAY || map->max_entries < 1 || off >= map->value_size)
		return -EINVAL;
	*addr = (uint64_t)(uintptr_t)(((struct ub_array *)map)->values + off);
	return 0;
}

int ub_map_values_region(struct userbpf_map *map, uint64_t *lo, uint64_t *len)
{
	struct ub_array *a = (struct ub_array *)map;

	if (map->type == USERBPF_MAP_TYPE_ARRAY) {
		*len = (uint64_t)map->max_entries * map->value_stride;
	} else if (map->type == USERBPF_MAP_TYPE_PERCPU_ARRAY) {
		*len = (uint64_t)map->max_entries * map->value_stride * map->ncpus;
	} else {
		return -EINVAL;
	}
	*lo = (uint64_t)(uintptr_t)a->values;
	return 0;
}

/* ---- Public API ----------------------------------------------------------------------- */

static int check_user_read(struct userbpf_map *map)
{
	return (map->flags & USERBPF_F_WRONLY) ? -EPERM : 0;
}

static int check_user_write(struct userbpf_map *map)
{
	return (map->flags & USERBPF_F_RDONLY) ? -EPERM : 0;
}

static int is_queue_like(const struct userbpf_map *map)
{
	return map->type == USERBPF_MAP_TYPE_QUEUE || map->type == USERBPF_MAP_TYPE_STACK ||
	       map->type == USERBPF_MAP_TYPE_BLOOM_FILTER;
}

USERBPF_API int userbpf_map_lookup(struct userbpf_map *map, const void *key, void *value)
{
	void *v;
	int err;

	if (!map || !value || (!key && map->key_size))
		return -EINVAL;
	err = check_user_read(map);
	if (err)
		return err;
	if (map->type == USERBPF_MAP_TYPE_BLOOM_FILTER)
		return map->ops->peek(map, (void *)value);
	if (is_queue_like(map))
		return map->ops->peek ? map->ops->peek(map, value) : -EINVAL;
	if (map->ops->user_lookup)
		return map->ops->user_lookup(map, key, value);
	if (!map->ops->lookup)
		return -EINVAL;
	ub_epoch_enter();
	v = map->ops->lookup(map, key);
	if (v)
		memcpy(value, v, map->value_size);
	ub_epoch_exit();
	return v ? 0 : -ENOENT;
}

USERBPF_API int userbpf_map_update(struct userbpf_map *map, const void *key, const void *value,
				   uint64_t flags)
{
	int err;

	if (!map || !value || (!key && map->key_size))
		return -EINVAL;
	err = check_user_write(map);
	if (err)
		return err;
	if (is_queue_like(map))
		return map->ops->push ? map->ops->push(map, value, flags) : -EINVAL;
	if (map->ops->user_update)
		return map->ops->user_update(map, key, value, flags);
	if (!map->ops->update)
		return -EINVAL;
	ub_epoch_enter();
	err = map->ops->update(map, key, value, flags);
	ub_epoch_exit();
	return err;
}

USERBPF_API int userbpf_map_delete(struct userbpf_map *map, const void *key)
{
	int err;

	if (!map || (!key && map->key_size))
		return -EINVAL;
	err = check_user_write(map);
	if (err)
		return err;
	if (!map->ops->delete)
		return -EINVAL;
	ub_epoch_enter();
	err = map->ops->delete (map, key);
	ub_epoch_exit();
	return err;
}

USERBPF_API int userbpf_map_lookup_and_delete(struct userbpf_map *map, const void *key, void *value)
{
	int err;

	if (!map || !value)
		return -EINVAL;
	if (map->type == USERBPF_MAP_TYPE_QUEUE || map->type == USERBPF_MAP_TYPE_STACK)
		return key ? -EINVAL : map->ops->pop(map, value);
	err = userbpf_map_lookup(map, key, value);
	if (err)
		return err;
	return userbpf_map_delete(map, key);
}

USERBPF_API int userbpf_map_get_next_key(struct userbpf_map *map, const void *key, void *next)
{
	int err;

	if (!map || !next)
		return -EINVAL;
	if (!map->ops->get_next_key)
		return -EINVAL;
	ub_epoch_enter();
	err = map->ops->get_next_key(map, key, next);
	ub_epoch_exit();
	return err;
}

USERBPF_API long userbpf_map_dump(struct userbpf_map *map, userbpf_map_dump_fn fn, void *user)
{
	uint8_t *key, *next, *value;
	long n = 0;
	int err;

	if (!map || !fn || !map->ops->get_next_key)
		return -EINVAL;
	key = malloc(map->key_size ? map->key_size : 1);
	next = malloc(map->key_size ? map->key_size : 1);
	value = malloc(userbpf_map_value_size_user(map));
	if (!key || !next || !value) {
		n = -ENOMEM;
		goto out;
	}
	err = userbpf_map_get_next_key(map, NULL, next);
	while (!err) {
		memcpy(key, next, map->key_size);
		err = userbpf_map_lookup(map, key, value);
		if (!err) {
			n++;
			if (fn(user, key, value))
				break;
		} else if (err != -ENOENT) { /* deleted meanwhile: skip it */
			n = err;
			break;
		}
		err = userbpf_map_get_next_key(map, key, next);
	}
	if (err && err != -ENOENT && n >= 0)
		n = err;
out:
	free(key);
	free(next);
	free(value);
	return n;
}

USERBPF_API const char *userbpf_map_name(const struct userbpf_map *map)
{
	return map ? map->name : NULL;
}

USERBPF_API uint32_t userbpf_map_type(const struct userbpf_map *map)
{
	return map ? map->type : 0;
}

USERBPF_API uint32_t userbpf_map_key_size(const struct userbpf_map *map)
{
	return map ? map->key_size : 0;
}

USERBPF_API uint32_t userbpf_map_value_size(const struct userbpf_map *map)
{
	return map ? map->value_size : 0;
}

USERBPF_API uint32_t userbpf_map_max_entries(const struct userbpf_map *map)
{
	return map ? map->max_entries : 0;
}

USERBPF_API uint32_t userbpf_map_flags(const struct userbpf_map *map)
{
	return map ? map->flags : 0;
}

USERBPF_API uint32_t userbpf_map_id(const struct userbpf_map *map)
{
	return map ? map->id : 0;
}

static int is_percpu(uint32_t type)
{
	return type == USERBPF_MAP_TYPE_PERCPU_ARRAY || type == USERBPF_MAP_TYPE_PERCPU_HASH ||
	       type == USERBPF_MAP_TYPE_LRU_PERCPU_HASH;
}

USERBPF_API size_t userbpf_map_value_size_user(const struct userbpf_map *map)
{
	if (!map)
		return 0;
	if (is_percpu(map->type))
		return (size_t)map->value_stride * map->ncpus;
	return map->value_size;
}

USERBPF_API int userbpf_map_shm_fd(const struct userbpf_map *map)
{
	return map && map->shm_fd >= 0 ? map->shm_fd : -EINVAL;
}
