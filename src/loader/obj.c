/* SPDX-License-Identifier: Apache-2.0 */
/* obj.c: open a BPF ELF object (libelf), check every section, find programs; public accessors. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/loader.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif
#define R_BPF_NONE  0
#define R_BPF_64_64 1
#define R_BPF_64_32 10

#define OBJ_ERR(obj, ...) ub_err(UB_OBJ_LOG(obj), __VA_ARGS__)

const char *ub_obj_sec_name(const struct userbpf_object *obj, uint32_t sec)
{
	if (sec < obj->nsec && obj->secs[sec].name && *obj->secs[sec].name)
		return obj->secs[sec].name;
	return "(unnamed)";
}

/* A NUL-terminated string at `off` of a string table section, or NULL. */
static const char *sec_str(const struct ub_sec *s, uint64_t off)
{
	if (!s->data || off >= s->size || !memchr(s->data + off, 0, s->size - off))
		return NULL;
	return (const char *)s->data + off;
}

struct range {
	uint64_t off, size;
	const char *what;
};

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* No two sections (or a section and the header or section table) share bytes of the file. */
static int check_overlaps(struct userbpf_object *obj, const GElf_Ehdr *eh)
{
	struct range *r = ub_alloc(obj->env, (obj->nsec + 2) * sizeof(*r));
	size_t n = 0;
	int err = 0;

	if (!r)
		return -ENOMEM;
	r[n++] = (struct range){ 0, sizeof(Elf64_Ehdr), "the ELF header" };
	r[n++] = (struct range){ eh->e_shoff, (uint64_t)obj->nsec * sizeof(Elf64_Shdr),
				 "the section header table" };
	for (size_t i = 1; i < obj->nsec; i++)
		if (obj->secs[i].data)
			r[n++] = (struct range){ obj->secs[i].off, obj->secs[i].size,
						 obj->secs[i].name };
	qsort(r, n, sizeof(*r), cmp_range);
	for (size_t i = 1; i < n && !err; i++) {
		if (r[i - 1].off + r[i - 1].size > r[i].off) {
			OBJ_ERR(obj, "%s: section '%s' (offset %#" PRIx64 ", %" PRIu64 " bytes) "
				"overlaps '%s' at offset %#" PRIx64, obj->name, r[i - 1].what,
				r[i - 1].off, r[i - 1].size, r[i].what, r[i].off);
			err = -EINVAL;
		}
	}
	ub_free(obj->env, r);
	return err;
}

static int read_sections(struct userbpf_object *obj, Elf *elf)
{
	GElf_Ehdr eh;
	size_t n = 0, shstrndx = 0;
	const struct ub_sec *shstr;

	if (!gelf_getehdr(elf, &eh)) {
		OBJ_ERR(obj, "%s: cannot read the ELF header: %s", obj->name, elf_errmsg(-1));
		return -EINVAL;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		OBJ_ERR(obj, "%s: not a 64-bit little-endian ELF file (class %u, data %u)",
			obj->name, eh.e_ident[EI_CLASS], eh.e_ident[EI_DATA]);
		return -EINVAL;
	}
	if (eh.e_machine != EM_BPF || eh.e_type != ET_REL) {
		OBJ_ERR(obj, "%s: not a relocatable BPF object (machine %u, type %u; want %u, %u)",
			obj->name, eh.e_machine, eh.e_type, EM_BPF, ET_REL);
		return -EINVAL;
	}
	if (eh.e_shoff > obj->size ||
	    (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) > obj->size - eh.e_shoff) {
		OBJ_ERR(obj, "%s: the section header table (offset %#" PRIx64 ", %u entries) runs "
			"past the end of the file (%zu bytes): truncated?", obj->name,
			(uint64_t)eh.e_shoff, eh.e_shnum, obj->size);
		return -EINVAL;
	}
	if (elf_getshdrnum(elf, &n) || elf_getshdrstrndx(elf, &shstrndx) || n == 0) {
		OBJ_ERR(obj, "%s: cannot read the section table (%zu sections, names in #%zu): %s",
			obj->name, n, shstrndx, elf_errmsg(-1));
		return -EINVAL;
	}
	if (n > obj->size / sizeof(Elf64_Shdr) || shstrndx >= n) {
		OBJ_ERR(obj, "%s: %zu sections (names in #%zu) cannot fit in %zu bytes", obj->name,
			n, shstrndx, obj->size);
		return -EINVAL;
	}
	obj->secs = ub_zalloc(obj->env, n * sizeof(*obj->secs));
	if (!obj->secs)
		return -ENOMEM;
	obj->nsec = n;
	for (size_t i = 0; i < n; i++) {
		Elf_Scn *scn = elf_getscn(elf, i);
		struct ub_sec *s = &obj->secs[i];
		GElf_Shdr sh;

		s->map_idx = -1;
		if (!scn || !gelf_getshdr(scn, &sh)) {
			OBJ_ERR(obj, "%s: cannot read section header #%zu: %s", obj->name, i,
				elf_errmsg(-1));
			return -EINVAL;
		}
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->off = sh.sh_offset;
		s->size = sh.sh_size;
		s->link = sh.sh_link;
		s->info = sh.sh_info;
		s->entsize = (uint32_t)sh.sh_entsize;
		s->name = (const char *)(uintptr_t)sh.sh_name; /* resolved below */
		if (i == 0 || sh.sh_type == SHT_NOBITS || sh.sh_type == SHT_NULL)
			continue;
		if (sh.sh_offset > obj->size || sh.sh_size > obj->size - sh.sh_offset) {
			OBJ_ERR(obj, "%s: section #%zu (offset %#" PRIx64 ", %" PRIu64 " bytes) runs "
				"past the end of the file (%zu bytes): truncated?", obj->name, i,
				(uint64_t)sh.sh_offset, (uint64_t)sh.sh_size, obj->size);
			return -EINVAL;
		}
		if (sh.sh_size)
			s->data = obj->image + sh.sh_offset;
	}
	shstr = &obj->secs[shstrndx];
	for (size_t i = 0; i < n; i++) {
		uint64_t off = (uintptr_t)obj->secs[i].name;

		obj->secs[i].name = i ? sec_str(shstr, off) : "";
		if (!obj->secs[i].name) {
			OBJ_ERR(obj, "%s: section #%zu: name offset %" PRIu64 " is outside the "
				"section name table", obj->name, i, off);
			return -EINVAL;
		}
	}
	return check_overlaps(obj, &eh);
}

static int read_symbols(struct userbpf_object *obj)
{
	const struct ub_sec *symtab = NULL, *strtab;
	size_t symidx = 0;

	for (size_t i = 1; i < obj->nsec; i++) {
		if (obj->secs[i].type != SHT_SYMTAB)
			continue;
		if (symtab) {
			OBJ_ERR(obj, "%s: more than one symbol table", obj->name);
			return -EINVAL;
		}
		symtab = &obj->secs[i];
		symidx = i;
	}
	if (!symtab || !symtab->data) {
		OBJ_ERR(obj, "%s: no symbol table (was the object stripped?)", obj->name);
		return -EINVAL;
	}
	if (symtab->size % sizeof(Elf64_Sym) || symtab->link >= obj->nsec ||
	    obj->secs[symtab->link].type != SHT_STRTAB) {
		OBJ_ERR(obj, "%s: section '%s' (#%zu): size %zu is not a multiple of %zu or its "
			"string table link %u is not a string table", obj->name, symtab->name, symidx,
			symtab->size, sizeof(Elf64_Sym), symtab->link);
		return -EINVAL;
	}
	strtab = &obj->secs[symtab->link];
	obj->nsym = symtab->size / sizeof(Elf64_Sym);
	obj->syms = ub_zalloc(obj->env, obj->nsym * sizeof(*obj->syms));
	if (!obj->syms)
		return -ENOMEM;
	for (size_t i = 0; i < obj->nsym; i++) {
		struct ub_sym *s = &obj->syms[i];
		Elf64_Sym e;

		memcpy(&e, symtab->data + i * sizeof(e), sizeof(e));
		s->name = sec_str(strtab, e.st_name);
		if (!s->name) {
			OBJ_ERR(obj, "%s: symbol #%zu (offset %zu of '%s'): name offset %u is outside "
				"the string table", obj->name, i, i * sizeof(e), symtab->name,
				e.st_name);
			return -EINVAL;
		}
		s->value = e.st_value;
		s->size = e.st_size;
		s->shndx = e.st_shndx;
		s->type = ELF64_ST_TYPE(e.st_info);
		s->bind = ELF64_ST_BIND(e.st_info);
		if (s->shndx && s->shndx < SHN_LORESERVE && s->shndx >= obj->nsec) {
			OBJ_ERR(obj, "%s: symbol '%s' (#%zu) is in section #%u, which does not exist",
				obj->name, s->name, i, s->shndx);
			return -EINVAL;
		}
		if (s->type == STT_SECTION && s->shndx < obj->nsec && !*s->name)
			s->name = obj->secs[s->shndx].name;
	}
	return 0;
}

static int is_exec(const struct ub_sec *s)
{
	return s->type == SHT_PROGBITS && (s->flags & SHF_EXECINSTR);
}

/* Check one executable section's relocations and index them by instruction. */
static int read_relocs(struct userbpf_object *obj, uint32_t ri)
{
	const struct ub_sec *rs = &obj->secs[ri];
	struct ub_sec *ts;
	size_t cnt, base;

	if (rs->info >= obj->nsec) {
		OBJ_ERR(obj, "%s: relocation section '%s' targets section #%u, which does not exist",
			obj->name, rs->name, rs->info);
		return -EINVAL;
	}
	ts = &obj->secs[rs->info];
	if (!is_exec(ts))
		return 0; /* .BTF, .BTF.ext, .debug_*, .maps initial values: not needed */
	if (rs->type == SHT_RELA) {
		OBJ_ERR(obj, "%s: section '%s': RELA relocations are not used for BPF code",
			obj->name, rs->name);
		return -EINVAL;
	}
	if (!rs->data || rs->size % sizeof(Elf64_Rel)) {
		OBJ_ERR(obj, "%s: relocation section '%s' has size %zu, not a multiple of %zu",
			obj->name, rs->name, rs->size, sizeof(Elf64_Rel));
		return -EINVAL;
	}
	if (ts->relo_at) {
		OBJ_ERR(obj, "%s: section '%s' has two relocation sections", obj->name, ts->name);
		return -EINVAL;
	}
	ts->relo_at = ub_zalloc(obj->env, (ts->size / 8 + 1) * sizeof(*ts->relo_at));
	if (!ts->relo_at)
		return -ENOMEM;
	cnt = rs->size / sizeof(Elf64_Rel);
	base = obj->nrel;
	{
		struct ub_rel *nr = ub_realloc(obj->env, obj->rels,
					       (base + cnt) * sizeof(*obj->rels));

		if (!nr)
			return -ENOMEM;
		obj->rels = nr;
	}
	for (size_t i = 0; i < cnt; i++) {
		struct ub_rel *r = &obj->rels[obj->nrel];
		uint8_t code;
		Elf64_Rel e;

		memcpy(&e, rs->data + i * sizeof(e), sizeof(e));
		r->off = e.r_offset;
		r->sym = (uint32_t)ELF64_R_SYM(e.r_info);
		r->type = (uint32_t)ELF64_R_TYPE(e.r_info);
		if (r->type == R_BPF_NONE)
			continue;
		if (r->type != R_BPF_64_64 && r->type != R_BPF_64_32) {
			OBJ_ERR(obj, "%s: section '%s' offset %#" PRIx64 ": unknown relocation type "
				"%u (entry %zu of '%s')", obj->name, ts->name, r->off, r->type, i,
				rs->name);
			return -EINVAL;
		}
		if (r->off % 8 || r->off >= ts->size ||
		    (r->type == R_BPF_64_64 && ts->size - r->off < 16)) {
			OBJ_ERR(obj, "%s: relocation %zu of '%s' points at offset %#" PRIx64 ", "
				"outside the %zu bytes of '%s' or not on an instruction", obj->name,
				i, rs->name, r->off, ts->size, ts->name);
			return -EINVAL;
		}
		if (r->sym == 0 || r->sym >= obj->nsym) {
			OBJ_ERR(obj, "%s: section '%s' offset %#" PRIx64 ": relocation names symbol "
				"#%u of %zu", obj->name, ts->name, r->off, r->sym, obj->nsym);
			return -EINVAL;
		}
		code = ts->data[r->off]; /* byte access: the section may be unaligned */
		if ((r->type == R_BPF_64_64 && code != (USERBPF_LD | USERBPF_DW | USERBPF_IMM)) ||
		    (r->type == R_BPF_64_32 && code != (USERBPF_JMP | USERBPF_CALL))) {
			OBJ_ERR(obj, "%s: section '%s' offset %#" PRIx64 " (insn %" PRIu64 "): a %s "
				"relocation on opcode %#x, not on %s", obj->name, ts->name, r->off,
				r->off / 8, r->type == R_BPF_64_64 ? "R_BPF_64_64" : "R_BPF_64_32",
				code, r->type == R_BPF_64_64 ? "an lddw" : "a call");
			return -EINVAL;
		}
		if (ts->relo_at[r->off / 8]) {
			OBJ_ERR(obj, "%s: section '%s' offset %#" PRIx64 ": two relocations on one "
				"instruction", obj->name, ts->name, r->off);
			return -EINVAL;
		}
		ts->relo_at[r->off / 8] = (uint32_t)(obj->nrel + 1);
		obj->nrel++;
	}
	return 0;
}

int ub_obj_is_data_sec(const struct ub_sec *s)
{
	static const char *const names[] = { ".data", ".rodata", ".bss" };

	if (!(s->flags & SHF_ALLOC) || (s->flags & SHF_EXECINSTR))
		return 0;
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(names[i]);

		if (!strncmp(s->name, names[i], l) && (!s->name[l] || s->name[l] == '.'))
			return 1;
	}
	return 0;
}

/* Every section is one the loader understands, or one it may ignore (debug info, BTF). */
static int check_sections(struct userbpf_object *obj)
{
	for (uint32_t i = 1; i < obj->nsec; i++) {
		const struct ub_sec *s = &obj->secs[i];
		int err;

		if (s->type == SHT_REL || s->type == SHT_RELA) {
			err = read_relocs(obj, i);
			if (err)
				return err;
			continue;
		}
		if (is_exec(s)) {
			if (s->size % 8) {
				OBJ_ERR(obj, "%s: code section '%s' has %zu bytes, not a multiple "
					"of 8", obj->name, s->name, s->size);
				return -EINVAL;
			}
			continue;
		}
		if (!(s->flags & SHF_ALLOC) || ub_obj_is_data_sec(s) || !strcmp(s->name, ".maps") ||
		    !strcmp(s->name, "maps") || !strcmp(s->name, "license") ||
		    !strcmp(s->name, "version"))
			continue;
		OBJ_ERR(obj, "%s: section '%s' (#%u, offset %#" PRIx64 ") is not supported%s",
			obj->name, s->name, i, s->off,
			!strncmp(s->name, ".struct_ops", 11) ? " (struct_ops maps)" : "");
		return -ENOTSUP;
	}
	return 0;
}

static int cmp_prog(const void *a, const void *b)
{
	const struct userbpf_object_prog *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Check every function symbol; make a program of each one outside .text. */
static int find_progs(struct userbpf_object *obj)
{
	size_t n = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < obj->nsym; i++) {
			const struct ub_sym *sym = &obj->syms[i];
			const struct ub_sec *s;
			struct userbpf_object_prog *p;

			if (sym->type != STT_FUNC || sym->shndx == SHN_UNDEF)
				continue;
			if (sym->shndx >= obj->nsec || !is_exec(&obj->secs[sym->shndx])) {
				if (!pass)
					continue;
				OBJ_ERR(obj, "%s: function '%s' is not in a code section", obj->name,
					sym->name);
				return -EINVAL;
			}
			s = &obj->secs[sym->shndx];
			if (!pass) {
				if (sym->value % 8 || sym->size % 8 || !sym->size ||
				    sym->value > s->size || sym->size > s->size - sym->value) {
					OBJ_ERR(obj, "%s: function '%s' (offset %#" PRIx64 ", %" PRIu64
						" bytes) does not lie on whole instructions inside "
						"section '%s' (%zu bytes)", obj->name, sym->name,
						sym->value, sym->size, s->name, s->size);
					return -EINVAL;
				}
				if (strcmp(s->name, ".text"))
					n++;
				continue;
			}
			if (!strcmp(s->name, ".text"))
				continue;
			p = &obj->progs[obj->nprog++];
			p->obj = obj;
			p->sec = sym->shndx;
			p->sec_name = s->name;
			p->start = sym->value / 8;
			p->len = sym->size / 8;
			p->name = ub_strdup(obj->env, sym->name);
			if (!p->name)
				return -ENOMEM;
		}
		if (!pass) {
			obj->progs = ub_zalloc(obj->env, (n ? n : 1) * sizeof(*obj->progs));
			if (!obj->progs)
				return -ENOMEM;
		}
	}
	qsort(obj->progs, obj->nprog, sizeof(*obj->progs), cmp_prog);
	for (size_t i = 1; i < obj->nsec; i++) {
		int has = 0;

		if (!is_exec(&obj->secs[i]) || !obj->secs[i].size)
			continue;
		for (size_t j = 0; j < obj->nsym && !has; j++)
			has = obj->syms[j].type == STT_FUNC && obj->syms[j].shndx == i;
		if (!has) {
			OBJ_ERR(obj, "%s: code section '%s' has no function symbol", obj->name,
				obj->secs[i].name);
			return -EINVAL;
		}
	}
	return 0;
}

static void read_license(struct userbpf_object *obj)
{
	for (size_t i = 1; i < obj->nsec; i++) {
		const struct ub_sec *s = &obj->secs[i];
		size_t n;

		if (strcmp(s->name, "license") || !s->data)
			continue;
		n = strnlen((const char *)s->data, s->size);
		if (n >= sizeof(obj->license))
			n = sizeof(obj->license) - 1;
		memcpy(obj->license, s->data, n);
		obj->license[n] = 0;
	}
}

static int read_btf(struct userbpf_object *obj)
{
	char what[300];

	for (size_t i = 1; i < obj->nsec; i++) {
		const struct ub_sec *s = &obj->secs[i];

		if (!strcmp(s->name, ".BTF") && s->data && !obj->btf) {
			snprintf(what, sizeof(what), "%s: section .BTF", obj->name);
			obj->btf = ub_btf_parse(obj->env, s->data, s->size, what);
			if (!obj->btf)
				return -errno;
		}
	}
	for (size_t i = 1; i < obj->nsec; i++) {
		const struct ub_sec *s = &obj->secs[i];

		if (strcmp(s->name, ".BTF.ext") || !s->data || obj->ext)
			continue;
		if (!obj->btf) {
			OBJ_ERR(obj, "%s: .BTF.ext without .BTF", obj->name);
			return -EINVAL;
		}
		snprintf(what, sizeof(what), "%s: section .BTF.ext", obj->name);
		obj->ext = ub_btf_ext_parse(obj->env, obj->btf, s->data, s->size, what);
		if (!obj->ext)
			return -errno;
	}
	return 0;
}

/* Raw BTF, or the .BTF section of an ELF file (what `pahole -J` writes). */
static int read_target_btf(struct userbpf_object *obj, const struct userbpf_object_opts *o)
{
	const uint8_t *data = o->btf_data;
	size_t size = o->btf_size;
	char *file = NULL, what[300];
	int err = 0;

	if (!data && o->btf_path) {
		struct stat st;
		int fd = open(o->btf_path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || fstat(fd, &st) || st.st_size <= 0 || st.st_size > (1l << 30)) {
			err = fd < 0 || errno == 0 ? -errno : -EINVAL;
			if (!err)
				err = -EINVAL;
			OBJ_ERR(obj, "%s: cannot read target BTF '%s': %s", obj->name, o->btf_path,
				strerror(-err));
			if (fd >= 0)
				close(fd);
			return err;
		}
		file = ub_alloc(obj->env, (size_t)st.st_size);
		if (!file) {
			close(fd);
			return -ENOMEM;
		}
		size = 0;
		while (size < (size_t)st.st_size) {
			ssize_t got = read(fd, file + size, (size_t)st.st_size - size);

			if (got <= 0)
				break;
			size += (size_t)got;
		}
		close(fd);
		data = (const uint8_t *)file;
	}
	if (!data)
		return 0;
	snprintf(what, sizeof(what), "target BTF %s", o->btf_path && !o->btf_data ? o->btf_path
										      : "(memory)");
	if (size >= 4 && !memcmp(data, ELFMAG, SELFMAG)) {
		Elf *elf = elf_memory((char *)data, size);
		Elf_Scn *scn = NULL;
		size_t shstrndx;
		const void *btf = NULL;
		size_t btf_size = 0;

		if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
			OBJ_ERR(obj, "%s: %s: not a readable ELF file", obj->name, what);
			err = -EINVAL;
		}
		while (!err && (scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh))
				break;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (!name || strcmp(name, ".BTF") || sh.sh_type == SHT_NOBITS)
				continue;
			if (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset)
				break;
			btf = data + sh.sh_offset;
			btf_size = sh.sh_size;
		}
		if (!err && !btf) {
			OBJ_ERR(obj, "%s: %s has no readable .BTF section", obj->name, what);
			err = -EINVAL;
		}
		if (!err) {
			obj->target_btf = ub_btf_parse(obj->env, btf, btf_size, what);
			if (!obj->target_btf)
				err = -errno;
		}
		elf_end(elf);
	} else {
		obj->target_btf = ub_btf_parse(obj->env, data, size, what);
		if (!obj->target_btf)
			err = -errno;
	}
	ub_free(obj->env, file);
	return err;
}

static int obj_parse(struct userbpf_object *obj, const struct userbpf_object_opts *o)
{
	Elf *elf;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		OBJ_ERR(obj, "%s: libelf is unusable: %s", obj->name, elf_errmsg(-1));
		return -ENOTSUP;
	}
	if (obj->size < sizeof(Elf64_Ehdr) || memcmp(obj->image, ELFMAG, SELFMAG)) {
		OBJ_ERR(obj, "%s: not an ELF file (%zu bytes, no ELF magic)", obj->name, obj->size);
		return -EINVAL;
	}
	elf = elf_memory((char *)obj->image, obj->size);
	if (!elf) {
		OBJ_ERR(obj, "%s: not an ELF file: %s", obj->name, elf_errmsg(-1));
		return -EINVAL;
	}
	err = read_sections(obj, elf);
	elf_end(elf);
	if (!err)
		err = read_symbols(obj);
	if (!err)
		err = check_sections(obj);
	if (!err)
		err = find_progs(obj);
	if (err)
		return err;
	read_license(obj);
	err = read_btf(obj);
	if (!err)
		err = read_target_btf(obj, o);
	if (!err)
		err = ub_obj_collect_maps(obj);
	if (!err)
		err = ub_obj_collect_map_values(obj);
	for (size_t i = 0; i < obj->nprog && !err; i++) {
		err = ub_obj_classify_prog(obj, &obj->progs[i]);
		if (!err)
			err = ub_obj_link_prog(obj, &obj->progs[i]);
	}
	return err;
}

static struct userbpf_object *obj_open(struct userbpf_env *env, uint8_t *image, size_t size,
				       const char *name, const struct userbpf_object_opts *opts)
{
	struct userbpf_object_opts o = { .sz = sizeof(o) };
	struct userbpf_object *obj;
	int err;

	if (opts) {
		if (opts->sz < sizeof(size_t)) {
			ub_err(&env->log, "userbpf_object_open: opts->sz is not set");
			ub_free(env, image);
			errno = EINVAL;
			return NULL;
		}
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	}
	obj = ub_zalloc(env, sizeof(*obj));
	if (!obj) {
		ub_free(env, image);
		errno = ENOMEM;
		return NULL;
	}
	obj->env = env;
	obj->image = image;
	obj->size = size;
	obj->name = ub_strdup(env, o.name ? o.name : name);
	if (!obj->name) {
		userbpf_object_free(obj);
		errno = ENOMEM;
		return NULL;
	}
	err = obj_parse(obj, &o);
	if (err) {
		userbpf_object_free(obj);
		errno = -err;
		return NULL;
	}
	return obj;
}

USERBPF_API struct userbpf_object *userbpf_object_open_mem(struct userbpf_env *env,
							   const void *data, size_t size,
							   const struct userbpf_object_opts *opts)
{
	uint8_t *copy;

	if (!env || (!data && size)) {
		errno = EINVAL;
		return NULL;
	}
	copy = ub_alloc(env, size);
	if (!copy) {
		errno = ENOMEM;
		return NULL;
	}
	if (size)
		memcpy(copy, data, size);
	return obj_open(env, copy, size, "memory", opts);
}

USERBPF_API struct userbpf_object *userbpf_object_open_file(struct userbpf_env *env,
							    const char *path,
							    const struct userbpf_object_opts *opts)
{
	uint8_t *buf = NULL;
	size_t size = 0, cap = 0;
	int fd, err = 0;

	if (!env || !path) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		ub_err(&env->log, "%s: %s", path, strerror(err));
		errno = err;
		return NULL;
	}
	for (;;) {
		ssize_t got;

		if (size == cap) {
			uint8_t *nb;

			if (cap >= (1ul << 31)) {
				ub_err(&env->log, "%s: larger than 2 GiB", path);
				err = EFBIG;
				break;
			}
			cap = cap ? cap * 2 : 65536;
			nb = ub_realloc(env, buf, cap);
			if (!nb) {
				err = ENOMEM;
				break;
			}
			buf = nb;
		}
		got = read(fd, buf + size, cap - size);
		if (got < 0) {
			err = errno;
			ub_err(&env->log, "%s: read: %s", path, strerror(err));
			break;
		}
		if (got == 0)
			break;
		size += (size_t)got;
	}
	close(fd);
	if (err) {
		ub_free(env, buf);
		errno = err;
		return NULL;
	}
	return obj_open(env, buf, size, path, opts);
}

USERBPF_API void userbpf_object_free(struct userbpf_object *obj)
{
	struct userbpf_env *env;

	if (!obj)
		return;
	env = obj->env;
	for (size_t i = 0; i < obj->nprog; i++) {
		struct userbpf_object_prog *p = &obj->progs[i];

		userbpf_prog_free(p->loaded);
		ub_free(env, p->name);
		ub_free(env, p->attach_target);
		ub_free(env, p->insns);
		ub_free(env, p->lines);
		ub_free(env, p->funcs);
	}
	ub_free(env, obj->progs);
	ub_obj_free_maps(obj);
	ub_btf_ext_free(env, obj->ext);
	ub_btf_free(obj->btf);
	ub_btf_free(obj->target_btf);
	for (size_t i = 0; i < obj->nsec; i++)
		ub_free(env, obj->secs[i].relo_at);
	ub_free(env, obj->secs);
	ub_free(env, obj->syms);
	ub_free(env, obj->rels);
	ub_free(env, obj->image);
	ub_free(env, obj->name);
	ub_free(env, obj);
}

USERBPF_API const char *userbpf_object_name(const struct userbpf_object *obj)
{
	return obj ? obj->name : NULL;
}

USERBPF_API const char *userbpf_object_license(const struct userbpf_object *obj)
{
	return obj ? obj->license : NULL;
}

USERBPF_API size_t userbpf_object_prog_cnt(const struct userbpf_object *obj)
{
	return obj ? obj->nprog : 0;
}

USERBPF_API struct userbpf_object_prog *userbpf_object_prog_at(const struct userbpf_object *obj,
							       size_t i)
{
	return obj && i < obj->nprog ? &obj->progs[i] : NULL;
}

USERBPF_API struct userbpf_object_prog *userbpf_object_find_prog(const struct userbpf_object *obj,
								 const char *name)
{
	if (!obj || !name)
		return NULL;
	for (size_t i = 0; i < obj->nprog; i++)
		if (!strcmp(obj->progs[i].name, name))
			return &obj->progs[i];
	for (size_t i = 0; i < obj->nprog; i++)
		if (!strcmp(obj->progs[i].sec_name, name))
			return &obj->progs[i];
	return NULL;
}

USERBPF_API const char *userbpf_object_prog_name(const struct userbpf_object_prog *prog)
{
	return prog ? prog->name : NULL;
}

USERBPF_API const char *userbpf_object_prog_section(const struct userbpf_object_prog *prog)
{
	return prog ? prog->sec_name : NULL;
}

USERBPF_API uint32_t userbpf_object_prog_type(const struct userbpf_object_prog *prog)
{
	return prog ? prog->type : 0;
}

USERBPF_API const char *userbpf_object_prog_attach_kind(const struct userbpf_object_prog *prog)
{
	return prog ? prog->attach_kind : NULL;
}

USERBPF_API const char *userbpf_object_prog_attach_target(const struct userbpf_object_prog *prog)
{
	return prog ? prog->attach_target : NULL;
}

USERBPF_API const struct userbpf_insn *userbpf_object_prog_insns(
	const struct userbpf_object_prog *prog, size_t *cnt)
{
	if (cnt)
		*cnt = prog ? prog->cnt : 0;
	return prog ? prog->insns : NULL;
}

USERBPF_API const struct userbpf_line_info *userbpf_object_prog_line_info(
	const struct userbpf_object_prog *prog, size_t *cnt)
{
	if (cnt)
		*cnt = prog ? prog->nlines : 0;
	return prog ? prog->lines : NULL;
}

USERBPF_API const struct userbpf_func_info *userbpf_object_prog_func_info(
	const struct userbpf_object_prog *prog, size_t *cnt)
{
	if (cnt)
		*cnt = prog ? prog->nfuncs : 0;
	return prog ? prog->funcs : NULL;
}

USERBPF_API struct userbpf_prog *userbpf_object_prog_loaded(const struct userbpf_object_prog *prog)
{
	return prog ? prog->loaded : NULL;
}
