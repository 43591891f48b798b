/* SPDX-License-Identifier: Apache-2.0 */
/*
 * maps.c: map descriptors of an object: BTF-defined maps (.maps, with map-in-map templates),
 * legacy `struct bpf_map_def` maps ("maps"), and one single-element array per global data
 * section (.data, .rodata, .bss, .rodata.str1.1, ...), as libbpf lays them out.
 */
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <string.h>

#include "loader/loader.h"

#define OBJ_ERR(obj, ...) ub_err(UB_OBJ_LOG(obj), __VA_ARGS__)

/* Linux UAPI numbers used here. */
#define MAP_TYPE_ARRAY         2
#define MAP_TYPE_PROG_ARRAY    3
#define MAP_TYPE_ARRAY_OF_MAPS 12
#define MAP_TYPE_HASH_OF_MAPS  13
#define MAP_F_RDONLY_PROG      0x80
#define MAP_F_MMAPABLE         0x400

static struct userbpf_object_map *add_map(struct userbpf_object *obj)
{
	struct userbpf_object_map *nm = ub_realloc(obj->env, obj->maps,
						   (obj->nmap + 1) * sizeof(*obj->maps));

	if (!nm)
		return NULL;
	obj->maps = nm;
	memset(&nm[obj->nmap], 0, sizeof(*nm));
	nm[obj->nmap].obj = obj;
	nm[obj->nmap].idx = (uint32_t)obj->nmap;
	return &nm[obj->nmap++];
}

/* `int (*name)[N]`, what __uint(name, N) declares: N. */
static int btf_uint(struct userbpf_object *obj, const char *map, const char *field, uint32_t id,
		    uint32_t *val)
{
	const struct ub_btf *btf = obj->btf;
	const struct btf_type *t = ub_btf_type(btf, ub_btf_skip_mods(btf, id));
	const struct btf_type *a;

	if (ub_btf_kind(t) == BTF_KIND_PTR) {
		a = ub_btf_type(btf, ub_btf_skip_mods(btf, t->type));
		if (ub_btf_kind(a) == BTF_KIND_ARRAY) {
			*val = ((const struct btf_array *)(a + 1))->nelems;
			return 0;
		}
	}
	OBJ_ERR(obj, "%s: .maps: map '%s': field '%s' is not declared with __uint()", obj->name,
		map, field);
	return -EINVAL;
}

/* `T *name`, what __type(name, T) declares: T's id and size. */
static int btf_type_field(struct userbpf_object *obj, const char *map, const char *field,
			  uint32_t id, uint32_t *type_id, uint32_t *size)
{
	const struct ub_btf *btf = obj->btf;
	const struct btf_type *t = ub_btf_type(btf, ub_btf_skip_mods(btf, id));
	int64_t sz;

	if (ub_btf_kind(t) != BTF_KIND_PTR) {
		OBJ_ERR(obj, "%s: .maps: map '%s': field '%s' is not declared with __type()",
			obj->name, map, field);
		return -EINVAL;
	}
	sz = ub_btf_size(btf, t->type);
	if (sz <= 0 || sz > UINT32_MAX) {
		OBJ_ERR(obj, "%s: .maps: map '%s': the type of '%s' (BTF id %u) has no size",
			obj->name, map, field, t->type);
		return -EINVAL;
	}
	*type_id = t->type;
	*size = (uint32_t)sz;
	return 0;
}

static int set_size(struct userbpf_object *obj, const char *map, const char *what,
		    uint32_t *dst, uint32_t val)
{
	if (*dst && *dst != val) {
		OBJ_ERR(obj, "%s: .maps: map '%s': %s size given twice (%u and %u)", obj->name, map,
			what, *dst, val);
		return -EINVAL;
	}
	*dst = val;
	return 0;
}

/* Parse one BTF map definition struct into m. `depth` 1 for an inner map template. */
static int parse_btf_def(struct userbpf_object *obj, struct userbpf_object_map *m,
			 uint32_t def_id, int depth)
{
	const struct ub_btf *btf = obj->btf;
	const struct btf_type *def = ub_btf_type(btf, ub_btf_skip_mods(btf, def_id));
	int err = 0;

	if (ub_btf_kind(def) != BTF_KIND_STRUCT) {
		OBJ_ERR(obj, "%s: .maps: map '%s' is not a struct (BTF id %u)", obj->name, m->name,
			def_id);
		return -EINVAL;
	}
	for (unsigned i = 0; i < ub_btf_vlen(def) && !err; i++) {
		const struct btf_member *mb = ub_btf_members(def) + i;
		const char *f = ub_btf_str(btf, mb->name_off);
		uint32_t v = 0, tid = 0;

		if (!strcmp(f, "type")) {
			err = btf_uint(obj, m->name, f, mb->type, &m->type);
		} else if (!strcmp(f, "max_entries")) {
			err = btf_uint(obj, m->name, f, mb->type, &m->max_entries);
		} else if (!strcmp(f, "map_flags")) {
			err = btf_uint(obj, m->name, f, mb->type, &m->flags);
		} else if (!strcmp(f, "key_size") || !strcmp(f, "value_size")) {
			err = btf_uint(obj, m->name, f, mb->type, &v);
			if (!err)
				err = set_size(obj, m->name, f[0] == 'k' ? "key" : "value",
					       f[0] == 'k' ? &m->key_size : &m->value_size, v);
		} else if (!strcmp(f, "key") || !strcmp(f, "value")) {
			err = btf_type_field(obj, m->name, f, mb->type, &tid, &v);
			if (!err && f[0] == 'k') {
				m->btf_key_id = tid;
				err = set_size(obj, m->name, "key", &m->key_size, v);
			} else if (!err) {
				m->btf_value_id = tid;
				err = set_size(obj, m->name, "value", &m->value_size, v);
			}
		} else if (!strcmp(f, "pinning") || !strcmp(f, "numa_node") ||
			   !strcmp(f, "map_extra")) {
			err = btf_uint(obj, m->name, f, mb->type, &v); /* accepted, no meaning here */
		} else if (!strcmp(f, "values")) {
			const struct btf_type *a = ub_btf_type(btf, ub_btf_skip_mods(btf, mb->type));
			const struct btf_type *p;

			if (ub_btf_kind(a) != BTF_KIND_ARRAY) {
				OBJ_ERR(obj, "%s: .maps: map '%s': 'values' is not an __array()",
					obj->name, m->name);
				return -EINVAL;
			}
			p = ub_btf_type(btf, ub_btf_skip_mods(btf,
					((const struct btf_array *)(a + 1))->type));
			if (ub_btf_kind(p) != BTF_KIND_PTR) {
				OBJ_ERR(obj, "%s: .maps: map '%s': 'values' must be an array of "
					"pointers", obj->name, m->name);
				return -EINVAL;
			}
			if (ub_btf_kind(ub_btf_type(btf, ub_btf_skip_mods(btf, p->type))) ==
			    BTF_KIND_FUNC_PROTO)
				continue; /* a prog array's programs */
			if (depth) {
				OBJ_ERR(obj, "%s: .maps: map '%s': an inner map may not have inner "
					"maps", obj->name, m->name);
				return -EINVAL;
			}
			m->values_off = ub_btf_member_bit_off(def, i) / 8;
			m->inner = ub_zalloc(obj->env, sizeof(*m->inner));
			if (!m->inner)
				return -ENOMEM;
			m->inner->obj = obj;
			m->inner->idx = UINT32_MAX;
			m->inner->origin = UB_MAP_INNER;
			m->inner->name = ub_zalloc(obj->env, strlen(m->name) + 7);
			if (!m->inner->name)
				return -ENOMEM;
			strcpy(m->inner->name, m->name);
			strcat(m->inner->name, ".inner");
			err = parse_btf_def(obj, m->inner, p->type, depth + 1);
			if (!err)
				err = set_size(obj, m->name, "value", &m->value_size, 4);
		} else {
			OBJ_ERR(obj, "%s: .maps: map '%s': unknown field '%s'", obj->name, m->name,
				f);
			return -EINVAL;
		}
	}
	if (!err && !m->type) {
		OBJ_ERR(obj, "%s: .maps: map '%s' has no type", obj->name, m->name);
		return -EINVAL;
	}
	if (!err && m->inner && m->type != MAP_TYPE_ARRAY_OF_MAPS &&
	    m->type != MAP_TYPE_HASH_OF_MAPS) {
		OBJ_ERR(obj, "%s: .maps: map '%s' has inner maps but type %u is not a map-in-map",
			obj->name, m->name, m->type);
		return -EINVAL;
	}
	return err;
}

/* The symbol named `name` defined in section `sec`, or NULL. */
static const struct ub_sym *find_sym(const struct userbpf_object *obj, uint32_t sec,
				     const char *name)
{
	for (size_t i = 0; i < obj->nsym; i++)
		if (obj->syms[i].shndx == sec && obj->syms[i].type != STT_SECTION &&
		    !strcmp(obj->syms[i].name, name))
			return &obj->syms[i];
	return NULL;
}

static int collect_btf_maps(struct userbpf_object *obj, uint32_t sec)
{
	const struct ub_btf *btf = obj->btf;
	const struct btf_type *ds = NULL;

	if (!btf) {
		OBJ_ERR(obj, "%s: section .maps needs BTF (compile with -g)", obj->name);
		return -EINVAL;
	}
	for (uint32_t id = 1; id < btf->nr && !ds; id++) {
		const struct btf_type *t = btf->types[id];

		if (ub_btf_kind(t) == BTF_KIND_DATASEC && !strcmp(ub_btf_name(btf, t), ".maps"))
			ds = t;
	}
	if (!ds) {
		OBJ_ERR(obj, "%s: section .maps has no DATASEC '.maps' in its BTF", obj->name);
		return -EINVAL;
	}
	for (unsigned i = 0; i < ub_btf_vlen(ds); i++) {
		const struct btf_var_secinfo *vi = (const struct btf_var_secinfo *)(ds + 1) + i;
		const struct btf_type *var = ub_btf_type(btf, vi->type);
		const struct ub_sym *sym;
		struct userbpf_object_map *m;
		const char *name;
		int err;

		if (ub_btf_kind(var) != BTF_KIND_VAR) {
			OBJ_ERR(obj, "%s: .maps: DATASEC entry %u is not a variable", obj->name, i);
			return -EINVAL;
		}
		name = ub_btf_name(btf, var);
		sym = find_sym(obj, sec, name);
		if (!sym) {
			OBJ_ERR(obj, "%s: .maps: map '%s' has no symbol in section .maps", obj->name,
				name);
			return -EINVAL;
		}
		m = add_map(obj);
		if (!m)
			return -ENOMEM;
		m->origin = UB_MAP_BTF;
		m->sec = sec;
		m->sec_off = sym->value;
		m->def_size = sym->size;
		m->values_off = -1;
		m->name = ub_strdup(obj->env, name);
		if (!m->name)
			return -ENOMEM;
		err = parse_btf_def(obj, m, var->type, 0);
		if (err)
			return err;
	}
	return 0;
}

/* Legacy maps: every symbol of the "maps" section is a struct bpf_map_def of equal size. */
static int collect_legacy_maps(struct userbpf_object *obj, uint32_t sec)
{
	const struct ub_sec *s = &obj->secs[sec];
	size_t nsyms = 0, def_size;

	for (size_t i = 0; i < obj->nsym; i++)
		nsyms += obj->syms[i].shndx == sec && obj->syms[i].type != STT_SECTION &&
			 *obj->syms[i].name;
	if (!nsyms || !s->size)
		return 0;
	def_size = s->size / nsyms;
	if (def_size < 16 || s->size % nsyms) {
		OBJ_ERR(obj, "%s: section 'maps': %zu bytes for %zu maps is not a whole number of "
			"struct bpf_map_def (at least 16 bytes)", obj->name, s->size, nsyms);
		return -EINVAL;
	}
	for (size_t i = 0; i < obj->nsym; i++) {
		const struct ub_sym *sym = &obj->syms[i];
		struct userbpf_object_map *m;
		uint32_t f[5] = { 0 };

		if (sym->shndx != sec || sym->type == STT_SECTION || !*sym->name)
			continue;
		if (sym->value > s->size || s->size - sym->value < def_size) {
			OBJ_ERR(obj, "%s: section 'maps': map '%s' at offset %" PRIu64 " runs past "
				"the section (%zu bytes)", obj->name, sym->name, sym->value, s->size);
			return -EINVAL;
		}
		if (s->data)
			memcpy(f, s->data + sym->value, def_size < 20 ? def_size : 20);
		if (!f[0]) {
			OBJ_ERR(obj, "%s: section 'maps' offset %" PRIu64 ": map '%s' has type 0",
				obj->name, sym->value, sym->name);
			return -EINVAL;
		}
		m = add_map(obj);
		if (!m)
			return -ENOMEM;
		m->origin = UB_MAP_LEGACY;
		m->sec = sec;
		m->sec_off = sym->value;
		m->type = f[0];
		m->key_size = f[1];
		m->value_size = f[2];
		m->max_entries = f[3];
		m->flags = f[4];
		m->name = ub_strdup(obj->env, sym->name);
		if (!m->name)
			return -ENOMEM;
	}
	return 0;
}

static int collect_data_map(struct userbpf_object *obj, uint32_t sec)
{
	struct ub_sec *s = &obj->secs[sec];
	struct userbpf_object_map *m;

	if (!s->size)
		return 0;
	if (s->size > (1u << 30)) {
		OBJ_ERR(obj, "%s: global data section '%s' is %zu bytes (at most 1 GiB)", obj->name,
			s->name, s->size);
		return -E2BIG;
	}
	m = add_map(obj);
	if (!m)
		return -ENOMEM;
	m->origin = UB_MAP_DATA;
	m->sec = sec;
	m->type = MAP_TYPE_ARRAY;
	m->key_size = 4;
	m->value_size = (uint32_t)s->size;
	m->max_entries = 1;
	m->flags = MAP_F_MMAPABLE | (!strncmp(s->name, ".rodata", 7) ? MAP_F_RDONLY_PROG : 0);
	m->name = ub_strdup(obj->env, s->name);
	m->data = ub_zalloc(obj->env, s->size);
	if (!m->name || !m->data)
		return -ENOMEM;
	if (s->type != SHT_NOBITS && s->data)
		memcpy(m->data, s->data, s->size);
	s->map_idx = (int32_t)m->idx;
	return 0;
}

int ub_obj_collect_maps(struct userbpf_object *obj)
{
	int err = 0;

	for (uint32_t i = 1; i < obj->nsec && !err; i++) {
		if (!strcmp(obj->secs[i].name, ".maps"))
			err = collect_btf_maps(obj, i);
		else if (!strcmp(obj->secs[i].name, "maps"))
			err = collect_legacy_maps(obj, i);
	}
	for (uint32_t i = 1; i < obj->nsec && !err; i++)
		if (ub_obj_is_data_sec(&obj->secs[i]))
			err = collect_data_map(obj, i);
	return err;
}

/*
 * `.values = { [2] = &inner }` in a map-in-map definition: clang leaves an R_BPF_64_ABS64
 * relocation at values + 2 * 8 naming the inner map; the slot is filled at load.
 */
static int add_map_value(struct userbpf_object *obj, uint32_t sec, const struct ub_sec *rs,
			 size_t i)
{
	struct userbpf_object_map *outer = NULL, *inner;
	const struct ub_sym *sym;
	uint32_t *ns, *ni;
	uint64_t slot;
	Elf64_Rel e;

	memcpy(&e, rs->data + i * sizeof(e), sizeof(e));
	if (ELF64_R_SYM(e.r_info) == 0 || ELF64_R_SYM(e.r_info) >= obj->nsym ||
	    ELF64_R_TYPE(e.r_info) != 2 /* R_BPF_64_ABS64 */) {
		OBJ_ERR(obj, "%s: section '%s' entry %zu: a .maps relocation must be R_BPF_64_ABS64 "
			"to a symbol (type %u, symbol #%u)", obj->name, rs->name, i,
			(unsigned)ELF64_R_TYPE(e.r_info), (unsigned)ELF64_R_SYM(e.r_info));
		return -EINVAL;
	}
	sym = &obj->syms[ELF64_R_SYM(e.r_info)];
	for (size_t m = 0; m < obj->nmap; m++)
		if (obj->maps[m].origin == UB_MAP_BTF && obj->maps[m].sec == sec &&
		    e.r_offset >= obj->maps[m].sec_off &&
		    e.r_offset - obj->maps[m].sec_off < obj->maps[m].def_size)
			outer = &obj->maps[m];
	if (!outer || outer->values_off < 0 ||
	    e.r_offset - outer->sec_off < (uint64_t)outer->values_off ||
	    (e.r_offset - outer->sec_off - (uint64_t)outer->values_off) % 8) {
		OBJ_ERR(obj, "%s: .maps offset %#" PRIx64 ": initial value '%s' is not in the "
			"'values' of a map-in-map", obj->name, (uint64_t)e.r_offset, sym->name);
		return -EINVAL;
	}
	slot = (e.r_offset - outer->sec_off - (uint64_t)outer->values_off) / 8;
	inner = sym->shndx == sec ? ub_obj_map_at(obj, sec, sym->value) : NULL;
	if (!inner || slot >= outer->max_entries) {
		OBJ_ERR(obj, "%s: map '%s': initial value %" PRIu64 " ('%s') is %s", obj->name,
			outer->name, slot, sym->name, inner ? "past max_entries" :
			"not a map (program array values are not supported)");
		return inner ? -EINVAL : -ENOTSUP;
	}
	ns = ub_realloc(obj->env, outer->init_slot, (outer->ninit + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	outer->init_slot = ns;
	ni = ub_realloc(obj->env, outer->init_inner, (outer->ninit + 1) * sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	outer->init_inner = ni;
	ns[outer->ninit] = (uint32_t)slot;
	ni[outer->ninit++] = inner->idx;
	return 0;
}

int ub_obj_collect_map_values(struct userbpf_object *obj)
{
	for (uint32_t r = 1; r < obj->nsec; r++) {
		const struct ub_sec *rs = &obj->secs[r];
		int err;

		if (rs->type != SHT_REL || rs->info >= obj->nsec ||
		    strcmp(obj->secs[rs->info].name, ".maps"))
			continue;
		if (!rs->data || rs->size % sizeof(Elf64_Rel)) {
			OBJ_ERR(obj, "%s: relocation section '%s' has size %zu, not a multiple of "
				"%zu", obj->name, rs->name, rs->size, sizeof(Elf64_Rel));
			return -EINVAL;
		}
		for (size_t i = 0; i < rs->size / sizeof(Elf64_Rel); i++) {
			err = add_map_value(obj, rs->info, rs, i);
			if (err)
				return err;
		}
	}
	return 0;
}

static void free_map(struct userbpf_env *env, struct userbpf_object_map *m)
{
	userbpf_map_free(m->map);
	m->map = NULL;
	if (m->inner) {
		free_map(env, m->inner);
		ub_free(env, m->inner);
	}
	ub_free(env, m->name);
	ub_free(env, m->data);
	ub_free(env, m->init_slot);
	ub_free(env, m->init_inner);
}

void ub_obj_free_maps(struct userbpf_object *obj)
{
	for (size_t i = 0; i < obj->nmap; i++)
		free_map(obj->env, &obj->maps[i]);
	ub_free(obj->env, obj->maps);
	obj->maps = NULL;
	obj->nmap = 0;
}

struct userbpf_object_map *ub_obj_map_at(struct userbpf_object *obj, uint32_t sec, uint64_t off)
{
	for (size_t i = 0; i < obj->nmap; i++)
		if (obj->maps[i].sec == sec && obj->maps[i].origin != UB_MAP_DATA &&
		    obj->maps[i].sec_off == off)
			return &obj->maps[i];
	return NULL;
}

USERBPF_API size_t userbpf_object_map_cnt(const struct userbpf_object *obj)
{
	return obj ? obj->nmap : 0;
}

USERBPF_API struct userbpf_object_map *userbpf_object_map_at(const struct userbpf_object *obj,
							     size_t i)
{
	return obj && i < obj->nmap ? &obj->maps[i] : NULL;
}

USERBPF_API struct userbpf_object_map *userbpf_object_find_map(const struct userbpf_object *obj,
							       const char *name)
{
	if (!obj || !name)
		return NULL;
	for (size_t i = 0; i < obj->nmap; i++)
		if (!strcmp(obj->maps[i].name, name))
			return &obj->maps[i];
	return NULL;
}

USERBPF_API int userbpf_object_map_desc(const struct userbpf_object_map *map,
					struct userbpf_map_desc *desc)
{
	struct userbpf_map_desc d = { .sz = sizeof(d) };

	if (!map || !desc || desc->sz < sizeof(size_t))
		return -EINVAL;
	d.name = map->name;
	d.type = map->type;
	d.key_size = map->key_size;
	d.value_size = map->value_size;
	d.max_entries = map->max_entries;
	d.flags = map->flags;
	d.btf_key_type_id = map->btf_key_id;
	d.btf_value_type_id = map->btf_value_id;
	d.inner = map->inner;
	d.section = map->origin == UB_MAP_INNER ? ".maps" : ub_obj_sec_name(map->obj, map->sec);
	d.init_data = map->data;
	d.sz = desc->sz;
	memcpy(desc, &d, desc->sz < sizeof(d) ? desc->sz : sizeof(d));
	return 0;
}

USERBPF_API void *userbpf_object_map_data(struct userbpf_object_map *map, size_t *size)
{
	if (!map || !map->data) {
		errno = EINVAL;
		return NULL;
	}
	if (map->obj->loaded) {
		errno = EBUSY;
		return NULL;
	}
	if (size)
		*size = map->value_size;
	return map->data;
}

USERBPF_API int userbpf_object_set_var(struct userbpf_object *obj, const char *name,
				       const void *val, size_t size)
{
	if (!obj || !name || (!val && size))
		return -EINVAL;
	if (obj->loaded)
		return -EBUSY;
	for (size_t i = 0; i < obj->nsym; i++) {
		const struct ub_sym *sym = &obj->syms[i];
		struct userbpf_object_map *m;

		if (sym->type != STT_OBJECT || sym->shndx >= obj->nsec ||
		    obj->secs[sym->shndx].map_idx < 0 || strcmp(sym->name, name))
			continue;
		m = &obj->maps[obj->secs[sym->shndx].map_idx];
		if (sym->size != size || sym->value > m->value_size ||
		    size > m->value_size - sym->value) {
			ub_err(UB_OBJ_LOG(obj), "%s: variable '%s' in %s is %" PRIu64 " bytes, "
			       "not %zu", obj->name, name, m->name, sym->size, size);
			return -EINVAL;
		}
		memcpy(m->data + sym->value, val, size);
		return 0;
	}
	ub_err(UB_OBJ_LOG(obj), "%s: no global variable '%s'", obj->name, name);
	return -ENOENT;
}

USERBPF_API struct userbpf_map *userbpf_object_map_loaded(const struct userbpf_object_map *map)
{
	return map ? map->map : NULL;
}
