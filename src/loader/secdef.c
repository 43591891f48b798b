/* SPDX-License-Identifier: Apache-2.0 */
/* secdef.c: derive a program's type and attach target from its section name (secdef.def). */
#include <errno.h>
#include <string.h>

#include "helpers/progtypes.h"
#include "loader/loader.h"

#define UB_SEC_SLEEPABLE 0x1
#define UB_SEC_UNSUPPORTED 0x2

static const struct {
	const char *prefix;
	uint32_t type;
	const char *kind;
	uint32_t flags;
} secdefs[] = {
#define UB_SECDEF(prefix, type, kind, flags) { prefix, USERBPF_PROG_TYPE_##type, kind, flags },
#include "loader/secdef.def"
#undef UB_SECDEF
};

int ub_obj_classify_prog(struct userbpf_object *obj, struct userbpf_object_prog *prog)
{
	const char *sec = prog->sec_name;
	size_t best = SIZE_MAX, best_len = 0;

	/* libbpf's "?xdp": a program not loaded automatically there; its type is the same. */
	if (sec[0] == '?')
		sec++;

	/* The longest matching prefix wins ("uprobe.s/..." over "uprobe"). */
	for (size_t i = 0; i < sizeof(secdefs) / sizeof(secdefs[0]); i++) {
		size_t l = strlen(secdefs[i].prefix);

		if (strncmp(sec, secdefs[i].prefix, l) || (sec[l] && sec[l] != '/'))
			continue;
		if (best == SIZE_MAX || l > best_len) {
			best = i;
			best_len = l;
		}
	}
	if (best == SIZE_MAX) {
		/* No convention: a raw memory program, as userbpf's own type 0 defines it. */
		prog->type = USERBPF_PROG_TYPE_UNSPEC;
		prog->attach_kind = "";
		ub_debug(UB_OBJ_LOG(obj), "%s: program '%s': section '%s' follows no SEC() "
			 "convention; loading it as a raw memory program", obj->name, prog->name,
			 sec);
		return 0;
	}
	if (secdefs[best].flags & UB_SEC_UNSUPPORTED) {
		ub_err(UB_OBJ_LOG(obj), "%s: program '%s': section '%s' is a Linux %s program; userbpf "
		       "does not support that program type", obj->name, prog->name, sec,
		       secdefs[best].kind);
		return -ENOTSUP;
	}
	prog->type = secdefs[best].type;
	prog->attach_kind = secdefs[best].kind;
	prog->sleepable = !!(secdefs[best].flags & UB_SEC_SLEEPABLE);
	if (sec[best_len] == '/' && sec[best_len + 1]) {
		prog->attach_target = ub_strdup(obj->env, sec + best_len + 1);
		if (!prog->attach_target)
			return -ENOMEM;
	}
	return 0;
}

USERBPF_API const char *userbpf_object_prog_type_name(const struct userbpf_object_prog *prog)
{
	const struct ub_prog_type_info *t;

	if (!prog)
		return NULL;
	t = ub_prog_type(prog->type);
	return t ? t->name : prog->type ? "unknown" : "unspec";
}
