/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue_stack.c: BPF_MAP_TYPE_QUEUE (FIFO) and BPF_MAP_TYPE_STACK (LIFO): a ring of
 * max_entries + 1 value slots under a spinlock (Linux also locks here: push and pop move two
 * indexes at once). Values are copied in and out, so no pointer escapes the lock.
 */
#include <errno.h>
#include <string.h>

#include "maps/map.h"

struct qs {
	struct userbpf_map map;
	pthread_spinlock_t lock;
	uint32_t head, tail, size; /* size = max_entries + 1 */
	int stack;
	uint8_t *slots;
};

#define QS_FLAGS                                                                                   \
	(USERBPF_F_RDONLY | USERBPF_F_WRONLY | USERBPF_F_RDONLY_PROG | USERBPF_F_WRONLY_PROG)

static struct userbpf_map *qs_alloc_kind(struct userbpf_env *env, const struct userbpf_map_opts *o,
					 int stack)
{
	const char *name = o->name ? o->name : "";
	struct qs *q;

	if (o->key_size || !o->value_size || !o->max_entries || (o->map_flags & ~QS_FLAGS)) {
		ub_err(&env->log,
		       "map '%s': a %s needs key_size 0, value_size > 0, max_entries > 0 "
		       "and no flags but access flags (got %u, %u, %u, 0x%x)",
		       name, stack ? "stack" : "queue", o->key_size, o->value_size, o->max_entries,
		       o->map_flags);
		errno = EINVAL;
		return NULL;
	}
	if ((uint64_t)o->value_size * (o->max_entries + 1ull) > (1ull << 32)) {
		errno = E2BIG;
		return NULL;
	}
	q = ub_zalloc(env, sizeof(*q));
	if (!q) {
		errno = ENOMEM;
		return NULL;
	}
	ub_map_init_common(&q->map, env, o);
	q->map.ncpus = 1;
	q->size = o->max_entries + 1;
	q->stack = stack;
	q->slots = ub_zalloc(env, (size_t)o->value_size * q->size);
	if (!q->slots) {
		ub_free(env, q);
		errno = ENOMEM;
		return NULL;
	}
	pthread_spin_init(&q->lock, PTHREAD_PROCESS_PRIVATE);
	return &q->map;
}

static struct userbpf_map *queue_alloc(struct userbpf_env *env, const struct userbpf_map_opts *o)
{
	return qs_alloc_kind(env, o, 0);
}

static struct userbpf_map *stack_alloc(struct userbpf_env *env, const struct userbpf_map_opts *o)
{
	return qs_alloc_kind(env, o, 1);
}

static void qs_free(struct userbpf_map *map)
{
	struct qs *q = (struct qs *)map;

	pthread_spin_destroy(&q->lock);
	ub_free(map->env, q->slots);
	ub_free(map->env, q);
}

static inline uint8_t *qslot(struct qs *q, uint32_t i)
{
	return q->slots + (size_t)i * q->map.value_size;
}

static int qs_push(struct userbpf_map *map, const void *value, uint64_t flags)
{
	struct qs *q = (struct qs *)map;

	if (flags & ~(uint64_t)USERBPF_EXIST)
		return -EINVAL;
	pthread_spin_lock(&q->lock);
	if ((q->head + 1) % q->size == q->tail) {
		if (flags != USERBPF_EXIST) {
			pthread_spin_unlock(&q->lock);
			return -E2BIG;
		}
		q->tail = (q->tail + 1) % q->size; /* full + BPF_EXIST: drop the oldest */
	}
	memcpy(qslot(q, q->head), value, map->value_size);
	q->head = (q->head + 1) % q->size;
	pthread_spin_unlock(&q->lock);
	return 0;
}

static int qs_take(struct userbpf_map *map, void *value, int remove)
{
	struct qs *q = (struct qs *)map;
	uint32_t i;

	pthread_spin_lock(&q->lock);
	if (q->head == q->tail) {
		pthread_spin_unlock(&q->lock);
		return -ENOENT;
	}
	if (q->stack) {
		i = (q->head + q->size - 1) % q->size;
		if (remove)
			q->head = i;
	} else {
		i = q->tail;
		if (remove)
			q->tail = (q->tail + 1) % q->size;
	}
	memcpy(value, qslot(q, i), map->value_size);
	pthread_spin_unlock(&q->lock);
	return 0;
}

static int qs_pop(struct userbpf_map *map, void *value)
{
	return qs_take(map, value, 1);
}

static int qs_peek(struct userbpf_map *map, void *value)
{
	return qs_take(map, value, 0);
}

const struct ub_map_ops ub_queue_ops = {
    .alloc = queue_alloc,
    .free = qs_free,
    .push = qs_push,
    .pop = qs_pop,
    .peek = qs_peek,
};

const struct ub_map_ops ub_stack_ops = {
    .alloc = stack_alloc,
    .free = qs_free,
    .push = qs_push,
    .pop = qs_pop,
    .peek = qs_peek,
};
