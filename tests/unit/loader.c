/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader.c: the ELF object loader on the corpus tests/progs/ *.bpf.c (compiled by clang into
 * $UB_BUILD/progs): programs, sections, maps, global data, subprograms, callbacks, line info,
 * the annotated disassembly, and runs on the interpreter where a program needs no helpers.
 */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include <userbpf/userbpf.h>

static char logbuf[8192];

static void log_fn(void *user, int level, const char *msg)
{
	size_t n = strlen(logbuf);

	(void)user, (void)level;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

static struct userbpf_env *env;

static struct userbpf_object *open_prog(const char *name)
{
	char path[512];
	struct userbpf_object *obj;

	snprintf(path, sizeof(path), "%s/progs/%s.bpf.o", getenv("UB_BUILD") ?: "build", name);
	logbuf[0] = 0;
	obj = userbpf_object_open_file(env, path, NULL);
	CHECK(obj != NULL, "open %s: %s\n%s", path, strerror(errno), logbuf);
	return obj;
}

struct sbuf {
	char text[65536];
	size_t len;
};

static int sbuf_write(void *user, const char *text, size_t len)
{
	struct sbuf *b = user;

	if (b->len + len >= sizeof(b->text))
		return 1;
	memcpy(b->text + b->len, text, len);
	b->len += len;
	b->text[b->len] = 0;
	return 0;
}

static void check_disasm(const struct userbpf_object_prog *p, const char *const *want)
{
	static struct sbuf b;
	int rc;

	b.len = 0;
	b.text[0] = 0;
	rc = userbpf_object_prog_disasm(p, NULL, sbuf_write, &b);
	CHECK(rc == 0, "disasm %s: %d", userbpf_object_prog_name(p), rc);
	for (; *want; want++)
		CHECK(strstr(b.text, *want) != NULL, "disasm of %s lacks \"%s\":\n%s",
		      userbpf_object_prog_name(p), *want, b.text);
}

/*
 * Load an object's programs on the interpreter without the verifier: UNVERIFIED (run-time
 * checks of stack and input memory), or TRUSTED for programs that touch map values, which the
 * checked interpreter does not know as regions. Returns 0, or skips visibly and returns -1.
 */
static int load_flags(struct userbpf_object *obj, const char *what, uint32_t flags)
{
	struct userbpf_object_load_opts lo = {
		.sz = sizeof(lo), .flags = flags, .engine = USERBPF_ENGINE_INTERP,
	};
	int err;

	logbuf[0] = 0;
	err = userbpf_object_load(obj, &lo);
	if (err == -ENOTSUP) {
		SKIP("%s: load: %s (%s)", what, strerror(-err), logbuf);
		return -1;
	}
	CHECK(err == 0, "%s: load: %s\n%s", what, strerror(-err), logbuf);
	return err ? -1 : 0;
}

static int load_unverified(struct userbpf_object *obj, const char *what)
{
	return load_flags(obj, what, USERBPF_PROG_F_UNVERIFIED);
}

static void run_expect(struct userbpf_object *obj, const char *prog, void *mem, size_t len,
		       uint64_t want)
{
	struct userbpf_prog *p = userbpf_object_prog_loaded(userbpf_object_find_prog(obj, prog));
	uint64_t r0 = 0;
	int err;

	if (!CHECK(p != NULL, "%s is loaded", prog))
		return;
	logbuf[0] = 0;
	err = userbpf_prog_run(p, mem, len, &r0);
	if (err == -ENOTSUP) {
		SKIP("%s: run: interpreter not available", prog);
		return;
	}
	if (err == -EINVAL && strstr(logbuf, "unknown helper")) {
		SKIP("%s: run: a helper it calls is not implemented yet (%s)", prog, logbuf);
		return;
	}
	CHECK(err == 0, "%s: run: %s\n%s", prog, strerror(-err), logbuf);
	CHECK_EQ_U64(r0, want, prog);
}

static void test_subprogs(void)
{
	struct userbpf_object *obj = open_prog("subprogs");
	struct userbpf_object_prog *p;
	const struct userbpf_func_info *fi;
	const struct userbpf_line_info *li;
	size_t nfi, nli, cnt;
	static const char *const want[] = {
		"compute:", "sum_squares:", "fib:", "square:", "; call sum_squares", "; call fib",
		"; call square", "return sum_squares(ctx[1]);", "subprogs.bpf.c:40\n",
		NULL,
	};
	int seen = 0;

	if (!obj)
		return;
	CHECK(userbpf_object_prog_cnt(obj) == 2, "2 programs, got %zu",
	      userbpf_object_prog_cnt(obj));
	CHECK(!strcmp(userbpf_object_license(obj), "Dual BSD/GPL"), "license '%s'",
	      userbpf_object_license(obj));
	CHECK(userbpf_object_map_cnt(obj) == 0, "no maps");
	p = userbpf_object_find_prog(obj, "compute");
	if (!CHECK(p != NULL, "find compute"))
		goto out;
	CHECK(userbpf_object_prog_type(p) == USERBPF_PROG_TYPE_SYSCALL, "type syscall");
	CHECK(!strcmp(userbpf_object_prog_section(p), "syscall"), "section");
	CHECK(userbpf_object_prog_attach_target(p) == NULL, "no attach target");
	fi = userbpf_object_prog_func_info(p, &nfi);
	CHECK(nfi == 4, "compute + 3 subprograms, got %zu", nfi);
	CHECK(nfi && fi[0].insn == 0 && !strcmp(fi[0].name, "compute"), "entry first");
	for (size_t i = 1; i < nfi; i++)
		CHECK(fi[i].insn > fi[i - 1].insn, "func info sorted");
	li = userbpf_object_prog_line_info(p, &nli);
	CHECK(nli > 5, "line info present: %zu", nli);
	for (size_t i = 0; i < nli; i++) {
		CHECK(i == 0 || li[i].insn > li[i - 1].insn, "line info sorted at %zu", i);
		seen += li[i].text && strstr(li[i].text, "acc += square(i)");
	}
	CHECK(seen, "the source line of the loop body is in the line info");
	userbpf_object_prog_insns(p, &cnt);
	CHECK(cnt > 40, "linked program has the subprograms appended (%zu insns)", cnt);
	check_disasm(p, want);
	/* only_fib links its own copy of fib. */
	fi = userbpf_object_prog_func_info(userbpf_object_find_prog(obj, "only_fib"), &nfi);
	CHECK(nfi == 2 && !strcmp(fi[1].name, "fib"), "only_fib + fib");
	if (load_unverified(obj, "subprogs") == 0) {
		uint8_t m1[2] = { 1, 4 }, m2[2] = { 2, 10 }, m3[2] = { 0, 0 }, m4[1] = { 7 };

		run_expect(obj, "compute", m1, 2, 1 + 4 + 9 + 16);
		run_expect(obj, "compute", m2, 2, 55);
		run_expect(obj, "compute", m3, 2, 14 + 55);
		run_expect(obj, "only_fib", m4, 1, 13);
		CHECK(userbpf_object_load(obj, NULL) == -EBUSY, "second load is -EBUSY");
	}
out:
	userbpf_object_free(obj);
}

static void check_map(struct userbpf_object *obj, const char *name, uint32_t type, uint32_t ks,
		      uint32_t vs, uint32_t max, uint32_t flags)
{
	struct userbpf_map_desc d = { .sz = sizeof(d) };
	struct userbpf_object_map *m = userbpf_object_find_map(obj, name);

	if (!CHECK(m != NULL, "map %s exists", name))
		return;
	CHECK(userbpf_object_map_desc(m, &d) == 0, "desc %s", name);
	CHECK(d.type == type && d.key_size == ks && d.value_size == vs && d.max_entries == max &&
	      d.flags == flags, "map %s: type %u key %u value %u max %u flags %#x", name, d.type,
	      d.key_size, d.value_size, d.max_entries, d.flags);
}

static void test_maps(void)
{
	struct userbpf_object *obj = open_prog("maps");
	struct userbpf_map_desc d = { .sz = sizeof(d) };
	static const char *const want[] = {
		"; map counts", "; map events", "; map outer", "; map old_style",
		"__u64 *v = bpf_map_lookup_elem(&counts, &key);", NULL,
	};

	if (!obj)
		return;
	CHECK(userbpf_object_map_cnt(obj) == 4, "4 maps, got %zu", userbpf_object_map_cnt(obj));
	check_map(obj, "events", 1, 4, 32, 1024, 1);
	check_map(obj, "counts", 2, 4, 8, 16, 0);
	check_map(obj, "outer", 12, 4, 4, 8, 0);
	check_map(obj, "old_style", 2, 4, 8, 2, 0);
	if (userbpf_object_map_desc(userbpf_object_find_map(obj, "outer"), &d) == 0 &&
	    CHECK(d.inner != NULL, "outer has an inner template")) {
		struct userbpf_map_desc in = { .sz = sizeof(in) };

		userbpf_object_map_desc(d.inner, &in);
		CHECK(in.type == 2 && in.key_size == 4 && in.value_size == 4 && in.max_entries == 4,
		      "inner: %u %u %u %u", in.type, in.key_size, in.value_size, in.max_entries);
	}
	userbpf_object_map_desc(userbpf_object_find_map(obj, "old_style"), &d);
	CHECK(!strcmp(d.section, "maps"), "legacy map section '%s'", d.section);
	CHECK(userbpf_object_prog_type(userbpf_object_prog_at(obj, 0)) ==
	      USERBPF_PROG_TYPE_SCHED_CLS, "tc -> sched_cls");
	check_disasm(userbpf_object_prog_at(obj, 0), want);
	if (load_flags(obj, "maps", USERBPF_PROG_F_TRUSTED) == 0) {
		CHECK(userbpf_object_map_loaded(userbpf_object_find_map(obj, "events")) != NULL,
		      "events created");
		run_expect(obj, "count_packets", NULL, 0, 1);
	}
	userbpf_object_free(obj);
}

static void test_globals(void)
{
	struct userbpf_object *obj = open_prog("globals");
	struct userbpf_object_map *ro;
	uint32_t mult = 5;
	uint64_t big = 0;
	size_t size = 0;
	uint8_t *data;
	static const char *const want[] = {
		"; map .data + 0 (counter)", "; map .bss", "(cfg_mult)", "(cfg_add)",
		"counter += 1;", NULL,
	};

	if (!obj)
		return;
	check_map(obj, ".data", 2, 4, 4, 1, 0x400);
	check_map(obj, ".bss", 2, 4, 40, 1, 0x400);
	ro = userbpf_object_find_map(obj, ".rodata");
	CHECK(ro != NULL, ".rodata map");
	data = userbpf_object_map_data(ro, &size);
	CHECK(data && size >= 16, ".rodata initial data (%zu bytes)", size);
	CHECK(data && data[0] == 3, "cfg_mult starts at 3");
	CHECK(userbpf_object_set_var(obj, "cfg_mult", &mult, sizeof(mult)) == 0, "set cfg_mult");
	CHECK(data && data[0] == 5, "cfg_mult is now 5");
	CHECK(userbpf_object_set_var(obj, "cfg_mult", &big, sizeof(big)) == -EINVAL,
	      "wrong size is -EINVAL");
	CHECK(userbpf_object_set_var(obj, "no_such_var", &mult, 4) == -ENOENT, "unknown -ENOENT");
	CHECK(userbpf_object_prog_type(userbpf_object_prog_at(obj, 0)) == USERBPF_PROG_TYPE_XDP,
	      "xdp");
	check_disasm(userbpf_object_prog_at(obj, 0), want);
	if (load_unverified(obj, "globals") == 0) {
		CHECK(userbpf_object_set_var(obj, "cfg_mult", &mult, 4) == -EBUSY, "-EBUSY");
		/* (7 + 1) * 5 + 100: the host's configuration took effect. */
		run_expect(obj, "use_globals", NULL, 0, 140);
	}
	userbpf_object_free(obj);
}

static void test_callbacks(void)
{
	struct userbpf_object *obj = open_prog("callbacks");
	const struct userbpf_insn *in;
	size_t cnt, found = 0;
	static const char *const want[] = { "; callback add_index", "add_index:", NULL };

	if (!obj)
		return;
	in = userbpf_object_prog_insns(userbpf_object_prog_at(obj, 0), &cnt);
	for (size_t i = 0; i + 1 < cnt; i++)
		if (in[i].code == 0x18 && in[i].src_reg == USERBPF_PSEUDO_FUNC)
			found = i + in[i].imm + 1;
	CHECK(found == 11, "callback target is the appended add_index (insn %zu)", found);
	check_disasm(userbpf_object_prog_at(obj, 0), want);
	if (load_unverified(obj, "callbacks") == 0)
		run_expect(obj, "loop_sum", NULL, 0, 45);
	userbpf_object_free(obj);
}

static void test_sections(void)
{
	static const struct {
		const char *name;
		uint32_t type;
		const char *kind, *target;
	} want[] = {
		{ "on_xdp", USERBPF_PROG_TYPE_XDP, "xdp", NULL },
		{ "on_socket", USERBPF_PROG_TYPE_SOCKET_FILTER, "socket", NULL },
		{ "on_uprobe", USERBPF_PROG_TYPE_KPROBE, "uprobe", "/usr/bin/app:handle_request" },
		{ "on_uretprobe", USERBPF_PROG_TYPE_KPROBE, "uretprobe",
		  "/usr/bin/app:handle_request" },
		{ "on_usdt", USERBPF_PROG_TYPE_KPROBE, "usdt", "app:provider:probe" },
		{ "on_fentry", USERBPF_PROG_TYPE_TRACING, "fentry", "do_work" },
		{ "on_fexit", USERBPF_PROG_TYPE_TRACING, "fexit", "do_work" },
		{ "on_fmod_ret", USERBPF_PROG_TYPE_TRACING, "fmod_ret", "do_work" },
		{ "on_tp", USERBPF_PROG_TYPE_TRACEPOINT, "tracepoint", "sched/sched_switch" },
		{ "on_raw_tp", USERBPF_PROG_TYPE_RAW_TRACEPOINT, "raw_tp", "sched_switch" },
		{ "on_struct_ops", USERBPF_PROG_TYPE_STRUCT_OPS, "struct_ops", "ops_init" },
	};
	struct userbpf_object *obj = open_prog("sections");

	if (!obj)
		return;
	CHECK(userbpf_object_prog_cnt(obj) == 11, "11 programs, got %zu",
	      userbpf_object_prog_cnt(obj));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct userbpf_object_prog *p = userbpf_object_find_prog(obj, want[i].name);
		const char *t;

		if (!CHECK(p != NULL, "program %s", want[i].name))
			continue;
		t = userbpf_object_prog_attach_target(p);
		CHECK(userbpf_object_prog_type(p) == want[i].type, "%s: type %u", want[i].name,
		      userbpf_object_prog_type(p));
		CHECK(!strcmp(userbpf_object_prog_attach_kind(p), want[i].kind), "%s: kind %s",
		      want[i].name, userbpf_object_prog_attach_kind(p));
		CHECK(want[i].target ? t && !strcmp(t, want[i].target) : !t, "%s: target %s",
		      want[i].name, t ? t : "(none)");
	}
	CHECK(!strcmp(userbpf_object_license(obj), "Apache-2.0"), "license");
	if (load_unverified(obj, "sections") == 0) {
		uint8_t pkt[64] = { 0 };

		run_expect(obj, "on_xdp", pkt, sizeof(pkt), 2);
	}
	userbpf_object_free(obj);
}

static void test_strings(void)
{
	struct userbpf_object *obj = open_prog("strings");
	static const char *const want[] = { "; map .rodata.str1.1 + 9", "; call pick", NULL };

	if (!obj)
		return;
	check_map(obj, ".rodata.str1.1", 2, 4, 18, 1, 0x480);
	check_disasm(userbpf_object_prog_at(obj, 0), want);
	if (load_unverified(obj, "strings") == 0) {
		uint8_t a[2] = { 1, 4 }, b[2] = { 0, 7 };

		run_expect(obj, "char_at", a, 2, 'b');
		run_expect(obj, "char_at", b, 2, '.');
	}
	userbpf_object_free(obj);
}

static void test_mapinmap(void)
{
	struct userbpf_object *obj = open_prog("mapinmap");
	struct userbpf_map *outer, *a, *b;
	uint32_t k, id = 0, v = 41;

	if (!obj)
		return;
	check_map(obj, "outer", 12, 4, 4, 4, 0);
	if (load_flags(obj, "mapinmap", USERBPF_PROG_F_TRUSTED) == 0) {
		outer = userbpf_object_map_loaded(userbpf_object_find_map(obj, "outer"));
		a = userbpf_object_map_loaded(userbpf_object_find_map(obj, "inner_a"));
		b = userbpf_object_map_loaded(userbpf_object_find_map(obj, "inner_b"));
		k = 0;
		CHECK(userbpf_map_lookup(outer, &k, &id) == 0 && id == userbpf_map_id(a),
		      "slot 0 holds inner_a (id %u)", id);
		k = 2;
		CHECK(userbpf_map_lookup(outer, &k, &id) == 0 && id == userbpf_map_id(b),
		      "slot 2 holds inner_b (id %u)", id);
		k = 0;
		CHECK(userbpf_map_update(b, &k, &v, USERBPF_ANY) == 0, "inner_b[0] = 41");
		run_expect(obj, "through_outer", (uint8_t[1]){ 0 }, 1, 1);
		run_expect(obj, "through_outer", (uint8_t[1]){ 1 }, 1, 0);
		run_expect(obj, "through_outer", (uint8_t[1]){ 2 }, 1, 42);
	}
	userbpf_object_free(obj);
}

/* The same linked program on the JIT (trusted) and on the interpreter gives the same r0. */
static void test_jit_same(void)
{
	struct userbpf_object *oi = open_prog("subprogs"), *oj = open_prog("subprogs");
	struct userbpf_object_load_opts li = {
		.sz = sizeof(li), .flags = USERBPF_PROG_F_TRUSTED, .engine = USERBPF_ENGINE_INTERP,
	};
	struct userbpf_object_load_opts lj = {
		.sz = sizeof(lj), .flags = USERBPF_PROG_F_TRUSTED, .engine = USERBPF_ENGINE_JIT,
	};
	int err;

	if (!oi || !oj)
		goto out;
	CHECK(userbpf_object_load(oi, &li) == 0, "interp load");
	err = userbpf_object_load(oj, &lj);
	if (err == -ENOTSUP) {
		SKIP("no JIT on this machine");
		goto out;
	}
	CHECK(err == 0, "JIT load: %s", strerror(-err));
	if (err)
		goto out;
	for (unsigned sel = 0; sel < 3; sel++) {
		for (unsigned n = 0; n < 50; n += 7) {
			uint8_t m[2] = { (uint8_t)sel, (uint8_t)n };
			uint64_t ri = 1, rj = 2;
			struct userbpf_prog *pi = userbpf_object_prog_loaded(
				userbpf_object_find_prog(oi, "compute"));
			struct userbpf_prog *pj = userbpf_object_prog_loaded(
				userbpf_object_find_prog(oj, "compute"));

			CHECK(userbpf_prog_engine(pj) == USERBPF_ENGINE_JIT, "runs on the JIT");
			CHECK(userbpf_prog_run(pi, m, 2, &ri) == 0 && userbpf_prog_run(pj, m, 2, &rj) == 0
			      && ri == rj, "compute(%u, %u): interp %" PRIu64 ", JIT %" PRIu64, sel, n,
			      ri, rj);
		}
	}
out:
	userbpf_object_free(oi);
	userbpf_object_free(oj);
}

int main(void)
{
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = log_fn };

	env = userbpf_env_new(&eo);
	if (!CHECK(env != NULL, "env"))
		return ub_test_done("loader");
	test_subprogs();
	test_maps();
	test_globals();
	test_callbacks();
	test_sections();
	test_strings();
	test_mapinmap();
	test_jit_same();
	userbpf_env_free(env);
	return ub_test_done("loader");
}
