/* SPDX-License-Identifier: Apache-2.0 */
/*
 * map_ops.c: ns per map operation, in userbpf and in the Linux kernel, measured the same way
 * on both sides: one XDP program performs OPS operations in a row (unrolled), it runs through a
 * test run (userbpf_prog_test_run / BPF_PROG_TEST_RUN) REPEAT times, and the per-run time of a
 * baseline program doing everything but the operation is subtracted. Also the plain C cost of
 * the same map functions called directly (no program). Figures only: nothing is asserted.
 *   array lookup, hash lookup, hash update, percpu_array lookup, ringbuf reserve + submit
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <userbpf/userbpf.h>

#include "maps/map.h"

#define OPS 100
#define REPEAT 20000
#define KEYS 64

enum op { OP_BASE, OP_ARRAY, OP_HASH, OP_HASH_UPD, OP_PCPU, OP_RINGBUF, OP_N };
static const char *const op_name[OP_N] = {
    "baseline",	   "array lookup",	  "hash lookup",
    "hash update", "percpu_array lookup", "ringbuf reserve+submit"};

struct prog {
	struct bpf_insn insn[OPS * 16 + 16];
	size_t n;
};

static void put(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	p->insn[p->n++] = (struct bpf_insn){code, dst, src, off, imm};
}

/* The map reference: src/imm filled for the side (kernel fd or userbpf map index 0). */
static void ld_map(struct prog *p, uint8_t dst, uint8_t src, int32_t imm)
{
	put(p, BPF_LD | BPF_DW | BPF_IMM, dst, src, 0, imm);
	put(p, 0, 0, 0, 0, 0);
}

static void build(struct prog *p, enum op op, uint8_t map_src, int32_t map_imm)
{
	p->n = 0;
	put(p, BPF_ALU64 | BPF_MOV | BPF_K, 7, 0, 0, 0);
	put(p, BPF_ST | BPF_MEM | BPF_DW, 10, 0, -16, 7); /* value for updates */
	for (int i = 0; i < OPS; i++) {
		put(p, BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, i % KEYS);
		switch (op) {
		case OP_BASE:
			put(p, BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
			put(p, BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4);
			put(p, BPF_ALU64 | BPF_ADD | BPF_K, 7, 0, 0, 1);
			break;
		case OP_ARRAY:
		case OP_HASH:
		case OP_PCPU:
			ld_map(p, 1, map_src, map_imm);
			put(p, BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
			put(p, BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4);
			put(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
			put(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, 0);
			put(p, BPF_LDX | BPF_MEM | BPF_DW, 1, 0, 0, 0);
			put(p, BPF_ALU64 | BPF_ADD | BPF_X, 7, 1, 0, 0);
			break;
		case OP_HASH_UPD:
			ld_map(p, 1, map_src, map_imm);
			put(p, BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
			put(p, BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4);
			put(p, BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0);
			put(p, BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -16);
			put(p, BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0);
			put(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_update_elem);
			put(p, BPF_ALU64 | BPF_ADD | BPF_X, 7, 0, 0, 0);
			break;
		case OP_RINGBUF:
			ld_map(p, 1, map_src, map_imm);
			put(p, BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 8);
			put(p, BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0);
			put(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_reserve);
			put(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 4, 0);
			put(p, BPF_STX | BPF_MEM | BPF_DW, 0, 7, 0, 0);
			put(p, BPF_ALU64 | BPF_MOV | BPF_X, 1, 0, 0, 0);
			put(p, BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, BPF_RB_NO_WAKEUP);
			put(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_submit);
			break;
		default:
			break;
		}
	}
	put(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS);
	put(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static uint32_t map_type_of(enum op op)
{
	switch (op) {
	case OP_ARRAY:
		return BPF_MAP_TYPE_ARRAY;
	case OP_HASH:
	case OP_HASH_UPD:
		return BPF_MAP_TYPE_HASH;
	case OP_PCPU:
		return BPF_MAP_TYPE_PERCPU_ARRAY;
	case OP_RINGBUF:
		return BPF_MAP_TYPE_RINGBUF;
	default:
		return BPF_MAP_TYPE_ARRAY;
	}
}

/* Ring size: every record of every run fits, so no reservation fails during the bench. */
#define RING (64u << 20)

/* ---- userbpf ---------------------------------------------------------------------------- */

static double ub_ns_per_run(struct userbpf_env *env, enum op op, int reps)
{
	uint32_t type = map_type_of(op);
	struct userbpf_map_opts mo = {.sz = sizeof(mo),
				      .type = type,
				      .key_size = type == BPF_MAP_TYPE_RINGBUF ? 0 : 4,
				      .value_size = type == BPF_MAP_TYPE_RINGBUF ? 0 : 8,
				      .max_entries = type == BPF_MAP_TYPE_RINGBUF ? RING : KEYS};
	struct userbpf_map *m = userbpf_map_create(env, &mo);
	struct userbpf_prog_opts po = {
	    .sz = sizeof(po), .prog_type = USERBPF_PROG_TYPE_XDP, .maps = &m, .map_cnt = 1};
	static struct prog p;
	struct userbpf_prog *prog;
	uint8_t pkt[64] = {0};
	struct userbpf_test_run_opts o = {
	    .sz = sizeof(o), .data_in = pkt, .data_size_in = 64, .repeat = reps};
	uint64_t zero[256] = {0};

	if (!m)
		return -1;
	for (uint32_t k = 0; type == BPF_MAP_TYPE_HASH && k < KEYS; k++)
		userbpf_map_update(m, &k, zero, 0);
	build(&p, op, USERBPF_PSEUDO_MAP_IDX, 0);
	prog = userbpf_prog_load(env, (struct userbpf_insn *)p.insn, p.n, &po);
	if (!prog) {
		fprintf(stderr, "map_ops: userbpf refused the %s program: %s\n", op_name[op],
			strerror(errno));
		userbpf_map_free(m);
		return -1;
	}
	userbpf_prog_test_run(prog, &o); /* warm up */
	if (userbpf_prog_test_run(prog, &o))
		o.duration = 0;
	userbpf_prog_free(prog);
	userbpf_map_free(m);
	return o.duration;
}

/* ---- Linux ------------------------------------------------------------------------------- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static double k_ns_per_run(enum op op, int reps)
{
	uint32_t type = map_type_of(op);
	union bpf_attr a;
	static struct prog p;
	uint8_t pkt[64] = {0};
	uint64_t zero[256] = {0};
	int mfd, pfd;
	double d = -1;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = type == BPF_MAP_TYPE_RINGBUF ? 0 : 4;
	a.value_size = type == BPF_MAP_TYPE_RINGBUF ? 0 : 8;
	a.max_entries = type == BPF_MAP_TYPE_RINGBUF ? RING : KEYS;
	mfd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	if (mfd < 0)
		return -1;
	for (uint32_t k = 0; type == BPF_MAP_TYPE_HASH && k < KEYS; k++) {
		memset(&a, 0, sizeof(a));
		a.map_fd = (uint32_t)mfd;
		a.key = (uint64_t)(uintptr_t)&k;
		a.value = (uint64_t)(uintptr_t)zero;
		sys_bpf(BPF_MAP_UPDATE_ELEM, &a);
	}
	build(&p, op, BPF_PSEUDO_MAP_FD, mfd);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insns = (uint64_t)(uintptr_t)p.insn;
	a.insn_cnt = (uint32_t)p.n;
	a.license = (uint64_t)(uintptr_t) "GPL";
	pfd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (pfd < 0 && op == OP_BASE)
		fprintf(stderr, "map_ops: the kernel refused the program: %s\n", strerror(errno));
	if (pfd >= 0) {
		for (int pass = 0; pass < 2; pass++) {
			memset(&a, 0, sizeof(a));
			a.test.prog_fd = (uint32_t)pfd;
			a.test.data_in = (uint64_t)(uintptr_t)pkt;
			a.test.data_size_in = sizeof(pkt);
			a.test.repeat = (uint32_t)reps;
			if (!sys_bpf(BPF_PROG_TEST_RUN, &a))
				d = a.test.duration;
		}
		close(pfd);
	}
	close(mfd);
	return d;
}

/* ---- plain C: the map functions called directly ------------------------------------------ */

static double c_ns_per_op(struct userbpf_env *env, enum op op)
{
	uint32_t type = map_type_of(op);
	struct userbpf_map_opts mo = {
	    .sz = sizeof(mo), .type = type, .key_size = 4, .value_size = 8, .max_entries = KEYS};
	struct userbpf_map *m;
	struct timespec t0, t1;
	uint64_t sum = 0, v = 7;
	const int n = 2000000;

	if (op == OP_BASE || op == OP_RINGBUF)
		return -1;
	m = userbpf_map_create(env, &mo);
	for (uint32_t k = 0; type == BPF_MAP_TYPE_HASH && k < KEYS; k++)
		userbpf_map_update(m, &k, &v, 0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (int i = 0; i < n; i++) {
		uint32_t k = (uint32_t)i % KEYS;

		/* Updates retire elements: one read section per op, as each program run has
		 * its own. Lookups run bare: the raw cost of the map function. */
		if (op == OP_HASH_UPD)
			ub_epoch_enter();
		if (op == OP_HASH_UPD) {
			sum += (uint64_t)ub_map_update_elem(m, &k, &v, 0);
		} else {
			uint64_t *p = ub_map_lookup_elem(m, &k);

			sum += p ? *p : 0;
		}
		if (op == OP_HASH_UPD)
			ub_epoch_exit();
		__asm__ volatile("" : : "r"(sum) : "memory");
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	userbpf_map_free(m);
	return ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / n;
}

int main(void)
{
	struct userbpf_env *env = userbpf_env_new(NULL);
	double ub[OP_N], k[OP_N];
	int reps;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ns per operation: %d ops per program run, %d runs; baseline subtracted\n", OPS,
	       REPEAT);
	printf("%-24s %10s %10s %10s %8s\n", "operation", "userbpf", "linux", "plain C",
	       "linux/ub");
	for (int op = 0; op < OP_N; op++) {
		reps = op == OP_RINGBUF ? RING / 16 / OPS / 2 : REPEAT;
		ub[op] = ub_ns_per_run(env, op, reps);
		k[op] = k_ns_per_run(op, reps);
	}
	for (int op = 1; op < OP_N; op++) {
		double u = ub[op] >= 0 && ub[0] >= 0 ? (ub[op] - ub[0]) / OPS : -1;
		double l = k[op] >= 0 && k[0] >= 0 ? (k[op] - k[0]) / OPS : -1;
		double c = c_ns_per_op(env, op);
		char us[16], ls[16], cs[16], rs[16];

		snprintf(us, sizeof(us), u >= 0 ? "%.2f" : "n/a", u);
		snprintf(ls, sizeof(ls), l >= 0 ? "%.2f" : "n/a", l);
		snprintf(cs, sizeof(cs), c >= 0 ? "%.2f" : "-", c);
		snprintf(rs, sizeof(rs), u > 0 && l > 0 ? "%.1fx" : "-", l / u);
		printf("%-24s %10s %10s %10s %8s\n", op_name[op], us, ls, cs, rs);
	}
	printf("(baseline run: userbpf %.0f ns, linux %.0f ns; n/a: side unavailable, e.g. no "
	       "bpf())\n",
	       ub[0], k[0]);
	userbpf_env_free(env);
	return 0;
}
