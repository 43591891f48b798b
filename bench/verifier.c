/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verifier.c: verification cost, side by side: userbpf's verifier (processed instructions per
 * millisecond, wall time, peak memory through a counting allocator) and the running Linux
 * kernel's own figures for the same program (BPF_PROG_LOAD with log level 1|4: "processed N
 * insns", "verification time N usec"). Programs range from tens of instructions to the 1M
 * processed-instruction budget. Only programs that are safe to hand the kernel go to it:
 * at most KBPF_MAX_INSNS instructions, and no loop above a small trip count.
 *
 *   make BUILD=build bench      or      build/bench/verifier [repeats]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <userbpf/userbpf.h>

#include "../tests/kernel/kbpf.h"

#define INSN(c, d, s, o, i)                                                                     \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOVK(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define CALL(id) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id)

/* ---- Peak memory: an allocator that counts live bytes -------------------------------------- */

struct counter {
	size_t live, peak;
};

struct hdr {
	size_t size;
	size_t pad; /* keeps the payload 16-byte aligned */
};

static void *c_alloc(void *user, size_t size)
{
	struct counter *c = user;
	struct hdr *h = malloc(sizeof(*h) + size);

	if (!h)
		return NULL;
	h->size = size;
	c->live += size;
	if (c->live > c->peak)
		c->peak = c->live;
	return h + 1;
}

static void c_free(void *user, void *ptr)
{
	struct counter *c = user;
	struct hdr *h;

	if (!ptr)
		return;
	h = (struct hdr *)ptr - 1;
	c->live -= h->size;
	free(h);
}

static void *c_realloc(void *user, void *ptr, size_t size)
{
	struct counter *c = user;
	struct hdr *h, *n;

	if (!ptr)
		return c_alloc(user, size);
	h = (struct hdr *)ptr - 1;
	n = realloc(h, sizeof(*n) + size);
	if (!n)
		return NULL;
	c->live = c->live - n->size + size;
	n->size = size;
	if (c->live > c->peak)
		c->peak = c->live;
	return n + 1;
}

/* ---- Programs ------------------------------------------------------------------------------- */

struct bprog {
	char name[48];
	struct bpf_insn *insns;
	size_t cnt;
	int kernel_ok; /* safe to send to Linux */
};

static struct bpf_insn *grow(struct bpf_insn *p, size_t n)
{
	p = realloc(p, n * sizeof(*p));
	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

/* n instructions of straight-line ALU code over r0..r5. */
static void prog_straight(struct bprog *b, size_t n)
{
	struct bpf_insn *p = grow(NULL, n);
	static const uint8_t ops[] = { BPF_ADD, BPF_SUB, BPF_XOR, BPF_OR, BPF_AND, BPF_MUL };
	size_t i = 0;

	for (int r = 0; r <= 5; r++)
		p[i++] = MOVK(r, r + 1);
	while (i < n - 1) {
		uint8_t d = (uint8_t)(i % 6), s = (uint8_t)((i / 6) % 6);

		p[i] = i % 3 ? INSN(BPF_ALU64 | ops[i % 6] | BPF_K, d, 0, 0, (int32_t)(i & 0xff))
			     : INSN(BPF_ALU64 | ops[i % 6] | BPF_X, d, s, 0, 0);
		i++;
	}
	p[n - 2] = MOVK(0, 0);
	p[n - 1] = EXIT();
	snprintf(b->name, sizeof(b->name), "straight-%zu", n);
	b->insns = p;
	b->cnt = n;
	b->kernel_ok = n <= KBPF_MAX_INSNS;
}

/*
 * k diamonds on an unknown value: "if r6 > i then r7 = i else r7 = -i", each followed by a
 * stack store and load. Path-sensitive without pruning would be 2^k; with pruning, linear.
 */
static void prog_diamonds(struct bprog *b, size_t k)
{
	size_t n = 4 + 6 * k, i = 0;
	struct bpf_insn *p = grow(NULL, n);

	p[i++] = CALL(BPF_FUNC_get_prandom_u32);
	p[i++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 0, 0, 0);
	for (size_t j = 0; j < k; j++) {
		p[i++] = INSN(BPF_JMP | BPF_JGT | BPF_K, 6, 0, 2, (int32_t)j);
		p[i++] = MOVK(7, (int32_t)j);
		p[i++] = INSN(BPF_JMP | BPF_JA, 0, 0, 1, 0);
		p[i++] = MOVK(7, -(int32_t)j);
		p[i++] = INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 7, -8 * (int16_t)(1 + j % 32), 0);
		p[i++] = INSN(BPF_LDX | BPF_MEM | BPF_DW, 8, 10, -8 * (int16_t)(1 + j % 32), 0);
	}
	p[i++] = MOVK(0, 0);
	p[i++] = EXIT();
	snprintf(b->name, sizeof(b->name), "diamonds-%zu", k);
	b->insns = p;
	b->cnt = i;
	b->kernel_ok = i <= KBPF_MAX_INSNS;
}

/*
 * A bounded loop of `trips` iterations (r0 += r1 each time): the verifier walks every
 * iteration, so processed instructions grow with trips, up to the 1M budget. Only small trip
 * counts go to Linux.
 */
static void prog_loop(struct bprog *b, int32_t trips)
{
	struct bpf_insn *p = grow(NULL, 6);

	p[0] = MOVK(0, 0);
	p[1] = MOVK(1, 0);
	p[2] = INSN(BPF_ALU64 | BPF_ADD | BPF_X, 0, 1, 0, 0);
	p[3] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 1);
	p[4] = INSN(BPF_JMP | BPF_JLT | BPF_K, 1, 0, -3, trips);
	p[5] = EXIT();
	snprintf(b->name, sizeof(b->name), "loop-%d", trips);
	b->insns = p;
	b->cnt = 6;
	b->kernel_ok = trips <= 1000;
}

/* ---- Measuring ------------------------------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct figures {
	int ok;            /* 1 accepted, 0 rejected, -1 no verdict */
	char why[120];
	uint64_t processed;
	uint64_t ns;       /* median */
	size_t peak;
};

static void measure_userbpf(const struct bprog *b, int repeats, struct figures *f)
{
	uint64_t t[32];
	struct counter c = { 0 };
	struct userbpf_allocator al = { c_alloc, c_realloc, c_free, &c };
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .alloc = &al };
	struct userbpf_env *env = userbpf_env_new(&eo);

	memset(f, 0, sizeof(*f));
	f->ok = -1;
	if (!env) {
		snprintf(f->why, sizeof(f->why), "env: %s", strerror(errno));
		return;
	}
	for (int r = 0; r < repeats; r++) {
		struct userbpf_verify_stats st = { .sz = sizeof(st) };
		struct userbpf_prog_opts o = { .sz = sizeof(o), .name = b->name,
					       .prog_type = USERBPF_PROG_TYPE_SOCKET_FILTER,
					       .verify_stats = &st };
		size_t base = c.live;
		uint64_t t0 = now_ns();
		struct userbpf_prog *p;

		c.peak = c.live;
		p = userbpf_prog_load(env, (const struct userbpf_insn *)b->insns, b->cnt, &o);
		t[r] = st.time_ns ? st.time_ns : now_ns() - t0;
		if (c.peak - base > f->peak)
			f->peak = c.peak - base;
		f->processed = st.processed_insns;
		if (p) {
			f->ok = 1;
			userbpf_prog_free(p);
		} else {
			f->ok = errno == EACCES || errno == EINVAL || errno == E2BIG ? 0 : -1;
			snprintf(f->why, sizeof(f->why), "%s", strerror(errno));
			if (f->ok < 0)
				break;
		}
	}
	if (f->ok >= 0) {
		qsort(t, (size_t)repeats, sizeof(t[0]), cmp_u64);
		f->ns = t[repeats / 2];
	}
	userbpf_env_free(env);
}

static void measure_linux(const struct bprog *b, int repeats, struct figures *f)
{
	static char log[1 << 20];
	uint64_t t[32];
	struct kbpf_result r;

	memset(f, 0, sizeof(*f));
	f->ok = -1;
	if (!b->kernel_ok) {
		snprintf(f->why, sizeof(f->why), "not sent (unsafe for the kernel)");
		return;
	}
	for (int i = 0; i < repeats; i++) {
		kbpf_prog_load(b->insns, b->cnt, BPF_PROG_TYPE_SOCKET_FILTER, 0, 0, "GPL", 1, log,
			       sizeof(log), &r);
		t[i] = r.verif_usec * 1000;
		f->processed = r.processed;
		f->ok = r.accepted;
		if (!r.accepted) {
			snprintf(f->why, sizeof(f->why), "%.119s", r.reason);
			break;
		}
	}
	qsort(t, (size_t)repeats, sizeof(t[0]), cmp_u64);
	f->ns = t[repeats / 2];
}

static void print_side(const struct figures *f, int with_mem)
{
	if (f->ok < 0 || (f->ok == 0 && !f->processed)) {
		printf(" | %-34.34s", f->why[0] ? f->why : "n/a");
		return;
	}
	printf(" | %-6s %9llu %9.3f %9.0f", f->ok ? "ok" : "REJ", (unsigned long long)f->processed,
	       f->ns / 1e6, f->ns ? f->processed / (f->ns / 1e6) : 0.0);
	if (with_mem)
		printf(" %8.1f", f->peak / 1024.0);
}

int main(int argc, char **argv)
{
	int repeats = argc > 1 ? atoi(argv[1]) : 5;
	struct bprog progs[16];
	size_t n = 0;
	char why[256];
	int linux_ok;

	if (repeats < 1 || repeats > 32)
		repeats = 5;
	prog_straight(&progs[n++], 64);
	prog_straight(&progs[n++], 1024);
	prog_straight(&progs[n++], 4096);
	prog_straight(&progs[n++], 65536);
	prog_diamonds(&progs[n++], 16);
	prog_diamonds(&progs[n++], 256);
	prog_loop(&progs[n++], 100);
	prog_loop(&progs[n++], 1000);
	prog_loop(&progs[n++], 30000);
	prog_loop(&progs[n++], 240000); /* about 1M processed instructions */

	linux_ok = kbpf_available(why, sizeof(why));
	printf("verifier bench: median of %d loads; time is each verifier's own measure\n", repeats);
	if (!linux_ok)
		printf("Linux side unavailable: %s\n", why);
	printf("%-16s %6s | %-6s %9s %9s %9s %8s | %-6s %9s %9s %9s | %s\n", "program", "insns",
	       "userbpf", "processed", "ms", "insn/ms", "peak KiB", "Linux", "processed", "ms",
	       "insn/ms", "speed vs Linux");
	for (size_t i = 0; i < n; i++) {
		struct figures u, k;

		measure_userbpf(&progs[i], repeats, &u);
		if (linux_ok)
			measure_linux(&progs[i], repeats, &k);
		else
			memset(&k, 0, sizeof(k)), k.ok = -1;
		printf("%-16s %6zu", progs[i].name, progs[i].cnt);
		print_side(&u, 1);
		print_side(&k, 0);
		if (u.ok == 1 && k.ok == 1 && u.ns && k.ns && u.processed && k.processed)
			printf(" | %.2fx", (k.ns / (double)k.processed) / (u.ns / (double)u.processed));
		printf("\n");
		free(progs[i].insns);
	}
	return 0;
}
