/* SPDX-License-Identifier: Apache-2.0 */
/*
 * helpers.c: implementations of the built-in helpers (Linux semantics), the helper table
 * built from helpers.def, and the per-thread current run.
 */
#include <ctype.h>
#include <errno.h>
#include <execinfo.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "helpers/format.h"
#include "helpers/helpers.h"
#include "helpers/probe.h"
#include "helpers/progtypes.h"
#include "maps/map.h"

#define H(name)                                                                                    \
	static uint64_t ub_h_##name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
#define PTR(x) ((void *)(uintptr_t)(x))
#define RET(x) ((uint64_t)(int64_t)(x))

__thread struct ub_run_ctx *ub_run_current;

void ub_run_enter(struct ub_run_ctx *run, const struct userbpf_prog *prog, void *ctx)
{
	memset(run, 0, sizeof(*run));
	run->prog = prog;
	run->ctx = ctx;
	run->prev = ub_run_current;
	ub_run_current = run;
	ub_epoch_enter();
}

void ub_run_exit(struct ub_run_ctx *run)
{
	ub_epoch_exit();
	ub_run_current = run->prev;
}

const struct userbpf_prog *ub_tail_call_target(struct ub_run_ctx *run, struct userbpf_map *map,
					       uint64_t index)
{
	const struct userbpf_prog *p;

	if (!run || run->tail_calls >= UB_MAX_TAIL_CALLS || index > UINT32_MAX)
		return NULL;
	p = ub_prog_array_get(map, index);
	if (!p)
		return NULL;
	run->tail_calls++;
	return p;
}

/* ---- maps ------------------------------------------------------------------------------ */

H(map_lookup_elem)
{
	return (uint64_t)(uintptr_t)ub_map_lookup_elem(PTR(r1), PTR(r2));
}

H(map_update_elem)
{
	return RET(ub_map_update_elem(PTR(r1), PTR(r2), PTR(r3), r4));
}

H(map_delete_elem)
{
	return RET(ub_map_delete_elem(PTR(r1), PTR(r2)));
}

H(map_push_elem)
{
	struct userbpf_map *m = PTR(r1);

	return RET(m->ops->push ? m->ops->push(m, PTR(r2), r3) : -EINVAL);
}

H(map_pop_elem)
{
	struct userbpf_map *m = PTR(r1);

	return RET(m->ops->pop ? m->ops->pop(m, PTR(r2)) : -EINVAL);
}

H(map_peek_elem)
{
	struct userbpf_map *m = PTR(r1);

	return RET(m->ops->peek ? m->ops->peek(m, PTR(r2)) : -EINVAL);
}

struct each_ctx {
	struct ub_run_ctx *run;
	uint64_t fn, ctx;
};

static long each_cb(struct userbpf_map *map, void *key, void *value, void *c)
{
	struct each_ctx *e = c;

	return (long)e->run->callback(e->run, e->fn, (uint64_t)(uintptr_t)map,
				      (uint64_t)(uintptr_t)key, (uint64_t)(uintptr_t)value, e->ctx,
				      0);
}

H(for_each_map_elem)
{
	struct userbpf_map *m = PTR(r1);
	struct ub_run_ctx *run = ub_run_current;
	struct each_ctx e = {run, r2, r3};

	if (r4)
		return RET(-EINVAL);
	if (!run || !run->callback || !m->ops->for_each)
		return RET(-ENOTSUP);
	return RET(m->ops->for_each(m, each_cb, &e));
}

H(loop)
{
	struct ub_run_ctx *run = ub_run_current;
	uint64_t i;

	if (r4)
		return RET(-EINVAL);
	if (r1 > (1u << 23))
		return RET(-E2BIG);
	if (!run || !run->callback)
		return RET(-ENOTSUP);
	for (i = 0; i < r1;) {
		uint64_t ret = run->callback(run, r2, i, r3, 0, 0, 0);

		i++;
		if (ret)
			break;
	}
	return i;
}

H(tail_call)
{
	struct ub_run_ctx *run = ub_run_current;

	if (run)
		run->tail_target = ub_tail_call_target(run, PTR(r2), r3);
	return 0;
}

/* ---- time, CPU, randomness ------------------------------------------------------------- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

H(ktime_get_ns)
{
	return clock_ns(CLOCK_MONOTONIC);
}

H(ktime_get_boot_ns)
{
	return clock_ns(CLOCK_BOOTTIME);
}

H(ktime_get_coarse_ns)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

/* Jiffies at 1000 Hz from the coarse monotonic clock (the kernel's HZ is not visible here). */
H(jiffies64)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE) / 1000000ull;
}

/* xorshift64* per thread, seeded from the clock and the thread's address on first use. */
H(get_prandom_u32)
{
	static __thread uint64_t state;

	if (!state)
		state = (clock_ns(CLOCK_MONOTONIC) ^ (uint64_t)(uintptr_t)&state) | 1;
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (uint32_t)((state * 0x2545f4914f6cdd1dull) >> 32);
}

H(get_smp_processor_id)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : (uint64_t)cpu;
}

H(get_numa_node_id)
{
	unsigned cpu, node = 0;

	if (getcpu(&cpu, &node))
		node = 0;
	return node;
}

/* ---- current task ---------------------------------------------------------------------- */

/* pid and tid are cached per thread; the cache is keyed by the pid, so a fork refreshes it. */
H(get_current_pid_tgid)
{
	static __thread uint32_t tid, pid_seen;
	uint32_t pid = (uint32_t)getpid();

	if (!tid || pid != pid_seen) {
		tid = (uint32_t)syscall(SYS_gettid);
		pid_seen = pid;
	}
	return (uint64_t)pid << 32 | tid;
}

H(get_current_uid_gid)
{
	return (uint64_t)getgid() << 32 | getuid();
}

H(get_current_comm)
{
	char comm[17] = {0};
	char *buf = PTR(r1);

	if (!r2)
		return RET(-EINVAL);
	prctl(PR_GET_NAME, comm);
	memset(buf, 0, r2);
	strncpy(buf, comm, r2 - 1);
	return 0;
}

H(probe_read_user)
{
	return RET(ub_probe_read(PTR(r1), PTR(r3), r2));
}

H(probe_read_user_str)
{
	return RET(ub_probe_read_str(PTR(r1), PTR(r3), r2));
}

#define BPF_F_SKIP_FIELD_MASK 0xffull
#define BPF_F_USER_STACK (1ull << 8)
#define BPF_F_USER_BUILD_ID (1ull << 11)

/* The user stack of the calling thread: return addresses, innermost first. */
H(get_stack)
{
	void *frames[128];
	uint64_t skip = (r4 & BPF_F_SKIP_FIELD_MASK) + 1; /* + this helper's own frame */
	uint64_t *buf = PTR(r2);
	int n;
	uint64_t k = 0;

	if ((r4 & ~(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK)) || !(r4 & BPF_F_USER_STACK) ||
	    (r3 & 7))
		return RET(-EINVAL); /* kernel stacks and build ids do not exist here */
	n = backtrace(frames, 128);
	for (int i = (int)skip; i < n && (k + 1) * 8 <= r3; i++)
		buf[k++] = (uint64_t)(uintptr_t)frames[i];
	if (k * 8 < r3)
		memset((uint8_t *)buf + k * 8, 0, r3 - k * 8);
	return k * 8;
}

H(get_func_ip)
{
	return ub_run_current ? ub_run_current->func_ip : 0;
}

H(get_attach_cookie)
{
	return ub_run_current ? ub_run_current->attach_cookie : 0;
}

/* ---- output ------------------------------------------------------------------------------ */

static void deliver(const char *msg)
{
	struct ub_run_ctx *run = ub_run_current;

	if (run && run->prog)
		ub_log(&run->prog->env->log, USERBPF_LOG_INFO, "%s", msg);
}

static uint64_t printk_common(const char *fmt, uint64_t fmt_size, const uint64_t *args,
			      uint32_t nargs)
{
	char buf[1024];
	long n = ub_bpf_format(buf, sizeof(buf), fmt, fmt_size, args, nargs);
	size_t len;

	if (n < 0)
		return RET(n);
	len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = 0;
	deliver(buf);
	return (uint64_t)(n - 1);
}

H(trace_printk)
{
	uint64_t args[3] = {r3, r4, r5};

	return printk_common(PTR(r1), r2, args, 3);
}

H(trace_vprintk)
{
	if ((r4 & 7) || r4 > 12 * 8 || (r4 && !r3))
		return RET(-EINVAL);
	return printk_common(PTR(r1), r2, PTR(r3), (uint32_t)(r4 / 8));
}

H(snprintf)
{
	long n;

	if ((r5 & 7) || r5 > 12 * 8 || (r5 && !r4) || (r2 && !r1))
		return RET(-EINVAL);
	n = ub_bpf_format(PTR(r1), r2, PTR(r3), 4096, PTR(r4), (uint32_t)(r5 / 8));
	return RET(n);
}

H(ringbuf_output)
{
	return RET(ub_ringbuf_output(PTR(r1), PTR(r2), r3, r4));
}

H(ringbuf_reserve)
{
	return (uint64_t)(uintptr_t)ub_ringbuf_reserve(PTR(r1), r2, r3);
}

H(ringbuf_submit)
{
	ub_ringbuf_commit(PTR(r1), r2, 0);
	return 0;
}

H(ringbuf_discard)
{
	ub_ringbuf_commit(PTR(r1), r2, 1);
	return 0;
}

H(ringbuf_query)
{
	return ub_ringbuf_query(PTR(r1), r2);
}

/*
 * perf_event_output: userbpf has no perf buffers; given a ringbuf map it writes the sample
 * there (so tools written for perf buffers work with a ringbuf), else -ENOTSUP.
 */
H(perf_event_output)
{
	struct userbpf_map *m = PTR(r2);

	if (m->type != USERBPF_MAP_TYPE_RINGBUF)
		return RET(-ENOTSUP);
	return RET(ub_ringbuf_output(m, PTR(r4), r5, 0));
}

/* ---- strings ------------------------------------------------------------------------------ */

H(strncmp)
{
	const unsigned char *a = PTR(r1), *b = PTR(r3);

	for (uint64_t i = 0; i < r2; i++) {
		if (a[i] != b[i])
			return RET(a[i] < b[i] ? -1 : 1);
		if (!a[i])
			break;
	}
	return 0;
}

/* Linux's __bpf_strtoull: whitespace, sign, radix prefix, digits; returns chars consumed. */
static long strtoull_common(const char *buf, uint64_t len, uint64_t flags, uint64_t *res, int *neg)
{
	unsigned base = flags & 0x1f;
	uint64_t i = 0, v = 0;
	long digits = 0;

	if (!len || (flags & ~0x1full) || (base && base != 8 && base != 10 && base != 16))
		return -EINVAL;
	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	*neg = i < len && buf[i] == '-';
	if (*neg)
		i++;
	if (i >= len)
		return -EINVAL;
	if (len - i > 63)
		len = i + 63;
	if (!base) {
		if (buf[i] == '0') {
			base = (i + 2 < len && tolower((unsigned char)buf[i + 1]) == 'x' &&
				isxdigit((unsigned char)buf[i + 2]))
				   ? 16
				   : 8;
		} else {
			base = 10;
		}
	}
	if (base == 16 && i + 1 < len && buf[i] == '0' && tolower((unsigned char)buf[i + 1]) == 'x')
		i += 2;
	for (; i < len && buf[i]; i++, digits++) {
		int c = tolower((unsigned char)buf[i]);
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			break;
		if (d >= base)
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (!digits)
		return -EINVAL;
	*res = v;
	return (long)i;
}

H(strtol)
{
	uint64_t v;
	int neg;
	long n = strtoull_common(PTR(r1), r2, r3, &v, &neg);

	if (n < 0)
		return RET(n);
	if (neg) {
		if (v > (uint64_t)LLONG_MAX + 1)
			return RET(-ERANGE);
		*(int64_t *)PTR(r4) = (int64_t)(0 - v);
	} else {
		if (v > (uint64_t)LLONG_MAX)
			return RET(-ERANGE);
		*(int64_t *)PTR(r4) = (int64_t)v;
	}
	return (uint64_t)n;
}

H(strtoul)
{
	uint64_t v;
	int neg;
	long n = strtoull_common(PTR(r1), r2, r3, &v, &neg);

	if (n < 0)
		return RET(n);
	if (neg)
		return RET(-EINVAL);
	*(uint64_t *)PTR(r4) = v;
	return (uint64_t)n;
}

/* ---- packets ----------------------------------------------------------------------------- */

/* Ones' complement sum of ~from and to as 32-bit words, folded to 32 bits (x86's csum). */
H(csum_diff)
{
	const uint8_t *from = PTR(r1), *to = PTR(r3);
	uint64_t sum = (uint32_t)r5;

	if (((r2 | r4) & 3) || r2 + r4 > 512)
		return RET(-EINVAL);
	for (uint64_t i = 0; i < r2; i += 4) {
		uint32_t w;

		memcpy(&w, from + i, 4);
		sum += (uint32_t)~w;
	}
	for (uint64_t i = 0; i < r4; i += 4) {
		uint32_t w;

		memcpy(&w, to + i, 4);
		sum += w;
	}
	while (sum >> 32)
		sum = (sum & 0xffffffffull) + (sum >> 32);
	return sum;
}

#define XDP_FRAME_SZ 40 /* sizeof(struct xdp_frame): Linux keeps it at the buffer start */
#define ETH_HLEN 14

static uint64_t metalen(const struct ub_xdp_buff *x)
{
	return x->data_meta < x->data ? (uint64_t)(x->data - x->data_meta) : 0;
}

/*
 * The buffer behind an xdp ctx: the ctx itself for verified programs (loads rewritten to
 * struct ub_xdp_buff), or the run's buffer when the program sees Linux's raw struct xdp_md
 * (unverified runs, testrun.c), whose 32-bit fields are refreshed after each adjustment.
 */
static struct ub_xdp_buff *xdp_of(uint64_t ctx)
{
	struct ub_run_ctx *run = ub_run_current;

	return run && run->xdp ? run->xdp : PTR(ctx);
}

static void xdp_sync_raw(uint64_t ctx, const struct ub_xdp_buff *x)
{
	uint32_t *md = PTR(ctx); /* struct xdp_md: data, data_end, data_meta */

	if ((const void *)md == (const void *)x)
		return;
	md[0] = (uint32_t)(uintptr_t)x->data;
	md[1] = (uint32_t)(uintptr_t)x->data_end;
	md[2] = (uint32_t)(uintptr_t)x->data_meta;
}

H(xdp_adjust_head)
{
	struct ub_xdp_buff *x = xdp_of(r1);
	int64_t off = (int32_t)r2;
	uint64_t ml = metalen(x);
	uint8_t *data = x->data + off;

	if (data < x->data_hard_start + XDP_FRAME_SZ + ml || data > x->data_end - ETH_HLEN)
		return RET(-EINVAL);
	if (ml)
		memmove(x->data_meta + off, x->data_meta, ml);
	x->data_meta += off;
	x->data = data;
	xdp_sync_raw(r1, x);
	return 0;
}

H(xdp_adjust_meta)
{
	struct ub_xdp_buff *x = xdp_of(r1);
	uint8_t *meta = x->data_meta + (int32_t)r2;
	uint64_t ml;

	if (meta < x->data_hard_start + XDP_FRAME_SZ || meta > x->data)
		return RET(-EINVAL);
	ml = (uint64_t)(x->data - meta);
	if ((ml & 3) || ml > 32)
		return RET(-EACCES);
	x->data_meta = meta;
	xdp_sync_raw(r1, x);
	return 0;
}

H(xdp_adjust_tail)
{
	struct ub_xdp_buff *x = xdp_of(r1);
	int64_t off = (int32_t)r2;
	uint8_t *end = x->data_end + off;

	if (end > x->frame_end || end < x->data + ETH_HLEN)
		return RET(-EINVAL);
	if (off > 0)
		memset(x->data_end, 0, (size_t)off);
	x->data_end = end;
	xdp_sync_raw(r1, x);
	return 0;
}

/* ---- the table ------------------------------------------------------------------------ */

static const struct ub_helper_proto protos[] = {
#define UB_HELPER(id, hname, impl, flags, groups, ret, a1, a2, a3, a4, a5)                         \
	{id,                                                                                       \
	 #hname,                                                                                   \
	 impl,                                                                                     \
	 UB_RET_##ret,                                                                             \
	 {UB_ARG_##a1, UB_ARG_##a2, UB_ARG_##a3, UB_ARG_##a4, UB_ARG_##a5},                        \
	 flags,                                                                                    \
	 groups},
#include "helpers/helpers.def"
#undef UB_HELPER
};

const struct ub_helper_proto *ub_helper_proto(uint32_t id)
{
	size_t lo = 0, hi = sizeof(protos) / sizeof(protos[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (protos[mid].id == id)
			return &protos[mid];
		if (protos[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct ub_helper_proto *ub_helper_proto_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(protos[i].name, name))
			return &protos[i];
	return NULL;
}

int ub_helper_nargs(const struct ub_helper_proto *p)
{
	int n = 0;

	while (n < 5 && p->args[n] != UB_ARG_NONE)
		n++;
	return n;
}

static const char *const arg_names[UB_ARG_KIND_COUNT] = {
    "ARG_NONE",
    "ARG_ANYTHING",
    "ARG_CONST_MAP_PTR",
    "ARG_PTR_TO_MAP_KEY",
    "ARG_PTR_TO_MAP_VALUE",
    "ARG_PTR_TO_UNINIT_MAP_VALUE",
    "ARG_PTR_TO_MEM",
    "ARG_PTR_TO_MEM_OR_NULL",
    "ARG_PTR_TO_RDWR_MEM_OR_NULL",
    "ARG_PTR_TO_UNINIT_MEM",
    "ARG_CONST_SIZE",
    "ARG_CONST_SIZE_OR_ZERO",
    "ARG_CONST_ALLOC_SIZE_OR_ZERO",
    "ARG_PTR_TO_CTX",
    "ARG_PTR_TO_FUNC",
    "ARG_PTR_TO_STACK_OR_NULL",
    "ARG_PTR_TO_CONST_STR",
    "ARG_PTR_TO_LONG",
    "ARG_PTR_TO_RINGBUF_MEM",
};

static const char *const ret_names[UB_RET_KIND_COUNT] = {
    "RET_INTEGER",
    "RET_VOID",
    "RET_PTR_TO_MAP_VALUE_OR_NULL",
    "RET_PTR_TO_RINGBUF_MEM_OR_NULL",
};

const char *ub_arg_kind_name(unsigned kind)
{
	return kind < UB_ARG_KIND_COUNT ? arg_names[kind] : "ARG_?";
}

const char *ub_ret_kind_name(unsigned kind)
{
	return kind < UB_RET_KIND_COUNT ? ret_names[kind] : "RET_?";
}

void ub_helpers_install(struct userbpf_env *env)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		env->helpers[protos[i].id] = (struct ub_helper){protos[i].fn, protos[i].name, 0};
}
