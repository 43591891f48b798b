/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_xdp.c: `userbpf xdp PROG.o --pcap IN.pcap [--out OUT.pcap]`: run an XDP program over
 * every packet of a capture, count verdicts, measure throughput, write the packets it passes
 * or transmits. Also cli_run_packets(), the packet loop behind `userbpf run --type xdp
 * --data PKT [--data-list FILE] [--json]`.
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
	    "usage: userbpf xdp PROG.o --pcap IN.pcap [--out OUT.pcap] [--prog NAME]\n"
	    "                   [--engine interp|jit] [--json]\n"
	    "\n"
	    "Load the XDP program of PROG.o (the first one, or --prog NAME) with its maps, run it\n"
	    "on every packet of IN.pcap in order (maps persist from packet to packet), print the\n"
	    "verdict counts and the program's throughput. --out writes the packets the program\n"
	    "returned XDP_PASS or XDP_TX for, as the program left them.\n"
	    "Packets are run like Linux's BPF_PROG_TEST_RUN: 256 bytes of headroom, at most 3520\n"
	    "bytes; longer ones are counted as skipped.\n"
	    "Exit status: 0 on success, 1 on errors, 2 on usage errors.\n");
}

static const char *const verdicts[] = {"aborted", "drop", "pass", "tx", "redirect"};

/* Open, load and pick the program of type `type` (or named `name`) from an object. */
struct userbpf_prog *cli_object_prog(struct userbpf_env *env, const char *cmd, const char *path,
				     const char *name, uint32_t type, struct userbpf_object **objp)
{
	struct userbpf_object *obj = userbpf_object_open_file(env, path, NULL);
	struct userbpf_object_prog *op = NULL;
	int err;

	if (!obj) {
		cli_error(cmd, "%s: %s", path, strerror(errno));
		return NULL;
	}
	err = userbpf_object_load(obj, NULL);
	if (err) {
		cli_error(cmd, "%s: load failed: %s", path, strerror(-err));
		userbpf_object_free(obj);
		return NULL;
	}
	if (name) {
		op = userbpf_object_find_prog(obj, name);
	} else {
		for (size_t i = 0; i < userbpf_object_prog_cnt(obj) && !op; i++)
			if (userbpf_object_prog_type(userbpf_object_prog_at(obj, i)) == type)
				op = userbpf_object_prog_at(obj, i);
	}
	if (!op) {
		cli_error(cmd, "%s: no %s program%s%s", path, name ? "program named" : "such",
			  name ? " " : "", name ? name : "");
		userbpf_object_free(obj);
		return NULL;
	}
	*objp = obj;
	return userbpf_object_prog_loaded(op);
}

static void print_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

/* One packet file: raw bytes, or hex text when every byte is hex/whitespace. */
static int read_packet(const char *path, unsigned char **pkt, size_t *len)
{
	size_t n;
	char *text = cli_file_read(path, &n);
	int is_hex = n > 0;

	if (!text)
		return -errno ? -errno : -EIO;
	for (size_t i = 0; i < n && is_hex; i++)
		is_hex = strchr("0123456789abcdefABCDEF \t\r\n", text[i]) != NULL;
	if (is_hex) {
		int err = cli_hex_parse(text, pkt, len);

		free(text);
		return err;
	}
	*pkt = (unsigned char *)text;
	*len = n;
	return 0;
}

int cli_run_packets(struct userbpf_prog *prog, const char *cmd, const char *data, const char *list,
		    int json)
{
	char **files = NULL, *listtext = NULL;
	size_t nfiles = 0;
	int rc = 0;

	if (list) {
		size_t n;
		char *save = NULL, *line;

		listtext = cli_file_read(list, &n);
		if (!listtext) {
			cli_error(cmd, "%s: %s", list, strerror(errno));
			return 1;
		}
		for (line = strtok_r(listtext, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			while (*line == ' ' || *line == '\t')
				line++;
			if (!*line || *line == '#')
				continue;
			files = realloc(files, (nfiles + 1) * sizeof(*files));
			files[nfiles++] = line;
		}
	} else if (data) {
		files = malloc(sizeof(*files));
		files[nfiles++] = (char *)data;
	}
	for (size_t i = 0; i < nfiles; i++) {
		unsigned char *pkt = NULL, out[4096];
		size_t len = 0;
		struct userbpf_test_run_opts o = {.sz = sizeof(o)};
		int err = read_packet(files[i], &pkt, &len);

		if (err) {
			cli_error(cmd, "%s: cannot read packet: %s", files[i], strerror(-err));
			rc = 1;
			break;
		}
		o.data_in = pkt;
		o.data_size_in = (uint32_t)len;
		o.data_out = out;
		o.data_size_out = sizeof(out);
		err = userbpf_prog_test_run(prog, &o);
		if (err) {
			cli_error(cmd, "%s: run failed: %s", files[i], strerror(-err));
			free(pkt);
			rc = 1;
			break;
		}
		if (json) {
			printf("{\"retval\": %u, \"data_out\": \"", o.retval);
			print_hex(stdout, out, o.data_size_out);
			printf("\"}\n");
		} else {
			printf("%s: retval %u, %u bytes out\n", files[i], o.retval,
			       o.data_size_out);
		}
		free(pkt);
	}
	free(files);
	free(listtext);
	return rc;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int cmd_xdp(int argc, char **argv)
{
	const char *obj_path = NULL, *in = NULL, *outp = NULL, *name = NULL;
	char errbuf[PCAP_ERRBUF_SIZE];
	uint64_t counts[6] = {0}, skipped = 0, total = 0, run_ns = 0, t0;
	struct userbpf_object *obj = NULL;
	struct userbpf_env *env;
	struct userbpf_prog *prog;
	pcap_dumper_t *dump = NULL;
	struct pcap_pkthdr *h;
	const u_char *bytes;
	pcap_t *pc;
	int json = 0, rc = 0, r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pcap") && i + 1 < argc) {
			in = argv[++i];
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			outp = argv[++i];
		} else if (!strcmp(argv[i], "--prog") && i + 1 < argc) {
			name = argv[++i];
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] != '-' && !obj_path) {
			obj_path = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!obj_path || !in) {
		usage(stderr);
		return 2;
	}
	env = cli_env_new(USERBPF_LOG_WARN);
	if (!env)
		return 1;
	prog = cli_object_prog(env, "xdp", obj_path, name, USERBPF_PROG_TYPE_XDP, &obj);
	if (!prog) {
		userbpf_env_free(env);
		return 1;
	}
	pc = pcap_open_offline(in, errbuf);
	if (!pc) {
		cli_error("xdp", "%s: %s", in, errbuf);
		rc = 1;
		goto out;
	}
	if (outp) {
		dump = pcap_dump_open(pc, outp);
		if (!dump) {
			cli_error("xdp", "%s: %s", outp, pcap_geterr(pc));
			rc = 1;
			goto out_pcap;
		}
	}
	t0 = now_ns();
	while ((r = pcap_next_ex(pc, &h, &bytes)) == 1) {
		uint8_t out[4096];
		struct userbpf_test_run_opts o = {.sz = sizeof(o),
						  .data_in = bytes,
						  .data_size_in = h->caplen,
						  .data_out = out,
						  .data_size_out = sizeof(out)};
		int err;

		total++;
		if (h->caplen < 14 || h->caplen > 3520) {
			skipped++;
			continue;
		}
		err = userbpf_prog_test_run(prog, &o);
		if (err) {
			cli_error("xdp", "packet %llu: %s", (unsigned long long)total,
				  strerror(-err));
			rc = 1;
			break;
		}
		run_ns += o.duration;
		counts[o.retval < 5 ? o.retval : 5]++;
		if (dump && (o.retval == 2 || o.retval == 3)) {
			struct pcap_pkthdr oh = *h;

			oh.caplen = o.data_size_out;
			oh.len = h->len - h->caplen + o.data_size_out;
			pcap_dump((u_char *)dump, &oh, out);
		}
	}
	if (r == -1) {
		cli_error("xdp", "%s: %s", in, pcap_geterr(pc));
		rc = 1;
	}
	{
		uint64_t ran = total - skipped, wall = now_ns() - t0;
		double ns = ran ? (double)run_ns / (double)ran : 0;

		if (json) {
			printf("{\"packets\": %llu, \"skipped\": %llu", (unsigned long long)total,
			       (unsigned long long)skipped);
			for (int v = 0; v < 5; v++)
				printf(", \"%s\": %llu", verdicts[v],
				       (unsigned long long)counts[v]);
			printf(", \"other\": %llu, \"ns_per_packet\": %.1f, \"wall_ns\": %llu}\n",
			       (unsigned long long)counts[5], ns, (unsigned long long)wall);
		} else {
			printf("packets %llu (skipped %llu)\n", (unsigned long long)total,
			       (unsigned long long)skipped);
			for (int v = 0; v < 5; v++)
				printf("  %-9s %llu\n", verdicts[v], (unsigned long long)counts[v]);
			if (counts[5])
				printf("  %-9s %llu\n", "other", (unsigned long long)counts[5]);
			printf("program: %.1f ns/packet (%.2f Mpps); with capture I/O: %.2f Mpps\n",
			       ns, ns > 0 ? 1000.0 / ns : 0.0,
			       wall ? (double)ran * 1000.0 / (double)wall : 0.0);
		}
	}
	if (dump)
		pcap_dump_close(dump);
out_pcap:
	pcap_close(pc);
out:
	userbpf_object_free(obj);
	userbpf_env_free(env);
	return rc;
}

/* ---- `userbpf run --type T`: programs with a context, through test runs ---------------- */

static int is_elf(const char *path)
{
	FILE *f = fopen(path, "rb");
	char m[4] = {0};
	int ok;

	if (!f)
		return 0;
	ok = fread(m, 1, 4, f) == 4 && !memcmp(m, "\177ELF", 4);
	fclose(f);
	return ok;
}

int cli_run_typed(int argc, char **argv)
{
	const char *tname = NULL, *data = NULL, *list = NULL, *path = NULL, *name = NULL;
	struct userbpf_prog_opts po = {.sz = sizeof(po), .name = "run"};
	struct userbpf_object *obj = NULL;
	struct userbpf_prog *prog = NULL;
	struct userbpf_env *env;
	struct cli_prog cp = {0};
	int json = 0, rc = 1;
	uint32_t type = UINT32_MAX;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--type") && i + 1 < argc) {
			tname = argv[++i];
		} else if (!strcmp(a, "--data") && i + 1 < argc) {
			data = argv[++i];
		} else if (!strcmp(a, "--data-list") && i + 1 < argc) {
			list = argv[++i];
		} else if (!strcmp(a, "--prog") && i + 1 < argc) {
			name = argv[++i];
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--interp")) {
			po.engine = USERBPF_ENGINE_INTERP;
		} else if (!strcmp(a, "--jit")) {
			po.engine = USERBPF_ENGINE_JIT;
		} else if (a[0] != '-' && !path) {
			path = a;
		} else {
			cli_error("run", "unknown or incomplete option '%s' (see --help)", a);
			return 2;
		}
	}
	if (tname && userbpf_prog_type_by_name(tname, &type))
		type = UINT32_MAX;
	if (type == UINT32_MAX || !path || (!data && !list) || (data && list)) {
		cli_error("run", "--type xdp|socket_filter|sched_cls|sched_act|syscall|raw needs "
				 "PROG and one of --data PKT / --data-list FILE");
		return 2;
	}
	env = cli_env_new(USERBPF_LOG_INFO);
	if (!env)
		return 1;
	if (is_elf(path)) {
		prog = cli_object_prog(env, "run", path, name, type, &obj);
	} else if (!cli_prog_read(env, path, &cp)) {
		/* Raw instructions are verified like an object's programs. */
		po.prog_type = type;
		prog = userbpf_prog_load(env, cp.insns, cp.cnt, &po);
		if (!prog)
			cli_error("run", "%s: cannot load as %s: %s", path, tname, strerror(errno));
	}
	if (prog)
		rc = cli_run_packets(prog, "run", data, list, json);
	userbpf_insns_free(cp.insns);
	userbpf_object_free(obj);
	userbpf_env_free(env);
	return rc;
}
