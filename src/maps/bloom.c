/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bloom.c: BPF_MAP_TYPE_BLOOM_FILTER: push adds a value, peek answers "maybe present" (0) or
 * "certainly absent" (-ENOENT). Bits are set with atomic OR: lock-free and never lost. Sizing
 * follows Linux: max_entries * nr_hashes / ln 2 bits, rounded up to a power of 2.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "maps/map.h"

struct bloom {
	struct userbpf_map map;
	uint32_t nr_hashes;
	uint64_t bit_mask;
	_Atomic uint64_t *bits;
};

static uint64_t bloom_hash(const void *value, uint32_t size, uint32_t i)
{
	const uint8_t *p = value;
	uint64_t x = 0x6a09e667f3bcc909ull ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull);

	for (uint32_t k = 0; k < size; k++) {
		x ^= p[k];
		x *= 0x100000001b3ull;
	}
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static struct userbpf_map *bloom_alloc(struct userbpf_env *env, const struct userbpf_map_opts *o)
{
	const char *name = o->name ? o->name : "";
	uint32_t nh = (uint32_t)(o->map_extra & 0xf);
	uint64_t nbits, want;
	struct bloom *b;

	if (o->key_size || !o->value_size || !o->max_entries || (o->map_extra >> 4)) {
		ub_err(&env->log,
		       "map '%s': a bloom filter needs key_size 0, value_size > 0, "
		       "max_entries > 0 and map_extra < 16 (got %u, %u, %u, %llu)",
		       name, o->key_size, o->value_size, o->max_entries,
		       (unsigned long long)o->map_extra);
		errno = EINVAL;
		return NULL;
	}
	if (!nh)
		nh = 5;
	want = (uint64_t)o->max_entries * nh * 10 / 7 + 1; /* / ln 2 */
	if (want > (1ull << 35)) {
		errno = E2BIG;
		return NULL;
	}
	for (nbits = 64; nbits < want; nbits <<= 1)
		;
	b = ub_zalloc(env, sizeof(*b));
	if (!b) {
		errno = ENOMEM;
		return NULL;
	}
	ub_map_init_common(&b->map, env, o);
	b->map.ncpus = 1;
	b->nr_hashes = nh;
	b->bit_mask = nbits - 1;
	b->bits = ub_zalloc(env, nbits / 8);
	if (!b->bits) {
		ub_free(env, b);
		errno = ENOMEM;
		return NULL;
	}
	return &b->map;
}

static void bloom_free(struct userbpf_map *map)
{
	struct bloom *b = (struct bloom *)map;

	ub_free(map->env, (void *)b->bits);
	ub_free(map->env, b);
}

static int bloom_push(struct userbpf_map *map, const void *value, uint64_t flags)
{
	struct bloom *b = (struct bloom *)map;

	if (flags != USERBPF_ANY)
		return -EINVAL;
	for (uint32_t i = 0; i < b->nr_hashes; i++) {
		uint64_t bit = bloom_hash(value, map->value_size, i) & b->bit_mask;

		atomic_fetch_or_explicit(&b->bits[bit / 64], 1ull << (bit % 64),
					 memory_order_relaxed);
	}
	return 0;
}

static int bloom_peek(struct userbpf_map *map, void *value)
{
	struct bloom *b = (struct bloom *)map;

	for (uint32_t i = 0; i < b->nr_hashes; i++) {
		uint64_t bit = bloom_hash(value, map->value_size, i) & b->bit_mask;

		if (!(atomic_load_explicit(&b->bits[bit / 64], memory_order_relaxed) &
		      (1ull << (bit % 64))))
			return -ENOENT;
	}
	return 0;
}

const struct ub_map_ops ub_bloom_ops = {
    .alloc = bloom_alloc,
    .free = bloom_free,
    .push = bloom_push,
    .peek = bloom_peek,
};
