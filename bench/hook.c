/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hook.c: what a hook adds to each call, in ns, against a direct call measured in the same run:
 * an empty host hook point, a hook point with a program, entry / return / entry+return
 * trampolines running a program that increments a counter, and, side by side when bpf() works,
 * Linux's uprobe and uretprobe running a BPF program that increments an array map on the same
 * function. Best of 5 rounds each. Usage: hook [iterations]
 */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <userbpf/hook.h>
#include <userbpf/userbpf.h>

/* The hooked function: endbr64; mov rax, rdi; add rax, rsi; ret. */
__asm__(".text\n.globl b_target\n.type b_target,@function\n.p2align 4\nb_target:\n"
	"\tendbr64\n\tmov %rdi, %rax\n\tadd %rsi, %rax\n\tret\n.size b_target, .-b_target\n");
uint64_t b_target(uint64_t a, uint64_t b);

struct bctx {
	uint64_t a, b;
};
USERBPF_HOOK_POINT(b_point, struct bctx);

static uint64_t (*volatile fn)(uint64_t, uint64_t) = b_target;
static uint64_t counter;
static long iters = 20000000;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per iteration of the call loop (with the hook point when point = 1), best of 5. */
static double measure(long n, int point)
{
	double best = 1e30;

	for (int r = 0; r < 5; r++) {
		uint64_t sum = 0;
		double t0 = now(), dt;

		if (point) {
			for (long i = 0; i < n; i++) {
				struct bctx c = { (uint64_t)i, 1 };

				USERBPF_HOOK(b_point, &c);
				sum += fn((uint64_t)i, 1);
			}
		} else {
			for (long i = 0; i < n; i++)
				sum += fn((uint64_t)i, 1);
		}
		dt = (now() - t0) / (double)n;
		__asm__ volatile("" ::"r"(sum));
		if (dt < best)
			best = dt;
	}
	return best;
}

static void row(const char *what, double ns, double base)
{
	printf("  %-52s %9.2f ns/call   %+9.2f ns added\n", what, ns, ns - base);
}

/* ---- Linux uprobe + BPF ------------------------------------------------------------------- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* File offset of addr in the main executable. */
static int exe_offset_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	uint64_t *io = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && io[0] >= lo && io[0] < lo + ph->p_memsz) {
			io[1] = io[0] - lo + ph->p_offset;
			return 1;
		}
	}
	return 1; /* main executable only */
}

static int linux_probe(int retprobe, int *map_fd_out, int *prog_fd_out)
{
	union bpf_attr attr;
	struct perf_event_attr pa;
	uint64_t io[2] = { (uint64_t)(uintptr_t)b_target, 0 };
	char log[4096];
	int map_fd, prog_fd, pfd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 8;
	attr.max_entries = 1;
	map_fd = (int)sys_bpf(BPF_MAP_CREATE, &attr);
	if (map_fd < 0)
		return -errno;
	{
		/* key = 0 on the stack; v = lookup(map, &key); if (v) __sync_fetch_and_add(v, 1) */
		struct bpf_insn insns[] = {
			{ BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0 },
			{ BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0 },
			{ BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4 },
			{ BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd },
			{ 0, 0, 0, 0, 0 },
			{ BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem },
			{ BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, 0 },
			{ BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1 },
			{ BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0, BPF_ADD },
			{ BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0 },
			{ BPF_JMP | BPF_EXIT, 0, 0, 0, 0 },
		};

		memset(&attr, 0, sizeof(attr));
		attr.prog_type = BPF_PROG_TYPE_KPROBE;
		attr.insns = (uint64_t)(uintptr_t)insns;
		attr.insn_cnt = sizeof(insns) / sizeof(insns[0]);
		attr.license = (uint64_t)(uintptr_t)"GPL";
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = sizeof(log);
		attr.log_level = 1;
		prog_fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
		if (prog_fd < 0) {
			int err = -errno;

			fprintf(stderr, "hook bench: kernel refused the program: %s\n", log);
			close(map_fd);
			return err;
		}
	}
	dl_iterate_phdr(exe_offset_cb, io);
	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.type = 8; /* read below from sysfs when possible */
	{
		FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
		int t;

		if (f && fscanf(f, "%d", &t) == 1)
			pa.type = (uint32_t)t;
		if (f)
			fclose(f);
	}
	pa.config = retprobe ? 1 : 0;
	pa.config1 = (uint64_t)(uintptr_t)"/proc/self/exe";
	pa.config2 = io[1];
	pa.sample_period = 1;
	pfd = (int)syscall(__NR_perf_event_open, &pa, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0 || ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) ||
	    ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0)) {
		int err = -errno;

		if (pfd >= 0)
			close(pfd);
		close(prog_fd);
		close(map_fd);
		return err;
	}
	*map_fd_out = map_fd;
	*prog_fd_out = prog_fd;
	return pfd;
}

static uint64_t linux_count(int map_fd)
{
	union bpf_attr attr;
	uint32_t key = 0;
	uint64_t v = 0;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)map_fd;
	attr.key = (uint64_t)(uintptr_t)&key;
	attr.value = (uint64_t)(uintptr_t)&v;
	sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr);
	return v;
}

static void linux_rows(double base)
{
	long n = iters / 100 > 20000 ? iters / 100 : 20000;

	for (int ret = 0; ret < 2; ret++) {
		int map_fd, prog_fd, pfd = linux_probe(ret, &map_fd, &prog_fd);
		double ns;

		if (pfd < 0) {
			printf("  Linux %-46s skipped: %s\n",
			       ret ? "uretprobe + BPF" : "uprobe + BPF", strerror(-pfd));
			continue;
		}
		ns = measure(n, 0);
		row(ret ? "Linux uretprobe + BPF (array map ++)"
			: "Linux uprobe + BPF (array map ++)", ns, base);
		if (linux_count(map_fd) < (uint64_t)n * 5)
			printf("  (Linux counted %llu of %ld calls)\n",
			       (unsigned long long)linux_count(map_fd), n * 5);
		close(pfd);
		close(prog_fd);
		close(map_fd);
	}
}

/* ---- userbpf ------------------------------------------------------------------------------ */

static struct userbpf_prog *load(struct userbpf_env *env, const char *text)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o), .flags = USERBPF_PROG_F_TRUSTED };
	struct userbpf_insn *insns;
	struct userbpf_prog *p;
	size_t cnt;

	if (userbpf_asm(env, text, USERBPF_SYNTAX_LLVM, &insns, &cnt))
		return NULL;
	p = userbpf_prog_load(env, insns, cnt, &o);
	userbpf_insns_free(insns);
	return p;
}

static void log_fn(void *u, int level, const char *msg)
{
	(void)u, (void)level;
	fprintf(stderr, "userbpf: %s\n", msg);
}

int main(int argc, char **argv)
{
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = log_fn };
	struct userbpf_env *env;
	struct userbpf_prog *p_cnt, *p_ctx;
	struct userbpf_tramp_opts o = { .sz = sizeof(o) };
	struct userbpf_link *l1, *l2;
	char text[256];
	double base, ns;

	if (argc > 1)
		iters = atol(argv[1]);
	env = userbpf_env_new(&eo);
	/* The counter program: one atomic add to a counter (a global; maps are not used yet). */
	snprintf(text, sizeof(text), "r2 = %llu ll\n r3 = 1\n lock *(u64 *)(r2 + 0) += r3\n"
		 "r0 = 0\n exit\n", (unsigned long long)(uintptr_t)&counter);
	p_cnt = load(env, text);
	p_ctx = load(env, "r2 = *(u64 *)(r1 + 0)\n r2 += 1\n *(u64 *)(r1 + 0) = r2\n r0 = 0\n"
		     "exit\n");
	if (!env || !p_cnt || !p_ctx) {
		fprintf(stderr, "hook bench: cannot load the programs\n");
		return 1;
	}
	printf("hook bench: %ld calls per round, best of 5 (engine: %s)\n", iters,
	       userbpf_prog_engine(p_cnt) == USERBPF_ENGINE_JIT ? "JIT" : "interpreter");
	base = measure(iters, 0);
	row("direct call", base, base);
	{
		double t0 = now();

		for (long i = 0; i < iters; i++)
			__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
		printf("  (for scale: one atomic add costs %.2f ns here)\n", (now() - t0) / iters);
	}

	ns = measure(iters, 1);
	row("empty host hook point + call", ns, base);
	l1 = userbpf_hook_point_attach(&b_point, p_ctx);
	ns = measure(iters, 1);
	row("host hook point, 1 program (ctx counter) + call", ns, base);
	userbpf_link_free(l1);

	counter = 0;
	l1 = userbpf_tramp_attach_addr(p_cnt, (void *)b_target, &o);
	if (!l1)
		return 1;
	ns = measure(iters, 0);
	row("entry trampoline, pt_regs (counter ++)", ns, base);
	printf("  (program ran %llu times for %ld calls)\n", (unsigned long long)counter,
	       iters * 5);
	userbpf_link_free(l1);

	l1 = userbpf_tramp_attach_addr(p_ctx, (void *)b_target, &o);
	ns = measure(iters, 0);
	row("entry trampoline, pt_regs (ctx slot ++, no atomic)", ns, base);
	userbpf_link_free(l1);

	o.ctx = USERBPF_TRAMP_CTX_ARGS;
	o.nr_args = 2;
	l1 = userbpf_tramp_attach_addr(p_cnt, (void *)b_target, &o);
	ns = measure(iters, 0);
	row("entry trampoline, args (counter ++)", ns, base);
	userbpf_link_free(l1);

	o.kind = USERBPF_TRAMP_RETURN;
	l1 = userbpf_tramp_attach_addr(p_cnt, (void *)b_target, &o);
	ns = measure(iters, 0);
	row("return trampoline (counter ++)", ns, base);
	o.kind = USERBPF_TRAMP_ENTRY;
	l2 = userbpf_tramp_attach_addr(p_cnt, (void *)b_target, &o);
	ns = measure(iters, 0);
	row("entry + return trampolines (counter ++ twice)", ns, base);
	userbpf_link_free(l1);
	userbpf_link_free(l2);

	userbpf_env_enable_stats(env, 1);
	l1 = userbpf_tramp_attach_addr(p_cnt, (void *)b_target, &o);
	ns = measure(iters / 4, 0);
	row("entry trampoline with stats on", ns, base);
	userbpf_link_free(l1);
	userbpf_env_enable_stats(env, 0);

	linux_rows(base);
	userbpf_env_free(env);
	return 0;
}
