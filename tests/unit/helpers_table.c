/* SPDX-License-Identifier: Apache-2.0 */
/*
 * helpers_table.c: the helper and program-type tables against Linux's UAPI headers (ids,
 * struct layouts), and each built-in helper called directly with Linux's edge cases.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <userbpf/userbpf.h>

#include "helpers/format.h"
#include "helpers/helpers.h"
#include "helpers/probe.h"
#include "helpers/progtypes.h"
#include "maps/map.h"
#include "test.h"

static uint64_t call(uint32_t id, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	const struct ub_helper_proto *p = ub_helper_proto(id);

	return p ? p->fn(a, b, c, d, e) : (uint64_t)-999;
}

#define U(p) ((uint64_t)(uintptr_t)(p))

static void test_ids(void)
{
	static const struct {
		uint32_t linux_id;
		const char *name;
	} want[] = {
#define W(n) {BPF_FUNC_##n, #n}
	    W(map_lookup_elem),
	    W(map_update_elem),
	    W(map_delete_elem),
	    W(ktime_get_ns),
	    W(trace_printk),
	    W(get_prandom_u32),
	    W(get_smp_processor_id),
	    W(tail_call),
	    W(get_current_pid_tgid),
	    W(get_current_uid_gid),
	    W(get_current_comm),
	    W(perf_event_output),
	    W(csum_diff),
	    W(get_numa_node_id),
	    W(xdp_adjust_head),
	    W(xdp_adjust_meta),
	    W(xdp_adjust_tail),
	    W(get_stack),
	    W(map_push_elem),
	    W(map_pop_elem),
	    W(map_peek_elem),
	    W(strtol),
	    W(strtoul),
	    W(probe_read_user),
	    W(probe_read_user_str),
	    W(jiffies64),
	    W(ktime_get_boot_ns),
	    W(ringbuf_output),
	    W(ringbuf_reserve),
	    W(ringbuf_submit),
	    W(ringbuf_discard),
	    W(ringbuf_query),
	    W(ktime_get_coarse_ns),
	    W(for_each_map_elem),
	    W(snprintf),
	    W(get_func_ip),
	    W(get_attach_cookie),
	    W(trace_vprintk),
	    W(loop),
	    W(strncmp),
#undef W
	};
	int gpl = 0;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ub_helper_proto *p = ub_helper_proto(want[i].linux_id);

		CHECK(p && !strcmp(p->name, want[i].name), "helper %u is %s", want[i].linux_id,
		      want[i].name);
		if (p)
			gpl += !!(p->flags & UB_HF_GPL);
	}
	/* Linux's gpl_only helpers among these: trace_printk, perf_event_output, get_stack,
	 * probe_read_user, probe_read_user_str, snprintf, get_func_ip, trace_vprintk. */
	CHECK_EQ_U64(gpl, 8, "GPL-only count");
	CHECK(!(ub_helper_proto(BPF_FUNC_get_current_pid_tgid)->flags & UB_HF_GPL),
	      "get_current_pid_tgid is not GPL-only in Linux");
	CHECK(ub_helper_proto(BPF_FUNC_probe_read_user)->flags & UB_HF_GPL, "probe_read_user GPL");
	CHECK_EQ_U64(ub_helper_proto(1)->ret, UB_RET_PTR_TO_MAP_VALUE_OR_NULL, "lookup returns");
	CHECK_EQ_U64(ub_helper_proto(131)->ret, UB_RET_PTR_TO_RINGBUF_MEM_OR_NULL, "reserve");
	CHECK_EQ_U64(ub_helper_proto(132)->args[0], UB_ARG_PTR_TO_RINGBUF_MEM, "submit releases");
	CHECK_EQ_U64(ub_helper_nargs(ub_helper_proto(2)), 4, "update has 4 args");
	CHECK(!strcmp(ub_arg_kind_name(UB_ARG_PTR_TO_MAP_KEY), "ARG_PTR_TO_MAP_KEY"), "arg name");
	CHECK(ub_helper_proto(4) == NULL, "probe_read (4) is not built in");
	CHECK(ub_helper_proto_by_name("loop") == ub_helper_proto(181), "by name");
}

static void test_progtypes(void)
{
	const struct ub_prog_type_info *xdp = ub_prog_type(BPF_PROG_TYPE_XDP);
	const struct ub_prog_type_info *skb = ub_prog_type(BPF_PROG_TYPE_SCHED_CLS);
	const struct ub_ctx_field *f;
	size_t n;

	CHECK(xdp && !strcmp(xdp->name, "xdp"), "xdp type");
	CHECK_EQ_U64(xdp->ctx_size, sizeof(struct xdp_md), "xdp_md size");
	CHECK_EQ_U64(skb->ctx_size, sizeof(struct __sk_buff), "__sk_buff size");
	CHECK_EQ_U64(ub_prog_type(BPF_PROG_TYPE_KPROBE)->ctx_size, sizeof(struct ub_pt_regs),
		     "pt_regs size");
#define OFF(ctxp, field, member)                                                                   \
	do {                                                                                       \
		f = ub_ctx_field_find(ctxp, offsetof(member, field), 4);                           \
		CHECK(f && !strcmp(f->name, #field), "field %s at %zu", #field,                    \
		      offsetof(member, field));                                                    \
	} while (0)
	OFF(xdp, data, struct xdp_md);
	OFF(xdp, data_end, struct xdp_md);
	OFF(xdp, data_meta, struct xdp_md);
	OFF(xdp, ingress_ifindex, struct xdp_md);
	OFF(xdp, rx_queue_index, struct xdp_md);
	OFF(xdp, egress_ifindex, struct xdp_md);
	OFF(skb, len, struct __sk_buff);
	OFF(skb, mark, struct __sk_buff);
	OFF(skb, protocol, struct __sk_buff);
	OFF(skb, data, struct __sk_buff);
	OFF(skb, data_end, struct __sk_buff);
	OFF(skb, data_meta, struct __sk_buff);
	OFF(skb, hash, struct __sk_buff);
#undef OFF
	f = ub_ctx_field_find(xdp, 0, 4);
	CHECK(f && f->kind == UB_FK_PKT && f->real_size == 8 &&
		  f->real_off == offsetof(struct ub_xdp_buff, data),
	      "xdp data load rewrite");
	CHECK(ub_ctx_field_find(xdp, 0, 8) == NULL, "8-byte load of data refused");
	CHECK(ub_ctx_field_find(xdp, 0, 2) == NULL, "narrow load of a pointer refused");
	CHECK(ub_ctx_field_find(skb, 0, 1) != NULL, "narrow load of len allowed");
	CHECK(ub_ctx_field_find(xdp, 24, 4) == NULL, "past xdp_md");
	ub_ctx_fields(UB_CTX_ID_SKB, &n);
	CHECK(n >= 20, "skb fields (%zu)", n);
	CHECK(ub_prog_type_allows(xdp, ub_helper_proto(BPF_FUNC_xdp_adjust_head)), "xdp adjust");
	CHECK(!ub_prog_type_allows(skb, ub_helper_proto(BPF_FUNC_xdp_adjust_head)),
	      "tc may not adjust xdp");
	CHECK(!ub_prog_type_allows(xdp, ub_helper_proto(BPF_FUNC_probe_read_user)),
	      "xdp may not probe user memory");
	CHECK(ub_prog_type_allows(ub_prog_type(BPF_PROG_TYPE_KPROBE),
				  ub_helper_proto(BPF_FUNC_get_func_ip)),
	      "kprobe get_func_ip");
	CHECK(xdp->ret_min == 0 && xdp->ret_max == 4, "xdp returns XDP_ABORTED..XDP_REDIRECT");
	CHECK(ub_prog_type_by_name("syscall") == ub_prog_type(BPF_PROG_TYPE_SYSCALL), "by name");
	CHECK(ub_prog_type(9999) == NULL, "unknown type");
}

static char logged[256];

static void log_fn(void *u, int level, const char *msg)
{
	snprintf(logged, sizeof(logged), "%s", msg);
}

static void test_calls(void)
{
	struct userbpf_env_opts eo = {.sz = sizeof(eo), .log_fn = log_fn};
	struct userbpf_env *env = userbpf_env_new(&eo);
	struct userbpf_prog fake = {.env = env};
	struct ub_run_ctx run;
	char buf[64];
	int64_t lres;
	uint64_t ures, args[3];
	long n;

	/* time and ids */
	CHECK(call(5, 0, 0, 0, 0, 0) > 0, "ktime_get_ns");
	CHECK(call(125, 0, 0, 0, 0, 0) >= call(5, 0, 0, 0, 0, 0) - 1000000000000ull, "boot ns");
	CHECK_EQ_U64(call(14, 0, 0, 0, 0, 0) >> 32, (uint64_t)getpid(), "tgid in the high half");
	CHECK_EQ_U64((uint32_t)call(15, 0, 0, 0, 0, 0), getuid(), "uid in the low half");
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ_U64(call(16, U(buf), 16, 0, 0, 0), 0, "get_current_comm");
	CHECK(!strncmp(buf, "helpers_table", 15), "comm is the program name: %s", buf);

	/* strtol/strtoul (Linux's __bpf_strtoull) */
	CHECK_EQ_U64(call(105, U("  -42xyz"), 8, 0, U(&lres), 0), 5, "strtol consumed");
	CHECK_EQ_U64(lres, -42, "strtol value");
	CHECK_EQ_U64(call(106, U("0x1fZ"), 5, 0, U(&ures), 0), 4, "strtoul auto hex");
	CHECK_EQ_U64(ures, 0x1f, "hex value");
	CHECK_EQ_U64(call(106, U("017"), 3, 0, U(&ures), 0), 3, "auto octal");
	CHECK_EQ_U64(ures, 15, "octal value");
	CHECK_EQ_U64(call(106, U("-1"), 2, 10, U(&ures), 0), -EINVAL, "strtoul refuses '-'");
	CHECK_EQ_U64(call(105, U("abc"), 3, 10, U(&lres), 0), -EINVAL, "no digits");
	CHECK_EQ_U64(call(105, U("99999999999999999999"), 20, 10, U(&lres), 0), -ERANGE,
		     "overflow");
	CHECK_EQ_U64(call(105, U("12"), 2, 7, U(&lres), 0), -EINVAL, "base 7");
	CHECK_EQ_U64(call(182, U("abc"), 3, U("abd"), 0, 0), -1, "strncmp <");
	CHECK_EQ_U64(call(182, U("abc"), 3, U("abc"), 0, 0), 0, "strncmp =");

	/* formatting */
	args[0] = (uint64_t)-5;
	args[1] = U("str");
	args[2] = 0xabc;
	n = ub_bpf_format(buf, sizeof(buf), "%d %s %lx%%", 13, args, 3);
	CHECK(!strcmp(buf, "-5 str abc%"), "format: %s", buf);
	CHECK_EQ_U64(n, 12, "length with NUL");
	CHECK_EQ_U64(ub_bpf_format(buf, sizeof(buf), "%n", 3, args, 3), -EINVAL, "%%n refused");
	CHECK_EQ_U64(ub_bpf_format(buf, sizeof(buf), "%d", 2, args, 3), -EINVAL, "unterminated");
	CHECK_EQ_U64(ub_bpf_format(buf, sizeof(buf), "%d %d", 6, args, 1), -EINVAL, "too few");
	args[1] = 8; /* a bad pointer for %s */
	ub_bpf_format(buf, sizeof(buf), "%s", 3, &args[1], 1);
	CHECK(!strcmp(buf, "(fault)"), "%%s of a bad pointer: %s", buf);
	CHECK_EQ_U64(call(165, U(buf), 4, U("%d!"), U(args), 8), 4, "snprintf needs 4 incl NUL");
	CHECK(!strcmp(buf, "-5!"), "snprintf out");
	CHECK_EQ_U64(call(165, U(buf), 3, U("%d!"), U(args), 8), 4, "truncated: would need 4");
	CHECK(!strcmp(buf, "-5"), "truncated output NUL-terminated");
	ub_run_enter(&run, &fake, NULL);
	call(6, U("hello %d\n"), 10, 7, 0, 0);
	CHECK(!strcmp(logged, "hello 7"), "trace_printk reaches the env log: %s", logged);
	args[0] = 3;
	call(177, U("v=%u"), 5, U(args), 8, 0);
	CHECK(!strcmp(logged, "v=3"), "trace_vprintk: %s", logged);
	ub_run_exit(&run);

	/* probe reads: fault-safe, no crash */
	{
		uint64_t x = 0x1122334455667788ull, y = 1;
		char s[8];

		CHECK_EQ_U64(call(112, U(&y), 8, U(&x), 0, 0), 0, "probe_read_user");
		CHECK_EQ_U64(y, x, "copied");
		CHECK_EQ_U64(call(112, U(&y), 8, 16, 0, 0), -EFAULT, "null page");
		CHECK_EQ_U64(y, 0, "zeroed on fault");
		void *unmapped = (void *)(uintptr_t)0x7f0000000000ull; /* not mapped here */
		CHECK_EQ_U64(call(112, U(&y), 8, U(unmapped), 0, 0), -EFAULT, "unmapped faults");
		CHECK_EQ_U64(call(114, U(s), sizeof(s), U("abcdefghij"), 0, 0), 8, "str truncated");
		CHECK(!strcmp(s, "abcdefg"), "NUL-terminated");
		CHECK_EQ_U64(call(114, U(s), sizeof(s), U("ab"), 0, 0), 3, "short string");
		CHECK_EQ_U64(call(114, U(s), sizeof(s), U(unmapped), 0, 0), -EFAULT, "str fault");
	}

	/* csum_diff: ones' complement sum of 32-bit words */
	{
		uint32_t to[2] = {0x01020304, 0xffff0000};
		uint64_t c = call(28, 0, 0, U(to), 8, 0);

		CHECK_EQ_U64(c, 0x01020304ull + 0xffff0000ull - 0xffffffffull, "csum_diff of to");
		CHECK_EQ_U64(call(28, 0, 0, U(to), 6, 0), -EINVAL, "size not a multiple of 4");
	}

	/* xdp adjust helpers on a Linux-shaped buffer: 256 headroom, 60-byte packet */
	{
		static uint8_t frame[4096];
		struct ub_xdp_buff x = {.data_hard_start = frame,
					.data = frame + 256,
					.data_end = frame + 316,
					.data_meta = frame + 256,
					.frame_end = frame + 4096 - 320};

		CHECK_EQ_U64(call(44, U(&x), (uint64_t)-14, 0, 0, 0), 0, "push a header");
		CHECK(x.data == frame + 242, "data moved");
		CHECK_EQ_U64(call(44, U(&x), (uint64_t)-300, 0, 0, 0), -EINVAL, "beyond headroom");
		CHECK_EQ_U64(call(44, U(&x), 70, 0, 0, 0), -EINVAL, "less than ETH_HLEN left");
		CHECK_EQ_U64(call(54, U(&x), (uint64_t)-8, 0, 0, 0), 0, "8 bytes of metadata");
		CHECK_EQ_U64(call(54, U(&x), (uint64_t)-6, 0, 0, 0), -EACCES, "metadata % 4");
		CHECK_EQ_U64(call(54, U(&x), (uint64_t)-40, 0, 0, 0), -EACCES, "metadata > 32");
		CHECK_EQ_U64(call(65, U(&x), 10, 0, 0, 0), 0, "grow tail");
		CHECK(x.data_end == frame + 326, "tail grew");
		CHECK_EQ_U64(call(65, U(&x), 4000, 0, 0, 0), -EINVAL, "past tailroom");
		CHECK_EQ_U64(call(65, U(&x), (uint64_t)-80, 0, 0, 0), -EINVAL, "below ETH_HLEN");
	}

	/* maps through helpers */
	{
		struct userbpf_map_opts o = {.sz = sizeof(o),
					     .type = USERBPF_MAP_TYPE_QUEUE,
					     .value_size = 4,
					     .max_entries = 2};
		struct userbpf_map *q = userbpf_map_create(env, &o);
		uint32_t v = 9, out = 0;

		CHECK_EQ_U64(call(87, U(q), U(&v), 0, 0, 0), 0, "push");
		CHECK_EQ_U64(call(89, U(q), U(&out), 0, 0, 0), 0, "peek");
		CHECK_EQ_U64(out, 9, "peeked");
		CHECK_EQ_U64(call(88, U(q), U(&out), 0, 0, 0), 0, "pop");
		CHECK_EQ_U64(call(88, U(q), U(&out), 0, 0, 0), -ENOENT, "empty");
		o.type = USERBPF_MAP_TYPE_PROG_ARRAY;
		o.key_size = 4;
		o.max_entries = 4;
		struct userbpf_map *pa = userbpf_map_create(env, &o);
		struct ub_run_ctx r2;

		CHECK_EQ_U64(userbpf_prog_array_set(pa, 1, &fake), 0, "set slot");
		CHECK_EQ_U64(userbpf_prog_array_set(pa, 9, &fake), -E2BIG, "slot out of range");
		ub_run_enter(&r2, &fake, NULL);
		call(12, 0, U(pa), 1, 0, 0);
		CHECK(r2.tail_target == &fake, "tail_call found its target");
		call(12, 0, U(pa), 2, 0, 0);
		CHECK(r2.tail_target == NULL, "empty slot: no tail call");
		r2.tail_calls = 0;
		for (int i = 0; i < 40; i++)
			call(12, 0, U(pa), 1, 0, 0);
		CHECK_EQ_U64(r2.tail_calls, 33, "at most 33 tail calls per run");
		CHECK(r2.tail_target == NULL, "the 34th fails");
		ub_run_exit(&r2);
		CHECK(ub_run_current == NULL, "run unlinked");
		userbpf_map_free(pa);
		userbpf_map_free(q);
	}
	userbpf_env_free(env);
}

/* The public names of program types come from the same table, aliases included. */
static void test_progtype_names(void)
{
	uint32_t t = 99;

	CHECK(userbpf_prog_type_by_name("xdp", &t) == 0 && t == USERBPF_PROG_TYPE_XDP, "xdp");
	CHECK(userbpf_prog_type_by_name("tc", &t) == 0 && t == USERBPF_PROG_TYPE_SCHED_CLS,
	      "alias tc");
	CHECK(userbpf_prog_type_by_name("socket", &t) == 0 &&
	      t == USERBPF_PROG_TYPE_SOCKET_FILTER, "alias socket");
	CHECK(userbpf_prog_type_by_name("raw", &t) == 0 && t == USERBPF_PROG_TYPE_UNSPEC,
	      "alias raw");
	CHECK(userbpf_prog_type_by_name("nosuch", &t) == -ENOENT, "unknown name");
	CHECK(userbpf_prog_type_by_name("lsm", &t) == -ENOENT, "a Linux type userbpf does not run");
	CHECK(userbpf_prog_type_by_name(NULL, &t) == -ENOENT, "NULL name");
	CHECK(userbpf_prog_type_name(USERBPF_PROG_TYPE_XDP) &&
	      !strcmp(userbpf_prog_type_name(USERBPF_PROG_TYPE_XDP), "xdp"), "name of xdp");
	CHECK(userbpf_prog_type_name(USERBPF_PROG_TYPE_LSM) == NULL, "no name for lsm");
}

int main(void)
{
	test_progtype_names();
	test_ids();
	test_progtypes();
	test_calls();
	return ub_test_done("helpers_table");
}
