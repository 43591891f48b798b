/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link.c: turn one program of an object into a self-contained instruction array, the way libbpf
 * does: copy the entry function, append every function it reaches (calls and callbacks, from
 * .text or any code section) once, make calls relative, resolve map and global data references
 * to map indexes, apply CO-RE relocations, and carry line and function info along.
 */
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "isa/isa.h"
#include "loader/loader.h"

#define OBJ_ERR(obj, ...) ub_err(UB_OBJ_LOG(obj), __VA_ARGS__)
#define R_BPF_64_64 1
#define R_BPF_64_32 10
#define LDDW (USERBPF_LD | USERBPF_DW | USERBPF_IMM)
#define CALL (USERBPF_JMP | USERBPF_CALL)

/* One function copied into the program. */
struct lfunc {
	uint32_t sec;
	uint64_t start, len; /* instructions, in the section */
	uint64_t pos;        /* where it starts in the program */
	const char *name;
};

struct linker {
	struct userbpf_object *obj;
	struct userbpf_object_prog *prog;
	struct lfunc *funcs;
	size_t nfuncs, cap_funcs;
	struct userbpf_insn *out;
	size_t cnt, cap;
};

/* The function symbol of section `sec` containing instruction `off`. */
static const struct ub_sym *func_at(const struct userbpf_object *obj, uint32_t sec, uint64_t off)
{
	for (size_t i = 0; i < obj->nsym; i++) {
		const struct ub_sym *s = &obj->syms[i];

		if (s->type == STT_FUNC && s->shndx == sec && off >= s->value / 8 &&
		    off < (s->value + s->size) / 8)
			return s;
	}
	return NULL;
}

/* Position in the program of instruction `off` of section `sec`, appending its function. */
static int64_t place(struct linker *l, uint32_t sec, uint64_t off, const char *where)
{
	struct userbpf_object *obj = l->obj;
	const struct ub_sym *f;
	struct lfunc *lf;

	for (size_t i = 0; i < l->nfuncs; i++)
		if (l->funcs[i].sec == sec && off >= l->funcs[i].start &&
		    off < l->funcs[i].start + l->funcs[i].len)
			return (int64_t)(l->funcs[i].pos + off - l->funcs[i].start);
	f = func_at(obj, sec, off);
	if (!f) {
		OBJ_ERR(obj, "%s: %s: target instruction %" PRIu64 " of section '%s' is not inside "
			"a function", obj->name, where, off, ub_obj_sec_name(obj, sec));
		return -EINVAL;
	}
	if (l->cnt + f->size / 8 > UB_MAX_INSNS) {
		OBJ_ERR(obj, "%s: program '%s' grows past %u instructions with its subprograms",
			obj->name, l->prog->name, UB_MAX_INSNS);
		return -E2BIG;
	}
	if (l->nfuncs == l->cap_funcs) {
		size_t nc = l->cap_funcs ? l->cap_funcs * 2 : 8;
		struct lfunc *nf = ub_realloc(obj->env, l->funcs, nc * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		l->funcs = nf;
		l->cap_funcs = nc;
	}
	lf = &l->funcs[l->nfuncs++];
	lf->sec = sec;
	lf->start = f->value / 8;
	lf->len = f->size / 8;
	lf->pos = l->cnt;
	lf->name = f->name;
	if (l->cnt + lf->len > l->cap) {
		size_t nc = (l->cnt + lf->len) * 2;
		struct userbpf_insn *no = ub_realloc(obj->env, l->out, nc * sizeof(*no));

		if (!no)
			return -ENOMEM;
		l->out = no;
		l->cap = nc;
	}
	memcpy(l->out + l->cnt, obj->secs[sec].data + lf->start * 8, lf->len * 8);
	l->cnt += lf->len;
	return (int64_t)(lf->pos + off - lf->start);
}

/* Resolve a relocated lddw at program position idx (section instruction `soff`). */
static int reloc_lddw(struct linker *l, const struct lfunc *fn, size_t idx, uint64_t soff,
		      const struct ub_rel *r)
{
	struct userbpf_object *obj = l->obj;
	const struct ub_sym *sym = &obj->syms[r->sym];
	struct userbpf_insn *in = &l->out[idx];
	const char *sec = ub_obj_sec_name(obj, fn->sec);
	char where[160];

	if (sym->shndx == SHN_UNDEF || sym->shndx >= obj->nsec) {
		OBJ_ERR(obj, "%s: section '%s' insn %" PRIu64 ": reference to extern '%s' (ksym or "
			"kconfig variables are not supported)", obj->name, sec, soff, sym->name);
		return -ENOTSUP;
	}
	if (obj->secs[sym->shndx].flags & SHF_EXECINSTR) {
		/* A callback: lddw of a function address becomes BPF_PSEUDO_FUNC. */
		int64_t t, byte = (int64_t)sym->value + in[0].imm;

		snprintf(where, sizeof(where), "section '%s' insn %" PRIu64 " (callback '%s')", sec,
			 soff, sym->name);
		if (byte < 0 || byte % 8) {
			OBJ_ERR(obj, "%s: %s: offset %" PRId64 " is not an instruction", obj->name,
				where, byte);
			return -EINVAL;
		}
		t = place(l, sym->shndx, (uint64_t)byte / 8, where);
		if (t < 0)
			return (int)t;
		in = &l->out[idx]; /* place() may have moved the array */
		in[0].src_reg = USERBPF_PSEUDO_FUNC;
		in[0].imm = (int32_t)(t - (int64_t)idx - 1);
		in[1].imm = 0;
		return 0;
	}
	if (obj->secs[sym->shndx].map_idx >= 0) {
		/* Global data: map value of the section's map, at the variable's offset. */
		const struct userbpf_object_map *m = &obj->maps[obj->secs[sym->shndx].map_idx];
		int64_t off = (int64_t)sym->value + in[0].imm;

		if (off < 0 || (uint64_t)off >= m->value_size) {
			OBJ_ERR(obj, "%s: section '%s' insn %" PRIu64 ": offset %" PRId64 " of '%s' "
				"is outside %s (%u bytes)", obj->name, sec, soff, off, sym->name,
				m->name, m->value_size);
			return -EINVAL;
		}
		in[0].src_reg = USERBPF_PSEUDO_MAP_IDX_VALUE;
		in[0].imm = (int32_t)m->idx;
		in[1].imm = (int32_t)off;
		return 0;
	}
	{
		/* A map symbol (imm 0), or the section symbol plus the map's offset in imm. */
		const struct userbpf_object_map *m =
			ub_obj_map_at(obj, sym->shndx, sym->value + (uint64_t)(int64_t)in[0].imm);

		if (!m) {
			OBJ_ERR(obj, "%s: section '%s' insn %" PRIu64 ": lddw refers to '%s' in "
				"section '%s', which is neither a map, global data nor code",
				obj->name, sec, soff, sym->name, ub_obj_sec_name(obj, sym->shndx));
			return -EINVAL;
		}
		in[0].src_reg = USERBPF_PSEUDO_MAP_IDX;
		in[0].imm = (int32_t)m->idx;
		in[1].imm = 0;
	}
	return 0;
}

/* Resolve a call at program position idx: helpers stay, local calls become relative. */
static int reloc_call(struct linker *l, const struct lfunc *fn, size_t idx, uint64_t soff,
		      const struct ub_rel *r)
{
	struct userbpf_object *obj = l->obj;
	struct userbpf_insn *in = &l->out[idx];
	const char *sec = ub_obj_sec_name(obj, fn->sec);
	uint32_t tsec = fn->sec;
	int64_t target, t;
	char where[160];

	if (r) {
		const struct ub_sym *sym = &obj->syms[r->sym];

		if (sym->shndx == SHN_UNDEF || sym->shndx >= obj->nsec) {
			OBJ_ERR(obj, "%s: section '%s' insn %" PRIu64 ": call to extern function "
				"'%s' (kfuncs from object files are not supported)", obj->name, sec,
				soff, sym->name);
			return -ENOTSUP;
		}
		if (!(obj->secs[sym->shndx].flags & SHF_EXECINSTR) || in->src_reg != 1) {
			OBJ_ERR(obj, "%s: section '%s' insn %" PRIu64 ": call relocation to '%s', "
				"which is not a function", obj->name, sec, soff, sym->name);
			return -EINVAL;
		}
		tsec = sym->shndx;
		/* libbpf's rule: the callee is at symbol + (imm + 1) instructions. */
		target = (int64_t)(sym->value / 8) + in->imm + 1;
	} else if (in->src_reg == USERBPF_CALL_LOCAL) {
		target = (int64_t)soff + in->imm + 1;
	} else {
		return 0; /* helper or kfunc id */
	}
	snprintf(where, sizeof(where), "section '%s' insn %" PRIu64 " (call)", sec, soff);
	if (target < 0) {
		OBJ_ERR(obj, "%s: %s: target %" PRId64 " is before the section", obj->name, where,
			target);
		return -EINVAL;
	}
	t = place(l, tsec, (uint64_t)target, where);
	if (t < 0)
		return (int)t;
	in = &l->out[idx];
	in->src_reg = USERBPF_CALL_LOCAL;
	in->imm = (int32_t)(t - (int64_t)idx - 1);
	return 0;
}

static int apply_core(struct linker *l, const struct lfunc *fn)
{
	struct userbpf_object *obj = l->obj;
	const struct ub_btf_ext_sec *es;

	if (!obj->ext || !obj->ext->core.nsec)
		return 0;
	es = ub_btf_ext_find(&obj->ext->core, ub_obj_sec_name(obj, fn->sec));
	for (uint32_t i = 0; es && i < es->cnt; i++) {
		struct ub_core_relo r;
		uint64_t off;
		int err;

		memcpy(&r, es->recs + (size_t)i * obj->ext->core.rec_size, sizeof(r));
		if (r.insn_off % 8) {
			OBJ_ERR(obj, "%s: .BTF.ext: CO-RE record %u of section '%s': offset %u is "
				"not an instruction", obj->name, i, es->sec_name, r.insn_off);
			return -EINVAL;
		}
		off = r.insn_off / 8;
		if (off < fn->start || off >= fn->start + fn->len)
			continue;
		err = ub_core_apply(obj, l->prog->name, l->out, l->cnt,
				    fn->pos + off - fn->start, &r);
		if (err)
			return err;
	}
	return 0;
}

/* Line info of the appended functions, in program order (functions are placed in order). */
static int collect_lines(struct linker *l)
{
	struct userbpf_object *obj = l->obj;
	struct userbpf_object_prog *p = l->prog;
	size_t n = 0;

	if (!obj->ext || !obj->ext->line.nsec)
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t f = 0; f < l->nfuncs; f++) {
			const struct lfunc *fn = &l->funcs[f];
			const struct ub_btf_ext_sec *es = ub_btf_ext_find(&obj->ext->line,
						ub_obj_sec_name(obj, fn->sec));

			for (uint32_t i = 0; es && i < es->cnt; i++) {
				uint32_t rec[4];
				struct userbpf_line_info *li;

				memcpy(rec, es->recs + (size_t)i * obj->ext->line.rec_size,
				       sizeof(rec));
				if (rec[0] % 8 || rec[0] / 8 < fn->start ||
				    rec[0] / 8 >= fn->start + fn->len)
					continue;
				if (!pass) {
					n++;
					continue;
				}
				li = &p->lines[p->nlines++];
				li->insn = (uint32_t)(fn->pos + rec[0] / 8 - fn->start);
				li->file = ub_btf_str(obj->btf, rec[1]);
				li->text = ub_btf_str(obj->btf, rec[2]);
				li->line = rec[3] >> 10;
				li->col = rec[3] & 0x3ff;
				if (!li->file) {
					OBJ_ERR(obj, "%s: .BTF.ext: line info %u of section '%s': "
						"file name offset %u is not a BTF string", obj->name,
						i, es->sec_name, rec[1]);
					return -EINVAL;
				}
				if (li->text && !*li->text)
					li->text = NULL;
			}
		}
		if (!pass) {
			p->lines = ub_zalloc(obj->env, (n ? n : 1) * sizeof(*p->lines));
			if (!p->lines)
				return -ENOMEM;
		}
	}
	/* Records of one function come sorted; keep only increasing instructions. */
	for (size_t i = 1, j = 1; i < p->nlines; i++) {
		if (p->lines[i].insn > p->lines[j - 1].insn)
			p->lines[j++] = p->lines[i];
		if (i == p->nlines - 1)
			p->nlines = j;
	}
	return 0;
}

int ub_obj_link_prog(struct userbpf_object *obj, struct userbpf_object_prog *prog)
{
	struct linker l = { .obj = obj, .prog = prog };
	char where[160];
	int64_t t;
	int err = 0;

	snprintf(where, sizeof(where), "program '%s'", prog->name);
	t = place(&l, prog->sec, prog->start, where);
	if (t < 0) {
		err = (int)t;
		goto out;
	}
	/* funcs grows while we walk it: every appended function gets its turn. */
	for (size_t f = 0; f < l.nfuncs && !err; f++) {
		struct lfunc fn = l.funcs[f];
		const struct ub_sec *s = &obj->secs[fn.sec];

		for (uint64_t j = 0; j < fn.len && !err; j++) {
			size_t idx = fn.pos + j;
			uint64_t soff = fn.start + j;
			const struct ub_rel *r = s->relo_at && s->relo_at[soff] ?
						 &obj->rels[s->relo_at[soff] - 1] : NULL;
			uint8_t code = l.out[idx].code;

			if (code == LDDW) {
				if (j + 1 >= fn.len) {
					OBJ_ERR(obj, "%s: section '%s' insn %" PRIu64 ": lddw is cut "
						"by the end of function '%s'", obj->name, s->name,
						soff, fn.name);
					err = -EINVAL;
					break;
				}
				if (r)
					err = reloc_lddw(&l, &fn, idx, soff, r);
				j++;
			} else if (code == CALL) {
				err = reloc_call(&l, &fn, idx, soff, r);
			}
		}
		if (!err)
			err = apply_core(&l, &fn);
	}
	if (err)
		goto out;
	prog->funcs = ub_zalloc(obj->env, l.nfuncs * sizeof(*prog->funcs));
	if (!prog->funcs) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t f = 0; f < l.nfuncs; f++) {
		prog->funcs[f].insn = (uint32_t)l.funcs[f].pos;
		prog->funcs[f].name = l.funcs[f].name;
	}
	prog->nfuncs = l.nfuncs;
	err = collect_lines(&l);
	if (err)
		goto out;
	prog->insns = l.out;
	prog->cnt = l.cnt;
	l.out = NULL;
out:
	ub_free(obj->env, l.out);
	ub_free(obj->env, l.funcs);
	return err;
}
