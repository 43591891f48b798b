/* SPDX-License-Identifier: Apache-2.0 */
/* btf.c: parse and check a BTF blob (header, types, strings) and answer queries about types. */
#include <errno.h>
#include <string.h>

#include "loader/btf.h"

static const char *const kind_names[NR_BTF_KINDS] = {
	[BTF_KIND_UNKN] = "unknown", [BTF_KIND_INT] = "int", [BTF_KIND_PTR] = "ptr",
	[BTF_KIND_ARRAY] = "array", [BTF_KIND_STRUCT] = "struct", [BTF_KIND_UNION] = "union",
	[BTF_KIND_ENUM] = "enum", [BTF_KIND_FWD] = "fwd", [BTF_KIND_TYPEDEF] = "typedef",
	[BTF_KIND_VOLATILE] = "volatile", [BTF_KIND_CONST] = "const",
	[BTF_KIND_RESTRICT] = "restrict", [BTF_KIND_FUNC] = "func",
	[BTF_KIND_FUNC_PROTO] = "func_proto", [BTF_KIND_VAR] = "var",
	[BTF_KIND_DATASEC] = "datasec", [BTF_KIND_FLOAT] = "float",
	[BTF_KIND_DECL_TAG] = "decl_tag", [BTF_KIND_TYPE_TAG] = "type_tag",
	[BTF_KIND_ENUM64] = "enum64",
};

const char *ub_btf_kind_name(unsigned kind)
{
	return kind < NR_BTF_KINDS ? kind_names[kind] : "unknown";
}

/* Bytes that follow struct btf_type for a kind with vlen entries; -1 for an unknown kind. */
static long extra_size(unsigned kind, unsigned vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC: case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (long)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return (long)vlen * sizeof(struct btf_enum64);
	default:
		return -1;
	}
}

/* The one type a "by value, no size of its own" kind stands for: the edge loops must not use. */
static uint32_t chain_next(const struct btf_type *t)
{
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG: case BTF_KIND_VAR:
		return t->type;
	case BTF_KIND_ARRAY:
		return ((const struct btf_array *)(t + 1))->type;
	default:
		return 0;
	}
}

/* Check that every type id and name offset a type mentions is in range. */
static int check_refs(struct userbpf_env *env, const struct ub_btf *btf, uint32_t id,
		      const char *what)
{
	const struct btf_type *t = btf->types[id];
	unsigned kind = BTF_INFO_KIND(t->info), vlen = BTF_INFO_VLEN(t->info);
	long toff = (long)((const uint8_t *)t - (const uint8_t *)btf->types[1]);

	if (t->name_off >= btf->str_len) {
		ub_err(&env->log, "%s: type [%u] (type section offset %ld): name offset %u is past "
		       "the string section (%u bytes)", what, id, toff, t->name_off, btf->str_len);
		return -EINVAL;
	}
	switch (kind) {
	case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT: case BTF_KIND_FUNC: case BTF_KIND_VAR: case BTF_KIND_TYPE_TAG:
	case BTF_KIND_DECL_TAG: case BTF_KIND_FUNC_PROTO:
		if (t->type >= btf->nr)
			goto bad_id;
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);

		if (a->type >= btf->nr || a->index_type >= btf->nr)
			goto bad_id;
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (unsigned i = 0; i < vlen; i++) {
			const struct btf_member *m = ub_btf_members(t) + i;

			if (m->type >= btf->nr || !m->type)
				goto bad_id;
			if (m->name_off >= btf->str_len)
				goto bad_name;
		}
		break;
	case BTF_KIND_ENUM:
		for (unsigned i = 0; i < vlen; i++)
			if (((const struct btf_enum *)(t + 1))[i].name_off >= btf->str_len)
				goto bad_name;
		break;
	case BTF_KIND_ENUM64:
		for (unsigned i = 0; i < vlen; i++)
			if (((const struct btf_enum64 *)(t + 1))[i].name_off >= btf->str_len)
				goto bad_name;
		break;
	default:
		break;
	}
	if (kind == BTF_KIND_FUNC_PROTO) {
		for (unsigned i = 0; i < vlen; i++) {
			const struct btf_param *p = (const struct btf_param *)(t + 1) + i;

			if (p->type >= btf->nr)
				goto bad_id;
			if (p->name_off >= btf->str_len)
				goto bad_name;
		}
	}
	if (kind == BTF_KIND_DATASEC) {
		for (unsigned i = 0; i < vlen; i++)
			if (((const struct btf_var_secinfo *)(t + 1))[i].type >= btf->nr)
				goto bad_id;
	}
	return 0;
bad_id:
	ub_err(&env->log, "%s: type [%u] (%s, type section offset %ld) refers to a type id past "
	       "the last one (%u)", what, id, ub_btf_kind_name(kind), toff, btf->nr - 1);
	return -EINVAL;
bad_name:
	ub_err(&env->log, "%s: type [%u] (%s, type section offset %ld): a member name offset is "
	       "past the string section", what, id, ub_btf_kind_name(kind), toff);
	return -EINVAL;
}

/*
 * Reject loops of typedef/modifier/array/var edges (`typedef A B; typedef B A;`): every query
 * that follows them must terminate. The edges form a functional graph, so one walk per type
 * with three colours finds every cycle in O(n).
 */
static int check_loops(struct userbpf_env *env, const struct ub_btf *btf, const char *what)
{
	uint8_t *state = ub_zalloc(env, btf->nr);
	int err = 0;

	if (!state)
		return -ENOMEM;
	for (uint32_t i = 1; i < btf->nr && !err; i++) {
		uint32_t id = i;

		while (id && state[id] == 0) {
			state[id] = 1;
			id = chain_next(btf->types[id]);
		}
		if (id && state[id] == 1) {
			ub_err(&env->log, "%s: type [%u] (%s) is part of a loop of types that never "
			       "reaches a sized type", what, id,
			       ub_btf_kind_name(BTF_INFO_KIND(btf->types[id]->info)));
			err = -ELOOP;
		}
		for (id = i; id && state[id] == 1; id = chain_next(btf->types[id]))
			state[id] = 2;
	}
	ub_free(env, state);
	return err;
}

struct ub_btf *ub_btf_parse(struct userbpf_env *env, const void *data, size_t size,
			    const char *what)
{
	struct btf_header hdr, *h = &hdr;
	struct ub_btf *btf;
	const uint8_t *tsec, *p, *end;
	uint32_t n = 1;
	int err = -EINVAL;

	if (size < sizeof(*h)) {
		ub_err(&env->log, "%s: %zu bytes is too short for a BTF header (24)", what, size);
		errno = EINVAL;
		return NULL;
	}
	memcpy(&hdr, data, sizeof(hdr)); /* the blob may sit anywhere in a file: unaligned */
	if (h->magic != BTF_MAGIC || h->version != BTF_VERSION) {
		ub_err(&env->log, "%s: bad BTF magic 0x%x or version %u (want 0x%x, %u; offset 0)",
		       what, h->magic, h->version, BTF_MAGIC, BTF_VERSION);
		errno = EINVAL;
		return NULL;
	}
	if (h->hdr_len < sizeof(*h) || h->hdr_len > size ||
	    (uint64_t)h->type_off + h->type_len > size - h->hdr_len ||
	    (uint64_t)h->str_off + h->str_len > size - h->hdr_len ||
	    ((h->hdr_len + h->type_off) & 3)) {
		ub_err(&env->log, "%s: BTF header (hdr_len %u, types %u+%u, strings %u+%u) does "
		       "not fit the %zu bytes of the section", what, h->hdr_len, h->type_off,
		       h->type_len, h->str_off, h->str_len, size);
		errno = EINVAL;
		return NULL;
	}
	btf = ub_zalloc(env, sizeof(*btf));
	if (!btf) {
		errno = ENOMEM;
		return NULL;
	}
	btf->env = env;
	btf->data = ub_alloc(env, size);
	if (!btf->data) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(btf->data, data, size);
	btf->size = size;
	btf->strs = (const char *)btf->data + h->hdr_len + h->str_off;
	btf->str_len = h->str_len;
	if (btf->str_len && (btf->strs[0] || btf->strs[btf->str_len - 1])) {
		ub_err(&env->log, "%s: the BTF string section (offset %u) must start and end with "
		       "a NUL byte", what, h->hdr_len + h->str_off);
		goto fail;
	}
	if (!btf->str_len) {
		btf->strs = "";
		btf->str_len = 1;
	}
	tsec = btf->data + h->hdr_len + h->type_off;
	end = tsec + h->type_len;
	/* Pass 1: walk the records, checking that each fits; count them. */
	for (p = tsec; p < end; n++) {
		const struct btf_type *t = (const void *)p;
		long extra;

		if ((size_t)(end - p) < sizeof(*t)) {
			ub_err(&env->log, "%s: type [%u] at type section offset %td is truncated",
			       what, n, p - tsec);
			goto fail;
		}
		extra = extra_size(BTF_INFO_KIND(t->info), BTF_INFO_VLEN(t->info));
		if (extra < 0) {
			ub_err(&env->log, "%s: type [%u] at type section offset %td has unknown kind "
			       "%u", what, n, p - tsec, BTF_INFO_KIND(t->info));
			goto fail;
		}
		if ((size_t)(end - p) - sizeof(*t) < (size_t)extra) {
			ub_err(&env->log, "%s: type [%u] (%s) at type section offset %td: its %u "
			       "entries run past the type section", what, n,
			       ub_btf_kind_name(BTF_INFO_KIND(t->info)), p - tsec,
			       BTF_INFO_VLEN(t->info));
			goto fail;
		}
		p += sizeof(*t) + extra;
	}
	btf->nr = n;
	btf->types = ub_zalloc(env, (size_t)n * sizeof(*btf->types));
	if (!btf->types) {
		err = -ENOMEM;
		goto fail;
	}
	n = 1;
	for (p = tsec; p < end; n++) {
		const struct btf_type *t = (const void *)p;

		btf->types[n] = t;
		p += sizeof(*t) + extra_size(BTF_INFO_KIND(t->info), BTF_INFO_VLEN(t->info));
	}
	for (uint32_t i = 1; i < btf->nr; i++) {
		err = check_refs(env, btf, i, what);
		if (err)
			goto fail;
	}
	err = check_loops(env, btf, what);
	if (err)
		goto fail;
	return btf;
fail:
	ub_btf_free(btf);
	errno = -err;
	return NULL;
}

void ub_btf_free(struct ub_btf *btf)
{
	if (!btf)
		return;
	ub_free(btf->env, btf->types);
	ub_free(btf->env, btf->data);
	ub_free(btf->env, btf);
}

uint32_t ub_btf_member_bit_off(const struct btf_type *t, unsigned i)
{
	uint32_t off = ub_btf_members(t)[i].offset;

	return BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(off) : off;
}

uint32_t ub_btf_member_bitfield(const struct btf_type *t, unsigned i)
{
	return BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BITFIELD_SIZE(ub_btf_members(t)[i].offset) : 0;
}

uint32_t ub_btf_skip_mods(const struct ub_btf *btf, uint32_t id)
{
	const struct btf_type *t;

	/* Terminates: check_loops() rejected every cycle of these edges. */
	while ((t = ub_btf_type(btf, id))) {
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG:
			id = t->type;
			continue;
		default:
			return id;
		}
	}
	return id;
}

int64_t ub_btf_size(const struct ub_btf *btf, uint32_t id)
{
	uint64_t mult = 1;
	const struct btf_type *t;

	for (;;) {
		id = ub_btf_skip_mods(btf, id);
		t = ub_btf_type(btf, id);
		if (!t)
			return -EINVAL;
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_INT: case BTF_KIND_ENUM: case BTF_KIND_STRUCT: case BTF_KIND_UNION:
		case BTF_KIND_DATASEC: case BTF_KIND_FLOAT: case BTF_KIND_ENUM64:
			if (t->size && mult > (uint64_t)INT64_MAX / t->size)
				return -E2BIG;
			return (int64_t)(mult * t->size);
		case BTF_KIND_PTR:
			return (int64_t)(mult * 8);
		case BTF_KIND_VAR:
			id = t->type;
			continue;
		case BTF_KIND_ARRAY: {
			const struct btf_array *a = (const void *)(t + 1);

			if (a->nelems && mult > (uint64_t)INT32_MAX * 1024 / a->nelems)
				return -E2BIG;
			mult *= a->nelems;
			id = a->type;
			continue;
		}
		default:
			return -EINVAL;
		}
	}
}
