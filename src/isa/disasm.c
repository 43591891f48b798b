/* SPDX-License-Identifier: Apache-2.0 */
/* disasm.c: instructions to text in pseudo-C, the Linux log flavour or conformance syntax. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "isa/isa.h"
#include "isa/syntax.h"

/* Output of one instruction: snprintf-like accumulation into a caller buffer. */
struct out {
	char *buf;
	size_t size, len;
};

static void __attribute__((format(printf, 2, 3))) put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
		      o->len < o->size ? o->size - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void put_char(struct out *o, char c)
{
	if (o->len + 1 < o->size) {
		o->buf[o->len] = c;
		o->buf[o->len + 1] = 0;
	}
	o->len++;
}

static uint64_t slot_value(const struct userbpf_insn *insn)
{
	const uint8_t *b = (const uint8_t *)insn;
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

struct dis {
	const struct userbpf_insn *insn; /* insn[1] is readable for lddw rows */
	size_t pc;
	int id, fl;
	const struct ub_disasm_ctx *ctx;
	unsigned used; /* UB_FLD_* consumed by directives */
	int bad;       /* an operand has no faithful text form */
};

static void put_reg(struct out *o, const struct dis *d, char c, unsigned n)
{
	if (d->fl == UB_FL_CONF)
		put(o, "%%r%u", n);
	else
		put(o, "%c%u", c, n);
}

/* The official conformance disassembler's immediate format. */
static void put_conf_imm(struct out *o, int32_t imm)
{
	if ((imm < 0 && imm != INT32_MIN) || (imm >= -10 && imm <= 10))
		put(o, "%d", imm);
	else
		put(o, "0x%x", (uint32_t)imm);
}

/* A jump offset: a label when the target has one, else "+3"/"-3" (with "pc" when asked). */
static void put_target(struct out *o, const struct dis *d, int64_t rel, int pc_form)
{
	int64_t t = (int64_t)d->pc + rel + 1;
	const struct ub_disasm_ctx *c = d->ctx;

	if (c && c->label_at && t >= 0 && (uint64_t)t < c->cnt && c->label_at[t]) {
		put(o, "L%" PRId64, t);
		return;
	}
	put(o, "%s%+" PRId64, pc_form ? "pc" : "", rel);
}

static void put_signed_gap(struct out *o, int64_t v)
{
	put(o, " %c %" PRId64, v < 0 ? '-' : '+', v < 0 ? -v : v);
}

static void directive(struct out *o, struct dis *d, char c)
{
	const struct userbpf_insn *in = d->insn;
	const struct ub_insn_info *r = &ub_insn_table[d->id];
	char rc = ub_syntax_regc(d->id, d->fl);

	switch (c) {
	case 'D':
		put_reg(o, d, rc, in->dst_reg);
		d->used |= UB_FLD_DST;
		break;
	case 'S':
		put_reg(o, d, rc, in->src_reg);
		d->used |= UB_FLD_SRC;
		break;
	case 'P':
		put_reg(o, d, 'r', in->dst_reg);
		d->used |= UB_FLD_DST;
		break;
	case 'Q':
		put_reg(o, d, 'r', in->src_reg);
		d->used |= UB_FLD_SRC;
		break;
	case 'I':
		if (d->fl == UB_FL_CONF)
			put_conf_imm(o, in->imm);
		else
			put(o, "%d", in->imm);
		d->used |= UB_FLD_IMM;
		break;
	case 'X':
		put(o, "0x%x", (uint32_t)in->imm);
		d->used |= UB_FLD_IMM;
		break;
	case 'A': {
		const char *name = NULL;

		if (d->ctx && d->ctx->helper_name)
			name = d->ctx->helper_name(d->ctx->user, in->imm);
		put(o, "%s#%d", name ? name : "unknown", in->imm);
		d->used |= UB_FLD_IMM;
		break;
	}
	case 'O':
		put_target(o, d, in->off, d->fl == UB_FL_KERNEL);
		d->used |= UB_FLD_OFF;
		break;
	case 'J':
		put_target(o, d, in->imm, d->fl == UB_FL_KERNEL);
		d->used |= UB_FLD_IMM;
		break;
	case 'T':
		put_target(o, d, in->imm, 1);
		d->used |= UB_FLD_IMM;
		break;
	case 'M':
		if (d->fl == UB_FL_LLVM)
			put_signed_gap(o, in->off);
		else if (d->fl == UB_FL_KERNEL)
			put(o, " %+d", in->off);
		else if (in->off)
			put(o, "%+d", in->off);
		d->used |= UB_FLD_OFF;
		break;
	case 'N':
		if (in->imm)
			put_signed_gap(o, in->imm);
		d->used |= UB_FLD_IMM;
		break;
	case 'F':
		if (in->off)
			put(o, ", %d", in->off);
		d->used |= UB_FLD_OFF;
		break;
	case 'R':
		/* callx: dst_reg (standard) or imm with dst_reg 0 (LLVM before 19). */
		if (in->dst_reg && in->imm)
			d->bad = 1;
		else if (!in->dst_reg && (in->imm < 0 || in->imm > 15))
			d->bad = 1;
		else
			put_reg(o, d, 'r', ub_isa_callx_reg(in));
		d->used |= UB_FLD_DST | UB_FLD_IMM;
		break;
	case 'K':
		if (d->fl == UB_FL_LLVM)
			put(o, "%" PRId64, (int64_t)ub_isa_imm64(in));
		else
			put(o, "0x%" PRIx64, ub_isa_imm64(in));
		d->used |= UB_FLD_IMM | UB_FLD_HI;
		break;
	case 'L':
		put(o, "%u", (uint32_t)in->imm);
		d->used |= UB_FLD_IMM;
		break;
	case 'H':
		put(o, "%u", (uint32_t)in[1].imm);
		d->used |= UB_FLD_HI;
		break;
	case 'C':
		put(o, "%s", r->cname);
		break;
	case 'o':
		put(o, "%s", r->op);
		break;
	case 'W':
		put(o, "%d", r->mval);
		break;
	case 'Z':
		put(o, "%s", ub_syntax_size_name(d->id));
		break;
	case '6':
		put(o, "%s", USERBPF_SIZE(r->code) == USERBPF_DW ? "64" : "");
		break;
	default:
		d->bad = 1; /* a template bug; the .insn fallback keeps the output truthful */
		break;
	}
}

/* Would the row's text describe every set field? Fields no directive printed must be 0. */
static int fields_covered(const struct dis *d)
{
	const struct userbpf_insn *in = d->insn;
	const struct ub_insn_info *r = &ub_insn_table[d->id];
	unsigned used = d->used;

	if (r->match == UB_M_OFF)
		used |= UB_FLD_OFF;
	else if (r->match == UB_M_IMM)
		used |= UB_FLD_IMM;
	else if (r->match == UB_M_SRC)
		used |= UB_FLD_SRC;
	if (in->dst_reg && !(used & UB_FLD_DST))
		return 0;
	if (in->src_reg && !(used & UB_FLD_SRC))
		return 0;
	if (in->off && !(used & UB_FLD_OFF))
		return 0;
	if (in->imm && !(used & UB_FLD_IMM))
		return 0;
	if (r->fmt == UB_F_LDDW) {
		const struct userbpf_insn *hi = &in[1];

		if (hi->code || hi->dst_reg || hi->src_reg || hi->off)
			return 0;
		if (hi->imm && !(used & UB_FLD_HI))
			return 0;
	}
	return 1;
}

static int flavour_of(const struct ub_disasm_ctx *ctx)
{
	if (ctx && (ctx->flags & UB_DIS_CONF))
		return UB_FL_CONF;
	if (ctx && (ctx->flags & UB_DIS_KERNEL))
		return UB_FL_KERNEL;
	return UB_FL_LLVM;
}

int ub_disasm_insn(const struct userbpf_insn *insns, size_t avail, size_t pc,
		   const struct ub_disasm_ctx *ctx, char *buf, size_t size, unsigned *slots)
{
	struct out o = {buf, size, 0};
	struct dis d = {insns, pc, ub_isa_decode(insns), flavour_of(ctx), ctx, 0, 0};
	unsigned n = 1;

	if (size)
		buf[0] = 0;
	if (d.fl == UB_FL_KERNEL)
		put(&o, "(%02x) ", insns->code);
	if (d.id != UB_I_INVALID && ub_insn_table[d.id].fmt == UB_F_LDDW && avail < 2)
		d.id = UB_I_INVALID; /* truncated pair */
	if (d.id != UB_I_INVALID) {
		size_t start = o.len;

		for (const char *t = ub_syntax_tmpl(d.id, d.fl); *t; t++) {
			if (*t == '%' && t[1])
				directive(&o, &d, *++t);
			else
				put_char(&o, *t);
		}
		if (d.bad || !fields_covered(&d)) {
			o.len = start;
			if (size > start)
				buf[start] = 0;
			d.id = UB_I_INVALID;
		} else if (ub_insn_table[d.id].fmt == UB_F_LDDW) {
			n = 2;
		}
	}
	if (d.id == UB_I_INVALID)
		put(&o, ".insn 0x%016" PRIx64, slot_value(insns));
	if (slots)
		*slots = n;
	return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}

USERBPF_API int userbpf_insn_format(const struct userbpf_insn *insns, size_t avail,
				    enum userbpf_syntax syntax, char *buf, size_t size)
{
	struct ub_disasm_ctx ctx = {0};

	if (!insns || !avail || (!buf && size))
		return -EINVAL;
	if (syntax == USERBPF_SYNTAX_CONFORMANCE)
		ctx.flags = UB_DIS_CONF;
	else if (syntax != USERBPF_SYNTAX_LLVM)
		return -EINVAL;
	return ub_disasm_insn(insns, avail, 0, &ctx, buf, size, NULL);
}

/* Index of the jump, call or callback target of insns[pc], or -1 if it has none. */
static int64_t target_of(const struct userbpf_insn *in, size_t pc)
{
	int id = ub_isa_decode(in);
	int fmt;

	if (id == UB_I_INVALID)
		return -1;
	fmt = ub_insn_table[id].fmt;
	if (fmt == UB_F_JA32 || fmt == UB_F_CALL_LOCAL ||
	    (fmt == UB_F_LDDW && in->src_reg == USERBPF_PSEUDO_FUNC))
		return (int64_t)pc + in->imm + 1;
	if (ub_fmt_info[fmt].uses & UB_U_JUMP)
		return (int64_t)pc + in->off + 1;
	return -1;
}

/* Labels: every in-range target that starts an instruction as printed. */
static uint8_t *make_labels(const struct userbpf_insn *insns, size_t cnt,
			    const struct ub_disasm_ctx *ctx)
{
	uint8_t *start = calloc(cnt ? cnt : 1, 2);
	uint8_t *label;

	if (!start)
		return NULL;
	label = start + cnt;
	for (size_t pc = 0; pc < cnt;) {
		unsigned n;

		start[pc] = 1;
		ub_disasm_insn(&insns[pc], cnt - pc, pc, ctx, NULL, 0, &n);
		pc += n;
	}
	for (size_t pc = 0; pc < cnt; pc++) {
		int64_t t;

		if (!start[pc])
			continue;
		t = target_of(&insns[pc], pc);
		if (t >= 0 && (uint64_t)t < cnt && start[t])
			label[t] = 1;
	}
	return start;
}

USERBPF_API int userbpf_disasm(const struct userbpf_insn *insns, size_t cnt,
			       const struct userbpf_disasm_opts *opts, userbpf_write_fn out,
			       void *user)
{
	struct ub_disasm_ctx ctx = {0};
	uint32_t flags = 0;
	uint8_t *labels = NULL;
	char line[256];
	int err = 0;

	if ((!insns && cnt) || !out)
		return -EINVAL;
	if (opts && opts->sz >= offsetof(struct userbpf_disasm_opts, flags) + sizeof(opts->flags))
		flags = opts->flags;
	if (opts && opts->syntax == USERBPF_SYNTAX_CONFORMANCE)
		ctx.flags = UB_DIS_CONF;
	else if (opts && opts->syntax != USERBPF_SYNTAX_LLVM)
		return -EINVAL;
	if (flags & USERBPF_DISASM_F_LABELS) {
		labels = make_labels(insns, cnt, &ctx);
		if (!labels)
			return -ENOMEM;
		ctx.label_at = labels + cnt;
		ctx.cnt = cnt;
	}
	for (size_t pc = 0; pc < cnt && !err;) {
		struct out o = {line, sizeof(line), 0};
		unsigned n;
		char text[160];

		if (ctx.label_at && ctx.label_at[pc])
			put(&o, "L%zu:\n", pc);
		ub_disasm_insn(&insns[pc], cnt - pc, pc, &ctx, text, sizeof(text), &n);
		if (!(flags & USERBPF_DISASM_F_NO_INDEX))
			put(&o, "%4zu: ", pc);
		if ((flags & USERBPF_DISASM_F_RAW) && ctx.flags != UB_DIS_CONF) {
			for (unsigned i = 0; i < 8 * n; i++)
				put(&o, "%02x ", ((const uint8_t *)&insns[pc])[i]);
			put(&o, " ");
		}
		put(&o, "%s", text);
		if ((flags & USERBPF_DISASM_F_RAW) && ctx.flags == UB_DIS_CONF) {
			put(&o, " ;");
			for (unsigned i = 0; i < 8 * n; i++)
				put(&o, " %02x", ((const uint8_t *)&insns[pc])[i]);
		}
		put(&o, "\n");
		err = out(user, line, o.len < sizeof(line) ? o.len : sizeof(line) - 1);
		pc += n;
	}
	free(labels);
	return err;
}
