/* SPDX-License-Identifier: Apache-2.0 */
/* prog.c: the program object: load (validate, verify, prepare an engine), run, free. */
#include <errno.h>
#include <string.h>

#include "core/core.h"
#include "helpers/helpers.h"
#include "interp/interp.h"
#include "isa/isa.h"
#include "jit/jit.h"
#include "maps/map.h"
#include "verifier/verifier.h"

#define UB_DEFAULT_BUDGET (1ull << 26)

static void prog_link(struct userbpf_prog *prog)
{
	struct userbpf_env *env = prog->env;

	pthread_mutex_lock(&env->lock);
	prog->next = env->progs;
	if (env->progs)
		env->progs->prev = prog;
	env->progs = prog;
	pthread_mutex_unlock(&env->lock);
}

static void prog_unlink(struct userbpf_prog *prog)
{
	struct userbpf_env *env = prog->env;

	pthread_mutex_lock(&env->lock);
	if (prog->prev)
		prog->prev->next = prog->next;
	else if (env->progs == prog)
		env->progs = prog->next;
	if (prog->next)
		prog->next->prev = prog->prev;
	prog->next = prog->prev = NULL;
	pthread_mutex_unlock(&env->lock);
}

/* Choose and prepare the engine. The JIT runs only verified or trusted code. */
static int prog_prepare_engine(struct userbpf_prog *prog, enum userbpf_engine want)
{
	int verified = !(prog->flags & (USERBPF_PROG_F_UNVERIFIED | USERBPF_PROG_F_TRUSTED));
	int jit_ok = verified || (prog->flags & USERBPF_PROG_F_TRUSTED);
	int err;

	if (want == USERBPF_ENGINE_JIT && !jit_ok) {
		ub_err(&prog->env->log, "%s: the JIT runs only verified or trusted programs "
		       "(load with USERBPF_PROG_F_TRUSTED, or verify the program)", prog->name);
		return -EPERM;
	}
	if (want == USERBPF_ENGINE_JIT || (want == USERBPF_ENGINE_DEFAULT && jit_ok)) {
		err = ub_jit_compile(prog);
		if (!err) {
			prog->engine = USERBPF_ENGINE_JIT;
			return 0;
		}
		if (want == USERBPF_ENGINE_JIT)
			return err;
		/* DEFAULT: fall back to the interpreter when no JIT exists for this machine. */
		if (err != -ENOTSUP)
			return err;
	}
	prog->engine = USERBPF_ENGINE_INTERP;
	return ub_interp_prepare(prog);
}

/* Copy a string into the prog's allocation, or keep NULL. */
static int dup_opt_str(struct userbpf_env *env, const char **dst, const char *src)
{
	if (!src) {
		*dst = NULL;
		return 0;
	}
	*dst = ub_strdup(env, src);
	return *dst ? 0 : -ENOMEM;
}

static int copy_source_info(struct userbpf_prog *prog, const struct userbpf_prog_opts *o)
{
	struct userbpf_env *env = prog->env;

	if (o->line_info_cnt) {
		prog->line_info = ub_zalloc(env, o->line_info_cnt * sizeof(*prog->line_info));
		if (!prog->line_info)
			return -ENOMEM;
		prog->line_info_cnt = o->line_info_cnt;
		for (size_t i = 0; i < o->line_info_cnt; i++) {
			struct userbpf_line_info *l = &prog->line_info[i];

			*l = o->line_info[i];
			l->file = l->text = NULL;
			if (dup_opt_str(env, &l->file, o->line_info[i].file) ||
			    dup_opt_str(env, &l->text, o->line_info[i].text))
				return -ENOMEM;
		}
	}
	if (o->func_info_cnt) {
		prog->func_info = ub_zalloc(env, o->func_info_cnt * sizeof(*prog->func_info));
		if (!prog->func_info)
			return -ENOMEM;
		prog->func_info_cnt = o->func_info_cnt;
		for (size_t i = 0; i < o->func_info_cnt; i++) {
			prog->func_info[i] = o->func_info[i];
			prog->func_info[i].name = NULL;
			if (dup_opt_str(env, &prog->func_info[i].name, o->func_info[i].name))
				return -ENOMEM;
		}
	}
	return 0;
}

static void free_source_info(struct userbpf_prog *prog)
{
	struct userbpf_env *env = prog->env;

	for (size_t i = 0; i < prog->line_info_cnt; i++) {
		ub_free(env, (void *)prog->line_info[i].file);
		ub_free(env, (void *)prog->line_info[i].text);
	}
	for (size_t i = 0; i < prog->func_info_cnt; i++)
		ub_free(env, (void *)prog->func_info[i].name);
	ub_free(env, prog->line_info);
	ub_free(env, prog->func_info);
}

const struct userbpf_line_info *ub_prog_line(const struct userbpf_prog *prog, size_t insn)
{
	size_t lo = 0, hi = prog->line_info_cnt;

	/* Binary search for the last entry with .insn <= insn. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (prog->line_info[mid].insn <= insn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &prog->line_info[lo - 1] : NULL;
}

USERBPF_API struct userbpf_prog *userbpf_prog_load(struct userbpf_env *env,
						   const struct userbpf_insn *insns, size_t cnt,
						   const struct userbpf_prog_opts *opts)
{
	struct userbpf_prog_opts o = { .sz = sizeof(o) };
	struct userbpf_prog *prog;
	int err;

	if (!env || !insns) {
		errno = EINVAL;
		return NULL;
	}
	if (opts) {
		if (opts->sz < sizeof(size_t)) {
			ub_err(&env->log, "userbpf_prog_load: opts->sz is not set");
			errno = EINVAL;
			return NULL;
		}
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	}
	if (o.flags & ~(USERBPF_PROG_F_UNVERIFIED | USERBPF_PROG_F_TRUSTED | USERBPF_PROG_F_JIT_BLIND)) {
		ub_err(&env->log, "userbpf_prog_load: unknown flags 0x%x", o.flags);
		errno = EINVAL;
		return NULL;
	}
	if (o.engine > USERBPF_ENGINE_JIT) {
		ub_err(&env->log, "userbpf_prog_load: unknown engine %d", (int)o.engine);
		errno = EINVAL;
		return NULL;
	}
	err = ub_isa_validate(insns, cnt, &env->log);
	if (err) {
		errno = -err;
		return NULL;
	}
	prog = ub_zalloc(env, sizeof(*prog));
	if (!prog) {
		errno = ENOMEM;
		return NULL;
	}
	prog->env = env;
	prog->type = o.prog_type;
	prog->flags = o.flags;
	if (o.flags & USERBPF_PROG_F_TRUSTED)
		prog->flags |= USERBPF_PROG_F_UNVERIFIED;
	prog->insn_budget = o.insn_budget ? o.insn_budget : UB_DEFAULT_BUDGET;
	prog->name = ub_strdup(env, o.name ? o.name : "prog");
	prog->license = ub_strdup(env, o.license ? o.license : "GPL");
	prog->insns = ub_alloc(env, cnt * sizeof(*insns));
	if (!prog->name || !prog->license || !prog->insns) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(prog->insns, insns, cnt * sizeof(*insns));
	prog->cnt = cnt;
	err = copy_source_info(prog, &o);
	if (err)
		goto fail;
	if (o.map_cnt) {
		if (!o.maps) {
			ub_err(&env->log, "%s: map_cnt is %zu but maps is NULL", prog->name, o.map_cnt);
			err = -EINVAL;
			goto fail;
		}
		prog->maps = ub_zalloc(env, o.map_cnt * sizeof(*prog->maps));
		if (!prog->maps) {
			err = -ENOMEM;
			goto fail;
		}
		for (size_t i = 0; i < o.map_cnt; i++) {
			if (!o.maps[i]) {
				ub_err(&env->log, "%s: maps[%zu] is NULL", prog->name, i);
				err = -EINVAL;
				goto fail;
			}
			ub_map_get(o.maps[i]);
			prog->maps[i] = o.maps[i];
			prog->map_cnt = i + 1;
		}
	}

	if (!(prog->flags & USERBPF_PROG_F_UNVERIFIED)) {
		struct ub_verify_opts vo = { o.verify_flags, o.log_level, o.log_buf, o.log_size,
					     o.verify_stats };

		err = ub_verifier_run(prog, &vo, &env->log);
		if (err)
			goto fail;
	}
	err = prog_prepare_engine(prog, o.engine);
	if (err)
		goto fail;
	prog_link(prog);
	return prog;
fail:
	userbpf_prog_free(prog);
	errno = -err;
	return NULL;
}

USERBPF_API void userbpf_prog_free(struct userbpf_prog *prog)
{
	struct userbpf_env *env;

	if (!prog)
		return;
	env = prog->env;
	prog_unlink(prog);
	ub_maps_forget_prog(env, prog); /* no tail call may reach it any more */
	ub_jit_release(prog);
	ub_interp_release(prog);
	for (size_t i = 0; i < prog->map_cnt; i++)
		ub_map_put(prog->maps[i]);
	ub_free(env, prog->maps);
	free_source_info(prog);
	ub_free(env, prog->insns);
	ub_free(env, prog->orig_insns);
	ub_verifier_record_free(prog);
	ub_free(env, prog->name);
	ub_free(env, prog->license);
	ub_free(env, prog);
}

USERBPF_API const struct userbpf_insn *userbpf_prog_insns(const struct userbpf_prog *prog,
							   size_t *cnt)
{
	if (cnt)
		*cnt = prog ? prog->cnt : 0;
	return prog ? (prog->orig_insns ? prog->orig_insns : prog->insns) : NULL;
}

USERBPF_API const char *userbpf_prog_name(const struct userbpf_prog *prog)
{
	return prog ? prog->name : NULL;
}

USERBPF_API enum userbpf_engine userbpf_prog_engine(const struct userbpf_prog *prog)
{
	return prog ? prog->engine : USERBPF_ENGINE_DEFAULT;
}

USERBPF_API int userbpf_prog_run(struct userbpf_prog *prog, void *mem, size_t mem_len,
				 uint64_t *retval)
{
	struct ub_run_ctx run; /* helpers' view of this run (helpers.h) */
	int err = 0;

	if (!prog || !retval)
		return -EINVAL;
	/*
	 * The verifier proved accesses safe for memory of at least min_mem_len bytes, and for
	 * exactly mem_len bytes at mem (no memory: no length).
	 */
	if (!(prog->flags & USERBPF_PROG_F_UNVERIFIED) &&
	    (mem_len < prog->min_mem_len || (!mem && (mem_len || prog->min_mem_len))))
		return -EINVAL;
	ub_run_enter(&run, prog, mem);
	if (prog->jit_fn)
		*retval = prog->jit_fn(mem, mem_len);
	else
		err = ub_interp_run(prog, mem, mem_len, retval);
	ub_run_exit(&run);
	return err;
}
