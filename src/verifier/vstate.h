/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vstate.h: the verifier's internal model: abstract registers, stack frames, states on a path,
 * and the per-run environment. Shared by every file of src/verifier/.
 */
#ifndef UB_VSTATE_H
#define UB_VSTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "helpers/helpers.h"
#include "helpers/progtypes.h"
#include "isa/isa.h"
#include "verifier/bounds.h"
#include "verifier/verifier.h"

/* Linux's limits. */
#define UB_MAX_PROCESSED 1000000u  /* BPF_COMPLEXITY_LIMIT_INSNS */
#define UB_MAX_SUBPROGS 256
#define UB_MAX_FRAMES USERBPF_MAX_FRAMES
#define UB_STACK 512               /* MAX_BPF_STACK, combined over the call chain */
#define UB_MAX_BRANCHES 8192       /* BPF_COMPLEXITY_LIMIT_JMP_SEQ: pending branches */
#define UB_MAX_STORED_STATES 65536 /* beyond this, no new checkpoints (slower, still sound) */
#define UB_MAX_STATES_PER_INSN 64  /* the same, per instruction */
#define UB_MAX_PKT_OFF 0xffff      /* MAX_PACKET_OFF */
#define UB_MAX_VAR_OFF (1 << 29)   /* BPF_MAX_VAR_OFF */
#define UB_MAX_REFS 64
#define UB_MAX_CTX_RW 65535        /* syscall programs' context: U16_MAX, as Linux */

/* Register types (Linux's enum bpf_reg_type, the subset userbpf has). */
enum ub_rtype {
	UB_NOT_INIT = 0,
	UB_SCALAR,
	UB_PTR_CTX,
	UB_PTR_STACK,
	UB_PTR_MAP_VALUE,
	UB_CONST_MAP,     /* the map itself (lddw map) */
	UB_PTR_PKT,
	UB_PTR_PKT_META,
	UB_PTR_PKT_END,
	UB_PTR_MEM,       /* mem_size bytes (ringbuf record) */
	UB_PTR_FUNC,      /* a callback (lddw func) */
	UB_RTYPE_COUNT,
};

#define UB_RF_NULL 0x1   /* may be NULL: must be checked before use */
#define UB_RF_RDONLY 0x2 /* read-only memory */
#define UB_RF_WRONLY 0x4 /* write-only map value (BPF_F_WRONLY_PROG) */

/* Scalar id of the raw-memory length register (r2 of USERBPF_PROG_TYPE_UNSPEC). */
#define UB_LEN_ID 1u

struct ub_reg {
	struct ub_scalar s; /* scalar value; for pointers, the variable part of the offset */
	uint8_t type;       /* enum ub_rtype */
	uint8_t flags;      /* UB_RF_* */
	uint8_t frameno;    /* PTR_STACK: frame the pointer points into */
	uint8_t precise;
	int32_t off;        /* pointers: fixed offset */
	uint32_t id;        /* NULL-check group, linked scalars, packet pointer family */
	uint32_t ref_obj_id; /* reference this pointer holds (ringbuf record) */
	int32_t range;      /* packet pointers: bytes known readable from off 0 of this pointer */
	uint32_t mem_size;  /* PTR_MEM size; PTR_MAP_VALUE: value size */
	int32_t map;        /* CONST_MAP / PTR_MAP_VALUE: index in prog->maps; FUNC: subprog */
};

/* Per-byte stack state. */
enum ub_slot_type { UB_ST_INVALID = 0, UB_ST_MISC, UB_ST_ZERO, UB_ST_SPILL };

/* One 8-byte stack slot: the state of each byte and, for a spill, the register spilled. */
struct ub_slot {
	uint8_t type[8];    /* type[i] is byte (slot base + i) */
	struct ub_reg spill; /* valid when every byte is UB_ST_SPILL */
};

struct ub_frame {
	struct ub_reg regs[USERBPF_NREGS];
	int callsite;       /* insn of the call that created this frame, -1 for the main one */
	int subprog;
	int nslots;         /* slots[i] covers bytes [-(i+1)*8, -i*8) from the frame pointer */
	struct ub_slot *slots;
	bool in_callback;   /* frame of a callback (bpf_loop): r0 must be 0 or 1 */
	int cb_callsite;    /* for callbacks: the helper call that will be re-entered */
	int cb_nrefs;       /* for callbacks: references held at entry */
};

struct ub_ref {
	uint32_t id;
	int insn;
};

struct ub_vstate {
	struct ub_frame *frames[UB_MAX_FRAMES];
	int curframe;
	struct ub_ref refs[UB_MAX_REFS];
	int nrefs;
	/* Pruning bookkeeping (explored states only). */
	struct ub_vstate *parent;  /* the checkpoint this path went through last */
	uint32_t branches;         /* paths from here not finished yet */
	int insn;                  /* where this checkpoint was taken */
	uint64_t may_goto_depth;   /* may_goto iterations on this path */
	uint32_t loop_iters;       /* back-edges taken on this path since the checkpoint */
};

/* An explored state stored at an instruction (singly linked per insn). */
struct ub_sl {
	struct ub_sl *next;
	struct ub_vstate st;
	uint32_t hits, misses;
};

/* A branch still to explore. */
struct ub_branch {
	struct ub_vstate st;
	int insn, prev_insn;
	size_t log_pos;
};

/* The verifier log: Linux-style text into the caller's buffer. */
struct ub_vlog {
	char *buf;
	size_t size, len;  /* len: bytes written (may exceed size: truncated) */
	unsigned level;
};

/* Per-instruction facts found by the CFG pass and the walk. */
struct ub_insn_aux {
	int id;               /* opcode row (enum ub_insn_id), UB_I_INVALID for lddw 2nd half */
	int subprog;
	uint8_t prune;        /* a jump target or after a branch: a checkpoint */
	uint8_t seen;
	uint8_t ctx_field;    /* ctx load/store to rewrite */
	uint8_t is_jmp_target;
	const struct ub_ctx_field *field;
	int32_t ptr_type;     /* type of the pointer a load/store went through, -1 mixed */
	uint16_t relevant;    /* registers whose scalar value may still matter (cfg.c) */
	uint16_t linked;      /* conditional jump: registers that may share an id with its operands */
	uint8_t decided;      /* a conditional jump found one-sided on some path */
};

struct ub_subprog {
	int start, end;       /* [start, end) */
	int stack_depth;      /* bytes of stack used, rounded to 8 */
	bool is_callback;
	bool has_call;
	bool has_ld_abs;
};

/* The map facts the verifier needs, copied from prog->maps at start. */
struct ub_vmap {
	uint32_t type, key_size, value_size, max_entries, flags;
	bool known;
	int inner;            /* map-in-map: index of the inner template's entry, else -1 */
};

struct ub_verifier {
	struct userbpf_prog *prog;
	const struct userbpf_insn *insns;
	int cnt;
	const struct ub_prog_type_info *ptype;
	const struct ub_verify_opts *opts;
	bool unpriv;
	bool gpl;
	struct ub_log *sink;
	struct ub_vlog log;
	struct ub_insn_aux *aux;
	struct ub_subprog subprogs[UB_MAX_SUBPROGS + 1];
	int nsubprogs;
	struct ub_vmap *maps;

	struct ub_vstate *cur;
	int insn, prev_insn;
	struct ub_branch *stack;       /* pending branches */
	int nstack, capstack;
	struct ub_sl **explored;       /* per insn */
	struct ub_sl *retired;         /* dropped from the search but still parents of paths */
	uint32_t id_gen;
	uint32_t max_ctx_end;          /* RAW_RW context: bytes the accesses need */
	char helper_name[64];          /* scratch for the disassembler's helper names */
	struct ub_record *record;      /* USERBPF_VERIFY_F_RECORD (record.c) */
	bool rerun;                    /* a branch became decided: relevance changed, walk again */

	/* Result. */
	int err;                       /* first rejection's errno */
	int err_insn;
	int err_key;                   /* enum ub_verr_id of the rejection */
	char err_msg[256];
	/* Stats. */
	uint64_t processed;
	uint64_t total_states, peak_states, cur_states, max_states_per_insn;
	uint64_t stored_states;
};

/* Rejection reasons: one table (errors.def) with Linux's sentence and our explanation. */
enum ub_verr_id {
#define UB_VERR(id, fmt, why) UB_E_##id,
#include "verifier/errors.def"
#undef UB_VERR
	UB_E_COUNT,
};

/* Reject the program at the current instruction: logs the sentence, returns -EACCES. */
int ub_reject(struct ub_verifier *v, int key, ...);
/* Reject with another errno (-E2BIG for limits). */
int ub_reject_err(struct ub_verifier *v, int err, int key, ...);

/* log.c */
void ub_vlog_printf(struct ub_verifier *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ub_vlog_insn(struct ub_verifier *v, int idx);
void ub_vlog_state(struct ub_verifier *v, const struct ub_vstate *st);
void ub_vlog_finish(struct ub_verifier *v, uint64_t time_ns);
const char *ub_rtype_name(unsigned type, unsigned flags);

/* cfg.c: subprograms, reachability, loops structure. */
int ub_check_cfg(struct ub_verifier *v);
int ub_subprog_of(const struct ub_verifier *v, int insn);
void ub_compute_relevance(struct ub_verifier *v);

/* states.c */
struct ub_vstate *ub_state_new(struct ub_verifier *v);
int ub_state_copy(struct ub_vstate *dst, const struct ub_vstate *src);
void ub_state_free_frames(struct ub_vstate *st);
struct ub_frame *ub_frame_new(void);
int ub_prune(struct ub_verifier *v, int insn);
void ub_update_branches(struct ub_verifier *v, struct ub_vstate *st);
void ub_explored_free(struct ub_verifier *v);

/* regs (alu.c) */
void ub_mark_unknown(struct ub_reg *r);
void ub_mark_not_init(struct ub_reg *r);
void ub_mark_const(struct ub_reg *r, uint64_t v);
bool ub_is_pointer(const struct ub_reg *r);
bool ub_is_pkt(const struct ub_reg *r);
int ub_check_reg_read(struct ub_verifier *v, int regno);
int ub_check_alu(struct ub_verifier *v, const struct userbpf_insn *insn, int id);

/* branch.c */
int ub_check_cond_jmp(struct ub_verifier *v, const struct userbpf_insn *insn, int *next);
int ub_push_branch(struct ub_verifier *v, int insn, int prev);

/* mem.c */
int ub_check_load_store(struct ub_verifier *v, const struct userbpf_insn *insn, int id);
int ub_check_lddw(struct ub_verifier *v, const struct userbpf_insn *insn, int id);
int ub_check_ld_abs(struct ub_verifier *v, const struct userbpf_insn *insn, int id);
/* Check [reg + off, + size) is accessible memory for a helper (read, write, uninit ok). */
int ub_check_helper_mem(struct ub_verifier *v, int regno, const struct ub_reg *size_reg,
			uint64_t size, bool write, bool zero_ok, bool uninit_ok);
struct ub_slot *ub_stack_slot(struct ub_frame *f, int byte_off, bool grow);
void ub_stack_mark_written(struct ub_verifier *v, struct ub_frame *f, int lo, int hi);

/* calls.c */
int ub_check_call(struct ub_verifier *v, const struct userbpf_insn *insn, int id, int *next);
int ub_check_exit(struct ub_verifier *v, int *next, bool *done);

/* refs.c */
int ub_ref_acquire(struct ub_verifier *v, int insn, uint32_t *id);
int ub_ref_release(struct ub_verifier *v, uint32_t id);
int ub_refs_check_exit(struct ub_verifier *v);

/* record.c: per-insn joins of abstract scalars for the runtime soundness check. */
int ub_record_init(struct ub_verifier *v);
void ub_record_state(struct ub_verifier *v, int insn);
void ub_record_finish(struct ub_verifier *v, bool keep);

/* fixups.c */
int ub_fixups(struct ub_verifier *v);

static inline struct ub_frame *ub_cur_frame(struct ub_verifier *v)
{
	return v->cur->frames[v->cur->curframe];
}

static inline struct ub_reg *ub_reg(struct ub_verifier *v, int regno)
{
	return &ub_cur_frame(v)->regs[regno];
}

/* Apply fn to every register and spilled register of every frame of a state. */
#define UB_FOR_EACH_REG(st, r, body)                                                          \
	do {                                                                                  \
		for (int fi_ = 0; fi_ <= (st)->curframe; fi_++) {                              \
			struct ub_frame *f_ = (st)->frames[fi_];                              \
			for (int ri_ = 0; ri_ < USERBPF_NREGS; ri_++) {                       \
				struct ub_reg *r = &f_->regs[ri_];                            \
				body;                                                         \
			}                                                                     \
			for (int si_ = 0; si_ < f_->nslots; si_++) {                          \
				if (f_->slots[si_].type[0] != UB_ST_SPILL)                    \
					continue;                                             \
				struct ub_reg *r = &f_->slots[si_].spill;                     \
				body;                                                         \
			}                                                                     \
		}                                                                             \
	} while (0)

#endif /* UB_VSTATE_H */
