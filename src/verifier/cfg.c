/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cfg.c: the program's structure before any path is walked: decode, subprogram boundaries
 * (from local calls and callback references), jumps that leave their function or land in an
 * lddw, functions that fall off their end, unreachable code, recursion, prune points.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/vstate.h"

int ub_subprog_of(const struct ub_verifier *v, int insn)
{
	int lo = 0, hi = v->nsubprogs - 1;

	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;

		if (v->subprogs[mid].start <= insn)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static int add_subprog(struct ub_verifier *v, int start)
{
	for (int i = 0; i < v->nsubprogs; i++)
		if (v->subprogs[i].start == start)
			return 0;
	if (v->nsubprogs >= UB_MAX_SUBPROGS)
		return ub_reject_err(v, -E2BIG, UB_E_TOO_MANY_SUBPROGS);
	v->subprogs[v->nsubprogs++].start = start;
	return 0;
}

static int cmp_subprog(const void *a, const void *b)
{
	return ((const struct ub_subprog *)a)->start - ((const struct ub_subprog *)b)->start;
}

/* Where the jump at i goes, or -1 when it is not a jump. */
static int jump_target(const struct ub_verifier *v, int i)
{
	const struct userbpf_insn *in = &v->insns[i];
	int id = v->aux[i].id;

	if (id < 0)
		return -1;
	if (id == UB_I_JA32)
		return i + in->imm + 1;
	if (ub_fmt_info[ub_insn_table[id].fmt].uses & UB_U_JUMP)
		return i + in->off + 1;
	return -1;
}

static bool is_uncond(int id)
{
	return id == UB_I_JA || id == UB_I_JA32 || id == UB_I_EXIT;
}

/* Recursion check over the call graph: DFS with colours. */
static int check_recursion(struct ub_verifier *v, int sp, uint8_t *colour)
{
	colour[sp] = 1;
	for (int i = v->subprogs[sp].start; i < v->subprogs[sp].end; i++) {
		const struct userbpf_insn *in = &v->insns[i];
		int t, tsp, err;

		if (v->aux[i].id != UB_I_CALL_LOCAL && v->aux[i].id != UB_I_LDDW_FUNC)
			continue;
		t = i + in->imm + 1;
		tsp = ub_subprog_of(v, t);
		if (colour[tsp] == 1) {
			v->insn = i;
			return ub_reject(v, UB_E_BACK_EDGE, i, t);
		}
		if (colour[tsp] == 0) {
			err = check_recursion(v, tsp, colour);
			if (err)
				return err;
		}
	}
	colour[sp] = 2;
	return 0;
}

/*
 * Which registers may still matter for safety at each instruction (aux.relevant): a backward
 * data-flow over the CFG from the places where a scalar's value decides something (an
 * address, a branch, a helper argument, a stored value, a checked return value) through the
 * ALU instructions that compute it. At a checkpoint, two scalars in a register that does not
 * matter are interchangeable (a cheap stand-in for Linux's precision tracking): a counter
 * that only ends up in an unchecked return value no longer splits the walk in two at every
 * join.
 */
static uint16_t relevant_in(const struct ub_verifier *v, int i, uint16_t out)
{
	const struct userbpf_insn *in = &v->insns[i];
	int id = v->aux[i].id;
	uint16_t d = (uint16_t)(1u << in->dst_reg), s = (uint16_t)(1u << in->src_reg);
	uint16_t args = 0x3e, r0_5 = 0x3f;

	switch (ub_insn_table[id].fmt) {
	case UB_F_ALU_K:
	case UB_F_NEG:
	case UB_F_END:
		if (USERBPF_OP(in->code) == USERBPF_MOV)
			return out & (uint16_t)~d;
		return out;
	case UB_F_ALU_X:
	case UB_F_MOVSX:
		if (!(out & d))
			return out;
		if (USERBPF_OP(in->code) == USERBPF_MOV)
			return (uint16_t)((out & ~d) | s);
		return out | s;
	case UB_F_LDX:
	case UB_F_LOAD_ACQ:
		return (uint16_t)((out & ~d) | s);
	case UB_F_ST:
		return out | d;
	case UB_F_STX:
	case UB_F_STORE_REL:
	case UB_F_ATOMIC:
		return out | d | s | 1u;
	case UB_F_LDDW:
		return out & (uint16_t)~d;
	case UB_F_LDABS:
	case UB_F_LDIND:
		return (uint16_t)((out & ~r0_5) | (1u << 6) | s);
	/*
	 * A branch whose outcome the walk found decided by the values makes them matter. So
	 * does a branch after which one of its operands, or a register that may be linked to
	 * one (same id: compute_links), matters: a comparison refines every register linked to
	 * its operands. Example (an unsafe accept this rule fixes): r7 = r8 = rand;
	 * r0 = rand; if r8 >= r0 goto out; if r7 == 0 goto out; <bad access>. The first branch
	 * proves r7 == 0 only on paths where r0 <= 1; had r0 not mattered there, a path with
	 * r0 = 5 would be pruned against it and the bad access never seen.
	 */
	case UB_F_JMP_K:
		return (v->aux[i].decided || (out & (d | v->aux[i].linked))) ? out | d : out;
	case UB_F_JMP_X:
		return (v->aux[i].decided || (out & (d | s | v->aux[i].linked))) ? out | d | s : out;
	case UB_F_CALL:
	case UB_F_CALL_LOCAL:
	case UB_F_CALL_KFUNC:
	case UB_F_CALLX:
		return (uint16_t)((out & ~r0_5) | args);
	case UB_F_EXIT:
		/* r0 matters at a function's exit, and at the program's when its range is checked. */
		if (v->aux[i].subprog || v->ptype->ret_min <= v->ptype->ret_max)
			return 1u;
		return v->unpriv ? 1u : 0; /* unprivileged: a pointer must not leak */
	default:
		return 0x7ff;
	}
}

/*
 * May-link analysis, forward to a fixpoint: L[r] (r < 11) is the set of registers that may
 * share a scalar id with r: copies made by `rX = rY`, and what a fill from the stack may
 * bring back. L[UB_LK_STACK] is the set of registers that may point to the stack: a load
 * through one of them may fill a spilled, linked scalar. Over-approximating is safe: it only
 * makes more registers matter. Each conditional jump records in aux.linked the registers
 * possibly linked to its operands.
 */
#define UB_ALL_REGS 0x7ff
#define UB_LK_STACK 11
#define UB_LK_N 12
static void link_transfer(const struct ub_verifier *v, int i, uint16_t *L)
{
	const struct userbpf_insn *in = &v->insns[i];
	int id = v->aux[i].id, fmt = ub_insn_table[id].fmt;
	int d = in->dst_reg, s = in->src_reg;
	uint16_t *stk = &L[UB_LK_STACK];

	/* unlink(r): r gets a value of its own. link_all(r): r may be linked to anything. */
#define UNLINK(r) do { for (int q_ = 0; q_ < 11; q_++) L[q_] &= (uint16_t)~(1u << (r)); \
		       L[r] = 0; } while (0)
#define LINK_ALL(r) do { for (int q_ = 0; q_ < 11; q_++) L[q_] |= (uint16_t)(1u << (r)); \
			 L[r] = UB_ALL_REGS; } while (0)
#define SET_STACK(r, on) (*stk = (uint16_t)((on) ? (*stk | (1u << (r))) : (*stk & ~(1u << (r)))))
	switch (fmt) {
	case UB_F_ALU_X:
	case UB_F_MOVSX:
		if (USERBPF_OP(in->code) == USERBPF_MOV) {
			uint16_t ls = (uint16_t)(L[s] | (1u << s));

			UNLINK(d);
			L[d] = (uint16_t)(ls & ~(1u << d));
			for (int q = 0; q < 11; q++)
				if (ls & (1u << q) && q != d)
					L[q] |= (uint16_t)(1u << d);
			SET_STACK(d, *stk & (1u << s));
		} else if (*stk & (1u << s)) {
			SET_STACK(d, 1); /* scalar += stack pointer */
		}
		break; /* other ALU ops may keep an id (Linux links rX += const): keep the links */
	case UB_F_ALU_K:
		if (USERBPF_OP(in->code) == USERBPF_MOV) {
			UNLINK(d);
			SET_STACK(d, 0);
		}
		break;
	case UB_F_LDDW:
		UNLINK(d);
		SET_STACK(d, 0);
		break;
	case UB_F_LDX:
	case UB_F_LOAD_ACQ:
		if (*stk & (1u << s)) {
			LINK_ALL(d); /* a fill of a spilled scalar keeps its id */
			SET_STACK(d, 1); /* or is a spilled stack pointer */
		} else {
			UNLINK(d);
			SET_STACK(d, 0);
		}
		break;
	case UB_F_ATOMIC:
		LINK_ALL(s);
		LINK_ALL(0);
		SET_STACK(s, *stk & (1u << d));
		SET_STACK(0, *stk & (1u << d));
		break;
	case UB_F_CALL:
	case UB_F_CALLX:
	case UB_F_CALL_KFUNC:
	case UB_F_LDABS:
	case UB_F_LDIND:
		for (int r = 0; r <= 5; r++) {
			UNLINK(r);
			SET_STACK(r, 0);
		}
		break;
	case UB_F_CALL_LOCAL:
		for (int r = 1; r <= 5; r++) {
			UNLINK(r);
			SET_STACK(r, 0);
		}
		LINK_ALL(0); /* a callee may return a copy of an argument */
		SET_STACK(0, 1);
		break;
	default:
		break;
	}
#undef UNLINK
#undef LINK_ALL
#undef SET_STACK
}

static void compute_links(struct ub_verifier *v)
{
	int n = v->cnt;
	uint16_t(*in)[UB_LK_N] = calloc((size_t)n + 1, sizeof(*in));
	bool changed = true;

	if (!in) {
		for (int i = 0; i < n; i++)
			v->aux[i].linked = UB_ALL_REGS;
		return;
	}
	in[0][UB_LK_STACK] = 1u << 10;
	/* Subprogram entries: their arguments may be linked to anything, or point to a stack. */
	for (int sp = 1; sp < v->nsubprogs; sp++)
		for (int r = 0; r < UB_LK_N; r++)
			in[v->subprogs[sp].start][r] = UB_ALL_REGS;
	for (int sweep = 0; changed; sweep++) {
		changed = false;
		for (int i = 0; i < n; i++) {
			int id = v->aux[i].id, t, nx;
			uint16_t L[UB_LK_N];

			if (id == UB_I_INVALID)
				continue;
			memcpy(L, in[i], sizeof(L));
			if (sweep == 64) /* loops keep it moving: everything may be linked */
				for (int r = 0; r < UB_LK_N; r++)
					L[r] = UB_ALL_REGS;
			if (ub_fmt_info[ub_insn_table[id].fmt].uses & UB_U_JUMP) {
				const struct userbpf_insn *ins = &v->insns[i];

				v->aux[i].linked = (uint16_t)(L[ins->dst_reg] | L[ins->src_reg]);
			}
			link_transfer(v, i, L);
			t = jump_target(v, i);
			nx = is_uncond(id) ? -1 : i + (int)ub_isa_slots(&v->insns[i]);
			for (int k = 0; k < 2; k++) {
				int succ = k ? t : nx;

				if (succ < 0 || succ >= n)
					continue;
				for (int r = 0; r < UB_LK_N; r++) {
					uint16_t u = (uint16_t)(in[succ][r] | L[r]);

					if (u != in[succ][r]) {
						in[succ][r] = u;
						changed = true;
					}
				}
			}
		}
		if (sweep == 64)
			break;
	}
	free(in);
}

/* Backward sweeps to a fixpoint; if loops keep it moving too long, everything matters. */
void ub_compute_relevance(struct ub_verifier *v)
{
	int n = v->cnt;
	bool changed = true;

	compute_links(v);
	for (int i = 0; i < n; i++)
		v->aux[i].relevant = 0;
	for (int sweep = 0; changed; sweep++) {
		if (sweep == 64) {
			for (int i = 0; i < n; i++)
				v->aux[i].relevant = 0x7ff;
			return;
		}
		changed = false;
		for (int i = n - 1; i >= 0; i--) {
			int id = v->aux[i].id, t;
			uint16_t out = 0, nin;

			if (id == UB_I_INVALID)
				continue;
			t = jump_target(v, i);
			if (!is_uncond(id) && i + (int)ub_isa_slots(&v->insns[i]) < n)
				out |= v->aux[i + ub_isa_slots(&v->insns[i])].relevant;
			if (t >= 0)
				out |= v->aux[t].relevant;
			nin = (uint16_t)(relevant_in(v, i, out) | v->aux[i].relevant);
			if (nin != v->aux[i].relevant) {
				v->aux[i].relevant = nin;
				changed = true;
			}
		}
	}
}

int ub_check_cfg(struct ub_verifier *v)
{
	int n = v->cnt, err, *work, top = 0;
	uint8_t *colour;

	/* Decode; validation already proved every row known and lddw pairs complete. */
	for (int i = 0; i < n; i++) {
		v->aux[i].id = ub_isa_decode(&v->insns[i]);
		if (v->aux[i].id == UB_I_INVALID) {
			v->insn = i;
			return ub_reject_err(v, -EINVAL, UB_E_INSN, "encoding");
		}
		if (ub_insn_table[v->aux[i].id].fmt == UB_F_LDDW && i + 1 < n)
			v->aux[++i].id = UB_I_INVALID;
	}
	v->nsubprogs = 0;
	err = add_subprog(v, 0);
	for (int i = 0; i < n && !err; i++) {
		int id = v->aux[i].id, t;

		if (id != UB_I_CALL_LOCAL && id != UB_I_LDDW_FUNC)
			continue;
		t = i + v->insns[i].imm + 1;
		v->insn = i;
		if (t < 0 || t >= n)
			return ub_reject(v, UB_E_JMP_RANGE, i, t);
		if (v->aux[t].id == UB_I_INVALID)
			return ub_reject(v, UB_E_JMP_LDDW, t - 1);
		err = add_subprog(v, t);
	}
	if (err)
		return err;
	qsort(v->subprogs, (size_t)v->nsubprogs, sizeof(v->subprogs[0]), cmp_subprog);
	for (int s = 0; s < v->nsubprogs; s++)
		v->subprogs[s].end = s + 1 < v->nsubprogs ? v->subprogs[s + 1].start : n;
	v->subprogs[v->nsubprogs].start = n;

	for (int s = 0; s < v->nsubprogs; s++) {
		int last = v->subprogs[s].end - 1;

		/* The last slot of an lddw is its second half: the function falls through. */
		if (v->aux[last].id == UB_I_INVALID || !is_uncond(v->aux[last].id)) {
			v->insn = last;
			return ub_reject(v, UB_E_FALL_OFF);
		}
		for (int i = v->subprogs[s].start; i <= last; i++) {
			int t = jump_target(v, i);

			v->aux[i].subprog = s;
			if (v->aux[i].id == UB_I_CALL_LOCAL || v->aux[i].id == UB_I_CALL_HELPER ||
			    v->aux[i].id == UB_I_CALL_KFUNC)
				v->subprogs[s].has_call = true;
			if (t < 0)
				continue;
			v->insn = i;
			if (t < v->subprogs[s].start || t > last)
				return ub_reject(v, UB_E_JMP_RANGE, i, t);
			if (v->aux[t].id == UB_I_INVALID)
				return ub_reject(v, UB_E_JMP_LDDW, t - 1);
			v->aux[t].prune = 1;
			v->aux[t].is_jmp_target = 1;
			if (v->aux[i].id != UB_I_JA && v->aux[i].id != UB_I_JA32)
				v->aux[i + 1].prune = 1;
		}
	}

	/* Reachability: every instruction must be on some path from insn 0. */
	work = calloc((size_t)n + 1, sizeof(*work));
	colour = calloc((size_t)UB_MAX_SUBPROGS + 1, 1);
	if (!work || !colour) {
		free(work);
		free(colour);
		return ub_reject_err(v, -ENOMEM, UB_E_NOMEM);
	}
	work[top++] = 0;
	v->aux[0].seen = 1;
	while (top) {
		int i = work[--top], id = v->aux[i].id, succ[2], ns = 0;

		if (!is_uncond(id))
			succ[ns++] = i + (int)ub_isa_slots(&v->insns[i]);
		if (jump_target(v, i) >= 0)
			succ[ns++] = jump_target(v, i);
		if (id == UB_I_CALL_LOCAL || id == UB_I_LDDW_FUNC) {
			int t = i + v->insns[i].imm + 1;

			if (!v->aux[t].seen) {
				v->aux[t].seen = 1;
				work[top++] = t;
			}
		}
		for (int k = 0; k < ns; k++) {
			if (succ[k] >= n || v->aux[succ[k]].seen)
				continue;
			v->aux[succ[k]].seen = 1;
			work[top++] = succ[k];
		}
	}
	for (int i = 0; i < n; i++) {
		if (v->aux[i].id == UB_I_INVALID)
			continue;
		if (!v->aux[i].seen) {
			free(work);
			free(colour);
			v->insn = i;
			return ub_reject(v, UB_E_UNREACHABLE, i);
		}
		v->aux[i].seen = 0;
	}
	err = check_recursion(v, 0, colour);
	free(work);
	free(colour);
	if (!err)
		ub_compute_relevance(v);
	return err;
}
