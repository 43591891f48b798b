/* SPDX-License-Identifier: Apache-2.0 */
/* progtypes.c: the program-type and context-field tables built from progtypes.def. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "helpers/progtypes.h"

/* Every context field, grouped by context and sorted by offset as listed in the .def. */
static const struct ub_ctx_field ctx_fields[] = {
#define UB_CTX_FIELD(ctx, fname, off, size, kind, real_off, real_size, acc)                        \
	{#fname, UB_CTX_ID_##ctx, off, size, real_off, real_size, UB_FK_##kind, UB_FA_##acc},
#include "helpers/progtypes.def"
};

static const struct ub_prog_type_info prog_types[] = {
#define UB_PROG_TYPE(num, tname, ctx, acc, ctx_size, groups, ret_min, ret_max)                     \
	{num, #tname, UB_CTX_ID_##ctx, UB_CA_##acc, groups, ctx_size, ret_min, ret_max},
#include "helpers/progtypes.def"
};

const struct ub_prog_type_info *ub_prog_type(uint32_t num)
{
	for (size_t i = 0; i < sizeof(prog_types) / sizeof(prog_types[0]); i++)
		if (prog_types[i].num == num)
			return &prog_types[i];
	return NULL;
}

static const struct {
	const char *alias;
	uint32_t num;
} prog_type_aliases[] = {
#define UB_PROG_TYPE_ALIAS(alias, num) {#alias, num},
#include "helpers/progtypes.def"
};

const struct ub_prog_type_info *ub_prog_type_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(prog_types) / sizeof(prog_types[0]); i++)
		if (!strcmp(prog_types[i].name, name))
			return &prog_types[i];
	for (size_t i = 0; i < sizeof(prog_type_aliases) / sizeof(prog_type_aliases[0]); i++)
		if (!strcmp(prog_type_aliases[i].alias, name))
			return ub_prog_type(prog_type_aliases[i].num);
	return NULL;
}

USERBPF_API int userbpf_prog_type_by_name(const char *name, uint32_t *type)
{
	const struct ub_prog_type_info *t = name ? ub_prog_type_by_name(name) : NULL;

	if (!t)
		return -ENOENT;
	if (type)
		*type = t->num;
	return 0;
}

USERBPF_API const char *userbpf_prog_type_name(uint32_t type)
{
	const struct ub_prog_type_info *t = ub_prog_type(type);

	return t ? t->name : NULL;
}

const struct ub_ctx_field *ub_ctx_fields(unsigned ctx, size_t *cnt)
{
	const struct ub_ctx_field *first = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(ctx_fields) / sizeof(ctx_fields[0]); i++) {
		if (ctx_fields[i].ctx != ctx)
			continue;
		if (!first)
			first = &ctx_fields[i];
		n++;
	}
	*cnt = n;
	return first;
}

const struct ub_ctx_field *ub_ctx_field_find(const struct ub_prog_type_info *t, uint32_t off,
					     uint32_t size)
{
	const struct ub_ctx_field *f;
	size_t n;

	if (!t || t->ctx_access != UB_CA_REWRITE)
		return NULL;
	/* Socket filters see the tc rows minus the tc-only ones. */
	f = ub_ctx_fields(t->ctx == UB_CTX_ID_SKB_SOCK ? UB_CTX_ID_SKB : t->ctx, &n);
	for (size_t i = 0; i < n; i++) {
		if (off < f[i].off || off >= (uint32_t)f[i].off + f[i].size)
			continue;
		if (t->ctx == UB_CTX_ID_SKB_SOCK && (f[i].access & UB_FA_TC))
			return NULL;
		/* Whole field, or a narrow read from the start of a 4/8-byte scalar (Linux). */
		if (off == f[i].off && size == f[i].size)
			return &f[i];
		if (f[i].kind == UB_FK_SCALAR && off == f[i].off && size < f[i].size &&
		    (size == 1 || size == 2 || size == 4))
			return &f[i];
		return NULL;
	}
	return NULL;
}

int ub_prog_type_allows(const struct ub_prog_type_info *t, const struct ub_helper_proto *p)
{
	return t && p && (t->groups & p->groups);
}

int ub_ctx_field_writable(const struct ub_prog_type_info *t, const struct ub_ctx_field *f)
{
	if ((f->access & UB_FA_RW) != UB_FA_RW)
		return 0;
	return t->ctx != UB_CTX_ID_SKB_SOCK || (f->access & UB_FA_SOCKW);
}
