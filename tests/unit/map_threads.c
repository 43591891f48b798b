/* SPDX-License-Identifier: Apache-2.0 */
/*
 * map_threads.c: maps under concurrency and across processes: hash updates from many threads
 * lose nothing while readers run lock-free, atomic adds on array values are exact, LRU churn
 * stays consistent, a ringbuf is consumed by a second process, and a shared array written by
 * one process is read by another.
 *
 * Run under ThreadSanitizer:
 *   make BUILD=build-tsan SAN=thread build-tsan/tests/map_threads && build-tsan/tests/map_threads
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <userbpf/userbpf.h>

#include "helpers/helpers.h"
#include "maps/map.h"
#include "test.h"

#define NT 4
#define PER_THREAD 20000

static struct userbpf_env *env;
static struct userbpf_map *hmap, *amap, *lmap;
static atomic_int stop;
static atomic_long bad_reads;

/* Writers insert their own keys (value = key * 3), replace them, delete half. */
static void *writer(void *arg)
{
	uint64_t base = (uint64_t)(uintptr_t)arg * 1000000;

	for (uint64_t i = 0; i < PER_THREAD; i++) {
		uint64_t k = base + (i % 2000), v = k * 3;
		struct ub_run_ctx run;

		ub_run_enter(&run, NULL, NULL); /* like a program run doing map updates */
		ub_map_update_elem(hmap, &k, &v, USERBPF_ANY);
		if (i % 3 == 0)
			ub_map_delete_elem(hmap, &k);
		ub_run_exit(&run);
	}
	return NULL;
}

/* Readers check that any value they see belongs to its key (never torn, never freed). */
static void *reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		for (uint64_t t = 0; t < NT; t++) {
			struct ub_run_ctx run;

			ub_run_enter(&run, NULL, NULL);
			for (uint64_t i = 0; i < 2000; i += 7) {
				uint64_t k = t * 1000000 + i;
				uint64_t *v = ub_map_lookup_elem(hmap, &k);

				if (v && __atomic_load_n(v, __ATOMIC_RELAXED) != k * 3)
					atomic_fetch_add(&bad_reads, 1);
			}
			ub_run_exit(&run);
		}
	}
	return NULL;
}

static void *adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_THREAD; i++) {
		uint32_t k = (uint32_t)(i % 4);
		uint64_t *v = ub_map_lookup_elem(amap, &k);

		__atomic_fetch_add(v, 1, __ATOMIC_RELAXED); /* what BPF_ATOMIC_ADD compiles to */
	}
	return NULL;
}

static void *lru_churn(void *arg)
{
	uint32_t base = (uint32_t)(uintptr_t)arg * 100000;

	for (uint32_t i = 0; i < PER_THREAD; i++) {
		uint32_t k = base + i % 500, v = k;
		struct ub_run_ctx run;

		ub_run_enter(&run, NULL, NULL);
		ub_map_update_elem(lmap, &k, &v, USERBPF_ANY);
		k = base + (i * 7) % 500;
		uint32_t *p = ub_map_lookup_elem(lmap, &k);

		if (p && *p != k)
			atomic_fetch_add(&bad_reads, 1);
		ub_run_exit(&run);
	}
	return NULL;
}

static void test_threads(void)
{
	struct userbpf_map_opts o = {.sz = sizeof(o),
				     .type = USERBPF_MAP_TYPE_HASH,
				     .key_size = 8,
				     .value_size = 8,
				     .max_entries = NT * 2000};
	pthread_t w[NT], r[2];
	uint64_t k, v;
	long present = 0, wrong = 0;

	hmap = userbpf_map_create(env, &o);
	for (int i = 0; i < 2; i++)
		pthread_create(&r[i], NULL, reader, NULL);
	for (long i = 0; i < NT; i++)
		pthread_create(&w[i], NULL, writer, (void *)i);
	for (int i = 0; i < NT; i++)
		pthread_join(w[i], NULL);
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(r[i], NULL);
	CHECK_EQ_U64(atomic_load(&bad_reads), 0, "readers never saw a wrong or freed value");
	/* Final state is exact: key i%2000 was last written at the largest i with that residue;
	 * it survives iff that i is not a multiple of 3. */
	for (uint64_t t = 0; t < NT; t++)
		for (uint64_t j = 0; j < 2000; j++) {
			uint64_t last = PER_THREAD - 2000 + j;
			int want = last % 3 != 0;

			k = t * 1000000 + j;
			if (!userbpf_map_lookup(hmap, &k, &v)) {
				present++;
				wrong += !want || v != k * 3;
			} else {
				wrong += want;
			}
		}
	CHECK(wrong == 0, "every key in its expected final state (%ld wrong, %ld present)", wrong,
	      present);
	userbpf_map_free(hmap);

	o.type = USERBPF_MAP_TYPE_ARRAY;
	o.key_size = 4;
	o.max_entries = 4;
	amap = userbpf_map_create(env, &o);
	for (long i = 0; i < NT; i++)
		pthread_create(&w[i], NULL, adder, NULL);
	for (int i = 0; i < NT; i++)
		pthread_join(w[i], NULL);
	{
		uint64_t total = 0;

		for (uint32_t i = 0; i < 4; i++) {
			userbpf_map_lookup(amap, &i, &v);
			total += v;
		}
		CHECK_EQ_U64(total, (uint64_t)NT * PER_THREAD, "atomic adds are exact");
	}
	userbpf_map_free(amap);

	o.type = USERBPF_MAP_TYPE_LRU_HASH;
	o.key_size = 4;
	o.value_size = 4;
	o.max_entries = 1000;
	lmap = userbpf_map_create(env, &o);
	for (long i = 0; i < NT; i++)
		pthread_create(&w[i], NULL, lru_churn, (void *)i);
	for (int i = 0; i < NT; i++)
		pthread_join(w[i], NULL);
	{
		uint32_t kk, nk;
		int n = 0, err;

		for (err = userbpf_map_get_next_key(lmap, NULL, &nk); !err && n < 5000;
		     err = userbpf_map_get_next_key(lmap, &kk, &nk)) {
			kk = nk;
			n++;
		}
		CHECK(n > 0 && n <= 1000, "LRU holds at most max_entries (%d)", n);
	}
	CHECK_EQ_U64(atomic_load(&bad_reads), 0, "LRU values always match their keys");
	userbpf_map_free(lmap);
}

/* ---- ringbuf: many producers, one consumer thread; queue: many pushers and poppers ---- */

static struct userbpf_map *rbmap, *qmap, *bmap;
static atomic_int producers_left;

static void *rb_producer(void *arg)
{
	uint64_t base = (uint64_t)(uintptr_t)arg << 32;

	for (uint64_t i = 1; i <= PER_THREAD; i++) {
		uint64_t *s;

		while (!(s = ub_ringbuf_reserve(rbmap, 8, 0)))
			sched_yield(); /* full: the consumer catches up */
		*s = base | i;
		ub_ringbuf_commit(s, 0, (i % 10) == 0); /* every 10th discarded */
	}
	atomic_fetch_sub(&producers_left, 1);
	return NULL;
}

struct rb_tally {
	uint64_t n, sum, last[NT];
	int order_ok;
};

static int rb_tally_cb(void *user, void *data, size_t size)
{
	struct rb_tally *t = user;
	uint64_t v = *(uint64_t *)data, who = v >> 32, seq = v & 0xffffffff;

	t->n++;
	t->sum += seq;
	if (who < NT) {
		if (seq <= t->last[who])
			t->order_ok = 0; /* one producer's records arrive in its order */
		t->last[who] = seq;
	}
	return 0;
}

static void *rb_consumer(void *arg)
{
	struct rb_tally *t = arg;

	while (atomic_load(&producers_left) > 0)
		userbpf_ringbuf_poll(rbmap, rb_tally_cb, t, 5);
	userbpf_ringbuf_consume(rbmap, rb_tally_cb, t);
	return NULL;
}

static atomic_long popped_sum, pushed_sum;

static void *q_worker(void *arg)
{
	for (uint32_t i = 1; i <= PER_THREAD; i++) {
		uint32_t v = i, out;

		if (!qmap->ops->push(qmap, &v, 0))
			atomic_fetch_add(&pushed_sum, v);
		if (!qmap->ops->pop(qmap, &out))
			atomic_fetch_add(&popped_sum, out);
	}
	return NULL;
}

static void *bloom_worker(void *arg)
{
	uint64_t base = (uint64_t)(uintptr_t)arg * 100000;

	for (uint64_t i = 0; i < 5000; i++) {
		uint64_t v = base + i;

		bmap->ops->push(bmap, &v, 0);
	}
	return NULL;
}

static void test_more_threads(void)
{
	struct userbpf_map_opts o = {
	    .sz = sizeof(o), .type = USERBPF_MAP_TYPE_RINGBUF, .max_entries = 1 << 16};
	struct rb_tally t = {.order_ok = 1};
	pthread_t w[NT], c;
	uint64_t want_n = 0, want_sum = 0;

	rbmap = userbpf_map_create(env, &o);
	atomic_store(&producers_left, NT);
	pthread_create(&c, NULL, rb_consumer, &t);
	for (long i = 0; i < NT; i++)
		pthread_create(&w[i], NULL, rb_producer, (void *)i);
	for (int i = 0; i < NT; i++)
		pthread_join(w[i], NULL);
	pthread_join(c, NULL);
	for (uint64_t i = 1; i <= PER_THREAD; i++)
		if (i % 10) {
			want_n++;
			want_sum += i;
		}
	CHECK_EQ_U64(t.n, want_n * NT, "every submitted record consumed once, discards skipped");
	CHECK_EQ_U64(t.sum, want_sum * NT, "record contents intact");
	CHECK(t.order_ok, "each producer's records in its own order");
	userbpf_map_free(rbmap);

	o.type = USERBPF_MAP_TYPE_QUEUE;
	o.value_size = 4;
	o.max_entries = 64;
	qmap = userbpf_map_create(env, &o);
	for (int i = 0; i < NT; i++)
		pthread_create(&w[i], NULL, q_worker, NULL);
	for (int i = 0; i < NT; i++)
		pthread_join(w[i], NULL);
	{
		uint32_t out;

		while (!userbpf_map_lookup_and_delete(qmap, NULL, &out))
			atomic_fetch_add(&popped_sum, out);
	}
	CHECK_EQ_U64(atomic_load(&popped_sum), atomic_load(&pushed_sum),
		     "queue: everything pushed is popped exactly once");
	userbpf_map_free(qmap);

	o.type = USERBPF_MAP_TYPE_BLOOM_FILTER;
	o.value_size = 8;
	o.max_entries = 4 * 5000;
	bmap = userbpf_map_create(env, &o);
	for (long i = 0; i < NT; i++)
		pthread_create(&w[i], NULL, bloom_worker, (void *)i);
	for (int i = 0; i < NT; i++)
		pthread_join(w[i], NULL);
	{
		long missing = 0;

		for (uint64_t t2 = 0; t2 < NT; t2++)
			for (uint64_t i = 0; i < 5000; i++) {
				uint64_t v = t2 * 100000 + i;

				missing += userbpf_map_lookup(bmap, NULL, &v) != 0;
			}
		CHECK_EQ_U64(missing, 0, "bloom: concurrent adds are never lost");
	}
	userbpf_map_free(bmap);
}

static int sum_cb(void *user, void *data, size_t size)
{
	*(uint64_t *)user += *(uint32_t *)data;
	return 0;
}

/* A child process opens the parent's ringbuf through its memfd and consumes everything. */
static void test_cross_process(void)
{
	struct userbpf_map_opts o = {.sz = sizeof(o),
				     .type = USERBPF_MAP_TYPE_RINGBUF,
				     .max_entries = 1 << 14,
				     .name = "xproc"};
	struct userbpf_map *rb = userbpf_map_create(env, &o), *arr;
	int fd = userbpf_map_shm_fd(rb), status = 0, pipefd[2];
	uint64_t expect = 0;
	const uint32_t n = 3000;
	pid_t pid;

	CHECK(fd >= 0, "ringbuf has a memfd");
	if (pipe(pipefd))
		return;
	pid = fork();
	if (pid == 0) {
		struct userbpf_env *e2 = userbpf_env_new(NULL);
		struct userbpf_map *mine = userbpf_map_open_shared(e2, fd);
		uint64_t sum = 0;
		uint32_t got = 0;
		char c;

		if (!mine)
			_exit(3);
		while (read(pipefd[0], &c, 1) != 1)
			;
		for (int spins = 0; spins < 20000 && sum != (uint64_t)n * (n + 1) / 2; spins++) {
			int r = userbpf_ringbuf_poll(mine, sum_cb, &sum, 10);

			if (r > 0)
				got += (uint32_t)r;
		}
		userbpf_env_free(e2);
		_exit(sum == (uint64_t)n * (n + 1) / 2 ? 0 : 4);
	}
	if (write(pipefd[1], "g", 1) != 1)
		return;
	for (uint32_t i = 1; i <= n; i++) {
		while (ub_ringbuf_output(rb, &i, 4, 0) == -EAGAIN)
			usleep(100); /* ring full: the other process is catching up */
		expect += i;
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "second process consumed all %u records (status %d)", n, status);
	userbpf_map_free(rb);

	o.type = USERBPF_MAP_TYPE_ARRAY;
	o.key_size = 4;
	o.value_size = 8;
	o.max_entries = 16;
	o.shared = 1;
	o.name = "sharr";
	arr = userbpf_map_create(env, &o);
	CHECK(arr != NULL, "shared array");
	pid = fork();
	if (pid == 0) {
		struct userbpf_env *e2 = userbpf_env_new(NULL);
		struct userbpf_map *mine = userbpf_map_open_shared(e2, userbpf_map_shm_fd(arr));
		uint32_t k = 5;
		uint64_t v = 0xfeed;

		if (!mine || strcmp(userbpf_map_name(mine), "sharr"))
			_exit(3);
		_exit(userbpf_map_update(mine, &k, &v, 0) ? 4 : 0);
	}
	waitpid(pid, &status, 0);
	{
		uint32_t k = 5;
		uint64_t v = 0;

		userbpf_map_lookup(arr, &k, &v);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child wrote the shared array");
		CHECK_EQ_U64(v, 0xfeed, "parent reads the child's write");
	}
	userbpf_map_free(arr);
	CHECK(!userbpf_map_open_shared(env, 0) && errno == EINVAL, "stdin is not a shared map");
}

int main(void)
{
	env = userbpf_env_new(NULL);
	test_threads();
	test_more_threads();
	test_cross_process();
	userbpf_env_free(env);
	return ub_test_done("map_threads");
}
