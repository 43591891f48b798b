/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jit.c: the architecture-neutral JIT driver: analysis (functions, registers, frame needs),
 * layout passes repeated until the code size converges, then W^X installation of the image.
 *
 * Layout: pass 1 assumes every instruction is 64 bytes long, so most jumps start in their long
 * form; each pass emits the whole program using the previous pass's addresses and records new
 * ones. Code only shrinks as jumps find they fit in rel8, so the addresses reach a fixed point
 * (typically in 2-4 passes); when a pass reproduces its input the code is exact. Should passes
 * ever oscillate, every jump is forced to rel32, which makes sizes independent of addresses.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "helpers/helpers.h"
#include "isa/isa.h"
#include "jit/jit.h"
#include "jit/jit_int.h"

#define INITIAL_INSN_BYTES 64
#define PASSES_BEFORE_LONG 16
#define MAX_PASSES         40

int ub_jit_reserve(struct ub_jit *j, size_t need)
{
	size_t cap;
	uint8_t *p;

	if (j->len + need <= j->cap)
		return 0;
	cap = j->cap ? j->cap : 4096;
	while (cap < j->len + need)
		cap *= 2;
	p = ub_realloc(j->prog->env, j->buf, cap);
	if (!p)
		return -ENOMEM;
	j->buf = p;
	j->cap = cap;
	return 0;
}

uint32_t ub_jit_blind_rand(struct ub_jit *j)
{
	uint64_t x = j->blind_state;
	uint32_t r;

	/* xorshift64*, seeded from getrandom(): unpredictable to whoever wrote the program. */
	do {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		r = (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
	} while (!r);
	j->blind_state = x;
	return r;
}

static void blind_seed(struct ub_jit *j)
{
	uint64_t seed = 0;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)j;
	}
	j->blind_state = seed | 1;
}

/* Function index of every instruction: the number of function starts at or before it. */
static int check_functions(struct ub_jit *j, uint32_t *func)
{
	const struct userbpf_insn *insns = j->insns;
	uint32_t f = 0;

	for (size_t i = 0; i < j->cnt; i++) {
		if (i && (j->iflags[i] & UB_JIT_I_FUNC)) {
			size_t prev = (j->iflags[i - 1] & UB_JIT_I_SECOND) ? i - 2 : i - 1;
			int id = ub_isa_decode(&insns[prev]);

			if (id != UB_I_EXIT && id != UB_I_JA && id != UB_I_JA32) {
				ub_err(j->log, "jit: insn %zu: falls through into the function at insn %zu",
				       prev, i);
				return -EINVAL;
			}
			f++;
		}
		func[i] = f;
		if (!f)
			j->iflags[i] |= UB_JIT_I_MAIN;
	}
	for (size_t i = 0; i < j->cnt; i++) {
		int id = ub_isa_decode(&insns[i]);
		int64_t t;

		if (id < 0 || (j->iflags[i] & UB_JIT_I_SECOND) ||
		    !(ub_fmt_info[ub_insn_table[id].fmt].uses & UB_U_JUMP))
			continue;
		t = (int64_t)i + 1 + (id == UB_I_JA32 ? insns[i].imm : insns[i].off);
		j->iflags[t] |= UB_JIT_I_TARGET;
		if (func[t] != func[i]) {
			ub_err(j->log, "jit: insn %zu: jump to insn %" PRId64 " leaves its function", i,
			       t);
			return -EINVAL;
		}
	}
	return 0;
}

static int mark_target(struct ub_jit *j, size_t i, int64_t t, const char *what)
{
	if (t < 0 || (uint64_t)t >= j->cnt || (j->iflags[t] & UB_JIT_I_SECOND)) {
		ub_err(j->log, "jit: insn %zu: %s target %" PRId64 " is not an instruction", i, what, t);
		return -EINVAL;
	}
	j->iflags[t] |= UB_JIT_I_FUNC;
	return 0;
}

/* Find functions, referenced registers and what the main frame needs. */
static int analyze(struct ub_jit *j, uint32_t *func)
{
	const struct userbpf_insn *insns = j->insns;
	int err;

	j->iflags[0] |= UB_JIT_I_FUNC;
	for (size_t i = 0; i < j->cnt; i++) {
		const struct userbpf_insn *in = &insns[i];
		int id, fmt;
		uint8_t uses;

		if (j->iflags[i] & UB_JIT_I_SECOND)
			continue;
		id = ub_isa_decode(in);
		if (id < 0) {
			ub_err(j->log, "jit: insn %zu: unknown opcode 0x%02x", i, in->code);
			return -EINVAL;
		}
		fmt = ub_insn_table[id].fmt;
		uses = ub_fmt_info[fmt].uses;
		if (uses & UB_U_DST)
			j->used_regs |= 1u << in->dst_reg;
		if (uses & UB_U_SRC)
			j->used_regs |= 1u << in->src_reg;
		switch (fmt) {
		case UB_F_LDDW:
			if (i + 1 >= j->cnt) {
				ub_err(j->log, "jit: insn %zu: lddw without its second slot", i);
				return -EINVAL;
			}
			j->iflags[i + 1] |= UB_JIT_I_SECOND;
			if (in->src_reg == USERBPF_PSEUDO_FUNC) {
				err = mark_target(j, i, (int64_t)i + 1 + in->imm, "function pointer");
				if (err)
					return err;
				j->full_frame = 1;
				j->has_callbacks = 1;
			}
			break;
		case UB_F_CALL_LOCAL:
			err = mark_target(j, i, (int64_t)i + 1 + in->imm, "call");
			if (err)
				return err;
			j->full_frame = 1;
			j->has_calls = 1;
			j->used_regs |= 0x3f;
			break;
		case UB_F_CALLX:
			j->full_frame = 1;
			j->used_regs |= 1u << ub_isa_callx_reg(in);
			/* fallthrough */
		case UB_F_CALL:
			if (fmt == UB_F_CALL && in->imm == UB_JIT_TAIL_CALL_ID)
				j->full_frame = 1; /* the tail jump unwinds through the run context */
			/* fallthrough */
		case UB_F_CALL_KFUNC:
			j->has_calls = 1;
			j->used_regs |= 0x3f;
			break;
		case UB_F_LDABS:
		case UB_F_LDIND:
			j->full_frame = 1;
			j->used_regs |= 1;
			break;
		case UB_F_MAY_GOTO:
			j->has_may_goto = 1;
			break;
		case UB_F_EXIT:
		case UB_F_ATOMIC:
			j->used_regs |= 1;
			break;
		default:
			break;
		}
	}
	j->uses_stack = (j->used_regs & (1u << USERBPF_REG_10)) || j->has_may_goto;
	return check_functions(j, func);
}

static void layout_reset(struct ub_jit *j)
{
	for (size_t i = 0; i <= j->cnt; i++) {
		j->addrs[i] = (uint32_t)(i * INITIAL_INSN_BYTES);
		j->fentry[i] = (j->iflags && i < j->cnt && (j->iflags[i] & UB_JIT_I_FUNC)) ?
			       j->addrs[i] : 0;
	}
	memset(j->nfentry, 0, (j->cnt + 1) * sizeof(*j->nfentry));
	j->stub = (uint32_t)((j->cnt + 1) * INITIAL_INSN_BYTES);
}

static int layout_same(const struct ub_jit *j)
{
	size_t n = (j->cnt + 1) * sizeof(uint32_t);

	return !memcmp(j->addrs, j->naddrs, n) && !memcmp(j->fentry, j->nfentry, n) &&
	       j->stub == j->nstub;
}

static void layout_swap(struct ub_jit *j)
{
	uint32_t *t;

	t = j->addrs, j->addrs = j->naddrs, j->naddrs = t;
	t = j->fentry, j->fentry = j->nfentry, j->nfentry = t;
	j->stub = j->nstub;
}

/* Run passes until the layout is a fixed point. Returns the number of passes or -errno. */
static int converge(struct ub_jit *j)
{
	int err;

	layout_reset(j);
	for (int pass = 1; pass <= MAX_PASSES; pass++) {
		err = ub_x86_emit_prog(j);
		if (err)
			return err;
		if (layout_same(j))
			return pass;
		layout_swap(j);
		if (pass == PASSES_BEFORE_LONG)
			j->force_long = 1;
	}
	return UB_BUG(j->log, "jit: code size did not converge after %d passes", MAX_PASSES);
}

/* A host function the image calls, so the image can be placed within rel32 reach of it. */
static const void *call_hint(const struct ub_jit *j)
{
	for (size_t i = 0; i < j->cnt; i++)
		if (!(j->iflags[i] & UB_JIT_I_SECOND) && ub_isa_decode(&j->insns[i]) == UB_I_CALL_HELPER &&
		    j->insns[i].imm >= 0 && j->insns[i].imm < USERBPF_MAX_HELPER_ID &&
		    j->prog->env->helpers[j->insns[i].imm].fn)
			return (const void *)j->prog->env->helpers[j->insns[i].imm].fn;
	return (const void *)ub_jit_compile;
}

static void jit_free_work(struct ub_jit *j)
{
	struct userbpf_env *env = j->prog->env;

	ub_free(env, j->iflags);
	ub_free(env, j->addrs);
	ub_free(env, j->naddrs);
	ub_free(env, j->fentry);
	ub_free(env, j->nfentry);
	ub_free(env, j->buf);
}

int ub_jit_compile(struct userbpf_prog *prog)
{
	struct userbpf_env *env = prog->env;
	struct ub_jit j = { .prog = prog, .log = &env->log, .insns = prog->insns, .cnt = prog->cnt };
	struct ub_jit_image *img = NULL;
	size_t n = prog->cnt + 1, map_size = 0;
	void *mem = NULL;
	int passes, err;

	if (!prog->cnt)
		return -EINVAL;
	j.iflags = ub_zalloc(env, prog->cnt);
	j.addrs = ub_zalloc(env, n * sizeof(uint32_t));
	j.naddrs = ub_zalloc(env, n * sizeof(uint32_t));
	j.fentry = ub_zalloc(env, n * sizeof(uint32_t));
	j.nfentry = ub_zalloc(env, n * sizeof(uint32_t));
	if (!j.iflags || !j.addrs || !j.naddrs || !j.fentry || !j.nfentry) {
		err = -ENOMEM;
		goto out;
	}
	/* naddrs doubles as the function index during analysis. */
	err = analyze(&j, j.naddrs);
	if (err)
		goto out;
	if (prog->flags & USERBPF_PROG_F_JIT_BLIND) {
		j.blind = 1;
		blind_seed(&j);
	}
	for (;;) {
		passes = converge(&j);
		if (passes < 0) {
			err = passes;
			goto out;
		}
		mem = ub_jit_mem_alloc(j.len, call_hint(&j), &map_size);
		if (!mem) {
			err = -ENOMEM;
			goto out;
		}
		j.base = (uint64_t)(uintptr_t)mem;
		j.final = 1;
		err = ub_x86_emit_prog(&j);
		if (err == -ERANGE && !j.indirect_calls) {
			/* A helper is out of rel32 reach from where the kernel put the image. */
			ub_jit_mem_free(mem, map_size);
			mem = NULL;
			j.indirect_calls = 1;
			j.final = 0;
			j.base = 0;
			continue;
		}
		if (err)
			goto out;
		break;
	}
	if (!layout_same(&j) || j.len > map_size) {
		err = UB_BUG(j.log, "jit: final pass changed the layout");
		goto out;
	}
	memcpy(mem, j.buf, j.len);
	if (ub_jit_mem_seal(mem, map_size)) {
		err = -errno;
		ub_err(j.log, "jit: mprotect(PROT_READ|PROT_EXEC) failed: %s", strerror(errno));
		goto out;
	}
	img = ub_zalloc(env, sizeof(*img));
	if (!img) {
		err = -ENOMEM;
		goto out;
	}
	img->mem = mem;
	img->map_size = map_size;
	img->code_len = j.len;
	img->cnt = prog->cnt;
	img->passes = (uint32_t)passes + 1;
	img->cb_entry = j.has_callbacks ? j.cb_entry : UINT32_MAX;
	img->blinded = (uint32_t)j.blind;
	img->addrs = j.addrs; /* the converged layout, kept for disassembly */
	j.addrs = NULL;
	for (size_t i = 0; i < prog->cnt; i++)
		if (!(j.iflags[i] & UB_JIT_I_FUNC))
			j.fentry[i] = UINT32_MAX;
	img->fentry = j.fentry;
	j.fentry = NULL;
	prog->jit = img;
	prog->jit_fn = (uint64_t(*)(void *, uint64_t))mem;
	mem = NULL;
	err = 0;
out:
	ub_jit_mem_free(mem, map_size);
	jit_free_work(&j);
	return err;
}

uint64_t ub_jit_tail_call_target(uint64_t ctx, uint64_t map, uint64_t index)
{
	struct ub_run_ctx *run = ub_run_current;
	const struct userbpf_prog *t;

	(void)ctx;
	t = ub_tail_call_target(run, (struct userbpf_map *)(uintptr_t)map, index);
	if (!t || !t->jit_fn)
		return 0;
	run->prog = t;
	return (uint64_t)(uintptr_t)t->jit_fn;
}

static uint64_t ub_jit_callback(struct ub_run_ctx *run, uint64_t fn, uint64_t r1, uint64_t r2,
				uint64_t r3, uint64_t r4, uint64_t r5)
{
	const struct ub_jit_image *img = run->prog ? run->prog->jit : NULL;
	uint64_t base, off;

	if (!img || img->cb_entry == UINT32_MAX)
		return 1; /* not a JITed program with callbacks: stop the loop */
	base = (uint64_t)(uintptr_t)img->mem;
	off = fn - base;
	/* Only a function entry of this image: a trusted program may pass any number. */
	if (fn < base || off >= img->code_len)
		return 1;
	for (size_t i = 0; i < img->cnt; i++)
		if (img->fentry[i] == off && i)
			return ((uint64_t(*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
					     uint64_t))(uintptr_t)(base + img->cb_entry))(fn, r1, r2,
											   r3, r4, r5);
	return 1;
}

void ub_jit_run_setup(void)
{
	if (ub_run_current)
		ub_run_current->callback = ub_jit_callback;
}

void ub_jit_release(struct userbpf_prog *prog)
{
	struct ub_jit_image *img;

	if (!prog || !prog->jit)
		return;
	img = prog->jit;
	ub_jit_mem_free(img->mem, img->map_size);
	ub_free(prog->env, img->addrs);
	ub_free(prog->env, img->fentry);
	ub_free(prog->env, img);
	prog->jit = NULL;
	prog->jit_fn = NULL;
}
