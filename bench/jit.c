/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jit.c: the x86-64 JIT's numbers, each a ratio against a baseline measured in the same run:
 *  - compile time (µs per ub_jit_compile) for the bench programs and a 100-instruction program;
 *  - call overhead of a JITed `return 0` called from C (direct jit_fn, and userbpf_prog_run())
 *    against a direct call of a native noinline `return 0`;
 *  - JIT vs the same C compiled by gcc -O2 (bench/progs), calling jit_fn directly so that only
 *    code quality is compared, with the geometric mean;
 *  - the Linux kernel's JIT on the same BPF code via BPF_PROG_TEST_RUN (as SCHED_CLS, r1 = data
 *    and r2 = len set by a 4-instruction prologue), where bpf() works and the kernel verifier
 *    accepts the program (the bench programs do no packet bounds checks, so only those that do
 *    not touch data load there).
 *
 * usage: jit [DIR]   (DIR holds NAME.bin, from bench/run.sh; default: progs/ next to this
 * binary). Times are the best of 7 rounds of
 * thread CPU time; the machine is shared.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <userbpf/userbpf.h>

#include "core/core.h"
#include "jit/jit.h"

#include "progs/arith.bpf.c"
#include "progs/checksum.bpf.c"
#include "progs/parse.bpf.c"
#include "progs/ret0.bpf.c"
#include "progs/sort.bpf.c"

typedef u64 (*native_fn)(u8 *data, u64 len);

static const struct {
	const char *name;
	native_fn native;
	size_t mem_len;
	int mutates;
} benches[] = {
	{ "checksum", native_checksum, 1500, 0 }, { "parse", native_parse, 64, 0 },
	{ "arith", native_arith, 8, 0 },          { "sort", native_sort, 512, 1 },
	{ "ret0", native_ret0, 0, 0 },
};
#define NB (sizeof(benches) / sizeof(benches[0]))

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void fill(u8 *mem, size_t len, const char *name)
{
	static const u8 hdr[54] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
		0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
	};
	uint64_t s = 0x243f6a8885a308d3ull;

	for (size_t i = 0; i < len; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		mem[i] = (u8)s;
	}
	if (!strcmp(name, "parse")) {
		memset(mem, 0, len);
		memcpy(mem, hdr, sizeof(hdr) < len ? sizeof(hdr) : len);
	}
}

static struct userbpf_insn *read_bin(const char *dir, const char *name, size_t *cnt)
{
	char path[1024];
	struct userbpf_insn *v;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	v = malloc(n > 0 ? (size_t)n : 1);
	if (!v || n <= 0 || n % 8 || fread(v, 1, (size_t)n, f) != (size_t)n) {
		free(v);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*cnt = (size_t)n / 8;
	return v;
}

/* Best over 7 rounds of ns per call of fn(arg) run `iters` times. */
#define BEST_OF(iters, body)                                                                    \
	({                                                                                      \
		double best_ = 1e30;                                                            \
		for (int r_ = 0; r_ < 7; r_++) {                                                \
			double t0_ = now_ns();                                                  \
			for (long k_ = 0; k_ < (iters); k_++) {                                 \
				body;                                                           \
			}                                                                       \
			double t_ = (now_ns() - t0_) / (iters);                                 \
			if (t_ < best_)                                                         \
				best_ = t_;                                                     \
		}                                                                               \
		best_;                                                                          \
	})

/* A ~100-instruction straight-line-and-branches program, like a small filter. */
static size_t make_100(struct userbpf_insn *v)
{
	size_t n = 0;

	v[n++] = (struct userbpf_insn){ 0xb7, 0, 0, 0, 0 };
	for (int i = 0; n < 96; i++) {
		v[n++] = (struct userbpf_insn){ 0x71, 3, 1, (int16_t)(i % 8), 0 };     /* r3 = data[i] */
		v[n++] = (struct userbpf_insn){ 0x27, 3, 0, 0, 2654435761u & 0x7fffffff };
		v[n++] = (struct userbpf_insn){ 0x0f, 0, 3, 0, 0 };
		v[n++] = (struct userbpf_insn){ 0x15, 3, 0, 1, i };                     /* skip one */
		v[n++] = (struct userbpf_insn){ 0xa7, 0, 0, 0, i * 77 };
		v[n++] = (struct userbpf_insn){ 0x77, 0, 0, 0, 3 };
	}
	v[n++] = (struct userbpf_insn){ 0x07, 0, 0, 0, 1 };
	v[n++] = (struct userbpf_insn){ 0x95, 0, 0, 0, 0 };
	return n;
}

static struct userbpf_env *env;
static volatile u64 sink;

static struct userbpf_prog *load_jit(const struct userbpf_insn *v, size_t cnt)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o), .engine = USERBPF_ENGINE_JIT,
				       .flags = USERBPF_PROG_F_TRUSTED };

	return userbpf_prog_load(env, v, cnt, &o);
}

static void bench_compile(const char *dir)
{
	struct userbpf_insn v100[128];
	size_t n100 = make_100(v100);

	printf("compile time (ub_jit_compile: analysis, layout passes, W^X mapping)\n");
	printf("%-10s %6s %10s %8s\n", "program", "insns", "us", "ns/insn");
	for (size_t b = 0; b <= NB; b++) {
		struct userbpf_insn *v = NULL;
		size_t cnt = 0;
		struct userbpf_prog *p;
		const char *name = b < NB ? benches[b].name : "filter100";
		double t;

		if (b < NB)
			v = read_bin(dir, name, &cnt);
		else
			v = v100, cnt = n100;
		if (!v) {
			printf("%-10s (no %s.bin)\n", name, name);
			continue;
		}
		p = load_jit(v, cnt);
		if (!p) {
			printf("%-10s load failed: %s\n", name, strerror(errno));
		} else {
			t = BEST_OF(2000, ub_jit_release(p); ub_jit_compile(p));
			printf("%-10s %6zu %10.1f %8.1f%s\n", name, cnt, t / 1000, t / (double)cnt,
			       b == NB ? "   (target: <= 50 us for ~100 insns)" : "");
			userbpf_prog_free(p);
		}
		if (b < NB)
			free(v);
	}
}

static __attribute__((noinline)) u64 native_zero(void *a, u64 b)
{
	__asm__ volatile("" ::: "memory");
	(void)a, (void)b;
	return 0;
}

static void bench_call(void)
{
	struct userbpf_insn ret0[] = { { 0xb7, 0, 0, 0, 0 }, { 0x95, 0, 0, 0, 0 } };
	struct userbpf_prog *p = load_jit(ret0, 2);
	u64 (*volatile nat)(void *, u64) = native_zero;
	uint64_t (*fn)(void *, uint64_t);
	double tn, tj, tr;
	uint64_t r0;

	if (!p) {
		printf("call overhead: load failed: %s\n", strerror(errno));
		return;
	}
	fn = p->jit_fn;
	tn = BEST_OF(20000000, sink += nat(NULL, 0));
	tj = BEST_OF(20000000, sink += fn(NULL, 0));
	tr = BEST_OF(5000000, userbpf_prog_run(p, NULL, 0, &r0); sink += r0);
	printf("\ncall overhead of `return 0` from C (ns per call)\n");
	printf("  native noinline call      %6.2f\n", tn);
	printf("  JITed, prog->jit_fn()     %6.2f   (%+.2f ns over native; target: <= 3 ns)\n", tj,
	       tj - tn);
	printf("  JITed, userbpf_prog_run() %6.2f   (adds the run context and map epoch)\n", tr);
	userbpf_prog_free(p);
}

/* ---- Linux ----------------------------------------------------------------------------- */

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static char klog[4096];

/* tc prologue: r2 = skb->data_end - skb->data, r1 = skb->data; then the program. */
static int kernel_load(const struct userbpf_insn *v, size_t cnt)
{
	struct userbpf_insn *k = calloc(cnt + 4, sizeof(*k));
	union bpf_attr a;
	int fd;

	if (!k)
		return -1;
	k[0] = (struct userbpf_insn){ 0x61, 2, 1, 80, 0 }; /* r2 = skb->data_end */
	k[1] = (struct userbpf_insn){ 0x61, 1, 1, 76, 0 }; /* r1 = skb->data */
	k[2] = (struct userbpf_insn){ 0x1f, 2, 1, 0, 0 }; /* r2 -= r1 */
	k[3] = (struct userbpf_insn){ 0x05, 0, 0, 0, 0 }; /* ja +0 */
	memcpy(k + 4, v, cnt * sizeof(*v));
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
	a.insns = (uint64_t)(uintptr_t)k;
	a.insn_cnt = (uint32_t)(cnt + 4);
	a.license = (uint64_t)(uintptr_t)"GPL";
	klog[0] = 0;
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0 && errno != EPERM) {
		/* Again with a log, only to say why (a log can also overflow: ENOSPC). */
		a.log_buf = (uint64_t)(uintptr_t)klog;
		a.log_size = sizeof(klog);
		a.log_level = 1;
		sys_bpf(BPF_PROG_LOAD, &a);
		errno = EACCES;
	}
	free(k);
	return fd;
}

/* The kernel's own average ns per run over `repeat` runs, or -1. */
static double kernel_run(int fd, u8 *data, size_t len, uint32_t repeat, uint32_t *ret)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)data;
	a.test.data_size_in = (uint32_t)len;
	a.test.repeat = repeat;
	if (sys_bpf(BPF_PROG_TEST_RUN, &a))
		return -1;
	*ret = a.test.retval;
	return a.test.duration;
}

/* The verifier's reason: the last log line that is not a statistics line. */
static const char *last_line(const char *log)
{
	static char line[160];
	const char *end = log + strlen(log), *s;

	for (;;) {
		while (end > log && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		for (s = end; s > log && s[-1] != '\n'; s--)
			;
		if (s == log || (strncmp(s, "processed ", 10) && strncmp(s, "verification time", 17)))
			break;
		end = s;
	}
	snprintf(line, sizeof(line), "kernel verifier: %.*s", (int)(end - s), s);
	return line;
}

static void bench_native(const char *dir)
{
	double logsum = 0;
	int nlog = 0;

	printf("\nJIT vs gcc -O2 and vs the Linux kernel JIT (ns per run; jit_fn called directly)\n");
	printf("%-9s %9s %9s %7s | %9s %7s  %s\n", "program", "native", "jit", "x nat", "linux",
	       "x nat", "");
	for (size_t b = 0; b < NB; b++) {
		size_t cnt = 0, len = benches[b].mem_len ? benches[b].mem_len : 64;
		struct userbpf_insn *v = read_bin(dir, benches[b].name, &cnt);
		u8 *mem = malloc(len), *orig = malloc(len);
		struct userbpf_prog *p;
		double tn, tj, tk = -1;
		u64 rn, rj;
		uint32_t rk = 0;
		int fd;

		if (!v || !mem || !orig) {
			printf("%-9s (no %s.bin)\n", benches[b].name, benches[b].name);
			free(v), free(mem), free(orig);
			continue;
		}
		fill(orig, len, benches[b].name);
		memcpy(mem, orig, len);
		p = load_jit(v, cnt);
		if (!p) {
			printf("%-9s load failed: %s\n", benches[b].name, strerror(errno));
			free(v), free(mem), free(orig);
			continue;
		}
		rn = benches[b].native(mem, benches[b].mem_len);
		memcpy(mem, orig, len);
		rj = p->jit_fn(mem, benches[b].mem_len);
		if (benches[b].mutates) {
			tn = BEST_OF(20000, memcpy(mem, orig, len); sink += benches[b].native(mem, len));
			tj = BEST_OF(20000, memcpy(mem, orig, len); sink += p->jit_fn(mem, len));
			/* the copy is in both columns */
		} else {
			long it = benches[b].mem_len >= 512 ? 200000 : 5000000;

			tn = BEST_OF(it, sink += benches[b].native(mem, benches[b].mem_len));
			tj = BEST_OF(it, sink += p->jit_fn(mem, benches[b].mem_len));
		}
		fd = kernel_load(v, cnt);
		if (fd >= 0 && !benches[b].mutates && benches[b].mem_len >= 14) {
			memcpy(mem, orig, len);
			for (int r = 0; r < 7; r++) {
				double t = kernel_run(fd, mem, benches[b].mem_len, 100000, &rk);

				if (t >= 0 && (tk < 0 || t < tk))
					tk = t;
			}
		} else if (fd >= 0 && benches[b].mem_len < 14) {
			u8 pkt[64];

			memset(pkt, 0, sizeof(pkt));
			memcpy(pkt, orig, benches[b].mem_len);
			for (int r = 0; r < 7; r++) {
				double t = kernel_run(fd, pkt, sizeof(pkt), 100000, &rk);

				if (t >= 0 && (tk < 0 || t < tk))
					tk = t;
			}
		}
		if (rj != rn)
			printf("%-9s MISMATCH: native 0x%llx jit 0x%llx\n", benches[b].name,
			       (unsigned long long)rn, (unsigned long long)rj);
		if (tk >= 0)
			printf("%-9s %9.1f %9.1f %7.2f | %9.1f %7.2f  (kernel: tc test run, len %s)\n",
			       benches[b].name, tn, tj, tj / tn, tk, tk / tn,
			       benches[b].mem_len < 14 ? "64" : "as native");
		else
			printf("%-9s %9.1f %9.1f %7.2f | %9s %7s  (%s)\n", benches[b].name, tn, tj,
			       tj / tn, "-", "-",
			       fd < 0 ? (errno == EPERM ? "bpf() not permitted here" :
					 klog[0] ? last_line(klog) : strerror(errno)) :
					"kernel: mutating program not run");
		if (strcmp(benches[b].name, "ret0")) {
			logsum += log(tj / tn);
			nlog++;
		}
		if (fd >= 0)
			close(fd);
		userbpf_prog_free(p);
		free(v), free(mem), free(orig);
	}
	if (nlog)
		printf("geometric mean JIT/native over the %d programs other than ret0: %.2f "
		       "(target: <= 1.3)\n", nlog, exp(logsum / nlog));
	printf("(linux: the kernel's average per run inside BPF_PROG_TEST_RUN; programs that read "
	       "data without bounds checks are rejected by its verifier, hence '-')\n");
}

int main(int argc, char **argv)
{
	char def[1024];
	const char *slash = strrchr(argv[0], '/');
	const char *dir = argc > 1 ? argv[1] : def;

	/* bench/run.sh runs every bench without arguments: the programs sit next to this binary. */
	snprintf(def, sizeof(def), "%.*s/progs", slash ? (int)(slash - argv[0]) : 1,
		 slash ? argv[0] : ".");

	env = userbpf_env_new(NULL);
	if (!env)
		return 1;
	bench_compile(dir);
	bench_call();
	bench_native(dir);
	userbpf_env_free(env);
	return 0;
}
