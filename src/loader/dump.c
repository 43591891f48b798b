/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dump.c: disassemble a program of an object with what the object knows about it: the C source
 * line before the instructions it produced, function names where subprograms start, and the
 * names of the maps, global variables and functions that instructions refer to.
 */
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "isa/isa.h"
#include "loader/loader.h"

/* The variable of a global data section that covers byte `off`, or NULL. */
static const char *var_at(const struct userbpf_object *obj, const struct userbpf_object_map *m,
			  uint64_t off)
{
	if (m->origin != UB_MAP_DATA)
		return NULL;
	for (size_t i = 0; i < obj->nsym; i++) {
		const struct ub_sym *s = &obj->syms[i];

		if (s->shndx == m->sec && s->type == STT_OBJECT && *s->name && off >= s->value &&
		    off < s->value + (s->size ? s->size : 1))
			return s->name;
	}
	return NULL;
}

static const char *func_name_at(const struct userbpf_object_prog *p, int64_t insn)
{
	for (size_t i = 0; i < p->nfuncs; i++)
		if ((int64_t)p->funcs[i].insn == insn)
			return p->funcs[i].name;
	return NULL;
}

/* "; map counts", "; map .rodata + 8 (cfg_add)", "; call fib", or "" */
static void annotate(const struct userbpf_object_prog *p, size_t i, char *buf, size_t size)
{
	const struct userbpf_insn *in = &p->insns[i];
	const struct userbpf_object *obj = p->obj;
	const char *name;

	buf[0] = 0;
	if (in->code == (USERBPF_LD | USERBPF_DW | USERBPF_IMM) && i + 1 < p->cnt) {
		const struct userbpf_object_map *m;

		if (in->src_reg == USERBPF_PSEUDO_FUNC) {
			name = func_name_at(p, (int64_t)i + in->imm + 1);
			snprintf(buf, size, "\t; callback %s", name ? name : "?");
			return;
		}
		if ((in->src_reg != USERBPF_PSEUDO_MAP_IDX &&
		     in->src_reg != USERBPF_PSEUDO_MAP_IDX_VALUE) ||
		    in->imm < 0 || (size_t)in->imm >= obj->nmap)
			return;
		m = &obj->maps[in->imm];
		if (in->src_reg == USERBPF_PSEUDO_MAP_IDX) {
			snprintf(buf, size, "\t; map %s", m->name);
			return;
		}
		name = var_at(obj, m, (uint32_t)in[1].imm);
		snprintf(buf, size, "\t; map %s + %d%s%s%s", m->name, in[1].imm, name ? " (" : "",
			 name ? name : "", name ? ")" : "");
		return;
	}
	if (in->code == (USERBPF_JMP | USERBPF_CALL) && in->src_reg == USERBPF_CALL_LOCAL) {
		name = func_name_at(p, (int64_t)i + in->imm + 1);
		snprintf(buf, size, "\t; call %s", name ? name : "?");
	}
}

static int emit(userbpf_write_fn out, void *user, const char *s)
{
	return out(user, s, strlen(s));
}

USERBPF_API int userbpf_object_prog_disasm(const struct userbpf_object_prog *prog,
					   const struct userbpf_disasm_opts *opts,
					   userbpf_write_fn out, void *user)
{
	struct userbpf_disasm_opts o = { .sz = sizeof(o) };
	const struct userbpf_line_info *last = NULL;
	size_t li = 0, fi = 0;
	char text[256], note[160], line[1024];
	int rc;

	if (!prog || !out)
		return -EINVAL;
	if (opts) {
		if (opts->sz < sizeof(size_t))
			return -EINVAL;
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	}
	for (size_t i = 0; i < prog->cnt; i += ub_isa_slots(&prog->insns[i])) {
		while (fi < prog->nfuncs && prog->funcs[fi].insn <= i) {
			if (prog->funcs[fi].insn == i) {
				snprintf(line, sizeof(line), "%s%s:\n", i ? "\n" : "",
					 prog->funcs[fi].name);
				rc = emit(out, user, line);
				if (rc)
					return rc;
			}
			fi++;
		}
		while (li < prog->nlines && prog->lines[li].insn <= i) {
			const struct userbpf_line_info *l = &prog->lines[li++];

			if (l->insn != i || !l->text ||
			    (last && last->line == l->line && !strcmp(last->file, l->file)))
				continue;
			last = l;
			snprintf(line, sizeof(line), "; %s @ %s:%u\n", l->text, l->file, l->line);
			rc = emit(out, user, line);
			if (rc)
				return rc;
		}
		if (userbpf_insn_format(&prog->insns[i], prog->cnt - i, o.syntax, text,
					sizeof(text)) < 0)
			snprintf(text, sizeof(text), ".insn 0x%02x", prog->insns[i].code);
		annotate(prog, i, note, sizeof(note));
		if (o.flags & USERBPF_DISASM_F_NO_INDEX)
			line[0] = 0;
		else
			snprintf(line, sizeof(line), "%5zu: ", i);
		if (o.flags & USERBPF_DISASM_F_RAW) {
			size_t n = strlen(line);

			for (unsigned b = 0; b < 8 * ub_isa_slots(&prog->insns[i]) && i * 8 + b <
			     prog->cnt * 8; b++)
				n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x ",
						      ((const uint8_t *)prog->insns)[i * 8 + b]);
		}
		rc = emit(out, user, line);
		if (!rc)
			rc = emit(out, user, text);
		if (!rc)
			rc = emit(out, user, note);
		if (!rc)
			rc = emit(out, user, "\n");
		if (rc)
			return rc;
	}
	return 0;
}
