/* SPDX-License-Identifier: Apache-2.0 */
/*
 * interp.c: the interpreter: predecodes a program into threaded form at load, and runs it on one
 * of two instantiations of the loop in loop.h (checked for unverified programs, unchecked for
 * verified ones).
 */
#include <errno.h>
#include <string.h>

#include "interp/checked.h"
#include "interp/interp.h"
#include "isa/isa.h"
#include "maps/map.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the interpreter's byte-order handlers assume a little-endian host"
#endif

#define UB_MAX_FRAMES USERBPF_MAX_FRAMES

/*
 * Division and modulo with Linux's rules (the kernel's interpreter and JITs agree):
 *   x / 0 = 0, x % 0 = x (32-bit: the low half, zero-extended),
 *   signed INT_MIN / -1 = INT_MIN (it wraps, like neg), INT_MIN % -1 = 0,
 *   signed remainder takes the sign of the dividend (C's rule).
 * Example: sdiv32 with dst = 0x80000000 and imm -1 gives dst = 0x80000000 (not a trap).
 */
static inline uint64_t udiv64(uint64_t a, uint64_t b)
{
	return b ? a / b : 0;
}

static inline uint64_t umod64(uint64_t a, uint64_t b)
{
	return b ? a % b : a;
}

static inline uint64_t udiv32(uint32_t a, uint32_t b)
{
	return b ? a / b : 0;
}

static inline uint64_t umod32(uint32_t a, uint32_t b)
{
	return b ? a % b : a;
}

static inline uint64_t sdiv64(uint64_t a, uint64_t b)
{
	if (!b)
		return 0;
	if (b == (uint64_t)-1)
		return -a;
	return (uint64_t)((int64_t)a / (int64_t)b);
}

static inline uint64_t smod64(uint64_t a, uint64_t b)
{
	if (!b)
		return a;
	if (b == (uint64_t)-1)
		return 0;
	return (uint64_t)((int64_t)a % (int64_t)b);
}

static inline uint64_t sdiv32(uint32_t a, uint32_t b)
{
	if (!b)
		return 0;
	if (b == (uint32_t)-1)
		return (uint32_t)-a;
	return (uint32_t)((int32_t)a / (int32_t)b);
}

static inline uint64_t smod32(uint32_t a, uint32_t b)
{
	if (!b)
		return a;
	if (b == (uint32_t)-1)
		return 0;
	return (uint32_t)((int32_t)a % (int32_t)b);
}

static uint64_t ub_interp_callback(struct ub_run_ctx *run, uint64_t fn, uint64_t r1, uint64_t r2,
				   uint64_t r3, uint64_t r4, uint64_t r5);

#define UB_CHECKED 1
#define UB_LOOP loop_checked
#include "interp/loop.h"
#undef UB_CHECKED
#undef UB_LOOP

#define UB_CHECKED 0
#define UB_LOOP loop_fast
#include "interp/loop.h"
#undef UB_CHECKED
#undef UB_LOOP

/*
 * The engine side of callbacks (bpf_loop, for_each_map_elem): run the program's function at
 * insn fn as a nested run, on top of the frames of the run that called the helper. A failure
 * inside (a fault, the budget) is kept in the caller's state, which fails its run when the
 * helper returns; the helper sees 1 ("stop") meanwhile.
 */
static uint64_t ub_interp_callback(struct ub_run_ctx *run, uint64_t fn, uint64_t r1, uint64_t r2,
				   uint64_t r3, uint64_t r4, uint64_t r5)
{
	struct ub_cb_env *cb = run->engine;
	const struct userbpf_prog *prog = cb ? cb->prog : NULL;
	const struct ub_interp *ip = prog ? prog->interp : NULL;
	struct ub_entry e = { fn, { r1, r2, r3, r4, r5 }, cb, { { 0, 0 }, { 0, 0 } }, 0 };
	uint64_t r0 = 0;
	int err;

	if (!ip || cb->err)
		return 1;
	if (fn >= ip->cnt) {
		cb->err = UB_BUG(&prog->env->log, "%s: callback at insn %llu is outside the "
				 "program", prog->name, (unsigned long long)fn);
		return 1;
	}
	if (ip->checked) {
		size_t i = 0;

		while (i < ip->func_cnt && ip->funcs[i] != fn)
			i++;
		if (i == ip->func_cnt) {
			ub_err(&prog->env->log, "%s: callback %llu is not a function the program "
			       "loaded with lddw func", prog->name, (unsigned long long)fn);
			cb->err = -EINVAL;
			return 1;
		}
	}
	/* for_each_map_elem hands its callback (map, key, value, ctx): let it touch those. */
	if (cb->call->proto && cb->call->proto->args[0] == UB_ARG_CONST_MAP_PTR && r1 && r2) {
		const struct userbpf_map *map = (const struct userbpf_map *)(uintptr_t)r1;

		e.mem[e.mem_cnt++] = (struct ub_region){ r2, map->key_size };
		if (r3)
			e.mem[e.mem_cnt++] = (struct ub_region){ r3, map->value_size };
	}
	err = ip->loop(prog, ip, cb->mem, cb->len, &r0, NULL, NULL, &e);
	if (err) {
		cb->err = err;
		return 1;
	}
	return r0;
}

/*
 * The 64-bit value of the lddw at pc. Map references become the map object (Linux: the
 * kernel's struct bpf_map pointer); values that need parts not built yet are refused.
 */
static int resolve_lddw(struct userbpf_prog *prog, size_t pc, uint64_t *val)
{
	const struct userbpf_insn *in = &prog->insns[pc];
	struct ub_log *log = &prog->env->log;

	switch (in->src_reg) {
	case USERBPF_PSEUDO_IMM64:
		*val = ub_isa_imm64(in);
		return 0;
	case USERBPF_PSEUDO_MAP_FD:
	case USERBPF_PSEUDO_MAP_IDX:
		if (in->imm < 0 || (size_t)in->imm >= prog->map_cnt) {
			ub_err(log, "%s: insn %zu: lddw refers to map %d, but the program has %zu "
			       "map%s", prog->name, pc, in->imm, prog->map_cnt,
			       prog->map_cnt == 1 ? "" : "s");
			return -EINVAL;
		}
		*val = (uint64_t)(uintptr_t)prog->maps[in->imm];
		return 0;
	case USERBPF_PSEUDO_MAP_VALUE:
	case USERBPF_PSEUDO_MAP_IDX_VALUE:
		if (in->imm < 0 || (size_t)in->imm >= prog->map_cnt) {
			ub_err(log, "%s: insn %zu: lddw refers to the value of map %d, but the "
			       "program has %zu map%s", prog->name, pc, in->imm, prog->map_cnt,
			       prog->map_cnt == 1 ? "" : "s");
			return -EINVAL;
		}
		if (ub_map_direct_value_addr(prog->maps[in->imm], (uint32_t)in[1].imm, val)) {
			ub_err(log, "%s: insn %zu: lddw of a map value address (map %d + %d): "
			       "only array maps with that offset inside the value have one",
			       prog->name, pc, in->imm, in[1].imm);
			return -EINVAL;
		}
		return 0;
	case USERBPF_PSEUDO_BTF_ID:
		ub_err(log, "%s: insn %zu: lddw of a host variable by BTF id %d is not supported: "
		       "no host variables are registered", prog->name, pc, in->imm);
		return -ENOTSUP;
	case USERBPF_PSEUDO_FUNC:
		/* The callback is named by its instruction index (the validator checked it). */
		*val = (uint64_t)((int64_t)pc + in->imm + 1);
		return 0;
	default:
		return UB_BUG(log, "%s: insn %zu: lddw with pseudo source %u passed validation",
			      prog->name, pc, in->src_reg);
	}
}

/* Checked runs may touch the values of the program's array maps: one region per map. */
static int collect_regions(struct userbpf_prog *prog, struct ub_interp *ip)
{
	ip->regions = ub_zalloc(prog->env, (prog->map_cnt ? prog->map_cnt : 1) *
					   sizeof(*ip->regions));
	if (!ip->regions)
		return -ENOMEM;
	for (size_t i = 0; i < prog->map_cnt; i++) {
		struct ub_region *r = &ip->regions[ip->region_cnt];

		if (!ub_map_values_region(prog->maps[i], &r->lo, &r->len) && r->len)
			ip->region_cnt++;
	}
	return 0;
}

/* Resolve one helper call site against the environment's helpers, at load. */
static void resolve_call(struct userbpf_prog *prog, struct ub_call *c, uint32_t hid)
{
	const struct ub_helper_proto *p = ub_helper_proto(hid);

	c->id = hid;
	/* Unknown helpers fail when called, naming the instruction. */
	c->fn = hid < USERBPF_MAX_HELPER_ID ? prog->env->helpers[hid].fn : NULL;
	/* A host helper replacing a built-in keeps the Linux prototype of that id. */
	c->proto = p;
	c->tail_call = p && (p->flags & UB_HF_TAIL_CALL);
	c->callback = p && (p->flags & UB_HF_CALLBACK);
}

int ub_interp_prepare_as(struct userbpf_prog *prog, int checked)
{
	struct userbpf_env *env = prog->env;
	ub_interp_loop_fn loop = checked ? loop_checked : loop_fast;
	const void *const *labels;
	struct ub_interp *ip;
	size_t calls = 0, funcs = 0, k = 0;
	int err;

	ub_interp_release(prog);
	loop(NULL, NULL, NULL, 0, NULL, NULL, &labels, NULL);
	for (size_t pc = 0; pc < prog->cnt; pc++) {
		const struct userbpf_insn *in = &prog->insns[pc];

		if (in->code == (USERBPF_JMP | USERBPF_CALL) && in->src_reg == USERBPF_CALL_HELPER)
			calls++;
		if (in->code == (USERBPF_LD | USERBPF_IMM | USERBPF_DW) &&
		    in->src_reg == USERBPF_PSEUDO_FUNC)
			funcs++;
	}
	ip = ub_zalloc(env, sizeof(*ip) + prog->cnt * sizeof(ip->code[0]));
	if (!ip)
		return -ENOMEM;
	prog->interp = ip;
	ip->loop = loop;
	ip->checked = checked;
	ip->cnt = prog->cnt;
	ip->has_callbacks = funcs != 0;
	ip->calls = ub_zalloc(env, (calls ? calls : 1) * sizeof(*ip->calls));
	ip->funcs = ub_zalloc(env, (funcs ? funcs : 1) * sizeof(*ip->funcs));
	if (!ip->calls || !ip->funcs) {
		err = -ENOMEM;
		goto fail;
	}
	ip->call_cnt = calls;
	if (checked) {
		err = collect_regions(prog, ip);
		if (err)
			goto fail;
	}

	for (size_t pc = 0; pc < prog->cnt; pc++) {
		const struct userbpf_insn *in = &prog->insns[pc];
		struct ub_xinsn *x = &ip->code[pc];
		int id = ub_isa_decode(in);

		if (id == UB_I_INVALID) {
			err = UB_BUG(&env->log, "%s: insn %zu: undecodable after validation",
				     prog->name, pc);
			goto fail;
		}
		*x = (struct ub_xinsn){ labels[id], in->dst_reg, in->src_reg, in->off, in->imm };
		if (id == UB_I_CALL_HELPER) {
			resolve_call(prog, &ip->calls[k], (uint32_t)in->imm);
			x->imm = (int32_t)k++;
		} else if (id == UB_I_CALLX) {
			/* Both encodings (register in dst, or in imm as LLVM < 19 emits it). */
			x->dst = (uint8_t)ub_isa_callx_reg(in);
			x->imm = 0;
		} else if (ub_insn_table[id].fmt == UB_F_LDDW) {
			uint64_t v;

			err = resolve_lddw(prog, pc, &v);
			if (err)
				goto fail;
			if (id == UB_I_LDDW_FUNC)
				ip->funcs[ip->func_cnt++] = (uint32_t)v;
			x->imm = (int32_t)(uint32_t)v;
			pc++;
			ip->code[pc] = (struct ub_xinsn){ labels[UB_I_COUNT], 0, 0, 0,
							  (int32_t)(uint32_t)(v >> 32) };
		}
	}
	return 0;
fail:
	ub_interp_release(prog);
	return err;
}

int ub_interp_prepare(struct userbpf_prog *prog)
{
	return ub_interp_prepare_as(prog, !!(prog->flags & USERBPF_PROG_F_UNVERIFIED));
}

void ub_interp_release(struct userbpf_prog *prog)
{
	struct ub_interp *ip = prog->interp;

	if (!ip)
		return;
	ub_free(prog->env, ip->calls);
	ub_free(prog->env, ip->funcs);
	ub_free(prog->env, ip->regions);
	ub_free(prog->env, ip);
	prog->interp = NULL;
}

int ub_interp_run(const struct userbpf_prog *prog, void *mem, size_t len, uint64_t *retval)
{
	const struct ub_interp *ip = prog->interp;

	if (__builtin_expect(!ip, 0))
		return UB_BUG(&prog->env->log, "%s: run before the interpreter was prepared",
			      prog->name);
	return ip->loop(prog, ip, mem, len, retval, NULL, NULL, NULL);
}

int ub_interp_run_counted(const struct userbpf_prog *prog, void *mem, size_t len,
			  uint64_t *retval, uint64_t *executed)
{
	const struct ub_interp *ip = prog->interp;

	if (!ip || !ip->checked)
		return -EINVAL;
	*executed = 0;
	return ip->loop(prog, ip, mem, len, retval, executed, NULL, NULL);
}
