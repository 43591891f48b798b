/* SPDX-License-Identifier: Apache-2.0 */
/*
 * relo_core.c: CO-RE ("compile once, run everywhere") relocations. A record says: instruction
 * N uses the offset/size/existence of field `0:2:1` of local type T (or a type's size or id, or
 * an enumerator's value). We compute that value in the program's BTF and in the target BTF
 * (a host's, or the program's own), where the type is found by name (ignoring a "___flavor"
 * suffix) and the field by member names, and patch the instruction from the one to the other.
 *
 * Worked example: the program was compiled with struct conn { u32 id; u64 bytes; } and reads
 * `c->bytes` as `r1 = *(u64 *)(r1 + 8)` with record (FIELD_BYTE_OFFSET, conn, "0:1"). The host's
 * struct conn is { u64 bytes; u32 id; }: the target offset of "bytes" is 0, so off 8 becomes 0.
 *
 * A relocation that finds no target is not an error at open: like libbpf, the instruction is
 * "poisoned" into a call of the non-existent helper 0xbad2310, so a program that guards the
 * access with bpf_core_field_exists() still loads, and one that reaches it fails visibly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "loader/loader.h"

enum {
	FIELD_BYTE_OFFSET = 0,
	FIELD_BYTE_SIZE = 1,
	FIELD_EXISTS = 2,
	FIELD_SIGNED = 3,
	FIELD_LSHIFT_U64 = 4,
	FIELD_RSHIFT_U64 = 5,
	TYPE_ID_LOCAL = 6,
	TYPE_ID_TARGET = 7,
	TYPE_EXISTS = 8,
	TYPE_SIZE = 9,
	ENUMVAL_EXISTS = 10,
	ENUMVAL_VALUE = 11,
	TYPE_MATCHES = 12,
};

static const char *const kind_names[] = {
	"field_byte_offset", "field_byte_size", "field_exists", "field_signed",
	"field_lshift_u64", "field_rshift_u64", "type_id_local", "type_id_target",
	"type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches",
};

#define POISON_HELPER 0xbad2310
#define MAX_ACCESS 64
#define MAX_DEPTH 32

/* A resolved field access in one BTF. */
struct field {
	uint32_t type_id;  /* the field's type */
	uint64_t bit_off;  /* from the start of the root object */
	uint32_t bitfield; /* bitfield width, 0 if not a bitfield */
};

struct access {
	uint32_t n;
	uint32_t idx[MAX_ACCESS];
};

static int parse_access(const char *s, struct access *a)
{
	a->n = 0;
	while (*s) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v > UINT32_MAX || a->n == MAX_ACCESS || (*end && *end != ':'))
			return -EINVAL;
		a->idx[a->n++] = (uint32_t)v;
		s = *end ? end + 1 : end;
	}
	return a->n ? 0 : -EINVAL;
}

/* Length of a name without its "___flavor" suffix. */
static size_t essential_len(const char *name)
{
	const char *f = strstr(name, "___");

	return f ? (size_t)(f - name) : strlen(name);
}

static int is_composite(const struct btf_type *t)
{
	return ub_btf_kind(t) == BTF_KIND_STRUCT || ub_btf_kind(t) == BTF_KIND_UNION;
}

static int is_enum(const struct btf_type *t)
{
	return ub_btf_kind(t) == BTF_KIND_ENUM || ub_btf_kind(t) == BTF_KIND_ENUM64;
}

/* Could a field of local type lid hold what a target field of type tid holds? */
static int fields_compat(const struct ub_btf *lb, uint32_t lid, const struct ub_btf *tb,
			 uint32_t tid, int depth)
{
	const struct btf_type *l = ub_btf_type(lb, ub_btf_skip_mods(lb, lid));
	const struct btf_type *t = ub_btf_type(tb, ub_btf_skip_mods(tb, tid));

	if (!l || !t || depth > MAX_DEPTH)
		return 0;
	if (is_composite(l) && is_composite(t))
		return 1;
	if (is_enum(l) && is_enum(t))
		return 1;
	if (ub_btf_kind(l) != ub_btf_kind(t))
		return 0;
	switch (ub_btf_kind(l)) {
	case BTF_KIND_INT: case BTF_KIND_PTR: case BTF_KIND_FLOAT: case BTF_KIND_FWD:
		return 1;
	case BTF_KIND_ARRAY:
		return fields_compat(lb, ((const struct btf_array *)(l + 1))->type, tb,
				     ((const struct btf_array *)(t + 1))->type, depth + 1);
	default:
		return 0;
	}
}

/* The local field an access string names, walking members and array elements by index. */
static int local_field(const struct ub_btf *btf, uint32_t root, const struct access *a,
		       struct field *f, const char **err)
{
	int64_t sz = ub_btf_size(btf, root);
	uint32_t id = root;

	if (sz < 0) {
		*err = "the root type has no size";
		return -EINVAL;
	}
	f->bit_off = (uint64_t)a->idx[0] * (uint64_t)sz * 8;
	f->bitfield = 0;
	for (uint32_t i = 1; i < a->n; i++) {
		const struct btf_type *t = ub_btf_type(btf, ub_btf_skip_mods(btf, id));

		f->bitfield = 0;
		if (is_composite(t)) {
			if (a->idx[i] >= ub_btf_vlen(t)) {
				*err = "member index out of range";
				return -EINVAL;
			}
			f->bit_off += ub_btf_member_bit_off(t, a->idx[i]);
			f->bitfield = ub_btf_member_bitfield(t, a->idx[i]);
			id = ub_btf_members(t)[a->idx[i]].type;
		} else if (ub_btf_kind(t) == BTF_KIND_ARRAY) {
			const struct btf_array *arr = (const void *)(t + 1);
			int64_t esz = ub_btf_size(btf, arr->type);

			if (esz < 0 || (arr->nelems && a->idx[i] >= arr->nelems)) {
				*err = "array index out of range";
				return -EINVAL;
			}
			f->bit_off += (uint64_t)a->idx[i] * (uint64_t)esz * 8;
			id = arr->type;
		} else {
			*err = "the access string goes into a type that is neither a struct, a union "
			       "nor an array";
			return -EINVAL;
		}
	}
	f->type_id = id;
	return 0;
}

/*
 * Find member `name` in target composite `tid`, looking inside anonymous struct/union members
 * as C does. Adds its bit offset to *bit_off; returns 1 found, 0 not found.
 */
static int find_member(const struct ub_btf *btf, uint32_t tid, const char *name,
		       uint64_t *bit_off, uint32_t *mtype, uint32_t *bitfield, int depth)
{
	const struct btf_type *t = ub_btf_type(btf, ub_btf_skip_mods(btf, tid));

	if (!is_composite(t) || depth > MAX_DEPTH)
		return 0;
	for (unsigned i = 0; i < ub_btf_vlen(t); i++) {
		const struct btf_member *m = ub_btf_members(t) + i;
		const char *mn = ub_btf_str(btf, m->name_off);
		uint64_t sub = 0;

		if (mn && *mn && !strcmp(mn, name)) {
			*bit_off += ub_btf_member_bit_off(t, i);
			*mtype = m->type;
			*bitfield = ub_btf_member_bitfield(t, i);
			return 1;
		}
		if ((!mn || !*mn) &&
		    find_member(btf, m->type, name, &sub, mtype, bitfield, depth + 1)) {
			*bit_off += ub_btf_member_bit_off(t, i) + sub;
			return 1;
		}
	}
	return 0;
}

/* Match the local access path in target candidate `cand`; 1 matched, 0 not, <0 error. */
static int target_field(const struct ub_btf *lb, uint32_t lroot, const struct access *a,
			const struct ub_btf *tb, uint32_t cand, struct field *f)
{
	int64_t sz = ub_btf_size(tb, cand);
	uint32_t lid = lroot, tid = cand;

	if (sz < 0)
		return 0;
	f->bit_off = (uint64_t)a->idx[0] * (uint64_t)sz * 8;
	f->bitfield = 0;
	for (uint32_t i = 1; i < a->n; i++) {
		const struct btf_type *l = ub_btf_type(lb, ub_btf_skip_mods(lb, lid));
		const struct btf_type *t = ub_btf_type(tb, ub_btf_skip_mods(tb, tid));

		if (is_composite(l)) {
			const struct btf_member *lm = ub_btf_members(l) + a->idx[i];
			const char *name = ub_btf_str(lb, lm->name_off);

			lid = lm->type;
			if (!name || !*name) {
				/* Anonymous local member: the next name is searched through it. */
				if (!is_composite(ub_btf_type(lb, ub_btf_skip_mods(lb, lid))))
					return 0;
				continue;
			}
			if (!find_member(tb, tid, name, &f->bit_off, &tid, &f->bitfield, 0))
				return 0;
			if (!fields_compat(lb, lid, tb, tid, 0))
				return 0;
		} else {
			const struct btf_array *la = (const void *)(l + 1), *ta;
			int64_t esz;

			if (ub_btf_kind(t) != BTF_KIND_ARRAY)
				return 0;
			ta = (const void *)(t + 1);
			esz = ub_btf_size(tb, ta->type);
			if (esz < 0 || (ta->nelems && a->idx[i] >= ta->nelems))
				return 0;
			f->bit_off += (uint64_t)a->idx[i] * (uint64_t)esz * 8;
			f->bitfield = 0;
			lid = la->type;
			tid = ta->type;
		}
	}
	f->type_id = tid;
	return 1;
}

/* The value a field relocation of `kind` has for field f in btf. */
static int field_value(const struct ub_btf *btf, const struct field *f, uint32_t kind,
		       uint64_t *val, uint32_t *mem_sz)
{
	int64_t sz = ub_btf_size(btf, f->type_id);
	uint64_t byte_off, byte_sz;
	const struct btf_type *t;

	if (sz <= 0)
		return -EINVAL;
	byte_sz = (uint64_t)sz;
	byte_off = f->bit_off / 8;
	if (f->bitfield) {
		/* The smallest aligned load of the field's type size (or wider) that covers it. */
		byte_off = f->bit_off / 8 / byte_sz * byte_sz;
		while (f->bit_off + f->bitfield - byte_off * 8 > byte_sz * 8) {
			if (byte_sz >= 8)
				return -EINVAL;
			byte_sz *= 2;
			byte_off = f->bit_off / 8 / byte_sz * byte_sz;
		}
	} else if (f->bit_off % 8) {
		return -EINVAL;
	}
	*mem_sz = (uint32_t)byte_sz;
	t = ub_btf_type(btf, ub_btf_skip_mods(btf, f->type_id));
	switch (kind) {
	case FIELD_BYTE_OFFSET:
		*val = byte_off;
		return 0;
	case FIELD_BYTE_SIZE:
		*val = byte_sz;
		return 0;
	case FIELD_EXISTS:
		*val = 1;
		return 0;
	case FIELD_SIGNED:
		*val = (ub_btf_kind(t) == BTF_KIND_INT &&
			(BTF_INT_ENCODING(*(const uint32_t *)(t + 1)) & BTF_INT_SIGNED)) ||
		       (is_enum(t) && BTF_INFO_KFLAG(t->info));
		return 0;
	case FIELD_LSHIFT_U64:
		*val = f->bitfield ? 64 - (f->bit_off + f->bitfield - byte_off * 8)
				   : 64 - byte_sz * 8;
		return 0;
	case FIELD_RSHIFT_U64:
		*val = f->bitfield ? 64 - f->bitfield : 64 - byte_sz * 8;
		return 0;
	}
	return -EINVAL;
}

/* Enumerator i of enum t: name and value. */
static int enumerator(const struct ub_btf *btf, const struct btf_type *t, uint32_t i,
		      const char **name, uint64_t *val)
{
	if (i >= ub_btf_vlen(t))
		return -EINVAL;
	if (ub_btf_kind(t) == BTF_KIND_ENUM) {
		const struct btf_enum *e = (const struct btf_enum *)(t + 1) + i;

		*name = ub_btf_str(btf, e->name_off);
		*val = BTF_INFO_KFLAG(t->info) ? (uint64_t)(int64_t)e->val : (uint32_t)e->val;
	} else {
		const struct btf_enum64 *e = (const struct btf_enum64 *)(t + 1) + i;

		*name = ub_btf_str(btf, e->name_off);
		*val = (uint64_t)e->val_hi32 << 32 | e->val_lo32;
	}
	return *name ? 0 : -EINVAL;
}

struct result {
	int found;        /* a target matched */
	uint64_t local, target;
	uint32_t local_sz, target_sz; /* memory access widths of fields */
	int resizable;    /* field is an int/enum/pointer: a load may change width */
};

static int scalar_field(const struct ub_btf *btf, uint32_t id)
{
	const struct btf_type *t = ub_btf_type(btf, ub_btf_skip_mods(btf, id));
	unsigned k = ub_btf_kind(t);

	return k == BTF_KIND_INT || k == BTF_KIND_PTR || is_enum(t);
}

static int same_kind(const struct btf_type *a, const struct btf_type *b)
{
	return ub_btf_kind(a) == ub_btf_kind(b) || (is_enum(a) && is_enum(b));
}

/* Compute local and target values of one record. Returns 0 or -errno with *why set. */
static int compute(struct userbpf_object *obj, const struct ub_core_relo *r,
		   const struct access *a, struct result *res, const char **why)
{
	const struct ub_btf *lb = obj->btf;
	const struct ub_btf *tb = obj->target_btf ? obj->target_btf : obj->btf;
	const struct btf_type *lt = ub_btf_type(lb, r->type_id);
	const char *lname = ub_btf_name(lb, lt);
	size_t llen = essential_len(lname);
	int64_t sz;
	int err;

	memset(res, 0, sizeof(*res));
	if (r->kind == TYPE_ID_LOCAL) {
		res->found = 1;
		res->local = res->target = r->type_id;
		return 0;
	}
	if (!llen) {
		*why = "the local type is anonymous";
		return -EINVAL;
	}
	if (r->kind <= FIELD_RSHIFT_U64) {
		struct field lf, tf;

		err = local_field(lb, r->type_id, a, &lf, why);
		if (err)
			return err;
		if (r->kind == FIELD_EXISTS)
			res->local = 1;
		else if (field_value(lb, &lf, r->kind, &res->local, &res->local_sz)) {
			*why = "the local field has no usable size or alignment";
			return -EINVAL;
		}
		for (uint32_t id = 1; id < tb->nr; id++) {
			const struct btf_type *t = tb->types[id];
			const char *tn = ub_btf_name(tb, t);
			uint64_t v;
			uint32_t msz;
			int m;

			if (!same_kind(t, lt) ||
			    essential_len(tn) != llen || strncmp(tn, lname, llen))
				continue;
			m = target_field(lb, r->type_id, a, tb, id, &tf);
			if (m <= 0)
				continue;
			if (field_value(tb, &tf, r->kind, &v, &msz))
				continue;
			if (res->found && v != res->target) {
				*why = "two target types match with different results";
				return -EINVAL;
			}
			res->found = 1;
			res->target = v;
			res->target_sz = msz;
			res->resizable = scalar_field(lb, lf.type_id) && scalar_field(tb, tf.type_id);
		}
		return 0;
	}
	if (r->kind == ENUMVAL_EXISTS || r->kind == ENUMVAL_VALUE) {
		const char *ename;

		/* The access string is the enumerator's index: "2". */
		if (!is_enum(lt) || a->n != 1 || enumerator(lb, lt, a->idx[0], &ename, &res->local)) {
			*why = "not an enumerator of a local enum";
			return -EINVAL;
		}
		if (r->kind == ENUMVAL_EXISTS)
			res->local = 1;
		for (uint32_t id = 1; id < tb->nr; id++) {
			const struct btf_type *t = tb->types[id];
			const char *tn = ub_btf_name(tb, t);

			if (!is_enum(t) || essential_len(tn) != llen || strncmp(tn, lname, llen))
				continue;
			for (uint32_t i = 0; i < ub_btf_vlen(t); i++) {
				const char *n;
				uint64_t v;

				if (enumerator(tb, t, i, &n, &v) || strcmp(n, ename))
					continue;
				if (r->kind == ENUMVAL_EXISTS)
					v = 1;
				if (res->found && v != res->target) {
					*why = "two target enums give different values";
					return -EINVAL;
				}
				res->found = 1;
				res->target = v;
			}
		}
		return 0;
	}
	/* Type-based: TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE, TYPE_MATCHES. */
	sz = ub_btf_size(lb, r->type_id);
	res->local = r->kind == TYPE_SIZE ? (uint64_t)(sz > 0 ? sz : 0) :
		     r->kind == TYPE_ID_TARGET ? r->type_id : 1;
	for (uint32_t id = 1; id < tb->nr; id++) {
		const struct btf_type *t = tb->types[id];
		const char *tn = ub_btf_name(tb, t);
		uint64_t v = 1;

		if (!same_kind(t, lt) || essential_len(tn) != llen || strncmp(tn, lname, llen))
			continue;
		if (r->kind == TYPE_SIZE) {
			sz = ub_btf_size(tb, id);
			if (sz < 0)
				continue;
			v = (uint64_t)sz;
		} else if (r->kind == TYPE_ID_TARGET) {
			v = id;
		}
		if (res->found && v != res->target) {
			*why = "two target types match with different results";
			return -EINVAL;
		}
		res->found = 1;
		res->target = v;
	}
	return 0;
}

static unsigned size_bytes(uint8_t code)
{
	switch (USERBPF_SIZE(code)) {
	case USERBPF_B: return 1;
	case USERBPF_H: return 2;
	case USERBPF_W: return 4;
	default: return 8;
	}
}

static uint8_t size_code(unsigned bytes)
{
	return bytes == 1 ? USERBPF_B : bytes == 2 ? USERBPF_H : bytes == 4 ? USERBPF_W : USERBPF_DW;
}

int ub_core_apply(struct userbpf_object *obj, const char *prog_name, struct userbpf_insn *insns,
		  size_t cnt, size_t idx, const struct ub_core_relo *r)
{
	const char *acc_str, *why = NULL;
	struct userbpf_insn *in = &insns[idx];
	struct access a;
	struct result res;
	uint64_t val;
	uint8_t cls;
	int err, exists;

#define CORE_ERR(fmt, ...)                                                                      \
	ub_err(UB_OBJ_LOG(obj), "%s: program '%s' insn %zu: CO-RE %s relocation of type [%u]: " \
	       fmt, obj->name, prog_name, idx, r->kind < 13 ? kind_names[r->kind] : "?",         \
	       r->type_id, __VA_ARGS__)

	if (r->kind > TYPE_MATCHES) {
		CORE_ERR("unknown relocation kind %u", r->kind);
		return -EINVAL;
	}
	if (!ub_btf_type(obj->btf, r->type_id)) {
		CORE_ERR("%s", "type id is not in the object's BTF");
		return -EINVAL;
	}
	acc_str = ub_btf_str(obj->btf, r->access_str_off);
	if (!acc_str || parse_access(acc_str, &a)) {
		CORE_ERR("bad access string at offset %u", r->access_str_off);
		return -EINVAL;
	}
	err = compute(obj, r, &a, &res, &why);
	if (err) {
		CORE_ERR("access \"%s\": %s", acc_str, why);
		return err;
	}
	exists = r->kind == FIELD_EXISTS || r->kind == TYPE_EXISTS ||
		 r->kind == ENUMVAL_EXISTS || r->kind == TYPE_MATCHES;
	if (!res.found && exists) {
		res.found = 1;
		res.target = 0;
	}
	cls = USERBPF_CLASS(in->code);
	if (!res.found) {
		/* Poison: fails only if the program reaches it (see the file comment). */
		ub_warn(UB_OBJ_LOG(obj), "%s: program '%s' insn %zu: CO-RE %s relocation of '%s' "
			"access \"%s\" matches nothing in the target BTF; instruction poisoned",
			obj->name, prog_name, idx, kind_names[r->kind],
			ub_btf_name(obj->btf, ub_btf_type(obj->btf, r->type_id)), acc_str);
		if (in->code == (USERBPF_LD | USERBPF_DW | USERBPF_IMM) && idx + 1 < cnt)
			insns[idx + 1] = (struct userbpf_insn){ .code = USERBPF_JMP | USERBPF_JA };
		*in = (struct userbpf_insn){ .code = USERBPF_JMP | USERBPF_CALL,
					     .imm = POISON_HELPER };
		return 0;
	}
	val = res.target;
	if (in->code == (USERBPF_LD | USERBPF_DW | USERBPF_IMM)) {
		if (idx + 1 >= cnt) {
			CORE_ERR("%s", "lddw is cut by the end of the program");
			return -EINVAL;
		}
		if (ub_isa_imm64(in) != res.local) {
			CORE_ERR("lddw holds %" PRIu64 ", expected the local value %" PRIu64,
				 ub_isa_imm64(in), res.local);
			return -EINVAL;
		}
		in[0].imm = (int32_t)(uint32_t)val;
		in[1].imm = (int32_t)(uint32_t)(val >> 32);
		return 0;
	}
	if ((cls == USERBPF_ALU || cls == USERBPF_ALU64) && USERBPF_SRC(in->code) == USERBPF_K) {
		if ((uint64_t)(int64_t)in->imm != res.local && (uint32_t)in->imm != res.local) {
			CORE_ERR("instruction immediate %d is not the local value %" PRIu64, in->imm,
				 res.local);
			return -EINVAL;
		}
		if (val > INT32_MAX) {
			CORE_ERR("value %" PRIu64 " does not fit an immediate", val);
			return -ERANGE;
		}
		in->imm = (int32_t)val;
		return 0;
	}
	if ((cls == USERBPF_LDX || cls == USERBPF_ST || cls == USERBPF_STX) &&
	    (USERBPF_MODE(in->code) == USERBPF_MEM || USERBPF_MODE(in->code) == USERBPF_MEMSX)) {
		if (r->kind != FIELD_BYTE_OFFSET) {
			CORE_ERR("%s", "a memory access can only take a field offset");
			return -EINVAL;
		}
		if ((uint64_t)(int64_t)in->off != res.local) {
			CORE_ERR("instruction offset %d is not the local field offset %" PRIu64,
				 in->off, res.local);
			return -EINVAL;
		}
		if (val > INT16_MAX) {
			CORE_ERR("field offset %" PRIu64 " does not fit a 16-bit offset", val);
			return -ERANGE;
		}
		in->off = (int16_t)val;
		/* The field changed width (u32 -> u64): the load follows, as libbpf does. */
		if (res.local_sz != res.target_sz && size_bytes(in->code) == res.local_sz) {
			if (!res.resizable || (res.target_sz != 1 && res.target_sz != 2 &&
					       res.target_sz != 4 && res.target_sz != 8)) {
				CORE_ERR("field is %u bytes in the target, %u here, and cannot be "
					 "accessed with another width", res.target_sz, res.local_sz);
				return -EINVAL;
			}
			in->code = (uint8_t)((in->code & ~0x18) | size_code(res.target_sz));
		}
		return 0;
	}
	CORE_ERR("unsupported instruction (opcode %#x)", in->code);
	return -EINVAL;
#undef CORE_ERR
}
