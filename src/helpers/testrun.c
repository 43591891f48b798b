/* SPDX-License-Identifier: Apache-2.0 */
/*
 * testrun.c: userbpf_prog_test_run(), Linux's BPF_PROG_TEST_RUN for user space: builds the
 * context a program type expects around a copy of the caller's data, runs the program, and
 * copies the packet and context back.
 *
 * Buffers follow Linux's test runs so that helpers succeed and fail at the same places: an
 * XDP frame is one 4096-byte page with 256 bytes of headroom before the packet and 320 bytes
 * of skb_shared_info tailroom at its end (xdp_adjust_tail may grow into the rest); the packet
 * may hold 4096 - 256 - 320 bytes.
 *
 * Verified programs see their context through the loads the verifier rewrote (progtypes.def)
 * and get struct ub_xdp_buff / struct ub_skb. Unverified programs were not rewritten: they get
 * Linux's own struct xdp_md / struct __sk_buff, whose 32-bit data pointers are valid because
 * the frame is mapped in the low 2 GB (MAP_32BIT).
 */
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "helpers/helpers.h"
#include "helpers/progtypes.h"
#include "interp/interp.h"

#define FRAME 4096u
#define XDP_MAX_PKT (FRAME - UB_XDP_HEADROOM - UB_XDP_TAILROOM)
#define SKB_HEADROOM 66u /* NET_SKB_PAD + NET_IP_ALIGN */
#define SKB_MAX_PKT (FRAME - SKB_HEADROOM - UB_XDP_TAILROOM)
#define ETH_HLEN 14

/*
 * One frame per thread, mapped once in the low 2 GB and reused by every test run of the
 * thread (mapping and faulting in a fresh page costs more than most programs' runs); it is
 * unmapped when the thread exits. Runs zero what the packet does not overwrite.
 */
static pthread_key_t frame_key;
static pthread_once_t frame_once = PTHREAD_ONCE_INIT;
static __thread uint8_t *frame_cache;

static void frame_release(void *p)
{
	munmap(p, FRAME);
}

static void frame_key_init(void)
{
	pthread_key_create(&frame_key, frame_release);
}

static uint8_t *frame_get(void)
{
	uint8_t *f = frame_cache;

	if (!f) {
		f = mmap(NULL, FRAME, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (f == MAP_FAILED)
			return NULL;
		pthread_once(&frame_once, frame_key_init);
		pthread_setspecific(frame_key, f);
		frame_cache = f;
	}
	memset(f, 0, FRAME);
	return f;
}

/*
 * The clock of a test run. Repeated runs use the thread's CPU time, so time spent descheduled
 * is excluded as Linux's test runs exclude it; that clock is a syscall, so a single run (a
 * packet loop calling once per packet) uses the vDSO's monotonic clock instead.
 */
static uint64_t now_ns(int repeat)
{
	struct timespec ts;

	clock_gettime(repeat > 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One run with the helpers' view set up (what userbpf_prog_run does, plus the xdp buffer). */
static int run_once(struct userbpf_prog *prog, void *ctx, size_t len, struct ub_xdp_buff *xdp,
		    uint8_t *frame, uint64_t *r0)
{
	struct ub_run_ctx run;
	int err = 0;

	ub_run_enter(&run, prog, ctx);
	run.xdp = xdp;
	run.extra_lo = (uint64_t)(uintptr_t)frame;
	run.extra_len = frame ? FRAME : 0;
	if (prog->jit_fn)
		*r0 = prog->jit_fn(ctx, len);
	else
		err = ub_interp_run(prog, ctx, len, r0);
	ub_run_exit(&run);
	return err;
}

static int verified(const struct userbpf_prog *prog)
{
	return !(prog->flags & USERBPF_PROG_F_UNVERIFIED);
}

static int copy_out(struct userbpf_test_run_opts *o, const uint8_t *data, uint32_t len)
{
	int err = 0;
	uint32_t n = len;

	if (o->data_out) {
		if (n > o->data_size_out) {
			n = o->data_size_out;
			err = -ENOSPC;
		}
		memcpy(o->data_out, data, n);
	}
	o->data_size_out = len;
	return err;
}

static int repeat_run(struct userbpf_prog *prog, struct userbpf_test_run_opts *o, void *ctx,
		      size_t len, struct ub_xdp_buff *xdp, uint8_t *frame,
		      void (*sync)(void *ctx, struct ub_xdp_buff *x))
{
	int repeat = o->repeat > 0 ? o->repeat : 1, err = 0;
	uint64_t r0 = 0, t0 = now_ns(repeat);

	for (int i = 0; i < repeat && !err; i++) {
		err = run_once(prog, ctx, len, xdp, frame, &r0);
		if (sync)
			sync(ctx, xdp);
	}
	o->duration = (uint32_t)((now_ns(repeat) - t0) / (uint64_t)repeat);
	o->retval = (uint32_t)r0;
	o->retval64 = r0;
	return err;
}

/* ---- xdp -------------------------------------------------------------------------------- */

/* Unverified run: keep Linux's struct xdp_md (32-bit pointers) in step with the buffer. */
static void xdp_md_sync(void *ctx, struct ub_xdp_buff *x)
{
	struct xdp_md *md = ctx;

	if ((void *)md == (void *)x)
		return;
	md->data = (uint32_t)(uintptr_t)x->data;
	md->data_end = (uint32_t)(uintptr_t)x->data_end;
	md->data_meta = (uint32_t)(uintptr_t)x->data_meta;
}

static int run_xdp(struct userbpf_prog *prog, struct userbpf_test_run_opts *o)
{
	struct ub_xdp_buff x = {0};
	struct xdp_md in = {0}, md;
	uint32_t meta = 0;
	uint8_t *frame;
	int err;

	if (o->data_size_in < ETH_HLEN || o->data_size_in > XDP_MAX_PKT) {
		ub_err(&prog->env->log, "%s: xdp test run needs %u..%u bytes of packet, got %u",
		       prog->name, ETH_HLEN, XDP_MAX_PKT, o->data_size_in);
		return -EINVAL;
	}
	if (o->ctx_in) {
		if (o->ctx_size_in != sizeof(in)) {
			ub_err(&prog->env->log, "%s: ctx_in must be a struct xdp_md (%zu bytes)",
			       prog->name, sizeof(in));
			return -EINVAL;
		}
		memcpy(&in, o->ctx_in, sizeof(in));
		/* Linux: data_meta 0, data = metadata length, data_end = packet size. */
		if (in.data_meta || in.data_end != o->data_size_in || in.data > in.data_end ||
		    (in.data & 3) || in.data > 32 || in.egress_ifindex) {
			ub_err(&prog->env->log,
			       "%s: ctx_in xdp_md fields Linux refuses (data_meta "
			       "0, data = metadata length <= 32, data_end = data_size_in, "
			       "egress_ifindex 0)",
			       prog->name);
			return -EINVAL;
		}
		meta = in.data;
	}
	frame = frame_get();
	if (!frame)
		return -ENOMEM;
	memcpy(frame + UB_XDP_HEADROOM, o->data_in, o->data_size_in);
	x.data_hard_start = frame;
	x.data_meta = frame + UB_XDP_HEADROOM;
	x.data = x.data_meta + meta;
	x.data_end = frame + UB_XDP_HEADROOM + o->data_size_in;
	x.frame_end = frame + FRAME - UB_XDP_TAILROOM;
	x.ingress_ifindex = in.ingress_ifindex;
	x.rx_queue_index = in.rx_queue_index;
	if (verified(prog)) {
		err = repeat_run(prog, o, &x, sizeof(x), &x, frame, NULL);
	} else {
		md = in;
		md.ingress_ifindex = in.ingress_ifindex;
		xdp_md_sync(&md, &x);
		err = repeat_run(prog, o, &md, sizeof(md), &x, frame, xdp_md_sync);
	}
	if (!err) {
		/* Like Linux, the output starts at the metadata. */
		err = copy_out(o, x.data_meta, (uint32_t)(x.data_end - x.data_meta));
		if (o->ctx_out && o->ctx_size_out >= sizeof(struct xdp_md)) {
			struct xdp_md out = in;

			out.data = (uint32_t)(x.data - x.data_meta);
			out.data_meta = 0;
			out.data_end = (uint32_t)(x.data_end - x.data_meta);
			memcpy(o->ctx_out, &out, sizeof(out));
			o->ctx_size_out = sizeof(out);
		}
	}
	return err;
}

/* ---- skb (socket_filter, sched_cls, sched_act) ------------------------------------------ */

/* What eth_type_trans() would set on the loopback device (address 00:00:00:00:00:00). */
static void eth_classify(struct ub_skb *s, const uint8_t *eth)
{
	static const uint8_t zero[6], bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint16_t proto = (uint16_t)(eth[12] << 8 | eth[13]);

	if (eth[0] & 1)
		s->pkt_type = memcmp(eth, bcast, 6) ? 2 : 1; /* PACKET_MULTICAST / BROADCAST */
	else
		s->pkt_type = memcmp(eth, zero, 6) ? 3 : 0; /* PACKET_OTHERHOST / HOST */
	if (proto < 0x600)
		proto = 0x0004; /* ETH_P_802_2 (length field) */
	s->protocol = (uint32_t)((proto >> 8) | (proto & 0xff) << 8); /* network order */
}

static void skb_to_user(const struct ub_skb *s, struct __sk_buff *u)
{
	memset(u, 0, sizeof(*u));
	u->len = s->len;
	u->pkt_type = s->pkt_type;
	u->mark = s->mark;
	u->queue_mapping = s->queue_mapping;
	u->protocol = s->protocol;
	u->vlan_present = s->vlan_present;
	u->vlan_tci = s->vlan_tci;
	u->vlan_proto = s->vlan_proto;
	u->priority = s->priority;
	u->ingress_ifindex = s->ingress_ifindex;
	u->ifindex = s->ifindex;
	u->tc_index = s->tc_index;
	memcpy(u->cb, s->cb, sizeof(u->cb));
	u->hash = s->hash;
	u->tc_classid = s->tc_classid;
	u->data = (uint32_t)(uintptr_t)s->data;
	u->data_end = (uint32_t)(uintptr_t)s->data_end;
	u->napi_id = s->napi_id;
	u->data_meta = (uint32_t)(uintptr_t)s->data_meta;
	u->tstamp = s->tstamp;
	u->wire_len = s->wire_len;
	u->gso_segs = s->gso_segs;
	u->gso_size = s->gso_size;
}

static void skb_from_user(struct ub_skb *s, const struct __sk_buff *u)
{
	s->mark = u->mark;
	s->priority = u->priority;
	s->tc_index = u->tc_index;
	memcpy(s->cb, u->cb, sizeof(s->cb));
	s->tc_classid = u->tc_classid;
	s->tstamp = u->tstamp;
}

static int run_skb(struct userbpf_prog *prog, struct userbpf_test_run_opts *o)
{
	int l2 = prog->type != USERBPF_PROG_TYPE_SOCKET_FILTER;
	struct __sk_buff uctx = {0}, raw;
	struct ub_skb s = {0};
	uint8_t *frame, *mac;
	int err;

	if (o->data_size_in < ETH_HLEN || o->data_size_in > SKB_MAX_PKT) {
		ub_err(&prog->env->log, "%s: skb test run needs %u..%u bytes of packet, got %u",
		       prog->name, ETH_HLEN, SKB_MAX_PKT, o->data_size_in);
		return -EINVAL;
	}
	if (o->ctx_in) {
		if (o->ctx_size_in != sizeof(uctx)) {
			ub_err(&prog->env->log, "%s: ctx_in must be a struct __sk_buff (%zu bytes)",
			       prog->name, sizeof(uctx));
			return -EINVAL;
		}
		memcpy(&uctx, o->ctx_in, sizeof(uctx));
	}
	frame = frame_get();
	if (!frame)
		return -ENOMEM;
	mac = frame + SKB_HEADROOM;
	memcpy(mac, o->data_in, o->data_size_in);
	eth_classify(&s, mac);
	/* Socket filters see the packet from the network header (eth_type_trans pulled it). */
	s.data = l2 ? mac : mac + ETH_HLEN;
	s.data_end = mac + o->data_size_in;
	s.data_meta = s.data;
	s.len = (uint32_t)(s.data_end - s.data);
	/* A truncated capture: wire_len says how long the packet really was (userbpf). */
	if (uctx.wire_len > o->data_size_in)
		s.len += uctx.wire_len - o->data_size_in;
	s.wire_len = uctx.wire_len ? uctx.wire_len : o->data_size_in;
	s.ifindex = 1; /* the loopback device of Linux's test runs */
	s.gso_segs = 1;
	skb_from_user(&s, &uctx);
	if (verified(prog)) {
		err = repeat_run(prog, o, &s, sizeof(s), NULL, frame, NULL);
	} else {
		skb_to_user(&s, &raw);
		err = repeat_run(prog, o, &raw, sizeof(raw), NULL, frame, NULL);
		skb_from_user(&s, &raw);
	}
	if (!err) {
		err = copy_out(o, mac, o->data_size_in);
		if (o->ctx_out && o->ctx_size_out >= sizeof(struct __sk_buff)) {
			struct __sk_buff out;

			skb_to_user(&s, &out);
			out.data = out.data_end = out.data_meta = 0;
			memcpy(o->ctx_out, &out, sizeof(out));
			o->ctx_size_out = sizeof(out);
		}
	}
	return err;
}

/* ---- syscall and raw memory ---------------------------------------------------------------- */

static int run_syscall(struct userbpf_prog *prog, struct userbpf_test_run_opts *o)
{
	void *ctx = NULL;
	int err;

	if (o->data_in || o->data_out) {
		ub_err(&prog->env->log, "%s: syscall programs take ctx_in, not data_in/data_out",
		       prog->name);
		return -EINVAL;
	}
	if (o->ctx_size_in > 65535 || (o->ctx_size_in && !o->ctx_in))
		return -EINVAL;
	if (o->ctx_size_in) {
		ctx = malloc(o->ctx_size_in);
		if (!ctx)
			return -ENOMEM;
		memcpy(ctx, o->ctx_in, o->ctx_size_in);
	}
	err = repeat_run(prog, o, ctx, o->ctx_size_in, NULL, NULL, NULL);
	if (!err && o->ctx_out) {
		uint32_t n = o->ctx_size_in < o->ctx_size_out ? o->ctx_size_in : o->ctx_size_out;

		memcpy(o->ctx_out, ctx, n);
		if (n < o->ctx_size_in)
			err = -ENOSPC;
		o->ctx_size_out = o->ctx_size_in;
	}
	free(ctx);
	return err;
}

static int run_mem(struct userbpf_prog *prog, struct userbpf_test_run_opts *o)
{
	uint8_t *mem = NULL;
	int err;

	if (o->data_size_in) {
		mem = malloc(o->data_size_in);
		if (!mem)
			return -ENOMEM;
		memcpy(mem, o->data_in, o->data_size_in);
	}
	err = repeat_run(prog, o, mem, o->data_size_in, NULL, NULL, NULL);
	if (!err)
		err = copy_out(o, mem ? mem : (uint8_t *)"", o->data_size_in);
	free(mem);
	return err;
}

USERBPF_API int userbpf_prog_test_run(struct userbpf_prog *prog, struct userbpf_test_run_opts *opts)
{
	if (!prog || !opts || opts->sz < offsetof(struct userbpf_test_run_opts, retval64))
		return -EINVAL;
	if ((opts->data_size_in && !opts->data_in) || opts->repeat < 0)
		return -EINVAL;
	switch (prog->type) {
	case USERBPF_PROG_TYPE_XDP:
		return run_xdp(prog, opts);
	case USERBPF_PROG_TYPE_SOCKET_FILTER:
	case USERBPF_PROG_TYPE_SCHED_CLS:
	case USERBPF_PROG_TYPE_SCHED_ACT:
		return run_skb(prog, opts);
	case USERBPF_PROG_TYPE_SYSCALL:
		return run_syscall(prog, opts);
	case USERBPF_PROG_TYPE_UNSPEC:
		return run_mem(prog, opts);
	default:
		ub_err(&prog->env->log, "%s: program type %u has no test run", prog->name,
		       prog->type);
		return -ENOTSUP;
	}
}
