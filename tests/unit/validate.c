/* SPDX-License-Identifier: Apache-2.0 */
/*
 * validate.c: the encoding validator (ub_isa_validate): every rejection class with its
 * message naming the instruction index, and the encodings it must accept (clang 14's callx,
 * jumps to the first half of an lddw, a final gotol).
 */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "userbpf/userbpf.h"
#include "isa/isa.h"

static char logbuf[1024];

static void log_fn(void *user, int level, const char *msg)
{
	(void)user, (void)level;
	snprintf(logbuf, sizeof(logbuf), "%s", msg);
}

static struct userbpf_env *env;

#define I(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define EXIT I(0x95, 0, 0, 0, 0)
#define MOV0 I(0xb7, 0, 0, 0, 0) /* r0 = 0 */

static void reject(const char *what, const struct userbpf_insn *in, size_t cnt, int want_err,
		   const char *want_msg)
{
	int err;

	logbuf[0] = 0;
	err = userbpf_insns_validate(env, in, cnt);
	CHECK(err == want_err && strstr(logbuf, want_msg),
	      "%s: got %d '%s', want %d '%s'", what, err, logbuf, want_err, want_msg);
}

static void accept(const char *what, const struct userbpf_insn *in, size_t cnt)
{
	int err;

	logbuf[0] = 0;
	err = userbpf_insns_validate(env, in, cnt);
	CHECK(err == 0, "%s: rejected (%d): %s", what, err, logbuf);
}

int main(void)
{
	struct userbpf_env_opts o = { .sz = sizeof(o), .log_fn = log_fn, .log_level = 3 };

	env = userbpf_env_new(&o);
	if (!CHECK(env != NULL, "env"))
		return ub_test_done("validate");

	/* Empty and too big. */
	reject("empty", NULL, 0, -EINVAL, "empty program");
	{
		struct userbpf_insn *big = calloc(UB_MAX_INSNS + 1, sizeof(*big));

		if (CHECK(big != NULL, "alloc")) {
			reject("too big", big, UB_MAX_INSNS + 1, -E2BIG,
			       "program too large: 1048577 instructions, the limit is 1048576");
			free(big);
		}
	}
	/* Unknown opcodes and reserved encodings of known ones. */
	{
		struct userbpf_insn p[] = { MOV0, I(0xff, 0, 0, 0, 0), EXIT };

		reject("unknown opcode", p, 3, -EINVAL, "insn 1: unknown opcode 0xff");
	}
	{
		struct userbpf_insn p[] = { MOV0, MOV0, I(0x3f, 1, 2, 2, 0), EXIT }; /* div off=2 */

		reject("div with off 2", p, 4, -EINVAL, "insn 2: opcode 0x3f with off=2");
	}
	{
		struct userbpf_insn p[] = { I(0xd4, 1, 0, 0, 8), EXIT }; /* le8 */

		reject("le8", p, 2, -EINVAL, "insn 0: opcode 0xd4 with off=0 imm=8");
	}
	{
		struct userbpf_insn p[] = { I(0xdb, 1, 2, 0, 0x02), EXIT }; /* atomic op 2 */

		reject("atomic imm 2", p, 2, -EINVAL, "insn 0: opcode 0xdb");
	}
	{
		struct userbpf_insn p[] = { I(0x85, 0, 3, 0, 1), EXIT }; /* call src 3 */

		reject("call src 3", p, 2, -EINVAL, "insn 0: opcode 0x85");
	}
	/* Bad registers. */
	{
		struct userbpf_insn p[] = { MOV0, I(0xb7, 11, 0, 0, 1), EXIT };

		reject("dst r11", p, 3, -EINVAL, "insn 1: invalid register r11 (dst)");
	}
	{
		struct userbpf_insn p[] = { I(0xbf, 1, 12, 0, 0), EXIT };

		reject("src r12", p, 2, -EINVAL, "insn 0: invalid register r12 (src)");
	}
	{
		struct userbpf_insn p[] = { I(0x61, 1, 15, 0, 0), EXIT };

		reject("ldx src r15", p, 2, -EINVAL, "insn 0: invalid register r15 (src)");
	}
	/* Reserved fields. */
	{
		struct userbpf_insn p[] = { I(0xbf, 1, 2, 0, 5), EXIT };

		reject("mov reg with imm", p, 2, -EINVAL,
		       "insn 0 (mov): reserved field imm must be 0, is 5");
	}
	{
		struct userbpf_insn p[] = { I(0x07, 1, 3, 0, 5), EXIT };

		reject("add imm with src", p, 2, -EINVAL,
		       "insn 0 (add): reserved field src_reg must be 0, is 3");
	}
	{
		struct userbpf_insn p[] = { MOV0, I(0x95, 0, 0, 1, 0) };

		reject("exit with off", p, 2, -EINVAL,
		       "insn 1 (exit): reserved field off must be 0, is 1");
	}
	{
		struct userbpf_insn p[] = { I(0x05, 2, 0, 0, 0), EXIT };

		reject("ja with dst", p, 2, -EINVAL,
		       "insn 0 (ja): reserved field dst_reg must be 0, is 2");
	}
	{
		struct userbpf_insn p[] = { I(0x87, 1, 0, 0, 7), EXIT };

		reject("neg with imm", p, 2, -EINVAL, "insn 0 (neg): reserved field imm");
	}
	{
		struct userbpf_insn p[] = { I(0x20, 1, 0, 0, 4), EXIT };

		reject("ld_abs with dst", p, 2, -EINVAL, "insn 0 (ldabsw): reserved field dst_reg");
	}
	/* lddw pairs. */
	{
		struct userbpf_insn p[] = { MOV0, EXIT, I(0x18, 1, 0, 0, 1) };

		reject("lddw at the end", p, 3, -EINVAL,
		       "insn 2 (lddw): second half missing at the end of the program");
	}
	{
		struct userbpf_insn p[] = { I(0x18, 1, 0, 0, 1), I(0x07, 0, 0, 0, 0), EXIT };

		reject("lddw second half with code", p, 3, -EINVAL,
		       "insn 0 (lddw): second half at insn 1 must have code, registers and off 0");
	}
	{
		struct userbpf_insn p[] = { MOV0, I(0x18, 1, 0, 0, 1), I(0, 0, 0, 3, 0), EXIT };

		reject("lddw second half with off", p, 4, -EINVAL, "insn 1 (lddw): second half");
	}
	{
		struct userbpf_insn p[] = { I(0x18, 1, 1, 0, 1), I(0, 0, 0, 0, 9), EXIT };

		reject("lddw map_fd upper imm", p, 3, -EINVAL,
		       "insn 0 (lddw map_fd): upper imm must be 0, is 9");
	}
	{
		struct userbpf_insn p[] = { I(0x18, 1, 7, 0, 1), I(0, 0, 0, 0, 0), EXIT };

		reject("lddw src 7", p, 3, -EINVAL, "insn 0: opcode 0x18");
	}
	/* Jumps and calls. */
	{
		struct userbpf_insn p[] = { I(0x05, 0, 0, 5, 0), MOV0, EXIT };

		reject("ja beyond end", p, 3, -EINVAL,
		       "insn 0 (ja): target 6 is outside the program (0..2)");
	}
	{
		struct userbpf_insn p[] = { MOV0, I(0x15, 0, 0, -3, 0), EXIT };

		reject("jeq before start", p, 3, -EINVAL,
		       "insn 1 (jeq): target -1 is outside the program (0..2)");
	}
	{
		struct userbpf_insn p[] = { I(0x06, 0, 0, 0, 100), EXIT };

		reject("gotol beyond end", p, 2, -EINVAL, "insn 0 (ja32): target 101 is outside");
	}
	{
		struct userbpf_insn p[] = { I(0x85, 0, 1, 0, -5), EXIT };

		reject("local call before start", p, 2, -EINVAL,
		       "insn 0 (call local): target -4 is outside");
	}
	{
		struct userbpf_insn p[] = { I(0x18, 2, 4, 0, 7), I(0, 0, 0, 0, 0), EXIT };

		reject("callback beyond end", p, 3, -EINVAL, "insn 0 (lddw): target 8 is outside");
	}
	{
		struct userbpf_insn p[] = { I(0x05, 0, 0, 0, 0), I(0x18, 1, 0, 0, 1),
					    I(0, 0, 0, 0, 2), EXIT };

		accept("jump to the first half of an lddw", p, 4);
		p[0].off = 1;
		reject("jump into an lddw", p, 4, -EINVAL,
		       "insn 0 (ja): target 2 is the second half of the lddw at insn 1");
	}
	{
		struct userbpf_insn p[] = { I(0x18, 1, 0, 0, 1), I(0, 0, 0, 0, 2), MOV0,
					    I(0x25, 0, 0, -3, 4), EXIT };

		reject("backward jump into an lddw", p, 5, -EINVAL,
		       "insn 3 (jgt): target 1 is the second half of the lddw at insn 0");
	}
	/* r10 is read only. */
	{
		struct userbpf_insn p[] = { I(0xb7, 10, 0, 0, 0), EXIT };

		reject("mov r10", p, 2, -EINVAL, "insn 0 (mov): frame pointer r10 is read only");
	}
	{
		struct userbpf_insn p[] = { MOV0, I(0x79, 10, 1, 0, 0), EXIT };

		reject("ldx into r10", p, 3, -EINVAL,
		       "insn 1 (ldxdw): frame pointer r10 is read only");
	}
	{
		struct userbpf_insn p[] = { I(0xdb, 1, 10, 0, 0x01), EXIT };

		reject("fetch into r10", p, 2, -EINVAL,
		       "insn 0 (lock fetch add): frame pointer r10 is read only");
	}
	{
		struct userbpf_insn p[] = { I(0x18, 10, 0, 0, 0), I(0, 0, 0, 0, 0), EXIT };

		reject("lddw into r10", p, 3, -EINVAL,
		       "insn 0 (lddw): frame pointer r10 is read only");
	}
	{
		struct userbpf_insn p[] = { I(0x7b, 10, 1, -8, 0), I(0xdb, 10, 1, -8, 0), MOV0,
					    EXIT };

		accept("stores through r10", p, 4);
	}
	/* callx: the standard encoding, clang 14's, and the malformed ones. */
	{
		struct userbpf_insn p[] = { I(0x8d, 2, 0, 0, 0), EXIT };

		accept("callx r2 (dst)", p, 2);
		p[0] = (struct userbpf_insn)I(0x8d, 0, 0, 0, 4);
		accept("callx r4 (imm, LLVM < 19)", p, 2);
		CHECK(ub_isa_callx_reg(&p[0]) == 4, "callx register from imm");
		p[0] = (struct userbpf_insn)I(0x8d, 2, 0, 0, 4);
		reject("callx in both fields", p, 2, -EINVAL,
		       "insn 0 (callx): target register given twice (dst r2, imm 4)");
		p[0] = (struct userbpf_insn)I(0x8d, 10, 0, 0, 0);
		reject("callx r10", p, 2, -EINVAL,
		       "insn 0 (callx): invalid call target register r10");
		p[0] = (struct userbpf_insn)I(0x8d, 0, 0, 0, 11);
		reject("callx imm 11", p, 2, -EINVAL, "invalid call target register r11");
		p[0] = (struct userbpf_insn)I(0x8d, 1, 0, 3, 0);
		reject("callx with off", p, 2, -EINVAL, "insn 0 (callx): reserved field off");
	}
	/* The end of the program. */
	{
		struct userbpf_insn p[] = { MOV0, MOV0 };

		reject("falls off the end", p, 2, -EINVAL,
		       "insn 1 (mov): the last instruction falls off the end of the program");
	}
	{
		struct userbpf_insn p[] = { MOV0, I(0x15, 0, 0, -2, 0) };

		reject("conditional jump last", p, 2, -EINVAL,
		       "insn 1 (jeq): the last instruction");
	}
	{
		struct userbpf_insn p[] = { EXIT, I(0x18, 1, 0, 0, 1), I(0, 0, 0, 0, 0) };

		reject("lddw last", p, 3, -EINVAL, "insn 1 (lddw): the last instruction falls off");
	}
	{
		struct userbpf_insn p[] = { MOV0, EXIT, I(0x06, 0, 0, 0, -3) };

		accept("ends with gotol", p, 3);
	}
	{
		struct userbpf_insn p[] = { MOV0, I(0x05, 0, 0, -2, 0) };

		accept("ends with goto", p, 2);
	}
	/* A bit of everything, as assembled text. */
	{
		const char *src = "r1 = map[idx:0]\n r2 = map[idx:1][0]+16\n r3 = func[pc+7]\n"
				  "r4 = btf_id[3][0]\n lock *(u32 *)(r10 - 4) += r1\n"
				  "w0 = atomic_fetch_or((u32 *)(r10 - 4), w0)\n"
				  "r0 = load_acquire((u64 *)(r10 - 8))\n"
				  "store_release((u8 *)(r10 - 1), w2)\n may_goto +1\n"
				  "call kfunc 5, 2\n r0 = *(u16 *)skb[r6 + 2]\n exit\n";
		struct userbpf_insn *in = NULL;
		size_t n = 0;
		int err = userbpf_asm(env, src, USERBPF_SYNTAX_LLVM, &in, &n);

		CHECK(!err, "assemble mixed program: %s", logbuf);
		if (!err)
			accept("mixed program", in, n);
		userbpf_insns_free(in);
	}
	CHECK(userbpf_insns_validate(env, NULL, 3) == -EINVAL, "NULL insns with a count");
	userbpf_env_free(env);
	return ub_test_done("validate");
}
