/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xdp_diff.c: XDP programs (xdp_progs/progs.bpf.c, built with clang at test time) run on the same
 * generated packets in userbpf (userbpf_prog_test_run) and in the live kernel
 * (BPF_PROG_TEST_RUN through libbpf). Return codes, output packets and the final contents
 * of every map must be identical. Skips visibly when clang or bpf() is unavailable. Then the
 * same packets go through the CLI (`userbpf xdp`, `userbpf filter`, `userbpf map dump`).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <userbpf/userbpf.h>

#include "kbpf.h"
#include "test.h"

#define NPKT 400

struct pkt {
	uint8_t b[1600];
	uint32_t len;
};

static struct pkt pkts[NPKT];
static char obj_path[300], build[200];

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)*s;
}

static void gen_packets(void)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < NPKT; i++) {
		uint8_t *b = pkts[i].b;
		uint32_t kind = rnd(&s) % 7, len;

		memset(b, 0, sizeof(pkts[i].b));
		for (int k = 0; k < 12; k++)
			b[k] = (uint8_t)rnd(&s);
		switch (kind) {
		case 0: /* ARP */
			b[12] = 0x08, b[13] = 0x06, len = 42;
			break;
		case 1: /* IPv6 */
			b[12] = 0x86, b[13] = 0xdd, len = 54 + rnd(&s) % 200;
			break;
		case 2: /* something else */
			b[12] = 0x88, b[13] = 0xcc, len = 14 + rnd(&s) % 60;
			break;
		case 3: /* truncated IPv4 */
			b[12] = 0x08, b[13] = 0x00, len = 14 + rnd(&s) % 20;
			break;
		default: { /* IPv4 UDP/TCP, some to port 9 */
			uint32_t ihl = 5 + (rnd(&s) % 4 == 0);

			b[12] = 0x08, b[13] = 0x00;
			b[14] = (uint8_t)(0x40 | ihl);
			b[23] = kind == 4 ? 6 : 17;
			b[26] = 10, b[27] = 0, b[28] = 0, b[29] = (uint8_t)(rnd(&s) % 20);
			b[30] = 192, b[31] = 168, b[32] = 0, b[33] = 1;
			b[14 + ihl * 4 + 3] = (uint8_t)(rnd(&s) % 3 == 0 ? 9 : 53);
			len = 14 + ihl * 4 + (rnd(&s) % 3 == 0 ? 4 : 8 + rnd(&s) % 1400);
		}
		}
		for (uint32_t k = 42; k < len; k++)
			if (kind != 4 && kind != 5 && kind != 6)
				b[k] = (uint8_t)rnd(&s);
		pkts[i].len = len;
	}
}

static int build_obj(void)
{
	char cmd[1200];

	snprintf(build, sizeof(build), "%s", getenv("UB_BUILD") ? getenv("UB_BUILD") : "build");
	snprintf(obj_path, sizeof(obj_path), "%s/kernel/xdp_progs.o", build);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/kernel && clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu "
		 "-c tests/kernel/xdp_progs/progs.bpf.c -o %s 2> %s/kernel/xdp_progs.log",
		 build, obj_path, build);
	return system(cmd) == 0;
}

struct side {
	uint32_t retval[NPKT];
	uint32_t out_len[NPKT];
	uint8_t *out[NPKT];
};

static void free_side(struct side *s)
{
	for (int i = 0; i < NPKT; i++)
		free(s->out[i]);
}

static int run_userbpf(struct userbpf_object *obj, const char *prog_name, struct side *s)
{
	struct userbpf_prog *p =
	    userbpf_object_prog_loaded(userbpf_object_find_prog(obj, prog_name));

	if (!p)
		return -ENOENT;
	for (int i = 0; i < NPKT; i++) {
		uint8_t out[4096];
		struct userbpf_test_run_opts o = {.sz = sizeof(o),
						  .data_in = pkts[i].b,
						  .data_size_in = pkts[i].len,
						  .data_out = out,
						  .data_size_out = sizeof(out)};
		int err = userbpf_prog_test_run(p, &o);

		if (err)
			return err;
		s->retval[i] = o.retval;
		s->out_len[i] = o.data_size_out;
		s->out[i] = malloc(o.data_size_out + 1);
		memcpy(s->out[i], out, o.data_size_out);
	}
	return 0;
}

static int run_kernel(struct bpf_object *obj, const char *prog_name, struct side *s)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, prog_name);
	int fd = p ? bpf_program__fd(p) : -1;

	if (fd < 0)
		return -ENOENT;
	for (int i = 0; i < NPKT; i++) {
		uint8_t out[4096];
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkts[i].b, .data_size_in = pkts[i].len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
		int err = bpf_prog_test_run_opts(fd, &o);

		if (err)
			return -errno;
		s->retval[i] = o.retval;
		s->out_len[i] = o.data_size_out;
		s->out[i] = malloc(o.data_size_out + 1);
		memcpy(s->out[i], out, o.data_size_out);
	}
	return 0;
}

/* Every element of the kernel map equals userbpf's, and the element counts match. */
static void compare_map(struct userbpf_object *uobj, struct bpf_object *kobj, const char *name)
{
	struct userbpf_map *um = userbpf_object_map_loaded(userbpf_object_find_map(uobj, name));
	struct bpf_map *km = bpf_object__find_map_by_name(kobj, name);
	uint8_t key[64], next[64], kv[64], uv[64];
	int kfd = km ? bpf_map__fd(km) : -1, kn = 0, same = 0, un = 0;
	void *prev = NULL;

	if (!um || kfd < 0) {
		CHECK(0, "map %s exists on both sides", name);
		return;
	}
	while (!bpf_map_get_next_key(kfd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		kn++;
		if (bpf_map_lookup_elem(kfd, key, kv))
			continue;
		if (!userbpf_map_lookup(um, key, uv) && !memcmp(kv, uv, userbpf_map_value_size(um)))
			same++;
	}
	for (int err = userbpf_map_get_next_key(um, NULL, next); !err;
	     err = userbpf_map_get_next_key(um, key, next)) {
		memcpy(key, next, sizeof(key));
		un++;
	}
	CHECK(kn == same && kn == un, "map %s: kernel %d elements, userbpf %d, %d identical", name,
	      kn, un, same);
}

static void write_pcap(const char *path)
{
	FILE *f = fopen(path, "wb");
	uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};

	if (!f)
		return;
	fwrite(gh, 4, 6, f);
	for (int i = 0; i < NPKT; i++) {
		uint32_t rh[4] = {1700000000u + (uint32_t)i, 0, pkts[i].len, pkts[i].len};

		fwrite(rh, 4, 4, f);
		fwrite(pkts[i].b, 1, pkts[i].len, f);
	}
	fclose(f);
}

static int run_cli(const char *args, char *out, size_t n)
{
	char cmd[1400];
	FILE *p;
	size_t got;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1",
		 getenv("UB_CLI") ? getenv("UB_CLI") : "build/userbpf", args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	got = fread(out, 1, n - 1, p);
	out[got] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli(const struct side *count_side)
{
	char pcap[300], outp[300], args[1024], out[8192];
	unsigned long drops = 0, want_drops = 0;
	const char *d;
	int rc;

	snprintf(pcap, sizeof(pcap), "%s/kernel/xdp_in.pcap", build);
	snprintf(outp, sizeof(outp), "%s/kernel/xdp_out.pcap", build);
	write_pcap(pcap);
	for (int i = 0; i < NPKT; i++)
		want_drops += count_side->retval[i] == 1;
	snprintf(args, sizeof(args), "xdp %s --prog xdp_count --pcap %s --out %s --json", obj_path,
		 pcap, outp);
	rc = run_cli(args, out, sizeof(out));
	d = strstr(out, "\"drop\": ");
	if (d)
		drops = strtoul(d + 8, NULL, 10);
	CHECK(rc == 0 && d && drops == want_drops, "userbpf xdp: %lu drops, want %lu (rc %d): %s",
	      drops, want_drops, rc, out);
	{
		struct stat st;

		CHECK(!stat(outp, &st) && st.st_size > 24,
		      "userbpf xdp --out wrote passed packets");
	}
	snprintf(args, sizeof(args), "filter 'udp and not port 9' --pcap %s", pcap);
	rc = run_cli(args, out, sizeof(out));
	CHECK(rc == 0 && strstr(out, "0 verdicts differ"), "userbpf filter agrees with libpcap: %s",
	      out);
	snprintf(args, sizeof(args), "map dump %s proto_cnt --json", obj_path);
	rc = run_cli(args, out, sizeof(out));
	CHECK(rc == 0 && strstr(out, "\"name\": \"proto_cnt\""), "map dump --json: %s", out);
	snprintf(args, sizeof(args), "map dump %s len_hist --hist", obj_path);
	rc = run_cli(args, out, sizeof(out));
	CHECK(rc == 0, "map dump --hist: %s", out);

	/* userbpf run --type xdp --data-list: one JSON line per packet, in order. */
	{
		char list[300], pf[320], want[64];
		FILE *lf;
		int lines = 0;

		snprintf(list, sizeof(list), "%s/kernel/xdp_list.txt", build);
		lf = fopen(list, "w");
		for (int i = 0; lf && i < 3; i++) {
			FILE *f;

			snprintf(pf, sizeof(pf), "%s/kernel/xdp_pkt%d.hex", build, i);
			f = fopen(pf, "w");
			for (uint32_t k = 0; f && k < pkts[i].len; k++)
				fprintf(f, "%02x", pkts[i].b[k]);
			if (f)
				fclose(f);
			fprintf(lf, "%s\n", pf);
		}
		if (lf)
			fclose(lf);
		snprintf(args, sizeof(args),
			 "run --type xdp --prog xdp_swap_tx --data-list %s --json %s", list,
			 obj_path);
		rc = run_cli(args, out, sizeof(out));
		for (char *l = strstr(out, "{\"retval\": 3, \"data_out\": \""); l;
		     l = strstr(l + 1, "{\"retval\": 3, \"data_out\": \""))
			lines++;
		/* Packet 0 comes back with its MAC addresses swapped: destination = old source. */
		for (int k = 0; k < 6; k++)
			snprintf(want + 2 * k, 3, "%02x", pkts[0].b[6 + k]);
		CHECK(rc == 0 && lines == 3 && strstr(out, want),
		      "run --type xdp --data-list: 3 JSON lines, MACs swapped (rc %d): %s", rc,
		      out);
	}
}

static const char *const progs[] = {"xdp_count", "xdp_swap_tx", "xdp_push_trim", "xdp_meta"};
static const char *const maps[] = {"proto_cnt", "src_bytes", "len_hist"};

int main(void)
{
	struct userbpf_env *env = userbpf_env_new(NULL);
	struct userbpf_object *uobj = NULL;
	struct bpf_object *kobj = NULL;
	char why[256];
	int kernel_ok, compared = 0;
	static struct side us[4], ks[4];

	gen_packets();
	if (!build_obj()) {
		SKIP("xdp_diff: clang could not build tests/kernel/xdp_progs/progs.bpf.c (see "
		     "%s/kernel/xdp_progs.log)",
		     build);
		userbpf_env_free(env);
		return ub_test_done("xdp_diff");
	}
	uobj = userbpf_object_open_file(env, obj_path, NULL);
	CHECK(uobj && !userbpf_object_load(uobj, NULL), "userbpf loads %s (verified)", obj_path);
	if (!uobj)
		goto out;
	for (int p = 0; p < 4; p++)
		CHECK(!run_userbpf(uobj, progs[p], &us[p]), "userbpf runs %s", progs[p]);
	kernel_ok = kbpf_available(why, sizeof(why));
	if (kernel_ok) {
		kobj = bpf_object__open_file(obj_path, NULL);
		if (!kobj || bpf_object__load(kobj)) {
			SKIP("xdp_diff: the kernel refused %s: %s", obj_path, strerror(errno));
			kernel_ok = 0;
		}
	} else {
		SKIP("xdp_diff: no bpf() here (%s): kernel comparison skipped", why);
	}
	for (int p = 0; kernel_ok && p < 4; p++) {
		int bad_ret = 0, bad_pkt = 0;

		if (run_kernel(kobj, progs[p], &ks[p])) {
			CHECK(0, "kernel runs %s: %s", progs[p], strerror(errno));
			continue;
		}
		for (int i = 0; i < NPKT; i++) {
			bad_ret += us[p].retval[i] != ks[p].retval[i];
			bad_pkt += us[p].out_len[i] != ks[p].out_len[i] ||
				   memcmp(us[p].out[i], ks[p].out[i], us[p].out_len[i]);
			if ((us[p].retval[i] != ks[p].retval[i] ||
			     us[p].out_len[i] != ks[p].out_len[i]) &&
			    bad_ret + bad_pkt < 4)
				printf("NOTE %s packet %d (%u bytes): retval %u vs kernel %u, out "
				       "%u vs "
				       "%u bytes\n",
				       progs[p], i, pkts[i].len, us[p].retval[i], ks[p].retval[i],
				       us[p].out_len[i], ks[p].out_len[i]);
		}
		CHECK(bad_ret == 0, "%s: %d of %d return codes differ from the kernel's", progs[p],
		      bad_ret, NPKT);
		CHECK(bad_pkt == 0, "%s: %d of %d output packets differ from the kernel's",
		      progs[p], bad_pkt, NPKT);
		compared += NPKT;
	}
	for (int m = 0; kernel_ok && m < 3; m++)
		compare_map(uobj, kobj, maps[m]);
	if (kernel_ok)
		printf("NOTE xdp_diff: %d packet runs compared with the kernel (%d programs, %d "
		       "maps)\n",
		       compared, 4, 3);
	test_cli(&us[0]);
	for (int p = 0; p < 4; p++) {
		free_side(&us[p]);
		free_side(&ks[p]);
	}
out:
	bpf_object__close(kobj);
	userbpf_object_free(uobj);
	userbpf_env_free(env);
	return ub_test_done("xdp_diff");
}
