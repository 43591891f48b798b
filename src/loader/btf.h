/* SPDX-License-Identifier: Apache-2.0 */
/*
 * btf.h: a checked reader of BTF (type information) and .BTF.ext (func info, line info, CO-RE
 * records). Every offset, type id and string offset is validated once at parse time, so the
 * queries below never read outside the blob; type chains that loop are rejected at parse time.
 */
#ifndef UB_BTF_H
#define UB_BTF_H

#include <linux/btf.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

struct ub_btf {
	struct userbpf_env *env;
	uint8_t *data;                  /* owned copy */
	size_t size;
	const char *strs;
	uint32_t str_len;
	const struct btf_type **types;  /* types[0] is NULL (void) */
	uint32_t nr;                    /* number of ids, including void */
};

/*
 * Parse a BTF blob (copied). `what` names it in messages ("prog.o: .BTF"). Errors name the byte
 * offset and the type id. Returns NULL with errno EINVAL (malformed), ELOOP (type loop), ENOMEM.
 */
struct ub_btf *ub_btf_parse(struct userbpf_env *env, const void *data, size_t size,
			    const char *what);
void ub_btf_free(struct ub_btf *btf);

/* Type of an id; NULL for void (0) or an id out of range. */
static inline const struct btf_type *ub_btf_type(const struct ub_btf *btf, uint32_t id)
{
	return id && id < btf->nr ? btf->types[id] : NULL;
}

/* String at an offset; NULL when out of range. */
static inline const char *ub_btf_str(const struct ub_btf *btf, uint32_t off)
{
	return off < btf->str_len ? btf->strs + off : NULL;
}

/* Name of a type ("" when anonymous, never NULL after a successful parse). */
static inline const char *ub_btf_name(const struct ub_btf *btf, const struct btf_type *t)
{
	const char *s = t ? ub_btf_str(btf, t->name_off) : "";

	return s ? s : "";
}

static inline unsigned ub_btf_kind(const struct btf_type *t)
{
	return t ? BTF_INFO_KIND(t->info) : BTF_KIND_UNKN;
}

static inline unsigned ub_btf_vlen(const struct btf_type *t)
{
	return BTF_INFO_VLEN(t->info);
}

static inline const struct btf_member *ub_btf_members(const struct btf_type *t)
{
	return (const struct btf_member *)(t + 1);
}

/* Bit offset of member i of a struct/union (kind_flag aware), and its bitfield size (0: none). */
uint32_t ub_btf_member_bit_off(const struct btf_type *t, unsigned i);
uint32_t ub_btf_member_bitfield(const struct btf_type *t, unsigned i);

/* Follow typedef/const/volatile/restrict/type_tag from id; returns the resolved id (0: void). */
uint32_t ub_btf_skip_mods(const struct ub_btf *btf, uint32_t id);

/* Size in bytes of a type (arrays multiplied out, pointers 8). -EINVAL if it has none. */
int64_t ub_btf_size(const struct ub_btf *btf, uint32_t id);

/* Kind name for messages: "struct", "int", ... */
const char *ub_btf_kind_name(unsigned kind);

/* One section's records in .BTF.ext: rec_size bytes each. */
struct ub_btf_ext_sec {
	const char *sec_name;
	uint32_t cnt;
	const uint8_t *recs;
};

struct ub_btf_ext_info {
	uint32_t rec_size;
	struct ub_btf_ext_sec *secs;
	uint32_t nsec;
};

struct ub_btf_ext {
	struct ub_btf_ext_info func, line, core;
};

/*
 * Parse .BTF.ext (not copied: `data` must outlive it) against the object's BTF, whose string
 * section names the sections and files. Returns NULL with errno EINVAL or ENOMEM.
 */
struct ub_btf_ext *ub_btf_ext_parse(struct userbpf_env *env, const struct ub_btf *btf,
				    const void *data, size_t size, const char *what);
void ub_btf_ext_free(struct userbpf_env *env, struct ub_btf_ext *ext);

/* The records of one ELF section, or NULL when there are none. */
const struct ub_btf_ext_sec *ub_btf_ext_find(const struct ub_btf_ext_info *info,
					     const char *sec_name);

#endif /* UB_BTF_H */
