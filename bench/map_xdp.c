/* SPDX-License-Identifier: Apache-2.0 */
/*
 * map_xdp.c: packets per second of XDP programs (tests/kernel/xdp_progs/progs.bpf.c: header
 * parsing with array and hash map updates, MAC swap, header push/trim) in userbpf and in the
 * Linux kernel, both through their test runs with the same packet, the same instructions
 * (the object's linked program, map references patched to kernel map fds) and a repeat count.
 * Figures only.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <userbpf/userbpf.h>

#define REPEAT 200000

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* The same program in the kernel: maps created from the object's descriptors. */
static int kernel_load(struct userbpf_object *obj, struct userbpf_object_prog *op)
{
	size_t cnt, nmaps = userbpf_object_map_cnt(obj);
	const struct userbpf_insn *in = userbpf_object_prog_insns(op, &cnt);
	struct bpf_insn *insns = malloc(cnt * sizeof(*insns));
	int fds[64], pfd = -1;
	union bpf_attr a;

	if (!insns || nmaps > 64)
		goto out;
	for (size_t m = 0; m < nmaps; m++) {
		struct userbpf_map_desc d = {.sz = sizeof(d)};

		userbpf_object_map_desc(userbpf_object_map_at(obj, m), &d);
		memset(&a, 0, sizeof(a));
		a.map_type = d.type;
		a.key_size = d.key_size;
		a.value_size = d.value_size;
		a.max_entries = d.max_entries;
		a.map_flags = d.flags;
		fds[m] = (int)sys_bpf(BPF_MAP_CREATE, &a);
	}
	memcpy(insns, in, cnt * sizeof(*insns));
	for (size_t i = 0; i + 1 < cnt; i++) {
		if (insns[i].code != (BPF_LD | BPF_DW | BPF_IMM))
			continue;
		if (insns[i].src_reg == USERBPF_PSEUDO_MAP_IDX) {
			insns[i].src_reg = BPF_PSEUDO_MAP_FD;
			insns[i].imm = fds[insns[i].imm];
		} else if (insns[i].src_reg == USERBPF_PSEUDO_MAP_IDX_VALUE) {
			insns[i].src_reg = BPF_PSEUDO_MAP_VALUE;
			insns[i].imm = fds[insns[i].imm];
		}
		i++;
	}
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)cnt;
	a.license = (uint64_t)(uintptr_t) "GPL";
	pfd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	for (size_t m = 0; m < nmaps; m++) /* the program holds its maps */
		if (fds[m] >= 0)
			close(fds[m]);
out:
	free(insns);
	return pfd;
}

static double kernel_ns(int pfd, const uint8_t *pkt, uint32_t len)
{
	uint8_t out[4096];
	union bpf_attr a;
	double d = -1;

	for (int pass = 0; pass < 2; pass++) {
		memset(&a, 0, sizeof(a));
		a.test.prog_fd = (uint32_t)pfd;
		a.test.data_in = (uint64_t)(uintptr_t)pkt;
		a.test.data_size_in = len;
		a.test.data_out = (uint64_t)(uintptr_t)out;
		a.test.data_size_out = sizeof(out);
		a.test.repeat = REPEAT;
		if (!sys_bpf(BPF_PROG_TEST_RUN, &a))
			d = a.test.duration;
	}
	return d;
}

int main(int argc, char **argv)
{
	char build[400];
	struct userbpf_env *env = userbpf_env_new(NULL);
	char cmd[1024], obj_path[512];
	struct userbpf_object *obj;
	uint8_t pkt[128] = {0};

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Objects go next to this binary: $BUILD/bench/map_xdp -> $BUILD/bench/. */
	snprintf(build, sizeof(build), "%s", argc > 0 ? argv[0] : "build/bench/map_xdp");
	if (strrchr(build, '/'))
		*strrchr(build, '/') = 0;
	else
		snprintf(build, sizeof(build), ".");
	snprintf(obj_path, sizeof(obj_path), "%s/map_xdp_progs.o", build);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s && clang -O2 -g -target bpf "
		 "-I/usr/include/x86_64-linux-gnu -c tests/kernel/xdp_progs/progs.bpf.c -o %s",
		 build, obj_path);
	if (system(cmd)) {
		printf("map_xdp: cannot build the XDP programs with clang: skipped\n");
		return 0;
	}
	obj = userbpf_object_open_file(env, obj_path, NULL);
	if (!obj || userbpf_object_load(obj, NULL)) {
		printf("map_xdp: userbpf cannot load %s: %s\n", obj_path, strerror(errno));
		return 1;
	}
	/* An IPv4/UDP packet of 128 bytes: parsed to the UDP header, counted, passed. */
	memcpy(pkt, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00\x45", 15);
	pkt[23] = 17;
	pkt[26] = 10, pkt[29] = 1, pkt[30] = 192, pkt[31] = 168, pkt[33] = 1;
	pkt[37] = 53;
	printf("XDP, %d runs of a 128-byte UDP packet, ns per packet (Mpps)\n", REPEAT);
	printf("%-16s %18s %18s %8s\n", "program", "userbpf", "linux", "ub/linux");
	for (size_t i = 0; i < userbpf_object_prog_cnt(obj); i++) {
		struct userbpf_object_prog *op = userbpf_object_prog_at(obj, i);
		struct userbpf_prog *p = userbpf_object_prog_loaded(op);
		struct userbpf_test_run_opts o = {
		    .sz = sizeof(o), .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = REPEAT};
		int pfd = kernel_load(obj, op);
		double u = -1, k = pfd >= 0 ? kernel_ns(pfd, pkt, sizeof(pkt)) : -1;
		char us[32], ks[32], rs[16];

		userbpf_prog_test_run(p, &o);
		if (!userbpf_prog_test_run(p, &o))
			u = o.duration;
		snprintf(us, sizeof(us), u > 0 ? "%.1f (%.1f)" : "n/a", u, 1000.0 / u);
		snprintf(ks, sizeof(ks), k > 0 ? "%.1f (%.1f)" : "n/a", k, 1000.0 / k);
		snprintf(rs, sizeof(rs), u > 0 && k > 0 ? "%.2fx" : "-", k / u);
		printf("%-16s %18s %18s %8s\n", userbpf_object_prog_name(op), us, ks, rs);
		if (pfd >= 0)
			close(pfd);
	}
	printf("(ub/linux > 1: userbpf processes more packets per second. Both sides repeat on\n"
	       " one buffer without resetting it, as Linux's test run does)\n");
	userbpf_object_free(obj);
	userbpf_env_free(env);
	return 0;
}
