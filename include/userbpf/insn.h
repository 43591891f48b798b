/* SPDX-License-Identifier: Apache-2.0 */
/* userbpf/insn.h: the eBPF instruction layout and opcode fields, numbered as Linux UAPI. */
#ifndef USERBPF_INSN_H
#define USERBPF_INSN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * One 64-bit instruction slot, bit-compatible with Linux's struct bpf_insn
 * (little-endian host: dst_reg in the low nibble of byte 1).
 * A wide instruction (lddw) uses two slots; the second has code 0 and carries imm[63:32].
 */
struct userbpf_insn {
	uint8_t code;
	uint8_t dst_reg : 4;
	uint8_t src_reg : 4;
	int16_t off;
	int32_t imm;
};

/* Instruction classes (code & 0x07). */
#define USERBPF_LD    0x00
#define USERBPF_LDX   0x01
#define USERBPF_ST    0x02
#define USERBPF_STX   0x03
#define USERBPF_ALU   0x04
#define USERBPF_JMP   0x05
#define USERBPF_JMP32 0x06
#define USERBPF_ALU64 0x07
#define USERBPF_CLASS(code) ((code) & 0x07)

/* Load/store: size (code & 0x18) and mode (code & 0xe0). */
#define USERBPF_W  0x00
#define USERBPF_H  0x08
#define USERBPF_B  0x10
#define USERBPF_DW 0x18
#define USERBPF_SIZE(code) ((code) & 0x18)
#define USERBPF_IMM    0x00
#define USERBPF_ABS    0x20
#define USERBPF_IND    0x40
#define USERBPF_MEM    0x60
#define USERBPF_MEMSX  0x80
#define USERBPF_ATOMIC 0xc0
#define USERBPF_MODE(code) ((code) & 0xe0)

/* ALU and jump: operation (code & 0xf0) and source (code & 0x08). */
#define USERBPF_K 0x00
#define USERBPF_X 0x08
#define USERBPF_SRC(code) ((code) & 0x08)
#define USERBPF_OP(code) ((code) & 0xf0)

#define USERBPF_ADD  0x00
#define USERBPF_SUB  0x10
#define USERBPF_MUL  0x20
#define USERBPF_DIV  0x30
#define USERBPF_OR   0x40
#define USERBPF_AND  0x50
#define USERBPF_LSH  0x60
#define USERBPF_RSH  0x70
#define USERBPF_NEG  0x80
#define USERBPF_MOD  0x90
#define USERBPF_XOR  0xa0
#define USERBPF_MOV  0xb0
#define USERBPF_ARSH 0xc0
#define USERBPF_END  0xd0
#define USERBPF_TO_LE 0x00 /* in ALU64 class: unconditional bswap */
#define USERBPF_TO_BE 0x08

#define USERBPF_JA    0x00
#define USERBPF_JEQ   0x10
#define USERBPF_JGT   0x20
#define USERBPF_JGE   0x30
#define USERBPF_JSET  0x40
#define USERBPF_JNE   0x50
#define USERBPF_JSGT  0x60
#define USERBPF_JSGE  0x70
#define USERBPF_CALL  0x80
#define USERBPF_EXIT  0x90
#define USERBPF_JLT   0xa0
#define USERBPF_JLE   0xb0
#define USERBPF_JSLT  0xc0
#define USERBPF_JSLE  0xd0
#define USERBPF_JCOND 0xe0 /* Linux: may_goto when src_reg == USERBPF_MAY_GOTO */
#define USERBPF_MAY_GOTO 0

/* Atomic operations: imm of a USERBPF_STX | USERBPF_ATOMIC instruction. */
#define USERBPF_FETCH     0x01
#define USERBPF_XCHG      (0xe0 | USERBPF_FETCH)
#define USERBPF_CMPXCHG   (0xf0 | USERBPF_FETCH)
#define USERBPF_LOAD_ACQ  0x100
#define USERBPF_STORE_REL 0x110

/* src_reg of a wide lddw (Linux BPF_PSEUDO_*). */
#define USERBPF_PSEUDO_IMM64         0 /* plain 64-bit immediate */
#define USERBPF_PSEUDO_MAP_FD        1 /* imm = map handle */
#define USERBPF_PSEUDO_MAP_VALUE     2 /* imm = map handle, next imm = offset in value */
#define USERBPF_PSEUDO_BTF_ID        3 /* imm = BTF id of a kernel/host variable */
#define USERBPF_PSEUDO_FUNC          4 /* imm = relative insn offset of a callback */
#define USERBPF_PSEUDO_MAP_IDX       5 /* imm = index into the program's map array */
#define USERBPF_PSEUDO_MAP_IDX_VALUE 6 /* imm = map index, next imm = offset */

/* src_reg of a call (Linux BPF_PSEUDO_CALL / BPF_PSEUDO_KFUNC_CALL). */
#define USERBPF_CALL_HELPER 0
#define USERBPF_CALL_LOCAL  1 /* imm = relative insn offset of the callee */
#define USERBPF_CALL_KFUNC  2 /* imm = host function (kfunc) id */

/* Registers. */
#define USERBPF_REG_0  0
#define USERBPF_REG_10 10
#define USERBPF_NREGS  11
#define USERBPF_STACK_SIZE 512 /* bytes per frame */
#define USERBPF_MAX_FRAMES 8

#ifdef __cplusplus
}
#endif
#endif /* USERBPF_INSN_H */
