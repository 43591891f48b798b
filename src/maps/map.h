/* SPDX-License-Identifier: Apache-2.0 */
/*
 * map.h: the map object, its per-type ops table (one file per type implements one table),
 * and what the engines, helpers and loader use: program-view lookups, direct value addresses,
 * epoch-based reclamation.
 */
#ifndef UB_MAP_H
#define UB_MAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define UB_MAP_NAME_LEN 16 /* BPF_OBJ_NAME_LEN, NUL included */

/* A callback of for_each: return non-zero to stop. */
typedef long (*ub_map_each_fn)(struct userbpf_map *map, void *key, void *value, void *ctx);

/*
 * One table per map type. "Program view" entries are what BPF helpers see (per-CPU maps: this
 * CPU's slot; map-in-map: the inner map pointer); "user view" entries are what the public API
 * sees (per-CPU: every CPU's slot, each rounded to 8 bytes; map-in-map: inner map ids).
 * NULL entries mean "not supported by this type" (-EOPNOTSUPP/-EINVAL as Linux answers).
 */
struct ub_map_ops {
	/* Check attributes and allocate the type's object (embedding struct userbpf_map). */
	struct userbpf_map *(*alloc)(struct userbpf_env *env, const struct userbpf_map_opts *o);
	void (*free)(struct userbpf_map *map);
	/* Program view. lookup allocates nothing and takes no lock. */
	void *(*lookup)(struct userbpf_map *map, const void *key);
	int (*update)(struct userbpf_map *map, const void *key, const void *value, uint64_t flags);
	int (*delete)(struct userbpf_map *map, const void *key);
	int (*push)(struct userbpf_map *map, const void *value, uint64_t flags);
	int (*pop)(struct userbpf_map *map, void *value);
	int (*peek)(struct userbpf_map *map, void *value);
	long (*for_each)(struct userbpf_map *map, ub_map_each_fn fn, void *ctx);
	/* User view; NULL: the program view plus a copy. */
	int (*user_lookup)(struct userbpf_map *map, const void *key, void *value);
	int (*user_update)(struct userbpf_map *map, const void *key, const void *value,
			   uint64_t flags);
	int (*get_next_key)(struct userbpf_map *map, const void *key, void *next);
};

struct userbpf_map {
	struct userbpf_env *env;
	const struct ub_map_ops *ops;
	struct userbpf_map *next, *prev; /* env->maps, under env->lock */
	atomic_uint refcnt;
	uint32_t id;   /* unique in the env, from 1 */
	uint32_t type; /* enum userbpf_map_type */
	uint32_t key_size, value_size, max_entries, flags;
	uint32_t value_stride; /* value_size rounded up to 8 */
	uint32_t ncpus;	       /* per-CPU slots (possible CPUs) */
	uint64_t map_extra;
	char name[UB_MAP_NAME_LEN];
	struct userbpf_map *inner; /* map-in-map: the template (a reference) */
	/* Shared memory (opts.shared): the memfd and the mapping holding the map's data. */
	int shm_fd;
	void *shm;
	size_t shm_size;
};

/* ---- Epoch-based reclamation (epoch.c) ------------------------------------------------- */

/*
 * A retired object: freed by fn once no reader that could have seen it is still running.
 * Embed it in the object. owner lets ub_epoch_drain() free a dying map's objects at once.
 */
struct ub_epoch_node {
	struct ub_epoch_node *next;
	uint64_t epoch;
	void *owner;
	void (*fn)(struct ub_epoch_node *node);
};

/* Read-side critical section (nests). Program runs are inside one (ub_run_enter). */
void ub_epoch_enter(void);
void ub_epoch_exit(void);
/* Retire an unlinked object. Never blocks; allocates nothing. */
void ub_epoch_retire(struct ub_epoch_node *node, void *owner, void (*fn)(struct ub_epoch_node *));
/* Free what can be freed; wait = 1 blocks on the reclaimer lock. Returns objects freed. */
int ub_epoch_reclaim(int wait);
/* Free (without waiting for readers) every retired object of owner: the owner is dying. */
void ub_epoch_drain(void *owner);

/* ---- Internal API --------------------------------------------------------------------- */

/* Per-CPU slot of the calling thread: sched_getcpu(), clamped to ncpus (see percpu notes). */
uint32_t ub_map_this_cpu(const struct userbpf_map *map);
/* Number of possible CPUs (from /sys/devices/system/cpu/possible, like libbpf). */
uint32_t ub_num_possible_cpus(void);

/* Program-view operations (the helpers call these). */
static inline void *ub_map_lookup_elem(struct userbpf_map *map, const void *key)
{
	return map->ops->lookup ? map->ops->lookup(map, key) : NULL;
}
int ub_map_update_elem(struct userbpf_map *map, const void *key, const void *value, uint64_t flags);
int ub_map_delete_elem(struct userbpf_map *map, const void *key);

/*
 * Address of byte `off` of the value of an array map with at least one element (lddw with
 * BPF_PSEUDO_MAP_VALUE, .data/.rodata/.bss). Returns 0, or -EINVAL (not an array, off out of
 * the value). The address stays valid for the map's lifetime.
 */
int ub_map_direct_value_addr(struct userbpf_map *map, uint32_t off, uint64_t *addr);
/*
 * The contiguous memory holding every value of an array map (for the checked interpreter's
 * regions), or -EINVAL for types whose values are scattered.
 */
int ub_map_values_region(struct userbpf_map *map, uint64_t *lo, uint64_t *len);

/* The array layout the JIT may inline a lookup against: value = values + index * stride. */
struct ub_array {
	struct userbpf_map map;
	uint8_t *values;
	uint32_t index_mask; /* unused by lookups; kept for a masked JIT variant */
};

/* The program stored at `index` of a prog_array, or NULL. Lock-free. */
const struct userbpf_prog *ub_prog_array_get(struct userbpf_map *map, uint64_t index);
/* Clear every prog_array slot of env that holds prog (called when prog is freed). */
void ub_maps_forget_prog(struct userbpf_env *env, const struct userbpf_prog *prog);
/* Free every map still alive in env (env teardown), whatever its reference count. */
void ub_maps_release_all(struct userbpf_env *env);
/* The map with this id in env, or NULL (no reference taken). */
struct userbpf_map *ub_map_by_id(struct userbpf_env *env, uint32_t id);

/* Common constructor steps for ops->alloc: fill the generic fields. */
void ub_map_init_common(struct userbpf_map *map, struct userbpf_env *env,
			const struct userbpf_map_opts *o);
/* Set ops, assign an id and link the map into its env. Returns map. */
struct userbpf_map *ub_map_publish(struct userbpf_map *map, const struct ub_map_ops *ops);
/* Map-in-map support shared by array_of_maps and hash_of_maps (array.c). */
int ub_inner_template(struct userbpf_env *env, struct userbpf_map *outer,
		      const struct userbpf_map_opts *o);
int ub_inner_map_check(struct userbpf_map *outer, struct userbpf_map *inner);
void ub_inner_map_release(struct userbpf_map *outer, struct userbpf_map *inner);
/* Round up to a multiple of 8. */
static inline uint32_t ub_round8(uint32_t v)
{
	return (v + 7u) & ~7u;
}

/* Ops tables, one per file. */
extern const struct ub_map_ops ub_array_ops, ub_percpu_array_ops, ub_prog_array_ops,
    ub_array_of_maps_ops, ub_htab_ops, ub_percpu_htab_ops, ub_lru_htab_ops, ub_lru_percpu_htab_ops,
    ub_hash_of_maps_ops, ub_ringbuf_ops, ub_queue_ops, ub_stack_ops, ub_bloom_ops, ub_lpm_ops;

/* Ringbuf program-side operations (ringbuf.c). */
void *ub_ringbuf_reserve(struct userbpf_map *map, uint64_t size, uint64_t flags);
void ub_ringbuf_commit(void *sample, uint64_t flags, int discard);
int ub_ringbuf_output(struct userbpf_map *map, const void *data, uint64_t size, uint64_t flags);
uint64_t ub_ringbuf_query(struct userbpf_map *map, uint64_t flags);

#endif /* UB_MAP_H */
