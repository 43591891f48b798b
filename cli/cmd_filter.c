/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_filter.c: `userbpf filter 'EXPR' --pcap IN.pcap`: compile a tcpdump expression with
 * libpcap, translate the classic program to eBPF as Linux does, verify and run it (JIT when
 * available) on every packet of the capture, and count matches next to libpcap's own
 * pcap_offline_filter() on the same packets.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: userbpf filter EXPR --pcap IN.pcap [--engine interp|jit] [--dump]\n"
	    "                     [--no-compare] [--json]\n"
	    "\n"
	    "Compile the tcpdump expression EXPR for IN.pcap's link type, translate the classic\n"
	    "BPF program to eBPF (as Linux translates socket filters), verify it and count the\n"
	    "packets it matches. Unless --no-compare, libpcap's pcap_offline_filter() runs on the\n"
	    "same packets and the two counts must agree.\n"
	    "  --dump    print the classic program and its eBPF translation\n"
	    "Exit status: 0 when the counts agree, 1 on errors or a disagreement, 2 on usage "
	    "errors.\n");
}

static int write_out(void *user, const char *text, size_t len)
{
	fwrite(text, 1, len, stdout);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int cmd_filter(int argc, char **argv)
{
	const char *expr = NULL, *in = NULL;
	int dump = 0, compare = 1, json = 0, rc = 0, r;
	enum userbpf_engine engine = USERBPF_ENGINE_DEFAULT;
	char errbuf[PCAP_ERRBUF_SIZE];
	uint64_t ours = 0, theirs = 0, total = 0, skipped = 0, differ = 0, run_ns = 0;
	struct userbpf_prog_opts po = {
	    .sz = sizeof(po), .name = "filter", .prog_type = USERBPF_PROG_TYPE_SCHED_CLS};
	struct userbpf_insn *insns = NULL;
	struct userbpf_prog *prog = NULL;
	struct userbpf_env *env = NULL;
	struct bpf_program bp = {0};
	struct pcap_pkthdr *h;
	const u_char *bytes;
	size_t cnt;
	pcap_t *pc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pcap") && i + 1 < argc) {
			in = argv[++i];
		} else if (!strcmp(argv[i], "--engine") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "interp")) {
				engine = USERBPF_ENGINE_INTERP;
			} else if (!strcmp(argv[i], "jit")) {
				engine = USERBPF_ENGINE_JIT;
			} else {
				usage(stderr);
				return 2;
			}
		} else if (!strcmp(argv[i], "--dump")) {
			dump = 1;
		} else if (!strcmp(argv[i], "--no-compare")) {
			compare = 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] != '-' && !expr) {
			expr = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!expr || !in) {
		usage(stderr);
		return 2;
	}
	pc = pcap_open_offline(in, errbuf);
	if (!pc) {
		cli_error("filter", "%s: %s", in, errbuf);
		return 1;
	}
	if (pcap_compile(pc, &bp, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		cli_error("filter", "'%s': %s", expr, pcap_geterr(pc));
		pcap_close(pc);
		return 1;
	}
	env = cli_env_new(USERBPF_LOG_WARN);
	if (!env) {
		rc = 1;
		goto out;
	}
	r = userbpf_cbpf_to_ebpf(env, (const struct userbpf_cbpf_insn *)bp.bf_insns, bp.bf_len,
				 USERBPF_CBPF_SOCKET, &insns, &cnt);
	if (r) {
		cli_error("filter", "'%s': cannot translate: %s", expr, strerror(-r));
		rc = 1;
		goto out;
	}
	if (dump) {
		printf("classic (%u instructions):\n", bp.bf_len);
		bpf_dump(&bp, 1);
		printf("eBPF (%zu instructions):\n", cnt);
		userbpf_disasm(insns, cnt, NULL, write_out, NULL);
	}
	po.engine = engine;
	prog = userbpf_prog_load(env, insns, cnt, &po);
	if (!prog) {
		cli_error("filter", "'%s': the translated program did not load: %s", expr,
			  strerror(errno));
		rc = 1;
		goto out;
	}
	while ((r = pcap_next_ex(pc, &h, &bytes)) == 1) {
		struct __attribute__((packed)) {
			uint8_t pad[160];
			uint32_t wire_len;
			uint8_t rest[28];
		} ctx;
		struct userbpf_test_run_opts o = {.sz = sizeof(o),
						  .data_in = bytes,
						  .data_size_in = h->caplen,
						  .ctx_in = &ctx,
						  .ctx_size_in = sizeof(ctx)};
		uint64_t t0;
		int err;

		total++;
		if (h->caplen < 14 || h->caplen > 3710) {
			skipped++;
			continue;
		}
		memset(&ctx, 0, sizeof(ctx));
		ctx.wire_len = h->len; /* loads of the packet length see the untruncated length */
		t0 = now_ns();
		err = userbpf_prog_test_run(prog, &o);
		run_ns += now_ns() - t0;
		if (err) {
			cli_error("filter", "packet %llu: %s", (unsigned long long)total,
				  strerror(-err));
			rc = 1;
			break;
		}
		ours += o.retval != 0;
		if (compare) {
			int m = pcap_offline_filter(&bp, h, bytes) != 0;

			theirs += m;
			differ += m != (o.retval != 0);
		}
	}
	if (r == -1) {
		cli_error("filter", "%s: %s", in, pcap_geterr(pc));
		rc = 1;
	}
	if (json) {
		printf("{\"packets\": %llu, \"skipped\": %llu, \"matches\": %llu",
		       (unsigned long long)total, (unsigned long long)skipped,
		       (unsigned long long)ours);
		if (compare)
			printf(", \"libpcap_matches\": %llu, \"differ\": %llu",
			       (unsigned long long)theirs, (unsigned long long)differ);
		printf(", \"engine\": \"%s\"}\n",
		       userbpf_prog_engine(prog) == USERBPF_ENGINE_JIT ? "jit" : "interp");
	} else {
		printf("%llu packets, %llu matched '%s'", (unsigned long long)(total - skipped),
		       (unsigned long long)ours, expr);
		if (compare)
			printf(" (libpcap: %llu, %llu verdicts differ)", (unsigned long long)theirs,
			       (unsigned long long)differ);
		printf("\n");
		if (skipped)
			printf("%llu packets skipped (shorter than 14 or longer than 3710 bytes)\n",
			       (unsigned long long)skipped);
		printf("engine %s, %.1f ns per packet\n",
		       userbpf_prog_engine(prog) == USERBPF_ENGINE_JIT ? "jit" : "interp",
		       total > skipped ? (double)run_ns / (double)(total - skipped) : 0.0);
	}
	if (compare && (differ || ours != theirs))
		rc = 1;
out:
	userbpf_prog_free(prog);
	userbpf_insns_free(insns);
	userbpf_env_free(env);
	pcap_freecode(&bp);
	pcap_close(pc);
	return rc;
}
