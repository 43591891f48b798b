/* SPDX-License-Identifier: Apache-2.0 */
/*
 * asm.c: text to instructions, in pseudo-C (also accepting the Linux log forms) or the
 * bpf_conformance syntax. Each line is matched against the templates of syntax.c, the same
 * ones the disassembler prints with, so assemble(disassemble(x)) == x by construction.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "isa/isa.h"
#include "isa/syntax.h"

struct label {
	char *name;
	size_t idx;
	int line;
};

struct fixup {
	size_t slot; /* instruction whose off or imm gets the distance */
	char *name;
	int in_imm; /* imm (gotol, local call, callback) rather than off */
	int line;
};

struct as {
	struct ub_log *log;
	int fl;
	struct userbpf_insn *v;
	size_t n, cap;
	struct label *labels;
	size_t nl, capl;
	struct fixup *fix;
	size_t nf, capf;
	int line;
	int64_t first_exit;
};

/* One attempt to match a template against a line. */
struct m {
	const char *p;
	struct userbpf_insn in[2];
	unsigned set;	   /* UB_FLD_* captured (a repeated directive must agree) */
	const char *label; /* label operand, if any */
	size_t label_len;
	int label_imm;
	int id, fl;
	const char *line_start;
	const char *fail_at; /* where it failed, and why (NULL: unexpected token) */
	const char *why;
};

static int is_ident(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '$';
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static int fail(struct m *m, const char *at, const char *why)
{
	m->fail_at = at;
	m->why = why;
	return -1;
}

/* Unsigned magnitude with optional sign; decimal or 0x hex; must end at a word boundary. */
static int parse_num(struct m *m, const char **pp, int *neg, uint64_t *mag)
{
	const char *p = *pp;
	uint64_t v = 0;
	int base = 10, digits = 0;

	*neg = 0;
	if (*p == '-' || *p == '+') {
		*neg = *p == '-';
		p++;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
		base = 16;
		p += 2;
	}
	for (;; p++, digits++) {
		int c = (unsigned char)*p, d;

		if (isdigit(c))
			d = c - '0';
		else if (base == 16 && isxdigit(c))
			d = tolower(c) - 'a' + 10;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return fail(m, *pp, "number too large");
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (!digits || is_ident((unsigned char)*p))
		return fail(m, *pp, NULL);
	*mag = v;
	*pp = p;
	return 0;
}

/* A signed number within [lo, hi] (hi may exceed INT64_MAX only through `umax`). */
static int parse_range(struct m *m, const char **pp, int64_t lo, uint64_t umax, int64_t *out,
		       const char *what)
{
	const char *at = *pp;
	uint64_t mag;
	int neg;

	if (parse_num(m, pp, &neg, &mag))
		return -1;
	if (neg ? mag > (uint64_t) - (lo + 1) + 1 : mag > umax)
		return fail(m, at, what);
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

static int set_field(struct m *m, unsigned fld, int64_t v, const char *at)
{
	struct userbpf_insn *in = m->in;
	int64_t old = 0;

	switch (fld) {
	case UB_FLD_DST:
		old = in->dst_reg;
		break;
	case UB_FLD_SRC:
		old = in->src_reg;
		break;
	case UB_FLD_OFF:
		old = in->off;
		break;
	case UB_FLD_IMM:
		old = in->imm;
		break;
	default:
		old = in[1].imm;
		break;
	}
	if ((m->set & fld) && old != v)
		return fail(m, at, "must repeat the same operand");
	m->set |= fld;
	switch (fld) {
	case UB_FLD_DST:
		in->dst_reg = (uint8_t)v;
		break;
	case UB_FLD_SRC:
		in->src_reg = (uint8_t)v;
		break;
	case UB_FLD_OFF:
		in->off = (int16_t)v;
		break;
	case UB_FLD_IMM:
		in->imm = (int32_t)(uint32_t)v;
		break;
	default:
		in[1].imm = (int32_t)(uint32_t)v;
		break;
	}
	return 0;
}

/* A register: "%rN" in conformance; "rN"/"wN" otherwise (wN only where allowed). */
static int parse_reg(struct m *m, char want, int strict, unsigned fld)
{
	const char *at = m->p, *p = m->p;
	unsigned n = 0;

	if (m->fl == UB_FL_CONF) {
		if (p[0] != '%' || p[1] != 'r')
			return fail(m, at, NULL);
		p += 2;
	} else {
		if (*p != 'r' && *p != 'w')
			return fail(m, at, NULL);
		if (*p != want && (strict || want == 'r'))
			return fail(m, at,
				    want == 'w' ? "this is a 32-bit operation: use wN"
						: "this operation takes rN registers");
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return fail(m, at, NULL);
	while (isdigit((unsigned char)*p) && n < 100)
		n = n * 10 + (unsigned)(*p++ - '0');
	if (is_ident((unsigned char)*p))
		return fail(m, at, NULL);
	if (n > 15)
		return fail(m, at, "register number out of range (0..15)");
	m->p = p;
	return set_field(m, fld, n, at);
}

/* A jump target: "+3", "-3", "3", "pc+3" or a label. */
static int parse_target(struct m *m, unsigned fld)
{
	const char *at = m->p, *p = m->p;
	int64_t v;

	if (p[0] == 'p' && p[1] == 'c' && (skip_ws(p + 2)[0] == '+' || skip_ws(p + 2)[0] == '-'))
		p = skip_ws(p + 2);
	if (*p == '+' || *p == '-' || isdigit((unsigned char)*p)) {
		if (fld == UB_FLD_OFF
			? parse_range(m, &p, INT16_MIN, INT16_MAX, &v,
				      "jump offset out of range (-32768..32767)")
			: parse_range(m, &p, INT32_MIN, INT32_MAX, &v, "offset out of range"))
			return -1;
		m->p = p;
		return set_field(m, fld, v, at);
	}
	if (!isalpha((unsigned char)*p) && *p != '_' && *p != '.')
		return fail(m, at, NULL);
	if (m->label)
		return fail(m, at, "only one label per instruction");
	while (is_ident((unsigned char)*p))
		p++;
	m->label = at;
	m->label_len = (size_t)(p - at);
	m->label_imm = fld == UB_FLD_IMM;
	m->set |= fld;
	m->p = p;
	return 0;
}

/* "+ 4", "-4" or nothing (0), into off or imm. */
static int parse_gap(struct m *m, unsigned fld)
{
	const char *p = m->p, *at = m->p;
	int64_t v;
	uint64_t mag;
	int neg;

	if (*p != '+' && *p != '-')
		return set_field(m, fld, 0, at);
	neg = *p == '-';
	p = skip_ws(p + 1);
	if (!isdigit((unsigned char)*p))
		return fail(m, p, NULL);
	if (parse_num(m, &p, &(int){0}, &mag))
		return -1;
	if (fld == UB_FLD_OFF ? (neg ? mag > 32768 : mag > 32767)
			      : (neg ? mag > 2147483648u : mag > INT32_MAX))
		return fail(m, at, "offset out of range");
	v = neg ? -(int64_t)mag : (int64_t)mag;
	m->p = p;
	return set_field(m, fld, v, at);
}

static int parse_imm(struct m *m, unsigned fld)
{
	const char *at = m->p;
	int64_t v;

	if (parse_range(m, &m->p, INT32_MIN, UINT32_MAX, &v, "immediate out of 32-bit range"))
		return -1;
	return set_field(m, fld, v, at);
}

static int match_text(struct m *m, const char *lit);

static int match_directive(struct m *m, char c)
{
	const struct ub_insn_info *r = &ub_insn_table[m->id];
	char rc = ub_syntax_regc(m->id, m->fl);
	int strict = ub_syntax_reg_strict(m->id);
	const char *at;
	char tmp[16];

	m->p = skip_ws(m->p);
	at = m->p;
	switch (c) {
	case 'D':
		return parse_reg(m, rc, strict, UB_FLD_DST);
	case 'S':
		return parse_reg(m, rc, strict, UB_FLD_SRC);
	case 'P':
		return parse_reg(m, 'r', 1, UB_FLD_DST);
	case 'Q':
		return parse_reg(m, 'r', 1, UB_FLD_SRC);
	case 'R': {
		int err = parse_reg(m, 'r', 0, UB_FLD_DST);

		return err ? err : set_field(m, UB_FLD_IMM, 0, at);
	}
	case 'I':
	case 'X':
		return parse_imm(m, UB_FLD_IMM);
	case 'A':
		/* "name#5", "#5" or "5" */
		while (is_ident((unsigned char)*m->p) && !isdigit((unsigned char)*at))
			m->p++;
		if (*m->p == '#')
			m->p++;
		else
			m->p = at;
		return parse_imm(m, UB_FLD_IMM);
	case 'O':
		return parse_target(m, UB_FLD_OFF);
	case 'J':
	case 'T':
		return parse_target(m, UB_FLD_IMM);
	case 'M':
		return parse_gap(m, UB_FLD_OFF);
	case 'N':
		return parse_gap(m, UB_FLD_IMM);
	case 'F': {
		int64_t v;

		if (*m->p != ',')
			return set_field(m, UB_FLD_OFF, 0, at);
		m->p = skip_ws(m->p + 1);
		at = m->p;
		if (parse_range(m, &m->p, INT16_MIN, INT16_MAX, &v, "offset out of range"))
			return -1;
		return set_field(m, UB_FLD_OFF, v, at);
	}
	case 'K': {
		int64_t v;

		if (parse_range(m, &m->p, INT64_MIN, UINT64_MAX, &v, "immediate out of range"))
			return -1;
		set_field(m, UB_FLD_IMM, (uint32_t)v, at);
		return set_field(m, UB_FLD_HI, (uint32_t)((uint64_t)v >> 32), at);
	}
	case 'L':
		return parse_imm(m, UB_FLD_IMM);
	case 'H':
		return parse_imm(m, UB_FLD_HI);
	case 'C':
		return match_text(m, r->cname);
	case 'o':
		return match_text(m, r->op);
	case 'W':
		snprintf(tmp, sizeof(tmp), "%d", r->mval);
		return match_text(m, tmp);
	case 'Z':
		return match_text(m, ub_syntax_size_name(m->id));
	case '6':
		return match_text(m, USERBPF_SIZE(r->code) == USERBPF_DW ? "64" : "");
	default:
		return fail(m, at, "BUG: unknown template directive");
	}
}

/*
 * Literal text: a space means optional whitespace (required between two word characters);
 * other characters must appear as written, with optional whitespace before punctuation.
 */
static int match_text(struct m *m, const char *lit)
{
	for (const char *t = lit; *t; t++) {
		const char *q = skip_ws(m->p);

		if (*t == ' ') {
			if (q == m->p && m->p > m->line_start &&
			    is_ident((unsigned char)m->p[-1]) && is_ident((unsigned char)*q))
				return fail(m, m->p, NULL);
			m->p = q;
			continue;
		}
		if (q != m->p && is_ident((unsigned char)*t) && m->p > m->line_start &&
		    is_ident((unsigned char)m->p[-1]))
			return fail(m, m->p, NULL);
		if (*q != *t)
			return fail(m, q, NULL);
		m->p = q + 1;
	}
	return 0;
}

/* Match a whole line against one template of row m->id; 0 on success. */
static int match_tmpl(struct m *m, const char *t)
{
	for (; *t; t++) {
		if (*t == '%' && t[1]) {
			if (match_directive(m, *++t))
				return -1;
			continue;
		}
		char lit[2] = {*t, 0};

		if (match_text(m, lit))
			return -1;
	}
	m->p = skip_ws(m->p);
	if (*m->p)
		return fail(m, m->p, NULL);
	return 0;
}

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
	void *nv;
	size_t ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	nv = realloc(*v, ncap * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

static int emit(struct as *a, const struct userbpf_insn *in, unsigned n)
{
	if (a->n + n > UB_MAX_INSNS) {
		ub_err(a->log, "line %d: program too large (more than %u instructions)", a->line,
		       UB_MAX_INSNS);
		return -E2BIG;
	}
	if (grow((void **)&a->v, &a->cap, a->n + n, sizeof(*a->v)))
		return -ENOMEM;
	memcpy(&a->v[a->n], in, n * sizeof(*in));
	a->n += n;
	return 0;
}

static struct label *find_label(struct as *a, const char *name, size_t len)
{
	for (size_t i = 0; i < a->nl; i++)
		if (strlen(a->labels[i].name) == len && !memcmp(a->labels[i].name, name, len))
			return &a->labels[i];
	return NULL;
}

static int add_label(struct as *a, const char *name, size_t len)
{
	struct label *l = find_label(a, name, len);

	if (l) {
		ub_err(a->log, "line %d: label '%.*s' already defined at line %d", a->line,
		       (int)len, name, l->line);
		return -EINVAL;
	}
	if (grow((void **)&a->labels, &a->capl, a->nl + 1, sizeof(*a->labels)))
		return -ENOMEM;
	l = &a->labels[a->nl];
	l->name = strndup(name, len);
	if (!l->name)
		return -ENOMEM;
	l->idx = a->n;
	l->line = a->line;
	a->nl++;
	return 0;
}

/* Length of the token at p, for error messages. */
static int token_len(const char *p)
{
	const char *q = p;

	if (!*p)
		return 0;
	if (*q == '%')
		q++;
	while (is_ident((unsigned char)*q))
		q++;
	return q == p ? 1 : (int)(q - p);
}

/* Can template t of row id start with character c? A cheap filter before a full match. */
static int may_start(const char *t, int id, int fl, char c)
{
	if (t[0] != '%')
		return t[0] == c;
	switch (t[1]) {
	case 'C':
		return ub_insn_table[id].cname[0] == c;
	case 'D':
	case 'S':
	case 'P':
	case 'Q':
		return fl == UB_FL_CONF ? c == '%' : (c == 'r' || c == 'w');
	default:
		return 1;
	}
}

static int assemble_insn(struct as *a, const char *text)
{
	struct m best = {0};
	const char *far = NULL;

	for (int id = 0; id < UB_I_COUNT; id++) {
		for (int k = -1;; k++) {
			const char *t =
			    k < 0 ? ub_syntax_tmpl(id, a->fl) : ub_syntax_alias(id, a->fl, k);
			const struct ub_insn_info *r = &ub_insn_table[id];
			struct m m = {.p = text, .id = id, .fl = a->fl, .line_start = text};

			if (!t)
				break;
			if (!may_start(t, id, a->fl, text[0]))
				continue;
			m.in[0].code = r->code;
			if (r->match == UB_M_OFF)
				m.in[0].off = (int16_t)r->mval;
			else if (r->match == UB_M_IMM)
				m.in[0].imm = r->mval;
			else if (r->match == UB_M_SRC)
				m.in[0].src_reg = (uint8_t)r->mval;
			if (match_tmpl(&m, t)) {
				/* Remember the attempt that got furthest, preferring one with a
				 * reason. */
				if (!far || m.fail_at > far ||
				    (m.fail_at == far && m.why && !best.why)) {
					far = m.fail_at;
					best = m;
				}
				continue;
			}
			if (m.label) {
				if (grow((void **)&a->fix, &a->capf, a->nf + 1, sizeof(*a->fix)))
					return -ENOMEM;
				a->fix[a->nf] = (struct fixup){a->n, strndup(m.label, m.label_len),
							       m.label_imm, a->line};
				if (!a->fix[a->nf].name)
					return -ENOMEM;
				a->nf++;
			}
			if (r->fmt == UB_F_EXIT && a->first_exit < 0)
				a->first_exit = (int64_t)a->n;
			return emit(a, m.in, r->fmt == UB_F_LDDW ? 2 : 1);
		}
	}
	if (!far)
		far = text; /* no template starts like this */
	/* Name the whole word the best attempt stopped in ("foo", not "oo" after "f" of "func"). */
	while (far && far > text && is_ident((unsigned char)far[-1]) &&
	       is_ident((unsigned char)*far))
		far--;
	if (far && best.why)
		ub_err(a->log, "line %d: %s at '%.*s' in '%s'", a->line, best.why, token_len(far),
		       far, text);
	else if (far && *far)
		ub_err(a->log, "line %d: unexpected '%.*s' in '%s'", a->line, token_len(far), far,
		       text);
	else
		ub_err(a->log, "line %d: incomplete instruction '%s'", a->line, text);
	return -EINVAL;
}

/* ".insn 0x<64-bit little-endian slot>": any encoding, as the disassembler prints unknowns. */
static int assemble_raw(struct as *a, const char *arg)
{
	struct m m = {.p = skip_ws(arg), .line_start = arg};
	struct userbpf_insn in;
	uint64_t v;
	int neg;

	if (parse_num(&m, &m.p, &neg, &v) || neg || *skip_ws(m.p)) {
		ub_err(a->log, "line %d: .insn needs one 64-bit number, got '%s'", a->line,
		       skip_ws(arg));
		return -EINVAL;
	}
	for (int i = 0; i < 8; i++)
		((uint8_t *)&in)[i] = (uint8_t)(v >> (8 * i));
	return emit(a, &in, 1);
}

/* Cut comments ('#' at a word start, ';', '//') and surrounding blanks, in place. */
static char *clean_line(char *s)
{
	char *e;

	for (char *p = s; *p; p++) {
		if (*p == ';' || (p[0] == '/' && p[1] == '/') ||
		    (*p == '#' && (p == s || isspace((unsigned char)p[-1])))) {
			*p = 0;
			break;
		}
	}
	s = (char *)skip_ws(s);
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int assemble_line(struct as *a, char *s)
{
	s = clean_line(s);
	/* An instruction index ("  12: ") as the disassembler prints it. */
	if (isdigit((unsigned char)*s)) {
		char *p = s;

		while (isdigit((unsigned char)*p))
			p++;
		if (*p == ':')
			s = (char *)skip_ws(p + 1);
	}
	/* The Linux log's opcode ("(61) "). */
	if (s[0] == '(' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2]) &&
	    s[3] == ')')
		s = (char *)skip_ws(s + 4);
	/* Labels ("name:"), any number of them, before an optional instruction. */
	for (;;) {
		char *p = s;
		int err;

		if (!isalpha((unsigned char)*p) && *p != '_' && *p != '.')
			break;
		while (is_ident((unsigned char)*p))
			p++;
		if (*p != ':' || p[1] == ':')
			break;
		if (!strncmp(s, ".insn", 5) && p == s + 5)
			break;
		err = add_label(a, s, (size_t)(p - s));
		if (err)
			return err;
		s = (char *)skip_ws(p + 1);
	}
	if (!*s)
		return 0;
	if (!strncmp(s, ".insn", 5) && (s[5] == ' ' || s[5] == '\t'))
		return assemble_raw(a, s + 5);
	return assemble_insn(a, s);
}

static int resolve(struct as *a)
{
	for (size_t i = 0; i < a->nf; i++) {
		struct fixup *f = &a->fix[i];
		struct label *l = find_label(a, f->name, strlen(f->name));
		int64_t target, rel;

		if (l)
			target = (int64_t)l->idx;
		else if (!strcmp(f->name, "exit") && a->first_exit >= 0)
			target = a->first_exit; /* bpf_conformance: "exit" names the first exit */
		else {
			ub_err(a->log, "line %d: undefined label '%s'", f->line, f->name);
			return -EINVAL;
		}
		rel = target - (int64_t)f->slot - 1;
		if (f->in_imm) {
			a->v[f->slot].imm = (int32_t)rel;
		} else if (rel < INT16_MIN || rel > INT16_MAX) {
			ub_err(a->log,
			       "line %d: label '%s' is %lld instructions away, beyond the "
			       "16-bit jump offset (use gotol)",
			       f->line, f->name, (long long)rel);
			return -EINVAL;
		} else {
			a->v[f->slot].off = (int16_t)rel;
		}
	}
	return 0;
}

static void as_free(struct as *a)
{
	for (size_t i = 0; i < a->nl; i++)
		free(a->labels[i].name);
	for (size_t i = 0; i < a->nf; i++)
		free(a->fix[i].name);
	free(a->labels);
	free(a->fix);
	free(a->v);
}

USERBPF_API int userbpf_asm(struct userbpf_env *env, const char *text, enum userbpf_syntax syntax,
			    struct userbpf_insn **insns, size_t *cnt)
{
	struct as a = {.log = env ? &env->log : NULL, .first_exit = -1};
	const char *p = text;
	char *line = NULL;
	size_t line_cap = 0;
	int err = 0;

	if (!text || !insns || !cnt)
		return -EINVAL;
	if (syntax == USERBPF_SYNTAX_CONFORMANCE)
		a.fl = UB_FL_CONF;
	else if (syntax == USERBPF_SYNTAX_LLVM)
		a.fl = UB_FL_LLVM;
	else
		return -EINVAL;
	while (*p && !err) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		a.line++;
		if (len + 1 > line_cap) {
			char *nl = realloc(line, len + 1);

			if (!nl) {
				err = -ENOMEM;
				break;
			}
			line = nl;
			line_cap = len + 1;
		}
		memcpy(line, p, len);
		line[len] = 0;
		err = assemble_line(&a, line);
		p += len + (e ? 1 : 0);
	}
	free(line);
	if (!err)
		err = resolve(&a);
	if (!err && a.n == 0) {
		ub_err(a.log, "no instructions in the text");
		err = -EINVAL;
	}
	if (err == -ENOMEM)
		ub_err(a.log, "out of memory while assembling");
	if (err) {
		as_free(&a);
		return err;
	}
	*insns = a.v;
	*cnt = a.n;
	a.v = NULL;
	as_free(&a);
	return 0;
}

USERBPF_API void userbpf_insns_free(struct userbpf_insn *insns)
{
	free(insns);
}
