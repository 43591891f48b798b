/* SPDX-License-Identifier: Apache-2.0 */
/*
 * symbol.c: find functions of the running process by name or address: every loaded object
 * (dl_iterate_phdr), its ELF .symtab then .dynsym read with libelf, so that static functions of
 * an unstripped executable are found as well as exported ones. GNU ifuncs resolve to the
 * implementation the dynamic loader chose.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hooks/x86_64/tramp.h"

struct query {
	const char *object;  /* filter on the object's path, or NULL */
	const char *name;    /* find by name ... */
	uintptr_t addr;      /* ... or by address */
	struct ub_sym *out;
	char *name_out;
	size_t name_len;
	int found;
};

/* Does `path` name the object the user meant by `want` ("libc.so.6", "./app", "/usr/bin/x")? */
static int object_matches(const char *path, const char *want)
{
	char a[PATH_MAX], b[PATH_MAX];
	size_t lp = strlen(path), lw;

	if (realpath(path, a) && realpath(want, b) && !strcmp(a, b))
		return 1;
	while (!strncmp(want, "./", 2))
		want += 2;
	lw = strlen(want);
	return lw && lw <= lp && !strcmp(path + lp - lw, want) &&
	       (lw == lp || path[lp - lw - 1] == '/');
}

/* Search one ELF file; bias is the object's load bias. Returns 1 when found. */
static int search_elf(const char *path, uintptr_t bias, struct query *q)
{
	Elf_Scn *scn = NULL;
	int fd, found = 0;
	Elf *elf;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf) {
		close(fd);
		return 0;
	}
	/* .symtab first (all functions), then .dynsym (exported ones; stripped files). */
	for (int pass = 0; pass < 2 && !found; pass++) {
		GElf_Word want = pass ? SHT_DYNSYM : SHT_SYMTAB;

		scn = NULL;
		while (!found && (scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			Elf_Data *data;
			size_t n;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != want || !sh.sh_entsize)
				continue;
			data = elf_getdata(scn, NULL);
			if (!data)
				continue;
			n = sh.sh_size / sh.sh_entsize;
			for (size_t i = 0; i < n; i++) {
				GElf_Sym sym;
				const char *nm;
				int type;

				if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
					continue;
				type = GELF_ST_TYPE(sym.st_info);
				if (type != STT_FUNC && type != STT_GNU_IFUNC)
					continue;
				nm = elf_strptr(elf, sh.sh_link, sym.st_name);
				if (!nm)
					continue;
				if (q->name) {
					if (strcmp(nm, q->name))
						continue;
					if (type == STT_GNU_IFUNC) {
						void *h = dlopen(path, RTLD_NOLOAD | RTLD_LAZY);
						void *p = h ? dlsym(h, nm) : NULL;

						if (h)
							dlclose(h);
						if (!p)
							continue;
						q->out->addr = p;
						q->out->size = 0;
					} else {
						q->out->addr = (uint8_t *)(bias + sym.st_value);
						q->out->size = sym.st_size;
					}
				} else {
					uintptr_t lo = bias + sym.st_value;

					if (type != STT_FUNC || q->addr < lo ||
					    q->addr >= lo + (sym.st_size ? sym.st_size : 1))
						continue;
					q->out->addr = (uint8_t *)lo;
					q->out->size = sym.st_size;
					if (q->name_out)
						snprintf(q->name_out, q->name_len, "%s", nm);
				}
				snprintf(q->out->object, sizeof(q->out->object), "%s", path);
				found = 1;
				break;
			}
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}

static int covers(const struct dl_phdr_info *info, uintptr_t addr)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && addr >= lo && addr < lo + ph->p_memsz)
			return 1;
	}
	return 0;
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct query *q = arg;
	char exe[PATH_MAX];
	const char *path = info->dlpi_name;

	(void)size;
	if (!path || !*path) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n <= 0)
			return 0;
		exe[n] = 0;
		path = exe;
	}
	if (q->object && !object_matches(path, q->object))
		return 0;
	if (!q->name && !covers(info, q->addr))
		return 0;
	if (search_elf(path, info->dlpi_addr, q)) {
		q->found = 1;
		return 1;
	}
	return 0;
}

int ub_sym_find(const char *object, const char *name, struct ub_sym *out)
{
	struct query q = { .object = object, .name = name, .out = out };

	memset(out, 0, sizeof(*out));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	dl_iterate_phdr(visit, &q);
	if (q.found && !out->size && out->addr) {
		struct ub_sym s;

		/* An ifunc: the size of the implementation it resolved to. */
		if (!ub_sym_find_addr(out->addr, &s, NULL, 0) && s.addr == out->addr)
			out->size = s.size;
	}
	return q.found ? 0 : -ENOENT;
}

int ub_sym_find_addr(const void *addr, struct ub_sym *out, char *name, size_t name_len)
{
	struct query q = { .addr = (uintptr_t)addr, .out = out, .name_out = name,
			   .name_len = name_len };

	memset(out, 0, sizeof(*out));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	dl_iterate_phdr(visit, &q);
	return q.found ? 0 : -ENOENT;
}
