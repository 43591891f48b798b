/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epoch.c: epoch-based reclamation, so that lock-free map readers never touch freed memory.
 *
 * Readers (program runs, API lookups) announce the global epoch in a per-thread record while
 * they run. A writer that unlinks an object retires it, tagged with the epoch at that moment.
 * The epoch only advances when every active reader has announced the current one, so once
 * the global epoch is two past an object's tag, no reader that could have seen the object is
 * still running, and it is freed. Example: an element unlinked at epoch 7 by thread A while
 * thread B (announced 7) still reads it: the epoch cannot pass 8 until B leaves, so the
 * element lives until B is done.
 *
 * The domain is process-wide, like the kernel's RCU: a map's memory may be read by programs of
 * any env through map-in-map, and a thread needs one record, not one per env. Records are
 * never freed; a thread's record is released for reuse when the thread exits.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "maps/map.h"

struct ebr_rec {
	atomic_uint_fast64_t state; /* 0: quiescent; else epoch << 1 | 1 */
	atomic_int in_use;
	uint32_t nest;
	struct ebr_rec *next;
};

static atomic_uint_fast64_t global_epoch = 1;
static _Atomic(struct ebr_rec *) records;
static _Atomic(struct ub_epoch_node *) pending; /* retired, not yet seen by the reclaimer */
static pthread_mutex_t reclaim_lock = PTHREAD_MUTEX_INITIALIZER;
/* Retired objects seen by the reclaimer, oldest first (under reclaim_lock). */
static struct ub_epoch_node *limbo, *limbo_tail;
static atomic_uint retired_since;
static pthread_key_t rec_key;
static pthread_once_t rec_once = PTHREAD_ONCE_INIT;
static __thread struct ebr_rec *my_rec;

static void rec_release(void *p)
{
	struct ebr_rec *r = p;

	atomic_store(&r->state, 0);
	r->nest = 0;
	atomic_store(&r->in_use, 0);
}

static void rec_key_init(void)
{
	pthread_key_create(&rec_key, rec_release);
}

/* The calling thread's record: reuse a released one, else allocate once for this thread. */
static struct ebr_rec *rec_get(void)
{
	struct ebr_rec *r;

	if (my_rec)
		return my_rec;
	pthread_once(&rec_once, rec_key_init);
	for (r = atomic_load(&records); r; r = r->next) {
		int zero = 0;

		if (atomic_compare_exchange_strong(&r->in_use, &zero, 1))
			goto found;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	atomic_store(&r->in_use, 1);
	r->next = atomic_load(&records);
	while (!atomic_compare_exchange_weak(&records, &r->next, r))
		;
found:
	my_rec = r;
	pthread_setspecific(rec_key, r);
	return r;
}

void ub_epoch_enter(void)
{
	struct ebr_rec *r = my_rec ? my_rec : rec_get();

	if (!r)
		return; /* out of memory on the thread's first run: reclamation waits on nothing */
	if (r->nest++ == 0) {
		uint64_t e = atomic_load_explicit(&global_epoch, memory_order_relaxed);

		/* seq_cst: the announcement is visible before any map pointer is read. */
		atomic_store(&r->state, e << 1 | 1);
	}
}

void ub_epoch_exit(void)
{
	struct ebr_rec *r = my_rec;

	if (r && r->nest && --r->nest == 0)
		atomic_store_explicit(&r->state, 0, memory_order_release);
}

void ub_epoch_retire(struct ub_epoch_node *node, void *owner, void (*fn)(struct ub_epoch_node *))
{
	node->owner = owner;
	node->fn = fn;
	node->epoch = atomic_load(&global_epoch);
	node->next = atomic_load(&pending);
	while (!atomic_compare_exchange_weak(&pending, &node->next, node))
		;
	/* Reclaim now and then, never blocking the writer. */
	if ((atomic_fetch_add(&retired_since, 1) & 63) == 63)
		ub_epoch_reclaim(0);
}

/* Advance the epoch if every active reader has announced the current one. */
static int try_advance(void)
{
	uint64_t e = atomic_load(&global_epoch);

	for (struct ebr_rec *r = atomic_load(&records); r; r = r->next) {
		uint64_t s = atomic_load(&r->state);

		if ((s & 1) && (s >> 1) != e)
			return 0;
	}
	return atomic_compare_exchange_strong(&global_epoch, &e, e + 1);
}

/*
 * Move pending into limbo (oldest first), advance, and detach from the old end what is two
 * epochs old. Epoch tags are nearly sorted in limbo (two writers may tag and push in opposite
 * order), so stopping at the first node too young for freeing only delays, never frees early,
 * and a reclaim costs O(freed + 1) however many objects wait. Under reclaim_lock; the caller
 * runs the returned nodes' callbacks after unlocking (a callback may free a map, which
 * drains, which takes the lock again).
 */
static struct ub_epoch_node *reclaim_locked(void)
{
	struct ub_epoch_node *n = atomic_exchange(&pending, NULL), *rev = NULL, *next;
	struct ub_epoch_node *done = NULL, **tail = &done;
	uint64_t e;

	while (n) { /* pending is newest first: reverse it */
		next = n->next;
		n->next = rev;
		rev = n;
		n = next;
	}
	if (rev) {
		if (limbo_tail)
			limbo_tail->next = rev;
		else
			limbo = rev;
		for (limbo_tail = rev; limbo_tail->next; limbo_tail = limbo_tail->next)
			;
	}
	try_advance();
	try_advance();
	e = atomic_load(&global_epoch);
	while (limbo && limbo->epoch + 2 <= e) {
		n = limbo;
		limbo = n->next;
		if (!limbo)
			limbo_tail = NULL;
		n->next = NULL;
		*tail = n;
		tail = &n->next;
	}
	return done;
}

/* Run the callbacks of a detached list; returns how many. */
static int run_callbacks(struct ub_epoch_node *n)
{
	int cnt = 0;

	while (n) {
		struct ub_epoch_node *next = n->next;

		n->fn(n);
		cnt++;
		n = next;
	}
	return cnt;
}

int ub_epoch_reclaim(int wait)
{
	struct ub_epoch_node *done;

	if (wait)
		pthread_mutex_lock(&reclaim_lock);
	else if (pthread_mutex_trylock(&reclaim_lock))
		return 0;
	done = reclaim_locked();
	pthread_mutex_unlock(&reclaim_lock);
	return run_callbacks(done);
}

void ub_epoch_drain(void *owner)
{
	struct ub_epoch_node *n, *next, *keep = NULL, *keep_tail = NULL, *done, **tail;

	pthread_mutex_lock(&reclaim_lock);
	done = reclaim_locked();
	for (tail = &done; *tail; tail = &(*tail)->next)
		;
	for (n = limbo; n; n = next) {
		next = n->next;
		n->next = NULL;
		if (n->owner == owner) {
			*tail = n;
			tail = &n->next;
			continue;
		}
		if (keep_tail)
			keep_tail->next = n;
		else
			keep = n;
		keep_tail = n;
	}
	limbo = keep;
	limbo_tail = keep_tail;
	pthread_mutex_unlock(&reclaim_lock);
	run_callbacks(done);
}
