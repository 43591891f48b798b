/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bpf_test.h: our own definitions of the instruction-building macros and of `struct bpf_test`,
 * so that the Linux verifier selftest case files (tools/testing/selftests/bpf/verifier/*.c,
 * extracted at test time from Debian's linux-source package, never stored in this repository)
 * can be #included as initialisers of a table. Only the field names and the instruction
 * encodings (Linux UAPI facts) have to match; the layout is ours.
 */
#ifndef UB_KT_BPF_TEST_H
#define UB_KT_BPF_TEST_H

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <linux/if_ether.h>

/* ---- Instruction encodings (struct bpf_insn of <linux/bpf.h>) ---------------------------- */

#define BPF_RAW_INSN(CODE, DST, SRC, OFF, IMM)                                                  \
	((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF),   \
			    .imm = (IMM) })

#define BPF_ALU64_REG(OP, DST, SRC) BPF_RAW_INSN(BPF_ALU64 | BPF_OP(OP) | BPF_X, DST, SRC, 0, 0)
#define BPF_ALU32_REG(OP, DST, SRC) BPF_RAW_INSN(BPF_ALU | BPF_OP(OP) | BPF_X, DST, SRC, 0, 0)
#define BPF_ALU64_IMM(OP, DST, IMM) BPF_RAW_INSN(BPF_ALU64 | BPF_OP(OP) | BPF_K, DST, 0, 0, IMM)
#define BPF_ALU32_IMM(OP, DST, IMM) BPF_RAW_INSN(BPF_ALU | BPF_OP(OP) | BPF_K, DST, 0, 0, IMM)
#define BPF_MOV64_REG(DST, SRC) BPF_ALU64_REG(BPF_MOV, DST, SRC)
#define BPF_MOV32_REG(DST, SRC) BPF_ALU32_REG(BPF_MOV, DST, SRC)
#define BPF_MOV64_IMM(DST, IMM) BPF_ALU64_IMM(BPF_MOV, DST, IMM)
#define BPF_MOV32_IMM(DST, IMM) BPF_ALU32_IMM(BPF_MOV, DST, IMM)

/* lddw: two slots, the second carries the high 32 bits of the immediate. */
#define BPF_LD_IMM64_RAW_FULL(DST, SRC, OFF1, OFF2, IMM1, IMM2)                                 \
	BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, DST, SRC, OFF1, IMM1),                          \
	BPF_RAW_INSN(0, 0, 0, OFF2, IMM2)
#define BPF_LD_IMM64_RAW(DST, SRC, IMM)                                                         \
	BPF_LD_IMM64_RAW_FULL(DST, SRC, 0, 0, (uint32_t)(IMM), ((uint64_t)(IMM)) >> 32)
#define BPF_LD_IMM64(DST, IMM) BPF_LD_IMM64_RAW(DST, 0, IMM)
#define BPF_LD_MAP_FD(DST, FD) BPF_LD_IMM64_RAW(DST, BPF_PSEUDO_MAP_FD, FD)
#define BPF_LD_MAP_VALUE(DST, FD, VOFF)                                                         \
	BPF_LD_IMM64_RAW_FULL(DST, BPF_PSEUDO_MAP_VALUE, 0, 0, FD, VOFF)

#define BPF_LD_ABS(SIZE, IMM) BPF_RAW_INSN(BPF_LD | BPF_SIZE(SIZE) | BPF_ABS, 0, 0, 0, IMM)
#define BPF_LD_IND(SIZE, SRC, IMM) BPF_RAW_INSN(BPF_LD | BPF_SIZE(SIZE) | BPF_IND, 0, SRC, 0, IMM)
#define BPF_LDX_MEM(SIZE, DST, SRC, OFF)                                                        \
	BPF_RAW_INSN(BPF_LDX | BPF_SIZE(SIZE) | BPF_MEM, DST, SRC, OFF, 0)
#define BPF_STX_MEM(SIZE, DST, SRC, OFF)                                                        \
	BPF_RAW_INSN(BPF_STX | BPF_SIZE(SIZE) | BPF_MEM, DST, SRC, OFF, 0)
#define BPF_ST_MEM(SIZE, DST, OFF, IMM)                                                         \
	BPF_RAW_INSN(BPF_ST | BPF_SIZE(SIZE) | BPF_MEM, DST, 0, OFF, IMM)
#define BPF_ATOMIC_OP(SIZE, OP, DST, SRC, OFF)                                                  \
	BPF_RAW_INSN(BPF_STX | BPF_SIZE(SIZE) | BPF_ATOMIC, DST, SRC, OFF, OP)

#define BPF_JMP_REG(OP, DST, SRC, OFF) BPF_RAW_INSN(BPF_JMP | BPF_OP(OP) | BPF_X, DST, SRC, OFF, 0)
#define BPF_JMP_IMM(OP, DST, IMM, OFF) BPF_RAW_INSN(BPF_JMP | BPF_OP(OP) | BPF_K, DST, 0, OFF, IMM)
#define BPF_JMP32_REG(OP, DST, SRC, OFF)                                                        \
	BPF_RAW_INSN(BPF_JMP32 | BPF_OP(OP) | BPF_X, DST, SRC, OFF, 0)
#define BPF_JMP32_IMM(OP, DST, IMM, OFF)                                                        \
	BPF_RAW_INSN(BPF_JMP32 | BPF_OP(OP) | BPF_K, DST, 0, OFF, IMM)
#define BPF_JMP_A(OFF) BPF_RAW_INSN(BPF_JMP | BPF_JA, 0, 0, OFF, 0)
#define BPF_EMIT_CALL(FUNC) BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, FUNC)
#define BPF_CALL_REL(IMM) BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, IMM)
#define BPF_EXIT_INSN() BPF_RAW_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* ---- BTF record encodings (only so that cases carrying BTF compile; such cases are skipped) */

#define UB_KT_BTF_INFO(kind, vlen) (((uint32_t)(kind) << 24) | (uint32_t)(vlen))
#define BTF_INT_SIGNED 1
#define BTF_END_RAW 0xdeadbeef
#define BTF_TYPE_INT_ENC(name, enc, bit_off, bits, sz)                                          \
	(name), UB_KT_BTF_INFO(1, 0), (sz), (((enc) << 24) | ((bit_off) << 16) | (bits))
#define BTF_PTR_ENC(type) 0, UB_KT_BTF_INFO(2, 0), (type)
#define BTF_FUNC_PROTO_ENC(ret, nargs) 0, UB_KT_BTF_INFO(13, nargs), (ret)
#define BTF_FUNC_PROTO_ARG_ENC(name, type) (name), (type)
#define BTF_FUNC_ENC(name, proto) (name), UB_KT_BTF_INFO(12, 0), (proto)

/* ---- Constants and prologues the case files use ------------------------------------------ */

#define BPF_REG_FP BPF_REG_10
#define offsetofend(TYPE, FIELD) (offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))

/*
 * Shared prologues of the jmp32 cases (7, 4 and 5 instructions; their meaning is what the
 * cases rely on): r2 = skb data with 8 bytes proven readable (r0 = 0, exit otherwise);
 * r7 = a random u32 below 2^31, zero-extended; r7 = a random negative s32, sign-extended.
 */
#define BPF_DIRECT_PKT_R2                                                                       \
	BPF_MOV64_IMM(BPF_REG_0, 0),                                                            \
	BPF_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, offsetof(struct __sk_buff, data)),             \
	BPF_LDX_MEM(BPF_W, BPF_REG_3, BPF_REG_1, offsetof(struct __sk_buff, data_end)),         \
	BPF_MOV64_REG(BPF_REG_4, BPF_REG_2), BPF_ALU64_IMM(BPF_ADD, BPF_REG_4, 8),             \
	BPF_JMP_REG(BPF_JLE, BPF_REG_4, BPF_REG_3, 1), BPF_EXIT_INSN()
#define BPF_RAND_UEXT_R7                                                                        \
	BPF_EMIT_CALL(BPF_FUNC_get_prandom_u32), BPF_MOV64_REG(BPF_REG_7, BPF_REG_0),           \
	BPF_ALU64_IMM(BPF_LSH, BPF_REG_7, 33), BPF_ALU64_IMM(BPF_RSH, BPF_REG_7, 33)
#define BPF_RAND_SEXT_R7                                                                        \
	BPF_EMIT_CALL(BPF_FUNC_get_prandom_u32), BPF_MOV64_REG(BPF_REG_7, BPF_REG_0),           \
	BPF_ALU64_IMM(BPF_OR, BPF_REG_7, 0x80000000), BPF_ALU64_IMM(BPF_LSH, BPF_REG_7, 32),    \
	BPF_ALU64_IMM(BPF_ARSH, BPF_REG_7, 32)

#define MAX_ENTRIES 11
#define POINTER_VALUE 0xcafe4all
#define TEST_DATA_LEN 64
#define INSN_OFF_MASK ((int16_t)0xFFFF)
#define INSN_IMM_MASK ((int32_t)0xFFFFFFFF)
#define SKIP_INSNS() BPF_RAW_INSN(0xde, 0xa, 0xd, 0xbeef, 0xdeadbeef)
#ifndef U64_MAX
#define U64_MAX UINT64_MAX
#endif

/* Case flags (test_verifier's F_*): how to load. */
#define F_NEEDS_EFFICIENT_UNALIGNED_ACCESS (1 << 0) /* load with BPF_F_ANY_ALIGNMENT */
#define F_LOAD_WITH_STRICT_ALIGNMENT (1 << 1)      /* load with BPF_F_STRICT_ALIGNMENT */
#define F_NEEDS_JIT_ENABLED (1 << 2)

/* The value types of the maps that fixups create (sizes are what matters: 48 and 16 bytes). */
struct test_val {
	unsigned int index;
	int foo[MAX_ENTRIES];
};

struct other_val {
	long long foo;
	long long bar;
};

/* ---- One case ----------------------------------------------------------------------------- */

#define UB_KT_MAX_INSNS BPF_MAXINSNS /* 4096, the size of a case's instruction array */
#define UB_KT_MAX_FIXUPS 8

struct kfunc_btf_id_pair {
	const char *kfunc;
	int insn_idx;
};

enum { UNDEF, ACCEPT, REJECT, VERBOSE_ACCEPT };

/* One run's input and expected return (unused here: we compare verdicts, not results). */
struct ub_kt_run {
	uint32_t retval, retval_unpriv;
	union {
		uint8_t data[TEST_DATA_LEN];
		uint64_t data64[TEST_DATA_LEN / 8];
	};
};

struct bpf_test {
	const char *descr;
	struct bpf_insn insns[UB_KT_MAX_INSNS];
	struct bpf_insn *fill_insns;
	struct bpf_insn expected_insns[32];
	struct bpf_insn unexpected_insns[32];
	/* Instruction indexes whose imm becomes the fd of a map of that kind (0-terminated). */
	int fixup_map_hash_8b[UB_KT_MAX_FIXUPS];
	int fixup_map_hash_48b[UB_KT_MAX_FIXUPS];
	int fixup_map_hash_16b[UB_KT_MAX_FIXUPS];
	int fixup_map_array_48b[UB_KT_MAX_FIXUPS];
	int fixup_map_sockmap[UB_KT_MAX_FIXUPS];
	int fixup_map_sockhash[UB_KT_MAX_FIXUPS];
	int fixup_map_xskmap[UB_KT_MAX_FIXUPS];
	int fixup_map_stacktrace[UB_KT_MAX_FIXUPS];
	int fixup_prog1[UB_KT_MAX_FIXUPS];
	int fixup_prog2[UB_KT_MAX_FIXUPS];
	int fixup_map_in_map[UB_KT_MAX_FIXUPS];
	int fixup_cgroup_storage[UB_KT_MAX_FIXUPS];
	int fixup_percpu_cgroup_storage[UB_KT_MAX_FIXUPS];
	int fixup_map_spin_lock[UB_KT_MAX_FIXUPS];
	int fixup_map_array_ro[UB_KT_MAX_FIXUPS];
	int fixup_map_array_wo[UB_KT_MAX_FIXUPS];
	int fixup_map_array_small[UB_KT_MAX_FIXUPS];
	int fixup_sk_storage_map[UB_KT_MAX_FIXUPS];
	int fixup_map_event_output[UB_KT_MAX_FIXUPS];
	int fixup_map_reuseport_array[UB_KT_MAX_FIXUPS];
	int fixup_map_ringbuf[UB_KT_MAX_FIXUPS];
	int fixup_map_timer[UB_KT_MAX_FIXUPS];
	int fixup_map_kptr[UB_KT_MAX_FIXUPS];
	struct kfunc_btf_id_pair fixup_kfunc_btf_id[UB_KT_MAX_FIXUPS];
	const char *errstr;
	const char *errstr_unpriv;
	uint32_t insn_processed;
	int prog_len;
	int result, result_unpriv; /* UNDEF, ACCEPT, REJECT, VERBOSE_ACCEPT */
	enum bpf_prog_type prog_type;
	uint8_t flags;
	void (*fill_helper)(struct bpf_test *self);
	int runs;
	union {
		struct {
			uint32_t retval, retval_unpriv;
			union {
				uint8_t data[TEST_DATA_LEN];
				uint64_t data64[TEST_DATA_LEN / 8];
			};
		};
		struct ub_kt_run retvals[8];
	};
	enum bpf_attach_type expected_attach_type;
	const char *kfunc;
	struct bpf_func_info func_info[8];
	int func_info_cnt;
	char btf_strings[256];
	uint32_t btf_types[256];
};

#endif /* UB_KT_BPF_TEST_H */
