/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader_bad.c: malformed objects and BTF get a clear error naming the file, section and
 * offset, never a crash or a leak: truncations at every length, targeted corruptions (unknown
 * relocation type, relocation outside its section, overlapping sections, bad name offsets,
 * looping or truncated BTF, bad .BTF.ext), random byte flips, and allocation failure at every
 * allocation of an open.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>

#include "test.h"
#include <userbpf/userbpf.h>

static char logbuf[16384];

static void log_fn(void *user, int level, const char *msg)
{
	size_t n = strlen(logbuf);

	(void)user, (void)level;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

static struct userbpf_env *env;

static uint8_t *read_file(const char *name, size_t *size)
{
	char path[512];
	FILE *f;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%s/progs/%s.bpf.o", getenv("UB_BUILD") ?: "build", name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

/* Open a (corrupted) image; expect failure with errno `want_errno` and `want` in the log. */
static void expect_fail(const uint8_t *img, size_t size, const char *what, int want_errno,
			const char *want)
{
	struct userbpf_object_opts o = { .sz = sizeof(o), .name = "bad.o" };
	struct userbpf_object *obj;

	logbuf[0] = 0;
	obj = userbpf_object_open_mem(env, img, size, &o);
	CHECK(obj == NULL, "%s: open must fail", what);
	if (obj) {
		userbpf_object_free(obj);
		return;
	}
	CHECK(errno == want_errno, "%s: errno %d (%s), want %d", what, errno, strerror(errno),
	      want_errno);
	CHECK(strstr(logbuf, "bad.o") && strstr(logbuf, want), "%s: message should name the file "
	      "and say \"%s\":\n%s", what, want, logbuf);
}

struct sec_loc {
	size_t shdr_off; /* file offset of its section header */
	size_t off, size;
};

/* Locate a section of an image with libelf (independently of the loader). */
static int find_sec(uint8_t *img, size_t size, const char *name, struct sec_loc *loc)
{
	Elf *elf = elf_memory((char *)img, size);
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t shstrndx;
	int found = 0;

	if (!elf || !gelf_getehdr(elf, &eh) || elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		gelf_getshdr(scn, &sh);
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name)) {
			loc->shdr_off = eh.e_shoff + elf_ndxscn(scn) * sizeof(Elf64_Shdr);
			loc->off = sh.sh_offset;
			loc->size = sh.sh_size;
			found = 1;
		}
	}
	elf_end(elf);
	return found;
}

static void test_not_elf(void)
{
	static const uint8_t junk[64] = "this is not an ELF file at all";

	expect_fail(junk, sizeof(junk), "text", EINVAL, "not an ELF file");
	expect_fail(junk, 0, "empty", EINVAL, "not an ELF file");
}

static void test_truncations(void)
{
	size_t size, fails = 0, tried = 0;
	uint8_t *img = read_file("subprogs", &size);
	struct userbpf_object_opts o = { .sz = sizeof(o), .name = "trunc.o" };

	if (!CHECK(img != NULL, "read subprogs.bpf.o"))
		return;
	for (size_t len = 0; len < size; len += (len < 256 ? 1 : 7)) {
		struct userbpf_object *obj;

		logbuf[0] = 0;
		obj = userbpf_object_open_mem(env, img, len, &o);
		tried++;
		if (!obj && strstr(logbuf, "trunc.o"))
			fails++;
		userbpf_object_free(obj);
	}
	CHECK(fails == tried, "every truncation fails with a message (%zu of %zu)", fails, tried);
	free(img);
}

static void test_corruptions(void)
{
	size_t size;
	uint8_t *orig = read_file("subprogs", &size), *img;
	struct sec_loc rel, text, btf, ext, sym;
	Elf64_Rel r;
	Elf64_Shdr sh;

	if (!CHECK(orig != NULL, "read subprogs.bpf.o"))
		return;
	img = malloc(size);
	if (!CHECK(find_sec(orig, size, ".relsyscall", &rel) && find_sec(orig, size, ".text", &text)
		   && find_sec(orig, size, ".BTF", &btf) && find_sec(orig, size, ".BTF.ext", &ext)
		   && find_sec(orig, size, ".symtab", &sym), "sections found"))
		goto out;

	memcpy(img, orig, size);
	memcpy(&r, img + rel.off, sizeof(r));
	r.r_info = ELF64_R_INFO(ELF64_R_SYM(r.r_info), 7);
	memcpy(img + rel.off, &r, sizeof(r));
	expect_fail(img, size, "unknown relocation type", EINVAL, "unknown relocation type 7");

	memcpy(img, orig, size);
	memcpy(&r, img + rel.off, sizeof(r));
	r.r_offset = 0x100000;
	memcpy(img + rel.off, &r, sizeof(r));
	expect_fail(img, size, "relocation outside", EINVAL, "outside");

	memcpy(img, orig, size);
	memcpy(&r, img + rel.off, sizeof(r));
	r.r_offset += 8; /* onto an instruction that is not a call */
	memcpy(img + rel.off, &r, sizeof(r));
	expect_fail(img, size, "relocation on a non-call", EINVAL, "not on a call");

	memcpy(img, orig, size);
	memcpy(&r, img + rel.off, sizeof(r));
	r.r_info = ELF64_R_INFO(100000, ELF64_R_TYPE(r.r_info));
	memcpy(img + rel.off, &r, sizeof(r));
	expect_fail(img, size, "relocation symbol", EINVAL, "symbol #100000");

	memcpy(img, orig, size);
	memcpy(&sh, img + text.shdr_off, sizeof(sh));
	sh.sh_offset = btf.off + 4; /* .text now overlaps .BTF */
	memcpy(img + text.shdr_off, &sh, sizeof(sh));
	expect_fail(img, size, "overlap", EINVAL, "overlaps");

	memcpy(img, orig, size);
	memcpy(&sh, img + text.shdr_off, sizeof(sh));
	sh.sh_name = 0x7fffffff;
	memcpy(img + text.shdr_off, &sh, sizeof(sh));
	expect_fail(img, size, "section name", EINVAL, "name offset");

	memcpy(img, orig, size);
	memcpy(&sh, img + text.shdr_off, sizeof(sh));
	sh.sh_size = size * 2;
	memcpy(img + text.shdr_off, &sh, sizeof(sh));
	expect_fail(img, size, "section past the end", EINVAL, "past the end of the file");

	memcpy(img, orig, size);
	{
		Elf64_Sym s;

		memcpy(&s, img + sym.off + sizeof(s) * 2, sizeof(s));
		s.st_name = 0x7fffffff;
		memcpy(img + sym.off + sizeof(s) * 2, &s, sizeof(s));
	}
	expect_fail(img, size, "symbol name", EINVAL, "symbol #2");

	memcpy(img, orig, size);
	img[btf.off] ^= 0xff; /* BTF magic */
	expect_fail(img, size, "BTF magic", EINVAL, "section .BTF: bad BTF magic");

	memcpy(img, orig, size);
	{
		uint32_t str_len;

		memcpy(&str_len, img + btf.off + 20, 4);
		str_len += 4096;
		memcpy(img + btf.off + 20, &str_len, 4);
	}
	expect_fail(img, size, "BTF strings", EINVAL, "does not fit");

	memcpy(img, orig, size);
	{
		uint32_t len = 0x10000000;

		memcpy(img + ext.off + 12, &len, 4); /* func_info_len */
	}
	expect_fail(img, size, ".BTF.ext", EINVAL, ".BTF.ext blocks");
out:
	free(img);
	free(orig);
}

/* Target BTF variants exercise the BTF parser directly. */
static void expect_btf_fail(const void *raw, size_t size, const char *what, int want_errno,
			    const char *want)
{
	struct userbpf_object_opts o = { .sz = sizeof(o), .btf_data = raw, .btf_size = size };
	char path[512];

	snprintf(path, sizeof(path), "%s/progs/subprogs.bpf.o", getenv("UB_BUILD") ?: "build");
	logbuf[0] = 0;
	CHECK(userbpf_object_open_file(env, path, &o) == NULL, "%s: must fail", what);
	CHECK(errno == want_errno, "%s: errno %d, want %d", what, errno, want_errno);
	CHECK(strstr(logbuf, want) != NULL, "%s: message should say \"%s\":\n%s", what, want,
	      logbuf);
}

static void test_btf(void)
{
	struct btf *b = btf__new_empty();
	const uint8_t *raw;
	uint8_t *copy;
	uint32_t size;
	uint32_t type_off;

	/* typedef A -> B, typedef B -> A: a loop that never reaches a sized type. */
	btf__add_typedef(b, "A", 2);
	btf__add_typedef(b, "B", 1);
	raw = btf__raw_data(b, &size);
	expect_btf_fail(raw, size, "typedef loop", ELOOP, "loop");
	btf__free(b);

	b = btf__new_empty();
	btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	btf__add_ptr(b, 7); /* id 7 does not exist */
	raw = btf__raw_data(b, &size);
	expect_btf_fail(raw, size, "dangling type id", EINVAL, "type [2] (ptr");
	copy = malloc(size);
	memcpy(copy, raw, size);
	memcpy(&type_off, copy + 8, 4);
	memcpy(copy + 24 + type_off, &(uint32_t){ 1u << 20 }, 4); /* name_off of type 1 */
	expect_btf_fail(copy, size, "bad name offset", EINVAL, "name offset 1048576");
	memcpy(copy, raw, size);
	copy[24 + type_off + 7] = 25; /* kind 25 in info's top byte */
	expect_btf_fail(copy, size, "unknown kind", EINVAL, "unknown kind 25");
	expect_btf_fail(raw, 23, "short header", EINVAL, "too short");
	expect_btf_fail(raw, size - 3, "truncated", EINVAL, "does not fit");
	free(copy);
	btf__free(b);
}

/* Flip random bytes; every open either succeeds (and disassembles) or fails cleanly. */
static int null_write(void *user, const char *text, size_t len)
{
	(void)user, (void)text, (void)len;
	return 0;
}

static void test_random(void)
{
	static const char *const names[] = { "subprogs", "maps", "globals", "core", "callbacks" };
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t ok = 0, failed_clean = 0, total = 0;

	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		size_t size;
		uint8_t *orig = read_file(names[n], &size), *img;

		if (!CHECK(orig != NULL, "read %s", names[n]))
			continue;
		img = malloc(size);
		for (int it = 0; it < 400; it++) {
			struct userbpf_object *obj;
			int flips;

			memcpy(img, orig, size);
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			flips = 1 + (int)(seed >> 60);
			for (int f = 0; f < flips; f++) {
				seed = seed * 6364136223846793005ull + 1442695040888963407ull;
				img[(seed >> 16) % size] ^= (uint8_t)(1u << ((seed >> 8) & 7));
			}
			logbuf[0] = 0;
			obj = userbpf_object_open_mem(env, img, size, NULL);
			total++;
			if (obj) {
				ok++;
				for (size_t p = 0; p < userbpf_object_prog_cnt(obj); p++)
					userbpf_object_prog_disasm(userbpf_object_prog_at(obj, p),
								   NULL, null_write, NULL);
				userbpf_object_free(obj);
			} else if (logbuf[0]) {
				failed_clean++;
			} else {
				CHECK(0, "%s iteration %d: failed (%s) without a message", names[n],
				      it, strerror(errno));
			}
		}
		free(img);
		free(orig);
	}
	printf("NOTE random corruptions: %zu opened, %zu rejected with a message, of %zu\n", ok,
	       failed_clean, total);
	CHECK(ok + failed_clean == total, "every corrupted object is handled");
}

/* An allocator that fails the Nth allocation and counts what is live. */
static long fail_at, alloc_cnt, live;

static void *t_alloc(void *user, size_t size)
{
	void *p;

	(void)user;
	if (alloc_cnt++ == fail_at)
		return NULL;
	p = malloc(size);
	live += !!p;
	return p;
}

static void *t_realloc(void *user, void *ptr, size_t size)
{
	void *p;

	(void)user;
	if (alloc_cnt++ == fail_at)
		return NULL;
	p = realloc(ptr, size);
	live += p && !ptr;
	return p;
}

static void t_free(void *user, void *ptr)
{
	(void)user;
	live -= !!ptr;
	free(ptr);
}

static void test_alloc_failures(void)
{
	static const struct userbpf_allocator a = { t_alloc, t_realloc, t_free, NULL };
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .alloc = &a };
	const char *names[] = { "subprogs", "maps", "core" };

	for (size_t n = 0; n < 3; n++) {
		size_t size;
		uint8_t *img = read_file(names[n], &size);
		long bad = 0, cases = 0;

		if (!CHECK(img != NULL, "read %s", names[n]))
			continue;
		for (;;) {
			struct userbpf_env *e;
			struct userbpf_object *obj;
			long base;

			fail_at = -1;
			alloc_cnt = 0;
			e = userbpf_env_new(&eo);
			if (!e)
				break;
			base = live;
			fail_at = alloc_cnt + cases; /* the open's cases-th allocation fails */
			obj = userbpf_object_open_mem(e, img, size, NULL);
			if (obj) {
				userbpf_object_free(obj);
				if (live != base)
					bad++;
				userbpf_env_free(e);
				break;
			}
			if (errno != ENOMEM || live != base)
				bad++;
			userbpf_env_free(e);
			cases++;
		}
		CHECK(cases > 10 && bad == 0, "%s: %ld allocation failures, %ld mishandled (wrong "
		      "errno or leak)", names[n], cases, bad);
		free(img);
	}
	fail_at = -1;
}

/* Objects using features the loader refuses: compiled from inline C at test time. */
static void test_unsupported(void)
{
	static const struct {
		const char *name, *src, *want;
	} cases[] = {
		{ "kfunc", "extern int host_kfunc(int) __ksym;\n"
			   "SEC(\"syscall\") int p(void *c) { return host_kfunc(1); }\n",
		  "call to extern function 'host_kfunc'" },
		{ "kconfig", "extern int CONFIG_HZ __kconfig;\n"
			     "SEC(\"syscall\") int p(void *c) { return CONFIG_HZ; }\n",
		  "reference to extern 'CONFIG_HZ'" },
		{ "struct_ops", "struct ops { int (*f)(void); };\n"
				"SEC(\"syscall\") int p(void *c) { return 0; }\n"
				"SEC(\".struct_ops\") struct ops my_ops = { .f = 0 };\n",
		  "section '.struct_ops'" },
	};
	const char *build = getenv("UB_BUILD") ?: "build";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char src[512], obj[512], cmd[2048];
		struct userbpf_object_opts o = { .sz = sizeof(o), .name = "bad.o" };
		FILE *f;

		snprintf(src, sizeof(src), "%s/loader_bad_%s.bpf.c", build, cases[i].name);
		snprintf(obj, sizeof(obj), "%s/loader_bad_%s.bpf.o", build, cases[i].name);
		f = fopen(src, "w");
		if (!CHECK(f != NULL, "write %s", src))
			continue;
		fprintf(f, "#include <linux/types.h>\n#include <bpf/bpf_helpers.h>\n%s"
			   "char LICENSE[] SEC(\"license\") = \"GPL\";\n", cases[i].src);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "clang -O2 -g -target bpf -D__TARGET_ARCH_x86 "
			 "-I/usr/include/$(uname -m)-linux-gnu -c %s -o %s 2>/dev/null", src, obj);
		if (system(cmd) != 0) {
			SKIP("%s: clang could not compile the case", cases[i].name);
			continue;
		}
		logbuf[0] = 0;
		CHECK(userbpf_object_open_file(env, obj, &o) == NULL && errno == ENOTSUP,
		      "%s: refused with ENOTSUP (errno %d)", cases[i].name, errno);
		CHECK(strstr(logbuf, cases[i].want) != NULL, "%s: message should say \"%s\":\n%s",
		      cases[i].name, cases[i].want, logbuf);
	}
}

int main(void)
{
	struct userbpf_env_opts eo = { .sz = sizeof(eo), .log_fn = log_fn };

	elf_version(EV_CURRENT);
	env = userbpf_env_new(&eo);
	test_not_elf();
	test_truncations();
	test_corruptions();
	test_btf();
	test_random();
	test_alloc_failures();
	test_unsupported();
	userbpf_env_free(env);
	return ub_test_done("loader_bad");
}
