/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kbpf.h: the Linux side of the differential tests and benches: load a program into the
 * running kernel with bpf(BPF_PROG_LOAD) (raw syscall, no libbpf), create maps, read the
 * verifier's verdict, reason and statistics from its log, and drop to "unprivileged"
 * (CAP_BPF + CAP_NET_ADMIN, without CAP_SYS_ADMIN and CAP_PERFMON) in a child process.
 * Header-only so that the kernel tests and the verifier benches share it.
 */
#ifndef UB_KBPF_H
#define UB_KBPF_H

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/capability.h>

/*
 * Never hand the kernel more than this many instructions: a long generated loop once crashed
 * Linux 6.18's verifier on this machine, and the selftests we replay are all below it.
 */
#define KBPF_MAX_INSNS 4096u

/* What the kernel said about one program. */
struct kbpf_result {
	int accepted;        /* 1: a file descriptor came back */
	int err;             /* errno of the failed load, 0 on accept */
	int verified;        /* the verifier ran (its log is non-empty) */
	char reason[240];    /* last log line before the statistics, or strerror */
	uint64_t processed;  /* "processed N insns", 0 if absent */
	uint64_t verif_usec; /* "verification time N usec", 0 if absent (needs log_level & 4) */
};

static inline long kbpf_sys(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* Create a map; returns its fd or -errno. */
static inline int kbpf_map_create(uint32_t type, uint32_t key, uint32_t value, uint32_t max,
				  uint32_t flags)
{
	union bpf_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = key;
	a.value_size = value;
	a.max_entries = max;
	a.map_flags = flags;
	fd = kbpf_sys(BPF_MAP_CREATE, &a);
	return fd < 0 ? -errno : (int)fd;
}

/*
 * Lines of a verifier log that trace rather than conclude: state dumps printed after an error
 * ("infinite loop detected" is followed by old and current states), instruction echoes
 * ("12: (61) r2 = ..."), source lines ("; x = 1 @ f.c:3"), precision backtracking.
 */
static inline int kbpf_is_trace_line(const char *l)
{
	static const char *const prefixes[] = { "old state", "cur state", "stack depth",
						"mark_precise", "; ", "from ", "last_idx",
						"regs=", "parent ", "frame", "func#", "Func#",
						"verification time", "processed " };
	const char *p = l;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(l, prefixes[i], strlen(prefixes[i])))
			return 1;
	while (*p >= '0' && *p <= '9')
		p++;
	return p != l && *p == ':'; /* "12: ..." */
}

/* Extract the verdict's reason and the statistics lines from a verifier log. */
static inline void kbpf_parse_log(const char *log, struct kbpf_result *r)
{
	const char *line = log, *last = NULL, *p;
	size_t last_len = 0;

	r->verified = log[0] != 0;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (!strncmp(line, "processed ", 10)) {
			r->processed = strtoull(line + 10, NULL, 10);
		} else if (!strncmp(line, "verification time ", 18)) {
			r->verif_usec = strtoull(line + 18, NULL, 10);
		} else if (len && !kbpf_is_trace_line(line)) {
			last = line;
			last_len = len;
		}
		if (!end)
			break;
		line = end + 1;
	}
	p = strstr(log, "processed ");
	if (p && !r->processed)
		r->processed = strtoull(p + 10, NULL, 10);
	if (last && !r->accepted) {
		if (last_len >= sizeof(r->reason))
			last_len = sizeof(r->reason) - 1;
		memcpy(r->reason, last, last_len);
		r->reason[last_len] = 0;
	}
}

/*
 * Load insns[0..cnt) as a program of `type` with `prog_flags`, `attach` (expected attach type)
 * and `license`; log level 1, or 4 (errors and statistics only) when stats is set, into
 * log[0..log_size).
 * Fills *r. Returns 0 when the kernel answered (accept or reject), -E2BIG when the program is
 * above KBPF_MAX_INSNS (never sent).
 */
static inline int kbpf_prog_load(const struct bpf_insn *insns, size_t cnt, uint32_t type,
				 uint32_t prog_flags, uint32_t attach, const char *license,
				 int stats, char *log, size_t log_size, struct kbpf_result *r)
{
	union bpf_attr a;
	long fd;

	memset(r, 0, sizeof(*r));
	if (cnt > KBPF_MAX_INSNS)
		return -E2BIG;
	memset(&a, 0, sizeof(a));
	log[0] = 0;
	a.prog_type = type;
	a.insn_cnt = (uint32_t)cnt;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.license = (uint64_t)(uintptr_t)license;
	/* Statistics only (level 4) keeps Linux from formatting states at every branch. */
	a.log_level = stats ? 4 : 1;
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = (uint32_t)log_size;
	a.prog_flags = prog_flags;
	a.expected_attach_type = attach;
	fd = kbpf_sys(BPF_PROG_LOAD, &a);
	if (fd >= 0) {
		r->accepted = 1;
		close((int)fd);
	} else {
		r->err = errno;
	}
	log[log_size - 1] = 0;
	kbpf_parse_log(log, r);
	if (!r->accepted && !r->reason[0])
		snprintf(r->reason, sizeof(r->reason), "load refused before verification: %s",
			 strerror(r->err));
	return 0;
}

/*
 * Can this process load programs? Tries "r0 = 0; exit" as a socket filter. Returns 1, or 0
 * with the reason in why.
 */
static inline int kbpf_available(char *why, size_t n)
{
	struct bpf_insn p[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct kbpf_result r;
	char log[4096];

	kbpf_prog_load(p, 2, BPF_PROG_TYPE_SOCKET_FILTER, 0, 0, "GPL", 0, log, sizeof(log), &r);
	if (r.accepted)
		return 1;
	snprintf(why, n, "bpf(BPF_PROG_LOAD) fails: %s%s", strerror(r.err),
		 r.err == EPERM ? " (not root?)" : "");
	return 0;
}

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/*
 * Keep only CAP_BPF and CAP_NET_ADMIN (effective and permitted) in this process: Linux then
 * verifies as for an unprivileged loader (no pointer leaks, Spectre v1 masking...). For a
 * forked child. Returns 0 or -errno.
 */
static inline int kbpf_drop_to_unpriv(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	uint64_t keep = 1ull << CAP_BPF | 1ull << CAP_NET_ADMIN;

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (uint32_t)keep;
	d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

#endif /* UB_KBPF_H */
