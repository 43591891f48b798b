/* SPDX-License-Identifier: Apache-2.0 */
/* load.c: load an opened object: create its maps (with global data), then load its programs. */
#include <errno.h>
#include <string.h>

#include "loader/loader.h"

static struct userbpf_map *create_map(struct userbpf_object *obj, struct userbpf_object_map *m)
{
	struct userbpf_map_opts o = {
		.sz = sizeof(o),
		.type = m->type,
		.key_size = m->key_size,
		.value_size = m->value_size,
		.max_entries = m->max_entries,
		.map_flags = m->flags,
		.name = m->name,
	};
	struct userbpf_map *map;

	if (m->inner) {
		m->inner->map = create_map(obj, m->inner);
		if (!m->inner->map)
			return NULL;
		o.inner_map = m->inner->map;
	}
	map = userbpf_map_create(obj->env, &o);
	if (!map) {
		int err = errno;

		ub_err(UB_OBJ_LOG(obj), "%s: cannot create map '%s' (type %u, key %u, value %u, "
		       "%u entries, flags %#x): %s", obj->name, m->name, m->type, m->key_size,
		       m->value_size, m->max_entries, m->flags, strerror(err));
		errno = err;
		return NULL;
	}
	if (m->data) {
		uint32_t key = 0;
		int err = userbpf_map_update(map, &key, m->data, USERBPF_ANY);

		if (err) {
			ub_err(UB_OBJ_LOG(obj), "%s: cannot set the initial value of map '%s': %s",
			       obj->name, m->name, strerror(-err));
			userbpf_map_free(map);
			errno = -err;
			return NULL;
		}
	}
	return map;
}

static void unload(struct userbpf_object *obj)
{
	for (size_t i = 0; i < obj->nprog; i++) {
		userbpf_prog_free(obj->progs[i].loaded);
		obj->progs[i].loaded = NULL;
	}
	for (size_t i = 0; i < obj->nmap; i++) {
		userbpf_map_free(obj->maps[i].map);
		obj->maps[i].map = NULL;
		if (obj->maps[i].inner) {
			userbpf_map_free(obj->maps[i].inner->map);
			obj->maps[i].inner->map = NULL;
		}
	}
}

USERBPF_API int userbpf_object_load(struct userbpf_object *obj,
				    const struct userbpf_object_load_opts *opts)
{
	struct userbpf_object_load_opts o = { .sz = sizeof(o) };
	struct userbpf_map **maps = NULL;
	int err = 0;

	if (!obj)
		return -EINVAL;
	if (opts) {
		if (opts->sz < sizeof(size_t))
			return -EINVAL;
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	}
	if (obj->loaded)
		return -EBUSY;
	if (obj->nmap) {
		maps = ub_zalloc(obj->env, obj->nmap * sizeof(*maps));
		if (!maps)
			return -ENOMEM;
	}
	for (size_t i = 0; i < obj->nmap; i++) {
		obj->maps[i].map = create_map(obj, &obj->maps[i]);
		if (!obj->maps[i].map) {
			err = -errno;
			goto fail;
		}
		maps[i] = obj->maps[i].map;
	}
	/* Map-in-map slots named in the definition: values are inner map ids. */
	for (size_t i = 0; i < obj->nmap; i++) {
		struct userbpf_object_map *m = &obj->maps[i];

		for (uint32_t j = 0; j < m->ninit; j++) {
			uint32_t id = userbpf_map_id(obj->maps[m->init_inner[j]].map);

			err = userbpf_map_update(m->map, &m->init_slot[j], &id, USERBPF_ANY);
			if (err) {
				ub_err(UB_OBJ_LOG(obj), "%s: map '%s': cannot put map '%s' in slot "
				       "%u: %s", obj->name, m->name,
				       obj->maps[m->init_inner[j]].name, m->init_slot[j],
				       strerror(-err));
				goto fail;
			}
		}
	}
	for (size_t i = 0; i < obj->nprog; i++) {
		struct userbpf_object_prog *p = &obj->progs[i];
		struct userbpf_prog_opts po = {
			.sz = sizeof(po),
			.name = p->name,
			.prog_type = p->type,
			.license = obj->license[0] ? obj->license : NULL,
			.flags = o.flags,
			.engine = o.engine,
			.insn_budget = o.insn_budget,
			.maps = maps,
			.map_cnt = obj->nmap,
			.line_info = p->lines,
			.line_info_cnt = p->nlines,
			.func_info = p->funcs,
			.func_info_cnt = p->nfuncs,
			.verify_flags = o.verify_flags,
		};

		p->loaded = userbpf_prog_load(obj->env, p->insns, p->cnt, &po);
		if (!p->loaded) {
			err = -errno;
			ub_err(UB_OBJ_LOG(obj), "%s: program '%s' (section '%s') failed to load: %s",
			       obj->name, p->name, p->sec_name, strerror(errno));
			goto fail;
		}
	}
	ub_free(obj->env, maps);
	obj->loaded = 1;
	return 0;
fail:
	unload(obj);
	ub_free(obj->env, maps);
	return err;
}
