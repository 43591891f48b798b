/* SPDX-License-Identifier: Apache-2.0 */
/* btf_ext.c: parse and check .BTF.ext: per-section func info, line info and CO-RE records. */
#include <errno.h>
#include <string.h>

#include "loader/btf.h"

#define EXT_MAGIC 0xeB9F

struct ext_hdr {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len;
	uint32_t line_info_off, line_info_len;
	uint32_t core_relo_off, core_relo_len; /* present when hdr_len >= 32 */
};

/*
 * One info block: u32 rec_size, then per ELF section { u32 sec_name_off, u32 num_info,
 * num_info records }. `base` is the block's offset in .BTF.ext, for messages.
 */
static int parse_info(struct userbpf_env *env, const struct ub_btf *btf, const uint8_t *p,
		      uint32_t len, uint32_t base, uint32_t min_rec, const char *kind,
		      struct ub_btf_ext_info *info, const char *what)
{
	const uint8_t *start = p, *end = p + len;
	uint32_t nsec = 0;

	if (!len)
		return 0;
	if (len < 4) {
		ub_err(&env->log, "%s: %s block at offset %u is truncated", what, kind, base);
		return -EINVAL;
	}
	memcpy(&info->rec_size, p, 4);
	if (info->rec_size < min_rec || (info->rec_size & 3) || info->rec_size > 1024) {
		ub_err(&env->log, "%s: %s record size %u at offset %u is invalid (at least %u, a "
		       "multiple of 4)", what, kind, info->rec_size, base, min_rec);
		return -EINVAL;
	}
	/* Pass 1: check and count; pass 2: record. */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t i = 0;

		for (p = start + 4; p < end; i++) {
			uint32_t name_off, num;
			const char *name;

			if (end - p < 8) {
				ub_err(&env->log, "%s: %s section header at offset %u is truncated",
				       what, kind, base + (uint32_t)(p - start));
				return -EINVAL;
			}
			memcpy(&name_off, p, 4);
			memcpy(&num, p + 4, 4);
			name = ub_btf_str(btf, name_off);
			if (!name || !*name) {
				ub_err(&env->log, "%s: %s section name offset %u at offset %u is not a "
				       "BTF string", what, kind, name_off,
				       base + (uint32_t)(p - start));
				return -EINVAL;
			}
			if (!num || (uint64_t)num * info->rec_size > (uint64_t)(end - p - 8)) {
				ub_err(&env->log, "%s: %s section '%s' at offset %u: %u records of %u "
				       "bytes do not fit", what, kind, name,
				       base + (uint32_t)(p - start), num, info->rec_size);
				return -EINVAL;
			}
			if (pass) {
				info->secs[i].sec_name = name;
				info->secs[i].cnt = num;
				info->secs[i].recs = p + 8;
			}
			p += 8 + (size_t)num * info->rec_size;
		}
		if (!pass) {
			nsec = i;
			info->secs = ub_zalloc(env, (size_t)(nsec ? nsec : 1) * sizeof(*info->secs));
			if (!info->secs)
				return -ENOMEM;
			info->nsec = nsec;
		}
	}
	return 0;
}

struct ub_btf_ext *ub_btf_ext_parse(struct userbpf_env *env, const struct ub_btf *btf,
				    const void *data, size_t size, const char *what)
{
	struct ext_hdr h = { 0 };
	struct ub_btf_ext *ext;
	const uint8_t *body;
	size_t body_len;
	int err;

	if (size < 24) {
		ub_err(&env->log, "%s: %zu bytes is too short for a .BTF.ext header", what, size);
		errno = EINVAL;
		return NULL;
	}
	memcpy(&h, data, size < sizeof(h) ? size : sizeof(h));
	if (h.magic != EXT_MAGIC || h.version != 1 || h.hdr_len < 24 || h.hdr_len > size) {
		ub_err(&env->log, "%s: bad .BTF.ext header (magic 0x%x, version %u, hdr_len %u)",
		       what, h.magic, h.version, h.hdr_len);
		errno = EINVAL;
		return NULL;
	}
	if (h.hdr_len < sizeof(h))
		h.core_relo_off = h.core_relo_len = 0;
	body = (const uint8_t *)data + h.hdr_len;
	body_len = size - h.hdr_len;
	if ((uint64_t)h.func_info_off + h.func_info_len > body_len ||
	    (uint64_t)h.line_info_off + h.line_info_len > body_len ||
	    (uint64_t)h.core_relo_off + h.core_relo_len > body_len) {
		ub_err(&env->log, "%s: .BTF.ext blocks (func %u+%u, line %u+%u, core %u+%u) do not "
		       "fit its %zu bytes", what, h.func_info_off, h.func_info_len,
		       h.line_info_off, h.line_info_len, h.core_relo_off, h.core_relo_len, size);
		errno = EINVAL;
		return NULL;
	}
	ext = ub_zalloc(env, sizeof(*ext));
	if (!ext) {
		errno = ENOMEM;
		return NULL;
	}
	err = parse_info(env, btf, body + h.func_info_off, h.func_info_len,
			 h.hdr_len + h.func_info_off, 8, "func_info", &ext->func, what);
	if (!err)
		err = parse_info(env, btf, body + h.line_info_off, h.line_info_len,
				 h.hdr_len + h.line_info_off, 16, "line_info", &ext->line, what);
	if (!err)
		err = parse_info(env, btf, body + h.core_relo_off, h.core_relo_len,
				 h.hdr_len + h.core_relo_off, 16, "core_relo", &ext->core, what);
	if (err) {
		ub_btf_ext_free(env, ext);
		errno = -err;
		return NULL;
	}
	return ext;
}

void ub_btf_ext_free(struct userbpf_env *env, struct ub_btf_ext *ext)
{
	if (!ext)
		return;
	ub_free(env, ext->func.secs);
	ub_free(env, ext->line.secs);
	ub_free(env, ext->core.secs);
	ub_free(env, ext);
}

const struct ub_btf_ext_sec *ub_btf_ext_find(const struct ub_btf_ext_info *info,
					     const char *sec_name)
{
	for (uint32_t i = 0; i < info->nsec; i++)
		if (!strcmp(info->secs[i].sec_name, sec_name))
			return &info->secs[i];
	return NULL;
}
