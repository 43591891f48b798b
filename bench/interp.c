/* SPDX-License-Identifier: Apache-2.0 */
/*
 * interp.c: ns per run and per executed instruction of the interpreter (unchecked, as verified
 * programs run; and checked, as unverified ones run) and of the JIT, side by side with the same
 * C compiled natively by gcc -O2 in this binary, on the programs of bench/progs.
 *
 * usage: interp DIR   (DIR holds NAME.bin, the .text of each program compiled by clang -target
 * bpf; bench/run.sh builds them). Every engine must return the same r0 as the native code, or
 * the row says MISMATCH. Each figure is the best of 7 rounds of about 0.05 s of CPU time, through
 * userbpf_prog_run() (so it includes the per-run cost that `ret0` shows alone).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <userbpf/userbpf.h>

#include "interp/interp.h"

#include "progs/arith.bpf.c"
#include "progs/checksum.bpf.c"
#include "progs/parse.bpf.c"
#include "progs/ret0.bpf.c"
#include "progs/sort.bpf.c"

typedef u64 (*native_fn)(u8 *data, u64 len);

struct bench {
	const char *name;
	native_fn native;
	size_t mem_len;
	int mutates; /* the program writes its memory: restore it before every run */
	void (*fill)(u8 *mem, size_t len);
	const char *what;
};

static void fill_random(u8 *mem, size_t len)
{
	uint64_t s = 0x243f6a8885a308d3ull;

	for (size_t i = 0; i < len; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		mem[i] = (u8)s;
	}
}

/* Ethernet + IPv4 (no options) + TCP, to port 80, flags ACK|PSH. */
static void fill_packet(u8 *mem, size_t len)
{
	static const u8 hdr[54] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
		0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
	};

	memset(mem, 0, len);
	memcpy(mem, hdr, sizeof(hdr) < len ? sizeof(hdr) : len);
}

static const struct bench benches[] = {
	{ "checksum", native_checksum, 1500, 0, fill_random, "RFC 1071 sum of 1500 bytes" },
	{ "parse", native_parse, 64, 0, fill_packet, "Ethernet/IPv4/TCP header parse" },
	{ "arith", native_arith, 8, 0, fill_random, "xorshift/multiply loop, 1000 rounds" },
	{ "sort", native_sort, 512, 1, fill_random, "insertion sort of 64 u64 words" },
	{ "ret0", native_ret0, 0, 0, NULL, "return 0: the cost of one run" },
};

/*
 * This thread's CPU time: the machine is shared (parallel builds and tests), and wall time
 * would count the slices other processes get.
 */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* What one timed run does: native call or userbpf_prog_run(). */
struct target {
	native_fn native;
	struct userbpf_prog *prog;
};

static volatile u64 sink;

static u64 run_once(const struct target *t, u8 *mem, size_t len)
{
	uint64_t r0 = 0;

	if (t->native)
		return t->native(mem, len);
	if (userbpf_prog_run(t->prog, len ? mem : NULL, len, &r0))
		return ~0ull;
	return r0;
}

/* Best ns per run over 7 rounds of about 0.05 s of CPU time. */
static double time_target(const struct target *t, const struct bench *b, u8 *mem,
			  const u8 *init)
{
	double best = 1e30;
	unsigned long reps = 1;

	/* Calibrate: double the repetitions until one round takes 0.05 s. */
	for (;;) {
		double t0 = now_ns();

		for (unsigned long i = 0; i < reps; i++) {
			if (b->mutates)
				memcpy(mem, init, b->mem_len);
			sink += run_once(t, mem, b->mem_len);
		}
		if (now_ns() - t0 > 5e7 || reps > (1ul << 40))
			break;
		reps *= 2;
	}
	for (int round = 0; round < 7; round++) {
		double t0 = now_ns(), dt;

		for (unsigned long i = 0; i < reps; i++) {
			if (b->mutates)
				memcpy(mem, init, b->mem_len);
			sink += run_once(t, mem, b->mem_len);
		}
		dt = (now_ns() - t0) / reps;
		if (dt < best)
			best = dt;
	}
	return best;
}

static struct userbpf_insn *read_bin(const char *path, size_t *cnt)
{
	FILE *f = fopen(path, "rb");
	struct userbpf_insn *insns;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	insns = n > 0 && n % 8 == 0 ? malloc(n) : NULL;
	if (insns && fread(insns, 1, n, f) != (size_t)n) {
		free(insns);
		insns = NULL;
	}
	fclose(f);
	*cnt = n / 8;
	return insns;
}

static struct userbpf_prog *load(struct userbpf_env *env, const struct userbpf_insn *insns,
				 size_t cnt, int engine)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o), .name = "bench" };
	struct userbpf_prog *prog;

	o.engine = engine == 2 ? USERBPF_ENGINE_JIT : USERBPF_ENGINE_INTERP;
	o.flags = engine == 2 ? USERBPF_PROG_F_TRUSTED : USERBPF_PROG_F_UNVERIFIED;
	prog = userbpf_prog_load(env, insns, cnt, &o);
	/* engine 0: the unchecked loop, what a verified program runs on. */
	if (prog && engine == 0 && ub_interp_prepare_as(prog, 0)) {
		userbpf_prog_free(prog);
		prog = NULL;
	}
	return prog;
}

int main(int argc, char **argv)
{
	static const char *const eng_name[3] = { "interp", "checked", "jit" };
	struct userbpf_env *env;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR   (DIR holds the NAME.bin of each bench program)\n",
			argv[0]);
		return 2;
	}
	env = userbpf_env_new(NULL);
	if (!env)
		return 1;
	printf("interpreter and JIT vs gcc -O2 (best of 7 rounds of thread CPU time; ns per run, "
	       "ns per executed BPF instruction, ratio to native)\n\n");
	printf("%-9s %6s %9s | %9s %7s %7s | %9s %7s %7s | %9s %7s %7s\n", "program", "insns",
	       "native", "interp", "ns/insn", "x nat", "checked", "ns/insn", "x nat", "jit",
	       "ns/insn", "x nat");
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		const struct bench *b = &benches[i];
		struct userbpf_insn *insns;
		struct userbpf_prog *prog[3];
		char path[4096];
		u8 init[2048], mem[2048];
		u64 want, got;
		uint64_t executed = 0, r0;
		struct target nt = { b->native, NULL };
		double native_ns;
		size_t cnt;

		snprintf(path, sizeof(path), "%s/%s.bin", argv[1], b->name);
		insns = read_bin(path, &cnt);
		if (!insns) {
			printf("%-9s cannot read %s\n", b->name, path);
			bad = 1;
			continue;
		}
		if (b->fill)
			b->fill(init, b->mem_len);
		memcpy(mem, init, b->mem_len);
		want = b->native(mem, b->mem_len);
		memcpy(mem, init, b->mem_len);
		native_ns = time_target(&nt, b, mem, init);
		for (int e = 0; e < 3; e++)
			prog[e] = load(env, insns, cnt, e);
		/* Instructions executed per run, counted by the checked loop. */
		memcpy(mem, init, b->mem_len);
		if (!prog[1] ||
		    ub_interp_run_counted(prog[1], b->mem_len ? mem : NULL, b->mem_len, &r0,
					  &executed)) {
			printf("%-9s cannot run on the interpreter\n", b->name);
			bad = 1;
			continue;
		}
		printf("%-9s %6llu %9.1f", b->name, (unsigned long long)executed, native_ns);
		for (int e = 0; e < 3; e++) {
			struct target t = { NULL, prog[e] };
			double ns;

			if (!prog[e]) {
				printf(" | %9s %7s %7s", "n/a", "", "");
				continue;
			}
			memcpy(mem, init, b->mem_len);
			got = run_once(&t, mem, b->mem_len);
			if (got != want) {
				printf(" | %s MISMATCH r0 0x%llx, native 0x%llx", eng_name[e],
				       (unsigned long long)got, (unsigned long long)want);
				bad = 1;
				continue;
			}
			ns = time_target(&t, b, mem, init);
			printf(" | %9.1f %7.2f %7.1f", ns, ns / (double)executed, ns / native_ns);
		}
		printf("   %s\n", b->what);
		for (int e = 0; e < 3; e++)
			userbpf_prog_free(prog[e]);
		free(insns);
	}
	printf("\ninsns: BPF instructions executed per run (clang -O2 -target bpf). interp: the "
	       "unchecked loop\n(verified programs); checked: every access bounds-checked plus "
	       "the instruction budget\n(unverified programs). x nat: ns per run divided by "
	       "native ns per run.\n");
	userbpf_env_free(env);
	return bad;
}
