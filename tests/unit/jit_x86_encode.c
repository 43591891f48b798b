/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jit_x86_encode.c: the x86-64 encoders of src/jit/x86_64/emit.h against known bytes (the SDM's
 * encodings, including the REX/ModRM/SIB corner cases: rbp/r13 bases need a displacement,
 * rsp/r12 bases need a SIB, byte registers 4..7 need a REX), each also decoded by capstone.
 */
#include <capstone/capstone.h>
#include <stdio.h>

#include "jit/x86_64/emit.h"
#include "test.h"

static csh cs;

static void expect(struct ub_x86_out *o, const char *hex, const char *text, const char *what)
{
	char got[128] = "";
	cs_insn *ci;
	size_t n;

	for (size_t i = 0; i < o->n && 3 * i + 3 < sizeof(got); i++)
		snprintf(got + 3 * i, sizeof(got) - 3 * i, "%02x ", o->p[i]);
	if (o->n)
		got[3 * o->n - 1] = 0;
	CHECK(!strcmp(got, hex), "%s: bytes '%s', want '%s'", what, got, hex);
	n = cs_disasm(cs, o->p, o->n, 0, 0, &ci);
	if (CHECK(n == 1 && ci[0].size == o->n, "%s: capstone decodes one instruction (%zu)", what,
		  n)) {
		char t[sizeof(ci[0].mnemonic) + sizeof(ci[0].op_str) + 2];

		snprintf(t, sizeof(t), "%s%s%s", ci[0].mnemonic, ci[0].op_str[0] ? " " : "",
			 ci[0].op_str);
		CHECK(!strcmp(t, text), "%s: capstone says '%s', want '%s'", what, t, text);
	}
	if (n)
		cs_free(ci, n);
	o->n = 0;
}

int main(void)
{
	uint8_t buf[32];
	struct ub_x86_out o = { buf, 0 };

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		SKIP("capstone cannot decode x86-64 here");
		return ub_test_done("jit_x86_encode");
	}
	ub_x86_rr(&o, X_W, 0x89, X_RDI, X_RAX);
	expect(&o, "48 89 f8", "mov rax, rdi", "mov r64, r64");
	ub_x86_rr(&o, 0, 0x31, X_R8, X_R8);
	expect(&o, "45 31 c0", "xor r8d, r8d", "REX.R and REX.B");
	ub_x86_rm(&o, X_W, 0x8b, X_RAX, X_RBP, -8);
	expect(&o, "48 8b 45 f8", "mov rax, qword ptr [rbp - 8]", "rbp base, disp8");
	ub_x86_rm(&o, X_W, 0x8b, X_RAX, X_R13, 0);
	expect(&o, "49 8b 45 00", "mov rax, qword ptr [r13]", "r13 base needs disp8 0");
	ub_x86_rm(&o, X_W, 0x89, X_RSI, X_R12, 8);
	expect(&o, "49 89 74 24 08", "mov qword ptr [r12 + 8], rsi", "r12 base needs a SIB");
	ub_x86_rm(&o, X_W, 0x8d, X_RSP, X_R12, 40);
	expect(&o, "49 8d 64 24 28", "lea rsp, [r12 + 0x28]", "lea rsp");
	ub_x86_rm(&o, X_BYTE, 0x88, X_RSI, X_RDI, 3);
	expect(&o, "40 88 77 03", "mov byte ptr [rdi + 3], sil", "sil needs a bare REX");
	ub_x86_rm(&o, X_P66, 0x89, X_RAX, X_RBX, 0x200);
	expect(&o, "66 89 83 00 02 00 00", "mov word ptr [rbx + 0x200], ax", "16-bit, disp32");
	ub_x86_alu_ri(&o, X_W, 0, X_RAX, 1);
	expect(&o, "48 83 c0 01", "add rax, 1", "imm8 form");
	ub_x86_alu_ri(&o, 0, 7, X_R11, 0x12345);
	expect(&o, "41 81 fb 45 23 01 00", "cmp r11d, 0x12345", "imm32 form");
	ub_x86_mov_imm64(&o, X_RAX, 0);
	expect(&o, "31 c0", "xor eax, eax", "mov 0");
	ub_x86_mov_imm64(&o, X_RCX, 5);
	expect(&o, "b9 05 00 00 00", "mov ecx, 5", "mov u32");
	ub_x86_mov_imm64(&o, X_R9, UINT64_MAX);
	expect(&o, "49 c7 c1 ff ff ff ff", "mov r9, -1", "mov simm32");
	ub_x86_mov_imm64(&o, X_RDX, 0x123456789ull);
	expect(&o, "48 ba 89 67 45 23 01 00 00 00", "movabs rdx, 0x123456789", "movabs");
	ub_x86_rmx(&o, X_W, 0x8b, X_R11, X_R10, X_R11);
	expect(&o, "4f 8b 1c 1a", "mov r11, qword ptr [r10 + r11]", "base + index");
	ub_x86_rm(&o, X_W | X_LOCK, 0x0fb1, X_R11, X_RDI, 16);
	expect(&o, "f0 4c 0f b1 5f 10", "lock cmpxchg qword ptr [rdi + 0x10], r11", "lock, 0f xx");
	ub_x86_rr(&o, X_W | X_BYTE, 0x0fbe, X_RAX, X_RSI);
	expect(&o, "48 0f be c6", "movsx rax, sil", "movsx r64, r8");
	ub_x86_rr(&o, X_BYTE, 0x0fbe, X_RAX, X_RSI);
	expect(&o, "40 0f be c6", "movsx eax, sil", "movsx r32, r8 (bare REX)");
	ub_x86_head(&o, X_W, 0x0fc8 + (X_R14 & 7), 0, 0, X_R14);
	expect(&o, "49 0f ce", "bswap r14", "bswap r64");
	ub_x86_rr(&o, X_P66, 0xc1, 0, X_RAX);
	ub_x86_b(&o, 8);
	expect(&o, "66 c1 c0 08", "rol ax, 8", "rol r16");
	ub_x86_rr(&o, 0, 0xff, 2, X_R11);
	expect(&o, "41 ff d3", "call r11", "call r11");
	cs_close(&cs);
	return ub_test_done("jit_x86_encode");
}
