/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader_core.c: CO-RE relocations of tests/progs/core.bpf.c against target BTFs whose struct
 * host_conn differs from the program's (fields reordered and resized, one missing, another
 * enum value): made with libbpf's BTF writer in memory and in a raw file, and with `pahole -J`
 * on a host object compiled by gcc. The relocated program then runs on the host layout.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include <userbpf/userbpf.h>

static char logbuf[8192];

static void log_fn(void *user, int level, const char *msg)
{
	size_t n = strlen(logbuf);

	(void)user, (void)level;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

/* The host's layout: { u64 bytes; u16 flags; u32 id; }, 16 bytes; HOST_GONE is 7. */
struct host_conn {
	uint64_t bytes;
	uint16_t flags;
	uint32_t id;
};

static struct btf *host_btf(void)
{
	struct btf *b = btf__new_empty();
	int u16, u32, u64;

	if (!b)
		return NULL;
	u16 = btf__add_int(b, "unsigned short", 2, 0);
	u32 = btf__add_int(b, "unsigned int", 4, 0);
	u64 = btf__add_int(b, "unsigned long long", 8, 0);
	btf__add_struct(b, "host_conn", 16);
	btf__add_field(b, "bytes", u64, 0, 0);
	btf__add_field(b, "flags", u16, 64, 0);
	btf__add_field(b, "id", u32, 96, 0);
	btf__add_enum(b, "host_state", 4);
	btf__add_enum_value(b, "HOST_IDLE", 0);
	btf__add_enum_value(b, "HOST_GONE", 7);
	return b;
}

static char obj_path[512];

static void run_case(struct userbpf_env *env, const char *what,
		     const struct userbpf_object_opts *opts, void *ctx, uint64_t want,
		     int16_t off_id, int16_t off_bytes)
{
	struct userbpf_object_load_opts lo = {
		.sz = sizeof(lo), .flags = USERBPF_PROG_F_UNVERIFIED, .engine = USERBPF_ENGINE_INTERP,
	};
	struct userbpf_object *obj;
	const struct userbpf_insn *in;
	size_t cnt;
	uint64_t r0 = 0;
	int err;

	logbuf[0] = 0;
	obj = userbpf_object_open_file(env, obj_path, opts);
	if (!CHECK(obj != NULL, "%s: open: %s\n%s", what, strerror(errno), logbuf))
		return;
	in = userbpf_object_prog_insns(userbpf_object_prog_at(obj, 0), &cnt);
	CHECK(cnt > 2 && in[0].off == off_id, "%s: c->id read at offset %d", what, in[0].off);
	CHECK(cnt > 2 && in[1].off == off_bytes, "%s: c->bytes read at offset %d", what,
	      in[1].off);
	err = userbpf_object_load(obj, &lo);
	CHECK(err == 0, "%s: load: %s\n%s", what, strerror(-err), logbuf);
	if (!err) {
		err = userbpf_prog_run(userbpf_object_prog_loaded(userbpf_object_prog_at(obj, 0)),
				       ctx, 24, &r0);
		if (err == -ENOTSUP) {
			SKIP("%s: the interpreter is not available", what);
		} else {
			CHECK(err == 0, "%s: run: %s\n%s", what, strerror(-err), logbuf);
			CHECK_EQ_U64(r0, want, what);
		}
	}
	userbpf_object_free(obj);
}

static void run_bits(struct userbpf_env *env, const char *what,
		     const struct userbpf_object_opts *opts, void *ctx, size_t len, uint64_t want)
{
	struct userbpf_object_load_opts lo = {
		.sz = sizeof(lo), .flags = USERBPF_PROG_F_UNVERIFIED, .engine = USERBPF_ENGINE_INTERP,
	};
	struct userbpf_object *obj;
	uint64_t r0 = 0;
	int err;

	logbuf[0] = 0;
	obj = userbpf_object_open_file(env, obj_path, opts);
	if (!CHECK(obj != NULL, "%s: open: %s\n%s", what, strerror(errno), logbuf))
		return;
	CHECK(logbuf[0] == 0, "%s: no warnings: %s", what, logbuf);
	err = userbpf_object_load(obj, &lo);
	CHECK(err == 0, "%s: load: %s\n%s", what, strerror(-err), logbuf);
	if (!err) {
		err = userbpf_prog_run(userbpf_object_prog_loaded(userbpf_object_prog_at(obj, 0)),
				       ctx, len, &r0);
		CHECK(err == 0, "%s: run: %s\n%s", what, strerror(-err), logbuf);
		CHECK_EQ_U64(r0, want, what);
	}
	userbpf_object_free(obj);
}

int main(void)
{
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = log_fn };
	struct userbpf_env *env = userbpf_env_new(&eo);
	const char *build = getenv("UB_BUILD") ?: "build";
	struct userbpf_object_opts oo = { .sz = sizeof(oo) };
	uint8_t ctx[24] = { 0 };
	struct host_conn host = { .bytes = 1000, .flags = 3, .id = 5 };
	struct btf *b;
	const void *raw;
	uint32_t raw_size = 0;
	char path[600], cmd[2048];
	FILE *f;

	snprintf(obj_path, sizeof(obj_path), "%s/progs/core.bpf.o", build);
	/* 1. No target: the program's own layout { u32 id; u32 flags; u64 bytes; int missing; }. */
	memcpy(ctx, &(uint32_t){ 5 }, 4);
	memcpy(ctx + 8, &(uint64_t){ 1000 }, 8);
	run_case(env, "own BTF", NULL, ctx, 1005 + 1000000 + 4 * 100000 + 2 * 10000 + 24 * 1000,
		 0, 8);

	/* 2. Target BTF in memory, from libbpf's writer. */
	b = host_btf();
	if (!CHECK(b != NULL, "btf__new_empty"))
		return ub_test_done("loader_core");
	raw = btf__raw_data(b, &raw_size);
	oo.btf_data = raw;
	oo.btf_size = raw_size;
	/* bytes + id; no `missing_in_host`; flags is 2 bytes; HOST_GONE = 7; 16-byte struct. */
	run_case(env, "host BTF (memory)", &oo, &host, 1005 + 2 * 100000 + 7 * 10000 + 16 * 1000,
		 12, 0);

	/* 3. The same as a raw BTF file. */
	snprintf(path, sizeof(path), "%s/loader_core_host.btf", build);
	f = fopen(path, "wb");
	if (CHECK(f != NULL, "write %s", path)) {
		fwrite(raw, 1, raw_size, f);
		fclose(f);
		oo.btf_data = NULL;
		oo.btf_size = 0;
		oo.btf_path = path;
		run_case(env, "host BTF (raw file)", &oo, &host,
			 1005 + 2 * 100000 + 7 * 10000 + 16 * 1000, 12, 0);
	}
	btf__free(b);

	/* 4. A host object's BTF made by pahole -J, the way a host application ships it. */
	snprintf(path, sizeof(path), "%s/loader_core_host.c", build);
	f = fopen(path, "w");
	if (CHECK(f != NULL, "write %s", path)) {
		fprintf(f, "struct host_conn { unsigned long long bytes; unsigned short flags; "
			   "unsigned int id; };\nenum host_state { HOST_IDLE, HOST_GONE = 7 };\n"
			   "struct host_conn conn;\nenum host_state state;\n");
		fclose(f);
		snprintf(cmd, sizeof(cmd), "cc -g -c -o %s/loader_core_host.o %s && "
			 "pahole -J %s/loader_core_host.o 2>/dev/null", build, path, build);
		if (system(cmd) != 0) {
			SKIP("pahole -J is not available");
		} else {
			snprintf(path, sizeof(path), "%s/loader_core_host.o", build);
			oo.btf_path = path;
			run_case(env, "host BTF (pahole -J)", &oo, &host,
				 1005 + 2 * 100000 + 7 * 10000 + 16 * 1000, 12, 0);
		}
	}

	/* 5. A target without struct host_conn: reads are poisoned, the program still opens. */
	b = btf__new_empty();
	btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	raw = btf__raw_data(b, &raw_size);
	oo.btf_path = NULL;
	oo.btf_data = raw;
	oo.btf_size = raw_size;
	logbuf[0] = 0;
	{
		struct userbpf_object *obj = userbpf_object_open_file(env, obj_path, &oo);
		const struct userbpf_insn *in;
		size_t cnt;

		CHECK(obj != NULL, "open with a foreign target: %s", logbuf);
		in = userbpf_object_prog_insns(userbpf_object_prog_at(obj, 0), &cnt);
		CHECK(cnt && in[0].code == 0x85 && in[0].imm == 0xbad2310, "insn 0 is poisoned");
		CHECK(strstr(logbuf, "matches nothing in the target BTF") != NULL,
		      "poisoning is reported: %s", logbuf);
		userbpf_object_free(obj);
	}
	btf__free(b);

	/* 6. Bitfields moved and widened: offset, load size and shifts are relocated. */
	snprintf(obj_path, sizeof(obj_path), "%s/progs/core_bits.bpf.o", build);
	{
		struct { unsigned a : 3, b : 5, c : 12; int d; } mine = { .b = 17, .c = 1234 };
		struct { int d; unsigned c : 12, b : 7, a : 3; } theirs = { .c = 1234, .b = 100 };
		int uint_id;

		b = btf__new_empty();
		btf__add_int(b, "int", 4, BTF_INT_SIGNED);
		uint_id = btf__add_int(b, "unsigned int", 4, 0);
		btf__add_struct(b, "host_flags", 8);
		btf__add_field(b, "d", 1, 0, 0);
		btf__add_field(b, "c", uint_id, 32, 12);
		btf__add_field(b, "b", uint_id, 44, 7);
		btf__add_field(b, "a", uint_id, 51, 3);
		raw = btf__raw_data(b, &raw_size);
		run_bits(env, "bitfields, own BTF", NULL, &mine, sizeof(mine), 17 * 1000 + 1234);
		oo.btf_path = NULL;
		oo.btf_data = raw;
		oo.btf_size = raw_size;
		run_bits(env, "bitfields, host BTF", &oo, &theirs, sizeof(theirs),
			 100 * 1000 + 1234);
		btf__free(b);
	}
	snprintf(obj_path, sizeof(obj_path), "%s/progs/core.bpf.o", build);

	/* 7. Flavors and typedef'd structs: the host has struct host_conn and point_t. */
	snprintf(obj_path, sizeof(obj_path), "%s/progs/core_flavor.bpf.o", build);
	{
		struct userbpf_object *obj;
		const struct userbpf_insn *in;
		int i32, u32, u64, anon;
		size_t cnt;

		b = btf__new_empty();
		i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
		u32 = btf__add_int(b, "unsigned int", 4, 0);
		u64 = btf__add_int(b, "unsigned long long", 8, 0);
		btf__add_struct(b, "host_conn", 16);
		btf__add_field(b, "bytes", u64, 0, 0);
		btf__add_field(b, "id", u32, 64, 0);
		anon = btf__add_struct(b, NULL, 12);
		btf__add_field(b, "pad", i32, 0, 0);
		btf__add_field(b, "x", i32, 32, 0);
		btf__add_field(b, "y", i32, 64, 0);
		btf__add_typedef(b, "point_t", anon);
		raw = btf__raw_data(b, &raw_size);
		oo.btf_path = NULL;
		oo.btf_data = raw;
		oo.btf_size = raw_size;
		logbuf[0] = 0;
		obj = userbpf_object_open_file(env, obj_path, &oo);
		CHECK(obj != NULL && !logbuf[0], "open core_flavor: %s", logbuf);
		in = userbpf_object_prog_insns(userbpf_object_find_prog(obj, "flavored"), &cnt);
		CHECK(cnt && in[0].off == 8, "host_conn___old matches host_conn: id at %d",
		      cnt ? in[0].off : -1);
		in = userbpf_object_prog_insns(userbpf_object_find_prog(obj, "typed"), &cnt);
		CHECK(cnt && in[0].off == 8, "point_t matches through its typedef: y at %d",
		      cnt ? in[0].off : -1);
		userbpf_object_free(obj);
		btf__free(b);
	}
	snprintf(obj_path, sizeof(obj_path), "%s/progs/core.bpf.o", build);

	/* 8. A target BTF that is not BTF. */
	oo.btf_data = "not btf at all, certainly";
	oo.btf_size = 25;
	logbuf[0] = 0;
	CHECK(userbpf_object_open_file(env, obj_path, &oo) == NULL && errno == EINVAL,
	      "bad target BTF is rejected");
	CHECK(strstr(logbuf, "target BTF") && strstr(logbuf, "magic"), "message: %s", logbuf);
	userbpf_env_free(env);
	return ub_test_done("loader_core");
}
