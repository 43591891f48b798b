/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reloc.c: move a function's first instructions into its trampoline with capstone: RIP-relative
 * operands get a new displacement, relative branches (short ones included) become rel32 forms
 * aimed at the same targets; what cannot move safely is refused with the reason.
 *
 * Example: `48 8b 05 f9 0f 00 00  mov rax, [rip+0xff9]` at 0x401000 reads 0x402000. Copied to
 * 0x7f0000001000 it must read the same byte, so its disp32 becomes 0x402000 - 0x7f0000001007
 * (refused when that does not fit in 32 bits). `74 10  je +0x10` becomes `0f 84 rel32`.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hooks/x86_64/tramp.h"

static int refuse(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -ENOTSUP;
}

static int fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

static void put32(uint8_t *p, int32_t v)
{
	memcpy(p, &v, 4);
}

static int is_group(const cs_insn *insn, uint8_t group)
{
	for (uint8_t i = 0; i < insn->detail->groups_count; i++)
		if (insn->detail->groups[i] == group)
			return 1;
	return 0;
}

/* The target of a relative branch, or 0 when insn is not one. */
static uint64_t branch_target(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;

	if (!is_group(insn, X86_GRP_BRANCH_RELATIVE) || x->op_count < 1 ||
	    x->operands[0].type != X86_OP_IMM)
		return 0;
	return (uint64_t)x->operands[0].imm;
}

static int uses_rip(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;

	for (uint8_t i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && x->operands[i].mem.base == X86_REG_RIP)
			return 1;
	return 0;
}

/* Emit one instruction of the prologue at out->code + out->code_len (final address dest + that). */
static int relocate_one(const cs_insn *insn, uint8_t *dest, struct ub_reloc *out, char *why,
			size_t why_len)
{
	const cs_x86 *x = &insn->detail->x86;
	uint8_t *p = out->code + out->code_len;
	uint64_t at = (uint64_t)(uintptr_t)(dest + out->code_len);
	uint64_t target = branch_target(insn);
	int64_t rel;

	if (out->code_len + insn->size + 8 > sizeof(out->code))
		return refuse(why, why_len, "prologue too large to relocate");
	if (target) {
		switch (insn->id) {
		case X86_INS_JMP:
			p[0] = 0xe9;
			rel = (int64_t)(target - (at + 5));
			if (!fits32(rel))
				goto far;
			put32(p + 1, (int32_t)rel);
			out->code_len += 5;
			return 0;
		case X86_INS_CALL:
			p[0] = 0xe8;
			rel = (int64_t)(target - (at + 5));
			if (!fits32(rel))
				goto far;
			put32(p + 1, (int32_t)rel);
			out->code_len += 5;
			return 0;
		case X86_INS_JRCXZ:
		case X86_INS_JECXZ:
		case X86_INS_LOOP:
		case X86_INS_LOOPE:
		case X86_INS_LOOPNE:
			return refuse(why, why_len, "'%s' at +%u has no 32-bit form",
				      insn->mnemonic, (unsigned)out->patch_len);
		default: {
			/* jcc: 7x rel8 or 0f 8x rel32; the condition is the low nibble. */
			uint8_t cc;

			if (x->opcode[0] >= 0x70 && x->opcode[0] <= 0x7f)
				cc = x->opcode[0] & 0xf;
			else if (x->opcode[0] == 0x0f && (x->opcode[1] & 0xf0) == 0x80)
				cc = x->opcode[1] & 0xf;
			else
				return refuse(why, why_len, "unknown relative branch '%s %s'",
					      insn->mnemonic, insn->op_str);
			p[0] = 0x0f;
			p[1] = 0x80 | cc;
			rel = (int64_t)(target - (at + 6));
			if (!fits32(rel))
				goto far;
			put32(p + 2, (int32_t)rel);
			out->code_len += 6;
			return 0;
		}
		}
	}
	if (is_group(insn, X86_GRP_JUMP) || is_group(insn, X86_GRP_CALL))
		return refuse(why, why_len, "indirect '%s %s' in the prologue", insn->mnemonic,
			      insn->op_str);
	memcpy(p, insn->bytes, insn->size);
	if (uses_rip(insn)) {
		uint64_t abs = insn->address + insn->size + (uint64_t)x->disp;

		if (x->encoding.disp_size != 4 || !x->encoding.disp_offset)
			return refuse(why, why_len, "RIP-relative '%s %s' without disp32",
				      insn->mnemonic, insn->op_str);
		rel = (int64_t)(abs - (at + insn->size));
		if (!fits32(rel))
			goto far;
		put32(p + x->encoding.disp_offset, (int32_t)rel);
	}
	out->code_len += insn->size;
	return 0;
far:
	return refuse(why, why_len, "'%s %s' target is more than 2 GiB from the trampoline",
		      insn->mnemonic, insn->op_str);
}

/* Refuse when any relative branch of the function lands strictly inside the patched bytes. */
static int check_body(csh cs, const uint8_t *body, size_t body_len, const uint8_t *site,
		      uint32_t patch_len, char *why, size_t why_len)
{
	const uint8_t *code = body;
	uint64_t addr = (uint64_t)(uintptr_t)body;
	uint64_t lo = (uint64_t)(uintptr_t)site, hi = lo + patch_len;
	size_t left = body_len;
	cs_insn *insn = cs_malloc(cs);
	int err = 0;

	if (!insn)
		return refuse(why, why_len, "out of memory decoding the function");
	while (left) {
		uint64_t t;

		if (!cs_disasm_iter(cs, &code, &left, &addr, insn)) {
			/* Data or padding: step one byte and go on. */
			code++, left--, addr++;
			continue;
		}
		t = branch_target(insn);
		if (t > lo && t < hi) {
			err = refuse(why, why_len,
				     "'%s %s' at +0x%llx jumps into the first %u bytes that the "
				     "trampoline jump replaces", insn->mnemonic, insn->op_str,
				     (unsigned long long)(insn->address -
							  (uint64_t)(uintptr_t)body),
				     patch_len);
			break;
		}
	}
	cs_free(insn, 1);
	return err;
}

int ub_x86_reloc(const uint8_t *site, size_t avail, const uint8_t *body, size_t body_len,
		 uint8_t *dest, struct ub_reloc *out, char *why, size_t why_len)
{
	const uint8_t *code = site;
	uint64_t addr = (uint64_t)(uintptr_t)site;
	size_t left = avail < UB_TRAMP_MAX_PATCH ? avail : UB_TRAMP_MAX_PATCH;
	cs_insn *insn;
	csh cs;
	int err = 0;
	int64_t rel;

	memset(out, 0, sizeof(*out));
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return refuse(why, why_len, "capstone cannot decode x86-64");
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(cs);
	if (!insn) {
		cs_close(&cs);
		return refuse(why, why_len, "out of memory decoding the function");
	}
	while (out->patch_len < 5) {
		if (!left) {
			err = refuse(why, why_len, "function too short: %u bytes of whole "
				     "instructions, the jump needs 5", out->patch_len);
			break;
		}
		if (!cs_disasm_iter(cs, &code, &left, &addr, insn)) {
			err = refuse(why, why_len, "undecodable instruction at +%u",
				     out->patch_len);
			break;
		}
		if (is_group(insn, X86_GRP_INT) || insn->id == X86_INS_INT3) {
			err = refuse(why, why_len, "'%s' at +%u (a breakpoint from a debugger or "
				     "another tool?)", insn->mnemonic, out->patch_len);
			break;
		}
		if (is_group(insn, X86_GRP_RET) || is_group(insn, X86_GRP_IRET) ||
		    (insn->id == X86_INS_JMP && out->patch_len + insn->size < 5)) {
			err = refuse(why, why_len, "function too short: '%s' at +%u ends it before "
				     "the 5 bytes the jump needs", insn->mnemonic, out->patch_len);
			break;
		}
		if (out->n_insn == UB_TRAMP_MAX_INSNS) {
			err = refuse(why, why_len, "too many instructions in the first 5 bytes");
			break;
		}
		out->orig_off[out->n_insn] = (uint8_t)out->patch_len;
		out->new_off[out->n_insn] = (uint8_t)out->code_len;
		err = relocate_one(insn, dest, out, why, why_len);
		if (err)
			break;
		out->n_insn++;
		out->patch_len += insn->size;
	}
	cs_free(insn, 1);
	if (!err && body && body_len)
		err = check_body(cs, body, body_len, site, out->patch_len, why, why_len);
	cs_close(&cs);
	if (err)
		return err;
	/* jmp back to the first instruction left in place. */
	rel = (int64_t)((uint64_t)(uintptr_t)(site + out->patch_len) -
			((uint64_t)(uintptr_t)(dest + out->code_len) + 5));
	if (!fits32(rel))
		return refuse(why, why_len, "the function is more than 2 GiB from the trampoline");
	out->code[out->code_len] = 0xe9;
	put32(out->code + out->code_len + 1, (int32_t)rel);
	out->code_len += 5;
	return 0;
}
