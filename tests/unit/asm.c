/* SPDX-License-Identifier: Apache-2.0 */
/*
 * asm.c: the assembler and disassembler. Every opcodes.def row round-trips (bytes -> text ->
 * bytes) in both syntaxes and the Linux log flavour with edge operands; known texts match
 * llvm-objdump / the kernel / bpf_conformance spellings; every conformance .data file
 * assembles (lddw.data against its raw bytes); errors name line and token; and the pseudo-C of
 * clang-compiled programs matches llvm-objdump-14 instruction by instruction.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "userbpf/userbpf.h"
#include "isa/isa.h"

static char logbuf[4096];

static void log_fn(void *user, int level, const char *msg)
{
	(void)user, (void)level;
	snprintf(logbuf, sizeof(logbuf), "%s", msg);
}

static struct userbpf_env *env;

static int same(const struct userbpf_insn *a, const struct userbpf_insn *b, size_t n)
{
	return !memcmp(a, b, n * sizeof(*a));
}

static void hex(char *out, const struct userbpf_insn *in, size_t n)
{
	for (size_t i = 0; i < 8 * n; i++)
		sprintf(out + 3 * i, "%02x ", ((const uint8_t *)in)[i]);
}

/* Text of one instruction in a flavour, then assemble it back; returns 1 if bytes match. */
static int round_trip(const struct userbpf_insn *in, unsigned slots, unsigned dis_flags,
		      enum userbpf_syntax syn, int *was_insn)
{
	struct ub_disasm_ctx ctx = { .flags = dis_flags };
	char text[200], h[64];
	struct userbpf_insn *out = NULL;
	size_t cnt = 0;
	unsigned n;
	int err, ok;
	const char *t = text;

	ub_disasm_insn(in, slots, 0, &ctx, text, sizeof(text), &n);
	if (dis_flags & UB_DIS_KERNEL)
		t = strchr(text, ')') + 2; /* the assembler also skips "(61) ", test both */
	*was_insn = !strncmp(t, ".insn", 5);
	err = userbpf_asm(env, (dis_flags & UB_DIS_KERNEL) ? text : t, syn, &out, &cnt);
	ok = !err && n == slots && cnt == slots && same(in, out, slots);
	if (!ok) {
		hex(h, in, slots);
		printf("  round trip of [%s] via '%s': err %d (%s), %zu slots\n", h, text, err,
		       err ? logbuf : "", cnt);
	}
	userbpf_insns_free(out);
	return ok;
}

static const int32_t imms[] = { 0, 1, -1, 16, INT32_MIN, INT32_MAX, 0x1234, -4096, 255 };
static const int16_t offs[] = { 0, 1, -1, INT16_MIN, INT16_MAX, 4, -8, 100 };
static const uint32_t his[] = { 0, 1, 0xffffffff, 0x80000000, 0x12345678 };

/* Build case k of row id: operands in the fields its format uses, the rest 0. */
static unsigned make_case(int id, unsigned k, struct userbpf_insn *in)
{
	const struct ub_insn_info *r = &ub_insn_table[id];
	uint8_t uses = ub_fmt_info[r->fmt].uses;

	memset(in, 0, 2 * sizeof(*in));
	in->code = r->code;
	if (uses & UB_U_DST)
		in->dst_reg = k % 11;
	if (uses & UB_U_SRC)
		in->src_reg = (3 * k + 1) % 11;
	if (uses & UB_U_OFF)
		in->off = offs[k % (sizeof(offs) / sizeof(offs[0]))];
	if (uses & UB_U_IMM)
		in->imm = imms[k % (sizeof(imms) / sizeof(imms[0]))];
	if (r->match == UB_M_OFF)
		in->off = (int16_t)r->mval;
	else if (r->match == UB_M_IMM)
		in->imm = r->mval;
	else if (r->match == UB_M_SRC)
		in->src_reg = (uint8_t)r->mval;
	if (r->fmt == UB_F_LDDW) {
		if (r->mval != USERBPF_PSEUDO_MAP_FD && r->mval != USERBPF_PSEUDO_MAP_IDX &&
		    r->mval != USERBPF_PSEUDO_FUNC)
			in[1].imm = (int32_t)his[k % (sizeof(his) / sizeof(his[0]))];
		return 2;
	}
	return 1;
}

static void test_every_row(void)
{
	static const struct {
		unsigned flags;
		enum userbpf_syntax syn;
		const char *name;
	} fl[] = {
		{ 0, USERBPF_SYNTAX_LLVM, "pseudo-C" },
		{ UB_DIS_KERNEL, USERBPF_SYNTAX_LLVM, "Linux log" },
		{ UB_DIS_CONF, USERBPF_SYNTAX_CONFORMANCE, "conformance" },
	};
	unsigned covered = 0;

	for (int id = 0; id < UB_I_COUNT; id++) {
		int row_ok = 1;

		for (unsigned k = 0; k < 22; k++) {
			struct userbpf_insn in[2];
			unsigned slots = make_case(id, k, in);

			for (unsigned f = 0; f < 3; f++) {
				int was_insn = 0;

				/* The Linux log prints a plain lddw like a mov ("r1 = 0x5"). */
				if (fl[f].flags == UB_DIS_KERNEL && id == UB_I_LDDW)
					continue;
				if (!round_trip(in, slots, fl[f].flags, fl[f].syn, &was_insn) ||
				    was_insn) {
					row_ok = 0;
					CHECK(0, "row %s case %u (%s): no exact round trip%s",
					      ub_insn_table[id].name, k, fl[f].name,
					      was_insn ? " (printed as .insn)" : "");
				}
			}
		}
		covered += row_ok;
	}
	/* The coverage proof: the loop above visits UB_I_COUNT rows; all must round-trip. */
	CHECK(covered == UB_I_COUNT, "%u of %d opcodes.def rows round-trip", covered, UB_I_COUNT);
	printf("NOTE every row: %u/%d rows x 22 operand sets x 3 flavours round-trip\n", covered,
	       UB_I_COUNT);
}

/* Expected texts: llvm-objdump-14 / LLVM 18+ / Linux / bpf_conformance spellings. */
static void test_known_texts(void)
{
	static const struct {
		uint8_t code, regs;
		int16_t off;
		int32_t imm, hi;
		unsigned flags;
		const char *text;
	} cases[] = {
		{ 0x61, 0x10, 4, 0, 0, 0, "r0 = *(u32 *)(r1 + 4)" },
		{ 0x61, 0x21, -4, 0, 0, 0, "r1 = *(u32 *)(r2 - 4)" },
		{ 0x26, 0x01, 3, 16, 0, 0, "if w1 > 16 goto +3" },
		{ 0x2d, 0x21, -3, 0, 0, 0, "if r1 > r2 goto -3" },
		{ 0x0c, 0x10, 0, 0, 0, 0, "w0 += w1" },
		{ 0x07, 0x01, 0, -4, 0, 0, "r1 += -4" },
		{ 0xc7, 0x01, 0, 3, 0, 0, "r1 s>>= 3" },
		{ 0xdb, 0x1a, -8, 0, 0, 0, "lock *(u64 *)(r10 - 8) += r1" },
		{ 0xc3, 0x1a, -8, 0x40, 0, 0, "lock *(u32 *)(r10 - 8) |= r1" },
		{ 0xdb, 0x0a, -8, 1, 0, 0, "r0 = atomic_fetch_add((u64 *)(r10 - 8), r0)" },
		{ 0xc3, 0x1a, -8, 0xa1, 0, 0, "w1 = atomic_fetch_xor((u32 *)(r10 - 8), w1)" },
		{ 0xdb, 0x1a, -8, 0xe1, 0, 0, "r1 = xchg_64(r10 - 8, r1)" },
		{ 0xc3, 0x1a, -8, 0xf1, 0, 0, "w0 = cmpxchg32_32(r10 - 8, w0, w1)" },
		{ 0xdb, 0x1a, -8, 0xf1, 0, 0, "r0 = cmpxchg_64(r10 - 8, r0, r1)" },
		{ 0x18, 0x01, 0, 0x1234, 0, 0, "r1 = 4660 ll" },
		{ 0x18, 0x01, 0, -1, -1, 0, "r1 = -1 ll" },
		{ 0x18, 0x11, 0, 7, 0, 0, "r1 = map[id:7]" },
		{ 0x18, 0x21, 0, 7, 16, 0, "r1 = map[id:7][0]+16" },
		{ 0x18, 0x51, 0, 2, 0, 0, "r1 = map[idx:2]" },
		{ 0x18, 0x61, 0, 2, 8, 0, "r1 = map[idx:2][0]+8" },
		{ 0x18, 0x41, 0, 5, 0, 0, "r1 = func[pc+5]" },
		{ 0x18, 0x31, 0, 9, 0, 0, "r1 = btf_id[9][0]" },
		{ 0x85, 0x00, 0, 1, 0, 0, "call 1" },
		{ 0x85, 0x10, 0, 3, 0, 0, "call pc+3" },
		{ 0x85, 0x20, 0, 77, 0, 0, "call kfunc 77" },
		{ 0x8d, 0x02, 0, 0, 0, 0, "callx r2" },
		{ 0x8d, 0x00, 0, 1, 0, 0, "callx r1" }, /* clang 14's encoding */
		{ 0x06, 0x00, 0, 100000, 0, 0, "gotol +100000" },
		{ 0x05, 0x00, INT16_MIN, 0, 0, 0, "goto -32768" },
		{ 0xe5, 0x00, 7, 0, 0, 0, "may_goto +7" },
		{ 0xdc, 0x00, 0, 16, 0, 0, "r0 = be16 r0" },
		{ 0xd4, 0x03, 0, 32, 0, 0, "r3 = le32 r3" },
		{ 0xd7, 0x00, 0, 64, 0, 0, "r0 = bswap64 r0" },
		{ 0xbf, 0x10, 8, 0, 0, 0, "r0 = (s8)r1" },
		{ 0xbc, 0x10, 16, 0, 0, 0, "w0 = (s16)w1" },
		{ 0x3f, 0x21, 1, 0, 0, 0, "r1 s/= r2" },
		{ 0x94, 0x01, 1, 3, 0, 0, "w1 s%= 3" },
		{ 0x89, 0x10, 2, 0, 0, 0, "r0 = *(s16 *)(r1 + 2)" },
		{ 0xdb, 0x10, 0, 0x100, 0, 0, "r0 = load_acquire((u64 *)(r1 + 0))" },
		{ 0xd3, 0x10, 0, 0x100, 0, 0, "w0 = load_acquire((u8 *)(r1 + 0))" },
		{ 0xdb, 0x21, 8, 0x110, 0, 0, "store_release((u64 *)(r1 + 8), r2)" },
		{ 0x62, 0x0a, -8, 5, 0, 0, "*(u32 *)(r10 - 8) = 5" },
		{ 0x87, 0x01, 0, 0, 0, 0, "r1 = -r1" },
		{ 0x20, 0x00, 0, 4, 0, 0, "r0 = *(u32 *)skb[4]" },
		{ 0x40, 0x10, 0, 0, 0, 0, "r0 = *(u32 *)skb[r1]" },
		{ 0x50, 0x10, 0, -2, 0, 0, "r0 = *(u8 *)skb[r1 - 2]" },
		{ 0x45, 0x01, 3, 16, 0, 0, "if r1 & 16 goto +3" },
		{ 0x95, 0x00, 0, 0, 0, 0, "exit" },
		/* Linux verifier log flavour */
		{ 0x61, 0x21, 0, 0, 0, UB_DIS_KERNEL, "(61) r1 = *(u32 *)(r2 +0)" },
		{ 0x63, 0x1a, -8, 0, 0, UB_DIS_KERNEL, "(63) *(u32 *)(r10 -8) = r1" },
		{ 0x25, 0x01, 3, 16, 0, UB_DIS_KERNEL, "(25) if r1 > 0x10 goto pc+3" },
		{ 0x05, 0x00, -2, 0, 0, UB_DIS_KERNEL, "(05) goto pc-2" },
		{ 0x85, 0x00, 0, 1, 0, UB_DIS_KERNEL, "(85) call unknown#1" },
		{ 0x85, 0x10, 0, 3, 0, UB_DIS_KERNEL, "(85) call pc+3" },
		{ 0x18, 0x01, 0, 0x1234, 0, UB_DIS_KERNEL, "(18) r1 = 0x1234" },
		{ 0x18, 0x11, 0, 3, 0, UB_DIS_KERNEL, "(18) r1 = map[id:3]" },
		{ 0xdb, 0x1a, -8, 1, 0, UB_DIS_KERNEL,
		  "(db) r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)" },
		{ 0xc3, 0x1a, -8, 0xe1, 0, UB_DIS_KERNEL,
		  "(c3) r1 = atomic_xchg((u32 *)(r10 -8), r1)" },
		{ 0xdb, 0x1a, 0, 0xf1, 0, UB_DIS_KERNEL,
		  "(db) r0 = atomic64_cmpxchg((u64 *)(r10 +0), r0, r1)" },
		{ 0xe5, 0x00, 7, 0, 0, UB_DIS_KERNEL, "(e5) may_goto pc+7" },
		/* bpf_conformance syntax (the official disassembler's spellings) */
		{ 0x61, 0x10, 4, 0, 0, UB_DIS_CONF, "ldxw %r0, [%r1+4]" },
		{ 0x79, 0x10, 0, 0, 0, UB_DIS_CONF, "ldxdw %r0, [%r1]" },
		{ 0x25, 0x01, 3, 16, 0, UB_DIS_CONF, "jgt %r1, 0x10, +3" },
		{ 0x25, 0x01, -3, -5, 0, UB_DIS_CONF, "jgt %r1, -5, -3" },
		{ 0xb7, 0x00, 0, INT32_MIN, 0, UB_DIS_CONF, "mov %r0, 0x80000000" },
		{ 0xdb, 0x1a, -8, 1, 0, UB_DIS_CONF, "lock fetch add [%r10-8], %r1" },
		{ 0xc3, 0x1a, -8, 0xf1, 0, UB_DIS_CONF, "lock cmpxchg32 [%r10-8], %r1" },
		{ 0x8d, 0x02, 0, 0, 0, UB_DIS_CONF, "call %r2" },
		{ 0x85, 0x10, 0, 3, 0, UB_DIS_CONF, "call local +3" },
		{ 0x85, 0x20, 0, 3, 0, UB_DIS_CONF, "call runtime 3" },
		{ 0xbf, 0x10, 32, 0, 0, UB_DIS_CONF, "movsx3264 %r0, %r1" },
		{ 0x3c, 0x10, 1, 0, 0, UB_DIS_CONF, "sdiv32 %r0, %r1" },
		{ 0xd7, 0x00, 0, 16, 0, UB_DIS_CONF, "swap16 %r0" },
		{ 0x06, 0x00, 0, 9, 0, UB_DIS_CONF, "ja32 +9" },
		{ 0x18, 0x01, 0, 0x55667788, 0x11223344, UB_DIS_CONF,
		  "lddw %r1, 0x1122334455667788" },
		{ 0x91, 0x10, -2, 0, 0, UB_DIS_CONF, "ldxsb %r0, [%r1-2]" },
		/* unknown and reserved encodings */
		{ 0xff, 0x00, 0, 0, 0, 0, ".insn 0x00000000000000ff" },
		{ 0x07, 0x21, 0, 1, 0, 0, ".insn 0x0000000100002107" }, /* add imm with src set */
		{ 0x3f, 0x21, 2, 0, 0, 0, ".insn 0x0000000000022137" + 0 },
	};
	char text[200];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct userbpf_insn in[2] = { { 0 } };
		struct ub_disasm_ctx ctx = { .flags = cases[i].flags };

		in[0].code = cases[i].code;
		in[0].dst_reg = cases[i].regs & 0xf;
		in[0].src_reg = cases[i].regs >> 4;
		in[0].off = cases[i].off;
		in[0].imm = cases[i].imm;
		in[1].imm = cases[i].hi;
		ub_disasm_insn(in, 2, 0, &ctx, text, sizeof(text), NULL);
		if (i == sizeof(cases) / sizeof(cases[0]) - 1) /* off 2 is no div/sdiv row */
			CHECK(!strcmp(text, ".insn 0x000000000002213f"), "got '%s'", text);
		else
			CHECK(!strcmp(text, cases[i].text), "case %zu: got '%s', want '%s'", i,
			      text, cases[i].text);
	}
}

/* Collect userbpf_disasm output in a buffer. */
struct sink {
	char buf[1 << 16];
	size_t len;
};

static int sink_write(void *user, const char *text, size_t len)
{
	struct sink *s = user;

	if (s->len + len >= sizeof(s->buf))
		return -ENOSPC;
	memcpy(s->buf + s->len, text, len);
	s->len += len;
	s->buf[s->len] = 0;
	return 0;
}

/* A whole program: disassemble (labels, no index) and assemble back, both syntaxes. */
static void program_round_trip(const struct userbpf_insn *in, size_t cnt, const char *what)
{
	for (int syn = 0; syn < 2; syn++) {
		for (uint32_t flags = 0; flags < 2; flags++) {
			struct userbpf_disasm_opts o = {
				.sz = sizeof(o), .syntax = syn,
				.flags = USERBPF_DISASM_F_NO_INDEX |
					 (flags ? USERBPF_DISASM_F_LABELS : 0),
			};
			static struct sink s;
			struct userbpf_insn *out = NULL;
			size_t n = 0;
			int err;

			s.len = 0;
			s.buf[0] = 0;
			err = userbpf_disasm(in, cnt, &o, sink_write, &s);
			CHECK(!err, "%s: disasm failed %d", what, err);
			err = userbpf_asm(env, s.buf, syn, &out, &n);
			CHECK(!err && n == cnt && same(in, out, cnt),
			      "%s (syntax %d, labels %u): program round trip failed: %d %s", what,
			      syn, flags, err, err ? logbuf : "");
			userbpf_insns_free(out);
		}
	}
}

static void test_labels(void)
{
	const char *src = "  r0 = 0\n"
			  "loop:\n"
			  "  r0 += 1 // count\n"
			  "  if r0 < 10 goto loop  # back edge\n"
			  "  r1 = 7 ll ; wide\n"
			  "  if r1 == 7 goto done\n"
			  "  call fn\n"
			  "  gotol done\n"
			  "fn: r0 = 3\n"
			  "  exit\n"
			  "done:\n"
			  "  exit\n";
	struct userbpf_insn *in = NULL;
	size_t n = 0;
	int err = userbpf_asm(env, src, USERBPF_SYNTAX_LLVM, &in, &n);

	CHECK(!err && n == 11, "labelled program assembles: %d %s (%zu insns)", err, logbuf, n);
	if (err)
		return;
	CHECK(in[2].off == -2, "backward label: off %d", in[2].off);
	CHECK(in[5].off == 4, "forward label over lddw: off %d", in[5].off);
	CHECK(in[6].src_reg == 1 && in[6].imm == 1, "call to label is a local call: src %u imm %d",
	      in[6].src_reg, in[6].imm);
	CHECK(in[7].code == 0x06 && in[7].imm == 2, "gotol label in imm: %d", in[7].imm);
	CHECK(userbpf_insns_validate(env, in, n) == 0, "labelled program validates: %s", logbuf);
	program_round_trip(in, n, "labelled program");
	{
		struct userbpf_disasm_opts o = { .sz = sizeof(o),
						 .flags = USERBPF_DISASM_F_LABELS };
		static struct sink s;

		userbpf_disasm(in, n, &o, sink_write, &s);
		CHECK(strstr(s.buf, "L1:\n") && strstr(s.buf, "if r0 < 10 goto L1") &&
		      strstr(s.buf, "call L8") && strstr(s.buf, "   3: r1 = 7 ll"),
		      "label listing:\n%s", s.buf);
		s.len = 0;
		o.flags = USERBPF_DISASM_F_RAW;
		userbpf_disasm(in, n, &o, sink_write, &s);
		CHECK(strstr(s.buf, "   3: 18 01 00 00 07 00 00 00 00 00 00 00 00 00 00 00  "
				    "r1 = 7 ll"),
		      "raw listing:\n%s", s.buf);
	}
	userbpf_insns_free(in);
}

static void expect_error(const char *src, enum userbpf_syntax syn, const char *want)
{
	struct userbpf_insn *in = NULL;
	size_t n = 0;
	int err;

	logbuf[0] = 0;
	err = userbpf_asm(env, src, syn, &in, &n);
	CHECK(err == -EINVAL && strstr(logbuf, want), "'%s': err %d, log '%s', want '%s'", src,
	      err, logbuf, want);
	userbpf_insns_free(in);
}

static void test_errors(void)
{
	expect_error("r0 = 1\nr0 += foo\nexit\n", USERBPF_SYNTAX_LLVM,
		     "line 2: unexpected 'foo' in 'r0 += foo'");
	expect_error("w0 = 1\nw1 = r2\n", USERBPF_SYNTAX_LLVM, "line 2:");
	expect_error("w0 = 4294967296\n", USERBPF_SYNTAX_LLVM, "line 1:");
	expect_error("r0 = 99999999999999999999999 ll\n", USERBPF_SYNTAX_LLVM,
		     "line 1: number too large");
	expect_error("goto nowhere\nexit\n", USERBPF_SYNTAX_LLVM,
		     "line 1: undefined label 'nowhere'");
	expect_error("a:\na:\nexit\n", USERBPF_SYNTAX_LLVM,
		     "line 2: label 'a' already defined at line 1");
	expect_error("r16 = 1\n", USERBPF_SYNTAX_LLVM, "line 1:");
	expect_error("\n\nmov %r0, 1\nfrob %r1\n", USERBPF_SYNTAX_CONFORMANCE,
		     "line 4: unexpected 'frob'");
	expect_error("ldxw %r0, [%r1+99999]\n", USERBPF_SYNTAX_CONFORMANCE,
		     "line 1: offset out of range at '+'");
	expect_error("# only a comment\n\n", USERBPF_SYNTAX_LLVM, "no instructions");
	expect_error("r1 = *(u32 *)(r2 + 4\n", USERBPF_SYNTAX_LLVM, "line 1: incomplete");
	expect_error(".insn 0xzz\n", USERBPF_SYNTAX_LLVM, "line 1: .insn needs");
	expect_error("goto +40000\n", USERBPF_SYNTAX_LLVM, "jump offset out of range");
	expect_error("r0 = *(u32 *)(r1 + -4)\nexit\n", USERBPF_SYNTAX_LLVM, "line 1:");
	expect_error("r0 = 1\nr0 = 2 r3\n", USERBPF_SYNTAX_LLVM, "line 2: unexpected 'r3'");
	{
		struct userbpf_insn *in = NULL;
		size_t n = 0;

		CHECK(userbpf_asm(env, "exit", 7, &in, &n) == -EINVAL, "bad syntax value rejected");
		CHECK(userbpf_asm(env, NULL, 0, &in, &n) == -EINVAL, "NULL text rejected");
	}
}

/* Pieces of syntax the official conformance assembler accepts. */
static void test_conformance_spellings(void)
{
	static const struct {
		const char *text;
		uint64_t want;
	} cases[] = {
		{ "call 5", 0x0000000500000085ull },
		{ "call helper 5", 0x0000000500000085ull },
		{ "call %r2", 0x000000000000028dull },
		{ "call helper %r2", 0x000000000000028dull },
		{ "callx %r3", 0x000000000000038dull },
		{ "bswap16 %r0", 0x00000010000000d7ull },
		{ "swap32 %r1", 0x00000020000001d7ull },
		{ "sdiv %r0, -3", 0xfffffffd00010037ull },
		{ "smod32 %r0, %r1", 0x000000000001109cull },
		{ "movsx1632 %r4, %r3", 0x00000000001034bcull },
		{ "mov32 %r0, 0xffffffff", 0xffffffff000000b4ull },
		{ "lock xchg [%r10-8], %r1", 0x000000e1fff81adbull },
		{ "stw [%r10-8], 0x12", 0x00000012fff80a62ull },
		{ "ldxdw %r0, [%r10 - 8]", 0x00000000fff8a079ull },
		{ "mov %r11, 1", 0x0000000100000bb7ull },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct userbpf_insn *in = NULL;
		size_t n = 0;
		uint64_t got = 0;
		int err = userbpf_asm(env, cases[i].text, USERBPF_SYNTAX_CONFORMANCE, &in, &n);

		if (!err)
			memcpy(&got, in, 8);
		CHECK(!err && n == 1 && got == cases[i].want, "'%s': err %d (%s), got 0x%016llx, "
		      "want 0x%016llx", cases[i].text, err, logbuf, (unsigned long long)got,
		      (unsigned long long)cases[i].want);
		userbpf_insns_free(in);
	}
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[len] = 0;
	fclose(f);
	return buf;
}

/* Text of section "-- name" (up to the next "-- "), NUL-terminated in place; NULL if absent. */
static char *section(char *data, const char *name)
{
	char hdr[32], *s, *e;

	snprintf(hdr, sizeof(hdr), "-- %s\n", name);
	s = strstr(data, hdr);
	if (!s)
		return NULL;
	s += strlen(hdr);
	e = strstr(s, "\n-- ");
	if (e)
		e[1] = 0;
	return s;
}

static void test_conformance_files(void)
{
	const char *shared = getenv("UB_SHARED") ? getenv("UB_SHARED") : "../shared";
	char dir[512];
	struct dirent *de;
	DIR *d;
	unsigned files = 0, ok = 0;

	snprintf(dir, sizeof(dir), "%s/conformance", shared);
	d = opendir(dir);
	if (!d) {
		SKIP("conformance files: %s not found", dir);
		return;
	}
	while ((de = readdir(d))) {
		char path[1024], *data, *text, *raw = NULL;
		struct userbpf_insn *in = NULL;
		size_t n = 0, len = strlen(de->d_name);
		int err;

		if (len < 5 || strcmp(de->d_name + len - 5, ".data"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		data = read_file(path);
		if (!data)
			continue;
		files++;
		{
			char *r = strstr(data, "-- raw\n");

			if (r) {
				char *e = strstr(r + 7, "\n-- ");

				raw = strndup(r + 7, e ? (size_t)(e - r - 7) : strlen(r + 7));
			}
		}
		text = section(data, "asm");
		err = text ? userbpf_asm(env, text, USERBPF_SYNTAX_CONFORMANCE, &in, &n) : -ENOENT;
		if (!CHECK(!err, "%s: does not assemble: %s", de->d_name, logbuf)) {
			free(raw);
			free(data);
			continue;
		}
		if (raw) {
			size_t i = 0;
			int match = 1;

			for (char *p = strtok(raw, " \n"); p; p = strtok(NULL, " \n"), i++) {
				uint64_t v = strtoull(p, NULL, 16), got = 0;

				if (i < n)
					memcpy(&got, &in[i], 8);
				match &= i < n && got == v;
			}
			CHECK(match && i == n, "%s: bytes differ from the -- raw section",
			      de->d_name);
		}
		program_round_trip(in, n, de->d_name);
		ok++;
		userbpf_insns_free(in);
		free(raw);
		free(data);
	}
	closedir(d);
	CHECK(files > 300, "found %u conformance files", files);
	printf("NOTE conformance: %u/%u .data files assemble and round-trip\n", ok, files);
}

/* ---- llvm-objdump comparison on clang-compiled programs ------------------------------------ */

static const char *const c_progs[] = {
	/* loops, bytes, 32-bit ops, signed shifts, lddw, local call, atomic add */
	"static __attribute__((noinline)) int sub(int a, int b) { return a * b + 7; }\n"
	"int prog(unsigned char *p, unsigned long n) {\n"
	"  unsigned s = 0; long long x = 0x123456789abcLL;\n"
	"  for (unsigned long i = 0; i < n; i++) { s += p[i]; if (p[i] & 0x10) s ^= 0xdead;\n"
	"    if ((int)s < -5) s >>= 3; }\n"
	"  __sync_fetch_and_add((long *)p, 5);\n"
	"  return s + sub(s, (int)n) + (x >> 3) + (short)n + __builtin_bswap32(s);\n}\n",
	/* switch, division, modulo, stores of many widths, indirect call (clang 14 callx) */
	"typedef long (*fn_t)(long);\n"
	"long prog(unsigned long *m, long k, fn_t f) {\n"
	"  unsigned short *h = (void *)m; unsigned int *w = (void *)m;\n"
	"  signed char *b = (void *)m;\n"
	"  switch (k) { case 1: k = m[1] / 7; break; case 2: k = m[2] % 13; break;\n"
	"  case 3: h[3] = (unsigned short)k; break; case 9: w[5] = 0xfffffff0u; break;\n"
	"  default: k = b[7] * -3; }\n"
	"  if (k > 1000000) k = f(k);\n"
	"  return k - (long)(m[3] >> 60) + (m[4] == 12345);\n}\n",
	/* fetch atomics and compare-and-exchange (-mcpu=v3) */
	"long prog(long *m, int *w) {\n"
	"  long a = __sync_fetch_and_add(m, 3); long o = __sync_fetch_and_or(m + 1, 8);\n"
	"  long x = __sync_lock_test_and_set(m + 2, 9);\n"
	"  long c = __sync_val_compare_and_swap(m + 3, 1, 2);\n"
	"  int d = __sync_fetch_and_xor(w, 5); __sync_fetch_and_and(w + 1, 6);\n"
	"  return a + o + x + c + d;\n}\n",
};

static int run(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static void compare_objdump(const char *dir, int idx, const char *cpu)
{
	char path[600], cmd[2400], *dump, *bin;
	struct userbpf_insn *insns;
	size_t len, cnt, compared = 0, differ = 0, unknown = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/p%d.c", dir, idx);
	f = fopen(path, "w");
	if (!f)
		return;
	fputs(c_progs[idx], f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && clang -O2 -target bpf -mcpu=%s -c p%d.c -o p%d.o 2>/dev/null && "
		 "llvm-objcopy -O binary --only-section=.text p%d.o p%d.bin && "
		 "llvm-objdump -d --no-show-raw-insn p%d.o > p%d.txt", dir, cpu, idx, idx, idx, idx,
		 idx, idx);
	if (!CHECK(run(cmd) == 0, "compiling test program %d (-mcpu=%s) failed", idx, cpu))
		return;
	snprintf(path, sizeof(path), "%s/p%d.bin", dir, idx);
	bin = read_file(path);
	snprintf(path, sizeof(path), "%s/p%d.txt", dir, idx);
	dump = read_file(path);
	if (!bin || !dump) {
		CHECK(0, "reading compiler output failed");
		free(bin);
		free(dump);
		return;
	}
	snprintf(path, sizeof(path), "%s/p%d.bin", dir, idx);
	{
		struct stat st;

		len = stat(path, &st) ? 0 : (size_t)st.st_size;
	}
	insns = (struct userbpf_insn *)bin;
	cnt = len / 8;
	for (char *line = strtok(dump, "\n"); line; line = strtok(NULL, "\n")) {
		char *colon, *want, ours[200], *lt;
		unsigned long pc;

		if (sscanf(line, " %lu:", &pc) != 1 || !(colon = strchr(line, ':')) ||
		    colon[1] != '\t')
			continue;
		want = colon + 2;
		lt = strrchr(want, '<');
		if (lt && lt > want && lt[-1] == ' ' && lt[1] != '<' && lt[1] != '=' &&
		    want[strlen(want) - 1] == '>')
			lt[-1] = 0; /* objdump's " <LBB0_2>" target annotation */
		if (!strcmp(want, "<unknown>")) {
			unknown++; /* no alu32 decoding in objdump: 32-bit fetch atomics */
			continue;
		}
		if (pc >= cnt) {
			CHECK(0, "objdump index %lu beyond .text", pc);
			continue;
		}
		ub_disasm_insn(&insns[pc], cnt - pc, pc, NULL, ours, sizeof(ours), NULL);
		/* llvm-objdump prints a local call (src_reg 1) like a helper call: "call 25". */
		if (insns[pc].code == 0x85 && insns[pc].src_reg == 1 &&
		    !strncmp(ours, "call pc", 7))
			memmove(ours + 5, ours + 7, strlen(ours + 7) + 1);
		if (ours[5] == '+' && !strncmp(ours, "call ", 5))
			memmove(ours + 5, ours + 6, strlen(ours + 6) + 1);
		compared++;
		if (strcmp(ours, want)) {
			differ++;
			CHECK(0, "program %d (-mcpu=%s) insn %lu: ours '%s', llvm-objdump '%s'",
			      idx, cpu, pc, ours, want);
		}
	}
	CHECK(compared > 10 && differ == 0, "program %d (-mcpu=%s): %zu instructions compared, %zu "
	      "differ", idx, cpu, compared, differ);
	printf("NOTE llvm-objdump: program %d -mcpu=%s: %zu/%zu instructions identical "
	       "(%zu it cannot decode)\n", idx, cpu, compared - differ, compared, unknown);
	free(bin);
	free(dump);
}

static void test_llvm_objdump(void)
{
	char dir[] = "/tmp/userbpf-asm-XXXXXX", cmd[600];
	static const char *const cpus[] = { "v1", "v2", "v3" };

	if (run("clang --version >/dev/null 2>&1 && llvm-objdump --version >/dev/null 2>&1 && "
		"llvm-objcopy --version >/dev/null 2>&1") != 0) {
		SKIP("llvm-objdump comparison: clang, llvm-objdump or llvm-objcopy not installed");
		return;
	}
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp failed");
		return;
	}
	for (int i = 0; i < (int)(sizeof(c_progs) / sizeof(c_progs[0])); i++)
		for (int c = 0; c < 3; c++)
			if (i != 2 || c == 2) /* fetch atomics need v3 */
				compare_objdump(dir, i, cpus[c]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	run(cmd);
}

/* The CLI: `userbpf asm` prints hex or writes a file; `userbpf disasm` output assembles back. */
static void test_cli(void)
{
	const char *env_cli = getenv("UB_CLI");
	char dir[] = "/tmp/userbpf-asm-cli-XXXXXX", cmd[2048], path[600], *out, *cli;
	FILE *f;

	if (!env_cli || access(env_cli, X_OK) || !(cli = realpath(env_cli, NULL))) {
		SKIP("CLI: UB_CLI not set or not executable (run through make test)");
		return;
	}
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp failed");
		free(cli);
		return;
	}
	snprintf(path, sizeof(path), "%s/p.s", dir);
	f = fopen(path, "w");
	if (f) {
		fputs("\tr0 = 0x1234 ll\nagain:\n\tif r0 s< 3 goto again\n\texit\n", f);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "cd %s && %s asm p.s > hex.txt && %s asm p.s -o p.bin && "
		 "%s disasm --labels --no-index --syntax conformance p.bin > c.s && "
		 "%s asm c.s -o c.bin && cmp -s p.bin c.bin && %s disasm p.bin > l.txt && "
		 "! %s asm --syntax nope p.s 2>/dev/null && ! %s disasm missing.bin 2>/dev/null",
		 dir, cli, cli, cli, cli, cli, cli, cli);
	CHECK(run(cmd) == 0, "CLI asm/disasm round trip: %s", cmd);
	snprintf(path, sizeof(path), "%s/hex.txt", dir);
	out = read_file(path);
	CHECK(out && !strcmp(out, "18 00 00 00 34 12 00 00\n00 00 00 00 00 00 00 00\n"
				  "c5 00 ff ff 03 00 00 00\n95 00 00 00 00 00 00 00\n"),
	      "asm hex output: '%s'", out ? out : "(none)");
	free(out);
	snprintf(path, sizeof(path), "%s/l.txt", dir);
	out = read_file(path);
	CHECK(out && !strcmp(out, "   0: r0 = 4660 ll\n   2: if r0 s< 3 goto -1\n   3: exit\n"),
	      "disasm output: '%s'", out ? out : "(none)");
	free(out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	run(cmd);
	free(cli);
}

int main(void)
{
	struct userbpf_env_opts o = { .sz = sizeof(o), .log_fn = log_fn, .log_level = 3 };

	env = userbpf_env_new(&o);
	if (!CHECK(env != NULL, "env"))
		return ub_test_done("asm");
	test_every_row();
	test_known_texts();
	test_labels();
	test_errors();
	test_conformance_spellings();
	test_conformance_files();
	test_llvm_objdump();
	test_cli();
	userbpf_env_free(env);
	return ub_test_done("asm");
}
