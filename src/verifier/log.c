/* SPDX-License-Identifier: Apache-2.0 */
/* log.c: the verifier's Linux-style log (instructions, register states, errors, stats). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "verifier/vstate.h"

static const struct {
	const char *fmt, *why;
} verr_table[UB_E_COUNT] = {
#define UB_VERR(id, fmt, why) [UB_E_##id] = { fmt, why },
#include "verifier/errors.def"
#undef UB_VERR
};

static void vlog_append(struct ub_vlog *l, const char *fmt, va_list ap)
{
	size_t room;
	int n;

	if (!l->level || !l->buf || !l->size)
		return;
	room = l->len < l->size ? l->size - l->len : 0;
	n = vsnprintf(room ? l->buf + l->len : NULL, room, fmt, ap);
	if (n > 0)
		l->len += (size_t)n;
	if (l->len >= l->size)
		l->buf[l->size - 1] = '\0';
}

void ub_vlog_printf(struct ub_verifier *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_append(&v->log, fmt, ap);
	va_end(ap);
}

/* The verdict lines: when the buffer is full they replace its tail, so they are never lost. */
static void vlog_final(struct ub_verifier *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void vlog_final(struct ub_verifier *v, const char *fmt, ...)
{
	struct ub_vlog *l = &v->log;
	char line[512];
	va_list ap;
	size_t n;

	if (!l->level || !l->buf || !l->size)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (l->len + n < l->size) {
		memcpy(l->buf + l->len, line, n + 1);
		l->len += n;
		return;
	}
	if (n >= l->size)
		n = l->size - 1;
	if (l->len > l->size - 1 - n)
		l->len = l->size - 1 - n;
	memcpy(l->buf + l->len, line, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

static int vreject(struct ub_verifier *v, int err, int key, va_list ap)
{
	const struct userbpf_line_info *li;

	if (v->err)
		return v->err;
	v->err = err;
	v->err_key = key;
	v->err_insn = v->insn;
	vsnprintf(v->err_msg, sizeof(v->err_msg), verr_table[key].fmt, ap);
	vlog_final(v, "%s\n", v->err_msg);
	li = v->insn >= 0 ? ub_prog_line(v->prog, (size_t)v->insn) : NULL;
	if (li && li->file)
		vlog_final(v, "; %s @ %s:%u\n", li->text ? li->text : "", li->file, li->line);
	vlog_final(v, "hint: %s\n", verr_table[key].why);
	if (li && li->file)
		ub_err(v->sink, "%s: insn %d (%s:%u): %s", v->prog->name, v->insn, li->file,
		       li->line, v->err_msg);
	else
		ub_err(v->sink, "%s: insn %d: %s", v->prog->name, v->insn, v->err_msg);
	return err;
}

int ub_reject(struct ub_verifier *v, int key, ...)
{
	va_list ap;
	int r;

	va_start(ap, key);
	r = vreject(v, -EACCES, key, ap);
	va_end(ap);
	return r;
}

int ub_reject_err(struct ub_verifier *v, int err, int key, ...)
{
	va_list ap;
	int r;

	va_start(ap, key);
	r = vreject(v, err, key, ap);
	va_end(ap);
	return r;
}

static const char *const rtype_names[UB_RTYPE_COUNT] = {
	[UB_NOT_INIT] = "?",
	[UB_SCALAR] = "scalar",
	[UB_PTR_CTX] = "ctx",
	[UB_PTR_STACK] = "fp",
	[UB_PTR_MAP_VALUE] = "map_value",
	[UB_CONST_MAP] = "map_ptr",
	[UB_PTR_PKT] = "pkt",
	[UB_PTR_PKT_META] = "pkt_meta",
	[UB_PTR_PKT_END] = "pkt_end",
	[UB_PTR_MEM] = "mem",
	[UB_PTR_FUNC] = "func",
};

const char *ub_rtype_name(unsigned type, unsigned flags)
{
	if (type >= UB_RTYPE_COUNT)
		return "?";
	if (flags & UB_RF_NULL) {
		if (type == UB_PTR_MAP_VALUE)
			return "map_value_or_null";
		if (type == UB_PTR_MEM)
			return "mem_or_null";
		if (type == UB_CONST_MAP)
			return "map_ptr_or_null";
	}
	if ((flags & UB_RF_RDONLY) && type == UB_PTR_MEM)
		return "rdonly_mem";
	return rtype_names[type];
}

/* One register as Linux prints it: 5, scalar(smin=0,umax=0xff), ctx(), fp-8, pkt(off=14,r=14). */
static void reg_text(struct ub_verifier *v, const struct ub_reg *r, char *b, size_t size)
{
	char s[320] = "";
	int n;

	if (r->type == UB_SCALAR) {
		ub_scalar_str(s, sizeof(s), &r->s);
		if (ub_scalar_is_const(&r->s))
			snprintf(b, size, "%s", s);
		else if (r->id)
			snprintf(b, size, "scalar(id=%u%s%s)", r->id, s[0] ? "," : "", s);
		else
			snprintf(b, size, "scalar(%s)", s);
		return;
	}
	if (r->type == UB_PTR_STACK && ub_scalar_is_const(&r->s) && !r->s.var.value) {
		snprintf(b, size, "fp%d", r->off);
		return;
	}
	if (!ub_scalar_is_const(&r->s) || r->s.var.value)
		ub_scalar_str(s, sizeof(s), &r->s);
	n = snprintf(b, size, "%s(", ub_rtype_name(r->type, r->flags));
#define ADD(...)                                                                               \
	do {                                                                                   \
		if ((size_t)n < size)                                                          \
			n += snprintf(b + n, size - (size_t)n, __VA_ARGS__);                   \
	} while (0)
	if (r->id)
		ADD("id=%u,", r->id);
	if (r->ref_obj_id)
		ADD("ref_obj_id=%u,", r->ref_obj_id);
	if (r->off)
		ADD("off=%d,", r->off);
	if (r->type == UB_PTR_PKT || r->type == UB_PTR_PKT_META)
		ADD("r=%d,", r->range);
	if (r->type == UB_PTR_MAP_VALUE || r->type == UB_CONST_MAP) {
		const struct ub_vmap *m = r->map >= 0 ? &v->maps[r->map] : NULL;

		if (m)
			ADD("ks=%u,vs=%u,", m->key_size, m->value_size);
	}
	if (r->type == UB_PTR_MEM)
		ADD("size=%u,", r->mem_size);
	if (s[0])
		ADD("%s,", s);
	if (n > 0 && (size_t)n <= size && b[n - 1] == ',')
		n--;
	if ((size_t)n < size)
		snprintf(b + n, size - (size_t)n, ")");
#undef ADD
}

static void log_reg(struct ub_verifier *v, int fi, int i, const struct ub_reg *r)
{
	char b[400];

	reg_text(v, r, b, sizeof(b));
	if (fi >= 0)
		ub_vlog_printf(v, " R%d=%s", i, b);
	else
		ub_vlog_printf(v, " fp%d=%s", i, b);
}

void ub_vlog_state(struct ub_verifier *v, const struct ub_vstate *st)
{
	if (v->log.level < 2)
		return;
	for (int fi = 0; fi <= st->curframe; fi++) {
		const struct ub_frame *f = st->frames[fi];

		if (st->curframe)
			ub_vlog_printf(v, " frame%d:", fi);
		for (int i = 0; i < USERBPF_NREGS; i++)
			if (f->regs[i].type != UB_NOT_INIT)
				log_reg(v, fi, i, &f->regs[i]);
		for (int s = 0; s < f->nslots; s++) {
			const struct ub_slot *sl = &f->slots[s];
			char t[9];

			if (sl->type[0] == UB_ST_SPILL) {
				log_reg(v, -1, -(s + 1) * 8, &sl->spill);
				continue;
			}
			for (int b = 0; b < 8; b++)
				t[7 - b] = "?mz?"[sl->type[b] & 3];
			t[8] = '\0';
			if (strcmp(t, "????????"))
				ub_vlog_printf(v, " fp%d=%s", -(s + 1) * 8, t);
		}
	}
	ub_vlog_printf(v, "\n");
}

static const char *helper_name(void *user, int32_t id)
{
	struct ub_verifier *v = user;
	const struct ub_helper_proto *p = id >= 0 ? ub_helper_proto((uint32_t)id) : NULL;

	if (!p)
		return NULL;
	snprintf(v->helper_name, sizeof(v->helper_name), "bpf_%s", p->name);
	return v->helper_name;
}

void ub_vlog_insn(struct ub_verifier *v, int idx)
{
	const struct ub_disasm_ctx kernel_style = { .flags = UB_DIS_KERNEL,
						    .helper_name = helper_name, .user = v };
	char text[160];
	const struct userbpf_line_info *li;

	if (!v->log.level)
		return;
	li = ub_prog_line(v->prog, (size_t)idx);
	if (li && li->insn == (uint32_t)idx && li->file)
		ub_vlog_printf(v, "; %s @ %s:%u\n", li->text ? li->text : "", li->file, li->line);
	ub_disasm_insn(&v->insns[idx], (size_t)(v->cnt - idx), (size_t)idx, &kernel_style, text,
		       sizeof(text), NULL);
	ub_vlog_printf(v, "%d: %s\n", idx, text);
}

void ub_vlog_finish(struct ub_verifier *v, uint64_t time_ns)
{
	struct userbpf_verify_stats *st = v->opts->stats;

	vlog_final(v, "processed %" PRIu64 " insns (limit %u) max_states_per_insn %" PRIu64
		       " total_states %" PRIu64 " peak_states %" PRIu64 " mark_read 0\n",
		       v->processed, UB_MAX_PROCESSED, v->max_states_per_insn, v->total_states,
		       v->peak_states);
	if (v->log.level && v->log.buf && v->log.size)
		v->log.buf[v->log.len < v->log.size ? v->log.len : v->log.size - 1] = '\0';
	if (!st || st->sz < sizeof(size_t))
		return;
	{
		struct userbpf_verify_stats o;
		const struct userbpf_line_info *li = NULL;

		memset(&o, 0, sizeof(o));
		o.sz = st->sz;
		o.verdict = v->err;
		o.error_insn = v->err ? v->err_insn : -1;
		snprintf(o.error, sizeof(o.error), "%s", v->err ? v->err_msg : "");
		if (v->err && v->err_insn >= 0)
			li = ub_prog_line(v->prog, (size_t)v->err_insn);
		if (li && li->file)
			snprintf(o.source, sizeof(o.source), "%s:%u", li->file, li->line);
		o.processed_insns = v->processed;
		o.total_states = v->total_states;
		o.peak_states = v->peak_states;
		o.time_ns = time_ns;
		memcpy(st, &o, st->sz < sizeof(o) ? st->sz : sizeof(o));
	}
}
