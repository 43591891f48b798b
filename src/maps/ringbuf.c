/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ringbuf.c: BPF_MAP_TYPE_RINGBUF with Linux's record layout, in a memfd that another
 * process can map to consume records.
 *
 * Layout of the memfd: page 0 the shared-map header (shm.h), page 1 the consumer position,
 * page 2 the producer position and the wakeup words, then the data area (max_entries bytes,
 * a power of 2). The data area is mapped twice back to back, so a record that wraps around
 * the end is still contiguous in memory (as Linux does), and a consumer never copies.
 * Each record: an 8-byte header { u32 len; u32 pg_off } then the sample, padded to 8 bytes.
 * len carries BUSY (bit 31) until submit or discard, and DISCARD (bit 30) if discarded.
 * Producers serialize on a spinlock only for the reservation (so that a header is written
 * BUSY before the producer position passes it), as Linux does; submit is lock-free.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "maps/shm.h"

#define RB_BUSY (1u << 31)
#define RB_DISCARD (1u << 30)
#define RB_HDR 8u
#define RB_META_PAGES 3u /* header, consumer, producer */
#define RB_NO_WAKEUP 1ull
#define RB_FORCE_WAKEUP 2ull

struct rb_prod_page {
	atomic_uint_fast64_t producer_pos;
	atomic_uint waiters; /* consumers sleeping in userbpf_ringbuf_poll */
	atomic_uint seq;     /* futex word, bumped on wakeup */
};

struct ub_ringbuf {
	struct userbpf_map map;
	uint8_t *base; /* page 0 of the mapping */
	size_t map_len;
	uint8_t *data; /* first of the two data mappings */
	uint64_t mask;
	atomic_uint_fast64_t *consumer_pos;
	struct rb_prod_page *prod;
	pthread_spinlock_t lock;
};

/* Where page 0 keeps the producing process's map pointer (for submit from a sample). */
#define RB_SELF_OFF 512

static int map_ring(struct ub_ringbuf *rb, int fd, uint64_t size)
{
	size_t meta = (size_t)RB_META_PAGES * UB_PAGE;
	uint8_t *p;

	rb->map_len = meta + 2 * size;
	p = mmap(NULL, rb->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (mmap(p, meta + size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
		MAP_FAILED ||
	    mmap(p + meta + size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 (off_t)meta) == MAP_FAILED) {
		int e = errno;

		munmap(p, rb->map_len);
		return -e;
	}
	rb->base = p;
	rb->data = p + meta;
	rb->mask = size - 1;
	rb->consumer_pos = (atomic_uint_fast64_t *)(p + UB_PAGE);
	rb->prod = (struct rb_prod_page *)(p + 2 * UB_PAGE);
	return 0;
}

static struct userbpf_map *ringbuf_alloc(struct userbpf_env *env, const struct userbpf_map_opts *o)
{
	const char *name = o->name ? o->name : "";
	struct ub_ringbuf *rb;
	struct ub_shm_hdr *h;
	uint64_t size = o->max_entries;
	int fd, err;

	if (o->key_size || o->value_size || size < UB_PAGE || (size & (size - 1)) ||
	    size > (1ull << 30)) {
		ub_err(&env->log,
		       "map '%s': a ringbuf needs key_size 0, value_size 0 and "
		       "max_entries a power of 2 >= %u (got %u, %u, %u)",
		       name, UB_PAGE, o->key_size, o->value_size, o->max_entries);
		errno = EINVAL;
		return NULL;
	}
	if (o->map_flags & ~(USERBPF_F_NO_PREALLOC)) {
		ub_err(&env->log, "map '%s': flags 0x%x are not valid for a ringbuf", name,
		       o->map_flags);
		errno = EINVAL;
		return NULL;
	}
	rb = ub_zalloc(env, sizeof(*rb));
	if (!rb) {
		errno = ENOMEM;
		return NULL;
	}
	ub_map_init_common(&rb->map, env, o);
	fd = memfd_create(rb->map.name[0] ? rb->map.name : "userbpf-ringbuf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)(RB_META_PAGES * UB_PAGE + size)) < 0 ||
	    (err = map_ring(rb, fd, size)) < 0) {
		int e = errno;

		ub_err(&env->log, "map '%s': cannot set up %llu bytes of ring: %s", name,
		       (unsigned long long)size, strerror(e));
		if (fd >= 0)
			close(fd);
		ub_free(env, rb);
		errno = e;
		return NULL;
	}
	h = (struct ub_shm_hdr *)rb->base;
	h->magic = UB_SHM_MAGIC;
	h->version = UB_SHM_VERSION;
	h->type = USERBPF_MAP_TYPE_RINGBUF;
	h->max_entries = o->max_entries;
	h->ncpus = 1;
	memcpy(h->name, rb->map.name, UB_MAP_NAME_LEN);
	h->data_off = (uint64_t)RB_META_PAGES * UB_PAGE;
	h->data_size = size;
	memcpy(rb->base + RB_SELF_OFF, &rb, sizeof(rb));
	rb->map.shm_fd = fd;
	pthread_spin_init(&rb->lock, PTHREAD_PROCESS_PRIVATE);
	return &rb->map;
}

static void ringbuf_free(struct userbpf_map *map)
{
	struct ub_ringbuf *rb = (struct ub_ringbuf *)map;

	munmap(rb->base, rb->map_len);
	if (map->shm_fd >= 0)
		close(map->shm_fd);
	pthread_spin_destroy(&rb->lock);
	ub_free(map->env, rb);
}

struct userbpf_map *ub_ringbuf_open_shared(struct userbpf_env *env, const struct ub_shm_hdr *h,
					   int fd)
{
	struct userbpf_map_opts o = {.sz = sizeof(o),
				     .type = USERBPF_MAP_TYPE_RINGBUF,
				     .max_entries = h->max_entries,
				     .name = h->name};
	uint64_t size = h->max_entries;
	struct ub_ringbuf *rb;
	int myfd, err;

	if (size < UB_PAGE || (size & (size - 1)) || h->data_size != size ||
	    h->data_off != (uint64_t)RB_META_PAGES * UB_PAGE) {
		ub_err(&env->log, "shared ringbuf '%s': inconsistent header", h->name);
		errno = EINVAL;
		return NULL;
	}
	rb = ub_zalloc(env, sizeof(*rb));
	if (!rb) {
		errno = ENOMEM;
		return NULL;
	}
	ub_map_init_common(&rb->map, env, &o);
	myfd = dup(fd);
	if (myfd < 0 || (err = map_ring(rb, myfd, size)) < 0) {
		int e = errno;

		if (myfd >= 0)
			close(myfd);
		ub_free(env, rb);
		errno = e;
		return NULL;
	}
	rb->map.shm_fd = myfd;
	pthread_spin_init(&rb->lock, PTHREAD_PROCESS_PRIVATE);
	return ub_map_publish(&rb->map, &ub_ringbuf_ops);
}

static uint64_t ring_size(const struct ub_ringbuf *rb)
{
	return rb->mask + 1;
}

void *ub_ringbuf_reserve(struct userbpf_map *map, uint64_t size, uint64_t flags)
{
	struct ub_ringbuf *rb = (struct ub_ringbuf *)map;
	uint64_t total, cons, prod;
	uint32_t *hdr;

	if (map->type != USERBPF_MAP_TYPE_RINGBUF || flags || size > ring_size(rb) - RB_HDR ||
	    size > (RB_DISCARD - 1))
		return NULL;
	total = (size + RB_HDR + 7) & ~7ull;
	pthread_spin_lock(&rb->lock);
	cons = atomic_load_explicit(rb->consumer_pos, memory_order_acquire);
	prod = atomic_load_explicit(&rb->prod->producer_pos, memory_order_relaxed);
	if (prod + total - cons > ring_size(rb)) {
		pthread_spin_unlock(&rb->lock);
		return NULL;
	}
	hdr = (uint32_t *)(rb->data + (prod & rb->mask));
	atomic_store_explicit((atomic_uint *)&hdr[0], (uint32_t)size | RB_BUSY,
			      memory_order_relaxed);
	hdr[1] = (uint32_t)(((uint8_t *)hdr - rb->base) / UB_PAGE);
	atomic_store_explicit(&rb->prod->producer_pos, prod + total, memory_order_release);
	pthread_spin_unlock(&rb->lock);
	return hdr + 2;
}

static void ring_wake(struct ub_ringbuf *rb)
{
	atomic_fetch_add(&rb->prod->seq, 1);
	syscall(SYS_futex, &rb->prod->seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

void ub_ringbuf_commit(void *sample, uint64_t flags, int discard)
{
	uint32_t *hdr = (uint32_t *)sample - 2;
	uint8_t *base =
	    (uint8_t *)(((uintptr_t)hdr & ~(uintptr_t)(UB_PAGE - 1)) - (uintptr_t)hdr[1] * UB_PAGE);
	struct ub_ringbuf *rb;
	uint32_t len;

	/* A record in the second (wrapped) mapping maps back to the first. */
	memcpy(&rb, base + RB_SELF_OFF, sizeof(rb));
	len = atomic_load_explicit((atomic_uint *)hdr, memory_order_relaxed) & ~RB_BUSY;
	if (discard)
		len |= RB_DISCARD;
	atomic_store_explicit((atomic_uint *)hdr, len, memory_order_release);
	if (flags & RB_NO_WAKEUP)
		return;
	/* A syscall only when a consumer sleeps; Linux likewise wakes through irq_work. */
	if ((flags & RB_FORCE_WAKEUP) ||
	    atomic_load_explicit(&rb->prod->waiters, memory_order_seq_cst))
		ring_wake(rb);
}

int ub_ringbuf_output(struct userbpf_map *map, const void *data, uint64_t size, uint64_t flags)
{
	void *s;

	if (flags & ~(RB_NO_WAKEUP | RB_FORCE_WAKEUP))
		return -EINVAL;
	s = ub_ringbuf_reserve(map, size, 0);
	if (!s)
		return -EAGAIN;
	memcpy(s, data, size);
	ub_ringbuf_commit(s, flags, 0);
	return 0;
}

uint64_t ub_ringbuf_query(struct userbpf_map *map, uint64_t flags)
{
	struct ub_ringbuf *rb = (struct ub_ringbuf *)map;
	uint64_t cons, prod;

	if (map->type != USERBPF_MAP_TYPE_RINGBUF)
		return 0;
	cons = atomic_load(rb->consumer_pos);
	prod = atomic_load(&rb->prod->producer_pos);
	switch (flags) {
	case 0: /* BPF_RB_AVAIL_DATA */
		return prod - cons;
	case 1: /* BPF_RB_RING_SIZE */
		return ring_size(rb);
	case 2: /* BPF_RB_CONS_POS */
		return cons;
	case 3: /* BPF_RB_PROD_POS */
		return prod;
	default:
		return 0;
	}
}

USERBPF_API int userbpf_ringbuf_consume(struct userbpf_map *map, userbpf_ringbuf_fn fn, void *user)
{
	struct ub_ringbuf *rb = (struct ub_ringbuf *)map;
	uint64_t cons, prod;
	int n = 0;

	if (!map || !fn || map->type != USERBPF_MAP_TYPE_RINGBUF)
		return -EINVAL;
	cons = atomic_load_explicit(rb->consumer_pos, memory_order_relaxed);
	for (;;) {
		uint32_t len, *hdr;
		uint64_t total;

		prod = atomic_load_explicit(&rb->prod->producer_pos, memory_order_acquire);
		if (cons >= prod)
			break;
		hdr = (uint32_t *)(rb->data + (cons & rb->mask));
		len = atomic_load_explicit((atomic_uint *)hdr, memory_order_acquire);
		if (len & RB_BUSY)
			break;
		total = (((uint64_t)(len & ~RB_DISCARD)) + RB_HDR + 7) & ~7ull;
		cons += total;
		if (!(len & RB_DISCARD)) {
			int r = fn(user, hdr + 2, len & ~RB_DISCARD);

			if (r < 0) {
				atomic_store_explicit(rb->consumer_pos, cons, memory_order_release);
				return r;
			}
			n++;
		}
		atomic_store_explicit(rb->consumer_pos, cons, memory_order_release);
	}
	return n;
}

USERBPF_API int userbpf_ringbuf_poll(struct userbpf_map *map, userbpf_ringbuf_fn fn, void *user,
				     int timeout_ms)
{
	struct ub_ringbuf *rb = (struct ub_ringbuf *)map;
	struct timespec ts, *tp = NULL;
	unsigned seq;
	int n;

	if (!map || !fn || map->type != USERBPF_MAP_TYPE_RINGBUF)
		return -EINVAL;
	n = userbpf_ringbuf_consume(map, fn, user);
	if (n || !timeout_ms)
		return n;
	atomic_fetch_add(&rb->prod->waiters, 1);
	seq = atomic_load(&rb->prod->seq);
	/* Re-check after announcing ourselves: a submit in between will see waiters. */
	n = userbpf_ringbuf_consume(map, fn, user);
	if (!n) {
		if (timeout_ms > 0) {
			ts.tv_sec = timeout_ms / 1000;
			ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000;
			tp = &ts;
		}
		syscall(SYS_futex, &rb->prod->seq, FUTEX_WAIT, seq, tp, NULL, 0);
		n = userbpf_ringbuf_consume(map, fn, user);
	}
	atomic_fetch_sub(&rb->prod->waiters, 1);
	return n;
}

const struct ub_map_ops ub_ringbuf_ops = {
    .alloc = ringbuf_alloc,
    .free = ringbuf_free,
};
